//! `matmul`: C = A·B on the vector units (no cooperative matrices), so it runs on every adapter
//! including lavapipe. Two variants share one register-tiled, double-buffered kernel: f32
//! inputs, and f16 inputs widened to f32 in workgroup memory (f32 accumulation in both).
//!
//! Shapes: squares, an LLM projection (M=N=8192, K=2048 on a GPU), a skinny decode-like one
//! (M=16), and an odd shape that is not a multiple of any tile, so edge handling is checked on
//! every run. The check is the relative Frobenius error over the checked elements of C against
//! a CPU reference in f64 on the same (f16-rounded, for f16) inputs.

use half::f16;

use super::data::{POISON, Rng, sample};
use super::{
    Case, CaseError, Check, Measured, Precision, Scale, Sizing, passed, require_f16, with_header,
};
use crate::gpu::{Binding, Context};
use crate::timing::{Budget, PassTimer};

const BODY: &str = include_str!("../../shaders/matmul.wgsl");
/// The C tile of one workgroup; must match BM and BN in shaders/matmul.wgsl.
const TILE: u64 = 128;
/// Below this many multiply-adds every element of C is checked; above, a sample.
const FULL_CHECK_MACS: u64 = 1 << 24;
const MAX_CHECKED: u64 = 2048;
/// Relative Frobenius error allowed with f32 accumulation. Typical errors are near 1e-6; a
/// single missing K slice of 8 in 8192 already gives about 3e-2.
const TOLERANCE: f64 = 1e-4;

struct Variant {
    name: &'static str,
    half: bool,
}

const VARIANTS: [Variant; 2] = [
    Variant { name: "tiled-f32", half: false },
    Variant { name: "tiled-f16-f32acc", half: true },
];

fn shapes(scale: Scale) -> Vec<(u64, u64, u64)> {
    let edge = (100, 68, 36);
    match scale {
        Scale::Quick => vec![(256, 256, 256), (256, 192, 128), (16, 256, 256), edge],
        Scale::Cpu => vec![(512, 512, 512), (512, 512, 128), (16, 512, 512), edge],
        Scale::Gpu => vec![
            (4096, 4096, 4096),
            (8192, 8192, 8192),
            (8192, 8192, 2048),
            (16, 8192, 8192),
            edge,
        ],
    }
}

pub fn plan(sizing: &Sizing) -> Vec<Case> {
    let mut cases = Vec::new();
    for v in &VARIANTS {
        for (m, n, k) in shapes(sizing.scale) {
            let esize = if v.half { 2 } else { 4 };
            cases.push(Case {
                workload: super::Workload::Matmul,
                variant: v.name,
                precision: Precision::new(if v.half { "f16" } else { "f32" }, "f32"),
                shape: vec![("m", m), ("n", n), ("k", k)],
                flops: (2 * m * n * k) as f64,
                bytes: ((m * k + k * n) * esize + m * n * 4) as f64,
                config: format!("{TILE}x{TILE}x8 workgroup tile, 8x8 per invocation, double-buffered"),
            });
        }
    }
    cases
}

fn source(half: bool) -> String {
    let t = if half { "f16" } else { "f32" };
    with_header(half, &format!("alias IN = {t};"), BODY)
}

pub fn sources() -> Vec<(String, String)> {
    VARIANTS
        .iter()
        .map(|v| (format!("matmul-{}", v.name), source(v.half)))
        .collect()
}

/// The reference value of C[row][col] and the sum of squares it contributes, in f64.
fn reference(a: &[f32], b: &[f32], n: usize, k: usize, row: usize, col: usize) -> f64 {
    (0..k)
        .map(|i| f64::from(a[row * k + i]) * f64::from(b[i * n + col]))
        .sum()
}

pub fn run(ctx: &Context, case: &Case, budget: &Budget) -> Result<Measured, CaseError> {
    let half = case.variant.contains("f16");
    require_f16(ctx, half)?;
    let (m, n, k) = (case.dim("m"), case.dim("n"), case.dim("k"));
    let esize = if half { 2 } else { 4 };
    let largest = (m * k * esize).max(k * n * esize).max(m * n * 4);
    if largest > ctx.max_binding() {
        return Err(CaseError::Unsupported(format!(
            "needs {largest} bytes in one binding; the adapter allows {}",
            ctx.max_binding()
        )));
    }
    let seed = Rng::fresh_seed();
    let mut rng = Rng::new(seed);
    let mut a = rng.f32s((m * k) as usize);
    let mut b = rng.f32s((k * n) as usize);
    let (abuf, bbuf) = if half {
        let a16: Vec<f16> = a.iter().map(|&x| f16::from_f32(x)).collect();
        let b16: Vec<f16> = b.iter().map(|&x| f16::from_f32(x)).collect();
        // The reference multiplies exactly what the device reads.
        a = a16.iter().map(|x| x.to_f32()).collect();
        b = b16.iter().map(|x| x.to_f32()).collect();
        (
            ctx.upload("matmul a", bytemuck::cast_slice(&a16))?,
            ctx.upload("matmul b", bytemuck::cast_slice(&b16))?,
        )
    } else {
        (
            ctx.upload("matmul a", bytemuck::cast_slice(&a))?,
            ctx.upload("matmul b", bytemuck::cast_slice(&b))?,
        )
    };
    let c = ctx.storage("matmul c", m * n * 4)?;
    ctx.poison(&c, POISON)?;
    let dims = ctx.uniform("matmul dims", bytemuck::cast_slice(&[m as u32, n as u32, k as u32, 0]))?;
    let kernel = ctx.kernel(
        &format!("matmul-{}", case.variant),
        &source(half),
        &[
            Binding::ReadOnly(&abuf),
            Binding::ReadOnly(&bbuf),
            Binding::ReadWrite(&c),
            Binding::Uniform(&dims),
        ],
    )?;
    let groups = (n.div_ceil(TILE) as u32, m.div_ceil(TILE) as u32, 1);
    let timer = PassTimer::new(ctx)?;
    let timing = timer.measure(&|pass| kernel.dispatch(pass, groups), budget)?;

    let raw = ctx.read(&c, m * n * 4)?;
    let got: &[f32] = bytemuck::cast_slice(&raw);
    let max = if m * n * k <= FULL_CHECK_MACS { m * n } else { MAX_CHECKED };
    let checked = sample(m * n, max, &mut rng);
    let (mut diff, mut norm) = (0.0f64, 0.0f64);
    for &idx in &checked {
        let (row, col) = ((idx / n) as usize, (idx % n) as usize);
        let want = reference(&a, &b, n as usize, k as usize, row, col);
        let g = f64::from(got[idx as usize]);
        diff += if g.is_finite() { (g - want).powi(2) } else { f64::INFINITY };
        norm += want * want;
    }
    let error = if norm > 0.0 { (diff / norm).sqrt() } else { f64::INFINITY };
    let check = Check::new(
        "relative Frobenius error over the checked elements of C",
        error,
        TOLERANCE,
        checked.len() as u64,
        m * n,
        seed,
    );
    passed(timing, check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_keep_rows_whole_vec4s() {
        for scale in [Scale::Quick, Scale::Cpu, Scale::Gpu] {
            for (m, n, k) in shapes(scale) {
                assert!(m > 0 && n % 4 == 0 && k % 4 == 0, "{m}x{n}x{k}");
            }
            // Every scale checks a shape that is not a multiple of the tile.
            assert!(shapes(scale).iter().any(|&(m, n, _)| m % TILE != 0 && n % TILE != 0));
        }
    }

    #[test]
    fn gpu_shapes_include_the_llm_and_skinny_ones() {
        let s = shapes(Scale::Gpu);
        assert!(s.contains(&(8192, 8192, 8192)) && s.contains(&(8192, 8192, 2048)));
        assert!(s.iter().any(|&(m, _, _)| m == 16));
    }

    #[test]
    fn flops_and_bytes() {
        let cases = plan(&Sizing { scale: Scale::Quick, max_binding: 1 << 30 });
        let c = cases.iter().find(|c| c.variant == "tiled-f16-f32acc").unwrap();
        let (m, n, k) = (c.dim("m"), c.dim("n"), c.dim("k"));
        assert_eq!(c.flops, (2 * m * n * k) as f64);
        assert_eq!(c.bytes, ((m * k + k * n) * 2 + m * n * 4) as f64);
    }

    #[test]
    fn reference_is_a_dot_product() {
        // A = [[1,2],[3,4]], B = [[5,6],[7,8]]: C = [[19,22],[43,50]].
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [5.0, 6.0, 7.0, 8.0];
        assert_eq!(reference(&a, &b, 2, 2, 0, 0), 19.0);
        assert_eq!(reference(&a, &b, 2, 2, 1, 1), 50.0);
    }
}

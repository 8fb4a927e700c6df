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
use super::tune;
use super::{
    Case, CaseError, Check, Precision, Prepared, Scale, Sizing, require_f16, unroll, with_header,
};
use crate::gpu::{Binding, Context, Kernel};
use crate::timing::PassTimer;

const BODY: &str = include_str!("../../shaders/matmul.wgsl");
/// Rows of the C tile of one workgroup; must match BM in shaders/matmul.wgsl.
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
    Variant {
        name: "tiled-f32",
        half: false,
    },
    Variant {
        name: "tiled-f16-f32acc",
        half: true,
    },
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
                config: "register-tiled, double-buffered".to_string(),
            });
        }
    }
    cases
}

/// One tunable configuration of the tiled kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Config {
    /// K depth of one staged slice.
    bk: u64,
    /// Columns of the C tile of one workgroup.
    bn: u64,
    /// Padding of the transposed A slice, in f32 values.
    apad: u64,
}

impl std::fmt::Display for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bn{}-bk{}-pad{}", self.bn, self.bk, self.apad)
    }
}

/// Candidates: 64-wide tiles suit skinny shapes (twice the workgroups), 128-wide ones the rest.
const CONFIGS: [Config; 4] = [
    Config {
        bk: 8,
        bn: 128,
        apad: 4,
    },
    Config {
        bk: 16,
        bn: 128,
        apad: 4,
    },
    Config {
        bk: 16,
        bn: 64,
        apad: 4,
    },
    Config {
        bk: 16,
        bn: 64,
        apad: 0,
    },
];

impl Config {
    /// Workgroup memory of the two staged slices, in bytes.
    fn workgroup_bytes(self) -> u64 {
        2 * self.bk * ((TILE + self.apad) + self.bn) * 4
    }
}

fn source(half: bool, cfg: Config) -> String {
    let t = if half { "f16" } else { "f32" };
    let header = format!(
        "alias IN = {t};\nconst BK: u32 = {}u;\nconst BN: u32 = {}u;\nconst APAD: u32 = {}u;",
        cfg.bk, cfg.bn, cfg.apad
    );
    unroll(&with_header(half, &header, BODY), "kk", cfg.bk)
}

pub fn sources() -> Vec<(String, String)> {
    VARIANTS
        .iter()
        .flat_map(|v| {
            CONFIGS
                .iter()
                .map(|&cfg| (format!("matmul-{}-{cfg}", v.name), source(v.half, cfg)))
        })
        .collect()
}

/// The reference value of C[row][col], in f64.
fn reference(a: &[f32], b: &[f32], n: usize, k: usize, row: usize, col: usize) -> f64 {
    (0..k)
        .map(|i| f64::from(a[row * k + i]) * f64::from(b[i * n + col]))
        .sum()
}

/// Relative Frobenius error of the elements `indices` of C against the reference.
fn error(got: &[f32], a: &[f32], b: &[f32], n: u64, k: u64, indices: &[u64]) -> f64 {
    let (mut diff, mut norm) = (0.0f64, 0.0f64);
    for &idx in indices {
        let (row, col) = ((idx / n) as usize, (idx % n) as usize);
        let want = reference(a, b, n as usize, k as usize, row, col);
        let g = f64::from(got[idx as usize]);
        diff += if g.is_finite() {
            (g - want).powi(2)
        } else {
            f64::INFINITY
        };
        norm += want * want;
    }
    if norm > 0.0 {
        (diff / norm).sqrt()
    } else {
        f64::INFINITY
    }
}

/// A `matmul` case with its inputs, buffers and tuned kernel, ready to time.
struct Matmul {
    kernel: Kernel,
    c: wgpu::Buffer,
    groups: (u32, u32, u32),
    /// The inputs as the device sees them (f16-rounded for f16), for the reference.
    a: Vec<f32>,
    b: Vec<f32>,
    dims: (u64, u64, u64),
    seed: u64,
    rng: Rng,
    tuning: String,
}

pub fn prepare(ctx: &Context, case: &Case) -> Result<Box<dyn Prepared>, CaseError> {
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
    let dims = ctx.uniform(
        "matmul dims",
        bytemuck::cast_slice(&[m as u32, n as u32, k as u32, 0]),
    )?;
    let groups = |cfg: Config| (n.div_ceil(cfg.bn) as u32, m.div_ceil(TILE) as u32, 1);
    let build = |cfg: Config| {
        ctx.kernel(
            &format!("matmul-{}-{cfg}", case.variant),
            &source(half, cfg),
            &[
                Binding::ReadOnly(&abuf),
                Binding::ReadOnly(&bbuf),
                Binding::ReadWrite(&c),
                Binding::Uniform(&dims),
            ],
        )
    };
    let limit = u64::from(ctx.report.limits.max_compute_workgroup_storage_size);
    let fitting: Vec<Config> = CONFIGS
        .into_iter()
        .filter(|c| c.workgroup_bytes() <= limit)
        .collect();
    // Candidates are compared on a small sample of C; the winner gets the full check.
    let probe = sample(m * n, 64, &mut rng);
    let timer = PassTimer::new(ctx)?;
    let (cfg, tuning) = tune::pick(&fitting, |&cfg| {
        let kernel = build(cfg)?;
        ctx.poison(&c, POISON)?;
        let t = timer.measure(&|pass| kernel.dispatch(pass, groups(cfg)), &tune::budget())?;
        let raw = ctx.read(&c, m * n * 4)?;
        let err = error(bytemuck::cast_slice(&raw), &a, &b, n, k, &probe);
        Ok(if err <= TOLERANCE {
            Ok(t.summary.median_ns)
        } else {
            Err(format!("error {err:.1e}"))
        })
    })?;
    let kernel = build(cfg)?;
    ctx.poison(&c, POISON)?;
    Ok(Box::new(Matmul {
        kernel,
        groups: groups(cfg),
        c,
        a,
        b,
        dims: (m, n, k),
        seed,
        rng,
        tuning,
    }))
}

impl Prepared for Matmul {
    fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        self.kernel.dispatch(pass, self.groups);
    }

    fn verify(&mut self, ctx: &Context) -> Result<Check, CaseError> {
        let (m, n, k) = self.dims;
        let raw = ctx.read(&self.c, m * n * 4)?;
        let max = if m * n * k <= FULL_CHECK_MACS {
            m * n
        } else {
            MAX_CHECKED
        };
        let checked = sample(m * n, max, &mut self.rng);
        Ok(Check::new(
            "relative Frobenius error over the checked elements of C",
            error(bytemuck::cast_slice(&raw), &self.a, &self.b, n, k, &checked),
            TOLERANCE,
            checked.len() as u64,
            m * n,
            self.seed,
        ))
    }

    fn tuned(&self) -> Option<String> {
        Some(self.tuning.clone())
    }
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
            assert!(
                shapes(scale)
                    .iter()
                    .any(|&(m, n, _)| m % TILE != 0 && n % TILE != 0)
            );
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
        let cases = plan(&Sizing {
            scale: Scale::Quick,
            max_binding: 1 << 30,
        });
        let c = cases
            .iter()
            .find(|c| c.variant == "tiled-f16-f32acc")
            .unwrap();
        let (m, n, k) = (c.dim("m"), c.dim("n"), c.dim("k"));
        assert_eq!(c.flops, (2 * m * n * k) as f64);
        assert_eq!(c.bytes, ((m * k + k * n) * 2 + m * n * 4) as f64);
    }

    #[test]
    fn error_catches_a_missing_k_slice_and_unwritten_elements() {
        let (m, n, k) = (4u64, 4u64, 64u64);
        let mut rng = Rng::new(9);
        let a = rng.f32s((m * k) as usize);
        let b = rng.f32s((k * n) as usize);
        let all: Vec<u64> = (0..m * n).collect();
        let exact: Vec<f32> = all
            .iter()
            .map(|&i| {
                reference(
                    &a,
                    &b,
                    n as usize,
                    k as usize,
                    (i / n) as usize,
                    (i % n) as usize,
                ) as f32
            })
            .collect();
        assert!(error(&exact, &a, &b, n, k, &all) < 1e-6);
        // The same product without the last 8 of 64 K steps.
        let short: Vec<f32> = all
            .iter()
            .map(|&i| {
                let (r, c) = ((i / n) as usize, (i % n) as usize);
                (0..56).map(|x| a[r * 64 + x] * b[x * 4 + c]).sum::<f32>()
            })
            .collect();
        assert!(error(&short, &a, &b, n, k, &all) > TOLERANCE);
        let mut poisoned = exact.clone();
        poisoned[5] = f32::from_bits(POISON);
        assert!(!error(&poisoned, &a, &b, n, k, &all).is_finite());
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

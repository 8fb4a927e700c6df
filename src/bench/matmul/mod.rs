//! `matmul`: C = A·B. Two kernel families share the shapes, inputs, tuner and check here:
//! - [`tiled`]: the vector units (no matrix units), so it runs on every adapter including
//!   lavapipe: `tiled-f32`, and `tiled-f16-f32acc` (f16 inputs widened to f32 in workgroup memory).
//! - [`coop`]: the matrix units (tensor cores) through WGSL cooperative matrices:
//!   `coop-f16-f32acc` and `coop-f16-f16acc`, where the adapter offers 16x16x16 configurations.
//!
//! Shapes: squares, an LLM projection (M=N=8192, K=2048 on a GPU), a skinny decode-like one
//! (M=16), and an odd shape that is not a multiple of any tile, so edge handling is checked on
//! every run. The check is the relative Frobenius error over the checked elements of C against
//! a CPU reference in f64 on the same (f16-rounded, for f16) inputs.

pub mod coop;
pub mod tiled;

use std::fmt::Display;

use super::data::{Rng, relative_error, sample};
use super::emulation;
use super::matrix::Matrix;
use super::tune::{self, TunedCase, Verify};
use super::{Build, Case, CaseError, Prepared, Scale, Sizing, Workload};
use crate::device::{Binding, Context, ShaderCode};
use crate::model::{Check, KernelFamily, Numeric, Precision, Unit};

pub static WORKLOAD: Workload = Workload {
    id: "matmul",
    plan,
    prepare,
    sources,
};

/// Below this many multiply-adds every element of C is checked; above, a sample.
const FULL_CHECK_MACS: u64 = 1 << 24;
const MAX_CHECKED: u64 = 2048;

/// A variant: its name, precision and kernel family.
struct Variant {
    name: &'static str,
    precision: Precision,
    family: KernelFamily,
}

const VARIANTS: [Variant; 4] = [
    Variant {
        name: "tiled-f32",
        precision: Precision::new(Numeric::F32, Numeric::F32),
        family: KernelFamily::Wgsl,
    },
    Variant {
        name: "tiled-f16-f32acc",
        precision: Precision::new(Numeric::F16, Numeric::F32),
        family: KernelFamily::Wgsl,
    },
    Variant {
        name: "coop-f16-f32acc",
        precision: Precision::new(Numeric::F16, Numeric::F32),
        family: KernelFamily::WgslCoop,
    },
    Variant {
        name: "coop-f16-f16acc",
        precision: Precision::new(Numeric::F16, Numeric::F16),
        family: KernelFamily::WgslCoop,
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
            let esize = v.precision.inputs.bytes();
            let csize = v.precision.accumulate.bytes();
            let coop = v.family == KernelFamily::WgslCoop;
            cases.push(Case {
                workload: &WORKLOAD,
                scale: sizing.scale,
                variant: v.name,
                precision: v.precision,
                unit: if coop { Unit::Matrix } else { Unit::Vector },
                family: v.family,
                shape: vec![("m", m), ("n", n), ("k", k)],
                flops: (2 * m * n * k) as f64,
                bytes: ((m * k + k * n) * esize + m * n * csize) as f64,
                config: if coop {
                    "cooperative matrices 16x16x16, workgroup-staged, double-buffered"
                } else {
                    "register-tiled, double-buffered"
                }
                .to_string(),
            });
        }
    }
    cases
}

fn prepare(ctx: &Context, case: &Case, build: Build) -> Result<Box<dyn Prepared>, CaseError> {
    match case.family {
        KernelFamily::WgslCoop => coop::prepare(ctx, case, build),
        KernelFamily::Wgsl => tiled::prepare(ctx, case),
        other => Err(CaseError::failed(format!("matmul has no {other} kernel"))),
    }
}

fn sources() -> Vec<(String, String)> {
    let mut all = tiled::sources();
    all.extend(coop::sources());
    all
}

/// Fresh random inputs in [-1, 1), rounded to f16 where the inputs are f16 so that the
/// reference multiplies exactly what the device reads.
struct Inputs {
    a: Vec<f32>,
    b: Vec<f32>,
    m: u64,
    n: u64,
    k: u64,
    seed: u64,
    rng: Rng,
}

impl Inputs {
    fn draw(case: &Case, half: bool) -> Self {
        let (m, n, k) = (case.dim("m"), case.dim("n"), case.dim("k"));
        let seed = Rng::fresh_seed();
        let mut rng = Rng::new(seed);
        let a = rng.values((m * k) as usize, half);
        let b = rng.values((k * n) as usize, half);
        Inputs {
            a,
            b,
            m,
            n,
            k,
            seed,
            rng,
        }
    }

    /// The reference value of C[row][col], in f64.
    fn reference(&self, row: usize, col: usize) -> f64 {
        let (n, k) = (self.n as usize, self.k as usize);
        (0..k)
            .map(|i| f64::from(self.a[row * k + i]) * f64::from(self.b[i * n + col]))
            .sum()
    }

    /// Relative Frobenius error of the elements `at` (row, column) of C, as `got` reads them.
    fn error(&self, got: impl Fn(u64, u64) -> f32, at: &[(u64, u64)]) -> f64 {
        relative_error(at.iter().map(|&(row, col)| {
            (
                f64::from(got(row, col)),
                self.reference(row as usize, col as usize),
            )
        }))
    }
}

/// The check of a matmul of either family: inputs, output and tolerance.
struct Matmul {
    inputs: Inputs,
    out: Matrix,
    tolerance: f64,
}

/// A tunable kernel configuration of either family.
trait KernelConfig: Copy + Display {
    /// Workgroup memory the kernel declares, in bytes.
    fn workgroup_bytes(self) -> u64;
    /// The kernel's code and the grid for a problem of m x n (unpadded) outputs.
    fn kernel(self, m: u64, n: u64) -> (ShaderCode, (u32, u32, u32));
}

/// The device side of a case: A, B, their dimensions as the kernel sees them, and C.
struct Operands {
    a: wgpu::Buffer,
    b: wgpu::Buffer,
    /// m, n, k as the kernel's uniform (padded sizes, where the family pads).
    dims: [u32; 4],
    out: Matrix,
}

/// Tunes over the `configs` that fit the adapter's workgroup memory on the case's own data,
/// comparing them on a small sample of C, and returns the winner ready to time.
fn tuned<C: KernelConfig>(
    ctx: &Context,
    case: &Case,
    mut inputs: Inputs,
    ops: Operands,
    tolerance: f64,
    configs: &[C],
    build: Build,
) -> Result<Box<dyn Prepared>, CaseError> {
    let configs = tune::fitting(ctx, configs, |c| {
        c.workgroup_bytes() + emulation::extra_bytes(build, coop::SUBGROUPS)
    });
    let dims = ctx.uniform("matmul dims", bytemuck::cast_slice(&ops.dims))?;
    let out = ops.out;
    // Candidates are compared on a few elements of the first, the last and a random row, read
    // back alone; the winner's output gets the full check.
    let (m, n) = (inputs.m, inputs.n);
    let mut rows = vec![0, m - 1, inputs.rng.below(m)];
    rows.dedup();
    let probe: Vec<(u64, u64)> = rows
        .iter()
        .flat_map(|&r| [0, n - 1].into_iter().map(move |c| (r, c)))
        .chain((0..48).map(|i| (rows[i % rows.len()], inputs.rng.below(n))))
        .collect();
    let tuned = tune::search(
        ctx,
        case.scale,
        &configs,
        |cfg| {
            let (code, groups) = cfg.kernel(inputs.m, inputs.n);
            let kernel = ctx.kernel(
                &format!("matmul-{}-{cfg}", case.variant),
                &build.code(code),
                &[
                    Binding::ReadOnly(&ops.a),
                    Binding::ReadOnly(&ops.b),
                    Binding::ReadWrite(&out.buf),
                    Binding::Uniform(&dims),
                ],
            )?;
            out.poison(ctx)?;
            Ok((kernel, groups))
        },
        || {
            let mut read = Vec::with_capacity(rows.len());
            for &r in &rows {
                read.push((r, out.read(ctx, r, 1)?));
            }
            let got = |r: u64, c: u64| {
                read.iter()
                    .find(|(row, _)| *row == r)
                    .map_or(f32::NAN, |(_, v)| v[c as usize])
            };
            let err = inputs.error(got, &probe);
            Ok(tune::within(err, tolerance))
        },
    )?;
    out.poison(ctx)?;
    Ok(Box::new(TunedCase {
        kernel: tuned,
        check: Matmul {
            inputs,
            out,
            tolerance,
        },
    }))
}

impl Verify for Matmul {
    fn verify(&mut self, ctx: &Context) -> Result<Check, CaseError> {
        let (m, n, k) = (self.inputs.m, self.inputs.n, self.inputs.k);
        let got = self.out.read(ctx, 0, m)?;
        let max = if m * n * k <= FULL_CHECK_MACS {
            m * n
        } else {
            MAX_CHECKED
        };
        let checked: Vec<(u64, u64)> = sample(m * n, max, &mut self.inputs.rng)
            .into_iter()
            .map(|i| (i / n, i % n))
            .collect();
        let stride = self.out.stride;
        Ok(Check::new(
            "relative Frobenius error over the checked elements of C",
            self.inputs
                .error(|r, c| got[(r * stride + c) as usize], &checked),
            self.tolerance,
            checked.len() as u64,
            m * n,
            self.inputs.seed,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::data::POISON;

    fn inputs(m: u64, n: u64, k: u64) -> Inputs {
        let mut rng = Rng::new(9);
        Inputs {
            a: rng.f32s((m * k) as usize),
            b: rng.f32s((k * n) as usize),
            m,
            n,
            k,
            seed: 9,
            rng,
        }
    }

    #[test]
    fn shapes_keep_rows_whole_vec4s() {
        for scale in [Scale::Quick, Scale::Cpu, Scale::Gpu] {
            for (m, n, k) in shapes(scale) {
                assert!(m > 0 && n % 4 == 0 && k % 4 == 0, "{m}x{n}x{k}");
            }
            // Every scale checks a shape that is not a multiple of any tile.
            assert!(
                shapes(scale)
                    .iter()
                    .any(|&(m, n, _)| m % 16 != 0 && n % 16 != 0)
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
        let h = cases
            .iter()
            .find(|c| c.variant == "coop-f16-f16acc")
            .unwrap();
        assert_eq!(h.bytes, ((m * k + k * n) * 2 + m * n * 2) as f64);
    }

    #[test]
    fn reference_is_a_dot_product() {
        // A = [[1,2],[3,4]], B = [[5,6],[7,8]]: C = [[19,22],[43,50]].
        let mut x = inputs(2, 2, 2);
        x.a = vec![1.0, 2.0, 3.0, 4.0];
        x.b = vec![5.0, 6.0, 7.0, 8.0];
        assert_eq!(x.reference(0, 0), 19.0);
        assert_eq!(x.reference(1, 1), 50.0);
    }

    #[test]
    fn error_catches_a_missing_k_slice_and_unwritten_elements() {
        let x = inputs(4, 4, 64);
        let all: Vec<(u64, u64)> = (0..16).map(|i| (i / 4, i % 4)).collect();
        let exact: Vec<f32> = all
            .iter()
            .map(|&(r, c)| x.reference(r as usize, c as usize) as f32)
            .collect();
        let dense = |v: &[f32]| {
            let v = v.to_vec();
            move |r: u64, c: u64| v[(r * 4 + c) as usize]
        };
        assert!(x.error(dense(&exact), &all) < 1e-6);
        // The same product without the last 8 of 64 K steps.
        let short: Vec<f32> = all
            .iter()
            .map(|&(r, c)| {
                let (r, c) = (r as usize, c as usize);
                (0..56)
                    .map(|s| x.a[r * 64 + s] * x.b[s * 4 + c])
                    .sum::<f32>()
            })
            .collect();
        assert!(x.error(dense(&short), &all) > 1e-4);
        let mut poisoned = exact.clone();
        poisoned[5] = f32::from_bits(POISON);
        assert!(!x.error(dense(&poisoned), &all).is_finite());
    }
}

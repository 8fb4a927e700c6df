//! `gemv`: y = A x, the matrix-vector product that a decode step's MLP and projections are made
//! of. It reads A once and does two FLOPs per element, so, like decode, it is bound by memory
//! bandwidth and reported in GB/s beside the measured copy bandwidth. f16 (packed halves, no
//! SHADER_F16 needed) and f32, with f32 accumulation, tuned over rows per workgroup. The check
//! computes sampled rows of y on the CPU in f64 from the same values.

use std::fmt;

use super::data::{POISON, Rng, relative_error, sample};
use super::tune::{self, TunedCase, Verify};
use super::{Build, Case, CaseError, Prepared, Scale, Sizing, Workload, fits, grid};
use crate::device::{Binding, Context, ShaderCode};
use crate::model::{Check, KernelFamily, Numeric, Precision, Unit};

pub static WORKLOAD: Workload = Workload {
    id: "gemv",
    plan,
    prepare,
    sources,
};

const BODY: &str = include_str!("../../shaders/gemv.wgsl");
/// Rows of y checked on the CPU.
const MAX_CHECKED_ROWS: u64 = 2048;
/// Relative Frobenius error allowed: products of f16 or f32 values summed in f32. One 16-byte
/// load left out of a 8192-long row gives about 3e-2.
const TOLERANCE: f64 = crate::model::tolerance::GEMV;

/// (M, K) per scale; the GPU ones are a 70B-class model's MLP up and down projections (hidden
/// 8192, intermediate 28672). K is a multiple of 8 (whole 16-byte loads in f16).
fn shapes(scale: Scale) -> Vec<(u64, u64)> {
    match scale {
        Scale::Quick => vec![(256, 1024), (100, 264)],
        Scale::Cpu => vec![(2048, 4096), (999, 2056)],
        Scale::Gpu => vec![(28672, 8192), (8192, 28672)],
    }
}

/// (variant, input format) pairs; accumulation is f32.
const VARIANTS: [(&str, Numeric); 2] = [("gemv-f16", Numeric::F16), ("gemv-f32", Numeric::F32)];

fn plan(sizing: &Sizing) -> Vec<Case> {
    let mut cases = Vec::new();
    for (variant, inputs) in VARIANTS {
        for (m, k) in shapes(sizing.scale) {
            let esize = inputs.bytes();
            cases.push(Case {
                workload: &WORKLOAD,
                scale: sizing.scale,
                variant,
                precision: Precision::new(inputs, Numeric::F32),
                unit: Unit::Vector,
                family: KernelFamily::Wgsl,
                shape: vec![("m", m), ("k", k)],
                flops: (2 * m * k) as f64,
                bytes: ((m * k + k) * esize + m * 4) as f64,
                config: "256 invocations stride along rows, tree sum in workgroup memory"
                    .to_string(),
            });
        }
    }
    cases
}

/// One configuration: precision and rows of A per workgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Config {
    half: bool,
    rows: u64,
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rows{}", self.rows)
    }
}

impl Config {
    /// Elements per 16-byte load.
    fn per_load(self) -> u64 {
        if self.half { 8 } else { 4 }
    }

    fn source(self) -> String {
        let header = if self.half {
            "alias AV = vec4<u32>;\nfn dotv(a: AV, x: AV) -> f32 {\n    \
             return dot(unpack2x16float(a.x), unpack2x16float(x.x))\n        \
             + dot(unpack2x16float(a.y), unpack2x16float(x.y))\n        \
             + dot(unpack2x16float(a.z), unpack2x16float(x.z))\n        \
             + dot(unpack2x16float(a.w), unpack2x16float(x.w));\n}"
        } else {
            "alias AV = vec4<f32>;\nfn dotv(a: AV, x: AV) -> f32 {\n    return dot(a, x);\n}"
        };
        let header = format!("{header}\nconst ROWS: u32 = {}u;", self.rows);
        super::unroll(&super::with_header(false, &header, BODY), "r", self.rows)
    }
}

const ROWS: [u64; 3] = [2, 4, 8];

fn sources() -> Vec<(String, String)> {
    VARIANTS
        .iter()
        .flat_map(|&(variant, inputs)| {
            ROWS.map(|rows| {
                let cfg = Config {
                    half: inputs.is_half(),
                    rows,
                };
                (format!("{variant}-{cfg}"), cfg.source())
            })
        })
        .collect()
}

/// The check: A and x on the host as f32 (rounded to f16 for f16), and y on the device.
struct Gemv {
    a: Vec<f32>,
    x: Vec<f32>,
    y: wgpu::Buffer,
    m: u64,
    k: u64,
    seed: u64,
    rng: Rng,
}

impl Gemv {
    fn reference(a: &[f32], x: &[f32], k: u64, row: u64) -> f64 {
        let k = k as usize;
        a[row as usize * k..][..k]
            .iter()
            .zip(x)
            .map(|(&p, &q)| f64::from(p) * f64::from(q))
            .sum()
    }
}

fn prepare(ctx: &Context, case: &Case, _: Build) -> Result<Box<dyn Prepared>, CaseError> {
    let half = case.precision.inputs.is_half();
    let (m, k) = (case.dim("m"), case.dim("k"));
    let esize = case.precision.inputs.bytes();
    fits(ctx, m * k * esize)?;
    let seed = Rng::fresh_seed();
    let mut rng = Rng::new(seed);
    let a = rng.values((m * k) as usize, half);
    let x = rng.values(k as usize, half);
    let a_buf = super::matrix::upload(ctx, "gemv a", &a, half)?;
    let x_buf = super::matrix::upload(ctx, "gemv x", &x, half)?;
    let y = ctx.storage("gemv y", m * 4)?;
    let configs = ROWS.map(|rows| Config { half, rows });
    let dims = ctx.uniform(
        "gemv dims",
        bytemuck::cast_slice(&[m as u32, (k / configs[0].per_load()) as u32, 0, 0]),
    )?;
    let max_dim = ctx.info.limits.max_compute_workgroups_per_dimension;
    let probe: Vec<u64> = [0, m - 1, rng.below(m), rng.below(m)].to_vec();
    let tuned = tune::search(
        ctx,
        case.scale,
        &configs,
        |cfg| {
            let kernel = ctx.kernel(
                &format!("gemv-{}-{cfg}", case.variant),
                &ShaderCode::Wgsl(cfg.source()),
                &[
                    Binding::ReadOnly(&a_buf),
                    Binding::ReadOnly(&x_buf),
                    Binding::ReadWrite(&y),
                    Binding::Uniform(&dims),
                ],
            )?;
            ctx.poison(&y, POISON)?;
            Ok((kernel, grid(m.div_ceil(cfg.rows), max_dim)))
        },
        || {
            let raw = ctx.read(&y, m * 4)?;
            let got: &[f32] = bytemuck::cast_slice(&raw);
            let err = relative_error(
                probe
                    .iter()
                    .map(|&r| (f64::from(got[r as usize]), Gemv::reference(&a, &x, k, r))),
            );
            Ok(tune::within(err, TOLERANCE))
        },
    )?;
    ctx.poison(&y, POISON)?;
    Ok(Box::new(TunedCase {
        kernel: tuned,
        check: Gemv {
            a,
            x,
            y,
            m,
            k,
            seed,
            rng,
        },
    }))
}

impl Verify for Gemv {
    fn verify(&mut self, ctx: &Context) -> Result<Check, CaseError> {
        let raw = ctx.read(&self.y, self.m * 4)?;
        let got: &[f32] = bytemuck::cast_slice(&raw);
        let rows = sample(self.m, MAX_CHECKED_ROWS, &mut self.rng);
        let error = relative_error(rows.iter().map(|&r| {
            (
                f64::from(got[r as usize]),
                Gemv::reference(&self.a, &self.x, self.k, r),
            )
        }));
        Ok(Check::new(
            "relative Frobenius error over the checked elements of y",
            error,
            TOLERANCE,
            rows.len() as u64,
            self.m,
            self.seed,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_whole_loads_and_the_figure_is_bandwidth() {
        for scale in [Scale::Quick, Scale::Cpu, Scale::Gpu] {
            for (_, k) in shapes(scale) {
                assert!(k.is_multiple_of(8), "{k}");
            }
            // Every scale has a row count that no rows-per-workgroup divides.
            assert!(shapes(scale).iter().any(|&(m, _)| m % 8 != 0) || scale == Scale::Gpu);
        }
        for c in plan(&Sizing {
            scale: Scale::Gpu,
            max_binding: 1 << 31,
        }) {
            assert!(
                crate::model::bandwidth_bound(c.flops, c.bytes),
                "{}",
                c.variant
            );
        }
    }

    #[test]
    fn reference_is_a_dot_product() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(
            Gemv::reference(&a, &[1.0, 0.5, 2.0], 3, 1),
            4.0 + 2.5 + 12.0
        );
    }
}

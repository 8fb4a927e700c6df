//! `attention`: the forward pass of scaled dot-product attention, O = softmax(Q K^T / sqrt(D)) V,
//! flash-attention style (tiled, online softmax, the N x N scores never in device memory), the
//! other half of transformer compute besides matmul. Two kernel families share the shapes,
//! inputs, tuner and check here:
//! - [`flash`]: the vector units, on every adapter: `flash-f32`, and `flash-f16-f32acc` (f16
//!   Q, K, V and O; softmax and accumulation in f32).
//! - [`coop`]: Q K^T and P V on the matrix units through cooperative matrices:
//!   `coop-f16-f32acc`, where the adapter offers 16x16x16 f16 -> f32.
//!
//! Every variant runs non-causal and causal (`causal` in the shape), at head dims 64 and 128.
//! FLOPs follow the FlashAttention convention, 4·B·H·N²·D, halved for causal masks. The check
//! computes rows of O on the CPU in f64 from the same (f16-rounded, for f16) inputs: every row
//! on small shapes, the first, last and random rows on big ones.

pub mod coop;
pub mod flash;

use std::fmt::Display;

use super::data::{Rng, relative_error, sample};
use super::emulation;
use super::matrix::{Matrix, upload};
use super::tune::{self, TunedCase, Verify};
use super::{Build, Case, CaseError, Prepared, Scale, Sizing, Workload, fits};
use crate::device::{Binding, Context, GpuError, ShaderCode};
use crate::model::{Check, KernelFamily, Numeric, Precision, Unit};

pub static WORKLOAD: Workload = Workload {
    id: "attention",
    plan,
    prepare,
    sources,
};

/// The uniform, Q/K/V bindings and K/V reads both kernel families share.
const IO: &str = include_str!("../../../shaders/attention_io.wgsl");

/// A kernel body with the shared attention prelude before it.
fn with_io(body: &str) -> String {
    format!("{IO}\n{body}")
}

/// Below this many multiply-adds (of the non-causal product) every row of O is checked.
const FULL_CHECK_MACS: u64 = 1 << 26;
/// Rows checked on big shapes.
const MAX_CHECKED_ROWS: u64 = 256;

/// A variant: its name, input format (softmax and accumulation are f32) and family.
struct Variant {
    name: &'static str,
    inputs: Numeric,
    family: KernelFamily,
}

const VARIANTS: [Variant; 3] = [
    Variant {
        name: "flash-f32",
        inputs: Numeric::F32,
        family: KernelFamily::Wgsl,
    },
    Variant {
        name: "flash-f16-f32acc",
        inputs: Numeric::F16,
        family: KernelFamily::Wgsl,
    },
    Variant {
        name: "coop-f16-f32acc",
        inputs: Numeric::F16,
        family: KernelFamily::WgslCoop,
    },
];

/// (batch, heads, seq, head_dim) per scale. The GPU shapes are the vendor reference's two
/// (benches/vendor_reference.py) and a long sequence; the small ones include a sequence length
/// that is no multiple of any tile.
fn shapes(scale: Scale) -> Vec<(u64, u64, u64, u64)> {
    match scale {
        Scale::Quick => vec![(1, 2, 128, 64), (1, 2, 100, 128)],
        Scale::Cpu => vec![(1, 2, 512, 64), (1, 2, 256, 128), (1, 2, 300, 128)],
        Scale::Gpu => vec![(4, 16, 4096, 128), (4, 32, 2048, 64), (1, 16, 16384, 128)],
    }
}

/// FLOPs of one forward pass: 4·B·H·N²·D, halved for a causal mask.
fn flops(b: u64, h: u64, n: u64, d: u64, causal: bool) -> f64 {
    let full = (4 * b * h * n * n * d) as f64;
    if causal { full / 2.0 } else { full }
}

pub fn plan(sizing: &Sizing) -> Vec<Case> {
    let mut cases = Vec::new();
    for v in &VARIANTS {
        for (b, h, n, d) in shapes(sizing.scale) {
            for causal in [false, true] {
                let esize = v.inputs.bytes();
                let coop = v.family == KernelFamily::WgslCoop;
                cases.push(Case {
                    workload: &WORKLOAD,
                    scale: sizing.scale,
                    variant: v.name,
                    precision: Precision::new(v.inputs, Numeric::F32),
                    unit: if coop { Unit::Matrix } else { Unit::Vector },
                    family: v.family,
                    shape: vec![
                        ("batch", b),
                        ("heads", h),
                        ("seq", n),
                        ("head_dim", d),
                        ("causal", u64::from(causal)),
                    ],
                    flops: flops(b, h, n, d, causal),
                    // Q, K and V read once, O written once.
                    bytes: (4 * b * h * n * d * esize) as f64,
                    config: if coop {
                        "cooperative matrices 16x16x16 for Q K^T and P V, softmax in workgroup memory"
                    } else {
                        "vector units, Q tile in workgroup memory, O in registers"
                    }
                    .to_string(),
                });
            }
        }
    }
    cases
}

fn prepare(ctx: &Context, case: &Case, build: Build) -> Result<Box<dyn Prepared>, CaseError> {
    // Before any input is drawn: Q, K, V and O are one binding each.
    let esize = case.precision.inputs.bytes();
    let elements = case.dim("batch") * case.dim("heads") * case.dim("seq") * case.dim("head_dim");
    fits(ctx, elements * esize)?;
    match case.family {
        KernelFamily::WgslCoop => coop::prepare(ctx, case, build),
        KernelFamily::Wgsl => flash::prepare(ctx, case),
        other => Err(CaseError::failed(format!(
            "attention has no {other} kernel"
        ))),
    }
}

fn sources() -> Vec<(String, String)> {
    let mut all = flash::sources();
    all.extend(coop::sources());
    all
}

/// The problem and its fresh random inputs in [-1, 1), rounded to f16 where the inputs are
/// f16 so that the reference uses exactly what the device reads. Layout [B·H][N][D].
struct Inputs {
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    heads: u64,
    n: u64,
    d: u64,
    causal: bool,
    seed: u64,
    rng: Rng,
}

impl Inputs {
    fn draw(case: &Case, half: bool) -> Self {
        let heads = case.dim("batch") * case.dim("heads");
        let (n, d) = (case.dim("seq"), case.dim("head_dim"));
        let seed = Rng::fresh_seed();
        let mut rng = Rng::new(seed);
        let len = (heads * n * d) as usize;
        let (q, k, v) = (
            rng.values(len, half),
            rng.values(len, half),
            rng.values(len, half),
        );
        Inputs {
            q,
            k,
            v,
            heads,
            n,
            d,
            causal: case.dim("causal") == 1,
            seed,
            rng,
        }
    }

    /// log2(e) / sqrt(D), the kernels' score scale (they use exp2).
    fn scale(&self) -> f32 {
        std::f32::consts::LOG2_E / (self.d as f32).sqrt()
    }

    /// The uniform every attention kernel reads: sequence length and score scale.
    fn dims(&self) -> [u32; 4] {
        [self.n as u32, 0, self.scale().to_bits(), 0]
    }

    /// Row `row` of O for head `head`, in f64.
    fn reference(&self, head: u64, row: u64) -> Vec<f64> {
        let keys = if self.causal { row + 1 } else { self.n };
        self.attend(head, row, keys as usize)
    }

    /// Row `row` of O for head `head` attending to the first `keys` keys, in f64.
    fn attend(&self, head: u64, row: u64, keys: usize) -> Vec<f64> {
        let (n, d) = (self.n as usize, self.d as usize);
        let base = head as usize * n * d;
        reference_row(
            &self.q[base + row as usize * d..][..d],
            &self.k[base..][..keys * d],
            &self.v[base..][..keys * d],
        )
    }

    /// Relative Frobenius error of the rows `at` ((head, row) pairs) of O, as `got` reads them
    /// (one row of D values at a time).
    fn error(&self, got: impl Fn(u64, u64) -> Vec<f32>, at: &[(u64, u64)]) -> f64 {
        relative_error(at.iter().flat_map(|&(head, row)| {
            got(head, row)
                .into_iter()
                .map(f64::from)
                .zip(self.reference(head, row))
        }))
    }

    /// Uploads Q, K and V as f32 or f16.
    fn upload(&self, ctx: &Context, half: bool) -> Result<[wgpu::Buffer; 3], GpuError> {
        Ok([
            upload(ctx, "attention q", &self.q, half)?,
            upload(ctx, "attention k", &self.k, half)?,
            upload(ctx, "attention v", &self.v, half)?,
        ])
    }
}

/// One row of softmax(q K^T / sqrt(D)) V in f64, for a query `q` of D values and the keys and
/// values `k`, `v` (rows of D, as many as attended): the CPU reference of attention and decode.
pub(crate) fn reference_row<T: Copy + Into<f64>>(q: &[T], k: &[T], v: &[T]) -> Vec<f64> {
    let d = q.len();
    let scale = 1.0 / (d as f64).sqrt();
    let scores: Vec<f64> = k
        .chunks_exact(d)
        .map(|kr| {
            q.iter()
                .zip(kr)
                .map(|(&a, &b)| a.into() * b.into())
                .sum::<f64>()
                * scale
        })
        .collect();
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut out = vec![0.0f64; d];
    let mut total = 0.0;
    for (s, vr) in scores.iter().zip(v.chunks_exact(d)) {
        let p = (s - max).exp();
        total += p;
        for (o, &x) in out.iter_mut().zip(vr) {
            *o += p * x.into();
        }
    }
    out.iter().map(|o| o / total).collect()
}

/// A kernel configuration of either family.
trait KernelConfig: Copy + Display {
    /// Workgroup memory the kernel declares, in bytes.
    fn workgroup_bytes(self) -> u64;
    /// Query rows one workgroup owns.
    fn rows(self) -> u64;
    /// Subgroups of 32 per workgroup the kernel is written for (matrix kernels only).
    fn subgroups(self) -> u64;
    /// The complete WGSL source.
    fn source(self) -> String;
}

/// The check of an attention case: inputs, output and tolerance.
struct Attention {
    inputs: Inputs,
    out: Matrix,
    tolerance: f64,
}

/// Tunes over the `configs` that fit the adapter's workgroup memory, comparing them on the
/// first, last and a random row of the first and last head, and returns the winner ready to time.
fn tuned<C: KernelConfig>(
    ctx: &Context,
    case: &Case,
    mut inputs: Inputs,
    half_out: bool,
    tolerance: f64,
    configs: &[C],
    build: Build,
) -> Result<Box<dyn Prepared>, CaseError> {
    let configs = tune::fitting(ctx, configs, |c| {
        c.workgroup_bytes() + emulation::extra_bytes(build, c.subgroups())
    });
    let half_in = case.precision.inputs.is_half();
    let (heads, n, d) = (inputs.heads, inputs.n, inputs.d);
    let [q, k, v] = inputs.upload(ctx, half_in)?;
    let dims = ctx.uniform("attention dims", bytemuck::cast_slice(&inputs.dims()))?;
    let out = Matrix::new(ctx, "attention o", heads * n, d, half_out)?;
    let max_dim = ctx.info.limits.max_compute_workgroups_per_dimension;
    if heads > u64::from(max_dim) {
        return Err(CaseError::Unsupported(format!(
            "{heads} heads exceed {max_dim} workgroups per dimension"
        )));
    }
    let probe: Vec<(u64, u64)> = [0, heads - 1]
        .into_iter()
        .flat_map(|h| [0, n - 1, inputs.rng.below(n)].map(|r| (h, r)))
        .collect();
    let tuned = tune::search(
        ctx,
        case.scale,
        &configs,
        |cfg| {
            let kernel = ctx.kernel(
                &format!("attention-{}-{cfg}", case.variant),
                &build.code(ShaderCode::Wgsl(cfg.source())),
                &[
                    Binding::ReadOnly(&q),
                    Binding::ReadOnly(&k),
                    Binding::ReadOnly(&v),
                    Binding::ReadWrite(&out.buf),
                    Binding::Uniform(&dims),
                ],
            )?;
            out.poison(ctx)?;
            Ok((kernel, (n.div_ceil(cfg.rows()) as u32, heads as u32, 1)))
        },
        || {
            let mut rows = Vec::with_capacity(probe.len());
            for &(h, r) in &probe {
                rows.push(((h, r), out.read(ctx, h * n + r, 1)?));
            }
            let got = |h: u64, r: u64| {
                rows.iter()
                    .find(|(at, _)| *at == (h, r))
                    .map_or_else(|| vec![f32::NAN; d as usize], |(_, v)| v.clone())
            };
            let err = inputs.error(got, &probe);
            Ok(tune::within(err, tolerance))
        },
    )?;
    out.poison(ctx)?;
    Ok(Box::new(TunedCase {
        kernel: tuned,
        check: Attention {
            inputs,
            out,
            tolerance,
        },
    }))
}

impl Verify for Attention {
    fn verify(&mut self, ctx: &Context) -> Result<Check, CaseError> {
        let (heads, n, d) = (self.inputs.heads, self.inputs.n, self.inputs.d);
        let rows = heads * n;
        let got = self.out.read(ctx, 0, rows)?;
        let max = if rows * n * d <= FULL_CHECK_MACS {
            rows
        } else {
            MAX_CHECKED_ROWS
        };
        let checked: Vec<(u64, u64)> = sample(rows, max, &mut self.inputs.rng)
            .into_iter()
            .map(|i| (i / n, i % n))
            .collect();
        let row = |h: u64, r: u64| {
            let at = ((h * n + r) * d) as usize;
            got[at..at + d as usize].to_vec()
        };
        Ok(Check::new(
            "relative Frobenius error over the checked rows of O",
            self.inputs.error(row, &checked),
            self.tolerance,
            checked.len() as u64 * d,
            rows * d,
            self.inputs.seed,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::data::POISON;

    fn inputs(heads: u64, n: u64, d: u64, causal: bool) -> Inputs {
        let mut rng = Rng::new(5);
        let len = (heads * n * d) as usize;
        Inputs {
            q: rng.f32s(len),
            k: rng.f32s(len),
            v: rng.f32s(len),
            heads,
            n,
            d,
            causal,
            seed: 5,
            rng,
        }
    }

    #[test]
    fn flops_follow_the_flash_attention_convention() {
        assert_eq!(
            flops(4, 16, 4096, 128, false),
            4.0 * 64.0 * 4096.0 * 4096.0 * 128.0
        );
        assert_eq!(
            flops(4, 16, 4096, 128, true),
            flops(4, 16, 4096, 128, false) / 2.0
        );
        let cases = plan(&Sizing {
            scale: Scale::Gpu,
            max_binding: 1 << 31,
        });
        // Both masks of every shape, both head dims, and the vendor reference's shapes.
        assert_eq!(cases.len(), VARIANTS.len() * 3 * 2);
        for d in [64, 128] {
            assert!(cases.iter().any(|c| c.dim("head_dim") == d));
        }
        assert!(cases.iter().any(|c| c.dim("seq") == 16384));
        assert!(cases.iter().any(|c| c.shape_label()
            == "batch=4 heads=16 seq=4096 head_dim=128 causal=0"
            && c.variant == "flash-f16-f32acc"));
    }

    #[test]
    fn small_shapes_include_a_ragged_sequence() {
        for scale in [Scale::Quick, Scale::Cpu] {
            assert!(shapes(scale).iter().any(|&(_, _, n, _)| n % 16 != 0));
        }
    }

    #[test]
    fn reference_matches_a_hand_computed_softmax() {
        // Two keys, D = 1: scores q*k/1 = [1, 0] -> weights e/(e+1), 1/(e+1).
        let x = Inputs {
            q: vec![1.0, 0.5],
            k: vec![1.0, 0.0],
            v: vec![2.0, -1.0],
            heads: 1,
            n: 2,
            d: 1,
            causal: false,
            seed: 0,
            rng: Rng::new(0),
        };
        let e = std::f64::consts::E;
        let want = (2.0 * e - 1.0) / (e + 1.0);
        assert!((x.reference(0, 0)[0] - want).abs() < 1e-12);
        // Causal: the first row sees only the first key.
        let c = Inputs { causal: true, ..x };
        assert_eq!(c.reference(0, 0), vec![2.0]);
    }

    #[test]
    fn error_catches_a_missing_mask_a_dropped_tile_and_poison() {
        let x = inputs(2, 64, 16, true);
        let all: Vec<(u64, u64)> = (0..2).flat_map(|h| (0..64).map(move |r| (h, r))).collect();
        let exact = |h: u64, r: u64| x.reference(h, r).iter().map(|&v| v as f32).collect();
        assert!(x.error(exact, &all) < 1e-6);
        // The same attention without the causal mask.
        let open = Inputs {
            causal: false,
            q: x.q.clone(),
            k: x.k.clone(),
            v: x.v.clone(),
            rng: Rng::new(0),
            ..x
        };
        let unmasked = |h: u64, r: u64| open.reference(h, r).iter().map(|&v| v as f32).collect();
        assert!(x.error(unmasked, &all) > 1e-2);
        // Non-causal, with the last 16 of 64 keys dropped.
        let dropped = |h: u64, r: u64| open.attend(h, r, 48).iter().map(|&v| v as f32).collect();
        assert!(open.error(dropped, &all) > 1e-3);
        let poisoned = |h: u64, r: u64| {
            let mut v: Vec<f32> = x.reference(h, r).iter().map(|&v| v as f32).collect();
            if (h, r) == (1, 7) {
                v[3] = f32::from_bits(POISON);
            }
            v
        };
        assert!(!x.error(poisoned, &all).is_finite());
    }
}

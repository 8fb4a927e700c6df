//! `decode`: attention for one new token per sequence against a long f16 KV cache, the inner
//! loop of LLM serving. Bound by memory bandwidth, not FLOPs, so the figure is GB/s of KV cache
//! read (reports set it beside the device's measured copy bandwidth).
//!
//! Two kernels per iteration: shaders/decode.wgsl splits the cache into chunks of 256 keys (one
//! workgroup each, so even a few sequences fill the GPU) and shaders/decode_combine.wgsl merges
//! the chunks. The cache can exceed one storage binding (B=16, H=32, 32768 keys, D=128 is 4 GiB
//! each for K and V), so it is held in groups of whole sequences, one binding and dispatch each.
//! The cache is drawn one sequence at a time and only the heads the check will recompute stay
//! on the host, so host memory stays far below the cache size. The check computes O for that
//! sample of heads on the CPU in f64 from the same f16 values.

use half::f16;

use super::attention::reference_row;
use super::data::{POISON, Rng, relative_error, sample};
use super::{Build, Case, CaseError, Prepared, Scale, Sizing, Workload, unroll, with_header};
use crate::device::{Binding, Context, Kernel, ShaderCode};
use crate::model::{Check, KernelFamily, Numeric, Precision, Unit};

pub static WORKLOAD: Workload = Workload {
    id: "decode",
    plan,
    prepare,
    sources,
};

const BODY: &str = include_str!("../../shaders/decode.wgsl");
const COMBINE: &str = include_str!("../../shaders/decode_combine.wgsl");
/// Keys per workgroup; must match C in shaders/decode.wgsl.
const CHUNK: u64 = 256;
const HEAD_DIM: u64 = 128;
/// Heads whose output is checked on the CPU.
const MAX_CHECKED_HEADS: u64 = 32;
/// Relative Frobenius error allowed (f32 arithmetic on exact f16 inputs). A chunk of 256 keys
/// left out of 8192 gives about 2e-1.
const TOLERANCE: f64 = crate::model::tolerance::DECODE;

/// (batch, heads, kv_len) per scale; the GPU ones are a 2k-token serving batch at 8k and 32k
/// context with 32 heads of 128 (Llama-class attention without grouped KV).
fn shapes(scale: Scale) -> Vec<(u64, u64, u64)> {
    match scale {
        Scale::Quick => vec![(2, 4, 512), (1, 3, 1280)],
        Scale::Cpu => vec![(4, 8, 2048), (2, 8, 8192)],
        Scale::Gpu => vec![(16, 32, 8192), (16, 32, 32768)],
    }
}

fn plan(sizing: &Sizing) -> Vec<Case> {
    shapes(sizing.scale)
        .into_iter()
        .map(|(b, h, l)| Case {
            workload: &WORKLOAD,
            scale: sizing.scale,
            variant: "split-kv-f16",
            precision: Precision::new(Numeric::F16, Numeric::F32),
            unit: Unit::Vector,
            family: KernelFamily::Wgsl,
            shape: vec![
                ("batch", b),
                ("heads", h),
                ("kv_len", l),
                ("head_dim", HEAD_DIM),
            ],
            // Q K^T and P V for one query row.
            flops: (4 * b * h * l * HEAD_DIM) as f64,
            // The K and V caches, read once.
            bytes: (2 * b * h * l * HEAD_DIM * 2) as f64,
            config: format!(
                "{CHUNK} keys per workgroup, chunks merged by a second kernel, f32 softmax"
            ),
        })
        .collect()
}

pub fn sources() -> Vec<(String, String)> {
    vec![
        ("decode-split-kv-f16".to_string(), source(BODY)),
        ("decode-combine".to_string(), source(COMBINE)),
    ]
}

fn source(body: &str) -> String {
    // Rounds of 256 / (D/8) keys per chunk: D/8 of them.
    let rounds = CHUNK / (256 / (HEAD_DIM / 8));
    unroll(
        &with_header(false, &format!("const D: u32 = {HEAD_DIM}u;"), body),
        "r",
        rounds,
    )
}

/// The decode kernel bound to the cache of a group of whole sequences.
struct Group {
    kernel: Kernel,
    heads: u64,
}

/// A prepared decode case: the cache in its bindings, the kernels, and what the check needs.
pub struct Decode {
    groups: Vec<Group>,
    combine: Kernel,
    q: Vec<f16>,
    /// The heads the check recomputes, with their K and V caches.
    checked: Vec<(u64, Vec<f16>, Vec<f16>)>,
    out: wgpu::Buffer,
    heads: u64,
    keys: u64,
    seed: u64,
}

fn prepare(ctx: &Context, case: &Case, _: Build) -> Result<Box<dyn Prepared>, CaseError> {
    Ok(Box::new(prepare_within(ctx, case, ctx.max_binding())?))
}

impl Decode {
    /// How many bindings (groups of whole sequences) the cache is held in.
    pub fn bindings(&self) -> usize {
        self.groups.len()
    }
}

/// Prepares a case whose K and V caches are bound in groups of whole sequences of at most
/// `binding` bytes each: how a cache larger than one binding is split, which a test drives
/// with a small `binding` on any adapter.
pub fn prepare_within(ctx: &Context, case: &Case, binding: u64) -> Result<Decode, CaseError> {
    let (b, h, keys) = (case.dim("batch"), case.dim("heads"), case.dim("kv_len"));
    let d = HEAD_DIM;
    let heads = b * h;
    let chunks = keys / CHUNK;
    let per_sequence = h * keys * d * 2;
    let sequences = binding / per_sequence;
    if sequences == 0 {
        return Err(CaseError::Unsupported(format!(
            "one sequence's cache ({per_sequence} bytes) exceeds the largest binding ({binding})"
        )));
    }
    let max_dim = u64::from(ctx.info.limits.max_compute_workgroups_per_dimension);
    if heads > max_dim || chunks > max_dim {
        return Err(CaseError::Unsupported(format!(
            "{heads} heads x {chunks} chunks exceed {max_dim} workgroups per dimension"
        )));
    }
    let seed = Rng::fresh_seed();
    let mut rng = Rng::new(seed);
    let sampled = sample(heads, MAX_CHECKED_HEADS, &mut rng);
    let q = rng.f16s((heads * d) as usize);
    let q_buf = ctx.upload("decode q", bytemuck::cast_slice(&q))?;
    let part = ctx.storage("decode partials", heads * chunks * (d + 4) * 4)?;
    let out = ctx.storage("decode o", heads * d * 4)?;
    let scale = std::f32::consts::LOG2_E / (d as f32).sqrt();
    let head_len = (keys * d) as usize;
    let mut groups = Vec::new();
    let mut checked = Vec::new();
    let mut first = 0;
    while first < b {
        let n = sequences.min(b - first);
        let k_buf = ctx.storage("decode k", n * per_sequence)?;
        let v_buf = ctx.storage("decode v", n * per_sequence)?;
        for s in 0..n {
            let k = rng.f16s(head_len * h as usize);
            let v = rng.f16s(head_len * h as usize);
            ctx.write_at(&k_buf, s * per_sequence, bytemuck::cast_slice(&k))?;
            ctx.write_at(&v_buf, s * per_sequence, bytemuck::cast_slice(&v))?;
            let seq_heads = (first + s) * h..(first + s + 1) * h;
            for &head in sampled.iter().filter(|x| seq_heads.contains(x)) {
                let at = (head - seq_heads.start) as usize * head_len;
                let part = |c: &[f16]| c[at..at + head_len].to_vec();
                checked.push((head, part(&k), part(&v)));
            }
        }
        let head0 = first * h;
        let dims = [keys as u32, chunks as u32, head0 as u32, scale.to_bits()];
        let dims = ctx.uniform("decode dims", bytemuck::cast_slice(&dims))?;
        let kernel = ctx.kernel(
            "decode-split-kv-f16",
            &ShaderCode::Wgsl(source(BODY)),
            &[
                Binding::ReadOnly(&q_buf),
                Binding::ReadOnly(&k_buf),
                Binding::ReadOnly(&v_buf),
                Binding::ReadWrite(&part),
                Binding::Uniform(&dims),
            ],
        )?;
        groups.push(Group {
            kernel,
            heads: n * h,
        });
        first += n;
    }
    let dims = ctx.uniform(
        "decode combine dims",
        bytemuck::cast_slice(&[chunks as u32, 0, 0, 0]),
    )?;
    let combine = ctx.kernel(
        "decode-combine",
        &ShaderCode::Wgsl(source(COMBINE)),
        &[
            Binding::ReadOnly(&part),
            Binding::ReadWrite(&out),
            Binding::Uniform(&dims),
        ],
    )?;
    ctx.poison(&part, POISON)?;
    ctx.poison(&out, POISON)?;
    Ok(Decode {
        groups,
        combine,
        q,
        checked,
        out,
        heads,
        keys,
        seed,
    })
}

impl Prepared for Decode {
    fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        let chunks = (self.keys / CHUNK) as u32;
        for g in &self.groups {
            g.kernel.dispatch(pass, (chunks, g.heads as u32, 1));
        }
        self.combine.dispatch(pass, (self.heads as u32, 1, 1));
    }

    fn verify(&mut self, ctx: &Context) -> Result<Check, CaseError> {
        let d = HEAD_DIM as usize;
        let raw = ctx.read(&self.out, self.heads * HEAD_DIM * 4)?;
        let got: &[f32] = bytemuck::cast_slice(&raw);
        let error = relative_error(self.checked.iter().flat_map(|(head, k, v)| {
            let h = *head as usize;
            got[h * d..][..d]
                .iter()
                .map(|&g| f64::from(g))
                .zip(reference_row(&self.q[h * d..][..d], k, v))
        }));
        Ok(Check::new(
            "relative Frobenius error over the checked heads of O",
            error,
            TOLERANCE,
            (self.checked.len() * d) as u64,
            self.heads * HEAD_DIM,
            self.seed,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_whole_chunks_and_bytes_are_the_cache() {
        for scale in [Scale::Quick, Scale::Cpu, Scale::Gpu] {
            for (_, _, l) in shapes(scale) {
                assert!(l.is_multiple_of(CHUNK), "{l}");
            }
        }
        let c = &plan(&Sizing {
            scale: Scale::Gpu,
            max_binding: 1 << 31,
        })[1];
        assert_eq!(
            c.shape_label(),
            "batch=16 heads=32 kv_len=32768 head_dim=128"
        );
        // 8 GiB of K and V together: more than one binding holds.
        assert_eq!(c.bytes, (8u64 << 30) as f64);
        assert!(crate::model::bandwidth_bound(c.flops, c.bytes));
    }

    #[test]
    fn reference_is_a_softmax_weighted_average() {
        // D = 1, q = 1: scores k / 1 = [0, ln 3] -> weights 1/4, 3/4 of v = [4, 8].
        let h = |x: &[f64]| x.iter().map(|&v| f16::from_f64(v)).collect::<Vec<_>>();
        let o = reference_row(&h(&[1.0]), &h(&[0.0, 3f64.ln()]), &h(&[4.0, 8.0]));
        // ln 3 rounds to f16; the weights follow the rounded score.
        let w = (h(&[3f64.ln()])[0].to_f64()).exp();
        assert!((o[0] - (4.0 + 8.0 * w) / (1.0 + w)).abs() < 1e-12);
        assert!((o[0] - 7.0).abs() < 1e-2);
    }
}

//! The serving roofline of one replica: what a decode step and a prefill read, compute and
//! communicate, and how long each takes at the chip's rates with nothing lost.
//!
//! Memory: one usable fraction of each chip's memory ([`USABLE_MEMORY`]) holds the weights and
//! the KV cache; the cache gets what the weights leave, and a filled replica holds as many
//! sequences as that allows. A decode step of `batch` sequences reads the weights the batch
//! touches (for a mixture of experts, the experts its tokens route to) and every sequence's
//! cache, computes 2 FLOP per active parameter per token plus attention over the context, and
//! takes the larger of bytes over bandwidth and FLOPs over the matrix rates. Prefill is
//! compute-bound. Tensor parallelism adds two all-reduces of the layer's activations per layer
//! (ring: 2(n-1)/n of the message each way), expert parallelism an all-to-all to dispatch and
//! one to combine each token's experts ((n-1)/n), both over the chip's interconnect and not
//! overlapped with computation unless a source says the deployment overlaps them.

use serde::Serialize;

use super::ServeError;
use super::format::Format;
use super::rates::Rates;
use crate::cost::catalog::Architecture;

/// The share of each chip's memory the weights and the KV cache may fill; the rest is runtime,
/// activations and fragmentation (vLLM's default `gpu_memory_utilization`, 0.9:
/// https://docs.vllm.ai/en/latest/api/vllm/config/cache.html).
pub(crate) const USABLE_MEMORY: f64 = 0.9;
/// Activations cross the chips in 16-bit.
const ACTIVATION_BYTES: f64 = 2.0;

/// What serving a model reads and computes, from its architecture.
pub(crate) struct Work<'a>(pub &'a Architecture);

impl Work<'_> {
    fn embedding(&self) -> f64 {
        self.0.vocab * self.0.hidden
    }

    /// Weights a decode step of `batch` sequences reads: everything but the embedding (whose
    /// rows are looked up), and of the routed experts only those the batch's tokens select
    /// (uniform routing: each expert is missed by a token with probability 1 - k/E).
    fn weights_read(&self, batch: f64) -> f64 {
        let a = self.0;
        let dense = a.total_params - self.embedding();
        match a.moe {
            None => dense,
            Some(m) => {
                let routed = m.routed * 3.0 * a.hidden * m.expert_ffn * (a.layers - m.dense_layers);
                let touched = 1.0 - (1.0 - m.experts_per_token / m.routed).powf(batch);
                dense - routed + routed * touched
            }
        }
    }

    /// KV-cache values per token (all layers).
    fn kv_values_per_token(&self) -> f64 {
        let a = self.0;
        match a.mla {
            Some(m) => a.layers * (m.kv_lora_rank + m.rope_dim),
            None => 2.0 * a.layers * a.kv_heads * a.head_dim,
        }
    }

    /// GEMM FLOPs per token: 2 per active parameter, the embedding lookup aside.
    fn gemm_flops(&self) -> f64 {
        2.0 * (self.0.active_params - self.embedding())
    }

    /// Layers whose FFN is a mixture of experts.
    fn moe_layers(&self) -> f64 {
        self.0.moe.map_or(0.0, |m| self.0.layers - m.dense_layers)
    }
}

/// How a replica is split over its chips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Layout {
    /// Tensor-parallel degree (the attention and dense layers split across chips).
    pub tp: u32,
    /// Pipeline stages.
    pub pp: u32,
    /// Expert-parallel degree of the experts (1 without experts or expert parallelism).
    pub ep: u32,
}

impl Layout {
    pub fn gpus(&self) -> f64 {
        f64::from(self.tp * self.pp)
    }

    /// Every chip of a replica of `gpus` in one tensor-parallel group (its experts spread over
    /// the same chips for a mixture of experts).
    pub fn tensor(gpus: u32, moe: bool) -> Self {
        Layout {
            tp: gpus,
            pp: 1,
            ep: if moe { gpus } else { 1 },
        }
    }
}

/// How many sequences a replica decodes at once.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Batch {
    Fixed(f64),
    /// As many as the memory holds.
    Fill,
    /// As many as the memory holds, at most this many.
    AtMost(f64),
}

/// One serving question.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub weights: Format,
    pub kv: Format,
    pub batch: Batch,
    /// Tokens in each sequence's cache during decode; for whole requests, its prompt and half
    /// its output.
    pub context: f64,
    pub prompt: f64,
    pub output: f64,
    /// The replica's layout; the fewest chips that hold the model in one tensor-parallel group
    /// when not given.
    pub layout: Option<Layout>,
    /// The source says communication runs alongside computation.
    pub overlap: bool,
}

/// Which bound holds a decode step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bound {
    Bandwidth,
    Compute,
}

/// The roofline of one replica in one setting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Roofline {
    pub layout: Layout,
    pub batch: f64,
    pub weights_bytes: f64,
    pub kv_bytes_per_sequence: f64,
    /// Weights and cache per chip.
    pub bytes_per_gpu: f64,
    /// The fewest chips that hold the weights and one sequence.
    pub min_gpus: f64,
    pub decode_bytes: f64,
    pub decode_flops: f64,
    /// Seconds a decode step takes at the bandwidth, at the matrix rates, and communicating.
    pub decode_memory_s: f64,
    pub decode_compute_s: f64,
    pub decode_comm_s: f64,
    pub bound: Bound,
    /// Seconds to prefill one prompt on the replica: computing, then communicating.
    pub prefill_compute_s: f64,
    pub prefill_comm_s: f64,
}

/// Seconds the collectives of one forward pass over `tokens` take on `layout`.
fn comm_s(work: &Work, rates: &Rates, layout: Layout, tokens: f64) -> f64 {
    let a = work.0;
    let message = tokens * a.hidden * ACTIVATION_BYTES;
    let link = rates.link.one_way();
    let tp = f64::from(layout.tp);
    let ep = f64::from(layout.ep);
    let layers_per_stage = a.layers / f64::from(layout.pp);
    let moe_share = work.moe_layers() / a.layers;
    // Two all-reduces a layer (after attention, after the FFN); with expert parallelism the
    // FFN of a mixture-of-experts layer trades its all-reduce for a dispatch and a combine.
    let all_reduce = if tp > 1.0 {
        let per_layer = 2.0 - if ep > 1.0 { moe_share } else { 0.0 };
        per_layer * 2.0 * (tp - 1.0) / tp * message / link
    } else {
        0.0
    };
    let all_to_all = match a.moe {
        Some(m) if ep > 1.0 => {
            moe_share * 2.0 * (ep - 1.0) / ep * message * m.experts_per_token / ep / link
        }
        _ => 0.0,
    };
    layers_per_stage * (all_reduce + all_to_all)
}

/// The layout a setting asks for, or the fewest chips (a power of two) whose usable memory
/// holds the weights and the batch (one sequence when filling), in one tensor-parallel group.
fn layout(work: &Work, rates: &Rates, s: &Setting) -> Layout {
    if let Some(l) = s.layout {
        return l;
    }
    let sequences = match s.batch {
        Batch::Fixed(b) => b.max(1.0),
        Batch::Fill | Batch::AtMost(_) => 1.0,
    };
    let need = work.0.total_params * s.weights.bytes()
        + sequences * s.context * work.kv_values_per_token() * s.kv.bytes();
    let mut gpus = 1u32;
    while f64::from(gpus) * rates.memory_bytes * USABLE_MEMORY < need && gpus < 1 << 16 {
        gpus *= 2;
    }
    Layout::tensor(gpus, work.0.moe.is_some())
}

/// The roofline of `arch` on the chip of `rates` in setting `s`.
pub fn roofline(arch: &Architecture, rates: &Rates, s: &Setting) -> Result<Roofline, ServeError> {
    let work = Work(arch);
    let layout = layout(&work, rates, s);
    let gpus = layout.gpus();
    let weights_bytes = arch.total_params * s.weights.bytes();
    let kv_per_token = work.kv_values_per_token() * s.kv.bytes();
    let kv_bytes_per_sequence = s.context * kv_per_token;
    let room = gpus * rates.memory_bytes * USABLE_MEMORY - weights_bytes;
    let holds = (room / kv_bytes_per_sequence).floor();
    let min_gpus =
        ((weights_bytes + kv_bytes_per_sequence) / (rates.memory_bytes * USABLE_MEMORY)).ceil();
    let batch = match s.batch {
        Batch::Fixed(b) => b,
        Batch::Fill => holds,
        Batch::AtMost(b) => holds.min(b),
    };
    if holds < batch.max(1.0) {
        let need = weights_bytes + batch.max(1.0) * kv_bytes_per_sequence;
        return Err(ServeError::DoesNotFit {
            model: arch.name.clone(),
            chip: rates.chip.clone(),
            gpus,
            need_gb: need / 1e9,
            have_gb: gpus * rates.memory_bytes * USABLE_MEMORY / 1e9,
            min_gpus: (need / (rates.memory_bytes * USABLE_MEMORY)).ceil(),
        });
    }
    let decode_bytes = work.weights_read(batch) * s.weights.bytes() + batch * kv_bytes_per_sequence;
    let gemm = batch * work.gemm_flops();
    let attention = batch * arch.attention(true).flops(s.context);
    let decode_memory_s = decode_bytes / (gpus * rates.bandwidth.byte_per_s);
    let decode_compute_s =
        gemm / (gpus * rates.gemm.flop_per_s) + attention / (gpus * rates.attention.flop_per_s);
    let prefill_flops = s.prompt * work.gemm_flops();
    let prefill_attention = s.prompt * arch.attention(false).flops(s.prompt / 2.0);
    let comm = |tokens: f64| {
        if s.overlap {
            0.0
        } else {
            comm_s(&work, rates, layout, tokens)
        }
    };
    Ok(Roofline {
        layout,
        batch,
        weights_bytes,
        kv_bytes_per_sequence,
        bytes_per_gpu: (weights_bytes + batch * kv_bytes_per_sequence) / gpus,
        min_gpus,
        decode_bytes,
        decode_flops: gemm + attention,
        bound: if decode_memory_s >= decode_compute_s {
            Bound::Bandwidth
        } else {
            Bound::Compute
        },
        decode_memory_s,
        decode_compute_s,
        decode_comm_s: comm(batch),
        prefill_compute_s: prefill_flops / (gpus * rates.gemm.flop_per_s)
            + prefill_attention / (gpus * rates.attention.flop_per_s),
        prefill_comm_s: comm(s.prompt),
    })
}

/// The share of the roofline real serving reaches, for decode and prefill.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Efficiency {
    pub decode: f64,
    pub prefill: f64,
}

impl Roofline {
    /// Seconds a decode step takes at efficiency `e` (communication is not scaled).
    fn step_s(&self, e: f64) -> f64 {
        self.decode_memory_s.max(self.decode_compute_s) / e + self.decode_comm_s
    }

    /// Seconds to prefill one prompt at efficiency `e`.
    pub(crate) fn prefill_s(&self, e: f64) -> f64 {
        self.prefill_compute_s / e + self.prefill_comm_s
    }

    /// Decode tokens/s of one sequence.
    pub fn per_sequence(&self, e: Efficiency) -> f64 {
        1.0 / self.step_s(e.decode)
    }

    /// Decode tokens/s per chip.
    pub(crate) fn decode_per_gpu(&self, e: Efficiency) -> f64 {
        self.batch / self.step_s(e.decode) / self.layout.gpus()
    }

    /// Prefill (input) tokens/s per chip.
    pub(crate) fn prefill_per_gpu(&self, prompt: f64, e: Efficiency) -> f64 {
        prompt / self.prefill_s(e.prefill) / self.layout.gpus()
    }

    /// Output tokens/s per chip serving whole requests: each prompt prefilled, then its output
    /// decoded with the batch.
    pub(crate) fn requests_per_gpu(&self, output: f64, e: Efficiency) -> f64 {
        let per_request = self.prefill_s(e.prefill) + output * self.step_s(e.decode) / self.batch;
        output / per_request / self.layout.gpus()
    }
}

//! Serving capability: what a chip delivers when it serves a model, beside its TPP.
//!
//! A roofline of decode and prefill from the model's architecture (data/models.toml): a decode
//! step reads the weights the batch touches (for a mixture of experts, the experts its tokens
//! route to) and every sequence's KV cache, and does 2 FLOP per active parameter per token plus
//! attention over the context; its time is the larger of bytes over bandwidth and FLOPs over
//! the matrix rate, whichever bound holds. Prefill is compute-bound. The rates carry their
//! evidence as `cost` does (measured copy bandwidth or datasheet; vendor-library GEMM or
//! datasheet peak). Real serving reaches a fraction of the roofline: that fraction is
//! calibrated on DeepSeek's published V3/R1 production figures (H800, March 2025), and every
//! estimate is a range from that efficiency up to the roofline itself, since one deployment
//! is thin calibration.

pub mod text;

use serde::Serialize;

use crate::cost::catalog::Architecture;
use crate::cost::evidence::{self, Evidence};
use crate::cost::{Catalog, CostError, PriceUsed, Prices, Span};
use crate::model::{Source, copy_bandwidth};
use crate::policy::{Chip, Database, Precision, Rule, classify};

/// Memory a replica may fill with weights and KV cache; the rest is activations and runtime.
pub const USABLE_MEMORY: f64 = 0.9;

/// DeepSeek's V3/R1 serving statistics (open-infra-index, "Day 6", 2025-03-01): H800 nodes of
/// 8 GPUs, decode as EP144 over 18 nodes, prefill as EP32 over 4, FP8 GEMMs, BF16 attention.
pub mod deepseek_day6 {
    pub const SOURCE: &str = "https://github.com/deepseek-ai/open-infra-index/blob/main/202502OpenSourceWeek/day_6_one_more_thing_deepseekV3R1_inference_system_overview.md";
    pub const CHIP: &str = "nvidia-h800";
    pub const GPUS_PER_NODE: f64 = 8.0;
    /// "~14.8k tokens/s output during decoding" per node.
    pub const OUTPUT_TOKENS_PER_NODE: f64 = 14_800.0;
    /// "The average output speed was 20-22 tokens per second".
    pub const TOKENS_PER_USER: f64 = 21.0;
    /// "the average kvcache length per output token was 4,989 tokens".
    pub const CONTEXT: f64 = 4_989.0;
    /// "~73.7k tokens/s input (including cache hits) during prefilling" per node.
    pub const INPUT_TOKENS_PER_NODE: f64 = 73_700.0;
    /// "342B tokens (56.3%) hit the on-disk KV cache": only the rest is computed.
    pub const CACHE_HIT: f64 = 0.563;
    pub const DECODE_NODES: f64 = 18.0;
    pub const PREFILL_NODES: f64 = 4.0;
}

/// Number formats a model can be served in.
fn bytes_of(p: Precision) -> Result<f64, CostError> {
    match p {
        Precision::Bf16 | Precision::Fp16 => Ok(2.0),
        Precision::Fp8 | Precision::Int8 => Ok(1.0),
        Precision::Int4 | Precision::Fp4 => Ok(0.5),
        _ => Err(CostError::Input(format!(
            "{p} is not a serving format: use bf16, fp16, fp8, int8, int4 or fp4"
        ))),
    }
}

/// The decode and prefill work of a model, per token and per step.
pub struct Work<'a>(pub &'a Architecture);

impl Work<'_> {
    fn embedding(&self) -> f64 {
        self.0.vocab * self.0.hidden
    }

    /// Weights a decode step of `batch` sequences reads: everything but the embedding (whose
    /// rows are looked up), and of the routed experts only those the batch's tokens select
    /// (uniform routing: each expert is missed by a token with probability 1 - k/E).
    pub fn weights_read(&self, batch: f64) -> f64 {
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
    pub fn kv_values_per_token(&self) -> f64 {
        let a = self.0;
        match a.mla {
            Some(m) => a.layers * (m.kv_lora_rank + m.rope_dim),
            None => 2.0 * a.layers * a.kv_heads * a.head_dim,
        }
    }

    /// GEMM FLOPs per token: 2 per active parameter, the embedding lookup aside.
    pub fn gemm_flops(&self) -> f64 {
        2.0 * (self.0.active_params - self.embedding())
    }

    /// Attention FLOPs of one token against `keys` cached tokens: 2 per multiply-add over the
    /// query-key and value widths, per head and layer (decode with MLA works in the compressed
    /// space: 576 and 512 wide).
    pub fn attention_flops(&self, keys: f64, decode: bool) -> f64 {
        let a = self.0;
        let (qk, v) = match (a.mla, decode) {
            (Some(m), true) => (m.kv_lora_rank + m.rope_dim, m.kv_lora_rank),
            (Some(m), false) => (m.nope_dim + m.rope_dim, m.v_dim),
            (None, _) => (a.head_dim, a.head_dim),
        };
        2.0 * a.layers * a.heads * (qk + v) * keys
    }
}

/// A chip's serving rates and where they come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rates {
    pub chip: String,
    pub bandwidth_gbps: f64,
    pub bandwidth_source: String,
    pub gemm_tflops: f64,
    pub gemm_source: String,
    /// The rate attention runs at (bf16, or fp8 with an fp8 cache).
    pub attention_tflops: f64,
    pub memory_gb: f64,
}

/// The rates of `chip` for weights in `weights` and a cache in `kv`: bandwidth measured by a
/// copy in `result` or in a dataset file of the chip (never an outlier), else the datasheet's;
/// matrix rates from the datasheet peak.
pub fn rates(
    db: &Database,
    chip: &Chip,
    result: Option<&Evidence>,
    files: &[Evidence],
    weights: Precision,
    kv: Precision,
) -> Result<Rates, CostError> {
    let missing =
        |what: &str| CostError::Input(format!("{} has no {what} in data/chips.toml", chip.id));
    let memory_gb = chip.memory_gb.ok_or_else(|| missing("memory capacity"))?;
    // The given file's own copy first; else the trusted median run of the chip's files.
    let copy = |e: &Evidence| copy_bandwidth(&e.result.workloads);
    let measured = result.and_then(|e| Some((copy(e)?, e))).or_else(|| {
        evidence::trusted_median(files, |e| {
            db.for_result(&e.result)
                .is_some_and(|c| c.id == chip.id)
                .then(|| Some((copy(e)?, e)))?
        })
    });
    let (bandwidth_gbps, bandwidth_source) = match measured {
        Some((gbps, e)) => (
            gbps,
            format!(
                "measured copy {gbps:.0} GB/s ({}, {}), {:.2}x the datasheet",
                match e.result.source {
                    Source::Chipbench => "chipbench",
                    Source::VendorLibrary => "vendor library",
                },
                e.file,
                chip.memory_bandwidth_gbps.map_or(f64::NAN, |d| gbps / d)
            ),
        ),
        None => {
            let d = chip
                .memory_bandwidth_gbps
                .ok_or_else(|| missing("memory bandwidth"))?;
            (d, format!("datasheet memory bandwidth {d:.0} GB/s"))
        }
    };
    // Matrix rates from the datasheet: the calibration (DeepSeek's FP8 GEMMs and BF16
    // attention on the H800) has no vendor measurement at those precisions to divide by.
    // Weight-only quantisation (int4) dequantises to bf16 for the GEMMs.
    let at = |p: Precision| -> Result<evidence::Capability, CostError> {
        let p = match p {
            Precision::Fp8 if chip.matrix.contains_key(&Precision::Fp8) => Precision::Fp8,
            _ => evidence::precision_for(Some(chip), None),
        };
        evidence::datasheet_capability(chip, p)
            .ok_or_else(|| missing(&format!("dense {p} matrix peak")))
    };
    let gemm = at(weights)?;
    let attention = at(kv)?;
    Ok(Rates {
        chip: chip.id.clone(),
        bandwidth_gbps,
        bandwidth_source,
        gemm_tflops: gemm.tflops,
        gemm_source: format!("{} ({})", gemm.source.name(), gemm.what),
        attention_tflops: attention.tflops,
        memory_gb,
    })
}

/// One serving question.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub weights: Precision,
    pub kv: Precision,
    /// Concurrent sequences per replica.
    pub batch: f64,
    /// Tokens in each sequence's cache during decode.
    pub context: f64,
    /// Prompt tokens prefilled per request.
    pub prompt: f64,
    /// Output tokens generated per request (for throughput with prefill included).
    pub output: f64,
    /// GPUs per replica; the fewest that hold it when not given.
    pub gpus: Option<f64>,
    /// Fill the replica's memory with as many sequences as fit (`batch` ignored).
    pub fill: bool,
}

/// A rate's range: from the calibrated efficiency (central and low) up to the roofline.
fn calibrated(roofline: f64, efficiency: f64) -> Span {
    Span {
        central: roofline * efficiency,
        low: roofline * efficiency,
        high: roofline,
    }
}

/// Which bound holds a decode step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bound {
    Bandwidth,
    Compute,
}

/// The efficiency real serving reaches against the roofline, calibrated on DeepSeek.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Efficiency {
    pub decode: f64,
    pub prefill: f64,
}

/// The answer, as `--json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Serving {
    pub model: String,
    pub rates: Rates,
    pub weights: Precision,
    pub kv: Precision,
    pub batch: f64,
    pub context: f64,
    pub prompt: f64,
    pub gpus: f64,
    pub weights_gb: f64,
    pub kv_gb_per_sequence: f64,
    pub memory_gb_per_gpu: f64,
    pub min_gpus: f64,
    pub decode_bytes_per_step: f64,
    pub decode_flops_per_step: f64,
    pub bound: Bound,
    pub efficiency: Efficiency,
    pub decode_tokens_per_s_per_sequence: Span,
    pub decode_tokens_per_s_per_gpu: Span,
    pub prefill_tokens_per_s_per_gpu: Span,
    pub time_to_first_token_s: Span,
    /// Output tokens/s per GPU serving whole requests (prompt, then output), prefill included.
    pub request_output_tokens_per_s_per_gpu: Span,
    pub output: f64,
    pub price_usd_per_gpu_hour: Option<f64>,
    pub price_source: Option<String>,
    /// USD per million output tokens at the central rate (and at the roofline).
    pub usd_per_m_output: Option<Span>,
    pub usd_per_m_input: Option<Span>,
    pub calibration: String,
}

/// The roofline of one decode step and of prefill, without efficiency.
struct Roofline {
    bytes: f64,
    flops: f64,
    step_s: f64,
    bound: Bound,
    prefill_tokens_per_s_per_gpu: f64,
}

fn roofline(work: &Work, r: &Rates, s: &Setting, gpus: f64) -> Result<Roofline, CostError> {
    let kv_bytes = work.kv_values_per_token() * bytes_of(s.kv)?;
    let bytes = work.weights_read(s.batch) * bytes_of(s.weights)? + s.batch * s.context * kv_bytes;
    let gemm = s.batch * work.gemm_flops();
    let attention = s.batch * work.attention_flops(s.context, true);
    let t_bw = bytes / (gpus * r.bandwidth_gbps * 1e9);
    let t_c = gemm / (gpus * r.gemm_tflops * 1e12) + attention / (gpus * r.attention_tflops * 1e12);
    // Prefill: every prompt token against half the prompt on average (causal).
    let per_token_s = work.gemm_flops() / (r.gemm_tflops * 1e12)
        + work.attention_flops(s.prompt / 2.0, false) / (r.attention_tflops * 1e12);
    Ok(Roofline {
        bytes,
        flops: gemm + attention,
        step_s: t_bw.max(t_c),
        bound: if t_bw >= t_c {
            Bound::Bandwidth
        } else {
            Bound::Compute
        },
        prefill_tokens_per_s_per_gpu: 1.0 / per_token_s,
    })
}

/// DeepSeek's production decode and prefill against the roofline of that setting on the H800's
/// datasheet rates: the efficiencies every estimate is scaled by. (No H800 measurement is in
/// the dataset; a measured bandwidth on the chip asked about lowers its estimate by its
/// measured/rated ratio.)
pub fn calibrate(db: &Database, catalog: &Catalog) -> Result<Efficiency, CostError> {
    use deepseek_day6 as d;
    let arch = catalog.architecture("deepseek-v3")?;
    let chip = db
        .get(d::CHIP)
        .map_err(|e| CostError::Data(e.to_string()))?;
    let r = rates(db, chip, None, &[], Precision::Fp8, Precision::Bf16)?;
    let work = Work(arch);
    let per_node = d::OUTPUT_TOKENS_PER_NODE / d::TOKENS_PER_USER;
    let decode = Setting {
        weights: Precision::Fp8,
        kv: Precision::Bf16,
        batch: per_node * d::DECODE_NODES,
        context: d::CONTEXT,
        prompt: d::CONTEXT,
        output: 1.0,
        gpus: Some(d::DECODE_NODES * d::GPUS_PER_NODE),
        fill: false,
    };
    let gpus = d::DECODE_NODES * d::GPUS_PER_NODE;
    let roof = roofline(&work, &r, &decode, gpus)?;
    let ideal_per_node = decode.batch / roof.step_s / d::DECODE_NODES;
    let computed_prefill_per_gpu =
        d::INPUT_TOKENS_PER_NODE * (1.0 - d::CACHE_HIT) / d::GPUS_PER_NODE;
    Ok(Efficiency {
        decode: d::OUTPUT_TOKENS_PER_NODE / ideal_per_node,
        prefill: computed_prefill_per_gpu / roof.prefill_tokens_per_s_per_gpu,
    })
}

/// Serving `arch` on the chip of `rates` in `setting`.
pub fn serve(
    arch: &Architecture,
    rates: Rates,
    setting: &Setting,
    efficiency: Efficiency,
    price: Option<PriceUsed>,
) -> Result<Serving, CostError> {
    let positive = |name: &str, v: f64, hi: f64| {
        crate::input::within(name, v, 1.0, hi).map_err(CostError::Input)
    };
    positive("--context", setting.context, 1e7)?;
    positive("--prompt", setting.prompt, 1e7)?;
    positive("--output", setting.output, 1e7)?;
    let work = Work(arch);
    let weights_gb = arch.total_params * bytes_of(setting.weights)? / 1e9;
    let usable = rates.memory_gb * USABLE_MEMORY;
    if let Some(g) = setting.gpus {
        positive("--gpus", g, 1e5)?;
        if g.fract() != 0.0 {
            return Err(CostError::Input(format!(
                "--gpus must be a whole number, got {g}"
            )));
        }
    }
    // Filling memory: the cache of a whole request (prompt and output) per sequence.
    let batch = if setting.fill {
        let g = setting
            .gpus
            .ok_or_else(|| CostError::Input("--fill needs --gpus, the replica to fill".into()))?;
        let per_sequence =
            (setting.prompt + setting.output) * work.kv_values_per_token() * bytes_of(setting.kv)?
                / 1e9;
        let fits = ((g * usable - weights_gb) / per_sequence).floor();
        if fits < 1.0 {
            return Err(CostError::Input(format!(
                "{} does not fit on {g:.0} GPUs of {:.0} GB: its {weights_gb:.0} GB of weights leave no room for a cache",
                arch.name, rates.memory_gb
            )));
        }
        fits.min(1e6)
    } else {
        positive("--batch", setting.batch, 1e6)?;
        setting.batch
    };
    // Filled with whole requests, a sequence holds on average its prompt and half its output
    // during decode.
    let setting = &Setting {
        batch,
        context: if setting.fill {
            setting.prompt + setting.output / 2.0
        } else {
            setting.context
        },
        ..setting.clone()
    };
    let kv_gb = setting.context * work.kv_values_per_token() * bytes_of(setting.kv)? / 1e9;
    let replica_gb = weights_gb + setting.batch * kv_gb;
    let min_gpus = (replica_gb / usable).ceil();
    if min_gpus > 1e5 {
        return Err(CostError::Input(format!(
            "{} with {:.0} sequences of {:.0} tokens needs {min_gpus:.0} GPUs of {:.0} GB, more than any replica",
            arch.name, setting.batch, setting.context, rates.memory_gb
        )));
    }
    let gpus = match setting.gpus {
        Some(g) => {
            if g < min_gpus {
                return Err(CostError::Input(format!(
                    "{} with {:.0} sequences of {:.0} tokens needs {replica_gb:.0} GB ({weights_gb:.0} GB \
                     weights, {:.1} GB cache per sequence): {min_gpus:.0} GPUs of {:.0} GB at {:.0}% \
                     usable, not {g:.0}",
                    arch.name,
                    setting.batch,
                    setting.context,
                    kv_gb,
                    rates.memory_gb,
                    USABLE_MEMORY * 100.0
                )));
            }
            g
        }
        None => min_gpus,
    };
    let roof = roofline(&work, &rates, setting, gpus)?;
    let per_sequence = calibrated(1.0 / roof.step_s, efficiency.decode);
    let per_gpu = calibrated(setting.batch / roof.step_s / gpus, efficiency.decode);
    let prefill = calibrated(roof.prefill_tokens_per_s_per_gpu, efficiency.prefill);
    let ttft = prefill.map(|rate| setting.prompt / (rate * gpus));
    // A request: its prompt at the prefill rate, then its output at the decode rate.
    let whole = |decode: f64, prefill: f64| {
        1.0 / (1.0 / decode + setting.prompt / setting.output / prefill)
    };
    let request = Span {
        central: whole(per_gpu.central, prefill.central),
        low: whole(per_gpu.low, prefill.low),
        high: whole(per_gpu.high, prefill.high),
    };
    let per_m = |r: Span, usd: f64| r.map(|rate| usd / (rate * 3600.0) * 1e6);
    Ok(Serving {
        model: arch.name.clone(),
        weights: setting.weights,
        kv: setting.kv,
        batch: setting.batch,
        context: setting.context,
        prompt: setting.prompt,
        gpus,
        weights_gb,
        kv_gb_per_sequence: kv_gb,
        memory_gb_per_gpu: replica_gb / gpus,
        min_gpus,
        decode_bytes_per_step: roof.bytes,
        decode_flops_per_step: roof.flops,
        bound: roof.bound,
        efficiency,
        decode_tokens_per_s_per_sequence: per_sequence,
        decode_tokens_per_s_per_gpu: per_gpu,
        prefill_tokens_per_s_per_gpu: prefill,
        time_to_first_token_s: ttft,
        request_output_tokens_per_s_per_gpu: request,
        output: setting.output,
        usd_per_m_output: price.as_ref().map(|p| per_m(per_gpu, p.usd_per_gpu_hour)),
        usd_per_m_input: price.as_ref().map(|p| per_m(prefill, p.usd_per_gpu_hour)),
        price_usd_per_gpu_hour: price.as_ref().map(|p| p.usd_per_gpu_hour),
        price_source: price.map(|p| p.source),
        calibration: format!(
            "efficiency {:.3} (decode) and {:.3} (prefill) of the roofline, from DeepSeek's V3/R1 \
             production on H800s ({})",
            efficiency.decode,
            efficiency.prefill,
            deepseek_day6::SOURCE
        ),
        rates,
    })
}

/// One row of `inference --compare`: deployment capability beside the legal figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareRow {
    pub chip: String,
    pub tpp: f64,
    pub classification: String,
    pub gpus: f64,
    pub decode_batch_1: f64,
    pub decode_throughput_batch: f64,
    pub throughput_batch: f64,
    pub bound_at_throughput_batch: Bound,
    pub prefill: f64,
    pub usd_per_m_output: Option<f64>,
}

/// Every chip of `chips` serving `arch` on its datasheet rates: decode tokens/s per GPU at
/// batch 1 and at `throughput_batch`, prefill tokens/s per GPU, $/M output tokens, TPP and the
/// 3A090 status under `rule`. Chips without the figures needed are left out.
#[allow(clippy::too_many_arguments)]
pub fn compare(
    db: &Database,
    prices: &Prices,
    arch: &Architecture,
    chips: &[&Chip],
    base: &Setting,
    throughput_batch: f64,
    efficiency: Efficiency,
    rule: Rule,
) -> Vec<CompareRow> {
    chips
        .iter()
        .filter_map(|chip| {
            let r = rates(db, chip, None, &[], base.weights, base.kv).ok()?;
            let at = |batch: f64| {
                let s = Setting {
                    batch,
                    gpus: None,
                    fill: false,
                    ..base.clone()
                };
                serve(
                    arch,
                    r.clone(),
                    &s,
                    efficiency,
                    prices.choose(Some(&chip.id), None).ok()?,
                )
                .ok()
            };
            let (one, many) = (at(1.0)?, at(throughput_batch)?);
            let v = classify(&chip.spec(), rule);
            Some(CompareRow {
                chip: chip.id.clone(),
                tpp: v.tpp,
                classification: format!(
                    "{}{}",
                    v.classification.name(),
                    v.clause.map(|c| format!(" ({c})")).unwrap_or_default()
                ),
                gpus: many.gpus,
                decode_batch_1: one.decode_tokens_per_s_per_gpu.central,
                decode_throughput_batch: many.decode_tokens_per_s_per_gpu.central,
                throughput_batch,
                bound_at_throughput_batch: many.bound,
                prefill: many.prefill_tokens_per_s_per_gpu.central,
                usd_per_m_output: many.usd_per_m_output.map(|u| u.central),
            })
        })
        .collect()
}

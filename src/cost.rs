//! Training compute and cost: what a model takes to train on a chip at a sustained rate, in
//! FLOPs, GPU-hours, wall-clock days and dollars, fed by measured throughput.
//!
//! Compute is C = 6 · N_active · D (plus, optionally, the attention term for a given context);
//! GPU-hours = C / sustained FLOP/s / 3600. A measured matmul rate is not a training rate: real
//! runs sustain a fraction of it. That fraction is calibrated here, in code, from runs that
//! reported their GPU-hours (DeepSeek-V3, Llama 3.1 405B) against the dense bf16 matmul rate
//! of their chips as measured on the same architecture (data/models.toml, `[calibration]`).
//! Costs are labelled by method: rental (GPU-hours × price) or Epoch AI's amortised hardware
//! plus energy (Cottier et al. 2024).

use serde::{Deserialize, Serialize};

use crate::model::{Numeric, RunResult, Status, WorkloadRecord};

const MODELS_TOML: &str = include_str!("../data/models.toml");
const SECONDS_PER_HOUR: f64 = 3600.0;
/// Epoch AI: hardware price-performance improves 0.14 orders of magnitude a year; hours in a
/// year as Epoch counts them.
const EPOCH_OOMS_PER_YEAR: f64 = 0.14;
const EPOCH_HOURS_PER_YEAR: f64 = 24.0 * 365.25;
/// Epoch AI: cluster interconnect is 19% of cluster cost; servers run at 75% of TDP.
const EPOCH_INTERCONNECT_SHARE: f64 = 0.19;
const EPOCH_SERVER_TDP_FRACTION: f64 = 0.75;
/// Server power per GPU over the GPU's TDP for most GPUs (Epoch AI, Cottier et al. 2024; 1.82
/// for the H100).
pub const EPOCH_CHIP_TO_SERVER_POWER: f64 = 1.8;
/// The reference run every chip is compared with: DeepSeek-V3's 2,048 H800s.
const REFERENCE_MODEL: &str = "deepseek-v3";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CostError {
    #[error("{0}")]
    Input(String),
    #[error("data/models.toml: {0}")]
    Data(String),
}

/// One reported phase of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    pub name: String,
    pub gpu_hours: f64,
}

/// The architecture figures the attention term needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Attention {
    pub layers: f64,
    pub heads: f64,
    pub d_qk: f64,
    pub d_v: f64,
    /// Training sequence length.
    pub context: f64,
}

impl Attention {
    /// Training FLOPs per token of causal attention: forward 2 FLOP per multiply-add over
    /// (d_qk + d_v) per head and layer against S/2 keys on average, times 3 for forward and
    /// backward: 3 · L · H · (d_qk + d_v) · S.
    pub fn flops_per_token(&self) -> f64 {
        3.0 * self.layers * self.heads * (self.d_qk + self.d_v) * self.context
    }
}

/// A reference training run from data/models.toml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub id: String,
    pub name: String,
    pub params: Option<f64>,
    pub active_params: Option<f64>,
    pub tokens: Option<f64>,
    /// Total compute, where only an estimate of it exists.
    pub flops: Option<f64>,
    pub hardware: String,
    pub gpus: Option<u64>,
    pub price_usd_per_gpu_hour: Option<f64>,
    pub speculative: bool,
    pub sources: Vec<String>,
    /// Reported GPU-hours; the first phase is the one 6·N·D counts.
    pub phases: Vec<Phase>,
    pub attention: Option<Attention>,
}

/// The measured dense matmul rate the default utilisation is calibrated against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub hopper_dense_bf16_tflops: f64,
    pub measured_in: String,
    pub variant: String,
}

#[derive(Debug, Clone, Deserialize)]
struct ModelsFile {
    model: Vec<Model>,
    calibration: Calibration,
}

/// The reference runs and the calibration, as shipped in data/models.toml.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub models: Vec<Model>,
    pub calibration: Calibration,
}

impl Model {
    /// Training compute in FLOP: the stated estimate, or 6 · N_active · D (plus attention
    /// when asked and the architecture is known).
    pub fn training_flops(&self, with_attention: bool) -> Option<f64> {
        if let Some(f) = self.flops {
            return Some(f);
        }
        let n = self.active_params.or(self.params)?;
        let d = self.tokens?;
        let attention = match (with_attention, self.attention) {
            (true, Some(a)) => a.flops_per_token() * d,
            _ => 0.0,
        };
        Some(dense_flops(n, d) + attention)
    }

    pub fn total_gpu_hours(&self) -> f64 {
        self.phases.iter().map(|p| p.gpu_hours).sum()
    }

    /// The per-GPU rate the run sustained: 6·N·D over the GPU-hours of its first phase.
    pub fn implied_tflops(&self) -> Option<f64> {
        let hours = self.phases.first()?.gpu_hours;
        let flops = self.training_flops(false)?;
        (hours > 0.0).then(|| flops / (hours * SECONDS_PER_HOUR) / 1e12)
    }
}

impl Catalog {
    pub fn load() -> Result<Self, CostError> {
        Self::parse(MODELS_TOML)
    }

    pub fn parse(text: &str) -> Result<Self, CostError> {
        let file: ModelsFile = toml::from_str(text).map_err(|e| CostError::Data(e.to_string()))?;
        for m in &file.model {
            if m.training_flops(false).is_none() {
                return Err(CostError::Data(format!(
                    "{} has neither flops nor params and tokens",
                    m.id
                )));
            }
        }
        Ok(Catalog {
            models: file.model,
            calibration: file.calibration,
        })
    }

    /// The model with this id, or an error that suggests the closest ids.
    pub fn model(&self, id: &str) -> Result<&Model, CostError> {
        if let Some(m) = self.models.iter().find(|m| m.id.eq_ignore_ascii_case(id)) {
            return Ok(m);
        }
        let close = crate::input::closest(id, self.models.iter().map(|m| m.id.as_str()));
        Err(CostError::Input(format!(
            "unknown model {id:?}; closest: {} (known: {})",
            close.join(", "),
            self.models
                .iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }

    /// The default utilisation: for each calibration run (DeepSeek-V3, Llama 3.1 405B), the
    /// per-GPU rate it sustained over the dense bf16 matmul rate its architecture delivers;
    /// their mean. Returns the mean and each run's fraction.
    pub fn calibrated_utilization(&self) -> Result<(f64, Vec<(String, f64)>), CostError> {
        let mut fractions = Vec::new();
        for id in ["deepseek-v3", "llama-3.1-405b"] {
            let m = self.model(id).map_err(|e| CostError::Data(e.to_string()))?;
            let rate = m
                .implied_tflops()
                .ok_or_else(|| CostError::Data(format!("{id} has no GPU-hours")))?;
            fractions.push((
                id.to_string(),
                rate / self.calibration.hopper_dense_bf16_tflops,
            ));
        }
        let mean = fractions.iter().map(|(_, f)| f).sum::<f64>() / fractions.len() as f64;
        Ok((mean, fractions))
    }
}

/// 6 · N · D: two FLOP per parameter per token forward, four backward.
pub fn dense_flops(active_params: f64, tokens: f64) -> f64 {
    6.0 * active_params * tokens
}

/// GPU-hours to do `flops` at `tflops` sustained per GPU.
pub fn gpu_hours(flops: f64, tflops: f64) -> f64 {
    flops / (tflops * 1e12) / SECONDS_PER_HOUR
}

/// Wall-clock days for `gpu_hours` spread over `gpus`.
pub fn wall_days(gpu_hours: f64, gpus: u64) -> f64 {
    gpu_hours / gpus as f64 / 24.0
}

/// What Epoch AI's amortised-hardware method needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AmortizedInputs {
    /// Acquisition price per GPU, including its share of the server, in USD.
    pub purchase_price_usd: f64,
    /// Years from acquisition to the training run (the price depreciates meanwhile).
    pub years_since_purchase: f64,
    pub tdp_kw: f64,
    /// Server power per GPU over GPU TDP (Epoch: 1.8 for most GPUs, 1.82 for H100).
    pub chip_to_server_power: f64,
    pub pue: f64,
    pub usd_per_kwh: f64,
}

/// Amortised cost of a run by Epoch AI's method, in USD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Amortized {
    pub hardware_usd: f64,
    pub interconnect_usd: f64,
    pub energy_usd: f64,
    pub total_usd: f64,
    pub usd_per_gpu_hour: f64,
}

/// Epoch AI (Cottier et al. 2024): hardware amortised at the rate price-performance improves
/// (0.14 OOM/yr, i.e. 0.14 · ln 10 of the value per year), interconnect 19% of cluster cost,
/// and energy at server power, PUE and the electricity price.
pub fn amortized(gpu_hours: f64, i: &AmortizedInputs) -> Amortized {
    let value = i.purchase_price_usd * 10f64.powf(-EPOCH_OOMS_PER_YEAR * i.years_since_purchase);
    let per_hour = value * EPOCH_OOMS_PER_YEAR * std::f64::consts::LN_10 / EPOCH_HOURS_PER_YEAR;
    let hardware_usd = per_hour * gpu_hours;
    let interconnect_usd =
        hardware_usd * EPOCH_INTERCONNECT_SHARE / (1.0 - EPOCH_INTERCONNECT_SHARE);
    let energy_usd = i.tdp_kw
        * i.chip_to_server_power
        * EPOCH_SERVER_TDP_FRACTION
        * i.pue
        * gpu_hours
        * i.usd_per_kwh;
    let total_usd = hardware_usd + interconnect_usd + energy_usd;
    Amortized {
        hardware_usd,
        interconnect_usd,
        energy_usd,
        total_usd,
        usd_per_gpu_hour: total_usd / gpu_hours,
    }
}

/// A training-compute threshold in law or regulation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    pub id: &'static str,
    pub rule: &'static str,
    pub flop: f64,
    pub status: &'static str,
    pub crossed: bool,
}

/// The compute thresholds, with whether `flops` crosses each (strictly above, as the rules say
/// "greater than"; the 4E091 rule says "10^26 or more").
pub fn thresholds(flops: f64) -> Vec<Threshold> {
    let t = |id, rule, flop: f64, status, inclusive: bool| Threshold {
        id,
        rule,
        flop,
        status,
        crossed: if inclusive {
            flops >= flop
        } else {
            flops > flop
        },
    };
    vec![
        t(
            "eu-ai-act-systemic-risk",
            "EU AI Act Art. 51(2): general-purpose model presumed to have systemic risk",
            1e25,
            "in force (GPAI obligations from August 2025)",
            false,
        ),
        t(
            "california-sb53-frontier",
            "California SB 53: frontier model",
            1e26,
            "in force (from 2026-01-01)",
            false,
        ),
        t(
            "us-eo14110-reporting",
            "US Executive Order 14110 s. 4.2(b): reporting of dual-use foundation models",
            1e26,
            "revoked 2025-01-20 (EO 14148)",
            false,
        ),
        t(
            "us-4e091-model-weights",
            "US AI Diffusion rule, ECCN 4E091: closed model weights",
            1e26,
            "not enforced since 2025-05-13",
            true,
        ),
    ]
}

/// Where the training compute comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Compute {
    Model(String),
    ParamsTokens { active_params: f64, tokens: f64 },
    Flops(f64),
}

/// Where the sustained per-GPU rate comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Rate {
    /// A sustained training rate per GPU, used as is.
    Tflops(f64),
    /// A measured matmul rate, times a utilisation.
    Measured {
        tflops: f64,
        what: String,
        utilization: f64,
    },
}

/// One `chipbench cost` question.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub compute: Option<Compute>,
    pub rate: Rate,
    pub with_attention: bool,
    pub price_usd_per_gpu_hour: Option<f64>,
    pub gpus: Option<u64>,
    pub amortized: Option<AmortizedInputs>,
}

/// A reference run on the chip in question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub model: String,
    pub speculative: bool,
    pub flops: f64,
    pub gpu_hours: f64,
    pub cost_usd: f64,
    /// What the run reported, for contrast.
    pub reported_gpu_hours: f64,
    pub reported_hardware: String,
}

/// The answer, as `--json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub flops: Option<f64>,
    pub flops_source: Option<String>,
    pub sustained_tflops: f64,
    pub rate_source: String,
    pub utilization: Option<f64>,
    pub gpu_hours: Option<f64>,
    pub price_usd_per_gpu_hour: f64,
    pub price_source: String,
    /// Rental cost: GPU-hours × price.
    pub cost_usd: Option<f64>,
    pub gpus: Option<u64>,
    pub wall_days: Option<f64>,
    pub amortized: Option<Amortized>,
    pub thresholds: Vec<Threshold>,
    pub comparisons: Vec<Comparison>,
    /// Chips at this sustained rate that match DeepSeek-V3's 2,048 H800s.
    pub chips_to_match_deepseek_v3: f64,
}

fn positive(name: &str, v: f64) -> Result<f64, CostError> {
    crate::input::positive(name, v).map_err(CostError::Input)
}

/// A number in the range a person could mean (see [`crate::input::within`]).
fn within(name: &str, v: f64, lo: f64, hi: f64) -> Result<f64, CostError> {
    crate::input::within(name, v, lo, hi).map_err(CostError::Input)
}

/// Answers a request against the catalog.
pub fn estimate(catalog: &Catalog, req: &Request) -> Result<Estimate, CostError> {
    let (sustained, rate_source, utilization) = match &req.rate {
        Rate::Tflops(t) => (
            within("--tflops", *t, 1e-6, 1e7)?,
            "given sustained rate per GPU".to_string(),
            None,
        ),
        Rate::Measured {
            tflops,
            what,
            utilization,
        } => {
            let u = positive("--utilization", *utilization)?;
            if u > 1.0 {
                return Err(CostError::Input(format!(
                    "--utilization is a fraction of the measured rate (at most 1), got {u}"
                )));
            }
            let t = positive("measured matmul rate", *tflops)?;
            (t * u, format!("{what} × utilisation {u:.3}"), Some(u))
        }
    };
    let (price, price_source) = match req.price_usd_per_gpu_hour {
        Some(p) => (within("--price", p, 1e-4, 1e4)?, "given".to_string()),
        None => (
            2.0,
            "default: DeepSeek-V3's assumed H800 rental price".to_string(),
        ),
    };
    if let Some(g) = req.gpus {
        within("--gpus", g as f64, 1.0, 1e8)?;
    }
    let (flops, flops_source) = match &req.compute {
        None => (None, None),
        Some(Compute::Flops(f)) => (
            Some(within("--flops", *f, 1e9, 1e32)?),
            Some("given".to_string()),
        ),
        Some(Compute::ParamsTokens {
            active_params,
            tokens,
        }) => {
            let n = within("--params", *active_params, 1e3, 1e16)?;
            let d = within("--tokens", *tokens, 1e3, 1e17)?;
            (
                Some(dense_flops(n, d)),
                Some(format!("6 × {n:.3e} parameters × {d:.3e} tokens")),
            )
        }
        Some(Compute::Model(id)) => {
            let m = catalog.model(id)?;
            let f = m
                .training_flops(req.with_attention)
                .expect("validated at load");
            let how = if m.flops.is_some() {
                format!(
                    "{}: estimate{}",
                    m.name,
                    if m.speculative { " (speculative)" } else { "" }
                )
            } else if req.with_attention && m.attention.is_some() {
                format!("{}: 6·N_active·D plus attention", m.name)
            } else {
                format!("{}: 6·N_active·D", m.name)
            };
            (Some(f), Some(how))
        }
    };
    let hours = flops.map(|f| gpu_hours(f, sustained));
    if let Some(i) = &req.amortized {
        within("--purchase-price", i.purchase_price_usd, 1.0, 1e9)?;
        within("--tdp-watts", i.tdp_kw * 1000.0, 1.0, 1e5)?;
        within("--pue", i.pue, 1.0, 5.0)?;
        within("--usd-per-kwh", i.usd_per_kwh, 1e-4, 10.0)?;
        if !(i.years_since_purchase.is_finite() && i.years_since_purchase >= 0.0) {
            return Err(CostError::Input(
                "--years-since-purchase must be 0 or more".into(),
            ));
        }
    }
    let reference = catalog
        .model(REFERENCE_MODEL)
        .map_err(|e| CostError::Data(e.to_string()))?;
    let reference_rate = reference.implied_tflops().unwrap_or(0.0);
    let reference_gpus = reference.gpus.unwrap_or(0) as f64;
    let comparisons = catalog
        .models
        .iter()
        .filter_map(|m| {
            let f = m.training_flops(req.with_attention)?;
            let h = gpu_hours(f, sustained);
            Some(Comparison {
                model: m.name.clone(),
                speculative: m.speculative,
                flops: f,
                gpu_hours: h,
                cost_usd: h * price,
                reported_gpu_hours: m.total_gpu_hours(),
                reported_hardware: m.hardware.clone(),
            })
        })
        .collect();
    Ok(Estimate {
        flops,
        flops_source,
        sustained_tflops: sustained,
        rate_source,
        utilization,
        gpu_hours: hours,
        price_usd_per_gpu_hour: price,
        price_source,
        cost_usd: hours.map(|h| h * price),
        gpus: req.gpus,
        wall_days: match (hours, req.gpus) {
            (Some(h), Some(g)) => Some(wall_days(h, g)),
            _ => None,
        },
        amortized: match (hours, &req.amortized) {
            (Some(h), Some(i)) => Some(amortized(h, i)),
            _ => None,
        },
        thresholds: flops.map(thresholds).unwrap_or_default(),
        comparisons,
        chips_to_match_deepseek_v3: reference_gpus * reference_rate / sustained,
    })
}

/// The best passed matmul rate in a result at `precision` (input precision; default: bf16 if
/// measured, else f16), preferring f32 accumulation, and a description of where it came from.
pub fn measured_matmul(
    result: &RunResult,
    precision: Option<Numeric>,
) -> Result<(f64, String), CostError> {
    let ok_matmul = |p: Numeric| -> Vec<&WorkloadRecord> {
        result
            .workloads
            .iter()
            .filter(|w| w.workload == "matmul" && w.status == Status::Ok && w.precision.inputs == p)
            .collect()
    };
    let chosen = match precision {
        Some(p) => p,
        None => [Numeric::Bf16, Numeric::F16]
            .into_iter()
            .find(|&p| !ok_matmul(p).is_empty())
            .unwrap_or(Numeric::Bf16),
    };
    let candidates = ok_matmul(chosen);
    let f32_acc: Vec<&&WorkloadRecord> = candidates
        .iter()
        .filter(|w| w.precision.accumulate == Numeric::F32)
        .collect();
    let pool: Vec<&WorkloadRecord> = if f32_acc.is_empty() {
        candidates.clone()
    } else {
        f32_acc.into_iter().copied().collect()
    };
    let best = pool
        .iter()
        .filter_map(|w| w.throughput.as_ref()?.tflops.map(|t| (t, *w)))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((t, w)) => {
            let shape: Vec<String> = w.shape.iter().map(|(k, v)| format!("{k}={v}")).collect();
            Ok((
                t,
                format!(
                    "measured {} matmul {} ({}) on {}: {t:.1} TFLOP/s",
                    chosen,
                    w.variant,
                    shape.join(" "),
                    result.device.name
                ),
            ))
        }
        None => {
            let have: Vec<String> = result
                .workloads
                .iter()
                .filter(|w| w.workload == "matmul" && w.status == Status::Ok)
                .map(|w| w.precision.inputs.to_string())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            Err(CostError::Input(format!(
                "the result has no passed {chosen} matmul to take a rate from (passed precisions: {}); \
                 pick one with --precision or give --tflops",
                if have.is_empty() {
                    "none".to_string()
                } else {
                    have.join(", ")
                }
            )))
        }
    }
}

/// Parses a count such as `405e9`, `405B`, `15.6T` or `3.3e24`.
pub fn parse_quantity(name: &str, s: &str) -> Result<f64, CostError> {
    let t = s.trim();
    let (num, scale) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1e3),
        Some('M') => (&t[..t.len() - 1], 1e6),
        Some('B' | 'G') => (&t[..t.len() - 1], 1e9),
        Some('T') => (&t[..t.len() - 1], 1e12),
        Some('P') => (&t[..t.len() - 1], 1e15),
        _ => (t, 1.0),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| CostError::Input(format!("{name}: {s:?} is not a number")))?;
    positive(name, v * scale)
}

fn money(usd: f64) -> String {
    if usd >= 1e9 {
        format!("${:.2}B", usd / 1e9)
    } else if usd >= 1e6 {
        format!("${:.3}M", usd / 1e6)
    } else {
        format!("${usd:.0}")
    }
}

fn hours(h: f64) -> String {
    if h >= 1e6 {
        format!("{:.3}M GPU-hours", h / 1e6)
    } else {
        format!("{h:.0} GPU-hours")
    }
}

impl Estimate {
    /// The estimate in sentences and a table, every number with its unit.
    pub fn to_text(&self) -> String {
        let mut out = Vec::new();
        out.push(format!(
            "sustained rate: {:.1} TFLOP/s per GPU ({})",
            self.sustained_tflops, self.rate_source
        ));
        if let (Some(f), Some(src), Some(h)) = (self.flops, &self.flops_source, self.gpu_hours) {
            out.push(format!("training compute: {f:.3e} FLOP ({src})"));
            out.push(format!(
                "time: {} (a lower bound: no communication, stalls or restarts)",
                hours(h)
            ));
            if let (Some(d), Some(g)) = (self.wall_days, self.gpus) {
                out.push(format!("wall clock: {d:.1} days on {g} GPUs"));
            }
            out.push(format!(
                "rental cost: {} at ${:.2} per GPU-hour ({})",
                money(self.cost_usd.unwrap_or(0.0)),
                self.price_usd_per_gpu_hour,
                self.price_source
            ));
            if let Some(a) = &self.amortized {
                out.push(format!(
                    "amortised cost (Epoch AI method): {} = hardware {} + interconnect {} + energy {} (${:.2} per GPU-hour)",
                    money(a.total_usd),
                    money(a.hardware_usd),
                    money(a.interconnect_usd),
                    money(a.energy_usd),
                    a.usd_per_gpu_hour
                ));
            }
            for t in &self.thresholds {
                out.push(format!(
                    "{} {:.0e} FLOP: {}; {}",
                    if t.crossed { "crosses" } else { "below" },
                    t.flop,
                    t.rule,
                    t.status
                ));
            }
        }
        out.push(format!(
            "chips at this rate to match DeepSeek-V3's 2,048 H800s: {:.0}",
            self.chips_to_match_deepseek_v3
        ));
        out.push("reference runs at this rate:".to_string());
        for c in &self.comparisons {
            out.push(format!(
                "  {:<24} {:>10.3e} FLOP  {:>22}  {:>10}   (reported: {} on {}){}",
                c.model,
                c.flops,
                hours(c.gpu_hours),
                money(c.cost_usd),
                hours(c.reported_gpu_hours),
                c.reported_hardware,
                if c.speculative { " [speculative]" } else { "" }
            ));
        }
        out.join("\n") + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::load().expect("data/models.toml parses")
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn deepseek_v3_reproduces_its_reported_cost_and_rate() {
        let c = catalog();
        let m = c.model("deepseek-v3").unwrap();
        // 2.788M GPU-hours at $2: $5.576M.
        let cost = m.total_gpu_hours() * m.price_usd_per_gpu_hour.unwrap();
        assert!(close(cost, 5.576e6, 0.005), "{cost}");
        // 6 × 37e9 × 14.8e12 over 2.664M GPU-hours: about 342.6 TFLOP/s, 34.6% of H800 bf16.
        let rate = m.implied_tflops().unwrap();
        assert!(close(rate, 342.6, 0.005), "{rate}");
        assert!(close(rate / 989.4, 0.346, 0.005), "{}", rate / 989.4);
        assert!(close(m.training_flops(false).unwrap(), 3.2856e24, 1e-9));
    }

    #[test]
    fn llama_405b_sustained_about_the_same_rate() {
        let rate = catalog()
            .model("llama-3.1-405b")
            .unwrap()
            .implied_tflops()
            .unwrap();
        assert!(close(rate, 341.5, 0.005), "{rate}");
    }

    #[test]
    fn calibrated_utilization_comes_from_the_reported_runs() {
        let c = catalog();
        let (u, each) = c.calibrated_utilization().unwrap();
        assert_eq!(each.len(), 2);
        for (_, f) in &each {
            assert!(*f > 0.45 && *f < 0.55, "{each:?}");
        }
        assert!(close(u, (each[0].1 + each[1].1) / 2.0, 1e-12));
    }

    #[test]
    fn attention_term_matches_the_worked_deepseek_number() {
        // 61 layers, 128 heads, d_qk 192, d_v 128, S 4096: 3.07e10 FLOP per token.
        let a = catalog().model("deepseek-v3").unwrap().attention.unwrap();
        assert!(
            close(a.flops_per_token(), 3.07e10, 0.005),
            "{}",
            a.flops_per_token()
        );
    }

    #[test]
    fn formulas_and_units() {
        assert_eq!(dense_flops(1e9, 1e12), 6e21);
        // 3.6e15 FLOP at 1 TFLOP/s is 3600 s: one GPU-hour.
        assert!(close(gpu_hours(3.6e15, 1.0), 1.0, 1e-12));
        assert_eq!(wall_days(48.0, 2), 1.0);
    }

    #[test]
    fn epoch_amortized_method_matches_its_illustration() {
        // $35,000 per GPU, new; H100 0.7 kW, server factor 1.82, PUE 1.25, $0.0771/kWh:
        // $1.287 + $0.302 + $0.092 per GPU-hour, about $1.68.
        let a = amortized(
            1000.0,
            &AmortizedInputs {
                purchase_price_usd: 35_000.0,
                years_since_purchase: 0.0,
                tdp_kw: 0.7,
                chip_to_server_power: 1.82,
                pue: 1.25,
                usd_per_kwh: 0.0771,
            },
        );
        assert!(close(a.hardware_usd / 1000.0, 1.287, 0.005));
        assert!(close(a.interconnect_usd / 1000.0, 0.302, 0.005));
        assert!(close(a.energy_usd / 1000.0, 0.092, 0.01));
        assert!(close(a.usd_per_gpu_hour, 1.68, 0.01));
    }

    #[test]
    fn thresholds_flag_what_is_crossed() {
        let crossed = |f: f64| -> Vec<&str> {
            thresholds(f)
                .into_iter()
                .filter(|t| t.crossed)
                .map(|t| t.id)
                .collect()
        };
        assert!(crossed(3.3e24).is_empty());
        assert_eq!(crossed(2.1e25), vec!["eu-ai-act-systemic-risk"]);
        assert_eq!(crossed(1e25), Vec::<&str>::new());
        assert_eq!(
            crossed(1e26),
            vec!["eu-ai-act-systemic-risk", "us-4e091-model-weights"]
        );
        assert_eq!(crossed(2e26).len(), 4);
    }

    #[test]
    fn estimate_with_a_given_rate() {
        let req = Request {
            compute: Some(Compute::Model("deepseek-v3".into())),
            rate: Rate::Tflops(342.6),
            with_attention: false,
            price_usd_per_gpu_hour: None,
            gpus: Some(2048),
            amortized: None,
        };
        let e = estimate(&catalog(), &req).unwrap();
        assert!(close(e.gpu_hours.unwrap(), 2.664e6, 0.001));
        assert!(close(e.cost_usd.unwrap(), 5.328e6, 0.001));
        assert!(close(e.wall_days.unwrap(), 54.2, 0.002));
        assert!(close(e.chips_to_match_deepseek_v3, 2048.0, 0.001));
        assert!(e.to_text().contains("rental cost: $5.328M"));
    }

    #[test]
    fn measured_rate_is_scaled_by_utilization() {
        let req = Request {
            compute: Some(Compute::ParamsTokens {
                active_params: 1e9,
                tokens: 1e12,
            }),
            rate: Rate::Measured {
                tflops: 200.0,
                what: "m".into(),
                utilization: 0.5,
            },
            with_attention: false,
            price_usd_per_gpu_hour: Some(1.0),
            gpus: None,
            amortized: None,
        };
        let e = estimate(&catalog(), &req).unwrap();
        assert_eq!(e.sustained_tflops, 100.0);
        assert!(close(e.gpu_hours.unwrap(), 6e21 / 1e14 / 3600.0, 1e-12));
        assert!(e.wall_days.is_none());
    }

    #[test]
    fn bad_input_is_refused() {
        let c = catalog();
        let base = Request {
            compute: Some(Compute::Flops(1e24)),
            rate: Rate::Tflops(100.0),
            with_attention: false,
            price_usd_per_gpu_hour: None,
            gpus: None,
            amortized: None,
        };
        for rate in [
            Rate::Tflops(0.0),
            Rate::Tflops(-5.0),
            Rate::Tflops(f64::NAN),
        ] {
            let r = Request {
                rate,
                ..base.clone()
            };
            assert!(matches!(estimate(&c, &r), Err(CostError::Input(_))));
        }
        let over = Request {
            rate: Rate::Measured {
                tflops: 100.0,
                what: "m".into(),
                utilization: 1.5,
            },
            ..base.clone()
        };
        assert!(matches!(estimate(&c, &over), Err(CostError::Input(_))));
        let err = c.model("deepseek-v4").unwrap_err().to_string();
        assert!(err.contains("closest: deepseek-v3"), "{err}");
        let err = c.model("llama").unwrap_err().to_string();
        assert!(err.contains("llama-3.1"), "{err}");
    }

    #[test]
    fn quantities_take_suffixes() {
        assert_eq!(parse_quantity("n", "405B").unwrap(), 405e9);
        assert_eq!(parse_quantity("n", "15.6T").unwrap(), 15.6e12);
        assert_eq!(parse_quantity("n", "3.3e24").unwrap(), 3.3e24);
        assert!(parse_quantity("n", "lots").is_err());
        assert!(parse_quantity("n", "-1").is_err());
        assert!(parse_quantity("n", "0").is_err());
    }
}

//! Serving capability: what a chip delivers when it serves a model, beside its TPP.
//!
//! A roofline of decode and prefill from the model's architecture (data/models.toml) at the
//! precision the work runs at, with the collectives of tensor and expert parallelism
//! (`roofline`), on the chip's rates with their evidence (`rates`). Real serving reaches a
//! share of the roofline: that efficiency, for decode and prefill of dense models and of
//! mixtures of experts, is calibrated on published serving figures (data/serving_figures.toml:
//! MLPerf, vendor tables, DeepSeek's production) and every estimate carries the 80% range of
//! the held-out errors (`calibrate`); `validate` prints every figure beside its prediction.

pub mod calibrate;
pub mod figures;
pub mod format;
pub mod rates;
pub mod roofline;
pub mod validate;
pub mod view;

use serde::Serialize;

pub use calibrate::Calibration;
pub(crate) use calibrate::Regime;
pub use format::Format;
pub(crate) use rates::Rates;
pub use rates::{Bandwidth, rates};
pub use roofline::roofline;
pub(crate) use roofline::{Batch, Bound, Efficiency, Layout, Roofline, Setting, USABLE_MEMORY};

use crate::cost::catalog::Architecture;
use crate::cost::{DataError, PriceUsed, Prices, Span};
use crate::policy::{Chip, ChipError, Database, Rule, classify};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A value of the request that is out of range; `field` is the option it came from.
    #[error("{field}: {why}")]
    Input { field: &'static str, why: String },
    #[error("{chip} has no {missing} in data/chips.toml")]
    Chip { chip: String, missing: String },
    #[error(
        "{model} needs {need_gb:.1} GB on {chip} but {} {have_gb:.1} GB at {usable:.0}% usable; it takes at least {}",
        crate::quantity::plural(*.gpus as usize, "GPU holds", "GPUs hold"),
        crate::quantity::plural(*.min_gpus as usize, "GPU", "GPUs"),
        usable = USABLE_MEMORY * 100.0
    )]
    DoesNotFit {
        model: String,
        chip: String,
        gpus: f64,
        need_gb: f64,
        have_gb: f64,
        min_gpus: f64,
    },
    #[error("data/serving_figures.toml: figure {id:?}: {why}")]
    Figure { id: String, why: String },
    #[error("no published figure calibrates the {0} regime")]
    Calibration(&'static str),
    /// The training-cost model's calibration failed where a serving answer needed it.
    #[error("{0}")]
    CostCalibration(String),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    ChipDb(#[from] ChipError),
}

impl ServeError {
    /// Whether the error is the chip's, not the question's: it lacks a figure serving needs,
    /// or cannot hold the model. A survey of every chip leaves such a chip out and goes on.
    pub fn leaves_chip_out(&self) -> bool {
        matches!(
            self,
            ServeError::Chip { .. } | ServeError::DoesNotFit { .. }
        )
    }
}

/// A chip's datasheet rates for `weights` and `kv`, with no measurement, and its table price:
/// what a survey of every chip serves each chip at.
pub fn on_datasheet(
    db: &Database,
    chip: &Chip,
    weights: Format,
    kv: Format,
    prices: &Prices,
) -> Result<(Rates, Option<PriceUsed>), ServeError> {
    let r = rates(db, chip, None, &[], weights, kv)?;
    Ok((r, prices.choose(Some(&chip.id), None)?))
}

impl From<crate::cost::CostError> for ServeError {
    fn from(e: crate::cost::CostError) -> Self {
        match e {
            crate::cost::CostError::Data(d) => ServeError::Data(d),
            crate::cost::CostError::Chip(c) => ServeError::ChipDb(c),
            crate::cost::CostError::Input { field, why } => ServeError::Input {
                field: field.name(),
                why,
            },
            crate::cost::CostError::Calibration(why) => ServeError::CostCalibration(why),
        }
    }
}

fn within(field: &'static str, v: f64, lo: f64, hi: f64) -> Result<f64, ServeError> {
    crate::input::within("it", v, lo, hi).map_err(|e| ServeError::Input {
        field,
        why: e.trim_start_matches("it ").to_string(),
    })
}

/// One serving question as people ask it.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub weights: Format,
    pub kv: Format,
    /// Concurrent sequences per replica, or `None` to fill the replica's memory.
    pub batch: Option<f64>,
    pub context: f64,
    pub prompt: f64,
    pub output: f64,
    /// Chips per replica, in one tensor-parallel group; the fewest that hold it when not given.
    pub gpus: Option<f64>,
}

impl Request {
    /// Tokens in each sequence's cache, prompt and output tokens per request, when not given.
    pub const CONTEXT: f64 = 4096.0;
    pub const PROMPT: f64 = 1024.0;
    pub const OUTPUT: f64 = 256.0;

    /// The setting the report's deployment chart serves every chip in: one sequence of
    /// [`Request::CONTEXT`] tokens, fp8 weights and cache, the fewest chips that hold it.
    pub fn deployment() -> Request {
        Request {
            weights: Format::Fp8,
            kv: Format::Fp8,
            batch: Some(1.0),
            context: Request::CONTEXT,
            prompt: Request::PROMPT,
            output: Request::OUTPUT,
            gpus: None,
        }
    }

    /// Every option in range, whether or not the question asked uses it.
    pub fn check(&self) -> Result<(), ServeError> {
        within("context", self.context, 1.0, 1e7)?;
        within("prompt", self.prompt, 1.0, 1e7)?;
        within("output", self.output, 1.0, 1e7)?;
        if let Some(b) = self.batch {
            within("batch", b, 1.0, 1e6)?;
        }
        if let Some(g) = self.gpus {
            within("gpus", g, 1.0, 1e5)?;
            if g.fract() != 0.0 {
                return Err(ServeError::Input {
                    field: "gpus",
                    why: format!("must be a whole number, got {g}"),
                });
            }
        }
        Ok(())
    }

    /// The request checked and as a roofline setting, filling only a replica of a given size.
    pub fn setting(&self, arch: &Architecture) -> Result<Setting, ServeError> {
        self.check()?;
        let layout = self
            .gpus
            .map(|g| Layout::tensor(g as u32, arch.moe.is_some()));
        let batch = match (self.batch, layout) {
            (Some(b), _) => Batch::Fixed(b),
            (None, Some(_)) => Batch::Fill,
            (None, None) => {
                return Err(ServeError::Input {
                    field: "fill",
                    why: "filling needs the replica's size: give gpus".into(),
                });
            }
        };
        Ok(Setting {
            weights: self.weights,
            kv: self.kv,
            batch,
            // A filled replica holds whole requests: on average a prompt and half an output.
            context: if self.batch.is_none() {
                self.prompt + self.output / 2.0
            } else {
                self.context
            },
            prompt: self.prompt,
            output: self.output,
            layout,
            overlap: false,
        })
    }
}

/// The answer, as `--json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Serving {
    pub model: String,
    pub rates: Rates,
    pub weights: Format,
    pub kv: Format,
    pub context: f64,
    pub prompt: f64,
    pub output: f64,
    pub roofline: Roofline,
    pub regime: Regime,
    pub efficiency: Efficiency,
    pub calibration: Calibration,
    pub decode_tokens_per_s_per_sequence: Span,
    pub decode_tokens_per_s_per_gpu: Span,
    pub prefill_tokens_per_s_per_gpu: Span,
    pub time_to_first_token_s: Span,
    /// Output tokens/s per GPU serving whole requests (prompt, then output), prefill included.
    pub request_output_tokens_per_s_per_gpu: Span,
    pub price: Option<PriceUsed>,
    /// USD per million output tokens, and per million input tokens.
    pub usd_per_m_output: Option<Span>,
    pub usd_per_m_input: Option<Span>,
}

/// A rate at the calibrated efficiency with its 80% range from the held-out residuals
/// (ln(predicted / published)).
fn calibrated(rate: f64, c: &Calibration) -> Span {
    residual_range(rate, c.lower, c.upper)
}

/// `rate` with the range its residuals' 10th and 90th percentiles (`lower`, `upper`, of
/// ln(predicted / published)) put around it.
pub(crate) fn residual_range(rate: f64, lower: f64, upper: f64) -> Span {
    Span {
        central: rate,
        low: rate * (-upper).exp(),
        high: rate * (-lower).exp(),
    }
}

/// Serving `arch` on the chip of `rates` as `req` asks.
pub fn serve(
    arch: &Architecture,
    rates: Rates,
    req: &Request,
    calibration: &Calibration,
    price: Option<PriceUsed>,
) -> Result<Serving, ServeError> {
    let setting = req.setting(arch)?;
    let r = roofline(arch, &rates, &setting)?;
    let regime = Regime::of(arch.moe.is_some());
    let e = calibration.efficiency(regime);
    let at = |v: f64| calibrated(v, calibration);
    let prefill = at(r.prefill_per_gpu(setting.prompt, e));
    let decode = at(r.decode_per_gpu(e));
    let per_m = |s: Span, usd: f64| s.map(|rate| usd / (rate * 3600.0) * 1e6);
    Ok(Serving {
        model: arch.name.clone(),
        weights: setting.weights,
        kv: setting.kv,
        context: setting.context,
        prompt: setting.prompt,
        output: setting.output,
        decode_tokens_per_s_per_sequence: at(r.per_sequence(e)),
        decode_tokens_per_s_per_gpu: decode,
        time_to_first_token_s: at(1.0 / r.prefill_s(e.prefill)).map(|x| 1.0 / x),
        request_output_tokens_per_s_per_gpu: at(r.requests_per_gpu(setting.output, e)),
        usd_per_m_output: price.as_ref().map(|p| per_m(decode, p.usd_per_gpu_hour)),
        usd_per_m_input: price.as_ref().map(|p| per_m(prefill, p.usd_per_gpu_hour)),
        prefill_tokens_per_s_per_gpu: prefill,
        price,
        roofline: r,
        regime,
        efficiency: e,
        calibration: calibration.clone(),
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

/// `--compare`'s answer: a row per chip that serves the model, and the chips left out with
/// why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compared {
    pub rows: Vec<CompareRow>,
    pub left_out: Vec<(String, String)>,
}

/// The batch `--compare` reports throughput at, in range.
pub fn check_throughput_batch(batch: f64) -> Result<(), ServeError> {
    within("throughput_batch", batch, 1.0, 1e6).map(drop)
}

/// What `--compare` asks every chip.
pub struct Comparing<'a> {
    pub db: &'a Database,
    pub prices: &'a Prices,
    pub calibration: &'a Calibration,
    pub rule: Rule,
    pub throughput_batch: f64,
}

/// Every chip of `chips` serving `arch` on its datasheet rates: decode tokens/s per GPU at
/// batch 1 and at the throughput batch, prefill tokens/s per GPU, $/M output tokens, TPP and
/// the 3A090 status. The request is checked first, so a bad option is its own error; a chip
/// that lacks a figure or cannot hold the model is left out with the reason.
pub fn compare(
    c: &Comparing,
    arch: &Architecture,
    chips: &[&Chip],
    base: &Request,
) -> Result<Compared, ServeError> {
    base.check()?;
    check_throughput_batch(c.throughput_batch)?;
    let at = |batch: f64| Request {
        batch: Some(batch),
        gpus: None,
        ..base.clone()
    };
    at(1.0).setting(arch)?;
    at(c.throughput_batch).setting(arch)?;
    let mut rows = Vec::new();
    let mut left = Vec::new();
    for chip in chips {
        let row = (|| -> Result<CompareRow, ServeError> {
            let (r, price) = on_datasheet(c.db, chip, base.weights, base.kv, c.prices)?;
            let one = serve(arch, r.clone(), &at(1.0), c.calibration, price.clone())?;
            let many = serve(arch, r, &at(c.throughput_batch), c.calibration, price)?;
            let v = classify(&chip.spec(), c.rule);
            Ok(CompareRow {
                chip: chip.id.clone(),
                tpp: v.tpp,
                classification: v.class_long(),
                gpus: many.roofline.layout.gpus(),
                decode_batch_1: one.decode_tokens_per_s_per_gpu.central,
                decode_throughput_batch: many.decode_tokens_per_s_per_gpu.central,
                throughput_batch: c.throughput_batch,
                bound_at_throughput_batch: many.roofline.bound,
                prefill: many.prefill_tokens_per_s_per_gpu.central,
                usd_per_m_output: many.usd_per_m_output.map(|u| u.central),
            })
        })();
        match row {
            Ok(r) => rows.push(r),
            Err(e) if e.leaves_chip_out() => left.push((chip.id.clone(), e.to_string())),
            Err(e) => return Err(e),
        }
    }
    Ok(Compared {
        rows,
        left_out: left,
    })
}

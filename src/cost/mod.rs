//! Training compute and cost: what a model takes to train on a chip, in FLOPs, GPU-hours,
//! wall-clock days and dollars, and whether the chips can hold it.
//!
//! Compute is C = 6 · N_active · D (plus, optionally, the attention term); GPU-hours = C /
//! (utilisation × capability) / 3600. The capability is the chip's, with its evidence named
//! (`evidence`): the vendor library's GEMM measured on it, else its datasheet dense peak. The
//! utilisation is calibrated on reference runs that reported their GPU-hours, against the same
//! kind of evidence on their chips, interpolated in model size, with a range, and never on the
//! run being estimated (`calibration`). Prices come from a per-chip table (`price`).

pub mod calibration;
pub mod catalog;
pub mod evidence;
pub mod price;
pub mod text;
pub mod thresholds;

use serde::Serialize;

pub use calibration::{Prediction, Span, Validation, predict, validate};
pub use catalog::{Catalog, Model, dense_flops, gpu_hours};
pub use evidence::{Capability, Evidence, KernelFigure, RateSource};
pub use price::{AmortizedInputs, EPOCH_CHIP_TO_SERVER_POWER, PriceUsed, Prices, amortized};
pub use thresholds::{Threshold, thresholds};

use crate::model::Source;
use crate::policy::{Chip, Database, Precision};

/// The reference run every chip is compared with: DeepSeek-V3's 2,048 H800s.
const REFERENCE_MODEL: &str = "deepseek-v3";
/// Bytes of training state per parameter with mixed-precision Adam: bf16 weights and
/// gradients (2 + 2), FP32 master weights and two moments (4 + 4 + 4) (Rajbhandari et al.,
/// ZeRO, 2020); activations excluded.
pub const ADAM_MIXED_PRECISION_BYTES_PER_PARAM: f64 = 16.0;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CostError {
    #[error("{0}")]
    Input(String),
    #[error("data/models.toml: {0}")]
    Data(String),
}

/// The tables `cost` ships: reference runs and rental prices.
#[derive(Debug, Clone)]
pub struct Tables {
    pub catalog: Catalog,
    pub prices: Prices,
}

impl Tables {
    pub fn load() -> Result<Self, CostError> {
        Ok(Tables {
            catalog: Catalog::load()?,
            prices: Prices::load()?,
        })
    }
}

/// The shipped tables and the measurements derived figures may use.
pub struct Context<'a> {
    pub db: &'a Database,
    pub catalog: &'a Catalog,
    pub prices: &'a Prices,
    /// Result files (the dataset and any file given) whose vendor measurements count.
    pub files: &'a [Evidence],
}

impl<'a> Context<'a> {
    pub fn new(db: &'a Database, tables: &'a Tables, files: &'a [Evidence]) -> Self {
        Context {
            db,
            catalog: &tables.catalog,
            prices: &tables.prices,
            files,
        }
    }
}

/// Where the training compute comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Compute {
    Model(String),
    ParamsTokens {
        active_params: f64,
        tokens: f64,
        /// All parameters (a mixture-of-experts model's experts included), for its size and
        /// memory; the active count where not given.
        total_params: Option<f64>,
    },
    Flops(f64),
}

/// One `chipbench cost` question.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub compute: Option<Compute>,
    /// The chip asked about (`--chip`, or the chip a `--result` maps to).
    pub chip: Option<String>,
    /// Index in `Context::files` of the `--result` file.
    pub result: Option<usize>,
    /// A sustained per-GPU rate used as is (`--tflops`).
    pub tflops: Option<f64>,
    /// A utilisation that replaces the calibration (`--utilization`).
    pub utilization: Option<f64>,
    pub precision: Option<Precision>,
    pub with_attention: bool,
    pub price_usd_per_gpu_hour: Option<f64>,
    pub gpus: Option<u64>,
    pub amortized: Option<AmortizedInputs>,
    pub state_bytes_per_param: Option<f64>,
}

/// What the training state needs in memory, and how many chips hold it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryFit {
    pub params: f64,
    pub state_bytes_per_param: f64,
    pub state_gb: f64,
    pub chip_memory_gb: f64,
    /// The fewest chips whose memory holds the training state (activations excluded).
    pub min_gpus: f64,
}

/// The chips that match DeepSeek-V3's 2,048 H800s in FLOP/s, and whether they hold the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    /// FLOP-equivalent count: 2,048 × the H800's rate over this chip's, same evidence kind.
    pub flop_equivalent_chips: f64,
    pub holds_training_state: Option<bool>,
}

/// A reference run estimated on the chip in question, calibrated without itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub model: String,
    pub speculative: bool,
    pub flops: f64,
    pub gpu_hours: Span,
    pub cost_usd: Option<f64>,
    /// What the run reported for the phase its compute counts, for contrast.
    pub reported_phase: String,
    pub reported_gpu_hours: f64,
    pub reported_chip: String,
    /// The estimate is for the run's own chip, or one of the same silicon (or for a given
    /// rate), so its error against the reported hours means something.
    pub like_for_like: bool,
}

/// The answer, as `--json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub flops: Option<f64>,
    pub flops_source: Option<String>,
    pub chip: Option<String>,
    pub rate_source: RateSource,
    pub capability: Option<Capability>,
    pub utilization: Option<Span>,
    pub calibration_runs: Vec<String>,
    pub left_out: Option<String>,
    pub calibration_note: Option<String>,
    pub sustained_tflops: Span,
    pub gpu_hours: Option<Span>,
    /// Where the model is a reference run: its reported GPU-hours for the counted phase.
    pub reported: Option<Comparison>,
    /// chipbench's portable kernel on this device, beside the estimate and not in it.
    pub portable_kernel: Option<KernelFigure>,
    pub price: Option<PriceUsed>,
    /// Rental cost: GPU-hours × price.
    pub cost_usd: Option<Span>,
    pub gpus: Option<u64>,
    pub wall_days: Option<Span>,
    pub amortized: Option<price::Amortized>,
    pub memory: Option<MemoryFit>,
    pub gpus_hold_training_state: Option<bool>,
    pub chips_to_match_deepseek_v3: Option<Match>,
    pub thresholds: Vec<Threshold>,
    pub comparisons: Vec<Comparison>,
    /// The evidence and calibration used, in one line.
    pub method: String,
}

fn within(name: &str, v: f64, lo: f64, hi: f64) -> Result<f64, CostError> {
    crate::input::within(name, v, lo, hi).map_err(CostError::Input)
}

/// The calibration holds for the 16-bit formats every reference run is measured against
/// (bf16, or fp16 where a chip has no bf16 peak): a chip's fp8, tf32 or fp64 peak stands in a
/// different ratio to its bf16 one from chip to chip, so utilisations would not carry over.
pub fn training_precision(asked: Option<Precision>) -> Result<Option<Precision>, CostError> {
    match asked {
        None | Some(Precision::Bf16 | Precision::Fp16) => Ok(asked),
        Some(p) => Err(CostError::Input(format!(
            "--precision {p}: the calibration holds for bf16 or fp16, the formats every reference \
             run is measured against"
        ))),
    }
}

/// How the sustained rate is made: a given rate, or utilisation × capability.
enum Rate {
    Given(f64),
    Calibrated {
        capability: Capability,
        utilization: Option<f64>,
    },
}

/// The chip asked about and its capability.
fn resolve<'a>(ctx: &Context<'a>, req: &Request) -> Result<(Option<&'a Chip>, Rate), CostError> {
    let chip = match (&req.chip, req.result) {
        (Some(id), _) => Some(
            ctx.db
                .get(id)
                .map_err(|e| CostError::Input(e.to_string()))?,
        ),
        (None, Some(i)) => ctx.db.for_result(&ctx.files[i].result),
        (None, None) => None,
    };
    if let Some(t) = req.tflops {
        return Ok((chip, Rate::Given(within("--tflops", t, 1e-6, 1e7)?)));
    }
    let p = evidence::precision_for(chip, training_precision(req.precision)?);
    let capability = match (chip, req.result) {
        (Some(c), _) => evidence::chip_capability(ctx.db, c, p, ctx.files)?,
        (None, Some(i)) => evidence::unmapped_capability(&ctx.files[i], req.precision)?,
        (None, None) => {
            return Err(CostError::Input(
                "give the chip: --chip ID, --result FILE, or a sustained rate with --tflops T"
                    .into(),
            ));
        }
    };
    let utilization = match req.utilization {
        Some(u) if !(u.is_finite() && (1e-4..=1.0).contains(&u)) => {
            return Err(CostError::Input(format!(
                "--utilization is a fraction of the chip's capability (1e-4 to 1), got {u}"
            )));
        }
        u => u,
    };
    Ok((
        chip,
        Rate::Calibrated {
            capability,
            utilization,
        },
    ))
}

/// The compute asked for.
struct Asked<'a> {
    flops: f64,
    /// How the FLOPs were counted.
    how: String,
    /// The model's total parameters, where known.
    params: Option<f64>,
    /// The reference run it is, if one.
    model: Option<&'a Model>,
}

fn compute<'a>(catalog: &'a Catalog, req: &Request) -> Result<Option<Asked<'a>>, CostError> {
    if req.with_attention && !matches!(req.compute, Some(Compute::Model(_))) {
        return Err(CostError::Input(
            "--attention needs a model whose architecture is known: give --model ID".into(),
        ));
    }
    Ok(match &req.compute {
        None => None,
        Some(Compute::Flops(f)) => Some(Asked {
            flops: within("--flops", *f, 1e9, 1e32)?,
            how: "given".into(),
            params: None,
            model: None,
        }),
        Some(Compute::ParamsTokens {
            active_params,
            tokens,
            total_params,
        }) => {
            let n = within("--params", *active_params, 1e3, 1e16)?;
            let d = within("--tokens", *tokens, 1e3, 1e17)?;
            let total = match total_params {
                Some(t) if *t < n => {
                    return Err(CostError::Input(format!(
                        "--total-params ({t:e}) cannot be fewer than the active --params ({n:e})"
                    )));
                }
                Some(t) => within("--total-params", *t, 1e3, 1e16)?,
                None => n,
            };
            Some(Asked {
                flops: dense_flops(n, d),
                how: if total > n {
                    "6·N_active·D".into()
                } else {
                    "6·N·D (dense)".into()
                },
                params: Some(total),
                model: None,
            })
        }
        Some(Compute::Model(id)) => {
            let m = catalog.model(id)?;
            if req.with_attention && m.attention.is_none() {
                return Err(CostError::Input(format!(
                    "--attention: {} has no attention architecture in data/models.toml",
                    m.id
                )));
            }
            Some(Asked {
                flops: m.training_flops(req.with_attention),
                how: m.flops_label(req.with_attention),
                params: m.total_params(),
                model: Some(m),
            })
        }
    })
}

/// The sustained rate (and its calibration on `calibration`, the points of the rate's
/// evidence kind) for a model of `params`, leaving `left_out` out.
fn sustained(
    rate: &Rate,
    calibration: &[calibration::Point],
    flops: Option<f64>,
    params: Option<f64>,
    left_out: Option<&str>,
    with_attention: bool,
) -> Result<Prediction, CostError> {
    // A rate given, or a capability at a given utilisation: no calibration, no range.
    let exact = |t: f64, u: f64| Prediction {
        utilization: Span::exact(u),
        sustained_tflops: Span::exact(t),
        gpu_hours: flops.map(|f| Span::exact(gpu_hours(f, t))),
        runs: Vec::new(),
        left_out: None,
        note: None,
    };
    match rate {
        Rate::Given(t) => Ok(exact(*t, f64::NAN)),
        Rate::Calibrated {
            capability,
            utilization: Some(u),
        } => Ok(exact(u * capability.tflops, *u)),
        Rate::Calibrated {
            capability,
            utilization: None,
        } => predict(
            calibration,
            capability,
            flops,
            params,
            left_out,
            with_attention,
        ),
    }
}

/// Answers a request.
pub fn estimate(ctx: &Context, req: &Request) -> Result<Estimate, CostError> {
    let (chip, rate) = resolve(ctx, req)?;
    let asked = compute(ctx.catalog, req)?;
    if let Some(g) = req.gpus {
        within("--gpus", g as f64, 1.0, 1e8)?;
    }
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
    let bytes_per_param = match req.state_bytes_per_param {
        Some(b) => within("--state-bytes-per-param", b, 0.1, 1e3)?,
        None => ADAM_MIXED_PRECISION_BYTES_PER_PARAM,
    };
    let price = ctx
        .prices
        .choose(chip.map(|c| c.id.as_str()), req.price_usd_per_gpu_hour)?;
    let (flops, flops_source, params, model) = match asked {
        Some(a) => (Some(a.flops), Some(a.how), a.params, a.model),
        None => (None, None, None, None),
    };
    // The calibration points, once: they do not depend on the model estimated.
    let points = match &rate {
        Rate::Calibrated {
            capability,
            utilization: None,
        } => calibration::points(
            ctx.catalog,
            ctx.db,
            ctx.files,
            capability.source,
            capability.precision,
            req.with_attention,
        ),
        _ => Vec::new(),
    };
    let main = sustained(
        &rate,
        &points,
        flops,
        params,
        model.map(|m| m.id.as_str()),
        req.with_attention,
    )?;
    let comparison = |m: &Model| -> Option<Comparison> {
        if req.with_attention && m.attention.is_none() {
            return None;
        }
        let f = m.training_flops(req.with_attention);
        let p = sustained(
            &rate,
            &points,
            Some(f),
            m.total_params(),
            Some(&m.id),
            req.with_attention,
        )
        .ok()?;
        let hours = p.gpu_hours?;
        Some(Comparison {
            model: m.name.clone(),
            speculative: m.speculative,
            flops: f,
            gpu_hours: hours,
            cost_usd: price.as_ref().map(|p| hours.central * p.usd_per_gpu_hour),
            reported_phase: m.counted_phase().name.clone(),
            reported_gpu_hours: m.counted_phase().gpu_hours,
            reported_chip: m.chip.clone(),
            like_for_like: match chip {
                None => false,
                Some(c) => {
                    c.id == m.chip
                        || ctx.db.get(&m.chip).is_ok_and(|r| {
                            evidence::same_silicon(
                                c,
                                r,
                                evidence::precision_for(Some(c), req.precision),
                            )
                        })
                }
            },
        })
    };
    let comparisons: Vec<Comparison> = ctx.catalog.models.iter().filter_map(comparison).collect();
    let reported = model.and_then(|m| comparisons.iter().find(|c| c.model == m.name).cloned());
    let memory = match (params, chip.and_then(|c| c.memory_gb)) {
        (Some(n), Some(gb)) => {
            let state_gb = n * bytes_per_param / 1e9;
            Some(MemoryFit {
                params: n,
                state_bytes_per_param: bytes_per_param,
                state_gb,
                chip_memory_gb: gb,
                min_gpus: (state_gb / gb).ceil(),
            })
        }
        _ => None,
    };
    let holds = |count: f64| memory.as_ref().map(|m| count >= m.min_gpus);
    let chips_to_match = reference_match(ctx, &rate)?.map(|count| Match {
        flop_equivalent_chips: count,
        holds_training_state: holds(count.ceil()),
    });
    let (capability, rate_source) = match &rate {
        Rate::Given(_) => (None, RateSource::Given),
        Rate::Calibrated { capability, .. } => (Some(capability.clone()), capability.source),
    };
    let portable_kernel = req.result.and_then(|i| {
        let result = &ctx.files[i].result;
        let same_chip: Vec<&crate::model::RunResult> = ctx
            .files
            .iter()
            .map(|e| &e.result)
            .filter(|r| r.source == Source::VendorLibrary)
            .filter(|r| match chip {
                Some(c) => ctx.db.for_result(r).is_some_and(|o| o.id == c.id),
                None => r.device.name == result.device.name,
            })
            .collect();
        evidence::portable_kernel(result, &same_chip)
    });
    let hours = main.gpu_hours;
    let method = method_line(&rate, &main, rate_source);
    Ok(Estimate {
        flops,
        flops_source,
        chip: chip.map(|c| c.id.clone()),
        rate_source,
        capability,
        utilization: matches!(rate, Rate::Calibrated { .. }).then_some(main.utilization),
        calibration_runs: main.runs.clone(),
        left_out: main.left_out.clone(),
        calibration_note: main.note.clone(),
        sustained_tflops: main.sustained_tflops,
        gpu_hours: hours,
        reported,
        portable_kernel,
        cost_usd: hours
            .zip(price.as_ref())
            .map(|(h, p)| h.map(|v| v * p.usd_per_gpu_hour)),
        price,
        gpus: req.gpus,
        wall_days: hours
            .zip(req.gpus)
            .map(|(h, g)| h.map(|v| v / g as f64 / 24.0)),
        amortized: hours
            .zip(req.amortized.as_ref())
            .map(|(h, i)| amortized(h.central, i)),
        gpus_hold_training_state: req.gpus.and_then(|g| holds(g as f64)),
        memory,
        chips_to_match_deepseek_v3: chips_to_match,
        thresholds: flops.map(thresholds).unwrap_or_default(),
        comparisons,
        method,
    })
}

/// 2,048 × the H800's rate over this chip's, both on the same kind of evidence (or DeepSeek's
/// own sustained rate against a given one).
fn reference_match(ctx: &Context, rate: &Rate) -> Result<Option<f64>, CostError> {
    let reference = ctx.catalog.model(REFERENCE_MODEL)?;
    let gpus = reference.gpus.unwrap_or(0) as f64;
    Ok(match rate {
        Rate::Given(t) => Some(gpus * reference.sustained_tflops(false) / t),
        Rate::Calibrated { capability, .. } => {
            let Ok(h800) = ctx.db.get(&reference.chip) else {
                return Ok(None);
            };
            let p = capability.precision;
            let theirs = match capability.source {
                RateSource::Datasheet => evidence::datasheet_capability(h800, p),
                RateSource::VendorLibrary => {
                    evidence::vendor_capability(ctx.db, h800, p, ctx.files)
                }
                // A portable kernel against the H800's vendor library would not be like for like.
                RateSource::ChipbenchKernel | RateSource::Given => None,
            };
            theirs.map(|c| gpus * c.tflops / capability.tflops)
        }
    })
}

fn method_line(rate: &Rate, p: &Prediction, source: RateSource) -> String {
    match rate {
        Rate::Given(t) => {
            format!("evidence: given sustained rate {t:.1} TFLOP/s per GPU, used as is")
        }
        Rate::Calibrated {
            capability,
            utilization: Some(u),
        } => format!(
            "evidence: {} ({}); utilisation {u:.3} given with --utilization, not calibrated",
            source.name(),
            capability.what
        ),
        Rate::Calibrated { capability, .. } => format!(
            "evidence: {} ({}); utilisation {:.3} ({:.3}-{:.3}) calibrated against {} evidence on \
             the reference runs {}{}",
            source.name(),
            capability.what,
            p.utilization.central,
            p.utilization.low,
            p.utilization.high,
            source.calibration_base().name(),
            p.runs.join(", "),
            p.left_out
                .as_ref()
                .map(|id| format!(" ({id} left out: it is the run estimated)"))
                .unwrap_or_default()
        ),
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
    crate::input::positive(name, v * scale).map_err(CostError::Input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_take_suffixes() {
        assert_eq!(parse_quantity("n", "405B").unwrap(), 405e9);
        assert_eq!(parse_quantity("n", "15.6T").unwrap(), 15.6e12);
        assert_eq!(parse_quantity("n", "3.3e24").unwrap(), 3.3e24);
        assert!(parse_quantity("n", "lots").is_err());
        assert!(parse_quantity("n", "-1").is_err());
        assert!(parse_quantity("n", "0").is_err());
    }

    #[test]
    fn every_reference_run_trains_on_a_known_chip() {
        let db = Database::load().unwrap();
        for m in &Catalog::load().unwrap().models {
            let chip = db.get(&m.chip).unwrap();
            assert!(chip.memory_gb.is_some(), "{}", m.id);
        }
    }

    #[test]
    fn a_given_rate_is_used_as_is_and_memory_is_checked() {
        let (db, tables) = (Database::load().unwrap(), Tables::load().unwrap());
        let ctx = Context::new(&db, &tables, &[]);
        let req = Request {
            compute: Some(Compute::ParamsTokens {
                active_params: 70e9,
                tokens: 1e12,
                total_params: None,
            }),
            chip: Some("nvidia-h100-sxm".into()),
            tflops: Some(100.0),
            gpus: Some(10),
            ..Request::default()
        };
        let e = estimate(&ctx, &req).unwrap();
        assert_eq!(e.rate_source, RateSource::Given);
        assert!((e.gpu_hours.unwrap().central - 4.2e23 / 1e14 / 3600.0).abs() < 1e-3);
        // 70B x 16 bytes = 1,120 GB: 14 H100s of 80 GB; 10 cannot hold it.
        assert_eq!(e.memory.as_ref().unwrap().min_gpus, 14.0);
        assert_eq!(e.gpus_hold_training_state, Some(false));
        // H100 SXM at $3.99 from the table.
        assert_eq!(e.price.unwrap().usd_per_gpu_hour, 3.99);
    }

    #[test]
    fn bad_input_is_refused() {
        let (db, tables) = (Database::load().unwrap(), Tables::load().unwrap());
        let ctx = Context::new(&db, &tables, &[]);
        let base = Request {
            compute: Some(Compute::Flops(1e24)),
            chip: Some("nvidia-h100-sxm".into()),
            ..Request::default()
        };
        for r in [
            Request {
                tflops: Some(0.0),
                ..base.clone()
            },
            Request {
                tflops: Some(f64::NAN),
                ..base.clone()
            },
            Request {
                utilization: Some(1.5),
                ..base.clone()
            },
            Request {
                chip: Some("nvidia-h900".into()),
                ..base.clone()
            },
            Request {
                chip: None,
                ..base.clone()
            },
            Request {
                with_attention: true,
                ..base.clone()
            },
            Request {
                state_bytes_per_param: Some(-2.0),
                ..base.clone()
            },
        ] {
            assert!(
                matches!(estimate(&ctx, &r), Err(CostError::Input(_))),
                "{r:?}"
            );
        }
    }
}

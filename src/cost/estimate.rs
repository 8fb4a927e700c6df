//! One `chipbench cost` answer, built in named phases: the chip and its capability, the
//! compute, the calibration (without the run being estimated), the hours and their 80% range,
//! then what follows from them (cost, wall clock, memory, the published runs on this chip).

use std::rc::Rc;

use serde::Serialize;

use super::evidence::{self, Capability, KernelFigure, RateSource};
use super::fit::{Calibration, Fit, Predicted};
use super::price::{self, PriceUsed};
use super::thresholds::{Threshold, thresholds};
use super::{
    ADAM_MIXED_PRECISION_BYTES_PER_PARAM, COMPARED_RUNS, Compute, Context, CostError, Counted,
    Field, Fitted, REFERENCE_RUN, Request, Span, Work, gpu_hours, points, training_precision,
    within, work,
};
use crate::model::Source;
use crate::policy::Chip;

/// The chip an estimate is for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChipRef {
    pub id: String,
    pub name: String,
    pub generation: Option<String>,
}

/// What the utilisation was calibrated on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationUsed {
    /// Published runs fitted on.
    pub runs: usize,
    /// Of those, runs on the chip's generation.
    pub generation_runs: usize,
    /// The run left out: the one being estimated.
    pub left_out: Option<String>,
    pub fit: Fit,
    /// The 10th and 90th percentiles of ln(predicted / reported hours), leave-one-out.
    pub lower: f64,
    pub upper: f64,
}

/// Where an estimate goes beyond what the table holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Extrapolation {
    /// Active parameters outside the table's range.
    Size {
        active_params: f64,
        smallest: f64,
        largest: f64,
    },
    /// No published run of the chip's generation (or no generation, for a device with no chip
    /// entry): the mean of the generations' intercepts, with their spread in the range.
    Generation { generation: Option<String> },
    /// No published run on this chip; calibrated on its generation's runs.
    Chip { chip: String },
    /// No parameter count (compute given as FLOPs): the table's median size.
    NoSize { assumed_active_params: f64 },
}

/// What the estimated run reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reported {
    pub run: String,
    pub gpu_hours: f64,
    pub chip: String,
    /// Estimated for the run's own chip or one of the same silicon: the error means something.
    pub like_for_like: bool,
    /// Whether the reported hours fall inside the estimate's 80% range.
    pub inside: bool,
}

/// What the training state needs in memory, and how many chips hold it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryFit {
    pub params: f64,
    pub state_bytes_per_param: f64,
    pub state_bytes: f64,
    pub chip_memory_bytes: f64,
    /// The fewest chips whose memory holds the training state (activations excluded).
    pub min_gpus: f64,
}

/// The chips that match DeepSeek-V3's 2,048 H800s in sustained FLOP/s, and whether they hold
/// the model being estimated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    pub flop_equivalent_chips: f64,
    pub holds_training_state: Option<bool>,
}

/// A published run (or speculative estimate) estimated on the chip in question, calibrated
/// without itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub run: String,
    pub name: String,
    pub speculative: bool,
    pub flops: f64,
    pub gpu_hours: Span,
    pub cost_usd: Option<f64>,
    pub reported_gpu_hours: f64,
    pub reported_chip: String,
}

/// The answer, as `--json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub work: Option<Work>,
    pub chip: Option<ChipRef>,
    pub rate_source: RateSource,
    pub capability: Option<Capability>,
    pub calibration: Option<CalibrationUsed>,
    pub utilization: Option<Span>,
    pub sustained_flop_per_s: Span,
    pub gpu_hours: Option<Span>,
    pub extrapolation: Vec<Extrapolation>,
    pub reported: Option<Reported>,
    /// chipbench's portable kernel on this device, beside the estimate and not in it.
    pub portable_kernel: Option<KernelFigure>,
    pub price: Option<PriceUsed>,
    pub cost_usd: Option<Span>,
    pub gpus: Option<u64>,
    pub wall_days: Option<Span>,
    pub amortized: Option<price::Amortized>,
    pub memory: Option<MemoryFit>,
    pub gpus_hold_training_state: Option<bool>,
    pub chips_to_match_deepseek_v3: Option<Match>,
    pub thresholds: Vec<Threshold>,
    pub comparisons: Vec<Comparison>,
}

/// How the sustained rate is made.
enum Rate {
    /// A rate given, used as is.
    Given(f64),
    /// The capability times a given utilisation.
    Fixed { capability: Capability, u: f64 },
    /// The capability times the calibrated utilisation.
    Calibrated { capability: Capability },
}

impl Rate {
    fn capability(&self) -> Option<&Capability> {
        match self {
            Rate::Given(_) => None,
            Rate::Fixed { capability, .. } | Rate::Calibrated { capability } => Some(capability),
        }
    }
}

/// The chip asked about: `--chip`, else the one a `--result` maps to.
fn chip<'a>(ctx: &Context<'a>, req: &Request) -> Result<Option<&'a Chip>, CostError> {
    Ok(match (&req.chip, req.result) {
        (Some(id), _) => Some(ctx.db.get(id)?),
        (None, Some(e)) => ctx.db.for_result(&e.result),
        (None, None) => None,
    })
}

/// The chips the calibrating runs of `generation` trained on.
fn generation_chips<'a>(ctx: &Context<'a>, generation: Option<&str>) -> Vec<&'a Chip> {
    let mut ids: Vec<&str> = ctx
        .tables
        .runs
        .runs
        .iter()
        .filter(|r| r.calibrates())
        .map(|r| r.chip.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| ctx.db.get(id).ok())
        .filter(|c| generation.is_some() && c.generation.as_deref() == generation)
        .collect()
}

/// The sustained rate's basis: a given rate, or the chip's capability (times a given or a
/// calibrated utilisation).
fn rate(ctx: &Context, req: &Request, chip: Option<&Chip>) -> Result<Rate, CostError> {
    if let Some(r) = req.flop_per_s {
        return Ok(Rate::Given(
            within(Field::Tflops, r / 1e12, 1e-6, 1e7)? * 1e12,
        ));
    }
    let p = evidence::precision_for(chip, training_precision(req.precision)?);
    let capability = match (chip, req.result) {
        (Some(c), _) => {
            let theirs = generation_chips(ctx, c.generation.as_deref());
            evidence::chip_capability(ctx.db, c, p, ctx.files, &theirs).ok_or_else(|| {
                CostError::input(
                    Field::Precision,
                    format!("{} has no dense {p} matrix peak in data/chips.toml", c.id),
                )
            })?
        }
        (None, Some(e)) => evidence::unmapped_capability(e, p).ok_or_else(|| {
            CostError::input(
                Field::Result,
                format!(
                    "{:?} maps to no chip in data/chips.toml and {} has no passed {p} GEMM to stand in for its peak",
                    e.result.device.name, e.file
                ),
            )
        })?,
        (None, None) => {
            return Err(CostError::input(
                Field::Chip,
                "give the chip, a result file, or a sustained rate",
            ));
        }
    };
    Ok(match req.utilization {
        Some(u) if !(u.is_finite() && (1e-4..=1.0).contains(&u)) => {
            return Err(CostError::input(
                Field::Utilization,
                format!("a fraction of the chip's capability (1e-4 to 1), got {u}"),
            ));
        }
        Some(u) => Rate::Fixed { capability, u },
        None => Rate::Calibrated { capability },
    })
}

/// The published run an estimate is of, to leave out of its own calibration: the model asked
/// for, or the run whose parameters, tokens and chip the request matches.
fn left_out(ctx: &Context, req: &Request, chip: Option<&Chip>) -> Option<String> {
    match &req.compute {
        Some(Compute::Model(id)) => ctx.tables.runs.get(id).map(|r| r.id.clone()),
        Some(Compute::ParamsTokens {
            active_params,
            tokens,
            total_params,
        }) => ctx
            .tables
            .runs
            .runs
            .iter()
            .find(|r| {
                r.active_params == *active_params
                    && r.tokens == *tokens
                    && total_params.is_none_or(|t| t == r.params)
                    && chip.is_some_and(|c| c.id == r.chip)
            })
            .map(|r| r.id.clone()),
        _ => None,
    }
}

/// The median active size of the calibrating runs: what a FLOP count with no parameter count
/// is sized at (10B without any, where the size does not matter: a given rate).
fn median_size(points: &[super::fit::Point]) -> f64 {
    let sizes: Vec<f64> = points.iter().map(|p| p.active_params).collect();
    if sizes.is_empty() {
        return 1e10;
    }
    super::fit::quantile(&sizes, 0.5)
}

/// A utilisation span from a prediction.
fn span(p: &Predicted) -> Span {
    Span {
        central: p.log_u.exp(),
        low: p.log_u_low.exp(),
        high: p.log_u_high.exp(),
    }
}

/// The calibration of `rate` (none for a given rate or utilisation), leaving `leave` out, and
/// the points it was fitted on; each fitted once per context.
fn calibrate(
    ctx: &Context,
    req: &Request,
    rate: &Rate,
    leave: Option<&str>,
) -> Result<Option<Rc<Fitted>>, CostError> {
    let Rate::Calibrated { .. } = rate else {
        return Ok(None);
    };
    let key = (req.precision, req.with_attention, leave.map(String::from));
    let fitted = ctx.fit(key, || {
        let pts = points(ctx, req.precision, req.with_attention);
        Some((Calibration::of(&pts, leave)?, pts))
    });
    let fitted = fitted.ok_or_else(|| {
        CostError::Calibration(format!(
            "fewer than three published runs to calibrate on{}",
            if req.with_attention {
                " with a known attention architecture"
            } else {
                ""
            }
        ))
    })?;
    Ok(Some(fitted))
}

/// The utilisation span for a model of `active` on the rate's chip.
fn utilization(rate: &Rate, cal: Option<&Calibration>, active: f64) -> Option<Span> {
    match (rate, cal) {
        (Rate::Fixed { u, .. }, _) => Some(Span::exact(*u)),
        (Rate::Calibrated { capability }, Some(c)) => {
            Some(span(&c.predict(capability.generation.as_deref(), active)))
        }
        _ => None,
    }
}

/// The sustained FLOP/s per GPU.
fn sustained(rate: &Rate, u: Option<Span>) -> Span {
    match (rate, u) {
        (Rate::Given(r), _) => Span::exact(*r),
        (Rate::Fixed { capability, .. } | Rate::Calibrated { capability }, Some(u)) => {
            u.map(|x| x * capability.flop_per_s())
        }
        (_, None) => Span::exact(f64::NAN),
    }
}

/// Where the estimate leaves the table.
fn extrapolation(
    rate: &Rate,
    cal: &Calibration,
    points: &[super::fit::Point],
    active: Option<f64>,
) -> Vec<Extrapolation> {
    let mut out = Vec::new();
    let Some(cap) = rate.capability() else {
        return out;
    };
    let (smallest, largest) = cal.sizes;
    match active {
        Some(n) if n < smallest || n > largest => out.push(Extrapolation::Size {
            active_params: n,
            smallest,
            largest,
        }),
        Some(_) => {}
        None => out.push(Extrapolation::NoSize {
            assumed_active_params: median_size(points),
        }),
    }
    let generation = cap.generation.as_deref();
    if generation.is_none_or(|g| cal.count(g) == 0) {
        out.push(Extrapolation::Generation {
            generation: cap.generation.clone(),
        });
    } else if let Some(c) = &cap.chip {
        if !points
            .iter()
            .any(|p| p.chip == *c && cal.runs.contains(&p.run))
        {
            out.push(Extrapolation::Chip { chip: c.clone() });
        }
    }
    out
}

/// GPU-hours of `flops` at `rate` for a model of `active` (None: sized at the table's median).
fn hours_of(
    rate: &Rate,
    cal: Option<&Calibration>,
    points: &[super::fit::Point],
    flops: f64,
    active: Option<f64>,
) -> Span {
    let n = active.unwrap_or_else(|| median_size(points));
    sustained(rate, utilization(rate, cal, n)).map(|r| gpu_hours(flops, r))
}

/// Answers a request.
pub fn estimate(ctx: &Context, req: &Request) -> Result<Estimate, CostError> {
    let chip = chip(ctx, req)?;
    let rate = rate(ctx, req, chip)?;
    let work = work(ctx, req)?;
    check_options(req)?;
    let leave = left_out(ctx, req, chip);
    let calibrated = calibrate(ctx, req, &rate, leave.as_deref())?;
    let (cal, pts) = match &calibrated {
        Some(f) => (Some(&f.0), f.1.as_slice()),
        None => (None, &[][..]),
    };
    let active = work.as_ref().and_then(Work::active_params);
    let size = active.unwrap_or_else(|| median_size(pts));
    let u = utilization(&rate, cal, size);
    let sustained = sustained(&rate, u);
    let hours = work
        .as_ref()
        .map(|w| sustained.map(|r| gpu_hours(w.flops, r)));
    let price = ctx
        .tables
        .prices
        .choose(chip.map(|c| c.id.as_str()), req.price_usd_per_gpu_hour)?;
    let memory = memory(req, work.as_ref(), chip)?;
    let holds = |count: f64| memory.as_ref().map(|m| count >= m.min_gpus);
    let cost_usd = hours
        .zip(price.as_ref())
        .map(|(h, p)| h.map(|v| v * p.usd_per_gpu_hour));
    Ok(Estimate {
        reported: reported(ctx, work.as_ref(), chip, hours),
        extrapolation: cal.map_or(Vec::new(), |c| extrapolation(&rate, c, pts, active)),
        calibration: cal.map(|c| CalibrationUsed {
            runs: c.runs.len(),
            generation_runs: rate
                .capability()
                .and_then(|k| k.generation.as_deref())
                .map_or(0, |g| c.count(g)),
            left_out: leave.clone(),
            fit: c.fit.clone(),
            lower: c.lower,
            upper: c.upper,
        }),
        chips_to_match_deepseek_v3: reference_match(ctx, &rate, cal, pts).map(|count| Match {
            flop_equivalent_chips: count,
            holds_training_state: holds(count.ceil()),
        }),
        comparisons: comparisons(ctx, req, &rate, price.as_ref())?,
        portable_kernel: portable(ctx, req, chip),
        wall_days: hours
            .zip(req.gpus)
            .map(|(h, g)| h.map(|v| v / g as f64 / 24.0)),
        amortized: hours
            .zip(req.amortized.as_ref())
            .map(|(h, i)| price::amortized(h.central, i)),
        gpus_hold_training_state: req.gpus.and_then(|g| holds(g as f64)),
        thresholds: work
            .as_ref()
            .map(|w| thresholds(w.flops))
            .unwrap_or_default(),
        chip: chip.map(|c| ChipRef {
            id: c.id.clone(),
            name: format!("{} {}", c.vendor, c.name),
            generation: c.generation.clone(),
        }),
        rate_source: rate.capability().map_or(RateSource::Given, |c| c.source),
        capability: rate.capability().cloned(),
        utilization: u,
        sustained_flop_per_s: sustained,
        gpu_hours: hours,
        cost_usd,
        price,
        gpus: req.gpus,
        memory,
        work,
    })
}

/// The options that only shape what follows from the hours, checked whether or not used.
fn check_options(req: &Request) -> Result<(), CostError> {
    if let Some(g) = req.gpus {
        within(Field::Gpus, g as f64, 1.0, 1e8)?;
    }
    if let Some(b) = req.state_bytes_per_param {
        within(Field::StateBytesPerParam, b, 0.1, 1e3)?;
    }
    if let Some(i) = &req.amortized {
        within(Field::PurchasePrice, i.purchase_price_usd, 1.0, 1e9)?;
        within(Field::TdpWatts, i.tdp_kw * 1000.0, 1.0, 1e5)?;
        super::AmortizedInputs::check_running(i.pue, i.usd_per_kwh, i.years_since_purchase)?;
    }
    Ok(())
}

/// The training state the model needs, against the chip's memory.
fn memory(
    req: &Request,
    work: Option<&Work>,
    chip: Option<&Chip>,
) -> Result<Option<MemoryFit>, CostError> {
    let bytes = req
        .state_bytes_per_param
        .unwrap_or(ADAM_MIXED_PRECISION_BYTES_PER_PARAM);
    Ok(
        match (
            work.and_then(|w| w.total_params),
            chip.and_then(Chip::memory_bytes),
        ) {
            (Some(n), Some(capacity)) => {
                let state_bytes = n * bytes;
                Some(MemoryFit {
                    params: n,
                    state_bytes_per_param: bytes,
                    state_bytes,
                    chip_memory_bytes: capacity,
                    min_gpus: (state_bytes / capacity).ceil(),
                })
            }
            _ => None,
        },
    )
}

/// What the published run being estimated reported, beside the estimate.
fn reported(
    ctx: &Context,
    work: Option<&Work>,
    chip: Option<&Chip>,
    hours: Option<Span>,
) -> Option<Reported> {
    let (id, _) = work?.run.as_ref()?;
    let run = ctx.tables.runs.get(id)?;
    let theirs = ctx.db.get(&run.chip).ok()?;
    let like_for_like = chip.is_some_and(|c| {
        c.id == theirs.id
            || evidence::same_silicon(c, theirs, evidence::precision_for(Some(c), None))
    });
    Some(Reported {
        run: run.id.clone(),
        gpu_hours: run.gpu_hours,
        chip: run.chip.clone(),
        like_for_like,
        inside: hours.is_some_and(|h| h.holds(run.gpu_hours)),
    })
}

/// chipbench's portable kernel on the `--result` device, beside the estimate.
fn portable(ctx: &Context, req: &Request, chip: Option<&Chip>) -> Option<KernelFigure> {
    let e = req.result?;
    let vendor: Vec<&crate::model::RunResult> = ctx
        .files
        .iter()
        .map(|f| &f.result)
        .filter(|r| r.source == Source::VendorLibrary)
        .filter(|r| match chip {
            Some(c) => ctx.db.for_result(r).is_some_and(|o| o.id == c.id),
            None => r.device.name == e.result.device.name,
        })
        .collect();
    evidence::portable_kernel(&e.result, &vendor)
}

/// 2,048 × the H800's predicted sustained rate for DeepSeek-V3 over this chip's (or DeepSeek's
/// own sustained rate over a given one).
fn reference_match(
    ctx: &Context,
    rate: &Rate,
    cal: Option<&Calibration>,
    points: &[super::fit::Point],
) -> Option<f64> {
    let run = ctx.tables.runs.get(REFERENCE_RUN)?;
    let gpus = run.gpus? as f64;
    let flops = run.flops();
    let theirs = match rate {
        Rate::Given(r) => return Some(gpus * run.sustained() / r),
        Rate::Fixed { u, .. } => {
            let h800 = ctx.db.get(&run.chip).ok()?;
            u * evidence::datasheet_peak(h800)?.flop_per_s
        }
        Rate::Calibrated { .. } => {
            let h800 = ctx.db.get(&run.chip).ok()?;
            let p = evidence::datasheet_peak(h800)?;
            let u = cal?.predict(h800.generation.as_deref(), run.active_params);
            u.log_u.exp() * p.flop_per_s
        }
    };
    let ours =
        flops / (hours_of(rate, cal, points, flops, Some(run.active_params)).central * 3600.0);
    Some(gpus * theirs / ours)
}

/// The compared runs on this chip, each calibrated without itself, then the speculative
/// estimates.
fn comparisons(
    ctx: &Context,
    req: &Request,
    rate: &Rate,
    price: Option<&PriceUsed>,
) -> Result<Vec<Comparison>, CostError> {
    let mut out = Vec::new();
    for id in COMPARED_RUNS {
        let Some(run) = ctx.tables.runs.get(id) else {
            continue;
        };
        let Some(flops) = super::run_flops(&ctx.tables.catalog, run, req.with_attention) else {
            continue;
        };
        let calibrated = calibrate(ctx, req, rate, Some(id))?;
        let (cal, pts) = match &calibrated {
            Some(f) => (Some(&f.0), f.1.as_slice()),
            None => (None, &[][..]),
        };
        let h = hours_of(rate, cal, pts, flops, Some(run.active_params));
        out.push(Comparison {
            run: run.id.clone(),
            name: run.model.clone(),
            speculative: false,
            flops,
            gpu_hours: h,
            cost_usd: price.map(|p| h.central * p.usd_per_gpu_hour),
            reported_gpu_hours: run.gpu_hours,
            reported_chip: run.chip.clone(),
        });
    }
    if req.with_attention {
        return Ok(out);
    }
    let calibrated = calibrate(ctx, req, rate, None)?;
    let (cal, pts) = match &calibrated {
        Some(f) => (Some(&f.0), f.1.as_slice()),
        None => (None, &[][..]),
    };
    for s in &ctx.tables.catalog.speculative {
        let h = hours_of(rate, cal, pts, s.flops, None);
        out.push(Comparison {
            run: s.id.clone(),
            name: s.name.clone(),
            speculative: true,
            flops: s.flops,
            gpu_hours: h,
            cost_usd: price.map(|p| h.central * p.usd_per_gpu_hour),
            reported_gpu_hours: s.gpu_hours,
            reported_chip: s.chip.clone(),
        });
    }
    Ok(out)
}

/// The FLOP count of `work`, for people: "6 × 37B × 14.8T".
pub fn counted(w: &Work) -> Option<(f64, f64)> {
    match w.counted {
        Counted::SixND {
            active_params,
            tokens,
            ..
        } => Some((active_params, tokens)),
        Counted::Given => None,
    }
}

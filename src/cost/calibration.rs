//! The utilisation a training run sustains, calibrated on the reference runs of
//! data/models.toml: each run's per-GPU rate in its counted phase over its chip's capability,
//! taken by the same evidence rule as the estimate it serves (vendor-library GEMM over
//! vendor-library GEMM, datasheet peak over datasheet peak, at one precision for every run).
//! Utilisation grows with model size (larger GEMMs, a larger share of the step in them), so a
//! model's utilisation is interpolated between the reference runs nearest in total parameters
//! (log scale), and its range is the spread of the runs within a factor of ten of its size. A
//! reference run is never calibrated on itself: `validate` predicts each from the others.

use serde::Serialize;

use super::CostError;
use super::catalog::{Catalog, gpu_hours};
use super::evidence::{
    Capability, Evidence, RateSource, chip_capability, datasheet_capability, vendor_capability,
};
use crate::policy::{Database, Precision};

/// Runs within this factor of a model's size count as comparable in scale.
const COMPARABLE_SCALE: f64 = 10.0;
/// The least utilisation an extrapolation may give.
const MIN_UTILIZATION: f64 = 0.01;

/// A central value with the low and high ends of its range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Span {
    pub central: f64,
    pub low: f64,
    pub high: f64,
}

impl Span {
    pub fn exact(v: f64) -> Span {
        Span {
            central: v,
            low: v,
            high: v,
        }
    }

    /// `f` applied to each end; a decreasing `f` swaps them.
    pub fn map(self, f: impl Fn(f64) -> f64) -> Span {
        let (a, b) = (f(self.low), f(self.high));
        Span {
            central: f(self.central),
            low: a.min(b),
            high: a.max(b),
        }
    }
}

/// One reference run as a calibration point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub model: String,
    pub name: String,
    pub chip: String,
    pub total_params: f64,
    pub flops: f64,
    pub phase: String,
    pub reported_gpu_hours: f64,
    pub sustained_tflops: f64,
    pub capability: Capability,
    /// Sustained rate over capability.
    pub utilization: f64,
}

/// The reference runs that calibrate against `base` evidence at `p`: every non-speculative run
/// whose chip has that evidence (and, with the attention term, whose architecture is known).
pub fn points(
    catalog: &Catalog,
    db: &Database,
    files: &[Evidence],
    base: RateSource,
    p: Precision,
    with_attention: bool,
) -> Vec<Point> {
    catalog
        .models
        .iter()
        .filter(|m| !m.speculative && (!with_attention || m.attention.is_some()))
        .filter_map(|m| {
            let chip = db.get(&m.chip).ok()?;
            let capability = match base.calibration_base() {
                RateSource::Datasheet => datasheet_capability(chip, p)?,
                _ => vendor_capability(db, chip, p, files)?,
            };
            let sustained = m.sustained_tflops(with_attention);
            Some(Point {
                model: m.id.clone(),
                name: m.name.clone(),
                chip: chip.id.clone(),
                total_params: m.total_params()?,
                flops: m.training_flops(with_attention),
                phase: m.counted_phase().name.clone(),
                reported_gpu_hours: m.counted_phase().gpu_hours,
                sustained_tflops: sustained,
                utilization: sustained / capability.tflops,
                capability,
            })
        })
        .collect()
}

/// The utilisation for a model of `params` total parameters from `points`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    pub utilization: Span,
    /// The runs it rests on (the range spans those within a factor of ten of the model's size).
    pub runs: Vec<String>,
    /// Where the model lies outside the calibration or has no size.
    pub note: Option<String>,
}

pub fn fit(points: &[&Point], params: Option<f64>) -> Option<Fit> {
    let mut pts: Vec<&Point> = points.to_vec();
    pts.sort_by(|a, b| a.total_params.total_cmp(&b.total_params));
    let (first, last) = (*pts.first()?, *pts.last()?);
    let spread = |chosen: &[&Point], central: f64| {
        let us = chosen.iter().map(|p| p.utilization).chain([central]);
        let low = us.clone().fold(f64::INFINITY, f64::min);
        let high = us.fold(f64::NEG_INFINITY, f64::max);
        Span { central, low, high }
    };
    let Some(n) = params else {
        let mean = pts.iter().map(|p| p.utilization).sum::<f64>() / pts.len() as f64;
        return Some(Fit {
            utilization: spread(&pts, mean),
            runs: pts.iter().map(|p| p.model.clone()).collect(),
            note: Some("no parameter count: the mean over every reference run".into()),
        });
    };
    let below = pts.iter().rev().find(|p| p.total_params <= n).copied();
    let above = pts.iter().find(|p| p.total_params >= n).copied();
    // Beyond the reference runs, the trend of the two nearest carries on (in log size, for at
    // most a factor of ten past the last run, and within (0, 1]); the range then spans the
    // nearest run's figure and the trend's.
    let trend = |a: &Point, b: &Point| {
        let x = n
            .clamp(
                a.total_params.min(b.total_params) / COMPARABLE_SCALE,
                a.total_params.max(b.total_params) * COMPARABLE_SCALE,
            )
            .ln();
        let slope = (b.utilization - a.utilization) / (b.total_params.ln() - a.total_params.ln());
        (a.utilization + slope * (x - a.total_params.ln())).clamp(MIN_UTILIZATION, 1.0)
    };
    // The run beyond the nearest that an extrapolation's trend also rests on.
    let partner = match (below, above) {
        (None, _) => pts.get(1).copied(),
        (_, None) => pts.len().checked_sub(2).map(|i| pts[i]),
        _ => None,
    };
    let (central, note, nearest) = match (below, above) {
        (Some(b), Some(a)) if a.total_params > b.total_params => {
            let t = (n.ln() - b.total_params.ln()) / (a.total_params.ln() - b.total_params.ln());
            (
                b.utilization + t * (a.utilization - b.utilization),
                None,
                None,
            )
        }
        (Some(b), Some(_)) => (b.utilization, None, None),
        (None, _) => {
            let u = match partner {
                Some(second) => trend(first, second),
                None => first.utilization,
            };
            (
                u,
                Some(format!(
                    "smaller than every reference run: extrapolated from {} and the next run by size",
                    first.name
                )),
                Some(first.utilization),
            )
        }
        (_, None) => {
            let u = match partner {
                Some(before) => trend(before, last),
                None => last.utilization,
            };
            (
                u,
                Some(format!(
                    "larger than every reference run: extrapolated from {} and the run before it by size",
                    last.name
                )),
                Some(last.utilization),
            )
        }
    };
    let chosen: Vec<&Point> = pts
        .iter()
        .filter(|p| {
            let ratio = p.total_params / n;
            (1.0 / COMPARABLE_SCALE..=COMPARABLE_SCALE).contains(&ratio)
                || [below, above].iter().flatten().any(|q| q.model == p.model)
        })
        .copied()
        .collect();
    let mut utilization = spread(&chosen, central);
    if let Some(u) = nearest {
        utilization.low = utilization.low.min(u);
        utilization.high = utilization.high.max(u);
    }
    // The runs it rests on: the comparable ones, and the trend's second run.
    let mut runs: Vec<String> = chosen.iter().map(|p| p.model.clone()).collect();
    if let Some(q) = partner.filter(|q| !runs.contains(&q.model)) {
        runs.push(q.model.clone());
    }
    Some(Fit {
        utilization,
        runs,
        note,
    })
}

/// GPU-hours, rate and utilisation predicted for `flops` of a model of `params` on a chip of
/// `capability`, calibrated on the reference runs other than `left_out`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    pub utilization: Span,
    pub sustained_tflops: Span,
    pub gpu_hours: Option<Span>,
    pub runs: Vec<String>,
    pub left_out: Option<String>,
    pub note: Option<String>,
}

/// `all` are the calibration points of `capability`'s evidence kind and precision
/// ([`points`]).
pub fn predict(
    all: &[Point],
    capability: &Capability,
    flops: Option<f64>,
    params: Option<f64>,
    left_out: Option<&str>,
    with_attention: bool,
) -> Result<Prediction, CostError> {
    let base = capability.source;
    let used: Vec<&Point> = all
        .iter()
        .filter(|p| Some(p.model.as_str()) != left_out)
        .collect();
    if let Some(p) = used.iter().find(|p| p.utilization > 1.0) {
        return Err(CostError::Input(format!(
            "{} sustained {:.2}x its chip's capability ({}): that evidence cannot be right \
             (a slow or mislabelled measurement?)",
            p.name, p.utilization, p.capability.what
        )));
    }
    let fit = fit(&used, params).ok_or_else(|| {
        CostError::Input(format!(
            "no reference run to calibrate on: none has {} evidence at {}{}; give --chip ID or \
             --tflops T",
            base.calibration_base().name(),
            capability.precision,
            if with_attention {
                " and a known attention architecture"
            } else {
                ""
            }
        ))
    })?;
    let sustained = fit.utilization.map(|u| u * capability.tflops);
    Ok(Prediction {
        utilization: fit.utilization,
        sustained_tflops: sustained,
        gpu_hours: flops.map(|f| sustained.map(|t| gpu_hours(f, t))),
        runs: fit.runs,
        left_out: left_out
            .filter(|id| all.iter().any(|p| p.model == *id))
            .map(str::to_string),
        note: fit.note,
    })
}

/// One reference run predicted from the others, on its own chip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validation {
    pub model: String,
    pub chip: String,
    pub phase: String,
    pub rate_source: RateSource,
    pub capability_tflops: f64,
    /// The run's own utilisation against that capability.
    pub utilization: f64,
    /// Its model FLOP utilisation against the chip's dense bf16 peak and against the dense
    /// peak at its stated training precision (the two conventions compared).
    pub mfu_bf16: Option<f64>,
    pub mfu_training_precision: Option<f64>,
    pub training_precision: Precision,
    pub predicted: Prediction,
    pub reported_gpu_hours: f64,
    /// Predicted central over reported, minus one.
    pub error: f64,
}

/// Every calibration run predicted from the others at `p`.
pub fn validate(
    catalog: &Catalog,
    db: &Database,
    files: &[Evidence],
    p: Precision,
    with_attention: bool,
) -> Result<Vec<Validation>, CostError> {
    super::training_precision(Some(p))?;
    let mut out = Vec::new();
    let runs = points(catalog, db, files, RateSource::Datasheet, p, with_attention);
    let vendor = points(
        catalog,
        db,
        files,
        RateSource::VendorLibrary,
        p,
        with_attention,
    );
    if runs.is_empty() {
        return Err(CostError::Input(format!(
            "no reference run has a dense {p} peak to validate against"
        )));
    }
    for run in &runs {
        let model = catalog.model(&run.model)?;
        let chip = db
            .get(&model.chip)
            .map_err(|e| CostError::Data(e.to_string()))?;
        let capability = chip_capability(db, chip, p, files)?;
        let calibration = match capability.source {
            RateSource::Datasheet => &runs,
            _ => &vendor,
        };
        let predicted = predict(
            calibration,
            &capability,
            Some(run.flops),
            Some(run.total_params),
            Some(&run.model),
            with_attention,
        )?;
        let mfu =
            |q: Precision| datasheet_capability(chip, q).map(|c| run.sustained_tflops / c.tflops);
        let central = predicted.gpu_hours.map_or(f64::NAN, |h| h.central);
        out.push(Validation {
            model: run.model.clone(),
            chip: chip.id.clone(),
            phase: run.phase.clone(),
            rate_source: capability.source,
            capability_tflops: capability.tflops,
            utilization: run.sustained_tflops / capability.tflops,
            mfu_bf16: mfu(Precision::Bf16),
            mfu_training_precision: mfu(model.training_precision),
            training_precision: model.training_precision,
            reported_gpu_hours: run.reported_gpu_hours,
            error: central / run.reported_gpu_hours - 1.0,
            predicted,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(id: &str, params: f64, u: f64) -> Point {
        Point {
            model: id.into(),
            name: id.into(),
            chip: "c".into(),
            total_params: params,
            flops: 1e24,
            phase: "training".into(),
            reported_gpu_hours: 1e6,
            sustained_tflops: u * 100.0,
            capability: Capability {
                source: RateSource::Datasheet,
                tflops: 100.0,
                precision: Precision::Bf16,
                what: "c".into(),
                file: None,
                measured_on: None,
                standing: None,
            },
            utilization: u,
        }
    }

    #[test]
    fn utilisation_is_interpolated_in_log_size_with_the_spread_of_comparable_runs() {
        let pts = [
            point("small", 1e9, 0.1),
            point("mid", 1e11, 0.3),
            point("big", 1e12, 0.5),
        ];
        let refs: Vec<&Point> = pts.iter().collect();
        // 1e10 is halfway between 1e9 and 1e11 in log size.
        let f = fit(&refs, Some(1e10)).unwrap();
        assert!((f.utilization.central - 0.2).abs() < 1e-12);
        assert_eq!((f.utilization.low, f.utilization.high), (0.1, 0.3));
        assert_eq!(f.note, None);
        // Within a factor of ten of 3e11: mid and big only.
        let f = fit(&refs, Some(3e11)).unwrap();
        assert_eq!(f.runs, ["mid", "big"]);
        assert_eq!((f.utilization.low, f.utilization.high), (0.3, 0.5));
        // An exact match takes that run's figure.
        assert_eq!(fit(&refs, Some(1e11)).unwrap().utilization.central, 0.3);
    }

    #[test]
    fn outside_the_calibration_the_trend_carries_on_for_a_decade_and_is_said() {
        let pts = [point("mid", 1e11, 0.3), point("big", 1e12, 0.5)];
        let refs: Vec<&Point> = pts.iter().collect();
        // 0.2 per decade: 1e10 gets 0.1, and the range reaches the nearest run's 0.3.
        let f = fit(&refs, Some(1e10)).unwrap();
        assert!((f.utilization.central - 0.1).abs() < 1e-12);
        assert!((f.utilization.low - 0.1).abs() < 1e-12 && f.utilization.high == 0.3);
        assert!(f.note.unwrap().contains("smaller than every reference run"));
        assert_eq!(f.runs, ["mid", "big"]);
        // More than a decade out the trend holds still; it never leaves (0, 1].
        let f = fit(&refs, Some(1e8)).unwrap();
        assert!((f.utilization.central - 0.1).abs() < 1e-12);
        let f = fit(&refs, Some(1e13)).unwrap();
        assert!((f.utilization.central - 0.7).abs() < 1e-12);
        assert!(f.note.unwrap().contains("larger than every"));
        let steep = [point("a", 1e11, 0.1), point("b", 1e12, 0.9)];
        let refs: Vec<&Point> = steep.iter().collect();
        assert_eq!(fit(&refs, Some(1e13)).unwrap().utilization.central, 1.0);
        assert_eq!(
            fit(&refs, Some(1e10)).unwrap().utilization.central,
            MIN_UTILIZATION
        );
        // One run: its figure; no size: the mean over all.
        let one = [point("mid", 1e11, 0.3)];
        assert_eq!(fit(&[&one[0]], Some(1e9)).unwrap().utilization.central, 0.3);
        let refs: Vec<&Point> = pts.iter().collect();
        let f = fit(&refs, None).unwrap();
        assert!((f.utilization.central - 0.4).abs() < 1e-12);
        assert_eq!((f.utilization.low, f.utilization.high), (0.3, 0.5));
        assert!(fit(&[], Some(1e9)).is_none());
    }

    #[test]
    fn spans_keep_low_below_high_through_a_decreasing_map() {
        let s = Span {
            central: 2.0,
            low: 1.0,
            high: 4.0,
        }
        .map(|v| 8.0 / v);
        assert_eq!((s.central, s.low, s.high), (4.0, 2.0, 8.0));
    }
}

//! `cost --validate`: every published run predicted by the model fitted without it, with its
//! 80% range (built from the other runs' leave-one-out residuals, so the run never shapes its
//! own range), its error and whether the reported hours fall inside; then the median and
//! 90th-percentile error and the coverage, overall, per chip generation and per size band.
//! Third-party figures (tier 3) are predicted the same way and listed apart: they never
//! calibrate.

use serde::Serialize;

use super::fit::{Calibration, Errors, Point};
use super::{Context, CostError, Span, points};
use crate::policy::Precision;

/// One run predicted without itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validation {
    pub run: String,
    pub model: String,
    pub chip: String,
    pub generation: String,
    pub tier: u8,
    pub calibrates: bool,
    pub params: f64,
    pub active_params: f64,
    /// Its utilisation against its chip's datasheet peak.
    pub utilization: f64,
    pub predicted_utilization: f64,
    pub predicted: Span,
    pub reported: f64,
    /// ln(predicted / reported hours).
    pub log_error: f64,
    pub inside: bool,
}

impl Validation {
    /// Predicted over reported hours.
    pub fn ratio(&self) -> f64 {
        self.log_error.exp()
    }
}

/// Error and coverage of a group of validations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub name: String,
    pub runs: usize,
    #[serde(flatten)]
    pub errors: Errors,
}

/// The summary lines of `--validate`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub overall: Group,
    pub by_generation: Vec<Group>,
    pub by_size: Vec<Group>,
    /// The third-party figures, predicted by the full model, apart.
    pub third_party: Option<Group>,
}

/// Total-parameter bands the summary splits the runs into.
const SIZE_BANDS: [(&str, f64, f64); 4] = [
    ("under 3B", 0.0, 3e9),
    ("3B to 30B", 3e9, 30e9),
    ("30B to 100B", 30e9, 100e9),
    ("100B and over", 100e9, f64::INFINITY),
];

fn group(name: &str, rows: &[&Validation]) -> Option<Group> {
    Some(Group {
        name: name.to_string(),
        runs: rows.len(),
        errors: Errors::of(rows.iter().map(|v| (v.log_error, v.inside)))?,
    })
}

/// The summary of `rows`.
pub fn summarise(rows: &[Validation]) -> Option<Summary> {
    let calibrating: Vec<&Validation> = rows.iter().filter(|v| v.calibrates).collect();
    let mut generations: Vec<&str> = calibrating.iter().map(|v| v.generation.as_str()).collect();
    generations.sort_unstable();
    generations.dedup();
    let third: Vec<&Validation> = rows.iter().filter(|v| !v.calibrates).collect();
    Some(Summary {
        overall: group("all calibrating runs", &calibrating)?,
        by_generation: generations
            .iter()
            .filter_map(|g| {
                let of: Vec<&Validation> = calibrating
                    .iter()
                    .copied()
                    .filter(|v| v.generation == *g)
                    .collect();
                group(g, &of)
            })
            .collect(),
        by_size: SIZE_BANDS
            .iter()
            .filter_map(|(name, lo, hi)| {
                let of: Vec<&Validation> = calibrating
                    .iter()
                    .copied()
                    .filter(|v| (*lo..*hi).contains(&v.params))
                    .collect();
                group(name, &of)
            })
            .collect(),
        third_party: group("third-party figures (tier 3)", &third),
    })
}

/// One run predicted by `cal` (fitted without it).
fn predict(p: &Point, cal: &Calibration, reported: f64) -> (f64, Span, bool) {
    let pr = cal.predict(Some(&p.generation), p.active_params);
    // Hours scale as 1 / u: the reported hours over the ratio of utilisations.
    let hours = |log_u: f64| reported * (p.log_u - log_u).exp();
    let span = Span {
        central: hours(pr.log_u),
        low: hours(pr.log_u_high),
        high: hours(pr.log_u_low),
    };
    (pr.log_u, span, span.holds(reported))
}

/// Every published run predicted without itself, at `p` (bf16 by default).
pub fn validate(
    ctx: &Context,
    p: Option<Precision>,
    with_attention: bool,
) -> Result<Vec<Validation>, CostError> {
    super::training_precision(p)?;
    let pts = points(ctx, p, with_attention);
    let full = Calibration::of(&pts, None)
        .ok_or_else(|| CostError::Calibration("fewer than three runs to validate".into()))?;
    let mut out = Vec::new();
    for run in &ctx.tables.runs.runs {
        let Some(point) = super::point(ctx, run, p, with_attention) else {
            continue;
        };
        let own;
        let cal = if run.calibrates() {
            own = Calibration::of(&pts, Some(&run.id)).ok_or_else(|| {
                CostError::Calibration(format!("too few runs to calibrate without {}", run.id))
            })?;
            &own
        } else {
            &full
        };
        let (log_u, predicted, inside) = predict(&point, cal, run.gpu_hours);
        out.push(Validation {
            run: run.id.clone(),
            model: run.model.clone(),
            chip: point.chip.clone(),
            generation: point.generation.clone(),
            tier: run.tier,
            calibrates: run.calibrates(),
            params: run.params,
            active_params: run.active_params,
            utilization: point.log_u.exp(),
            predicted_utilization: log_u.exp(),
            log_error: (predicted.central / run.gpu_hours).ln(),
            predicted,
            reported: run.gpu_hours,
            inside,
        });
    }
    Ok(out)
}

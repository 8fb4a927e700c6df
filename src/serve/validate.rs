//! `inference --validate`: every published serving figure beside chipbench's prediction of it
//! (calibration figures left out of their own fit), its 80% range (from the other figures'
//! held-out residuals), its error, whether it falls inside, and whether it stands above the
//! roofline itself; then the median and 90th-percentile error and the coverage, overall, per
//! chip vendor and per regime.

use serde::Serialize;

use super::ServeError;
use super::calibrate::{Calibration, Point, Regime};
use super::roofline::Efficiency;
use crate::cost::Span;
use crate::cost::fit::{Errors, quantile};
use crate::policy::Database;

/// One published figure predicted without itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validation {
    pub id: String,
    pub model: String,
    pub chip: String,
    pub vendor: String,
    pub precision: String,
    pub chips: u32,
    pub replica_gpus: f64,
    pub batch: f64,
    pub regime: Regime,
    pub calibrates: bool,
    /// Output tokens/s per GPU.
    pub published: f64,
    pub predicted: Span,
    pub roofline: f64,
    /// ln(predicted / published).
    pub log_error: f64,
    pub inside: bool,
}

/// Error and coverage of a group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub name: String,
    pub figures: usize,
    #[serde(flatten)]
    pub errors: Errors,
    /// Published figures above the roofline itself: none may be.
    pub above_roofline: usize,
}

fn group(name: &str, rows: &[&Validation]) -> Option<Group> {
    Some(Group {
        name: name.to_string(),
        figures: rows.len(),
        errors: Errors::of(rows.iter().map(|v| (v.log_error, v.inside)))?,
        above_roofline: rows.iter().filter(|v| v.published > v.roofline).count(),
    })
}

/// Overall, per vendor and per regime.
pub fn summarise(rows: &[Validation]) -> Vec<Group> {
    let calibrating: Vec<&Validation> = rows.iter().filter(|v| v.calibrates).collect();
    let mut out: Vec<Group> = group("all calibrating figures", &calibrating)
        .into_iter()
        .collect();
    let mut vendors: Vec<&str> = calibrating.iter().map(|v| v.vendor.as_str()).collect();
    vendors.sort_unstable();
    vendors.dedup();
    for v in vendors {
        let of: Vec<&Validation> = calibrating
            .iter()
            .copied()
            .filter(|x| x.vendor == v)
            .collect();
        out.extend(group(v, &of));
    }
    for r in [Regime::Dense, Regime::MixtureOfExperts] {
        let of: Vec<&Validation> = calibrating
            .iter()
            .copied()
            .filter(|x| x.regime == r)
            .collect();
        out.extend(group(r.name(), &of));
    }
    let other: Vec<&Validation> = rows.iter().filter(|v| !v.calibrates).collect();
    out.extend(group("speculative decoding (not calibrating)", &other));
    out
}

/// Every figure of `points` predicted with `calibration` (fitted on `points`): a calibrating
/// one by the efficiencies fitted without it, its range from the other figures' held-out
/// residuals; the others by the full fit.
pub fn validate(
    db: &Database,
    points: &[Point],
    calibration: &Calibration,
) -> Result<Vec<Validation>, ServeError> {
    let mut out = Vec::new();
    for p in points {
        let e = match p.figure.calibrates() {
            true => calibration
                .held_out
                .iter()
                .find(|(id, _)| *id == p.figure.id)
                .map(|(_, e)| *e)
                .ok_or(ServeError::Calibration(p.regime.name()))?,
            false => calibration.efficiency(p.regime),
        };
        let others: Vec<f64> = calibration
            .residuals
            .iter()
            .filter(|(id, _)| *id != p.figure.id)
            .map(|(_, r)| *r)
            .collect();
        let (lower, upper) = (quantile(&others, 0.1), quantile(&others, 0.9));
        let predicted = super::residual_range(p.predict(e), lower, upper);
        let published = p.figure.per_gpu();
        let chip = db.get(&p.figure.chip)?;
        out.push(Validation {
            id: p.figure.id.clone(),
            model: p.figure.model.clone(),
            chip: chip.id.clone(),
            vendor: chip.vendor.clone(),
            precision: p.figure.precision.name().to_string(),
            chips: p.figure.chips,
            replica_gpus: p.roofline.layout.gpus(),
            batch: p.roofline.batch,
            regime: p.regime,
            calibrates: p.figure.calibrates(),
            published,
            roofline: p.predict(Efficiency {
                decode: 1.0,
                prefill: 1.0,
            }),
            log_error: (predicted.central / published).ln(),
            inside: predicted.holds(published),
            predicted,
        });
    }
    Ok(out)
}

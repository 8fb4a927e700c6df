//! Trust beyond validity. A consistent forgery below the datasheet peak passes every check
//! one file allows, so each run is also placed against the other runs of its chip: per case
//! (source, workload, variant, precision, shape), a robust z-score of its figure against the
//! others' median and spread, and agreement with independent runs (another contributor, or
//! another host). A run is `confirmed` when an independent run agrees with it within the
//! noise on most of the cases they share, `outlier` when it lies far from the rest on most
//! cases it can be compared on, and `single` otherwise.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{RunResult, Status, median};
use crate::policy::Database;

/// Two figures agree when they differ by less than this fraction, or three times their
/// combined coefficient of variation if that is larger, but never by more than
/// [`MAX_AGREEMENT`] (a run noisy enough would otherwise agree with anything).
const AGREEMENT: f64 = 0.05;
const MAX_AGREEMENT: f64 = 0.25;
/// A figure this many robust standard deviations from the others' median is an outlier.
const OUTLIER_Z: f64 = 3.5;

/// Where a run stands against the other runs of its chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Standing {
    Confirmed,
    Single,
    Outlier,
}

impl Standing {
    pub fn name(self) -> &'static str {
        match self {
            Standing::Confirmed => "confirmed",
            Standing::Single => "single",
            Standing::Outlier => "outlier",
        }
    }
}

/// A run's standing, and what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunStanding {
    pub standing: Standing,
    /// The independent runs that agree with it.
    pub confirmed_by: Vec<String>,
    /// Its largest robust z-score over the cases with at least two other runs.
    pub worst_z: Option<f64>,
}

/// One case's figure in one run: the value and its coefficient of variation.
type Figures = BTreeMap<(String, String, String, String, String), (f64, f64)>;

fn figures(r: &RunResult) -> Figures {
    let source = match r.source {
        crate::model::Source::Chipbench => "chipbench",
        crate::model::Source::VendorLibrary => "vendor-library",
    };
    r.workloads
        .iter()
        .filter(|w| w.status == Status::Ok)
        .filter_map(|w| {
            let (value, _) = w.headline()?;
            let cv = w.timing.as_ref().map_or(0.0, |t| t.cv);
            Some((
                (
                    source.to_string(),
                    w.workload.clone(),
                    w.variant.clone(),
                    w.precision.to_string(),
                    w.shape_label(),
                ),
                (value, cv),
            ))
        })
        .collect()
}

/// Runs by different people or on different machines: a repeat on the same host by the same
/// contributor (or an anonymous one) is not independent evidence. Both fields are what the
/// file says, so a forger can claim them too: confirmation raises the cost of a forgery (two
/// consistent files instead of one), it does not prove a figure.
fn independent(a: &RunResult, b: &RunResult) -> bool {
    let contributors = matches!((&a.contributor, &b.contributor), (Some(x), Some(y)) if x != y);
    contributors || a.host != b.host
}

fn agree((x, cx): (f64, f64), (y, cy): (f64, f64)) -> bool {
    let noise = AGREEMENT
        .max(3.0 * (cx * cx + cy * cy).sqrt())
        .min(MAX_AGREEMENT);
    (x - y).abs() <= noise * x.abs().max(y.abs())
}

/// The standing of every run in `runs` (named by the first element), against the others of
/// the same chip (or, for a device no chip maps to, of the same adapter name).
pub fn standings(db: &Database, runs: &[(String, &RunResult)]) -> BTreeMap<String, RunStanding> {
    let group = |r: &RunResult| {
        db.for_result(r)
            .map(|c| c.id.clone())
            .unwrap_or_else(|| r.device.name.clone())
    };
    let all: Vec<(&String, &RunResult, String, Figures)> = runs
        .iter()
        .map(|(name, r)| (name, *r, group(r), figures(r)))
        .collect();
    let mut out = BTreeMap::new();
    for (name, r, chip, figs) in &all {
        let others: Vec<&(&String, &RunResult, String, Figures)> = all
            .iter()
            .filter(|o| o.2 == *chip && o.1.id != r.id)
            .collect();
        // Agreement with each independent run, over the cases both measured.
        let confirmed_by: Vec<String> = others
            .iter()
            .filter(|o| independent(r, o.1))
            .filter(|o| {
                let shared: Vec<bool> = figs
                    .iter()
                    .filter_map(|(k, &f)| o.3.get(k).map(|&g| agree(f, g)))
                    .collect();
                !shared.is_empty() && shared.iter().filter(|&&a| a).count() * 2 > shared.len()
            })
            .map(|o| o.0.clone())
            .collect();
        // Robust z-scores where at least two other runs measured the case.
        let zs: Vec<f64> = figs
            .iter()
            .filter_map(|(k, &(x, _))| {
                let vals: Vec<f64> = others
                    .iter()
                    .filter_map(|o| o.3.get(k).map(|v| v.0))
                    .collect();
                if vals.len() < 2 {
                    return None;
                }
                let m = median(&vals);
                let mad = median(&vals.iter().map(|v| (v - m).abs()).collect::<Vec<_>>());
                let scale = (1.4826 * mad).max(AGREEMENT * m.abs());
                Some(((x - m) / scale).abs())
            })
            .collect();
        let far = zs.iter().filter(|&&z| z > OUTLIER_Z).count();
        let standing = if !zs.is_empty() && far * 2 > zs.len() {
            Standing::Outlier
        } else if !confirmed_by.is_empty() {
            Standing::Confirmed
        } else {
            Standing::Single
        };
        out.insert(
            (*name).clone(),
            RunStanding {
                standing,
                confirmed_by,
                worst_z: zs.into_iter().reduce(f64::max),
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h200() -> RunResult {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/results/nvidia/nvidia-h200/788c5ff8540abced7339f909a6e8162656f077571271ccf6faac048bbb59959e.json"
        );
        RunResult::read(std::path::Path::new(path)).unwrap()
    }

    #[test]
    fn a_repeat_by_the_same_hand_on_the_same_host_confirms_nothing() {
        let db = Database::load().unwrap();
        let a = h200();
        let mut b = a.clone();
        b.created_at = "2026-01-02T00:00:00Z".into();
        b.seal();
        let s = standings(&db, &[("a".into(), &a), ("b".into(), &b)]);
        assert_eq!(s["a"].standing, Standing::Single);
        // Another contributor on the same host is independent.
        let mut c = b.clone();
        c.contributor = Some("lab-2".into());
        let mut a2 = a.clone();
        a2.contributor = Some("lab-1".into());
        let s = standings(&db, &[("a".into(), &a2), ("c".into(), &c)]);
        assert_eq!(s["a"].standing, Standing::Confirmed);
        assert_eq!(s["a"].confirmed_by, ["c"]);
    }

    #[test]
    fn agreement_follows_the_noise() {
        assert!(agree((100.0, 0.0), (96.0, 0.0)));
        assert!(!agree((100.0, 0.0), (90.0, 0.0)));
        // Noisy runs (cv 5%) agree over a wider band: 3 x sqrt(2) x 5% = 21%.
        assert!(agree((100.0, 0.05), (82.0, 0.05)));
        // But a very noisy one (cv 74%) does not agree with half the figure.
        assert!(!agree((100.0, 0.74), (50.0, 0.0)));
    }
}

//! Trust beyond validity. A consistent forgery below the datasheet peak passes every check one
//! file allows, and every field inside a file (contributor, host, time) is its writer's claim,
//! so only signed runs are weighed: a run signed by a listed signer (see [`super::signature`])
//! is placed against the other signed runs of its chip, per case (source, workload, variant,
//! precision, shape), by agreement with runs of other signers and by a robust z-score of its
//! figure against the others' median and spread. A signed run is `confirmed` when a run of
//! another signer agrees with it within the noise on most of the cases they share, `outlier`
//! when it lies far from the rest on most cases it can be compared on, and `single` otherwise.
//! Every other run is `unverified`: shown, never used to confirm or to demote a signed one.
//! Copies of one run (the same id) count once.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{CaseKey, RunResult, Status, median};
use crate::policy::Database;

/// Two figures agree when they differ by less than this fraction, or three times their
/// combined coefficient of variation if that is larger, but never by more than
/// [`MAX_AGREEMENT`] (a run noisy enough would otherwise agree with anything).
const AGREEMENT: f64 = 0.05;
const MAX_AGREEMENT: f64 = 0.25;
/// A figure this many robust standard deviations from the others' median is an outlier.
const OUTLIER_Z: f64 = 3.5;
/// The median absolute deviation times this estimates the standard deviation of normally
/// distributed figures (1 / the normal distribution's 75th percentile, 0.6745).
const MAD_TO_SD: f64 = 1.4826;

/// Where a run stands against the other runs of its chip. Ordered from the most to the least
/// trusted evidence: derived figures take the first tier that has a run, never an outlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Standing {
    Confirmed,
    Single,
    Unverified,
    Outlier,
}

impl Standing {
    pub fn name(self) -> &'static str {
        match self {
            Standing::Confirmed => "confirmed",
            Standing::Single => "single",
            Standing::Unverified => "unverified",
            Standing::Outlier => "outlier",
        }
    }

    /// Whether a listed signer vouches for the run.
    pub fn verified(self) -> bool {
        self != Standing::Unverified
    }
}

/// A run's standing, and what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunStanding {
    pub standing: Standing,
    /// The other signers whose runs agree with it.
    pub confirmed_by: Vec<String>,
    /// Its largest robust z-score over the cases with at least two other runs.
    pub worst_z: Option<f64>,
}

/// One case's figure in one run (FLOP/s or byte/s) and its coefficient of variation.
type Figures = BTreeMap<CaseKey, (f64, f64)>;

fn figures(r: &RunResult) -> Figures {
    r.workloads
        .iter()
        .filter(|w| w.status == Status::Ok)
        .filter_map(|w| {
            let value = w.figure()?.value;
            let cv = w.timing.as_ref().map_or(0.0, |t| t.cv);
            Some((w.key(r.source), (value, cv)))
        })
        .collect()
}

fn agree((x, cx): (f64, f64), (y, cy): (f64, f64)) -> bool {
    let noise = AGREEMENT
        .max(3.0 * (cx * cx + cy * cy).sqrt())
        .min(MAX_AGREEMENT);
    (x - y).abs() <= noise * x.abs().max(y.abs())
}

/// A run to place: its name, its result and its signer where a listed one signed it.
pub type Candidate<'a> = (String, &'a RunResult, Option<String>);

/// What standing weighs of one run: its id, chip, signer and figures. A caller that weighs
/// many runs keeps these and drops the results, so memory grows with the runs' cases, not
/// with their samples.
pub struct Weighed {
    id: String,
    chip: String,
    signer: Option<String>,
    figures: Figures,
}

impl Weighed {
    /// `r` as standing weighs it, signed by `signer` where a listed signer signed it. The
    /// chip is the one `r` maps to, or for a device no chip maps to, its adapter name.
    pub fn of(db: &Database, r: &RunResult, signer: Option<String>) -> Weighed {
        Weighed {
            id: r.id.clone(),
            chip: db
                .for_result(r)
                .map(|c| c.id.clone())
                .unwrap_or_else(|| crate::model::normalise_name(&r.device.name)),
            signer,
            figures: figures(r),
        }
    }
}

/// The standing of every run in `runs` (keyed by its name), against the other signed runs of
/// the same chip (or, for a device no chip maps to, of the same adapter name).
pub fn standings(db: &Database, runs: &[Candidate]) -> BTreeMap<String, RunStanding> {
    weigh(
        runs.iter()
            .map(|(name, r, signer)| (name.clone(), Weighed::of(db, r, signer.clone())))
            .collect(),
    )
}

/// [`standings`] over runs already weighed: copies of one run (the same id) count once.
pub fn weigh(runs: Vec<(String, Weighed)>) -> BTreeMap<String, RunStanding> {
    let mut distinct: BTreeMap<String, Weighed> = BTreeMap::new();
    let mut names: Vec<(String, String)> = Vec::with_capacity(runs.len());
    for (name, run) in runs {
        names.push((name, run.id.clone()));
        match distinct.get_mut(&run.id) {
            Some(known) if known.signer.is_none() => known.signer = run.signer,
            Some(_) => {}
            None => {
                distinct.insert(run.id.clone(), run);
            }
        }
    }
    let signed: Vec<&Weighed> = distinct.values().filter(|r| r.signer.is_some()).collect();
    names
        .into_iter()
        .map(|(name, id)| {
            let run = &distinct[&id];
            let standing = match run.signer {
                Some(_) => place(run, &signed),
                None => RunStanding {
                    standing: Standing::Unverified,
                    confirmed_by: Vec::new(),
                    worst_z: None,
                },
            };
            (name, standing)
        })
        .collect()
}

/// The median by figure (the lower one of an even count) of the items of the most trusted
/// standing among them, outliers only where nothing else measured it: the run a figure of
/// many runs rests on, so that no one file sets it; never the best one. Items of equal figure
/// keep their order.
pub fn median_of_most_trusted<T>(items: Vec<(Standing, f64, T)>) -> Option<(Standing, f64, T)> {
    let best = items.iter().map(|i| i.0).min()?;
    let mut tier: Vec<(Standing, f64, T)> = items.into_iter().filter(|i| i.0 == best).collect();
    tier.sort_by(|a, b| a.1.total_cmp(&b.1));
    let middle = (tier.len() - 1) / 2;
    Some(tier.swap_remove(middle))
}

/// A signed run against the other signed runs of its chip.
fn place(run: &Weighed, signed: &[&Weighed]) -> RunStanding {
    let others: Vec<&&Weighed> = signed
        .iter()
        .filter(|o| o.chip == run.chip && o.id != run.id)
        .collect();
    // Agreement with each run of another signer, over the cases both measured.
    let mut confirmed_by: Vec<String> = others
        .iter()
        .filter(|o| o.signer != run.signer)
        .filter(|o| {
            let shared: Vec<bool> = run
                .figures
                .iter()
                .filter_map(|(k, &f)| o.figures.get(k).map(|&g| agree(f, g)))
                .collect();
            !shared.is_empty() && shared.iter().filter(|&&a| a).count() * 2 > shared.len()
        })
        .filter_map(|o| o.signer.clone())
        .collect();
    confirmed_by.sort();
    confirmed_by.dedup();
    // Robust z-scores where at least two other signers measured the case, each signer's runs
    // counted once (their median): one signer's many runs cannot outvote another's one.
    let zs: Vec<f64> = run
        .figures
        .iter()
        .filter_map(|(k, &(x, _))| {
            let mut by_signer: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
            for o in others.iter().filter(|o| o.signer != run.signer) {
                if let (Some(signer), Some(v)) = (o.signer.as_deref(), o.figures.get(k)) {
                    by_signer.entry(signer).or_default().push(v.0);
                }
            }
            let vals: Vec<f64> = by_signer.values().map(|v| median(v)).collect();
            if vals.len() < 2 {
                return None;
            }
            let m = median(&vals);
            let mad = median(&vals.iter().map(|v| (v - m).abs()).collect::<Vec<_>>());
            let scale = (MAD_TO_SD * mad).max(AGREEMENT * m.abs());
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
    RunStanding {
        standing,
        confirmed_by,
        worst_z: zs.into_iter().reduce(f64::max),
    }
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

    fn named<'a>(runs: &[(&str, &'a RunResult, Option<&str>)]) -> Vec<Candidate<'a>> {
        runs.iter()
            .map(|(n, r, s)| (n.to_string(), *r, s.map(String::from)))
            .collect()
    }

    #[test]
    fn only_another_signer_confirms_and_unsigned_runs_weigh_nothing() {
        let db = Database::load().unwrap();
        let a = h200();
        let mut b = a.clone();
        b.host.cpu_model = Some("Another CPU".into());
        b.contributor = Some("lab-2".into());
        b.seal();
        // The same signer twice, or an unsigned "independent host": no confirmation.
        for s in [
            standings(&db, &named(&[("a", &a, Some("x")), ("b", &b, Some("x"))])),
            standings(&db, &named(&[("a", &a, Some("x")), ("b", &b, None)])),
        ] {
            assert_eq!(s["a"].standing, Standing::Single);
        }
        let s = standings(&db, &named(&[("a", &a, None), ("b", &b, Some("y"))]));
        assert_eq!(s["a"].standing, Standing::Unverified);
        let s = standings(&db, &named(&[("a", &a, Some("x")), ("b", &b, Some("y"))]));
        assert_eq!(s["a"].standing, Standing::Confirmed);
        assert_eq!(s["a"].confirmed_by, ["y"]);
        // Two unsigned runs far from the signed one demote nothing; copies count once.
        let mut far = b.clone();
        far.host.cores = 8;
        for w in &mut far.workloads {
            if let Some(t) = w.throughput.as_mut() {
                t.gbps *= 3.0;
                t.tflops = t.tflops.map(|x| x * 3.0);
            }
        }
        let mut far2 = far.clone();
        far2.host.cores = 4;
        let s = standings(
            &db,
            &named(&[("a", &a, Some("x")), ("f", &far, None), ("g", &far2, None)]),
        );
        assert_eq!(s["a"].standing, Standing::Single);
        let s = standings(
            &db,
            &named(&[
                ("a", &a, Some("x")),
                ("f", &far, Some("y")),
                ("f2", &far, Some("y")),
            ]),
        );
        assert_eq!(s["a"].worst_z, None, "one distinct other run: no z-score");
        // Two distinct far runs by one other signer count as one: nothing to weigh against.
        let (mut far, mut far2) = (far.clone(), far2.clone());
        far.seal();
        far2.seal();
        let s = standings(
            &db,
            &named(&[
                ("a", &a, Some("x")),
                ("f", &far, Some("y")),
                ("g", &far2, Some("y")),
            ]),
        );
        assert_eq!(s["a"].standing, Standing::Single);
        assert_eq!(s["a"].worst_z, None);
        // Two other signers who agree with each other and not with it make it an outlier.
        let s = standings(
            &db,
            &named(&[
                ("a", &a, Some("x")),
                ("f", &far, Some("y")),
                ("g", &far2, Some("z")),
            ]),
        );
        assert_eq!(s["a"].standing, Standing::Outlier);
    }

    #[test]
    fn the_median_of_the_most_trusted_tier_never_the_best() {
        use Standing::*;
        let items = vec![
            (Unverified, 900.0, "u"),
            (Single, 3.0, "a"),
            (Single, 1.0, "b"),
            (Single, 2.0, "c"),
            (Single, 4.0, "d"),
            (Outlier, 0.5, "o"),
        ];
        assert_eq!(median_of_most_trusted(items), Some((Single, 2.0, "c")));
        let outliers = vec![(Outlier, 7.0, "x"), (Outlier, 5.0, "y")];
        assert_eq!(median_of_most_trusted(outliers), Some((Outlier, 5.0, "y")));
        assert_eq!(median_of_most_trusted::<()>(Vec::new()), None);
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

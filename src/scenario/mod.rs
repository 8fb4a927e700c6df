//! Control scenarios: what an export rule catches, and what it costs a restricted buyer to
//! train and to serve a model with the chips it leaves.
//!
//! The pieces exist elsewhere (the chip table and the rule vintages in `policy`, training cost
//! in `cost`, serving in `serve`); this module asks the question analysts ask of them. A rule
//! is a named vintage (`policy::classify`) or a threshold file ([`thresholds`]); a buyer is
//! restricted (in China) or not; a date says which chips were on sale. For every chip: what
//! the rule does to it, whether the buyer can get it and on which assumption, and what changed
//! against a baseline rule ([`access`]). Then the buyer's best chip for a training run and for
//! a serving load beside the best chip on sale, and the penalty ([`penalty`]), from figures
//! computed once per chip ([`workload`]); [`sweep`] moves one threshold and recomputes it.
//! Arithmetic on public datasheets and published runs, not legal advice.

pub mod access;
pub mod month;
pub mod penalty;
mod plot;
pub mod sweep;
pub mod thresholds;
pub mod view;
pub mod workload;

use serde::Serialize;

pub use access::{Access, Buyer, Change, Control, Controls, Ruling, Status};
pub use month::Month;
pub use penalty::{Outcome, ServingPenalty, TrainingPenalty};
pub use sweep::{Sweep, sweep};
pub use thresholds::{Field, Figures, Thresholds};
pub use workload::{Load, Serving, Train, Training, Workloads};

use crate::cost::CostError;
use crate::policy::{ChipError, DISCLAIMER, Database};
use crate::serve::ServeError;

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// A value of the question that is out of range or unknown; `field` is the option.
    #[error("{field}: {why}")]
    Input { field: &'static str, why: String },
    /// A threshold file that cannot be read or is not a valid one.
    #[error("{path}: {why}")]
    File { path: String, why: String },
    /// The buyer can get no chip (that runs the workload).
    #[error("{0}")]
    NoChip(String),
    #[error(transparent)]
    Cost(#[from] CostError),
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error(transparent)]
    Chip(#[from] ChipError),
}

/// One scenario as asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub rule: Controls,
    pub baseline: Controls,
    pub buyer: Buyer,
    /// Only chips on sale by then are candidates; the rule's date where not given.
    pub as_of: Option<Month>,
}

impl Question {
    pub fn as_of(&self) -> Month {
        self.as_of.unwrap_or_else(|| self.rule.date())
    }
}

/// One chip under the scenario and against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChipRow {
    #[serde(flatten)]
    pub access: Access,
    /// TPP with TF32 as 19 bits, and total DRAM bandwidth in GB/s: what the lines are drawn on.
    pub tpp: f64,
    pub dram_bandwidth_gbps: Option<f64>,
    pub baseline: Ruling,
    pub change: Change,
    pub training: Option<Training>,
    pub serving: Option<Serving>,
}

/// The answer, as `--format json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    pub rule: String,
    pub rule_source: String,
    pub baseline: String,
    pub as_of: Month,
    pub buyer: Buyer,
    pub chips: Vec<ChipRow>,
    pub training: Option<Outcome<Training, TrainingPenalty>>,
    pub serving: Option<Outcome<Serving, ServingPenalty>>,
    pub disclaimer: &'static str,
}

/// Every chip's access under `rule` for the question's buyer and date.
pub fn assess(
    db: &Database,
    figures: &[Figures],
    rule: &Controls,
    q: &Question,
) -> Result<Vec<Access>, ScenarioError> {
    let as_of = q.as_of();
    db.chips
        .iter()
        .zip(figures)
        .map(|(chip, f)| {
            let ruling = rule.rule_on(chip, f, q.buyer.case_by_case_granted);
            Ok(access::access(
                chip,
                access::on_sale(chip)?,
                ruling,
                q.buyer,
                as_of,
            ))
        })
        .collect()
}

/// The figure of chip `i`, where it has one.
fn nth<T: Clone>(per_chip: Option<&[Result<T, String>]>, i: usize) -> Option<T> {
    per_chip?.get(i)?.as_ref().ok().cloned()
}

/// Answers `q` with the workloads computed for every chip of `db`. A buyer who can get no chip
/// (or none that runs an asked workload) is an error.
pub fn evaluate(db: &Database, work: &Workloads, q: &Question) -> Result<Scenario, ScenarioError> {
    let figures: Vec<Figures> = db.chips.iter().map(Figures::of).collect();
    let scenario = assess(db, &figures, &q.rule, q)?;
    let baseline = assess(db, &figures, &q.baseline, q)?;
    let who = if q.buyer.restricted {
        "a restricted buyer"
    } else {
        "this buyer"
    };
    let none = |what: &str| {
        ScenarioError::NoChip(format!(
            "no chip{what} is available to {who} under {} as of {}",
            q.rule.name(),
            q.as_of()
        ))
    };
    if !scenario.iter().any(Access::available) {
        return Err(none(""));
    }
    let training = match &work.training {
        Some(set) => {
            Some(penalty::training(set, &scenario).ok_or_else(|| none(" that can train it"))?)
        }
        None => None,
    };
    let serving = match &work.serving {
        Some(set) => {
            Some(penalty::serving(set, &scenario).ok_or_else(|| none(" that can serve it"))?)
        }
        None => None,
    };
    let chips = scenario
        .into_iter()
        .zip(baseline)
        .enumerate()
        .map(|(i, (a, b))| ChipRow {
            change: Change::of(a.ruling.control, b.ruling.control),
            baseline: b.ruling,
            tpp: figures[i].tpp[0],
            dram_bandwidth_gbps: figures[i].dram_gbps,
            training: nth(work.training.as_ref().map(|t| t.per_chip.as_slice()), i),
            serving: nth(work.serving.as_ref().map(|s| s.per_chip.as_slice()), i),
            access: a,
        })
        .collect();
    Ok(Scenario {
        rule: q.rule.name(),
        rule_source: q.rule.citation(),
        baseline: q.baseline.name(),
        as_of: q.as_of(),
        buyer: q.buyer,
        chips,
        training,
        serving,
        disclaimer: DISCLAIMER,
    })
}

//! One threshold moved across a range: at each step, the chips the buyer can get, the best of
//! them for the workloads and the penalty against the best chip on sale; and where each chip
//! leaves (or joins) the buyer's set. The rule's highest line on the field moves (the
//! 3A090.a.1 TPP line, the 2022 interconnect line); a rule with no line on it gets one, for
//! any part. The workloads are computed once, so a step costs only the rule's arithmetic.

use serde::Serialize;

use super::access::{self, Buyer, Ruling};
use super::month::Month;
use super::penalty;
use super::thresholds::{Field, Figures};
use super::{Question, ScenarioError, Workloads};
use crate::policy::{DISCLAIMER, Database};
use crate::quantity::Span;

/// The best chip at one step, its figure and its penalty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Best {
    pub chip: String,
    /// GPU-hours (training) or output tokens/s per GPU (serving).
    pub figure: Span,
    /// Time (training) or chips for the same throughput (serving) over the best chip on sale.
    pub penalty: f64,
    pub cost_penalty: Option<f64>,
}

/// One step of the sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// In the field's own unit (GB/s for bandwidths).
    pub threshold: f64,
    /// Chips the buyer can get.
    pub available: usize,
    pub training: Option<Best>,
    pub serving: Option<Best>,
}

/// A chip that is available on one side of two neighbouring steps and not on the other.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    pub chip: String,
    pub lower: f64,
    pub upper: f64,
    /// Available at the upper threshold (the line moved above it) rather than the lower.
    pub available_above: bool,
}

/// The answer, as `--format json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sweep {
    pub rule: String,
    pub field: Field,
    /// What moves: "the TPP line at 4800 (3A090.a.1)" or "a new DRAM bandwidth line for any
    /// part".
    pub moved: String,
    pub as_of: Month,
    pub buyer: Buyer,
    pub training: Option<String>,
    pub serving: Option<String>,
    pub steps: Vec<Step>,
    pub transitions: Vec<Transition>,
    pub disclaimer: &'static str,
}

/// A sweep range as people type it: `FIELD=LO..HI`.
pub fn parse_range(s: &str) -> Result<(Field, f64, f64), ScenarioError> {
    let bad = |why: String| ScenarioError::Input {
        field: "sweep",
        why,
    };
    let (field, range) = s
        .split_once('=')
        .ok_or_else(|| bad(format!("{s:?}: expected FIELD=LO..HI, e.g. tpp=1000..8000")))?;
    let field: Field = field.trim().parse().map_err(bad)?;
    let (lo, hi) = range
        .split_once("..")
        .ok_or_else(|| bad(format!("{range:?}: expected LO..HI, e.g. 1000..8000")))?;
    let num = |v: &str| -> Result<f64, ScenarioError> {
        let x: f64 = v
            .trim()
            .parse()
            .map_err(|_| bad(format!("{v:?} is not a number")))?;
        crate::input::within(field.key(), x, 1e-6, 1e9).map_err(bad)
    };
    let (lo, hi) = (num(lo)?, num(hi)?);
    if lo >= hi {
        return Err(bad(format!(
            "{lo}..{hi}: the low end must be below the high end"
        )));
    }
    Ok((field, lo, hi))
}

/// What the sweep moves in the rule.
fn moved(t: &super::Thresholds, field: Field) -> String {
    let lines: Vec<(f64, &str)> = t
        .clauses
        .iter()
        .flat_map(|c| {
            c.lines
                .iter()
                .filter(|l| l.field == field)
                .map(move |l| (l.at_least, c.name.as_str()))
        })
        .collect();
    match lines.iter().map(|(v, _)| *v).max_by(f64::total_cmp) {
        Some(top) => format!(
            "the {} line at {} ({})",
            field.label(),
            field.show(top),
            lines
                .iter()
                .filter(|(v, _)| *v == top)
                .map(|(_, c)| *c)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => format!("a new {} line for any part", field.label()),
    }
}

/// The steps of a sweep, ends included: 2 to 1,000.
pub fn check_steps(steps: usize) -> Result<(), ScenarioError> {
    if (2..=1000).contains(&steps) {
        Ok(())
    } else {
        Err(ScenarioError::Input {
            field: "steps",
            why: format!("between 2 and 1000, got {steps}"),
        })
    }
}

/// What a sweep needs beyond its range: a field with a unit, a sane number of steps, and a
/// workload to price.
fn check(field: Field, steps: usize, work: &Workloads) -> Result<(), ScenarioError> {
    let input = |why: &str| ScenarioError::Input {
        field: "sweep",
        why: why.to_string(),
    };
    if field.quantity(1.0).is_none() {
        return Err(input(
            "memory_bandwidth_density cannot be swept (threshold files take it): sweep tpp, performance_density, dram_bandwidth_gbps or interconnect_gbps",
        ));
    }
    check_steps(steps)?;
    if work.training.is_none() && work.serving.is_none() {
        return Err(input(
            "give a workload to price at each step: a training run, a serving load or both",
        ));
    }
    Ok(())
}

/// The step at threshold `x`, from every chip's access under the moved rule.
fn step(work: &Workloads, access: &[access::Access], x: f64) -> Step {
    Step {
        threshold: x,
        available: access.iter().filter(|a| a.available()).count(),
        training: work
            .training
            .as_ref()
            .and_then(|t| penalty::training(t, access))
            .map(|o| Best {
                chip: o.available.chip,
                figure: o.available.gpu_hours,
                penalty: o.penalty.time,
                cost_penalty: o.penalty.cost,
            }),
        serving: work
            .serving
            .as_ref()
            .and_then(|s| penalty::serving(s, access))
            .map(|o| Best {
                chip: o.available.chip,
                figure: o.available.tokens_per_s_per_gpu,
                penalty: o.penalty.chips,
                cost_penalty: o.penalty.cost,
            }),
    }
}

/// The chips that change sides between neighbouring steps; `open[i][c]` is chip `c`'s
/// availability at step `i`.
fn transitions(db: &Database, steps: &[Step], open: &[Vec<bool>]) -> Vec<Transition> {
    (1..steps.len())
        .flat_map(|i| {
            let (below, above) = (&open[i - 1], &open[i]);
            let (lower, upper) = (steps[i - 1].threshold, steps[i].threshold);
            db.chips
                .iter()
                .enumerate()
                .filter(move |(c, _)| below[*c] != above[*c])
                .map(move |(c, chip)| Transition {
                    chip: chip.id.clone(),
                    lower,
                    upper,
                    available_above: above[c],
                })
        })
        .collect()
}

/// Moves `field` from `lo` to `hi` in `steps` even steps over the question's rule.
pub fn sweep(
    db: &Database,
    work: &Workloads,
    q: &Question,
    (field, lo, hi): (Field, f64, f64),
    steps: usize,
) -> Result<Sweep, ScenarioError> {
    check(field, steps, work)?;
    let base = q.rule.lines(db)?;
    let figures: Vec<Figures> = db.chips.iter().map(Figures::of).collect();
    let sales = db
        .chips
        .iter()
        .map(access::on_sale)
        .collect::<Result<Vec<_>, _>>()?;
    let as_of = q.as_of();
    let mut out = Vec::with_capacity(steps);
    let mut open: Vec<Vec<bool>> = Vec::with_capacity(steps);
    for i in 0..steps {
        let x = lo + (hi - lo) * i as f64 / (steps - 1) as f64;
        let rule = base.moved(field, x);
        let access: Vec<access::Access> = db
            .chips
            .iter()
            .zip(&figures)
            .zip(&sales)
            .map(|((chip, f), sale)| {
                access::access(chip, *sale, Ruling::of(&rule, chip, f), q.buyer, as_of)
            })
            .collect();
        open.push(access.iter().map(access::Access::available).collect());
        out.push(step(work, &access, x));
    }
    Ok(Sweep {
        rule: q.rule.name(),
        field,
        moved: moved(&base, field),
        as_of,
        buyer: q.buyer,
        training: work.training.as_ref().map(|t| t.label.clone()),
        serving: work.serving.as_ref().map(|s| s.label.clone()),
        transitions: transitions(db, &out, &open),
        steps: out,
        disclaimer: DISCLAIMER,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_bad_ones_name_the_problem() {
        assert_eq!(
            parse_range("tpp=1000..8000").unwrap(),
            (Field::Tpp, 1000.0, 8000.0)
        );
        assert_eq!(
            parse_range(" dram_bandwidth_gbps = 1000 .. 8000")
                .unwrap()
                .0,
            Field::DramBandwidthGbps
        );
        for (s, want) in [
            ("tpp", "expected FIELD=LO..HI"),
            ("tpp=1000", "expected LO..HI"),
            ("flops=1..2", "unknown threshold field \"flops\""),
            ("tpp=8000..1000", "the low end must be below"),
            ("tpp=-1..5", "must be a positive number"),
            ("tpp=x..5", "\"x\" is not a number"),
        ] {
            let e = parse_range(s).unwrap_err().to_string();
            assert!(e.starts_with("sweep: ") && e.contains(want), "{s}: {e}");
        }
    }
}

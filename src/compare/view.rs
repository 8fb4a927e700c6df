//! `compare` as one document every format renders: a line naming the baseline, then per
//! compared side a line naming it and a table of its pairs. CSV and JSON carry every pair of
//! every side as one table of raw numbers.

use super::bootstrap::Method;
use super::{Pair, Report, Verdict};
use crate::quantity::{Span, Unit};
use crate::view::{Block, Cell, Document, Table};

const COLUMNS: [(&str, &str); 15] = [
    ("a", "A"),
    ("b", "B"),
    ("workload", "workload"),
    ("shape", "shape"),
    ("inputs", "inputs"),
    ("accumulate", "accumulate"),
    ("variant_a", "variant A"),
    ("variant_b", "variant B"),
    ("runs_a", "runs A"),
    ("runs_b", "runs B"),
    ("median_a", "median A"),
    ("median_b", "median B"),
    ("ratio", "B/A (95% interval)"),
    ("run_to_run", "run-to-run"),
    ("verdict", "verdict"),
];

/// The columns people do not need in a side's table (the side is named above it).
const PEOPLE_DROP: [&str; 4] = ["a", "b", "inputs", "accumulate"];

/// "B faster", "B slower", "within noise": the ratio stands beside it.
pub fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Faster => "B faster",
        Verdict::Slower => "B slower",
        Verdict::WithinNoise => "within noise",
    }
}

/// How the interval holds the variation between runs: "resampled" (runs on both sides), or
/// the spread a single run was widened by.
fn run_to_run(p: &Pair) -> Cell {
    match p.estimate.method {
        Method::Hierarchical => Cell::text("resampled"),
        Method::Widened { spread_a, spread_b } => {
            Cell::num((spread_a * spread_a + spread_b * spread_b).sqrt(), Unit::Cv)
        }
    }
}

fn row(a: &str, b: &str, p: &Pair) -> Vec<Cell> {
    let e = &p.estimate;
    vec![
        Cell::text(a),
        Cell::text(b),
        Cell::text(&p.case.workload),
        Cell::text(p.case.shape.to_string()),
        Cell::text(p.case.precision.inputs.name()),
        Cell::text(p.case.precision.accumulate.name()),
        Cell::text(&p.variant_a),
        Cell::text(&p.variant_b),
        Cell::num(p.runs_a as f64, Unit::Count),
        Cell::num(p.runs_b as f64, Unit::Count),
        Cell::Num(p.median_a),
        Cell::Num(p.median_b),
        Cell::Range(
            Span {
                central: e.ratio,
                low: e.low,
                high: e.high,
            },
            Unit::Ratio,
        ),
        run_to_run(p),
        Cell::text(verdict(p.verdict)),
    ]
}

/// Every pair of every side: the rows CSV and JSON carry.
pub fn pairs(report: &Report) -> Table {
    let mut t = Table::new(&COLUMNS);
    for c in &report.comparisons {
        for p in &c.pairs {
            t.push(row(&report.a.argument, &c.b.argument, p));
        }
    }
    t
}

pub fn document(report: &Report) -> Document {
    let all = pairs(report);
    let mut doc = Document::default();
    doc.paragraph(format!("A (baseline): {}", report.a.describe()));
    let b_col = all.column("b").expect("pairs name their side");
    for c in &report.comparisons {
        doc.push(Block::Heading(format!("B: {}", c.b.describe())));
        let mine = all.filtered(|r| r[b_col] == Cell::text(&c.b.argument));
        doc.push(Block::Table(mine.without(&PEOPLE_DROP)));
    }
    doc.push(Block::Note(
        "A verdict needs the 95% interval to exclude 1. The interval holds the variation \
         between passes and between runs: resampled where a side has two or more runs, else \
         widened by the run-to-run spread shown."
            .into(),
    ));
    doc.data = Some(all);
    doc
}

/// The closing line: how many records had no counterpart, and how many could not take part.
pub fn closing_line(report: &Report) -> String {
    let per: Vec<String> = report
        .comparisons
        .iter()
        .map(|c| {
            let against = if report.comparisons.len() > 1 {
                format!(" (B = {})", c.b.argument)
            } else {
                String::new()
            };
            format!("{} of A and {} of B{against}", c.unmatched_a, c.unmatched_b)
        })
        .collect();
    let pairs: usize = report.comparisons.iter().map(|c| c.pairs.len()).sum();
    let mut line = format!(
        "{} compared; unmatched (on one side only, not shown): {}",
        crate::quantity::plural(pairs, "pair", "pairs"),
        per.join("; ")
    );
    if report.not_ok > 0 {
        line.push_str(&format!(
            "; {} without a passed, timed measurement left out",
            crate::quantity::plural(report.not_ok, "record", "records")
        ));
    }
    line
}

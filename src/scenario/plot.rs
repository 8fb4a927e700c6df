//! The sweep's chart: the buyer's penalty against the threshold (training time, serving
//! chips) on linear axes, and a line where each chip leaves or joins the buyer's set, named at
//! its top (or numbered there and named in the key below). Drawn with the report's chart
//! builder, so labels never overlap and every line carries a hover title.

use super::sweep::{Best, Step, Sweep};
use crate::view::svg::{Axis, Chart, PALETTE};

/// The penalty of each step where the buyer has a chip for the workload.
fn series(s: &Sweep, pick: impl Fn(&Step) -> Option<&Best>) -> Vec<(f64, f64)> {
    s.steps
        .iter()
        .filter_map(|st| pick(st).map(|b| (st.threshold, b.penalty)))
        .filter(|(_, p)| p.is_finite())
        .collect()
}

/// Penalty against threshold, with the chips' transitions marked.
pub fn penalty(s: &Sweep) -> Result<String, String> {
    let train = series(s, |st| st.training.as_ref());
    let serve = series(s, |st| st.serving.as_ref());
    if train.is_empty() && serve.is_empty() {
        return Err("no step leaves the buyer a chip that runs the workload".into());
    }
    let (lo, hi) = (s.steps[0].threshold, s.steps[s.steps.len() - 1].threshold);
    let top = train
        .iter()
        .chain(&serve)
        .map(|(_, p)| *p)
        .fold(1.0, f64::max)
        * 1.25;
    let mut chart = Chart::new(
        format!("{}: the penalty as {} moves", s.rule, s.moved),
        Axis::linear(
            lo,
            hi,
            match s.field.unit() {
                "" => format!("{} threshold", s.field.label()),
                unit => format!("{} threshold ({unit})", s.field.label()),
            },
        ),
        Axis::linear(0.0, top, "penalty (x the best chip on sale)"),
    );
    for tr in &s.transitions {
        chart.vline((tr.lower + tr.upper) / 2.0, "#888", &tr.chip);
    }
    let (train_color, serve_color) = (PALETTE[0], PALETTE[1]);
    if !train.is_empty() {
        chart.line(
            &train,
            train_color,
            2.0,
            false,
            "training: time over the best chip's",
        );
        chart.legend_line(
            false,
            train_color,
            "training: GPU-hours over the best chip's",
        );
    }
    if !serve.is_empty() {
        chart.line(
            &serve,
            serve_color,
            2.0,
            false,
            "serving: chips for the best chip's output",
        );
        chart.legend_line(
            false,
            serve_color,
            "serving: chips for the best chip's tokens/s",
        );
    }
    chart.legend_line(false, "#888", "a chip leaves or joins the buyer's set");
    Ok(chart.finish())
}

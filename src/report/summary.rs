//! The headline of one device: what a first run should answer at a glance (how close each
//! execution unit comes to its datasheet peak, where the chip sits under 3A090, what a known
//! training run would take on it) and the commands that go deeper. `run` prints it after its
//! table; the HTML report opens each device with it.

use super::model::{DeviceReport, HEADLINE_UNITS, Row, best_compute, best_copy};
use super::table::scaled;

/// A share as a percentage, or "-".
fn pct(x: Option<f64>) -> String {
    if let Some(v) = x.filter(|v| *v * 100.0 < 0.1) {
        return format!("{:.1e}%", v * 100.0);
    }
    x.map_or("-".to_string(), |v| format!("{:.1}%", v * 100.0))
}

/// The share of the rated figure, with what it is rated against.
pub fn of_peak(r: &Row) -> String {
    match (r.utilization, &r.rated_against) {
        (Some(u), Some(what)) => format!("{} of {what}", pct(Some(u))),
        _ => "-".to_string(),
    }
}

/// Sentences under a device's table: the export-control view and the training-cost line.
pub fn summary_lines(d: &DeviceReport) -> Vec<String> {
    let mut out = Vec::new();
    match (
        &d.chip_name,
        d.policy.as_ref().and_then(|p| p.rated.as_ref()),
    ) {
        (Some(name), Some(v)) => {
            let eff = d
                .policy
                .as_ref()
                .map(|p| {
                    p.measured
                        .iter()
                        .map(|m| m.effective_bit_weighted_throughput)
                        .fold(0.0, f64::max)
                })
                .unwrap_or(0.0);
            out.push(format!(
                "Export controls ({} rule, datasheet): {name}: TPP {:.0}, performance density {}, {}{}. \
                 Best measured effective bit-weighted throughput (not TPP): {eff:.0}.",
                v.rule,
                v.tpp,
                v.performance_density.map_or("unknown".to_string(), |p| format!("{p:.2}")),
                v.classification.name(),
                v.clause.map(|c| format!(" ({c})")).unwrap_or_default(),
            ));
        }
        _ => out.push("Export controls: no chip database entry for this device.".to_string()),
    }
    if !d.standing.is_empty() {
        let counts: Vec<String> = d
            .standing
            .iter()
            .map(|(s, n)| format!("{n} {}", s.name()))
            .collect();
        out.push(format!(
            "Standing of its runs among the runs of this chip: {}{}.",
            counts.join(", "),
            if d.standing
                .iter()
                .all(|(s, _)| *s != crate::dataset::Standing::Confirmed)
            {
                " (no independent run agrees with them yet: one file cannot show a consistent forgery below the peak)"
            } else {
                ""
            }
        ));
    }
    if let Some(t) = &d.training {
        let mut line = format!("Training cost ({})", t.method);
        if let Some(h) = t.gpu_hours {
            line.push_str(&format!(
                ": DeepSeek-V3 would take {:.2}M GPU-hours ({:.2}M to {:.2}M)",
                h.central / 1e6,
                h.low / 1e6,
                h.high / 1e6
            ));
        }
        if let (Some(c), Some(p)) = (t.cost_usd, &t.price) {
            line.push_str(&format!(
                ", ${:.2}M at ${:.2} per GPU-hour ({})",
                c.central / 1e6,
                p.usd_per_gpu_hour,
                p.source
            ));
        }
        if let Some(m) = &t.chips_to_match_deepseek_v3 {
            line.push_str(&format!(
                "; {:.0} of these match DeepSeek-V3's 2,048 H800s in FLOP/s",
                m.flop_equivalent_chips
            ));
        }
        line.push('.');
        out.push(line);
    }
    out
}

/// The best measured figure of each unit people ask about: vector f32, vector f16, matrix
/// f16, and memory bandwidth (the copy).
fn best_per_unit(d: &DeviceReport) -> Vec<(String, &Row)> {
    let compute = HEADLINE_UNITS.iter().filter_map(|&(unit, n)| {
        best_compute(&d.rows, unit, n).map(|r| (format!("{unit} {n}"), r))
    });
    compute
        .chain(best_copy(&d.rows).map(|r| ("memory".to_string(), r)))
        .collect()
}

/// The headline lines for `d`. For a CPU adapter (lavapipe) the numbers describe the host CPU,
/// and the chip lines are left out.
pub fn headline(d: &DeviceReport) -> Vec<String> {
    let mut out = vec![if d.cpu {
        format!(
            "{} is a CPU implementation of Vulkan: these numbers describe this machine's CPU, \
             not a GPU, and no chip's datasheet applies.",
            d.device
        )
    } else {
        match (&d.chip, &d.chip_name) {
            (Some(id), Some(name)) => format!("{} is chip {id} ({name}).", d.device),
            _ => format!(
                "{} has no entry in the chip database: measured figures only.",
                d.device
            ),
        }
    }];
    for (name, r) in best_per_unit(d) {
        let rated = match of_peak(r) {
            s if s == "-" || d.cpu => String::new(),
            s => format!(", {s}"),
        };
        out.push(format!(
            "Best {name}: {} ({} {}){rated}.",
            scaled(r.value, r.unit),
            r.workload,
            r.variant
        ));
    }
    if !d.cpu {
        out.extend(summary_lines(d));
    }
    out
}

/// The commands that go deeper into the result file at `file`.
pub fn next_steps(file: &str) -> Vec<String> {
    vec![
        format!("chipbench report {file} --format html --out report.html"),
        format!("chipbench classify --result {file}"),
        format!("chipbench cost --model deepseek-v3 --result {file}"),
        format!("chipbench compare {file} <another result file or device>"),
    ]
}

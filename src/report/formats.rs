//! The plain report formats: a terminal table, Markdown, CSV and JSON, one small function each.

use super::model::{DeviceReport, Report, Row};
use super::table::{aligned, duration, scaled};
use crate::text::md_cell;

fn value(r: &Row) -> String {
    scaled(r.value, r.unit)
}

fn pct(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |v| format!("{:.1}%", v * 100.0))
}

fn ratio(r: &Row) -> String {
    match (&r.vendor_variant, r.vendor_ratio) {
        (Some(v), Some(x)) => format!("{x:.2}x {v}"),
        _ => "-".to_string(),
    }
}

/// The share of the rated figure, with what it is rated against.
pub fn of_peak(r: &Row) -> String {
    match (r.utilization, &r.rated_against) {
        (Some(u), Some(what)) => format!("{} of {what}", pct(Some(u))),
        _ => "-".to_string(),
    }
}

/// A figure over the ceiling measured in the same run: the copy bandwidth for bandwidth-bound
/// work, the unit's peak loop for compute.
pub fn of_measured(r: &Row) -> String {
    // Two significant digits below 0.1, so a small share does not print as 0.00x.
    let ratio = |x: f64| {
        if x >= 0.1 {
            format!("{x:.2}x")
        } else {
            format!("{x:.1e}x")
        }
    };
    match (r.copy_fraction, r.peak_fraction, r.peak_label) {
        (Some(x), _, _) => format!("{} copy", ratio(x)),
        (None, Some(x), Some(label)) => format!("{} {label}", ratio(x)),
        _ => "-".to_string(),
    }
}

fn cells(r: &Row) -> [String; 10] {
    [
        r.source.clone(),
        r.workload.clone(),
        r.variant.clone(),
        r.shape.clone(),
        duration(r.median_ns),
        format!("{:.1}%", r.cv * 100.0),
        value(r),
        of_peak(r),
        of_measured(r),
        ratio(r),
    ]
}

const HEADER: [&str; 10] = [
    "source",
    "workload",
    "variant",
    "shape",
    "median",
    "cv",
    "throughput",
    "of datasheet",
    "of measured ceiling",
    "vs vendor",
];

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
    if let (Some(t), Some(src)) = (d.sustained_tflops, &d.rate_source) {
        let ds = d.cost.iter().find(|c| c.model == "DeepSeek-V3");
        out.push(format!(
            "Training cost at {t:.1} TFLOP/s sustained ({src}): {}; {:.0} of these match DeepSeek-V3's 2,048 H800s.",
            ds.map_or(String::new(), |c| format!(
                "DeepSeek-V3 would take {:.2}M GPU-hours, ${:.2}M at $2/GPU-hour",
                c.gpu_hours / 1e6,
                c.cost_usd / 1e6
            )),
            d.chips_to_match_deepseek_v3.unwrap_or(0.0)
        ));
    }
    out
}

pub fn table(report: &Report) -> String {
    let mut out = String::new();
    for d in &report.devices {
        out.push_str(&format!(
            "{} ({}; {} run{})\n",
            d.device,
            d.chip.as_deref().unwrap_or("no chip entry"),
            d.runs,
            if d.runs == 1 { "" } else { "s" }
        ));
        let rows: Vec<[String; 10]> = d.rows.iter().map(cells).collect();
        out.push_str(&aligned(HEADER, &rows));
        for line in summary_lines(d) {
            out.push_str(&line);
            out.push('\n');
        }
        out.push('\n');
    }
    for (f, why) in &report.skipped {
        out.push_str(&format!("skipped {f}: {why}\n"));
    }
    out
}

pub fn markdown(report: &Report) -> String {
    let mut out = String::from("# chipbench report\n\n");
    for d in &report.devices {
        out.push_str(&format!(
            "## {}\n\nChip: {}. Runs: {}.\n\n| {} |\n|{}\n",
            md_cell(&d.device),
            md_cell(d.chip_name.as_deref().unwrap_or("no entry")),
            d.runs,
            HEADER.join(" | "),
            " --- |".repeat(HEADER.len())
        ));
        for r in &d.rows {
            let c = cells(r);
            out.push_str(&format!(
                "| {} |\n",
                c.iter().map(|x| md_cell(x)).collect::<Vec<_>>().join(" | ")
            ));
        }
        out.push('\n');
        for line in summary_lines(d) {
            out.push_str(&md_cell(&line));
            out.push_str("\n\n");
        }
    }
    out
}

pub fn csv(report: &Report) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["device", "chip"];
    header.extend(HEADER);
    w.write_record(&header).expect("in-memory CSV");
    for d in &report.devices {
        for r in &d.rows {
            let mut rec = vec![d.device.clone(), d.chip.clone().unwrap_or_default()];
            rec.extend(cells(r));
            w.write_record(&rec).expect("in-memory CSV");
        }
    }
    String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("UTF-8 CSV")
}

pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("report serialises") + "\n"
}

//! The plain report formats: a terminal table, Markdown, CSV and JSON, one small function each.

use super::model::{Cell, Report, Row, WorkloadTable};
use super::summary::{headline, of_peak, summary_lines};
use super::table::{aligned, duration, scaled, times};
use crate::text::{csv_safe, md_cell};

fn value(r: &Row) -> String {
    scaled(r.value, r.unit)
}

/// The best vendor-library case beside this one, as "0.69x cublas-f32".
pub fn ratio(r: &Row) -> String {
    match (&r.vendor_variant, r.vendor_ratio) {
        (Some(v), Some(x)) => format!("{x:.2}x {v}"),
        _ => "-".to_string(),
    }
}

/// A figure over the ceiling measured in the same run: the copy bandwidth for bandwidth-bound
/// work, the unit's peak loop for compute.
pub fn of_measured(r: &Row) -> String {
    match (r.copy_fraction, r.peak_fraction, r.peak_label) {
        (Some(x), _, _) => format!("{} copy", times(x)),
        (None, Some(x), Some(label)) => format!("{} {label}", times(x)),
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

/// One workload's table as text: the header (shape, precision, each chipbench variant, each
/// vendor variant, and their ratio where there is a vendor) and a row per shape and precision.
/// The first two columns are labels, the rest figures.
pub fn workload_cells(t: &WorkloadTable) -> (Vec<String>, Vec<Vec<String>>) {
    let vendor = !t.vendor.is_empty();
    let mut header = vec!["shape".to_string(), "precision".to_string()];
    header.extend(t.chipbench.iter().map(|v| format!("chipbench {v}")));
    header.extend(t.vendor.iter().cloned());
    if vendor {
        header.push("chipbench / vendor".to_string());
    }
    let cell = |c: &Cell| c.map_or("-".to_string(), |(v, unit)| scaled(v, unit));
    let rows = t
        .rows
        .iter()
        .map(|r| {
            let mut cells = vec![r.shape.clone(), r.precision.clone()];
            cells.extend(r.chipbench.iter().map(cell));
            cells.extend(r.vendor.iter().map(cell));
            if vendor {
                cells.push(r.ratio.map_or("-".to_string(), |x| format!("{x:.2}x")));
            }
            cells
        })
        .collect();
    (header, rows)
}

pub fn markdown(report: &Report) -> String {
    let mut out = String::from("# chipbench report\n\n");
    for d in &report.devices {
        out.push_str(&format!(
            "## {}\n\nChip: {}. Runs: {}.\n\n",
            md_cell(&d.device),
            md_cell(d.chip_name.as_deref().unwrap_or("no entry")),
            d.runs,
        ));
        for line in headline(d) {
            out.push_str(&format!("- {}\n", md_cell(&line)));
        }
        for t in d.by_workload() {
            out.push_str(&format!("\n### {}\n\n", md_cell(&t.workload)));
            let (header, rows) = workload_cells(&t);
            let row = |cells: Vec<String>| {
                format!(
                    "| {} |\n",
                    cells
                        .iter()
                        .map(|c| md_cell(c))
                        .collect::<Vec<_>>()
                        .join(" | ")
                )
            };
            let columns = header.len();
            out.push_str(&row(header));
            out.push_str(&format!("|{}\n", " --- |".repeat(columns)));
            for cells in rows {
                out.push_str(&row(cells));
            }
        }
        out.push_str(&format!(
            "\n### Every case\n\n| {} |\n|{}\n",
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
            w.write_record(rec.iter().map(|c| csv_safe(c)))
                .expect("in-memory CSV");
        }
    }
    String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("UTF-8 CSV")
}

pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("report serialises") + "\n"
}

//! The HTML report: one self-contained file (inline CSS and SVG, no scripts, no network). The
//! page is a maud template, which escapes every value it interpolates, so text from result
//! files cannot become markup; only the SVG charts (drawn and escaped by plotters) go in raw.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::formats::{of_measured, ratio, workload_cells};
use super::model::{DeviceReport, Report, WorkloadTable};
use super::plots;
use super::summary::{self, of_peak};
use super::table::{duration, scaled};
use crate::policy::Database;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}\
table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:left}\
th{background:#f3f3f3}td.n{text-align:right}figure{margin:1em 0}.note{color:#555;font-size:13px}\
table{max-width:100%}td,th{overflow-wrap:anywhere}svg{max-width:100%;height:auto}\
.headline{background:#f6f8fa;border-left:4px solid #0072b2;padding:.3em 1em}.headline p{margin:.4em 0}";

const COLUMNS: [&str; 10] = [
    "source",
    "workload",
    "variant",
    "shape",
    "median",
    "spread (min..max, cv)",
    "throughput",
    "of datasheet",
    "of measured ceiling",
    "vs vendor",
];

pub fn render(db: &Database, report: &Report) -> String {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "chipbench report" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "chipbench report" }
                p.note {
                    "Measured throughput of WGSL kernels (checked against CPU references in the \
                     same run), beside datasheet peaks and vendor libraries measured on the same \
                     machine. Export-control figures are computations from public datasheets, \
                     not official determinations."
                }
                @for d in &report.devices {
                    (device(d))
                }
                section {
                    h2 { "Export-control plane" }
                    figure.plane { (chart(plots::tpp_plane(db, &report.devices))) }
                    p.note { "Chips without a published die area cannot be placed on this plane." }
                }
                section {
                    h2 { "Deployment capability against TPP" }
                    figure.deployment { (chart(plots::deployment_chart(&report.deployment))) }
                    p.note {
                        "Decoding one sequence is bound by memory bandwidth, which TPP does not \
                         count: a chip below the 3A090 lines can serve as fast as one far above \
                         them. Figures from chipbench's serving roofline at the efficiency of \
                         DeepSeek's published production (chipbench inference)."
                    }
                }
                @if !report.skipped.is_empty() {
                    section {
                        h2 { "Files left out" }
                        ul {
                            @for (file, why) in &report.skipped {
                                li { (file) ": " (why) }
                            }
                        }
                    }
                }
            }
        }
    };
    page.into_string() + "\n"
}

fn device(d: &DeviceReport) -> Markup {
    html! {
        section.device {
            h2 { (d.device) }
            p {
                "Chip: " (d.chip_name.as_deref().unwrap_or("no entry in the chip database"))
                ". Runs: " (d.runs) "."
                @if !d.contributors.is_empty() {
                    " Contributed by: " (d.contributors.join(", ")) "."
                }
            }
            div.headline {
                @for line in summary::headline(d) {
                    p { (line) }
                }
            }
            @for t in d.by_workload() {
                (workload_table(&t))
            }
            details {
                summary { "Every case with its timing statistics" }
                table {
                tr { @for c in COLUMNS { th { (c) } } }
                @for r in &d.rows {
                    tr {
                        td { (r.source) }
                        td { (r.workload) }
                        td { (r.variant) }
                        td { (r.shape) }
                        td.n { (duration(r.median_ns)) }
                        td.n {
                            (duration(r.min_ns)) ".." (duration(r.max_ns)) ", "
                            (format!("{:.1}%", r.cv * 100.0))
                        }
                        td.n { (scaled(r.value, r.unit)) }
                        td.n { (of_peak(r)) }
                        td.n { (of_measured(r)) }
                        td { (ratio(r)) }
                    }
                }
                }
            }
            figure.roofline { (chart(plots::roofline(d))) }
            @if d.training.as_ref().is_some_and(|t| !t.comparisons.is_empty()) {
                figure.cost { (chart(plots::cost_chart(d))) }
            }
        }
    }
}

/// One workload's table ([`workload_cells`]): labels left, figures right.
fn workload_table(t: &WorkloadTable) -> Markup {
    let (header, rows) = workload_cells(t);
    html! {
        h3 { (t.workload) }
        table.workload {
            tr { @for h in &header { th { (h) } } }
            @for cells in &rows {
                tr {
                    @for (i, c) in cells.iter().enumerate() {
                        @if i < 2 { td { (c) } } @else { td.n { (c) } }
                    }
                }
            }
        }
    }
}

/// A chart's SVG, or a note saying why it is missing.
fn chart(svg: Result<String, String>) -> Markup {
    match svg {
        Ok(svg) => PreEscaped(svg),
        Err(why) => html! { p { "chart not drawn: " (why) } },
    }
}

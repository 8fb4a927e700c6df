//! The report as one document every format renders: per device its headline, a table per
//! workload (a row per shape and precision, a column per chipbench and per vendor-library
//! variant, and their ratio) and every case with its statistics; then the charts (HTML only).
//! CSV and JSON carry every case of every device as one table of raw numbers.

use super::model::{DeviceReport, Report, Row, best};
use super::{plots, summary};
use crate::model::{Precision, Shape, Source};
use crate::policy::Database;
use crate::quantity::{Unit, plural};
use crate::view::{Block, Cell, Document, Table};

/// Every column of the cases table, in order: (key, label).
const CASE_COLUMNS: [(&str, &str); 22] = [
    ("device", "device"),
    ("chip", "chip"),
    ("source", "source"),
    ("workload", "workload"),
    ("variant", "variant"),
    ("inputs", "inputs"),
    ("accumulate", "accumulate"),
    ("unit", "unit"),
    ("shape", "shape"),
    ("runs", "runs"),
    ("median", "median"),
    ("min", "min"),
    ("max", "max"),
    ("cv", "cv"),
    ("throughput", "throughput"),
    ("of_datasheet", "of datasheet"),
    ("rated_against", "rated against"),
    ("rated_peak", "datasheet peak"),
    ("of_measured", "of measured ceiling"),
    ("measured_ceiling", "ceiling"),
    ("vs_vendor", "vs vendor"),
    ("vendor_variant", "vendor variant"),
];

/// The columns people read in a device's "every case" table.
const PEOPLE_DROP: [&str; 8] = [
    "device",
    "chip",
    "inputs",
    "accumulate",
    "unit",
    "min",
    "max",
    "rated_peak",
];

fn case_row(d: &DeviceReport, r: &Row) -> Vec<Cell> {
    let text = |s: &str| Cell::text(s);
    let k = &r.key;
    vec![
        text(&d.device),
        d.chip.as_ref().map_or(Cell::Empty, |c| text(&c.id)),
        text(k.source.name()),
        text(&k.case.workload),
        text(&k.variant),
        text(k.case.precision.inputs.name()),
        text(k.case.precision.accumulate.name()),
        text(r.execution_unit.name()),
        Cell::text(k.case.shape.to_string()),
        Cell::num(r.runs as f64, Unit::Count),
        Cell::num(r.median_s, Unit::Second),
        Cell::num(r.min_s, Unit::Second),
        Cell::num(r.max_s, Unit::Second),
        Cell::num(r.cv, Unit::Cv),
        Cell::Num(r.figure),
        Cell::opt(r.rating.as_ref().map(|g| g.share), Unit::Share),
        r.rating.as_ref().map_or(Cell::Empty, |g| text(&g.label)),
        r.rating.as_ref().map_or(Cell::Empty, |g| Cell::Num(g.peak)),
        Cell::opt(r.of_measured.map(|(_, x)| x), Unit::Share),
        r.of_measured.map_or(Cell::Empty, |(c, _)| text(c.name())),
        Cell::opt(r.vendor.as_ref().map(|v| v.ratio), Unit::Ratio),
        r.vendor.as_ref().map_or(Cell::Empty, |v| text(&v.variant)),
    ]
}

/// Every case of every device: the rows CSV and JSON carry.
pub fn cases(report: &Report) -> Table {
    case_table(&report.devices)
}

/// The cases of `devices`, a row each.
fn case_table<'a>(devices: impl IntoIterator<Item = &'a DeviceReport>) -> Table {
    let mut t = Table::new(&CASE_COLUMNS);
    for d in devices {
        for r in &d.rows {
            t.push(case_row(d, r));
        }
    }
    t
}

/// One workload's cases pivoted to be read at a glance: a row per shape, a column per
/// chipbench variant and per vendor variant, and for each precision both measured the best
/// chipbench figure over the best vendor one.
fn workload_table(d: &DeviceReport, workload: &str) -> Table {
    let rows: Vec<&Row> = d
        .rows
        .iter()
        .filter(|r| r.key.case.workload == workload)
        .collect();
    let variants = |source: Source| {
        let mut v: Vec<&str> = Vec::new();
        for r in rows.iter().filter(|r| r.key.source == source) {
            if !v.contains(&r.key.variant.as_str()) {
                v.push(&r.key.variant);
            }
        }
        v
    };
    let (ours, vendor) = (variants(Source::Chipbench), variants(Source::VendorLibrary));
    let mut both: Vec<Precision> = rows.iter().map(|r| r.key.case.precision).collect();
    both.sort();
    both.dedup();
    both.retain(|p| {
        [Source::Chipbench, Source::VendorLibrary].iter().all(|s| {
            rows.iter()
                .any(|r| r.key.source == *s && r.key.case.precision == *p)
        })
    });
    let mut labels = vec!["shape".to_string()];
    labels.extend(ours.iter().map(|v| format!("chipbench {v}")));
    labels.extend(vendor.iter().map(|v| v.to_string()));
    labels.extend(both.iter().map(|p| format!("chipbench / vendor ({p})")));
    let mut shapes: Vec<&Shape> = rows.iter().map(|r| &r.key.case.shape).collect();
    shapes.sort();
    shapes.dedup();
    let mut t = Table::labelled(labels);
    for shape in shapes {
        let at = |source: Source, pick: &dyn Fn(&Row) -> bool| {
            let here = |r: &Row| r.key.case.workload == workload && r.key.case.shape == *shape;
            best(&d.rows, source, |r| here(r) && pick(r)).map(|r| r.figure)
        };
        let mut row = vec![Cell::text(shape.to_string())];
        for (source, names) in [(Source::Chipbench, &ours), (Source::VendorLibrary, &vendor)] {
            row.extend(
                names
                    .iter()
                    .map(|v| at(source, &|r| r.key.variant == *v).map_or(Cell::Empty, Cell::Num)),
            );
        }
        row.extend(both.iter().map(|p| {
            let best = |s| at(s, &|r: &Row| r.key.case.precision == *p);
            Cell::opt(
                best(Source::Chipbench)
                    .zip(best(Source::VendorLibrary))
                    .map(|(a, b)| a.value / b.value),
                Unit::Ratio,
            )
        }));
        t.push(row);
    }
    t
}

/// The workloads a device measured, in the order `run` runs them.
fn workloads(d: &DeviceReport) -> Vec<&'static str> {
    crate::model::WORKLOADS
        .iter()
        .copied()
        .filter(|w| d.rows.iter().any(|r| r.key.case.workload == *w))
        .collect()
}

fn device(doc: &mut Document, d: &DeviceReport, charts: bool) {
    doc.push(Block::Heading(d.device.clone()));
    let mut about = format!(
        "Chip: {}. {}.",
        match (&d.chip, d.cpu) {
            (Some(c), _) => c.name.as_str(),
            (None, true) => "none (a CPU implementation of Vulkan)",
            (None, false) => "no entry in the chip database",
        },
        plural(d.runs, "run", "runs")
    );
    if !d.contributors.is_empty() {
        about.push_str(&format!(" Contributed by: {}.", d.contributors.join(", ")));
    }
    doc.paragraph(about);
    doc.push(Block::List(summary::headline(d)));
    if charts {
        doc.push(Block::Figure {
            class: "roofline",
            svg: plots::roofline(d),
        });
        if let Some(Ok(t)) = &d.training
            && !t.comparisons.is_empty()
        {
            doc.push(Block::Figure {
                class: "cost",
                svg: plots::cost_chart(d),
            });
        }
    }
    for w in workloads(d) {
        doc.push(Block::Subheading(w.to_string()));
        doc.push(Block::Table(workload_table(d, w)));
    }
    let mine = case_table([d]);
    doc.push(Block::Details {
        summary: "Every case with its timing statistics".to_string(),
        table: mine.without(&PEOPLE_DROP),
    });
}

/// The report as a document, with the SVG charts when it was built with them (for HTML).
pub fn document(db: &Database, report: &Report) -> Document {
    let charts = report.deployment.is_some();
    let all = cases(report);
    let mut doc = Document::default();
    doc.push(Block::Title("chipbench report".into()));
    doc.push(Block::Note(
        "Measured throughput of WGSL kernels (checked against CPU references in the same run), \
         beside datasheet peaks and vendor libraries measured on the same machine. A figure is \
         the median of the runs that measured its case. Export-control figures are \
         computations from public datasheets, not official determinations."
            .into(),
    ));
    for d in &report.devices {
        device(&mut doc, d, charts);
    }
    if let Some(deployment) = &report.deployment {
        doc.push(Block::Heading("Export-control plane".into()));
        doc.push(Block::Figure {
            class: "plane",
            svg: plots::tpp_plane(db, &report.devices),
        });
        doc.push(Block::Note(
            "Chips without a published die area cannot be placed on this plane.".into(),
        ));
        doc.push(Block::Heading("Deployment capability against TPP".into()));
        doc.push(Block::Figure {
            class: "deployment",
            svg: plots::deployment_chart(deployment),
        });
        doc.push(Block::Note(
            "Decoding one sequence is bound by memory bandwidth, which TPP does not count: a \
             chip below the 3A090 lines can serve as fast as one far above them. Figures from \
             chipbench's calibrated serving roofline (chipbench inference)."
                .into(),
        ));
    }
    if !report.skipped.is_empty() {
        doc.push(Block::Heading("Files left out".into()));
        doc.push(Block::List(
            report
                .skipped
                .iter()
                .map(|(f, why)| format!("{f}: {why}"))
                .collect(),
        ));
    }
    doc.data = Some(all);
    doc
}

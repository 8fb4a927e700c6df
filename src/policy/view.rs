//! The export-control views every format renders: the chip database as a table (`chips`), one
//! chip's verdict in sentences with its figures as one row (`classify`), and a result's
//! measured rates beside its chip's rated ones (`classify --result`).

use super::chips::Chip;
use super::measured::Comparison;
use super::rules::{DISCLAIMER, Rule, Verdict, classify};
use crate::quantity::{Quantity, Unit};
use crate::view::{Block, Cell, Document, Table};

const CHIP_COLUMNS: [(&str, &str); 15] = [
    ("id", "id"),
    ("vendor", "vendor"),
    ("name", "name"),
    ("year", "year"),
    ("datacenter", "DC"),
    ("tpp", "TPP"),
    ("argmax_precision", "argmax"),
    ("performance_density", "PD"),
    ("classification", "class"),
    ("clause", "clause"),
    ("memory_bandwidth", "memory"),
    ("memory", "capacity"),
    ("interconnect", "interconnect"),
    ("licence_review", "US to China/Macau (2026-01)"),
    ("licence_letter", "licence letter"),
];

/// What people leave out of the chips table (the vendor is in the name, the class in the
/// clause, capacity and interconnect are for programs).
const CHIP_PEOPLE_DROP: [&str; 4] = ["vendor", "classification", "memory", "interconnect"];

fn yes_no(b: Option<bool>) -> Cell {
    b.map_or(Cell::Empty, |b| Cell::text(if b { "yes" } else { "no" }))
}

fn chip_row(c: &Chip, v: &Verdict) -> Vec<Cell> {
    let gb = |x: Option<f64>, unit| Cell::opt(x.map(|v| v * 1e9), unit);
    vec![
        Cell::text(&c.id),
        Cell::text(&c.vendor),
        Cell::text(&c.name),
        Cell::opt(c.year.map(f64::from), Unit::Count),
        yes_no(c.datacenter),
        Cell::num(v.tpp, Unit::Tpp),
        Cell::text(v.argmax_precision.name()),
        Cell::opt(v.performance_density, Unit::TppPerMm2),
        Cell::text(v.classification.name()),
        Cell::text(v.class_short()),
        gb(c.memory_bandwidth_gbps, Unit::BytePerSecond),
        Cell::opt(c.memory_bytes(), Unit::Byte),
        gb(c.interconnect_gbps, Unit::BytePerSecond),
        v.licence_review
            .as_ref()
            .map_or(Cell::Empty, |r| Cell::text(r.policy.short())),
        c.licence_letter
            .as_ref()
            .map_or(Cell::Empty, |l| Cell::text(&l.date)),
    ]
}

/// The chips of `list` with valid specs, classified under `rule`.
pub fn chips_document(list: &[Chip], rule: Rule) -> Document {
    let mut t = Table::new(&CHIP_COLUMNS);
    for c in list {
        let spec = c.spec();
        if spec.validate().is_ok() {
            t.push(chip_row(c, &classify(&spec, rule)));
        }
    }
    let mut people = t.without(&CHIP_PEOPLE_DROP);
    if rule != Rule::Jan2026 {
        people = people.without(&["licence_review"]);
    }
    let mut doc = Document::default();
    doc.paragraph(format!(
        "{} chips, classified under the {rule} rule from datasheet peaks.",
        t.rows.len()
    ));
    doc.push(Block::Table(people));
    doc.push(Block::Note(DISCLAIMER.into()));
    doc.data = Some(t);
    doc
}

const VERDICT_COLUMNS: [(&str, &str); 10] = [
    ("subject", "subject"),
    ("rule", "rule"),
    ("tpp", "TPP"),
    ("tf32_as_32_bits_tpp", "TPP (TF32 as 32 bits)"),
    ("argmax_precision", "argmax"),
    ("performance_density", "PD"),
    ("classification", "class"),
    ("clause", "clause"),
    ("nac_eligible", "NAC/ACA"),
    ("licence_review", "licence review"),
];

/// One verdict: its sentences for people, its figures as one row for programs.
pub fn verdict_document(subject: &str, v: &Verdict) -> Document {
    let mut t = Table::new(&VERDICT_COLUMNS);
    t.push(vec![
        Cell::text(subject),
        Cell::text(v.rule.name()),
        Cell::num(v.tpp, Unit::Tpp),
        Cell::num(v.tpp_tf32_as_32, Unit::Tpp),
        Cell::text(v.argmax_precision.name()),
        Cell::opt(v.performance_density, Unit::TppPerMm2),
        Cell::text(v.classification.name()),
        v.clause.map_or(Cell::Empty, Cell::text),
        Cell::text(if v.nac_eligible { "yes" } else { "no" }),
        v.licence_review
            .as_ref()
            .map_or(Cell::Empty, |r| Cell::text(r.policy.short())),
    ]);
    let mut doc = Document::default();
    doc.paragraph(format!("{subject}:"));
    for line in v.to_text().lines() {
        doc.paragraph(line.to_string());
    }
    doc.data = Some(t);
    doc
}

const MEASURED_COLUMNS: [(&str, &str); 11] = [
    ("workload", "workload"),
    ("variant", "variant"),
    ("shape", "shape"),
    ("unit", "unit"),
    ("precision", "precision"),
    ("measured", "measured"),
    ("bits", "bits"),
    ("effective_bit_weighted", "x bits (not TPP)"),
    ("measured_over_rated", "measured/rated"),
    ("rated_peak", "rated"),
    ("rated_against", "rated against"),
];

/// A result's measured rates beside the legal figures of its chip.
pub fn comparison_document(c: &Comparison) -> Document {
    let mut doc = Document::default();
    match (&c.chip, &c.rated) {
        (Some(id), Some(v)) => {
            doc.paragraph(format!(
                "{} is chip {id} in the database. Rated (datasheet peaks):",
                c.device
            ));
            let lines: Vec<String> = v
                .to_text()
                .lines()
                .filter(|l| *l != DISCLAIMER)
                .map(str::to_string)
                .collect();
            doc.push(Block::List(lines));
        }
        _ => doc.paragraph(format!(
            "{} has no entry in the chip database: only the measured side is shown.",
            c.device
        )),
    }
    doc.paragraph(
        "Measured (effective bit-weighted throughput = measured TFLOP/s x bits, in TPP's units; \
         not TPP), each against the peak of the unit and precision it ran on:",
    );
    let mut t = Table::new(&MEASURED_COLUMNS);
    for m in &c.measured {
        let tflops = |v: f64| Quantity::new(v * 1e12, Unit::FlopPerSecond);
        t.push(vec![
            Cell::text(&m.workload),
            Cell::text(&m.variant),
            Cell::text(&m.shape),
            Cell::text(m.unit.name()),
            Cell::text(&m.precision),
            Cell::Num(tflops(m.measured_tflops)),
            Cell::num(f64::from(m.bits), Unit::Count),
            Cell::num(m.effective_bit_weighted_throughput, Unit::Tpp),
            Cell::opt(m.measured_over_rated, Unit::Ratio),
            m.rated
                .as_ref()
                .map_or(Cell::Empty, |r| Cell::Num(tflops(r.tflops))),
            m.rated
                .as_ref()
                .map_or(Cell::text("no peak listed"), |r| Cell::text(r.label())),
        ]);
    }
    doc.push(Block::Table(t.clone()));
    doc.data = Some(t);
    doc
}

//! `chipbench cost` as documents every format renders: an estimate in sentences (every figure
//! with its unit and range, the evidence and calibration it rests on, where it extrapolates)
//! with its published runs on the chip as a table; and `--validate` as a table of every run
//! predicted without itself, then the error and coverage per generation and size band. CSV
//! and JSON carry the estimate as one row and the validation as one row per run.

use super::estimate::{Comparison, Estimate, Extrapolation, counted};
use super::evidence::{Capability, RateSource};
use super::fit::ERROR_COLUMNS;
use super::validate::{Group, Summary, Validation};
use super::{Counted, Span};
use crate::quantity::{Quantity, Unit, plural, ratio, share};
use crate::view::{Block, Cell, Document, Table};

fn q(v: f64, unit: Unit) -> String {
    Quantity::new(v, unit).human()
}

/// How the FLOPs were counted, in words.
fn compute_line(e: &Estimate) -> Option<String> {
    let w = e.work.as_ref()?;
    let what = w
        .run
        .as_ref()
        .map_or(String::new(), |(id, name)| format!(" for {name} ({id})"));
    let how = match (&w.counted, counted(w)) {
        (Counted::SixND { attention, .. }, Some((n, d))) => format!(
            "6 x {} active parameters x {}{}",
            q(n, Unit::Count),
            q(d, Unit::Tokens),
            if *attention { ", plus attention" } else { "" }
        ),
        _ if w.speculative => "a third party's estimate (speculative)".to_string(),
        _ => "given".to_string(),
    };
    Some(format!(
        "training compute{what}: {} = {how}",
        q(w.flops, Unit::Flop)
    ))
}

/// What the capability rests on, in words.
fn capability_line(c: &Capability) -> String {
    let peak = q(c.peak.flop_per_s, Unit::FlopPerSecond);
    match c.source {
        RateSource::Datasheet => {
            let mut line = format!(
                "capability: datasheet dense {} peak {peak}",
                c.peak.precision
            );
            if let Some(m) = &c.measurement {
                line.push_str(&format!(
                    "; the vendor library's {} ({}) on {} reached {}, {} of its peak ({} run{})",
                    m.gemm.variant,
                    m.gemm.shape,
                    m.gemm.device,
                    q(m.gemm.flop_per_s, Unit::FlopPerSecond),
                    ratio(m.of_peak),
                    m.gemm.standing.name(),
                    m.gemm
                        .measured_on
                        .as_ref()
                        .map_or(String::new(), |on| format!(", measured on {on}"))
                ));
                line.push_str(&match m.generation_of_peak {
                    Some(g) if (m.factor() - 1.0).abs() < 1e-9 => format!(
                        "; its generation's calibration chips reach the same ({}), so the peak stands",
                        ratio(g)
                    ),
                    Some(g) => format!(
                        "; against their {} on its generation's calibration chips, the rate is scaled by {}",
                        ratio(g),
                        ratio(m.factor())
                    ),
                    None => "; no calibration chip of its generation has a measurement to set it \
                             against, so the datasheet peak stands"
                        .to_string(),
                });
            }
            line
        }
        RateSource::VendorLibrary => format!(
            "capability: the vendor library's GEMM measured on this device, {peak}, stands in for a \
             datasheet peak it has none of (the device maps to no chip): GPU-hours are an upper bound"
        ),
        RateSource::ChipbenchKernel => format!(
            "capability: chipbench's portable kernel, {peak}, stands in for a datasheet peak the \
             device has none of (it maps to no chip and has no vendor-library file); a vendor \
             library is faster, so GPU-hours are an upper bound"
        ),
        RateSource::Given => String::new(),
    }
}

/// The utilisation and the calibration it comes from.
fn utilization_line(e: &Estimate) -> Option<String> {
    let u = e.utilization?;
    let Some(c) = &e.calibration else {
        return Some(format!(
            "utilisation: {} of the capability, given, not calibrated",
            share(u.central)
        ));
    };
    let generation = e
        .capability
        .as_ref()
        .and_then(|k| k.generation.clone())
        .unwrap_or_else(|| "no generation".into());
    Some(format!(
        "utilisation: {} of the datasheet peak (80% range {} to {}), from a fit on {} ({} on {generation}): \
         ln u = a[generation] + {:.3} ln(active parameters / 10B){}",
        share(u.central),
        share(u.low),
        share(u.high),
        plural(c.runs, "published run", "published runs"),
        c.generation_runs,
        c.fit.slope,
        c.left_out.as_ref().map_or(String::new(), |id| format!(
            "; {id} left out: it is the run estimated"
        ))
    ))
}

fn extrapolation_line(x: &Extrapolation) -> String {
    match x {
        Extrapolation::Size {
            active_params,
            smallest,
            largest,
        } => format!(
            "warning: {} active parameters lies outside the published runs ({} to {}): the size \
             trend is extrapolated",
            q(*active_params, Unit::Count),
            q(*smallest, Unit::Count),
            q(*largest, Unit::Count)
        ),
        Extrapolation::Generation { generation } => format!(
            "warning: no published run on {}: the mean of the generations' utilisation, with \
             their spread in the range",
            generation.as_deref().unwrap_or("this device's generation")
        ),
        Extrapolation::Chip { chip } => {
            format!("note: no published run on {chip}; calibrated on the runs of its generation")
        }
        Extrapolation::NoSize {
            assumed_active_params,
        } => format!(
            "note: no parameter count; sized at the published runs' median, {} active parameters",
            q(*assumed_active_params, Unit::Count)
        ),
    }
}

fn reported_line(e: &Estimate) -> Option<String> {
    let r = e.reported.as_ref()?;
    let h = e.gpu_hours?;
    let verdict = if r.like_for_like {
        format!(
            "the estimate is {} the reported, {} its 80% range",
            ratio(h.central / r.gpu_hours),
            if r.inside { "inside" } else { "outside" }
        )
    } else {
        "another chip: not comparable hour for hour".to_string()
    };
    Some(format!(
        "reported: {} on {}; {verdict}",
        q(r.gpu_hours, Unit::GpuHours),
        r.chip
    ))
}

/// The lines about cost, time, memory and thresholds.
fn consequences(e: &Estimate) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(d), Some(g)) = (e.wall_days, e.gpus) {
        out.push(format!("wall clock: {} on {g} GPUs", d.human(Unit::Days)));
    }
    if e.gpu_hours.is_some() {
        out.push(match (&e.cost_usd, &e.price) {
            (Some(c), Some(p)) => format!(
                "rental cost: {} at {} ({})",
                c.human(Unit::Usd),
                q(p.usd_per_gpu_hour, Unit::UsdPerGpuHour),
                p.source
            ),
            _ => "rental cost: no price for this chip in data/prices.toml; give a price".into(),
        });
    }
    if let Some(a) = &e.amortized {
        out.push(format!(
            "amortised cost (Epoch AI method): {} = hardware {} + interconnect {} + energy {} ({})",
            q(a.total_usd, Unit::Usd),
            q(a.hardware_usd, Unit::Usd),
            q(a.interconnect_usd, Unit::Usd),
            q(a.energy_usd, Unit::Usd),
            q(a.usd_per_gpu_hour, Unit::UsdPerGpuHour)
        ));
    }
    for t in &e.thresholds {
        out.push(format!(
            "{} {:.0e} FLOP: {}; {}",
            if t.crossed { "crosses" } else { "below" },
            t.flop,
            t.rule,
            t.status
        ));
    }
    if let Some(m) = &e.memory {
        let what = if m.state_bytes_per_param == super::ADAM_MIXED_PRECISION_BYTES_PER_PARAM {
            " (mixed-precision Adam: bf16 weights and gradients, FP32 master weights and two moments; activations excluded)"
        } else {
            " (as given; activations excluded)"
        };
        let mut line = format!(
            "memory: {} parameters x {} bytes{what} = {} of training state: at least {} of {}",
            q(m.params, Unit::Count),
            m.state_bytes_per_param,
            q(m.state_bytes, Unit::Byte),
            plural(m.min_gpus as usize, "chip", "chips"),
            crate::policy::stated_capacity(m.chip_memory_bytes)
        );
        if let (Some(g), Some(h)) = (e.gpus, e.gpus_hold_training_state) {
            line += &format!(
                "; {g} GPUs {}",
                if h { "hold it" } else { "cannot hold it" }
            );
        }
        out.push(line);
    }
    if let Some(m) = &e.chips_to_match_deepseek_v3 {
        out.push(format!(
            "FLOP-equivalent of DeepSeek-V3's 2,048 H800s: {} of these chips{}",
            q(m.flop_equivalent_chips.round(), Unit::Count),
            match m.holds_training_state {
                Some(true) => ", which hold this model's training state",
                Some(false) => ", too few to hold this model's training state",
                None => "",
            }
        ));
    }
    out
}

const COMPARISON_COLUMNS: [(&str, &str); 7] = [
    ("run", "run"),
    ("compute", "compute"),
    ("gpu_hours", "here (80% range)"),
    ("cost", "rental cost"),
    ("reported_gpu_hours", "reported"),
    ("reported_chip", "on"),
    ("kind", "kind"),
];

fn comparisons(rows: &[Comparison]) -> Table {
    let mut t = Table::new(&COMPARISON_COLUMNS);
    for c in rows {
        t.push(vec![
            Cell::text(&c.run),
            Cell::num(c.flops, Unit::Flop),
            Cell::Range(c.gpu_hours, Unit::GpuHours),
            Cell::opt(c.cost_usd, Unit::Usd),
            Cell::num(c.reported_gpu_hours, Unit::GpuHours),
            Cell::text(&c.reported_chip),
            Cell::text(if c.speculative {
                "speculative (never calibrates)"
            } else {
                "published, calibrated without itself"
            }),
        ]);
    }
    t
}

const ESTIMATE_COLUMNS: [(&str, &str); 10] = [
    ("model", "model"),
    ("chip", "chip"),
    ("rate_source", "evidence"),
    ("compute", "compute"),
    ("utilization", "utilisation"),
    ("sustained", "sustained per GPU"),
    ("gpu_hours", "GPU-hours"),
    ("cost", "rental cost"),
    ("wall_days", "wall clock"),
    ("reported_gpu_hours", "reported"),
];

fn estimate_row(e: &Estimate) -> Table {
    let mut t = Table::new(&ESTIMATE_COLUMNS);
    let range = |s: Option<Span>, unit| s.map_or(Cell::Empty, |s| Cell::Range(s, unit));
    t.push(vec![
        e.work
            .as_ref()
            .and_then(|w| w.run.as_ref())
            .map_or(Cell::Empty, |(id, _)| Cell::text(id)),
        e.chip.as_ref().map_or(Cell::Empty, |c| Cell::text(&c.id)),
        Cell::text(e.rate_source.name()),
        Cell::opt(e.work.as_ref().map(|w| w.flops), Unit::Flop),
        range(e.utilization, Unit::Share),
        Cell::Range(e.sustained_flop_per_s, Unit::FlopPerSecond),
        range(e.gpu_hours, Unit::GpuHours),
        range(e.cost_usd, Unit::Usd),
        range(e.wall_days, Unit::Days),
        Cell::opt(e.reported.as_ref().map(|r| r.gpu_hours), Unit::GpuHours),
    ]);
    t
}

/// The evidence and calibration of an estimate in one phrase, for headlines.
pub fn method(e: &Estimate) -> String {
    let evidence = match &e.capability {
        None => "a given sustained rate".to_string(),
        Some(c) => {
            let peak = q(c.peak.flop_per_s, Unit::FlopPerSecond);
            let mut s = match c.source {
                RateSource::Datasheet => format!(
                    "{} datasheet dense {} peak {peak}",
                    e.chip.as_ref().map_or("the chip's", |c| c.name.as_str()),
                    c.peak.precision
                ),
                RateSource::VendorLibrary => {
                    format!("the vendor library's measured GEMM {peak} as a bound")
                }
                RateSource::ChipbenchKernel => {
                    format!("chipbench's portable kernel {peak} as a bound")
                }
                RateSource::Given => String::new(),
            };
            if let Some(m) = &c.measurement {
                s.push_str(&format!(
                    ", vendor-library GEMM {} ({} of peak, {} run)",
                    q(m.gemm.flop_per_s, Unit::FlopPerSecond),
                    ratio(m.of_peak),
                    m.gemm.standing.name()
                ));
            }
            s
        }
    };
    match (&e.utilization, &e.calibration) {
        (Some(u), Some(c)) => format!(
            "evidence: {evidence}; utilisation {} calibrated on {}",
            share(u.central),
            plural(c.runs, "published run", "published runs")
        ),
        (Some(u), None) => format!(
            "evidence: {evidence}; utilisation {} given",
            share(u.central)
        ),
        _ => format!("evidence: {evidence}"),
    }
}

/// An estimate as a document.
pub fn estimate(e: &Estimate) -> Document {
    let mut doc = Document::default();
    let mut lines: Vec<String> = Vec::new();
    lines.extend(compute_line(e));
    if let Some(c) = &e.chip {
        lines.push(format!(
            "chip: {} ({}), {}",
            c.name,
            c.id,
            c.generation.as_deref().unwrap_or("no generation recorded")
        ));
    }
    match &e.capability {
        Some(c) => lines.push(capability_line(c)),
        None => lines.push(format!(
            "evidence: a sustained rate given, {} per GPU, used as is",
            q(e.sustained_flop_per_s.central, Unit::FlopPerSecond)
        )),
    }
    lines.extend(utilization_line(e));
    lines.extend(e.extrapolation.iter().map(extrapolation_line));
    lines.push(format!(
        "sustained: {} per GPU",
        e.sustained_flop_per_s.human(Unit::FlopPerSecond)
    ));
    if let Some(h) = e.gpu_hours {
        lines.push(format!(
            "GPU-hours: {}{}",
            h.human(Unit::GpuHours),
            if e.calibration.is_some() {
                ", an 80% prediction interval from the runs' leave-one-out errors (its measured coverage: cost --validate)"
            } else {
                ""
            }
        ));
    }
    lines.extend(reported_line(e));
    if let Some(k) = &e.portable_kernel {
        lines.push(format!(
            "chipbench's portable kernel on this device: {} {} ({}) {}{}; the estimate does not rest on it",
            k.variant,
            k.precision,
            k.shape,
            q(k.flop_per_s, Unit::FlopPerSecond),
            match (&k.vendor_ratio, &k.vendor_variant) {
                (Some(r), Some(v)) => format!(", {} the vendor library's {v} at that shape", ratio(*r)),
                _ => String::new(),
            }
        ));
    }
    lines.extend(consequences(e));
    for l in lines {
        doc.paragraph(l);
    }
    if !e.comparisons.is_empty() {
        doc.push(Block::Subheading(
            "published runs on this chip (each calibrated without itself)".into(),
        ));
        doc.push(Block::Table(comparisons(&e.comparisons)));
    }
    doc.data = Some(estimate_row(e));
    doc
}

const VALIDATION_COLUMNS: [(&str, &str); 11] = [
    ("run", "run"),
    ("chip", "chip"),
    ("generation", "generation"),
    ("tier", "tier"),
    ("active_params", "active"),
    ("utilization", "utilisation"),
    ("predicted_utilization", "predicted"),
    ("predicted_gpu_hours", "predicted (80% range)"),
    ("reported_gpu_hours", "reported"),
    ("ratio", "predicted/reported"),
    ("inside", "inside"),
];

fn validation_table(rows: &[Validation]) -> Table {
    let mut t = Table::new(&VALIDATION_COLUMNS);
    for v in rows {
        t.push(vec![
            Cell::text(&v.run),
            Cell::text(&v.chip),
            Cell::text(&v.generation),
            Cell::num(f64::from(v.tier), Unit::Count),
            Cell::num(v.active_params, Unit::Count),
            Cell::num(v.utilization, Unit::Share),
            Cell::num(v.predicted_utilization, Unit::Share),
            Cell::Range(v.predicted, Unit::GpuHours),
            Cell::num(v.reported, Unit::GpuHours),
            Cell::num(v.ratio(), Unit::Ratio),
            Cell::text(if v.inside { "yes" } else { "no" }),
        ]);
    }
    t
}

fn group_table(groups: &[&Group]) -> Table {
    let columns: Vec<(&str, &str)> = [("group", "group"), ("runs", "runs")]
        .into_iter()
        .chain(ERROR_COLUMNS)
        .collect();
    let mut t = Table::new(&columns);
    for g in groups {
        let mut row = vec![Cell::text(&g.name), Cell::num(g.runs as f64, Unit::Count)];
        row.extend(g.errors.cells());
        t.push(row);
    }
    t
}

/// `--validate` as a document.
pub fn validation(rows: &[Validation], summary: &Summary) -> Document {
    let mut doc = Document::default();
    doc.paragraph(format!(
        "Each published run predicted by the model fitted without it, on its own chip; its 80% \
         range is built from the other runs' leave-one-out errors. Errors are factors: {} median \
         over the {}.",
        ratio(summary.overall.errors.median_error),
        plural(summary.overall.runs, "calibrating run", "calibrating runs")
    ));
    let table = validation_table(rows);
    doc.push(Block::Table(table.clone()));
    doc.push(Block::Subheading("error and coverage".into()));
    let mut groups: Vec<&Group> = vec![&summary.overall];
    groups.extend(&summary.by_generation);
    groups.extend(&summary.by_size);
    groups.extend(&summary.third_party);
    doc.push(Block::Table(group_table(&groups)));
    doc.data = Some(table);
    doc
}

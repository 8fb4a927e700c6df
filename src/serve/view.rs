//! `chipbench inference` as documents every format renders: one estimate in sentences (every
//! figure with its unit, its 80% range and its evidence), `--compare` as a table of chips beside
//! their TPP, and `--validate` as a table of published figures beside their predictions with
//! the error and coverage per vendor and regime.

use super::validate::{Group, Validation};
use super::{Bound, CompareRow, Serving};
use crate::cost::fit::ERROR_COLUMNS;
use crate::quantity::{Quantity, Unit, plural, ratio, share};
use crate::view::{Block, Cell, Document, Table};

fn q(v: f64, unit: Unit) -> String {
    Quantity::new(v, unit).human()
}

fn bound(b: Bound) -> &'static str {
    match b {
        Bound::Bandwidth => "bandwidth-bound",
        Bound::Compute => "compute-bound",
    }
}

/// The calibration an estimate rests on, in a sentence.
fn calibration_line(s: &Serving) -> String {
    let c = &s.calibration;
    format!(
        "calibration: {} of the roofline for decode and {} for prefill ({} serving, fitted on {} \
         of {} published figures in data/serving_figures.toml); the range is the 80% interval of \
         the figures' held-out errors (inference --validate)",
        ratio(s.efficiency.decode),
        ratio(s.efficiency.prefill),
        s.regime.name(),
        match s.regime {
            super::Regime::Dense => c.dense_figures,
            super::Regime::MixtureOfExperts => c.moe_figures,
        },
        c.dense_figures + c.moe_figures
    )
}

const ESTIMATE_COLUMNS: [(&str, &str); 8] = [
    ("model", "model"),
    ("chip", "chip"),
    ("gpus", "GPUs"),
    ("batch", "sequences"),
    ("decode_per_gpu", "decode per GPU"),
    ("prefill_per_gpu", "prefill per GPU"),
    ("requests_per_gpu", "whole requests per GPU"),
    ("output_cost", "per M output tokens"),
];

/// What the replica is and what its rates rest on.
fn setup_lines(s: &Serving) -> Vec<String> {
    let (r, rf) = (&s.rates, &s.roofline);
    vec![
        format!(
            "{} on {}: {} weights, {} KV cache, {} of {} cached tokens per replica of {}",
            s.model,
            r.chip,
            s.weights,
            s.kv,
            plural(rf.batch as usize, "sequence", "sequences"),
            q(s.context, Unit::Count),
            plural(rf.layout.gpus() as usize, "GPU", "GPUs")
        ),
        format!(
            "evidence: bandwidth {}; GEMMs at the {}; attention at the {}; interconnect {}{}",
            r.bandwidth.describe(),
            r.gemm.describe(),
            r.attention.describe(),
            q(r.link.byte_per_s, Unit::BytePerSecond),
            if r.link.assumed {
                " (none in data/chips.toml: PCIe 4.0 x16 assumed)"
            } else {
                " (data/chips.toml)"
            }
        ),
        format!(
            "memory: weights {} + KV cache {} per sequence = {} per GPU of {} ({}; {} usable; at least {} for one sequence)",
            q(rf.weights_bytes, Unit::Byte),
            q(rf.kv_bytes_per_sequence, Unit::Byte),
            q(rf.bytes_per_gpu, Unit::Byte),
            crate::policy::stated_capacity(r.memory_bytes),
            q(r.memory_bytes, Unit::Byte),
            share(super::USABLE_MEMORY),
            plural(rf.min_gpus as usize, "GPU", "GPUs")
        ),
        format!(
            "decode step: {} and {:.3e} FLOP; {} ({} at the bandwidth, {} at the matrix rates), plus {} of collectives",
            q(rf.decode_bytes, Unit::Byte),
            rf.decode_flops,
            bound(rf.bound),
            q(rf.decode_memory_s, Unit::Second),
            q(rf.decode_compute_s, Unit::Second),
            q(rf.decode_comm_s, Unit::Second)
        ),
    ]
}

/// The calibrated rates, each with its 80% range, and what they cost.
fn rate_lines(s: &Serving) -> Vec<String> {
    let mut out = vec![
        format!(
            "decode: {} per sequence, {} per GPU",
            s.decode_tokens_per_s_per_sequence
                .human(Unit::TokensPerSecond),
            s.decode_tokens_per_s_per_gpu.human(Unit::TokensPerSecond)
        ),
        format!(
            "prefill: {} per GPU; time to first token for {} prompt tokens {}",
            s.prefill_tokens_per_s_per_gpu.human(Unit::TokensPerSecond),
            q(s.prompt, Unit::Count),
            s.time_to_first_token_s.human(Unit::Second)
        ),
        format!(
            "whole requests ({} prompt, {} output tokens): {} output per GPU",
            q(s.prompt, Unit::Count),
            q(s.output, Unit::Count),
            s.request_output_tokens_per_s_per_gpu
                .human(Unit::TokensPerSecond)
        ),
    ];
    out.push(match (&s.usd_per_m_output, &s.usd_per_m_input, &s.price) {
        (Some(o), Some(i), Some(p)) => format!(
            "cost: {} per million output tokens, {} per million input tokens, at {} ({})",
            o.human(Unit::Usd),
            q(i.central, Unit::Usd),
            q(p.usd_per_gpu_hour, Unit::UsdPerGpuHour),
            p.source
        ),
        _ => "cost: no price for this chip in data/prices.toml; give a price".into(),
    });
    out
}

/// One estimate as a document.
pub fn serving(s: &Serving) -> Document {
    let mut doc = Document::default();
    for l in setup_lines(s)
        .into_iter()
        .chain(rate_lines(s))
        .chain([calibration_line(s)])
    {
        doc.paragraph(l);
    }
    let mut t = Table::new(&ESTIMATE_COLUMNS);
    t.push(vec![
        Cell::text(&s.model),
        Cell::text(&s.rates.chip),
        Cell::num(s.roofline.layout.gpus(), Unit::Count),
        Cell::num(s.roofline.batch, Unit::Count),
        Cell::Range(s.decode_tokens_per_s_per_gpu, Unit::TokensPerSecond),
        Cell::Range(s.prefill_tokens_per_s_per_gpu, Unit::TokensPerSecond),
        Cell::Range(s.request_output_tokens_per_s_per_gpu, Unit::TokensPerSecond),
        s.usd_per_m_output
            .map_or(Cell::Empty, |u| Cell::Range(u, Unit::UsdPerMillionTokens)),
    ]);
    doc.data = Some(t);
    doc
}

const COMPARE_COLUMNS: [(&str, &str); 9] = [
    ("chip", "chip"),
    ("tpp", "TPP"),
    ("classification", "3A090"),
    ("gpus", "GPUs"),
    ("decode_batch_1", "decode, 1 sequence"),
    ("decode_throughput_batch", "decode, batched"),
    ("bound", "bound when batched"),
    ("prefill", "prefill"),
    ("output_cost", "per M output"),
];

/// `--compare` as a document: every chip's per-GPU figures beside its TPP, and the chips left
/// out with why.
pub fn compare(model: &str, rows: &[CompareRow], left: &[(String, String)]) -> Document {
    let mut doc = Document::default();
    let batch = rows.first().map_or(0.0, |r| r.throughput_batch);
    doc.paragraph(format!(
        "{model}: deployment capability beside TPP (datasheet rates, calibrated central estimates \
         per GPU; batched: {} per replica)",
        plural(batch as usize, "sequence", "sequences")
    ));
    let mut t = Table::new(&COMPARE_COLUMNS);
    for r in rows {
        t.push(vec![
            Cell::text(&r.chip),
            Cell::num(r.tpp, Unit::Tpp),
            Cell::text(&r.classification),
            Cell::num(r.gpus, Unit::Count),
            Cell::num(r.decode_batch_1, Unit::TokensPerSecond),
            Cell::num(r.decode_throughput_batch, Unit::TokensPerSecond),
            Cell::text(bound(r.bound_at_throughput_batch)),
            Cell::num(r.prefill, Unit::TokensPerSecond),
            Cell::opt(r.usd_per_m_output, Unit::UsdPerMillionTokens),
        ]);
    }
    doc.push(Block::Table(t.clone()));
    if !left.is_empty() {
        doc.push(Block::Subheading("left out".into()));
        doc.push(Block::List(
            left.iter().map(|(c, why)| format!("{c}: {why}")).collect(),
        ));
    }
    doc.data = Some(t);
    doc
}

const VALIDATION_COLUMNS: [(&str, &str); 12] = [
    ("id", "figure"),
    ("chip", "chip"),
    ("precision", "format"),
    ("regime", "regime"),
    ("replica_gpus", "replica"),
    ("batch", "sequences"),
    ("published", "published per GPU"),
    ("predicted", "predicted (80% range)"),
    ("roofline", "roofline"),
    ("ratio", "predicted/published"),
    ("inside", "inside"),
    ("calibrates", "calibrates"),
];

/// `--validate` as a document.
pub fn validation(rows: &[Validation], groups: &[Group]) -> Document {
    let mut doc = Document::default();
    doc.paragraph(
        "Each published serving figure (output tokens/s per GPU) beside chipbench's prediction \
         with the efficiencies fitted without it, and its 80% range from the other figures' \
         held-out errors.",
    );
    let mut t = Table::new(&VALIDATION_COLUMNS);
    for v in rows {
        t.push(vec![
            Cell::text(&v.id),
            Cell::text(&v.chip),
            Cell::text(&v.precision),
            Cell::text(v.regime.name()),
            Cell::num(v.replica_gpus, Unit::Count),
            Cell::num(v.batch.round(), Unit::Count),
            Cell::num(v.published, Unit::TokensPerSecond),
            Cell::Range(v.predicted, Unit::TokensPerSecond),
            Cell::num(v.roofline, Unit::TokensPerSecond),
            Cell::num(v.log_error.exp(), Unit::Ratio),
            Cell::text(if v.inside { "yes" } else { "no" }),
            Cell::text(if v.calibrates { "yes" } else { "no" }),
        ]);
    }
    doc.push(Block::Table(t.clone()));
    doc.push(Block::Subheading("error and coverage".into()));
    let columns: Vec<(&str, &str)> = [("group", "group"), ("figures", "figures")]
        .into_iter()
        .chain(ERROR_COLUMNS)
        .chain([("above_roofline", "above the roofline")])
        .collect();
    let mut g = Table::new(&columns);
    for x in groups {
        let mut row = vec![
            Cell::text(&x.name),
            Cell::num(x.figures as f64, Unit::Count),
        ];
        row.extend(x.errors.cells());
        row.push(Cell::num(x.above_roofline as f64, Unit::Count));
        g.push(row);
    }
    doc.push(Block::Table(g));
    doc.data = Some(t);
    doc
}

//! `chipbench scenario` as documents every format renders: the rule and the buyer in
//! sentences, every chip with what the rule does to it and what changed against the baseline,
//! then the buyer's best chip beside the best on sale for each workload, with the penalty and
//! the evidence and calibration of every figure. A sweep is a table of the steps where the
//! buyer's chips change, where each chip leaves, and (in HTML) a chart. CSV carries one row per
//! chip (per step for a sweep), raw numbers in base units.

use super::access::{Change, Status};
use super::penalty::Outcome;
use super::sweep::Sweep;
use super::workload::{Serving, Training};
use super::{ChipRow, Scenario, ServingPenalty, TrainingPenalty};
use crate::cost::PriceUsed;
use crate::quantity::{Quantity, Unit, ratio};
use crate::view::{Block, Cell, Document, Table};

fn buyer_line(restricted: bool, granted: bool) -> String {
    if !restricted {
        return "Buyer: one no rule restricts; every chip on sale is available.".into();
    }
    format!(
        "Buyer: in China (Country Group D:5). Parts designed and made in China are domestic supply, \
         outside the rule; where 91 FR 1684 applies (2026-01), licences it reviews case by case \
         are {}.",
        if granted {
            "assumed granted"
        } else {
            "counted as denied"
        }
    )
}

const CHIP_COLUMNS: [(&str, &str); 15] = [
    ("chip", "chip"),
    ("on_sale", "on sale"),
    ("on_sale_known_by", "known by"),
    ("tpp", "TPP"),
    ("dram", "DRAM bandwidth"),
    ("rule", "the rule"),
    ("clause", "clause"),
    ("status", "this buyer"),
    ("why", "why"),
    ("baseline", "baseline"),
    ("change", "change"),
    ("train", "training"),
    ("train_cost", "training cost"),
    ("serve", "serving per GPU"),
    ("serve_cost", "serving cost"),
];

fn chip_row(c: &ChipRow) -> Vec<Cell> {
    let a = &c.access;
    let opt = |s: Option<String>| s.map_or(Cell::Empty, Cell::Text);
    vec![
        Cell::text(&a.chip),
        opt(a.on_sale.map(|m| m.to_string())),
        opt(a
            .on_sale
            .map(|_| if a.on_sale_inferred { "year" } else { "month" }.to_string())),
        Cell::num(c.tpp, Unit::Tpp),
        Cell::opt(c.dram_bandwidth_gbps.map(|g| g * 1e9), Unit::BytePerSecond),
        Cell::text(a.ruling.control.name()),
        opt(a.ruling.clause.clone()),
        Cell::text(a.status.name()),
        Cell::text(&a.why),
        Cell::text(c.baseline.control.name()),
        Cell::text(c.change.name()),
        c.training
            .as_ref()
            .map_or(Cell::Empty, |t| Cell::Range(t.gpu_hours, Unit::GpuHours)),
        c.training
            .as_ref()
            .and_then(|t| t.cost_usd)
            .map_or(Cell::Empty, |s| Cell::Range(s, Unit::Usd)),
        c.serving.as_ref().map_or(Cell::Empty, |s| {
            Cell::Range(s.tokens_per_s_per_gpu, Unit::TokensPerSecond)
        }),
        c.serving
            .as_ref()
            .and_then(|s| s.usd_per_m_output)
            .map_or(Cell::Empty, |u| Cell::Range(u, Unit::UsdPerMillionTokens)),
    ]
}

/// The chips table for people: central figures only, the columns of unasked workloads left
/// out.
fn chips_for_people(s: &Scenario, all: &Table) -> Table {
    let mut drop = vec!["clause", "on_sale_known_by"];
    if s.training.is_none() {
        drop.extend(["train", "train_cost"]);
    }
    if s.serving.is_none() {
        drop.extend(["serve", "serve_cost"]);
    }
    let mut t = all.without(&drop);
    let on_sale = t.column("on_sale").expect("an on-sale column");
    for (row, chip) in t.rows.iter_mut().zip(&s.chips) {
        if let (true, Some(m)) = (chip.access.on_sale_inferred, chip.access.on_sale) {
            row[on_sale] = Cell::text(format!("{m} (year)"));
        }
        for cell in row.iter_mut() {
            if let Cell::Range(span, unit) = cell {
                *cell = Cell::num(span.central, *unit);
            }
        }
    }
    let rule = t.column("rule").expect("a rule column");
    t.columns[rule].label = format!("under {}", s.rule);
    let baseline = t.column("baseline").expect("a baseline column");
    t.columns[baseline].label = format!("under {}", s.baseline);
    t
}

/// A price's source in a few words, or that there is none.
fn price(p: Option<&PriceUsed>) -> String {
    p.map_or("no price in data/prices.toml".to_string(), |p| {
        format!(
            "{}, {}",
            Quantity::new(p.usd_per_gpu_hour, Unit::UsdPerGpuHour).human(),
            p.source
        )
    })
}

/// The buyer's best and the best on sale, each with how the page names it.
fn sides<T, P>(o: &Outcome<T, P>) -> [(&'static str, &T); 2] {
    [
        ("this buyer's best", &o.available),
        ("best on sale", &o.overall),
    ]
}

/// The dollar penalty, `ratio_of_cost` times `what`, or that there is none.
fn dollars(ratio_of_cost: Option<f64>, what: &str) -> String {
    ratio_of_cost.map_or(
        "no dollar ratio (a chip without a price)".to_string(),
        |c| format!("{} {what}", ratio(c)),
    )
}

/// What one side's figure rests on: its chip, evidence, calibration and price.
trait Grounded {
    fn grounds(&self) -> (&str, &str, &str, Option<&PriceUsed>);
}

impl Grounded for Training {
    fn grounds(&self) -> (&str, &str, &str, Option<&PriceUsed>) {
        (
            &self.chip,
            &self.evidence,
            &self.calibration,
            self.price.as_ref(),
        )
    }
}

impl Grounded for Serving {
    fn grounds(&self) -> (&str, &str, &str, Option<&PriceUsed>) {
        (
            &self.chip,
            &self.evidence,
            &self.calibration,
            self.price.as_ref(),
        )
    }
}

/// The note under a workload's table that names what one side's figure rests on.
fn basis(who: &str, side: &impl Grounded) -> Block {
    let (chip, evidence, calibration, price_used) = side.grounds();
    Block::Note(format!(
        "{who}, {chip}: evidence {evidence}; {calibration}; price {}",
        price(price_used)
    ))
}

fn training(doc: &mut Document, o: &Outcome<Training, TrainingPenalty>) {
    doc.push(Block::Heading(format!("Training {}", o.workload)));
    let mut t = Table::new(&[
        ("who", ""),
        ("chip", "chip"),
        ("gpu_hours", "time"),
        ("days", "wall clock"),
        ("cost", "cost at table prices"),
    ]);
    for (who, x) in sides(o) {
        t.push(vec![
            Cell::text(who),
            Cell::text(&x.chip),
            Cell::Range(x.gpu_hours, Unit::GpuHours),
            Cell::Range(x.wall_days, Unit::Days),
            x.cost_usd
                .map_or(Cell::Empty, |c| Cell::Range(c, Unit::Usd)),
        ]);
    }
    doc.push(Block::Table(t));
    let p = &o.penalty;
    doc.push(Block::List(vec![format!(
        "penalty: {} the GPU-hours, so {} the days at the same cluster size and {} chips to finish in the best chip's time; {}",
        ratio(p.time),
        ratio(p.time),
        Quantity::new(p.chips_to_match, Unit::Count).human(),
        dollars(p.cost, "the dollars")
    )]));
    for (who, x) in sides(o) {
        doc.push(basis(who, x));
        if let Some(r) = x.reported.as_ref().filter(|r| r.like_for_like) {
            let place = match (r.inside, r.gpu_hours < x.gpu_hours.low) {
                (true, _) => "inside",
                (false, true) => "below",
                (false, false) => "above",
            };
            doc.push(Block::Note(format!(
                "{} reported {} on {}: {place} this estimate's 80% range",
                r.run,
                Quantity::new(r.gpu_hours, Unit::GpuHours).human(),
                r.chip,
            )));
        }
    }
}

fn serving(doc: &mut Document, o: &Outcome<Serving, ServingPenalty>) {
    doc.push(Block::Heading(format!("Serving {}", o.workload)));
    let mut t = Table::new(&[
        ("who", ""),
        ("chip", "chip"),
        ("gpus", "GPUs per replica"),
        ("tokens", "output per GPU"),
        ("cost", "cost"),
    ]);
    for (who, x) in sides(o) {
        t.push(vec![
            Cell::text(who),
            Cell::text(&x.chip),
            Cell::num(x.gpus_per_replica, Unit::Count),
            Cell::Range(x.tokens_per_s_per_gpu, Unit::TokensPerSecond),
            x.usd_per_m_output
                .map_or(Cell::Empty, |c| Cell::Range(c, Unit::UsdPerMillionTokens)),
        ]);
    }
    doc.push(Block::Table(t));
    let p = &o.penalty;
    doc.push(Block::List(vec![format!(
        "penalty: {} the chips for the same output tokens/s; {}",
        ratio(p.chips),
        dollars(p.cost, "the dollars per token")
    )]));
    for (who, x) in sides(o) {
        doc.push(basis(who, x));
    }
}

/// A scenario as a document (without the table of every chip for people when `brief`); its
/// data is one row per chip.
pub fn scenario(s: &Scenario, brief: bool) -> Document {
    let mut doc = Document::default();
    let who = if s.buyer.restricted {
        "a restricted buyer"
    } else {
        "an unrestricted buyer"
    };
    doc.push(Block::Title(format!(
        "Control scenario: {} for {who}, as of {}",
        s.rule, s.as_of
    )));
    doc.paragraph(format!("Rule: {}", s.rule_source));
    doc.paragraph(buyer_line(s.buyer.restricted, s.buyer.case_by_case_granted));
    let available = s
        .chips
        .iter()
        .filter(|c| c.access.status == Status::Available)
        .count();
    let changed = |c: Change| s.chips.iter().filter(|r| r.change == c).count();
    doc.paragraph(format!(
        "{available} of {} chips available (on sale by {}); against {}: {} newly caught, {} newly released.",
        s.chips.len(),
        s.as_of,
        s.baseline,
        changed(Change::NewlyCaught),
        changed(Change::NewlyReleased)
    ));
    let mut all = Table::new(&CHIP_COLUMNS);
    for c in &s.chips {
        all.push(chip_row(c));
    }
    if !brief {
        doc.push(Block::Heading("Chips".into()));
        doc.push(Block::Table(chips_for_people(s, &all)));
    }
    if let Some(o) = &s.training {
        training(&mut doc, o);
    }
    if let Some(o) = &s.serving {
        serving(&mut doc, o);
    }
    doc.push(Block::Note(closing(s.disclaimer)));
    doc.data = Some(all);
    doc
}

/// A sweep's threshold as a cell in its field's unit.
fn threshold(s: &Sweep, v: f64) -> Cell {
    s.field
        .quantity(v)
        .map_or(Cell::Empty, |(x, u)| Cell::num(x, u))
}

/// One row per step: the threshold, the chips available, each workload's best chip, its
/// figure and its penalties (the columns of unasked workloads left out).
fn steps_table(s: &Sweep) -> Table {
    let mut all = Table::new(&[
        ("threshold", "threshold"),
        ("available", "chips available"),
        ("train_chip", "best training chip"),
        ("train", "time"),
        ("train_penalty", "time penalty"),
        ("train_cost_penalty", "cost penalty"),
        ("serve_chip", "best serving chip"),
        ("serve", "output per GPU"),
        ("serve_penalty", "chips penalty"),
        ("serve_cost_penalty", "cost per token penalty"),
    ]);
    let best = |b: &Option<super::sweep::Best>, unit: Unit| match b {
        Some(b) => [
            Cell::text(&b.chip),
            Cell::Range(b.figure, unit),
            Cell::num(b.penalty, Unit::Ratio),
            Cell::opt(b.cost_penalty, Unit::Ratio),
        ],
        None => [Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty],
    };
    for st in &s.steps {
        let mut row = vec![
            threshold(s, st.threshold),
            Cell::num(st.available as f64, Unit::Count),
        ];
        row.extend(best(&st.training, Unit::GpuHours));
        row.extend(best(&st.serving, Unit::TokensPerSecond));
        all.push(row);
    }
    let mut drop = Vec::new();
    if s.training.is_none() {
        drop.extend(["train_chip", "train", "train_penalty", "train_cost_penalty"]);
    }
    if s.serving.is_none() {
        drop.extend(["serve_chip", "serve", "serve_penalty", "serve_cost_penalty"]);
    }
    all.without(&drop)
}

/// The chips that change sides, between which thresholds.
fn moves_table(s: &Sweep) -> Table {
    let mut moves = Table::new(&[
        ("chip", "chip"),
        ("move", "as the line rises"),
        ("lower", "between"),
        ("upper", "and"),
    ]);
    for t in &s.transitions {
        moves.push(vec![
            Cell::text(&t.chip),
            Cell::text(if t.available_above {
                "joins the buyer's chips"
            } else {
                "leaves the buyer's chips"
            }),
            threshold(s, t.lower),
            threshold(s, t.upper),
        ]);
    }
    moves
}

/// A sweep as a document: the steps where the buyer's chips change, where each chip leaves or
/// joins, and the chart; its data is one row per step.
pub fn sweep(s: &Sweep) -> Document {
    let mut doc = Document::default();
    let (lo, hi) = (s.steps[0].threshold, s.steps[s.steps.len() - 1].threshold);
    doc.push(Block::Title(format!(
        "Sweep of {}: {}, from {} to {}, as of {}",
        s.rule,
        s.moved,
        s.field.show(lo),
        s.field.show(hi),
        s.as_of
    )));
    doc.paragraph(buyer_line(s.buyer.restricted, s.buyer.case_by_case_granted));
    for w in [&s.training, &s.serving].into_iter().flatten() {
        doc.paragraph(format!("Workload: {w}."));
    }
    let all = steps_table(s);
    // For people: the first step, the last, and each step where the buyer's chips change.
    let changes: Vec<f64> = s.transitions.iter().map(|t| t.upper).collect();
    let last = s.steps.len() - 1;
    let mut people = all.clone();
    people.rows = (0..s.steps.len())
        .filter(|&i| i == 0 || i == last || changes.contains(&s.steps[i].threshold))
        .map(|i| all.rows[i].clone())
        .collect();
    doc.push(Block::Heading(
        "Steps where the buyer's chips change".into(),
    ));
    doc.push(Block::Table(people));
    let unpriced = s
        .steps
        .iter()
        .flat_map(|st| [&st.training, &st.serving])
        .flatten()
        .any(|b| b.cost_penalty.is_none());
    if unpriced {
        doc.push(Block::Note(
            "A cost penalty is left empty where the buyer's best chip or the best on sale has \
             no price in data/prices.toml."
                .into(),
        ));
    }
    doc.push(Block::Heading(
        "Where each chip changes sides as the line rises".into(),
    ));
    if s.transitions.is_empty() {
        doc.paragraph("No chip changes sides over this range.");
    } else {
        doc.push(Block::Table(moves_table(s)));
    }
    doc.push(Block::Figure {
        class: "chart",
        svg: super::plot::penalty(s),
    });
    doc.push(Block::Note(closing(s.disclaimer)));
    doc.data = Some(all);
    doc
}

/// The last line of every scenario document.
fn closing(disclaimer: &str) -> String {
    format!(
        "Every chip on its datasheet figures; ratios are of central estimates. Arithmetic on \
         public datasheets and published runs, not legal advice. {disclaimer}"
    )
}

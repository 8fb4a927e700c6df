//! `chipbench compare`: is one set of results faster than another, by more than the noise?
//!
//! A report puts numbers side by side; it does not say whether a 3% difference between two runs,
//! two devices or chipbench and a vendor library is real. This module pairs the cases of a
//! baseline with those of each other result, takes the ratio of their throughput, and puts a
//! 95% bootstrap interval around it from every timed sample the files keep. Only where that
//! interval excludes 1 does it give a verdict ("B 4.21x faster"); elsewhere it says "within
//! noise", so that a file compared with itself never shows a difference.
//!
//! A case is a workload, a shape and an input precision: chipbench's `coop-f16-f32acc` and
//! cuBLAS's `cublas-f16` at the same shape are the same case. Where the two sides share no
//! variant name for a case (chipbench against a vendor library), every record of the baseline
//! is paired with every record of the other side; where they share some (two chipbench runs, a
//! file and itself), each record pairs with the same variant only, so that a file compared with
//! itself compares every kernel with itself. Only passed records with timing take part. The interval is a percentile bootstrap of the ratio of medians of the
//! two sample sets, resampled independently from a fixed seed, so the same files
//! always give the same output.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::model::{Precision, RunResult, Source, Status, WorkloadRecord, median};
use crate::policy::Database;
use crate::report::table::{aligned, scaled};
use crate::rng::Rng;
use crate::text::{csv_safe, md_cell};

/// Bootstrap resamples per pair.
pub const RESAMPLES: usize = 2000;
/// Coverage of the interval.
pub const CONFIDENCE: f64 = 0.95;
/// Differences below this fraction get no verdict (see [`Estimate::verdict`]).
pub const PRACTICAL: f64 = 0.02;
/// Seed of the resampling; every pair starts from it, so a pair's interval does not depend on
/// which other pairs were compared.
pub const SEED: u64 = 0x6368_6970_6265_6e63;

/// One side of a comparison: an argument as it was given and the result files it stands for
/// (one for a file, every valid file of the device for a device name).
#[derive(Debug, Clone)]
pub struct Side {
    pub argument: String,
    pub results: Vec<RunResult>,
}

/// Whether an argument names a file rather than a device: it exists, or it looks like a path.
fn looks_like_path(argument: &str) -> bool {
    Path::new(argument).exists()
        || argument.ends_with(".json")
        || argument.contains('/')
        || argument.contains(std::path::MAIN_SEPARATOR)
}

/// The result files `argument` stands for: the file it names, or every valid result file under
/// `root` whose device name contains it (ignoring case). Any problem is one line.
pub fn resolve(db: &Database, argument: &str, root: &Path) -> Result<Side, String> {
    if argument.trim().is_empty() {
        return Err("an empty argument names neither a file nor a device".to_string());
    }
    if Path::new(argument).is_dir() {
        return Err(format!(
            "{argument} is a directory: name a result file in it, or a device"
        ));
    }
    if looks_like_path(argument) {
        let result = crate::dataset::read(db, Path::new(argument))?;
        return Ok(Side {
            argument: argument.to_string(),
            results: vec![result],
        });
    }
    if !root.is_dir() {
        return Err(format!(
            "{argument} is not a file, and there is no dataset at {} to look it up as a device",
            root.display()
        ));
    }
    let needle = argument.to_lowercase();
    let mut devices = Vec::new();
    let mut results = Vec::new();
    for path in crate::dataset::files(root) {
        let Ok(r) = crate::dataset::read(db, &path) else {
            continue;
        };
        if r.device.name.to_lowercase().contains(&needle) {
            results.push(r);
        } else if !devices.contains(&r.device.name) {
            devices.push(r.device.name.clone());
        }
    }
    if results.is_empty() {
        let there = if devices.is_empty() {
            "none".to_string()
        } else {
            devices.join(", ")
        };
        return Err(format!(
            "{argument} is not a file, and no valid result file in {} is of a device whose name \
             contains it (devices there: {there})",
            root.display()
        ));
    }
    Ok(Side {
        argument: argument.to_string(),
        results,
    })
}

/// What a side stands for, as the output names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideSummary {
    pub argument: String,
    pub devices: Vec<String>,
    pub sources: Vec<String>,
    /// The content ids of its result files.
    pub files: Vec<String>,
}

fn source_name(s: Source) -> &'static str {
    match s {
        Source::Chipbench => "chipbench",
        Source::VendorLibrary => "vendor-library",
    }
}

fn summary(side: &Side) -> SideSummary {
    let mut devices: Vec<String> = Vec::new();
    let mut sources: Vec<String> = Vec::new();
    for r in &side.results {
        if !devices.contains(&r.device.name) {
            devices.push(r.device.name.clone());
        }
        let s = source_name(r.source).to_string();
        if !sources.contains(&s) {
            sources.push(s);
        }
    }
    SideSummary {
        argument: side.argument.clone(),
        devices,
        sources,
        files: side.results.iter().map(|r| r.id.clone()).collect(),
    }
}

impl SideSummary {
    /// "ARG (NVIDIA H200, chipbench)", with the file count when there is more than one.
    fn describe(&self) -> String {
        let files = match self.files.len() {
            1 => String::new(),
            n => format!("; {n} files"),
        };
        format!(
            "{} ({}, {}{files})",
            self.argument,
            self.devices.join(", "),
            self.sources.join(" + ")
        )
    }
}

/// What the ratio counts as work: FLOPs where both figures are TFLOP/s, else bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    Flops,
    Bytes,
}

/// One record of one side compared with one of the baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    pub workload: String,
    pub shape: String,
    /// The input precision both share.
    pub precision: String,
    pub variant_a: String,
    pub variant_b: String,
    /// Inputs and accumulation of each side, e.g. "f16/f32".
    pub precision_a: String,
    pub precision_b: String,
    /// Content ids of the files the two records come from.
    pub file_a: String,
    pub file_b: String,
    /// Each record's headline figure, in its unit.
    pub median_a: f64,
    pub unit_a: &'static str,
    pub median_b: f64,
    pub unit_b: &'static str,
    pub basis: Basis,
    /// B's throughput over A's: above 1, B is faster.
    pub ratio: f64,
    /// The bootstrap interval of the ratio.
    pub ratio_low: f64,
    pub ratio_high: f64,
    /// Whether the interval contains 1.
    pub within_noise: bool,
    /// "B 4.21x faster" or "B 0.24x (slower)" where the interval excludes 1; none otherwise.
    pub verdict: Option<String>,
    /// Whether the variant names alone do not tell this pair's records from another's (two
    /// files of one side with the same variant): the table then adds the file id.
    #[serde(skip)]
    ambiguous_a: bool,
    #[serde(skip)]
    ambiguous_b: bool,
}

/// The baseline against one other side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub b: SideSummary,
    pub pairs: Vec<Pair>,
    /// Usable records of each side with no case on the other.
    pub unmatched_a: usize,
    pub unmatched_b: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bootstrap {
    pub resamples: usize,
    pub confidence: f64,
    pub seed: u64,
}

/// Everything `chipbench compare` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub a: SideSummary,
    pub comparisons: Vec<Comparison>,
    pub bootstrap: Bootstrap,
    /// Records left out because they did not pass or have no timing, over all sides.
    pub not_ok: usize,
}

/// A record that takes part: passed, timed, with a headline figure.
struct Entry<'a> {
    record: &'a WorkloadRecord,
    samples: &'a [f64],
    figure: (f64, &'static str),
    file: &'a str,
}

type Key = (String, String, Precision);

/// A case: workload, shape, and inputs with accumulator (like for like: an f16-accumulating
/// kernel is not set against a library that accumulates in f32).
fn key(r: &WorkloadRecord) -> Key {
    (r.workload.clone(), r.shape_label(), r.precision)
}

/// A side's usable records, and how many of its records were not usable.
fn entries(side: &Side) -> (Vec<Entry<'_>>, usize) {
    let mut out = Vec::new();
    let mut left_out = 0;
    for result in &side.results {
        for record in &result.workloads {
            let usable = match (&record.timing, record.headline()) {
                (Some(t), Some(figure)) if record.status == Status::Ok => {
                    (!t.samples_ns.is_empty()).then_some((t.samples_ns.as_slice(), figure))
                }
                _ => None,
            };
            match usable {
                Some((samples, figure)) => out.push(Entry {
                    record,
                    samples,
                    figure,
                    file: &result.id,
                }),
                None => left_out += 1,
            }
        }
    }
    (out, left_out)
}

/// Whether another entry of the same side has the same case and variant.
fn ambiguous(all: &[Entry], e: &Entry) -> bool {
    all.iter().any(|o| {
        !std::ptr::eq(o.record, e.record)
            && o.record.variant == e.record.variant
            && key(o.record) == key(e.record)
    })
}

/// Whether the records of one case pair like with like: the two sides share a variant name
/// (two chipbench runs, a file and itself). Otherwise (chipbench against a vendor library)
/// every record pairs with every other.
fn like_with_like(a: &[&Entry], b: &[&Entry]) -> bool {
    a.iter()
        .any(|x| b.iter().any(|y| x.record.variant == y.record.variant))
}

/// Whether records `a` and `b` of one case are compared.
fn partners(a: &Entry, b: &Entry, like_with_like: bool) -> bool {
    !like_with_like || a.record.variant == b.record.variant
}

/// Compares every side after the first with the first.
pub fn compare(sides: &[Side]) -> Report {
    let (baseline, rest) = sides.split_first().expect("at least one side");
    let (a_entries, mut not_ok) = entries(baseline);
    // The baseline's cases in the order they first appear, each with its records.
    let mut cases: Vec<Key> = Vec::new();
    let mut a_by_case: BTreeMap<Key, Vec<&Entry>> = BTreeMap::new();
    for e in &a_entries {
        let k = key(e.record);
        if !a_by_case.contains_key(&k) {
            cases.push(k.clone());
        }
        a_by_case.entry(k).or_default().push(e);
    }
    let mut comparisons = Vec::new();
    for side in rest {
        let (b_entries, b_not_ok) = entries(side);
        not_ok += b_not_ok;
        let mut b_by_case: BTreeMap<Key, Vec<&Entry>> = BTreeMap::new();
        for e in &b_entries {
            b_by_case.entry(key(e.record)).or_default().push(e);
        }
        let mut pairs = Vec::new();
        let mut unmatched_a = 0;
        for k in &cases {
            let a_list = &a_by_case[k];
            let Some(b_list) = b_by_case.get(k) else {
                unmatched_a += a_list.len();
                continue;
            };
            let like = like_with_like(a_list, b_list);
            for a in a_list {
                let mut matched = false;
                for b in b_list.iter().filter(|b| partners(a, b, like)) {
                    matched = true;
                    let mut p = pair(a, b);
                    p.ambiguous_a = ambiguous(&a_entries, a);
                    p.ambiguous_b = ambiguous(&b_entries, b);
                    pairs.push(p);
                }
                unmatched_a += usize::from(!matched);
            }
        }
        let unmatched_b = b_by_case
            .iter()
            .map(|(k, b_list)| match a_by_case.get(k) {
                None => b_list.len(),
                Some(a_list) => {
                    let like = like_with_like(a_list, b_list);
                    b_list
                        .iter()
                        .filter(|b| !a_list.iter().any(|a| partners(a, b, like)))
                        .count()
                }
            })
            .sum();
        comparisons.push(Comparison {
            b: summary(side),
            pairs,
            unmatched_a,
            unmatched_b,
        });
    }
    Report {
        a: summary(baseline),
        comparisons,
        bootstrap: Bootstrap {
            resamples: RESAMPLES,
            confidence: CONFIDENCE,
            seed: SEED,
        },
        not_ok,
    }
}

fn pair(a: &Entry, b: &Entry) -> Pair {
    let (ra, rb) = (a.record, b.record);
    let basis = if a.figure.1 == "TFLOP/s" && b.figure.1 == "TFLOP/s" {
        Basis::Flops
    } else {
        Basis::Bytes
    };
    let (work_a, work_b) = match basis {
        Basis::Flops => (ra.flops_per_iter, rb.flops_per_iter),
        Basis::Bytes => (ra.bytes_per_iter, rb.bytes_per_iter),
    };
    let est = estimate(a.samples, work_a, b.samples, work_b);
    Pair {
        workload: ra.workload.clone(),
        shape: ra.shape_label(),
        precision: ra.precision.inputs.to_string(),
        variant_a: ra.variant.clone(),
        variant_b: rb.variant.clone(),
        precision_a: ra.precision.to_string(),
        precision_b: rb.precision.to_string(),
        file_a: a.file.to_string(),
        file_b: b.file.to_string(),
        median_a: a.figure.0,
        unit_a: a.figure.1,
        median_b: b.figure.0,
        unit_b: b.figure.1,
        basis,
        ratio: est.ratio,
        ratio_low: est.low,
        ratio_high: est.high,
        within_noise: est.verdict().is_none(),
        verdict: est.verdict(),
        ambiguous_a: false,
        ambiguous_b: false,
    }
}

/// A ratio of throughput with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub ratio: f64,
    pub low: f64,
    pub high: f64,
}

impl Estimate {
    /// Decimal places that show the ratio and interval, and that never print a bound that
    /// excludes 1 as "1.00".
    fn decimals(&self) -> usize {
        let round = |x: f64, d: usize| format!("{x:.d$}").parse::<f64>().unwrap_or(x);
        let mut d = 2;
        while d < 6
            && ((self.low > 1.0 && round(self.low, d) <= 1.0)
                || (self.high < 1.0 && round(self.high, d) >= 1.0))
        {
            d += 1;
        }
        d
    }

    /// "B 4.21x faster" above 1, "B 0.24x (slower)" below it; none where the interval reaches
    /// within [`PRACTICAL`] of 1. The samples of one run say nothing of what varies between
    /// runs (clocks, temperature, a driver), so a difference smaller than that is no verdict
    /// however tight the interval.
    pub fn verdict(&self) -> Option<String> {
        let d = self.decimals();
        if self.low > 1.0 + PRACTICAL {
            Some(format!("B {:.d$}x faster", self.ratio))
        } else if self.high < 1.0 - PRACTICAL {
            Some(format!("B {:.d$}x (slower)", self.ratio))
        } else {
            None
        }
    }
}

/// The ratio of throughput of B over A, `(work_b / median(b)) / (work_a / median(a))` for
/// samples of the time per iteration, with its percentile bootstrap interval: both sample sets
/// resampled independently with replacement, [`RESAMPLES`] times, from [`SEED`].
pub fn estimate(a: &[f64], work_a: f64, b: &[f64], work_b: f64) -> Estimate {
    let scale = work_b / work_a;
    let ratio = scale * median(a) / median(b);
    let mut rng = Rng::new(SEED);
    let (mut ra, mut rb) = (vec![0.0; a.len()], vec![0.0; b.len()]);
    let mut ratios: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            resample(&mut rng, a, &mut ra);
            resample(&mut rng, b, &mut rb);
            scale * median(&ra) / median(&rb)
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let tail = (1.0 - CONFIDENCE) / 2.0;
    Estimate {
        ratio,
        low: quantile(&ratios, tail),
        high: quantile(&ratios, 1.0 - tail),
    }
}

/// The `q` quantile of sorted `xs`, interpolated linearly between order statistics.
fn quantile(xs: &[f64], q: f64) -> f64 {
    let at = q * (xs.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    xs[lo] + (xs[hi] - xs[lo]) * (at - lo as f64)
}

/// Fills `out` with draws from `from`, with replacement.
fn resample(rng: &mut Rng, from: &[f64], out: &mut [f64]) {
    for slot in out.iter_mut() {
        *slot = from[rng.below(from.len() as u64) as usize];
    }
}

fn variant(name: &str, file: &str, ambiguous: bool) -> String {
    if ambiguous {
        format!("{name} ({})", &file[..file.len().min(8)])
    } else {
        name.to_string()
    }
}

const HEADER: [&str; 10] = [
    "workload",
    "shape",
    "precision",
    "variant A",
    "variant B",
    "median A",
    "median B",
    "B/A",
    "95% interval",
    "verdict",
];

fn cells(p: &Pair) -> [String; 10] {
    let est = Estimate {
        ratio: p.ratio,
        low: p.ratio_low,
        high: p.ratio_high,
    };
    let d = est.decimals();
    [
        p.workload.clone(),
        p.shape.clone(),
        p.precision.clone(),
        variant(&p.variant_a, &p.file_a, p.ambiguous_a),
        variant(&p.variant_b, &p.file_b, p.ambiguous_b),
        scaled(p.median_a, p.unit_a),
        scaled(p.median_b, p.unit_b),
        format!("{:.d$}", p.ratio),
        format!("{:.d$}..{:.d$}", p.ratio_low, p.ratio_high),
        p.verdict
            .clone()
            .unwrap_or_else(|| "within noise".to_string()),
    ]
}

/// An aligned text table per compared side, under a line naming the baseline.
pub fn table(report: &Report) -> String {
    let mut out = format!("A (baseline): {}\n", report.a.describe());
    for (i, c) in report.comparisons.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("B: {}\n", c.b.describe()));
        let rows: Vec<[String; 10]> = c.pairs.iter().map(cells).collect();
        out.push_str(&aligned(HEADER, &rows));
    }
    out
}

/// A Markdown table per compared side, every cell escaped.
pub fn markdown(report: &Report) -> String {
    let mut out = format!("A (baseline): {}\n\n", md_cell(&report.a.describe()));
    for c in &report.comparisons {
        out.push_str(&format!(
            "B: {}\n\n| {} |\n|{}\n",
            md_cell(&c.b.describe()),
            HEADER.join(" | "),
            " --- |".repeat(HEADER.len())
        ));
        for p in &c.pairs {
            let row: Vec<String> = cells(p).iter().map(|x| md_cell(x)).collect();
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        out.push('\n');
    }
    out
}

const CSV_HEADER: [&str; 17] = [
    "a",
    "b",
    "workload",
    "shape",
    "precision",
    "variant_a",
    "variant_b",
    "file_a",
    "file_b",
    "median_a",
    "unit_a",
    "median_b",
    "unit_b",
    "ratio",
    "ratio_low",
    "ratio_high",
    "verdict",
];

/// One CSV row per pair, numbers at full precision; `verdict` is empty within noise.
pub fn csv(report: &Report) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER).expect("in-memory CSV");
    for c in &report.comparisons {
        for p in &c.pairs {
            let row = [
                report.a.argument.clone(),
                c.b.argument.clone(),
                p.workload.clone(),
                p.shape.clone(),
                p.precision.clone(),
                p.variant_a.clone(),
                p.variant_b.clone(),
                p.file_a.clone(),
                p.file_b.clone(),
                p.median_a.to_string(),
                p.unit_a.to_string(),
                p.median_b.to_string(),
                p.unit_b.to_string(),
                p.ratio.to_string(),
                p.ratio_low.to_string(),
                p.ratio_high.to_string(),
                p.verdict.clone().unwrap_or_default(),
            ];
            w.write_record(row.iter().map(|c| csv_safe(c)))
                .expect("in-memory CSV");
        }
    }
    String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("UTF-8 CSV")
}

/// The whole report as JSON.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("comparison serialises") + "\n"
}

/// The closing line: how many records had no counterpart, and how many could not take part.
pub fn closing_line(report: &Report) -> String {
    let per: Vec<String> = report
        .comparisons
        .iter()
        .map(|c| {
            let against = if report.comparisons.len() > 1 {
                format!(" (B = {})", c.b.argument)
            } else {
                String::new()
            };
            format!("{} of A and {} of B{against}", c.unmatched_a, c.unmatched_b)
        })
        .collect();
    let pairs: usize = report.comparisons.iter().map(|c| c.pairs.len()).sum();
    let mut line = format!(
        "{pairs} pair{} compared; unmatched (on one side only, not shown): {}",
        if pairs == 1 { "" } else { "s" },
        per.join("; ")
    );
    if report.not_ok > 0 {
        line.push_str(&format!(
            "; {} record{} without a passed, timed measurement left out",
            report.not_ok,
            if report.not_ok == 1 { "" } else { "s" }
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Method, Numeric, Summary, Throughput, Timing};

    fn record(
        workload: &str,
        variant: &str,
        inputs: Numeric,
        flops: f64,
        samples: &[f64],
    ) -> WorkloadRecord {
        let s = Summary::of(samples).unwrap();
        let bytes = 1e6;
        WorkloadRecord {
            workload: workload.to_string(),
            variant: variant.to_string(),
            precision: Precision::new(inputs, Numeric::F32),
            unit: None,
            family: None,
            shape: [("m".to_string(), 64), ("n".to_string(), 64)].into(),
            config: String::new(),
            flops_per_iter: flops,
            bytes_per_iter: bytes,
            status: Status::Ok,
            reason: None,
            timing: Some(Timing {
                method: Method::GpuTimestamp,
                warmup_passes: 0,
                dispatches_per_pass: 1,
                passes: samples.len(),
                samples_ns: samples.to_vec(),
                median_ns: s.median_ns,
                min_ns: s.min_ns,
                max_ns: s.max_ns,
                mean_ns: s.mean_ns,
                cv: s.cv,
            }),
            throughput: Some(Throughput::at(flops, bytes, s.median_ns)),
            check: None,
        }
    }

    /// A valid result (the committed H200 run) with `workloads` in place of its own.
    fn side(name: &str, workloads: Vec<WorkloadRecord>) -> Side {
        let mut r = RunResult::parse(include_str!(
            "../results/nvidia/nvidia-h200/788c5ff8540abced7339f909a6e8162656f077571271ccf6faac048bbb59959e.json"
        ))
        .unwrap();
        r.workloads = workloads;
        r.seal();
        Side {
            argument: name.to_string(),
            results: vec![r],
        }
    }

    /// A side whose only record is an F16 matmul `variant` of `flops` per iteration, timed
    /// around `center` ns with a spread of +-`spread`.
    fn one_matmul(name: &str, variant: &str, flops: f64, center: f64, spread: f64) -> Side {
        side(
            name,
            vec![record(
                "matmul",
                variant,
                Numeric::F16,
                flops,
                &noisy(center, spread, 20),
            )],
        )
    }

    /// Noisy samples around `center`: a deterministic spread of +-`spread`.
    fn noisy(center: f64, spread: f64, n: usize) -> Vec<f64> {
        let mut rng = Rng::new(n as u64 + center.to_bits());
        (0..n)
            .map(|_| center + spread * f64::from(rng.next_f32()))
            .collect()
    }

    #[test]
    fn identical_samples_give_one_and_no_verdict() {
        let s = noisy(1e6, 5e4, 23);
        let e = estimate(&s, 1e9, &s, 1e9);
        assert_eq!(e.ratio, 1.0);
        assert!(e.low <= 1.0 && 1.0 <= e.high, "{e:?}");
        assert!(
            e.low < 1.0 && e.high > 1.0,
            "noise gives a real interval: {e:?}"
        );
        assert_eq!(e.verdict(), None);
        let constant = [5.0; 10];
        let e = estimate(&constant, 1.0, &constant, 1.0);
        assert_eq!((e.ratio, e.low, e.high, e.verdict()), (1.0, 1.0, 1.0, None));
    }

    #[test]
    fn twice_as_fast_gets_a_verdict() {
        let a = noisy(2e6, 2e4, 20);
        let b = noisy(1e6, 1e4, 20);
        let e = estimate(&a, 1e9, &b, 1e9);
        assert!((e.ratio - 2.0).abs() < 0.05, "{e:?}");
        assert!(e.low > 1.9 && e.high < 2.1 && e.low <= e.ratio && e.ratio <= e.high);
        assert_eq!(e.verdict(), Some(format!("B {:.2}x faster", e.ratio)));
        let slower = estimate(&b, 1e9, &a, 1e9);
        assert!(slower.high < 1.0);
        assert_eq!(
            slower.verdict(),
            Some(format!("B {:.2}x (slower)", slower.ratio))
        );
    }

    #[test]
    fn overlapping_noisy_samples_are_within_noise() {
        let a = noisy(1.00e6, 2e5, 15);
        let b = noisy(1.01e6, 2e5, 15);
        let e = estimate(&a, 1e9, &b, 1e9);
        assert!(e.low < 1.0 && e.high > 1.0, "{e:?}");
        assert_eq!(e.verdict(), None);
    }

    #[test]
    fn the_same_input_gives_the_same_interval() {
        let a = noisy(1e6, 1e5, 30);
        let b = noisy(9e5, 1e5, 30);
        assert_eq!(estimate(&a, 1.0, &b, 1.0), estimate(&a, 1.0, &b, 1.0));
    }

    #[test]
    fn work_scales_the_ratio() {
        // The same time for twice the work is twice the throughput.
        let t = noisy(1e6, 1e3, 20);
        let e = estimate(&t, 1e12, &t, 2e12);
        assert!((e.ratio - 2.0).abs() < 1e-12, "{e:?}");
        assert!(e.low > 1.9 && e.high < 2.1);
        // Through the pairing: B does half the FLOPs in half the time: the same rate.
        let a = one_matmul("a", "x", 2e12, 2e6, 1e4);
        let b = one_matmul("b", "y", 1e12, 1e6, 5e3);
        let r = compare(&[a, b]);
        let p = &r.comparisons[0].pairs[0];
        assert_eq!(p.basis, Basis::Flops);
        assert!((p.ratio - 1.0).abs() < 0.02, "{p:?}");
        assert!((p.median_b / p.median_a - p.ratio).abs() < 0.02);
    }

    #[test]
    fn pairs_by_workload_shape_and_input_precision() {
        let fast = noisy(1e6, 1e4, 20);
        let slow = noisy(4e6, 4e4, 20);
        let a = side(
            "a",
            vec![
                record("matmul", "coop-f16-f32acc", Numeric::F16, 1e12, &slow),
                record("matmul", "coop-f16-f16acc", Numeric::F16, 1e12, &slow),
                record("matmul", "tiled-f32", Numeric::F32, 1e12, &slow),
                record("fma", "f16", Numeric::F16, 1e12, &slow),
            ],
        );
        let mut failed = record("matmul", "cublas-f32", Numeric::F32, 1e12, &fast);
        failed.status = Status::Failed;
        failed.throughput = None;
        let b = side(
            "b",
            vec![
                record("matmul", "cublas-f16", Numeric::F16, 1e12, &fast),
                record("matmul", "cublas-bf16", Numeric::Bf16, 1e12, &fast),
                failed,
            ],
        );
        let r = compare(&[a, b]);
        let c = &r.comparisons[0];
        let names: Vec<(&str, &str)> = c
            .pairs
            .iter()
            .map(|p| (p.variant_a.as_str(), p.variant_b.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("coop-f16-f32acc", "cublas-f16"),
                ("coop-f16-f16acc", "cublas-f16")
            ]
        );
        // tiled-f32 and fma on A's side, bf16 on B's; the failed record takes no part.
        assert_eq!((c.unmatched_a, c.unmatched_b, r.not_ok), (2, 1, 1));
        for p in &c.pairs {
            assert_eq!(p.precision, "f16");
            assert!((p.ratio - 4.0).abs() < 0.1);
            assert_eq!(p.verdict, Some(format!("B {:.2}x faster", p.ratio)));
        }
        let line = closing_line(&r);
        assert!(
            line.contains("2 of A and 1 of B") && line.contains("1 record"),
            "{line}"
        );
    }

    #[test]
    fn a_side_compared_with_itself_shows_no_difference() {
        // Two variants of one case: each is compared with itself, not with the other.
        let records = vec![
            record("matmul", "tiled", Numeric::F16, 1e12, &noisy(4e6, 3e4, 23)),
            record("matmul", "coop", Numeric::F16, 1e12, &noisy(1e6, 3e4, 23)),
            record("copy", "y", Numeric::U32, 0.0, &noisy(5e5, 1e3, 23)),
        ];
        let a = side("a", records.clone());
        let r = compare(&[a.clone(), a]);
        let c = &r.comparisons[0];
        let names: Vec<(&str, &str)> = c
            .pairs
            .iter()
            .map(|p| (p.variant_a.as_str(), p.variant_b.as_str()))
            .collect();
        assert_eq!(names, [("tiled", "tiled"), ("coop", "coop"), ("y", "y")]);
        assert_eq!((c.unmatched_a, c.unmatched_b), (0, 0));
        assert_eq!(c.pairs[2].basis, Basis::Bytes);
        for p in &c.pairs {
            assert_eq!(p.ratio, 1.0);
            assert!(p.ratio_low <= 1.0 && 1.0 <= p.ratio_high);
            assert!(p.within_noise && p.verdict.is_none());
        }
        let t = table(&r);
        assert!(t.contains("1.00") && t.contains("within noise"), "{t}");
        // A variant only one side has is unmatched once the sides share one.
        let mut more = records;
        more.push(record(
            "matmul",
            "new",
            Numeric::F16,
            1e12,
            &noisy(1e6, 3e4, 23),
        ));
        let r = compare(&[side("a", more.clone()), side("b", more[1..].to_vec())]);
        let c = &r.comparisons[0];
        assert_eq!(c.pairs.len(), 3);
        assert_eq!((c.unmatched_a, c.unmatched_b), (1, 0));
    }

    #[test]
    fn bounds_that_exclude_one_never_print_as_one() {
        let e = Estimate {
            ratio: 1.004,
            low: 1.001,
            high: 1.007,
        };
        assert!(e.decimals() >= 3);
        // Tight, but under the practical threshold: no verdict.
        assert_eq!(e.verdict(), None);
        let clear = Estimate {
            ratio: 1.0304,
            low: 1.0301,
            high: 1.0307,
        };
        assert_eq!(clear.verdict().as_deref(), Some("B 1.03x faster"));
        let wide = Estimate {
            ratio: 4.21,
            low: 4.1,
            high: 4.3,
        };
        assert_eq!(wide.decimals(), 2);
    }

    #[test]
    fn every_format_renders_every_pair() {
        let a = one_matmul("=a|b", "x", 1e12, 2e6, 1e4);
        let b = one_matmul("b", "y", 1e12, 1e6, 1e4);
        let r = compare(&[a, b]);
        assert!(table(&r).contains("B 2.0"));
        let md = markdown(&r);
        assert!(md.contains("=a\\|b") && md.contains("| matmul |"), "{md}");
        let text = csv(&r);
        let mut rd = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][0], "'=a|b");
        let v: serde_json::Value = serde_json::from_str(&json(&r)).unwrap();
        let p = &v["comparisons"][0]["pairs"][0];
        assert!(p["ratio_low"].as_f64().unwrap() > 1.0);
        assert!(p["verdict"].as_str().unwrap().starts_with("B 2.0"));
    }
}

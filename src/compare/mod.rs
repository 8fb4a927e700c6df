//! `chipbench compare`: is one set of results faster than another, by more than the noise?
//!
//! A report puts numbers side by side; it does not say whether a 3% difference between two
//! runs, two devices or chipbench and a vendor library is real. This module pairs the cases of
//! a baseline with those of each other result, takes the ratio of their throughput, and puts a
//! 95% interval around it that holds both the variation between the passes of a run and the
//! variation between runs ([`bootstrap`]). Only where that interval excludes 1 does it give a
//! verdict ("B faster", beside the ratio "4.21x"); elsewhere it says "within noise", so that a file compared with
//! itself, or two back-to-back runs of one binary, never show a difference.
//!
//! A case is a workload, a shape and a precision (inputs and accumulator): chipbench's
//! `coop-f16-f32acc` and cuBLAS's `cublas-f16` at the same shape are the same case. A side's
//! runs of one variant and case form one group; where the two sides share no variant name for
//! a case (chipbench against a vendor library) every group of the baseline is paired with
//! every group of the other side, and where they share some (two chipbench runs, a file and
//! itself) each group pairs with the same variant only. Only passed records with timing take
//! part. Resampling starts from a fixed seed, so the same files always give the same output.

pub mod bootstrap;
pub mod noise;
pub mod view;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::model::{Case, RunResult, Status, WorkloadRecord};
use crate::policy::Database;
use crate::quantity::{Quantity, Unit};
use bootstrap::{Estimate, Run};

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
/// `root` whose device name contains it (ignoring case); incomplete runs only when
/// `allow_incomplete`. Any problem is one line.
pub fn resolve(
    db: &Database,
    argument: &str,
    root: &Path,
    allow_incomplete: bool,
) -> Result<Side, String> {
    if argument.trim().is_empty() {
        return Err("an empty argument names neither a file nor a device".to_string());
    }
    if Path::new(argument).is_dir() {
        return Err(format!(
            "{argument} is a directory: name a result file in it, or a device"
        ));
    }
    if looks_like_path(argument) {
        let result = crate::dataset::read_with(db, Path::new(argument), allow_incomplete)?;
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
        let Ok(r) = crate::dataset::read_with(db, &path, allow_incomplete) else {
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

fn summary(side: &Side) -> SideSummary {
    let mut devices: Vec<String> = Vec::new();
    let mut sources: Vec<String> = Vec::new();
    for r in &side.results {
        if !devices.contains(&r.device.name) {
            devices.push(r.device.name.clone());
        }
        let s = r.source.name().to_string();
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
    pub fn describe(&self) -> String {
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

/// What the ratio counts as work: FLOPs where both figures are FLOP/s, else bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    Flops,
    Bytes,
}

/// What the interval says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The interval lies above 1.
    Faster,
    /// The interval lies below 1.
    Slower,
    WithinNoise,
}

/// One group of one side compared with one of the baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    pub case: Case,
    pub variant_a: String,
    pub variant_b: String,
    /// Runs each side measured this case in.
    pub runs_a: usize,
    pub runs_b: usize,
    /// Each side's figure: the median of its runs' figures.
    pub median_a: Quantity,
    pub median_b: Quantity,
    pub basis: Basis,
    /// B's throughput over A's (above 1, B is faster), with its interval.
    pub estimate: Estimate,
    pub verdict: Verdict,
}

/// The baseline against one other side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub b: SideSummary,
    pub pairs: Vec<Pair>,
    /// Usable groups of each side with no case on the other.
    pub unmatched_a: usize,
    pub unmatched_b: usize,
}

/// Everything `chipbench compare` says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub a: SideSummary,
    pub comparisons: Vec<Comparison>,
    /// Records left out because they did not pass or have no timing, over all sides.
    pub not_ok: usize,
}

/// One run's usable record.
struct Entry<'a> {
    record: &'a WorkloadRecord,
    samples: &'a [f64],
    figure: Quantity,
    cpu: bool,
}

/// A side's runs of one variant of one case.
struct Group<'a> {
    variant: &'a str,
    entries: Vec<Entry<'a>>,
}

impl Group<'_> {
    /// The median of the runs' figures.
    fn figure(&self) -> Quantity {
        let values: Vec<f64> = self.entries.iter().map(|e| e.figure.value).collect();
        Quantity::new(crate::model::median(&values), self.entries[0].figure.unit)
    }
}

type Groups<'a> = BTreeMap<Case, Vec<Group<'a>>>;

/// A side's usable records by case and variant, in the order they first appear, and how many
/// of its records were not usable.
fn groups(side: &Side) -> (Groups<'_>, Vec<Case>, usize) {
    let mut out: Groups = BTreeMap::new();
    let mut order = Vec::new();
    let mut left_out = 0;
    for result in &side.results {
        for record in &result.workloads {
            let usable = match (&record.timing, record.figure()) {
                (Some(t), Some(figure))
                    if record.status == Status::Ok && !t.samples_ns.is_empty() =>
                {
                    Some(Entry {
                        record,
                        samples: &t.samples_ns,
                        figure,
                        cpu: result.device.is_cpu(),
                    })
                }
                _ => None,
            };
            let Some(entry) = usable else {
                left_out += 1;
                continue;
            };
            let case = record.case();
            if !out.contains_key(&case) {
                order.push(case.clone());
            }
            let list = out.entry(case).or_default();
            match list.iter_mut().find(|g| g.variant == record.variant) {
                Some(g) => g.entries.push(entry),
                None => list.push(Group {
                    variant: &record.variant,
                    entries: vec![entry],
                }),
            }
        }
    }
    (out, order, left_out)
}

/// Whether the groups of one case pair like with like: the two sides share a variant name.
fn like_with_like(a: &[Group], b: &[Group]) -> bool {
    a.iter().any(|x| b.iter().any(|y| x.variant == y.variant))
}

fn partners(a: &Group, b: &Group, like: bool) -> bool {
    !like || a.variant == b.variant
}

fn pair(case: &Case, a: &Group, b: &Group) -> Pair {
    let (fa, fb) = (a.figure(), b.figure());
    let basis = if fa.unit == Unit::FlopPerSecond && fb.unit == Unit::FlopPerSecond {
        Basis::Flops
    } else {
        Basis::Bytes
    };
    fn runs<'a>(g: &Group<'a>, basis: Basis) -> Vec<Run<'a>> {
        g.entries
            .iter()
            .map(|e| Run {
                samples: e.samples,
                work: match basis {
                    Basis::Flops => e.record.flops_per_iter,
                    Basis::Bytes => e.record.bytes_per_iter,
                },
            })
            .collect()
    }
    let spread = |g: &Group| noise::run_to_run(&case.workload, g.entries[0].cpu);
    let estimate = bootstrap::estimate(&runs(a, basis), &runs(b, basis), spread(a), spread(b));
    let verdict = match (estimate.low > 1.0, estimate.high < 1.0) {
        (true, _) => Verdict::Faster,
        (_, true) => Verdict::Slower,
        _ => Verdict::WithinNoise,
    };
    Pair {
        case: case.clone(),
        variant_a: a.variant.to_string(),
        variant_b: b.variant.to_string(),
        runs_a: a.entries.len(),
        runs_b: b.entries.len(),
        median_a: fa,
        median_b: fb,
        basis,
        estimate,
        verdict,
    }
}

/// The baseline's groups against one other side's.
fn against(a: &Groups, order: &[Case], side: &Side) -> (Comparison, usize) {
    let (b, _, not_ok) = groups(side);
    let mut pairs = Vec::new();
    let mut unmatched_a = 0;
    for case in order {
        let a_list = &a[case];
        let Some(b_list) = b.get(case) else {
            unmatched_a += a_list.len();
            continue;
        };
        let like = like_with_like(a_list, b_list);
        for ga in a_list {
            let before = pairs.len();
            pairs.extend(
                b_list
                    .iter()
                    .filter(|gb| partners(ga, gb, like))
                    .map(|gb| pair(case, ga, gb)),
            );
            unmatched_a += usize::from(pairs.len() == before);
        }
    }
    let unmatched_b = b
        .iter()
        .map(|(case, b_list)| match a.get(case) {
            None => b_list.len(),
            Some(a_list) => {
                let like = like_with_like(a_list, b_list);
                b_list
                    .iter()
                    .filter(|gb| !a_list.iter().any(|ga| partners(ga, gb, like)))
                    .count()
            }
        })
        .sum();
    let c = Comparison {
        b: summary(side),
        pairs,
        unmatched_a,
        unmatched_b,
    };
    (c, not_ok)
}

/// Compares every side after the first with the first.
pub fn compare(sides: &[Side]) -> Report {
    let (baseline, rest) = sides.split_first().expect("at least one side");
    let (a, order, mut not_ok) = groups(baseline);
    let comparisons = rest
        .iter()
        .map(|side| {
            let (c, n) = against(&a, &order, side);
            not_ok += n;
            c
        })
        .collect();
    Report {
        a: summary(baseline),
        comparisons,
        not_ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Method, Numeric, Precision, Summary, Throughput, Timing};
    use crate::rng::Rng;

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
    fn result(workloads: Vec<WorkloadRecord>) -> RunResult {
        let mut r = RunResult::parse(include_str!(
            "../../results/nvidia/nvidia-h200/788c5ff8540abced7339f909a6e8162656f077571271ccf6faac048bbb59959e.json"
        ))
        .unwrap();
        r.workloads = workloads;
        r.seal();
        r
    }

    fn side(name: &str, runs: Vec<Vec<WorkloadRecord>>) -> Side {
        Side {
            argument: name.to_string(),
            results: runs.into_iter().map(result).collect(),
        }
    }

    fn noisy(center: f64, spread: f64, n: usize) -> Vec<f64> {
        let mut rng = Rng::new(n as u64 + center.to_bits());
        (0..n)
            .map(|_| center + spread * f64::from(rng.next_f32()))
            .collect()
    }

    fn matmul(variant: &str, inputs: Numeric, center: f64) -> WorkloadRecord {
        record(
            "matmul",
            variant,
            inputs,
            1e12,
            &noisy(center, center / 100.0, 20),
        )
    }

    #[test]
    fn pairs_by_workload_shape_and_precision() {
        let a = side(
            "a",
            vec![vec![
                matmul("coop-f16-f32acc", Numeric::F16, 4e6),
                matmul("tiled-f32", Numeric::F32, 4e6),
                record("fma", "f16", Numeric::F16, 1e12, &noisy(4e6, 4e4, 20)),
            ]],
        );
        let mut failed = matmul("cublas-f32", Numeric::F32, 1e6);
        failed.status = Status::Failed;
        failed.throughput = None;
        let b = side(
            "b",
            vec![vec![
                matmul("cublas-f16", Numeric::F16, 1e6),
                matmul("cublas-bf16", Numeric::Bf16, 1e6),
                failed,
            ]],
        );
        let r = compare(&[a, b]);
        let c = &r.comparisons[0];
        let names: Vec<(&str, &str)> = c
            .pairs
            .iter()
            .map(|p| (p.variant_a.as_str(), p.variant_b.as_str()))
            .collect();
        assert_eq!(names, [("coop-f16-f32acc", "cublas-f16")]);
        assert_eq!((c.unmatched_a, c.unmatched_b, r.not_ok), (2, 1, 1));
        let p = &c.pairs[0];
        assert!((p.estimate.ratio - 4.0).abs() < 0.1, "{p:?}");
        assert_eq!(p.verdict, Verdict::Faster);
        assert_eq!(p.basis, Basis::Flops);
    }

    #[test]
    fn a_side_compared_with_itself_shows_no_difference() {
        let records = vec![
            matmul("tiled", Numeric::F16, 4e6),
            matmul("coop", Numeric::F16, 1e6),
            record("copy", "y", Numeric::U32, 0.0, &noisy(5e5, 1e3, 23)),
        ];
        let a = side("a", vec![records.clone()]);
        let r = compare(&[a.clone(), a]);
        let c = &r.comparisons[0];
        let names: Vec<(&str, &str)> = c
            .pairs
            .iter()
            .map(|p| (p.variant_a.as_str(), p.variant_b.as_str()))
            .collect();
        assert_eq!(names, [("tiled", "tiled"), ("coop", "coop"), ("y", "y")]);
        assert_eq!(c.pairs[2].basis, Basis::Bytes);
        for p in &c.pairs {
            assert_eq!(p.estimate.ratio, 1.0);
            assert_eq!(p.verdict, Verdict::WithinNoise);
        }
    }

    #[test]
    fn a_device_side_groups_its_runs_of_a_variant() {
        let a = side(
            "a",
            vec![
                vec![matmul("coop", Numeric::F16, 1.0e6)],
                vec![matmul("coop", Numeric::F16, 1.2e6)],
            ],
        );
        let b = side(
            "b",
            vec![
                vec![matmul("coop", Numeric::F16, 1.1e6)],
                vec![matmul("coop", Numeric::F16, 0.95e6)],
            ],
        );
        let r = compare(&[a, b]);
        let p = &r.comparisons[0].pairs[0];
        assert_eq!((p.runs_a, p.runs_b), (2, 2));
        assert_eq!(p.estimate.method, bootstrap::Method::Hierarchical);
        assert_eq!(p.verdict, Verdict::WithinNoise);
    }
}

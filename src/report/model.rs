//! What a report says, independent of its format: per device, every measured case (the median
//! of its runs) with its statistics, its share of the chip's datasheet peak and of the
//! ceiling measured in the same run, the ratio to a vendor library measured on the same
//! machine, the export-control view and a training-cost line. Figures stay typed
//! ([`Quantity`]) until a format renders them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cost::{self, Compute, Context, Estimate, Evidence, Request, Tables};
use crate::dataset::{self, Standing, files};
use crate::model::{self, CaseKey, Ceiling, Numeric, RunResult, Source, Status, WorkloadRecord};
use crate::policy::measured::{Comparison, compare};
use crate::policy::{Chip, Database, Precision, Rule, Spec, rated};
use crate::quantity::{Quantity, Unit};

/// What a figure is rated against: a datasheet peak of its unit and precision, or the memory
/// bandwidth for bandwidth-bound work.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    /// "matrix fp16 peak", "memory bandwidth", or what a bound is.
    pub label: String,
    pub peak: Quantity,
    /// The figure over the peak.
    pub share: f64,
}

/// A chipbench figure beside the best vendor-library case of the same device and case.
#[derive(Debug, Clone, PartialEq)]
pub struct VendorRatio {
    pub variant: String,
    pub ratio: f64,
}

/// One measured case on a device: the median of the runs that measured it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub key: CaseKey,
    /// The execution unit the kernel ran on.
    pub execution_unit: model::Unit,
    /// Runs of the device that measured this case; the row is their median run.
    pub runs: usize,
    /// Median, fastest and slowest time of one iteration in the median run, in seconds.
    pub median_s: f64,
    pub min_s: f64,
    pub max_s: f64,
    pub cv: f64,
    pub figure: Quantity,
    /// FLOP per byte of required traffic; absent for pure data movement.
    pub intensity: Option<f64>,
    pub rating: Option<Rating>,
    pub vendor: Option<VendorRatio>,
    /// The figure over the ceiling measured in the same run.
    pub of_measured: Option<(Ceiling, f64)>,
}

impl Row {
    pub(crate) fn is_ours(&self) -> bool {
        self.key.source == Source::Chipbench
    }
}

/// Ceilings for the roofline: datasheet and measured, per execution unit and precision.
#[derive(Debug, Clone, PartialEq)]
pub struct Ceilings {
    pub datasheet_bandwidth: Option<Quantity>,
    /// ("vector f32", peak): the peak of each execution unit and precision.
    pub datasheet_compute: Vec<(String, Quantity)>,
    pub measured_bandwidth: Option<Quantity>,
    /// ("matrix f16", figure): the best measured case per execution unit and precision.
    pub measured_compute: Vec<(String, Quantity)>,
}

/// The chip a device maps to.
#[derive(Debug, Clone, PartialEq)]
pub struct ChipRef {
    pub id: String,
    /// "NVIDIA H200 SXM".
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeviceReport {
    pub device: String,
    /// A CPU implementation such as lavapipe: the numbers describe the host CPU.
    pub cpu: bool,
    /// Its `--quick` runs (small sizes, a short budget), kept apart from the full runs.
    pub quick: bool,
    pub chip: Option<ChipRef>,
    pub runs: usize,
    pub contributors: Vec<String>,
    pub rows: Vec<Row>,
    pub policy: Option<Comparison>,
    /// DeepSeek-V3's training on this device's chip, with the evidence its runs give, or why
    /// there is none (none at all for a CPU adapter, which is no chip).
    pub training: Option<Result<Estimate, String>>,
    /// Its runs' standing among the runs of its chip in this report: (standing, count).
    pub standing: Vec<(Standing, usize)>,
    pub ceilings: Ceilings,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub devices: Vec<DeviceReport>,
    /// Files that could not be read or are invalid, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Serving capability against TPP: every chip on its datasheet, and the reported devices
    /// on their measured bandwidth; or why the chart cannot be drawn. Present only in a report
    /// built with charts (`build`'s `charts`): fitting the serving model is most of a report's
    /// time, and only the HTML page draws it.
    pub deployment: Option<Result<Vec<DeploymentPoint>, String>>,
}

/// The model the deployment chart serves.
pub(crate) const DEPLOYMENT_MODEL: &str = "llama-3.1-70b";

/// One chip serving [`DEPLOYMENT_MODEL`] (fp8 weights and cache, one sequence of 4,096
/// tokens): decode tokens/s per GPU at the calibrated efficiency, beside its TPP.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentPoint {
    pub label: String,
    pub tpp: f64,
    pub decode_tokens_per_s_per_gpu: f64,
    /// On a measured bandwidth (a reported device) rather than the datasheet's.
    pub measured: bool,
}

/// The deployment chart's points: every chip of `db`, and each device of `devices` whose
/// evidence holds a measured copy. A chip that lacks a figure or cannot hold the model is left
/// off the chart; anything else is the chart's error.
fn deployment(
    db: &Database,
    tables: &Tables,
    evidence: &[Evidence],
    devices: &[DeviceReport],
) -> Result<Vec<DeploymentPoint>, String> {
    use crate::serve::ServeError;
    let arch = tables
        .catalog
        .architecture(DEPLOYMENT_MODEL)
        .ok_or_else(|| format!("{DEPLOYMENT_MODEL} has no architecture in data/models.toml"))?;
    let calibration = crate::serve::Calibration::shipped().map_err(|e| e.to_string())?;
    let request = crate::serve::Request::deployment();
    let point = |chip: &Chip, files: &[Evidence], label: String, measured: bool| {
        let r = crate::serve::rates(db, chip, None, files, request.weights, request.kv)?;
        if measured && !r.bandwidth.source.is_measured() {
            return Ok(None);
        }
        let s = crate::serve::serve(arch, r, &request, calibration, None)?;
        Ok(Some(DeploymentPoint {
            label,
            tpp: crate::policy::classify(&chip.spec(), Rule::Jan2026).tpp,
            decode_tokens_per_s_per_gpu: s.decode_tokens_per_s_per_gpu.central,
            measured,
        }))
    };
    let keep = |p: Result<Option<DeploymentPoint>, ServeError>| match p {
        Ok(p) => Ok(p),
        Err(e) if e.leaves_chip_out() => Ok(None),
        Err(e) => Err(e.to_string()),
    };
    let mut out = Vec::new();
    for c in &db.chips {
        out.extend(keep(point(c, &[], c.name.clone(), false))?);
    }
    for d in devices {
        let Some(chip) = d.chip.as_ref().and_then(|c| db.get(&c.id).ok()) else {
            continue;
        };
        out.extend(keep(point(
            chip,
            evidence,
            format!("{} (measured)", d.device),
            true,
        ))?);
    }
    Ok(out)
}

/// A result and the path it was read from (where its signature lies beside it).
pub type Named = (String, RunResult);

/// Reads every result under `paths` (files or directories) once, skipping those the dataset
/// would refuse (invalid or implausible), with the reason.
pub fn load(
    db: &Database,
    paths: &[PathBuf],
    allow_incomplete: bool,
) -> (Vec<Named>, Vec<(String, String)>) {
    let mut results = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut skipped = Vec::new();
    for p in paths {
        let list = if p.is_dir() {
            files(p)
        } else {
            vec![p.clone()]
        };
        for f in list {
            match dataset::read_with(db, &f, allow_incomplete) {
                // The same run named twice (`report results results`) counts once.
                Ok(r) if !seen.insert(r.id.clone()) => {}
                Ok(r) => results.push((f.display().to_string(), r)),
                Err(e) => skipped.push((f.display().to_string(), e)),
            }
        }
    }
    (results, skipped)
}

/// The execution units and precisions a device is summed up by: its ceilings on the roofline
/// and the lines of its headline.
pub(crate) const HEADLINE_UNITS: [(model::Unit, Numeric); 3] = [
    (model::Unit::Vector, Numeric::F32),
    (model::Unit::Vector, Numeric::F16),
    (model::Unit::Matrix, Numeric::F16),
];

/// The fastest row of `source` for which `pred` holds.
pub fn best(rows: &[Row], source: Source, pred: impl Fn(&Row) -> bool) -> Option<&Row> {
    rows.iter()
        .filter(|r| r.key.source == source && pred(r))
        .max_by(|a, b| a.figure.value.total_cmp(&b.figure.value))
}

/// The fastest compute case of `source` on `unit` at input format `n`.
pub(crate) fn best_compute(
    rows: &[Row],
    source: Source,
    unit: model::Unit,
    n: Numeric,
) -> Option<&Row> {
    best(rows, source, |r| {
        r.figure.unit == Unit::FlopPerSecond
            && r.execution_unit == unit
            && r.key.case.precision.inputs == n
    })
}

/// chipbench's fastest copy: the measured memory bandwidth.
pub(crate) fn best_copy(rows: &[Row]) -> Option<&Row> {
    best(rows, Source::Chipbench, |r| r.key.case.workload == "copy")
}

/// Which results and cases a report covers: a chip id, a workload and a source, each
/// optional (`--chip`, `--workload`, `--source`).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub chip: Option<String>,
    pub workload: Option<String>,
    pub source: Option<Source>,
}

impl Filter {
    /// `results` reduced to the runs of the chip and source asked for, each holding only the
    /// workload asked for; runs left with nothing are dropped.
    pub fn apply(&self, db: &Database, results: Vec<Named>) -> Vec<Named> {
        results
            .into_iter()
            .filter(|(_, r)| self.source.is_none_or(|s| r.source == s))
            .filter(|(_, r)| {
                self.chip
                    .as_ref()
                    .is_none_or(|id| db.for_result(r).is_some_and(|c| c.id == *id))
            })
            .filter_map(|(path, mut r)| {
                if let Some(w) = &self.workload {
                    r.workloads.retain(|x| x.workload == *w);
                }
                (!r.workloads.is_empty()).then_some((path, r))
            })
            .collect()
    }
}

/// Builds the report for `results` (each with the path it was read from), their standing
/// judged by `signers`; with `charts`, also what only the charts show.
pub fn build(
    db: &Database,
    tables: &Tables,
    signers: &crate::dataset::AllowedSigners,
    results: &[Named],
    skipped: Vec<(String, String)>,
    charts: bool,
) -> Report {
    // Every run given is evidence for every device: a vendor-library file calibrates the
    // training estimate of the chips of the same silicon too.
    // Quick runs (small sizes) are no evidence of what a chip delivers.
    let full: Vec<Named> = results
        .iter()
        .filter(|(_, r)| !r.settings.quick)
        .cloned()
        .collect();
    let evidence = Evidence::with_standing(db, signers, full);
    // A device's quick runs form a device report of their own: their sizes are not the full
    // runs', so neither their rows nor their headline mix with them.
    let mut by_device: BTreeMap<(&str, bool), Vec<&RunResult>> = BTreeMap::new();
    for (_, r) in results {
        by_device
            .entry((&r.device.name, r.settings.quick))
            .or_default()
            .push(r);
    }
    let devices: Vec<DeviceReport> = by_device
        .into_iter()
        .map(|((name, quick), runs)| device(db, tables, &evidence, name, quick, &runs))
        .collect();
    let deployment = charts.then(|| deployment(db, tables, &evidence, &devices));
    Report {
        devices,
        skipped,
        deployment,
    }
}

/// One run's measurement of a case, before the runs are reduced to their median.
struct Measured<'a> {
    run: &'a RunResult,
    record: &'a WorkloadRecord,
    figure: Quantity,
}

/// Every passed, timed record of `runs`, by case.
fn measured<'a>(runs: &[&'a RunResult]) -> BTreeMap<CaseKey, Vec<Measured<'a>>> {
    let mut by_case: BTreeMap<CaseKey, Vec<Measured>> = BTreeMap::new();
    for run in runs {
        for record in run.workloads.iter().filter(|w| w.status == Status::Ok) {
            let (Some(figure), Some(_)) = (record.figure(), &record.timing) else {
                continue;
            };
            by_case
                .entry(record.key(run.source))
                .or_default()
                .push(Measured {
                    run,
                    record,
                    figure,
                });
        }
    }
    by_case
}

/// What `record` is rated against on a chip of `spec`: its unit's peak at its precision, or
/// the memory bandwidth for bandwidth-bound work.
fn rating(chip: Option<&Chip>, spec: Option<&Spec>, m: &Measured) -> Option<Rating> {
    let (label, peak) = if m.record.bandwidth_bound() {
        let bw = chip?.memory_bandwidth_gbps?;
        (
            "memory bandwidth".to_string(),
            Quantity::new(bw * 1e9, Unit::BytePerSecond),
        )
    } else {
        let p = rated(spec?, m.record, m.run.source)?;
        (
            p.label(),
            Quantity::new(p.tflops * 1e12, Unit::FlopPerSecond),
        )
    };
    Some(Rating {
        share: m.figure.value / peak.value,
        label,
        peak,
    })
}

/// The median run of one case (the lower one of an even count), never the best.
fn row(chip: Option<&Chip>, spec: Option<&Spec>, key: CaseKey, mut runs: Vec<Measured>) -> Row {
    runs.sort_by(|a, b| a.figure.value.total_cmp(&b.figure.value));
    let count = runs.len();
    let m = runs.swap_remove((count - 1) / 2);
    let timing = m.record.timing.as_ref().expect("timed records only");
    let w = m.record;
    let of_measured = w.of_measured(&m.run.workloads, m.run.source);
    Row {
        execution_unit: w.unit(m.run.source),
        runs: count,
        median_s: timing.median_ns * 1e-9,
        min_s: timing.min_ns * 1e-9,
        max_s: timing.max_ns * 1e-9,
        cv: timing.cv,
        intensity: (w.flops_per_iter > 0.0).then(|| w.flops_per_iter / w.bytes_per_iter),
        rating: rating(chip, spec, &m),
        vendor: None,
        of_measured,
        figure: m.figure,
        key,
    }
}

/// Each chipbench row beside the best vendor-library row of the same case.
fn pair_with_vendor(rows: &mut [Row]) {
    let vendor: Vec<(CaseKey, Quantity)> = rows
        .iter()
        .filter(|r| !r.is_ours())
        .map(|r| (r.key.clone(), r.figure))
        .collect();
    for row in rows.iter_mut().filter(|r| r.is_ours()) {
        let best = vendor
            .iter()
            .filter(|(k, _)| k.case == row.key.case)
            .max_by(|a, b| a.1.value.total_cmp(&b.1.value));
        row.vendor = best.map(|(k, f)| VendorRatio {
            variant: k.variant.clone(),
            ratio: row.figure.value / f.value,
        });
    }
}

/// The roofline's ceilings for `rows` on a chip of `spec`.
fn ceilings(chip: Option<&Chip>, spec: Option<&Spec>, rows: &[Row]) -> Ceilings {
    let mut measured_compute = Vec::new();
    let mut datasheet_compute = Vec::new();
    for (unit, n) in HEADLINE_UNITS {
        let label = format!("{unit} {n}");
        if let Some(r) = best_compute(rows, Source::Chipbench, unit, n) {
            measured_compute.push((label.clone(), r.figure));
        }
        let peak = Precision::of(n).and_then(|p| spec?.peak(unit, p, Numeric::F32));
        if let Some(v) = peak {
            datasheet_compute.push((label, Quantity::new(v * 1e12, Unit::FlopPerSecond)));
        }
    }
    Ceilings {
        datasheet_bandwidth: chip
            .and_then(|c| c.memory_bandwidth_gbps)
            .map(|b| Quantity::new(b * 1e9, Unit::BytePerSecond)),
        datasheet_compute,
        measured_bandwidth: best_copy(rows).map(|r| r.figure),
        measured_compute,
    }
}

fn device(
    db: &Database,
    tables: &Tables,
    evidence: &[Evidence],
    name: &str,
    quick: bool,
    runs: &[&RunResult],
) -> DeviceReport {
    let chip = runs.iter().find_map(|r| db.for_result(r));
    let cpu = runs.iter().any(|r| r.device.is_cpu());
    let spec = chip.map(|c| c.spec());
    let mut rows: Vec<Row> = measured(runs)
        .into_iter()
        .map(|(key, m)| row(chip, spec.as_ref(), key, m))
        .collect();
    pair_with_vendor(&mut rows);
    // The measured side of the export-control line rests on the chip's best evidence: the
    // vendor library's run where there is one, else chipbench's.
    let policy = [Source::VendorLibrary, Source::Chipbench]
        .into_iter()
        .find_map(|source| {
            runs.iter()
                .filter(|r| r.source == source && !quick)
                .max_by_key(|r| r.workloads.len())
        })
        .map(|r| compare(db, r, Rule::Oct2023));
    let mut standing: BTreeMap<Standing, usize> = BTreeMap::new();
    for e in evidence
        .iter()
        .filter(|e| runs.iter().any(|r| r.id == e.result.id))
    {
        *standing.entry(e.standing).or_default() += 1;
    }
    let mut contributors: Vec<String> = runs.iter().filter_map(|r| r.contributor.clone()).collect();
    contributors.sort();
    contributors.dedup();
    DeviceReport {
        device: if quick {
            format!("{name} (quick sizes)")
        } else {
            name.to_string()
        },
        quick,
        cpu,
        chip: chip.map(|c| ChipRef {
            id: c.id.clone(),
            name: format!("{} {}", c.vendor, c.name),
        }),
        runs: runs.len(),
        contributors,
        ceilings: ceilings(chip, spec.as_ref(), &rows),
        rows,
        policy,
        training: (!cpu && !quick).then(|| training(db, tables, evidence, runs)),
        standing: standing.into_iter().collect(),
    }
}

/// The default input: the dataset.
pub fn default_paths() -> Vec<PathBuf> {
    vec![Path::new("results").to_path_buf()]
}

/// DeepSeek-V3 on this device's chip, on the evidence among the report's runs (a
/// vendor-library file if one is there, else the datasheet; chipbench's kernel only as a
/// labelled bound for a device with no chip entry).
fn training(
    db: &Database,
    tables: &Tables,
    evidence: &[Evidence],
    runs: &[&RunResult],
) -> Result<Estimate, String> {
    let own = |source: Source| {
        runs.iter()
            .filter(|r| r.source == source)
            .max_by_key(|r| r.workloads.len())
            .and_then(|r| evidence.iter().find(|e| e.result.id == r.id))
    };
    let req = Request {
        compute: Some(Compute::Model("deepseek-v3".into())),
        chip: runs
            .iter()
            .find_map(|r| db.for_result(r))
            .map(|c| c.id.clone()),
        result: own(Source::Chipbench).or_else(|| own(Source::VendorLibrary)),
        ..Request::default()
    };
    cost::estimate(&Context::new(db, tables, evidence), &req).map_err(|e| e.to_string())
}

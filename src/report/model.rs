//! What a report says, independent of its format: per device, every measured case with its
//! statistics, utilisation against the chip's datasheet, the ratio to a vendor library measured
//! on the same machine, the export-control view and a training-cost line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cost::{self, Compute, Context, Estimate, Evidence, Request, Tables};
use crate::dataset::{self, files};
use crate::model::{self, Numeric, RunResult, Source, Status, copy_bandwidth, measured_peak};
use crate::policy::measured::{Comparison, compare};
use crate::policy::{Database, Precision, Rule, rated};

/// One measured case (the best run of it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub source: String,
    pub workload: String,
    pub variant: String,
    pub precision: String,
    /// The accumulator format: a vendor case is set beside a chipbench one only when both
    /// inputs and accumulator match.
    pub accumulate: String,
    pub shape: String,
    pub median_ns: f64,
    pub min_ns: f64,
    pub max_ns: f64,
    pub cv: f64,
    pub value: f64,
    pub unit: &'static str,
    /// FLOP per byte of required traffic; absent for pure data movement.
    pub intensity: Option<f64>,
    /// The execution unit the kernel ran on.
    pub execution_unit: model::Unit,
    /// Value over the datasheet peak of that unit at this precision (or the memory bandwidth,
    /// for bandwidth-bound work).
    pub utilization: Option<f64>,
    /// What `utilization` divides by, e.g. "vector fp16 peak 133.8" or "memory 4800 GB/s".
    pub rated_against: Option<String>,
    /// The best vendor-library case on the same device, workload, shape and input precision.
    pub vendor_variant: Option<String>,
    pub vendor_ratio: Option<f64>,
    /// For bandwidth-bound work other than the copy: its GB/s over the best copy bandwidth
    /// measured in the same run (by chipbench or by the vendor library, as the row's source).
    pub copy_fraction: Option<f64>,
    /// For compute-bound work: its value over its unit's measured peak in the same run (the
    /// matrix-peak loop for the matrix units, the FMA loop for the vector units).
    pub peak_fraction: Option<f64>,
    /// "matrix peak" or "FMA peak", with `peak_fraction`.
    pub peak_label: Option<&'static str>,
}

/// Ceilings for the roofline: datasheet and measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ceilings {
    pub datasheet_bandwidth_gbps: Option<f64>,
    /// ("vector f32", TFLOP/s): the peak of each execution unit and precision.
    pub datasheet_compute: Vec<(String, f64)>,
    pub measured_bandwidth_gbps: Option<f64>,
    /// ("matrix f16", TFLOP/s): the best measured case per execution unit and precision.
    pub measured_compute: Vec<(String, f64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceReport {
    pub device: String,
    /// A CPU implementation such as lavapipe: the numbers describe the host CPU.
    pub cpu: bool,
    pub chip: Option<String>,
    pub chip_name: Option<String>,
    pub runs: usize,
    pub contributors: Vec<String>,
    pub rows: Vec<Row>,
    pub policy: Option<Comparison>,
    /// DeepSeek-V3's training on this device's chip, with the evidence its runs give.
    pub training: Option<Estimate>,
    /// Its runs' standing among the runs of its chip in this report: (standing, count).
    pub standing: Vec<(crate::dataset::Standing, usize)>,
    pub ceilings: Ceilings,
}

/// One workload's cases on a device, pivoted to be read at a glance: a row per shape and input
/// precision, a column per chipbench variant and per vendor-library variant, and the best
/// chipbench figure over the best vendor one at that shape and precision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadTable {
    pub workload: String,
    pub chipbench: Vec<String>,
    pub vendor: Vec<String>,
    pub rows: Vec<PivotRow>,
}

/// (value, unit) of one variant at one shape, where it ran.
pub type Cell = Option<(f64, &'static str)>;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PivotRow {
    pub shape: String,
    pub precision: String,
    pub chipbench: Vec<Cell>,
    pub vendor: Vec<Cell>,
    /// Best chipbench over best vendor library, where both ran.
    pub ratio: Option<f64>,
}

impl DeviceReport {
    /// The rows pivoted per workload, in the order the workloads first appear.
    pub fn by_workload(&self) -> Vec<WorkloadTable> {
        let mut tables: Vec<WorkloadTable> = Vec::new();
        let ours = |r: &Row| r.source == "chipbench";
        for r in &self.rows {
            if !tables.iter().any(|t| t.workload == r.workload) {
                tables.push(WorkloadTable {
                    workload: r.workload.clone(),
                    chipbench: Vec::new(),
                    vendor: Vec::new(),
                    rows: Vec::new(),
                });
            }
            let t = tables
                .iter_mut()
                .find(|t| t.workload == r.workload)
                .expect("just added");
            let columns = if ours(r) {
                &mut t.chipbench
            } else {
                &mut t.vendor
            };
            if !columns.contains(&r.variant) {
                columns.push(r.variant.clone());
            }
        }
        for t in &mut tables {
            let rows = self.rows.iter().filter(|r| r.workload == t.workload);
            let mut keys: Vec<(String, String)> = Vec::new();
            for r in rows.clone() {
                let key = (r.shape.clone(), format!("{}/{}", r.precision, r.accumulate));
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            for (shape, precision) in keys {
                let at = |mine: bool, variant: &str| -> Cell {
                    rows.clone()
                        .find(|r| {
                            ours(r) == mine
                                && r.variant == variant
                                && r.shape == shape
                                && format!("{}/{}", r.precision, r.accumulate) == precision
                        })
                        .map(|r| (r.value, r.unit))
                };
                let chipbench: Vec<Cell> = t.chipbench.iter().map(|v| at(true, v)).collect();
                let vendor: Vec<Cell> = t.vendor.iter().map(|v| at(false, v)).collect();
                let best = |cells: &[Cell]| {
                    cells
                        .iter()
                        .flatten()
                        .map(|(v, _)| *v)
                        .max_by(f64::total_cmp)
                };
                let ratio = best(&chipbench).zip(best(&vendor)).map(|(a, b)| a / b);
                t.rows.push(PivotRow {
                    shape,
                    precision,
                    chipbench,
                    vendor,
                    ratio,
                });
            }
        }
        tables
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub devices: Vec<DeviceReport>,
    /// Files that could not be read or are invalid, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Serving capability against TPP: every chip on its datasheet, and the reported devices
    /// on their measured bandwidth.
    pub deployment: Vec<DeploymentPoint>,
}

/// The model, formats and batch the deployment chart serves.
pub const DEPLOYMENT_MODEL: &str = "llama-3.1-70b";

/// One chip serving [`DEPLOYMENT_MODEL`] (fp8 weights and cache, one sequence of 4,096
/// tokens): decode tokens/s per GPU at the calibrated efficiency, beside its TPP.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentPoint {
    pub label: String,
    pub tpp: f64,
    pub decode_tokens_per_s_per_gpu: f64,
    /// On a measured bandwidth (a reported device) rather than the datasheet's.
    pub measured: bool,
}

/// The deployment chart's points: every chip of `db`, and each device of `devices` whose
/// evidence holds a measured copy.
fn deployment(
    db: &Database,
    tables: &Tables,
    evidence: &[Evidence],
    devices: &[DeviceReport],
) -> Vec<DeploymentPoint> {
    let (Ok(arch), Ok(efficiency)) = (
        tables.catalog.architecture(DEPLOYMENT_MODEL),
        crate::serve::calibrate(db, &tables.catalog),
    ) else {
        return Vec::new();
    };
    let setting = crate::serve::Setting {
        weights: Precision::Fp8,
        kv: Precision::Fp8,
        batch: 1.0,
        context: 4096.0,
        prompt: 1024.0,
        output: 256.0,
        gpus: None,
        fill: false,
    };
    let point = |chip: &crate::policy::Chip, files: &[Evidence], label: String, measured: bool| {
        let r = crate::serve::rates(db, chip, None, files, setting.weights, setting.kv).ok()?;
        if measured && !r.bandwidth_source.starts_with("measured") {
            return None;
        }
        let s = crate::serve::serve(arch, r, &setting, efficiency, None).ok()?;
        Some(DeploymentPoint {
            label,
            tpp: crate::policy::classify(&chip.spec(), Rule::Jan2026).tpp,
            decode_tokens_per_s_per_gpu: s.decode_tokens_per_s_per_gpu.central,
            measured,
        })
    };
    let rated = db
        .chips
        .iter()
        .filter_map(|c| point(c, &[], c.name.clone(), false));
    let measured = devices.iter().filter_map(|d| {
        let chip = db.get(d.chip.as_deref()?).ok()?;
        point(chip, evidence, format!("{} (measured)", d.device), true)
    });
    rated.chain(measured).collect()
}

/// Reads every result under `paths` (files or directories) once, skipping those the dataset
/// would refuse (invalid or implausible), with the reason.
pub fn load(db: &Database, paths: &[PathBuf]) -> (Vec<RunResult>, Vec<(String, String)>) {
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
            match dataset::read(db, &f) {
                // The same run named twice (`report results results`) counts once.
                Ok(r) if !seen.insert(r.id.clone()) => {}
                Ok(r) => results.push(r),
                Err(e) => skipped.push((f.display().to_string(), e)),
            }
        }
    }
    (results, skipped)
}

fn source_name(s: Source) -> String {
    match s {
        Source::Chipbench => "chipbench".into(),
        Source::VendorLibrary => "vendor-library".into(),
    }
}

/// The execution units and precisions a device is summed up by: its ceilings on the roofline
/// and the lines of its headline.
pub const HEADLINE_UNITS: [(model::Unit, Numeric); 3] = [
    (model::Unit::Vector, Numeric::F32),
    (model::Unit::Vector, Numeric::F16),
    (model::Unit::Matrix, Numeric::F16),
];

fn best(rows: &[Row], pred: impl Fn(&Row) -> bool) -> Option<&Row> {
    rows.iter()
        .filter(|r| r.source == "chipbench" && pred(r))
        .max_by(|a, b| a.value.total_cmp(&b.value))
}

/// chipbench's fastest compute case on `unit` at input format `n`.
pub fn best_compute(rows: &[Row], unit: model::Unit, n: Numeric) -> Option<&Row> {
    best(rows, |r| {
        r.unit == "TFLOP/s" && r.execution_unit == unit && r.precision == n.name()
    })
}

/// chipbench's fastest copy: the measured memory bandwidth.
pub fn best_copy(rows: &[Row]) -> Option<&Row> {
    best(rows, |r| r.workload == "copy")
}

/// Builds the report for `results`.
pub fn build(
    db: &Database,
    tables: &Tables,
    results: &[RunResult],
    skipped: Vec<(String, String)>,
) -> Report {
    // Every run given is evidence for every device: a vendor-library file calibrates the
    // training estimate of the chips of the same silicon too.
    let evidence = Evidence::with_standing(
        db,
        results.iter().map(|r| (r.id.clone(), r.clone())).collect(),
    );
    let mut by_device: BTreeMap<&str, Vec<&RunResult>> = BTreeMap::new();
    for r in results {
        by_device.entry(&r.device.name).or_default().push(r);
    }
    let devices: Vec<DeviceReport> = by_device
        .into_iter()
        .map(|(name, runs)| device(db, tables, &evidence, name, &runs))
        .collect();
    let deployment = deployment(db, tables, &evidence, &devices);
    Report {
        devices,
        skipped,
        deployment,
    }
}

fn device(
    db: &Database,
    tables: &Tables,
    evidence: &[Evidence],
    name: &str,
    runs: &[&RunResult],
) -> DeviceReport {
    let chip = runs.iter().find_map(|r| db.for_result(r));
    let spec = chip.map(|c| c.spec());
    // The best run of each case.
    let mut best: BTreeMap<(String, String, String, String), Row> = BTreeMap::new();
    for r in runs {
        let copy = copy_bandwidth(&r.workloads);
        for w in r.workloads.iter().filter(|w| w.status == Status::Ok) {
            let (Some((value, unit)), Some(timing)) = (w.headline(), &w.timing) else {
                continue;
            };
            let peak = measured_peak(&r.workloads, w, r.source);
            let rated: Option<(f64, String)> = if w.bandwidth_bound() {
                chip.and_then(|c| c.memory_bandwidth_gbps)
                    .map(|bw| (bw, format!("memory {bw:.0} GB/s")))
            } else {
                spec.as_ref()
                    .and_then(|s| rated(s, w, r.source))
                    .map(|p| (p.tflops, format!("{} {:.1}", p.label(), p.tflops)))
            };
            let row = Row {
                source: source_name(r.source),
                workload: w.workload.clone(),
                variant: w.variant.clone(),
                precision: w.precision.inputs.to_string(),
                accumulate: w.precision.accumulate.to_string(),
                shape: w.shape_label(),
                median_ns: timing.median_ns,
                min_ns: timing.min_ns,
                max_ns: timing.max_ns,
                cv: timing.cv,
                value,
                unit,
                intensity: (w.flops_per_iter > 0.0).then(|| w.flops_per_iter / w.bytes_per_iter),
                execution_unit: w.unit(r.source),
                utilization: rated.as_ref().map(|(p, _)| value / p),
                rated_against: rated.map(|(_, label)| label),
                vendor_variant: None,
                vendor_ratio: None,
                copy_fraction: w.copy_share(copy),
                peak_fraction: peak.map(|(p, _)| value / p),
                peak_label: peak.map(|(_, label)| label),
            };
            let key = (
                row.source.clone(),
                row.workload.clone(),
                row.variant.clone(),
                row.shape.clone(),
            );
            if best.get(&key).is_none_or(|b| row.value > b.value) {
                best.insert(key, row);
            }
        }
    }
    let mut rows: Vec<Row> = best.into_values().collect();
    let vendor: Vec<Row> = rows
        .iter()
        .filter(|r| r.source == "vendor-library")
        .cloned()
        .collect();
    for row in rows.iter_mut().filter(|r| r.source == "chipbench") {
        let m = vendor
            .iter()
            .filter(|v| {
                v.workload == row.workload
                    && v.shape == row.shape
                    && v.precision == row.precision
                    && v.accumulate == row.accumulate
            })
            .max_by(|a, b| a.value.total_cmp(&b.value));
        if let Some(v) = m {
            row.vendor_variant = Some(v.variant.clone());
            row.vendor_ratio = Some(row.value / v.value);
        }
    }
    let own: Vec<&&RunResult> = runs
        .iter()
        .filter(|r| r.source == Source::Chipbench)
        .collect();
    let policy = own
        .iter()
        .max_by_key(|r| r.workloads.len())
        .map(|r| compare(db, r, Rule::Oct2023));
    let training = training(db, tables, evidence, runs);
    let mut standing: BTreeMap<crate::dataset::Standing, usize> = BTreeMap::new();
    for e in evidence
        .iter()
        .filter(|e| runs.iter().any(|r| r.id == e.result.id))
    {
        *standing.entry(e.standing).or_default() += 1;
    }
    // Ceilings per execution unit and precision, drawn and labelled separately.
    let mut measured_compute = Vec::new();
    let mut datasheet_compute = Vec::new();
    for (unit, n) in HEADLINE_UNITS {
        let label = format!("{unit} {n}");
        if let Some(r) = best_compute(&rows, unit, n) {
            measured_compute.push((label.clone(), r.value));
        }
        let peak = Precision::of(n).and_then(|p| spec.as_ref()?.peak(unit, p, Numeric::F32));
        if let Some(v) = peak {
            datasheet_compute.push((label, v));
        }
    }
    let mut contributors: Vec<String> = runs.iter().filter_map(|r| r.contributor.clone()).collect();
    contributors.sort();
    contributors.dedup();
    DeviceReport {
        device: name.to_string(),
        cpu: runs.iter().any(|r| r.device.is_cpu()),
        chip: chip.map(|c| c.id.clone()),
        chip_name: chip.map(|c| format!("{} {}", c.vendor, c.name)),
        runs: runs.len(),
        contributors,
        ceilings: Ceilings {
            datasheet_bandwidth_gbps: chip.and_then(|c| c.memory_bandwidth_gbps),
            datasheet_compute,
            measured_bandwidth_gbps: best_copy(&rows).map(|r| r.value),
            measured_compute,
        },
        rows,
        policy,
        training,
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
) -> Option<Estimate> {
    let own = |source: Source| {
        runs.iter()
            .filter(|r| r.source == source)
            .max_by_key(|r| r.workloads.len())
            .and_then(|r| evidence.iter().position(|e| e.result.id == r.id))
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
    cost::estimate(&Context::new(db, tables, evidence), &req).ok()
}

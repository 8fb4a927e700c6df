//! The shared dataset in results/: what may enter it, where files go, and the index people
//! read first.
//!
//! A file enters only if it parses as schema `chipbench/result` v1, its id is the SHA-256 of
//! its content, every number it reports is backed by samples and a passed check, and no
//! figure exceeds what the chip it claims to be can do by its datasheet (throughput above the
//! peak at that precision, bandwidth above the memory's). It is stored, byte for byte, as
//! `results/<vendor>/<device>/<id>.json`, atomically; a file whose id is already in the tree is
//! a duplicate. The index (`results/index.csv`, `results/README.md`) is deterministic: the same
//! files give the same bytes.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::policy::{Chip, Database, Precision};
use crate::runner::{slug, vendor_name};
use crate::schema::{RunResult, Status, write_file_atomic};

/// Throughput may exceed a datasheet figure by this fraction (boost clocks, rounding).
const TOLERANCE: f64 = 0.05;

/// The precision of a workload's inputs, as the chip database names it.
pub fn precision_of(inputs: &str) -> Option<Precision> {
    match inputs {
        "f64" => Some(Precision::Fp64),
        "f32" => Some(Precision::Fp32),
        "tf32" => Some(Precision::Tf32),
        "bf16" => Some(Precision::Bf16),
        "f16" => Some(Precision::Fp16),
        "fp8" => Some(Precision::Fp8),
        "i8" | "int8" => Some(Precision::Int8),
        _ => None,
    }
}

/// The chip a result claims to have run on: its `device.chip`, else its adapter name.
pub fn chip_of<'a>(db: &'a Database, r: &RunResult) -> Option<&'a Chip> {
    r.device
        .chip
        .as_deref()
        .and_then(|id| db.get(id).ok())
        .or_else(|| db.for_adapter(&r.device.name))
}

/// Figures beyond what the mapped chip can do.
pub fn implausible(db: &Database, r: &RunResult) -> Vec<String> {
    let Some(chip) = chip_of(db, r) else {
        return Vec::new();
    };
    let spec = chip.spec();
    let mut out = Vec::new();
    for (i, w) in r.workloads.iter().enumerate() {
        let Some(t) = w.throughput.as_ref().filter(|_| w.status == Status::Ok) else {
            continue;
        };
        let at = format!("workloads[{i}] ({} {})", w.workload, w.variant);
        if let (Some(tflops), Some(p)) = (t.tflops, precision_of(&w.precision.inputs)) {
            // The fastest rated path for these inputs: any peak at this bit width or wider.
            let peak = Precision::ALL
                .iter()
                .filter(|q| q.bits(19) >= p.bits(19))
                .filter_map(|&q| spec.peak(q))
                .fold(None::<f64>, |m, v| Some(m.map_or(v, |m| m.max(v))));
            if let Some(peak) = peak.filter(|&pk| tflops > pk * (1.0 + TOLERANCE)) {
                out.push(format!(
                    "{at}: {tflops:.1} TFLOP/s at {} exceeds the {} datasheet peak of {peak:.1}",
                    w.precision.inputs, chip.name
                ));
            }
        }
        if w.bandwidth_bound() {
            if let Some(bw) = chip.memory_bandwidth_gbps {
                if t.gbps > bw * (1.0 + TOLERANCE) {
                    out.push(format!(
                        "{at}: {:.0} GB/s exceeds the {} memory bandwidth of {bw:.0} GB/s",
                        t.gbps, chip.name
                    ));
                }
            }
        }
    }
    out
}

/// Every reason a file may not enter the dataset; empty when it may.
pub fn problems(db: &Database, path: &Path) -> Result<RunResult, Vec<String>> {
    let (r, mut p) = RunResult::load_checked(path).map_err(|e| vec![e.to_string()])?;
    p.extend(implausible(db, &r));
    if p.is_empty() { Ok(r) } else { Err(p) }
}

/// Where a result belongs: `<vendor>/<device>/<id>.json` under the dataset root.
pub fn place(root: &Path, r: &RunResult) -> PathBuf {
    root.join(vendor_name(r.device.vendor_id))
        .join(slug(&r.device.name))
        .join(format!("{}.json", r.id))
}

/// Every `.json` result file under `root` (not the index), sorted.
pub fn files(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &mut out);
    out.sort();
    out
}

/// What `dataset add` did with one file.
#[derive(Debug, Clone, PartialEq)]
pub enum Added {
    Stored(PathBuf),
    Duplicate(PathBuf),
    Rejected(Vec<String>),
}

/// The ids already in the tree, with their files. Unreadable files are skipped here; `check`
/// reports them.
fn ids(root: &Path) -> BTreeMap<String, PathBuf> {
    files(root)
        .into_iter()
        .filter_map(|p| RunResult::load(&p).ok().map(|r| (r.id, p)))
        .collect()
}

/// Validates each file and stores the valid new ones under `root`.
pub fn add(db: &Database, root: &Path, paths: &[PathBuf]) -> Vec<(PathBuf, Added)> {
    let mut known = ids(root);
    paths
        .iter()
        .map(|path| {
            let outcome = match problems(db, path) {
                Err(reasons) => Added::Rejected(reasons),
                Ok(r) => match known.get(&r.id) {
                    Some(existing) => Added::Duplicate(existing.clone()),
                    None => {
                        let target = place(root, &r);
                        match copy_atomic(path, &target) {
                            Ok(()) => {
                                known.insert(r.id.clone(), target.clone());
                                Added::Stored(target)
                            }
                            Err(e) => Added::Rejected(vec![format!(
                                "could not write {}: {e}",
                                target.display()
                            )]),
                        }
                    }
                },
            };
            (path.clone(), outcome)
        })
        .collect()
}

/// Copies `from` to `to` through a temporary file in the target directory, then a rename.
fn copy_atomic(from: &Path, to: &Path) -> std::io::Result<()> {
    write_file_atomic(to, &fs::read(from)?)
}

/// Files under `root` that would not be accepted, with their reasons; ids that occur twice.
pub fn check(db: &Database, root: &Path) -> Vec<(PathBuf, Vec<String>)> {
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut bad = Vec::new();
    for path in files(root) {
        match problems(db, &path) {
            Err(reasons) => bad.push((path, reasons)),
            Ok(r) => {
                if let Some(first) = seen.get(&r.id) {
                    bad.push((path, vec![format!("duplicate of {}", first.display())]));
                } else {
                    seen.insert(r.id, path);
                }
            }
        }
    }
    bad
}

/// One row of the index: the best run of one case on one device.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IndexRow {
    pub device: String,
    pub chip: String,
    pub source: String,
    pub workload: String,
    pub variant: String,
    pub precision: String,
    pub shape: String,
    /// The best run's median-based figure.
    pub best: f64,
    pub unit: &'static str,
    pub runs: usize,
    /// The best run's file, relative to the dataset root.
    pub file: String,
}

/// Builds the index of every valid result under `root` (invalid files are left out; `check`
/// names them).
pub fn index(db: &Database, root: &Path) -> Vec<IndexRow> {
    let mut rows: BTreeMap<(String, String, String, String, String), IndexRow> = BTreeMap::new();
    for (path, r) in valid(db, files(root)) {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let chip = chip_of(db, &r).map(|c| c.id.clone()).unwrap_or_default();
        let source = serde_json::to_value(r.source)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        for w in r.workloads.iter().filter(|w| w.status == Status::Ok) {
            let Some((best, unit)) = w.headline() else {
                continue;
            };
            let shape = crate::report::table::shape(&w.shape);
            let key = (
                r.device.name.clone(),
                source.clone(),
                w.workload.clone(),
                w.variant.clone(),
                shape.clone(),
            );
            let row = rows.entry(key).or_insert_with(|| IndexRow {
                device: r.device.name.clone(),
                chip: chip.clone(),
                source: source.clone(),
                workload: w.workload.clone(),
                variant: w.variant.clone(),
                precision: format!("{}/{}", w.precision.inputs, w.precision.accumulate),
                shape,
                best,
                unit,
                runs: 0,
                file: rel.clone(),
            });
            row.runs += 1;
            if best > row.best || (best == row.best && rel < row.file) {
                row.best = best;
                row.file = rel.clone();
            }
        }
    }
    rows.into_values().collect()
}

/// The valid results among `paths`, in their order, validated on every core.
fn valid(db: &Database, paths: Vec<PathBuf>) -> Vec<(PathBuf, RunResult)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = paths.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .filter_map(|p| problems(db, p).ok().map(|r| (p.clone(), r)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// The index as CSV.
pub fn index_csv(rows: &[IndexRow]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "device",
        "chip",
        "source",
        "workload",
        "variant",
        "precision",
        "shape",
        "best",
        "unit",
        "runs",
        "file",
    ])
    .expect("in-memory CSV");
    for r in rows {
        w.write_record([
            r.device.as_str(),
            &r.chip,
            &r.source,
            &r.workload,
            &r.variant,
            &r.precision,
            &r.shape,
            &format!("{:.2}", r.best),
            r.unit,
            &r.runs.to_string(),
            &r.file,
        ])
        .expect("in-memory CSV");
    }
    String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("UTF-8 CSV")
}

/// Escapes text for a Markdown table cell.
pub fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// The index as the Markdown page results/README.md.
pub fn index_markdown(rows: &[IndexRow]) -> String {
    let mut out = String::from(
        "# The chipbench dataset\n\n\
         One JSON file per run (schema `chipbench/result` v1) under `<vendor>/<device>/`. This page \
         and `index.csv` are generated by `chipbench dataset index`: one row per device and case, \
         with the best run's figure (each run's figure is its median) and the number of runs. \
         `vendor-library` rows are vendor-library references measured on the same machine.\n\n\
         | device | chip | source | workload | variant | precision | shape | best | runs | file |\n\
         | --- | --- | --- | --- | --- | --- | --- | ---: | ---: | --- |\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.2} {} | {} | [{}…]({}) |\n",
            md_cell(&r.device),
            md_cell(&r.chip),
            r.source,
            md_cell(&r.workload),
            md_cell(&r.variant),
            md_cell(&r.precision),
            md_cell(&r.shape),
            r.best,
            r.unit,
            r.runs,
            md_cell(
                &r.file
                    .rsplit('/')
                    .next()
                    .unwrap_or(&r.file)
                    .chars()
                    .take(12)
                    .collect::<String>()
            ),
            r.file.replace(' ', "%20")
        ));
    }
    out
}

/// Writes results/index.csv and results/README.md.
pub fn write_index(db: &Database, root: &Path) -> std::io::Result<usize> {
    let rows = index(db, root);
    write_file_atomic(&root.join("index.csv"), index_csv(&rows).as_bytes())?;
    write_file_atomic(&root.join("README.md"), index_markdown(&rows).as_bytes())?;
    Ok(rows.len())
}

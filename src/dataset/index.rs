//! The index people read first: one row per device and case with the median run of its most
//! trusted runs (never the best one), as `results/index.csv` (full-precision numbers in base
//! units, one unit per column) and `results/README.md` (figures people read). Deterministic:
//! the same files give the same bytes. Read as a stream ([`Survey`]): what is held per run is
//! one figure per case.

use std::collections::BTreeMap;
use std::path::Path;

use super::signature::AllowedSigners;
use super::standing::{Standing, median_of_most_trusted};
use super::survey::Survey;
use super::tree::relative;
use crate::model::{CaseKey, Precision, Source, Status, Unit, read_regular, write_file_atomic};
use crate::policy::Database;
use crate::quantity::{self, Quantity};
use crate::text::{csv_safe, md_cell};

/// One row of the index: one case on one device, from the median run of its most trusted runs
/// (confirmed, else single, else unverified, outliers only where nothing else measured it).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    pub device: String,
    pub chip: String,
    pub source: Source,
    pub workload: String,
    pub variant: String,
    pub precision: Precision,
    pub shape: String,
    pub execution_unit: Unit,
    /// The median run's figure, in FLOP/s or byte/s.
    pub median: Quantity,
    /// The median run's median time of one iteration, in seconds.
    pub median_s: f64,
    /// Runs of this device that measured the case, whatever their standing.
    pub runs: usize,
    /// The median run's standing against the other runs of its chip.
    pub standing: Standing,
    /// The median run's file, relative to the dataset root.
    pub file: String,
}

/// One run's measurement of one case: its standing, figure, median time and file (an index
/// into the files read).
type Entry = (Standing, f64, (quantity::Unit, f64, usize));

/// What the index gathers of one device's case before its median run is chosen.
struct Group {
    chip: String,
    execution_unit: Unit,
    entries: Vec<Entry>,
}

/// Builds the index of every valid, complete result under `root` (other files are left out;
/// `check` names them), each run's standing from the signatures `signers` verify.
pub fn index(db: &Database, root: &Path, signers: &AllowedSigners) -> Vec<IndexRow> {
    let survey = Survey::of(db, root, signers);
    let mut files: Vec<String> = Vec::new();
    let mut groups: BTreeMap<(String, CaseKey), Group> = BTreeMap::new();
    let gathered = survey.each_run(db, |v| -> Result<(), std::convert::Infallible> {
        let file = files.len();
        files.push(relative(root, v.path));
        let r = &v.run;
        for w in r.workloads.iter().filter(|w| w.status == Status::Ok) {
            let (Some(figure), Some(t)) = (w.figure(), &w.timing) else {
                continue;
            };
            let group = groups
                .entry((r.device.name.clone(), w.key(r.source)))
                .or_insert_with(|| Group {
                    chip: r.device.chip.clone().unwrap_or_default(),
                    execution_unit: w.unit(r.source),
                    entries: Vec::new(),
                });
            let at = (figure.unit, t.median_ns * 1e-9, file);
            group.entries.push((v.standing, figure.value, at));
        }
        Ok(())
    });
    let Ok(_) = gathered;
    let mut rows: Vec<IndexRow> = groups
        .into_iter()
        .filter_map(|((device, key), g)| row(device, key, g, &files))
        .collect();
    rows.sort_by(|a, b| {
        let order = |r: &IndexRow| (r.source, r.workload.clone(), r.variant.clone());
        (&a.device, order(a)).cmp(&(&b.device, order(b)))
    });
    rows
}

/// The row of one device's case: its median run.
fn row(device: String, key: CaseKey, g: Group, files: &[String]) -> Option<IndexRow> {
    let runs = g.entries.len();
    let (standing, value, (unit, median_s, file)) = median_of_most_trusted(g.entries)?;
    Some(IndexRow {
        device,
        chip: g.chip,
        source: key.source,
        shape: key.case.shape.to_string(),
        workload: key.case.workload,
        variant: key.variant,
        precision: key.case.precision,
        execution_unit: g.execution_unit,
        median: Quantity::new(value, unit),
        median_s,
        runs,
        standing,
        file: files[file].clone(),
    })
}

/// The index as CSV: raw numbers in the base unit each column names.
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
        "execution_unit",
        "median_throughput_flop_per_s",
        "median_throughput_byte_per_s",
        "median_s",
        "runs",
        "standing",
        "file",
    ])
    .expect("in-memory CSV");
    for r in rows {
        let rate = |unit: quantity::Unit| {
            if r.median.unit == unit {
                r.median.value.to_string()
            } else {
                String::new()
            }
        };
        let text = [
            &r.device,
            &r.chip,
            r.source.name(),
            &r.workload,
            &r.variant,
            &r.precision.to_string(),
            &r.shape,
            r.execution_unit.name(),
        ]
        .map(csv_safe);
        let numbers = [
            rate(quantity::Unit::FlopPerSecond),
            rate(quantity::Unit::BytePerSecond),
            r.median_s.to_string(),
            r.runs.to_string(),
        ];
        let tail = [r.standing.name(), &r.file].map(csv_safe);
        w.write_record(text.iter().chain(&numbers).chain(&tail))
            .expect("in-memory CSV");
    }
    String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("UTF-8 CSV")
}

/// The index as the Markdown page results/README.md: figures at the scale that suits each.
pub fn index_markdown(rows: &[IndexRow]) -> String {
    let mut out = String::from(
        "# The chipbench dataset\n\n\
         One JSON file per run (schema `chipbench/result` v1) under `<vendor>/<device>/`. This page \
         and `index.csv` are generated by `chipbench dataset index`: one row per device and case, \
         with the figure (at its median time) of the median run among its most trusted runs, \
         never the best one, and the number of runs. `index.csv` has the same rows with full \
         numbers in base units (FLOP/s, byte/s, seconds); `chipbench dataset export` gives every \
         case of every run and every timing sample. `vendor-library` rows are vendor-library \
         references measured on the same machine. `standing` is the median run's place among \
         the runs of its chip: `unverified` unless its `.sig` is a signature by a key in \
         `allowed_signers`; a signed run is `confirmed` when a run signed by another listed \
         signer agrees within the noise, `outlier` when it lies far from the other signed runs, \
         `single` otherwise. Validation cannot catch a consistent forgery below the datasheet \
         peak; only runs by different signers that agree can, and unverified runs never confirm \
         or demote a signed one. The runs are licensed CC-BY 4.0 ([LICENSE](LICENSE)).\n\n\
         | device | chip | source | workload | variant | precision | shape | median run | runs | standing | file |\n\
         | --- | --- | --- | --- | --- | --- | --- | ---: | ---: | --- | --- |\n",
    );
    for r in rows {
        let name: String = r
            .file
            .rsplit('/')
            .next()
            .unwrap_or(&r.file)
            .chars()
            .take(12)
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | [{}…]({}) |\n",
            md_cell(&r.device),
            md_cell(&r.chip),
            r.source,
            md_cell(&r.workload),
            md_cell(&r.variant),
            r.precision,
            md_cell(&r.shape),
            r.median.human(),
            r.runs,
            r.standing.name(),
            md_cell(&name),
            r.file.replace(' ', "%20")
        ));
    }
    out
}

/// Writes results/index.csv and results/README.md.
/// Refuses (before anything is written) when `root` holds a README.md or index.csv that
/// this command did not write, such as a project's own README when pointed at its root, or
/// one that is not a regular file (a FIFO, a link to a device: read with the size cap, never
/// opened); and when `root/allowed_signers` cannot be read.
pub fn write_index(db: &Database, root: &Path) -> std::io::Result<usize> {
    for (name, starts) in [
        ("README.md", "# The chipbench dataset"),
        ("index.csv", "device,chip,"),
    ] {
        let path = root.join(name);
        let ours = || read_regular(&path).is_ok_and(|t| t.starts_with(starts.as_bytes()));
        if std::fs::symlink_metadata(&path).is_ok() && !ours() {
            return Err(std::io::Error::other(format!(
                "{} is not a dataset index chipbench wrote; {} is not a dataset root",
                path.display(),
                root.display()
            )));
        }
    }
    let signers = AllowedSigners::load(root).map_err(std::io::Error::other)?;
    let rows = index(db, root, &signers);
    write_file_atomic(&root.join("index.csv"), index_csv(&rows).as_bytes())?;
    write_file_atomic(&root.join("README.md"), index_markdown(&rows).as_bytes())?;
    Ok(rows.len())
}

//! `chipbench dataset export`: the dataset as researchers use it, as two tidy tables any
//! analysis tool reads. The cases table has one row per case per run (every record of every
//! valid, complete run: its run's provenance, signer and standing, the case, each shape
//! dimension in a column of its own, FLOPs and bytes per iteration, time statistics in seconds,
//! throughput in FLOP/s and byte/s, the check, status and reason); the samples table has
//! one row per timing sample, keyed by run id and case index. Raw numbers in base units, the
//! unit in the column name. Formats: CSV, Parquet, JSON Lines; the samples table goes beside
//! the cases table as `<stem>-samples.<ext>` ([`samples_path`]).
//!
//! The runs are streamed ([`Survey`]): standings come from a first pass over the signed runs,
//! the shape columns from a pass over every file's shapes, then each run is read, written and
//! dropped. Both tables are written to temporary files beside their targets and renamed over
//! them only when complete, so a failed export replaces nothing.

mod columns;
mod parquet;
mod sink;

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use self::columns::{Column, Kind, Row, SAMPLES, Value};
use self::sink::Sink;
use super::signature::{AllowedSigners, SignatureError};
use super::survey::{Survey, Visit};
use super::tree::relative;
use crate::model::io::{OutputError, temporary_beside};
use crate::model::{guard_output, same_beginning};
use crate::policy::Database;

pub use self::columns::MAX_SHAPE_COLUMNS;

/// The formats of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
    Jsonl,
}

impl Format {
    /// The file extension, and the default output's.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Jsonl => "jsonl",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Signers(#[from] SignatureError),
    #[error("writing {path}: {message}")]
    Write { path: String, message: String },
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    pub cases: PathBuf,
    pub samples: PathBuf,
    pub runs: usize,
    pub case_rows: u64,
    pub sample_rows: u64,
    /// Result files left out: invalid or incomplete (`dataset check` says why).
    pub skipped: usize,
    /// Shape keys that got no column of their own (they stay in the `shape` column).
    pub shape_keys_left_out: usize,
}

/// Where the samples table goes for cases table `out`: `<stem>-samples.<ext>` beside it.
pub fn samples_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().map_or_else(
        || "dataset".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let name = match out.extension() {
        Some(ext) => format!("{stem}-samples.{}", ext.to_string_lossy()),
        None => format!("{stem}-samples"),
    };
    out.with_file_name(name)
}

/// Told, as runs are written, how many of how many result files are done.
pub type Progress<'a> = dyn Fn(usize, usize) + 'a;

/// Exports the dataset at `root` as `format` to `out` and [`samples_path`]`(out)`. An existing
/// output is replaced only when it is an earlier export of the same format, or with `force`;
/// a file inside `root` never is.
pub fn export(
    db: &Database,
    root: &Path,
    format: Format,
    out: &Path,
    force: bool,
    progress: &Progress,
) -> Result<Exported, ExportError> {
    let signers = AllowedSigners::load(root)?;
    let samples = samples_path(out);
    for (path, table) in [(out, "cases"), (samples.as_path(), "samples")] {
        let ours = |p: &Path| earlier_export(p, format, table);
        guard_output(path, &[root], "an export", ours, force)?;
    }
    let survey = Survey::of(db, root, &signers);
    let (keys, left_out) = columns::shape_keys(&survey.files);
    let table = columns::cases(&keys);
    let mut done = Exported {
        cases: out.to_path_buf(),
        samples: samples.clone(),
        runs: 0,
        case_rows: 0,
        sample_rows: 0,
        skipped: 0,
        shape_keys_left_out: left_out,
    };
    let names: Vec<(&str, Kind)> = table.iter().map(|c| (c.name.as_str(), c.kind)).collect();
    let (cases_tmp, samples_tmp) = (Temporary::beside(out), Temporary::beside(&samples));
    let mut cases_sink = open(format, &cases_tmp.path, "cases", &names).map_err(writing(out))?;
    let mut samples_sink =
        open(format, &samples_tmp.path, "samples", &SAMPLES).map_err(writing(&samples))?;
    let total = survey.files.len();
    done.skipped = survey
        .each_run(db, |v| {
            write_run(
                &v,
                root,
                &table,
                &mut *cases_sink,
                &mut *samples_sink,
                &mut done,
            )?;
            progress(done.runs, total);
            Ok(())
        })
        .map_err(writing(out))?;
    cases_sink.finish().map_err(writing(out))?;
    samples_sink.finish().map_err(writing(&samples))?;
    cases_tmp.commit().map_err(writing(out))?;
    samples_tmp.commit().map_err(writing(&samples))?;
    Ok(done)
}

/// The error of a write to `path`.
fn writing(path: &Path) -> impl Fn(io::Error) -> ExportError + '_ {
    move |e| ExportError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Writes one run: a cases row per record, a samples row per timing sample.
fn write_run(
    v: &Visit,
    root: &Path,
    table: &[Column],
    cases: &mut dyn Sink,
    samples: &mut dyn Sink,
    done: &mut Exported,
) -> io::Result<()> {
    let file = relative(root, v.path);
    let id = || Value::Text(v.run.id.as_str().into());
    for (index, record) in v.run.workloads.iter().enumerate() {
        let row = Row {
            run: &v.run,
            file: &file,
            signer: v.signer,
            standing: v.standing,
            index,
            record,
        };
        let values: Vec<Value> = table.iter().map(|c| c.of(&row)).collect();
        cases.row(&values)?;
        done.case_rows += 1;
        let taken = record.timing.iter().flat_map(|t| t.samples_ns.iter());
        for (i, ns) in taken.enumerate() {
            let at = [
                id(),
                Value::Int(index as i64),
                Value::Int(i as i64),
                Value::Real(ns * 1e-9),
            ];
            samples.row(&at)?;
            done.sample_rows += 1;
        }
    }
    done.runs += 1;
    Ok(())
}

/// A writer of `format` for table `table` into a new file at `path`.
fn open(
    format: Format,
    path: &Path,
    table: &str,
    columns: &[(&str, Kind)],
) -> io::Result<Box<dyn Sink>> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let file = File::create(path)?;
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    Ok(match format {
        Format::Csv => Box::new(sink::Csv::new(file, &names)?),
        Format::Jsonl => Box::new(sink::Jsonl::new(file, &names)),
        Format::Parquet => Box::new(parquet::Parquet::new(file, table, columns)?),
    })
}

/// Whether the file at `path` is an earlier export of `table` in `format`: what may be
/// replaced without `--force`.
fn earlier_export(path: &Path, format: Format, table: &str) -> bool {
    match format {
        Format::Csv => {
            let second = if table == "cases" {
                "file"
            } else {
                "case_index"
            };
            same_beginning(path, format!("run_id,{second},").as_bytes())
        }
        Format::Jsonl => same_beginning(path, b"{\"run_id\":"),
        Format::Parquet => parquet::marked(path, table),
    }
}

/// A file being written beside its target, renamed over it by [`Temporary::commit`] and
/// removed if dropped before: `.<name>.<pid>.tmp`, as every atomic write of chipbench names
/// them, so that `dataset check` names one left in the dataset and `dataset add` removes it.
struct Temporary {
    path: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Temporary {
    fn beside(target: &Path) -> Temporary {
        Temporary {
            path: temporary_beside(target, "export"),
            target: target.to_path_buf(),
            committed: false,
        }
    }

    /// Syncs the file and renames it over the target.
    fn commit(mut self) -> io::Result<()> {
        File::open(&self.path)?.sync_all()?;
        fs::rename(&self.path, &self.target)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_go_beside_the_cases() {
        assert_eq!(
            samples_path(Path::new("out/data.csv")),
            Path::new("out/data-samples.csv")
        );
        assert_eq!(samples_path(Path::new("x")), Path::new("x-samples"));
    }
}

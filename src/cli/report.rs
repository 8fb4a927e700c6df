//! `chipbench report`: a report over result files or directories, filtered by chip, workload
//! and source, in one of five formats.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};

use super::{Fatal, OutputFormat};
use chipbench::cost::Tables;
use chipbench::model::{Source, guard_output, same_beginning, write_file_atomic};
use chipbench::policy::Database;
use chipbench::report::model::{self, Filter};
use chipbench::report::view;

#[derive(clap::Args)]
pub struct ReportArgs {
    /// Result files or directories (default: results).
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Write to this file instead of standard output. An existing file is replaced only when
    /// it is an earlier report of the same format (or with --force), never when it is one of
    /// the inputs.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing --out file even when it is not a report of this format.
    #[arg(long, requires = "out")]
    force: bool,
    /// Read incomplete (interrupted) runs too.
    #[arg(long)]
    allow_incomplete: bool,
    /// Only the runs of this chip (an id from `chipbench chips`).
    #[arg(long)]
    chip: Option<String>,
    /// Only this workload (fma, copy, matrix-peak, matmul, attention, decode, gemv).
    #[arg(long)]
    workload: Option<String>,
    /// Only runs of this source: chipbench or vendor-library.
    #[arg(long, value_parser = source)]
    source: Option<Source>,
}

fn source(s: &str) -> Result<Source, String> {
    chipbench::input::named(
        "source",
        s,
        &[Source::Chipbench, Source::VendorLibrary],
        Source::name,
    )
}

/// The filter the options ask for, each name checked against what exists.
fn filter(db: &Database, a: &ReportArgs) -> Result<Filter, Fatal> {
    let chip = a
        .chip
        .as_deref()
        .map(|c| db.resolve(c).map(|c| c.id.clone()))
        .transpose()?;
    if let Some(w) = &a.workload {
        if !chipbench::model::WORKLOADS.contains(&w.as_str()) {
            return Err(anyhow!(
                "--workload {w:?} is not a workload; known: {}",
                chipbench::model::WORKLOADS.join(", ")
            )
            .into());
        }
    }
    Ok(Filter {
        chip,
        workload: a.workload.clone(),
        source: a.source,
    })
}

pub fn report_cmd(a: &ReportArgs) -> Result<ExitCode, Fatal> {
    let paths = if a.paths.is_empty() {
        model::default_paths()
    } else {
        a.paths.clone()
    };
    for p in &paths {
        if !p.exists() {
            return Err(anyhow!("{} does not exist", p.display()).into());
        }
    }
    let db = Database::load()?;
    let tables = Tables::load(&db).map_err(super::cost_error)?;
    let filter = filter(&db, a)?;
    let (results, skipped) = model::load(&db, &paths, a.allow_incomplete);
    let results = filter.apply(&db, results);
    if results.is_empty() {
        if let Some((file, why)) = skipped.first() {
            return Err(anyhow!("no valid result files: {file}: {why}").into());
        }
        return Err(anyhow!(
            "no valid result files{} in {}",
            if a.chip.is_some() || a.workload.is_some() || a.source.is_some() {
                " that match the filter"
            } else {
                ""
            },
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into());
    }
    let signers = chipbench::dataset::signers_of(&paths)?;
    let format = a.format.view();
    let charts = format == chipbench::view::Format::Html;
    let report = model::build(&db, &tables, &signers, &results, skipped, charts);
    let doc = view::document(&db, &report);
    let text = match format {
        chipbench::view::Format::Html => chipbench::view::html(&doc, "chipbench report"),
        f => chipbench::view::render(&doc, f),
    };
    match &a.out {
        Some(path) => {
            let inputs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
            let ours = |p: &Path| same_beginning(p, text.as_bytes());
            guard_output(path, &inputs, "a report of this format", ours, a.force)?;
            write_file_atomic(path, text.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

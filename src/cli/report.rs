//! `chipbench report`: a report over result files or directories, in one of five formats.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};

use super::Fatal;
use chipbench::cost::Tables;
use chipbench::model::write_file_atomic;
use chipbench::policy::Database;
use chipbench::report::model::{self, Report};
use chipbench::report::{formats, html};

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned terminal table.
    Table,
    Markdown,
    Csv,
    Json,
    /// One self-contained page with SVG charts.
    Html,
}

pub fn report_cmd(
    paths: &[PathBuf],
    format: Format,
    out: Option<&Path>,
) -> Result<ExitCode, Fatal> {
    let render: fn(&Database, &Report) -> String = match format {
        Format::Table => |_, r| formats::table(r),
        Format::Markdown => |_, r| formats::markdown(r),
        Format::Csv => |_, r| formats::csv(r),
        Format::Json => |_, r| formats::json(r),
        Format::Html => html::render,
    };
    let paths = if paths.is_empty() {
        model::default_paths()
    } else {
        paths.to_vec()
    };
    for p in &paths {
        if !p.exists() {
            return Err(anyhow!("{} does not exist", p.display()).into());
        }
    }
    let db = Database::load()?;
    let tables = Tables::load()?;
    let (results, skipped) = model::load(&db, &paths);
    if results.is_empty() {
        return Err(anyhow!(
            "no valid result files in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into());
    }
    let report = model::build(&db, &tables, &results, skipped);
    let text = render(&db, &report);
    match out {
        Some(path) => {
            write_file_atomic(path, text.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

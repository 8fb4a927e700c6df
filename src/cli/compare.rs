//! `chipbench compare`: the throughput of each case of one or more results against a baseline,
//! with a bootstrap interval and a verdict only where the difference is beyond the noise.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;

use super::Fatal;
use chipbench::compare::{self, Report};
use chipbench::policy::Database;

/// The comparison formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned terminal table.
    Table,
    Markdown,
    Csv,
    Json,
}

#[derive(clap::Args)]
pub struct CompareArgs {
    /// Result files, or device names (a case-insensitive part of the device name: every valid
    /// file of that device under --root). The first is the baseline A; each other is a B.
    #[arg(value_name = "RESULT")]
    results: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// The dataset device names are looked up in.
    #[arg(long, default_value = "results")]
    root: PathBuf,
}

pub fn compare_cmd(args: &CompareArgs) -> Result<ExitCode, Fatal> {
    if args.results.len() < 2 {
        return Err(anyhow!(
            "compare needs at least two results (files or device names): a baseline and one to \
             compare with it; got {}",
            args.results.len()
        )
        .into());
    }
    let db = Database::load()?;
    let sides = args
        .results
        .iter()
        .map(|a| compare::resolve(&db, a, &args.root))
        .collect::<Result<Vec<_>, String>>()
        .map_err(|e| anyhow!(e))?;
    let report = compare::compare(&sides);
    let render: fn(&Report) -> String = match args.format {
        Format::Table => compare::table,
        Format::Markdown => compare::markdown,
        Format::Csv => compare::csv,
        Format::Json => compare::json,
    };
    print!("{}", render(&report));
    eprintln!("{}", compare::closing_line(&report));
    Ok(ExitCode::SUCCESS)
}

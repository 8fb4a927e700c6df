//! `chipbench compare`: the throughput of each case of one or more results against a baseline,
//! with an interval that holds the noise within and between runs, and a verdict only where it
//! excludes 1.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;

use super::{Fatal, OutputFormat};
use chipbench::compare;
use chipbench::policy::Database;

#[derive(clap::Args)]
pub struct CompareArgs {
    /// Result files, or device names (a case-insensitive part of the device name: every valid
    /// file of that device under --root). The first is the baseline A; each other is a B.
    #[arg(value_name = "RESULT")]
    results: Vec<String>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// The dataset device names are looked up in.
    #[arg(long, default_value = "results")]
    root: PathBuf,
    /// Read incomplete (interrupted) runs too.
    #[arg(long)]
    allow_incomplete: bool,
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
    let format = args.format.without_html("compare")?;
    let db = Database::load()?;
    let sides = args
        .results
        .iter()
        .map(|a| compare::resolve(&db, a, &args.root, args.allow_incomplete))
        .collect::<Result<Vec<_>, String>>()
        .map_err(|e| anyhow!(e))?;
    let report = compare::compare(&sides);
    print!(
        "{}",
        chipbench::view::render(&compare::view::document(&report), format)
    );
    eprintln!("{}", compare::view::closing_line(&report));
    Ok(ExitCode::SUCCESS)
}

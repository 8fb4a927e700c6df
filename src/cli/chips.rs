//! `chipbench chips`: the chip database (or an Epoch AI import) with TPP, performance density
//! and classification under a rule vintage.

use std::path::Path;
use std::process::ExitCode;

use super::{Fatal, OutputFormat};
use chipbench::policy::view::chips_document;
use chipbench::policy::{DISCLAIMER, Database, Rule, check_against_epoch, import_epoch};
use chipbench::view::{Format, render};

/// Epoch AI's ML hardware CSV as chip entries, with how far chipbench's TPP agrees with
/// Epoch's column (on stderr).
fn imported(path: &Path) -> Result<Vec<chipbench::policy::Chip>, Fatal> {
    let list = import_epoch(path)?;
    let checks = check_against_epoch(&list);
    let agree = checks.iter().filter(|c| c.agrees_tf32_as_19).count();
    eprintln!(
        "{} rows imported; chipbench's TPP agrees with Epoch's column for {agree} of {} rows \
         that have it (TF32 as 19 bits), {} with TF32 as 32 bits",
        list.len(),
        checks.len(),
        checks.iter().filter(|c| c.agrees_tf32_as_32).count()
    );
    for c in checks.iter().filter(|c| !c.agrees_tf32_as_19) {
        eprintln!("  {}: {}", c.id, c.reason.as_deref().unwrap_or(""));
    }
    Ok(list)
}

pub fn chips(
    import: Option<&Path>,
    rule: Rule,
    format: OutputFormat,
    json: bool,
) -> Result<ExitCode, Fatal> {
    let format = format.or_json(json, "chips")?;
    let list = match import {
        Some(path) => imported(path)?,
        None => Database::load()?.chips,
    };
    print!("{}", render(&chips_document(&list, rule), format));
    if matches!(format, Format::Json | Format::Csv) {
        eprintln!("{DISCLAIMER}");
    }
    Ok(ExitCode::SUCCESS)
}

//! `chipbench chips`: the chip database (or an Epoch AI import) with TPP, performance density
//! and classification under a rule vintage.

use std::path::Path;
use std::process::ExitCode;

use super::Fatal;
use chipbench::policy::{DISCLAIMER, Database, Rule, check_against_epoch, classify, import_epoch};

pub fn chips(import: Option<&Path>, rule: Rule, json: bool) -> Result<ExitCode, Fatal> {
    let list = match import {
        Some(path) => {
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
            list
        }
        None => Database::load()?.chips,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        eprintln!("{DISCLAIMER}");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<34} {:<30} {:>4} {:>3} {:>8} {:<6} {:>6} {:<15} {:>9}  notes",
        "id",
        "name",
        "year",
        "DC",
        "TPP",
        "argmax",
        "PD",
        format!("class {rule}"),
        "mem GB/s"
    );
    for c in &list {
        let spec = c.spec();
        if spec.validate().is_err() {
            continue;
        }
        let v = classify(&spec, rule);
        let dc = match c.datacenter {
            Some(true) => "yes",
            Some(false) => "no",
            None => "?",
        };
        let mut notes = Vec::new();
        if let Some(r) = &v.licence_review {
            notes.push(format!(
                "US->China/Macau: {}",
                r.policy
                    .split([',', ' '])
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        if let Some(l) = &c.licence_letter {
            notes.push(format!("licence letter {}", l.date));
        }
        println!(
            "{:<34} {:<30} {:>4} {:>3} {:>8.0} {:<6} {:>6} {:<15} {:>9}  {}",
            c.id,
            c.name.chars().take(30).collect::<String>(),
            c.year.map_or("-".to_string(), |y| y.to_string()),
            dc,
            v.tpp,
            v.argmax_precision.name(),
            v.performance_density
                .map_or("-".to_string(), |p| format!("{p:.2}")),
            v.clause.unwrap_or(v.classification.name()),
            c.memory_bandwidth_gbps
                .map_or("-".to_string(), |b| format!("{b:.0}")),
            notes.join("; "),
        );
    }
    println!("{DISCLAIMER}");
    Ok(ExitCode::SUCCESS)
}

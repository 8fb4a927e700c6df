//! `chipbench devices`: every adapter with the features and limits that matter, and the chip
//! each maps to.

use std::process::ExitCode;

use anyhow::anyhow;

use super::Fatal;
use chipbench::device::{discover, no_adapter_message};
use chipbench::model::DeviceInfo;
use chipbench::policy::Database;
use chipbench::run::with_chips;

pub fn devices(json: bool) -> Result<ExitCode, Fatal> {
    let found = discover();
    if found.reports.is_empty() {
        return Err(anyhow!(no_adapter_message()).into());
    }
    let devices = with_chips(&found, &Database::load()?);
    if json {
        println!("{}", serde_json::to_string_pretty(&devices)?);
    } else {
        for r in &devices {
            print!("{}", describe(r));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn describe(r: &DeviceInfo) -> String {
    let coop = if r.cooperative_matrix.is_empty() {
        "none".to_string()
    } else {
        r.cooperative_matrix
            .iter()
            .map(|c| format!("{}x{}x{} {}->{}", c.m, c.n, c.k, c.ab_type, c.cr_type))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let l = &r.limits;
    format!(
        "[{}] {} ({}, {}){}\n    driver: {} {}; vendor 0x{:04x}, device 0x{:04x}; subgroup size {}..{}\n    \
         timestamps: {}, f16: {}, subgroups: {}, cooperative matrices: {}\n    \
         limits: buffer {}, storage binding {}, workgroup memory {} KiB, {} invocations per workgroup\n",
        r.index,
        r.name,
        r.device_type.name(),
        r.backend,
        r.chip
            .as_deref()
            .map(|c| format!(", chip {c}"))
            .unwrap_or_default(),
        r.driver,
        r.driver_info,
        r.vendor_id,
        r.device_id,
        r.subgroup_min_size,
        r.subgroup_max_size,
        yes(r.timestamp_queries),
        yes(r.shader_f16),
        yes(r.subgroups),
        coop,
        gib(l.max_buffer_size),
        gib(l.max_storage_buffer_binding_size),
        l.max_compute_workgroup_storage_size / 1024,
        l.max_compute_invocations_per_workgroup,
    )
}

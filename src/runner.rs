//! Runs the planned workload cases on one device and keeps its result file current.
//!
//! The file is rewritten (atomically) after every case, so Ctrl-C, a failing workload or a
//! device lost mid-run keeps everything that already finished. A case that panics or fails is
//! recorded as `failed` with its reason and the run goes on; a lost device fails the cases left.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

use crate::conditions::Conditions;
use crate::gpu::{AdapterReport, Context, Discovery, GpuError};
use crate::host::Host;
use crate::schema::{
    RunResult, SCHEMA, SchemaError, Settings, Source, Status, Throughput, Tool, VERSION,
    WorkloadRecord,
};
use crate::timing::Budget;
use crate::workloads::{Case, CaseError, Measured, Scale, Sizing, Workload};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Gpu(#[from] GpuError),
    #[error("{0}")]
    Schema(#[from] SchemaError),
}

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub workloads: Vec<Workload>,
    pub quick: bool,
    pub contributor: Option<String>,
}

/// The problem sizes for an adapter.
pub fn sizing(report: &AdapterReport, quick: bool) -> Sizing {
    let scale = if quick {
        Scale::Quick
    } else if report.is_cpu() {
        Scale::Cpu
    } else {
        Scale::Gpu
    };
    Sizing {
        scale,
        max_binding: report
            .limits
            .max_storage_buffer_binding_size
            .min(report.limits.max_buffer_size),
    }
}

/// A lowercase name safe to use as one path component: letters, digits and single dashes.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let t: String = out.trim_matches('-').chars().take(64).collect();
    let t = t.trim_end_matches('-').to_string();
    if t.is_empty() {
        "unknown".to_string()
    } else {
        t
    }
}

/// A short lowercase vendor name for paths, from the PCI vendor id.
pub fn vendor_name(vendor_id: u32) -> String {
    match vendor_id {
        0x10de => "nvidia".into(),
        0x1002 | 0x1022 => "amd".into(),
        0x8086 => "intel".into(),
        0x106b => "apple".into(),
        0x13b5 => "arm".into(),
        0x5143 => "qualcomm".into(),
        0x10005 => "mesa".into(),
        other => format!("vendor-{other:04x}"),
    }
}

/// The default result path: `results/<vendor>/<device>/<UTC time>.json`.
pub fn default_path(root: &Path, report: &AdapterReport) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    root.join(vendor_name(report.vendor_id))
        .join(slug(&report.name))
        .join(format!("{stamp}.json"))
}

fn record(case: &Case, outcome: Result<Measured, CaseError>) -> WorkloadRecord {
    let shape: BTreeMap<String, u64> = case
        .shape
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    let mut r = WorkloadRecord {
        workload: case.workload.id().to_string(),
        variant: case.variant.to_string(),
        precision: case.precision.clone(),
        shape,
        config: case.config.clone(),
        flops_per_iter: case.flops,
        bytes_per_iter: case.bytes,
        status: Status::Ok,
        reason: None,
        timing: None,
        throughput: None,
        check: None,
    };
    match outcome {
        Ok(m) => {
            if let Some(tuned) = &m.tuned {
                r.config = format!("{}; {tuned}", r.config);
            }
            r.throughput = Some(Throughput::at(case.flops, case.bytes, m.timing.median_ns));
            r.timing = Some(m.timing);
            r.check = Some(m.check);
        }
        Err(CaseError::Unsupported(why)) => {
            r.status = Status::Unsupported;
            r.reason = Some(why);
        }
        Err(CaseError::Failed(why, check)) => {
            r.status = Status::Failed;
            r.reason = Some(why);
            r.check = check;
        }
    }
    r
}

fn run_case(ctx: &Context, case: &Case, budget: &Budget) -> Result<Measured, CaseError> {
    let outcome = catch_unwind(AssertUnwindSafe(|| case.workload.run(ctx, case, budget)))
        .unwrap_or_else(|panic| {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown".into());
            Err(CaseError::Failed(format!("internal error: {msg}"), None))
        });
    // An asynchronous device error during the case voids its number.
    match (outcome, ctx.health()) {
        (Ok(_), Err(e)) => Err(e.into()),
        (outcome, _) => outcome,
    }
}

/// Runs `options` on adapter `index`, writing `out` after every case. Returns the final result.
pub fn run_device(
    discovery: &Discovery,
    index: usize,
    options: &RunOptions,
    out: &Path,
    bar: &ProgressBar,
    stop: &AtomicBool,
) -> Result<RunResult, RunError> {
    let ctx = Context::open(discovery, index)?;
    let report = ctx.report.clone();
    let pci = discovery.adapters[index].get_info().device_pci_bus_id;
    let budget = if options.quick {
        Budget::quick()
    } else {
        Budget::full()
    };
    let cases: Vec<Case> = options
        .workloads
        .iter()
        .flat_map(|w| w.plan(&sizing(&report, options.quick)))
        .collect();

    let mut result = RunResult {
        schema: SCHEMA.to_string(),
        version: VERSION,
        id: String::new(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        source: Source::Chipbench,
        complete: false,
        tool: Tool::this(),
        host: Host::this(),
        device: report.clone(),
        conditions: Conditions::before(report.vendor_id, &pci),
        settings: Settings {
            quick: options.quick,
            budget,
            shader_runtime_checks: "trusted: bounds checks and loop bounding off".to_string(),
            workgroup_memory_zero_init: false,
        },
        workloads: Vec::new(),
        contributor: options.contributor.clone(),
    };
    result.seal();
    result.write_atomic(out)?;

    bar.set_length(cases.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut lost: Option<String> = None;
    for case in &cases {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        bar.set_message(format!(
            "{} {} {}",
            case.workload,
            case.variant,
            case.shape_label()
        ));
        let outcome = match &lost {
            Some(why) => Err(CaseError::Failed(format!("not run: {why}"), None)),
            None => run_case(&ctx, case, &budget),
        };
        if lost.is_none() {
            if let Err(GpuError::Lost(why)) = ctx.health() {
                lost = Some(format!("device lost: {why}"));
            } else if let Err(CaseError::Failed(why, _)) = &outcome {
                if why.starts_with("device lost") {
                    lost = Some(why.clone());
                }
            }
        }
        result.workloads.push(record(case, outcome));
        result.seal();
        result.write_atomic(out)?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    result.conditions.finish(report.vendor_id, &pci);
    result.complete = !stop.load(Ordering::SeqCst) && result.workloads.len() == cases.len();
    result.seal();
    result.write_atomic(out)?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_cannot_escape_a_directory() {
        assert_eq!(slug("NVIDIA H200"), "nvidia-h200");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(
            slug("llvmpipe (LLVM 15.0.6, 256 bits)"),
            "llvmpipe-llvm-15-0-6-256-bits"
        );
        assert_eq!(slug("///"), "unknown");
        assert!(slug(&"x".repeat(500)).len() <= 64);
    }

    #[test]
    fn unsupported_and_failed_records_carry_no_number() {
        let case = Workload::Copy.plan(&Sizing {
            scale: Scale::Quick,
            max_binding: 1 << 30,
        })[0]
            .clone();
        let r = record(&case, Err(CaseError::Unsupported("no f16".into())));
        assert_eq!(
            (r.status, r.throughput.is_none(), r.timing.is_none()),
            (Status::Unsupported, true, true)
        );
        let f = record(&case, Err(CaseError::Failed("check failed".into(), None)));
        assert_eq!((f.status, f.throughput.is_none()), (Status::Failed, true));
    }
}

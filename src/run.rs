//! The run layer: joins the device, the bench and the result model. Runs the planned workload
//! cases on one device and keeps its result file current; maps the adapter to its chip, once.
//!
//! The partial file is rewritten (atomically) after every case, so Ctrl-C, a failing workload
//! or a device lost mid-run keeps everything that already finished. It is kept beside the
//! target ([`partial_path`]) and takes the target's place only when the run completes, so an
//! interrupted run never destroys a complete result already there. A case that panics or
//! fails is recorded as `failed` with its reason and the run goes on; a lost device fails the
//! cases left.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::bench::{Case, CaseError, Measured, Scale, Sizing, Workload};
use crate::device::{Context, Discovery, GpuError, conditions};
use crate::model::{
    Budget, DeviceInfo, Host, RunResult, SCHEMA, SchemaError, Settings, Source, Status, Throughput,
    Tool, VERSION, WorkloadRecord, slug, vendor_name,
};
use crate::policy::Database;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// What a run reports as it goes, for whoever shows it (the CLI draws a progress bar; scripts
/// and tests pass [`Silent`]).
pub trait Progress {
    /// The run is about to go through `cases` cases.
    fn start(&self, _cases: usize) {}
    /// A case begins (its workload, variant and shape).
    fn case(&self, _label: &str) {}
    /// A case ended, whatever its outcome.
    fn step(&self) {}
    /// The run ended (complete or not).
    fn finish(&self) {}
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {}

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub workloads: Vec<&'static Workload>,
    pub quick: bool,
    pub contributor: Option<String>,
}

/// The adapters `discovery` found, each with its chip from the database where its name maps
/// to one: the one place an adapter becomes a chip.
pub fn with_chips(discovery: &Discovery, db: &Database) -> Vec<DeviceInfo> {
    discovery
        .reports
        .iter()
        .map(|r| DeviceInfo {
            chip: db.for_adapter(&r.name).map(|c| c.id.clone()),
            ..r.clone()
        })
        .collect()
}

/// The problem sizes for an adapter.
pub fn sizing(report: &DeviceInfo, quick: bool) -> Sizing {
    let scale = if quick {
        Scale::Quick
    } else if report.is_cpu() {
        Scale::Cpu
    } else {
        Scale::Gpu
    };
    Sizing {
        scale,
        max_binding: report.max_binding(),
    }
}

/// Where a run into `target` keeps its result until it completes: `<target>.partial`.
pub fn partial_path(target: &Path) -> PathBuf {
    let mut name = target.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// The default result path: `results/<vendor>/<device>/<UTC time>.json`, a new name that is
/// itself the partial file; a complete run then moves to its place in the dataset.
pub fn default_path(root: &Path, report: &DeviceInfo) -> PathBuf {
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
        workload: case.workload.id.to_string(),
        variant: case.variant.to_string(),
        precision: case.precision,
        unit: Some(case.unit),
        family: Some(case.family),
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
        Err(CaseError::Failed { reason, check }) => {
            r.status = Status::Failed;
            r.reason = Some(reason);
            r.check = check;
        }
        Err(CaseError::Device(e)) => {
            r.status = Status::Failed;
            r.reason = Some(e.to_string());
        }
    }
    r
}

fn run_case(ctx: &Context, case: &Case, budget: &Budget) -> Result<Measured, CaseError> {
    // A panic becomes the case's `failed` record with its message; Rust's own report of it
    // would land in the middle of the progress bar and the table.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = catch_unwind(AssertUnwindSafe(|| case.workload.run(ctx, case, budget)));
    std::panic::set_hook(hook);
    let outcome = outcome.unwrap_or_else(|panic| {
        let msg = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown".into());
        Err(CaseError::failed(format!("internal error: {msg}")))
    });
    // An asynchronous device error during the case voids its number.
    match (outcome, ctx.health()) {
        (Ok(_), Err(e)) => Err(e.into()),
        (outcome, _) => outcome,
    }
}

/// Runs `options` on adapter `index` (described by `device`, its chip mapped), writing the
/// partial file `out` after every case. Returns the final result (the caller moves a complete
/// one to its target).
pub fn run_device(
    discovery: &Discovery,
    device: &DeviceInfo,
    options: &RunOptions,
    out: &Path,
    progress: &dyn Progress,
    stop: &AtomicBool,
) -> Result<RunResult, RunError> {
    let ctx = Context::open(discovery, device.index)?;
    let pci = discovery.adapters[device.index]
        .get_info()
        .device_pci_bus_id;
    let cases: Vec<Case> = options
        .workloads
        .iter()
        .flat_map(|w| (w.plan)(&sizing(device, options.quick)))
        .collect();
    let mut result = begin(device, options, &pci);
    result.seal();
    result.write_atomic(out)?;

    progress.start(cases.len());
    let mut lost: Option<String> = None;
    for case in &cases {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        progress.case(&format!(
            "{} {} {}",
            case.workload,
            case.variant,
            case.shape_label()
        ));
        let outcome = match &lost {
            Some(why) => Err(CaseError::failed(format!("not run: {why}"))),
            None => run_case(&ctx, case, &result.settings.budget),
        };
        if lost.is_none() {
            lost = lost_device(&outcome, ctx.health().err());
        }
        result.workloads.push(record(case, outcome));
        result.seal();
        result.write_atomic(out)?;
        progress.step();
    }
    progress.finish();
    conditions::finish(&mut result.conditions, device.vendor_id, &pci);
    result.complete = !stop.load(Ordering::SeqCst) && result.workloads.len() == cases.len();
    result.warnings = crate::model::noise::warnings(&result);
    result.seal();
    result.write_atomic(out)?;
    Ok(result)
}

/// The result before its first case: who ran what, where, under which settings.
fn begin(device: &DeviceInfo, options: &RunOptions, pci: &str) -> RunResult {
    let budget = if options.quick {
        Budget::quick()
    } else {
        Budget::full()
    };
    RunResult {
        schema: SCHEMA.to_string(),
        version: VERSION,
        id: String::new(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        source: Source::Chipbench,
        complete: false,
        tool: Tool::this(),
        host: Host::this(),
        device: device.clone(),
        conditions: conditions::before(device.vendor_id, pci),
        settings: Settings {
            quick: options.quick,
            budget,
            shader_runtime_checks: "trusted: bounds checks and loop bounding off".to_string(),
            workgroup_memory_zero_init: false,
        },
        workloads: Vec::new(),
        contributor: options.contributor.clone(),
        warnings: Vec::new(),
    }
}

/// Why the device is gone, when this case's outcome or the device's health says it is lost:
/// the cases after it fail with that reason instead of running.
fn lost_device(outcome: &Result<Measured, CaseError>, health: Option<GpuError>) -> Option<String> {
    match (outcome, &health) {
        (Err(CaseError::Device(e @ GpuError::Lost(_))), _) | (_, Some(e @ GpuError::Lost(_))) => {
            Some(e.to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_run_fits_the_sample_caps_of_a_result_file() {
        let sizing = Sizing {
            scale: Scale::Gpu,
            max_binding: 1 << 32,
        };
        let cases: usize = crate::bench::ALL
            .iter()
            .map(|w| (w.plan)(&sizing).len())
            .sum();
        let passes = Budget::full().max_passes;
        assert!(cases <= crate::model::result::MAX_RECORDS, "{cases} cases");
        assert!(passes <= crate::model::result::MAX_SAMPLES_PER_CASE);
        assert!(
            2 * cases * passes <= crate::model::result::MAX_SAMPLES_PER_FILE,
            "{cases} cases x {passes} passes"
        );
        assert_eq!(
            partial_path(Path::new("out/x.json")),
            Path::new("out/x.json.partial")
        );
    }

    #[test]
    fn unsupported_and_failed_records_carry_no_number() {
        let case = (crate::bench::copy::WORKLOAD.plan)(&Sizing {
            scale: Scale::Quick,
            max_binding: 1 << 30,
        })[0]
            .clone();
        let r = record(&case, Err(CaseError::Unsupported("no f16".into())));
        assert_eq!(
            (r.status, r.throughput.is_none(), r.timing.is_none()),
            (Status::Unsupported, true, true)
        );
        let f = record(&case, Err(CaseError::failed("check failed")));
        assert_eq!((f.status, f.throughput.is_none()), (Status::Failed, true));
        let lost = record(&case, Err(CaseError::Device(GpuError::Lost("gone".into()))));
        assert_eq!(lost.status, Status::Failed);
        assert_eq!(lost.reason.as_deref(), Some("device lost: gone"));
        // The unit and family the workload declared travel into the record.
        assert_eq!(
            (lost.unit, lost.family),
            (Some(case.unit), Some(case.family))
        );
    }
}

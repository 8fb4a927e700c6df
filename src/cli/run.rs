//! `chipbench run`: benchmark the chosen devices, print the table, and place complete runs in
//! the dataset.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use anyhow::{Context as _, anyhow};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Fatal;
use chipbench::bench::{self, Workload};
use chipbench::cost::Tables;
use chipbench::dataset;
use chipbench::device::{DeviceChoice, discover};
use chipbench::model::{RunResult, Source, Status, guard_output, slug};
use chipbench::policy::Database;
use chipbench::report::{model, summary, table};
use chipbench::run::{
    Progress, RunOptions, Silent, default_path, partial_path, run_device, with_chips,
};

#[derive(clap::Args)]
pub struct RunArgs {
    /// Adapter index or name (substring), or `all` for every GPU. Default: the best GPU,
    /// else a CPU adapter such as lavapipe.
    #[arg(long, default_value = "default")]
    device: String,
    /// Comma-separated workloads (fma, copy, matrix-peak, matmul, attention, decode, gemv).
    /// Default: all.
    #[arg(long, value_delimiter = ',', value_parser = workload)]
    workloads: Vec<&'static Workload>,
    /// Small sizes and a short time budget: seconds, for CI and a first look.
    #[arg(long)]
    quick: bool,
    /// Result file (a directory with `--device all`). Default: a new file under results/.
    /// The run is kept in `<out>.partial` and replaces `<out>` only once complete; an existing
    /// `<out>` that is not a chipbench result is refused unless --force.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing `--out` file even when it is not a chipbench result.
    #[arg(long, requires = "out")]
    force: bool,
    /// Free text stored in the result, e.g. your name or lab.
    #[arg(long)]
    contributor: Option<String>,
    /// No progress bar, table or notes: only the path of each result file written.
    #[arg(long, conflicts_with = "json")]
    quiet: bool,
    /// The result file on standard output (an array with `--device all`) and nothing else.
    #[arg(long)]
    json: bool,
}

fn workload(s: &str) -> Result<&'static Workload, String> {
    bench::find(s)
}

pub fn run(args: RunArgs) -> Result<ExitCode, Fatal> {
    let found = discover();
    let choice = DeviceChoice::parse(&args.device);
    let chosen = found.select(&choice).map_err(|e| anyhow!(e))?;
    let db = Database::load()?;
    let tables = Tables::load(&db).map_err(super::cost_error)?;
    let devices = with_chips(&found, &db);
    let stop = super::stop_on_ctrl_c("finishing the current case, then writing the result file")?;
    let options = RunOptions {
        workloads: distinct(&args.workloads),
        quick: args.quick,
        contributor: args.contributor.clone(),
    };
    let talk = !args.quiet && !args.json;
    let root = dataset_root(args.quick);
    let mut written = Vec::new();
    for &index in &chosen {
        let report = &devices[index];
        let destination = destination(&args, choice == DeviceChoice::All, report)?;
        let partial = match &destination {
            Some(target) => partial_path(target),
            None => default_path(&root, report),
        };
        let result = if talk {
            announce(report);
            let bar = Bar(ProgressBar::with_draw_target(
                None,
                ProgressDrawTarget::stderr(),
            ));
            run_device(&found, report, &options, &partial, &bar, &stop)
        } else {
            run_device(&found, report, &options, &partial, &Silent, &stop)
        }
        .with_context(|| format!("device [{index}] {}", report.name))?;
        if talk {
            print!("{}", table::render(&result.workloads));
            for warning in &result.warnings {
                eprintln!("warning: {warning}");
            }
        }
        let path = settle(&result, partial, destination, &root)?;
        if talk {
            explain(&db, &tables, &path, &result)?;
        } else if args.quiet {
            println!("{}", path.display());
        }
        written.push(result);
        if stop.load(Ordering::SeqCst) {
            break;
        }
    }
    if args.json {
        match written.as_slice() {
            [one] => println!("{}", serde_json::to_string_pretty(one)?),
            all => println!("{}", serde_json::to_string_pretty(all)?),
        }
    }
    let any_failed = written
        .iter()
        .flat_map(|r| &r.workloads)
        .any(|w| w.status == Status::Failed);
    Ok(match (stop.load(Ordering::SeqCst), any_failed) {
        (true, _) => ExitCode::from(130),
        (false, true) => ExitCode::FAILURE,
        (false, false) => ExitCode::SUCCESS,
    })
}

/// Where a run goes without `--out`: the dataset (results/), or for a quick run, whose small
/// sizes do not belong there, `chipbench-quick` in the system's temporary folder.
fn dataset_root(quick: bool) -> PathBuf {
    if quick {
        std::env::temp_dir().join("chipbench-quick")
    } else {
        PathBuf::from("results")
    }
}

/// The workloads asked for (all by default), each once, in the order given.
fn distinct(asked: &[&'static Workload]) -> Vec<&'static Workload> {
    let asked = if asked.is_empty() {
        &bench::ALL[..]
    } else {
        asked
    };
    let mut workloads: Vec<&'static Workload> = Vec::new();
    for &w in asked {
        if !workloads.contains(&w) {
            workloads.push(w);
        }
    }
    workloads
}

/// The file a complete run becomes when `--out` names one (a file per device in the `--out`
/// directory with `--device all`), after refusing to overwrite what is not a result; `None`
/// for the default, its place in the dataset.
fn destination(
    args: &RunArgs,
    all: bool,
    report: &chipbench::model::DeviceInfo,
) -> Result<Option<PathBuf>, Fatal> {
    let target = match (&args.out, all) {
        (Some(dir), true) => dir.join(format!("{}-{}.json", report.index, slug(&report.name))),
        (Some(file), false) => file.clone(),
        (None, _) => return Ok(None),
    };
    for p in [target.clone(), partial_path(&target)] {
        guard_output(
            &p,
            &[],
            "a result file",
            |p| RunResult::load(p).is_ok(),
            args.force,
        )?;
    }
    Ok(Some(target))
}

/// The device line and what a reader must know about the adapter before its numbers.
fn announce(report: &chipbench::model::DeviceInfo) {
    println!(
        "device [{}] {} ({}, {}, {} {})",
        report.index,
        report.name,
        report.device_type.name(),
        report.backend,
        report.driver,
        report.driver_info
    );
    if report.is_cpu() {
        eprintln!(
            "note: this adapter is a CPU implementation (such as lavapipe), not a GPU: its \
             numbers describe this machine's CPU"
        );
    }
    if !report.timestamp_queries {
        eprintln!("note: no GPU timestamp queries on this adapter; timing uses the wall clock");
    }
}

/// Moves a complete run to its target (by default its place in the dataset, `<id>.json`);
/// an interrupted one stays where it was kept. Returns where the run now is.
fn settle(
    result: &RunResult,
    partial: PathBuf,
    destination: Option<PathBuf>,
    root: &Path,
) -> Result<PathBuf, Fatal> {
    if !result.complete {
        return Ok(partial);
    }
    let target = destination.unwrap_or_else(|| dataset::place(root, result));
    std::fs::rename(&partial, &target)
        .with_context(|| format!("renaming {} to {}", partial.display(), target.display()))?;
    Ok(target)
}

/// Where the run went and what its numbers mean, from the same model the report uses.
fn explain(db: &Database, tables: &Tables, path: &Path, result: &RunResult) -> Result<(), Fatal> {
    let state = if result.complete {
        ""
    } else {
        " (incomplete: interrupted)"
    };
    println!("wrote {}{state}", path.display());
    let signers = dataset::signers(None)?;
    let mut named = vec![(path.display().to_string(), result.clone())];
    if !result.settings.quick {
        named.extend(vendor_evidence(db, result));
    }
    let report = model::build(db, tables, &signers, &named, Vec::new(), false);
    println!("\nsummary:");
    for d in &report.devices {
        for line in summary::headline(d) {
            println!("  {line}");
        }
    }
    println!("go deeper:");
    let on_a_chip = !result.device.is_cpu() && !result.settings.quick;
    for line in summary::next_steps(&path.display().to_string(), on_a_chip) {
        println!("  {line}");
    }
    Ok(())
}

/// The dataset's vendor-library runs on the same device and chip as `result`: the chip's
/// best evidence, which the summary's matrix line and training line rest on where it exists.
fn vendor_evidence(db: &Database, result: &RunResult) -> Vec<model::Named> {
    let Some(chip) = db.for_result(result).map(|c| c.id.clone()) else {
        return Vec::new();
    };
    let (dataset, _) = model::load(db, &model::default_paths(), false);
    dataset
        .into_iter()
        .filter(|(_, r)| {
            r.source == Source::VendorLibrary
                && r.device.name == result.device.name
                && db.for_result(r).is_some_and(|c| c.id == chip)
        })
        .collect()
}

/// The terminal's progress bar for a run.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&self, cases: usize) {
        self.0.set_length(cases as u64);
        self.0.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    }
    fn case(&self, label: &str) {
        self.0.set_message(label.to_string());
    }
    fn step(&self) {
        self.0.inc(1);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

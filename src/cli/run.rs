//! `chipbench run`: benchmark the chosen devices, print the table, and place complete runs in
//! the dataset.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, anyhow};
use indicatif::{ProgressBar, ProgressDrawTarget};

use super::Fatal;
use chipbench::bench::{self, Workload};
use chipbench::cost::Tables;
use chipbench::dataset;
use chipbench::device::{DeviceChoice, discover};
use chipbench::model::{Status, slug};
use chipbench::policy::Database;
use chipbench::report::{model, summary, table};
use chipbench::run::{RunOptions, default_path, run_device, with_chips};

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
    #[arg(long)]
    out: Option<PathBuf>,
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
    let mut workloads: Vec<&'static Workload> = Vec::new();
    for w in if args.workloads.is_empty() {
        bench::ALL.to_vec()
    } else {
        args.workloads
    } {
        if !workloads.contains(&w) {
            workloads.push(w);
        }
    }
    let found = discover();
    let choice = DeviceChoice::parse(&args.device);
    let chosen = found.select(&choice).map_err(|e| anyhow!(e))?;
    let db = Database::load()?;
    let tables = Tables::load()?;
    let devices = with_chips(&found, &db);
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            // A second Ctrl-C: leave now; the result file already holds every finished case.
            std::process::exit(130);
        }
        eprintln!("\ninterrupted: finishing the current case, then writing the result file");
    })
    .context("installing the Ctrl-C handler")?;

    let out = args.out.as_deref();
    let options = RunOptions {
        workloads,
        quick: args.quick,
        contributor: args.contributor,
    };
    let (quiet, json) = (args.quiet, args.json);
    let talk = !quiet && !json;
    let mut written = Vec::new();
    let mut any_failed = false;
    for &index in &chosen {
        let report = &devices[index];
        let path = match (out, choice == DeviceChoice::All) {
            (Some(dir), true) => dir.join(format!("{}-{}.json", index, slug(&report.name))),
            (Some(file), false) => file.to_path_buf(),
            (None, _) => default_path(Path::new("results"), report),
        };
        if talk {
            println!(
                "device [{}] {} ({}, {}, {} {})",
                index,
                report.name,
                report.device_type.name(),
                report.backend,
                report.driver,
                report.driver_info
            );
            if report.is_cpu() {
                eprintln!(
                    "note: this adapter is a CPU implementation (such as lavapipe), not a GPU: \
                     its numbers describe this machine's CPU"
                );
            }
            if !report.timestamp_queries {
                eprintln!(
                    "note: no GPU timestamp queries on this adapter; timing uses the wall clock"
                );
            }
        }
        let target = if talk {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        let result = run_device(&found, report, &options, &path, &bar, &stop)
            .with_context(|| format!("device [{index}] {}", report.name))?;
        if talk {
            print!("{}", table::render(&result.workloads));
        }
        any_failed |= result.workloads.iter().any(|w| w.status == Status::Failed);
        // A complete run at the default path takes its place in the dataset: <id>.json.
        let path = if out.is_none() && result.complete {
            let target = dataset::place(Path::new("results"), &result);
            std::fs::rename(&path, &target)
                .with_context(|| format!("renaming {} to {}", path.display(), target.display()))?;
            target
        } else {
            path
        };
        let state = if result.complete {
            ""
        } else {
            " (incomplete: interrupted)"
        };
        if talk {
            println!("wrote {}{state}", path.display());
            // What the numbers mean, from the same model the report uses.
            let report = model::build(&db, &tables, std::slice::from_ref(&result), Vec::new());
            println!("\nsummary:");
            for d in &report.devices {
                for line in summary::headline(d) {
                    println!("  {line}");
                }
            }
            println!("go deeper:");
            for line in summary::next_steps(&path.display().to_string()) {
                println!("  {line}");
            }
        } else if quiet {
            println!("{}", path.display());
        }
        written.push(result);
        if stop.load(Ordering::SeqCst) {
            break;
        }
    }
    if json {
        match written.as_slice() {
            [one] => println!("{}", serde_json::to_string_pretty(one)?),
            all => println!("{}", serde_json::to_string_pretty(all)?),
        }
    }
    if stop.load(Ordering::SeqCst) {
        return Ok(ExitCode::from(130));
    }
    Ok(if any_failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

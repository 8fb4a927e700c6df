//! The chipbench command line: argument parsing and dispatch; the work lives in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, anyhow};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget};

use chipbench::gpu::{AdapterReport, DeviceChoice, discover, no_adapter_message};
use chipbench::report::table;
use chipbench::runner::{RunOptions, default_path, run_device, slug};
use chipbench::schema::Status;
use chipbench::workloads::Workload;

#[derive(Parser)]
#[command(
    name = "chipbench",
    version,
    about = "Measures what an AI accelerator really delivers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every adapter on every backend with the features and limits that matter.
    Devices {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Benchmark a device and write a result file.
    Run {
        /// Adapter index or name (substring), or `all` for every GPU. Default: the best GPU,
        /// else a CPU adapter such as lavapipe.
        #[arg(long, default_value = "default")]
        device: String,
        /// Comma-separated workloads (fma, copy, matmul). Default: all of them.
        #[arg(long)]
        workloads: Option<String>,
        /// Small sizes and a short time budget: seconds, for CI and a first look.
        #[arg(long)]
        quick: bool,
        /// Result file (a directory with `--device all`). Default: a new file under results/.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Free text stored in the result, e.g. your name or lab.
        #[arg(long)]
        contributor: Option<String>,
    },
}

/// An error that ends the command: printed as one line, exit code 2.
struct Fatal(anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for Fatal {
    fn from(e: E) -> Self {
        Fatal(e.into())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Devices { json } => devices(json),
        Command::Run {
            device,
            workloads,
            quick,
            out,
            contributor,
        } => run(
            &device,
            workloads.as_deref(),
            quick,
            out.as_deref(),
            contributor,
        ),
    };
    match outcome {
        Ok(code) => code,
        Err(Fatal(e)) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(2)
        }
    }
}

fn devices(json: bool) -> Result<ExitCode, Fatal> {
    let found = discover();
    if found.reports.is_empty() {
        return Err(anyhow!(no_adapter_message()).into());
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&found.reports)?);
    } else {
        for r in &found.reports {
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

fn describe(r: &AdapterReport) -> String {
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
        "[{}] {} ({}, {})\n    driver: {} {}; vendor 0x{:04x}, device 0x{:04x}; subgroup size {}..{}\n    \
         timestamps: {}, f16: {}, subgroups: {}, cooperative matrices: {}\n    \
         limits: buffer {}, storage binding {}, workgroup memory {} KiB, {} invocations per workgroup\n",
        r.index,
        r.name,
        r.device_type,
        r.backend,
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

fn run(
    device: &str,
    workloads: Option<&str>,
    quick: bool,
    out: Option<&Path>,
    contributor: Option<String>,
) -> Result<ExitCode, Fatal> {
    let workloads = match workloads {
        Some(list) => Workload::parse_list(list).map_err(|e| anyhow!(e))?,
        None => Workload::ALL.to_vec(),
    };
    let found = discover();
    let choice = DeviceChoice::parse(device);
    let chosen = found.select(&choice).map_err(|e| anyhow!(e))?;
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

    let options = RunOptions {
        workloads,
        quick,
        contributor,
    };
    let mut any_failed = false;
    for &index in &chosen {
        let report = &found.reports[index];
        let path = match (out, choice == DeviceChoice::All) {
            (Some(dir), true) => dir.join(format!("{}-{}.json", index, slug(&report.name))),
            (Some(file), false) => file.to_path_buf(),
            (None, _) => default_path(Path::new("results"), report),
        };
        println!(
            "device [{}] {} ({}, {}, {} {})",
            index,
            report.name,
            report.device_type,
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
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let result = run_device(&found, index, &options, &path, &bar, &stop)
            .with_context(|| format!("device [{index}] {}", report.name))?;
        print!("{}", table::render(&result.workloads));
        any_failed |= result.workloads.iter().any(|w| w.status == Status::Failed);
        let state = if result.complete {
            ""
        } else {
            " (incomplete: interrupted)"
        };
        println!("wrote {}{state}", path.display());
        if stop.load(Ordering::SeqCst) {
            return Ok(ExitCode::from(130));
        }
    }
    Ok(if any_failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

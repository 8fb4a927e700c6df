//! The chipbench command line: argument parsing and dispatch; the work lives in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, anyhow};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget};

use chipbench::cost::{
    AmortizedInputs, Catalog, Compute, Rate, Request, estimate, measured_matmul, parse_quantity,
};
use chipbench::dataset::{self, Added};
use chipbench::gpu::{AdapterReport, DeviceChoice, discover, no_adapter_message};
use chipbench::policy::measured::compare;
use chipbench::policy::{
    Database, Precision, Rule, Spec, Unit, check_against_epoch, classify, import_epoch,
};
use chipbench::report::model::{self, Report};
use chipbench::report::{formats, html, table};
use chipbench::runner::{RunOptions, default_path, run_device, slug};
use chipbench::schema::{RunResult, Status, write_file_atomic};
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
    /// Training compute, GPU-hours, days and dollars for a model on a chip.
    Cost(CostArgs),
    /// The chip database: datasheet peaks, TPP, performance density and classification.
    Chips {
        /// Read Epoch AI's ML hardware CSV and list its rows as chip entries instead.
        #[arg(long)]
        import_epoch: Option<PathBuf>,
        /// Rule vintage for the classification column: 2022-10, 2023-10, 2024-12, 2026-01.
        #[arg(long, default_value = "2023-10")]
        rule: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Export-control classification (ECCN 3A090) of a chip, a raw spec, or a result's device.
    Classify(ClassifyArgs),
    /// The shared dataset in results/: add files, check the tree, write the index.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// A report over result files or directories (default: results).
    Report {
        paths: Vec<PathBuf>,
        /// table, markdown, csv, json or html.
        #[arg(long, default_value = "table")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum DatasetCommand {
    /// Validate result files and store the valid ones as <root>/<vendor>/<device>/<id>.json.
    Add {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The dataset root.
        #[arg(long, default_value = "results")]
        root: PathBuf,
    },
    /// Validate every result file under DIR (default: results).
    Check {
        #[arg(default_value = "results")]
        dir: PathBuf,
    },
    /// Write DIR/index.csv and DIR/README.md (default: results).
    Index {
        #[arg(default_value = "results")]
        dir: PathBuf,
    },
}

#[derive(clap::Args)]
struct ClassifyArgs {
    /// A chip id from `chipbench chips` (or from --epoch).
    #[arg(long, conflicts_with_all = ["peak", "result"])]
    chip: Option<String>,
    /// Also look chip ids up in Epoch AI's ML hardware CSV (ids `epoch:<name>`).
    #[arg(long, requires = "chip")]
    epoch: Option<PathBuf>,
    /// A dense peak, PREC=VALUE in TFLOP/s or TOPS (PREC: fp64 fp32 tf32 bf16 fp16 int16 fp8
    /// int8 int4 fp4); repeat for each precision.
    #[arg(long, conflicts_with = "result")]
    peak: Vec<String>,
    /// Logic die area in mm^2 (FinFET/GAA dies only).
    #[arg(long, requires = "peak")]
    die_area: Option<f64>,
    /// Designed or marketed for datacenters.
    #[arg(long, requires = "peak", conflicts_with = "not_datacenter")]
    datacenter: bool,
    /// Not designed or marketed for datacenters.
    #[arg(long, requires = "peak")]
    not_datacenter: bool,
    /// DRAM bandwidth in GB/s (the 2026-01 review test).
    #[arg(long, requires = "peak")]
    memory_bandwidth: Option<f64>,
    /// Aggregate bidirectional interconnect in GB/s (the 2022-10 rule).
    #[arg(long, requires = "peak")]
    interconnect: Option<f64>,
    /// Memory bandwidth density of the co-packaged HBM, GB/s/mm^2 (the 2024-12 rule).
    #[arg(long, requires = "peak")]
    hbm_density: Option<f64>,
    /// A result file: its device's rated figures beside what it measured.
    #[arg(long)]
    result: Option<PathBuf>,
    /// Rule vintage: 2022-10, 2023-10 (default), 2024-12, 2026-01.
    #[arg(long, default_value = "2023-10")]
    rule: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct CostArgs {
    /// A reference model from data/models.toml (deepseek-v3, llama-3.1-405b, gpt-4, ...).
    #[arg(long, conflicts_with_all = ["params", "flops"])]
    model: Option<String>,
    /// Active parameters per token (e.g. 37B or 3.7e10); needs --tokens.
    #[arg(long, requires = "tokens", conflicts_with = "flops")]
    params: Option<String>,
    /// Training tokens (e.g. 14.8T).
    #[arg(long, requires = "params")]
    tokens: Option<String>,
    /// Training compute in FLOP (e.g. 3.3e24).
    #[arg(long)]
    flops: Option<String>,
    /// Sustained training rate per GPU in TFLOP/s, used as is.
    #[arg(long, conflicts_with = "result")]
    tflops: Option<f64>,
    /// A result file: its measured matmul rate times --utilization.
    #[arg(long)]
    result: Option<PathBuf>,
    /// Input precision of the matmul to take from --result (default: bf16, else f16).
    #[arg(long, requires = "result")]
    precision: Option<String>,
    /// Fraction of the measured matmul rate a training run sustains (default: calibrated from
    /// DeepSeek-V3 and Llama 3.1 405B).
    #[arg(long, requires = "result")]
    utilization: Option<f64>,
    /// Include the attention term (models with a known architecture).
    #[arg(long)]
    attention: bool,
    /// Rental price per GPU-hour in USD (default 2.0, DeepSeek-V3's assumption).
    #[arg(long)]
    price: Option<f64>,
    /// GPUs in the cluster, for wall-clock days.
    #[arg(long)]
    gpus: Option<u64>,
    /// Acquisition price per GPU (server share included), for Epoch AI's amortised cost.
    #[arg(long, requires = "tdp_watts")]
    purchase_price: Option<f64>,
    /// GPU TDP in watts, for the amortised cost's energy.
    #[arg(long, requires = "purchase_price")]
    tdp_watts: Option<f64>,
    /// Data-centre PUE for the amortised cost.
    #[arg(long, default_value_t = 1.25)]
    pue: f64,
    /// Electricity price in USD per kWh (US industrial 2025: 0.0826).
    #[arg(long, default_value_t = 0.0826)]
    usd_per_kwh: f64,
    /// Years from buying the GPUs to the training run.
    #[arg(long, default_value_t = 0.0)]
    years_since_purchase: f64,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// An error that ends the command: printed as one line, exit code 2.
struct Fatal(anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for Fatal {
    fn from(e: E) -> Self {
        Fatal(e.into())
    }
}

fn main() -> ExitCode {
    // Output piped into `head` and the like ends quietly, as in other command-line tools.
    #[cfg(unix)]
    // SAFETY: restoring the default SIGPIPE action at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
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
        Command::Cost(args) => cost(&args),
        Command::Chips {
            import_epoch,
            rule,
            json,
        } => chips(import_epoch.as_deref(), &rule, json),
        Command::Classify(args) => classify_cmd(&args),
        Command::Dataset(cmd) => dataset_cmd(cmd),
        Command::Report { paths, format, out } => report_cmd(&paths, &format, out.as_deref()),
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

fn cost(a: &CostArgs) -> Result<ExitCode, Fatal> {
    let catalog = Catalog::load()?;
    let compute = match (&a.model, &a.params, &a.tokens, &a.flops) {
        (Some(id), ..) => Some(Compute::Model(id.clone())),
        (_, Some(p), Some(t), _) => Some(Compute::ParamsTokens {
            active_params: parse_quantity("--params", p)?,
            tokens: parse_quantity("--tokens", t)?,
        }),
        (.., Some(f)) => Some(Compute::Flops(parse_quantity("--flops", f)?)),
        _ => None,
    };
    let rate = match (a.tflops, &a.result) {
        (Some(t), _) => Rate::Tflops(t),
        (None, Some(path)) => {
            let result = RunResult::read(path)?;
            let (tflops, what) = measured_matmul(&result, a.precision.as_deref())?;
            let utilization = match a.utilization {
                Some(u) => u,
                None => catalog.calibrated_utilization()?.0,
            };
            Rate::Measured {
                tflops,
                what,
                utilization,
            }
        }
        (None, None) => {
            return Err(anyhow!("give the rate: --tflops T, or --result FILE").into());
        }
    };
    if compute.is_none() && a.result.is_none() {
        return Err(
            anyhow!("give the compute: --model ID, --params N --tokens D, or --flops F").into(),
        );
    }
    let request = Request {
        compute,
        rate,
        with_attention: a.attention,
        price_usd_per_gpu_hour: a.price,
        gpus: a.gpus,
        amortized: a
            .purchase_price
            .zip(a.tdp_watts)
            .map(|(price, watts)| AmortizedInputs {
                purchase_price_usd: price,
                years_since_purchase: a.years_since_purchase,
                tdp_kw: watts / 1000.0,
                chip_to_server_power: 1.8,
                pue: a.pue,
                usd_per_kwh: a.usd_per_kwh,
            }),
    };
    let e = estimate(&catalog, &request)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&e)?);
    } else {
        print!("{}", e.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

fn rule(name: &str) -> Result<Rule, Fatal> {
    name.parse::<Rule>().map_err(|e| anyhow!(e).into())
}

fn chips(import: Option<&Path>, rule_name: &str, json: bool) -> Result<ExitCode, Fatal> {
    let rule = rule(rule_name)?;
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
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<34} {:<30} {:>4} {:>3} {:>8} {:<6} {:>6} {:<15} {:>9}",
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
        println!(
            "{:<34} {:<30} {:>4} {:>3} {:>8.0} {:<6} {:>6} {:<15} {:>9}",
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
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn classify_cmd(a: &ClassifyArgs) -> Result<ExitCode, Fatal> {
    let rule = rule(&a.rule)?;
    let mut db = Database::load()?;
    if let Some(path) = &a.result {
        let result = RunResult::read(path)?;
        let c = compare(&db, &result, rule);
        if a.json {
            println!("{}", serde_json::to_string_pretty(&c)?);
        } else {
            print!("{}", c.to_text());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (spec, label) = match &a.chip {
        Some(id) => {
            if let Some(path) = &a.epoch {
                db.extend(import_epoch(path)?);
            }
            let chip = db.get(id)?;
            (
                chip.spec(),
                format!("{} {} ({})", chip.vendor, chip.name, chip.id),
            )
        }
        None if !a.peak.is_empty() => {
            let mut peaks = std::collections::BTreeMap::new();
            for p in &a.peak {
                let (prec, value) = p
                    .split_once('=')
                    .ok_or_else(|| anyhow!("--peak {p:?}: expected PREC=VALUE, e.g. bf16=989.4"))?;
                let prec: Precision = prec.parse().map_err(|e: String| anyhow!(e))?;
                let value: f64 = value
                    .trim()
                    .parse()
                    .map_err(|_| anyhow!("--peak {p:?}: {value:?} is not a number"))?;
                peaks.insert(prec, value);
            }
            let spec = Spec {
                units: vec![Unit {
                    name: "chip".to_string(),
                    peaks,
                }],
                die_area_mm2: a.die_area,
                datacenter: if a.datacenter {
                    Some(true)
                } else if a.not_datacenter {
                    Some(false)
                } else {
                    None
                },
                memory_bandwidth_gbps: a.memory_bandwidth,
                interconnect_gbps: a.interconnect,
                hbm_density: a.hbm_density,
            };
            (spec, "the given spec".to_string())
        }
        None => {
            return Err(anyhow!(
                "give --chip ID, --peak PREC=VALUE (repeatable), or --result FILE"
            )
            .into());
        }
    };
    spec.validate().map_err(|e| anyhow!(e))?;
    let v = classify(&spec, rule);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("{label}:");
        print!("{}", v.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

fn dataset_cmd(cmd: DatasetCommand) -> Result<ExitCode, Fatal> {
    let db = Database::load()?;
    match cmd {
        DatasetCommand::Add { files, root } => {
            let mut rejected = false;
            for (path, outcome) in dataset::add(&db, &root, &files) {
                match outcome {
                    Added::Stored(to) => println!("added {} as {}", path.display(), to.display()),
                    Added::Duplicate(of) => {
                        println!("duplicate: {} is already {}", path.display(), of.display())
                    }
                    Added::Rejected(reasons) => {
                        rejected = true;
                        for r in reasons {
                            eprintln!("rejected {}: {r}", path.display());
                        }
                    }
                }
            }
            Ok(if rejected {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        DatasetCommand::Check { dir } => {
            if !dir.is_dir() {
                return Err(anyhow!("{} is not a directory", dir.display()).into());
            }
            let total = dataset::files(&dir).len();
            let bad = dataset::check(&db, &dir);
            for (path, reasons) in &bad {
                for r in reasons {
                    eprintln!("{}: {r}", path.display());
                }
            }
            println!("{total} result files checked, {} with problems", bad.len());
            Ok(if bad.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        DatasetCommand::Index { dir } => {
            if !dir.is_dir() {
                return Err(anyhow!("{} is not a directory", dir.display()).into());
            }
            let rows = dataset::write_index(&db, &dir)
                .with_context(|| format!("writing the index in {}", dir.display()))?;
            println!(
                "wrote {} and {} ({rows} rows)",
                dir.join("index.csv").display(),
                dir.join("README.md").display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn report_cmd(paths: &[PathBuf], format: &str, out: Option<&Path>) -> Result<ExitCode, Fatal> {
    let render: fn(&Database, &Report) -> String = match format {
        "table" => |_, r| formats::table(r),
        "markdown" => |_, r| formats::markdown(r),
        "csv" => |_, r| formats::csv(r),
        "json" => |_, r| formats::json(r),
        "html" => html::render,
        other => {
            return Err(anyhow!(
                "unknown format {other:?}; known: table, markdown, csv, json, html"
            )
            .into());
        }
    };
    let paths = if paths.is_empty() {
        model::default_paths()
    } else {
        paths.to_vec()
    };
    for p in &paths {
        if !p.exists() {
            return Err(anyhow!("{} does not exist", p.display()).into());
        }
    }
    let db = Database::load()?;
    let catalog = Catalog::load()?;
    let (results, skipped) = model::load(&paths);
    if results.is_empty() {
        return Err(anyhow!(
            "no valid result files in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into());
    }
    let report = model::build(&db, &catalog, &results, skipped);
    let text = render(&db, &report);
    match out {
        Some(path) => {
            write_file_atomic(path, text.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
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
        "[{}] {} ({}, {}){}\n    driver: {} {}; vendor 0x{:04x}, device 0x{:04x}; subgroup size {}..{}\n    \
         timestamps: {}, f16: {}, subgroups: {}, cooperative matrices: {}\n    \
         limits: buffer {}, storage binding {}, workgroup memory {} KiB, {} invocations per workgroup\n",
        r.index,
        r.name,
        r.device_type,
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

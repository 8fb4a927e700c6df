//! The command line: clap definitions, one module per command, and the error type that ends a
//! command with one line and exit status 2. Commands parse and print; the work is the
//! library's.

mod chips;
mod classify;
mod compare;
mod cost;
mod dataset;
mod devices;
mod inference;
mod report;
mod run;
mod scenario;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use classify::ClassifyArgs;
pub use compare::CompareArgs;
pub use cost::CostArgs;
pub use dataset::DatasetCommand;
pub use inference::InferenceArgs;
pub use report::ReportArgs;
pub use run::RunArgs;

#[derive(Parser)]
#[command(
    name = "chipbench",
    version,
    about = "Measures what an AI accelerator really delivers"
)]
pub struct Cli {
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
    Run(RunArgs),
    /// Serving a model on a chip: memory, decode and prefill rates, cost per token; or every
    /// chip beside its TPP with --compare.
    Inference(InferenceArgs),
    /// Training compute, GPU-hours, days and dollars for a model on a chip.
    Cost(CostArgs),
    /// The chip database: datasheet peaks, TPP, performance density and classification.
    Chips {
        /// Read Epoch AI's ML hardware CSV and list its rows as chip entries instead.
        #[arg(long)]
        import_epoch: Option<PathBuf>,
        /// Rule vintage for the classification column: 2022-10, 2023-10, 2024-12, 2026-01.
        #[arg(long, default_value = "2023-10", value_parser = classify::rule)]
        rule: chipbench::policy::Rule,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        /// Print JSON instead of text: the same as --format json.
        #[arg(long)]
        json: bool,
    },
    /// Export-control classification (ECCN 3A090) of a chip, a raw spec, or a result's device.
    Classify(ClassifyArgs),
    /// The shared dataset in results/: add files, check the tree, write the index, export it.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// A report over result files or directories (default: results).
    Report(ReportArgs),
    /// Each case of one or more results against a baseline: the ratio of throughput, its 95%
    /// bootstrap interval, and a verdict where the interval excludes 1.
    Compare(CompareArgs),
    /// A control scenario: what a rule catches, which chips a buyer still gets, and what it
    /// costs a restricted buyer to train and to serve a model; --sweep moves one threshold.
    Scenario(scenario::ScenarioArgs),
}

/// The formats a command's output comes in: people read the table and Markdown, programs the
/// CSV and JSON (raw numbers in the units the columns name); `report` also writes HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned text for a terminal.
    Table,
    Markdown,
    Csv,
    Json,
    /// One self-contained page with SVG charts (report only).
    Html,
}

impl OutputFormat {
    pub fn view(self) -> chipbench::view::Format {
        use chipbench::view::Format;
        match self {
            OutputFormat::Table => Format::Table,
            OutputFormat::Markdown => Format::Markdown,
            OutputFormat::Csv => Format::Csv,
            OutputFormat::Json => Format::Json,
            OutputFormat::Html => Format::Html,
        }
    }

    /// JSON where `--json` was given, else this format for a command with no HTML view.
    pub fn or_json(self, json: bool, command: &str) -> Result<chipbench::view::Format, Fatal> {
        if json {
            return Ok(chipbench::view::Format::Json);
        }
        self.without_html(command)
    }

    /// This format for a command with no HTML view.
    pub fn without_html(self, command: &str) -> Result<chipbench::view::Format, Fatal> {
        match self {
            OutputFormat::Html => Err(anyhow::anyhow!(
                "--format html: {command} writes table, markdown, csv or json; `chipbench report` writes HTML"
            )
            .into()),
            f => Ok(f.view()),
        }
    }
}

/// An error that ends the command: printed as one line, exit code 2.
pub struct Fatal(pub anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for Fatal {
    fn from(e: E) -> Self {
        Fatal(e.into())
    }
}

/// Runs the parsed command.
pub fn dispatch(cli: Cli) -> Result<ExitCode, Fatal> {
    match cli.command {
        Command::Devices { json } => devices::devices(json),
        Command::Run(args) => run::run(args),
        Command::Cost(args) => cost::cost(&args),
        Command::Inference(args) => inference::inference(&args),
        Command::Chips {
            import_epoch,
            rule,
            format,
            json,
        } => chips::chips(import_epoch.as_deref(), rule, format, json),
        Command::Classify(args) => classify::classify_cmd(&args),
        Command::Dataset(cmd) => dataset::dataset_cmd(cmd),
        Command::Report(args) => report::report_cmd(&args),
        Command::Compare(args) => compare::compare_cmd(&args),
        Command::Scenario(args) => scenario::scenario_cmd(&args),
    }
}

/// A library field as the option that sets it: `total_params` is `--total-params`.
fn flag(field: &str) -> String {
    format!("--{}", field.replace('_', "-"))
}

/// A cost error as one line, an input error naming the option.
pub fn cost_error(e: chipbench::cost::CostError) -> Fatal {
    match e {
        chipbench::cost::CostError::Input { field, why } => {
            Fatal(anyhow::anyhow!("{}: {why}", flag(field.name())))
        }
        other => Fatal(other.into()),
    }
}

/// A flag the first Ctrl-C sets, saying `what` the command does before it stops; a second one
/// leaves at once (exit status 130), with what is already written kept.
fn stop_on_ctrl_c(what: &str) -> Result<std::sync::Arc<std::sync::atomic::AtomicBool>, Fatal> {
    use anyhow::Context;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let message = format!("\ninterrupted: {what}");
    ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("{message}");
    })
    .context("installing the Ctrl-C handler")?;
    Ok(stop)
}

/// `doc` in `format`: for JSON the typed value it was built from, for HTML a page titled
/// `title`.
fn emit<T: serde::Serialize>(
    format: chipbench::view::Format,
    value: &T,
    doc: chipbench::view::Document,
    title: &str,
) -> Result<(), Fatal> {
    use chipbench::view::{self, Format};
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(value)?),
        Format::Html => print!("{}", view::html(&doc, title)),
        f => print!("{}", view::render(&doc, f)),
    }
    Ok(())
}

/// A serving error as one line, an input error naming the option.
pub fn serve_error(e: chipbench::serve::ServeError) -> Fatal {
    match e {
        chipbench::serve::ServeError::Input { field, why } => {
            Fatal(anyhow::anyhow!("{}: {why}", flag(field)))
        }
        other => Fatal(other.into()),
    }
}

/// clap's error as one line: its message and hints without the usage block.
pub fn one_line(rendered: &str) -> String {
    rendered
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

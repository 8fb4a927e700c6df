//! `chipbench scenario`: what a rule (a vintage or a threshold file) catches, which chips a
//! buyer still gets at a date, and what it costs a restricted buyer to train and to serve a
//! model on the best of them; `--sweep` moves one threshold.

use std::process::ExitCode;

use anyhow::anyhow;

use super::{Fatal, OutputFormat, flag};
use chipbench::cost::{Compute, Tables, parse_quantity};
use chipbench::policy::{DISCLAIMER, Database};
use chipbench::scenario::{
    self, Buyer, Controls, Load, Month, Question, ScenarioError, Train, Workloads,
    sweep::parse_range,
};
use chipbench::serve::{Format, Request};

#[derive(clap::Args)]
pub struct ScenarioArgs {
    /// The rule: a vintage (2022-10, 2023-10, 2024-12, 2026-01) or a threshold file (TOML,
    /// version 1; examples in data/scenarios/).
    #[arg(long)]
    rule: String,
    /// The rule that changes are reported against (a vintage or a threshold file).
    #[arg(long, default_value = "2026-01")]
    baseline: String,
    /// A buyer in China (Country Group D:5), whom the rules restrict; without it, a buyer no
    /// rule restricts.
    #[arg(long)]
    restricted: bool,
    /// Count chips whose exports 91 FR 1684 reviews case by case as denied (default: the
    /// licence is assumed granted).
    #[arg(long)]
    deny_case_by_case: bool,
    /// Only chips on sale by this month (YYYY-MM) are candidates (default: the rule's date).
    #[arg(long)]
    as_of: Option<String>,
    /// A training run: a published run or estimate (deepseek-v3, llama-3.1-405b, gpt-4, ...)
    /// or a FLOP count (3.3e24).
    #[arg(long)]
    train: Option<String>,
    /// GPUs in the training cluster (default: the published run's own count).
    #[arg(long, requires = "train")]
    gpus: Option<u64>,
    /// A model to serve: an architecture of data/models.toml (deepseek-v3, llama-3.1-70b, ...).
    #[arg(long)]
    serve: Option<String>,
    /// Weight (and GEMM activation) format for serving: bf16, fp16, fp8, int8, int4, nvfp4,
    /// mxfp4.
    #[arg(long, default_value = "fp8", requires = "serve")]
    weights: Format,
    /// KV-cache format for serving: bf16, fp16 or fp8.
    #[arg(long, default_value = "fp8", requires = "serve")]
    kv: Format,
    /// Concurrent sequences per serving replica.
    #[arg(long, default_value_t = 64.0, requires = "serve")]
    batch: f64,
    /// Tokens in each sequence's KV cache during decode.
    #[arg(long, default_value_t = Request::CONTEXT, requires = "serve")]
    context: f64,
    /// Prompt tokens per request.
    #[arg(long, default_value_t = Request::PROMPT, requires = "serve")]
    prompt: f64,
    /// Output tokens per request.
    #[arg(long, default_value_t = Request::OUTPUT, requires = "serve")]
    output: f64,
    /// Move one threshold over a range: FIELD=LO..HI with FIELD tpp, performance_density,
    /// dram_bandwidth_gbps or interconnect_gbps (GB/s), e.g. tpp=1000..8000.
    #[arg(long)]
    sweep: Option<String>,
    /// Steps of the sweep, ends included.
    #[arg(long, default_value_t = 100, requires = "sweep")]
    steps: usize,
    /// Leave the table of every chip out of the table, Markdown and HTML outputs (CSV and
    /// JSON keep every chip).
    #[arg(long, conflicts_with = "sweep")]
    brief: bool,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

impl ScenarioArgs {
    fn question(&self, db: &Database) -> Result<Question, ScenarioError> {
        let as_of = self
            .as_of
            .as_deref()
            .map(|m| m.parse::<Month>())
            .transpose()
            .map_err(|why| ScenarioError::Input {
                field: "as_of",
                why,
            })?;
        Ok(Question {
            rule: Controls::parse(&self.rule, "rule", db)?,
            baseline: Controls::parse(&self.baseline, "baseline", db)?,
            buyer: Buyer {
                restricted: self.restricted,
                case_by_case_granted: !self.deny_case_by_case,
            },
            as_of,
        })
    }

    /// The training run: a FLOP count where `--train` reads as a number, else a model.
    fn train(&self) -> Option<Train> {
        let t = self.train.as_deref()?;
        let compute = match parse_quantity("--train", t) {
            Ok(flops) if t.trim().starts_with(|c: char| c.is_ascii_digit()) => {
                Compute::Flops(flops)
            }
            _ => Compute::Model(t.trim().to_string()),
        };
        Some(Train {
            compute,
            gpus: self.gpus,
        })
    }

    fn load(&self) -> Option<Load> {
        Some(Load {
            model: self.serve.clone()?,
            request: Request {
                weights: self.weights,
                kv: self.kv,
                batch: Some(self.batch),
                context: self.context,
                prompt: self.prompt,
                output: self.output,
                gpus: None,
            },
        })
    }
}

/// A scenario error as one line, an input error naming the option.
fn scenario_error(e: ScenarioError) -> Fatal {
    match e {
        ScenarioError::Input { field, why } => Fatal(anyhow!("{}: {why}", flag(field))),
        ScenarioError::Serve(e) => super::serve_error(e),
        ScenarioError::Cost(e) => super::cost_error(e),
        other => Fatal(other.into()),
    }
}

pub fn scenario_cmd(a: &ScenarioArgs) -> Result<ExitCode, Fatal> {
    // Checked whether or not a sweep asks for it (`--brief` lets clap drop `requires`).
    scenario::sweep::check_steps(a.steps).map_err(scenario_error)?;
    let db = Database::load()?;
    let q = a.question(&db).map_err(scenario_error)?;
    let range = a
        .sweep
        .as_deref()
        .map(parse_range)
        .transpose()
        .map_err(scenario_error)?;
    let tables = Tables::load(&db).map_err(super::cost_error)?;
    let work = Workloads::compute(&db, &tables, a.train().as_ref(), a.load().as_ref())
        .map_err(scenario_error)?;
    match range {
        Some(range) => {
            let s = scenario::sweep(&db, &work, &q, range, a.steps).map_err(scenario_error)?;
            super::emit(
                a.format.view(),
                &s,
                scenario::view::sweep(&s),
                "chipbench scenario sweep",
            )?;
        }
        None => {
            let s = scenario::evaluate(&db, &work, &q).map_err(scenario_error)?;
            super::emit(
                a.format.view(),
                &s,
                scenario::view::scenario(&s, a.brief),
                "chipbench scenario",
            )?;
        }
    }
    if a.format == OutputFormat::Json {
        eprintln!("{DISCLAIMER}");
    }
    Ok(ExitCode::SUCCESS)
}

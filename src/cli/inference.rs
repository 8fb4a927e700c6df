//! `chipbench inference`: what a chip delivers serving a model (memory, decode, prefill,
//! cost), or every chip beside its TPP with `--compare`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;

use super::Fatal;
use super::classify::rule;
use chipbench::cost::{Evidence, Tables};
use chipbench::dataset;
use chipbench::policy::{DISCLAIMER, Database, Precision, Rule};
use chipbench::serve::{self, Setting};

#[derive(clap::Args)]
pub struct InferenceArgs {
    /// A model from data/models.toml's architectures (deepseek-v3, llama-3.1-70b, ...).
    #[arg(long)]
    model: String,
    /// The chip: any id in the chip database.
    #[arg(long, conflicts_with = "result")]
    chip: Option<String>,
    /// A result file: its device's chip and its measured copy bandwidth.
    #[arg(long)]
    result: Option<PathBuf>,
    /// Weight format: bf16, fp8 or int4.
    #[arg(long, default_value = "bf16")]
    weights: Precision,
    /// KV-cache format: bf16 or fp8.
    #[arg(long, default_value = "bf16")]
    kv: Precision,
    /// Concurrent sequences per replica.
    #[arg(long, default_value_t = 1.0)]
    batch: f64,
    /// Tokens in each sequence's KV cache during decode.
    #[arg(long, default_value_t = 4096.0)]
    context: f64,
    /// Prompt tokens prefilled per request (for prefill rate and time to first token).
    #[arg(long, default_value_t = 1024.0)]
    prompt: f64,
    /// Output tokens per request (for throughput over whole requests).
    #[arg(long, default_value_t = 256.0)]
    output: f64,
    /// Fill the replica (--gpus) with as many sequences of prompt + output tokens as fit.
    #[arg(long, requires = "gpus", conflicts_with = "batch")]
    fill: bool,
    /// GPUs per replica (default: the fewest that hold it).
    #[arg(long)]
    gpus: Option<f64>,
    /// Rental price per GPU-hour in USD (default: the chip's entry in data/prices.toml).
    #[arg(long)]
    price: Option<f64>,
    /// The dataset whose measurements are evidence (default: results, where present).
    #[arg(long)]
    dataset: Option<PathBuf>,
    /// Every chip (or those of --chips) beside its TPP and 3A090 status.
    #[arg(long, conflicts_with_all = ["chip", "result", "gpus", "price", "batch", "fill"])]
    compare: bool,
    /// Chips for --compare, comma-separated ids (default: every chip).
    #[arg(long, requires = "compare", value_delimiter = ',')]
    chips: Vec<String>,
    /// The batch --compare reports throughput at.
    #[arg(long, default_value_t = 64.0)]
    throughput_batch: f64,
    /// Rule vintage for --compare's classification column.
    #[arg(long, default_value = "2026-01", value_parser = rule)]
    rule: Rule,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn inference(a: &InferenceArgs) -> Result<ExitCode, Fatal> {
    let db = Database::load()?;
    let tables = Tables::load()?;
    let arch = tables.catalog.architecture(&a.model)?;
    let setting = Setting {
        weights: a.weights,
        kv: a.kv,
        batch: a.batch,
        context: a.context,
        prompt: a.prompt,
        output: a.output,
        gpus: a.gpus,
        fill: a.fill,
    };
    if a.compare {
        let chips = if a.chips.is_empty() {
            db.chips.iter().collect()
        } else {
            a.chips
                .iter()
                .map(|id| db.get(id.trim()))
                .collect::<Result<Vec<_>, _>>()?
        };
        chipbench::input::within("--throughput-batch", a.throughput_batch, 1.0, 1e6)
            .map_err(|e| anyhow!(e))?;
        let efficiency = serve::calibrate(&db, &tables.catalog)?;
        let rows = serve::compare(
            &db,
            &tables.prices,
            arch,
            &chips,
            &setting,
            a.throughput_batch,
            efficiency,
            a.rule,
        );
        let left: Vec<&str> = chips
            .iter()
            .map(|c| c.id.as_str())
            .filter(|id| !rows.iter().any(|r| r.chip == *id))
            .collect();
        if rows.is_empty() {
            return Err(anyhow!(
                "no chip of {} has the memory, bandwidth and matrix figures {} needs, or room for it",
                left.join(", "),
                arch.name
            )
            .into());
        }
        if a.json {
            println!("{}", serde_json::to_string_pretty(&rows)?);
            eprintln!("{DISCLAIMER}");
        } else {
            print!("{}", serve::text::compare_text(&arch.name, &rows));
            if !left.is_empty() {
                println!(
                    "left out (no memory capacity, bandwidth or matrix peak in the database): {}",
                    left.join(", ")
                );
            }
            println!("{DISCLAIMER}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let files =
        Evidence::with_standing(&db, super::cost::evidence_files(&db, a.dataset.as_deref())?);
    let (chip, given) = match (&a.chip, &a.result) {
        (Some(id), _) => (db.get(id)?, None),
        (None, Some(path)) => {
            let r = dataset::read(&db, path).map_err(|e| anyhow!(e))?;
            let chip = db.for_result(&r).ok_or_else(|| {
                anyhow!(
                    "{:?} maps to no chip in data/chips.toml: use --chip ID instead of --result",
                    r.device.name
                )
            })?;
            let e = Evidence::with_standing(&db, vec![(path.display().to_string(), r)])
                .pop()
                .expect("one file");
            (chip, Some(e))
        }
        (None, None) => return Err(anyhow!("give the chip: --chip ID or --result FILE").into()),
    };
    let efficiency = serve::calibrate(&db, &tables.catalog)?;
    let rates = serve::rates(&db, chip, given.as_ref(), &files, a.weights, a.kv)?;
    let price = tables.prices.choose(Some(&chip.id), a.price)?;
    let s = serve::serve(arch, rates, &setting, efficiency, price)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        print!("{}", s.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

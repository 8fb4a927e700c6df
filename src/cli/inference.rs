//! `chipbench inference`: what a chip delivers serving a model (memory, decode, prefill,
//! cost), every chip beside its TPP with `--compare`, or every published figure beside its
//! prediction with `--validate`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;

use super::classify::rule;
use super::{Fatal, OutputFormat, serve_error};
use chipbench::cost::catalog::Architecture;
use chipbench::cost::{Evidence, Tables};
use chipbench::dataset;
use chipbench::policy::{DISCLAIMER, Database, Rule};
use chipbench::serve::{self, Calibration, Comparing, Format, Request, figures::Figures};
use chipbench::view::Format as View;

#[derive(clap::Args)]
pub struct InferenceArgs {
    /// A model from data/models.toml's architectures (deepseek-v3, llama-3.1-70b, ...).
    #[arg(long, required_unless_present = "validate")]
    model: Option<String>,
    /// The chip: any id in the chip database.
    #[arg(long, conflicts_with = "result")]
    chip: Option<String>,
    /// A result file: its device's chip and its measured copy bandwidth.
    #[arg(long)]
    result: Option<PathBuf>,
    /// Weight (and GEMM activation) format: bf16, fp16, fp8, int8, int4 (weights only),
    /// nvfp4, mxfp4.
    #[arg(long, default_value = "bf16")]
    weights: Format,
    /// KV-cache format (attention runs at it): bf16, fp16 or fp8.
    #[arg(long, default_value = "bf16")]
    kv: Format,
    /// Concurrent sequences per replica.
    #[arg(long, default_value_t = 1.0)]
    batch: f64,
    /// Tokens in each sequence's KV cache during decode.
    #[arg(long, default_value_t = Request::CONTEXT)]
    context: f64,
    /// Prompt tokens prefilled per request (for prefill rate and time to first token).
    #[arg(long, default_value_t = Request::PROMPT)]
    prompt: f64,
    /// Output tokens per request (for throughput over whole requests).
    #[arg(long, default_value_t = Request::OUTPUT)]
    output: f64,
    /// Fill the replica (--gpus) with as many sequences of prompt + output tokens as fit.
    #[arg(long, requires = "gpus")]
    fill: bool,
    /// GPUs per replica, in one tensor-parallel group (default: the fewest that hold it).
    #[arg(long)]
    gpus: Option<f64>,
    /// Rental price per GPU-hour in USD (default: the chip's entry in data/prices.toml).
    #[arg(long)]
    price: Option<f64>,
    /// The dataset whose measurements are evidence (default: results, where present).
    #[arg(long)]
    dataset: Option<PathBuf>,
    /// Every chip (or those of --chips) beside its TPP and 3A090 status.
    #[arg(long, conflicts_with_all = ["chip", "result", "gpus", "price", "fill", "validate"])]
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
    /// Every published serving figure beside its prediction, error and range.
    #[arg(long, conflicts_with_all = ["model", "chip", "result", "fill", "gpus", "price"])]
    validate: bool,
    /// Read a `--result` file even when its run is incomplete (interrupted).
    #[arg(long)]
    allow_incomplete: bool,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Print JSON (the typed answer) instead of text: --format json.
    #[arg(long)]
    json: bool,
}

impl InferenceArgs {
    fn request(&self) -> Request {
        Request {
            weights: self.weights,
            kv: self.kv,
            batch: (!self.fill).then_some(self.batch),
            context: self.context,
            prompt: self.prompt,
            output: self.output,
            gpus: self.gpus,
        }
    }

    fn format(&self) -> Result<View, Fatal> {
        self.format.or_json(self.json, "inference")
    }
}

pub fn inference(a: &InferenceArgs) -> Result<ExitCode, Fatal> {
    let format = a.format()?;
    // Every numeric option is checked, whichever of them the question uses.
    a.request().check().map_err(serve_error)?;
    serve::check_throughput_batch(a.throughput_batch).map_err(serve_error)?;
    let db = Database::load()?;
    let tables = Tables::load(&db).map_err(super::cost_error)?;
    if a.validate {
        return validate(format, &db, &tables);
    }
    let id = a.model.as_deref().unwrap_or_default();
    let arch = tables
        .catalog
        .known_architecture(id)
        .map_err(|why| anyhow!("--model: {why}"))?;
    let calibration = Calibration::load(&db, &tables.catalog).map_err(serve_error)?;
    if a.compare {
        return compare(a, format, &db, &tables, arch, &calibration);
    }
    let signers = dataset::signers(a.dataset.as_deref())?;
    let files = Evidence::with_standing(
        &db,
        &signers,
        super::cost::evidence_files(&db, a.dataset.as_deref())?,
    );
    let (chip, given) = match (&a.chip, &a.result) {
        (Some(id), _) => (db.resolve(id)?, None),
        (None, Some(path)) => {
            let r = dataset::read_with(&db, path, a.allow_incomplete).map_err(|e| anyhow!(e))?;
            let chip = db.for_result(&r).ok_or_else(|| {
                anyhow!(
                    "{:?} maps to no chip in data/chips.toml: use --chip ID instead of --result",
                    r.device.name
                )
            })?;
            let e = Evidence::with_standing(&db, &signers, vec![(path.display().to_string(), r)])
                .pop()
                .expect("one file");
            (chip, Some(e))
        }
        (None, None) => return Err(anyhow!("give the chip: --chip ID or --result FILE").into()),
    };
    let rates =
        serve::rates(&db, chip, given.as_ref(), &files, a.weights, a.kv).map_err(serve_error)?;
    let price = tables
        .prices
        .choose(Some(&chip.id), a.price)
        .map_err(super::cost_error)?;
    let s = serve::serve(arch, rates, &a.request(), &calibration, price).map_err(serve_error)?;
    super::emit(format, &s, serve::view::serving(&s), "chipbench inference")?;
    Ok(ExitCode::SUCCESS)
}

/// `--validate`: every published serving figure beside its held-out prediction, and the
/// summary by vendor and regime.
fn validate(format: View, db: &Database, tables: &Tables) -> Result<ExitCode, Fatal> {
    let figures = Figures::load(db, &tables.catalog).map_err(|e| anyhow!(e))?;
    let points = serve::calibrate::points(db, &tables.catalog, &figures).map_err(serve_error)?;
    let calibration = Calibration::of(&points).map_err(serve_error)?;
    let rows = serve::validate::validate(db, &points, &calibration).map_err(serve_error)?;
    let groups = serve::validate::summarise(&rows);
    super::emit(
        format,
        &(&rows, &groups),
        serve::view::validation(&rows, &groups),
        "chipbench inference",
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `--compare`: every chip (or those of `--chips`) serving `arch` beside its TPP and status.
fn compare(
    a: &InferenceArgs,
    format: View,
    db: &Database,
    tables: &Tables,
    arch: &Architecture,
    calibration: &Calibration,
) -> Result<ExitCode, Fatal> {
    let chips = if a.chips.is_empty() {
        db.chips.iter().collect()
    } else {
        a.chips
            .iter()
            .map(|id| db.resolve(id.trim()))
            .collect::<Result<Vec<_>, _>>()?
    };
    let comparing = Comparing {
        db,
        prices: &tables.prices,
        calibration,
        rule: a.rule,
        throughput_batch: a.throughput_batch,
    };
    let c = serve::compare(&comparing, arch, &chips, &a.request()).map_err(serve_error)?;
    if c.rows.is_empty() {
        return Err(anyhow!("no chip can serve {}: {}", arch.name, c.left_out[0].1).into());
    }
    super::emit(
        format,
        &c.rows,
        serve::view::compare(&arch.name, &c.rows, &c.left_out),
        "chipbench inference",
    )?;
    eprintln!("{DISCLAIMER}");
    Ok(ExitCode::SUCCESS)
}

//! `chipbench cost`: training compute, GPU-hours, days and dollars for a model on a chip.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;

use super::{Fatal, OutputFormat, cost_error};
use chipbench::cost::{
    self, AmortizedInputs, Compute, Context, EPOCH_CHIP_TO_SERVER_POWER, Evidence, Field, Request,
    Tables, estimate, parse_quantity, within,
};
use chipbench::dataset;
use chipbench::policy::{Database, Precision};
use chipbench::view::Format as View;

#[derive(clap::Args)]
pub struct CostArgs {
    /// A published run of data/training_runs.toml (deepseek-v3, llama-3.1-405b, llama-2-70b,
    /// ...) or a speculative estimate of data/models.toml (gpt-4).
    #[arg(long, conflicts_with_all = ["params", "flops"])]
    model: Option<String>,
    /// Active parameters per token (e.g. 37B or 3.7e10); needs --tokens.
    #[arg(long, requires = "tokens", conflicts_with = "flops")]
    params: Option<String>,
    /// Training tokens (e.g. 14.8T).
    #[arg(long, requires = "params", conflicts_with_all = ["flops", "model"])]
    tokens: Option<String>,
    /// All parameters of a mixture-of-experts model (e.g. 671B), for its size in the
    /// calibration and its training state (default: --params, a dense model).
    #[arg(long, requires = "params", conflicts_with = "model")]
    total_params: Option<String>,
    /// Training compute in FLOP (e.g. 3.3e24).
    #[arg(long)]
    flops: Option<String>,
    /// The chip to train on: any id in the chip database (`chipbench chips`).
    #[arg(long)]
    chip: Option<String>,
    /// A result file: its device's chip, and its vendor-library measurement if it is one.
    #[arg(long, conflicts_with = "chip")]
    result: Option<PathBuf>,
    /// Sustained training rate per GPU in TFLOP/s, used as is (no calibration).
    #[arg(long, conflicts_with = "utilization")]
    tflops: Option<f64>,
    /// Precision of the chip's capability, for it and every calibration run alike (default:
    /// bf16, else fp16 on chips without a bf16 peak).
    #[arg(long)]
    precision: Option<Precision>,
    /// Fraction of the chip's capability (vendor-library GEMM or datasheet peak, as the
    /// evidence line says) a training run sustains; replaces the calibration.
    #[arg(long)]
    utilization: Option<f64>,
    /// Include the attention term, in the estimate and in the calibration alike (runs with a
    /// known architecture, so only with --model).
    #[arg(long)]
    attention: bool,
    /// Rental price per GPU-hour in USD (default: the chip's entry in data/prices.toml).
    #[arg(long)]
    price: Option<f64>,
    /// Bytes of training state per parameter, for whether the chips hold the model (default
    /// 16: mixed-precision Adam).
    #[arg(long)]
    state_bytes_per_param: Option<f64>,
    /// The dataset whose vendor-library files are evidence (default: results, where present).
    #[arg(long)]
    dataset: Option<PathBuf>,
    /// Predict every published training run (data/training_runs.toml) from the others, on
    /// its own chip, with its 80% range, and summarise the error and coverage.
    #[arg(long, conflicts_with_all = ["model", "params", "flops", "chip", "result", "tflops", "utilization", "price", "gpus", "purchase_price", "state_bytes_per_param"])]
    validate: bool,
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
    /// Read a `--result` file even when its run is incomplete (interrupted).
    #[arg(long)]
    allow_incomplete: bool,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Print JSON (the typed answer) instead of text: --format json.
    #[arg(long)]
    json: bool,
}

impl CostArgs {
    fn format(&self) -> Result<View, Fatal> {
        self.format.or_json(self.json, "cost")
    }

    /// The compute asked about; every quantity given is parsed and checked, used or not.
    fn compute(&self) -> Result<Option<Compute>, Fatal> {
        let q = |name: &str, s: &Option<String>| {
            s.as_deref()
                .map(|s| parse_quantity(name, s).map_err(|e| anyhow!(e)))
                .transpose()
        };
        let params = q("--params", &self.params)?;
        let tokens = q("--tokens", &self.tokens)?;
        let total_params = q("--total-params", &self.total_params)?;
        let flops = q("--flops", &self.flops)?;
        Ok(match (&self.model, params, tokens, flops) {
            (Some(id), ..) => Some(Compute::Model(id.clone())),
            (_, Some(active_params), Some(tokens), _) => Some(Compute::ParamsTokens {
                active_params,
                tokens,
                total_params,
            }),
            (.., Some(f)) => Some(Compute::Flops(f)),
            _ => None,
        })
    }

    /// The amortised-cost inputs, each checked whether or not a purchase price is given.
    fn amortized(&self) -> Result<Option<AmortizedInputs>, Fatal> {
        AmortizedInputs::check_running(self.pue, self.usd_per_kwh, self.years_since_purchase)
            .map_err(cost_error)?;
        Ok(self
            .purchase_price
            .zip(self.tdp_watts)
            .map(|(price, watts)| AmortizedInputs {
                purchase_price_usd: price,
                years_since_purchase: self.years_since_purchase,
                tdp_kw: watts / 1000.0,
                chip_to_server_power: EPOCH_CHIP_TO_SERVER_POWER,
                pue: self.pue,
                usd_per_kwh: self.usd_per_kwh,
            }))
    }
}

pub fn cost(a: &CostArgs) -> Result<ExitCode, Fatal> {
    let format = a.format()?;
    // Checked first: every numeric input is refused out of range even where unused.
    let amortized = a.amortized()?;
    let compute = a.compute()?;
    let db = Database::load()?;
    let tables = Tables::load(&db).map_err(cost_error)?;
    let root = dataset_root(a.dataset.as_deref())?;
    let signers = dataset::signers(a.dataset.as_deref())?;
    if a.validate {
        // Validation rests on the published runs and the datasheets alone: no result file.
        let ctx = Context::new(&db, &tables, &[]);
        let rows = cost::validate::validate(&ctx, a.precision, a.attention).map_err(cost_error)?;
        let summary = cost::validate::summarise(&rows)
            .ok_or_else(|| anyhow!("no calibrating run to validate"))?;
        super::emit(
            format,
            &(&rows, &summary),
            cost::view::validation(&rows, &summary),
            "chipbench cost",
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    if compute.is_none() && a.result.is_none() && a.chip.is_none() {
        return Err(
            anyhow!("give the compute: --model ID, --params N --tokens D, or --flops F").into(),
        );
    }
    let mut files = cost::evidence::dataset(&db, root);
    let result = match &a.result {
        Some(path) => {
            let r = dataset::read_with(&db, path, a.allow_incomplete).map_err(|e| anyhow!(e))?;
            Some(match files.iter().position(|(_, e)| e.id == r.id) {
                Some(i) => i,
                None => {
                    files.push((path.display().to_string(), r));
                    files.len() - 1
                }
            })
        }
        None => None,
    };
    let files = Evidence::with_standing(&db, &signers, files);
    let request = Request {
        compute,
        chip: a
            .chip
            .as_deref()
            .map(|c| db.resolve(c).map(|c| c.id.clone()))
            .transpose()?,
        result: result.map(|i| &files[i]),
        flop_per_s: a
            .tflops
            .map(|t| within(Field::Tflops, t, 1e-6, 1e7).map(|t| t * 1e12))
            .transpose()
            .map_err(cost_error)?,
        utilization: a.utilization,
        precision: a.precision,
        with_attention: a.attention,
        price_usd_per_gpu_hour: a.price,
        gpus: a.gpus,
        amortized,
        state_bytes_per_param: a.state_bytes_per_param,
    };
    let e = estimate(&Context::new(&db, &tables, &files), &request).map_err(cost_error)?;
    super::emit(format, &e, cost::view::estimate(&e), "chipbench cost")?;
    Ok(ExitCode::SUCCESS)
}

/// The valid result files of `--dataset` (which must be a directory), or of `results/` where
/// it exists: the measurements derived figures may rest on.
pub(super) fn evidence_files(
    db: &Database,
    dataset: Option<&std::path::Path>,
) -> Result<Vec<(String, chipbench::model::RunResult)>, Fatal> {
    Ok(cost::evidence::dataset(db, dataset_root(dataset)?))
}

/// The dataset folder `--dataset` names (`results` without it), refused when it is not one.
fn dataset_root(dataset: Option<&std::path::Path>) -> Result<&std::path::Path, Fatal> {
    match dataset {
        Some(root) if !root.is_dir() => {
            Err(anyhow!("--dataset {}: not a directory", root.display()).into())
        }
        Some(root) => Ok(root),
        None => Ok(std::path::Path::new("results")),
    }
}

//! `chipbench cost`: training compute, GPU-hours, days and dollars for a model on a chip.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;

use super::Fatal;
use chipbench::cost::{
    AmortizedInputs, Catalog, Compute, EPOCH_CHIP_TO_SERVER_POWER, Rate, Request, estimate,
    measured_matmul, parse_quantity,
};
use chipbench::dataset;
use chipbench::model::Numeric;
use chipbench::policy::Database;

#[derive(clap::Args)]
pub struct CostArgs {
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
    precision: Option<Numeric>,
    /// Fraction of the measured matmul rate a training run sustains (default: calibrated from
    /// DeepSeek-V3 and Llama 3.1 405B).
    #[arg(long, requires = "result")]
    utilization: Option<f64>,
    /// Include the attention term (models with a known architecture, so only with --model).
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

pub fn cost(a: &CostArgs) -> Result<ExitCode, Fatal> {
    if a.attention && a.model.is_none() {
        return Err(anyhow!(
            "--attention needs a model whose architecture is known: give --model ID"
        )
        .into());
    }
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
            let result = dataset::read(&Database::load()?, path).map_err(|e| anyhow!(e))?;
            let (tflops, what) = measured_matmul(&result, a.precision)?;
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
                chip_to_server_power: EPOCH_CHIP_TO_SERVER_POWER,
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

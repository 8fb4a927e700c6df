//! Training compute and cost: what a model takes to train on a chip, in FLOPs, GPU-hours,
//! wall-clock days and dollars, and whether the chips can hold it.
//!
//! Compute is C = 6 · N_active · D (plus, optionally, the attention term); GPU-hours = C /
//! (utilisation × capability) / 3600. The capability is the chip's datasheet dense 16-bit peak,
//! scaled where the dataset holds a vendor-library GEMM measured on the chip and on its
//! generation's calibration chips (`evidence`). The utilisation comes from a two-term model
//! (chip generation and model size) fitted on dozens of published training runs
//! (data/training_runs.toml, `runs`, `fit`), never on the run being estimated, and its range
//! is an 80% prediction interval from leave-one-out residuals whose coverage `validate`
//! measures. Prices come from a per-chip table (`price`).

pub mod catalog;
pub mod evidence;
pub mod fit;
pub mod price;
pub mod runs;
pub mod thresholds;
pub mod validate;
pub mod view;

use serde::Serialize;

pub(crate) use catalog::AttentionShape;
pub use catalog::Catalog;
pub use evidence::Evidence;
pub use price::{AmortizedInputs, EPOCH_CHIP_TO_SERVER_POWER, amortized};
pub(crate) use price::{PriceUsed, Prices};
pub use runs::{Runs, gpu_hours};
pub(crate) use runs::{TrainingRun, dense_flops};
pub use thresholds::thresholds;

use crate::policy::{ChipError, Database, Precision};
pub(crate) use crate::quantity::Span;
use fit::Point;

/// The run every chip is compared with: DeepSeek-V3's 2,048 H800s.
pub(crate) const REFERENCE_RUN: &str = "deepseek-v3";
/// The published runs every estimate is set beside (each calibrated without itself), then the
/// speculative estimates.
pub(crate) const COMPARED_RUNS: [&str; 5] = [
    "deepseek-v3",
    "llama-3.1-405b",
    "llama-3.1-70b",
    "llama-3.1-8b",
    "llama-2-70b",
];
/// Bytes of training state per parameter with mixed-precision Adam: bf16 weights and
/// gradients (2 + 2), FP32 master weights and two moments (4 + 4 + 4) (Rajbhandari et al.,
/// ZeRO, 2020); activations excluded.
pub(crate) const ADAM_MIXED_PRECISION_BYTES_PER_PARAM: f64 = 16.0;

/// A problem in a shipped data table, naming the file, the entry and the field.
#[derive(Debug, Clone, PartialEq)]
pub struct DataError {
    pub file: &'static str,
    pub entry: String,
    pub field: &'static str,
    pub why: String,
}

impl DataError {
    pub fn new(file: &'static str, entry: String, field: &'static str, why: String) -> Self {
        DataError {
            file,
            entry,
            field,
            why,
        }
    }

    /// A file that does not parse: TOML's message and the line it points at.
    pub fn parse(file: &'static str, e: toml::de::Error, text: &str) -> Self {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        DataError::new(
            file,
            line.map_or(String::new(), |l| format!("line {l}")),
            "",
            e.message().to_string(),
        )
    }
}

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.entry.is_empty(), self.field.is_empty()) {
            (true, _) => write!(f, "{}: {}", self.file, self.why.trim()),
            (false, true) => write!(f, "{}: {}: {}", self.file, self.entry, self.why),
            (false, false) => write!(
                f,
                "{}: {}: {}: {}",
                self.file, self.entry, self.field, self.why
            ),
        }
    }
}

impl std::error::Error for DataError {}

/// The part of a request an input error is about; the command line names it as its option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Model,
    Params,
    Tokens,
    TotalParams,
    Flops,
    Chip,
    Result,
    Tflops,
    Utilization,
    Precision,
    Attention,
    Price,
    Gpus,
    PurchasePrice,
    TdpWatts,
    Pue,
    UsdPerKwh,
    YearsSincePurchase,
    StateBytesPerParam,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Model => "model",
            Field::Params => "params",
            Field::Tokens => "tokens",
            Field::TotalParams => "total_params",
            Field::Flops => "flops",
            Field::Chip => "chip",
            Field::Result => "result",
            Field::Tflops => "tflops",
            Field::Utilization => "utilization",
            Field::Precision => "precision",
            Field::Attention => "attention",
            Field::Price => "price",
            Field::Gpus => "gpus",
            Field::PurchasePrice => "purchase_price",
            Field::TdpWatts => "tdp_watts",
            Field::Pue => "pue",
            Field::UsdPerKwh => "usd_per_kwh",
            Field::YearsSincePurchase => "years_since_purchase",
            Field::StateBytesPerParam => "state_bytes_per_param",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CostError {
    /// A value of the request that is out of range or does not fit the rest.
    #[error("{field}: {why}", field = .field.name())]
    Input { field: Field, why: String },
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Chip(#[from] ChipError),
    /// Nothing to calibrate on for this request.
    #[error("{0}")]
    Calibration(String),
}

impl CostError {
    pub fn input(field: Field, why: impl Into<String>) -> Self {
        CostError::Input {
            field,
            why: why.into(),
        }
    }
}

/// `v` within `lo..=hi`, or an input error naming `field`.
pub fn within(field: Field, v: f64, lo: f64, hi: f64) -> Result<f64, CostError> {
    crate::input::within("it", v, lo, hi)
        .map_err(|e| CostError::input(field, e.trim_start_matches("it ")))
}

/// The tables `cost` ships: published runs, architectures and speculative estimates, prices.
#[derive(Debug, Clone)]
pub struct Tables {
    pub runs: Runs,
    pub catalog: Catalog,
    pub prices: Prices,
}

impl Tables {
    pub fn load(db: &Database) -> Result<Self, CostError> {
        Ok(Tables {
            runs: Runs::load(db)?,
            catalog: Catalog::load()?,
            prices: Prices::load()?,
        })
    }
}

/// The shipped tables and the measurements derived figures may use.
pub struct Context<'a> {
    pub db: &'a Database,
    pub tables: &'a Tables,
    /// Result files (the dataset and any file given) whose vendor measurements count.
    pub files: &'a [Evidence],
    /// The utilisation fits made on this context, by what a fit depends on (precision,
    /// attention term, run left out) and nothing else: one estimate compares itself with the
    /// same published runs, and a scenario estimates every chip on one context.
    fits: std::cell::RefCell<Vec<(FitKey, std::rc::Rc<Fitted>)>>,
}

/// What a utilisation fit depends on: the precision, the attention term, the run left out.
pub(crate) type FitKey = (Option<Precision>, bool, Option<String>);
/// A fitted calibration and the runs' points it was fitted on.
pub(crate) type Fitted = (fit::Calibration, Vec<Point>);

impl<'a> Context<'a> {
    pub fn new(db: &'a Database, tables: &'a Tables, files: &'a [Evidence]) -> Self {
        Context {
            db,
            tables,
            files,
            fits: Default::default(),
        }
    }

    /// The fit for `key`, made by `make` the first time it is asked for; none when `make`
    /// finds too few runs.
    pub(crate) fn fit(
        &self,
        key: FitKey,
        make: impl FnOnce() -> Option<Fitted>,
    ) -> Option<std::rc::Rc<Fitted>> {
        if let Some((_, f)) = self.fits.borrow().iter().find(|(k, _)| *k == key) {
            return Some(f.clone());
        }
        let f = std::rc::Rc::new(make()?);
        self.fits.borrow_mut().push((key, f.clone()));
        Some(f)
    }
}

/// Where the training compute comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Compute {
    /// A published run (data/training_runs.toml) or a speculative estimate, by id.
    Model(String),
    ParamsTokens {
        active_params: f64,
        tokens: f64,
        /// All parameters (a mixture-of-experts model's experts included), for its memory;
        /// the active count where not given.
        total_params: Option<f64>,
    },
    Flops(f64),
}

/// One `chipbench cost` question.
#[derive(Clone, Default)]
pub struct Request<'a> {
    pub compute: Option<Compute>,
    /// The chip asked about (`--chip`, or the chip a `--result` maps to).
    pub chip: Option<String>,
    /// A result file: its device's chip, its vendor measurement if it is one, and the portable
    /// kernel's figure beside the estimate.
    pub result: Option<&'a Evidence>,
    /// A sustained per-GPU rate in FLOP/s used as is.
    pub flop_per_s: Option<f64>,
    /// A utilisation that replaces the calibration.
    pub utilization: Option<f64>,
    pub precision: Option<Precision>,
    pub with_attention: bool,
    pub price_usd_per_gpu_hour: Option<f64>,
    pub gpus: Option<u64>,
    pub amortized: Option<AmortizedInputs>,
    pub state_bytes_per_param: Option<f64>,
}

/// The calibration holds for the 16-bit formats every run is measured against (bf16, or fp16
/// where a chip has no bf16 peak): a chip's fp8, tf32 or fp64 peak stands in a different ratio
/// to its bf16 one from chip to chip, so utilisations would not carry over.
pub(crate) fn training_precision(asked: Option<Precision>) -> Result<Option<Precision>, CostError> {
    match asked {
        None | Some(Precision::Bf16 | Precision::Fp16) => Ok(asked),
        Some(p) => Err(CostError::input(
            Field::Precision,
            format!(
                "{p}: the calibration holds for bf16 or fp16, the formats every published run is \
                 measured against"
            ),
        )),
    }
}

/// How a model's FLOPs were counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Counted {
    /// 6 · N_active · D, with the attention term where asked.
    SixND {
        active_params: f64,
        tokens: f64,
        attention: bool,
    },
    /// A FLOP count given, or a third party's estimate.
    Given,
}

/// The training compute asked about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Work {
    pub flops: f64,
    pub counted: Counted,
    /// All parameters (for memory), where known.
    pub total_params: Option<f64>,
    /// The published run or estimate it is, by id and name.
    pub run: Option<(String, String)>,
    pub speculative: bool,
}

impl Work {
    fn active_params(&self) -> Option<f64> {
        match self.counted {
            Counted::SixND { active_params, .. } => Some(active_params),
            Counted::Given => None,
        }
    }
}

/// The attention shape and training context of `run`, where known: its architecture entry,
/// else multi-head attention on its layers and width.
fn run_attention(catalog: &Catalog, run: &TrainingRun) -> Option<(AttentionShape, f64)> {
    let context = run.context?;
    let shape = match run
        .architecture
        .as_deref()
        .and_then(|a| catalog.architecture(a))
    {
        Some(a) => a.attention(false),
        None => AttentionShape::multi_head(run.layers?, run.d_model?),
    };
    Some((shape, context))
}

/// `run`'s training FLOPs: 6 · N_active · D, plus attention over its context when asked (none
/// where its attention is unknown).
pub(crate) fn run_flops(catalog: &Catalog, run: &TrainingRun, with_attention: bool) -> Option<f64> {
    if !with_attention {
        return Some(run.flops());
    }
    let (shape, context) = run_attention(catalog, run)?;
    Some(run.flops() + shape.training_flops_per_token(context) * run.tokens)
}

/// The calibrating runs as the fit sees them: utilisation against the datasheet peak of their
/// chip at `p` (or its fp16 peak where it lists no bf16), with the attention term where asked.
pub fn points(ctx: &Context, p: Option<Precision>, with_attention: bool) -> Vec<Point> {
    ctx.tables
        .runs
        .runs
        .iter()
        .filter(|r| r.calibrates())
        .filter_map(|r| point(ctx, r, p, with_attention))
        .collect()
}

/// One published run as the fit sees it (whether or not it calibrates); none where its chip,
/// peak at `p`, compute or generation is unknown.
pub(crate) fn point(
    ctx: &Context,
    r: &TrainingRun,
    p: Option<Precision>,
    with_attention: bool,
) -> Option<Point> {
    let chip = ctx.db.get(&r.chip).ok()?;
    let peak = evidence::peak_at(chip, evidence::precision_for(Some(chip), p))?;
    let flops = run_flops(&ctx.tables.catalog, r, with_attention)?;
    let sustained = flops / (r.gpu_hours * 3600.0);
    Some(Point {
        run: r.id.clone(),
        chip: chip.id.clone(),
        generation: chip.generation.clone()?,
        active_params: r.active_params,
        log_u: (sustained / peak.flop_per_s).ln(),
        weight: r.weight(),
    })
}

/// The work a request asks about.
fn work(ctx: &Context, req: &Request) -> Result<Option<Work>, CostError> {
    if req.with_attention && !matches!(req.compute, Some(Compute::Model(_))) {
        return Err(CostError::input(
            Field::Attention,
            "needs a model whose architecture is known: give a model",
        ));
    }
    let six = |active_params, tokens, total_params, run, attention: f64| Work {
        flops: dense_flops(active_params, tokens) + attention,
        counted: Counted::SixND {
            active_params,
            tokens,
            attention: attention > 0.0,
        },
        total_params,
        run,
        speculative: false,
    };
    Ok(match &req.compute {
        None => None,
        Some(Compute::Flops(f)) => Some(Work {
            flops: within(Field::Flops, *f, 1e9, 1e32)?,
            counted: Counted::Given,
            total_params: None,
            run: None,
            speculative: false,
        }),
        Some(Compute::ParamsTokens {
            active_params,
            tokens,
            total_params,
        }) => {
            let n = within(Field::Params, *active_params, 1e3, 1e16)?;
            let d = within(Field::Tokens, *tokens, 1e3, 1e17)?;
            let total = match total_params {
                Some(t) if *t < n => {
                    return Err(CostError::input(
                        Field::TotalParams,
                        format!("{t:e} cannot be fewer than the active params ({n:e})"),
                    ));
                }
                Some(t) => within(Field::TotalParams, *t, 1e3, 1e16)?,
                None => n,
            };
            Some(six(n, d, Some(total), None, 0.0))
        }
        Some(Compute::Model(id)) => Some(model_work(ctx, id, req.with_attention)?),
    })
}

/// The work of a published run or a speculative estimate.
fn model_work(ctx: &Context, id: &str, with_attention: bool) -> Result<Work, CostError> {
    let t = ctx.tables;
    if let Some(r) = t.runs.get(id) {
        let attention = match with_attention {
            false => 0.0,
            true => {
                run_flops(&t.catalog, r, true).ok_or_else(|| {
                    CostError::input(
                        Field::Attention,
                        format!(
                            "{} has no layers, width and context in data/training_runs.toml",
                            r.id
                        ),
                    )
                })? - r.flops()
            }
        };
        return Ok(Work {
            flops: r.flops() + attention,
            counted: Counted::SixND {
                active_params: r.active_params,
                tokens: r.tokens,
                attention: with_attention,
            },
            total_params: Some(r.params),
            run: Some((r.id.clone(), r.model.clone())),
            speculative: false,
        });
    }
    if let Some(s) = t
        .catalog
        .speculative
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(id))
    {
        if with_attention {
            return Err(CostError::input(
                Field::Attention,
                format!("{} is a compute estimate with no architecture", s.id),
            ));
        }
        return Ok(Work {
            flops: s.flops,
            counted: Counted::Given,
            total_params: None,
            run: Some((s.id.clone(), s.name.clone())),
            speculative: true,
        });
    }
    let ids = t
        .runs
        .runs
        .iter()
        .map(|r| r.id.as_str())
        .chain(t.catalog.speculative.iter().map(|s| s.id.as_str()));
    Err(CostError::input(
        Field::Model,
        format!(
            "unknown model {id:?}; closest: {}",
            crate::input::closest(id, ids).join(", ")
        ),
    ))
}

/// Parses a count such as `405e9`, `405B`, `15.6T` or `3.3e24`; `name` is what the error names.
pub fn parse_quantity(name: &str, s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, scale) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1e3),
        Some('M') => (&t[..t.len() - 1], 1e6),
        Some('B' | 'G') => (&t[..t.len() - 1], 1e9),
        Some('T') => (&t[..t.len() - 1], 1e12),
        Some('P') => (&t[..t.len() - 1], 1e15),
        _ => (t, 1.0),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{name}: {s:?} is not a number"))?;
    crate::input::positive(name, v * scale)
}

mod estimate;
pub use estimate::estimate;
pub(crate) use estimate::{Estimate, Extrapolation, Reported};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_take_suffixes() {
        assert_eq!(parse_quantity("n", "405B").unwrap(), 405e9);
        assert_eq!(parse_quantity("n", "15.6T").unwrap(), 15.6e12);
        assert_eq!(parse_quantity("n", "3.3e24").unwrap(), 3.3e24);
        assert!(parse_quantity("n", "lots").is_err());
        assert!(parse_quantity("n", "-1").is_err());
        assert!(parse_quantity("n", "0").is_err());
    }

    #[test]
    fn input_errors_name_the_field_not_a_flag() {
        let e = within(Field::Tflops, 0.0, 1e-6, 1e7).unwrap_err();
        assert_eq!(e.to_string(), "tflops: must be a positive number, got 0");
        let e = training_precision(Some(Precision::Fp8)).unwrap_err();
        assert!(e.to_string().starts_with("precision: fp8:"), "{e}");
    }

    #[test]
    fn data_errors_name_the_file_entry_and_field() {
        let e = DataError::new(
            "data/x.toml",
            "run \"a\"".into(),
            "gpu_hours",
            "must be positive".into(),
        );
        assert_eq!(
            e.to_string(),
            "data/x.toml: run \"a\": gpu_hours: must be positive"
        );
    }
}

//! What the workloads cost on every chip, computed once per scenario: a training run through
//! `cost::estimate`, a serving load through `serve::serve`. Every chip stands on its datasheet
//! figures, as in `inference --compare`, so that no chip is judged on evidence the others
//! lack; a rule, a baseline or a sweep step then only picks among these figures.

use serde::Serialize;

use super::ScenarioError;
use crate::cost::{
    self, Compute, Context, CostError, Extrapolation, PriceUsed, Reported, Span, Tables,
};
use crate::policy::Database;
use crate::quantity::{Quantity, Unit, ratio, share};
use crate::serve::{self, Bound};

/// A training run: its compute and the cluster it runs on.
#[derive(Debug, Clone, PartialEq)]
pub struct Train {
    pub compute: Compute,
    /// GPUs in the cluster; a published run's own count where not given.
    pub gpus: Option<u64>,
}

/// A serving load: a model of data/models.toml and how it is served.
#[derive(Debug, Clone, PartialEq)]
pub struct Load {
    pub model: String,
    pub request: serve::Request,
}

/// The training run on one chip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Training {
    pub chip: String,
    pub gpu_hours: Span,
    pub wall_days: Span,
    pub cost_usd: Option<Span>,
    pub price: Option<PriceUsed>,
    /// The capability the hours rest on.
    pub evidence: String,
    /// The utilisation and what it was fitted on.
    pub calibration: String,
    /// What the run itself reported, where the estimate is of a published run.
    pub reported: Option<Reported>,
}

/// The serving load on one chip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Serving {
    pub chip: String,
    pub gpus_per_replica: f64,
    /// Decode (output) tokens/s per GPU.
    pub tokens_per_s_per_gpu: Span,
    pub usd_per_m_output: Option<Span>,
    pub price: Option<PriceUsed>,
    pub bound: Bound,
    pub evidence: String,
    pub calibration: String,
}

/// The training run on every chip of the database (in its order), or why a chip cannot run it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingSet {
    /// "DeepSeek-V3 (deepseek-v3) on 2048 GPUs", or the FLOP count on the cluster.
    pub label: String,
    pub gpus: u64,
    pub per_chip: Vec<Result<Training, String>>,
}

/// The serving load on every chip, or why a chip cannot serve it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServingSet {
    pub label: String,
    pub per_chip: Vec<Result<Serving, String>>,
}

/// Both workloads, where asked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Workloads {
    pub training: Option<TrainingSet>,
    pub serving: Option<ServingSet>,
}

impl Workloads {
    /// The asked workloads on every chip of `db`.
    pub fn compute(
        db: &Database,
        tables: &Tables,
        train: Option<&Train>,
        load: Option<&Load>,
    ) -> Result<Workloads, ScenarioError> {
        Ok(Workloads {
            training: train.map(|t| training(db, tables, t)).transpose()?,
            serving: load.map(|l| serving(db, tables, l)).transpose()?,
        })
    }
}

/// A cost error about the question, as the option it came from.
fn asked(e: CostError) -> ScenarioError {
    match e {
        CostError::Input {
            field: cost::Field::Model | cost::Field::Flops,
            why,
        } => ScenarioError::Input {
            field: "train",
            why,
        },
        CostError::Input {
            field: cost::Field::Gpus,
            why,
        } => ScenarioError::Input { field: "gpus", why },
        other => ScenarioError::Cost(other),
    }
}

fn training(db: &Database, tables: &Tables, t: &Train) -> Result<TrainingSet, ScenarioError> {
    let published = match &t.compute {
        Compute::Model(id) => tables.runs.get(id).and_then(|r| r.gpus),
        _ => None,
    };
    let ctx = Context::new(db, tables, &[]);
    let request = |chip: &str, gpus: Option<u64>| cost::Request {
        compute: Some(t.compute.clone()),
        chip: Some(chip.to_string()),
        gpus,
        ..cost::Request::default()
    };
    let Some(gpus) = t.gpus.or(published) else {
        // An unknown model is named before a missing cluster size.
        if let Some(chip) = db.chips.first() {
            cost::estimate(&ctx, &request(&chip.id, None)).map_err(asked)?;
        }
        return Err(ScenarioError::Input {
            field: "gpus",
            why: "give the cluster's size (no published run states one for this workload)".into(),
        });
    };
    let mut work = None;
    let mut per_chip = Vec::new();
    for chip in &db.chips {
        match cost::estimate(&ctx, &request(&chip.id, Some(gpus))) {
            Ok(e) => {
                work = work.or_else(|| e.work.clone());
                per_chip.push(training_of(&chip.id, e));
            }
            // The chip lacks the 16-bit matrix peak the calibration needs.
            Err(CostError::Input {
                field: cost::Field::Precision,
                why,
            }) => per_chip.push(Err(why)),
            Err(e) => return Err(asked(e)),
        }
    }
    let work =
        work.ok_or_else(|| ScenarioError::NoChip("no chip in the database can train it".into()))?;
    Ok(TrainingSet {
        label: format!(
            "{} on {gpus} GPUs",
            match &work.run {
                Some((id, name)) => format!("{name} ({id})"),
                None => Quantity::new(work.flops, Unit::Flop).human(),
            }
        ),
        gpus,
        per_chip,
    })
}

fn training_of(chip: &str, e: cost::Estimate) -> Result<Training, String> {
    let (Some(hours), Some(days)) = (e.gpu_hours, e.wall_days) else {
        return Err("no estimate".into());
    };
    let evidence = e
        .capability
        .as_ref()
        .map_or("a given rate".to_string(), |c| {
            format!(
                "{} dense {} peak {}",
                c.source.name(),
                c.peak.precision,
                Quantity::new(c.flop_per_s(), Unit::FlopPerSecond).human()
            )
        });
    let calibration = match (&e.calibration, e.utilization) {
        (Some(c), Some(u)) => {
            let pooled = e
                .extrapolation
                .iter()
                .any(|x| matches!(x, Extrapolation::Generation { .. }));
            format!(
                "utilisation {} ({} to {}), fitted on {} published runs ({} of its generation{}){}",
                share(u.central),
                share(u.low),
                share(u.high),
                c.runs,
                c.generation_runs,
                if pooled {
                    ": the generations' mean, their spread in the range"
                } else {
                    ""
                },
                c.left_out.as_ref().map_or(String::new(), |r| format!(
                    "; {r} left out: it is the run estimated"
                ))
            )
        }
        _ => "not calibrated".to_string(),
    };
    Ok(Training {
        chip: chip.to_string(),
        gpu_hours: hours,
        wall_days: days,
        cost_usd: e.cost_usd,
        price: e.price,
        evidence,
        calibration,
        reported: e.reported,
    })
}

fn serving(db: &Database, tables: &Tables, l: &Load) -> Result<ServingSet, ScenarioError> {
    let calibration = &serve::Calibration::load(db, &tables.catalog)?;
    let arch = tables
        .catalog
        .known_architecture(&l.model)
        .map_err(|why| ScenarioError::Input {
            field: "serve",
            why,
        })?;
    l.request.setting(arch)?;
    let mut per_chip = Vec::new();
    for chip in &db.chips {
        let one = serve::on_datasheet(db, chip, l.request.weights, l.request.kv, &tables.prices)
            .and_then(|(r, price)| serve::serve(arch, r, &l.request, calibration, price));
        match one {
            Ok(s) => per_chip.push(Ok(Serving {
                chip: chip.id.clone(),
                gpus_per_replica: s.roofline.layout.gpus(),
                tokens_per_s_per_gpu: s.decode_tokens_per_s_per_gpu,
                usd_per_m_output: s.usd_per_m_output,
                bound: s.roofline.bound,
                evidence: format!("{}; GEMMs at the {}", s.rates.bandwidth.describe(), s.rates.gemm.describe()),
                calibration: format!(
                    "decode at {} of the roofline ({} serving, calibrated on published figures; the range is their held-out 80% interval)",
                    ratio(s.efficiency.decode),
                    s.regime.name()
                ),
                price: s.price,
            })),
            Err(e) if e.leaves_chip_out() => per_chip.push(Err(e.to_string())),
            Err(e) => return Err(e.into()),
        }
    }
    let r = &l.request;
    let batch = r.batch.map_or("a filled replica".to_string(), |b| {
        format!("{b} sequences of {} cached tokens per replica", r.context)
    });
    Ok(ServingSet {
        label: format!(
            "{} ({} weights, {} KV cache, {batch})",
            arch.name, r.weights, r.kv
        ),
        per_chip,
    })
}

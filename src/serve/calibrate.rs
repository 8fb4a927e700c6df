//! The serving efficiency, calibrated on the published figures: the share of the roofline real
//! serving reaches, for decode and for prefill, for dense models and for mixtures of experts
//! (four numbers in all). Each regime's pair is fitted to its figures by least squares in
//! log throughput; no engine, vendor or figure has a term of its own. Ranges are 80% intervals
//! from held-out residuals: each figure predicted by the efficiencies fitted without it.

use serde::Serialize;

use super::ServeError;
use super::figures::{Figure, Figures};
use super::rates::rates;
use super::roofline::{Efficiency, Roofline, roofline};
use crate::cost::Catalog;
use crate::cost::fit::quantile;
use crate::policy::Database;

/// The kind of serving an efficiency holds for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Regime {
    Dense,
    MixtureOfExperts,
}

impl Regime {
    pub fn of(moe: bool) -> Regime {
        if moe {
            Regime::MixtureOfExperts
        } else {
            Regime::Dense
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Regime::Dense => "dense",
            Regime::MixtureOfExperts => "mixture of experts",
        }
    }
}

/// A published figure with its roofline: what the fit needs.
#[derive(Debug, Clone)]
pub struct Point {
    pub figure: Figure,
    pub regime: Regime,
    pub roofline: Roofline,
    pub output: f64,
}

impl Point {
    /// Output tokens/s per chip at efficiency `e`.
    pub fn predict(&self, e: Efficiency) -> f64 {
        if self.figure.decode_only() {
            self.roofline.decode_per_gpu(e)
        } else {
            self.roofline.requests_per_gpu(self.output, e)
        }
    }

    /// ln(predicted / published) at `e`.
    fn residual(&self, e: Efficiency) -> f64 {
        (self.predict(e) / self.figure.per_gpu()).ln()
    }
}

/// The figures as calibration points: each with its roofline on its chip's datasheet rates.
pub fn points(
    db: &Database,
    catalog: &Catalog,
    figures: &Figures,
) -> Result<Vec<Point>, ServeError> {
    figures
        .figures
        .iter()
        .map(|f| {
            let arch = catalog.architecture(&f.model).expect("checked on load");
            let chip = db.get(&f.chip)?;
            let r = rates(db, chip, None, &[], f.precision, f.kv())?;
            let setting = f.setting(arch, r.memory_bytes);
            let roofline = roofline(arch, &r, &setting).map_err(|e| ServeError::Figure {
                id: f.id.clone(),
                why: e.to_string(),
            })?;
            Ok(Point {
                regime: Regime::of(arch.moe.is_some()),
                output: setting.output,
                figure: f.clone(),
                roofline,
            })
        })
        .collect()
}

/// ln(efficiency) spans the fit searches: from 1/20 of the roofline to 1.5 times it.
const LOG_LOW: f64 = -3.0;
const LOG_HIGH: f64 = 0.4;

/// The efficiency pair that fits `points` best (least squares in log throughput): a grid over
/// both logs, then two finer grids around the best.
pub fn fit(points: &[&Point]) -> Option<Efficiency> {
    if points.is_empty() {
        return None;
    }
    let cost = |d: f64, p: f64| {
        let e = Efficiency {
            decode: d.exp(),
            prefill: p.exp(),
        };
        points.iter().map(|x| x.residual(e).powi(2)).sum::<f64>()
    };
    let (mut d, mut p, mut step) = (-1.0, -1.0, (LOG_HIGH - LOG_LOW) / 20.0);
    let (mut lo_d, mut lo_p) = (LOG_LOW, LOG_LOW);
    for _ in 0..3 {
        let mut best = (f64::INFINITY, d, p);
        for i in 0..=20 {
            for j in 0..=20 {
                let (x, y) = (lo_d + step * i as f64, lo_p + step * j as f64);
                let c = cost(x, y);
                if c < best.0 {
                    best = (c, x, y);
                }
            }
        }
        (d, p) = (best.1, best.2);
        (lo_d, lo_p) = (d - step, p - step);
        step /= 10.0;
    }
    Some(Efficiency {
        decode: d.exp(),
        prefill: p.exp(),
    })
}

/// The efficiencies of both regimes, and the held-out residuals of every calibrating figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub dense: Efficiency,
    pub moe: Efficiency,
    /// Figures each regime rests on.
    pub dense_figures: usize,
    pub moe_figures: usize,
    /// ln(predicted / published) of each calibrating figure, fitted without it (by id).
    pub residuals: Vec<(String, f64)>,
    /// The efficiencies each calibrating figure's residual was predicted with, fitted without
    /// it (by id): what validation predicts the figure with.
    #[serde(skip)]
    pub held_out: Vec<(String, Efficiency)>,
    /// The 10th and 90th percentiles of the residuals: the 80% range.
    pub lower: f64,
    pub upper: f64,
}

impl Calibration {
    /// The calibration on the shipped chips, models and figures, fitted once per process:
    /// the tables are compiled in, so every caller would fit the same.
    pub fn shipped() -> Result<&'static Calibration, ServeError> {
        static SHIPPED: std::sync::OnceLock<Calibration> = std::sync::OnceLock::new();
        if let Some(c) = SHIPPED.get() {
            return Ok(c);
        }
        let c = Calibration::load(&Database::load()?, &Catalog::load()?)?;
        Ok(SHIPPED.get_or_init(|| c))
    }

    /// The calibration on the shipped figures.
    pub fn load(db: &Database, catalog: &Catalog) -> Result<Calibration, ServeError> {
        let figures = Figures::load(db, catalog)?;
        Calibration::of(&points(db, catalog, &figures)?)
    }

    /// Fitted on the calibrating figures of `all`.
    pub fn of(all: &[Point]) -> Result<Calibration, ServeError> {
        let calibrating: Vec<&Point> = all.iter().filter(|p| p.figure.calibrates()).collect();
        let of = |regime: Regime, except: Option<&str>| -> Vec<&Point> {
            calibrating
                .iter()
                .copied()
                .filter(|p| p.regime == regime && Some(p.figure.id.as_str()) != except)
                .collect()
        };
        let fitted =
            |regime: Regime| fit(&of(regime, None)).ok_or(ServeError::Calibration(regime.name()));
        let held_out: Vec<(&Point, Efficiency)> = calibrating
            .iter()
            .filter_map(|p| Some((*p, fit(&of(p.regime, Some(&p.figure.id)))?)))
            .collect();
        let residuals: Vec<(String, f64)> = held_out
            .iter()
            .map(|(p, e)| (p.figure.id.clone(), p.residual(*e)))
            .collect();
        let logs: Vec<f64> = residuals.iter().map(|(_, r)| *r).collect();
        if logs.is_empty() {
            return Err(ServeError::Calibration("any"));
        }
        Ok(Calibration {
            dense: fitted(Regime::Dense)?,
            moe: fitted(Regime::MixtureOfExperts)?,
            dense_figures: of(Regime::Dense, None).len(),
            moe_figures: of(Regime::MixtureOfExperts, None).len(),
            lower: quantile(&logs, 0.1),
            upper: quantile(&logs, 0.9),
            residuals,
            held_out: held_out
                .iter()
                .map(|(p, e)| (p.figure.id.clone(), *e))
                .collect(),
        })
    }

    pub fn efficiency(&self, regime: Regime) -> Efficiency {
        match regime {
            Regime::Dense => self.dense,
            Regime::MixtureOfExperts => self.moe,
        }
    }
}

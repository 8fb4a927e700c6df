//! The published training runs of data/training_runs.toml: what was trained (parameters,
//! active parameters, tokens), on which chip and how many, the accelerator-hours it took,
//! where each figure comes from, and how much to trust it (its tier). The utilisation model
//! is fitted on these rows and validated against them ([`super::fit`]); a row that cannot be
//! right (unknown chip, zero hours, more than the chip's peak) stops the load with the row and
//! field named.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::DataError;
use crate::policy::{Chip, Database, Precision};

const RUNS_TOML: &str = include_str!("../../data/training_runs.toml");
const RUNS_FILE: &str = "data/training_runs.toml";
const SECONDS_PER_HOUR: f64 = 3600.0;

/// How a run's accelerator-hours were published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hours {
    /// The developer states the hours.
    Reported,
    /// Accelerators times wall-clock time, both stated by the developer.
    Derived,
}

/// One published training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingRun {
    pub id: String,
    pub model: String,
    pub lab: String,
    /// Publication month, YYYY-MM.
    pub date: String,
    pub params: f64,
    pub active_params: f64,
    pub tokens: f64,
    /// An id in data/chips.toml.
    pub chip: String,
    pub gpus: Option<u64>,
    pub gpu_hours: f64,
    pub hours: Hours,
    /// The GEMMs' input format as the developer states it.
    pub precision: Option<String>,
    /// 1: the developer states the hours for exactly this run; 2: an assumption was needed;
    /// 3: a third-party figure only (shown, never calibrates).
    pub tier: u8,
    pub layers: Option<f64>,
    pub d_model: Option<f64>,
    /// Training sequence length.
    pub context: Option<f64>,
    /// An architecture in data/models.toml with this run's exact attention dimensions.
    pub architecture: Option<String>,
    pub source: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    pub note: Option<String>,
}

/// 6 · N · D: two FLOP per parameter per token forward, four backward.
pub(crate) fn dense_flops(active_params: f64, tokens: f64) -> f64 {
    6.0 * active_params * tokens
}

/// GPU-hours to do `flops` at `flop_per_s` sustained per GPU.
pub fn gpu_hours(flops: f64, flop_per_s: f64) -> f64 {
    flops / flop_per_s / SECONDS_PER_HOUR
}

impl TrainingRun {
    /// 6 · N_active · D.
    pub fn flops(&self) -> f64 {
        dense_flops(self.active_params, self.tokens)
    }

    /// The model FLOP/s each accelerator sustained.
    pub fn sustained(&self) -> f64 {
        self.flops() / (self.gpu_hours * SECONDS_PER_HOUR)
    }

    /// A third-party figure: shown beside the calibration, never part of it.
    pub fn calibrates(&self) -> bool {
        self.tier <= 2
    }

    /// How much the fit weighs the run: a tier-2 row (an assumption was needed) half as much
    /// as one whose hours the developer states for exactly that run.
    pub(crate) fn weight(&self) -> f64 {
        match self.tier {
            1 => 1.0,
            2 => 0.5,
            _ => 0.0,
        }
    }

    pub fn is_moe(&self) -> bool {
        self.params > self.active_params
    }

    /// Where the figures come from.
    pub fn citations(&self) -> Vec<&str> {
        self.source
            .iter()
            .map(String::as_str)
            .chain(self.sources.iter().map(String::as_str))
            .collect()
    }

    /// Every problem with the row, checked against the chip database: each names its field.
    fn problems(&self, db: &Database) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut bad = |field, why: String| out.push((field, why));
        let valid_id = !self.id.is_empty()
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !valid_id {
            bad(
                "id",
                "lowercase letters, digits, dots and dashes only".into(),
            );
        }
        for (field, text) in [("model", &self.model), ("lab", &self.lab)] {
            if text.trim().is_empty() {
                bad(field, "empty".into());
            }
        }
        let month = self.date.len() == 7
            && self.date.as_bytes()[4] == b'-'
            && self.date[..4]
                .parse::<u32>()
                .is_ok_and(|y| (2015..2100).contains(&y))
            && self.date[5..]
                .parse::<u32>()
                .is_ok_and(|m| (1..=12).contains(&m));
        if !month {
            bad("date", format!("{:?} is not YYYY-MM", self.date));
        }
        for (field, v) in [
            ("params", self.params),
            ("active_params", self.active_params),
            ("tokens", self.tokens),
            ("gpu_hours", self.gpu_hours),
        ] {
            if !(v.is_finite() && v > 0.0) {
                bad(field, format!("must be a positive number, got {v}"));
            }
        }
        if self.active_params > self.params {
            bad("active_params", "more than params".into());
        }
        if self.gpus == Some(0) {
            bad("gpus", "must be at least 1".into());
        }
        for (field, v) in [
            ("layers", self.layers),
            ("d_model", self.d_model),
            ("context", self.context),
        ] {
            if let Some(v) = v.filter(|v| !(v.is_finite() && *v >= 1.0)) {
                bad(field, format!("must be at least 1, got {v}"));
            }
        }
        if self.architecture.is_some() && (self.layers.is_some() || self.d_model.is_some()) {
            bad(
                "layers",
                "the architecture entry holds the layers and width: give them once".into(),
            );
        }
        if let Some(p) = &self.precision {
            if let Err(e) = Precision::from_str(p) {
                bad("precision", e);
            }
        }
        if !(1..=3).contains(&self.tier) {
            bad("tier", format!("must be 1, 2 or 3, got {}", self.tier));
        }
        let cites = self.citations();
        if cites.is_empty() || cites.iter().any(|c| !c.starts_with("https://")) {
            bad(
                "source",
                "every figure needs a source: an https:// address and where in it".into(),
            );
        }
        match db.get(&self.chip) {
            Err(e) => bad("chip", e.to_string()),
            Ok(chip) => {
                if let Some(why) = beyond_peak(self, chip) {
                    bad("gpu_hours", why);
                }
            }
        }
        out
    }
}

/// Why a run's sustained rate cannot be right: above its chip's dense 16-bit peak, or a chip
/// with no such peak to calibrate against.
fn beyond_peak(run: &TrainingRun, chip: &Chip) -> Option<String> {
    let peak = super::evidence::datasheet_peak(chip)?;
    let u = run.sustained() / peak.flop_per_s;
    (u > 1.0).then(|| {
        format!(
            "{:.2}x the {} dense {} peak: too few hours for the tokens",
            u, chip.id, peak.precision
        )
    })
}

/// The training runs, as shipped.
#[derive(Debug, Clone)]
pub struct Runs {
    pub runs: Vec<TrainingRun>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunsFile {
    run: Vec<TrainingRun>,
}

impl Runs {
    pub fn load(db: &Database) -> Result<Self, DataError> {
        Self::parse(RUNS_TOML, db)
    }

    /// The runs of `text`, each checked; the first problem found is the error.
    pub fn parse(text: &str, db: &Database) -> Result<Self, DataError> {
        let file: RunsFile =
            toml::from_str(text).map_err(|e| DataError::parse(RUNS_FILE, e, text))?;
        for (i, run) in file.run.iter().enumerate() {
            let entry = || format!("run {:?}", run.id);
            if let Some((field, why)) = run.problems(db).into_iter().next() {
                return Err(DataError::new(RUNS_FILE, entry(), field, why));
            }
            if file.run[..i].iter().any(|r| r.id == run.id) {
                return Err(DataError::new(
                    RUNS_FILE,
                    entry(),
                    "id",
                    "listed twice".into(),
                ));
            }
        }
        Ok(Runs { runs: file.run })
    }

    /// The run with this id, if any.
    pub fn get(&self, id: &str) -> Option<&TrainingRun> {
        self.runs.iter().find(|r| r.id.eq_ignore_ascii_case(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_and_units() {
        assert_eq!(dense_flops(1e9, 1e12), 6e21);
        // 3.6e15 FLOP at 1 TFLOP/s is 3600 s: one GPU-hour.
        assert!((gpu_hours(3.6e15, 1e12) - 1.0).abs() < 1e-12);
    }
}

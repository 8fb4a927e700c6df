//! The reference training runs of data/models.toml: what each trained, on which chip, the
//! GPU-hours it reported by phase, and the compute 6·N·D counts for the phase it names.

use serde::{Deserialize, Serialize};

use super::CostError;
use crate::policy::Precision;

const MODELS_TOML: &str = include_str!("../../data/models.toml");
const SECONDS_PER_HOUR: f64 = 3600.0;

/// One reported phase of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub name: String,
    pub gpu_hours: f64,
    /// The phase whose tokens the run's `tokens` (and so 6·N·D) counts.
    #[serde(default)]
    pub counted: bool,
    pub source: String,
}

/// The architecture figures the attention term needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attention {
    pub layers: f64,
    pub heads: f64,
    pub d_qk: f64,
    pub d_v: f64,
    /// Training sequence length of the counted phase.
    pub context: f64,
}

impl Attention {
    /// Training FLOPs per token of causal attention: forward 2 FLOP per multiply-add over
    /// (d_qk + d_v) per head and layer against S/2 keys on average, times 3 for forward and
    /// backward: 3 · L · H · (d_qk + d_v) · S.
    pub fn flops_per_token(&self) -> f64 {
        3.0 * self.layers * self.heads * (self.d_qk + self.d_v) * self.context
    }
}

/// Parameters active per training token beyond `active_params` (a multi-token-prediction
/// module), with what they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auxiliary {
    pub active_params: f64,
    pub what: String,
}

/// A reference training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub id: String,
    pub name: String,
    pub params: Option<f64>,
    pub active_params: Option<f64>,
    pub tokens: Option<f64>,
    /// Total compute, where only an estimate of it exists.
    pub flops: Option<f64>,
    /// The chip it trained on (an id in data/chips.toml).
    pub chip: String,
    pub gpus: Option<u64>,
    /// The GEMMs' input format as the developer states it.
    pub training_precision: Precision,
    pub speculative: bool,
    pub sources: Vec<String>,
    pub phases: Vec<Phase>,
    pub auxiliary: Option<Auxiliary>,
    pub attention: Option<Attention>,
}

/// 6 · N · D: two FLOP per parameter per token forward, four backward.
pub fn dense_flops(active_params: f64, tokens: f64) -> f64 {
    6.0 * active_params * tokens
}

/// GPU-hours to do `flops` at `tflops` sustained per GPU.
pub fn gpu_hours(flops: f64, tflops: f64) -> f64 {
    flops / (tflops * 1e12) / SECONDS_PER_HOUR
}

impl Model {
    /// Compute of the counted phase in FLOP: the stated estimate, or 6 · (N_active +
    /// auxiliary) · D, plus the attention term when asked and the architecture is known.
    pub fn training_flops(&self, with_attention: bool) -> f64 {
        if let Some(f) = self.flops {
            return f;
        }
        // `Catalog::parse` refuses a model with neither flops nor params and tokens.
        let n = self.active_params.or(self.params).unwrap_or(0.0)
            + self.auxiliary.as_ref().map_or(0.0, |a| a.active_params);
        let d = self.tokens.unwrap_or(0.0);
        let attention = match (with_attention, self.attention) {
            (true, Some(a)) => a.flops_per_token() * d,
            _ => 0.0,
        };
        dense_flops(n, d) + attention
    }

    /// How `training_flops` was counted, in words.
    pub fn flops_label(&self, with_attention: bool) -> String {
        if self.flops.is_some() {
            return format!("{}: stated estimate", self.name);
        }
        let mut how = format!("{}: 6·N_active·D", self.name);
        if let Some(a) = &self.auxiliary {
            how += &format!(" plus {}: {:.1}B active", a.what, a.active_params / 1e9);
        }
        if with_attention && self.attention.is_some() {
            how += " plus attention";
        }
        how
    }

    /// The phase 6·N·D counts.
    pub fn counted_phase(&self) -> &Phase {
        // `Catalog::parse` checks that exactly one phase is counted.
        self.phases
            .iter()
            .find(|p| p.counted)
            .unwrap_or(&self.phases[0])
    }

    /// Every reported phase's GPU-hours together.
    pub fn total_gpu_hours(&self) -> f64 {
        self.phases.iter().map(|p| p.gpu_hours).sum()
    }

    /// The per-GPU rate the run sustained in its counted phase, TFLOP/s.
    pub fn sustained_tflops(&self, with_attention: bool) -> f64 {
        self.training_flops(with_attention)
            / (self.counted_phase().gpu_hours * SECONDS_PER_HOUR)
            / 1e12
    }

    /// The parameter count that sizes the run: total parameters (all experts of a
    /// mixture-of-experts model), the active count where no total is given.
    pub fn total_params(&self) -> Option<f64> {
        self.params.or(self.active_params)
    }
}

/// The mixture-of-experts layout of a model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moe {
    pub routed: f64,
    pub shared: f64,
    pub experts_per_token: f64,
    /// Each expert's intermediate width: 3 x hidden x expert_ffn weights per expert.
    pub expert_ffn: f64,
    /// Leading layers with a dense FFN instead of experts.
    pub dense_layers: f64,
}

/// DeepSeek's multi-head latent attention: the cache holds kv_lora_rank + rope_dim values per
/// token and layer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mla {
    pub kv_lora_rank: f64,
    pub rope_dim: f64,
    pub nope_dim: f64,
    pub v_dim: f64,
}

/// What serving a model reads and computes per token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    pub id: String,
    pub name: String,
    pub total_params: f64,
    pub active_params: f64,
    pub layers: f64,
    pub hidden: f64,
    pub heads: f64,
    pub kv_heads: f64,
    pub head_dim: f64,
    pub vocab: f64,
    pub moe: Option<Moe>,
    pub mla: Option<Mla>,
    pub sources: Vec<String>,
}

/// The reference runs and architectures, as shipped in data/models.toml.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub models: Vec<Model>,
    pub architectures: Vec<Architecture>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelsFile {
    model: Vec<Model>,
    #[serde(default)]
    architecture: Vec<Architecture>,
}

impl Catalog {
    pub fn load() -> Result<Self, CostError> {
        Self::parse(MODELS_TOML)
    }

    pub fn parse(text: &str) -> Result<Self, CostError> {
        let file: ModelsFile = toml::from_str(text).map_err(|e| CostError::Data(e.to_string()))?;
        for m in &file.model {
            let bad = |why: &str| Err(CostError::Data(format!("{}: {why}", m.id)));
            if m.flops.is_none() && (m.active_params.or(m.params).is_none() || m.tokens.is_none()) {
                return bad("neither flops nor params and tokens");
            }
            if m.phases.iter().filter(|p| p.counted).count() != 1 {
                return bad("exactly one phase must be `counted`");
            }
            if !m
                .phases
                .iter()
                .all(|p| p.gpu_hours.is_finite() && p.gpu_hours > 0.0)
            {
                return bad("every phase needs positive gpu_hours");
            }
        }
        Ok(Catalog {
            models: file.model,
            architectures: file.architecture,
        })
    }

    /// The architecture with this id, or an error that suggests the closest ids.
    pub fn architecture(&self, id: &str) -> Result<&Architecture, CostError> {
        if let Some(a) = self
            .architectures
            .iter()
            .find(|a| a.id.eq_ignore_ascii_case(id))
        {
            return Ok(a);
        }
        let ids = || self.architectures.iter().map(|a| a.id.as_str());
        Err(CostError::Input(format!(
            "unknown model {id:?}; closest: {} (known: {})",
            crate::input::closest(id, ids()).join(", "),
            ids().collect::<Vec<_>>().join(", ")
        )))
    }

    /// The model with this id, or an error that suggests the closest ids.
    pub fn model(&self, id: &str) -> Result<&Model, CostError> {
        if let Some(m) = self.models.iter().find(|m| m.id.eq_ignore_ascii_case(id)) {
            return Ok(m);
        }
        let close = crate::input::closest(id, self.models.iter().map(|m| m.id.as_str()));
        Err(CostError::Input(format!(
            "unknown model {id:?}; closest: {} (known: {})",
            close.join(", "),
            self.models
                .iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn deepseek_v3_counts_its_pre_training_and_mtp_module() {
        let c = Catalog::load().unwrap();
        let m = c.model("deepseek-v3").unwrap();
        // The phases DeepSeek reported: 2.664M + 0.119M + 0.005M = 2.788M, $5.576M at $2.
        assert!(close(m.total_gpu_hours() * 2.0, 5.576e6, 0.001));
        assert_eq!(m.counted_phase().name, "pre-training");
        assert_eq!(m.counted_phase().gpu_hours, 2.664e6);
        // 6 x (37B + 1.6B MTP) x 14.8T over 2.664M hours: 357.4 TFLOP/s; without the MTP
        // module it would be the 342.6 the README quotes for 6 x 37B x 14.8T.
        assert!(close(
            m.training_flops(false),
            6.0 * 38.6e9 * 14.8e12,
            1e-12
        ));
        assert!(close(m.sustained_tflops(false), 357.4, 0.001));
        assert!(close(
            dense_flops(37e9, 14.8e12) / (2.664e6 * 3600.0) / 1e12,
            342.6,
            0.001
        ));
        assert_eq!(m.training_precision, Precision::Fp8);
    }

    #[test]
    fn attention_term_matches_the_worked_deepseek_number() {
        // 61 layers, 128 heads, d_qk 192, d_v 128, S 4096: 3.07e10 FLOP per token.
        let a = Catalog::load()
            .unwrap()
            .model("deepseek-v3")
            .unwrap()
            .attention
            .unwrap();
        assert!(close(a.flops_per_token(), 3.07e10, 0.005));
    }

    #[test]
    fn formulas_and_units() {
        assert_eq!(dense_flops(1e9, 1e12), 6e21);
        // 3.6e15 FLOP at 1 TFLOP/s is 3600 s: one GPU-hour.
        assert!(close(gpu_hours(3.6e15, 1.0), 1.0, 1e-12));
    }

    #[test]
    fn a_catalog_without_a_counted_phase_or_compute_is_refused() {
        let run = |phases: &str, tokens: &str| {
            format!(
                "[[model]]\nid = \"x\"\nname = \"X\"\nparams = 1e9\n{tokens}chip = \"nvidia-h100-sxm\"\n\
                 training_precision = \"bf16\"\nspeculative = false\nsources = []\nphases = [{phases}]\n"
            )
        };
        let counted = "{ name = \"t\", gpu_hours = 10.0, counted = true, source = \"s\" }";
        let uncounted = "{ name = \"t\", gpu_hours = 10.0, source = \"s\" }";
        assert!(Catalog::parse(&run(counted, "tokens = 1e12\n")).is_ok());
        let err = Catalog::parse(&run(uncounted, "tokens = 1e12\n")).unwrap_err();
        assert!(err.to_string().contains("exactly one phase"), "{err}");
        let err = Catalog::parse(&run(counted, "")).unwrap_err();
        assert!(err.to_string().contains("neither flops"), "{err}");
        assert!(Catalog::parse(&run(counted, "tokens = 1e12\nflavour = 1\n")).is_err());
    }

    #[test]
    fn unknown_models_get_suggestions() {
        let c = Catalog::load().unwrap();
        let err = c.model("deepseek-v4").unwrap_err().to_string();
        assert!(err.contains("closest: deepseek-v3"), "{err}");
        assert!(
            c.model("llama")
                .unwrap_err()
                .to_string()
                .contains("llama-3.1")
        );
    }
}

//! Model architectures (data/models.toml): what training attention costs per token and what
//! serving reads and computes, from one entry per model; and the speculative estimates
//! (GPT-4) that are shown beside the published runs and never calibrate.

use serde::{Deserialize, Serialize};

use super::DataError;

const MODELS_TOML: &str = include_str!("../../data/models.toml");
const MODELS_FILE: &str = "data/models.toml";

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

/// What a model is made of: enough to count its training attention and its serving bytes.
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

/// The widths attention multiplies by, over all layers: each query against each key across
/// the heads' query-key width, and each attention weight against each value across their value
/// width.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttentionShape {
    pub layers: f64,
    /// heads x (d_qk + d_v).
    pub width: f64,
}

impl AttentionShape {
    /// Standard multi-head attention on `d_model` (heads x head_dim = d_model for queries,
    /// keys and values).
    pub(crate) fn multi_head(layers: f64, d_model: f64) -> Self {
        AttentionShape {
            layers,
            width: 2.0 * d_model,
        }
    }

    /// Forward FLOPs of one query token against `keys` keys: 2 per multiply-add.
    pub fn flops(&self, keys: f64) -> f64 {
        2.0 * self.layers * self.width * keys
    }

    /// Training FLOPs per token of causal attention over sequences of `context`: forward
    /// against `context / 2` keys on average, three times for forward and backward.
    pub(crate) fn training_flops_per_token(&self, context: f64) -> f64 {
        3.0 * self.flops(context / 2.0)
    }
}

impl Architecture {
    /// The attention widths of prefill and training (`decode = false`) or of a decode step,
    /// which multi-head latent attention runs in its compressed space (576 and 512 wide).
    pub fn attention(&self, decode: bool) -> AttentionShape {
        let (qk, v) = match (self.mla, decode) {
            (Some(m), true) => (m.kv_lora_rank + m.rope_dim, m.kv_lora_rank),
            (Some(m), false) => (m.nope_dim + m.rope_dim, m.v_dim),
            (None, _) => (self.head_dim, self.head_dim),
        };
        AttentionShape {
            layers: self.layers,
            width: self.heads * (qk + v),
        }
    }
}

/// A training run whose figures are third parties' estimates: shown, never calibrating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Speculative {
    pub id: String,
    pub name: String,
    /// Total training compute, FLOP (an estimate).
    pub flops: f64,
    pub chip: String,
    pub gpus: Option<u64>,
    /// GPU-hours as estimated, with how.
    pub gpu_hours: f64,
    pub source: String,
}

/// The architectures and speculative estimates, as shipped in data/models.toml.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub architectures: Vec<Architecture>,
    pub speculative: Vec<Speculative>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelsFile {
    architecture: Vec<Architecture>,
    #[serde(default)]
    speculative: Vec<Speculative>,
}

impl Catalog {
    pub fn load() -> Result<Self, DataError> {
        Self::parse(MODELS_TOML)
    }

    pub fn parse(text: &str) -> Result<Self, DataError> {
        let file: ModelsFile =
            toml::from_str(text).map_err(|e| DataError::parse(MODELS_FILE, e, text))?;
        for a in &file.architecture {
            let numbers = [
                ("total_params", a.total_params),
                ("active_params", a.active_params),
                ("layers", a.layers),
                ("hidden", a.hidden),
                ("heads", a.heads),
                ("kv_heads", a.kv_heads),
                ("head_dim", a.head_dim),
                ("vocab", a.vocab),
            ];
            if let Some((field, v)) = numbers.iter().find(|(_, v)| !(v.is_finite() && *v > 0.0)) {
                return Err(DataError::new(
                    MODELS_FILE,
                    format!("architecture {:?}", a.id),
                    field,
                    format!("must be a positive number, got {v}"),
                ));
            }
        }
        for s in &file.speculative {
            if !(s.flops > 0.0 && s.gpu_hours > 0.0) {
                return Err(DataError::new(
                    MODELS_FILE,
                    format!("speculative {:?}", s.id),
                    "flops",
                    "flops and gpu_hours must be positive".into(),
                ));
            }
        }
        Ok(Catalog {
            architectures: file.architecture,
            speculative: file.speculative,
        })
    }

    /// The architecture with this id, if any.
    pub fn architecture(&self, id: &str) -> Option<&Architecture> {
        self.architectures
            .iter()
            .find(|a| a.id.eq_ignore_ascii_case(id))
    }

    /// The architecture `id` names, or why there is none (naming the ids there are).
    pub fn known_architecture(&self, id: &str) -> Result<&Architecture, String> {
        self.architecture(id).ok_or_else(|| {
            let known: Vec<&str> = self.architectures.iter().map(|a| a.id.as_str()).collect();
            format!("unknown model {id:?}; known: {}", known.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attention_term_matches_the_worked_deepseek_number() {
        // 61 layers, 128 heads, d_qk 192, d_v 128, S 4096: 3.07e10 FLOP per token.
        let c = Catalog::load().unwrap();
        let a = c.architecture("deepseek-v3").unwrap().attention(false);
        assert!((a.training_flops_per_token(4096.0) / 3.07e10 - 1.0).abs() < 0.005);
        // Multi-head attention on d_model is heads x head_dim for keys and values alike.
        let l = c.architecture("llama-3.1-70b").unwrap();
        assert_eq!(
            l.attention(false).width,
            AttentionShape::multi_head(80.0, 8192.0).width
        );
    }

    #[test]
    fn a_broken_architecture_names_its_entry_and_field() {
        let bad = "[[architecture]]\nid = \"x\"\nname = \"X\"\ntotal_params = 1e9\nactive_params = 1e9\n\
                   layers = 0\nhidden = 1\nheads = 1\nkv_heads = 1\nhead_dim = 1\nvocab = 1\nsources = []\n";
        let e = Catalog::parse(bad).unwrap_err().to_string();
        assert_eq!(
            e,
            "data/models.toml: architecture \"x\": layers: must be a positive number, got 0"
        );
    }
}

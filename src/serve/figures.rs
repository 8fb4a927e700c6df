//! The published serving figures of data/serving_figures.toml (MLPerf Inference, vendor
//! performance tables, cloud benchmark guides, DeepSeek's production statistics), each read as
//! the chipbench setting that reproduces it: the model, the formats, the replica layout, the
//! request lengths and the batch. A row that cannot be right (unknown model or chip, zero
//! lengths, a layout that does not fit) stops the load with the row and field named.

use serde::{Deserialize, Serialize};

use super::format::Format;
use super::roofline::{Batch, Layout, Setting};
use crate::cost::catalog::Architecture;
use crate::cost::{Catalog, DataError};
use crate::policy::Database;

const FIGURES_TOML: &str = include_str!("../../data/serving_figures.toml");
const FIGURES_FILE: &str = "data/serving_figures.toml";
/// The share of a replica's memory its weights fill at most where a source states no layout.
const WEIGHTS_AT_MOST: f64 = 0.7;

/// How the published throughput was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    Offline,
    Server,
    Throughput,
    Latency,
}

/// What the published tokens/s counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Counts {
    Output,
    Total,
}

/// One published serving figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    pub id: String,
    pub model: String,
    pub precision: Format,
    pub kv_precision: Option<Format>,
    pub chip: String,
    pub chips: u32,
    pub tp: Option<u32>,
    pub pp: Option<u32>,
    pub ep: Option<u32>,
    pub engine: String,
    pub scenario: Scenario,
    pub concurrency: Option<f64>,
    pub input_tokens: Option<f64>,
    pub output_tokens: Option<f64>,
    pub tokens_per_s: f64,
    pub counts: Counts,
    pub date: String,
    pub source: String,
    pub note: Option<String>,
    /// The decode side of a prefill/decode-disaggregated deployment.
    pub phase: Option<String>,
    pub mean_context: Option<f64>,
    #[serde(default)]
    pub speculative: bool,
    pub doubtful: Option<String>,
    /// The source says the deployment overlaps its communication with computation.
    #[serde(default)]
    pub overlap: bool,
}

impl Figure {
    /// Only the decode side was measured.
    pub(crate) fn decode_only(&self) -> bool {
        self.phase.as_deref() == Some("decode")
    }

    /// The published output tokens/s per chip.
    pub fn per_gpu(&self) -> f64 {
        let output_share = match (self.counts, self.input_tokens, self.output_tokens) {
            (Counts::Total, Some(i), Some(o)) => o / (i + o),
            _ => 1.0,
        };
        self.tokens_per_s * output_share / f64::from(self.chips)
    }

    /// Speculative decoding makes more than one token per forward pass: no roofline holds it.
    pub fn calibrates(&self) -> bool {
        !self.speculative
    }

    /// The KV cache's format: as stated, else fp8 for engines serving 8-bit or narrower weights
    /// (their default), else the weights' 16-bit format.
    pub fn kv(&self) -> Format {
        self.kv_precision.unwrap_or(match self.precision {
            Format::Fp8 | Format::Nvfp4 | Format::Mxfp4 => Format::Fp8,
            Format::Fp16 => Format::Fp16,
            _ => Format::Bf16,
        })
    }

    /// The replica layout: as stated (expert parallelism beyond the figure's chips makes the
    /// replica that large). Where the source states none (the MLPerf tables), the fewest
    /// chips, a power of two, whose memory the weights fill to at most [`WEIGHTS_AT_MOST`],
    /// leaving the cache room, as submitters choose; beyond the figure's chips for a
    /// decode-only figure whose replica spans several nodes.
    fn layout(&self, arch: &Architecture, memory_bytes: f64) -> Layout {
        let moe = arch.moe.is_some();
        let stated = match (self.tp, self.ep) {
            (_, Some(ep)) if ep > self.chips => Some(Layout { tp: ep, pp: 1, ep }),
            (Some(tp), ep) => Some(Layout {
                tp,
                pp: self.pp.unwrap_or(1),
                ep: ep.unwrap_or(if moe { tp } else { 1 }),
            }),
            (None, _) => None,
        };
        stated.unwrap_or_else(|| {
            let weights = arch.total_params * self.precision.bytes();
            let mut gpus = 1u32;
            while weights > WEIGHTS_AT_MOST * f64::from(gpus) * memory_bytes && gpus < 1 << 12 {
                gpus *= 2;
            }
            Layout::tensor(gpus, moe)
        })
    }

    /// The chipbench setting that reproduces this figure: a decode-only figure decodes its
    /// mean context; whole requests hold their prompt and half their output on average.
    pub fn setting(&self, arch: &Architecture, memory_bytes: f64) -> Setting {
        let prompt = self.input_tokens.or(self.mean_context).unwrap_or(1.0);
        let output = self.output_tokens.unwrap_or(1.0);
        let context = match self.mean_context {
            Some(c) => c,
            None if self.decode_only() => prompt,
            None => prompt + output / 2.0,
        };
        let layout = self.layout(arch, memory_bytes);
        let replicas = (f64::from(self.chips) / layout.gpus()).max(1.0);
        Setting {
            weights: self.precision,
            kv: self.kv(),
            batch: match self.concurrency {
                Some(c) => Batch::AtMost((c / replicas).max(1.0)),
                None => Batch::Fill,
            },
            context,
            prompt,
            output,
            layout: Some(layout),
            overlap: self.overlap,
        }
    }

    /// Every problem with the row: each names its field.
    fn problems(&self, db: &Database, catalog: &Catalog) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if catalog.architecture(&self.model).is_none() {
            out.push((
                "model",
                format!("{:?} has no architecture in data/models.toml", self.model),
            ));
        }
        if let Err(e) = db.get(&self.chip) {
            out.push(("chip", e.to_string()));
        }
        if self.chips == 0 {
            out.push(("chips", "must be at least 1".into()));
        }
        for (field, v) in [
            ("tokens_per_s", Some(self.tokens_per_s)),
            ("input_tokens", self.input_tokens),
            ("output_tokens", self.output_tokens),
            ("concurrency", self.concurrency),
            ("mean_context", self.mean_context),
        ] {
            if let Some(v) = v.filter(|v| !(v.is_finite() && *v >= 1.0)) {
                out.push((field, format!("must be at least 1, got {v}")));
            }
        }
        if self.input_tokens.or(self.mean_context).is_none() {
            out.push((
                "input_tokens",
                "a prompt length or mean context is needed".into(),
            ));
        }
        if !self.decode_only() && self.output_tokens.is_none() {
            out.push(("output_tokens", "needed for whole requests".into()));
        }
        let parts = self.tp.unwrap_or(1) * self.pp.unwrap_or(1);
        if self.ep.is_none_or(|ep| ep <= self.chips)
            && (parts == 0 || !self.chips.is_multiple_of(parts))
        {
            out.push((
                "tp",
                format!("tp x pp = {parts} does not divide {} chips", self.chips),
            ));
        }
        if !self.source.starts_with("https://") {
            out.push(("source", "an https:// address and where in it".into()));
        }
        out
    }
}

/// The published figures, as shipped.
#[derive(Debug, Clone)]
pub struct Figures {
    pub figures: Vec<Figure>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FiguresFile {
    figure: Vec<Figure>,
}

impl Figures {
    pub fn load(db: &Database, catalog: &Catalog) -> Result<Self, DataError> {
        Self::parse(FIGURES_TOML, db, catalog)
    }

    /// The figures of `text`, each checked; the first problem is the error.
    pub fn parse(text: &str, db: &Database, catalog: &Catalog) -> Result<Self, DataError> {
        let file: FiguresFile =
            toml::from_str(text).map_err(|e| DataError::parse(FIGURES_FILE, e, text))?;
        for (i, f) in file.figure.iter().enumerate() {
            let entry = || format!("figure {:?}", f.id);
            if let Some((field, why)) = f.problems(db, catalog).into_iter().next() {
                return Err(DataError::new(FIGURES_FILE, entry(), field, why));
            }
            if file.figure[..i].iter().any(|g| g.id == f.id) {
                return Err(DataError::new(
                    FIGURES_FILE,
                    entry(),
                    "id",
                    "listed twice".into(),
                ));
            }
        }
        Ok(Figures {
            figures: file.figure,
        })
    }
}

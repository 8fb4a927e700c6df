//! A chip's serving rates, each with its evidence: memory bandwidth (a copy measured on the
//! chip where the dataset or the given file has one, else the datasheet), the dense matrix rate
//! at the precision the GEMMs and attention run at (the datasheet's; the next wider format the
//! chip lists where it lists none at that precision), the scale-up interconnect collectives run
//! over, and the memory capacity.

use serde::Serialize;

use super::ServeError;
use super::format::Format;
use crate::cost::evidence::{self, Evidence};
use crate::dataset::Standing;
use crate::model::{Numeric, Source, copy_bandwidth};
use crate::policy::{Chip, Database, Precision};
use crate::quantity::{Quantity, Unit, ratio};

/// Where a memory bandwidth comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum BandwidthSource {
    /// A copy measured on the chip: by chipbench or the vendor library, in `file`.
    Measured {
        by: Source,
        file: String,
        /// The run's standing in the dataset (verified by a listed signer, or not).
        standing: Standing,
        /// The measured figure over the datasheet's.
        of_datasheet: Option<f64>,
    },
    Datasheet,
}

impl BandwidthSource {
    pub(crate) fn is_measured(&self) -> bool {
        matches!(self, BandwidthSource::Measured { .. })
    }
}

/// A memory bandwidth and its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bandwidth {
    pub byte_per_s: f64,
    pub source: BandwidthSource,
}

impl Bandwidth {
    /// "measured copy 4245 GB/s (chipbench, unverified run, FILE), 0.88x the datasheet", or
    /// "datasheet memory bandwidth 4800 GB/s".
    pub fn describe(&self) -> String {
        let q = Quantity::new(self.byte_per_s, Unit::BytePerSecond).human();
        match &self.source {
            BandwidthSource::Measured {
                by,
                file,
                standing,
                of_datasheet,
            } => format!(
                "measured copy {q} ({by}, {} run, {file}){}",
                standing.name(),
                of_datasheet.map_or(String::new(), |r| format!(", {} the datasheet", ratio(r)))
            ),
            BandwidthSource::Datasheet => format!("datasheet memory bandwidth {q}"),
        }
    }
}

/// A dense matrix rate and the precision it is the chip's peak at (the one asked for, or the
/// next wider one the chip lists).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    pub flop_per_s: f64,
    pub precision: Precision,
    pub asked: Precision,
}

impl Rate {
    /// "fp8 datasheet dense peak 1979 TFLOP/s", naming a fallback.
    pub fn describe(&self) -> String {
        let q = Quantity::new(self.flop_per_s, Unit::FlopPerSecond).human();
        if self.precision == self.asked {
            format!("{} datasheet dense peak {q}", self.precision)
        } else {
            format!(
                "{} datasheet dense peak {q} (the chip lists no {} rate)",
                self.precision, self.asked
            )
        }
    }
}

/// The chip-to-chip link collectives run over.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Link {
    /// Aggregate bidirectional bytes/s per chip, as data/chips.toml gives it.
    pub byte_per_s: f64,
    /// No figure in the database: PCIe 4.0 x16 assumed.
    pub assumed: bool,
}

/// PCIe 4.0 x16, both directions: the link assumed for a chip with no interconnect figure.
const PCIE4_X16: f64 = 64e9;

impl Link {
    /// Bytes/s each way: what one direction of a ring moves.
    pub(crate) fn one_way(&self) -> f64 {
        self.byte_per_s / 2.0
    }
}

/// A chip's serving rates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rates {
    pub chip: String,
    pub bandwidth: Bandwidth,
    pub gemm: Rate,
    pub attention: Rate,
    pub link: Link,
    pub memory_bytes: f64,
}

/// The dense matrix rate of `chip` for work at `p`: its peak at `p`, else at the next wider
/// format it lists (fp4 falls back to fp8, fp8 and int8 to the 16-bit rate).
fn rate(chip: &Chip, p: Precision) -> Option<Rate> {
    let wider: &[Precision] = match p {
        Precision::Fp4 => &[
            Precision::Fp4,
            Precision::Fp8,
            Precision::Bf16,
            Precision::Fp16,
        ],
        Precision::Fp8 => &[Precision::Fp8, Precision::Bf16, Precision::Fp16],
        Precision::Int8 => &[
            Precision::Int8,
            Precision::Fp8,
            Precision::Bf16,
            Precision::Fp16,
        ],
        Precision::Fp16 => &[Precision::Fp16, Precision::Bf16],
        _ => &[Precision::Bf16, Precision::Fp16],
    };
    wider.iter().find_map(|&q| {
        let tflops = chip
            .spec()
            .peak(crate::model::Unit::Matrix, q, Numeric::F32)?;
        Some(Rate {
            flop_per_s: tflops * 1e12,
            precision: q,
            asked: p,
        })
    })
}

/// The memory bandwidth of `chip`: a copy measured in `result`, else the trusted median run of
/// the chip's files, else the datasheet.
fn bandwidth(
    db: &Database,
    chip: &Chip,
    result: Option<&Evidence>,
    files: &[Evidence],
) -> Option<Bandwidth> {
    let copy = |e: &Evidence| copy_bandwidth(&e.result.workloads).map(|q| q.value);
    let measured = result.and_then(|e| Some((copy(e)?, e))).or_else(|| {
        evidence::trusted_median(files, |e| {
            db.for_result(&e.result)
                .is_some_and(|c| c.id == chip.id)
                .then(|| Some((copy(e)?, e)))?
        })
    });
    Some(match measured {
        Some((byte_per_s, e)) => Bandwidth {
            byte_per_s,
            source: BandwidthSource::Measured {
                by: e.result.source,
                file: e.file.clone(),
                standing: e.standing,
                of_datasheet: chip.memory_bandwidth_gbps.map(|d| byte_per_s / (d * 1e9)),
            },
        },
        None => Bandwidth {
            byte_per_s: chip.memory_bandwidth_gbps? * 1e9,
            source: BandwidthSource::Datasheet,
        },
    })
}

/// The rates of `chip` for weights in `weights` and a cache in `kv` (attention runs at the
/// cache's format).
pub fn rates(
    db: &Database,
    chip: &Chip,
    result: Option<&Evidence>,
    files: &[Evidence],
    weights: Format,
    kv: Format,
) -> Result<Rates, ServeError> {
    let missing = |what: &str| ServeError::Chip {
        chip: chip.id.clone(),
        missing: what.to_string(),
    };
    Ok(Rates {
        chip: chip.id.clone(),
        bandwidth: bandwidth(db, chip, result, files).ok_or_else(|| missing("memory bandwidth"))?,
        gemm: rate(chip, weights.gemm()).ok_or_else(|| missing("dense matrix peak"))?,
        attention: rate(chip, kv.gemm()).ok_or_else(|| missing("dense matrix peak"))?,
        link: match chip.interconnect_gbps {
            Some(g) => Link {
                byte_per_s: g * 1e9,
                assumed: false,
            },
            None => Link {
                byte_per_s: PCIE4_X16,
                assumed: true,
            },
        },
        memory_bytes: chip
            .memory_bytes()
            .ok_or_else(|| missing("memory capacity"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_runs_at_its_precision_or_the_next_wider_listed() {
        let db = Database::load().unwrap();
        let b200 = db.get("nvidia-b200").unwrap();
        let h100 = db.get("nvidia-h100-sxm").unwrap();
        assert_eq!(
            rate(b200, Precision::Fp4).unwrap().precision,
            Precision::Fp4
        );
        // Hopper lists no fp4 rate: fp4 work runs at its fp8 peak, and says so.
        let r = rate(h100, Precision::Fp4).unwrap();
        assert_eq!((r.precision, r.flop_per_s), (Precision::Fp8, 1978.9e12));
        assert!(r.describe().contains("lists no fp4"));
        let a100 = db.get("nvidia-a100-sxm").unwrap();
        assert_eq!(
            rate(a100, Precision::Fp8).unwrap().precision,
            Precision::Bf16
        );
    }
}

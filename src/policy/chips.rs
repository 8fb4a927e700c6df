//! The chip database (data/chips.toml) and the import of Epoch AI's ML hardware dataset.
//!
//! Entries carry datasheet figures with a source per figure group and mark estimates; lookups
//! by id suggest close matches, and adapter names as wgpu reports them map results to chips.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::spec::{LicenceLetter, Peaks, Precision, Spec, Unit};
use crate::model::{self, RunResult};

const CHIPS_TOML: &str = include_str!("../../data/chips.toml");

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ChipError {
    #[error("{0}")]
    Unknown(String),
    #[error("{path}: {message}")]
    Import { path: String, message: String },
    #[error("data/chips.toml: {0}")]
    Data(String),
}

/// One accelerator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chip {
    pub id: String,
    pub vendor: String,
    pub name: String,
    pub year: Option<u32>,
    /// The microarchitecture or chip generation ("NVIDIA Hopper", "Google TPU v4"): what the
    /// training-cost calibration groups chips by. Every shipped chip has one; Epoch imports
    /// do not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<String>,
    /// Designed or marketed for datacenters; absent when unknown (Epoch imports).
    pub datacenter: Option<bool>,
    /// Dense peaks of a single-unit chip's vector units, TFLOP/s or TOPS.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vector: Peaks,
    /// Dense peaks of its matrix units at full-precision accumulation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub matrix: Peaks,
    /// Dense peaks of its matrix units with FP16 accumulators, where those run faster.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub matrix_fp16_accumulate: Peaks,
    /// Processing units of a chip with several (each with its own peaks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<Unit>,
    pub memory_bandwidth_gbps: Option<f64>,
    /// Device memory capacity in GB as the vendor states it: binary, JEDEC's GB of 2^30 bytes
    /// ([`Chip::memory_bytes`]). What training state and KV caches must fit.
    pub memory_gb: Option<f64>,
    pub interconnect_gbps: Option<f64>,
    pub die_area_mm2: Option<f64>,
    #[serde(default)]
    pub wgpu_names: Vec<String>,
    /// Figures that are not the vendor's (field names, `peaks` or `peaks.fp8` and so on).
    #[serde(default)]
    pub estimates: Vec<String>,
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
    /// Epoch AI's own TPP for imported rows, to compare with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch_tpp: Option<f64>,
    /// The chip's "Hardware name" in Epoch AI's dataset, where it has a row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch_name: Option<String>,
    /// Figures that deliberately differ from Epoch's (`vector.fp16` and so on), with why.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub epoch_differs: BTreeMap<String, String>,
    /// Commercially available in the United States when 91 FR 1684 was published
    /// (2026-01-15); absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub us_commercial: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence_letter: Option<LicenceLetter>,
    /// The month the part went on sale, with its source: which chips a buyer could get at a
    /// date (`chipbench scenario --as-of`); `year` alone where absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released: Option<Released>,
    /// Where the part is designed and made: what makes it domestic supply for a buyer there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// Offered only as a cloud service, never sold as hardware (TPUs, Trainium): how, and where
    /// that is stated. Absent for parts sold as hardware.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_only: Option<String>,
}

/// The month (YYYY-MM) a part went on sale, and where that comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Released {
    pub month: String,
    pub source: String,
}

/// ISO 3166 codes of the country a part is designed in (its designer's headquarters) and of
/// the foundry that makes its logic dies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    pub designed: String,
    pub made: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Bytes in one GB of DRAM capacity as vendors state it (JEDEC's binary GB).
const CAPACITY_GB: f64 = 1_073_741_824.0;

/// A device-memory capacity as vendors state it, in the binary gigabytes they mean: "80 GiB".
pub fn stated_capacity(bytes: f64) -> String {
    let gb = bytes / CAPACITY_GB;
    if (gb - gb.round()).abs() < 1e-9 {
        format!("{gb:.0} GiB")
    } else {
        format!("{gb:.1} GiB")
    }
}

impl Chip {
    /// Device memory capacity in bytes.
    pub fn memory_bytes(&self) -> Option<f64> {
        self.memory_gb.map(|gb| gb * CAPACITY_GB)
    }

    pub fn spec(&self) -> Spec {
        let units = if self.units.is_empty() {
            vec![Unit {
                name: self.name.clone(),
                vector: self.vector.clone(),
                matrix: self.matrix.clone(),
                matrix_fp16_accumulate: self.matrix_fp16_accumulate.clone(),
            }]
        } else {
            self.units.clone()
        };
        Spec {
            units,
            die_area_mm2: self.die_area_mm2,
            datacenter: self.datacenter,
            memory_bandwidth_gbps: self.memory_bandwidth_gbps,
            interconnect_gbps: self.interconnect_gbps,
            hbm_density: None,
            us_commercial: self.us_commercial,
            licence_letter: self.licence_letter.clone(),
        }
    }
}

#[derive(Deserialize)]
struct ChipsFile {
    chip: Vec<Chip>,
}

/// The shipped database plus any imported entries.
#[derive(Debug, Clone)]
pub struct Database {
    pub chips: Vec<Chip>,
    /// Every wgpu adapter name of `chips`, normalised and lower-cased once, with its chip's
    /// index: every result file read is mapped through [`Database::for_adapter`].
    adapters: Vec<(String, usize)>,
}

/// An adapter name as [`Database::for_adapter`] compares it: normalised
/// ([`crate::model::normalise_name`]) and lower-cased.
fn adapter_key(name: &str) -> String {
    crate::model::normalise_name(name).to_lowercase()
}

impl Database {
    pub fn load() -> Result<Self, ChipError> {
        let file: ChipsFile =
            toml::from_str(CHIPS_TOML).map_err(|e| ChipError::Data(e.to_string()))?;
        for c in &file.chip {
            c.spec()
                .validate()
                .map_err(|e| ChipError::Data(format!("{}: {e}", c.id)))?;
        }
        let adapters = file
            .chip
            .iter()
            .enumerate()
            .flat_map(|(at, c)| c.wgpu_names.iter().map(move |n| (adapter_key(n), at)))
            .collect();
        Ok(Database {
            chips: file.chip,
            adapters,
        })
    }

    /// Adds entries (e.g. an Epoch import); ids already present are kept as they were.
    pub fn extend(&mut self, more: Vec<Chip>) {
        for c in more {
            if !self.chips.iter().any(|x| x.id == c.id) {
                let at = self.chips.len();
                self.adapters
                    .extend(c.wgpu_names.iter().map(|n| (adapter_key(n), at)));
                self.chips.push(c);
            }
        }
    }

    /// The chip with this id, or an error naming the closest ids.
    pub fn get(&self, id: &str) -> Result<&Chip, ChipError> {
        if let Some(c) = self.chips.iter().find(|c| c.id.eq_ignore_ascii_case(id)) {
            return Ok(c);
        }
        let close = crate::input::closest(id, self.chips.iter().map(|c| c.id.as_str()));
        Err(ChipError::Unknown(format!(
            "unknown chip {id:?}; closest: {} (`chipbench chips` lists them all)",
            close.join(", ")
        )))
    }

    /// The chip a person means: the id itself (any case), else the one id that contains what
    /// was typed; several matches are listed, none gets the closest ids.
    pub fn resolve(&self, typed: &str) -> Result<&Chip, ChipError> {
        if let Ok(c) = self.get(typed) {
            return Ok(c);
        }
        let needle = typed.trim().to_lowercase();
        if needle.is_empty() {
            return self.get(typed);
        }
        // The end of an id first ("a100-sxm" is nvidia-a100-sxm, not nvidia-a100-sxm-40gb),
        // then whole parts of it ("h200" is nvidia-h200-sxm, not nvidia-gh200), then any part.
        let tiers: [&dyn Fn(&Chip) -> bool; 3] = [
            &|c| c.id.ends_with(&format!("-{needle}")),
            &|c| format!("-{}-", c.id).contains(&format!("-{needle}-")),
            &|c| c.id.contains(&needle),
        ];
        let matches: Vec<&Chip> = tiers
            .iter()
            .map(|t| self.chips.iter().filter(|c| t(c)).collect::<Vec<_>>())
            .find(|m| !m.is_empty())
            .unwrap_or_default();
        match matches.as_slice() {
            [one] => Ok(one),
            [] => self.get(typed),
            many => Err(ChipError::Unknown(format!(
                "{typed:?} matches {} chips: {}",
                many.len(),
                many.iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// The chip a result claims to have run on: its `device.chip`, else its adapter name.
    pub fn for_result(&self, r: &RunResult) -> Option<&Chip> {
        r.device
            .chip
            .as_deref()
            .and_then(|id| self.get(id).ok())
            .or_else(|| self.for_adapter(&r.device.name))
    }

    /// The chip whose wgpu adapter names include `adapter_name` (case-insensitive, both
    /// normalised: [`crate::model::normalise_name`]).
    pub fn for_adapter(&self, adapter_name: &str) -> Option<&Chip> {
        let name = adapter_key(adapter_name);
        self.adapters
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, at)| &self.chips[*at])
    }
}

/// How chipbench's TPP for an imported row compares with Epoch AI's own column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochCheck {
    pub id: String,
    pub epoch_tpp: f64,
    pub tpp_tf32_as_19: f64,
    pub tpp_tf32_as_32: f64,
    pub agrees_tf32_as_19: bool,
    pub agrees_tf32_as_32: bool,
    /// Why the two differ, where they do.
    pub reason: Option<String>,
}

/// One figure of a database entry that disagrees with its Epoch AI row by more than 2%.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochDifference {
    /// `vector.fp32`, `matrix.fp16` and so on.
    pub field: String,
    pub ours: f64,
    pub epoch: f64,
    /// The entry's documented reason, if it lists one in `epoch_differs`.
    pub reason: Option<String>,
}

/// Compares `chip`'s vector and matrix figures with `row`, its Epoch AI import, column by
/// column: Epoch's FP32, FP16 (half precision) and FP64 with the vector rates (FP64 with the
/// matrix rate where no vector one is listed), its TF32 and INT8/INT4 with the matrix rates,
/// its tensor FP16/BF16 and FP8 with the fastest matrix rate at either accumulator, and its
/// memory capacity with `memory_gb`.
pub fn epoch_differences(chip: &Chip, row: &Chip) -> Vec<EpochDifference> {
    let fastest = |p: Precision| {
        chip.matrix
            .get(&p)
            .into_iter()
            .chain(chip.matrix_fp16_accumulate.get(&p))
            .copied()
            .max_by(f64::total_cmp)
    };
    let vector = |c: &Chip, p: Precision| c.vector.get(&p).copied();
    let matrix = |c: &Chip, p: Precision| c.matrix.get(&p).copied();
    use Precision::*;
    let pairs: [(&str, Option<f64>, Option<f64>); 11] = [
        ("vector.fp32", vector(chip, Fp32), vector(row, Fp32)),
        ("vector.fp16", vector(chip, Fp16), vector(row, Fp16)),
        (
            "vector.fp64",
            vector(chip, Fp64).or(matrix(chip, Fp64)),
            vector(row, Fp64),
        ),
        ("matrix.tf32", matrix(chip, Tf32), matrix(row, Tf32)),
        (
            "matrix.fp16",
            fastest(Fp16).or(fastest(Bf16)),
            matrix(row, Bf16),
        ),
        ("matrix.fp8", fastest(Fp8), matrix(row, Fp8)),
        ("matrix.int8", matrix(chip, Int8), matrix(row, Int8)),
        ("matrix.int4", matrix(chip, Int4), matrix(row, Int4)),
        ("matrix.fp4", matrix(chip, Fp4), matrix(row, Fp4)),
        ("vector.int16", vector(chip, Int16), vector(row, Int16)),
        ("memory_gb", chip.memory_gb, row.memory_gb),
    ];
    pairs
        .into_iter()
        .filter_map(|(field, ours, epoch)| {
            let (ours, epoch) = (ours?, epoch?);
            ((ours - epoch).abs() > 0.02 * epoch).then(|| EpochDifference {
                field: field.to_string(),
                ours,
                epoch,
                reason: chip.epoch_differs.get(field).cloned(),
            })
        })
        .collect()
}

/// Compares the TPP computed from each imported row's peaks with Epoch's TPP column (within
/// 0.5%), both ways of counting TF32.
pub fn check_against_epoch(chips: &[Chip]) -> Vec<EpochCheck> {
    chips
        .iter()
        .filter_map(|c| {
            let epoch = c.epoch_tpp?;
            let spec = c.spec();
            let (t19, t32) = (spec.tpp(19)?, spec.tpp(32)?);
            let near = |v: f64| (v - epoch).abs() <= 0.005 * epoch;
            let (a19, a32) = (near(t19.value), near(t32.value));
            let reason = match (a19, a32) {
                (true, true) => None,
                (true, false) => Some(format!(
                    "agrees only with TF32 as 19 bits (as 32 bits TF32 decides: {:.0})",
                    t32.value
                )),
                (false, true) => Some(format!(
                    "agrees only with TF32 as 32 bits (as 19 bits: {:.0})",
                    t19.value
                )),
                (false, false) => Some(format!(
                    "inconsistent row: Epoch's TPP {epoch:.0} does not follow from its own peak columns, which give {:.0} ({} x {} bits)",
                    t19.value,
                    t19.argmax_peak,
                    t19.argmax.bits(19)
                )),
            };
            Some(EpochCheck {
                id: c.id.clone(),
                epoch_tpp: epoch,
                tpp_tf32_as_19: t19.value,
                tpp_tf32_as_32: t32.value,
                agrees_tf32_as_19: a19,
                agrees_tf32_as_32: a32,
                reason,
            })
        })
        .collect()
}

/// Epoch AI's columns (FLOP/s or OP/s), with the execution unit and precision each quotes:
/// FP64, FP32, "FP16 (half precision)" and INT16 are the vector units' rates; TF32, the tensor
/// 16-bit column (the fastest FP16/BF16 rate, with FP16 accumulators on GeForce parts), FP8,
/// INT8, INT4 and FP4 the matrix units'.
const EPOCH_PEAKS: [(&str, model::Unit, Precision); 10] = [
    (
        "FP64 (double precision) performance (FLOP/s)",
        model::Unit::Vector,
        Precision::Fp64,
    ),
    (
        "FP32 (single precision) performance (FLOP/s)",
        model::Unit::Vector,
        Precision::Fp32,
    ),
    (
        "TF32 (TensorFloat-32) performance (FLOP/s)",
        model::Unit::Matrix,
        Precision::Tf32,
    ),
    (
        "Tensor-FP16/BF16 performance (FLOP/s)",
        model::Unit::Matrix,
        Precision::Bf16,
    ),
    (
        "FP16 (half precision) performance (FLOP/s)",
        model::Unit::Vector,
        Precision::Fp16,
    ),
    (
        "INT16 performance (OP/s)",
        model::Unit::Vector,
        Precision::Int16,
    ),
    (
        "FP8 performance (FLOP/s)",
        model::Unit::Matrix,
        Precision::Fp8,
    ),
    (
        "INT8 performance (OP/s)",
        model::Unit::Matrix,
        Precision::Int8,
    ),
    (
        "INT4 performance (OP/s)",
        model::Unit::Matrix,
        Precision::Int4,
    ),
    (
        "FP4 performance (FLOP/s)",
        model::Unit::Matrix,
        Precision::Fp4,
    ),
];

/// Reads Epoch AI's ML hardware CSV into chip entries (ids `epoch:<name>`), converting its
/// units (FLOP/s, byte/s) to the database's (T(FL)OP/s, GB/s). Rows without any peak are
/// skipped; the datacenter flag is unknown, since Epoch does not record it.
pub fn import_epoch(path: &Path) -> Result<Vec<Chip>, ChipError> {
    let err = |message: String| ChipError::Import {
        path: path.display().to_string(),
        message,
    };
    let mut reader = csv::Reader::from_path(path).map_err(|e| err(e.to_string()))?;
    let headers = reader.headers().map_err(|e| err(e.to_string()))?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let cols = EpochColumns {
        name: col("Hardware name").ok_or_else(|| err("no \"Hardware name\" column".into()))?,
        peaks: EPOCH_PEAKS
            .iter()
            .filter_map(|&(h, u, p)| col(h).map(|i| (i, u, p)))
            .collect(),
        vendor: col("Manufacturer"),
        date: col("Release date"),
        bandwidth: col("Memory bandwidth (byte/s)"),
        memory: col("Memory (bytes)"),
        link: col("Intranode bandwidth (byte/s)"),
        die: col("Die Size (mm^2)"),
        tpp: col("Total processing performance (bit-OP/s)"),
        sheet: col("Link to datasheet"),
    };
    if cols.peaks.is_empty() {
        return Err(err("none of Epoch's performance columns is present".into()));
    }
    let mut out = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| err(format!("row {}: {e}", line + 2)))?;
        let row = EpochRow {
            record: &record,
            line: line + 2,
        };
        out.extend(row.chip(&cols).map_err(err)?);
    }
    Ok(out)
}

/// Where Epoch's columns are in its CSV.
struct EpochColumns {
    name: usize,
    peaks: Vec<(usize, model::Unit, Precision)>,
    vendor: Option<usize>,
    date: Option<usize>,
    bandwidth: Option<usize>,
    memory: Option<usize>,
    link: Option<usize>,
    die: Option<usize>,
    tpp: Option<usize>,
    sheet: Option<usize>,
}

/// One row of Epoch's CSV and its line number.
struct EpochRow<'a> {
    record: &'a csv::StringRecord,
    line: usize,
}

impl EpochRow<'_> {
    fn text(&self, i: Option<usize>) -> Option<&str> {
        i.and_then(|i| self.record.get(i))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    fn number(&self, i: Option<usize>) -> Result<Option<f64>, String> {
        match self.text(i) {
            None => Ok(None),
            Some(s) => s
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .map(Some)
                .ok_or_else(|| format!("row {}: {s:?} is not a positive number", self.line)),
        }
    }

    /// The row as a chip entry; none for a row without a name or any peak.
    fn chip(&self, cols: &EpochColumns) -> Result<Option<Chip>, String> {
        let Some(name) = self.text(Some(cols.name)).map(str::to_string) else {
            return Ok(None);
        };
        let (mut vector, mut matrix) = (Peaks::new(), Peaks::new());
        for &(i, unit, p) in &cols.peaks {
            if let Some(v) = self.number(Some(i))? {
                match unit {
                    model::Unit::Vector => vector.insert(p, v / 1e12),
                    model::Unit::Matrix => matrix.insert(p, v / 1e12),
                };
            }
        }
        if vector.is_empty() && matrix.is_empty() {
            return Ok(None);
        }
        let sheet = self
            .text(cols.sheet)
            .map(|s| format!("; datasheet: {}", s.split_whitespace().next().unwrap_or("")))
            .unwrap_or_default();
        let sources = BTreeMap::from([(
            "all".to_string(),
            format!("Epoch AI, Data on Machine Learning Hardware (CC-BY 4.0){sheet}"),
        )]);
        Ok(Some(Chip {
            id: format!("epoch:{}", crate::model::slug(&name)),
            vendor: self.text(cols.vendor).unwrap_or("unknown").to_string(),
            name,
            year: self
                .text(cols.date)
                .and_then(|d| d.get(..4))
                .and_then(|y| y.parse().ok()),
            generation: None,
            datacenter: None,
            vector,
            matrix,
            matrix_fp16_accumulate: Peaks::new(),
            units: Vec::new(),
            memory_bandwidth_gbps: self.number(cols.bandwidth)?.map(|v| v / 1e9),
            memory_gb: self.number(cols.memory)?.map(|v| v / 1e9),
            interconnect_gbps: self.number(cols.link)?.map(|v| v / 1e9),
            die_area_mm2: self.number(cols.die)?,
            wgpu_names: Vec::new(),
            estimates: Vec::new(),
            sources,
            epoch_tpp: self.number(cols.tpp)?.map(|v| v / 1e12),
            epoch_name: None,
            epoch_differs: BTreeMap::new(),
            us_commercial: None,
            licence_letter: None,
            released: None,
            origin: None,
            cloud_only: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unique_part_of_an_id_names_its_chip() {
        let db = Database::load().unwrap();
        assert_eq!(db.resolve("H200").unwrap().id, "nvidia-h200-sxm");
        assert_eq!(db.resolve("nvidia-h100-sxm").unwrap().id, "nvidia-h100-sxm");
        assert_eq!(db.resolve("a100-sxm").unwrap().id, "nvidia-a100-sxm");
        let e = db.resolve("h100").unwrap_err().to_string();
        assert!(
            e.contains("nvidia-h100-sxm") && e.contains("nvidia-h100-pcie"),
            "{e}"
        );
        let e = db.resolve("h900").unwrap_err().to_string();
        assert!(e.contains("unknown chip"), "{e}");
    }
}

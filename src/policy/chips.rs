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
    /// Device memory capacity in GB (10^9 bytes): what training state and KV caches must fit.
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
}

impl Chip {
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
        Ok(Database { chips: file.chip })
    }

    /// Adds entries (e.g. an Epoch import); ids already present are kept as they were.
    pub fn extend(&mut self, more: Vec<Chip>) {
        for c in more {
            if !self.chips.iter().any(|x| x.id == c.id) {
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

    /// The chip a result claims to have run on: its `device.chip`, else its adapter name.
    pub fn for_result(&self, r: &RunResult) -> Option<&Chip> {
        r.device
            .chip
            .as_deref()
            .and_then(|id| self.get(id).ok())
            .or_else(|| self.for_adapter(&r.device.name))
    }

    /// The chip whose wgpu adapter names include `adapter_name` (case-insensitive).
    pub fn for_adapter(&self, adapter_name: &str) -> Option<&Chip> {
        let name = adapter_name.trim().to_lowercase();
        self.chips
            .iter()
            .find(|c| c.wgpu_names.iter().any(|n| n.to_lowercase() == name))
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
    let name_col = col("Hardware name").ok_or_else(|| err("no \"Hardware name\" column".into()))?;
    let peak_cols: Vec<(usize, model::Unit, Precision)> = EPOCH_PEAKS
        .iter()
        .filter_map(|&(h, u, p)| col(h).map(|i| (i, u, p)))
        .collect();
    if peak_cols.is_empty() {
        return Err(err("none of Epoch's performance columns is present".into()));
    }
    let (vendor_col, date_col, bw_col, mem_col, link_col, die_col, tpp_col, sheet_col) = (
        col("Manufacturer"),
        col("Release date"),
        col("Memory bandwidth (byte/s)"),
        col("Memory (bytes)"),
        col("Intranode bandwidth (byte/s)"),
        col("Die Size (mm^2)"),
        col("Total processing performance (bit-OP/s)"),
        col("Link to datasheet"),
    );
    let mut out = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| err(format!("row {}: {e}", line + 2)))?;
        let text = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let number = |i: Option<usize>| -> Result<Option<f64>, ChipError> {
            match text(i) {
                None => Ok(None),
                Some(s) => s
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v > 0.0)
                    .map(Some)
                    .ok_or_else(|| {
                        err(format!("row {}: {s:?} is not a positive number", line + 2))
                    }),
            }
        };
        let name = match text(Some(name_col)) {
            Some(n) => n.to_string(),
            None => continue,
        };
        let (mut vector, mut matrix) = (Peaks::new(), Peaks::new());
        for &(i, unit, p) in &peak_cols {
            if let Some(v) = number(Some(i))? {
                match unit {
                    model::Unit::Vector => vector.insert(p, v / 1e12),
                    model::Unit::Matrix => matrix.insert(p, v / 1e12),
                };
            }
        }
        if vector.is_empty() && matrix.is_empty() {
            continue;
        }
        let mut sources = BTreeMap::new();
        sources.insert(
            "all".to_string(),
            format!(
                "Epoch AI, Data on Machine Learning Hardware (CC-BY 4.0){}",
                text(sheet_col)
                    .map(|s| format!("; datasheet: {}", s.split_whitespace().next().unwrap_or("")))
                    .unwrap_or_default()
            ),
        );
        out.push(Chip {
            id: format!("epoch:{}", crate::model::slug(&name)),
            vendor: text(vendor_col).unwrap_or("unknown").to_string(),
            name,
            year: text(date_col)
                .and_then(|d| d.get(..4))
                .and_then(|y| y.parse().ok()),
            datacenter: None,
            vector,
            matrix,
            matrix_fp16_accumulate: Peaks::new(),
            units: Vec::new(),
            memory_bandwidth_gbps: number(bw_col)?.map(|v| v / 1e9),
            memory_gb: number(mem_col)?.map(|v| v / 1e9),
            interconnect_gbps: number(link_col)?.map(|v| v / 1e9),
            die_area_mm2: number(die_col)?,
            wgpu_names: Vec::new(),
            estimates: Vec::new(),
            sources,
            epoch_tpp: number(tpp_col)?.map(|v| v / 1e12),
            epoch_name: None,
            epoch_differs: BTreeMap::new(),
            us_commercial: None,
            licence_letter: None,
        });
    }
    Ok(out)
}

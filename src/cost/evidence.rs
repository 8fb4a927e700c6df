//! What a chip's training capability rests on, in order: the vendor library's dense GEMM
//! measured on that chip (or on a chip of the same die at the same dense peak), else the
//! datasheet's dense matrix peak. chipbench's portable kernel never stands for the chip: its
//! rate is shown beside an estimate, and stands in only as a labelled bound on a device that
//! maps to no chip and has no vendor measurement.

use serde::Serialize;

use super::CostError;
use crate::dataset::Standing;
use crate::model::{Numeric, RunResult, Source, Status, WorkloadRecord};
use crate::policy::{Chip, Database, Precision};

/// The kind of evidence a rate rests on, as `--json` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RateSource {
    /// A vendor library's GEMM measured on the chip (cuBLAS, rocBLAS, ...).
    VendorLibrary,
    /// The datasheet's dense matrix peak.
    Datasheet,
    /// A sustained training rate given on the command line.
    Given,
    /// chipbench's portable kernel, for a device with no chip entry and no vendor file.
    ChipbenchKernel,
}

impl RateSource {
    pub fn name(self) -> &'static str {
        match self {
            RateSource::VendorLibrary => "vendor-library",
            RateSource::Datasheet => "datasheet",
            RateSource::Given => "given",
            RateSource::ChipbenchKernel => "chipbench-kernel",
        }
    }

    /// The evidence the calibration divides by for a rate of this kind: the datasheet for a
    /// datasheet rate, else the vendor library's measurements (against which a portable
    /// kernel's rate is a bound).
    pub fn calibration_base(self) -> RateSource {
        match self {
            RateSource::Datasheet => RateSource::Datasheet,
            _ => RateSource::VendorLibrary,
        }
    }
}

/// A dense GEMM rate a chip delivers, and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capability {
    pub source: RateSource,
    pub tflops: f64,
    pub precision: Precision,
    /// The measurement or the datasheet figure, in words.
    pub what: String,
    /// The result file the measurement is in.
    pub file: Option<String>,
    /// The chip a measurement ran on when it stands in for another of the same die and peak.
    pub measured_on: Option<String>,
    /// The measurement's standing among the runs of its chip.
    pub standing: Option<Standing>,
}

/// A result file, the path or id it was read from, and its standing among the runs of its
/// chip.
pub struct Evidence {
    pub file: String,
    pub result: RunResult,
    pub standing: Standing,
}

impl Evidence {
    /// `files` (name, result) with each one's standing among them.
    pub fn with_standing(db: &Database, files: Vec<(String, RunResult)>) -> Vec<Evidence> {
        let named: Vec<(String, &RunResult)> = files.iter().map(|(n, r)| (n.clone(), r)).collect();
        let standing = crate::dataset::standings(db, &named);
        files
            .into_iter()
            .map(|(file, result)| Evidence {
                standing: standing.get(&file).map_or(Standing::Single, |s| s.standing),
                file,
                result,
            })
            .collect()
    }
}

/// Every result under `root` that validates, for the vendor measurements it holds; files that
/// do not are skipped, as `dataset check` reports them.
pub fn dataset(db: &Database, root: &std::path::Path) -> Vec<(String, RunResult)> {
    crate::dataset::files(root)
        .into_iter()
        .filter_map(|p| Some((p.display().to_string(), crate::dataset::read(db, &p).ok()?)))
        .collect()
}

/// Two chips whose GEMMs run on the same silicon at the same clock: same vendor, same logic
/// die area, same dense matrix peak at `p` (the H100 SXM, H800 and H200).
pub fn same_silicon(a: &Chip, b: &Chip, p: Precision) -> bool {
    let peak = |c: &Chip| c.matrix.get(&p).copied();
    a.vendor == b.vendor
        && a.die_area_mm2.is_some()
        && a.die_area_mm2 == b.die_area_mm2
        && peak(a).is_some()
        && peak(a) == peak(b)
}

/// The fastest passed matmul in `r` with inputs `n` and FP32 accumulation.
pub fn best_gemm(r: &RunResult, n: Numeric) -> Option<(f64, &WorkloadRecord)> {
    r.workloads
        .iter()
        .filter(|w| {
            w.workload == "matmul"
                && w.status == Status::Ok
                && w.precision.inputs == n
                && w.precision.accumulate == Numeric::F32
        })
        .filter_map(|w| Some((w.throughput.as_ref()?.tflops?, w)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

/// The result format of a datasheet precision (bf16 and fp16 are the training formats).
fn numeric(p: Precision) -> Option<Numeric> {
    match p {
        Precision::Bf16 => Some(Numeric::Bf16),
        Precision::Fp16 => Some(Numeric::F16),
        Precision::Fp8 => Some(Numeric::Fp8),
        Precision::Tf32 => Some(Numeric::Tf32),
        Precision::Fp32 => Some(Numeric::F32),
        _ => None,
    }
}

fn measured(e: &Evidence, p: Precision, measured_on: Option<String>) -> Option<Capability> {
    let (tflops, w) = best_gemm(&e.result, numeric(p)?)?;
    Some(Capability {
        source: RateSource::VendorLibrary,
        tflops,
        precision: p,
        what: format!(
            "{} {} ({}) on {}: {tflops:.1} TFLOP/s, a {} run",
            w.variant,
            p,
            w.shape_label(),
            e.result.device.name,
            e.standing.name()
        ),
        file: Some(e.file.clone()),
        measured_on,
        standing: Some(e.standing),
    })
}

/// The vendor library's dense GEMM at `p` on `chip` or a chip of the same silicon (so that
/// every chip of a silicon gets the same figure; the chip it ran on is `measured_on` where it
/// is another): each run's fastest case, the median run of the confirmed ones where there are
/// any, else of the single ones, never an outlier.
pub fn vendor_capability(
    db: &Database,
    chip: &Chip,
    p: Precision,
    files: &[Evidence],
) -> Option<Capability> {
    trusted_median(files, |e| {
        if e.result.source != Source::VendorLibrary {
            return None;
        }
        let on = db.for_result(&e.result)?;
        let c = (on.id == chip.id || same_silicon(on, chip, p))
            .then(|| measured(e, p, (on.id != chip.id).then(|| on.id.clone())))??;
        Some((c.tflops, c))
    })
    .map(|(_, c)| c)
}

/// The median by value (the lower one of an even count) of what `pick` finds in the confirmed
/// files, else in the single ones, never in an outlier: the run a derived figure rests on, so
/// that one forged file cannot set it.
pub fn trusted_median<'a, T>(
    files: &'a [Evidence],
    pick: impl Fn(&'a Evidence) -> Option<(f64, T)>,
) -> Option<(f64, T)> {
    [Standing::Confirmed, Standing::Single]
        .into_iter()
        .find_map(|standing| {
            let mut runs: Vec<(f64, T)> = files
                .iter()
                .filter(|e| e.standing == standing)
                .filter_map(&pick)
                .collect();
            runs.sort_by(|a, b| a.0.total_cmp(&b.0));
            (!runs.is_empty()).then(|| runs.swap_remove((runs.len() - 1) / 2))
        })
}

/// The datasheet's dense matrix peak of `chip` at `p` (FP32 accumulation).
pub fn datasheet_capability(chip: &Chip, p: Precision) -> Option<Capability> {
    let tflops = chip
        .spec()
        .peak(crate::model::Unit::Matrix, p, Numeric::F32)?;
    Some(Capability {
        source: RateSource::Datasheet,
        tflops,
        precision: p,
        what: format!(
            "{} {} datasheet dense matrix peak: {tflops:.1} TFLOP/s",
            chip.vendor, chip.name
        ),
        file: None,
        measured_on: None,
        standing: None,
    })
}

/// The precision a chip's capability is taken at: the one asked for, else bf16 where the chip
/// lists a bf16 matrix peak, else fp16.
pub fn precision_for(chip: Option<&Chip>, asked: Option<Precision>) -> Precision {
    asked.unwrap_or_else(|| match chip {
        Some(c)
            if c.spec()
                .peak(crate::model::Unit::Matrix, Precision::Bf16, Numeric::F32)
                .is_none() =>
        {
            Precision::Fp16
        }
        _ => Precision::Bf16,
    })
}

/// `chip`'s capability at `p`: vendor-library measurement, else datasheet peak.
pub fn chip_capability(
    db: &Database,
    chip: &Chip,
    p: Precision,
    files: &[Evidence],
) -> Result<Capability, CostError> {
    vendor_capability(db, chip, p, files)
        .or_else(|| datasheet_capability(chip, p))
        .ok_or_else(|| {
            CostError::Input(format!(
                "{} has no dense {p} matrix peak in data/chips.toml and no vendor-library {p} GEMM \
                 in the dataset; pick --precision or give --tflops",
                chip.id
            ))
        })
}

/// What chipbench's portable kernel reached, shown beside an estimate that does not rest on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KernelFigure {
    pub variant: String,
    pub precision: Numeric,
    pub shape: String,
    pub tflops: f64,
    /// Its rate over the vendor library's at the same precision and shape, where measured.
    pub vendor_ratio: Option<f64>,
    pub vendor_variant: Option<String>,
}

/// The best 16-bit (bf16, else f16) GEMM of chipbench's kernels in `result`, with its ratio to
/// the vendor library at the same precision and shape among `vendor` files of the same chip.
pub fn portable_kernel(result: &RunResult, vendor: &[&RunResult]) -> Option<KernelFigure> {
    if result.source != Source::Chipbench {
        return None;
    }
    let (n, (tflops, w)) = [Numeric::Bf16, Numeric::F16]
        .into_iter()
        .find_map(|n| Some((n, best_gemm(result, n)?)))?;
    let reference = vendor
        .iter()
        .flat_map(|r| &r.workloads)
        .filter(|v| {
            v.workload == "matmul"
                && v.status == Status::Ok
                && v.precision == w.precision
                && v.shape == w.shape
        })
        .filter_map(|v| Some((v.throughput.as_ref()?.tflops?, v)))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    Some(KernelFigure {
        variant: w.variant.clone(),
        precision: n,
        shape: w.shape_label(),
        tflops,
        vendor_ratio: reference.map(|(v, _)| tflops / v),
        vendor_variant: reference.map(|(_, v)| v.variant.clone()),
    })
}

/// A device with no chip entry: its own vendor measurement if the file is one, else the
/// portable kernel as a bound (never as the chip's rate).
pub fn unmapped_capability(
    e: &Evidence,
    asked: Option<Precision>,
) -> Result<Capability, CostError> {
    let p = precision_for(None, asked);
    let name = &e.result.device.name;
    match e.result.source {
        Source::VendorLibrary => measured(e, p, None).ok_or_else(|| {
            CostError::Input(format!(
                "{}: no passed {p} GEMM with FP32 accumulation in this vendor-library file",
                e.file
            ))
        }),
        Source::Chipbench => {
            let k = portable_kernel(&e.result, &[]).ok_or_else(|| {
                CostError::Input(format!(
                    "{name:?} maps to no chip in data/chips.toml and {} has no passed 16-bit matmul; \
                     give --chip ID or --tflops T",
                    e.file
                ))
            })?;
            Ok(Capability {
                source: RateSource::ChipbenchKernel,
                tflops: k.tflops,
                precision: Precision::of(k.precision).unwrap_or(p),
                what: format!(
                    "fallback: {name:?} maps to no chip in data/chips.toml and has no vendor-library \
                     file, so chipbench's portable kernel {} ({} {}: {:.4} TFLOP/s) stands in; a \
                     vendor library is faster, so GPU-hours are an upper bound",
                    k.variant, k.precision, k.shape, k.tflops
                ),
                file: Some(e.file.clone()),
                measured_on: None,
                standing: Some(e.standing),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_silicon_joins_the_hopper_sxm_parts_only() {
        let db = Database::load().unwrap();
        let chip = |id: &str| db.get(id).unwrap();
        let bf16 = Precision::Bf16;
        assert!(same_silicon(
            chip("nvidia-h800"),
            chip("nvidia-h200-sxm"),
            bf16
        ));
        assert!(same_silicon(
            chip("nvidia-h100-sxm"),
            chip("nvidia-h200-sxm"),
            bf16
        ));
        // Same die, other clocks or a cut-down part: not the same GEMM rate.
        assert!(!same_silicon(
            chip("nvidia-h100-pcie"),
            chip("nvidia-h200-sxm"),
            bf16
        ));
        assert!(!same_silicon(
            chip("nvidia-h20"),
            chip("nvidia-h200-sxm"),
            bf16
        ));
        assert!(!same_silicon(
            chip("amd-mi300x"),
            chip("nvidia-h200-sxm"),
            bf16
        ));
    }

    /// The committed H200 cuBLAS file, its adapter renamed and its rates scaled.
    fn cublas_as(name: &str, scale: f64) -> Evidence {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/results/nvidia/nvidia-h200/35e780f66ae0c0b913f422b44ad175238d1c0a06e882f1395876026a408a024a.json"
        );
        let mut result = RunResult::read(std::path::Path::new(path)).unwrap();
        result.device.name = name.into();
        for w in &mut result.workloads {
            if let Some(t) = w.throughput.as_mut().and_then(|t| t.tflops.as_mut()) {
                *t *= scale;
            }
        }
        Evidence {
            file: name.into(),
            result,
            standing: Standing::Single,
        }
    }

    #[test]
    fn every_chip_of_a_silicon_gets_the_same_vendor_figure() {
        let db = Database::load().unwrap();
        let files = [
            cublas_as("NVIDIA H200", 1.0),
            cublas_as("NVIDIA H100 80GB HBM3", 0.1),
        ];
        let on = |id: &str| vendor_capability(&db, db.get(id).unwrap(), Precision::Bf16, &files);
        // Two single runs of the silicon: the median is the lower one (the "H100" file, ten
        // times slower), whichever of the three chips asks; one fast file cannot set it.
        for id in ["nvidia-h100-sxm", "nvidia-h800", "nvidia-h200-sxm"] {
            let c = on(id).unwrap();
            assert!((c.tflops - 67.79).abs() < 0.05, "{id}: {}", c.tflops);
        }
        assert_eq!(
            on("nvidia-h800").unwrap().measured_on.as_deref(),
            Some("nvidia-h100-sxm")
        );
        assert_eq!(on("nvidia-h100-sxm").unwrap().measured_on, None);
        assert!(on("nvidia-h100-pcie").is_none());
    }

    #[test]
    fn evidence_a_reference_run_outpaces_is_refused() {
        let (db, catalog) = (
            Database::load().unwrap(),
            crate::cost::Catalog::load().unwrap(),
        );
        // A cuBLAS file ten times too slow: the reference runs would sustain 5x "capability".
        let files = [cublas_as("NVIDIA H100 80GB HBM3", 0.1)];
        let h100 = db.get("nvidia-h100-sxm").unwrap();
        let cap = chip_capability(&db, h100, Precision::Bf16, &files).unwrap();
        let all = crate::cost::calibration::points(
            &catalog,
            &db,
            &files,
            cap.source,
            cap.precision,
            false,
        );
        let err =
            crate::cost::predict(&all, &cap, Some(1e24), Some(1e11), None, false).unwrap_err();
        assert!(err.to_string().contains("cannot be right"), "{err}");
    }

    #[test]
    fn capability_precision_falls_back_to_fp16_without_a_bf16_peak() {
        let db = Database::load().unwrap();
        let v100 = db.get("nvidia-v100-sxm2").unwrap();
        assert_eq!(precision_for(Some(v100), None), Precision::Fp16);
        let h100 = db.get("nvidia-h100-sxm").unwrap();
        assert_eq!(precision_for(Some(h100), None), Precision::Bf16);
        let d = datasheet_capability(h100, Precision::Bf16).unwrap();
        assert_eq!((d.source, d.tflops), (RateSource::Datasheet, 989.4));
        assert!(
            chip_capability(&db, db.get("apple-m2-max").unwrap(), Precision::Fp16, &[]).is_err()
        );
    }
}

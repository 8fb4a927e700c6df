//! What a chip's training rate rests on. The utilisation model is calibrated against the
//! datasheet's dense 16-bit matrix peak (bf16, or fp16 where a chip lists no bf16), Epoch AI's
//! convention; a vendor library's GEMM measured on the chip (or on a chip of the same die at the
//! same dense peak) enters as evidence of how much of that peak the chip's software reaches,
//! beside the same measurement on its generation's calibration chips. chipbench's portable
//! kernel never stands for the chip: its rate is shown beside an estimate, and stands in only as
//! a labelled bound on a device that maps to no chip and has no vendor measurement.

use serde::Serialize;

use crate::dataset::Standing;
use crate::model::{Numeric, RunResult, Source, Status, WorkloadRecord};
use crate::policy::{Chip, Database, Precision};

/// The kind of evidence a rate rests on, as `--json` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RateSource {
    /// The datasheet's dense matrix peak.
    Datasheet,
    /// A vendor library's GEMM measured on the device, standing in for a peak it has none of.
    VendorLibrary,
    /// A sustained training rate given on the command line.
    Given,
    /// chipbench's portable kernel, for a device with no chip entry and no vendor file.
    ChipbenchKernel,
}

impl RateSource {
    /// The name outputs use.
    pub fn name(self) -> &'static str {
        match self {
            RateSource::VendorLibrary => "vendor-library",
            RateSource::Datasheet => "datasheet",
            RateSource::Given => "given",
            RateSource::ChipbenchKernel => "chipbench-kernel",
        }
    }
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
    /// `files` (name, result) with each one's standing among them: a name that is the path of
    /// a file whose signature beside it verifies against `signers` is a verified run; every
    /// other (an unsigned file, an unknown key, a run named by its id) is unverified.
    pub fn with_standing(
        db: &Database,
        signers: &crate::dataset::AllowedSigners,
        files: Vec<(String, RunResult)>,
    ) -> Vec<Evidence> {
        let named: Vec<crate::dataset::Candidate> = files
            .iter()
            .map(|(n, r)| {
                let signer = crate::dataset::verify(signers, std::path::Path::new(n));
                (n.clone(), r, signer.signer().map(String::from))
            })
            .collect();
        let standing = crate::dataset::standings(db, &named);
        files
            .into_iter()
            .map(|(file, result)| Evidence {
                standing: standing
                    .get(&file)
                    .map_or(Standing::Unverified, |s| s.standing),
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
pub(crate) fn same_silicon(a: &Chip, b: &Chip, p: Precision) -> bool {
    let peak = |c: &Chip| c.matrix.get(&p).copied();
    a.vendor == b.vendor
        && a.die_area_mm2.is_some()
        && a.die_area_mm2 == b.die_area_mm2
        && peak(a).is_some()
        && peak(a) == peak(b)
}

/// The fastest passed matmul in `r` with inputs `n` and FP32 accumulation.
fn best_gemm(r: &RunResult, n: Numeric) -> Option<(f64, &WorkloadRecord)> {
    r.workloads
        .iter()
        .filter(|w| {
            w.workload == "matmul"
                && w.status == Status::Ok
                && w.precision.inputs == n
                && w.precision.accumulate == Numeric::F32
        })
        .filter_map(|w| Some((w.figure()?.value, w)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

/// The result format of a training precision.
fn numeric(p: Precision) -> Option<Numeric> {
    match p {
        Precision::Bf16 => Some(Numeric::Bf16),
        Precision::Fp16 => Some(Numeric::F16),
        _ => None,
    }
}

/// A dense matrix peak at one precision, FLOP/s.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Peak {
    pub flop_per_s: f64,
    pub precision: Precision,
}

/// The precision a chip's peak is taken at: the one asked for, else bf16 where the chip lists
/// a bf16 matrix peak, else fp16.
pub(crate) fn precision_for(chip: Option<&Chip>, asked: Option<Precision>) -> Precision {
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

/// The datasheet dense matrix peak of `chip` at the calibration's precision (FP32
/// accumulation): bf16, or fp16 where it lists no bf16.
pub fn datasheet_peak(chip: &Chip) -> Option<Peak> {
    peak_at(chip, precision_for(Some(chip), None))
}

/// The datasheet dense matrix peak of `chip` at `p` (FP32 accumulation).
pub(crate) fn peak_at(chip: &Chip, p: Precision) -> Option<Peak> {
    let tflops = chip
        .spec()
        .peak(crate::model::Unit::Matrix, p, Numeric::F32)?;
    Some(Peak {
        flop_per_s: tflops * 1e12,
        precision: p,
    })
}

/// A vendor library's dense GEMM measured on a device.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measured {
    pub flop_per_s: f64,
    pub precision: Precision,
    pub variant: String,
    pub shape: String,
    pub device: String,
    /// The result file the measurement is in.
    pub file: String,
    /// The measurement's standing among the runs of its chip.
    pub standing: Standing,
    /// The chip it ran on, where it stands in for another of the same die and peak.
    pub measured_on: Option<String>,
}

fn measured(e: &Evidence, p: Precision, measured_on: Option<String>) -> Option<Measured> {
    let (flop_per_s, w) = best_gemm(&e.result, numeric(p)?)?;
    Some(Measured {
        flop_per_s,
        precision: p,
        variant: w.variant.clone(),
        shape: w.case().shape.to_string(),
        device: e.result.device.name.clone(),
        file: e.file.clone(),
        standing: e.standing,
        measured_on,
    })
}

/// The vendor library's dense GEMM at `p` on `chip` or a chip of the same silicon (so that
/// every chip of a silicon gets the same figure; the chip it ran on is `measured_on` where it
/// is another): each run's fastest case, the trusted median run ([`trusted_median`]).
pub(crate) fn vendor_gemm(
    db: &Database,
    chip: &Chip,
    p: Precision,
    files: &[Evidence],
) -> Option<Measured> {
    trusted_median(files, |e| {
        if e.result.source != Source::VendorLibrary {
            return None;
        }
        let on = db.for_result(&e.result)?;
        let c = (on.id == chip.id || same_silicon(on, chip, p))
            .then(|| measured(e, p, (on.id != chip.id).then(|| on.id.clone())))??;
        Some((c.flop_per_s, c))
    })
    .map(|(_, c)| c)
}

/// How much of its datasheet peak a chip's vendor library reaches, beside the same for the
/// chips its generation's runs trained on: a chip whose library reaches less of its peak than
/// theirs did gets proportionally fewer FLOP/s from the same utilisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    pub gemm: Measured,
    /// The measured rate over the chip's datasheet peak.
    pub of_peak: f64,
    /// The same for the generation's calibration chips (their median), where measured.
    pub generation_of_peak: Option<f64>,
}

impl Measurement {
    /// The factor the chip's rate is scaled by: its measured share of peak over its
    /// generation's; 1 where the generation has no measurement to compare with.
    pub fn factor(&self) -> f64 {
        self.generation_of_peak.map_or(1.0, |g| self.of_peak / g)
    }
}

/// What an estimate's rate rests on: the peak the utilisation multiplies and, where one was
/// measured, the vendor library's GEMM beside it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capability {
    pub source: RateSource,
    /// The chip's datasheet peak, or for a device without a chip entry the measured rate that
    /// stands in for it.
    pub peak: Peak,
    pub chip: Option<String>,
    pub generation: Option<String>,
    pub measurement: Option<Measurement>,
}

impl Capability {
    /// The FLOP/s a utilisation of 1 stands for.
    pub fn flop_per_s(&self) -> f64 {
        self.peak.flop_per_s * self.measurement.as_ref().map_or(1.0, Measurement::factor)
    }
}

/// `chip`'s capability at `p`: its datasheet peak, with its vendor library's GEMM set beside
/// those of `calibration_chips` (the chips its generation's calibrating runs trained on).
pub(crate) fn chip_capability(
    db: &Database,
    chip: &Chip,
    p: Precision,
    files: &[Evidence],
    calibration_chips: &[&Chip],
) -> Option<Capability> {
    let peak = peak_at(chip, p)?;
    let share = |c: &Chip| {
        let m = vendor_gemm(db, c, p, files)?;
        Some(m.flop_per_s / peak_at(c, p)?.flop_per_s)
    };
    let measurement = vendor_gemm(db, chip, p, files).map(|gemm| {
        let mut theirs: Vec<f64> = calibration_chips.iter().filter_map(|c| share(c)).collect();
        theirs.sort_by(f64::total_cmp);
        Measurement {
            of_peak: gemm.flop_per_s / peak.flop_per_s,
            generation_of_peak: (!theirs.is_empty()).then(|| theirs[(theirs.len() - 1) / 2]),
            gemm,
        }
    });
    Some(Capability {
        source: RateSource::Datasheet,
        peak,
        chip: Some(chip.id.clone()),
        generation: chip.generation.clone(),
        measurement,
    })
}

/// What chipbench's portable kernel reached, shown beside an estimate that does not rest on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KernelFigure {
    pub variant: String,
    pub precision: Numeric,
    pub shape: String,
    pub flop_per_s: f64,
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
    let (n, (flop_per_s, w)) = [Numeric::Bf16, Numeric::F16]
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
        .filter_map(|v| Some((v.figure()?.value, v)))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    Some(KernelFigure {
        variant: w.variant.clone(),
        precision: n,
        shape: w.case().shape.to_string(),
        flop_per_s,
        vendor_ratio: reference.map(|(v, _)| flop_per_s / v),
        vendor_variant: reference.map(|(_, v)| v.variant.clone()),
    })
}

/// A device with no chip entry: its own vendor measurement if the file is one, else the
/// portable kernel as a stand-in (never as the chip's rate); none when the file has neither.
pub(crate) fn unmapped_capability(e: &Evidence, p: Precision) -> Option<Capability> {
    let (source, flop_per_s) = match e.result.source {
        Source::VendorLibrary => (RateSource::VendorLibrary, measured(e, p, None)?.flop_per_s),
        Source::Chipbench => (
            RateSource::ChipbenchKernel,
            portable_kernel(&e.result, &[])?.flop_per_s,
        ),
    };
    Some(Capability {
        source,
        peak: Peak {
            flop_per_s,
            precision: p,
        },
        chip: None,
        generation: None,
        measurement: None,
    })
}

/// The median by value (the lower one of an even count) of what `pick` finds in the confirmed
/// files, else in the single (verified) ones, else in the unverified ones, never in an
/// outlier: the run a derived figure rests on, so that one forged file cannot set it and an
/// unsigned one never outweighs a signed one.
pub(crate) fn trusted_median<'a, T>(
    files: &'a [Evidence],
    pick: impl Fn(&'a Evidence) -> Option<(f64, T)>,
) -> Option<(f64, T)> {
    [Standing::Confirmed, Standing::Single, Standing::Unverified]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_silicon_joins_the_hopper_sxm_parts_only() {
        let db = Database::load().unwrap();
        let chip = |id: &str| db.get(id).unwrap();
        let same = |a: &str, b: &str| same_silicon(chip(a), chip(b), Precision::Bf16);
        assert!(same("nvidia-h800", "nvidia-h200-sxm"));
        assert!(same("nvidia-h100-sxm", "nvidia-h200-sxm"));
        // Same die, other clocks or a cut-down part: not the same GEMM rate.
        assert!(!same("nvidia-h100-pcie", "nvidia-h200-sxm"));
        assert!(!same("nvidia-h20", "nvidia-h200-sxm"));
        assert!(!same("amd-mi300x", "nvidia-h200-sxm"));
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
        let on = |id: &str| vendor_gemm(&db, db.get(id).unwrap(), Precision::Bf16, &files);
        // Two single runs of the silicon: the median is the lower one (the "H100" file, ten
        // times slower), whichever of the three chips asks; one fast file cannot set it.
        for id in ["nvidia-h100-sxm", "nvidia-h800", "nvidia-h200-sxm"] {
            let c = on(id).unwrap();
            assert!(
                (c.flop_per_s / 1e12 - 67.79).abs() < 0.05,
                "{id}: {}",
                c.flop_per_s
            );
        }
        assert_eq!(
            on("nvidia-h800").unwrap().measured_on.as_deref(),
            Some("nvidia-h100-sxm")
        );
        assert_eq!(on("nvidia-h100-sxm").unwrap().measured_on, None);
        assert!(on("nvidia-h100-pcie").is_none());
    }

    #[test]
    fn a_measured_gemm_scales_the_rate_only_against_its_generations() {
        let db = Database::load().unwrap();
        let h200 = db.get("nvidia-h200-sxm").unwrap();
        let h100 = db.get("nvidia-h100-sxm").unwrap();
        let files = [cublas_as("NVIDIA H200", 1.0)];
        // The H100's runs trained on the same silicon: the same share of peak, no change.
        let c = chip_capability(&db, h200, Precision::Bf16, &files, &[h100]).unwrap();
        let m = c.measurement.as_ref().unwrap();
        assert!((m.of_peak - 677.9 / 989.4).abs() < 0.01, "{m:?}");
        assert!((c.flop_per_s() - c.peak.flop_per_s).abs() < 1.0);
        // No calibration chip measured: the datasheet stands.
        let alone = chip_capability(&db, h200, Precision::Bf16, &files, &[]).unwrap();
        assert_eq!(alone.measurement.as_ref().unwrap().generation_of_peak, None);
        assert_eq!(alone.flop_per_s(), alone.peak.flop_per_s);
        // Set against chips that reach another share of their peak, the rate scales by the
        // ratio of the shares.
        let cross = [
            cublas_as("NVIDIA H200", 1.0),
            cublas_as("NVIDIA A100-SXM4-80GB", 0.3),
        ];
        let a100 = db.get("nvidia-a100-sxm").unwrap();
        let c = chip_capability(&db, h200, Precision::Bf16, &cross, &[a100]).unwrap();
        let expect = (677.9 / 989.4) / (677.9 * 0.3 / 312.0);
        let factor = c.measurement.as_ref().unwrap().factor();
        assert!((factor - expect).abs() < 0.01, "{factor} {expect}");
    }
}

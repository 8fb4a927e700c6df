//! The tolerance every variant's correctness check uses, in one place: chipbench's kernels take
//! theirs from here, the vendor reference script uses the same figures (a test reads them back
//! from its committed output), and validation refuses a file whose check claims another, since
//! a looser tolerance would pass wrong results.

use super::kinds::Numeric;
use super::result::{Source, WorkloadRecord};

/// Machine epsilon of f16.
const F16_EPS: f64 = 1.0 / 2048.0;
/// The FMA chains are replayed exactly; the relative error allowed is rounding of the sums.
pub const FMA: f64 = 1e-6;
/// Copies and the exact-arithmetic matrix-peak loop: not one element may differ.
pub(crate) const EXACT: f64 = 0.0;
/// Register-tiled matmul with FP32 accumulation.
pub(crate) const TILED_MATMUL: f64 = 1e-4;
/// Cooperative-matrix matmul with FP32 accumulation.
pub(crate) const COOP_MATMUL_F32_ACC: f64 = 1e-3;
/// Flash attention in f32 and in f16 with f32 accumulation; cooperative-matrix attention.
pub(crate) const FLASH_ATTENTION_F32: f64 = 1e-4;
pub(crate) const FLASH_ATTENTION_F16: f64 = 2e-3;
pub(crate) const COOP_ATTENTION: f64 = 5e-3;
/// Split-KV decode in f16; f32 matrix-vector product.
pub(crate) const DECODE: f64 = 1e-3;
pub(crate) const GEMV: f64 = 1e-4;

/// Cooperative-matrix matmul with f16 accumulation: about twice the expected rounding error of
/// a K-long f16 sum of random-sign terms, at least 5e-3.
pub(crate) fn coop_matmul_f16_acc(k: u64) -> f64 {
    (2.0 * F16_EPS * (k as f64 / 2.0).sqrt()).max(5e-3)
}

/// The tolerance the variant of `w` defines, for a file from `source`; `None` for a variant
/// this version does not know, including one of the other source's (a chipbench file
/// relabelled as a vendor-library one, or the reverse) and a vendor variant whose name
/// contradicts its input format.
pub fn expected(source: Source, w: &WorkloadRecord) -> Option<f64> {
    match source {
        Source::Chipbench => chipbench(w),
        Source::VendorLibrary => vendor(w),
    }
}

/// chipbench's kernels (`bench::ALL`): each workload's variants.
fn chipbench(w: &WorkloadRecord) -> Option<f64> {
    let v = w.variant.as_str();
    let half = w.precision.inputs == Numeric::F16;
    match w.workload.as_str() {
        "fma" if v == w.precision.inputs.name() => Some(FMA),
        "copy" if v.starts_with("vec4x") => Some(EXACT),
        "matrix-peak" if v.starts_with("coop") => Some(EXACT),
        "matmul" if v.starts_with("tiled-") => Some(TILED_MATMUL),
        "matmul" if v.starts_with("coop-") => Some(match w.precision.accumulate {
            Numeric::F16 => coop_matmul_f16_acc(*w.shape.get("k")?),
            _ => COOP_MATMUL_F32_ACC,
        }),
        "attention" if v.starts_with("flash-") => Some(if half {
            FLASH_ATTENTION_F16
        } else {
            FLASH_ATTENTION_F32
        }),
        "attention" if v.starts_with("coop-") => Some(COOP_ATTENTION),
        "decode" if v.starts_with("split-kv-") => Some(DECODE),
        "gemv" if v.starts_with("gemv-") => Some(GEMV),
        _ => None,
    }
}

/// benches/vendor_reference.py: its variant names, each ending in its input format.
fn vendor(w: &WorkloadRecord) -> Option<f64> {
    let half = w.precision.inputs == Numeric::F16;
    let (library, format) = w.variant.rsplit_once('-')?;
    if format != w.precision.inputs.name() && w.variant != "torch-copy_" {
        return None;
    }
    match (w.workload.as_str(), library) {
        ("copy", _) if w.variant == "torch-copy_" => Some(EXACT),
        ("matmul", "cublas") => match format {
            "f32" => Some(1e-4),
            "tf32" | "f16" => Some(5e-3),
            "bf16" => Some(2e-2),
            _ => None,
        },
        ("attention", "torch-sdpa") if matches!(format, "f16" | "f32") => {
            Some(if half { 5e-3 } else { 1e-4 })
        }
        ("decode", "torch-sdpa") if format == "f16" => Some(5e-3),
        ("gemv", "torch-mv") if matches!(format, "f16" | "f32") => {
            Some(if half { 2e-3 } else { 1e-4 })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RunResult;

    #[test]
    fn every_committed_check_uses_its_variants_tolerance() {
        for file in [
            "35e780f66ae0c0b913f422b44ad175238d1c0a06e882f1395876026a408a024a",
            "788c5ff8540abced7339f909a6e8162656f077571271ccf6faac048bbb59959e",
        ] {
            let path = format!(
                "{}/results/nvidia/nvidia-h200/{file}.json",
                env!("CARGO_MANIFEST_DIR")
            );
            let r = RunResult::read(std::path::Path::new(&path)).unwrap();
            for w in r.workloads.iter().filter(|w| w.check.is_some()) {
                let want = expected(r.source, w).unwrap_or_else(|| {
                    panic!("{} {} has no defined tolerance", w.workload, w.variant)
                });
                assert_eq!(
                    w.check.as_ref().unwrap().tolerance,
                    want,
                    "{} {}",
                    w.workload,
                    w.variant
                );
            }
        }
    }
}

//! Measured beside rated: a result's throughput next to the legal figures of the chip it ran
//! on. A measured TFLOP/s times the bit length is an "effective bit-weighted throughput", labelled
//! as such and never as TPP; the ratio to the datasheet peak of the unit (vector or matrix) and
//! precision the kernel ran on says how much of that unit's rated figure it reached.

use serde::Serialize;

use super::chips::{Chip, Database};
use super::rated::{Rated, rated};
use super::rules::{Rule, Verdict, classify};
use super::spec::Precision;
use crate::model::{self, RunResult, Status};

/// One measured workload beside the chip's rated peak.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasuredRate {
    pub workload: String,
    pub variant: String,
    pub shape: String,
    pub precision: String,
    /// The execution unit the kernel ran on.
    pub unit: model::Unit,
    pub measured_tflops: f64,
    pub bits: u32,
    /// Measured TFLOP/s × bits: not TPP.
    pub effective_bit_weighted_throughput: f64,
    /// The peak of the same unit and precision (see [`Rated`]).
    pub rated: Option<Rated>,
    pub rated_peak_tflops: Option<f64>,
    pub measured_over_rated: Option<f64>,
}

/// The comparison for one result file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub device: String,
    /// Who measured: chipbench's kernels or a vendor library.
    pub source: model::Source,
    pub chip: Option<String>,
    /// The legal classification from datasheet peaks; absent when no chip entry matches.
    pub rated: Option<Verdict>,
    pub measured: Vec<MeasuredRate>,
}

/// Compares `result` with its chip's entry under `rule`.
pub fn compare(db: &Database, result: &RunResult, rule: Rule) -> Comparison {
    let chip: Option<&Chip> = db.for_result(result);
    let spec = chip.map(Chip::spec);
    let measured = result
        .workloads
        .iter()
        // Compute rates only: bandwidth-bound work says nothing about processing performance.
        .filter(|w| w.status == Status::Ok && !w.bandwidth_bound())
        .filter_map(|w| {
            let tflops = w.throughput.as_ref()?.tflops?;
            let p = Precision::of(w.precision.inputs)?;
            let bits = p.bits(19);
            let rated = spec.as_ref().and_then(|s| rated(s, w, result.source));
            Some(MeasuredRate {
                workload: w.workload.clone(),
                variant: w.variant.clone(),
                shape: w.shape_label(),
                precision: w.precision.inputs.to_string(),
                unit: w.unit(result.source),
                measured_tflops: tflops,
                bits,
                effective_bit_weighted_throughput: tflops * f64::from(bits),
                rated_peak_tflops: rated.as_ref().map(|r| r.tflops),
                measured_over_rated: rated.as_ref().map(|r| tflops / r.tflops),
                rated,
            })
        })
        .collect();
    Comparison {
        device: result.device.name.clone(),
        source: result.source,
        chip: chip.map(|c| c.id.clone()),
        rated: spec.map(|s| classify(&s, rule)),
        measured,
    }
}

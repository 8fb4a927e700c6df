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
        chip: chip.map(|c| c.id.clone()),
        rated: spec.map(|s| classify(&s, rule)),
        measured,
    }
}

impl Comparison {
    pub fn to_text(&self) -> String {
        let mut out = Vec::new();
        match (&self.chip, &self.rated) {
            (Some(id), Some(v)) => {
                out.push(format!(
                    "{} is chip {id} in the database. Rated (datasheet peaks):",
                    self.device
                ));
                // The same verdict `classify --chip` prints, less its closing line, which
                // ends this output too.
                out.extend(
                    v.to_text()
                        .lines()
                        .filter(|l| *l != super::rules::DISCLAIMER)
                        .map(|l| format!("  {l}")),
                );
            }
            _ => out.push(format!(
                "{} has no entry in the chip database: only the measured side is shown.",
                self.device
            )),
        }
        out.push(
            "Measured (effective bit-weighted throughput = measured TFLOP/s x bits; not TPP), \
             each against the peak of the unit and precision it ran on:"
                .to_string(),
        );
        for m in &self.measured {
            let rated = match &m.rated {
                Some(r) if r.own_unit => format!("{} {:.1}", r.label(), r.tflops),
                Some(r) => format!("bound {:.1} ({})", r.tflops, r.label()),
                None => "no peak listed".to_string(),
            };
            out.push(format!(
                "  {:<8} {:<18} {:<22} {:<6} {:<5} {:>9.2} TFLOP/s x {:>2} = {:>9.1}   measured/rated {:<6} vs {rated}",
                m.workload,
                m.variant,
                m.shape,
                m.unit,
                m.precision,
                m.measured_tflops,
                m.bits,
                m.effective_bit_weighted_throughput,
                m.measured_over_rated.map_or("-".to_string(), |r| if r >= 0.01 {
                    format!("{r:.3}")
                } else {
                    format!("{r:.1e}")
                }),
            ));
        }
        out.push(super::rules::DISCLAIMER.to_string());
        out.join("\n") + "\n"
    }
}

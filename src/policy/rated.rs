//! The datasheet peak a measurement is compared with: the peak of the execution unit (vector
//! or matrix) and precision the kernel ran on, never another unit's. Utilisation, the
//! measured-vs-rated view, the roofline and the dataset's plausibility bound all take it from
//! here.

use serde::Serialize;

use super::spec::{Precision, Spec};
use crate::model::{self, Source, WorkloadRecord};

/// A record's rated peak.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rated {
    /// The execution unit the record ran on.
    pub unit: model::Unit,
    pub precision: Precision,
    /// TFLOP/s (or TOPS).
    pub tflops: f64,
    /// False when the chip quotes no peak for this unit and precision, and the figure is the
    /// fastest rate of any unit at this bit width or wider: a bound, not a like-for-like peak.
    pub own_unit: bool,
}

impl Rated {
    /// "vector fp16 peak", or "fastest 16-bit-or-wider rate" for a bound.
    pub fn label(&self) -> String {
        if self.own_unit {
            format!("{} {} peak", self.unit, self.precision)
        } else {
            format!(
                "fastest rate at {} bits or wider (no {} {} peak listed)",
                self.precision.bits(19),
                self.unit,
                self.precision
            )
        }
    }
}

/// The peak `w` (from a file of `source`) is compared with on a chip of `spec`: its unit's
/// peak at its input precision and accumulator; where the chip lists none, the fastest rate
/// at that bit width or wider. None for data movement and for chips without a usable figure.
pub fn rated(spec: &Spec, w: &WorkloadRecord, source: Source) -> Option<Rated> {
    let precision = Precision::of(w.precision.inputs)?;
    let unit = w.unit(source);
    if let Some(tflops) = spec.peak(unit, precision, w.precision.accumulate) {
        return Some(Rated {
            unit,
            precision,
            tflops,
            own_unit: true,
        });
    }
    spec.fastest_at_or_above(precision).map(|tflops| Rated {
        unit,
        precision,
        tflops,
        own_unit: false,
    })
}

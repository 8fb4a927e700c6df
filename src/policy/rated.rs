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
    /// False when the chip quotes no peak for this unit and precision, and the figure is a
    /// bound instead ([`Spec::bound`]), not a like-for-like peak.
    pub own_unit: bool,
    /// What a bound is, where `own_unit` is false.
    pub bound: Option<String>,
}

impl Rated {
    /// "vector fp16 peak", or what the bound is.
    pub fn label(&self) -> String {
        match &self.bound {
            Some(what) => what.clone(),
            None => format!("{} {} peak", self.unit, self.precision),
        }
    }
}

/// The peak `w` (from a file of `source`) is compared with on a chip of `spec`: its unit's
/// peak at the precision its arithmetic runs at, with its accumulator; where the chip lists
/// none, a stated bound on the same unit ([`Spec::bound`]). None for data movement and for
/// chips without a usable figure.
pub fn rated(spec: &Spec, w: &WorkloadRecord, source: Source) -> Option<Rated> {
    let unit = w.unit(source);
    let precision = Precision::of(w.precision.arithmetic(unit))?;
    if let Some(tflops) = spec.peak(unit, precision, w.precision.accumulate) {
        return Some(Rated {
            unit,
            precision,
            tflops,
            own_unit: true,
            bound: None,
        });
    }
    spec.bound(unit, precision).map(|(tflops, what)| Rated {
        unit,
        precision,
        tflops,
        own_unit: false,
        bound: Some(what),
    })
}

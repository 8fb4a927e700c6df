//! What a chip is, for the rules: dense peaks per processing unit, execution unit (vector or
//! matrix) and precision, die area, memory and interconnect bandwidth, and whether it is
//! designed or marketed for datacenters; and the two numbers the rules are written in, TPP and
//! performance density.
//!
//! TPP is legal arithmetic over every rate of a processing unit (vector and matrix alike: the
//! rule takes the fastest); a measurement is compared only with the peak of the execution unit
//! and precision it ran on ([`Spec::peak`]).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::{self, Numeric};

/// A precision a datasheet quotes a peak for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    Fp64,
    Fp32,
    Tf32,
    Bf16,
    Fp16,
    Int16,
    Fp8,
    Int8,
    Int4,
    Fp4,
}

impl Precision {
    pub const ALL: [Precision; 10] = [
        Precision::Fp64,
        Precision::Fp32,
        Precision::Tf32,
        Precision::Bf16,
        Precision::Fp16,
        Precision::Int16,
        Precision::Fp8,
        Precision::Int8,
        Precision::Int4,
        Precision::Fp4,
    ];

    /// The rule's "bit length of the operation". TF32 is ambiguous: its inputs carry 19 bits
    /// (sign, 8 exponent, 10 mantissa) in 32-bit registers; `tf32_bits` says which to use.
    pub fn bits(self, tf32_bits: u32) -> u32 {
        match self {
            Precision::Fp64 => 64,
            Precision::Fp32 => 32,
            Precision::Tf32 => tf32_bits,
            Precision::Bf16 | Precision::Fp16 | Precision::Int16 => 16,
            Precision::Fp8 | Precision::Int8 => 8,
            Precision::Int4 | Precision::Fp4 => 4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp64 => "fp64",
            Precision::Fp32 => "fp32",
            Precision::Tf32 => "tf32",
            Precision::Bf16 => "bf16",
            Precision::Fp16 => "fp16",
            Precision::Int16 => "int16",
            Precision::Fp8 => "fp8",
            Precision::Int8 => "int8",
            Precision::Int4 => "int4",
            Precision::Fp4 => "fp4",
        }
    }
}

/// Parses dense peaks, each `PREC=VALUE` in TFLOP/s or TOPS; a precision given twice is an
/// error rather than a silent overwrite.
pub fn parse_peaks(args: &[String]) -> Result<BTreeMap<Precision, f64>, String> {
    let mut peaks = BTreeMap::new();
    for p in args {
        let (prec, value) = p
            .split_once('=')
            .ok_or_else(|| format!("{p:?}: expected PREC=VALUE, e.g. bf16=989.4"))?;
        let prec: Precision = prec.parse()?;
        let value: f64 = value
            .trim()
            .parse()
            .map_err(|_| format!("{p:?}: {value:?} is not a number"))?;
        if peaks.insert(prec, value).is_some() {
            return Err(format!("{prec} given twice"));
        }
    }
    Ok(peaks)
}

impl Precision {
    /// The database's name for a kernel's input format; none for formats that carry no
    /// arithmetic peak (raw words, no accumulation).
    pub fn of(n: Numeric) -> Option<Precision> {
        match n {
            Numeric::F64 => Some(Precision::Fp64),
            Numeric::F32 => Some(Precision::Fp32),
            Numeric::Tf32 => Some(Precision::Tf32),
            Numeric::Bf16 => Some(Precision::Bf16),
            Numeric::F16 => Some(Precision::Fp16),
            Numeric::Fp8 => Some(Precision::Fp8),
            Numeric::I8 => Some(Precision::Int8),
            Numeric::I4 => Some(Precision::Int4),
            Numeric::U32 | Numeric::None => None,
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        crate::input::named("precision", s, &Precision::ALL, Precision::name)
    }
}

/// Dense peaks by precision, in TFLOP/s or TOPS.
pub type Peaks = BTreeMap<Precision, f64>;

/// One processing unit (a GPU, a neural engine) with its dense peaks per execution unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub name: String,
    /// The ordinary ALUs (CUDA cores, stream processors, vector units).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vector: Peaks,
    /// The matrix units (tensor cores, matrix cores, MXUs, cubes) at full-precision
    /// accumulation: FP32 for 16-bit and narrower floats, INT32 for integers, FP64 for FP64.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub matrix: Peaks,
    /// The matrix units with FP16 accumulators, where that runs faster (GeForce and
    /// workstation parts).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub matrix_fp16_accumulate: Peaks,
}

impl Unit {
    /// Every (precision, rate) this unit quotes, on any execution unit.
    pub fn rates(&self) -> impl Iterator<Item = (Precision, f64)> + '_ {
        self.vector
            .iter()
            .chain(&self.matrix)
            .chain(&self.matrix_fp16_accumulate)
            .map(|(&p, &v)| (p, v))
    }

    /// The rate of execution unit `exec` at input precision `p` accumulating in `acc`: with
    /// FP16 accumulators the faster FP16-accumulate rate where the unit has one.
    pub fn peak(&self, exec: model::Unit, p: Precision, acc: Numeric) -> Option<f64> {
        match exec {
            model::Unit::Vector => self.vector.get(&p).copied(),
            model::Unit::Matrix => {
                let half = (acc == Numeric::F16)
                    .then(|| self.matrix_fp16_accumulate.get(&p).copied())
                    .flatten();
                half.or_else(|| self.matrix.get(&p).copied())
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.rates().next().is_none()
    }
}

/// The figures the rules look at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    pub units: Vec<Unit>,
    /// Logic dies on non-planar nodes, mm^2.
    pub die_area_mm2: Option<f64>,
    /// Designed or marketed for use in datacenters; `None` when unknown.
    pub datacenter: Option<bool>,
    pub memory_bandwidth_gbps: Option<f64>,
    /// Aggregate bidirectional chip-to-chip transfer rate, GB/s (the 2022 rule).
    pub interconnect_gbps: Option<f64>,
    /// Memory bandwidth density of a co-packaged HBM stack, GB/s/mm^2 (the 2024 rule).
    pub hbm_density: Option<f64>,
    /// Commercially available in the United States when the January 2026 rule was published;
    /// `None` when unknown.
    #[serde(default)]
    pub us_commercial: Option<bool>,
    /// A licence requirement imposed by letter (the April 2025 letters on H20-class chips).
    #[serde(default)]
    pub licence_letter: Option<LicenceLetter>,
}

/// A licence requirement imposed on a chip by letter rather than by the rule (the April 2025
/// "is-informed" letters), dated and sourced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenceLetter {
    pub date: String,
    pub summary: String,
    pub source: String,
}

/// TPP and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tpp {
    pub value: f64,
    /// The precision whose peak × bits is largest, in the unit that contributes most.
    pub argmax: Precision,
    pub argmax_peak: f64,
}

impl Spec {
    /// TPP = Σ over units of max over precisions of (dense peak × bit length); `None` when no
    /// peak is known.
    pub fn tpp(&self, tf32_bits: u32) -> Option<Tpp> {
        let mut total = 0.0;
        let mut top: Option<(f64, Precision, f64)> = None;
        for unit in self.units.iter().filter(|u| !u.is_empty()) {
            let best = unit
                .rates()
                .map(|(p, v)| (v * f64::from(p.bits(tf32_bits)), p, v))
                .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))?;
            total += best.0;
            if top.is_none_or(|t| best.0 > t.0) {
                top = Some(best);
            }
        }
        top.map(|(_, argmax, argmax_peak)| Tpp {
            value: total,
            argmax,
            argmax_peak,
        })
    }

    /// Performance density: TPP per mm^2 of applicable die area.
    pub fn density(&self, tpp: f64) -> Option<f64> {
        self.die_area_mm2.map(|a| tpp / a)
    }

    /// The peak of execution unit `exec` at input precision `p` and accumulator `acc`: the
    /// fastest processing unit that quotes it (a measurement runs on one of them).
    pub fn peak(&self, exec: model::Unit, p: Precision, acc: Numeric) -> Option<f64> {
        self.units
            .iter()
            .filter_map(|u| u.peak(exec, p, acc))
            .max_by(f64::total_cmp)
    }

    /// A bound for a measurement on `exec` at `p` where the chip lists no such peak, with what
    /// it is: on the same unit, the fastest rate at `p` or a wider precision; for 16-bit work on
    /// the vector units, four times their fp32 rate (packed half precision runs at most four
    /// times fp32 on any GPU chipbench knows: the A100's 78 against 19.5). Never another
    /// unit's rate or a narrower format's: where the chip lists neither, there is no bound
    /// (and the dataset refuses a figure it cannot bound).
    pub fn bound(&self, exec: model::Unit, p: Precision) -> Option<(f64, String)> {
        let own = |u: &Unit| -> Vec<(Precision, f64)> {
            match exec {
                model::Unit::Vector => u.vector.iter().map(|(&q, &v)| (q, v)).collect(),
                model::Unit::Matrix => u
                    .matrix
                    .iter()
                    .chain(&u.matrix_fp16_accumulate)
                    .map(|(&q, &v)| (q, v))
                    .collect(),
            }
        };
        let half = matches!(p, Precision::Fp16 | Precision::Bf16 | Precision::Int16);
        if exec == model::Unit::Vector && half {
            let fp32 = self
                .units
                .iter()
                .filter_map(|u| u.vector.get(&Precision::Fp32).copied())
                .max_by(f64::total_cmp);
            if let Some(v) = fp32 {
                return Some((
                    4.0 * v,
                    format!("4x the vector fp32 peak (no vector {p} peak listed)"),
                ));
            }
        }
        let same = self
            .units
            .iter()
            .flat_map(own)
            .filter(|(q, _)| q.bits(19) >= p.bits(19))
            .map(|(_, v)| v)
            .max_by(f64::total_cmp);
        same.map(|v| {
            (
                v,
                format!(
                    "fastest {exec} rate at {} bits or wider (no {exec} {p} peak listed)",
                    p.bits(19)
                ),
            )
        })
    }

    /// Every figure must be finite and positive; a clear message for the first that is not.
    pub fn validate(&self) -> Result<(), String> {
        if self.units.iter().all(Unit::is_empty) {
            return Err("no peak given: TPP needs at least one precision's dense peak".into());
        }
        for u in &self.units {
            for (p, v) in u.rates() {
                crate::input::within(&format!("peak {p}"), v, 1e-6, 1e7)?;
            }
        }
        Spec::check_figures(
            self.die_area_mm2,
            self.memory_bandwidth_gbps,
            self.interconnect_gbps,
            self.hbm_density,
        )
    }

    /// The figures beside the peaks, each within the range any real chip sits well inside (in
    /// mm^2, GB/s, GB/s, GB/s/mm^2) where given.
    pub fn check_figures(
        die_area_mm2: Option<f64>,
        memory_bandwidth_gbps: Option<f64>,
        interconnect_gbps: Option<f64>,
        hbm_density: Option<f64>,
    ) -> Result<(), String> {
        for (what, v, lo, hi) in [
            ("die area", die_area_mm2, 1.0, 1e5),
            ("memory bandwidth", memory_bandwidth_gbps, 1e-3, 1e7),
            ("interconnect", interconnect_gbps, 1e-3, 1e7),
            ("HBM bandwidth density", hbm_density, 1e-6, 1e3),
        ] {
            if let Some(v) = v {
                crate::input::within(what, v, lo, hi)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(matrix: &[(Precision, f64)]) -> Unit {
        Unit {
            name: "chip".into(),
            vector: Peaks::new(),
            matrix: matrix.iter().copied().collect(),
            matrix_fp16_accumulate: Peaks::new(),
        }
    }

    fn spec(peaks: &[(Precision, f64)]) -> Spec {
        Spec {
            units: vec![unit(peaks)],
            die_area_mm2: Some(100.0),
            datacenter: Some(true),
            memory_bandwidth_gbps: None,
            interconnect_gbps: None,
            hbm_density: None,
            us_commercial: None,
            licence_letter: None,
        }
    }

    #[test]
    fn peaks_parse_and_refuse_repeats() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let p = parse_peaks(&args(&["bf16=989.4", "fp8=1979"])).unwrap();
        assert_eq!(p[&Precision::Bf16], 989.4);
        assert!(
            parse_peaks(&args(&["bf16=1", "bf16=2"]))
                .unwrap_err()
                .contains("twice")
        );
        assert!(
            parse_peaks(&args(&["bf16"]))
                .unwrap_err()
                .contains("PREC=VALUE")
        );
        assert!(
            parse_peaks(&args(&["bf16=x"]))
                .unwrap_err()
                .contains("not a number")
        );
    }

    #[test]
    fn tpp_is_the_largest_bit_weighted_peak() {
        let s = spec(&[(Precision::Bf16, 300.0), (Precision::Fp8, 500.0)]);
        let t = s.tpp(19).unwrap();
        assert_eq!((t.value, t.argmax), (4800.0, Precision::Bf16));
        assert_eq!(s.density(t.value), Some(48.0));
    }

    #[test]
    fn units_add_up() {
        let mut s = spec(&[(Precision::Fp32, 10.0)]);
        s.units.push(unit(&[(Precision::Int8, 20.0)]));
        assert_eq!(s.tpp(19).unwrap().value, 320.0 + 160.0);
        assert_eq!(
            s.peak(model::Unit::Matrix, Precision::Int8, Numeric::I8),
            Some(20.0)
        );
    }

    #[test]
    fn peaks_belong_to_their_execution_unit() {
        // An RTX 4090-like part: vector FP16 82.6, tensor FP16 165.2 (FP32 accumulate) and
        // 330.3 with FP16 accumulators.
        let mut u = unit(&[(Precision::Fp16, 165.2), (Precision::Bf16, 165.2)]);
        u.vector.insert(Precision::Fp16, 82.6);
        u.matrix_fp16_accumulate.insert(Precision::Fp16, 330.3);
        let s = Spec {
            units: vec![u],
            ..spec(&[])
        };
        let (v, m) = (model::Unit::Vector, model::Unit::Matrix);
        assert_eq!(s.peak(v, Precision::Fp16, Numeric::F16), Some(82.6));
        assert_eq!(s.peak(m, Precision::Fp16, Numeric::F32), Some(165.2));
        assert_eq!(s.peak(m, Precision::Fp16, Numeric::F16), Some(330.3));
        // BF16 has no FP16-accumulate rate: the FP32-accumulate one applies.
        assert_eq!(s.peak(m, Precision::Bf16, Numeric::F16), Some(165.2));
        assert_eq!(s.peak(v, Precision::Bf16, Numeric::F32), None);
        // TPP takes the fastest rate of all: 330.3 x 16.
        assert!((s.tpp(19).unwrap().value - 5284.8).abs() < 1e-9);
        // A vector f16 case on a chip that lists only vector fp32: bounded by 4x that, not by
        // the tensor rate.
        let mut fp32_only = s.clone();
        fp32_only.units[0].vector = [(Precision::Fp32, 82.6)].into_iter().collect();
        assert_eq!(fp32_only.bound(v, Precision::Fp16).unwrap().0, 4.0 * 82.6);
        assert_eq!(fp32_only.bound(m, Precision::Int8).unwrap().0, 330.3);
        // f32 work on matrix units that list nothing at 32 bits: no bound from the fp16 or
        // fp8 rates, nor from the vector units.
        assert_eq!(fp32_only.bound(m, Precision::Fp32), None);
    }

    #[test]
    fn tf32_bit_length_is_a_parameter() {
        let s = spec(&[(Precision::Tf32, 150.0), (Precision::Bf16, 200.0)]);
        assert_eq!(s.tpp(19).unwrap().argmax, Precision::Bf16);
        let t = s.tpp(32).unwrap();
        assert_eq!((t.value, t.argmax), (4800.0, Precision::Tf32));
    }

    #[test]
    fn precisions_parse_and_reject_unknowns() {
        assert_eq!("BF16".parse::<Precision>().unwrap(), Precision::Bf16);
        assert!(
            "fp128"
                .parse::<Precision>()
                .unwrap_err()
                .contains("known: fp64")
        );
        assert!(spec(&[(Precision::Fp8, -1.0)]).validate().is_err());
        assert!(spec(&[(Precision::Fp8, f64::NAN)]).validate().is_err());
        assert!(spec(&[]).validate().is_err());
    }
}

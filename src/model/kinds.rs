//! The closed vocabularies of a result: number formats, the execution unit a kernel ran on,
//! and the family of kernel that produced a number. They are enums from the workload that
//! declares them to the file and back, so a misspelt precision is a parse error, not a
//! silently unbounded figure.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A number format of a kernel's inputs or accumulators. The names are those result files
/// have always used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Numeric {
    F64,
    F32,
    Tf32,
    Bf16,
    F16,
    Fp8,
    I8,
    I4,
    /// Raw 32-bit words: data movement with no arithmetic.
    U32,
    /// No accumulation at all (copies).
    None,
}

impl Numeric {
    pub const ALL: [Numeric; 10] = [
        Numeric::F64,
        Numeric::F32,
        Numeric::Tf32,
        Numeric::Bf16,
        Numeric::F16,
        Numeric::Fp8,
        Numeric::I8,
        Numeric::I4,
        Numeric::U32,
        Numeric::None,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Numeric::F64 => "f64",
            Numeric::F32 => "f32",
            Numeric::Tf32 => "tf32",
            Numeric::Bf16 => "bf16",
            Numeric::F16 => "f16",
            Numeric::Fp8 => "fp8",
            Numeric::I8 => "i8",
            Numeric::I4 => "i4",
            Numeric::U32 => "u32",
            Numeric::None => "none",
        }
    }

    /// Bytes of one element in device memory (4 for tf32, which is stored as f32).
    pub fn bytes(self) -> u64 {
        match self {
            Numeric::F64 => 8,
            Numeric::F32 | Numeric::Tf32 | Numeric::U32 => 4,
            Numeric::Bf16 | Numeric::F16 => 2,
            Numeric::Fp8 | Numeric::I8 => 1,
            // Packed two to a byte; a single one still takes a byte.
            Numeric::I4 => 1,
            Numeric::None => 0,
        }
    }

    /// The WGSL scalar type of this format, where WGSL has one.
    pub fn wgsl(self) -> Option<&'static str> {
        match self {
            Numeric::F32 => Some("f32"),
            Numeric::F16 => Some("f16"),
            Numeric::U32 => Some("u32"),
            _ => None,
        }
    }

    pub(crate) fn is_half(self) -> bool {
        self == Numeric::F16
    }
}

impl fmt::Display for Numeric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Numeric {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        crate::input::named("number format", s, &Numeric::ALL, Numeric::name)
    }
}

/// Input and accumulation format of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Precision {
    pub inputs: Numeric,
    pub accumulate: Numeric,
}

impl Precision {
    pub const fn new(inputs: Numeric, accumulate: Numeric) -> Self {
        Precision { inputs, accumulate }
    }

    /// The format the arithmetic runs at on `unit`: on the matrix units the input format (the
    /// accumulator selects the rate); on the vector units the wider of input and accumulator,
    /// since f16 inputs widened to f32 (`tiled-f16-f32acc`) are f32 multiply-adds.
    pub fn arithmetic(self, unit: Unit) -> Numeric {
        let (inputs, acc) = (self.inputs, self.accumulate);
        match unit {
            Unit::Vector if acc != Numeric::None && acc.bytes() > inputs.bytes() => acc,
            _ => inputs,
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.inputs, self.accumulate)
    }
}

/// The execution unit a kernel's arithmetic ran on; a measurement is compared only with the
/// peak of its own unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// The ordinary ALUs (CUDA cores, SIMD lanes).
    Vector,
    /// Matrix units: tensor cores, matrix cores, cubes.
    Matrix,
}

impl Unit {
    pub fn name(self) -> &'static str {
        match self {
            Unit::Vector => "vector",
            Unit::Matrix => "matrix",
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of kernel produced a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KernelFamily {
    /// Portable WGSL on the vector units.
    Wgsl,
    /// WGSL cooperative matrices (the matrix units, through wgpu's experimental extension).
    WgslCoop,
    /// SPIR-V passed through to the driver unchanged (wgpu `PASSTHROUGH_SHADERS`).
    Spirv,
    /// A vendor library (cuBLAS, cuDNN, PyTorch's kernels) measured as a reference.
    VendorLibrary,
}

impl KernelFamily {
    pub fn name(self) -> &'static str {
        match self {
            KernelFamily::Wgsl => "wgsl",
            KernelFamily::WgslCoop => "wgsl-coop",
            KernelFamily::Spirv => "spirv",
            KernelFamily::VendorLibrary => "vendor-library",
        }
    }
}

impl fmt::Display for KernelFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serialised_forms() {
        for n in Numeric::ALL {
            assert_eq!(serde_json::to_string(&n).unwrap(), format!("\"{n}\""));
        }
        for u in [Unit::Vector, Unit::Matrix] {
            assert_eq!(serde_json::to_string(&u).unwrap(), format!("\"{u}\""));
        }
        for k in [
            KernelFamily::Wgsl,
            KernelFamily::WgslCoop,
            KernelFamily::Spirv,
            KernelFamily::VendorLibrary,
        ] {
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{k}\""));
        }
    }

    #[test]
    fn misspelt_formats_are_refused() {
        for bad in ["\"fp16\"", "\"F16\"", "\"half\"", "\"\""] {
            assert!(serde_json::from_str::<Numeric>(bad).is_err(), "{bad}");
        }
    }
}

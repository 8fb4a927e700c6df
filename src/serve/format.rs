//! The number formats a model is served in: what a weight or cached value takes in memory and
//! what precision its GEMMs run at. One bit-length table serves both ([`Precision::bits`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::policy::Precision;

/// A serving format of weights (and the GEMM activations that go with them) or of the KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Bf16,
    Fp16,
    /// FP8 (E4M3) weights and activations.
    Fp8,
    /// INT8 weights and activations (SmoothQuant-style W8A8).
    Int8,
    /// 4-bit integer weights dequantised to 16-bit activations (AWQ, GPTQ).
    Int4,
    /// NVIDIA's 4-bit float with FP8 block scales, weights and activations.
    Nvfp4,
    /// The OCP 4-bit float with shared exponents, weights and activations.
    Mxfp4,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Bf16,
        Format::Fp16,
        Format::Fp8,
        Format::Int8,
        Format::Int4,
        Format::Nvfp4,
        Format::Mxfp4,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Bf16 => "bf16",
            Format::Fp16 => "fp16",
            Format::Fp8 => "fp8",
            Format::Int8 => "int8",
            Format::Int4 => "int4",
            Format::Nvfp4 => "nvfp4",
            Format::Mxfp4 => "mxfp4",
        }
    }

    /// The datasheet precision a stored value has.
    fn storage(self) -> Precision {
        match self {
            Format::Bf16 => Precision::Bf16,
            Format::Fp16 => Precision::Fp16,
            Format::Fp8 => Precision::Fp8,
            Format::Int8 => Precision::Int8,
            Format::Int4 => Precision::Int4,
            Format::Nvfp4 | Format::Mxfp4 => Precision::Fp4,
        }
    }

    /// Bytes per stored value (the block scales of the 4-bit floats, one byte per 16 or 32
    /// values, are left out).
    pub fn bytes(self) -> f64 {
        f64::from(self.storage().bits(32)) / 8.0
    }

    /// The precision the GEMMs run at: weight-only int4 dequantises to bf16 activations; every
    /// other format runs its own.
    pub fn gemm(self) -> Precision {
        match self {
            Format::Int4 => Precision::Bf16,
            f => f.storage(),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        crate::input::named("serving format", s, &Format::ALL, Format::name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_store_and_compute_at_their_width() {
        assert_eq!(Format::Bf16.bytes(), 2.0);
        assert_eq!(Format::Fp8.bytes(), 1.0);
        assert_eq!(Format::Nvfp4.bytes(), 0.5);
        assert_eq!(Format::Int4.bytes(), 0.5);
        assert_eq!(Format::Int4.gemm(), Precision::Bf16);
        assert_eq!(Format::Mxfp4.gemm(), Precision::Fp4);
        assert_eq!("NVFP4".parse::<Format>(), Ok(Format::Nvfp4));
        assert!("fp6".parse::<Format>().is_err());
    }
}

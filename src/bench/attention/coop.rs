//! The matrix-unit attention kernel (shaders/attention_coop.wgsl): Q K^T and P V through WGSL
//! cooperative matrices (16x16x16, f16 inputs, f32 accumulators), where the adapter offers that
//! configuration and 32-wide subgroups. Tuned over the keys per tile.

use std::fmt;

use super::{Inputs, KernelConfig, tuned};
use crate::bench::{Build, Case, CaseError, Prepared, require_coop, unroll, with_header};
use crate::device::Context;
use crate::model::Numeric;

const BODY: &str = include_str!("../../../shaders/attention_coop.wgsl");
/// Query rows per workgroup; must match BQ in the shader.
const BQ: u64 = 32;
/// Relative Frobenius error allowed: P is rounded to f16 before P V, and O is stored as f16.
const TOLERANCE: f64 = crate::model::tolerance::COOP_ATTENTION;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Config {
    d: u64,
    bkv: u64,
    causal: bool,
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bq{BQ}-bkv{}", self.bkv)
    }
}

impl KernelConfig for Config {
    fn workgroup_bytes(self) -> u64 {
        let stride = self.d + 8;
        let scores = (BQ * (self.bkv + 4)).max(4 * (self.d / 32) * 256);
        (BQ + self.bkv) * stride * 2 + scores * 4 + BQ * (self.bkv + 8) * 2 + BQ * 5 * 4
    }

    fn rows(self) -> u64 {
        BQ
    }

    /// Four subgroups of 32 (128 invocations), as shaders/attention_coop.wgsl has them.
    fn subgroups(self) -> u64 {
        4
    }

    fn source(self) -> String {
        let header = format!(
            "enable wgpu_cooperative_matrix;\nalias IN = f16;\nconst D: u32 = {}u;\nconst BKV: u32 = {}u;\n\
             const CAUSAL: bool = {};",
            self.d, self.bkv, self.causal
        );
        let src = with_header(true, &header, &super::with_io(BODY));
        [
            ("us", self.bkv / 32),
            ("uo", self.d / 32),
            ("u", self.d / 32),
            ("e", 8),
            ("j", self.bkv / 4),
        ]
        .iter()
        .fold(src, |src, &(var, count)| unroll(&src, var, count))
    }
}

fn configs(d: u64, causal: bool) -> Vec<Config> {
    [32, 64].map(|bkv| Config { d, bkv, causal }).to_vec()
}

pub fn sources() -> Vec<(String, String)> {
    let mut all = Vec::new();
    for d in [64, 128] {
        for causal in [false, true] {
            for cfg in configs(d, causal) {
                all.push((
                    format!(
                        "attention-coop-f16-f32acc-d{d}-causal{}-{cfg}",
                        u8::from(causal)
                    ),
                    cfg.source(),
                ));
            }
        }
    }
    all
}

pub fn prepare(ctx: &Context, case: &Case, build: Build) -> Result<Box<dyn Prepared>, CaseError> {
    require_coop(ctx, Numeric::F32, build)?;
    let inputs = Inputs::draw(case, true);
    let configs = configs(inputs.d, inputs.causal);
    tuned(ctx, case, inputs, true, TOLERANCE, &configs, build)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_config_fits_nvidia_workgroup_memory() {
        for d in [64, 128] {
            for c in configs(d, true) {
                assert!(c.workgroup_bytes() <= 49152, "{c} at d{d}");
                // Four subgroups cover the S blocks and the O blocks exactly.
                assert_eq!((BQ / 16) * (c.bkv / 16), 4 * (c.bkv / 32));
                assert_eq!((BQ / 16) * (d / 16), 4 * (d / 32));
            }
        }
    }

    #[test]
    fn both_unrolled_blocks_are_expanded() {
        let src = configs(128, false)[1].source();
        assert!(!src.lines().any(|l| l.trim_start().starts_with("//#")));
        // Two S blocks and four O blocks per subgroup.
        assert_eq!(src.matches("var s = coop_mat16x16").count(), 2);
        assert_eq!(src.matches("var pv = coop_mat16x16").count(), 4);
    }
}

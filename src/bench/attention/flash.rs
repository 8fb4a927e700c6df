//! The vector-unit attention kernel (shaders/attention.wgsl) for f32 inputs and for f16 inputs
//! with f32 softmax and accumulation, tuned over query rows per workgroup and keys per tile.

use std::fmt;

use super::{Inputs, KernelConfig, tuned};
use crate::bench::{Build, Case, CaseError, Prepared, require_f16, unroll, with_header};
use crate::device::Context;

const BODY: &str = include_str!("../../../shaders/attention.wgsl");
/// Relative Frobenius error allowed: f32 throughout; or f16 inputs and output, whose rounding
/// alone gives about 2e-4. A tile of 32 keys left out of 4096 gives about 1e-2.
const TOLERANCE_F32: f64 = crate::model::tolerance::FLASH_ATTENTION_F32;
const TOLERANCE_F16: f64 = crate::model::tolerance::FLASH_ATTENTION_F16;

/// One configuration: head dim, query rows BQ per workgroup, keys BKV per tile, mask, and
/// whether f16 tiles are widened to f32 in workgroup memory (twice the memory, no conversion
/// on every read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Config {
    half: bool,
    wide: bool,
    d: u64,
    bq: u64,
    bkv: u64,
    causal: bool,
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bq{}-bkv{}", self.bq, self.bkv)?;
        if self.half {
            f.write_str(if self.wide { "-f32tiles" } else { "-f16tiles" })?;
        }
        Ok(())
    }
}

/// (BQ, BKV) candidates, largest register tiles first.
const TILES: [(u64, u64); 6] = [(64, 64), (64, 32), (32, 64), (32, 32), (64, 16), (32, 16)];

impl KernelConfig for Config {
    fn workgroup_bytes(self) -> u64 {
        let vec4 = 4 * if self.half && !self.wide { 2 } else { 4 };
        let stride = self.d / 4 + 1;
        (self.bq + self.bkv) * stride * vec4 + self.bq * (self.bkv / 4 + 1) * 16 + self.bq * 16 * 4
    }

    fn rows(self) -> u64 {
        self.bq
    }

    fn subgroups(self) -> u64 {
        0
    }

    fn source(self) -> String {
        let t = if self.half { "f16" } else { "f32" };
        let sm = if self.half && !self.wide {
            "f16"
        } else {
            "f32"
        };
        let header = format!(
            "alias IN = {t};\nalias SM = {sm};\nconst D: u32 = {}u;\nconst BQ: u32 = {}u;\nconst BKV: u32 = {}u;\n\
             const CAUSAL: bool = {};",
            self.d, self.bq, self.bkv, self.causal
        );
        let mut src = with_header(self.half, &header, &super::with_io(BODY));
        for (var, count) in [
            ("i", 4),
            ("j", self.bkv / 16),
            ("c", self.d / 64),
            ("kk", 4),
        ] {
            src = unroll(&src, var, count);
        }
        src
    }
}

fn configs(half: bool, d: u64, causal: bool) -> Vec<Config> {
    let widths: &[bool] = if half { &[false, true] } else { &[true] };
    widths
        .iter()
        .flat_map(|&wide| {
            TILES.iter().map(move |&(bq, bkv)| Config {
                half,
                wide,
                d,
                bq,
                bkv,
                causal,
            })
        })
        .collect()
}

pub fn sources() -> Vec<(String, String)> {
    let mut all = Vec::new();
    for (name, half) in [("flash-f32", false), ("flash-f16-f32acc", true)] {
        for d in [64, 128] {
            for causal in [false, true] {
                for cfg in configs(half, d, causal) {
                    all.push((
                        format!("attention-{name}-d{d}-causal{}-{cfg}", u8::from(causal)),
                        cfg.source(),
                    ));
                }
            }
        }
    }
    all
}

pub fn prepare(ctx: &Context, case: &Case) -> Result<Box<dyn Prepared>, CaseError> {
    let half = case.precision.inputs.is_half();
    require_f16(ctx, half)?;
    let inputs = Inputs::draw(case, half);
    let configs = configs(half, inputs.d, inputs.causal);
    let tolerance = if half { TOLERANCE_F16 } else { TOLERANCE_F32 };
    tuned(
        ctx,
        case,
        inputs,
        half,
        tolerance,
        &configs,
        Build::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_loops_are_unrolled() {
        let src = configs(true, 128, true)[0].source();
        assert!(!src.lines().any(|l| l.trim_start().starts_with("//#")));
        // Four rows times two O vec4s, each stored once.
        assert_eq!(src.matches("vec4<IN>(acc[i][c] * inv)").count(), 8);
    }

    #[test]
    fn every_config_fits_nvidia_and_some_fit_lavapipe() {
        for half in [false, true] {
            for d in [64, 128] {
                let c = configs(half, d, false);
                assert!(c.iter().any(|c| c.workgroup_bytes() <= 32768), "{half} {d}");
                // Staging loops and register tiles divide evenly.
                for c in &c {
                    let wg = c.bq / 4 * 16;
                    assert!(
                        (c.bkv * d / 4).is_multiple_of(wg) && (c.bq * d / 4).is_multiple_of(wg)
                    );
                    assert!(c.bkv.is_multiple_of(16) && d.is_multiple_of(64));
                }
            }
        }
        // f16 at D = 128 has a 64 x 32 tile within 48 KiB.
        assert!(
            configs(true, 128, false)
                .iter()
                .any(|c| (c.bq, c.bkv) == (64, 32) && c.workgroup_bytes() <= 49152)
        );
    }
}

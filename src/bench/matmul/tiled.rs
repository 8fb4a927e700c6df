//! The vector-unit matmul: one register-tiled, double-buffered kernel (shaders/matmul.wgsl) for
//! f32 inputs and for f16 inputs widened to f32 in workgroup memory, tuned over tile width, K
//! depth and padding.

use std::fmt;

use super::{Inputs, KernelConfig, Operands, tuned};
use crate::bench::matrix::{Matrix, upload};
use crate::bench::{Build, Case, CaseError, Prepared, fits, require_f16, unroll, with_header};
use crate::device::{Context, ShaderCode};

const BODY: &str = include_str!("../../../shaders/matmul.wgsl");
/// Rows of the C tile of one workgroup; must match BM in shaders/matmul.wgsl.
const TILE: u64 = 128;
/// Relative Frobenius error allowed with f32 accumulation. Typical errors are near 1e-6; a
/// single missing K slice of 8 in 8192 already gives about 3e-2.
const TOLERANCE: f64 = crate::model::tolerance::TILED_MATMUL;

/// One tunable configuration of the tiled kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Config {
    /// f16 inputs (widened to f32 in workgroup memory) rather than f32.
    half: bool,
    /// K depth of one staged slice.
    bk: u64,
    /// Columns of the C tile of one workgroup.
    bn: u64,
    /// Padding of the transposed A slice, in f32 values.
    apad: u64,
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bn{}-bk{}-pad{}", self.bn, self.bk, self.apad)
    }
}

/// Candidates: 64-wide tiles suit skinny shapes (twice the workgroups), 128-wide ones the rest.
const CONFIGS: [Config; 4] = [
    Config {
        half: false,
        bk: 8,
        bn: 128,
        apad: 4,
    },
    Config {
        half: false,
        bk: 16,
        bn: 128,
        apad: 4,
    },
    Config {
        half: false,
        bk: 16,
        bn: 64,
        apad: 4,
    },
    Config {
        half: false,
        bk: 16,
        bn: 64,
        apad: 0,
    },
];

impl KernelConfig for Config {
    /// Workgroup memory of the two staged slices, in bytes.
    fn workgroup_bytes(self) -> u64 {
        2 * self.bk * ((TILE + self.apad) + self.bn) * 4
    }

    fn kernel(self, m: u64, n: u64) -> (ShaderCode, (u32, u32, u32)) {
        let grid = (n.div_ceil(self.bn) as u32, m.div_ceil(TILE) as u32, 1);
        (ShaderCode::Wgsl(source(self)), grid)
    }
}

fn source(cfg: Config) -> String {
    let t = if cfg.half { "f16" } else { "f32" };
    let header = format!(
        "alias IN = {t};\nconst BK: u32 = {}u;\nconst BN: u32 = {}u;\nconst APAD: u32 = {}u;",
        cfg.bk, cfg.bn, cfg.apad
    );
    unroll(&with_header(cfg.half, &header, BODY), "kk", cfg.bk)
}

pub fn sources() -> Vec<(String, String)> {
    [("tiled-f32", false), ("tiled-f16-f32acc", true)]
        .iter()
        .flat_map(|&(name, half)| {
            CONFIGS.map(|c| {
                let cfg = Config { half, ..c };
                (format!("matmul-{name}-{cfg}"), source(cfg))
            })
        })
        .collect()
}

pub fn prepare(ctx: &Context, case: &Case) -> Result<Box<dyn Prepared>, CaseError> {
    let half = case.precision.inputs.is_half();
    require_f16(ctx, half)?;
    let (m, n, k) = (case.dim("m"), case.dim("n"), case.dim("k"));
    let esize = case.precision.inputs.bytes();
    fits(ctx, (m * k * esize).max(k * n * esize).max(m * n * 4))?;
    let inputs = Inputs::draw(case, half);
    let ops = Operands {
        a: upload(ctx, "matmul a", &inputs.a, half)?,
        b: upload(ctx, "matmul b", &inputs.b, half)?,
        dims: [m as u32, n as u32, k as u32, 0],
        out: Matrix::new(ctx, "matmul c", m, n, false)?,
    };
    let configs = CONFIGS.map(|c| Config { half, ..c });
    tuned(
        ctx,
        case,
        inputs,
        ops,
        TOLERANCE,
        &configs,
        Build::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_config_fits_nvidia_workgroup_memory_and_one_fits_lavapipe() {
        assert!(CONFIGS.iter().all(|c| c.workgroup_bytes() <= 49152));
        assert!(CONFIGS.iter().any(|c| c.workgroup_bytes() <= 32768));
        // 64-wide tiles need a 16-deep slice: one vec4 of B per invocation.
        assert!(CONFIGS.iter().all(|c| c.bk * c.bn >= 1024));
    }
}

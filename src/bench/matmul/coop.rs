//! The matrix-unit matmul: WGSL cooperative matrices (`coop_mat16x16`, f16 inputs, f32 or f16
//! accumulators), where the adapter offers the matching 16x16x16 configuration.
//!
//! One kernel (shaders/matmul_coop.wgsl): 8 subgroups per workgroup, each holding a block of
//! accumulators; A and B slices staged in workgroup memory (double-buffered, fetched as 16-byte
//! loads one slice ahead) and the fragments loaded from there. The tuner chooses the workgroup
//! tile, K depth and fragments per subgroup. The host pads A, B and C to whole tiles with zeros,
//! so any shape runs without an edge path; FLOPs count the unpadded shape, so the padding's cost
//! shows in the number.

use std::fmt;

use half::f16;

use super::{Inputs, KernelConfig, Operands, tuned};
use crate::bench::matrix::Matrix;
use crate::bench::{Build, Case, CaseError, Prepared, fits, require_coop, unroll, with_header};
use crate::device::{Context, ShaderCode};
use crate::model::Numeric;

/// Subgroups of 32 in one workgroup (256 invocations), as shaders/matmul_coop.wgsl has them.
pub(crate) const SUBGROUPS: u64 = 8;

const BODY: &str = include_str!("../../../shaders/matmul_coop.wgsl");
/// M and N are padded to a multiple of the largest workgroup tile, K to the deepest slice.
const PAD_MN: u64 = 256;
const PAD_K: u64 = 32;

/// One tunable configuration: workgroup tile BM x BN, K slice BK, FM x FN fragments per subgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Config {
    /// f16 accumulators (and C) rather than f32.
    acc_half: bool,
    bm: u64,
    bn: u64,
    bk: u64,
    fm: u64,
    fn_: u64,
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bm{}-bn{}-bk{}-f{}x{}",
            self.bm, self.bn, self.bk, self.fm, self.fn_
        )
    }
}

/// Candidates. The two smallest tiles give skinny and small shapes more workgroups, and are the
/// ones that fit 32 KiB of workgroup memory with the emulation's scratch (the lavapipe tests):
/// between them they step both fragment loops.
const CONFIGS: [Config; 7] = [
    Config {
        acc_half: false,
        bm: 128,
        bn: 128,
        bk: 32,
        fm: 2,
        fn_: 4,
    },
    Config {
        acc_half: false,
        bm: 128,
        bn: 128,
        bk: 32,
        fm: 4,
        fn_: 2,
    },
    Config {
        acc_half: false,
        bm: 128,
        bn: 256,
        bk: 16,
        fm: 4,
        fn_: 4,
    },
    Config {
        acc_half: false,
        bm: 256,
        bn: 128,
        bk: 16,
        fm: 4,
        fn_: 4,
    },
    Config {
        acc_half: false,
        bm: 64,
        bn: 128,
        bk: 32,
        fm: 2,
        fn_: 2,
    },
    Config {
        acc_half: false,
        bm: 64,
        bn: 64,
        bk: 32,
        fm: 2,
        fn_: 1,
    },
    Config {
        acc_half: false,
        bm: 64,
        bn: 64,
        bk: 32,
        fm: 1,
        fn_: 2,
    },
];

impl Config {
    /// 16-byte loads of A and of B per invocation and slice.
    fn loads(self) -> (u64, u64) {
        (self.bm * self.bk / 2048, self.bk * self.bn / 2048)
    }
}

impl KernelConfig for Config {
    /// Workgroup memory of the two staged slices (rows padded by 8 halves), in bytes.
    fn workgroup_bytes(self) -> u64 {
        2 * (self.bm * (self.bk + 8) + self.bk * (self.bn + 8)) * 2
    }

    fn kernel(self, m: u64, n: u64) -> (ShaderCode, (u32, u32, u32)) {
        let grid = (n.div_ceil(self.bn) as u32, m.div_ceil(self.bm) as u32, 1);
        (ShaderCode::Wgsl(source(self)), grid)
    }
}

/// The accumulator's format.
fn acc_type(half: bool) -> Numeric {
    if half { Numeric::F16 } else { Numeric::F32 }
}

fn source(cfg: Config) -> String {
    let acc = acc_type(cfg.acc_half);
    let header = format!(
        "enable wgpu_cooperative_matrix;\nalias ACC = {acc};\nconst BM: u32 = {}u;\n\
         const BN: u32 = {}u;\nconst BK: u32 = {}u;\nconst FM: u32 = {}u;\nconst FN: u32 = {}u;",
        cfg.bm, cfg.bn, cfg.bk, cfg.fm, cfg.fn_
    );
    let (la, lb) = cfg.loads();
    let mut src = with_header(true, &header, BODY);
    for (var, count) in [
        ("ks", cfg.bk / 16),
        ("i", cfg.fm),
        ("j", cfg.fn_),
        ("la", la),
        ("lb", lb),
        ("z", cfg.fm * cfg.fn_),
    ] {
        src = unroll(&src, var, count);
    }
    src
}

pub fn sources() -> Vec<(String, String)> {
    [false, true]
        .iter()
        .flat_map(|&acc_half| {
            CONFIGS.map(|c| {
                let cfg = Config { acc_half, ..c };
                let acc = acc_type(acc_half);
                (format!("matmul-coop-f16-{acc}acc-{cfg}"), source(cfg))
            })
        })
        .collect()
}

/// Relative Frobenius error allowed: 1e-3 with f32 accumulation; with f16 accumulation about
/// twice the expected rounding error of a K-long f16 sum of random-sign terms.
fn tolerance(acc_half: bool, k: u64) -> f64 {
    if acc_half {
        crate::model::tolerance::coop_matmul_f16_acc(k)
    } else {
        crate::model::tolerance::COOP_MATMUL_F32_ACC
    }
}

/// Copies the rows x cols matrix `values` into a zero-filled padded_rows x padded_cols one.
fn padded(values: &[f32], rows: u64, cols: u64, padded_rows: u64, padded_cols: u64) -> Vec<f16> {
    let mut out = vec![f16::ZERO; (padded_rows * padded_cols) as usize];
    for r in 0..rows as usize {
        for c in 0..cols as usize {
            out[r * padded_cols as usize + c] = f16::from_f32(values[r * cols as usize + c]);
        }
    }
    out
}

pub fn prepare(ctx: &Context, case: &Case, build: Build) -> Result<Box<dyn Prepared>, CaseError> {
    let acc_half = case.precision.accumulate.is_half();
    require_coop(ctx, acc_type(acc_half), build)?;
    let (m, n, k) = (case.dim("m"), case.dim("n"), case.dim("k"));
    let (mp, np, kp) = (
        m.next_multiple_of(PAD_MN),
        n.next_multiple_of(PAD_MN),
        k.next_multiple_of(PAD_K),
    );
    let csize = case.precision.accumulate.bytes();
    fits(ctx, (mp * kp * 2).max(kp * np * 2).max(mp * np * csize))?;
    let inputs = Inputs::draw(case, true);
    let ops = Operands {
        a: ctx.upload(
            "matmul a",
            bytemuck::cast_slice(&padded(&inputs.a, m, k, mp, kp)),
        )?,
        b: ctx.upload(
            "matmul b",
            bytemuck::cast_slice(&padded(&inputs.b, k, n, kp, np)),
        )?,
        dims: [mp as u32, np as u32, kp as u32, 0],
        out: Matrix::new(ctx, "matmul c", mp, np, acc_half)?,
    };
    let configs = CONFIGS.map(|c| Config { acc_half, ..c });
    tuned(
        ctx,
        case,
        inputs,
        ops,
        tolerance(acc_half, k),
        &configs,
        build,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::emulation::extra_bytes;

    #[test]
    fn every_config_tiles_the_workgroup_exactly() {
        for c in CONFIGS {
            let (wm, wn) = (c.bm / (16 * c.fm), c.bn / (16 * c.fn_));
            assert_eq!(wm * wn, SUBGROUPS, "{c}: {wm}x{wn} subgroups");
            let (la, lb) = c.loads();
            assert!(la >= 1 && lb >= 1 && la * 2048 == c.bm * c.bk && lb * 2048 == c.bk * c.bn);
            assert!(
                c.bk.is_multiple_of(16)
                    && PAD_K.is_multiple_of(c.bk)
                    && PAD_MN.is_multiple_of(c.bm)
                    && PAD_MN.is_multiple_of(c.bn)
            );
            assert!(c.workgroup_bytes() <= 49152, "{c}");
        }
        // The emulated kernel's tests run on lavapipe, which has 32 KiB of workgroup memory.
        let emulated = Build {
            emulate_coop: true,
            ..Build::default()
        };
        let fitting: Vec<&Config> = CONFIGS
            .iter()
            .filter(|c| c.workgroup_bytes() + extra_bytes(emulated, SUBGROUPS) <= 32768)
            .collect();
        assert!(fitting.iter().any(|c| c.fm > 1) && fitting.iter().any(|c| c.fn_ > 1));
    }

    #[test]
    fn padding_keeps_values_and_zero_fills() {
        let p = padded(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3, 4, 4);
        let v: Vec<f32> = p.iter().map(|x| x.to_f32()).collect();
        assert_eq!(
            v,
            [
                1.0, 2.0, 3.0, 0.0, 4.0, 5.0, 6.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
            ]
        );
    }

    #[test]
    fn tolerances_follow_the_accumulator() {
        assert_eq!(tolerance(false, 8192), 1e-3);
        assert!(tolerance(true, 8192) > 0.05 && tolerance(true, 8192) < 0.07);
        assert_eq!(tolerance(true, 16), 5e-3);
    }
}

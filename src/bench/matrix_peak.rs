//! `matrix-peak`: what the matrix units reach through WGSL cooperative matrices when nothing
//! but multiply-adds runs: four chains of `coopMultiplyAdd` on registers per subgroup, at each
//! matrix size and type pair WGSL can express (8x8 and 16x16; f16 or f32 operands and
//! accumulators), run where the adapter lists that configuration.
//!
//! It is the ceiling the cooperative-matrix matmul is judged against: the gap between a GEMM
//! and this loop is the kernel's; the gap between this loop and the datasheet is what the
//! driver makes of cooperative matrices on that chip.
//!
//! The chain cannot be folded or shortened (see shaders/matrix_peak.wgsl): operands and
//! starting accumulators come from buffers, the trip count from a uniform, and each iteration
//! adds A B then A B', B' = D - B, so the accumulators move by A D (every entry +-1/16, D a
//! scaled permutation) per iteration. Operands are +-1/4 and starting accumulators multiples
//! of 1/16, so every intermediate is exact in f16: the host computes the result exactly and
//! the check is exact. Every accumulator of every subgroup is written and compared.

use half::f16;

use super::data::{POISON, Rng};
use super::{Build, Case, CaseError, Prepared, Scale, Sizing, Workload, require_coop_shape};
use crate::device::{Binding, Context, Kernel, ShaderCode};
use crate::model::{Check, KernelFamily, Numeric, Precision, Unit};

pub static WORKLOAD: Workload = Workload {
    id: "matrix-peak",
    plan,
    prepare,
    sources,
};

const BODY: &str = include_str!("../../shaders/matrix_peak.wgsl");
/// Subgroups of 32 per workgroup and accumulator chains per subgroup, as in the shader.
const SUBGROUPS: u64 = 4;
const CHAINS: u64 = 4;

/// A variant: the matrix size and the operand and accumulator formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Variant {
    name: &'static str,
    n: u64,
    ab: Numeric,
    cr: Numeric,
}

const VARIANTS: [Variant; 4] = [
    Variant {
        name: "coop16-f16-f16acc",
        n: 16,
        ab: Numeric::F16,
        cr: Numeric::F16,
    },
    Variant {
        name: "coop16-f16-f32acc",
        n: 16,
        ab: Numeric::F16,
        cr: Numeric::F32,
    },
    Variant {
        name: "coop8-f16-f32acc",
        n: 8,
        ab: Numeric::F16,
        cr: Numeric::F32,
    },
    Variant {
        name: "coop8-f32-f32acc",
        n: 8,
        ab: Numeric::F32,
        cr: Numeric::F32,
    },
];

fn variant(name: &str) -> Variant {
    *VARIANTS
        .iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("matrix-peak has no variant {name:?}"))
}

/// (workgroups, iterations of the loop) per scale. On a GPU: 64k subgroups and 2,048
/// multiply-adds per chain, so the loads and stores around the loop cost under 1%.
fn size(scale: Scale) -> (u64, u64) {
    match scale {
        Scale::Quick => (4, 8),
        Scale::Cpu => (32, 64),
        Scale::Gpu => (16384, 1024),
    }
}

fn plan(sizing: &Sizing) -> Vec<Case> {
    let (groups, iters) = size(sizing.scale);
    VARIANTS
        .iter()
        .map(|v| {
            let mma = 2 * v.n * v.n * v.n;
            let tile = v.n * v.n;
            Case {
                workload: &WORKLOAD,
                scale: sizing.scale,
                variant: v.name,
                precision: Precision::new(v.ab, v.cr),
                unit: Unit::Matrix,
                family: KernelFamily::WgslCoop,
                shape: vec![("n", v.n), ("groups", groups), ("iters", iters)],
                // Two multiply-adds per chain and iteration.
                flops: (groups * SUBGROUPS * CHAINS * iters * 2 * mma) as f64,
                bytes: (3 * tile * v.ab.bytes()
                    + (CHAINS + groups * SUBGROUPS * CHAINS) * tile * v.cr.bytes())
                    as f64,
                config: format!(
                    "{CHAINS} register chains of {n}x{n}x{n} coopMultiplyAdd per subgroup, \
                     {SUBGROUPS} subgroups per workgroup",
                    n = v.n
                ),
            }
        })
        .collect()
}

/// The kernel for `v`. The operand and accumulator types are written into the body rather
/// than aliased: naga 30 mis-types the emulator's helpers when they name an alias.
fn source(v: Variant) -> String {
    let t = |n: Numeric| n.wgsl().expect("a WGSL type");
    let header = format!("enable wgpu_cooperative_matrix;\nconst N: u32 = {}u;", v.n);
    let body = BODY
        .replace("coop_matNxN", &format!("coop_mat{n}x{n}", n = v.n))
        .replace("<AB", &format!("<{}", t(v.ab)))
        .replace("<CR", &format!("<{}", t(v.cr)));
    super::with_header(true, &header, &body)
}

fn sources() -> Vec<(String, String)> {
    VARIANTS
        .iter()
        .map(|&v| (format!("matrix-peak-{}", v.name), source(v)))
        .collect()
}

/// The operands: A, B and B' (row-major, N x N each) and the chains' starting accumulators.
struct Operands {
    ops: Vec<f64>,
    init: Vec<f64>,
}

impl Operands {
    fn draw(n: usize, rng: &mut Rng) -> Self {
        let tile = n * n;
        // +-1/4, never zero, so no product vanishes.
        let quarter = |r: &mut Rng| if r.below(2) == 0 { 0.25 } else { -0.25 };
        let a: Vec<f64> = (0..tile).map(|_| quarter(rng)).collect();
        let b: Vec<f64> = (0..tile).map(|_| quarter(rng)).collect();
        // D: 1/4 times a random permutation, so every entry of A D is +-1/16 and every
        // iteration moves every accumulator.
        let mut perm: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            perm.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let mut d = vec![0.0; tile];
        for (row, &col) in perm.iter().enumerate() {
            d[row * n + col] = 0.25;
        }
        let b2: Vec<f64> = d.iter().zip(&b).map(|(d, b)| d - b).collect();
        let init = (0..CHAINS as usize * tile)
            .map(|_| (rng.below(129) as f64 - 64.0) / 16.0)
            .collect();
        Operands {
            ops: [a, b, b2].concat(),
            init,
        }
    }

    /// Chain `k`'s accumulator after `iters` iterations, exactly.
    fn expected(&self, n: usize, k: usize, iters: u64) -> Vec<f64> {
        let tile = n * n;
        let (a, b, b2) = (
            &self.ops[..tile],
            &self.ops[tile..2 * tile],
            &self.ops[2 * tile..],
        );
        (0..tile)
            .map(|e| {
                let (i, j) = (e / n, e % n);
                let step: f64 = (0..n)
                    .map(|l| a[i * n + l] * (b[l * n + j] + b2[l * n + j]))
                    .sum();
                self.init[k * tile + e] + iters as f64 * step
            })
            .collect()
    }
}

/// Device bytes of `values` in format `f`.
fn encode(values: &[f64], f: Numeric) -> Vec<u8> {
    if f.is_half() {
        let h: Vec<f16> = values.iter().map(|&v| f16::from_f64(v)).collect();
        bytemuck::cast_slice(&h).to_vec()
    } else {
        let s: Vec<f32> = values.iter().map(|&v| v as f32).collect();
        bytemuck::cast_slice(&s).to_vec()
    }
}

fn decode(bytes: &[u8], f: Numeric) -> Vec<f64> {
    if f.is_half() {
        let h: &[f16] = bytemuck::cast_slice(bytes);
        h.iter().map(|v| v.to_f64()).collect()
    } else {
        let s: &[f32] = bytemuck::cast_slice(bytes);
        s.iter().map(|&v| f64::from(v)).collect()
    }
}

/// A prepared case: the kernel, the output, and the operands for the check.
struct MatrixPeak {
    kernel: Kernel,
    out: wgpu::Buffer,
    v: Variant,
    groups: u64,
    iters: u64,
    operands: Operands,
    seed: u64,
}

fn prepare(ctx: &Context, case: &Case, build: Build) -> Result<Box<dyn Prepared>, CaseError> {
    let v = variant(case.variant);
    require_coop_shape(ctx, (v.n as u32, v.n as u32, v.n as u32), v.ab, v.cr, build)?;
    if build.emulate_coop && (v.n, v.ab) != (16, Numeric::F16) {
        return Err(CaseError::Unsupported(
            "the emulator covers 16x16 matrices of f16 only".to_string(),
        ));
    }
    let (groups, iters) = (case.dim("groups"), case.dim("iters"));
    let n = v.n as usize;
    let seed = Rng::fresh_seed();
    let operands = Operands::draw(n, &mut Rng::new(seed));
    let ops = ctx.upload("matrix-peak operands", &encode(&operands.ops, v.ab))?;
    let init = ctx.upload("matrix-peak accumulators", &encode(&operands.init, v.cr))?;
    let out_bytes = groups * SUBGROUPS * CHAINS * v.n * v.n * v.cr.bytes();
    let out = ctx.storage("matrix-peak out", out_bytes.next_multiple_of(4))?;
    ctx.poison(&out, POISON)?;
    let params = ctx.uniform(
        "matrix-peak params",
        bytemuck::cast_slice(&[iters as u32, 0, 0, 0]),
    )?;
    let code = build.code(ShaderCode::Wgsl(source(v)));
    let kernel = ctx.kernel(
        &format!("matrix-peak-{}", v.name),
        &code,
        &[
            Binding::ReadOnly(&ops),
            Binding::ReadOnly(&init),
            Binding::ReadWrite(&out),
            Binding::Uniform(&params),
        ],
    )?;
    Ok(Box::new(MatrixPeak {
        kernel,
        out,
        v,
        groups,
        iters,
        operands,
        seed,
    }))
}

impl Prepared for MatrixPeak {
    fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        self.kernel.dispatch(pass, (self.groups as u32, 1, 1));
    }

    fn verify(&mut self, ctx: &Context) -> Result<Check, CaseError> {
        let n = self.v.n as usize;
        let tile = n * n;
        let total = self.groups * SUBGROUPS * CHAINS * self.v.n * self.v.n;
        let raw = ctx.read(&self.out, (total * self.v.cr.bytes()).next_multiple_of(4))?;
        let got = decode(&raw, self.v.cr);
        let want: Vec<Vec<f64>> = (0..CHAINS as usize)
            .map(|k| self.operands.expected(n, k, self.iters))
            .collect();
        // Every accumulator of every subgroup: tiles in chain order, subgroup after subgroup.
        let worst = got[..total as usize]
            .chunks_exact(tile)
            .enumerate()
            .flat_map(|(t, g)| g.iter().zip(&want[t % CHAINS as usize]))
            .map(|(g, w)| {
                if g.is_finite() {
                    (g - w).abs()
                } else {
                    f64::INFINITY
                }
            })
            .fold(0.0, f64::max);
        Ok(Check::new(
            "largest absolute error over every accumulator (exact arithmetic expected)",
            worst,
            crate::model::tolerance::EXACT,
            total,
            total,
            self.seed,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_stays_exact_in_f16() {
        for scale in [Scale::Quick, Scale::Cpu, Scale::Gpu] {
            let (_, iters) = size(scale);
            let mut rng = Rng::new(3);
            for n in [8, 16] {
                let o = Operands::draw(n, &mut rng);
                for k in 0..CHAINS as usize {
                    for v in o.expected(n, k, iters) {
                        // Multiples of 1/16 below 2048/16 are exact in f16.
                        assert_eq!((v * 16.0).fract(), 0.0);
                        assert!(v.abs() * 16.0 <= 2048.0, "{v} at {iters} iterations");
                        assert_eq!(f16::from_f64(v).to_f64(), v);
                    }
                }
            }
        }
    }

    #[test]
    fn every_iteration_changes_every_accumulator() {
        // Every entry of A D is +-1/16, so one iteration more or less shows in every element.
        let o = Operands::draw(16, &mut Rng::new(5));
        let (ten, eleven) = (o.expected(16, 0, 10), o.expected(16, 0, 11));
        assert!(
            ten.iter()
                .zip(&eleven)
                .all(|(a, b)| (a - b).abs() == 1.0 / 16.0)
        );
    }

    #[test]
    fn flops_count_two_multiply_adds_per_iteration() {
        let c = plan(&Sizing {
            scale: Scale::Gpu,
            max_binding: 1 << 31,
        })
        .remove(0);
        assert_eq!(
            c.flops,
            (16384u64 * 4 * 4 * 1024 * 2 * 2 * 16 * 16 * 16) as f64
        );
        assert!(c.flops / c.bytes > 100.0, "a compute-bound loop");
        assert_eq!(c.unit, Unit::Matrix);
    }
}

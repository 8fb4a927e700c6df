//! `fma`: peak arithmetic throughput of the vector units, f32 and (where the adapter has
//! SHADER_F16) f16, from eight independent vec4 FMA chains per invocation.
//!
//! The trap this workload is built around: a driver that can see a chain's inputs folds the
//! whole loop, and a naive kernel "measures" many times the chip's peak. Every chain here starts
//! from a buffer value, its multiplier and addend come from a uniform, every chain feeds the
//! written result, and the host replays every checked chain on the CPU.
//!
//! The multiplier is 1 at run time (the compiler cannot know it), so a fused and an unfused
//! multiply-add round identically and the replay matches bit for bit. The f16 inputs are
//! multiples of 1/16 small enough that every intermediate is exact in f16, so the check is exact
//! there too, whatever the device does internally; a skipped iteration still changes the sum.

use half::f16;

use super::data::{POISON, Rng, sample};
use super::{Build, Case, CaseError, Prepared, Scale, Sizing, Workload, require_f16, with_header};
use crate::device::{Binding, Context, Kernel, ShaderCode};
use crate::model::{Check, KernelFamily, Numeric, Precision, Unit};

pub static WORKLOAD: Workload = Workload {
    id: "fma",
    plan,
    prepare,
    sources,
};

const BODY: &str = include_str!("../../shaders/fma.wgsl");
const WG: u64 = 256;
const CHAINS: u64 = 8;
const LANES: u64 = 4;
/// Chains replayed on the CPU at most; enough to catch any systematic error.
const MAX_CHECKED: u64 = 4096;

/// (variant, iterations per chain) at each scale. f16 runs fewer iterations so that its exact
/// arithmetic stays within f16's exactly representable range.
fn iterations(scale: Scale, half: bool) -> u64 {
    match (scale, half) {
        (Scale::Quick, _) => 128,
        (Scale::Cpu, _) => 256,
        (Scale::Gpu, false) => 1024,
        (Scale::Gpu, true) => 512,
    }
}

fn workgroups(scale: Scale) -> u64 {
    match scale {
        Scale::Quick => 64,
        Scale::Cpu => 256,
        // 4M invocations: many waves on any GPU, so the tail wave costs under 1%.
        Scale::Gpu => 16384,
    }
}

fn plan(sizing: &Sizing) -> Vec<Case> {
    [("f32", Numeric::F32), ("f16", Numeric::F16)]
        .into_iter()
        .map(|(variant, format)| {
            let threads = workgroups(sizing.scale) * WG;
            let iters = iterations(sizing.scale, format.is_half());
            Case {
                workload: &WORKLOAD,
                scale: sizing.scale,
                variant,
                precision: Precision::new(format, format),
                unit: Unit::Vector,
                family: KernelFamily::Wgsl,
                shape: vec![("threads", threads), ("iters", iters)],
                flops: (threads * iters * CHAINS * LANES * 2) as f64,
                bytes: (threads * 16 * 2) as f64,
                config: format!("{CHAINS} vec4<{variant}> chains, workgroup {WG}"),
            }
        })
        .collect()
}

fn source(half: bool, iters: u64) -> String {
    let t = if half { "f16" } else { "f32" };
    with_header(
        half,
        &format!("alias T = {t};\nconst ITERS: u32 = {iters}u;\nconst WG: u32 = {WG}u;"),
        BODY,
    )
}

fn sources() -> Vec<(String, String)> {
    vec![
        ("fma-f32".to_string(), source(false, 1024)),
        ("fma-f16".to_string(), source(true, 512)),
    ]
}

/// The per-run operands: a seed vec4 per invocation, and the uniform multiplier, addend and
/// chain-to-chain step.
struct Operands {
    seeds: Vec<[f32; 4]>,
    a: [f32; 4],
    b: [f32; 4],
    step: [f32; 4],
}

impl Operands {
    fn draw(half: bool, threads: usize, rng: &mut Rng) -> Self {
        if half {
            // Multiples of 1/16: |seed| <= 4, |step| <= 1/4, |addend| = 1/16.
            let mut sixteenth =
                |range: u64| (rng.below(2 * range + 1) as f32 - range as f32) / 16.0;
            let seeds = (0..threads)
                .map(|_| [sixteenth(64), sixteenth(64), sixteenth(64), sixteenth(64)])
                .collect();
            let step = [sixteenth(4), sixteenth(4), sixteenth(4), sixteenth(4)];
            let b = [0, 1, 2, 3].map(|_| {
                if rng.below(2) == 0 {
                    1.0 / 16.0
                } else {
                    -1.0 / 16.0
                }
            });
            Operands {
                seeds,
                a: [1.0; 4],
                b,
                step,
            }
        } else {
            let seeds = (0..threads)
                .map(|_| {
                    [
                        rng.next_f32(),
                        rng.next_f32(),
                        rng.next_f32(),
                        rng.next_f32(),
                    ]
                })
                .collect();
            let small = |r: &mut Rng| r.next_f32() * 1e-3;
            let b = [small(rng), small(rng), small(rng), small(rng)];
            let step = [small(rng), small(rng), small(rng), small(rng)];
            Operands {
                seeds,
                a: [1.0; 4],
                b,
                step,
            }
        }
    }

    fn uniform(&self) -> Vec<u8> {
        let mut u = Vec::with_capacity(48);
        for v in [self.a, self.b, self.step] {
            u.extend_from_slice(bytemuck::cast_slice(&v));
        }
        u
    }

    /// The CPU model of one invocation: the same chains in the same order, rounding every
    /// intermediate to the variant's precision.
    fn replay(&self, i: usize, iters: u64, half: bool) -> [f32; 4] {
        let round = |x: f32| if half { f16::from_f32(x).to_f32() } else { x };
        std::array::from_fn(|lane| {
            let (a, b, d) = (
                round(self.a[lane]),
                round(self.b[lane]),
                round(self.step[lane]),
            );
            let mut v = [0.0f32; CHAINS as usize];
            v[0] = round(self.seeds[i][lane]);
            for k in 1..CHAINS as usize {
                v[k] = round(v[k - 1] + d);
            }
            for _ in 0..iters {
                for x in v.iter_mut() {
                    *x = round(x.mul_add(a, b));
                }
            }
            // Left to right, as the shader adds them.
            v.iter().fold(0.0f32, |s, x| s + x)
        })
    }
}

/// An `fma` case with its buffers and kernel, ready to time.
struct Fma {
    kernel: Kernel,
    result: wgpu::Buffer,
    groups: u32,
    ops: Operands,
    half: bool,
    iters: u64,
    threads: u64,
    seed: u64,
    rng: Rng,
}

fn prepare(ctx: &Context, case: &Case, _: Build) -> Result<Box<dyn Prepared>, CaseError> {
    let half = case.precision.inputs.is_half();
    require_f16(ctx, half)?;
    let threads = case.dim("threads");
    let iters = case.dim("iters");
    let seed = Rng::fresh_seed();
    let mut rng = Rng::new(seed);
    let ops = Operands::draw(half, threads as usize, &mut rng);

    let seeds = ctx.upload("fma seeds", bytemuck::cast_slice(&ops.seeds))?;
    let result = ctx.storage("fma result", threads * 16)?;
    ctx.poison(&result, POISON)?;
    let params = ctx.uniform("fma params", &ops.uniform())?;
    let kernel = ctx.kernel(
        &format!("fma-{}", case.variant),
        &ShaderCode::Wgsl(source(half, iters)),
        &[
            Binding::ReadOnly(&seeds),
            Binding::ReadWrite(&result),
            Binding::Uniform(&params),
        ],
    )?;
    Ok(Box::new(Fma {
        kernel,
        result,
        groups: (threads / WG) as u32,
        ops,
        half,
        iters,
        threads,
        seed,
        rng,
    }))
}

impl Prepared for Fma {
    fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        self.kernel.dispatch(pass, (self.groups, 1, 1));
    }

    fn verify(&mut self, ctx: &Context) -> Result<Check, CaseError> {
        let raw = ctx.read(&self.result, self.threads * 16)?;
        let got: &[[f32; 4]] = bytemuck::cast_slice(&raw);
        let checked = sample(self.threads, MAX_CHECKED, &mut self.rng);
        let mut worst = 0.0f64;
        for &i in &checked {
            let want = self.ops.replay(i as usize, self.iters, self.half);
            for lane in 0..4 {
                let (g, w) = (f64::from(got[i as usize][lane]), f64::from(want[lane]));
                let err = if g.is_finite() {
                    (g - w).abs() / w.abs().max(1e-6)
                } else {
                    f64::INFINITY
                };
                worst = worst.max(err);
            }
        }
        Ok(Check::new(
            "max relative error of the chain sums",
            worst,
            crate::model::tolerance::FMA,
            checked.len() as u64 * LANES,
            self.threads * LANES,
            self.seed,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flop_count_is_two_per_fma() {
        let cases = plan(&Sizing {
            scale: Scale::Quick,
            max_binding: 1 << 30,
        });
        let c = &cases[0];
        assert_eq!(
            c.flops,
            (c.dim("threads") * c.dim("iters") * 8 * 4 * 2) as f64
        );
    }

    #[test]
    fn f16_replay_stays_exact() {
        // Every f16 intermediate must be a multiple of 1/16 below 128 in magnitude, so the CPU
        // model and any device agree exactly; check the worst case the operands allow.
        let mut rng = Rng::new(11);
        for scale in [Scale::Quick, Scale::Cpu, Scale::Gpu] {
            let iters = iterations(scale, true);
            let ops = Operands::draw(true, 64, &mut rng);
            for i in 0..64 {
                let got = ops.replay(i, iters, true);
                let exact = ops.replay_exact(i, iters);
                assert_eq!(got, exact, "scale {scale:?}");
            }
        }
    }

    #[test]
    fn replay_depends_on_every_iteration() {
        let mut rng = Rng::new(5);
        for half in [false, true] {
            let ops = Operands::draw(half, 4, &mut rng);
            assert_ne!(ops.replay(0, 128, half), ops.replay(0, 127, half));
        }
    }

    impl Operands {
        /// The f16 chains in f64, without any rounding.
        fn replay_exact(&self, i: usize, iters: u64) -> [f32; 4] {
            std::array::from_fn(|lane| {
                let d = f64::from(self.step[lane]);
                let total: f64 = (0..CHAINS)
                    .map(|k| {
                        f64::from(self.seeds[i][lane])
                            + k as f64 * d
                            + iters as f64 * f64::from(self.b[lane])
                    })
                    .sum();
                total as f32
            })
        }
    }
}

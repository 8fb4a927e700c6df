//! `copy`: device-memory bandwidth, from a kernel that copies one buffer into another.
//!
//! Bytes count what must cross the memory bus: every byte read plus every byte written. On a
//! GPU the buffers are 1 GiB each (or the largest binding, if smaller), far beyond any
//! last-level cache, so the number is DRAM/HBM bandwidth and not cache bandwidth.

use super::data::{POISON, Rng};
use super::{Build, Case, CaseError, Prepared, Scale, Sizing, Workload, grid, with_header};
use crate::device::{Binding, Context, Kernel, ShaderCode};
use crate::model::{Check, KernelFamily, Numeric, Precision, Unit};

pub static WORKLOAD: Workload = Workload {
    id: "copy",
    plan,
    prepare,
    sources,
};

const BODY: &str = include_str!("../../shaders/copy.wgsl");
const WG: u64 = 256;
/// One invocation moves one vec4<u32>.
const ELEMENT: u64 = 16;

fn plan(sizing: &Sizing) -> Vec<Case> {
    let wanted: u64 = match sizing.scale {
        Scale::Quick => 8 << 20,
        Scale::Cpu => 64 << 20,
        Scale::Gpu => 1 << 30,
    };
    let unit = ELEMENT * WG;
    let bytes = (wanted.min(sizing.max_binding) / unit).max(1) * unit;
    VARIANTS
        .iter()
        .map(|&(variant, per)| Case {
            workload: &WORKLOAD,
            scale: sizing.scale,
            variant,
            precision: Precision::new(Numeric::U32, Numeric::None),
            unit: Unit::Vector,
            family: KernelFamily::Wgsl,
            shape: vec![("bytes", bytes)],
            flops: 0.0,
            bytes: (2 * bytes) as f64,
            config: format!("{per} vec4<u32> per invocation, grid-strided, workgroup {WG}"),
        })
        .collect()
}

/// (variant, vec4 elements per invocation).
const VARIANTS: [(&str, u64); 2] = [("vec4x1", 1), ("vec4x4", 4)];

fn per_invocation(variant: &str) -> u64 {
    VARIANTS
        .iter()
        .find(|(v, _)| *v == variant)
        .map(|(_, per)| *per)
        .unwrap_or_else(|| panic!("copy has no variant {variant:?}"))
}

fn source(per: u64) -> String {
    with_header(
        false,
        &format!("const WG: u32 = {WG}u;\nconst PER: u32 = {per}u;"),
        BODY,
    )
}

fn sources() -> Vec<(String, String)> {
    VARIANTS
        .iter()
        .map(|&(v, per)| (format!("copy-{v}"), source(per)))
        .collect()
}

/// A `copy` case with its buffers and kernel, ready to time.
struct DeviceCopy {
    kernel: Kernel,
    dst: wgpu::Buffer,
    groups: (u32, u32, u32),
    words: Vec<u64>,
    bytes: u64,
    seed: u64,
}

fn prepare(ctx: &Context, case: &Case, _: Build) -> Result<Box<dyn Prepared>, CaseError> {
    let bytes = case.dim("bytes");
    let seed = Rng::fresh_seed();
    let mut rng = Rng::new(seed);
    let words: Vec<u64> = (0..bytes / 8).map(|_| rng.next_u64()).collect();
    let src = ctx.upload("copy src", bytemuck::cast_slice(&words))?;
    let dst = ctx.storage("copy dst", bytes)?;
    ctx.poison(&dst, POISON)?;
    let per = per_invocation(case.variant);
    let kernel = ctx.kernel(
        &format!("copy-{}", case.variant),
        &ShaderCode::Wgsl(source(per)),
        &[Binding::ReadOnly(&src), Binding::ReadWrite(&dst)],
    )?;
    let groups = grid(
        (bytes / ELEMENT).div_ceil(WG * per),
        ctx.info.limits.max_compute_workgroups_per_dimension,
    );
    Ok(Box::new(DeviceCopy {
        kernel,
        dst,
        groups,
        words,
        bytes,
        seed,
    }))
}

impl Prepared for DeviceCopy {
    fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        self.kernel.dispatch(pass, self.groups);
    }

    fn verify(&mut self, ctx: &Context) -> Result<Check, CaseError> {
        let got = ctx.read(&self.dst, self.bytes)?;
        let want: &[u8] = bytemuck::cast_slice(&self.words);
        let elements = self.bytes / ELEMENT;
        let wrong = got
            .chunks_exact(ELEMENT as usize)
            .zip(want.chunks_exact(ELEMENT as usize))
            .filter(|(g, w)| g != w)
            .count() as u64;
        Ok(Check::new(
            "fraction of 16-byte elements that differ from the source",
            wrong as f64 / elements as f64,
            crate::model::tolerance::EXACT,
            elements,
            elements,
            self.seed,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_respects_the_binding_limit_and_counts_both_directions() {
        let c = &plan(&Sizing {
            scale: Scale::Gpu,
            max_binding: 128 << 20,
        })[1];
        assert_eq!(per_invocation(c.variant), 4);
        assert_eq!(c.dim("bytes"), 128 << 20);
        assert_eq!(c.bytes, 2.0 * (128u64 << 20) as f64);
        let odd = &plan(&Sizing {
            scale: Scale::Gpu,
            max_binding: (1 << 31) - 4,
        })[0];
        assert_eq!(odd.dim("bytes"), 1 << 30);
        assert_eq!(odd.dim("bytes") % (ELEMENT * WG), 0);
    }
}

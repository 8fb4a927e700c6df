//! The bench layer: the workload registry. Each workload is one module owning its shader
//! variants, its FLOP and byte counts, the sizes it picks for a device, its CPU reference and
//! its correctness check, and one line in [`ALL`].
//!
//! A workload turns a device's [`Sizing`] into [`Case`]s (one variant at one shape), and runs a
//! case into a [`Measured`] (timing plus a passed check) or a [`CaseError`]. `run` turns those
//! into result records; nothing here prints or writes files.

pub mod attention;
pub mod copy;
pub mod data;
pub mod decode;
pub mod emulation;
pub mod fma;
pub mod gemv;
pub mod matmul;
pub mod matrix;
pub mod matrix_peak;
pub mod tune;

use std::fmt;

use crate::device::{Context, GpuError, PassTimer, ShaderCode};
use crate::model::{Budget, Check, KernelFamily, Numeric, Precision, Timing, Unit};

/// Warm-up before timing a case whose preparation just ran the GPU, in ms.
const WARM_WARMUP_MS: f64 = 50.0;

/// Every workload chipbench runs, in the order a run takes them. Adding a workload is one
/// module and one line here.
pub static ALL: [&Workload; 7] = [
    &fma::WORKLOAD,
    &copy::WORKLOAD,
    &matrix_peak::WORKLOAD,
    &matmul::WORKLOAD,
    &attention::WORKLOAD,
    &decode::WORKLOAD,
    &gemv::WORKLOAD,
];

/// The workload named `id` (trimmed, case-insensitive), or a message listing the known ones.
pub fn find(id: &str) -> Result<&'static Workload, String> {
    crate::input::named("workload", id, &ALL, |w| w.id)
}

/// A workload's builder: fresh random inputs, buffers and the (tuned) kernel for one case.
type Prepare = fn(&Context, &Case, Build) -> Result<Box<dyn Prepared>, CaseError>;

/// One entry of the registry: how to plan, build and list a workload's kernels.
pub struct Workload {
    pub id: &'static str,
    /// The cases to run on a device of the given size.
    pub plan: fn(&Sizing) -> Vec<Case>,
    /// Fresh random inputs, buffers and the (tuned) kernel for one case.
    pub prepare: Prepare,
    /// Every WGSL shader variant, as (name, complete source): what the no-GPU test compiles.
    pub sources: fn() -> Vec<(String, String)>,
}

impl fmt::Debug for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

impl PartialEq for Workload {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Workload {
    /// Runs one case: prepares it, times it, then reads the output back and checks it.
    pub fn run(&self, ctx: &Context, case: &Case, budget: &Budget) -> Result<Measured, CaseError> {
        let mut prepared = (self.prepare)(ctx, case, Build::default())?;
        let budget = if prepared.warm() {
            Budget {
                warmup_ms: budget.warmup_ms.min(WARM_WARMUP_MS),
                ..*budget
            }
        } else {
            *budget
        };
        let timing = PassTimer::new(ctx)?.measure(&|pass| prepared.record(pass), &budget)?;
        let check = prepared.verify(ctx)?;
        if !check.passed {
            return Err(CaseError::Failed {
                reason: format!(
                    "check failed: {} {:.3e} exceeds tolerance {:.1e} ({} of {} elements checked)",
                    check.metric, check.error, check.tolerance, check.checked, check.total
                ),
                check: Some(check),
            });
        }
        Ok(Measured {
            timing,
            check,
            tuned: prepared.tuned(),
        })
    }
}

/// How to build a case's kernels. `run` always uses the default; the options are for tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct Build {
    /// Rewrite cooperative-matrix operations into plain WGSL ([`emulation`]), so the matrix
    /// kernels' logic can be checked on an adapter without matrix units. An emulated kernel's
    /// time says nothing about the matrix units.
    pub emulate_coop: bool,
    /// A change to the kernel's WGSL before it is built: a planted bug, which the workload's
    /// check must catch.
    pub plant: Option<fn(&str) -> String>,
}

impl Build {
    /// `code` as this build asks for it: the planted change applied, then cooperative-matrix
    /// operations emulated where asked; SPIR-V unchanged.
    pub fn code(self, code: ShaderCode) -> ShaderCode {
        match code {
            ShaderCode::Wgsl(src) => {
                let src = match self.plant {
                    Some(plant) => plant(&src),
                    None => src,
                };
                ShaderCode::Wgsl(if self.emulate_coop {
                    emulation::emulate(&src)
                } else {
                    src
                })
            }
            other => other,
        }
    }
}

/// Every WGSL shader variant of every workload.
pub fn shader_sources() -> Vec<(String, String)> {
    ALL.iter().flat_map(|w| (w.sources)()).collect()
}

/// How big to make the problems on this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Small sizes for every device: CI and a first look.
    Quick,
    /// A CPU adapter (lavapipe): sizes that finish in seconds on a few cores.
    Cpu,
    /// A real GPU: several GB of data, far beyond the last-level cache.
    Gpu,
}

/// The device facts that sizes depend on.
#[derive(Debug, Clone, Copy)]
pub struct Sizing {
    pub scale: Scale,
    /// Largest single storage binding, in bytes.
    pub max_binding: u64,
}

/// One variant of a workload at one shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub workload: &'static Workload,
    /// The size class the case was planned for.
    pub scale: Scale,
    pub variant: &'static str,
    pub precision: Precision,
    /// The execution unit the kernel's arithmetic runs on.
    pub unit: Unit,
    pub family: KernelFamily,
    /// Named dimensions, in the order they are displayed.
    pub shape: Vec<(&'static str, u64)>,
    /// Floating-point operations of one iteration (zero for pure data movement).
    pub flops: f64,
    /// Device-memory bytes one iteration must move at least.
    pub bytes: f64,
    /// Free-form description of the kernel configuration.
    pub config: String,
}

impl Case {
    pub fn shape_label(&self) -> String {
        self.shape
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The dimension `name`; a name the workload's plan did not give is a bug in the
    /// workload, and panics (the run records the case as failed and goes on).
    pub fn dim(&self, name: &str) -> u64 {
        self.shape
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("{} has no dimension {name:?}", self.workload))
    }
}

/// A measured case whose output passed the check in the same run.
#[derive(Debug, Clone)]
pub struct Measured {
    pub timing: Timing,
    pub check: Check,
    /// The kernel configuration an autotuner chose, and how.
    pub tuned: Option<String>,
}

/// A case ready to time: inputs uploaded, output poisoned, kernel built. `run` and the
/// criterion bench both time [`Prepared::record`] and then call [`Prepared::verify`].
pub trait Prepared {
    /// Records one iteration (one dispatch) into a compute pass.
    fn record(&self, pass: &mut wgpu::ComputePass<'_>);
    /// Reads the output back and compares it with the CPU reference.
    fn verify(&mut self, ctx: &Context) -> Result<Check, CaseError>;
    /// The configuration an autotuner chose, and how, where one ran.
    fn tuned(&self) -> Option<String> {
        None
    }
    /// Whether preparing already kept the GPU busy (an autotuner's trials), so the clocks are
    /// up and a short warm-up suffices.
    fn warm(&self) -> bool {
        false
    }
}

/// Why a case produced no number.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CaseError {
    /// The device cannot run it (missing feature, too little memory for the smallest size).
    #[error("{0}")]
    Unsupported(String),
    /// It ran and failed: an output that did not match the reference, or an internal error.
    #[error("{reason}")]
    Failed {
        reason: String,
        check: Option<Check>,
    },
    /// The device failed under it: an error, a timeout, or the device lost.
    #[error("{0}")]
    Device(GpuError),
}

impl CaseError {
    /// A failure with its reason and no check.
    pub fn failed(reason: impl Into<String>) -> Self {
        CaseError::Failed {
            reason: reason.into(),
            check: None,
        }
    }
}

impl From<GpuError> for CaseError {
    fn from(e: GpuError) -> Self {
        match e {
            GpuError::OutOfMemory { .. } => CaseError::Unsupported(e.to_string()),
            other => CaseError::Device(other),
        }
    }
}

/// Prepends the template header (constants, aliases, enables) to a shader body.
pub(crate) fn with_header(needs_f16: bool, header: &str, body: &str) -> String {
    let enable = if needs_f16 { "enable f16;\n" } else { "" };
    format!("{enable}{header}\n{body}")
}

/// Repeats the block between the lines `//#unroll VAR ...` and `//#end VAR` `count` times, each
/// copy in its own scope that starts with `let VAR = i;`: WGSL has no unroll directive, and a
/// driver that keeps such a loop rolled loses a large share of a matmul's throughput.
pub(crate) fn unroll(source: &str, var: &str, count: u64) -> String {
    let open = format!("//#unroll {var}");
    let close = format!("//#end {var}");
    let mut out = String::with_capacity(source.len() * 2);
    let mut block: Option<Vec<&str>> = None;
    for line in source.lines() {
        let marker = line.trim_start();
        match &mut block {
            None if marker.starts_with(&open) => block = Some(Vec::new()),
            None => {
                out.push_str(line);
                out.push('\n');
            }
            Some(_) if marker.starts_with(&close) => {
                let body = block.take().unwrap_or_default().join("\n");
                for i in 0..count {
                    out.push_str(&format!("{{ let {var} = {i}u;\n{body}\n}}\n"));
                }
            }
            Some(lines) => lines.push(line),
        }
    }
    out
}

/// Fails a case needing f16 on a device without SHADER_F16.
pub(crate) fn require_f16(ctx: &Context, needed: bool) -> Result<(), CaseError> {
    if needed && !ctx.f16 {
        return Err(CaseError::Unsupported(
            "the adapter lacks SHADER_F16".to_string(),
        ));
    }
    Ok(())
}

/// Fails a case whose largest buffer exceeds the adapter's largest binding.
pub(crate) fn fits(ctx: &Context, bytes: u64) -> Result<(), CaseError> {
    if bytes > ctx.max_binding() {
        return Err(CaseError::Unsupported(format!(
            "needs {bytes} bytes in one binding; the adapter allows {}",
            ctx.max_binding()
        )));
    }
    Ok(())
}

/// The subgroup width the cooperative-matrix kernels are written for.
pub(crate) const COOP_SUBGROUP: u32 = 32;

/// Fails a cooperative-matrix case on an adapter without 16x16x16 f16 -> `acc` matrices or
/// without 32-wide subgroups; an emulated build needs only f16.
pub(crate) fn require_coop(ctx: &Context, acc: Numeric, build: Build) -> Result<(), CaseError> {
    require_coop_shape(ctx, (16, 16, 16), Numeric::F16, acc, build)
}

/// Fails a cooperative-matrix case on an adapter that does not list `mnk` with `ab` operands
/// and `acc` accumulators, or has no 32-wide subgroups; an emulated build needs only f16.
pub(crate) fn require_coop_shape(
    ctx: &Context,
    mnk: (u32, u32, u32),
    ab: Numeric,
    acc: Numeric,
    build: Build,
) -> Result<(), CaseError> {
    require_f16(ctx, true)?;
    if build.emulate_coop {
        return Ok(());
    }
    if !ctx.coop {
        return Err(CaseError::Unsupported(
            "the adapter has no cooperative matrices (EXPERIMENTAL_COOPERATIVE_MATRIX)".into(),
        ));
    }
    if !ctx.info.offers_coop(mnk, ab, acc) {
        let (m, n, k) = mnk;
        return Err(CaseError::Unsupported(format!(
            "the adapter offers no {m}x{n}x{k} {ab} -> {acc} cooperative-matrix configuration"
        )));
    }
    let (lo, hi) = (ctx.info.subgroup_min_size, ctx.info.subgroup_max_size);
    if (lo, hi) != (COOP_SUBGROUP, COOP_SUBGROUP) {
        return Err(CaseError::Unsupported(format!(
            "the kernel is written for {COOP_SUBGROUP}-wide subgroups; this adapter's are {lo}..{hi} wide"
        )));
    }
    Ok(())
}

/// Splits `groups` workgroups into a 2-D grid within the per-dimension limit.
pub(crate) fn grid(groups: u64, max_per_dim: u32) -> (u32, u32, u32) {
    let max = u64::from(max_per_dim.max(1));
    let x = groups.clamp(1, max);
    let y = groups.div_ceil(x).max(1);
    (x as u32, y as u32, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_workloads_by_id() {
        assert_eq!(find(" COPY").unwrap().id, "copy");
        let err = find("attn").unwrap_err();
        assert!(err.contains("attn") && err.contains("matmul"), "{err}");
        assert!(find("").is_err());
        let ids: Vec<&str> = ALL.iter().map(|w| w.id).collect();
        // The result schema admits exactly these, in this order.
        assert_eq!(ids, crate::model::WORKLOADS);
    }

    #[test]
    fn unroll_repeats_the_marked_block_with_constant_indices() {
        let src = "a\n  //#unroll kk BK\n  x[kk] = 1;\n  //#end kk\nb\n";
        let out = unroll(src, "kk", 2);
        assert_eq!(
            out,
            "a\n{ let kk = 0u;\n  x[kk] = 1;\n}\n{ let kk = 1u;\n  x[kk] = 1;\n}\nb\n"
        );
        assert_eq!(unroll("plain\n", "kk", 3), "plain\n");
    }

    #[test]
    fn grid_covers_all_groups_within_limits() {
        assert_eq!(grid(10, 65535), (10, 1, 1));
        let (x, y, _) = grid(200_000, 65535);
        assert!(x <= 65535 && u64::from(x) * u64::from(y) >= 200_000);
        assert_eq!(grid(0, 65535), (1, 1, 1));
    }

    #[test]
    fn every_workload_plans_cases_at_every_scale() {
        for scale in [Scale::Quick, Scale::Cpu, Scale::Gpu] {
            let sizing = Sizing {
                scale,
                max_binding: 1 << 31,
            };
            for w in ALL {
                let cases = (w.plan)(&sizing);
                assert!(!cases.is_empty(), "{w} at {scale:?}");
                for c in &cases {
                    assert_eq!(c.workload, w);
                    assert!(c.bytes > 0.0, "{w} {}", c.variant);
                    assert!(!c.shape_label().is_empty());
                    // The family decides the unit: cooperative matrices are the matrix units.
                    let matrix = c.family == KernelFamily::WgslCoop;
                    assert_eq!(c.unit == Unit::Matrix, matrix, "{w} {}", c.variant);
                }
            }
        }
    }
}

//! The benchmark workloads. Each module owns its shader variants, its FLOP and byte counts, the
//! sizes it picks for a device, its CPU reference and its correctness check.
//!
//! A workload turns a device description into [`Case`]s (one variant at one shape), and runs a
//! case into a [`Measured`] (timing plus a passed check) or a [`CaseError`]. The runner turns
//! those into result records; nothing here prints or writes files.

pub mod attention;
#[cfg(test)]
pub mod coop_emulation;
pub mod copy;
pub mod data;
pub mod decode;
pub mod fma;
pub mod gemv;
pub mod matmul;
pub mod matrix;
pub mod tune;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::gpu::{Context, GpuError};
use crate::timing::{Budget, PassTimer, Timing};

/// Warm-up before timing a case whose preparation just ran the GPU, in ms.
const WARM_WARMUP_MS: f64 = 50.0;

/// Input and accumulation precision of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Precision {
    pub inputs: String,
    pub accumulate: String,
}

impl Precision {
    pub fn new(inputs: &str, accumulate: &str) -> Self {
        Precision {
            inputs: inputs.to_string(),
            accumulate: accumulate.to_string(),
        }
    }
}

/// The outcome of a correctness check against the CPU reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// How `error` is defined.
    pub metric: String,
    pub error: f64,
    pub tolerance: f64,
    /// Elements compared, out of `total` written by the kernel.
    pub checked: u64,
    pub total: u64,
    /// Seed of the random inputs, to replay a failure.
    pub seed: u64,
    pub passed: bool,
}

impl Check {
    pub fn new(
        metric: &str,
        error: f64,
        tolerance: f64,
        checked: u64,
        total: u64,
        seed: u64,
    ) -> Self {
        Check {
            metric: metric.to_string(),
            passed: error.is_finite() && error <= tolerance,
            error,
            tolerance,
            checked,
            total,
            seed,
        }
    }
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
    pub workload: Workload,
    /// The size class the case was planned for.
    pub scale: Scale,
    pub variant: &'static str,
    pub precision: Precision,
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

    pub fn dim(&self, name: &str) -> u64 {
        self.shape
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
            .unwrap_or(0)
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
#[derive(Debug, Clone, PartialEq)]
pub enum CaseError {
    /// The device cannot run it (missing feature, too little memory for the smallest size).
    Unsupported(String),
    /// It ran and failed: a device error, or an output that did not match the reference.
    Failed(String, Option<Check>),
}

impl From<GpuError> for CaseError {
    fn from(e: GpuError) -> Self {
        match e {
            GpuError::OutOfMemory { .. } => CaseError::Unsupported(e.to_string()),
            other => CaseError::Failed(other.to_string(), None),
        }
    }
}

/// The workloads chipbench knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Workload {
    Fma,
    Copy,
    Matmul,
    Attention,
    Decode,
    Gemv,
}

impl Workload {
    pub const ALL: [Workload; 6] = [
        Workload::Fma,
        Workload::Copy,
        Workload::Matmul,
        Workload::Attention,
        Workload::Decode,
        Workload::Gemv,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Workload::Fma => "fma",
            Workload::Copy => "copy",
            Workload::Matmul => "matmul",
            Workload::Attention => "attention",
            Workload::Decode => "decode",
            Workload::Gemv => "gemv",
        }
    }

    /// Parses a comma-separated list such as `fma,copy`.
    pub fn parse_list(s: &str) -> Result<Vec<Workload>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let w = crate::input::named("workload", part, &Workload::ALL, Workload::id)?;
            if !out.contains(&w) {
                out.push(w);
            }
        }
        if out.is_empty() {
            return Err("no workload named".to_string());
        }
        Ok(out)
    }

    /// The cases this workload runs on a device of the given size.
    pub fn plan(self, sizing: &Sizing) -> Vec<Case> {
        match self {
            Workload::Fma => fma::plan(sizing),
            Workload::Copy => copy::plan(sizing),
            Workload::Matmul => matmul::plan(sizing),
            Workload::Attention => attention::plan(sizing),
            Workload::Decode => decode::plan(sizing),
            Workload::Gemv => gemv::plan(sizing),
        }
    }

    /// Makes fresh random inputs, buffers and the (tuned) kernel for one case.
    pub fn prepare(self, ctx: &Context, case: &Case) -> Result<Box<dyn Prepared>, CaseError> {
        match self {
            Workload::Fma => fma::prepare(ctx, case),
            Workload::Copy => copy::prepare(ctx, case),
            Workload::Matmul => matmul::prepare(ctx, case),
            Workload::Attention => attention::prepare(ctx, case),
            Workload::Decode => decode::prepare(ctx, case),
            Workload::Gemv => gemv::prepare(ctx, case),
        }
    }

    /// Runs one case: prepares it, times it, then reads the output back and checks it.
    pub fn run(self, ctx: &Context, case: &Case, budget: &Budget) -> Result<Measured, CaseError> {
        let mut prepared = self.prepare(ctx, case)?;
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
            return Err(CaseError::Failed(
                format!(
                    "check failed: {} {:.3e} exceeds tolerance {:.1e} ({} of {} elements checked)",
                    check.metric, check.error, check.tolerance, check.checked, check.total
                ),
                Some(check),
            ));
        }
        Ok(Measured {
            timing,
            check,
            tuned: prepared.tuned(),
        })
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Every shader variant chipbench can build, as (name, complete WGSL source): what the no-GPU
/// test compiles through naga.
pub fn shader_sources() -> Vec<(String, String)> {
    let mut all = fma::sources();
    all.extend(copy::sources());
    all.extend(matmul::sources());
    all.extend(attention::sources());
    all.extend(decode::sources());
    all.extend(gemv::sources());
    all
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
/// without 32-wide subgroups.
pub(crate) fn require_coop(ctx: &Context, acc: &str) -> Result<(), CaseError> {
    require_f16(ctx, true)?;
    if !ctx.coop {
        return Err(CaseError::Unsupported(
            "the adapter has no cooperative matrices (EXPERIMENTAL_COOPERATIVE_MATRIX)".into(),
        ));
    }
    let offered = ctx
        .report
        .cooperative_matrix
        .iter()
        .any(|c| (c.m, c.n, c.k) == (16, 16, 16) && c.ab_type == "f16" && c.cr_type == acc);
    if !offered {
        return Err(CaseError::Unsupported(format!(
            "the adapter offers no 16x16x16 f16 -> {acc} cooperative-matrix configuration"
        )));
    }
    let (lo, hi) = (ctx.report.subgroup_min_size, ctx.report.subgroup_max_size);
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
    fn parses_workload_lists() {
        assert_eq!(
            Workload::parse_list("fma, COPY,fma").unwrap(),
            vec![Workload::Fma, Workload::Copy]
        );
        let err = Workload::parse_list("fma,attn").unwrap_err();
        assert_eq!(
            Workload::parse_list("attention,decode,gemv").unwrap(),
            vec![Workload::Attention, Workload::Decode, Workload::Gemv]
        );
        assert!(err.contains("attn") && err.contains("matmul"), "{err}");
        assert!(Workload::parse_list(" , ").is_err());
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
    fn check_passes_only_finite_errors_within_tolerance() {
        assert!(Check::new("m", 1e-7, 1e-6, 1, 1, 0).passed);
        assert!(!Check::new("m", 1e-5, 1e-6, 1, 1, 0).passed);
        assert!(!Check::new("m", f64::NAN, 1e-6, 1, 1, 0).passed);
        assert!(!Check::new("m", f64::INFINITY, 1e-6, 1, 1, 0).passed);
    }

    #[test]
    fn every_workload_plans_cases_at_every_scale() {
        for scale in [Scale::Quick, Scale::Cpu, Scale::Gpu] {
            let sizing = Sizing {
                scale,
                max_binding: 1 << 31,
            };
            for w in Workload::ALL {
                let cases = w.plan(&sizing);
                assert!(!cases.is_empty(), "{w} at {scale:?}");
                for c in &cases {
                    assert!(c.bytes > 0.0, "{w} {}", c.variant);
                    assert!(!c.shape_label().is_empty());
                }
            }
        }
    }
}

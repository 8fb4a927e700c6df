//! GPU integration tests on the default adapter (lavapipe in CI), at quick sizes: every
//! workload case runs and its output passes the CPU check, or is unsupported for a reason the
//! adapter's features predict; the matrix kernels' logic passes through the cooperative-matrix
//! emulator; a decode cache split over bindings; a SPIR-V kernel passed through; timing gives
//! sane samples.

mod common;

use chipbench::bench::{self, Build, Case, CaseError, Scale, Sizing, decode};
use chipbench::device::{Binding, Context, PassTimer, ShaderCode};
use chipbench::model::{Budget, KernelFamily, Method, Numeric};
use chipbench::run::sizing;
use common::{Need, needs};

fn open() -> Context {
    let (found, index) = common::adapter();
    Context::open(&found, index).expect("open device")
}

/// Why `case` cannot run on `ctx`, as the adapter's features predict, or `None` if it can.
fn predicted_unsupported(ctx: &Context, case: &Case) -> Option<&'static str> {
    let f16 = case.precision.inputs == Numeric::F16;
    if f16 && !ctx.f16 {
        return Some("SHADER_F16");
    }
    let coop = case.family == KernelFamily::WgslCoop;
    // The matrix peak names its matrix size; the other cooperative kernels use 16x16x16.
    let n = case
        .shape
        .iter()
        .find(|(k, _)| *k == "n" && case.workload.id == "matrix-peak")
        .map_or(16, |(_, v)| *v as u32);
    if coop
        && !(ctx.coop
            && ctx
                .info
                .offers_coop((n, n, n), case.precision.inputs, case.precision.accumulate)
            && (ctx.info.subgroup_min_size, ctx.info.subgroup_max_size) == (32, 32))
    {
        return Some("cooperative matrices");
    }
    None
}

fn every_quick_case_runs_and_passes_its_check() {
    let ctx = open();
    let budget = Budget {
        min_passes: 2,
        max_passes: 2,
        ..Budget::quick()
    };
    let (mut ran, mut expected) = (0, 0);
    for w in bench::ALL {
        for case in (w.plan)(&sizing(&ctx.info, true)) {
            let label = format!("{} {} {}", w, case.variant, case.shape_label());
            let predicted = predicted_unsupported(&ctx, &case);
            expected += usize::from(predicted.is_none());
            match (w.run(&ctx, &case, &budget), predicted) {
                (Ok(m), None) => {
                    assert!(
                        m.check.passed && m.check.checked > 0,
                        "{label}: {:?}",
                        m.check
                    );
                    assert!(m.timing.median_ns > 0.0, "{label}");
                    ran += 1;
                }
                (Err(CaseError::Unsupported(why)), Some(feature)) => {
                    assert!(
                        why.contains(feature.split_whitespace().next().unwrap_or(feature))
                            || why.contains("cooperative-matrix")
                            || why.contains("subgroups"),
                        "{label}: unsupported for {why}, expected {feature}"
                    );
                }
                (Ok(_), Some(feature)) => panic!("{label}: ran without {feature}"),
                (Err(e), _) => panic!("{label}: {e}"),
            }
        }
    }
    assert_eq!(ran, expected, "every case the adapter supports ran");
    assert!(ran > 0);
}

/// The quick cases of `workload` in `variant`, shrunk by `shrink`, built with emulated
/// cooperative matrices and run once; each must pass its check with every candidate
/// configuration accepted by the tuner.
fn emulated(workload: &bench::Workload, variant: &str, shrink: impl Fn(&mut Case) -> bool) {
    let ctx = open();
    let sizing = Sizing {
        scale: Scale::Quick,
        max_binding: ctx.max_binding(),
    };
    let mut ran = 0;
    for mut case in (workload.plan)(&sizing) {
        if case.variant != variant || !shrink(&mut case) {
            continue;
        }
        let label = case.shape_label();
        let build = Build {
            emulate_coop: true,
            ..Build::default()
        };
        let mut p = (workload.prepare)(&ctx, &case, build)
            .unwrap_or_else(|e| panic!("{variant} {label}: {e}"));
        let tuned = p.tuned().unwrap_or_default();
        assert!(!tuned.contains("rejected"), "{variant} {label}: {tuned}");
        PassTimer::new(&ctx)
            .unwrap()
            .pass(&|pass| p.record(pass), 1)
            .unwrap();
        let check = p.verify(&ctx).unwrap();
        assert!(check.passed, "{variant} {label}: {check:?}");
        ran += 1;
    }
    assert!(ran > 0, "no {variant} case to emulate");
}

fn coop_matmul_passes_its_check_with_emulated_matrices() {
    for variant in ["coop-f16-f32acc", "coop-f16-f16acc"] {
        // One whole-tile and one ragged shape (every M, N, K padded to whole tiles).
        emulated(&bench::matmul::WORKLOAD, variant, |c| {
            let (m, n) = (c.dim("m"), c.dim("n"));
            (m, n) == (256, 256) || (m, n) == (100, 68)
        });
    }
}

fn coop_attention_passes_its_check_with_emulated_matrices() {
    // Head dim 64 (128 needs more workgroup memory than lavapipe has), one head; both masks,
    // a length of whole tiles and a ragged one, each tuned over both tile widths.
    emulated(&bench::attention::WORKLOAD, "coop-f16-f32acc", |c| {
        if c.dim("head_dim") != 64 {
            return false;
        }
        let causal = c.dim("causal");
        for (name, value) in c.shape.iter_mut() {
            match *name {
                "heads" => *value = 1,
                "seq" => *value = if causal == 1 { 100 } else { 64 },
                _ => {}
            }
        }
        true
    });
}

fn matrix_peak_passes_its_check_with_emulated_matrices() {
    for variant in ["coop16-f16-f16acc", "coop16-f16-f32acc"] {
        emulated(&bench::matrix_peak::WORKLOAD, variant, |_| true);
    }
}

/// Drops chain 2's second multiply-add of each iteration: the result changes by A B' per
/// iteration, which the exact check must see.
fn drop_one_multiply_add(src: &str) -> String {
    let line = "c2 = coopMultiplyAdd(a, b2, c2);";
    assert!(src.contains(line), "the planted bug needs its line");
    src.replacen(line, "", 1)
}

fn matrix_peak_check_catches_a_dropped_multiply_add() {
    let ctx = open();
    let w = &bench::matrix_peak::WORKLOAD;
    let case = (w.plan)(&sizing(&ctx.info, true))
        .into_iter()
        .find(|c| c.variant == "coop16-f16-f32acc")
        .unwrap();
    let build = Build {
        emulate_coop: true,
        plant: Some(drop_one_multiply_add),
    };
    let mut p = (w.prepare)(&ctx, &case, build).unwrap();
    PassTimer::new(&ctx)
        .unwrap()
        .pass(&|pass| p.record(pass), 1)
        .unwrap();
    let check = p.verify(&ctx).unwrap();
    assert!(!check.passed && check.error > 0.0, "{check:?}");
}

fn a_decode_cache_split_over_bindings_gives_the_same_check() {
    let ctx = open();
    let case = (decode::WORKLOAD.plan)(&sizing(&ctx.info, true)).remove(0);
    let (h, keys) = (case.dim("heads"), case.dim("kv_len"));
    let per_sequence = h * keys * case.dim("head_dim") * 2;
    // One sequence per binding: as many bindings as sequences.
    let mut p = decode::prepare_within(&ctx, &case, per_sequence).unwrap();
    assert_eq!(p.bindings() as u64, case.dim("batch"));
    use chipbench::bench::Prepared;
    PassTimer::new(&ctx)
        .unwrap()
        .pass(&|pass| p.record(pass), 1)
        .unwrap();
    let check = p.verify(&ctx).unwrap();
    assert!(check.passed && check.checked == check.total, "{check:?}");
    // A binding smaller than one sequence is refused, not split.
    assert!(matches!(
        decode::prepare_within(&ctx, &case, per_sequence / 2),
        Err(CaseError::Unsupported(_))
    ));
}

fn a_spirv_kernel_passes_through_and_runs() {
    let ctx = open();
    assert!(ctx.passthrough, "Vulkan adapters pass SPIR-V through");
    let wgsl = "@group(0) @binding(0) var<storage, read> src: array<u32>;\n\
                @group(0) @binding(1) var<storage, read_write> dst: array<u32>;\n\
                @compute @workgroup_size(64)\n\
                fn twice(@builtin(global_invocation_id) g: vec3<u32>) {\n    \
                dst[g.x] = src[g.x] * 2u + 1u;\n}\n";
    let words = common::spirv(wgsl, "twice").unwrap();
    let input: Vec<u32> = (0..256).map(|i| i * 7).collect();
    let src = ctx.upload("src", bytemuck::cast_slice(&input)).unwrap();
    let dst = ctx.storage("dst", 1024).unwrap();
    ctx.poison(&dst, u32::MAX).unwrap();
    let code = ShaderCode::SpirV {
        words,
        entry: "twice".to_string(),
        workgroup: (64, 1, 1),
    };
    let kernel = ctx
        .kernel(
            "twice",
            &code,
            &[Binding::ReadOnly(&src), Binding::ReadWrite(&dst)],
        )
        .unwrap();
    PassTimer::new(&ctx)
        .unwrap()
        .pass(&|pass| kernel.dispatch(pass, (4, 1, 1)), 1)
        .unwrap();
    let out = ctx.read(&dst, 1024).unwrap();
    let got: &[u32] = bytemuck::cast_slice(&out);
    assert!(got.iter().zip(&input).all(|(&g, &x)| g == x * 2 + 1));
}

fn pass_timer_takes_calibrated_positive_samples() {
    let ctx = open();
    let case = (bench::fma::WORKLOAD.plan)(&sizing(&ctx.info, true))[0].clone();
    let prepared = (bench::fma::WORKLOAD.prepare)(&ctx, &case, Build::default()).expect("prepare");
    let timer = PassTimer::new(&ctx).expect("timer");
    let budget = Budget::quick();
    let t = timer
        .measure(&|p| prepared.record(p), &budget)
        .expect("measure");
    assert_eq!(t.samples_ns.len(), t.passes);
    assert!(t.passes >= budget.min_passes && t.passes <= budget.max_passes);
    assert!(t.dispatches_per_pass >= 1 && t.dispatches_per_pass <= budget.max_dispatches);
    assert!(t.samples_ns.iter().all(|&s| s > 0.0 && s.is_finite()));
    assert!(t.min_ns <= t.median_ns && t.median_ns <= t.max_ns);
    assert_eq!(
        t.method,
        if ctx.timestamps {
            Method::GpuTimestamp
        } else {
            Method::Wall
        }
    );
    // Four times the dispatches in one pass take longer: the timestamps bracket real work.
    let one = timer.pass(&|p| prepared.record(p), 1).expect("pass");
    let four = timer.pass(&|p| prepared.record(p), 4).expect("pass");
    assert!(four > one, "{four:?} vs {one:?}");
}

fn main() {
    common::run(vec![
        needs(
            "every_quick_case_runs_and_passes_its_check",
            &[Need::Gpu],
            every_quick_case_runs_and_passes_its_check,
        ),
        needs(
            "coop_matmul_passes_its_check_with_emulated_matrices",
            &[Need::Gpu],
            coop_matmul_passes_its_check_with_emulated_matrices,
        ),
        needs(
            "coop_attention_passes_its_check_with_emulated_matrices",
            &[Need::Gpu],
            coop_attention_passes_its_check_with_emulated_matrices,
        ),
        needs(
            "matrix_peak_passes_its_check_with_emulated_matrices",
            &[Need::Gpu],
            matrix_peak_passes_its_check_with_emulated_matrices,
        ),
        needs(
            "matrix_peak_check_catches_a_dropped_multiply_add",
            &[Need::Gpu],
            matrix_peak_check_catches_a_dropped_multiply_add,
        ),
        needs(
            "a_decode_cache_split_over_bindings_gives_the_same_check",
            &[Need::Gpu],
            a_decode_cache_split_over_bindings_gives_the_same_check,
        ),
        needs(
            "a_spirv_kernel_passes_through_and_runs",
            &[Need::Gpu],
            a_spirv_kernel_passes_through_and_runs,
        ),
        needs(
            "pass_timer_takes_calibrated_positive_samples",
            &[Need::Gpu],
            pass_timer_takes_calibrated_positive_samples,
        ),
    ]);
}

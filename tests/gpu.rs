//! GPU integration tests on the default adapter (lavapipe in CI), at quick sizes: every
//! workload case runs, and its output passes the CPU check; timing gives sane samples.

mod common;

use chipbench::gpu::Context;
use chipbench::runner::sizing;
use chipbench::timing::{Budget, Method, PassTimer};
use chipbench::workloads::{CaseError, Workload};

#[test]
fn every_quick_case_runs_and_passes_its_check() {
    let Some((found, index)) = common::adapter() else {
        return;
    };
    let ctx = Context::open(&found, index).expect("open device");
    let budget = Budget {
        min_passes: 2,
        max_passes: 2,
        ..Budget::quick()
    };
    let mut ran = 0;
    for w in Workload::ALL {
        for case in w.plan(&sizing(&ctx.report, true)) {
            let label = format!("{} {} {}", w, case.variant, case.shape_label());
            match w.run(&ctx, &case, &budget) {
                Ok(m) => {
                    assert!(
                        m.check.passed && m.check.checked > 0,
                        "{label}: {:?}",
                        m.check
                    );
                    assert!(m.timing.median_ns > 0.0, "{label}");
                    ran += 1;
                }
                // Only a missing feature may excuse a case: f16, or cooperative matrices (which
                // lavapipe lacks) for the coop variants.
                Err(CaseError::Unsupported(why)) => assert!(
                    why.contains("lacks") || (!ctx.coop && case.variant.starts_with("coop")),
                    "{label}: unsupported: {why}"
                ),
                Err(CaseError::Failed(why, _)) => panic!("{label}: {why}"),
            }
        }
    }
    assert!(ran >= 8, "only {ran} cases ran");
}

#[test]
fn pass_timer_takes_calibrated_positive_samples() {
    let Some((found, index)) = common::adapter() else {
        return;
    };
    let ctx = Context::open(&found, index).expect("open device");
    let case = Workload::Fma.plan(&sizing(&ctx.report, true))[0].clone();
    let prepared = Workload::Fma.prepare(&ctx, &case).expect("prepare");
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
    if ctx.timestamps {
        assert_eq!(t.method, Method::GpuTimestamp);
    }
    // Twice the dispatches in one pass take longer: the timestamps bracket real work.
    let one = timer.pass(&|p| prepared.record(p), 1).expect("pass");
    let four = timer.pass(&|p| prepared.record(p), 4).expect("pass");
    assert!(four > one, "{four:?} vs {one:?}");
}

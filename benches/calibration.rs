//! Criterion benches for the derived figures analysts rerun most: the training-cost
//! calibration's nested leave-one-out validation (`cost --validate`), the serving calibration's
//! (`inference --validate`), and `compare` of two runs at the largest size a result file may
//! have (1,000 samples per case, 20,000 per file). Targets: under 1 s, 1 s and 2 s on a 2-core
//! machine.

mod common;

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};

use chipbench::compare::{Side, compare};
use chipbench::cost::{self, Context, Evidence, Tables};
use chipbench::model::RunResult;
use chipbench::policy::Database;
use chipbench::serve::{self, Calibration, figures::Figures};

fn benches(c: &mut Criterion) {
    let db = Database::load().expect("chip database");
    let tables = Tables::load(&db).expect("data tables");
    let mut group = c.benchmark_group("calibration");
    group.sample_size(10);
    group.bench_function("cost --validate", |b| {
        b.iter(|| {
            let evidence = Evidence::with_standing(&db, &Default::default(), Vec::new());
            let ctx = Context::new(&db, &tables, &evidence);
            let rows = cost::validate::validate(&ctx, None, false).expect("validates");
            assert!(rows.len() > 40);
        })
    });
    group.bench_function("inference --validate", |b| {
        b.iter(|| {
            let figures = Figures::load(&db, &tables.catalog).expect("figures");
            let points = serve::calibrate::points(&db, &tables.catalog, &figures).expect("points");
            let calibration = Calibration::of(&points).expect("calibration");
            let rows = serve::validate::validate(&db, &points, &calibration).expect("validates");
            assert!(rows.len() > 60);
        })
    });
    let largest = largest_result();
    let sides = [
        Side {
            argument: "a".into(),
            results: vec![largest.clone()],
        },
        Side {
            argument: "b".into(),
            results: vec![largest],
        },
    ];
    group.bench_function("compare two largest files", |b| {
        b.iter(|| assert!(!compare(&sides).comparisons.is_empty()))
    });
    group.finish();
}

/// The committed H200 run, its timed cases repeated with 1,000 samples each until the file
/// holds 20,000 samples: the most a valid result file may carry.
fn largest_result() -> RunResult {
    let mut r = RunResult::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(common::H200))
        .expect("committed run");
    let timed: Vec<_> = r
        .workloads
        .iter()
        .filter(|w| w.timing.is_some())
        .cloned()
        .collect();
    r.workloads = timed.into_iter().cycle().take(20).collect();
    for (i, w) in r.workloads.iter_mut().enumerate() {
        let t = w.timing.as_mut().expect("timed");
        let base = t.median_ns;
        t.samples_ns = (0..1000)
            .map(|k| base * (1.0 + 0.01 * ((k * 7 + i) % 13) as f64 / 13.0))
            .collect();
        w.variant = format!("{}-{i}", w.variant);
    }
    r
}

criterion_group!(calibration_benches, benches);
criterion_main!(calibration_benches);

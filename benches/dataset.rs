//! Criterion benches for the dataset: validating one result file (schema, id, plausibility)
//! and indexing 10,000 of them (the target: under 2 s on a 2-core machine).

mod common;

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};

use chipbench::dataset;
use chipbench::policy::Database;

const FILES: usize = 10_000;

fn benches(c: &mut Criterion) {
    let db = Database::load().expect("chip database");
    let one = Path::new(env!("CARGO_MANIFEST_DIR")).join(common::H200);
    c.bench_function("validate one result", |b| {
        b.iter(|| dataset::problems(&db, &one).expect("valid"))
    });
    let dir = common::corpus(FILES);
    let mut group = c.benchmark_group("index");
    group.sample_size(10);
    group.bench_function("10,000 results", |b| {
        b.iter(|| {
            let rows = dataset::index(&db, &dir, &Default::default());
            assert_eq!(rows.iter().map(|r| r.runs).max(), Some(FILES));
        })
    });
    group.finish();
}

criterion_group!(dataset_benches, benches);
criterion_main!(dataset_benches);

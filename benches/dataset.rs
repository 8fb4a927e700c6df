//! Criterion benches for the dataset: validating one result file (schema, id, plausibility)
//! and indexing 10,000 of them (the target: under 2 s on a 2-core machine).
//!
//! The 10,000 files are copies of the committed H200 result, each with its own contributor
//! text and id, written once to a scratch directory and reused across runs.

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};

use chipbench::dataset;
use chipbench::model::RunResult;
use chipbench::policy::Database;

const FILES: usize = 10_000;
const H200: &str = "results/nvidia/nvidia-h200/788c5ff8540abced7339f909a6e8162656f077571271ccf6faac048bbb59959e.json";

fn corpus() -> PathBuf {
    let dir = std::env::temp_dir().join("chipbench-bench-dataset");
    if dataset::files(&dir).len() == FILES {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let template =
        RunResult::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(H200)).expect("H200 result");
    for i in 0..FILES {
        let mut r = template.clone();
        r.contributor = Some(format!("bench copy {i}"));
        r.seal();
        r.write_atomic(&dataset::place(&dir, &r))
            .expect("write corpus");
    }
    dir
}

fn benches(c: &mut Criterion) {
    let db = Database::load().expect("chip database");
    let one = Path::new(env!("CARGO_MANIFEST_DIR")).join(H200);
    c.bench_function("validate one result", |b| {
        b.iter(|| dataset::problems(&db, &one).expect("valid"))
    });
    let dir = corpus();
    let mut group = c.benchmark_group("index");
    group.sample_size(10);
    group.bench_function("10,000 results", |b| {
        b.iter(|| {
            let rows = dataset::index(&db, &dir);
            assert_eq!(rows.iter().map(|r| r.runs).max(), Some(FILES));
        })
    });
    group.finish();
}

criterion_group!(dataset_benches, benches);
criterion_main!(dataset_benches);

//! Criterion bench for `dataset export`: 10,000 result files (about 240,000 cases and 7 million
//! timing samples) to Parquet and to CSV, streamed (the target: under 5 s on a 2-core machine).
//!
//! `CHIPBENCH_BENCH_RESULTS=100000 cargo bench --bench export` measures another size (the
//! corpus is written once, about 5 GB for 100,000 files); the default run stays at 10,000 so
//! that `cargo bench` stays short.

mod common;

use criterion::{Criterion, criterion_group, criterion_main};

use chipbench::dataset::export::{self, Format};
use chipbench::policy::Database;

fn benches(c: &mut Criterion) {
    let db = Database::load().expect("chip database");
    let files: usize = std::env::var("CHIPBENCH_BENCH_RESULTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let dir = common::corpus(files);
    let out = std::env::temp_dir().join("chipbench-bench-export");
    std::fs::create_dir_all(&out).expect("output folder");
    let mut group = c.benchmark_group("export");
    group.sample_size(10);
    for format in [Format::Parquet, Format::Csv] {
        let target = out.join(format!("dataset.{}", format.extension()));
        group.bench_function(format!("{files} results to {}", format.extension()), |b| {
            b.iter(|| {
                let done =
                    export::export(&db, &dir, format, &target, true, &|_, _| {}).expect("export");
                assert_eq!(done.runs, files);
            })
        });
    }
    group.finish();
}

criterion_group!(export_benches, benches);
criterion_main!(export_benches);

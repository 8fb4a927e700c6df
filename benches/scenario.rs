//! Criterion benches for control scenarios (the target: a sweep of 100 thresholds over every
//! chip in under 1 s on a 2-core machine). Two figures: the sweep alone, over workloads
//! computed once (what each added threshold costs), and the whole question as the command
//! answers it, DeepSeek-V3's training run and its serving load estimated on every chip first.

use criterion::{Criterion, criterion_group, criterion_main};

use chipbench::cost::{Compute, Tables};
use chipbench::policy::{Database, Rule};
use chipbench::scenario::{self, Buyer, Controls, Field, Load, Question, Train, Workloads};
use chipbench::serve;

fn benches(c: &mut Criterion) {
    let db = Database::load().expect("chip database");
    let tables = Tables::load(&db).expect("tables");
    let train = Train {
        compute: Compute::Model("deepseek-v3".into()),
        gpus: None,
    };
    let load = Load {
        model: "deepseek-v3".into(),
        request: serve::Request {
            batch: Some(64.0),
            ..serve::Request::deployment()
        },
    };
    let question = Question {
        rule: Controls::Vintage(Rule::Oct2023),
        baseline: Controls::Vintage(Rule::Jan2026),
        buyer: Buyer {
            restricted: true,
            case_by_case_granted: true,
        },
        as_of: Some("2024-06".parse().expect("a month")),
    };
    let range = (Field::Tpp, 1000.0, 8000.0);
    let work = Workloads::compute(&db, &tables, Some(&train), Some(&load)).expect("workloads");
    let mut group = c.benchmark_group("scenario sweep");
    group.sample_size(10);
    group.bench_function("100 TPP thresholds over every chip, workloads given", |b| {
        b.iter(|| {
            let s = scenario::sweep(&db, &work, &question, range, 100).expect("sweep");
            assert_eq!(s.steps.len(), 100);
        })
    });
    group.bench_function(
        "100 TPP thresholds over every chip, workloads estimated",
        |b| {
            b.iter(|| {
                let work =
                    Workloads::compute(&db, &tables, Some(&train), Some(&load)).expect("workloads");
                let s = scenario::sweep(&db, &work, &question, range, 100).expect("sweep");
                assert_eq!(s.steps.len(), 100);
            })
        },
    );
    group.finish();
}

criterion_group!(scenario_benches, benches);
criterion_main!(scenario_benches);

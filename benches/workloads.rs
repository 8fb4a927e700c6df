//! Criterion benchmarks of every workload case, timed on the GPU: `iter_custom` returns the
//! timestamp-query time of passes of N dispatches, so criterion's statistics describe kernel
//! time, not submission overhead. Every case's output is checked after it is benchmarked.
//!
//! Sizes: quick on a CPU adapter (lavapipe), the full GPU sizes on a GPU. Without any adapter
//! the bench prints why and measures nothing.

use std::cell::Cell;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use chipbench::bench::{self, Build};
use chipbench::device::{Context, DeviceChoice, PassTimer, discover};
use chipbench::model::bandwidth_bound;
use chipbench::run::sizing;

/// Most dispatches recorded into one pass; longer requests are split into several passes.
const MAX_PER_PASS: u64 = 256;

fn workloads(c: &mut Criterion) {
    let found = discover();
    let index = match found.select(&DeviceChoice::Default) {
        Ok(chosen) => chosen[0],
        Err(why) => {
            eprintln!("skipping the GPU benchmarks: {why}");
            return;
        }
    };
    let ctx = match Context::open(&found, index) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("skipping the GPU benchmarks: {e}");
            return;
        }
    };
    let timer = PassTimer::new(&ctx).expect("pass timer");
    let sizes = sizing(&ctx.info, ctx.info.is_cpu());
    for w in bench::ALL {
        let mut group = c.benchmark_group(w.id);
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        for case in (w.plan)(&sizes) {
            let mut prepared = match (w.prepare)(&ctx, &case, Build::default()) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("{w} {}: not benchmarked: {e:?}", case.variant);
                    continue;
                }
            };
            group.throughput(if bandwidth_bound(case.flops, case.bytes) {
                Throughput::Bytes(case.bytes as u64)
            } else {
                Throughput::Elements(case.flops as u64)
            });
            let name = format!("{}/{}", case.variant, case.shape_label().replace(' ', ","));
            // A bench left out by a filter never runs its kernel, so there is nothing to check.
            let ran = Cell::new(false);
            group.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    ran.set(true);
                    let mut total = Duration::ZERO;
                    let mut left = iters;
                    while left > 0 {
                        let n = left.min(MAX_PER_PASS);
                        total += timer
                            .pass(&|pass| prepared.record(pass), n as u32)
                            .expect("timed pass");
                        left -= n;
                    }
                    total
                })
            });
            if ran.get() {
                let check = prepared.verify(&ctx).expect("read back");
                assert!(
                    check.passed,
                    "{w} {}: check failed: {check:?}",
                    case.variant
                );
            }
        }
        group.finish();
    }
}

criterion_group!(benches, workloads);
criterion_main!(benches);

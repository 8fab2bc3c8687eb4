//! Sweep speed: seeds per second for a small teaching scenario (3 replicas, 2 clients, 5 operations,
//! random delays), all four models, every verdict, summarised, on one thread and on two; and the
//! same with the determinism self-check (`--check-determinism`: every run recorded, hashed and run
//! again).
//!
//! Run with `cargo bench --bench sweep`; throughput is in seeds per second.

use std::ops::ControlFlow;
use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kvsim::protocol::Model;
use kvsim::scenario::Scenario;
use kvsim::sweep::{summarise, sweep_checking_determinism, SeedRange, Seeds};

fn seeds_per_second(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/stale-read.json");
    let config = Scenario::load(&path).expect("the shipped scenario is valid");
    let seeds = Seeds::new(
        SeedRange {
            start: 0,
            end: 1_000,
        },
        None,
    );
    let mut group = c.benchmark_group("sweep-stale-read");
    group.throughput(Throughput::Elements(seeds.len()));
    for jobs in [1, 2] {
        group.bench_with_input(BenchmarkId::new("jobs", jobs), &jobs, |b, &jobs| {
            b.iter(|| summarise(&config, seeds, &Model::ALL, jobs, || {}).expect("threads start"))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("sweep-stale-read-check-determinism");
    group.throughput(Throughput::Elements(seeds.len()));
    group.sample_size(10);
    for jobs in [1, 2] {
        group.bench_with_input(BenchmarkId::new("jobs", jobs), &jobs, |b, &jobs| {
            b.iter(|| {
                sweep_checking_determinism(&config, seeds, &Model::ALL, jobs, |_| {
                    ControlFlow::Continue(())
                })
                .expect("threads start")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, seeds_per_second);
criterion_main!(benches);

//! Engine throughput: simulated events per second of wall time, per model, on the shipped largest
//! scenario (5 replicas, 21 clients × 10 ops) and on a ten-times-longer version of it.
//!
//! Run with `cargo bench --bench engine`; criterion reports the time per run and, from the event count
//! of each run, the throughput in events per second.

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kvsim::protocol::Model;
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::simulate;

fn largest() -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/largest.json");
    Scenario::load(&path).expect("the shipped largest scenario is valid")
}

fn engine(c: &mut Criterion) {
    let small = largest();
    let mut long = largest();
    if let Some(workload) = long.workload.as_mut() {
        workload.ops *= 10;
    }
    for (name, config) in [("largest", &small), ("largest-x10", &long)] {
        let mut group = c.benchmark_group(name);
        for model in Model::ALL {
            let events = simulate(config, model).stats.events;
            group.throughput(Throughput::Elements(events));
            group.bench_with_input(BenchmarkId::from_parameter(model), config, |b, config| {
                b.iter(|| simulate(config, model))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, engine);
criterion_main!(benches);

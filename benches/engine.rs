//! Engine throughput: simulated events per second of wall time, per model, on the shipped largest
//! scenario (5 replicas, 21 clients × 10 ops), on a ten-times-longer version of it, on a large
//! generated workload (5 replicas, 20 clients, 100,000 operations), with the full history recorded,
//! and on the same workload under faults (a nemesis, 5% loss, 5% duplication, client timeouts).
//! `workload-100k-events` runs the plain workload again recording every protocol event (what
//! `--trace` shows), to compare with `workload-100k`.
//!
//! The `workload-100k` group also times the yardstick, a bare hand-written event loop doing an
//! eventual store's work on the same workload (`bare-loop`, see `bare_loop/mod.rs`), so that each
//! model's rate can be read as a fraction of it, measured in the same run.
//!
//! Run with `cargo bench --bench engine`; criterion reports the time per run and, from the event count
//! of each run, the throughput in events per second. `cargo bench --bench yardstick` interleaves the
//! yardstick with the models and prints the ratios directly.

mod bare_loop;

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kvsim::protocol::Model;
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::{simulate, simulate_recording, Record};

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

fn large_workload(c: &mut Criterion) {
    let faulty = r#"{"seed": 1, "replicas": 5,
        "network": {"delay": {"uniform": [1, 10]}, "drop": 0.05, "duplicate": 0.05},
        "timeout": 200, "channels": {"retransmit": 40},
        "nemesis": {"until": 60000,
            "partitions": {"every": {"exponential": 2000}, "lasting": {"uniform": [50, 500]}},
            "crashes": {"every": {"exponential": 3000}, "lasting": {"uniform": [50, 500]}}},
        "workload": {"clients": 20, "ops": 5000, "keys": 10, "reads": 0.5, "think": {"uniform": [0, 5]}}}"#;
    workload_group(
        c,
        "workload-100k",
        bare_loop::WORKLOAD_100K,
        Record::Everything,
    );
    workload_group(c, "workload-100k-faults", faulty, Record::Everything);
    workload_group(
        c,
        "workload-100k-events",
        bare_loop::WORKLOAD_100K,
        Record::Events,
    );
}

fn workload_group(c: &mut Criterion, name: &str, json: &str, record: Record) {
    let config = Scenario::parse(json).unwrap().validate(name).unwrap();
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    // The yardstick does a plain run's work: neither faults nor recorded events.
    if !config.has_faults() && record == Record::Everything {
        let bare = bare_loop::run(&config);
        bare_loop::check_against(&bare, &simulate(&config, Model::Eventual));
        group.throughput(Throughput::Elements(bare.events));
        group.bench_with_input(
            BenchmarkId::from_parameter("bare-loop"),
            &config,
            |b, config| b.iter(|| bare_loop::run(config)),
        );
    }
    for model in Model::ALL {
        let events = simulate(&config, model).stats.events;
        group.throughput(Throughput::Elements(events));
        group.bench_with_input(BenchmarkId::from_parameter(model), &config, |b, config| {
            b.iter(|| simulate_recording(config, model, record))
        });
    }
    group.finish();
}

criterion_group!(benches, engine, large_workload);
criterion_main!(benches);

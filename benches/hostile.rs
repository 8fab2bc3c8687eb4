//! The inputs that used to abort kvsim or take gigabytes (issue 9), each at two sizes a factor of four
//! apart, so that the growth shows: time from Criterion, peak memory printed after each case's first
//! run (the process's high-water mark, so run one case at a time for its own figure:
//! `cargo bench --bench hostile -- 'hostile/clients/100000'`).
//!
//! - `keys`: a workload of one operation over 4,294,967,295 keys (keys are made when drawn);
//! - `clients`: N one-operation clients, every model simulated and checked;
//! - `timeouts`: 20 clients whose writes all time out under the sequential protocol, so each becomes a
//!   session of its own for the checkers; every property checked;
//! - `never-returned`: N writes of one client that never returned, every property checked;
//! - `one-key`: N writes to one key, one after another, every property checked;
//! - `iriw`: four clients that break sequential consistency, beside N one-operation clients on
//!   another key.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use kvsim::check::{check_all, sequential};
use kvsim::protocol::Model;
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::simulate;

#[path = "../tests/inputs/mod.rs"]
mod inputs;

/// The process's peak resident memory so far, in MB (Linux), or 0 where it cannot be read.
fn peak_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

fn config(json: &str) -> Config {
    Scenario::parse(json).unwrap().validate("bench").unwrap()
}

/// Simulates and checks every property, as `kvsim run` does.
fn run_and_check(config: &Config, models: &[Model]) -> usize {
    let mut decided = 0;
    for &model in models {
        let run = simulate(config, model);
        let verdicts = kvsim::check::check_run(&run);
        decided += usize::from(verdicts.sequential.ok.is_some());
    }
    decided
}

fn hostile(c: &mut Criterion) {
    let mut group = c.benchmark_group("hostile");
    group.sample_size(10);
    let all = [
        Model::Linearizable,
        Model::Sequential,
        Model::Causal,
        Model::Eventual,
    ];

    let keys = config(
        r#"{"replicas": 3, "workload": {"clients": 1, "ops": 1, "keys": 4294967295, "reads": 0.5}}"#,
    );
    group.bench_function("keys/4294967295", |b| b.iter(|| run_and_check(&keys, &all)));
    eprintln!("keys: peak {} MB", peak_mb());

    for clients in [25_000, 100_000] {
        let config = config(&format!(
            r#"{{"replicas": 3, "workload": {{"clients": {clients}, "ops": 1, "keys": 10, "reads": 0.5}}}}"#
        ));
        group.bench_with_input(BenchmarkId::new("clients", clients), &config, |b, c| {
            b.iter(|| run_and_check(c, &all))
        });
        eprintln!("clients {clients}: peak {} MB", peak_mb());
    }

    for ops in [1_250, 5_000] {
        let config = config(&format!(
            r#"{{"replicas": 3, "network": {{"delay": {{"constant": 50}}}}, "timeout": 10,
                "workload": {{"clients": 20, "ops": {ops}, "keys": 10, "reads": 0.5}}}}"#
        ));
        group.bench_with_input(BenchmarkId::new("timeouts", ops * 20), &config, |b, c| {
            b.iter(|| run_and_check(c, &[Model::Sequential]))
        });
        eprintln!("timeouts {}: peak {} MB", ops * 20, peak_mb());
    }

    for n in [50_000, 200_000] {
        let h = inputs::never_returned(n);
        group.bench_with_input(BenchmarkId::new("never-returned", n), &h, |b, h| {
            b.iter(|| check_all(h, None))
        });
        eprintln!("never-returned {n}: peak {} MB", peak_mb());
    }

    for n in [50_000, 200_000] {
        let h = inputs::one_key(n);
        group.bench_with_input(BenchmarkId::new("one-key", n), &h, |b, h| {
            b.iter(|| check_all(h, None))
        });
        eprintln!("one-key {n}: peak {} MB", peak_mb());
    }

    for n in [1_000, 4_000] {
        let h = inputs::iriw_beside(n);
        assert_eq!(sequential::check(&h).ok, Some(false));
        group.bench_with_input(BenchmarkId::new("iriw", n), &h, |b, h| {
            b.iter(|| sequential::check(h))
        });
        eprintln!("iriw {n}: peak {} MB", peak_mb());
    }
    group.finish();
}

criterion_group!(benches, hostile);
criterion_main!(benches);

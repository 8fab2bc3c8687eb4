//! Checker speed on generated histories of 1,000, 10,000 and 100,000 operations: 5 replicas, 20
//! clients, 10 keys, half reads. Each checker gets the history of the model it judges (so the
//! benchmark measures the search on a history that passes, the usual case): linearizable on a
//! linearizable run, sequential on a sequential run, causal and the session guarantees on a causal run.
//!
//! `sequential_alone` is the sequential checker without its causal and linearizable shortcuts: the
//! saturation and the solver on a history that is sequentially consistent and not linearizable.
//! `check_all` runs every checker the way `kvsim run` does, on a 100,000-operation run of each model.
//!
//! Run with `cargo bench --bench checkers`; throughput is in operations per second.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kvsim::check::{causal, check_all, linearizable, sequential, session, CheckHistory};
use kvsim::protocol::Model;
use kvsim::scenario::Scenario;
use kvsim::sim::simulate;

fn history(model: Model, operations: u32) -> CheckHistory {
    history_with_keys(model, operations, 10)
}

fn history_with_keys(model: Model, operations: u32, keys: u32) -> CheckHistory {
    let clients = 20;
    let json = format!(
        r#"{{"seed": 1, "replicas": 5, "network": {{"delay": {{"uniform": [1, 10]}}}},
            "workload": {{"clients": {clients}, "ops": {}, "keys": {keys}, "reads": 0.5, "think": {{"uniform": [0, 5]}}}}}}"#,
        operations / clients
    );
    let config = Scenario::parse(&json).unwrap().validate("bench").unwrap();
    CheckHistory::from_run(&simulate(&config, model).history)
}

fn checkers(c: &mut Criterion) {
    let mut group = c.benchmark_group("checkers");
    group.sample_size(10);
    for operations in [1_000, 10_000, 100_000] {
        group.throughput(Throughput::Elements(u64::from(operations)));
        let lin = history(Model::Linearizable, operations);
        let seq = history(Model::Sequential, operations);
        let cau = history(Model::Causal, operations);
        assert_eq!(linearizable::check(&lin).ok, Some(true));
        // What each search concludes matters as much as how long it takes: print it.
        eprintln!(
            "{operations} ops: linearizable {}, sequential {} ({:?}), causal {}",
            linearizable::check(&lin).word(),
            sequential::check(&seq).word(),
            sequential::check(&seq).anomaly,
            causal::check(&cau).word()
        );
        group.bench_with_input(
            BenchmarkId::new("linearizable", operations),
            &lin,
            |b, h| b.iter(|| linearizable::check(h)),
        );
        group.bench_with_input(BenchmarkId::new("sequential", operations), &seq, |b, h| {
            b.iter(|| sequential::check(h))
        });
        group.bench_with_input(
            BenchmarkId::new("sequential_alone", operations),
            &seq,
            |b, h| b.iter(|| sequential::check_alone(h)),
        );
        group.bench_with_input(BenchmarkId::new("causal", operations), &cau, |b, h| {
            b.iter(|| causal::check(h))
        });
        group.bench_with_input(
            BenchmarkId::new("causal_convergence", operations),
            &cau,
            |b, h| b.iter(|| causal::check_convergence(h)),
        );
        group.bench_with_input(BenchmarkId::new("sessions", operations), &cau, |b, h| {
            b.iter(|| session::check(h))
        });
    }
    group.finish();
}

/// Linearizability is local, so the search runs per key: with the operations fixed, more keys means
/// more, smaller searches.
fn linearizable_by_keys(c: &mut Criterion) {
    let mut group = c.benchmark_group("linearizable_by_keys");
    group.sample_size(10);
    for keys in [1, 10, 100] {
        let h = history_with_keys(Model::Linearizable, 10_000, keys);
        group.throughput(Throughput::Elements(h.ops.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(keys), &h, |b, h| {
            b.iter(|| linearizable::check(h))
        });
    }
    group.finish();
}

/// Every checker, as `kvsim run` calls them, on a 100,000-operation run of each model.
fn all_checkers(c: &mut Criterion) {
    let mut group = c.benchmark_group("check_all");
    group.sample_size(10);
    let operations = 100_000;
    group.throughput(Throughput::Elements(u64::from(operations)));
    for model in Model::ALL {
        let h = history(model, operations);
        let verdicts = check_all(&h, None);
        eprintln!(
            "check_all on a {} run: linearizable {}, sequential {}, causal {}",
            model.name(),
            verdicts.linearizable.word(),
            verdicts.sequential.word(),
            verdicts.causal.word()
        );
        group.bench_with_input(BenchmarkId::from_parameter(model.name()), &h, |b, h| {
            b.iter(|| check_all(h, None))
        });
    }
    group.finish();
}

criterion_group!(benches, checkers, linearizable_by_keys, all_checkers);
criterion_main!(benches);

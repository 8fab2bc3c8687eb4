//! Checker speed on histories shaped like the Jepsen etcd and kv tests that Porcupine is measured on:
//! one register read, written and compare-and-set by 5 processes with the values 0..4 (so values
//! repeat all the time), a process that times out replaced by a new one and its write or
//! compare-and-set left pending (it took effect or not); and get/put/append over 10 keys by 50
//! clients. Porcupine checks its 102 etcd histories (100–1,000 operations) in about a second, the
//! slowest in a third of one, and a 50-client kv log (about 1,700 operations) in 0.4 s.
//!
//! The histories are generated: every operation takes effect at a random instant between its call
//! and return on one register, so they are linearizable; a `broken` one has one read changed to
//! another value the key held.
//! Run with `cargo bench --bench updates`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use kvsim::check::history::RawOp;
use kvsim::check::{check_all, linearizable, sequential, CheckHistory};
use kvsim::ids::ClientId;
use kvsim::op::{Op, OpKind, Value};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a generated history looks like.
#[derive(Clone, Copy)]
struct Shape {
    operations: usize,
    /// Concurrent processes (each replaced by a new client when it times out).
    processes: usize,
    keys: usize,
    /// The chance that an operation never returns.
    timeouts: f64,
    /// Appends instead of compare-and-sets (the kv shape).
    appends: bool,
}

/// A generated history: every operation takes effect on one store at a random instant between its
/// call and return (one that never returns, half the time not at all), and answers accordingly. With
/// `broken`, one read in the middle returns another value.
fn generate(seed: u64, shape: Shape, broken: bool) -> CheckHistory {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut free = vec![0u64; shape.processes];
    let mut client_of: Vec<u32> = (0..shape.processes as u32).collect();
    let mut next_client = shape.processes as u32;
    let mut planned: Vec<(RawOp, Op, Option<u64>)> = Vec::new();
    for i in 0..shape.operations {
        let p = (0..shape.processes).min_by_key(|&p| free[p]).unwrap_or(0);
        let key: Value = format!("k{}", rng.random_range(0..shape.keys)).into();
        let small = |rng: &mut ChaCha8Rng| -> Value { rng.random_range(0..5).to_string().into() };
        let op = match rng.random_range(0..3) {
            0 => Op::Get { key: key.clone() },
            1 if shape.appends => Op::Put {
                key: key.clone(),
                value: format!("p{i} ").into(),
            },
            1 => Op::Put {
                key: key.clone(),
                value: small(&mut rng),
            },
            _ if shape.appends => Op::Append {
                key: key.clone(),
                value: format!("e{i} ").into(),
            },
            _ => Op::Cas {
                key: key.clone(),
                expected: Some(small(&mut rng)),
                new: small(&mut rng),
            },
        };
        let invoked = free[p] + rng.random_range(0..5);
        let returned = invoked + rng.random_range(1..50);
        let pending = rng.random_bool(shape.timeouts);
        let effect =
            (!pending || rng.random_bool(0.5)).then(|| rng.random_range(invoked..=returned));
        let client = client_of[p];
        if pending {
            client_of[p] = next_client;
            next_client += 1;
        }
        free[p] = returned + 1;
        planned.push((
            RawOp {
                client: ClientId(client),
                kind: op.kind(),
                key,
                value: op.argument().cloned(),
                expected: match &op {
                    Op::Cas { expected, .. } => Some(expected.clone()),
                    _ => None,
                },
                seen: None,
                invoked_at: invoked,
                returned_at: (!pending).then_some(returned),
            },
            op,
            effect,
        ));
    }
    let mut order: Vec<usize> = (0..planned.len())
        .filter(|&i| planned[i].2.is_some())
        .collect();
    order.sort_by_key(|&i| (planned[i].2, i));
    let mut store: std::collections::HashMap<Value, Value> = Default::default();
    for i in order {
        let (raw, op, _) = &mut planned[i];
        let effect = op.evaluate(store.get(op.key()));
        if let Some(write) = effect.write {
            store.insert(op.key().clone(), write);
        }
        match op {
            Op::Get { .. } => raw.value = effect.value,
            Op::Cas { .. } if !effect.ok && raw.returned_at.is_some() => {
                raw.seen = Some(effect.value)
            }
            _ => {}
        }
    }
    let rows: Vec<RawOp> = planned.into_iter().map(|(raw, _, _)| raw).collect();
    if broken {
        // A read from the middle on answers what the key held earlier: another small value, or an
        // appended string without its last element — a stale read, as a buggy store gives. The
        // first such change that breaks linearizability (many do not: the value may also fit).
        let reads: Vec<usize> = (rows.len() / 2..rows.len())
            .filter(|&i| rows[i].kind == OpKind::Get && rows[i].returned_at.is_some())
            .take(50)
            .collect();
        for i in reads {
            let value = rows[i].value.clone().unwrap_or_default();
            let earlier: Vec<Option<Value>> = if shape.appends {
                let cut = value.trim_end().rfind(' ').map_or(0, |cut| cut + 1);
                vec![(cut > 0).then(|| value[..cut].into())]
            } else {
                let v = value.parse::<u32>().unwrap_or(0);
                (1..5)
                    .map(|d| Some(((v + d) % 5).to_string().into()))
                    .collect()
            };
            for changed in earlier {
                let mut candidate = rows.clone();
                candidate[i].value = changed;
                let h = CheckHistory::new(candidate);
                if linearizable::check(&h).ok == Some(false) {
                    return h;
                }
            }
        }
    }
    CheckHistory::new(rows)
}

const ETCD: Shape = Shape {
    operations: 1_000,
    processes: 5,
    keys: 1,
    timeouts: 0.05,
    appends: false,
};

/// The etcd shape: a batch like Porcupine's (operations 100..1,000), and single histories, with
/// more timeouts, and broken (where one can be: with timeouts, a pending write of every value is
/// usually open, and any read fits).
fn etcd(c: &mut Criterion) {
    let mut group = c.benchmark_group("etcd");
    group.sample_size(10);
    let batch: Vec<CheckHistory> = (0..20u64)
        .map(|seed| {
            let operations = 100 + (seed as usize * 47) % 901;
            generate(seed, Shape { operations, ..ETCD }, seed % 7 == 3)
        })
        .collect();
    let words: Vec<&str> = batch
        .iter()
        .map(|h| check_all(h, None).linearizable.word())
        .collect();
    eprintln!("etcd batch of 20: linearizable {words:?}");
    group.bench_function("batch_of_20_check_all", |b| {
        b.iter(|| {
            batch
                .iter()
                .filter(|h| check_all(h, None).linearizable.ok == Some(true))
                .count()
        })
    });
    for (name, shape, broken) in [
        ("1000_ops", ETCD, false),
        ("1000_ops_broken", ETCD, true),
        (
            "1000_ops_no_timeouts_broken",
            Shape {
                timeouts: 0.0,
                ..ETCD
            },
            true,
        ),
        (
            "1000_ops_20pc_pending",
            Shape {
                timeouts: 0.2,
                ..ETCD
            },
            false,
        ),
        (
            "1000_ops_20pc_pending_broken",
            Shape {
                timeouts: 0.2,
                ..ETCD
            },
            true,
        ),
    ] {
        let h = generate(1, shape, broken);
        let verdicts = check_all(&h, None);
        eprintln!(
            "etcd {name}: linearizable {} ({:?}), sequential {}, causal {}",
            verdicts.linearizable.word(),
            verdicts.linearizable.anomaly,
            verdicts.sequential.word(),
            verdicts.causal.word()
        );
        group.bench_with_input(BenchmarkId::new("linearizable", name), &h, |b, h| {
            b.iter(|| linearizable::check(h))
        });
        group.bench_with_input(BenchmarkId::new("check_all", name), &h, |b, h| {
            b.iter(|| check_all(h, None))
        });
    }
    group.finish();
}

/// The kv shape: get, put and append over 10 keys, 50 clients, 1,700 operations.
fn kv(c: &mut Criterion) {
    let mut group = c.benchmark_group("kv");
    group.sample_size(10);
    let shape = Shape {
        operations: 1_700,
        processes: 50,
        keys: 10,
        timeouts: 0.0,
        appends: true,
    };
    for (name, broken) in [("50_clients", false), ("50_clients_broken", true)] {
        let h = generate(2, shape, broken);
        let verdicts = check_all(&h, None);
        eprintln!(
            "kv {name}: linearizable {} ({:?}), sequential {}, causal {}",
            verdicts.linearizable.word(),
            verdicts.linearizable.anomaly,
            verdicts.sequential.word(),
            verdicts.causal.word()
        );
        group.bench_with_input(BenchmarkId::new("linearizable", name), &h, |b, h| {
            b.iter(|| linearizable::check(h))
        });
        group.bench_with_input(BenchmarkId::new("sequential", name), &h, |b, h| {
            b.iter(|| sequential::check_alone(h))
        });
        group.bench_with_input(BenchmarkId::new("check_all", name), &h, |b, h| {
            b.iter(|| check_all(h, None))
        });
    }
    group.finish();
}

criterion_group!(benches, etcd, kv);
criterion_main!(benches);

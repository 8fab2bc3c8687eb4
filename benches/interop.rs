//! `kvsim check` as a whole process, on histories shaped like the ones other checkers are measured on.
//!
//! - **etcd-shaped**: 102 histories of one register with reads, writes and compare-and-sets over the
//!   values 0 … 4, five clients, 100 to 1,000 operations each, and operations left without an answer by
//!   clients that gave up during partitions — the shape of Jepsen's etcd tests, on which Porcupine is
//!   usually measured (about 1 s for 102 histories, the slowest about 0.33 s).
//! - **kv-shaped**: gets, puts and appends over 10 keys with 1, 10 and 50 clients (the 50-client
//!   history about 1,700 operations), each also from a sequential run that is not linearizable — the
//!   shape of Porcupine's key-value logs (about 0.4 s for all of them).
//!
//! kvsim's own simulator writes them: most from linearizable runs, some from sequential runs, whose
//! stale reads make histories that are not linearizable. Clients sit 1 to 3 ms from their replica, as
//! real clients do, so no operation takes no time at all; about 4% of the etcd-shaped operations are
//! left without an answer. Each history is written as JSON lines into
//! `target/interop-histories/`, and each measurement spawns `kvsim check FILE --model linearizable`
//! once per file, so process start, reading and parsing are counted. The verdicts are printed, with the
//! slowest file.
//!
//! Run with `cargo bench --bench interop`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use kvsim::protocol::Model;
use kvsim::scenario::Scenario;
use kvsim::sim::simulate;

/// One generated history file, and the model whose run wrote it.
struct HistoryFile {
    path: PathBuf,
    model: Model,
}

fn write_history(dir: &Path, name: &str, scenario: &str, model: Model) -> HistoryFile {
    let config = Scenario::parse(scenario)
        .expect("the bench's scenario parses")
        .validate(name)
        .expect("the bench's scenario is valid");
    let run = simulate(&config, model);
    let mut lines = String::new();
    for op in &run.history {
        lines.push_str(&serde_json::to_string(op).expect("operations serialize"));
        lines.push('\n');
    }
    let path = dir.join(format!("{name}.jsonl"));
    std::fs::write(&path, lines).expect("the bench can write into target/");
    HistoryFile { path, model }
}

/// Seed `seed`'s etcd-shaped history: 5 clients of 20 to 200 operations on one key, values 0 … 4,
/// partitions that make clients give up after 50 ms. One seed in eight runs sequential replicas.
fn etcd_shaped(dir: &Path, seed: u64) -> HistoryFile {
    let ops = 20 + (seed * 37) % 181;
    let scenario = format!(
        r#"{{"seed": {seed}, "replicas": 5, "timeout": 50,
            "network": {{"delay": {{"uniform": [1, 10]}}, "client_delay": {{"uniform": [1, 3]}}}},
            "nemesis": {{"until": 2000,
                         "partitions": {{"every": {{"exponential": 1000}}, "lasting": {{"uniform": [20, 100]}}}}}},
            "workload": {{"clients": 5, "ops": {ops}, "keys": 1, "values": 5,
                          "reads": 0.34, "cas": 0.33, "think": {{"uniform": [0, 10]}}}}}}"#
    );
    let model = if seed.is_multiple_of(8) {
        Model::Sequential
    } else {
        Model::Linearizable
    };
    write_history(dir, &format!("etcd-{seed:03}"), &scenario, model)
}

/// The kv-shaped history of `clients` clients, from a run of `model`.
fn kv_shaped(dir: &Path, clients: u32, model: Model) -> HistoryFile {
    let ops = match clients {
        1 => 400,
        10 => 100,
        _ => 34,
    };
    let scenario = format!(
        r#"{{"seed": {clients}, "replicas": 3,
            "network": {{"delay": {{"uniform": [1, 10]}}, "client_delay": {{"uniform": [1, 3]}}}},
            "workload": {{"clients": {clients}, "ops": {ops}, "keys": 10,
                          "reads": 0.34, "append": 0.33, "think": {{"uniform": [0, 5]}}}}}}"#
    );
    write_history(dir, &format!("kv-c{clients:02}-{model}"), &scenario, model)
}

/// Runs `kvsim check` on `file`; returns how long it took and the verdict word.
fn check(file: &HistoryFile) -> (Duration, &'static str) {
    let start = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_kvsim"))
        .args(["check", "--model", "linearizable"])
        .arg(&file.path)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("kvsim starts");
    let verdict = match status.code() {
        Some(0) => "holds",
        Some(1) => "broken",
        Some(3) => "unknown",
        _ => panic!("kvsim check {} failed: {status}", file.path.display()),
    };
    (start.elapsed(), verdict)
}

/// Checks every file once, printing the verdicts by the model that wrote them, the total and the
/// slowest file.
fn report(name: &str, files: &[HistoryFile]) {
    let mut total = Duration::ZERO;
    let mut slowest = (Duration::ZERO, "");
    let mut tally = std::collections::BTreeMap::new();
    for file in files {
        let (took, verdict) = check(file);
        total += took;
        if took > slowest.0 {
            slowest = (
                took,
                file.path.file_name().and_then(|n| n.to_str()).unwrap_or(""),
            );
        }
        *tally.entry((file.model.name(), verdict)).or_insert(0) += 1;
    }
    eprintln!(
        "{name}: {} files, {:.3} s in all, slowest {} {:.3} s; verdicts (model that wrote it, verdict): {tally:?}",
        files.len(),
        total.as_secs_f64(),
        slowest.1,
        slowest.0.as_secs_f64()
    );
}

fn interop(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/interop-histories");
    std::fs::create_dir_all(&dir).expect("the bench can write into target/");
    let etcd: Vec<HistoryFile> = (0..102).map(|seed| etcd_shaped(&dir, seed)).collect();
    let mut kv = Vec::new();
    for clients in [1, 10, 50] {
        for model in [Model::Linearizable, Model::Sequential] {
            kv.push(kv_shaped(&dir, clients, model));
        }
    }
    report("etcd-shaped", &etcd);
    report("kv-shaped", &kv);

    let mut group = c.benchmark_group("interop");
    group.sample_size(10);
    group.bench_function("etcd-shaped-102-histories", |b| {
        b.iter(|| {
            for file in &etcd {
                check(file);
            }
        })
    });
    group.bench_function("kv-shaped-6-histories", |b| {
        b.iter(|| {
            for file in &kv {
                check(file);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, interop);
criterion_main!(benches);

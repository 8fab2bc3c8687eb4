//! The real transport's speed: a 3-replica cluster of `kvsim replica` processes on 127.0.0.1, without
//! injected delays, under each model — operations per second and p50/p99 latency — beside the
//! latency the simulator predicts for the same scenario over its simulated network.
//!
//! The workload: 12 closed-loop clients (4 per replica), 250 operations each with no think time, over
//! 5 keys, half reads. Each model runs `RUNS` times as a whole cluster (`kvsim::net::cluster`, which
//! spawns the release `kvsim` binary); the table gives the median run by throughput. Real latencies
//! are measured per operation in microseconds by the clients; the simulated ones are in the
//! scenario's simulated milliseconds (its links take 1 to 10 ms, so they show what the protocol
//! costs in round trips, not what loopback TCP costs).
//!
//! Run with `cargo bench --bench net`.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use kvsim::check::check_run;
use kvsim::history::Operation;
use kvsim::net::cluster::{run_cluster, ClusterOptions, RealRun};
use kvsim::protocol::Model;
use kvsim::run::nearest_rank;
use kvsim::scenario::Scenario;
use kvsim::sim::simulate;

/// How many times each model's cluster runs.
const RUNS: usize = 3;

const SCENARIO: &str = r#"{
    "description": "The real-transport benchmark: 3 replicas, 12 clients x 250 operations, 5 keys, half reads, no think time.",
    "seed": 1,
    "replicas": 3,
    "network": {"delay": {"uniform": [1, 10]}},
    "workload": {"clients": 12, "ops": 250, "keys": 5, "reads": 0.5}
}"#;

fn main() {
    let path: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("net-bench.json");
    std::fs::write(&path, SCENARIO).expect("the bench can write into target/");
    let config = Scenario::load(&path).expect("the bench's scenario is valid");
    println!(
        "3 replicas on 127.0.0.1, no injected delays; 12 clients x 250 operations; median of {RUNS} runs"
    );
    println!(
        "{:<13} {:>7} | {:>15} {:>15} | {:>15} {:>15} | own guarantee",
        "model", "ops/s", "reads p50/p99", "writes p50/p99", "sim reads", "sim writes",
    );
    for model in Model::ALL {
        let options = ClusterOptions {
            exe: PathBuf::from(env!("CARGO_BIN_EXE_kvsim")),
            scenario: path.clone(),
            model,
            delays: false,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            deadline: Duration::from_secs(300),
        };
        let mut runs: Vec<RealRun> = (0..RUNS)
            .map(|_| run_cluster(&config, &options).expect("the cluster runs"))
            .collect();
        runs.sort_by(|a, b| throughput(a).total_cmp(&throughput(b)));
        let median = &runs[RUNS / 2];
        let real = |writes: bool| {
            let latencies = median
                .latencies_us
                .iter()
                .filter(|(kind, _)| kind.may_write() == writes)
                .map(|&(_, us)| us);
            percentiles(latencies.collect(), "µs")
        };
        let simulated = simulate(&config, model);
        let sim = |writes: bool| {
            let latencies = simulated
                .history
                .iter()
                .filter(|op| op.op.may_write() == writes)
                .filter_map(Operation::latency);
            percentiles(latencies.collect(), "ms")
        };
        let verdicts = check_run(&median.run);
        let own = match model {
            Model::Linearizable => &verdicts.linearizable,
            Model::Sequential => &verdicts.sequential,
            Model::Causal => &verdicts.causal,
            Model::Eventual => &verdicts.convergent,
        };
        println!(
            "{:<13} {:>7.0} | {:>15} {:>15} | {:>15} {:>15} | {}",
            model.name(),
            throughput(median),
            real(false),
            real(true),
            sim(false),
            sim(true),
            own.word()
        );
    }
}

/// `p50/p99 unit` of some latencies.
fn percentiles(mut latencies: Vec<u64>, unit: &str) -> String {
    latencies.sort_unstable();
    let p50 = nearest_rank(&latencies, 50);
    let p99 = nearest_rank(&latencies, 99);
    format!("{p50}/{p99} {unit}")
}

/// Operations answered per second of the clients' time.
fn throughput(run: &RealRun) -> f64 {
    run.latencies_us.len() as f64 / run.clients_took.as_secs_f64()
}

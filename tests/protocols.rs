//! Whole-run properties of each protocol, over many seeds of a generated workload. The full checkers
//! come with the checker work; these are the invariants the protocols are built on.

use std::collections::BTreeMap;

use kvsim::protocol::clocks::Stamp;
use kvsim::protocol::Model;
use kvsim::run::{Run, Stop};
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::simulate;

const SEEDS: u64 = 100;

fn workload(seed: u64, fifo: bool) -> Config {
    let json = format!(
        r#"{{"seed": {seed}, "replicas": 4,
            "network": {{"delay": {{"exponential": 6}}, "fifo": {fifo}}},
            "workload": {{"clients": 6, "ops": 12, "keys": 3, "reads": 0.4,
                          "think": {{"uniform": [0, 4]}}, "switch": 0.2}}}}"#
    );
    Scenario::parse(&json).unwrap().validate("sweep").unwrap()
}

fn committed_stamps(run: &Run) -> Vec<Vec<Stamp>> {
    run.replicas
        .iter()
        .map(|r| r.committed.iter().map(|c| c.stamp).collect())
        .collect()
}

#[test]
fn every_run_ends_idle_with_every_operation_answered() {
    for seed in 0..SEEDS {
        let config = workload(seed, true);
        for model in Model::ALL {
            let run = simulate(&config, model);
            assert_eq!(run.stats.stopped, Stop::Idle, "seed {seed}, {model}");
            assert_eq!(run.stats.completed, 6 * 12, "seed {seed}, {model}");
        }
    }
}

#[test]
fn total_order_replicas_commit_the_same_sequence_in_stamp_order() {
    for seed in 0..SEEDS {
        let config = workload(seed, true);
        for model in [Model::Linearizable, Model::Sequential] {
            let stamps = committed_stamps(&simulate(&config, model));
            for (i, replica) in stamps.iter().enumerate() {
                assert_eq!(
                    replica, &stamps[0],
                    "seed {seed}, {model}: r{i} committed another order"
                );
                assert!(
                    replica.windows(2).all(|w| w[0] < w[1]),
                    "seed {seed}, {model}: not in stamp order"
                );
            }
        }
    }
}

#[test]
fn all_replicas_converge_under_every_model() {
    for seed in 0..SEEDS {
        let config = workload(seed, true);
        for model in Model::ALL {
            assert!(
                simulate(&config, model).converged(),
                "seed {seed}, {model}: stores differ"
            );
        }
    }
}

#[test]
fn eventual_converges_even_without_fifo_links() {
    for seed in 0..SEEDS {
        assert!(
            simulate(&workload(seed, false), Model::Eventual).converged(),
            "seed {seed}"
        );
    }
}

#[test]
fn causal_replicas_apply_each_origins_writes_in_order() {
    // Vector-clock delivery implies at least FIFO delivery per origin, even when links reorder.
    for seed in 0..SEEDS {
        let run = simulate(&workload(seed, false), Model::Causal);
        for replica in &run.replicas {
            let mut last: BTreeMap<_, Stamp> = BTreeMap::new();
            for commit in &replica.committed {
                let origin = commit.stamp.replica;
                if let Some(previous) = last.insert(origin, commit.stamp) {
                    assert!(
                        previous < commit.stamp,
                        "seed {seed}: {} applied {origin}'s writes out of order",
                        replica.id
                    );
                }
            }
        }
    }
}

#[test]
fn linearizable_reads_are_committed_but_sequential_reads_are_not() {
    let config = workload(7, true);
    let reads = |model| {
        simulate(&config, model).replicas[0]
            .committed
            .iter()
            .filter(|c| c.op == kvsim::op::OpKind::Get)
            .count()
    };
    assert!(reads(Model::Linearizable) > 0);
    assert_eq!(reads(Model::Sequential), 0);
}

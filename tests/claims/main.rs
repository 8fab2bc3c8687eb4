//! Every shipped scenario's description, held to its run: one test per claim a description makes
//! (which read returns what, which replica holds what, which model breaks which property), so a
//! protocol change that makes a description untrue fails here, not in a lecture. Sentences about
//! single messages and replicas' decisions (a packet that overtakes another, a write held back
//! until its dependency arrives, a retry due at a given time) are read from the run's recorded
//! event log, through [`log`].
//!
//! A snapshot says *that* an output changed; these tests say *which promise* broke. Each module
//! covers a family of scenarios (`messages` and `channels` the message-level claims); [`every_shipped_scenario_has_its_claims_tested`] keeps a new
//! scenario from shipping without them.

mod channels;
mod faults;
mod log;
mod messages;
mod sessions;
mod teaching;
mod updates;

use std::path::Path;

use kvsim::check::{check_run, Property, Verdicts};
use kvsim::history::Operation;
use kvsim::ids::{ClientId, ReplicaId, Time};
use kvsim::op::OpKind;
use kvsim::protocol::Model;
use kvsim::run::Run;
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::simulate;

/// The scenarios the modules of this test cover, by file name without `.json`.
const TESTED: [&str; 20] = [
    "causal-chain",
    "concurrent-writes-orders",
    "crash-restart",
    "eventual-convergence",
    "largest",
    "loss-duplication",
    "lost-append",
    "lost-own-write",
    "lost-update",
    "monotonic-reads",
    "monotonic-writes",
    "partition",
    "partition-never-heals",
    "read-your-writes",
    "reordering",
    "reordering-guarded",
    "stale-read",
    "tob-concurrent-writes",
    "tob-m1-delayed",
    "writes-follow-reads",
];

/// The scenario `scenarios/NAME.json`, validated.
pub fn scenario(name: &str) -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.json"));
    Scenario::load(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// One model's run of a scenario, with the verdicts `kvsim run` prints for it.
pub struct Outcome {
    pub run: Run,
    pub verdicts: Verdicts,
}

/// Runs the shipped scenario `name` under `model`.
pub fn run(name: &str, model: Model) -> Outcome {
    run_config(&scenario(name), model)
}

/// Runs `config` under `model` and judges the run.
pub fn run_config(config: &Config, model: Model) -> Outcome {
    let run = simulate(config, model);
    let verdicts = check_run(&run);
    Outcome { run, verdicts }
}

impl Outcome {
    /// The `n`-th operation (from 0) client `client` invoked.
    pub fn op(&self, client: u32, n: usize) -> &Operation {
        self.run
            .history
            .iter()
            .filter(|o| o.client == ClientId(client))
            .nth(n)
            .unwrap_or_else(|| panic!("client {client} has no operation {n}"))
    }

    /// What the `n`-th operation of `client`, a read answered in time, returned (`None`: null).
    pub fn read(&self, client: u32, n: usize) -> Option<&str> {
        let op = self.op(client, n);
        assert_eq!(op.op, OpKind::Get, "client {client}'s op {n} is a read");
        assert!(
            op.returned_at.is_some(),
            "client {client}'s op {n} was answered in time: {op:?}"
        );
        op.value.as_deref()
    }

    /// Whether the `n`-th operation of `client` timed out: its client gave up on it.
    pub fn timed_out(&self, client: u32, n: usize) -> bool {
        let op = self.op(client, n);
        op.gave_up_at.is_some() && op.returned_at.is_none()
    }

    /// When the `n`-th operation of `client` was invoked.
    pub fn invoked_at(&self, client: u32, n: usize) -> Time {
        self.op(client, n).invoked_at
    }

    /// When the `n`-th operation of `client` was answered, if in time.
    pub fn returned_at(&self, client: u32, n: usize) -> Option<Time> {
        self.op(client, n).returned_at
    }

    /// Replica `replica`'s final value of `key` (`None`: missing).
    pub fn store(&self, replica: u32, key: &str) -> Option<&str> {
        self.run.replicas[replica as usize]
            .store
            .get(key)
            .map(|v| &**v)
    }

    /// The writes replica `replica` applied, in order, as `key=value`, with `!` after one that
    /// last-writer-wins superseded.
    pub fn writes_applied(&self, replica: u32) -> Vec<String> {
        let replica = &self.run.replicas[ReplicaId(replica).index()];
        let mut writes = Vec::new();
        for entry in &replica.committed {
            if entry.op == OpKind::Put {
                let value = entry.value.as_deref().unwrap_or("");
                let mark = if entry.superseded { "!" } else { "" };
                writes.push(format!("{}={value}{mark}", entry.key));
            }
        }
        writes
    }

    /// When replica `replica` applied the write of `value` to `key`.
    pub fn applied_at(&self, replica: u32, key: &str, value: &str) -> Time {
        self.run.replicas[replica as usize]
            .committed
            .iter()
            .find(|e| e.op == OpKind::Put && &*e.key == key && e.value.as_deref() == Some(value))
            .unwrap_or_else(|| panic!("r{replica} never applied {key} = {value}"))
            .at
    }

    /// Whether every replica ended with the same store.
    pub fn stores_agree(&self) -> bool {
        let first = &self.run.replicas[0].store;
        self.run.replicas.iter().all(|r| &r.store == first)
    }

    /// Asserts that `property` holds.
    pub fn holds(&self, property: Property) {
        let verdict = self.verdicts.get(property);
        assert_eq!(
            verdict.ok,
            Some(true),
            "{} under {}: {verdict:?}",
            property.name(),
            self.run.model
        );
    }

    /// Asserts that `property` is broken, and returns the anomaly the checker named.
    pub fn broken(&self, property: Property) -> &str {
        let verdict = self.verdicts.get(property);
        assert_eq!(
            verdict.ok,
            Some(false),
            "{} under {}: {verdict:?}",
            property.name(),
            self.run.model
        );
        verdict.anomaly.as_deref().unwrap_or("")
    }

    /// The operations the witness of `property` names, each as (client, its `n`-th operation): by
    /// the verdict's operation indices, not its words, which may be reworded.
    pub fn witness_ops(&self, property: Property) -> Vec<(u32, usize)> {
        let mut named = Vec::new();
        for &index in &self.verdicts.get(property).operations {
            let op = &self.run.history[index];
            let before = &self.run.history[..index];
            let n = before.iter().filter(|o| o.client == op.client).count();
            named.push((op.client.0, n));
        }
        named
    }
}

/// The nearest-rank 99th percentile of the latencies of the answered operations of `kind`.
pub fn p99(outcome: &Outcome, kind: OpKind) -> Time {
    let mut latencies: Vec<Time> = outcome
        .run
        .history
        .iter()
        .filter(|o| o.op == kind)
        .filter_map(Operation::latency)
        .collect();
    latencies.sort_unstable();
    kvsim::run::nearest_rank(&latencies, 99)
}

/// A scenario added to `scenarios/` is a promise to students: it must come with tests of what its
/// description claims, in one of this test's modules, and be listed in [`TESTED`].
#[test]
fn every_shipped_scenario_has_its_claims_tested() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut shipped: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    shipped.sort();
    assert_eq!(
        shipped, TESTED,
        "scenarios without claims tests, or tests of a removed scenario"
    );
}

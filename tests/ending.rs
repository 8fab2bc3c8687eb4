//! A run's ending tells the truth: over thousands of seeds in which one replica crashes and never
//! restarts, a run says `idle` only when it is finished — every channel's messages acknowledged,
//! every client done, and so the stores agree — and says `stalled` only when something is left
//! unfinished.
//!
//! The seeds spread the crash over the whole workload and after it, so that both endings occur:
//! a crash before the replicas are quiet leaves writes unacknowledged, one after leaves nothing
//! behind. A failure prints the seed and the whole scenario, so that `kvsim run scenario.json`
//! replays it. `KVSIM_SEEDS=5000 cargo test --release --test ending` sweeps more seeds.

use kvsim::protocol::Model;
use kvsim::run::{Run, Stop};
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::simulate;

/// How many seeds each model runs, unless `KVSIM_SEEDS` says otherwise.
const SEEDS: u64 = 2_000;

fn seeds() -> u64 {
    match std::env::var("KVSIM_SEEDS") {
        Ok(seeds) => seeds
            .parse()
            .unwrap_or_else(|_| panic!("KVSIM_SEEDS={seeds} is not a number of seeds")),
        Err(_) => SEEDS,
    }
}

/// Three replicas on a lossy, duplicating network with random delays; replica `seed % 3` crashes at
/// a time spread over [0, 800) and never restarts. Two seeds in five also cut the crashing replica
/// off from the next one, one way, until shortly after the crash. Even seeds give clients a timeout,
/// odd ones let them wait for ever.
fn scenario(seed: u64) -> String {
    let crashed = seed % 3;
    let at = seed * 7919 % 800;
    let mut faults = vec![format!(r#"{{"at": {at}, "crash": {crashed}}}"#)];
    if seed % 5 < 2 {
        let cut = format!(
            r#"{{"at": {}, "partition_oneway": {{"from": [{crashed}], "to": [{}]}}}}"#,
            at / 2,
            (crashed + 1) % 3
        );
        faults.insert(0, cut);
        faults.push(format!(r#"{{"at": {}, "heal": true}}"#, at + 20));
    }
    let timeout = if seed.is_multiple_of(2) {
        r#""timeout": 100,"#
    } else {
        ""
    };
    format!(
        r#"{{"seed": {seed}, "replicas": 3, {timeout}
  "network": {{"delay": {{"uniform": [1, 20]}}, "drop": 0.1, "duplicate": 0.05}},
  "channels": {{"retransmit": 30}},
  "faults": [{faults}],
  "workload": {{"clients": 3, "ops": 4, "keys": 2, "reads": 0.5,
                "think": {{"uniform": [0, 60]}}, "switch": 0.2}}}}"#,
        faults = faults.join(", ")
    )
}

fn config(json: &str) -> Config {
    Scenario::parse(json)
        .and_then(|s| s.validate("ending"))
        .unwrap_or_else(|err| panic!("{err}\n{json}"))
}

/// Whether every client finished: each operation answered, or given up on.
fn clients_finished(run: &Run) -> bool {
    run.history
        .iter()
        .all(|op| op.returned_at.is_some() || op.gave_up_at.is_some())
}

/// Runs every seed under `model` and checks its ending; returns how many runs ended idle and how
/// many stalled.
fn assert_endings_true(model: Model) -> (u64, u64) {
    let (mut idle, mut stalled) = (0, 0);
    for seed in 0..seeds() {
        let json = scenario(seed);
        let run = simulate(&config(&json), model);
        let unacknowledged: Vec<usize> = run.replicas.iter().map(|r| r.unacknowledged).collect();
        let replay = format!("replay with `kvsim run scenario.json --model {model}`:\n{json}");
        match run.stats.stopped {
            Stop::Idle => {
                idle += 1;
                assert!(
                    unacknowledged.iter().all(|&n| n == 0),
                    "seed {seed}: {model} says idle with unacknowledged messages \
                     {unacknowledged:?}\n{replay}"
                );
                assert!(
                    clients_finished(&run),
                    "seed {seed}: {model} says idle with a client still waiting\n{replay}"
                );
                assert!(
                    run.converged(),
                    "seed {seed}: {model} says idle with stores that differ\n{replay}"
                );
            }
            Stop::Stalled => {
                stalled += 1;
                assert!(
                    unacknowledged.iter().any(|&n| n > 0) || !clients_finished(&run),
                    "seed {seed}: {model} says stalled with nothing left unfinished\n{replay}"
                );
            }
            other => panic!("seed {seed}: {model} stopped at a limit ({other:?})\n{replay}"),
        }
    }
    (idle, stalled)
}

/// Both endings must occur often, or the sweep proves little.
fn assert_both_endings(model: Model, (idle, stalled): (u64, u64)) {
    let seeds = seeds();
    eprintln!("{model}: {idle} idle, {stalled} stalled");
    assert!(
        idle >= seeds / 10 && stalled >= seeds / 10,
        "{model}: {idle} idle and {stalled} stalled runs of {seeds}: the sweep needs both"
    );
}

#[test]
fn linearizable_says_idle_only_when_finished_and_stalled_only_when_not() {
    let model = Model::Linearizable;
    assert_both_endings(model, assert_endings_true(model));
}

#[test]
fn sequential_says_idle_only_when_finished_and_stalled_only_when_not() {
    let model = Model::Sequential;
    assert_both_endings(model, assert_endings_true(model));
}

#[test]
fn causal_says_idle_only_when_finished_and_stalled_only_when_not() {
    let model = Model::Causal;
    assert_both_endings(model, assert_endings_true(model));
}

#[test]
fn eventual_says_idle_only_when_finished_and_stalled_only_when_not() {
    let model = Model::Eventual;
    assert_both_endings(model, assert_endings_true(model));
}

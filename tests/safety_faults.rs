//! Safety under faults: on a thousand seeds, each with its own random schedule of partitions and
//! crashes (the nemesis), lossy and duplicating links, and clients that give up, every protocol still
//! satisfies its own model, and every store converges once the nemesis has healed everything.
//!
//! Links stay FIFO here: the totally-ordered multicast relies on that, and the `reordering` scenario
//! shows what happens without it. A failure prints the seed and the whole scenario, so that
//! `kvsim run scenario.json` replays it.

use kvsim::check::{check_run, Verdict};
use kvsim::protocol::Model;
use kvsim::run::Stop;
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::simulate;

const SEEDS: u64 = 1_000;

/// Three replicas, three clients of six operations spread over the first second and a half, while
/// the nemesis partitions and crashes at random until t=1500.
fn scenario(seed: u64, switch: f64) -> String {
    format!(
        r#"{{"seed": {seed}, "replicas": 3,
  "network": {{"delay": {{"uniform": [1, 10]}}, "drop": 0.05, "duplicate": 0.05}},
  "timeout": 150,
  "channels": {{"retransmit": 40}},
  "nemesis": {{"until": 1500,
               "partitions": {{"every": {{"exponential": 200}}, "lasting": {{"uniform": [20, 300]}}}},
               "crashes": {{"every": {{"exponential": 400}}, "lasting": {{"uniform": [20, 300]}}}}}},
  "workload": {{"clients": 3, "ops": 6, "keys": 2, "reads": 0.5,
                "think": {{"uniform": [0, 250]}}, "switch": {switch}}}}}"#
    )
}

fn config(json: &str) -> Config {
    Scenario::parse(json)
        .and_then(|s| s.validate("faults"))
        .unwrap_or_else(|err| panic!("{err}\n{json}"))
}

/// Runs one seed under `model` and checks that each of `properties` holds.
fn assert_safe(seed: u64, switch: f64, model: Model, properties: &[&str]) {
    let json = scenario(seed, switch);
    let run = simulate(&config(&json), model);
    assert_eq!(
        run.stats.stopped,
        Stop::Idle,
        "seed {seed}: the {model} run did not finish\n{json}"
    );
    let verdicts = check_run(&run);
    for &property in properties {
        let verdict: &Verdict = match property {
            "linearizable" => &verdicts.linearizable,
            "sequential" => &verdicts.sequential,
            "causal" => &verdicts.causal,
            "causal convergence" => &verdicts.causal_convergence,
            "convergent" => &verdicts.convergent,
            other => unreachable!("no property {other}"),
        };
        assert_eq!(
            verdict.ok,
            Some(true),
            "seed {seed}: a {model} run under faults is not {property}: {:?} {:#?}\n\
             replay with `kvsim run scenario.json --model {model}`, scenario.json being:\n{json}",
            verdict.anomaly,
            verdict.witness
        );
    }
}

#[test]
fn linearizable_stays_linearizable_under_faults() {
    for seed in 0..SEEDS {
        assert_safe(
            seed,
            0.3,
            Model::Linearizable,
            &["linearizable", "convergent"],
        );
    }
}

#[test]
fn sequential_stays_sequential_under_faults() {
    for seed in 0..SEEDS {
        assert_safe(seed, 0.0, Model::Sequential, &["sequential", "convergent"]);
    }
}

#[test]
fn causal_stays_causal_and_converges_after_the_final_heal() {
    for seed in 0..SEEDS {
        assert_safe(
            seed,
            0.0,
            Model::Causal,
            &["causal", "causal convergence", "convergent"],
        );
    }
}

#[test]
fn eventual_converges_after_the_final_heal() {
    for seed in 0..SEEDS {
        assert_safe(seed, 0.3, Model::Eventual, &["convergent"]);
    }
}

#[test]
fn the_faults_in_these_sweeps_really_bite() {
    // Without this, the sweeps above could pass because nothing ever went wrong: check that the
    // schedules cut messages, made clients give up, and forced retransmissions.
    let (mut dropped, mut timed_out, mut retransmitted, mut crashes) = (0, 0, 0, 0);
    for seed in 0..100 {
        let run = simulate(&config(&scenario(seed, 0.0)), Model::Linearizable);
        dropped += run.stats.dropped;
        timed_out += run.stats.timed_out;
        retransmitted += run.stats.retransmitted;
        crashes += run
            .faults
            .iter()
            .filter(|f| matches!(f.fault, kvsim::sim::fault::Fault::Crash(_)))
            .count();
    }
    assert!(
        dropped > 1_000 && timed_out > 100 && retransmitted > 1_000 && crashes > 100,
        "dropped {dropped}, timed out {timed_out}, retransmitted {retransmitted}, crashes {crashes}"
    );
}

//! The determinism self-check (`kvsim sweep --check-determinism`): it passes a fault-heavy sweep,
//! gives the summary a plain sweep gives, its hash sees every part of a run, and the command line
//! exits 5 naming the seed of a nondeterminism planted in a debug build. (That the library check
//! catches one is shown in `planted_nondeterminism.rs`, which needs a test binary to itself.)

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;

use kvsim::check::check_run;
use kvsim::events::What;
use kvsim::ids::ReplicaId;
use kvsim::protocol::Model;
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::fault::Fault;
use kvsim::sweep::{
    fingerprint, summarise, sweep_checking_determinism, trace_hash, traced_run, SeedRange, Seeds,
    Summary,
};

/// Random delays, 10% loss, 10% duplicates, clients that give up, and a nemesis that partitions
/// and crashes replicas through most of the run.
const FAULT_HEAVY: &str = r#"{
    "description": "fault-heavy: nemesis partitions and crashes, loss and duplicates",
    "replicas": 3, "timeout": 150,
    "network": {"delay": {"uniform": [1, 20]}, "drop": 0.1, "duplicate": 0.1},
    "nemesis": {"until": 800,
        "partitions": {"every": {"exponential": 100}, "lasting": {"uniform": [10, 100]}},
        "crashes": {"every": {"exponential": 150}, "lasting": {"uniform": [10, 100]}}},
    "workload": {"clients": 3, "ops": 8, "keys": 2, "reads": 0.5, "think": {"uniform": [0, 50]}}
}"#;

fn fault_heavy() -> (PathBuf, Config) {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("determinism-fault-heavy.json");
    std::fs::write(&path, FAULT_HEAVY).unwrap();
    let config = Scenario::parse(FAULT_HEAVY)
        .unwrap()
        .validate("fault-heavy")
        .unwrap();
    (path, config)
}

fn kvsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kvsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

#[test]
fn the_fault_heavy_scenario_has_partitions_crashes_loss_and_duplicates() {
    let (_, mut config) = fault_heavy();
    let (mut partitions, mut crashes, mut lost, mut duplicated) = (0, 0, 0, 0);
    for seed in 0..5 {
        config.seed = seed;
        let (run, _) = traced_run(&config, seed, Model::Sequential);
        for fault in &run.faults {
            match fault.fault {
                Fault::Partition(_) | Fault::PartitionOneway { .. } => partitions += 1,
                Fault::Crash(_) => crashes += 1,
                _ => {}
            }
        }
        for event in &run.events.unwrap().events {
            match event.what {
                What::Lost { .. } => lost += 1,
                What::Duplicated { .. } => duplicated += 1,
                _ => {}
            }
        }
    }
    assert!(
        partitions > 0 && crashes > 0 && lost > 0 && duplicated > 0,
        "partitions {partitions}, crashes {crashes}, lost {lost}, duplicated {duplicated}"
    );
}

#[test]
fn a_fault_heavy_sweep_passes_the_determinism_check_with_the_same_digest_on_any_threads() {
    let (path, _) = fault_heavy();
    let path = path.to_str().unwrap();
    let mut digests = Vec::new();
    for jobs in ["1", "2"] {
        let output = kvsim(&[
            "sweep",
            path,
            "--seeds",
            "0..150",
            "--check-determinism",
            "--jobs",
            jobs,
        ]);
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{message}");
        let line = message
            .lines()
            .find(|l| l.starts_with("kvsim: determinism: "))
            .unwrap_or_else(|| panic!("no determinism line in {message}"));
        assert!(
            line.contains("every one of the 600 runs was the same when run again"),
            "{line}"
        );
        digests.push(line.split("digest ").nth(1).unwrap().to_string());
    }
    assert_eq!(
        digests[0], digests[1],
        "the digest does not depend on threads"
    );
}

#[test]
fn a_checked_sweep_gives_the_summary_a_plain_sweep_gives() {
    let (_, config) = fault_heavy();
    let seeds = Seeds::new(SeedRange { start: 0, end: 80 }, None);
    let plain = summarise(&config, seeds, &Model::ALL, 2, || {}).unwrap();
    let mut checked = Summary::new(&config.name, &fingerprint(&config), seeds);
    let found = sweep_checking_determinism(&config, seeds, &Model::ALL, 2, |records| {
        for record in &records {
            checked.add(record);
        }
        ControlFlow::Continue(())
    })
    .unwrap();
    assert!(found.holds());
    assert_eq!((found.runs, found.first), (320, None));
    assert_eq!(
        serde_json::to_string_pretty(&checked).unwrap(),
        serde_json::to_string_pretty(&plain).unwrap()
    );
}

#[test]
fn the_trace_hash_changes_with_every_part_of_a_run() {
    let (_, config) = fault_heavy();
    let (run, verdicts) = traced_run(&config, 3, Model::Causal);
    let hash = trace_hash(&run, &verdicts);
    assert_eq!(hash, trace_hash(&run, &verdicts));
    let (again, again_verdicts) = traced_run(&config, 3, Model::Causal);
    assert_eq!(hash, trace_hash(&again, &again_verdicts), "the same run");
    let (other, other_verdicts) = traced_run(&config, 4, Model::Causal);
    assert_ne!(hash, trace_hash(&other, &other_verdicts), "another seed");

    let mut events = run.clone();
    let log = events.events.as_mut().unwrap();
    log.events.push(kvsim::events::Event {
        at: 0,
        what: What::Commit {
            replica: ReplicaId(0),
        },
    });
    assert_ne!(hash, trace_hash(&events, &verdicts), "one more event");

    let mut history = run.clone();
    history.history[0].invoked_at += 1;
    assert_ne!(hash, trace_hash(&history, &verdicts), "the history");

    let mut committed = run.clone();
    committed.replicas[1].committed.pop();
    assert_ne!(hash, trace_hash(&committed, &verdicts), "a committed order");

    let mut store = run.clone();
    store.replicas[2].store.clear();
    assert_ne!(hash, trace_hash(&store, &verdicts), "a final store");

    let mut judged = verdicts.clone();
    judged.linearizable.ok = Some(!judged.linearizable.ok.unwrap_or(true));
    assert_ne!(hash, trace_hash(&run, &judged), "a verdict");
    assert_eq!(check_run(&run), verdicts);
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "only debug builds of kvsim read KVSIM_TEST_PLANT_NONDETERMINISM"
)]
fn the_command_line_exits_5_naming_the_seed_of_a_planted_nondeterminism() {
    let (path, _) = fault_heavy();
    let run = |plant: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kvsim"));
        command.current_dir(env!("CARGO_MANIFEST_DIR")).args([
            "sweep",
            path.to_str().unwrap(),
            "--seeds",
            "0..40",
            "--check-determinism",
            "--json",
        ]);
        if let Some(seed) = plant {
            command.env("KVSIM_TEST_PLANT_NONDETERMINISM", seed);
        }
        command.output().unwrap()
    };
    let clean = run(None);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    let planted = run(Some("17"));
    let message = String::from_utf8_lossy(&planted.stderr);
    assert_eq!(planted.status.code(), Some(5), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.starts_with(
            "kvsim: determinism check failed: seed 17 under linearizable gave a different run the \
             second time (trace hash "
        ),
        "{message}"
    );
    assert!(
        message.contains("; 4 of 160 runs differed. Compare: kvsim run "),
        "{message}"
    );
    assert!(
        message.contains(" --seed 17 --model linearizable --trace --json"),
        "{message}"
    );
    assert_eq!(
        planted.stdout, clean.stdout,
        "the summary is printed all the same, and is of the first runs"
    );
}

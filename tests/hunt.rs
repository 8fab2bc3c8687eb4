//! Hunting and shrinking: a hunt finds a seed that shows an anomaly and shrinks its scenario to one
//! that shows it alone, small and 1-minimal; `kvsim hunt` writes it and `kvsim run` replays it.

use std::path::Path;
use std::process::Command;

use kvsim::check::{check_run, Property};
use kvsim::hunt::{self, edit, Shrunk, Target};
use kvsim::protocol::Model;
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::{simulate, simulate_recording, Record};
use kvsim::sweep::SeedRange;

fn scenario(name: &str) -> (Scenario, Config) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    let raw = Scenario::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let config = raw
        .clone()
        .validate(name.trim_end_matches(".json"))
        .unwrap();
    (raw, config)
}

/// Hunts `target` in `name` under `model` over the first `seeds` seeds and shrinks what it finds, as
/// `kvsim hunt` does: for the very anomaly the found seed showed (the shrunk scenario's `shown`).
fn hunt(name: &str, model: Model, target: &Target, seeds: u64) -> (Config, Shrunk) {
    let (raw, mut config) = scenario(name);
    let range = SeedRange {
        start: 0,
        end: seeds,
    };
    let found = hunt::search(&config, model, target, range, 2)
        .unwrap()
        .unwrap_or_else(|runs| panic!("nothing in {runs} seeds"));
    config.seed = found.seed;
    let target = target.narrowed_to(&found.shown);
    let shrunk = hunt::shrink(&raw, &config, model, &target).expect("the found seed shows it");
    assert_eq!(
        shrunk.shown, found.shown,
        "the shrunk scenario shows what the seed showed"
    );
    (config, shrunk)
}

/// Whether `scenario`, written out and read back as a file would be, shows `target` under `model`.
fn replays(scenario: &Scenario, model: Model, target: &Target) -> bool {
    let text = hunt::to_json(scenario);
    let Ok(config) = Scenario::parse(&text).and_then(|s| s.validate("replay")) else {
        return false;
    };
    target
        .find(&check_run(&simulate_recording(
            &config,
            model,
            Record::VerdictsOnly,
        )))
        .is_some()
}

/// Removing any one client, operation, replica or fault makes the anomaly go.
fn assert_one_minimal(scenario: &Scenario, model: Model, target: &Target) {
    let clients = edit::clients(scenario).len();
    for c in 0..clients {
        let kept: Vec<usize> = (0..clients).filter(|&k| k != c).collect();
        let less = edit::keep_clients(scenario, &kept);
        assert!(
            !replays(&less, model, target),
            "still shown without client {c}"
        );
    }
    let ops = edit::operations(scenario);
    for op in &ops {
        let kept: Vec<_> = ops.iter().copied().filter(|o| o != op).collect();
        let less = edit::keep_operations(scenario, &kept, &edit::Busy::new());
        assert!(
            !replays(&less, model, target),
            "still shown without op {op:?}"
        );
    }
    for r in 0..scenario.replicas {
        if let Some(less) = edit::without_replica(scenario, r) {
            assert!(
                !replays(&less, model, target),
                "still shown without replica {r}"
            );
        }
    }
    for f in 0..scenario.faults.len() {
        let kept: Vec<usize> = (0..scenario.faults.len()).filter(|&k| k != f).collect();
        let less = edit::keep_faults(scenario, &kept);
        assert!(
            !replays(&less, model, target),
            "still shown without fault {f}"
        );
    }
}

fn size(scenario: &Scenario) -> (usize, usize) {
    (
        edit::clients(scenario).len(),
        edit::operations(scenario).len(),
    )
}

#[test]
fn a_stale_read_in_largest_under_sequential_shrinks_to_two_clients_and_two_operations() {
    let target = Target::new(Some(Property::Linearizable), Some("stale read")).unwrap();
    let (_, shrunk) = hunt("largest.json", Model::Sequential, &target, 100);
    let target = target.narrowed_to(&shrunk.shown);
    let (clients, ops) = size(&shrunk.scenario);
    assert!(
        clients <= 3 && ops <= 6,
        "{clients} clients, {ops} operations"
    );
    assert!(shrunk.pinned);
    assert!(replays(&shrunk.scenario, Model::Sequential, &target));
    assert_one_minimal(&shrunk.scenario, Model::Sequential, &target);
    // Every delay is a constant or pinned: the seed no longer matters.
    let mut reseeded = shrunk.scenario.clone();
    reseeded.seed = Some(12345);
    assert!(replays(&reseeded, Model::Sequential, &target));
    insta::with_settings!({snapshot_path => "../snapshots"}, {
        insta::assert_snapshot!("hunt-largest-sequential-stale-read", hunt::to_json(&shrunk.scenario));
    });
}

#[test]
fn the_search_returns_the_smallest_seed_that_shows_the_target() {
    let (_, config) = scenario("largest.json");
    let target = Target::new(Some(Property::Linearizable), None).unwrap();
    let seeds = SeedRange { start: 0, end: 50 };
    let found = hunt::search(&config, Model::Sequential, &target, seeds, 2)
        .unwrap()
        .unwrap();
    for seed in 0..found.seed {
        let mut config = config.clone();
        config.seed = seed;
        let verdicts = check_run(&simulate(&config, Model::Sequential));
        assert_eq!(verdicts.linearizable.ok, Some(true), "seed {seed}");
    }
    assert_eq!(found.runs, found.seed + 1);
}

#[test]
fn a_causal_reversal_in_largest_under_eventual_shrinks_to_three_clients_and_five_operations() {
    // Seed 13,820 is the first to show one (the search takes a few seconds in a release build; the
    // bench times it): shrink it directly.
    let target = Target::new(None, Some("causal reversal")).unwrap();
    let (raw, mut config) = scenario("largest.json");
    config.seed = 13_820;
    let shrunk = hunt::shrink(&raw, &config, Model::Eventual, &target).unwrap();
    assert_eq!(shrunk.shown.anomaly, "causal reversal (WriteCOInitRead)");
    assert_eq!(shrunk.shown.property, Property::Causal);
    let (clients, ops) = size(&shrunk.scenario);
    assert!(
        clients <= 3 && ops <= 6,
        "{clients} clients, {ops} operations"
    );
    assert!(replays(&shrunk.scenario, Model::Eventual, &target));
    assert_one_minimal(&shrunk.scenario, Model::Eventual, &target);
    insta::with_settings!({snapshot_path => "../snapshots"}, {
        insta::assert_snapshot!("hunt-largest-eventual-causal-reversal", hunt::to_json(&shrunk.scenario));
    });
}

#[test]
fn a_causal_reversal_under_eventual_shrinks_to_three_clients_and_replays() {
    let target = Target::new(None, Some("causal reversal")).unwrap();
    let (_, shrunk) = hunt("causal-chain.json", Model::Eventual, &target, 10);
    let target = target.narrowed_to(&shrunk.shown);
    assert_eq!(shrunk.shown.property, Property::Causal);
    let (clients, ops) = size(&shrunk.scenario);
    assert!(
        clients <= 3 && ops <= 6,
        "{clients} clients, {ops} operations"
    );
    assert!(replays(&shrunk.scenario, Model::Eventual, &target));
    assert_one_minimal(&shrunk.scenario, Model::Eventual, &target);
}

#[test]
fn a_run_with_a_partition_shrinks_to_one_that_replays_and_is_one_minimal() {
    let target = Target::new(Some(Property::Linearizable), None).unwrap();
    let (config, shrunk) = hunt("partition.json", Model::Eventual, &target, 10);
    let target = target.narrowed_to(&shrunk.shown);
    assert!(!config.faults.is_empty());
    assert!(replays(&shrunk.scenario, Model::Eventual, &target));
    assert_one_minimal(&shrunk.scenario, Model::Eventual, &target);
}

#[test]
fn a_run_with_losses_and_duplicates_shrinks_and_replays_from_its_seed() {
    let target = Target::new(Some(Property::Sequential), None).unwrap();
    let (config, shrunk) = hunt("loss-duplication.json", Model::Eventual, &target, 10);
    let target = target.narrowed_to(&shrunk.shown);
    assert_eq!(shrunk.scenario.seed, Some(config.seed));
    assert!(replays(&shrunk.scenario, Model::Eventual, &target));
    assert_one_minimal(&shrunk.scenario, Model::Eventual, &target);
}

#[test]
fn a_nemesis_crash_of_a_replica_a_script_already_crashed_is_written_out_without_it() {
    // The engine lets a crash of a crashed replica change nothing; a script may not say it, so the
    // run written out leaves it (and its restart) out, and shrinks like any other.
    let json = r#"{"seed": 1, "replicas": 3, "network": {"delay": {"uniform": [1, 10]}},
        "workload": {"clients": 4, "ops": 8, "keys": 2, "reads": 0.5, "think": {"uniform": [0, 20]}},
        "faults": [{"at": 0, "crash": 2}],
        "nemesis": {"until": 300, "crashes": {"every": {"exponential": 20}, "lasting": {"uniform": [20, 100]}}}}"#;
    let raw = Scenario::parse(json).unwrap();
    let mut config = raw.clone().validate("nemesis").unwrap();
    let target = Target::new(Some(Property::Linearizable), None).unwrap();
    for seed in [0, 20] {
        config.seed = seed;
        assert!(hunt::explicit(&raw, &config).validate("explicit").is_ok());
        if let Ok(shrunk) = hunt::shrink(&raw, &config, Model::Sequential, &target) {
            assert!(replays(&shrunk.scenario, Model::Sequential, &target));
        }
    }
}

#[test]
fn with_a_property_alone_the_shrunk_scenario_keeps_the_anomaly_the_seed_showed() {
    // Under eventual, lost-update's seed 0 breaks linearizability with a lost update; shrinking must
    // not drift to a stale read, which breaks the same property.
    let target = Target::new(Some(Property::Linearizable), None).unwrap();
    let (_, shrunk) = hunt("lost-update.json", Model::Eventual, &target, 1);
    assert_eq!(shrunk.shown.anomaly, "lost update");
}

fn kvsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kvsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn kvsim_hunt_writes_a_scenario_that_kvsim_run_replays() {
    let dir = std::env::temp_dir().join(format!("kvsim-hunt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stale.json");
    let out = kvsim(&[
        "hunt",
        "scenarios/largest.json",
        "--model",
        "sequential",
        "--anomaly",
        "stale read",
        "--seeds",
        "0..20",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.starts_with(
            "found stale read, breaking linearizable, in largest under sequential at seed "
        ),
        "{report}"
    );
    assert!(report.contains("  clients               21"), "{report}");
    assert!(report.contains("  random choices "), "{report}");
    let run = kvsim(&[
        "run",
        file.to_str().unwrap(),
        "--model",
        "sequential",
        "--json",
    ]);
    assert_eq!(run.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let verdict = &json["runs"][0]["verdicts"]["linearizable"];
    assert_eq!(verdict["ok"], false, "{verdict}");
    assert_eq!(verdict["anomaly"], "stale read");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn kvsim_hunt_exits_1_with_the_runs_tried_when_nothing_is_found() {
    let out = kvsim(&[
        "hunt",
        "scenarios/stale-read.json",
        "--model",
        "linearizable",
        "--property",
        "own",
        "--seeds",
        "0..7",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        "kvsim: no run of stale-read under linearizable showed linearizable broken (seeds 0..7, 7 runs)\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn kvsim_hunt_refuses_an_unknown_anomaly_and_a_missing_target() {
    let out = kvsim(&[
        "hunt",
        "scenarios/largest.json",
        "--model",
        "eventual",
        "--anomaly",
        "stale",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with(
            "kvsim: no checker names an anomaly \"stale\"; the anomalies are: stale read,"
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    let out = kvsim(&["hunt", "scenarios/largest.json", "--model", "eventual"]);
    assert_eq!(out.status.code(), Some(2));
    let out = kvsim(&[
        "hunt",
        "scenarios/largest.json",
        "--model",
        "all",
        "--property",
        "own",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn kvsim_sweep_shrink_prints_each_kind_of_failure_as_a_scenario_that_shows_it() {
    let out = kvsim(&[
        "sweep",
        "scenarios/loss-duplication.json",
        "--seeds",
        "0..40",
        "--model",
        "eventual",
        "--shrink",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let shrunk = &text[text.find("\nshrunk: ").expect("a shrunk section")..];
    // Each kind: a line saying what it is and one with the sizes, then its scenario, indented.
    let mut kinds = 0;
    let mut lines = shrunk.lines().skip(3).peekable();
    while let Some(head) = lines.next() {
        assert!(head.starts_with("  eventual: "), "{head}");
        assert!(lines.next().unwrap().starts_with("    shrunk to "));
        let mut json = String::new();
        while let Some(line) = lines.next_if(|l| l.starts_with("    ")) {
            json.push_str(&line[4..]);
            json.push('\n');
        }
        // The description's claim, `… under eventual, ANOMALY breaks PROPERTY.`, is what it shows.
        let scenario = Scenario::parse(&json).unwrap();
        let description = scenario.description.clone().unwrap();
        let claim = description.split("under eventual, ").nth(1).unwrap();
        let (anomaly, rest) = claim.split_once(" breaks ").unwrap();
        let property = rest.split('.').next().unwrap();
        assert!(
            head.contains(&format!("{property}, {anomaly} (")),
            "{head} / {description}"
        );
        let property = Property::ALL.into_iter().find(|p| p.name() == property);
        let target = Target::new(property, Some(anomaly)).unwrap();
        assert!(replays(&scenario, Model::Eventual, &target), "{head}");
        kinds += 1;
    }
    assert!(kinds >= 2, "{shrunk}");
    let refused = kvsim(&[
        "sweep",
        "scenarios/stale-read.json",
        "--seeds",
        "0..5",
        "--shrink",
        "--json",
    ]);
    assert_eq!(refused.status.code(), Some(2));
}

//! Sweeps: the same summary whatever the number of threads, the same run as `kvsim run` for a seed,
//! and shards that merge into the whole.

use std::path::Path;
use std::process::Command;

use kvsim::check::check_run;
use kvsim::protocol::Model;
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::{simulate, simulate_recording, Record};
use kvsim::sweep::{record, sweep, SeedRange, Shard, Summary};

fn load(name: &str) -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    Scenario::load(&path).unwrap()
}

#[test]
fn one_thread_and_two_give_the_same_summary() {
    let config = load("eventual-convergence.json");
    let seeds = SeedRange { start: 0, end: 200 }.seeds(None);
    let one = sweep(&config, &seeds, &Model::ALL, 1, &|| {}).unwrap();
    let two = sweep(&config, &seeds, &Model::ALL, 2, &|| {}).unwrap();
    assert_eq!(one, two);
    let summary =
        |records| serde_json::to_string(&Summary::new(&config.name, "", records)).unwrap();
    assert_eq!(summary(one), summary(two));
}

#[test]
fn a_sweep_judges_exactly_the_run_kvsim_run_makes_for_that_seed() {
    let mut config = load("stale-read.json");
    let swept = record(&config, 42, Model::Sequential);
    config.seed = 42;
    let run = simulate(&config, Model::Sequential);
    assert_eq!(swept.messages, run.stats.messages);
    assert_eq!(swept.events, run.stats.events);
    assert_eq!(swept.duration, run.stats.duration);
    assert_eq!(
        swept.broken.get("linearizable").map(String::as_str),
        Some("stale read")
    );
}

#[test]
fn leaving_out_committed_orders_changes_no_verdict() {
    let config = load("largest.json");
    for model in Model::ALL {
        let full = simulate(&config, model);
        let lean = simulate_recording(&config, model, Record::VerdictsOnly);
        assert!(lean.replicas.iter().all(|r| r.committed.is_empty()));
        assert_eq!(lean.history, full.history);
        assert_eq!(check_run(&lean), check_run(&full), "{model}");
    }
}

#[test]
fn shards_merge_into_the_whole_sweep() {
    let config = load("read-your-writes.json");
    let range = SeedRange { start: 10, end: 70 };
    let whole = Summary::new(
        &config.name,
        "",
        sweep(&config, &range.seeds(None), &Model::ALL, 2, &|| {}).unwrap(),
    );
    let mut parts = Vec::new();
    for index in 0..3 {
        let seeds = range.seeds(Some(Shard { index, count: 3 }));
        parts.extend(sweep(&config, &seeds, &Model::ALL, 1, &|| {}).unwrap());
    }
    parts.reverse();
    assert_eq!(Summary::new(&config.name, "", parts), whole);
}

fn kvsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kvsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

#[test]
fn the_cli_sweeps_shards_and_merges() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let mut files = Vec::new();
    for shard in ["0/2", "1/2"] {
        let output = kvsim(&[
            "sweep",
            "scenarios/eventual-convergence.json",
            "--seeds",
            "0..40",
            "--shard",
            shard,
            "--json",
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let path = dir.join(format!(
            "sweep-{}-{}.json",
            std::process::id(),
            shard.replace('/', "-")
        ));
        std::fs::write(&path, &output.stdout).unwrap();
        files.push(path);
    }
    let merged = kvsim(&[
        "sweep",
        "--merge",
        files[0].to_str().unwrap(),
        files[1].to_str().unwrap(),
        "--json",
    ]);
    let whole = kvsim(&[
        "sweep",
        "scenarios/eventual-convergence.json",
        "--seeds",
        "0..40",
        "--json",
        "--jobs",
        "1",
    ]);
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    assert_eq!(merged.stdout, whole.stdout);

    let text = kvsim(&["sweep", "scenarios/stale-read.json", "--seeds", "0..=9"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("=== sweep: scenario stale-read, 10 seeds ==="));
    assert!(
        text.contains("sequential  linearizable  stale read"),
        "{text}"
    );
    assert!(text
        .contains("replay one with: kvsim run scenarios/stale-read.json --seed N --model MODEL"));

    let lines = kvsim(&[
        "sweep",
        "scenarios/stale-read.json",
        "--seeds",
        "0..3",
        "--model",
        "causal",
        "--json",
        "--per-run",
    ]);
    let lines = String::from_utf8(lines.stdout).unwrap();
    assert_eq!(lines.lines().count(), 3);
    for line in lines.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(record["model"], "causal");
    }
}

/// Sweeps each argument list with `--json` into a file of its own, merges the files, and checks the
/// merge is refused with `expected` in the message.
fn assert_merge_refused(sweeps: &[&[&str]], expected: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let mut files = Vec::new();
    for (i, args) in sweeps.iter().enumerate() {
        let mut args = args.to_vec();
        args.push("--json");
        let output = kvsim(&args);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let path = dir.join(format!(
            "sweep-refused-{}-{i}-{}.json",
            std::process::id(),
            expected.len()
        ));
        std::fs::write(&path, &output.stdout).unwrap();
        files.push(path.to_str().unwrap().to_string());
    }
    let mut merge = vec!["sweep", "--merge"];
    merge.extend(files.iter().map(String::as_str));
    let merged = kvsim(&merge);
    assert_eq!(merged.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&merged.stderr).contains(expected));
}

#[test]
fn sweeps_of_different_scenarios_do_not_merge() {
    assert_merge_refused(
        &[
            &["sweep", "scenarios/stale-read.json", "--seeds", "0..3"],
            &[
                "sweep",
                "scenarios/read-your-writes.json",
                "--seeds",
                "0..3",
            ],
        ],
        "a different scenario, or another kvsim version",
    );
}

#[test]
fn sweeps_of_different_models_do_not_merge() {
    assert_merge_refused(
        &[
            &[
                "sweep",
                "scenarios/stale-read.json",
                "--seeds",
                "0..3",
                "--model",
                "all",
            ],
            &[
                "sweep",
                "scenarios/stale-read.json",
                "--seeds",
                "0..3",
                "--model",
                "causal",
            ],
        ],
        "summaries merge only when they run the same models",
    );
}

#[test]
fn bad_sweep_arguments_exit_2_with_a_clear_message() {
    for (args, expected) in [
        (
            &["sweep", "scenarios/stale-read.json", "--seeds", "5..5"][..],
            "the seed range 5..5 is empty",
        ),
        (
            &["sweep", "scenarios/stale-read.json", "--seeds", "ten"],
            "expected seeds as A..B",
        ),
        (
            &[
                "sweep",
                "scenarios/stale-read.json",
                "--seeds",
                "0..9",
                "--shard",
                "2/2",
            ],
            "expected a shard as K/N with K < N",
        ),
        (
            &[
                "sweep",
                "scenarios/stale-read.json",
                "--seeds",
                "0..9",
                "--jobs",
                "0",
            ],
            "--jobs",
        ),
        (&["sweep", "scenarios/stale-read.json"], "--seeds"),
        (
            &["sweep", "--merge", "scenarios/stale-read.json"],
            "not a sweep summary",
        ),
        (
            &[
                "sweep",
                "scenarios/stale-read.json",
                "--seeds",
                "0..18446744073709551615",
            ],
            "split it with --shard",
        ),
        (
            &[
                "sweep",
                "scenarios/stale-read.json",
                "--seeds",
                "0..2",
                "--shard",
                "3/4",
            ],
            "holds no seed",
        ),
    ] {
        let output = kvsim(args);
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
        assert!(
            message.contains(expected),
            "{args:?}: expected {expected:?} in {message}"
        );
    }
}

//! `--fail-on PROPERTY`: `kvsim run` and `kvsim sweep` exit 1 when the property is broken in any run,
//! and say on one line which gate failed; without it, a broken property does not change the exit.

use super::{kvsim, stderr};

#[test]
fn fail_on_own_exits_1_when_a_model_breaks_its_guarantee() {
    // With unordered channels over a reordering network, the multicast breaks sequential consistency.
    let output = kvsim(&["run", "scenarios/reordering.json", "--fail-on", "own"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.starts_with("kvsim: gate failed: --fail-on own: "),
        "{message}"
    );
    assert!(
        message.contains("sequential broken under sequential"),
        "{message}"
    );
    assert!(
        !output.stdout.is_empty(),
        "the output is printed all the same"
    );
}

#[test]
fn fail_on_own_passes_when_every_model_keeps_its_guarantee() {
    // Eventual breaks causality here, but its own guarantee is only that the replicas converge.
    let output = kvsim(&["run", "scenarios/causal-chain.json", "--fail-on", "own"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(output.stderr.is_empty());
}

#[test]
fn fail_on_a_property_is_repeatable_and_names_every_gate_that_failed() {
    let output = kvsim(&[
        "run",
        "scenarios/causal-chain.json",
        "--fail-on",
        "causal",
        "--fail-on",
        "convergent",
        "--fail-on",
        "writes_follow_reads",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert_eq!(
        message.trim_end(),
        "kvsim: gate failed: --fail-on causal: causal broken under eventual (causal reversal \
         (WriteCOInitRead)); --fail-on writes_follow_reads: writes follow reads broken under \
         eventual (writes-follow-reads violation)"
    );
}

#[test]
fn without_fail_on_a_broken_property_exits_0() {
    let output = kvsim(&["run", "scenarios/reordering.json"]);
    assert_eq!(output.status.code(), Some(0));
    let output = kvsim(&["sweep", "scenarios/reordering.json", "--seeds", "0..2"]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn a_sweep_fails_its_gate_with_the_runs_and_the_first_seed() {
    let output = kvsim(&[
        "sweep",
        "scenarios/causal-chain.json",
        "--seeds",
        "0..5",
        "--fail-on",
        "causal",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output).trim_end(),
        "kvsim: gate failed: --fail-on causal: causal broken under eventual in 5 runs, first seed 0"
    );
    let passed = kvsim(&[
        "sweep",
        "scenarios/causal-chain.json",
        "--seeds",
        "0..5",
        "--model",
        "causal",
        "--fail-on",
        "own",
    ]);
    assert_eq!(passed.status.code(), Some(0), "{}", stderr(&passed));
}

#[test]
fn a_per_run_sweep_fails_its_gate_the_same_way() {
    let output = kvsim(&[
        "sweep",
        "scenarios/causal-chain.json",
        "--seeds",
        "0..5",
        "--json",
        "--per-run",
        "--fail-on",
        "causal",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output).trim_end(),
        "kvsim: gate failed: --fail-on causal: causal broken under eventual in 5 runs, first seed 0"
    );
}

#[test]
fn a_bad_fail_on_value_exits_2_naming_the_good_ones() {
    let output = kvsim(&[
        "run",
        "scenarios/stale-read.json",
        "--fail-on",
        "serializable",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("invalid value 'serializable'"),
        "{message}"
    );
    assert!(
        message.contains("own") && message.contains("causal_convergence"),
        "{message}"
    );
}

#[test]
fn merged_summaries_are_gated_like_the_sweep_they_add_up_to() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let mut files = Vec::new();
    for shard in ["0/2", "1/2"] {
        let output = kvsim(&[
            "sweep",
            "scenarios/causal-chain.json",
            "--seeds",
            "0..4",
            "--shard",
            shard,
            "--json",
        ]);
        let path = dir.join(format!("fail-on-shard-{}.json", &shard[..1]));
        std::fs::write(&path, &output.stdout).unwrap();
        files.push(path.to_str().unwrap().to_string());
    }
    let output = kvsim(&[
        "sweep",
        "--merge",
        &files[0],
        &files[1],
        "--fail-on",
        "causal",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output).trim_end(),
        "kvsim: gate failed: --fail-on causal: causal broken under eventual in 4 runs, first seed 0"
    );
}

//! The command line as a user meets it: the demo, `run` in text and JSON, `--seed`, `--help`, and
//! every kind of bad input giving exit status 2 and a message that names the file and the problem;
//! `kvsim check` ([`check`]), what `kvsim run` shows ([`show`]) and the `--fail-on` gates
//! ([`fail_on`]).

mod check;
mod fail_on;
mod out;
mod show;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn kvsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kvsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the kvsim binary runs")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Writes `content` to a scenario file of its own in the test's scratch folder.
pub(crate) fn scenario_file(name: &str, content: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}.json"));
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn no_arguments_runs_the_demo_with_all_four_models_side_by_side() {
    let output = kvsim(&[]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.starts_with("kvsim demo"));
    let header = text
        .lines()
        .find(|l| l.trim_start().starts_with("client") && l.contains("operation"))
        .expect("a table of operations");
    for model in ["linearizable", "sequential", "causal", "eventual"] {
        assert!(header.contains(model), "{model} missing from {header}");
    }
    assert_eq!(
        kvsim(&["demo"]).stdout,
        output.stdout,
        "`kvsim demo` is the same demo"
    );
}

#[test]
fn run_prints_every_section_of_every_model_side_by_side() {
    let output = kvsim(&["run", "scenarios/stale-read.json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for section in [
        "=== linearizable, sequential, causal, eventual ===",
        "what each operation returned",
        "final stores",
        "cost",
        "=== verdicts ===",
        "=== committed orders",
    ] {
        assert!(text.contains(section), "missing {section}\n{text}");
    }
    assert!(text.contains("A stale read."), "the description is shown");
}

#[test]
fn json_output_has_the_documented_shape() {
    let output = kvsim(&[
        "run",
        "scenarios/stale-read.json",
        "--model",
        "sequential",
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(doc["scenario"], "stale-read");
    assert_eq!(doc["seed"], 7);
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["model"], "sequential");
    let replica = &run["replicas"][0];
    assert_eq!(replica["id"], 0);
    assert_eq!(replica["up"], true);
    assert_eq!(
        replica["unacknowledged"], 0,
        "an idle run leaves nothing unacknowledged"
    );
    let commit = &replica["committed"][0];
    for field in ["at", "op", "key", "value", "client", "stamp", "superseded"] {
        assert!(
            commit.get(field).is_some(),
            "committed entries have {field}"
        );
    }
    assert_eq!(replica["store"]["x"], "1");
    let read = &run["history"][2];
    assert_eq!(read["client"], 1);
    assert_eq!(read["replica"], 1);
    assert_eq!(read["op"], "get");
    assert_eq!(
        read["value"],
        serde_json::Value::Null,
        "the stale read saw nothing"
    );
    assert_eq!(read["invoked_at"], 100);
    assert_eq!(read["returned_at"], 100);
    for field in [
        "operations",
        "completed",
        "messages",
        "events",
        "duration",
        "stopped",
        "reads",
        "writes",
    ] {
        assert!(run["stats"].get(field).is_some(), "stats have {field}");
    }
}

#[test]
fn seed_flag_overrides_the_scenarios_seed_and_output_is_reproducible() {
    let causal_json = |seed: &str| {
        kvsim(&[
            "run",
            "scenarios/largest.json",
            "--model",
            "causal",
            "--seed",
            seed,
            "--json",
        ])
    };
    let (a, b, c) = (causal_json("5"), causal_json("5"), causal_json("6"));
    assert_eq!(a.stdout, b.stdout, "same seed, same bytes");
    assert_ne!(a.stdout, c.stdout);
    let doc: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(doc["seed"], 5);
}

#[test]
fn help_explains_each_command_with_an_example() {
    for args in [
        &["--help"][..],
        &["run", "--help"],
        &["demo", "--help"],
        &["check", "--help"],
        &["sweep", "--help"],
    ] {
        let output = kvsim(args);
        assert!(output.status.success());
        let text = stdout(&output);
        assert!(text.contains("Example"), "{args:?} has no example:\n{text}");
    }
}

/// Each kind of bad input, with a fragment the message must contain.
const BAD_SCENARIOS: &[(&str, &str, &str)] = &[
    ("malformed", "{\"replicas\": 3,", "line 1, column 15: EOF while parsing"),
    ("not-an-object", "[1, 2]", "a scenario is a JSON object"),
    ("unknown-field", r#"{"replicas": 3, "clients": [], "colour": 1}"#, "colour: unknown field `colour`"),
    ("zero-replicas", r#"{"replicas": 0, "clients": []}"#, "replicas: a scenario needs at least 1 replica, got 0"),
    ("missing-replica", r#"{"replicas": 3, "clients": [{"replica": 5, "ops": []}]}"#,
     "clients[0].replica: client 0 is bound to replica 5, but the scenario has 3"),
    ("op-to-missing-replica", r#"{"replicas": 2, "clients": [{"replica": 0, "ops": [{"get": "x", "replica": 2}]}]}"#,
     "clients[0].ops[0].replica: the op is sent to replica 2"),
    ("uniform-min-above-max", r#"{"replicas": 3, "network": {"delay": {"uniform": [10, 1]}}, "clients": []}"#,
     "network.delay.uniform: the range [10, 1] has min greater than max"),
    ("negative-delay", r#"{"replicas": 3, "network": {"delay": {"constant": -5}}, "clients": []}"#,
     "network.delay.constant: invalid value: integer `-5`"),
    ("fractional-delay", r#"{"replicas": 3, "network": {"links": [{"from": 0, "to": 1, "delay": {"exponential": 2.5}}]}, "clients": []}"#,
     "network.links[0].delay.exponential: invalid type: floating point `2.5`"),
    ("unknown-op", "{\"replicas\": 3,\n \"clients\": [{\"replica\": 0, \"ops\": [{\"delete\": \"x\"}]}]}",
     "line 2, column 45: clients[0].ops[0].delete: unknown field `delete`, expected one of `put`, `get`, `cas`, `append`, `sleep`"),
    ("empty-op", r#"{"replicas": 3, "clients": [{"replica": 0, "ops": [{}]}]}"#,
     "clients[0].ops[0]: an op needs exactly one of `put`, `get`, `cas`, `append` or `sleep`, found none"),
    ("cas-missing-new-value", r#"{"replicas": 1, "clients": [{"replica": 0, "ops": [{"cas": ["x", "1"]}]}]}"#,
     "clients[0].ops[0].cas: invalid length 2, expected a tuple of size 3"),
    ("append-and-put", r#"{"replicas": 1, "clients": [{"replica": 0, "ops": [{"append": ["x", "a"], "put": ["x", "1"]}]}]}"#,
     "clients[0].ops[0]: an op needs exactly one of `put`, `get`, `cas`, `append` or `sleep`, found more than one"),
    ("fractions-over-one", r#"{"replicas": 3, "workload": {"clients": 2, "ops": 2, "keys": 1, "reads": 0.5, "cas": 0.4, "append": 0.2}}"#,
     "workload: reads + cas + append must be at most 1 (the rest are puts), got 0.5 + 0.4 + 0.2"),
    ("cas-not-a-fraction", r#"{"replicas": 3, "workload": {"clients": 2, "ops": 2, "keys": 1, "reads": 0.5, "cas": -0.1}}"#,
     "workload.cas: a fraction between 0 and 1, got -0.1"),
    ("no-values", r#"{"replicas": 3, "workload": {"clients": 2, "ops": 2, "keys": 1, "reads": 0.5, "values": 0}}"#,
     "workload.values: values are drawn from 0 … values-1, so at least 1 is needed, got 0"),
    ("unknown-distribution", r#"{"replicas": 3, "network": {"delay": {"gaussian": 3}}, "clients": []}"#,
     "unknown variant `gaussian`, expected one of `constant`, `uniform`, `exponential`"),
    ("self-link", r#"{"replicas": 3, "network": {"links": [{"from": 1, "to": 1, "delay": {"constant": 3}}]}, "clients": []}"#,
     "network.links[0]: a link joins two different replicas"),
    ("reads-not-a-fraction", r#"{"replicas": 3, "workload": {"clients": 2, "ops": 2, "keys": 1, "reads": 1.5}}"#,
     "workload.reads: a fraction between 0 and 1, got 1.5"),
    ("nothing-to-do", r#"{"replicas": 3}"#, "a scenario needs `clients`, `workload`, or both"),
    ("no-clients", r#"{"replicas": 3, "clients": []}"#, "clients: a scenario needs `clients`, `workload`, or both"),
    ("time-too-large", r#"{"replicas": 1, "clients": [{"replica": 0, "ops": [{"sleep": 2000000000000}]}]}"#,
     "clients[0].ops[0].sleep: 2000000000000 ms is more than"),
    ("too-many-generated-clients", r#"{"replicas": 1, "workload": {"clients": 4294967295, "ops": 0, "keys": 1, "reads": 0.5}}"#,
     "workload.clients: at most 100000 generated clients"),
    ("crash-missing-replica", r#"{"replicas": 3, "faults": [{"at": 5, "crash": 7}], "clients": [{"replica": 0, "ops": [{"get": "x"}]}]}"#,
     "faults[0].crash: the fault crashes replica 7, but the scenario has 3"),
    ("fault-of-two-kinds", r#"{"replicas": 3, "faults": [{"at": 5, "crash": 1, "heal": true}], "clients": [{"replica": 0, "ops": [{"get": "x"}]}]}"#,
     "faults[0]: a fault needs `at` and exactly one of"),
    ("fault-without-time", r#"{"replicas": 3, "faults": [{"crash": 1}], "clients": [{"replica": 0, "ops": [{"get": "x"}]}]}"#,
     "faults[0]: missing field `at`"),
    ("partition-leaves-a-replica-out", r#"{"replicas": 3, "faults": [{"at": 5, "partition": [[0], [1]]}], "clients": [{"replica": 0, "ops": [{"get": "x"}]}]}"#,
     "faults[0].partition: r2 is in no group"),
    ("partition-names-a-replica-twice", r#"{"replicas": 3, "faults": [{"at": 5, "partition": [[0, 1], [1, 2]]}], "clients": [{"replica": 0, "ops": [{"get": "x"}]}]}"#,
     "faults[0].partition[1][0]: r1 is named twice"),
    ("partition-of-one-group", r#"{"replicas": 2, "faults": [{"at": 5, "partition": [[0, 1]]}], "clients": [{"replica": 0, "ops": [{"get": "x"}]}]}"#,
     "faults[0].partition: a partition needs at least two groups"),
    ("oneway-with-empty-side", r#"{"replicas": 2, "faults": [{"at": 5, "partition_oneway": {"from": [0], "to": []}}], "clients": [{"replica": 0, "ops": [{"get": "x"}]}]}"#,
     "faults[0].partition_oneway.to: an empty group of replicas"),
    ("heal-false", r#"{"replicas": 2, "faults": [{"at": 5, "heal": false}], "clients": [{"replica": 0, "ops": [{"get": "x"}]}]}"#,
     "faults[0].heal: `heal` takes `true`"),
    ("restart-a-running-replica", r#"{"replicas": 2, "faults": [{"at": 5, "crash": 1}, {"at": 9, "restart": 1}, {"at": 12, "restart": 1}], "clients": [{"replica": 0, "ops": [{"get": "x"}]}]}"#,
     "faults[2].restart: r1 is running at t=12"),
    ("crash-a-crashed-replica", r#"{"replicas": 2, "faults": [{"at": 9, "crash": 1}, {"at": 5, "crash": 1}], "clients": [{"replica": 0, "ops": [{"get": "x"}]}]}"#,
     "faults[0].crash: r1 is already down at t=9"),
    ("drop-everything", r#"{"replicas": 2, "network": {"drop": 1.0}, "clients": [{"replica": 0, "ops": [{"get": "x"}]}]}"#,
     "network.drop: a probability from 0 up to (not including) 1, got 1"),
    ("zero-timeout", r#"{"replicas": 2, "timeout": 0, "clients": [{"replica": 0, "ops": [{"get": "x"}]}]}"#, "timeout: a client that gives up after 0 ms"),
    ("nemesis-ends-before-it-starts", r#"{"replicas": 2, "nemesis": {"start": 50, "until": 50, "crashes": {"every": {"constant": 5}, "lasting": {"constant": 5}}}, "clients": [{"replica": 0, "ops": [{"get": "x"}]}]}"#,
     "nemesis.until: the nemesis ends at 50 ms, not after it starts at 50 ms"),
    ("nemesis-of-nothing", r#"{"replicas": 2, "nemesis": {"until": 50}, "clients": [{"replica": 0, "ops": [{"get": "x"}]}]}"#,
     "nemesis: a nemesis needs `partitions`, `crashes`, or both"),
    ("zero-retransmit", r#"{"replicas": 2, "channels": {"retransmit": 0}, "clients": [{"replica": 0, "ops": [{"get": "x"}]}]}"#,
     "channels.retransmit: a retransmission timeout of 0 ms"),
];

#[test]
fn json_output_lists_the_faults_and_the_fault_statistics() {
    let output = kvsim(&[
        "run",
        "scenarios/partition.json",
        "--model",
        "linearizable",
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    let run = &doc["runs"][0];
    assert_eq!(
        run["faults"],
        serde_json::json!([
            {"at": 100, "partition": [[0, 1], [2]]},
            {"at": 600, "heal": true}
        ])
    );
    let stats = &run["stats"];
    for field in [
        "timed_out",
        "answered_late",
        "acks",
        "retransmitted",
        "dropped",
        "duplicated",
    ] {
        assert!(stats[field].is_u64(), "stats have {field}");
    }
    assert!(stats["timed_out"].as_u64() > Some(0));
    let availability = &stats["availability"];
    assert!(availability["within_timeout"].as_f64() < availability["answered"].as_f64());
    for field in ["count", "mean", "p50", "p99", "max"] {
        assert!(
            stats["reads"].get(field).is_some(),
            "latencies have {field}"
        );
    }
    let gave_up = run["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|op| !op["gave_up_at"].is_null())
        .expect("an operation that timed out");
    assert!(gave_up["returned_at"].is_null());

    // A run document with operations that timed out is a history `kvsim check` accepts.
    let path = scenario_file("partition-run", &stdout(&output));
    let checked = kvsim(&["check", path.to_str().unwrap()]);
    assert_eq!(checked.status.code(), Some(0), "{}", stderr(&checked));
}

#[test]
fn bad_scenarios_exit_2_with_a_message_naming_file_place_and_problem() {
    for (name, content, expected) in BAD_SCENARIOS {
        let path = scenario_file(name, content);
        let output = kvsim(&["run", path.to_str().unwrap()]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {message}");
        assert!(output.stdout.is_empty(), "{name}: nothing on stdout");
        assert!(
            message.starts_with(&format!("kvsim: {}: ", path.display())),
            "{name}: {message}"
        );
        assert!(
            message.contains(expected),
            "{name}: expected {expected:?} in {message:?}"
        );
        assert_eq!(
            message.lines().count(),
            1,
            "{name}: one message, not a cascade: {message}"
        );
        assert!(!message.contains("panicked"), "{name}: {message}");
    }
}

#[test]
fn a_byte_order_mark_before_the_json_is_accepted() {
    let path = scenario_file(
        "bom",
        "\u{feff}{\"replicas\": 1, \"clients\": [{\"replica\": 0, \"ops\": [{\"get\": \"x\"}]}]}",
    );
    let output = kvsim(&["run", path.to_str().unwrap(), "--model", "eventual"]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn an_unreadable_file_exits_2() {
    let output = kvsim(&["run", "scenarios/no-such-scenario.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("kvsim: scenarios/no-such-scenario.json: cannot read the file")
    );
}

#[test]
fn bad_arguments_exit_2() {
    let output = kvsim(&["run", "scenarios/stale-read.json", "--model", "strong"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output)
        .contains("possible values: linearizable, sequential, causal, eventual, all"));
    assert_eq!(
        kvsim(&["run", "scenarios/stale-read.json", "--seed", "-1"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn budget_flag_is_taken_by_every_command_and_must_be_at_least_one() {
    // The same verdicts with a larger budget: a budget only decides how often a checker can answer,
    // never what it answers.
    let plain = kvsim(&["run", "scenarios/stale-read.json", "--json"]);
    let raised = kvsim(&[
        "run",
        "scenarios/stale-read.json",
        "--json",
        "--budget",
        "8",
    ]);
    assert!(plain.status.success() && raised.status.success());
    assert_eq!(stdout(&plain), stdout(&raised));
    for command in ["run", "check", "sweep"] {
        let output = kvsim(&[command, "--budget", "0", "scenarios/stale-read.json"]);
        assert_eq!(output.status.code(), Some(2), "{command}");
        assert!(stderr(&output).contains("--budget"), "{command}");
    }
}

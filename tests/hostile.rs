//! Hostile input, as a user trying to fool or crash kvsim would write it: content glued after a JSON
//! value, control characters in names, sizes at the documented limits. Each must give either a true
//! answer or exit 2 with one line naming the file — never a verdict about half a file, never a signal.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kvsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kvsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the kvsim binary runs")
}

fn file(name: &str, content: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("hostile-{name}"));
    std::fs::write(&path, content).unwrap();
    path
}

/// Asserts exit status 2 and one line of plain text on stderr that names the file; returns the line.
fn refused(output: &Output, path: &Path) -> String {
    let err = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "expected exit 2, got {output:?}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(!err.trim_end().chars().any(char::is_control), "{err:?}");
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(err.contains(name), "names the file: {err}");
    err
}

const PUT_X1: &str =
    r#"{"client":0,"op":"put","key":"x","value":"1","invoked_at":0,"returned_at":1}"#;

#[test]
fn junk_after_a_scenario_is_refused_at_its_place() {
    let path = file(
        "trailing.json",
        r#"{"replicas":1,"clients":[{"replica":0,"ops":[{"get":"x"}]}]} trailing junk"#,
    );
    let err = refused(&kvsim(&["run", path.to_str().unwrap()]), &path);
    assert!(err.contains("line 1, column 62"), "{err}");
    assert!(err.contains("after the JSON value"), "{err}");
}

#[test]
fn two_run_documents_glued_together_are_refused_not_judged_by_the_first() {
    let a = kvsim(&["run", "scenarios/stale-read.json", "--json"]);
    let b = kvsim(&["run", "scenarios/causal-chain.json", "--json"]);
    assert!(a.status.success() && b.status.success());
    let both = [a.stdout, b.stdout].concat();
    let path = file("both.json", std::str::from_utf8(&both).unwrap());
    let err = refused(&kvsim(&["check", path.to_str().unwrap()]), &path);
    assert!(err.contains("after the JSON value"), "{err}");
}

#[test]
fn a_history_line_with_two_records_is_refused_rather_than_half_read() {
    // The second record on line 2 reads a value nobody wrote: dropping it would make this "holds".
    let text = format!(
        "{PUT_X1}\n{} {}\n",
        r#"{"client":1,"op":"get","key":"x","value":"1","invoked_at":2,"returned_at":3}"#,
        r#"{"client":1,"op":"get","key":"x","value":"2","invoked_at":4,"returned_at":5}"#
    );
    let path = file("two-records.jsonl", &text);
    let err = refused(&kvsim(&["check", path.to_str().unwrap()]), &path);
    assert!(err.contains("line 2, column 78"), "{err}");
}

#[test]
fn a_malformed_first_line_is_described_as_what_it_is() {
    let path = file(
        "bad-first-line.jsonl",
        &format!("{{\"client\":0,\"op\":\"put\" \"key\":\"x\"}}\n{PUT_X1}\n"),
    );
    let err = refused(&kvsim(&["check", path.to_str().unwrap()]), &path);
    assert!(
        err.contains("line 1, column 24: expected `,` or `}`"),
        "{err}"
    );
    assert!(!err.contains("runs"), "{err}");
}

#[test]
fn one_object_without_runs_is_explained() {
    let path = file("no-runs.json", "{\n  \"client\": 0\n}\n");
    let err = refused(&kvsim(&["check", path.to_str().unwrap()]), &path);
    assert!(err.contains("JSON lines with one operation"), "{err}");
}

#[test]
fn junk_after_a_sweep_summary_is_refused_by_merge() {
    let sweep = kvsim(&[
        "sweep",
        "scenarios/stale-read.json",
        "--seeds",
        "0..3",
        "--json",
    ]);
    assert!(sweep.status.success());
    let mut text = String::from_utf8(sweep.stdout).unwrap();
    text.push_str("{}\n");
    let path = file("summary-junk.json", &text);
    let err = refused(&kvsim(&["sweep", "--merge", path.to_str().unwrap()]), &path);
    assert!(err.contains("after the JSON value"), "{err}");
}

#[test]
fn control_characters_in_a_field_name_stay_escaped_on_one_line() {
    let path = file(
        "control.json",
        r#"{"bad\nfield\u001b[31mRED": 1, "replicas": 1}"#,
    );
    let err = refused(&kvsim(&["run", path.to_str().unwrap()]), &path);
    assert!(err.contains(r"bad\nfield\u{1b}[31mRED"), "{err}");
}

#[test]
fn control_characters_in_keys_and_values_are_escaped_in_text_output() {
    let path = file(
        "control-keys.json",
        r#"{"replicas": 1, "description": "two\nlines\u001b[2J",
            "clients": [{"replica": 0, "ops": [{"put": ["k\u001b[31m", "v\r\n"]}, {"get": "k\u001b[31m"}]}]}"#,
    );
    let output = kvsim(&["run", path.to_str().unwrap()]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text}");
    assert!(text.contains(r"put k\u{1b}[31m = v\r\n"), "{text}");
    assert!(text.contains(r"two\nlines\u{1b}[2J"), "{text}");
    // A history with the same names, through the checker's witnesses.
    let history = file(
        "control-keys.jsonl",
        concat!(
            r#"{"client":0,"op":"get","key":"k\u001b[31m","value":"never\nwritten","invoked_at":0,"returned_at":1}"#,
            "\n"
        ),
    );
    let output = kvsim(&["check", history.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains(r"never\nwritten"), "{text}");
}

// Sizes that used to abort or take gigabytes. Time and memory are measured in `benches/hostile.rs`;
// these tests check the answers, at sizes a debug build runs in a second or two.

mod inputs;

use kvsim::check::{check_all, check_run, sequential};
use kvsim::protocol::Model;
use kvsim::scenario::Scenario;
use kvsim::sim::simulate;

#[test]
fn four_billion_keys_cost_nothing_until_drawn() {
    let path = file(
        "keys.json",
        r#"{"replicas": 3, "workload": {"clients": 1, "ops": 1, "keys": 4294967295, "reads": 0.5}}"#,
    );
    let output = kvsim(&["run", path.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
}

#[test]
fn thousands_of_one_operation_clients_are_simulated_and_judged() {
    let config = Scenario::parse(
        r#"{"replicas": 3, "workload": {"clients": 5000, "ops": 1, "keys": 10, "reads": 0.5}}"#,
    )
    .unwrap()
    .validate("clients")
    .unwrap();
    for model in [Model::Sequential, Model::Causal] {
        let verdicts = check_run(&simulate(&config, model));
        assert_eq!(
            verdicts.sequential.ok,
            Some(true),
            "{model:?}: {verdicts:?}"
        );
        assert_eq!(verdicts.causal.ok, Some(true), "{model:?}: {verdicts:?}");
        assert_eq!(
            verdicts.monotonic_reads.ok,
            Some(true),
            "{model:?}: {verdicts:?}"
        );
    }
}

#[test]
fn writes_that_all_time_out_are_judged_by_every_causal_checker() {
    // Under the sequential protocol a write takes two round trips of 50 ms and the clients wait 10:
    // every write times out, and each becomes a session of its own for the checkers.
    let config = Scenario::parse(
        r#"{"replicas": 3, "network": {"delay": {"constant": 50}}, "timeout": 10,
            "workload": {"clients": 20, "ops": 100, "keys": 10, "reads": 0.5}}"#,
    )
    .unwrap()
    .validate("timeouts")
    .unwrap();
    let run = simulate(&config, Model::Sequential);
    let loose = run
        .history
        .iter()
        .filter(|op| op.gave_up_at.is_some())
        .count();
    assert!(loose > 500, "{loose} operations timed out");
    let verdicts = check_run(&run);
    for (name, verdict) in [
        ("causal", &verdicts.causal),
        ("causal convergence", &verdicts.causal_convergence),
        ("read your writes", &verdicts.read_your_writes),
        ("monotonic reads", &verdicts.monotonic_reads),
        ("monotonic writes", &verdicts.monotonic_writes),
        ("writes follow reads", &verdicts.writes_follow_reads),
    ] {
        assert_eq!(verdict.ok, Some(true), "{name}: {verdict:?}");
    }
}

#[test]
fn ten_thousand_writes_that_never_returned_are_judged() {
    let h = inputs::never_returned(10_000);
    let verdicts = check_all(&h, None);
    assert_eq!(verdicts.linearizable.ok, Some(true));
    assert_eq!(verdicts.sequential.ok, Some(true));
    assert_eq!(verdicts.causal_convergence.ok, Some(true));
}

#[test]
fn ten_thousand_writes_to_one_key_are_judged() {
    let h = inputs::one_key(10_000);
    let verdicts = check_all(&h, None);
    assert_eq!(verdicts.linearizable.ok, Some(true));
    assert_eq!(verdicts.sequential.ok, Some(true));
}

#[test]
fn a_violation_in_one_independent_part_breaks_the_whole_at_once() {
    // Independent reads of independent writes (x, y), beside a thousand one-operation clients on z.
    let h = inputs::iriw_beside(1000);
    let verdict = sequential::check(&h);
    assert_eq!(verdict.ok, Some(false), "{verdict:?}");
    let witness = verdict.witness.join("\n");
    assert!(
        witness.contains("client 2") && witness.contains("client 3"),
        "{witness}"
    );
    assert!(!witness.contains(" z "), "{witness}");
}

/// Runs kvsim with its address space limited to `mib` MiB (`ulimit -v`), so that a checker whose
/// memory grows with the square of the history aborts here instead of passing on a big machine.
fn kvsim_within(mib: u64, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {}; exec \"$0\" \"$@\"", mib * 1024))
        .arg(env!("CARGO_BIN_EXE_kvsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("sh runs")
}

/// Writes JSON lines, one operation each.
fn history_file(name: &str, ops: impl Iterator<Item = String>) -> PathBuf {
    let mut text = String::new();
    for op in ops {
        text.push_str(&op);
        text.push('\n');
    }
    file(name, &text)
}

#[test]
fn one_clients_writes_that_never_returned_are_checked_in_little_memory() {
    // 30,000 such writes used to take 3.5 GB: one session, and one clock entry, each.
    let path = history_file(
        "never-returned.jsonl",
        (0..30_000).map(|i| {
            format!(r#"{{"client":0,"op":"put","key":"x","value":"{i}","invoked_at":{i}}}"#)
        }),
    );
    let output = kvsim_within(1024, &["check", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("sequential           holds"), "{text}");
}

#[test]
fn many_writes_to_one_key_are_checked_in_little_memory() {
    // The linearizability memo kept a bitset of all operations per configuration: 100,000 writes
    // to one key took 1.3 GB.
    let path = history_file(
        "one-key.jsonl",
        (0..100_000).map(|i| {
            format!(
                r#"{{"client":0,"op":"put","key":"x","value":"{i}","invoked_at":{},"returned_at":{}}}"#,
                2 * i,
                2 * i + 1
            )
        }),
    );
    let output = kvsim_within(
        1024,
        &["check", path.to_str().unwrap(), "--model", "linearizable"],
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

#[test]
fn thirty_thousand_clients_run_in_little_memory() {
    // Vector clocks over every client for every operation: 30,000 × 30,000 entries, 3.6 GB.
    let path = file(
        "clients.json",
        r#"{"replicas": 3, "workload": {"clients": 30000, "ops": 1, "keys": 10, "reads": 0.5}}"#,
    );
    let output = kvsim_within(1024, &["run", path.to_str().unwrap(), "--model", "causal"]);
    assert!(output.status.success(), "{output:?}");
}

/// Writes raw bytes (not necessarily UTF-8).
fn bytes_file(name: &str, content: &[u8]) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("hostile-{name}"));
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn history_files_in_other_formats_that_are_empty_or_not_utf8_are_refused() {
    for (name, content) in [
        ("empty.edn", &b""[..]),
        ("blank.edn", &b"  \n\n"[..]),
        (
            "latin1.edn",
            &b"{:type :invoke, :f :write, :value \"caf\xe9\", :process 0}\n"[..],
        ),
        (
            "latin1.log",
            &b"INFO  jepsen.util - 0\t:invoke\t:write\t\xff\n"[..],
        ),
    ] {
        let path = bytes_file(name, content);
        refused(&kvsim(&["check", path.to_str().unwrap()]), &path);
    }
    // Comments only, or only the nemesis: no client operations.
    let path = file(
        "nemesis-only.edn",
        "{:type :info, :f :start, :value nil, :process :nemesis}\n",
    );
    let err = refused(&kvsim(&["check", path.to_str().unwrap()]), &path);
    assert!(err.contains("no client operations"), "{err}");
}

#[test]
fn huge_numbers_in_edn_histories_are_refused_at_their_line() {
    for (name, text, expected) in [
        (
            "huge-time.edn",
            "{:type :invoke, :f :write, :value 1, :process 0, :time 1}\n\
             {:type :ok, :f :write, :value 1, :process 0, :time 99999999999999999999999}\n",
            "line 2, column 52: not EDN: an invalid number",
        ),
        (
            "huge-process.edn",
            "{:type :invoke, :f :write, :value 1, :process 4294967296}\n",
            "line 1: process 4294967296 is out of range",
        ),
        (
            "huge-value.log",
            "INFO  jepsen.util - 0\t:invoke\t:write\t123456789012345678901234567890\n",
            "line 1: the value `123456789012345678901234567890` is not one EDN value",
        ),
    ] {
        let path = file(name, text);
        let err = refused(&kvsim(&["check", path.to_str().unwrap()]), &path);
        assert!(err.contains(expected), "{err}");
    }
}

#[test]
fn deeply_nested_edn_is_refused_without_overflowing_the_stack() {
    // 200,000 nested vectors: a recursive parser, printer or drop would overflow the stack.
    let depth = 200_000;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let cases = [
        (
            "nested-value.edn",
            format!("{{:type :invoke, :f :write, :value {nested}, :process 0}}\n"),
            "neither an integer nor a string",
        ),
        ("nested-form.edn", format!("{nested}\n"), "expected a map"),
        (
            "nested-unclosed.edn",
            format!(
                "{{:type :invoke, :f :write, :value {}}}\n",
                "[".repeat(depth)
            ),
            "line 1",
        ),
        (
            "nested-key.txt",
            format!("{{:process 0, :type :invoke, :f :get, :key {nested}}}\n"),
            "is not a string",
        ),
        (
            "nested-value.log",
            format!("INFO  jepsen.util - 0\t:invoke\t:write\t{nested}\n"),
            "neither an integer nor a string",
        ),
    ];
    for (name, text, expected) in cases {
        let path = file(name, &text);
        let err = refused(&kvsim(&["check", path.to_str().unwrap()]), &path);
        assert!(err.contains(expected), "{name}: {err}");
        assert!(err.len() < 400, "a short message: {err}");
    }
}

#[test]
fn control_characters_in_other_formats_stay_escaped_on_one_line() {
    let path = file(
        "control.log",
        "INFO  jepsen.util - \u{1b}[31m\t:invoke\t:write\t1\n",
    );
    let err = refused(&kvsim(&["check", path.to_str().unwrap()]), &path);
    assert!(err.contains(r"\u{1b}[31m"), "{err}");
}

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

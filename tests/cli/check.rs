//! `kvsim check`: judging a run document or JSON lines, its exit statuses, and bad history lines.

use std::path::Path;

use super::{kvsim, scenario_file, stderr, stdout};
#[test]
fn check_judges_a_run_document_and_exits_1_when_a_property_is_broken() {
    let run = kvsim(&["run", "scenarios/stale-read.json", "--json"]);
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-stale-read-run.json");
    std::fs::write(&path, &run.stdout).unwrap();
    let output = kvsim(&["check", path.to_str().unwrap(), "--model", "linearizable"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("run of sequential"));
    assert!(text.contains("stale read"));
    let sequential = kvsim(&["check", path.to_str().unwrap(), "--model", "sequential"]);
    assert_eq!(
        sequential.status.code(),
        Some(0),
        "every run of stale-read is sequentially consistent"
    );
}

#[test]
fn check_reads_json_lines_and_answers_in_json() {
    let path = scenario_file(
        "history-lines",
        "{\"client\": 0, \"op\": \"put\", \"key\": \"x\", \"value\": \"1\", \"invoked_at\": 0, \"returned_at\": 12}\n\
         {\"client\": 1, \"op\": \"get\", \"key\": \"x\", \"value\": null, \"invoked_at\": 20, \"returned_at\": 25}\n\
         {\"client\": 2, \"op\": \"put\", \"key\": \"x\", \"value\": \"2\", \"invoked_at\": 3}\n",
    );
    let output = kvsim(&["check", path.to_str().unwrap(), "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let verdicts = &doc["histories"][0]["verdicts"];
    assert_eq!(verdicts["linearizable"]["ok"], false);
    assert_eq!(verdicts["linearizable"]["anomaly"], "stale read");
    assert_eq!(verdicts["sequential"]["ok"], true);
    assert!(
        verdicts.get("convergent").is_none(),
        "a history file has no final stores"
    );
    // The witness names its operations by line (0-based), and the strongest model is named.
    assert_eq!(
        verdicts["linearizable"]["operations"],
        serde_json::json!([0, 1])
    );
    assert_eq!(
        doc["histories"][0]["strongest"],
        serde_json::json!({"model": "sequential", "exact": true, "not": "linearizable", "because": "stale read"})
    );
    let text = kvsim(&["check", path.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&text.stdout)
            .contains("\n  strongest: sequential (not linearizable: stale read)\n"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
}

#[test]
fn check_rejects_bad_history_lines_with_exit_2() {
    let cases = [
        ("no-value", "{\"client\": 0, \"op\": \"put\", \"key\": \"x\", \"invoked_at\": 0}\n", "line 1: client 0's put of x has no value"),
        ("bad-op", "{\"client\": 0, \"op\": \"delete\", \"key\": \"x\", \"invoked_at\": 0}\n", "line 1, column 28: op: unknown variant `delete`"),
        ("backwards", "{\"client\": 0, \"op\": \"get\", \"key\": \"x\", \"invoked_at\": 9, \"returned_at\": 3}\n", "returned_at 3 is before invoked_at 9"),
        (
            "overlap",
            "{\"client\": 0, \"op\": \"get\", \"key\": \"x\", \"invoked_at\": 0, \"returned_at\": 9}\n\n{\"client\": 0, \"op\": \"get\", \"key\": \"x\", \"invoked_at\": 5, \"returned_at\": 12}\n",
            "line 3: client 0 starts an operation at t=5 before its previous one returned at t=9",
        ),
        ("empty", "\n\n", "the file holds no operations"),
    ];
    for (name, content, expected) in cases {
        let path = scenario_file(name, content);
        let output = kvsim(&["check", path.to_str().unwrap()]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {message}");
        assert!(
            message.contains(expected),
            "{name}: expected {expected:?} in {message:?}"
        );
    }
}

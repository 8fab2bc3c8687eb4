//! History formats: small hand-written files in each format (tests/formats/) with known verdicts,
//! how the format is told, each kind of malformed line refused at its line, and the round trip —
//! a run written as Jepsen EDN and read back is judged as the run was.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kvsim::check::history::{CheckHistory, RawOp};
use kvsim::check::{check_all, check_run, Property};
use kvsim::history::formats::{self, jepsen_edn, Format, ReadOptions};
use kvsim::history::Operation;
use kvsim::ids::{ClientId, ReplicaId};
use kvsim::op::OpKind;
use kvsim::protocol::Model;
use kvsim::scenario::Scenario;
use kvsim::sim::simulate;

fn kvsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kvsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the kvsim binary runs")
}

fn file(name: &str, content: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("formats-{name}"));
    std::fs::write(&path, content).unwrap();
    path
}

/// `kvsim check PATH ARGS… --json`: the exit status and each history's verdicts (`ok` by property).
fn check(path: &str, args: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let mut all = vec!["check", path, "--json"];
    all.extend_from_slice(args);
    let output = kvsim(&all);
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("{path}: {}", String::from_utf8_lossy(&output.stderr)));
    let histories = doc["histories"].as_array().unwrap().clone();
    (output.status.code().unwrap(), histories)
}

fn ok(history: &serde_json::Value, property: &str) -> Option<bool> {
    history["verdicts"][property]["ok"].as_bool()
}

/// Asserts exit status 2 with one line on stderr naming the file and containing `expected`.
fn refused(path: &Path, args: &[&str], expected: &str) {
    let mut all = vec!["check", path.to_str().unwrap()];
    all.extend_from_slice(args);
    let output = kvsim(&all);
    let err = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "exit 2 for {path:?}: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(
        err.starts_with("kvsim: ") && err.contains(name),
        "names the file: {err}"
    );
    assert!(err.contains(expected), "expected {expected:?} in: {err}");
}

#[test]
fn a_jepsen_register_history_with_info_fail_and_nemesis_is_linearizable() {
    // The write that timed out (:info) may have happened, so the later reads of 2 are fine; the
    // failed write of 3 did not happen; the nemesis's event is not a client's.
    let (status, histories) = check("tests/formats/jepsen-register.edn", &[]);
    assert_eq!(status, 0);
    assert_eq!(histories[0]["label"], "jepsen history");
    assert_eq!(histories[0]["operations"], 5);
    assert_eq!(ok(&histories[0], "linearizable"), Some(true));
}

#[test]
fn a_vector_of_jepsen_maps_timed_by_index_shows_a_stale_read() {
    let (status, histories) = check("tests/formats/jepsen-stale.edn", &[]);
    assert_eq!(status, 1);
    assert_eq!(
        histories[0]["verdicts"]["linearizable"]["anomaly"],
        "stale read"
    );
    assert_eq!(ok(&histories[0], "sequential"), Some(true));
}

#[test]
fn newer_jepsen_records_are_read_as_their_maps() {
    let path = file(
        "records.edn",
        "#jepsen.history.Op{:index 0, :time 0, :type :invoke, :process 0, :f :write, :value 3}\n\
         #jepsen.history.Op{:index 1, :time 5, :type :ok, :process 0, :f :write, :value 3}\n\
         #jepsen.history.Op{:index 2, :time 6, :type :invoke, :process 1, :f :read, :value nil}\n\
         #jepsen.history.Op{:index 3, :time 9, :type :ok, :process 1, :f :read, :value nil}\n",
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(formats::detect(&text), Some(Format::Jepsen));
    let (status, histories) = check(path.to_str().unwrap(), &[]);
    assert_eq!(status, 1);
    assert_eq!(
        histories[0]["verdicts"]["linearizable"]["anomaly"],
        "stale read"
    );
    // Another tag is not an event.
    let path = file(
        "other-tag.edn",
        "#my.Rec{:type :invoke, :f :write, :value 1, :process 0}\n",
    );
    refused(&path, &[], "line 1: expected a map");
}

#[test]
fn jepsen_operations_keyed_by_a_key_field_are_checked_per_key() {
    let (status, histories) = check("tests/formats/jepsen-keyed.edn", &[]);
    assert_eq!(status, 0);
    assert_eq!(ok(&histories[0], "linearizable"), Some(true));
}

#[test]
fn a_maelstrom_lww_history_is_sequential_but_not_linearizable() {
    // Read as Jepsen EDN (detected), and with --format maelstrom, which insists on tuples: the
    // same verdicts. The failed read (error 20) is dropped; the timed-out write may have happened.
    for args in [&[][..], &["--format", "maelstrom"][..]] {
        let (status, histories) = check("tests/formats/maelstrom-lww.edn", args);
        assert_eq!(status, 1, "{args:?}");
        assert_eq!(ok(&histories[0], "linearizable"), Some(false));
        assert_eq!(ok(&histories[0], "sequential"), Some(true));
    }
}

#[test]
fn a_jepsen_text_log_skips_other_loggers_and_the_nemesis_and_shows_a_stale_read() {
    // The :fail :read :timed-out is a read of unknown result, dropped; the last read of nil after
    // the write of 1 completed is stale, and after client 1 read 1, not monotonic either.
    let (status, histories) = check("tests/formats/jepsen-stale.log", &[]);
    assert_eq!(status, 1);
    assert_eq!(histories[0]["label"], "jepsen log");
    assert_eq!(histories[0]["operations"], 4);
    assert_eq!(ok(&histories[0], "linearizable"), Some(false));
    assert_eq!(ok(&histories[0], "monotonic_reads"), Some(false));
}

#[test]
fn a_porcupine_read_of_the_empty_string_is_a_read_of_an_absent_key_unless_told_otherwise() {
    let (status, histories) = check("tests/formats/porcupine-kv.txt", &[]);
    assert_eq!(status, 0);
    assert_eq!(histories[0]["label"], "porcupine history");
    assert_eq!(ok(&histories[0], "linearizable"), Some(true));
    // With --empty value, "" is a value nobody wrote.
    let (status, histories) = check("tests/formats/porcupine-kv.txt", &["--empty", "value"]);
    assert_eq!(status, 1);
    assert_eq!(ok(&histories[0], "causal"), Some(false));
}

#[test]
fn a_maelstrom_history_with_compare_and_set_shows_a_stale_read() {
    // The write of 3, the cas 3→4, the failed cas 3→5 (it did not happen): the read of 3 after
    // the cas succeeded is stale.
    let (status, histories) = check("tests/formats/maelstrom-cas.edn", &[]);
    assert_eq!(status, 1);
    assert_eq!(ok(&histories[0], "linearizable"), Some(false));
}

#[test]
fn a_jepsen_log_with_compare_and_set_is_linearizable() {
    let (status, histories) = check("tests/formats/jepsen-cas.log", &[]);
    assert_eq!(status, 0);
    assert_eq!(ok(&histories[0], "linearizable"), Some(true));
}

#[test]
fn a_porcupine_log_with_appends_is_linearizable() {
    let (status, histories) = check("tests/formats/porcupine-append.txt", &[]);
    assert_eq!(status, 0);
    assert_eq!(ok(&histories[0], "linearizable"), Some(true));
}

#[test]
fn the_format_is_told_from_the_first_lines() {
    let detect = |text: &str| formats::detect(text);
    let read = |path: &str| std::fs::read_to_string(path).unwrap();
    assert_eq!(
        detect(&read("tests/formats/jepsen-register.edn")),
        Some(Format::Jepsen)
    );
    assert_eq!(
        detect(&read("tests/formats/jepsen-stale.edn")),
        Some(Format::Jepsen)
    );
    assert_eq!(
        detect(&read("tests/formats/maelstrom-lww.edn")),
        Some(Format::Jepsen)
    );
    assert_eq!(
        detect(&read("tests/formats/jepsen-stale.log")),
        Some(Format::JepsenLog)
    );
    assert_eq!(
        detect(&read("tests/formats/porcupine-kv.txt")),
        Some(Format::Porcupine)
    );
    assert_eq!(
        detect(&read("tests/formats/porcupine-append.txt")),
        Some(Format::Porcupine)
    );
    assert_eq!(
        detect(r#"{"client": 0, "op": "get", "key": "x", "invoked_at": 0}"#),
        Some(Format::Kvsim)
    );
    assert_eq!(detect("{\n  \"runs\": []\n}"), Some(Format::Kvsim));
    assert_eq!(
        detect(";; kvsim history: run of causal\n{:type :invoke, :f :append, :value [\"x\" \"a\"], :process 0}"),
        Some(Format::Jepsen),
        "kvsim's own appends are keyed by tuples, not Porcupine's string :key"
    );
    assert_eq!(detect("hello\nworld\n"), None);
    let path = file("unknown.txt", "hello\nworld\n");
    refused(&path, &[], "cannot tell the format");
}

#[test]
fn a_forced_format_overrides_detection() {
    // A Jepsen register history is not a Maelstrom one: Maelstrom keys every value by a tuple.
    refused(
        Path::new("tests/formats/jepsen-register.edn"),
        &["--format", "maelstrom"],
        "line 1: this operation is a single register (no key); a Maelstrom history keys every operation",
    );
    refused(
        Path::new("tests/formats/jepsen-register.edn"),
        &["--format", "kvsim"],
        "line 1",
    );
}

#[test]
fn each_kind_of_malformed_jepsen_line_is_refused_at_its_line() {
    let write = "{:type :invoke, :f :write, :value 1, :process 0, :time 1}\n";
    let cases: &[(&str, &str, &str)] = &[
        (
            "unclosed",
            "{:type :invoke, :f :write, :value 1, :process 0\n",
            "line 2",
        ),
        (
            "not-a-map",
            "{:type :invoke, :f :write, :value 1, :process 0}\n[1 2]\n",
            "line 2: expected a map",
        ),
        (
            "unknown-f",
            "{:type :invoke, :f :delete, :value 1, :process 0}\n",
            "line 1: unknown :f :delete",
        ),
        (
            "unknown-type",
            "{:type :done, :f :write, :value 1, :process 0}\n",
            "line 1: unknown :type :done",
        ),
        (
            "no-process",
            "{:type :invoke, :f :write, :value 1}\n",
            "line 1: the map has no :process",
        ),
        (
            "string-process",
            "{:type :invoke, :f :write, :value 1, :process \"a\"}\n",
            "neither an integer",
        ),
        (
            "huge-process",
            "{:type :invoke, :f :write, :value 1, :process 99999999999}\n",
            "out of range",
        ),
        (
            "not-invoked",
            "{:type :ok, :f :write, :value 1, :process 0}\n",
            "line 1: process 0 completes an operation",
        ),
        (
            "completion-writes-another-value",
            "{:type :invoke, :f :write, :value 4, :process 0, :time 0}\n{:type :ok, :f :write, :value 5, :process 0, :time 1}\n",
            "line 2: process 0's completion says 5, but its :invoke at line 1 says 4",
        ),
        (
            "completion-of-another-cas",
            "{:type :invoke, :f :cas, :value [1 2], :process 0, :time 0}\n{:type :ok, :f :cas, :value [3 4], :process 0, :time 1}\n",
            "line 2: process 0's completion says [3 4], but its :invoke at line 1 says [1 2]",
        ),
        (
            "cas-failed-on-its-expected-value",
            "{:type :invoke, :f :cas, :value [1 2], :process 0, :time 0}\n{:type :fail, :f :cas, :value [1 2], :seen 1, :process 0, :time 1}\n",
            "line 2: process 0's compare-and-set failed seeing 1, the very value it expected",
        ),
        (
            "overlap",
            &format!("{write}{{:type :invoke, :f :read, :value nil, :process 0, :time 2}}\n"),
            "line 2: process 0 invokes an operation while its :invoke at line 1",
        ),
        (
            "other-f",
            &format!("{write}{{:type :ok, :f :read, :value 1, :process 0, :time 2}}\n"),
            "line 2: process 0's completion is of a get",
        ),
        (
            "time-back",
            &format!("{write}{{:type :ok, :f :write, :value 1, :process 0, :time 0}}\n"),
            "line 2: time 0 is before 1",
        ),
        (
            "negative-time",
            "{:type :invoke, :f :write, :value 1, :process 0, :time -5}\n",
            ":time -5 is not a whole number",
        ),
        (
            "two-shapes",
            &format!("{write}{{:type :invoke, :f :write, :value [1 2], :process 1, :time 2}}\n"),
            "line 2: this operation is keyed by independent tuples",
        ),
        (
            "int-and-string",
            &format!("{write}{{:type :invoke, :f :write, :value \"1\", :process 1, :time 2}}\n"),
            "both the integer 1 and the string \"1\"",
        ),
        (
            "float-value",
            "{:type :invoke, :f :write, :value 1.5, :process 0}\n",
            "the value 1.5 is neither an integer nor a string",
        ),
        (
            "bad-cas",
            "{:type :invoke, :f :cas, :value [1 2 3], :process 0}\n",
            "a :cas value must be [expected new]",
        ),
        (
            "write-nil",
            "{:type :invoke, :f :write, :value nil, :process 0}\n",
            "of nil",
        ),
        (
            "duplicate-key",
            "{:type :invoke, :type :ok, :f :write, :value 1, :process 0}\n",
            "the same key twice",
        ),
        (
            "after-vector",
            "[{:type :invoke, :f :write, :value 1, :process 0}] {:a 1}\n",
            "content after the vector",
        ),
        (
            "unclosed-vector",
            "[{:type :invoke, :f :write, :value 1, :process 0}\n",
            "never closed",
        ),
    ];
    for (name, text, expected) in cases {
        let path = file(&format!("bad-{name}.edn"), text);
        refused(&path, &["--format", "jepsen"], expected);
    }
}

#[test]
fn each_kind_of_malformed_jepsen_log_line_is_refused_at_its_line() {
    let ok = "INFO  jepsen.util - 0\t:invoke\t:write\t1\n";
    let cases: &[(&str, String, &str)] = &[
        (
            "fields",
            format!("{ok}INFO  jepsen.util - 0\t:ok\t:write\n"),
            "line 2: a jepsen.util line has 4 tab-separated fields",
        ),
        (
            "process",
            "INFO  jepsen.util - zero\t:invoke\t:write\t1\n".to_string(),
            "line 1: process `zero`",
        ),
        (
            "type",
            "INFO  jepsen.util - 0\t:begun\t:write\t1\n".to_string(),
            "line 1: unknown type `:begun`",
        ),
        (
            "f",
            "INFO  jepsen.util - 0\t:invoke\t:delete\t1\n".to_string(),
            "line 1: unknown :f :delete",
        ),
        (
            "value",
            format!("{ok}INFO  jepsen.util - 1\t:invoke\t:cas\t[3 0\n"),
            "line 2: the value `[3 0` is not one EDN value",
        ),
        (
            "two-values",
            "INFO  jepsen.util - 1\t:invoke\t:write\t3 4\n".to_string(),
            "line 1: the value `3 4`",
        ),
        (
            "empty-event",
            "INFO  jepsen.core - starting\nWARN  jepsen.util - \n".into(),
            "line 2: a jepsen.util line has 4",
        ),
    ];
    for (name, text, expected) in cases {
        let path = file(&format!("bad-{name}.log"), text);
        refused(&path, &["--format", "jepsen-log"], expected);
    }
    let path = file("only-others.log", "INFO  jepsen.core - nothing to see\n");
    refused(
        &path,
        &["--format", "jepsen-log"],
        "no jepsen.util event lines",
    );
}

#[test]
fn each_kind_of_malformed_porcupine_line_is_refused_at_its_line() {
    let put = "{:process 0, :type :invoke, :f :put, :key \"a\", :value \"x\"}\n";
    let cases: &[(&str, String, &str)] = &[
        (
            "fail",
            format!("{put}{{:process 0, :type :fail, :f :put, :key \"a\", :value \"x\"}}\n"),
            "line 2: unknown :type :fail",
        ),
        (
            "f",
            "{:process 0, :type :invoke, :f :delete, :key \"a\"}\n".into(),
            "line 1: unknown :f :delete",
        ),
        (
            "key",
            "{:process 0, :type :invoke, :f :get, :key 3}\n".into(),
            "line 1: :key 3 is not a string",
        ),
        (
            "no-key",
            "{:process 0, :type :invoke, :f :get}\n".into(),
            "line 1: the map has no :key",
        ),
        (
            "put-empty",
            "{:process 0, :type :invoke, :f :put, :key \"a\", :value \"\"}\n".into(),
            "line 1: a put of \"\"",
        ),
        (
            "value",
            "{:process 0, :type :invoke, :f :put, :key \"a\", :value 3}\n".into(),
            "line 1: :value 3 is neither a string nor nil",
        ),
        (
            "nemesis",
            "{:process :nemesis, :type :invoke, :f :get, :key \"a\"}\n".into(),
            "not a client number",
        ),
    ];
    for (name, text, expected) in cases {
        let path = file(&format!("bad-{name}.txt"), text);
        refused(&path, &["--format", "porcupine"], expected);
    }
    // With --empty value, a put of "" is an ordinary put.
    let path = file(
        "put-empty.txt",
        "{:process 0, :type :invoke, :f :put, :key \"a\", :value \"\"}\n",
    );
    assert_eq!(
        kvsim(&["check", path.to_str().unwrap(), "--empty", "value"])
            .status
            .code(),
        Some(0)
    );
}

/// The verdict of every property but convergence (which needs the final stores), as `ok` values.
fn verdicts_of(history: &CheckHistory) -> Vec<(Property, Option<bool>)> {
    let all = check_all(history, None);
    Property::ALL
        .into_iter()
        .filter(|&p| p != Property::Convergent)
        .map(|p| (p, all.get(p).ok))
        .collect()
}

fn has_cas_or_append(history: &[Operation]) -> bool {
    history
        .iter()
        .any(|op| matches!(op.op, OpKind::Cas | OpKind::Append))
}

#[test]
fn every_shipped_scenario_written_as_edn_and_read_back_gets_the_runs_verdicts() {
    let mut checked = 0;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        let config = Scenario::load(&path).unwrap();
        for model in Model::ALL {
            let run = simulate(&config, model);
            if has_cas_or_append(&run.history) {
                continue;
            }
            let verdicts = check_run(&run);
            let expected: Vec<(Property, Option<bool>)> = Property::ALL
                .into_iter()
                .filter(|&p| p != Property::Convergent)
                .map(|p| (p, verdicts.get(p).ok))
                .collect();
            let edn = jepsen_edn::write("run", &run.history);
            let loaded = formats::read(&edn, None, &ReadOptions::default()).unwrap();
            assert_eq!(loaded.len(), 1);
            assert_eq!(
                verdicts_of(&loaded[0].history),
                expected,
                "{} under {}",
                path.display(),
                model.name()
            );
            checked += 1;
        }
    }
    assert!(checked >= 60, "{checked} runs");
}

#[test]
fn history_format_edn_replaces_the_report_and_is_refused_with_json_show_or_trace() {
    for other in ["--json", "--trace", "--show=history"] {
        let output = kvsim(&[
            "run",
            "scenarios/stale-read.json",
            "--history-format",
            "edn",
            other,
        ]);
        assert_eq!(output.status.code(), Some(2), "{other}");
    }
}

#[test]
fn run_prints_edn_that_check_reads_back_as_one_history_per_model() {
    let edn = kvsim(&[
        "run",
        "scenarios/stale-read.json",
        "--history-format",
        "edn",
    ]);
    assert!(edn.status.success());
    let text = String::from_utf8(edn.stdout).unwrap();
    assert!(text.starts_with(";; kvsim history: run of linearizable\n{:type :invoke, :f :write, :value [\"x\" 1], :process 0, :time 0, :index 0}\n"), "{text}");
    let path = file("stale-read.edn", &text);
    let (status, histories) = check(path.to_str().unwrap(), &[]);
    assert_eq!(status, 1, "the sequential run is not linearizable");
    let labels: Vec<&str> = histories
        .iter()
        .map(|h| h["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "run of linearizable",
            "run of sequential",
            "run of causal",
            "run of eventual"
        ]
    );
    assert_eq!(ok(&histories[1], "linearizable"), Some(false));
    assert_eq!(ok(&histories[0], "linearizable"), Some(true));
}

/// An operation of `client` on key `k`, as `kvsim run` records it.
fn op(
    client: u32,
    kind: OpKind,
    value: Option<&str>,
    invoked: u64,
    returned: Option<u64>,
) -> Operation {
    Operation {
        client: ClientId(client),
        replica: ReplicaId(0),
        op: kind,
        key: "k".into(),
        value: value.map(Into::into),
        expected: None,
        ok: None,
        seen: None,
        invoked_at: invoked,
        returned_at: returned,
        gave_up_at: None,
    }
}

/// A history with every kind of operation and completion, as `kvsim run` records them: a cas that
/// succeeded, one that failed (seeing 2), one from `nil`, an append, a put its client gave up on,
/// and a get the run ended before answering.
fn cas_history() -> Vec<Operation> {
    let mut put = op(0, OpKind::Put, Some("1"), 0, Some(10));
    put.key = "x y".into();
    let mut cas_from_nil = op(0, OpKind::Cas, Some("1"), 10, Some(20));
    cas_from_nil.expected = Some(None);
    cas_from_nil.ok = Some(true);
    let mut cas_ok = op(1, OpKind::Cas, Some("2"), 20, Some(30));
    cas_ok.expected = Some(Some("1".into()));
    cas_ok.ok = Some(true);
    let mut cas_failed = op(2, OpKind::Cas, Some("three"), 20, Some(40));
    cas_failed.expected = Some(Some("1".into()));
    cas_failed.ok = Some(false);
    cas_failed.seen = Some(Some("2".into()));
    let append = op(1, OpKind::Append, Some("-a"), 30, Some(30));
    let mut gave_up = op(0, OpKind::Put, Some("\"quoted\"\n"), 20, None);
    gave_up.gave_up_at = Some(50);
    let get = op(2, OpKind::Get, None, 40, None);
    vec![put, cas_from_nil, cas_ok, cas_failed, append, gave_up, get]
}

#[test]
fn compare_and_set_and_append_survive_the_edn_round_trip_exactly() {
    let history = cas_history();
    let edn = jepsen_edn::write("cas", &history);
    assert!(edn.contains(":type :fail, :f :cas, :value [\"k\" [1 \"three\"]], :process 2, :time 40000000, :index "), "{edn}");
    assert!(edn.contains(":seen 2}"), "{edn}");
    assert!(edn.contains("{:type :info, :f :write"), "{edn}");
    let read = jepsen_edn::read_ops(&edn, true).unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].0, "cas");
    let mut expected: Vec<RawOp> = history.iter().map(RawOp::from).collect();
    for op in &mut expected {
        op.invoked_at *= 1_000_000;
        op.returned_at = op.returned_at.map(|t| t * 1_000_000);
    }
    let mut got = read[0].1.clone();
    let order = |op: &RawOp| (op.invoked_at, op.client);
    expected.sort_by_key(order);
    got.sort_by_key(order);
    assert_eq!(got, expected);
}

#[test]
fn a_history_with_compare_and_set_gets_the_same_verdicts_after_the_edn_round_trip() {
    let history = cas_history();
    let edn = jepsen_edn::write("cas", &history);
    let loaded = formats::read(&edn, None, &ReadOptions::default()).unwrap();
    assert_eq!(
        verdicts_of(&loaded[0].history),
        verdicts_of(&CheckHistory::from_run(&history))
    );
}

#[test]
fn events_at_one_instant_are_written_invokes_first_but_a_client_completes_before_it_invokes_again()
{
    // At t=10, client 0's put returns and client 0 and client 1 both invoke a get. kvsim counts
    // them as concurrent, and a Jepsen tool reads the file's order as real time: so client 1's
    // invoke comes first, and client 0's own invoke only after its completion.
    let mut put = op(0, OpKind::Put, Some("1"), 0, Some(10));
    put.key = "x".into();
    let history = vec![
        put,
        op(0, OpKind::Get, Some("1"), 10, Some(15)),
        op(1, OpKind::Get, Some("1"), 10, Some(20)),
    ];
    let edn = jepsen_edn::write("instant", &history);
    let at_ten: Vec<&str> = edn
        .lines()
        .filter(|l| l.contains(":time 10000000,"))
        .collect();
    assert_eq!(at_ten.len(), 3, "{edn}");
    assert!(
        at_ten[0].starts_with("{:type :invoke, :f :read, :value [\"k\" nil], :process 1"),
        "{edn}"
    );
    assert!(
        at_ten[1].starts_with("{:type :ok, :f :write, :value [\"x\" 1], :process 0"),
        "{edn}"
    );
    assert!(
        at_ten[2].starts_with("{:type :invoke, :f :read, :value [\"k\" nil], :process 0"),
        "{edn}"
    );
    let read = jepsen_edn::read_ops(&edn, false).unwrap();
    assert_eq!(read[0].1.len(), 3);
}

/// `--empty` only means something for a Porcupine log: given with another format, it is refused
/// rather than silently ignored.
#[test]
fn empty_is_refused_for_files_that_are_not_porcupine_logs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/formats");
    refused(
        &dir.join("jepsen-cas.log"),
        &["--empty", "value"],
        "--empty is for Porcupine kv logs, and this file is read as a Jepsen text log",
    );
    refused(
        &dir.join("jepsen-register.edn"),
        &["--empty", "absent"],
        "this file is read as a Jepsen EDN history",
    );
}

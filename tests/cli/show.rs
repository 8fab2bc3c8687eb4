//! What `kvsim run` prints: a default view that fits a screen, `--show` to choose sections, stamps
//! that cannot be read as decimals, latency that is `-` when nothing was answered, and each anomaly
//! explained once.

use super::{kvsim, stderr, stdout};

fn run_text(args: &[&str]) -> String {
    let output = kvsim(args);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
}

#[test]
fn all_models_print_the_description_once() {
    let text = run_text(&["run", "scenarios/causal-chain.json"]);
    assert_eq!(text.matches("A causal chain.").count(), 1, "{text}");
    assert_eq!(text.matches("scenario causal-chain, seed 7").count(), 1);
}

#[test]
fn each_distinct_witness_is_printed_once_and_later_cells_point_back_to_it() {
    let text = run_text(&["run", "scenarios/causal-chain.json"]);
    // The causal reversal breaks sequential, causal and causal convergence of the eventual run.
    let last_line = "so the write is causally before the read, yet the read saw no write at all";
    assert_eq!(text.matches(last_line).count(), 1, "{text}");
    assert!(text.contains("eventual × causal: same as eventual × sequential above"));
}

#[test]
fn an_anomaly_is_explained_in_a_sentence_the_first_time_it_appears() {
    let text = run_text(&["run", "scenarios/causal-chain.json"]);
    for anomaly in [
        "stale read",
        "causal reversal (WriteCOInitRead)",
        "writes-follow-reads violation",
    ] {
        let first = text
            .find(&format!(": {anomaly}\n"))
            .unwrap_or_else(|| panic!("{anomaly} has a witness\n{text}"));
        let next = text[first..].lines().nth(1).unwrap();
        assert!(
            next.trim_start().starts_with("(that is: "),
            "{anomaly}: {next}"
        );
    }
    assert_eq!(text.matches("(that is: ").count(), 3, "once each\n{text}");
}

#[test]
fn check_and_sweep_explain_anomalies_too() {
    let run = kvsim(&[
        "run",
        "scenarios/causal-chain.json",
        "--model",
        "eventual",
        "--json",
    ]);
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("show-eventual-run.json");
    std::fs::write(&path, &run.stdout).unwrap();
    let check = kvsim(&["check", path.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(1));
    let text = stdout(&check);
    assert_eq!(
        text.matches("(that is: a read returns null").count(),
        1,
        "{text}"
    );

    let text = run_text(&["sweep", "scenarios/causal-chain.json", "--seeds", "0..3"]);
    assert!(text.contains("what they mean:"), "{text}");
    assert!(
        text.contains("stale read: a read returns an older value"),
        "{text}"
    );
}

#[test]
fn the_largest_test_under_linearizable_fits_one_screen_and_says_how_to_see_everything() {
    let text = run_text(&["run", "scenarios/largest.json", "--model", "linearizable"]);
    assert!(
        text.lines().count() <= 50,
        "{} lines\n{text}",
        text.lines().count()
    );
    assert!(text.contains("history: 210 operations (--show history lists them)"));
    assert!(text.contains("every replica committed the same 210 operations in the same order"));
    assert_eq!(
        text.lines().last(),
        Some("(--show all for the full history, committed orders and stores; --trace for every message)")
    );
}

#[test]
fn committed_orders_that_differ_are_shown_side_by_side_in_columns() {
    let text = run_text(&["run", "scenarios/causal-chain.json", "--model", "eventual"]);
    assert!(text.contains("the replicas committed the same writes in different orders:"));
    let header = text
        .lines()
        .find(|l| l.trim_start().starts_with("r0 "))
        .expect("a column per replica");
    assert!(header.contains("r1") && header.contains("r2"), "{header}");
    let start = text.find("committed order").unwrap();
    let end = text.find("final stores").unwrap();
    for line in text[start..end].lines() {
        assert!(line.chars().count() <= 100, "wider than a terminal: {line}");
    }
}

#[test]
fn show_prints_only_the_sections_asked_for_in_full() {
    let text = run_text(&[
        "run",
        "scenarios/largest.json",
        "--model",
        "causal",
        "--show",
        "committed",
    ]);
    assert!(text.contains("committed order (what each replica applied, in order)"));
    assert!(!text.contains("verdicts"), "{text}");
    assert!(!text.contains("stats"), "{text}");
    assert!(
        !text.contains("--show all"),
        "a chosen view leaves nothing out"
    );
    // 5 replicas × 210 commits do not fit in columns: one line each.
    assert!(text.lines().filter(|l| l.contains("stamp ")).count() >= 5 * 95);

    let repeated = run_text(&[
        "run",
        "scenarios/stale-read.json",
        "--show",
        "history",
        "--show",
        "stores",
    ]);
    let commas = run_text(&[
        "run",
        "scenarios/stale-read.json",
        "--show",
        "history,stores",
    ]);
    assert_eq!(repeated, commas, "repeated or comma-separated, the same");
    assert!(commas.contains("what each operation returned") && commas.contains("agree?"));
    assert!(!commas.contains("\ncost\n"), "{commas}");
}

#[test]
fn show_all_lists_every_committed_operation_even_when_the_replicas_agree() {
    let text = run_text(&[
        "run",
        "scenarios/stale-read.json",
        "--model",
        "sequential",
        "--show",
        "all",
    ]);
    assert!(text.contains("every replica committed the same"));
    assert!(text.contains("t=") && text.contains("@r0"), "{text}");
    assert!(text.contains("history (each operation"));
}

#[test]
fn a_bad_show_value_exits_2_naming_the_good_ones() {
    let output = kvsim(&["run", "scenarios/stale-read.json", "--show", "everything"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("invalid value 'everything'"), "{message}");
    assert!(message.contains("committed"), "{message}");
}

#[test]
fn show_is_for_text_and_refused_with_json() {
    let output = kvsim(&[
        "run",
        "scenarios/stale-read.json",
        "--show",
        "all",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot be used with"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn stamps_print_as_time_at_replica() {
    let text = run_text(&[
        "run",
        "scenarios/stale-read.json",
        "--model",
        "sequential",
        "--show",
        "committed",
    ]);
    assert!(text.contains("1@r0"), "{text}");
    assert!(!text.contains("stamp 1.0"), "{text}");
}

#[test]
fn latency_of_no_answered_operation_is_a_dash_in_text_and_null_in_json() {
    // Under partition, every linearizable write times out.
    let text = run_text(&["run", "scenarios/partition.json", "--model", "linearizable"]);
    let writes = text
        .lines()
        .find(|l| l.trim_start().starts_with("writes"))
        .unwrap();
    assert_eq!(
        writes.split_whitespace().collect::<Vec<_>>(),
        ["writes", "0", "answered", "in", "time,", "latency", "-"]
    );

    let output = kvsim(&[
        "run",
        "scenarios/partition.json",
        "--model",
        "linearizable",
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let writes = &doc["runs"][0]["stats"]["writes"];
    assert_eq!(writes["count"], 0);
    for figure in ["mean", "p50", "p99", "max"] {
        assert!(writes[figure].is_null(), "{figure}: {writes}");
    }
}

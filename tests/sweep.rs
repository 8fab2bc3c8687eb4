//! Sweeps: the same summary whatever the number of threads, the same run as `kvsim run` for a seed,
//! and shards that merge into the whole.

use std::ops::ControlFlow;
use std::path::Path;
use std::process::Command;

use kvsim::check::check_run;
use kvsim::protocol::Model;
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::{simulate, simulate_recording, Record};
use kvsim::sweep::{merge, record, summarise, sweep, SeedRange, Seeds, Shard, Summary, MAX_SEEDS};

fn load(name: &str) -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    Scenario::load(&path).unwrap()
}

/// The summary of `range` (all four models) as `kvsim sweep --json` prints it.
fn summary_json(config: &Config, seeds: Seeds, jobs: usize) -> String {
    let summary = summarise(config, seeds, &Model::ALL, jobs, || {}).unwrap();
    serde_json::to_string_pretty(&summary).unwrap()
}

#[test]
fn one_thread_and_two_give_the_same_summary_byte_for_byte() {
    let config = load("eventual-convergence.json");
    let seeds = Seeds::new(SeedRange { start: 0, end: 200 }, None);
    assert_eq!(
        summary_json(&config, seeds, 1),
        summary_json(&config, seeds, 2)
    );
}

#[test]
fn records_reach_the_sink_in_seed_order_whatever_the_threads() {
    let config = load("stale-read.json");
    let seeds = Seeds::new(
        SeedRange {
            start: 5,
            end: 3000,
        },
        Some(Shard { index: 1, count: 2 }),
    );
    let mut order = Vec::new();
    sweep(
        &config,
        seeds,
        &[Model::Causal, Model::Linearizable],
        2,
        |records| {
            order.extend(records.iter().map(|r| (r.seed, r.model)));
            ControlFlow::Continue(())
        },
    )
    .unwrap();
    let expected: Vec<(u64, Model)> = seeds
        .iter()
        .flat_map(|seed| [(seed, Model::Causal), (seed, Model::Linearizable)])
        .collect();
    assert_eq!(order, expected);
}

#[test]
fn a_sink_that_breaks_stops_the_sweep() {
    let config = load("stale-read.json");
    let seeds = Seeds::new(
        SeedRange {
            start: 0,
            end: MAX_SEEDS,
        },
        None,
    );
    let mut seen = 0;
    sweep(&config, seeds, &Model::ALL, 2, |_| {
        seen += 1;
        if seen == 10 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .unwrap();
    assert_eq!(seen, 10);
}

#[test]
fn a_summary_is_the_same_whatever_order_its_runs_are_counted_in() {
    let config = load("concurrent-writes-orders.json");
    let seeds = Seeds::new(SeedRange { start: 0, end: 300 }, None);
    let mut records = Vec::new();
    sweep(&config, seeds, &Model::ALL, 2, |batch| {
        records.extend(batch);
        ControlFlow::Continue(())
    })
    .unwrap();
    let mut in_order = Summary::new(&config.name, "", seeds);
    for record in &records {
        in_order.add(record);
    }
    assert!(
        in_order.models.iter().any(|m| !m.anomalies.is_empty()),
        "the test needs anomalies"
    );
    let mut shuffled = Summary::new(&config.name, "", seeds);
    for i in 0..records.len() {
        shuffled.add(&records[i * 7919 % records.len()]);
    }
    assert_eq!(shuffled, in_order);
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
fn shards_merge_into_the_whole_sweep_byte_for_byte() {
    let config = load("read-your-writes.json");
    let range = SeedRange { start: 10, end: 70 };
    let whole = summary_json(&config, Seeds::new(range, None), 2);
    let mut parts = Vec::new();
    for index in (0..3).rev() {
        let shard = Seeds::new(range, Some(Shard { index, count: 3 }));
        let summary = summarise(&config, shard, &Model::ALL, 1, || {}).unwrap();
        // Through the JSON and back, as `--merge` reads it.
        let text = serde_json::to_string_pretty(&summary).unwrap();
        parts.push((format!("shard {index}"), Summary::parse(&text).unwrap()));
    }
    let merged = merge(parts).unwrap();
    assert_eq!(serde_json::to_string_pretty(&merged).unwrap(), whole);
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
    let two_threads = kvsim(&[
        "sweep",
        "scenarios/eventual-convergence.json",
        "--seeds",
        "0..40",
        "--json",
        "--jobs",
        "2",
    ]);
    assert_eq!(two_threads.stdout, whole.stdout);

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
        "0..300",
        "--model",
        "causal",
        "--json",
        "--per-run",
        "--jobs",
        "2",
    ]);
    let lines = String::from_utf8(lines.stdout).unwrap();
    assert_eq!(lines.lines().count(), 300);
    for (seed, line) in lines.lines().enumerate() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(record["model"], "causal");
        assert_eq!(record["seed"], seed, "lines come in seed order");
    }
}

#[test]
fn a_per_run_sweep_stops_when_its_reader_does() {
    use std::io::{BufRead, BufReader};
    // Ten million seeds would take minutes: the sweep must notice that nobody reads any more.
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvsim"))
        .args([
            "sweep",
            "scenarios/stale-read.json",
            "--seeds",
            "0..10000000",
        ])
        .args(["--json", "--per-run", "--jobs", "2"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with(r#"{"seed":0,"#), "{first}");
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("the sweep went on after its reader left");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        child.wait().unwrap().success(),
        "a closed pipe is not an error"
    );
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
fn sweeps_that_share_a_seed_do_not_merge() {
    assert_merge_refused(
        &[
            &[
                "sweep",
                "scenarios/stale-read.json",
                "--seeds",
                "0..10",
                "--shard",
                "0/2",
            ],
            &[
                "sweep",
                "scenarios/stale-read.json",
                "--seeds",
                "5..20",
                "--shard",
                "1/3",
            ],
        ],
        "seed 6 is also in",
    );
    // The same file twice would count every seed twice.
    assert_merge_refused(
        &[
            &["sweep", "scenarios/stale-read.json", "--seeds", "0..3"],
            &["sweep", "scenarios/stale-read.json", "--seeds", "0..3"],
        ],
        "seed 0 is also in",
    );
}

#[test]
fn a_summary_whose_counts_do_not_add_up_is_refused() {
    let config = load("stale-read.json");
    let seeds = Seeds::new(SeedRange { start: 0, end: 3 }, None);
    let summary = summarise(&config, seeds, &Model::ALL, 1, || {}).unwrap();
    let edited = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut value = serde_json::to_value(&summary).unwrap();
        edit(&mut value);
        Summary::parse(&value.to_string()).unwrap_err().to_string()
    };
    let err = edited(&|v| v["models"][1]["messages"]["counts"]["12"] = 4.into());
    assert!(
        err.contains("model sequential: messages counts 4 runs, more than the model's 3"),
        "{err}"
    );
    let err = edited(&|v| v["seed_ranges"][0]["end"] = 4.into());
    assert!(
        err.contains("model linearizable has 3 runs, but the summary covers 4 seeds"),
        "{err}"
    );
    let err = edited(&|v| v["seed_ranges"][0]["shard"]["count"] = 0.into());
    assert!(err.contains("its shard is not K/N with K < N"), "{err}");
}

#[test]
fn a_summary_from_before_summaries_were_counts_is_refused_in_one_line() {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep-old-format.json");
    std::fs::write(
        &path,
        r#"{"scenario": "stale-read", "fingerprint": "0123456789abcdef", "seeds": 1,
            "models": [{"model": "causal", "runs": 1, "broken": {}, "unknown": {}, "anomalies": [],
                "cut_short": 0, "timed_out": 0,
                "answered_in_time": {"runs": 1, "min": 100.0, "p50": 100.0, "p99": 100.0, "max": 100.0, "mean": 100.0},
                "messages": {"runs": 1, "min": 4.0, "p50": 4.0, "p99": 4.0, "max": 4.0, "mean": 4.0},
                "mean_read_latency": {"runs": 0, "min": 0.0, "p50": 0.0, "p99": 0.0, "max": 0.0, "mean": 0.0},
                "mean_write_latency": {"runs": 0, "min": 0.0, "p50": 0.0, "p99": 0.0, "max": 0.0, "mean": 0.0}}],
            "records": [{"seed": 0, "model": "causal"}]}"#,
    )
    .unwrap();
    let output = kvsim(&["sweep", "--merge", path.to_str().unwrap()]);
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.starts_with(&format!(
            "kvsim: {}: a summary from an earlier kvsim",
            path.display()
        )),
        "{message}"
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

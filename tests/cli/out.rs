//! `kvsim run --out DIR`: the results folder — which files it writes, that they agree with what
//! `kvsim run` prints and what `kvsim check` reads, that a folder which is not kvsim's is refused
//! untouched — the report page: self-contained, deterministic, and built as the page's script and
//! the browser test expect — and the folder of `kvsim sweep --out`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{kvsim, stderr, stdout};

const MODELS: [&str; 4] = ["linearizable", "sequential", "causal", "eventual"];

/// A fresh, missing folder in the test's scratch space.
fn fresh(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("out-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn write_folder(scenario: &str, dir: &Path, extra: &[&str]) {
    let mut args = vec!["run", scenario, "--out", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = kvsim(&args);
    assert!(output.status.success(), "{}", stderr(&output));
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The JSON the page's script reads.
fn page_data(html: &str) -> Value {
    let start = html
        .find("<script type=\"application/json\" id=\"kvsim-data\">")
        .unwrap();
    let rest = &html[start..];
    let json = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
    serde_json::from_str(json).unwrap()
}

#[test]
fn out_writes_the_report_a_diagram_and_a_history_per_model_the_run_and_a_marker() {
    let dir = fresh("files");
    let plain = kvsim(&["run", "scenarios/causal-chain.json"]);
    let output = kvsim(&[
        "run",
        "scenarios/causal-chain.json",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        stdout(&plain),
        "--out prints what the run prints without it"
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut expected = vec!["index.html", "kvsim-results.json", "run.json"];
    let per_model: Vec<String> = MODELS
        .iter()
        .flat_map(|m| {
            [
                format!("{m}.svg"),
                format!("history-{m}.jsonl"),
                format!("history-{m}.edn"),
            ]
        })
        .collect();
    expected.extend(per_model.iter().map(String::as_str));
    expected.sort();
    assert_eq!(names, expected);
    let marker: Value = serde_json::from_str(&read(&dir, "kvsim-results.json")).unwrap();
    assert_eq!(marker["kind"], "run");
    assert_eq!(marker["scenario"], "causal-chain");
    assert_eq!(marker["files"].as_array().unwrap().len(), 14);
    for model in MODELS {
        let svg = read(&dir, &format!("{model}.svg"));
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains(&format!("data-model=\"{model}\"")));
    }
}

#[test]
fn out_run_json_is_exactly_what_json_trace_prints_and_json_stdout_keeps_no_events() {
    let dir = fresh("run-json");
    let output = kvsim(&[
        "run",
        "scenarios/stale-read.json",
        "--json",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let traced = kvsim(&["run", "scenarios/stale-read.json", "--json", "--trace"]);
    assert_eq!(read(&dir, "run.json").as_bytes(), traced.stdout.as_slice());
    let plain = kvsim(&["run", "scenarios/stale-read.json", "--json"]);
    assert_eq!(
        output.stdout, plain.stdout,
        "--out does not add the events to --json"
    );
}

#[test]
fn out_histories_read_back_by_check_give_the_runs_verdicts() {
    let dir = fresh("histories");
    write_folder("scenarios/causal-chain.json", &dir, &[]);
    let run: Value = serde_json::from_str(&read(&dir, "run.json")).unwrap();
    for (i, model) in MODELS.iter().enumerate() {
        let path = dir.join(format!("history-{model}.jsonl"));
        let output = kvsim(&["check", path.to_str().unwrap(), "--json"]);
        assert!(
            output.status.code().is_some_and(|c| c <= 1),
            "{}",
            stderr(&output)
        );
        let checked: Value = serde_json::from_slice(&output.stdout).unwrap();
        let history = &checked["histories"][0];
        let verdicts = &run["runs"][i]["verdicts"];
        assert_eq!(
            history["operations"],
            run["runs"][i]["history"].as_array().unwrap().len()
        );
        for (property, verdict) in history["verdicts"].as_object().unwrap() {
            assert_eq!(verdict, &verdicts[property], "{model}: {property}");
        }
        assert_eq!(history["strongest"], run["runs"][i]["strongest"], "{model}");
        // The Jepsen EDN copy: the same verdicts (its witnesses give times in nanoseconds).
        let path = dir.join(format!("history-{model}.edn"));
        let output = kvsim(&["check", path.to_str().unwrap(), "--json"]);
        let checked: Value = serde_json::from_slice(&output.stdout).unwrap();
        let edn = &checked["histories"][0];
        assert_eq!(edn["label"], format!("run of {model}"));
        assert_eq!(edn["operations"], history["operations"]);
        for (property, verdict) in history["verdicts"].as_object().unwrap() {
            assert_eq!(
                edn["verdicts"][property]["ok"], verdict["ok"],
                "{model}: {property}"
            );
            assert_eq!(
                edn["verdicts"][property]["anomaly"], verdict["anomaly"],
                "{model}: {property}"
            );
        }
    }
}

#[test]
fn out_refuses_a_non_empty_folder_that_is_not_a_results_folder_and_leaves_it_untouched() {
    let dir = fresh("foreign");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "my own page").unwrap();
    let output = kvsim(&[
        "run",
        "scenarios/stale-read.json",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("not a kvsim results folder"), "{message}");
    assert!(
        stdout(&output).is_empty(),
        "nothing is run for a refused folder"
    );
    assert_eq!(read(&dir, "index.html"), "my own page");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}

#[test]
fn out_rewrites_a_results_folder_and_drops_the_files_of_models_no_longer_run() {
    let dir = fresh("rewrite");
    write_folder("scenarios/stale-read.json", &dir, &[]);
    assert!(dir.join("eventual.svg").exists());
    write_folder("scenarios/causal-chain.json", &dir, &["--model", "causal"]);
    assert!(dir.join("causal.svg").exists());
    assert!(
        !dir.join("eventual.svg").exists(),
        "the earlier run's files are gone"
    );
    let marker: Value = serde_json::from_str(&read(&dir, "kvsim-results.json")).unwrap();
    assert_eq!(marker["scenario"], "causal-chain");
    assert!(read(&dir, "index.html").contains("kvsim: causal-chain"));
}

#[test]
fn out_creates_missing_parent_folders() {
    let dir = fresh("nested").join("a").join("b");
    write_folder(
        "scenarios/stale-read.json",
        &dir,
        &["--model", "sequential"],
    );
    assert!(dir.join("index.html").exists());
}

#[test]
fn report_refers_to_nothing_on_the_network() {
    for scenario in ["scenarios/causal-chain.json", "scenarios/largest.json"] {
        let dir = fresh("offline");
        write_folder(scenario, &dir, &[]);
        let html = read(&dir, "index.html");
        for banned in ["http://", "https://", "src=", "<link", "@import"] {
            assert!(
                !html.contains(banned),
                "{scenario}: index.html contains {banned}"
            );
        }
        // `url(#arrow)` names a marker in the page itself; any other `url(` would load something.
        assert_eq!(
            html.matches("url(").count(),
            html.matches("url(#").count(),
            "{scenario}: index.html loads something by url()"
        );
    }
}

#[test]
fn report_and_every_file_are_the_same_bytes_every_time() {
    let (a, b) = (fresh("same-a"), fresh("same-b"));
    write_folder("scenarios/partition.json", &a, &[]);
    write_folder("scenarios/partition.json", &b, &[]);
    for entry in std::fs::read_dir(&a).unwrap() {
        let name = entry.unwrap().file_name();
        assert_eq!(
            std::fs::read(a.join(&name)).unwrap(),
            std::fs::read(b.join(&name)).unwrap(),
            "{name:?} differs between two writes"
        );
    }
}

#[test]
fn report_has_a_verdict_button_per_model_and_property_and_an_element_per_operation() {
    let dir = fresh("structure");
    write_folder("scenarios/causal-chain.json", &dir, &[]);
    let html = read(&dir, "index.html");
    let run: Value = serde_json::from_str(&read(&dir, "run.json")).unwrap();
    assert_eq!(
        html.matches("<button type=\"button\" class=\"verdict ")
            .count(),
        4 * 9
    );
    assert!(html.contains("<body data-selected=\"\">"));
    for (i, model) in MODELS.iter().enumerate() {
        assert!(html.contains(&format!("<section class=\"model\" id=\"model-{model}\"")));
        let section = html.split(&format!("id=\"model-{model}\"")).nth(1).unwrap();
        let section = &section[..section.find("</section>").unwrap()];
        let ops = run["runs"][i]["history"].as_array().unwrap().len();
        let op = format!("<g id=\"{model}-op-c");
        assert_eq!(section.matches(&op).count(), ops, "{model}");
        assert_eq!(section.matches("class=\"spacetime\"").count(), 1, "{model}");
        for plot in ["plot-latency", "plot-messages", "plot-availability"] {
            assert!(section.contains(plot), "{model}: {plot}");
        }
    }
    // The eventual run breaks causality: its button is marked broken, and its witness operations
    // are in the page's data for the script to highlight.
    assert!(html.contains("class=\"verdict broken\" id=\"verdict-eventual-causal\""));
    let data = page_data(&html);
    assert!(!data["verdicts"]["eventual"]["causal"]["operations"]
        .as_array()
        .unwrap()
        .is_empty());
    let timeline = &data["timeline"];
    assert_eq!(timeline["order"], serde_json::json!(MODELS));
    let steps = timeline["times"].as_array().unwrap().len();
    for model in MODELS {
        assert_eq!(timeline["models"][model].as_array().unwrap().len(), steps);
    }
}

#[test]
fn report_cursor_of_a_large_run_is_thinned_to_a_bounded_number_of_instants() {
    let dir = fresh("thinned");
    write_folder("scenarios/largest.json", &dir, &[]);
    let data = page_data(&read(&dir, "index.html"));
    let timeline = &data["timeline"];
    let steps = timeline["times"].as_array().unwrap().len();
    assert!(steps <= 1_001, "{steps} steps");
    let distinct = timeline["distinct"].as_u64().unwrap() as usize;
    assert_eq!(timeline["thinned"], distinct > steps);
}

#[test]
fn sweep_out_writes_the_summary_and_a_page_with_every_anomalys_and_failures_replay_commands() {
    let dir = fresh("sweep");
    let args = ["sweep", "scenarios/stale-read.json", "--seeds", "0..50"];
    let mut with_out = args.to_vec();
    with_out.extend(["--out", dir.to_str().unwrap()]);
    let output = kvsim(&with_out);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        output.stdout,
        kvsim(&args).stdout,
        "--out prints what the sweep prints without it"
    );
    let mut json = args.to_vec();
    json.push("--json");
    assert_eq!(
        read(&dir, "summary.json").as_bytes(),
        kvsim(&json).stdout.as_slice()
    );
    let marker: Value = serde_json::from_str(&read(&dir, "kvsim-results.json")).unwrap();
    assert_eq!(marker["kind"], "sweep");
    let html = read(&dir, "index.html");
    for banned in ["http://", "https://", "src=", "<link", "<script"] {
        assert!(!html.contains(banned), "the sweep page contains {banned}");
    }
    let summary: Value = serde_json::from_str(&read(&dir, "summary.json")).unwrap();
    for model in summary["models"].as_array().unwrap() {
        let name = model["model"].as_str().unwrap();
        assert!(html.contains(&format!("id=\"model-{name}\"")));
        for anomaly in model["anomalies"].as_array().unwrap() {
            let seed = &anomaly["first_seeds"][0];
            let replay =
                format!("kvsim run scenarios/stale-read.json --seed {seed} --model {name}");
            assert!(html.contains(&replay), "{replay}");
        }
        // Each kind of failure: a row with its shape and the replay of its first seed.
        for group in model["failures"]["groups"].as_array().unwrap() {
            let shape = group["shape"].as_str().unwrap();
            let seed = &group["first_seeds"][0];
            let row = format!("<td>{shape}</td><td><code class=\"replay\">kvsim run scenarios/stale-read.json --seed {seed} --model {name}");
            assert!(html.contains(&row), "{row}");
        }
    }
}

#[test]
fn sweep_out_refuses_a_foreign_folder_before_sweeping() {
    let dir = fresh("sweep-foreign");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let output = kvsim(&[
        "sweep",
        "scenarios/stale-read.json",
        "--seeds",
        "0..10",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    assert_eq!(read(&dir, "notes.txt"), "mine");
}

#[test]
fn report_cursor_replayed_to_the_end_gives_every_replicas_final_store_and_an_empty_hold_back_queue()
{
    for scenario in [
        "scenarios/causal-chain.json",
        "scenarios/partition.json",
        "scenarios/largest.json",
    ] {
        let dir = fresh("cursor-end");
        write_folder(scenario, &dir, &[]);
        let run: Value = serde_json::from_str(&read(&dir, "run.json")).unwrap();
        let data = page_data(&read(&dir, "index.html"));
        for (i, model) in MODELS.iter().enumerate() {
            let replicas = run["runs"][i]["replicas"].as_array().unwrap();
            let mut stores = vec![serde_json::Map::new(); replicas.len()];
            let mut held = vec![std::collections::BTreeSet::new(); replicas.len()];
            for step in data["timeline"]["models"][model].as_array().unwrap() {
                for change in step.as_array().unwrap() {
                    let r = change[1].as_u64().unwrap() as usize;
                    match change[0].as_str().unwrap() {
                        "s" => {
                            stores[r]
                                .insert(change[2].as_str().unwrap().to_string(), change[3].clone());
                        }
                        "h" => assert!(held[r].insert(change[2].to_string())),
                        "u" => assert!(held[r].remove(&change[2].to_string())),
                        _ => {}
                    }
                }
            }
            for (r, replica) in replicas.iter().enumerate() {
                let store = replica["store"].as_object().unwrap();
                let mut replayed = stores[r].clone();
                replayed.sort_keys();
                let mut expected = store.clone();
                expected.sort_keys();
                assert_eq!(replayed, expected, "{scenario}, {model}, r{r}");
                if run["runs"][i]["stats"]["stopped"] == "idle" {
                    assert!(
                        held[r].is_empty(),
                        "{scenario}, {model}, r{r} still holds {:?}",
                        held[r]
                    );
                }
            }
        }
    }
}

#[test]
fn report_escapes_scenario_text_keys_and_values_so_they_cannot_become_markup() {
    let path = super::scenario_file(
        "markup",
        r#"{"name": "<b>bold</b>", "description": "<script>alert(1)</script> & more", "replicas": 2,
            "clients": [{"replica": 0, "ops": [{"put": ["</script><i>", "<img>"]}, {"get": "</script><i>"}]}]}"#,
    );
    let dir = fresh("markup");
    write_folder(path.to_str().unwrap(), &dir, &[]);
    let html = read(&dir, "index.html");
    for raw in ["<b>bold", "<script>alert", "<i>", "<img>"] {
        assert!(!html.contains(raw), "index.html holds {raw} unescaped");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"));
    assert_eq!(
        html.matches("</script>").count(),
        2,
        "only the page's own two scripts end"
    );
    let data = page_data(&html);
    let first_step = data["timeline"]["models"]["causal"][0].as_array().unwrap();
    assert!(first_step
        .iter()
        .any(|change| change[0] == "s" && change[2] == "</script><i>"));
}

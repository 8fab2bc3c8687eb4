//! The report of `kvsim run --out` in headless Chromium: it loads from `file://` with no console
//! error, draws one element per operation and per packet, marks a broken verdict's witness when the
//! verdict is selected, and its screenshot is not blank — for a small scenario and for `largest`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::chromium::{colours, dump_dom, file_url, screenshot};
use super::scratch;

const MODELS: [&str; 4] = ["linearizable", "sequential", "causal", "eventual"];

/// Writes the results folder of `scenario` into `dir`, and returns its `run.json`.
fn results(scenario: &str, dir: &Path) -> Value {
    let status = Command::new(env!("CARGO_BIN_EXE_kvsim"))
        .args(["run", scenario, "--out"])
        .arg(dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("kvsim runs");
    assert!(status.status.success(), "{status:?}");
    serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap()
}

/// The part of the DOM that is model `model`'s section.
fn section<'a>(dom: &'a str, model: &str) -> &'a str {
    let start = dom
        .find(&format!("id=\"model-{model}\""))
        .unwrap_or_else(|| panic!("no section for {model}"));
    let rest = &dom[start..];
    &rest[..rest.find("</section>").expect("the section ends")]
}

/// The id each history operation's bar has in `model`'s diagram: `{model}-op-c{client}-{n}`.
fn op_ids(run: &Value, model: &str) -> Vec<String> {
    let mut counts = std::collections::BTreeMap::new();
    let mut ids = Vec::new();
    for op in run["history"].as_array().unwrap() {
        let client = op["client"].as_u64().unwrap();
        let n = counts.entry(client).or_insert(0u64);
        ids.push(format!("{model}-op-c{client}-{n}"));
        *n += 1;
    }
    ids
}

/// The opening tag of the element with id `id` in `dom`.
fn tag<'a>(dom: &'a str, id: &str) -> &'a str {
    let at = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element {id}"));
    let start = dom[..at].rfind('<').unwrap();
    let end = at + dom[at..].find('>').unwrap();
    &dom[start..=end]
}

/// Loads the report of `scenario` and checks it: no console output, one bar per operation and one
/// arrow per packet (or the counted form the diagram uses past its limits), a screenshot that is not
/// blank.
fn loads_and_draws_everything(scenario: &str, name: &str) {
    let dir = scratch(name);
    let out = dir.join("out");
    let run = results(scenario, &out);
    let page = dump_dom(&file_url(&out.join("index.html"), ""), &dir);
    assert!(page.console.is_empty(), "{scenario}: {:?}", page.console);
    assert!(page.dom.contains("<body data-selected=\"\""), "{scenario}");
    for (i, model) in MODELS.iter().enumerate() {
        let run = &run["runs"][i];
        let section = section(&page.dom, model);
        let ops = run["history"].as_array().unwrap().len();
        let op = format!("<g id=\"{model}-op-c");
        assert_eq!(section.matches(&op).count(), ops, "{scenario} {model}");
        let sent = run["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == "sent")
            .count();
        // Each packet is an arrow of its own, or counted in a collapsed arrow of its link.
        let arrows = section.matches(&format!("<g id=\"{model}-msg-r")).count()
            - section.matches("-dup\"").count();
        let counted: usize = section
            .split(&format!("<g id=\"{model}-msgs-r"))
            .skip(1)
            .map(|rest| {
                let count = rest.split("data-count=\"").nth(1).unwrap();
                count[..count.find('"').unwrap()].parse::<usize>().unwrap()
            })
            .sum();
        assert_eq!(arrows + counted, sent, "{scenario} {model}");
    }
    let png = dir.join("report.png");
    screenshot(
        &file_url(&out.join("index.html"), ""),
        &png,
        1400,
        1800,
        &dir,
    );
    assert!(
        colours(&png, 16) >= 16,
        "{scenario}: the screenshot is blank"
    );
}

#[test]
fn the_report_of_causal_chain_loads_cleanly_and_draws_every_operation_and_packet() {
    loads_and_draws_everything("scenarios/causal-chain.json", "report-small");
}

#[test]
fn the_report_of_largest_loads_cleanly_and_draws_every_operation_and_packet() {
    loads_and_draws_everything("scenarios/largest.json", "report-largest");
}

#[test]
fn selecting_a_broken_verdict_marks_its_witness_and_nothing_else() {
    // causal-chain under eventual breaks causal: C sees y = 2 written after B read x = 1, but not x.
    let dir = scratch("report-verdict");
    let out = dir.join("out");
    let run = results("scenarios/causal-chain.json", &out);
    let eventual = &run["runs"][3];
    assert_eq!(eventual["verdicts"]["causal"]["ok"], false);
    let witness: Vec<usize> = eventual["verdicts"]["causal"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op.as_u64().unwrap() as usize)
        .collect();
    let page = dump_dom(
        &file_url(&out.join("index.html"), "verdict=eventual:causal"),
        &dir,
    );
    assert!(page.console.is_empty(), "{:?}", page.console);
    assert!(page.dom.contains("data-selected=\"eventual:causal\""));
    let ids = op_ids(eventual, "eventual");
    for (i, id) in ids.iter().enumerate() {
        let marked = tag(&page.dom, id).contains("highlight");
        assert_eq!(marked, witness.contains(&i), "{id}");
    }
    // The other models' diagrams are left alone.
    for model in ["linearizable", "sequential", "causal"] {
        assert!(!section(&page.dom, model).contains("highlight"), "{model}");
    }
}

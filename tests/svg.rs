//! The space-time diagrams: every teaching scenario's under every model is snapshot-tested
//! (`snapshots/svg-<model>@<scenario>.snap`), and every shipped scenario's, `largest` included,
//! must be well-formed XML with one element per operation and per packet, unique ids, and under
//! 2 MB.

use std::collections::BTreeSet;
use std::path::Path;

use kvsim::check::check_run;
use kvsim::protocol::Model;
use kvsim::report::render_svg;
use kvsim::scenario::Scenario;
use kvsim::sim::{simulate, simulate_recording, Record};

/// A diagram people open in a browser, and the report embeds four of them.
const MAX_BYTES: usize = 2_000_000;

fn has_class(node: &roxmltree::Node, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|c| c.split(' ').any(|c| c == class))
}

#[test]
fn every_teaching_scenario_draws_its_diagram() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::glob!("../scenarios", "*.json", |path| {
            if path.file_name().is_some_and(|name| name == "largest.json") {
                return;
            }
            let config =
                Scenario::load(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            for model in Model::ALL {
                let run = simulate_recording(&config, model, Record::Events);
                let svg = render_svg(&config, &run, &check_run(&run));
                insta::assert_snapshot!(format!("svg-{}", model.name()), svg);
            }
        });
    });
}

#[test]
fn every_diagram_is_well_formed_with_one_element_per_operation_and_packet() {
    let mut paths: Vec<_> = std::fs::read_dir("scenarios")
        .expect("scenarios/")
        .map(|entry| entry.expect("entry").path())
        .collect();
    paths.sort();
    for path in paths {
        let config =
            Scenario::load(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        for model in Model::ALL {
            let run = simulate_recording(&config, model, Record::Events);
            let svg = render_svg(&config, &run, &check_run(&run));
            let name = format!("{} under {model}", path.display());
            assert!(svg.len() < MAX_BYTES, "{name}: {} bytes", svg.len());
            let doc =
                roxmltree::Document::parse(&svg).unwrap_or_else(|err| panic!("{name}: {err}"));
            let root = doc.root_element();
            assert_eq!(root.tag_name().name(), "svg", "{name}");
            assert_eq!(root.attribute("data-model"), Some(model.name()), "{name}");
            assert!(has_class(&root, "spacetime"), "{name}");
            let mut ids = BTreeSet::new();
            let (mut ops, mut packets, mut collapsed) = (0, 0, 0);
            for node in doc.descendants().filter(|n| n.is_element()) {
                if let Some(id) = node.attribute("id") {
                    assert!(ids.insert(id.to_string()), "{name}: id {id} twice");
                }
                if has_class(&node, "op") && node.attribute("data-op").is_some() {
                    ops += 1;
                }
                if has_class(&node, "msg") && node.attribute("id").is_some() {
                    match node.attribute("data-count") {
                        Some(count) => collapsed += count.parse::<usize>().expect("a count"),
                        None if has_class(&node, "duplicate") => {}
                        None => packets += 1,
                    }
                }
            }
            assert_eq!(ops, run.history.len(), "{name}: operations");
            let log = run.events.as_ref().expect("recorded events");
            assert_eq!(packets + collapsed, log.messages.len(), "{name}: packets");
            assert_eq!(
                collapsed > 0,
                root.attribute("data-omitted").is_some(),
                "{name}: data-omitted"
            );
        }
    }
}

/// Under eventual, `causal-chain`'s client 2 reads y = 2 but then x = null: causal's witness. Its
/// operations are marked, and so is the packet carrying x = 1 that was still on its way to r2.
#[test]
fn a_broken_verdicts_witness_is_marked_with_its_property() {
    let config = Scenario::load(Path::new("scenarios/causal-chain.json")).expect("causal-chain");
    let run = simulate_recording(&config, Model::Eventual, Record::Events);
    let verdicts = check_run(&run);
    assert_eq!(verdicts.causal.ok, Some(false));
    let svg = render_svg(&config, &run, &verdicts);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed");
    for &op in &verdicts.causal.operations {
        let node = doc
            .descendants()
            .find(|n| has_class(n, "op") && n.attribute("data-op") == Some(&op.to_string()))
            .unwrap_or_else(|| panic!("operation {op} is drawn"));
        assert!(has_class(&node, "witness"), "operation {op}");
        let list = node.attribute("data-witness").expect("data-witness");
        assert!(
            list.split(' ').any(|p| p == "causal"),
            "operation {op}: {list}"
        );
        let label = node
            .descendants()
            .find(|n| n.has_tag_name("text"))
            .and_then(|n| n.text());
        assert!(
            label.is_some_and(|l| l.starts_with('✱')),
            "operation {op}: marked by more than colour"
        );
    }
    let cause: Vec<_> = doc
        .descendants()
        .filter(|n| has_class(n, "cause") && n.attribute("id").is_some())
        .collect();
    assert_eq!(cause.len(), 1, "one packet's delay made the read stale");
    assert_eq!(cause[0].attribute("id"), Some("msg-r0-r2-1"));
}

/// A run that recorded no events still draws its operations and commits.
#[test]
fn a_run_without_events_draws_operations_and_commits() {
    let config = Scenario::load(Path::new("scenarios/stale-read.json")).expect("stale-read");
    let run = simulate(&config, Model::Sequential);
    assert!(run.events.is_none());
    let svg = render_svg(&config, &run, &check_run(&run));
    let doc = roxmltree::Document::parse(&svg).expect("well-formed");
    let ops = doc
        .descendants()
        .filter(|n| has_class(n, "op") && n.attribute("data-op").is_some())
        .count();
    let commits = doc
        .descendants()
        .filter(|n| has_class(n, "commit") && n.attribute("id").is_some())
        .count();
    let committed: usize = run.replicas.iter().map(|r| r.committed.len()).sum();
    assert_eq!(ops, run.history.len());
    assert_eq!(commits, committed);
    assert!(!doc
        .descendants()
        .any(|n| has_class(&n, "msg") && n.attribute("id").is_some()));
}

/// Keys and values are arbitrary strings: markup and control characters in them stay text.
#[test]
fn user_text_is_escaped() {
    let json = r#"{"replicas": 2, "clients": [
        {"replica": 0, "ops": [{"put": ["a&b<c>\"d'\u0001", "</svg>\n&amp;"]}, {"get": "a&b<c>\"d'\u0001"}]}
    ]}"#;
    let config = Scenario::parse(json)
        .expect("parses")
        .validate("<nasty & name>")
        .expect("valid");
    for model in Model::ALL {
        let run = simulate_recording(&config, model, Record::Events);
        let svg = render_svg(&config, &run, &check_run(&run));
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|err| panic!("{model}: {err}"));
        let label = doc
            .descendants()
            .find(|n| n.attribute("id") == Some("op-c0-0"))
            .and_then(|n| n.descendants().find(|n| n.has_tag_name("text")))
            .and_then(|n| n.text())
            .expect("the put's label");
        assert_eq!(label, r#"put a&b<c>"d'\u{1}=</svg>\n&amp;"#, "{model}");
    }
}

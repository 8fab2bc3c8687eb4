//! Triage in sweeps: a sweep's failures grouped by property, anomaly and witness shape — few kinds
//! for many broken runs, every failure counted once, each group's first seed a run that fails that
//! way, and groups that merge across shards and stay bounded past their cap exactly as one sweep
//! keeps them.

use std::path::Path;

use kvsim::protocol::Model;
use kvsim::report::render_summary;
use kvsim::scenario::{Config, Scenario};
use kvsim::sweep::{
    merge, record, summarise, RunRecord, SeedRange, Seeds, Shape, Shard, Summary, MAX_SHAPES,
};

fn load(name: &str) -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    Scenario::load(&path).unwrap()
}

fn seeds(start: u64, end: u64) -> Seeds {
    Seeds::new(SeedRange { start, end }, None)
}

/// Through the JSON and back, as `--merge` reads a summary.
fn reread(summary: &Summary) -> Summary {
    Summary::parse(&serde_json::to_string_pretty(summary).unwrap()).unwrap()
}

#[test]
fn hundreds_of_broken_runs_fall_into_a_few_kinds_each_replayed_by_its_first_seed() {
    let config = load("loss-duplication.json");
    let summary = summarise(&config, seeds(0, 300), &Model::ALL, 2, || {}).unwrap();
    for model in &summary.models {
        let broken: u64 = model.broken.values().sum();
        let grouped: u64 = model.failures.groups.iter().map(|g| g.runs).sum();
        assert_eq!(model.failures.ungrouped, 0, "{}", model.model);
        assert_eq!(
            grouped, broken,
            "every failure of {} in a group",
            model.model
        );
        for group in &model.failures.groups {
            // The first seed, run again, fails exactly so: what `sweep --shrink` starts from.
            let replayed = record(&config, group.first_seeds[0], model.model);
            assert_eq!(replayed.broken[&group.property], group.anomaly);
            assert_eq!(
                replayed.shapes[group.property.as_str()].to_string(),
                group.shape,
                "{} {}",
                model.model,
                group.property
            );
        }
    }
    let sequential = &summary.models[1];
    let broken: u64 = sequential.broken.values().sum();
    assert!(broken > 50, "the test needs many failures: {broken}");
    let kinds = sequential.failures.groups.len();
    assert!((2..=10).contains(&kinds), "{kinds} kinds");
}

#[test]
fn groups_are_the_same_whatever_the_threads_and_merge_from_shards_byte_for_byte() {
    let config = load("loss-duplication.json");
    let range = SeedRange { start: 7, end: 207 };
    let whole = summarise(&config, Seeds::new(range, None), &Model::ALL, 1, || {}).unwrap();
    let two = summarise(&config, Seeds::new(range, None), &Model::ALL, 2, || {}).unwrap();
    assert_eq!(two, whole);
    assert!(whole.models.iter().any(|m| m.failures.groups.len() > 3));
    let mut parts = Vec::new();
    for index in (0..3).rev() {
        let shard = Seeds::new(range, Some(Shard { index, count: 3 }));
        let summary = summarise(&config, shard, &Model::ALL, 1, || {}).unwrap();
        parts.push((format!("shard {index}"), reread(&summary)));
    }
    let merged = merge(parts).unwrap();
    assert_eq!(
        serde_json::to_string_pretty(&merged).unwrap(),
        serde_json::to_string_pretty(&whole).unwrap()
    );
}

/// The records of a sweep of `stale-read` under sequential (every run breaks linearizability),
/// each given a shape of its own among `shapes`, so that there are more shapes than a group keeps.
fn many_shapes(seeds: std::ops::Range<u64>, shapes: usize) -> Vec<RunRecord> {
    let config = load("stale-read.json");
    seeds
        .map(|seed| {
            let mut record = record(&config, seed, Model::Sequential);
            let i = (seed * 7) as usize % shapes;
            let shape = Shape {
                clients: i % 3 + 1,
                keys: i / 3 % 3 + 1,
                puts: i / 9 % 3 + 1,
                gets: i / 27 % 3 + 1,
                ..Shape::default()
            };
            record.shapes.insert("linearizable", shape);
            record
        })
        .collect()
}

#[test]
fn past_the_cap_the_same_shapes_are_kept_in_one_sweep_and_in_merged_shards() {
    let records = many_shapes(0..400, MAX_SHAPES + 20);
    let mut whole = Summary::new("stale-read", "", seeds(0, 400));
    for record in &records {
        whole.add(record);
    }
    let failures = &whole.models[0].failures;
    assert_eq!(failures.groups.len(), MAX_SHAPES);
    assert!(failures.ungrouped > 0);
    assert_eq!(failures.total(), 400);
    // The kept shapes are the first in the order of their text, wherever their runs came from.
    let mut kept: Vec<&str> = failures.groups.iter().map(|g| g.shape.as_str()).collect();
    kept.sort_unstable();
    let mut all: Vec<String> = records
        .iter()
        .map(|r| r.shapes["linearizable"].to_string())
        .collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(kept, all[..MAX_SHAPES]);
    // Shards of the same seeds, each with a different share of the shapes, merge into the whole.
    let mut parts = Vec::new();
    for index in 0..4 {
        let shard = Seeds::new(
            SeedRange { start: 0, end: 400 },
            Some(Shard { index, count: 4 }),
        );
        let mut part = Summary::new("stale-read", "", shard);
        for record in records.iter().filter(|r| r.seed % 4 == index) {
            part.add(record);
        }
        parts.push((format!("shard {index}"), reread(&part)));
    }
    assert_eq!(reread(&merge(parts).unwrap()), reread(&whole));
    // And the text says what was left out.
    let text = render_summary(&whole, "kvsim run stale-read.json");
    let line = format!(
        "    and {} more, not grouped: past {MAX_SHAPES} shapes an anomaly, or from an older kvsim",
        failures.ungrouped
    );
    assert!(text.contains(&line), "{text}");
}

#[test]
fn a_summary_from_before_triage_merges_with_its_failures_ungrouped() {
    let config = load("stale-read.json");
    let old = summarise(&config, seeds(0, 10), &[Model::Sequential], 1, || {}).unwrap();
    let new = summarise(&config, seeds(10, 20), &[Model::Sequential], 1, || {}).unwrap();
    let mut value = serde_json::to_value(&old).unwrap();
    value["models"][0]
        .as_object_mut()
        .unwrap()
        .remove("failures");
    let old = Summary::parse(&value.to_string()).unwrap();
    assert_eq!(old.models[0].failures.ungrouped, 10);
    let text = render_summary(&old, "kvsim run stale-read.json");
    assert!(
        text.contains("  sequential: 0 kinds of failure, 10 failures in all\n    10 not grouped: past 16 shapes an anomaly, or from an older kvsim\n"),
        "{text}"
    );
    let merged = merge(vec![("old".to_string(), old), ("new".to_string(), new)]).unwrap();
    let failures = &merged.models[0].failures;
    assert_eq!((failures.groups[0].runs, failures.ungrouped), (10, 10));
    assert_eq!(failures.groups[0].first_seeds, vec![10, 11, 12, 13, 14]);
}

#[test]
fn a_summary_whose_failures_do_not_add_up_is_refused() {
    let config = load("stale-read.json");
    let summary = summarise(&config, seeds(0, 3), &Model::ALL, 1, || {}).unwrap();
    let edited = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut value = serde_json::to_value(&summary).unwrap();
        edit(&mut value);
        Summary::parse(&value.to_string()).unwrap_err().to_string()
    };
    let err = edited(&|v| v["models"][1]["failures"]["ungrouped"] = 1.into());
    assert!(
        err.contains("model sequential: its failures count 4 broken properties (grouped and ungrouped), but its runs broke properties 3 times"),
        "{err}"
    );
    let err = edited(&|v| {
        v["models"][1]["failures"]["groups"][0]["anomaly"] = "lost update".into();
    });
    assert!(
        err.contains("model sequential: the failures of linearizable by \"lost update\" count 3 runs, more than the 0 of that anomaly"),
        "{err}"
    );
}

#[test]
fn the_text_lists_each_models_kinds_of_failure_within_80_columns() {
    let config = load("loss-duplication.json");
    let summary = summarise(&config, seeds(0, 300), &Model::ALL, 2, || {}).unwrap();
    let text = render_summary(&summary, "kvsim run scenarios/loss-duplication.json");
    let section: Vec<&str> = text
        .lines()
        .skip_while(|line| !line.starts_with("kinds of failure"))
        .take_while(|line| !line.is_empty())
        .collect();
    assert!(section.len() > 10, "{text}");
    for line in &section {
        assert!(line.chars().count() <= 80, "too wide: {line}");
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("sweep-triage@loss-duplication", section.join("\n")));
}

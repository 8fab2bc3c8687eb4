//! A sweep's summary as text: broken counts per model and property, the anomalies with the seeds to
//! replay them, the kinds of failure (triage), and the spread of messages and latencies.

use std::fmt::Write;

use super::{table, wrap};
use crate::check::glossary::Explained;
use crate::check::Property;
use crate::sweep::{FailureGroup, Spread, Summary, MAX_SHAPES};
use crate::text::escape;

/// The summary; `replay` is how to rerun one seed (`kvsim run FILE`), shown with each anomaly.
pub fn render_summary(summary: &Summary, replay: &str) -> String {
    let mut out = String::new();
    let plural = if summary.seeds == 1 { "" } else { "s" };
    let _ = writeln!(
        out,
        "=== sweep: scenario {}, {} seed{plural} ===",
        escape(&summary.scenario),
        summary.seeds
    );
    out.push_str("\nruns that broke each property (lin seq causal ccv conv ryw mr mw wfr, as in kvsim run)\n");
    let mut header = vec!["model".to_string(), "runs".to_string()];
    header.extend(
        Property::ALL
            .iter()
            .map(|p| super::verdicts::short(*p).to_string()),
    );
    let mut rows = vec![header];
    for model in &summary.models {
        let mut row = vec![model.model.name().to_string(), model.runs.to_string()];
        for property in Property::ALL {
            let broken = model.broken.get(property.name()).copied().unwrap_or(0);
            let unknown = model.unknown.get(property.name()).copied().unwrap_or(0);
            row.push(if unknown > 0 {
                format!("{broken} (+{unknown}?)")
            } else {
                broken.to_string()
            });
        }
        rows.push(row);
    }
    table(&mut out, "  ", &rows);
    if summary
        .models
        .iter()
        .any(|m| m.unknown.values().any(|&u| u > 0))
    {
        out.push_str("  (+N?: N more runs the checkers could not decide)\n");
    }

    out.push_str("\nanomalies, most frequent first, with the first seeds that show them\n");
    let mut rows = Vec::new();
    for model in &summary.models {
        for anomaly in &model.anomalies {
            let seeds: Vec<String> = anomaly.first_seeds.iter().map(u64::to_string).collect();
            rows.push(vec![
                model.model.name().to_string(),
                anomaly.property.replace('_', " "),
                anomaly.anomaly.clone(),
                format!(
                    "{} run{}",
                    anomaly.runs,
                    if anomaly.runs == 1 { "" } else { "s" }
                ),
                format!("seeds {}", seeds.join(", ")),
            ]);
        }
    }
    if rows.is_empty() {
        out.push_str("  none: every run kept every property\n");
    } else {
        table(&mut out, "  ", &rows);
        let _ = writeln!(out, "  replay one with: {replay} --seed N --model MODEL");
        // Each anomaly named above, in a sentence, once.
        let mut explained = Explained::default();
        let mut meanings = Vec::new();
        for row in &rows {
            if let Some(meaning) = explained.first_time(&row[2]) {
                meanings.push(format!("{}: {meaning}", row[2]));
            }
        }
        if !meanings.is_empty() {
            out.push_str("  what they mean:\n");
            for meaning in meanings {
                for (i, line) in wrap(&meaning, 92).into_iter().enumerate() {
                    let indent = if i == 0 { "    " } else { "      " };
                    let _ = writeln!(out, "{indent}{line}");
                }
            }
        }
    }

    render_failures(&mut out, summary);

    out.push_str("\nspread over runs (min / p50 / p99 / max)\n");
    let mut rows = vec![vec![
        "model".to_string(),
        "answered in time (%)".to_string(),
        "messages".to_string(),
        "mean read latency (ms)".to_string(),
        "mean write latency (ms)".to_string(),
    ]];
    for model in &summary.models {
        rows.push(vec![
            model.model.name().to_string(),
            spread(&model.answered_in_time),
            spread(&model.messages),
            spread(&model.mean_read_latency),
            spread(&model.mean_write_latency),
        ]);
    }
    table(&mut out, "  ", &rows);
    out
}

/// The most seeds of each kind of failure the text shows (the JSON has them all), and the width
/// that fewer keep a line within.
const SEEDS_SHOWN: usize = 3;
const WIDTH: usize = 80;

/// The kinds of failure of each model: under each anomaly, one line per witness shape with its runs
/// and first seeds, most runs first.
///
/// ```text
///   causal: 3 kinds of failure, 61 failures in all
///     linearizable, stale read
///        39  2 clients, 1 key: 2 puts, 1 get  seeds 0, 15, 19
/// ```
fn render_failures(out: &mut String, summary: &Summary) {
    out.push_str(
        "\nkinds of failure, by anomaly and by witness shape (the clients, keys and\noperations that prove it); a failure is one property broken in one run\n",
    );
    let all = || summary.models.iter().flat_map(|m| &m.failures.groups);
    let runs_width = all().map(|g| g.runs.to_string().len()).max().unwrap_or(0);
    let shape_width = all()
        .map(|g| escape(&g.shape).chars().count())
        .max()
        .unwrap_or(0);
    for model in &summary.models {
        let failures = &model.failures;
        let name = model.model.name();
        let kinds = failures.groups.len();
        let total = failures.total();
        if total == 0 {
            let _ = writeln!(out, "  {name}: no failure");
            continue;
        }
        let _ = writeln!(
            out,
            "  {name}: {kinds} kind{} of failure, {total} failure{} in all",
            if kinds == 1 { "" } else { "s" },
            if total == 1 { "" } else { "s" },
        );
        // Anomalies in the order of their largest group, each with its groups in order.
        let mut anomalies: Vec<&FailureGroup> = Vec::new();
        for group in &failures.groups {
            if !anomalies.iter().any(|a| same_anomaly(a, group)) {
                anomalies.push(group);
            }
        }
        for anomaly in anomalies {
            let _ = writeln!(
                out,
                "    {}, {}",
                anomaly.property.replace('_', " "),
                escape(&anomaly.anomaly)
            );
            for group in failures.groups.iter().filter(|g| same_anomaly(g, anomaly)) {
                let shape = escape(&group.shape);
                let pad = shape_width - shape.chars().count();
                let line = format!("      {:>runs_width$}  {shape}{:pad$}  ", group.runs, "");
                let seeds = seeds(&group.first_seeds, line.chars().count());
                let _ = writeln!(out, "{}", (line + &seeds).trim_end());
            }
        }
        if failures.ungrouped > 0 {
            let more = if kinds == 0 { "" } else { "and " };
            let _ = writeln!(
                out,
                "    {more}{} {}not grouped: past {MAX_SHAPES} shapes an anomaly, or from an older kvsim",
                failures.ungrouped,
                if kinds == 0 { "" } else { "more, " }
            );
        }
    }
}

/// `seeds 4, 9, 12`: the first seeds, as many as fit after `used` columns (at least one, if
/// there is one).
fn seeds(first_seeds: &[u64], used: usize) -> String {
    let mut shown: Vec<String> = Vec::new();
    for seed in first_seeds.iter().take(SEEDS_SHOWN) {
        let longer = shown.iter().map(|s| s.len() + 2).sum::<usize>() + seed.to_string().len();
        if !shown.is_empty() && used + "seeds ".len() + longer > WIDTH {
            break;
        }
        shown.push(seed.to_string());
    }
    match shown.len() {
        0 => String::new(),
        1 => format!("seed {}", shown[0]),
        _ => format!("seeds {}", shown.join(", ")),
    }
}

fn same_anomaly(a: &FailureGroup, b: &FailureGroup) -> bool {
    a.property == b.property && a.anomaly == b.anomaly
}

fn spread(s: &Spread) -> String {
    let Some(s) = s.figures() else {
        return "-".to_string();
    };
    let n = |v: f64| {
        if v.fract() == 0.0 {
            format!("{v}")
        } else {
            format!("{v:.1}")
        }
    };
    format!("{} / {} / {} / {}", n(s.min), n(s.p50), n(s.p99), n(s.max))
}

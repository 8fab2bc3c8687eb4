//! A sweep's summary as text: broken counts per model and property, the anomalies with the seeds to
//! replay them, and the spread of messages and latencies.

use std::fmt::Write;

use super::{table, wrap};
use crate::check::glossary::Explained;
use crate::check::Property;
use crate::sweep::{Spread, Summary};
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

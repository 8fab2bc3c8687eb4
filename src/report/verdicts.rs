//! Verdicts as text: one run's list of properties, and the matrix of every run against every property.

use std::fmt::Write;

use super::table;
use crate::check::lattice::strongest;
use crate::check::{Property, Verdict, Verdicts};
use crate::run::Run;

/// How a property is labelled in text: its JSON name with spaces.
fn label(property: Property) -> String {
    property.name().replace('_', " ")
}

/// The short column heading of the verdict matrix.
pub(crate) fn short(property: Property) -> &'static str {
    match property {
        Property::Linearizable => "lin",
        Property::Sequential => "seq",
        Property::Causal => "causal",
        Property::CausalConvergence => "ccv",
        Property::Convergent => "conv",
        Property::ReadYourWrites => "ryw",
        Property::MonotonicReads => "mr",
        Property::MonotonicWrites => "mw",
        Property::WritesFollowReads => "wfr",
    }
}

/// `holds`, `BROKEN` (capitals, so it stands out in a table) or `unknown`.
fn cell(verdict: &Verdict) -> &'static str {
    match verdict.ok {
        Some(false) => "BROKEN",
        _ => verdict.word(),
    }
}

/// One run's verdicts: the strongest model the run satisfies, a line per property, then each broken
/// one explained.
pub fn render_verdicts(verdicts: &Verdicts) -> String {
    let all: Vec<(Property, &Verdict)> = Property::ALL
        .iter()
        .map(|&p| (p, verdicts.get(p)))
        .collect();
    format!(
        "  strongest: {}
{}",
        strongest(verdicts),
        render_selected(&all)
    )
}

/// Some properties' verdicts: a line per property, then each broken one explained.
pub fn render_selected(verdicts: &[(Property, &Verdict)]) -> String {
    let mut out = String::new();
    let rows: Vec<Vec<String>> = verdicts
        .iter()
        .map(|&(p, verdict)| {
            let mut row = vec![label(p), cell(verdict).to_string()];
            if let Some(anomaly) = &verdict.anomaly {
                row.push(anomaly.clone());
            }
            row
        })
        .collect();
    table(&mut out, "  ", &rows);
    explain(&mut out, verdicts.iter().map(|&(p, v)| (label(p), v)));
    out
}

/// The witness of every broken verdict, under its heading.
fn explain<'a>(out: &mut String, verdicts: impl Iterator<Item = (String, &'a Verdict)>) {
    for (heading, verdict) in verdicts {
        if verdict.ok != Some(false) {
            continue;
        }
        let _ = writeln!(
            out,
            "  {heading}: {}",
            verdict.anomaly.as_deref().unwrap_or("broken")
        );
        for line in &verdict.witness {
            let _ = writeln!(out, "    {line}");
        }
    }
}

/// Every run against every property (`verdicts[i]` belongs to `runs[i]`), then each broken cell's
/// anomaly and witness.
pub fn render_matrix(runs: &[Run], verdicts: &[Verdicts]) -> String {
    let mut out = String::from("=== verdicts ===\n");
    out.push_str(
        "which guarantees each model's run kept (lin = linearizable, seq = sequential, causal, ccv = causal\n\
         convergence, conv = replicas converged, ryw = read-your-writes, mr = monotonic reads, mw =\n\
         monotonic writes, wfr = writes-follow-reads), and the strongest model each run satisfies\n\n",
    );
    let mut header = vec!["model".to_string()];
    header.extend(Property::ALL.iter().map(|&p| short(p).to_string()));
    let mut rows = vec![header];
    for (run, verdicts) in runs.iter().zip(verdicts) {
        let mut row = vec![run.model.name().to_string()];
        row.extend(
            Property::ALL
                .iter()
                .map(|&p| cell(verdicts.get(p)).to_string()),
        );
        rows.push(row);
    }
    // The strongest model of each run, one line each, above the matrix.
    let strongest: Vec<Vec<String>> = runs
        .iter()
        .zip(verdicts)
        .map(|(run, verdicts)| {
            vec![
                format!("{}:", run.model.name()),
                format!("strongest: {}", strongest(verdicts)),
            ]
        })
        .collect();
    table(&mut out, "  ", &strongest);
    out.push('\n');
    table(&mut out, "  ", &rows);
    let mut any = false;
    for (run, verdicts) in runs.iter().zip(verdicts) {
        let cells = Property::ALL.iter().map(|&p| {
            (
                format!("{} × {}", run.model.name(), label(p)),
                verdicts.get(p),
            )
        });
        let mut section = String::new();
        explain(&mut section, cells);
        if !section.is_empty() {
            if !any {
                out.push_str("\nwhy\n");
                any = true;
            }
            out.push_str(&section);
        }
    }
    out
}

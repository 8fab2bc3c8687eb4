//! Verdicts as text: one run's list of properties, and the matrix of every run against every property.

use std::fmt::Write;

use super::{push_wrapped, table};
use crate::check::glossary::Explained;
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
/// one explained (each anomaly's meaning the first time `explained` meets it).
pub fn render_verdicts(verdicts: &Verdicts, explained: &mut Explained) -> String {
    let all: Vec<(Property, &Verdict)> = Property::ALL
        .iter()
        .map(|&p| (p, verdicts.get(p)))
        .collect();
    let mut out = String::new();
    push_wrapped(
        &mut out,
        &format!("  strongest: {}", strongest(verdicts)),
        11,
    );
    out.push_str(&render_selected(&all, explained));
    out
}

/// Some properties' verdicts: a line per property, then each broken one explained.
pub fn render_selected(verdicts: &[(Property, &Verdict)], explained: &mut Explained) -> String {
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
    let mut witnesses = Witnesses::default();
    for &(p, verdict) in verdicts {
        witnesses.explain(&mut out, label(p), verdict, explained);
    }
    out
}

/// The witnesses of one output's broken verdicts, each distinct one written once: a later verdict
/// broken by the same witness (the lattice passes a weaker property's witness up to every stronger
/// one, behind a line saying why) points back to the first instead of repeating it.
#[derive(Default)]
struct Witnesses<'a> {
    written: Vec<(String, &'a Verdict)>,
}

impl<'a> Witnesses<'a> {
    fn explain(
        &mut self,
        out: &mut String,
        heading: String,
        verdict: &'a Verdict,
        explained: &mut Explained,
    ) {
        if verdict.ok != Some(false) {
            return;
        }
        let anomaly = verdict.anomaly.as_deref().unwrap_or("broken");
        let same = |earlier: &Verdict| {
            let tail = verdict.witness.get(1..).unwrap_or_default();
            earlier.anomaly == verdict.anomaly
                && (earlier.witness == verdict.witness || earlier.witness == tail)
        };
        if let Some((first, _)) = self.written.iter().find(|(_, earlier)| same(earlier)) {
            let _ = writeln!(out, "  {heading}: same as {first} above");
            return;
        }
        push_wrapped(out, &format!("  {heading}: {anomaly}"), 4);
        if let Some(meaning) = explained.first_time(anomaly) {
            let meaning = meaning.trim_end_matches('.');
            push_wrapped(out, &format!("    (that is: {meaning})"), 1);
        }
        for line in &verdict.witness {
            push_wrapped(out, &format!("    {line}"), 2);
        }
        self.written.push((heading, verdict));
    }
}

/// Every run against every property (`verdicts[i]` belongs to `runs[i]`), then each broken cell's
/// anomaly and witness, each distinct witness once.
pub fn render_matrix(runs: &[Run], verdicts: &[Verdicts], explained: &mut Explained) -> String {
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
    let mut lines = String::new();
    table(&mut lines, "  ", &strongest);
    // A long line continues under its `strongest:`, past the model's name.
    let hang = runs
        .iter()
        .map(|r| r.model.name().len() + 2)
        .max()
        .unwrap_or(0)
        + 11;
    for line in lines.lines() {
        push_wrapped(&mut out, line, hang);
    }
    out.push('\n');
    table(&mut out, "  ", &rows);
    let mut why = String::new();
    let mut witnesses = Witnesses::default();
    for (run, verdicts) in runs.iter().zip(verdicts) {
        for p in Property::ALL {
            let heading = format!("{} × {}", run.model.name(), label(p));
            witnesses.explain(&mut why, heading, verdicts.get(p), explained);
        }
    }
    if !why.is_empty() {
        out.push_str("\nwhy\n");
        out.push_str(&why);
    }
    out
}

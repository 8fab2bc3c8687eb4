//! The same scenario under several models, side by side: what each operation returned, the final
//! stores, and the cost.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::trace::{stopped, SHORT_HISTORY};
use super::{show, store_line, table};
use crate::history::Operation;
use crate::ids::ClientId;
use crate::op::OpKind;
use crate::run::{Latency, Run, Stop};
use crate::scenario::Config;

/// What each operation returned under each model, one column per model; the short form only counts
/// a long history.
///
/// Operations are matched across runs by client and position in the client's script, which the
/// scenario and seed fix whatever the model.
pub(crate) fn side_by_side_history(out: &mut String, runs: &[Run], full: bool) {
    // (client, n) -> the client's n-th operation, for each run.
    let mut by_position: Vec<BTreeMap<(ClientId, usize), &Operation>> = Vec::new();
    for run in runs {
        let mut seen: BTreeMap<ClientId, usize> = BTreeMap::new();
        let mut ops = BTreeMap::new();
        for op in &run.history {
            let n = seen.entry(op.client).or_insert(0);
            ops.insert((op.client, *n), op);
            *n += 1;
        }
        by_position.push(ops);
    }
    let positions: std::collections::BTreeSet<(ClientId, usize)> = by_position
        .iter()
        .flat_map(|ops| ops.keys().copied())
        .collect();
    if !full && positions.len() > SHORT_HISTORY {
        let _ = writeln!(
            out,
            "\nwhat each operation returned: {} operations (--show history lists them side by side)",
            positions.len()
        );
        return;
    }

    out.push_str("\nwhat each operation returned (t=invoked..answered; - : never invoked under that model)\n");
    let mut rows = vec![model_row(["client", "operation"], runs, |r| {
        r.model.name().to_string()
    })];
    for position in &positions {
        let first = by_position
            .iter()
            .find_map(|ops| ops.get(position))
            .copied();
        let Some(first) = first else { continue };
        let what = first.asked();
        let mut row = vec![format!("{} @ {}", first.client, first.replica), what];
        for ops in &by_position {
            row.push(match ops.get(position) {
                None => "-".to_string(),
                Some(op) => side_cell(op),
            });
        }
        rows.push(row);
    }
    table(out, "  ", &rows);
}

/// Each model's final stores: in full, a column per model; short, a line per model that agrees.
pub(crate) fn side_by_side_stores(out: &mut String, config: &Config, runs: &[Run], full: bool) {
    out.push_str("\nfinal stores\n");
    let fits = runs.iter().all(|r| {
        r.replicas
            .first()
            .is_some_and(|first| store_line(&first.store).chars().count() <= 60)
    });
    if !full && fits && runs.iter().all(Run::converged) {
        let rows: Vec<Vec<String>> = runs
            .iter()
            .map(|r| {
                let first = &r.replicas[0];
                vec![
                    r.model.name().to_string(),
                    format!("every replica holds {}", store_line(&first.store)),
                ]
            })
            .collect();
        table(out, "  ", &rows);
        return;
    }
    let mut rows = vec![model_row([""], runs, |r| r.model.name().to_string())];
    for i in 0..config.replicas {
        rows.push(model_row([&format!("r{i}")], runs, |r| {
            store_line(&r.replicas[i].store)
        }));
    }
    rows.push(model_row(["agree?"], runs, |r| {
        if r.converged() { "yes" } else { "NO" }.to_string()
    }));
    table(out, "  ", &rows);
}

/// What each model cost: availability, messages, latencies, duration, and how its run ended.
pub(crate) fn side_by_side_cost(out: &mut String, runs: &[Run]) {
    out.push_str("\ncost\n");
    let rows = vec![
        model_row([""], runs, |r| r.model.name().to_string()),
        model_row(["answered in time"], runs, |r| {
            r.stats
                .availability
                .within_timeout
                .map_or("-".to_string(), |f| format!("{:.1}%", 100.0 * f))
        }),
        model_row(["messages"], runs, |r| r.stats.messages.to_string()),
        model_row(["  lost"], runs, |r| r.stats.dropped.to_string()),
        model_row(["  retransmitted"], runs, |r| {
            r.stats.retransmitted.to_string()
        }),
        model_row(["read latency"], runs, |r| mean_latency(&r.stats.reads)),
        model_row(["  p99"], runs, |r| p99_latency(&r.stats.reads)),
        model_row(["write latency"], runs, |r| mean_latency(&r.stats.writes)),
        model_row(["  p99"], runs, |r| p99_latency(&r.stats.writes)),
        model_row(["duration"], runs, |r| format!("{} ms", r.stats.duration)),
    ];
    table(out, "  ", &rows);
    // A run that did not end idle says why, and what it left unfinished.
    for run in runs {
        if run.stats.stopped == Stop::Idle {
            continue;
        }
        for (i, line) in stopped(run).into_iter().enumerate() {
            let label = if i == 0 {
                format!("{} stopped:", run.model.name())
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {label:<w$} {line}", w = run.model.name().len() + 9);
        }
    }
}

/// A row of the side-by-side tables: leading label cells, then one cell per run.
fn model_row<const N: usize>(
    labels: [&str; N],
    runs: &[Run],
    cell: impl Fn(&Run) -> String,
) -> Vec<String> {
    let mut row: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
    row.extend(runs.iter().map(cell));
    row
}

fn mean_latency(latency: &Latency) -> String {
    latency
        .mean
        .map_or("-".to_string(), |mean| format!("{mean:.1} ms"))
}

fn p99_latency(latency: &Latency) -> String {
    latency
        .p99
        .map_or("-".to_string(), |p99| format!("{p99} ms"))
}

fn side_cell(op: &Operation) -> String {
    let Some(returned) = op.returned_at else {
        return match op.gave_up_at {
            Some(gave_up) => format!("timed out (t={}..{gave_up})", op.invoked_at),
            None => format!("never answered (t={}..)", op.invoked_at),
        };
    };
    let result = match (op.op, &op.seen) {
        (OpKind::Get, _) => show(&op.value),
        (OpKind::Cas, Some(seen)) => format!("failed, saw {}", show(seen)).into(),
        _ => "ok".into(),
    };
    format!("{result} (t={}..{returned})", op.invoked_at)
}

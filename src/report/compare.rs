//! The same scenario under several models, side by side.

use std::collections::BTreeMap;

use super::{heading, show, store_line, table};
use crate::history::Operation;
use crate::ids::ClientId;
use crate::op::OpKind;
use crate::run::{Latency, Run};
use crate::scenario::Config;
use crate::text::escape;

/// The same scenario under several models, one column per model: what each operation returned and
/// when, then the final stores and the main statistics.
///
/// Operations are matched across runs by client and position in the client's script, which the
/// scenario and seed fix whatever the model.
pub fn render_side_by_side(config: &Config, runs: &[Run]) -> String {
    let mut out = String::new();
    heading(&mut out, config, "side by side");

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
        let what = match first.op {
            OpKind::Put => format!("put {} = {}", escape(&first.key), show(&first.value)),
            OpKind::Get => format!("get {}", escape(&first.key)),
        };
        let mut row = vec![format!("{} @ {}", first.client, first.replica), what];
        for ops in &by_position {
            row.push(match ops.get(position) {
                None => "-".to_string(),
                Some(op) => side_cell(op),
            });
        }
        rows.push(row);
    }
    table(&mut out, "  ", &rows);

    out.push_str("\nfinal stores\n");
    let mut rows = vec![model_row([""], runs, |r| r.model.name().to_string())];
    for i in 0..config.replicas {
        rows.push(model_row([&format!("r{i}")], runs, |r| {
            store_line(&r.replicas[i].store)
        }));
    }
    rows.push(model_row(["agree?"], runs, |r| {
        if r.converged() { "yes" } else { "NO" }.to_string()
    }));
    table(&mut out, "  ", &rows);

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
    table(&mut out, "  ", &rows);
    out
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
    if latency.count == 0 {
        "-".to_string()
    } else {
        format!("{:.1} ms", latency.mean)
    }
}

fn p99_latency(latency: &Latency) -> String {
    if latency.count == 0 {
        "-".to_string()
    } else {
        format!("{} ms", latency.p99)
    }
}

fn side_cell(op: &Operation) -> String {
    let Some(returned) = op.returned_at else {
        return match op.gave_up_at {
            Some(gave_up) => format!("timed out (t={}..{gave_up})", op.invoked_at),
            None => format!("never answered (t={}..)", op.invoked_at),
        };
    };
    let result = match op.op {
        OpKind::Put => "ok".into(),
        OpKind::Get => show(&op.value),
    };
    format!("{result} (t={}..{returned})", op.invoked_at)
}

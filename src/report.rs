//! Renderings of runs: the human-readable text (which is also what the snapshots hold), the
//! side-by-side comparison of models, and the JSON document of `--json`.
//!
//! Text output follows one rule: one event per line, aligned, in time order, so that a diff between two
//! traces reads like a story of what changed.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::history::Operation;
use crate::ids::ClientId;
use crate::op::{OpKind, Value};
use crate::protocol::{CommitEntry, Store};
use crate::run::{Latency, Run};
use crate::scenario::Config;

/// The JSON document printed by `kvsim run --json`. Every field is documented in the README.
#[derive(Serialize)]
pub struct Report<'a> {
    pub scenario: &'a str,
    pub description: &'a str,
    pub seed: u64,
    pub runs: &'a [Run],
}

impl<'a> Report<'a> {
    pub fn new(config: &'a Config, runs: &'a [Run]) -> Self {
        Report {
            scenario: &config.name,
            description: &config.description,
            seed: config.seed,
            runs,
        }
    }

    /// The document as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Serializing plain structs of strings and numbers into a String cannot fail.
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }
}

/// Lays out rows of cells in columns padded to the widest cell; the last column is not padded.
fn table(out: &mut String, indent: &str, rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::from(indent);
        for (i, cell) in row.iter().enumerate() {
            if i + 1 < row.len() {
                let pad = widths[i] - cell.chars().count();
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad + 2));
            } else {
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn show(value: &Option<Value>) -> &str {
    value.as_deref().unwrap_or("null")
}

/// `put x = 1`, or `get x -> 1` once the read has a result.
fn describe(op: OpKind, key: &str, value: &Option<Value>) -> String {
    match op {
        OpKind::Put => format!("put {key} = {}", show(value)),
        OpKind::Get => format!("get {key} -> {}", show(value)),
    }
}

fn commit_row(entry: &CommitEntry) -> Vec<String> {
    let mut note = format!("{}  stamp {}", entry.client, entry.stamp);
    if entry.superseded {
        note.push_str("  superseded: a newer write was already stored");
    }
    vec![
        format!("t={}", entry.at),
        describe(entry.op, &entry.key, &entry.value),
        note,
    ]
}

fn store_line(store: &Store) -> String {
    if store.is_empty() {
        return "(empty)".to_string();
    }
    let pairs: Vec<String> = store.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join(" ")
}

fn history_row(op: &Operation) -> Vec<String> {
    let (returned, result) = match op.returned_at {
        Some(t) => (format!("{t}"), describe(op.op, &op.key, &op.value)),
        None => {
            let what = match op.op {
                OpKind::Put => describe(op.op, &op.key, &op.value),
                OpKind::Get => format!("get {}", op.key),
            };
            ("-".to_string(), format!("{what}  (never answered)"))
        }
    };
    vec![
        format!("t={}..{returned}", op.invoked_at),
        format!("{} @ {}", op.client, op.replica),
        result,
    ]
}

/// The scenario's heading: name, seed, model, and the description.
fn heading(out: &mut String, config: &Config, title: &str) {
    let _ = writeln!(out, "=== {title} ===");
    let clients = config.clients.len() + config.workload.as_ref().map_or(0, |w| w.clients as usize);
    let _ = writeln!(
        out,
        "scenario {}, seed {}, {} replica{}, {} client{}",
        config.name,
        config.seed,
        config.replicas,
        plural(config.replicas),
        clients,
        plural(clients)
    );
    for line in wrap(&config.description, 96) {
        let _ = writeln!(out, "  {line}");
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

/// Breaks text into lines of at most `width` characters at spaces (a longer word gets a line of its
/// own), keeping the text's own line breaks.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

/// The full text of one run: committed orders, final stores, history and statistics.
pub fn render_run(config: &Config, run: &Run) -> String {
    let mut out = String::new();
    heading(&mut out, config, run.model.name());

    out.push_str("\ncommitted order (what each replica applied, in order)\n");
    let mut rows = Vec::new();
    for replica in &run.replicas {
        if replica.committed.is_empty() {
            rows.push(vec![replica.id.to_string(), "(nothing)".to_string()]);
        }
        for entry in &replica.committed {
            let mut row = vec![replica.id.to_string()];
            row.extend(commit_row(entry));
            rows.push(row);
        }
    }
    table(&mut out, "  ", &rows);

    out.push_str("\nfinal stores\n");
    let rows: Vec<_> = run
        .replicas
        .iter()
        .map(|r| vec![r.id.to_string(), store_line(&r.store)])
        .collect();
    table(&mut out, "  ", &rows);
    out.push_str(if run.converged() {
        "  all replicas agree\n"
    } else {
        "  replicas DIFFER\n"
    });

    out.push_str("\nhistory (each operation, in the order clients invoked them)\n");
    let rows: Vec<_> = run.history.iter().map(history_row).collect();
    table(&mut out, "  ", &rows);

    let s = &run.stats;
    out.push_str("\nstats\n");
    let rows = vec![
        vec![
            "operations".into(),
            format!("{} ({} answered)", s.operations, s.completed),
        ],
        vec!["messages".into(), s.messages.to_string()],
        vec!["events".into(), s.events.to_string()],
        vec!["duration".into(), format!("{} ms", s.duration)],
        vec!["stopped".into(), s.stopped.describe().into()],
        vec![
            "reads".into(),
            format!(
                "{}, latency mean {:.1} ms, max {} ms",
                s.reads.count, s.reads.mean, s.reads.max
            ),
        ],
        vec![
            "writes".into(),
            format!(
                "{}, latency mean {:.1} ms, max {} ms",
                s.writes.count, s.writes.mean, s.writes.max
            ),
        ],
    ];
    table(&mut out, "  ", &rows);
    out
}

/// Every run of one scenario in full, one after another.
pub fn render_runs(config: &Config, runs: &[Run]) -> String {
    let mut out = String::new();
    for (i, run) in runs.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&render_run(config, run));
    }
    out
}

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

    out.push_str("\nwhat each operation returned (t=invoked..answered)\n");
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
            OpKind::Put => format!("put {} = {}", first.key, show(&first.value)),
            OpKind::Get => format!("get {}", first.key),
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
        model_row(["messages"], runs, |r| r.stats.messages.to_string()),
        model_row(["read latency"], runs, |r| mean_latency(&r.stats.reads)),
        model_row(["write latency"], runs, |r| mean_latency(&r.stats.writes)),
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

fn side_cell(op: &Operation) -> String {
    let Some(returned) = op.returned_at else {
        return format!("never answered (t={}..)", op.invoked_at);
    };
    let result = match op.op {
        OpKind::Put => "ok",
        OpKind::Get => show(&op.value),
    };
    format!("{result} (t={}..{returned})", op.invoked_at)
}

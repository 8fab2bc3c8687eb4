//! The trace of one run: committed orders, final stores, history, statistics and verdicts.

use std::fmt::Write;

use super::{describe, heading, plural, render_verdicts, store_line, table};
use crate::check::Verdicts;
use crate::history::Operation;
use crate::op::OpKind;
use crate::protocol::CommitEntry;
use crate::run::{Latency, Run, Stats, Stop};
use crate::scenario::Config;
use crate::sim::fault::Origin;
use crate::text::escape;

fn commit_row(entry: &CommitEntry) -> Vec<String> {
    let mut row = vec![
        format!("t={}", entry.at),
        describe(entry.op, &entry.key, &entry.value),
        entry.client.to_string(),
        format!("stamp {}", entry.stamp),
    ];
    if entry.superseded {
        row.push("superseded: a newer write was already stored".to_string());
    }
    row
}

fn history_row(op: &Operation) -> Vec<String> {
    let (returned, result) = match op.returned_at {
        Some(t) => (format!("{t}"), describe(op.op, &op.key, &op.value)),
        None => {
            let what = match op.op {
                OpKind::Put => describe(op.op, &op.key, &op.value),
                OpKind::Get => format!("get {}", escape(&op.key)),
            };
            match op.gave_up_at {
                Some(t) => (
                    "-".to_string(),
                    format!("{what}  (timed out: the client gave up at t={t})"),
                ),
                None => ("-".to_string(), format!("{what}  (never answered)")),
            }
        }
    };
    vec![
        format!("t={}..{returned}", op.invoked_at),
        format!("{} @ {}", op.client, op.replica),
        result,
    ]
}

/// The full text of one run: committed orders, final stores, history, statistics and verdicts.
pub fn render_run(config: &Config, run: &Run, verdicts: &Verdicts) -> String {
    let mut out = String::new();
    heading(&mut out, config, run.model.name());

    if config.has_faults() {
        out.push_str("\nfaults (what happened to the network and the replicas, in time order)\n");
        if run.faults.is_empty() {
            out.push_str("  (none happened before the run ended)\n");
        }
        let rows: Vec<_> = run
            .faults
            .iter()
            .map(|f| {
                let mut row = vec![format!("t={}", f.at), f.fault.to_string()];
                if f.origin == Origin::Nemesis {
                    row.push("(nemesis)".to_string());
                }
                row
            })
            .collect();
        table(&mut out, "  ", &rows);
    }

    out.push_str("\ncommitted order (what each replica applied, in order)\n");
    let mut rows = Vec::new();
    for replica in &run.replicas {
        if replica.committed.is_empty() {
            rows.push(vec![
                replica.id.to_string(),
                String::new(),
                "(nothing)".to_string(),
            ]);
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
    let same_order = run.replicas.windows(2).all(|w| {
        let stamps =
            |r: &crate::run::ReplicaRun| r.committed.iter().map(|c| c.stamp).collect::<Vec<_>>();
        stamps(&w[0]) == stamps(&w[1])
    });
    out.push_str(if same_order {
        "  every replica committed the same operations in the same order\n"
    } else {
        "  the replicas committed different operations, or in different orders\n"
    });

    out.push_str("\nhistory (each operation, in the order clients invoked them)\n");
    let rows: Vec<_> = run.history.iter().map(history_row).collect();
    table(&mut out, "  ", &rows);

    let s = &run.stats;
    out.push_str("\nstats\n");
    let mut operations = format!("{} ({} answered", s.operations, s.completed);
    if s.timed_out > 0 {
        let _ = write!(
            operations,
            ", {} timed out, {} of them answered late",
            s.timed_out, s.answered_late
        );
    }
    operations.push(')');
    let mut rows = vec![
        vec!["operations".into(), operations],
        vec!["availability".into(), availability(config, s)],
        vec![
            "messages".into(),
            format!(
                "{} sent, of them {} acks and {} retransmitted; {} dropped, {} duplicated",
                s.messages, s.acks, s.retransmitted, s.dropped, s.duplicated
            ),
        ],
        vec!["events".into(), s.events.to_string()],
        vec!["duration".into(), format!("{} ms", s.duration)],
    ];
    for (i, line) in stopped(run).into_iter().enumerate() {
        let label = if i == 0 { "stopped" } else { "" };
        rows.push(vec![label.into(), line]);
    }
    rows.push(vec!["reads".into(), latency(&s.reads)]);
    rows.push(vec!["writes".into(), latency(&s.writes)]);
    table(&mut out, "  ", &rows);
    out.push_str("\nverdicts (what the checkers found in this run's history and final stores)\n");
    out.push_str(&render_verdicts(verdicts));
    out
}

/// Why the run ended, and for a stalled run what it left unfinished, one thing per line:
/// `stalled (the run cannot finish)`, `r2 is down for good, holding 2 unacknowledged messages`.
fn stopped(run: &Run) -> Vec<String> {
    let mut lines = vec![run.stats.stopped.describe().to_string()];
    if run.stats.stopped != Stop::Stalled {
        return lines;
    }
    for replica in &run.replicas {
        let n = replica.unacknowledged;
        if n == 0 {
            continue;
        }
        // A stalled run has no restart left to come, and its running replicas have retried all
        // they hold since anything last changed.
        lines.push(if replica.up {
            format!(
                "{} retries {n} unacknowledged message{} in vain",
                replica.id,
                plural(n)
            )
        } else {
            format!(
                "{} is down for good, holding {n} unacknowledged message{}",
                replica.id,
                plural(n)
            )
        });
    }
    let mut waiting: Vec<_> = run
        .history
        .iter()
        .filter(|op| op.returned_at.is_none() && op.gave_up_at.is_none())
        .map(|op| op.client)
        .collect();
    waiting.sort_unstable();
    waiting.dedup();
    for client in waiting {
        lines.push(format!("{client} waits for ever for an answer"));
    }
    lines
}

/// `answered 60.0%, within the timeout 50.0%`.
fn availability(config: &Config, s: &Stats) -> String {
    let percent = |f: Option<f64>| f.map_or("-".to_string(), |f| format!("{:.1}%", 100.0 * f));
    match config.timeout {
        Some(timeout) => format!(
            "answered {}, within the {timeout} ms timeout {}",
            percent(s.availability.answered),
            percent(s.availability.within_timeout)
        ),
        None => format!(
            "answered {} (no timeout: clients wait for ever)",
            percent(s.availability.answered)
        ),
    }
}

/// `3 answered in time, latency mean 1.0 ms, p50 1 ms, p99 2 ms, max 2 ms`.
fn latency(l: &Latency) -> String {
    format!(
        "{} answered in time, latency mean {:.1} ms, p50 {} ms, p99 {} ms, max {} ms",
        l.count, l.mean, l.p50, l.p99, l.max
    )
}

/// Every run of one scenario in full, one after another (`verdicts[i]` belongs to `runs[i]`).
pub fn render_runs(config: &Config, runs: &[Run], verdicts: &[Verdicts]) -> String {
    let mut out = String::new();
    for (i, (run, verdicts)) in runs.iter().zip(verdicts).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&render_run(config, run, verdicts));
    }
    out
}

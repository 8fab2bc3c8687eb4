//! One run as text: faults, history, committed orders, final stores, statistics and verdicts, each a
//! section that `--show` can select, and each with a short form for the default view.

use std::fmt::Write;

use super::committed::render_committed;
use super::show::{Section, Show};
use super::{heading, plural, render_verdicts, store_line, table};
use crate::check::glossary::Explained;
use crate::check::Verdicts;
use crate::history::Operation;
use crate::run::{Latency, Run, Stats, Stop};
use crate::scenario::Config;
use crate::sim::fault::Origin;

/// How many operations a short view lists before it only counts them.
pub(crate) const SHORT_HISTORY: usize = 24;

fn history_row(op: &Operation) -> Vec<String> {
    let (returned, result) = match op.returned_at {
        Some(t) => (format!("{t}"), op.described()),
        None => {
            let what = op.asked();
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

/// One run as text, the sections `show` asks for, each anomaly's meaning the first time `explained`
/// meets it.
pub fn render_run(
    config: &Config,
    run: &Run,
    verdicts: &Verdicts,
    show: &Show,
    explained: &mut Explained,
) -> String {
    let mut out = String::new();
    heading(&mut out, config, run.model.name());
    if show.has(Section::Summary) {
        faults(&mut out, config, run, "");
    }
    if show.has(Section::History) {
        history(&mut out, run, show.full());
    }
    if show.has(Section::Committed) {
        let mut text = String::new();
        render_committed(&mut text, run, show.full(), "  ");
        match text.lines().collect::<Vec<_>>()[..] {
            [line] => {
                let _ = writeln!(out, "\ncommitted order: {}", line.trim_start());
            }
            _ => {
                out.push_str("\ncommitted order (what each replica applied, in order)\n");
                out.push_str(&text);
            }
        }
    }
    if show.has(Section::Stores) {
        stores(&mut out, run, show.full());
    }
    if show.has(Section::Summary) {
        stats(&mut out, config, run);
    }
    if show.has(Section::Verdicts) {
        out.push_str(
            "\nverdicts (what the checkers found in this run's history and final stores)\n",
        );
        out.push_str(&render_verdicts(verdicts, explained));
    }
    out
}

/// Every fault that happened, in time order, when the scenario has faults; `label` names the model
/// when several runs' faults are listed one after another.
pub(crate) fn faults(out: &mut String, config: &Config, run: &Run, label: &str) {
    if !config.has_faults() {
        return;
    }
    let _ = writeln!(
        out,
        "\nfaults{label} (what happened to the network and the replicas, in time order)"
    );
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
    table(out, "  ", &rows);
}

/// What each client saw, in invocation order; the short form only counts a long history.
fn history(out: &mut String, run: &Run, full: bool) {
    let count = run.history.len();
    if !full && count > SHORT_HISTORY {
        let _ = writeln!(
            out,
            "\nhistory: {count} operations (--show history lists them)"
        );
        return;
    }
    out.push_str("\nhistory (each operation, in the order clients invoked them)\n");
    let rows: Vec<_> = run.history.iter().map(history_row).collect();
    table(out, "  ", &rows);
}

/// Each replica's final store; the short form says in one line that they agree, when they do.
fn stores(out: &mut String, run: &Run, full: bool) {
    let agreed = run.converged();
    if !full && agreed {
        let _ = match run.replicas.first() {
            Some(first) if store_line(&first.store).chars().count() <= 72 => writeln!(
                out,
                "\nfinal stores: every replica holds {}",
                store_line(&first.store)
            ),
            Some(first) => writeln!(
                out,
                "\nfinal stores: every replica holds the same {} keys (--show stores lists them)",
                first.store.len()
            ),
            None => Ok(()),
        };
        return;
    }
    out.push_str("\nfinal stores\n");
    let rows: Vec<_> = run
        .replicas
        .iter()
        .map(|r| vec![r.id.to_string(), store_line(&r.store)])
        .collect();
    table(out, "  ", &rows);
    out.push_str(if agreed {
        "  all replicas agree\n"
    } else {
        "  replicas DIFFER\n"
    });
}

/// Counts, availability, messages, how the run ended, and latencies.
fn stats(out: &mut String, config: &Config, run: &Run) {
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
    table(out, "  ", &rows);
}

/// Why the run ended, and for a stalled run what it left unfinished, one thing per line:
/// `stalled (the run cannot finish)`, `r2 is down for good, holding 2 unacknowledged messages`.
pub(crate) fn stopped(run: &Run) -> Vec<String> {
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

/// `3 answered in time, latency mean 1.0 ms, p50 1 ms, p99 2 ms, max 2 ms`, or `0 answered in
/// time, latency -` when there is no latency to give.
fn latency(l: &Latency) -> String {
    match (l.mean, l.p50, l.p99, l.max) {
        (Some(mean), Some(p50), Some(p99), Some(max)) => format!(
            "{} answered in time, latency mean {mean:.1} ms, p50 {p50} ms, p99 {p99} ms, max {max} ms",
            l.count
        ),
        _ => format!("{} answered in time, latency -", l.count),
    }
}

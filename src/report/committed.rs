//! Each replica's committed order as text: side by side in columns when they fit a terminal, one
//! line when every replica committed the same operations in the same order, a list per replica
//! otherwise.

use std::collections::BTreeSet;

use super::{describe_commit, table, TERMINAL};
use crate::protocol::CommitEntry;
use crate::run::{ReplicaRun, Run};

/// How many rows of columns a short view shows before it says how to list them instead.
const SHORT_ROWS: usize = 24;

/// The committed orders of `run`: in full (`full`), or in the short form of the default view.
/// Each line starts with `indent`.
pub(crate) fn render_committed(out: &mut String, run: &Run, full: bool, indent: &str) {
    let agreement = agreement(run);
    let columns = columns(run, indent);
    if full {
        out.push_str(&format!("{indent}{agreement}:\n"));
        match columns {
            Some(lines) => push_lines(out, &lines),
            None => rows(out, run, indent),
        }
        return;
    }
    if same_order(run) {
        out.push_str(&format!("{indent}{agreement}\n"));
        return;
    }
    match columns {
        Some(lines) if lines.len() <= SHORT_ROWS + 1 => {
            out.push_str(&format!("{indent}{agreement}:\n"));
            push_lines(out, &lines);
        }
        _ => out.push_str(&format!("{indent}{agreement} (--show committed)\n")),
    }
}

/// One line saying whether the replicas committed the same operations, and in the same order.
fn agreement(run: &Run) -> String {
    let first = run.replicas.first().map_or(&[][..], |r| &r.committed[..]);
    let what = if first.iter().all(|c| c.op == crate::op::OpKind::Put) {
        "writes"
    } else {
        "operations"
    };
    if same_order(run) {
        let n = first.len();
        if n == 0 {
            return "no replica committed anything".to_string();
        }
        let what = if n == 1 {
            &what[..what.len() - 1]
        } else {
            what
        };
        if run.replicas.len() == 1 {
            return format!("the replica committed {n} {what}");
        }
        return format!("every replica committed the same {n} {what} in the same order");
    }
    let stamps = |r: &ReplicaRun| r.committed.iter().map(|c| c.stamp).collect::<BTreeSet<_>>();
    let same_set = run
        .replicas
        .windows(2)
        .all(|w| stamps(&w[0]) == stamps(&w[1]));
    if same_set {
        format!("the replicas committed the same {what} in different orders")
    } else {
        "the replicas committed different operations".to_string()
    }
}

/// Whether every replica committed the same operations (by stamp) in the same order.
fn same_order(run: &Run) -> bool {
    run.replicas.windows(2).all(|w| {
        let stamps = |r: &ReplicaRun| r.committed.iter().map(|c| c.stamp).collect::<Vec<_>>();
        stamps(&w[0]) == stamps(&w[1])
    })
}

/// One column per replica, or `None` when they do not fit the terminal.
fn columns(run: &Run, indent: &str) -> Option<Vec<String>> {
    let mut blocks: Vec<Vec<String>> = Vec::new();
    for replica in &run.replicas {
        let mut rows = vec![vec![replica.id.to_string()]];
        rows.extend(replica.committed.iter().map(|c| {
            let mut row = vec![format!("t={}", c.at), describe_commit(c)];
            row.push(c.stamp.to_string());
            if c.superseded {
                row.push("superseded".to_string());
            }
            row
        }));
        if replica.committed.is_empty() {
            rows.push(vec!["(nothing)".to_string()]);
        }
        let mut text = String::new();
        table(&mut text, "", &rows);
        blocks.push(text.lines().map(str::to_string).collect());
    }
    let widths: Vec<usize> = blocks
        .iter()
        .map(|b| b.iter().map(|l| l.chars().count()).max().unwrap_or(0))
        .collect();
    let gap = 3;
    let total = indent.len() + widths.iter().sum::<usize>() + gap * widths.len().saturating_sub(1);
    if total > TERMINAL {
        return None;
    }
    let height = blocks.iter().map(Vec::len).max().unwrap_or(0);
    let mut lines = Vec::with_capacity(height);
    for row in 0..height {
        let mut line = String::from(indent);
        for (block, width) in blocks.iter().zip(&widths) {
            let cell = block.get(row).map_or("", String::as_str);
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', width - cell.chars().count() + gap));
        }
        lines.push(line.trim_end().to_string());
    }
    Some(lines)
}

/// Every committed operation on a line of its own, replica by replica.
fn rows(out: &mut String, run: &Run, indent: &str) {
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
    table(out, indent, &rows);
}

fn commit_row(entry: &CommitEntry) -> Vec<String> {
    let mut row = vec![
        format!("t={}", entry.at),
        describe_commit(entry),
        entry.client.to_string(),
        format!("stamp {}", entry.stamp),
    ];
    if entry.superseded {
        row.push("superseded: a newer write was already stored".to_string());
    }
    row
}

fn push_lines(out: &mut String, lines: &[String]) {
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
}

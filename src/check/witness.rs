//! Witnesses that prove a broken verdict alone: the few operations which, checked as a history of
//! their own, break the same property — and from which no single operation can be dropped.
//!
//! A checker names the operations its reasoning used (the read, the write it missed, the causal path
//! that makes that write newer, …) as a [`Broken`] finding. That set is then checked alone, as if the
//! input had held only those rows ([`CheckHistory::sub_history`]); if it does not break the property
//! (a cycle or an ambiguous value elsewhere changed the story) the whole history stands as the
//! witness. Then operations are dropped one at a time while the rest still breaks the property,
//! until none can be: a write takes with it the reads that returned its value when no other write
//! left wrote it, since a read of a value nobody wrote is a different story. Shrinking re-runs the
//! checker on tiny histories, so it is only tried on witnesses of at most [`MAX_SHRUNK`] operations.

use super::history::{CheckHistory, OpIndex};
use super::order::Source;
use super::Verdict;

/// The largest witness shrunk to a minimal one (up to `MAX_SHRUNK²` checks of a history that small).
pub const MAX_SHRUNK: usize = 24;

/// A broken property as a checker found it: the anomaly, the story in words, and the operations the
/// story used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    pub anomaly: String,
    pub witness: Vec<String>,
    pub ops: Vec<OpIndex>,
}

impl Broken {
    /// The verdict, its operations checked alone and shrunk: `breaks` says whether a history breaks
    /// the property (it must not itself shrink witnesses).
    pub fn prove(self, history: &CheckHistory, breaks: impl Fn(&CheckHistory) -> bool) -> Verdict {
        let ops = minimal(history, self.ops, breaks);
        Verdict::broken_by(self.anomaly, self.witness, history, ops)
    }
}

/// The operations that prove the property broken: `candidate` if it does, else the whole history,
/// shrunk while small enough.
fn minimal(
    history: &CheckHistory,
    candidate: Vec<OpIndex>,
    breaks: impl Fn(&CheckHistory) -> bool,
) -> Vec<OpIndex> {
    let mut ops = real_ops(history, candidate);
    if ops.is_empty() || !breaks(&history.sub_history(&ops)) {
        ops = real_ops(history, 0..history.ops.len());
    }
    if ops.len() > MAX_SHRUNK {
        return ops;
    }
    loop {
        let smaller = ops.iter().find_map(|&drop| {
            let rest = without(history, &ops, drop);
            (!rest.is_empty() && breaks(&history.sub_history(&rest))).then_some(rest)
        });
        match smaller {
            Some(rest) => ops = rest,
            None => return ops,
        }
    }
}

/// The operations of `ops` that came from the input, sorted, without repeats.
fn real_ops(history: &CheckHistory, ops: impl IntoIterator<Item = OpIndex>) -> Vec<OpIndex> {
    let mut real: Vec<OpIndex> = ops
        .into_iter()
        .filter(|&i| !history.is_phantom(i))
        .collect();
    real.sort_unstable();
    real.dedup();
    real
}

/// `ops` without `drop`, and, when `drop` is a write, without the reads of its value that no other
/// write of `ops` wrote.
pub fn without(history: &CheckHistory, ops: &[OpIndex], drop: OpIndex) -> Vec<OpIndex> {
    let dropped = &history.ops[drop];
    let rest: Vec<OpIndex> = ops.iter().copied().filter(|&i| i != drop).collect();
    if !dropped.is_write() || dropped.value.is_none() {
        return rest;
    }
    let same = |i: OpIndex| {
        let op = &history.ops[i];
        op.key == dropped.key && op.value == dropped.value
    };
    let still_written = rest.iter().any(|&i| history.ops[i].is_write() && same(i));
    rest.into_iter()
        .filter(|&i| still_written || !(history.ops[i].is_read() && same(i)))
        .collect()
}

/// A causal path without the steps program order makes redundant: an operation between two of its
/// own session's on the path is dropped, since program order alone leads from the one to the other.
pub fn shortcut(history: &CheckHistory, path: &[OpIndex]) -> Vec<OpIndex> {
    let session = |i: OpIndex| history.ops[i].session;
    let mut kept = Vec::with_capacity(path.len());
    for (i, &op) in path.iter().enumerate() {
        let between = i > 0
            && i + 1 < path.len()
            && session(path[i - 1]) == session(op)
            && session(path[i + 1]) == session(op);
        if !between {
            kept.push(op);
        }
    }
    kept
}

/// A causal path in words, one line per operation, each saying how it follows the one before: it
/// read it, or came after it in the same client (program order, or a write that never returned after
/// what its client did before it). `sources`: each read's source, as the path was found with.
pub fn narrate(history: &CheckHistory, sources: &[Source], path: &[OpIndex]) -> Vec<String> {
    let mut lines = Vec::with_capacity(path.len());
    for (i, &op) in path.iter().enumerate() {
        let link = match i {
            0 => "",
            _ if sources[op] == Source::Write(path[i - 1]) => "which was read by ",
            _ => "and then, in the same client, ",
        };
        lines.push(format!("{link}{}", history.describe(op)));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::history::RawOp;
    use crate::ids::ClientId;
    use crate::op::OpKind;

    /// `(client, is a write, key, value, invoked, returned)`.
    type Row<'a> = (u32, bool, &'a str, Option<&'a str>, u64, u64);

    fn history(rows: &[Row]) -> CheckHistory {
        CheckHistory::new(
            rows.iter()
                .map(|&(client, write, key, value, invoked, returned)| RawOp {
                    client: ClientId(client),
                    kind: if write { OpKind::Put } else { OpKind::Get },
                    key: key.into(),
                    value: value.map(Into::into),
                    expected: None,
                    seen: None,
                    invoked_at: invoked,
                    returned_at: Some(returned),
                }),
        )
    }

    #[test]
    fn a_path_keeps_only_where_it_enters_and_leaves_each_client() {
        // Client 0's three operations, read by client 1: the middle one adds nothing.
        let h = history(&[
            (0, true, "x", Some("1"), 0, 1),
            (0, true, "y", Some("2"), 2, 3),
            (0, true, "z", Some("3"), 4, 5),
            (1, false, "z", Some("3"), 6, 7),
        ]);
        assert_eq!(shortcut(&h, &[0, 1, 2, 3]), vec![0, 2, 3]);
    }

    #[test]
    fn dropping_a_write_drops_the_reads_of_its_value_no_other_write_wrote() {
        let h = history(&[
            (0, true, "x", Some("1"), 0, 1),
            (1, true, "x", Some("1"), 0, 1),
            (2, false, "x", Some("1"), 2, 3),
            (2, false, "x", None, 4, 5),
        ]);
        // Another write of 1 remains: the read of 1 stays.
        assert_eq!(without(&h, &[0, 1, 2, 3], 0), vec![1, 2, 3]);
        // None remains: the read of 1 goes too, the read of the initial value stays.
        assert_eq!(without(&h, &[0, 2, 3], 0), vec![3]);
    }
}

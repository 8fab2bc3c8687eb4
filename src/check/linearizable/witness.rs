//! The witness of a broken linearizability verdict: a few operations that are not linearizable on their
//! own, shrunk until none can be dropped, and the words that say why.
//!
//! A hot key can have thousands of operations, and the search only says "not linearizable", not which
//! few of them conflict. So the witness is found by re-checking parts of the history with the real
//! checker ([`super::judge`]), which linearizability's locality keeps cheap:
//!
//! 1. a candidate that breaks alone: the named anomaly's operations, else the failing key's (or the
//!    keys that ties join to it);
//! 2. the shortest failing prefix in time: the operations invoked up to some instant (those still
//!    running then stay as they are), found by binary search on that instant;
//! 3. delta debugging (Zeller and Hildebrandt 2002): drop chunks, halving their size, then single
//!    operations, keeping whatever still breaks.
//!
//! Dropping a write also drops the reads of the value it wrote, when no other write left wrote it:
//! such a read would read a value nobody wrote, which is broken in a way that proves nothing about the
//! rest. The result is *minimal* in that sense — no single operation can be dropped — unless the
//! re-checks run out of budget, which the witness then says.

use std::collections::HashSet;

use super::super::history::{CheckHistory, OpIndex};
use super::super::Verdict;
use super::{judge, named, Judgement, SEARCH_BUDGET};

/// How many parts of the history the shrink may re-check.
const RECHECKS: u32 = 2_000;

/// The broken verdict for `history`, whose operations `candidate` are not linearizable on their own.
pub(super) fn witness(history: &CheckHistory, candidate: Vec<OpIndex>) -> Verdict {
    let mut shrink = Shrink {
        history,
        rechecks: RECHECKS,
        steps: SEARCH_BUDGET,
    };
    let mut ops = candidate;
    // A key's operations taken out of the history could, in principle, join differently at tied
    // instants; the whole history is broken for certain.
    if shrink.breaks(&ops) != Some(true) {
        ops = (0..history.ops.len()).collect();
    }
    ops.sort_by_key(|&i| (history.ops[i].invoked_at, i));
    let minimal = shrink.prefix(&mut ops) && shrink.delta_debug(&mut ops);
    explain(history, &ops, minimal)
}

/// The shrink's budget, and the history it cuts.
struct Shrink<'a> {
    history: &'a CheckHistory,
    rechecks: u32,
    /// Search steps left, over all re-checks.
    steps: u64,
}

impl Shrink<'_> {
    /// Whether `ops` alone are not linearizable; `None` once the budget is spent.
    fn breaks(&mut self, ops: &[OpIndex]) -> Option<bool> {
        if self.rechecks == 0 {
            return None;
        }
        self.rechecks -= 1;
        match judge(&self.history.subset(ops), &mut self.steps) {
            Judgement::Broken { .. } => Some(true),
            Judgement::Holds => Some(false),
            Judgement::OutOfBudget { .. } => None,
        }
    }

    /// `ops` without the reads of values that no write in `ops` wrote.
    fn close(&self, ops: Vec<OpIndex>) -> Vec<OpIndex> {
        let h = self.history;
        let written: HashSet<(u32, Option<u32>)> = ops
            .iter()
            .filter(|&&i| h.ops[i].is_write())
            .map(|&i| (h.ops[i].key, h.ops[i].value))
            .collect();
        ops.into_iter()
            .filter(|&i| {
                let op = &h.ops[i];
                op.is_write() || op.value.is_none() || written.contains(&(op.key, op.value))
            })
            .collect()
    }

    /// Cuts `ops` (sorted by invocation) to the shortest prefix in time that still breaks. False when
    /// the budget ran out (`ops` then still breaks, uncut or cut less).
    fn prefix(&mut self, ops: &mut Vec<OpIndex>) -> bool {
        let h = self.history;
        let mut times: Vec<u64> = ops.iter().map(|&i| h.ops[i].invoked_at).collect();
        times.dedup();
        let upto = |count: usize| -> Vec<OpIndex> {
            let cut = times[count - 1];
            let end = ops.partition_point(|&i| h.ops[i].invoked_at <= cut);
            ops[..end].to_vec()
        };
        // The first `lo` instants do not break (none do not, trivially); the first `hi` do.
        let (mut lo, mut hi) = (0, times.len());
        let mut spent = false;
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            let part = self.close(upto(mid));
            match self.breaks(&part) {
                Some(true) => hi = mid,
                Some(false) => lo = mid,
                None => {
                    spent = true;
                    break;
                }
            }
        }
        if hi < times.len() {
            *ops = self.close(upto(hi));
        }
        !spent
    }

    /// Drops chunks of `ops`, then single operations, while what is left still breaks. True when no
    /// single operation can be dropped; false when the budget ran out first.
    fn delta_debug(&mut self, ops: &mut Vec<OpIndex>) -> bool {
        let mut chunks = 2;
        loop {
            let n = ops.len();
            if n <= 1 {
                return true;
            }
            let chunks_now = chunks.min(n);
            let size = n.div_ceil(chunks_now);
            let mut dropped = false;
            for start in (0..n).step_by(size) {
                let mut rest = ops[..start].to_vec();
                rest.extend_from_slice(&ops[(start + size).min(n)..]);
                let rest = self.close(rest);
                if rest.is_empty() {
                    continue;
                }
                match self.breaks(&rest) {
                    Some(true) => {
                        *ops = rest;
                        dropped = true;
                        break;
                    }
                    Some(false) => {}
                    None => return false,
                }
            }
            if dropped {
                chunks = (chunks_now - 1).max(2);
            } else if size == 1 {
                return true;
            } else {
                chunks = (chunks_now * 2).min(n);
            }
        }
    }
}

/// The verdict naming `ops`: a named anomaly's words when the witness is one, else each operation and
/// the real-time order that, with the values read, no single order can satisfy.
fn explain(history: &CheckHistory, ops: &[OpIndex], minimal: bool) -> Verdict {
    let part = history.subset(ops);
    let mut by_key: Vec<Vec<OpIndex>> = vec![Vec::new(); part.key_count()];
    for (i, op) in part.ops.iter().enumerate() {
        by_key[op.key as usize].push(i);
    }
    let origins = history.origins(ops.iter().copied());
    let mut verdict = match named::named_anomaly(&part, &by_key) {
        Some((named, _)) if named.operations == origins => named,
        _ => real_time_violation(&part, history, ops),
    };
    if !minimal {
        verdict.witness.push(format!(
            "(a smaller witness may exist: shrinking this one stopped after {RECHECKS} re-checks or {SEARCH_BUDGET} search steps)"
        ));
    }
    verdict
}

/// The witness of a conflict the named anomalies do not cover: the operations, labelled (a), (b), …
/// in order of invocation, and which must come before which.
fn real_time_violation(part: &CheckHistory, history: &CheckHistory, ops: &[OpIndex]) -> Verdict {
    let mut order: Vec<OpIndex> = (0..part.ops.len()).collect();
    order.sort_by_key(|&i| (part.ops[i].invoked_at, part.ops[i].origin));
    let label = |i: OpIndex| {
        let at = order.iter().position(|&j| j == i).unwrap_or(0);
        format!("({})", char::from(b'a' + (at % 26) as u8))
    };
    let before = |a: OpIndex, b: OpIndex| {
        let (x, y) = (&part.ops[a], &part.ops[b]);
        x.returned_at.is_some_and(|t| t < y.invoked_at)
            || (x.session == y.session && x.seq < y.seq)
            || y.after == Some(a)
    };
    let mut keys: Vec<String> = order
        .iter()
        .map(|&i| part.key_name(part.ops[i].key).into_owned())
        .collect();
    keys.dedup();
    keys.sort();
    keys.dedup();
    let mut witness = vec![format!(
        "no order of these {} operations on {} respects real time and program order and gives every \
         read the last value written before it:",
        order.len(),
        keys.join(" and ")
    )];
    for &i in &order {
        witness.push(format!("  {} {}", label(i), part.describe(i)));
    }
    // Only the orders not implied by others: a before c is left out when a before b before c.
    let mut musts = Vec::new();
    for &a in &order {
        for &b in &order {
            if before(a, b) && !order.iter().any(|&c| before(a, c) && before(c, b)) {
                musts.push(format!("{} before {}", label(a), label(b)));
            }
        }
    }
    if musts.is_empty() {
        witness.push("all of them overlap in time".to_string());
    } else {
        witness.push(format!("these must come in order: {}", musts.join(", ")));
    }
    // Which write each read saw, by label: the other half of the conflict.
    let mut sources = Vec::new();
    for &r in order.iter().filter(|&&i| part.ops[i].is_read()) {
        let op = &part.ops[r];
        let seen = match op.value {
            None => "the initial value".to_string(),
            Some(v) => {
                let writers: Vec<String> =
                    part.writers(op.key, v).iter().map(|&w| label(w)).collect();
                format!("the value of {}", writers.join(" or "))
            }
        };
        sources.push(format!("{} returned {seen}", label(r)));
    }
    if !sources.is_empty() {
        witness.push(format!("and {}", sources.join(", ")));
    }
    Verdict::broken_by("real-time violation", witness, history, ops.iter().copied())
}

//! The witness of a broken linearizability verdict: a few operations that are not linearizable on their
//! own, shrunk until none can be dropped (the words that say why are [`super::explain`]'s).
//!
//! A hot key can have thousands of operations, and the search only says "not linearizable", not which
//! few of them conflict. So the witness is found by re-checking parts of the history with the real
//! checker ([`super::judge`]), which linearizability's locality keeps cheap:
//!
//! 1. a candidate that breaks alone: the named anomaly's operations, else the failing key's (or the
//!    keys that ties join to it);
//! 2. the shortest failing prefix in time: the operations invoked up to some instant (those still
//!    running then stay as they are) — the latest return at which the search got stuck, if that
//!    prefix breaks, else found by binary search on that instant; then likewise the
//!    shortest failing suffix: the operations that returned at or after some instant;
//! 3. delta debugging (Zeller and Hildebrandt 2002): drop chunks, halving their size, then single
//!    operations, keeping whatever still breaks.
//!
//! Dropping a write also drops the reads of the value it wrote, when no other write left wrote it:
//! such a read would read a value nobody wrote, which is broken in a way that proves nothing about the
//! rest. The result is *minimal* in that sense — no single operation can be dropped — unless the
//! re-checks run out of budget, which the witness then says.

use std::collections::HashSet;

use super::super::history::{CheckHistory, OpIndex, Role};
use super::super::Verdict;
use super::explain::explain;
use super::{judge, Judgement, SEARCH_BUDGET};
use crate::ids::Time;

/// How many parts of the history the shrink may re-check.
const RECHECKS: u32 = 2_000;

/// How many times the steps of the check that found the history broken the shrink may spend (and at
/// least [`SEARCH_BUDGET`]): the cuts in time re-check about twice the logarithm of the operations,
/// most of them on half the history or less.
const STEPS_PER_CHECK: u64 = 40;

/// The broken verdict for `history`, whose operations `candidate` are not linearizable on their own;
/// `until`, the latest return at which the search got stuck on them; `spent`, how many search steps
/// found them so.
pub(super) fn witness(
    history: &CheckHistory,
    candidate: Vec<OpIndex>,
    until: Option<Time>,
    spent: u64,
) -> Verdict {
    let steps = SEARCH_BUDGET.max(spent.saturating_mul(STEPS_PER_CHECK));
    shrunk(history, candidate, until, RECHECKS, steps)
}

/// [`witness`], within a budget of `rechecks` re-checks and `steps` search steps.
fn shrunk(
    history: &CheckHistory,
    candidate: Vec<OpIndex>,
    until: Option<Time>,
    rechecks: u32,
    steps: u64,
) -> Verdict {
    let mut shrink = Shrink {
        history,
        rechecks,
        steps,
    };
    let mut ops = candidate;
    // Keys that ties joined, taken out of the history, could in principle join differently; the
    // whole history is broken for certain. (One key's operations, or a named anomaly's, break alone.)
    let keys: HashSet<u32> = ops.iter().map(|&i| history.ops[i].key).collect();
    if keys.len() > 1 && shrink.breaks(&ops) != Some(true) {
        ops = (0..history.ops.len()).collect();
    }
    ops.sort_by_key(|&i| (history.ops[i].invoked_at, i));
    // Where the search got stuck is a prefix that most likely breaks: one re-check instead of a
    // binary search over the whole history.
    let cut = until.is_some_and(|until| shrink.cut_at(&mut ops, until));
    let minimal =
        (cut || shrink.prefix(&mut ops)) && shrink.suffix(&mut ops) && shrink.delta_debug(&mut ops);
    let budget = (rechecks, steps);
    explain(history, &ops, minimal.then_some(()).ok_or(budget))
}

/// The (key, value) pairs that some of `ops` may have written: puts and compare-and-sets that may
/// have succeeded; for a key some append among `ops` touches, every value read from it (the append
/// may have made it).
fn written(h: &CheckHistory, ops: &[OpIndex]) -> HashSet<(u32, Option<u32>)> {
    let appended: HashSet<u32> = ops
        .iter()
        .filter(|&&i| h.ops[i].kind == crate::op::OpKind::Append)
        .map(|&i| h.ops[i].key)
        .collect();
    let mut written = HashSet::new();
    for &i in ops {
        let op = &h.ops[i];
        match (op.role, op.cas) {
            (Role::Write, _) => {
                written.insert((op.key, op.value));
            }
            (Role::Update, Some(cas)) => {
                written.insert((op.key, Some(cas.new)));
                if appended.contains(&op.key) {
                    written.insert((op.key, cas.expected));
                }
            }
            (Role::Read, _) if appended.contains(&op.key) => {
                written.insert((op.key, op.value));
            }
            _ => {}
        }
    }
    written
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
        match judge(&self.history.sub_history(ops), &mut self.steps) {
            Judgement::Broken { .. } => Some(true),
            Judgement::Holds => Some(false),
            Judgement::OutOfBudget { .. } => None,
        }
    }

    /// `ops` without the reads of values that no write in `ops` wrote, nor the compare-and-sets
    /// expecting such values (on a key some append in `ops` touches, they stay: their value may be
    /// the append's).
    /// Repeated to a fixed point: dropping a compare-and-set drops a write, which may strand a read.
    fn close(&self, mut ops: Vec<OpIndex>) -> Vec<OpIndex> {
        let h = self.history;
        loop {
            let written = written(h, &ops);
            let before = ops.len();
            ops.retain(|&i| {
                let op = &h.ops[i];
                // What a read, or a compare-and-set that succeeded, needs to have been written.
                let needs = match (op.is_read(), op.cas) {
                    (true, _) => op.value,
                    (false, Some(cas)) if op.is_update() => cas.expected,
                    _ => None,
                };
                needs.is_none() || written.contains(&(op.key, needs))
            });
            if ops.len() == before {
                return ops;
            }
        }
    }

    /// Cuts `ops` (sorted by invocation) to those invoked by `until`, if those still break — with the
    /// later reads of the values they wrote (or of the initial value): the search may have ruled out
    /// overwriting a value because such a read still had to return it.
    fn cut_at(&mut self, ops: &mut Vec<OpIndex>, until: Time) -> bool {
        let h = self.history;
        let end = ops.partition_point(|&i| h.ops[i].invoked_at <= until);
        let written = written(h, &ops[..end]);
        let mut part = ops[..end].to_vec();
        part.extend(ops[end..].iter().copied().filter(|&i| {
            let op = &h.ops[i];
            op.is_read() && (op.value.is_none() || written.contains(&(op.key, op.value)))
        }));
        if part.len() == ops.len() {
            return false;
        }
        let part = self.close(part);
        if self.breaks(&part) == Some(true) {
            *ops = part;
            return true;
        }
        false
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
        // What was invoked by the `lo`-th instant does not break (nothing, for 0); by the `hi`-th, does.
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

    /// Cuts `ops` (sorted by invocation) to the shortest suffix in time that still breaks: the
    /// operations that returned at or after some instant (those that never returned stay). False when
    /// the budget ran out.
    fn suffix(&mut self, ops: &mut Vec<OpIndex>) -> bool {
        let h = self.history;
        let returned = |i: OpIndex| h.ops[i].returned_at.unwrap_or(Time::MAX);
        let mut times: Vec<Time> = ops.iter().map(|&i| returned(i)).collect();
        times.sort_unstable();
        times.dedup();
        let from = |at: usize| -> Vec<OpIndex> {
            let cut = times[at];
            ops.iter()
                .copied()
                .filter(|&i| returned(i) >= cut)
                .collect()
        };
        // What returned at or after the `lo`-th instant breaks (everything, for 0); after the `hi`-th,
        // does not (nothing, for the last).
        let (mut lo, mut hi) = (0, times.len());
        let mut spent = false;
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            let part = self.close(from(mid));
            match self.breaks(&part) {
                Some(true) => lo = mid,
                Some(false) => hi = mid,
                None => {
                    spent = true;
                    break;
                }
            }
        }
        if lo > 0 {
            *ops = self.close(from(lo));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::history::RawOp;
    use crate::ids::ClientId;
    use crate::op::OpKind;

    /// A write and a read of it by client 1, `rounds` times, then client 2 reads its overwritten write.
    fn history(rounds: u64) -> CheckHistory {
        let row = |client: u32, put: bool, value: String, invoked: u64, returned: u64| RawOp {
            client: ClientId(client),
            kind: if put { OpKind::Put } else { OpKind::Get },
            key: "x".into(),
            value: Some(value.into()),
            expected: None,
            seen: None,
            invoked_at: invoked,
            returned_at: Some(returned),
        };
        let mut rows = Vec::new();
        for i in 0..rounds {
            rows.push(row(0, true, format!("v{i}"), 10 * i, 10 * i + 1));
            rows.push(row(1, false, format!("v{i}"), 10 * i + 2, 10 * i + 3));
        }
        let t = 10 * rounds;
        rows.push(row(2, true, "a".into(), t, t + 3));
        rows.push(row(2, true, "b".into(), t + 3, t + 6));
        rows.push(row(2, false, "a".into(), t + 8, t + 11));
        CheckHistory::new(rows)
    }

    #[test]
    fn a_shrink_out_of_budget_still_gives_a_witness_that_breaks_alone_and_says_so() {
        let h = history(40);
        let all: Vec<OpIndex> = (0..h.ops.len()).collect();
        let verdict = shrunk(&h, all, None, 3, SEARCH_BUDGET);
        assert!(verdict.operations.len() > 3, "{verdict:?}");
        let last = verdict.witness.last().unwrap();
        assert!(last.contains("budget of 3 re-checks"), "{last}");
        let alone: Vec<OpIndex> = (0..h.ops.len())
            .filter(|&i| verdict.operations.contains(&h.ops[i].origin))
            .collect();
        let mut steps = SEARCH_BUDGET;
        assert!(matches!(
            judge(&h.sub_history(&alone), &mut steps),
            Judgement::Broken { .. }
        ));
    }

    #[test]
    fn a_shrink_within_budget_finds_the_three_conflicting_operations() {
        let h = history(40);
        let all: Vec<OpIndex> = (0..h.ops.len()).collect();
        let verdict = shrunk(&h, all, None, RECHECKS, SEARCH_BUDGET);
        assert_eq!(verdict.operations, vec![80, 81, 82], "{verdict:?}");
    }
}

//! Linearizability of a key-value register history, by the Wing–Gong search with Lowe's memoisation,
//! one key at a time.
//!
//! Linearizability is *local* (Herlihy and Wing 1990): a history is linearizable exactly when its
//! restriction to each key is, so each key is searched alone, which keeps the search small.
//!
//! For one key, the search looks for an order of the operations that (1) respects real time — `a`
//! must come before `b` when `a` returned strictly before `b` was invoked; equal times count as
//! concurrent, as Porcupine treats them — and the program order of each client, and (2) gives every
//! read the value of the last write before it. It walks a list of call and return events in time order
//! (calls first among equal times): at each step it may linearize any operation whose call comes
//! before the first remaining return; reaching a return whose operation is not yet linearized means
//! backtracking. Memoising (set of linearized operations, register value) keeps it from exploring the
//! same configuration twice (Lowe 2017).
//!
//! A write that never returned may have taken effect at any time after its call, or never: its return
//! is placed at infinity, and linearizing it last is the same as it never happening. It constrains no
//! later operation of its client. Reads that never returned were dropped from the history.

use std::collections::HashSet;

use super::history::{CheckHistory, CheckOp, OpIndex};
use super::Verdict;
use crate::ids::Time;

/// How many search steps, over all keys, before the verdict becomes unknown.
pub const SEARCH_BUDGET: u64 = 20_000_000;

/// Checks linearizability, key by key.
pub fn check(history: &CheckHistory) -> Verdict {
    let mut by_key: Vec<Vec<OpIndex>> = vec![Vec::new(); history.key_count()];
    for (i, op) in history.ops.iter().enumerate() {
        by_key[op.key as usize].push(i);
    }
    if let Some(verdict) = named_anomaly(history, &by_key) {
        return verdict;
    }
    let mut budget = SEARCH_BUDGET;
    for ops in &by_key {
        match search(history, ops, &mut budget) {
            Outcome::Linearizable => {}
            Outcome::OutOfBudget => {
                return Verdict::unknown(format!(
                    "the search gave up after {SEARCH_BUDGET} steps on key {}",
                    history.key_name(history.ops[ops[0]].key)
                ))
            }
            Outcome::Stuck { placed, blocked } => {
                let mut witness = Vec::new();
                if placed.is_empty() {
                    witness.push("no operation on this key can go first:".to_string());
                } else {
                    witness.push(
                        "the longest order that respects real time and register values:"
                            .to_string(),
                    );
                    witness.extend(placed.iter().map(|&i| format!("  {}", history.describe(i))));
                    witness.push(
                        "cannot be followed by any of the operations that must come next:"
                            .to_string(),
                    );
                }
                witness.extend(
                    blocked
                        .iter()
                        .map(|&i| format!("  {}", history.describe(i))),
                );
                return Verdict::broken("real-time violation", witness);
            }
        }
    }
    Verdict::holds()
}

/// The cheap, named anomalies: a read of a value never written, a read of a value written only after
/// the read returned, and a stale read — one that returns a value already overwritten by a write that
/// completed before the read began.
fn named_anomaly(history: &CheckHistory, by_key: &[Vec<OpIndex>]) -> Option<Verdict> {
    for ops in by_key {
        // Completed writes by return time, with the running maximum of their invocation times: the
        // latest-invoked write that had completed before a given instant.
        let mut writes: Vec<(Time, Time, OpIndex)> = ops
            .iter()
            .filter_map(|&i| {
                let op = &history.ops[i];
                Some((op.returned_at?, op.invoked_at, i)).filter(|_| op.is_write())
            })
            .collect();
        writes.sort();
        let mut latest: Vec<(Time, OpIndex)> = Vec::with_capacity(writes.len());
        for &(_, invoked, i) in &writes {
            let best = match latest.last() {
                Some(&(t, j)) if t >= invoked => (t, j),
                _ => (invoked, i),
            };
            latest.push(best);
        }
        for &r in ops {
            let read = &history.ops[r];
            if !read.is_read() {
                continue;
            }
            let sources: &[OpIndex] = match read.value {
                Some(v) => history.writers(read.key, v),
                None => &[],
            };
            if read.value.is_some() && sources.is_empty() {
                return Some(Verdict::broken(
                    "value read from nowhere",
                    vec![format!(
                        "{} returned a value no write wrote to that key",
                        history.describe(r)
                    )],
                ));
            }
            let returned = read.returned_at.unwrap_or(Time::MAX);
            if !sources.is_empty()
                && sources
                    .iter()
                    .all(|&w| history.ops[w].invoked_at > returned)
            {
                return Some(Verdict::broken(
                    "read from the future",
                    vec![
                        history.describe(r),
                        format!(
                            "returned the value of {}, which had not even begun",
                            history.describe(sources[0])
                        ),
                    ],
                ));
            }
            // The latest-invoked write among those completed strictly before the read was invoked.
            let done = writes.partition_point(|&(ret, _, _)| ret < read.invoked_at);
            let Some(&(newest_invoked, newest)) = done.checked_sub(1).and_then(|i| latest.get(i))
            else {
                continue;
            };
            let overwritten = |w: OpIndex| {
                history.ops[w]
                    .returned_at
                    .is_some_and(|t| t < newest_invoked)
            };
            if newest_invoked != Time::MAX
                && (sources.is_empty() || sources.iter().all(|&w| overwritten(w)))
            {
                let mut witness = vec![
                    history.describe(r),
                    format!(
                        "but {} had completed at t={}, before the read began",
                        history.describe(newest),
                        history.ops[newest].returned_at.unwrap_or_default()
                    ),
                ];
                if let Some(&w) = sources.first() {
                    witness.push(format!(
                        "and it overwrote the value read, from {}",
                        history.describe(w)
                    ));
                }
                return Some(Verdict::broken("stale read", witness));
            }
        }
    }
    None
}

enum Outcome {
    Linearizable,
    OutOfBudget,
    /// Not linearizable: the deepest partial order reached, and what could not follow it.
    Stuck {
        placed: Vec<OpIndex>,
        blocked: Vec<OpIndex>,
    },
}

/// A call or return event in the doubly linked event list.
#[derive(Clone, Copy)]
struct Entry {
    /// Position of the operation in the key's list.
    op: usize,
    is_call: bool,
    prev: usize,
    next: usize,
}

/// Searches one key's operations (`ops`, in history order).
fn search(history: &CheckHistory, ops: &[OpIndex], budget: &mut u64) -> Outcome {
    let n = ops.len();
    if n == 0 {
        return Outcome::Linearizable;
    }
    let op = |k: usize| -> &CheckOp { &history.ops[ops[k]] };

    // Program order within the key: each operation's previous completed operation by the same client.
    let mut po_pred: Vec<Option<usize>> = vec![None; n];
    {
        let mut last: std::collections::BTreeMap<u32, usize> = std::collections::BTreeMap::new();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&k| (op(k).session, op(k).seq));
        for k in order {
            po_pred[k] = last.get(&op(k).session).copied();
            if op(k).completed() {
                last.insert(op(k).session, k);
            }
        }
    }

    // Events sorted by time, calls before returns at equal times; a pending write returns at infinity.
    let mut events: Vec<(Time, bool, usize)> = Vec::with_capacity(2 * n);
    for k in 0..n {
        events.push((op(k).invoked_at, false, k));
        events.push((op(k).returned_at.unwrap_or(Time::MAX), true, k));
    }
    events.sort();
    // Entry 0 is the head sentinel; events follow at 1..=2n.
    let head = 0;
    let mut entries = vec![Entry {
        op: usize::MAX,
        is_call: false,
        prev: usize::MAX,
        next: 1,
    }];
    let mut call_of = vec![0; n];
    let mut return_of = vec![0; n];
    for (i, &(_, is_return, k)) in events.iter().enumerate() {
        let at = i + 1;
        entries.push(Entry {
            op: k,
            is_call: !is_return,
            prev: at - 1,
            next: at + 1,
        });
        if is_return {
            return_of[k] = at;
        } else {
            call_of[k] = at;
        }
    }
    let end = entries.len();
    let last = end - 1;
    entries[last].next = end;

    let lift = |entries: &mut Vec<Entry>, at: usize| {
        let Entry { prev, next, .. } = entries[at];
        entries[prev].next = next;
        if next != end {
            entries[next].prev = prev;
        }
    };
    let unlift = |entries: &mut Vec<Entry>, at: usize| {
        let Entry { prev, next, .. } = entries[at];
        entries[prev].next = at;
        if next != end {
            entries[next].prev = at;
        }
    };

    let words = n.div_ceil(64);
    let mut linearized = vec![0u64; words];
    let is_set = |bits: &[u64], k: usize| bits[k / 64] & (1 << (k % 64)) != 0;
    let mut seen: HashSet<(Vec<u64>, Option<u32>)> = HashSet::new();
    let mut state: Option<u32> = None;
    let mut stack: Vec<(usize, Option<u32>)> = Vec::new();
    let mut deepest: (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());

    let mut at = entries[head].next;
    while entries[head].next != end {
        if *budget == 0 {
            return Outcome::OutOfBudget;
        }
        *budget -= 1;
        let entry = entries[at];
        if entry.is_call {
            let k = entry.op;
            let o = op(k);
            let po_ok = po_pred[k].is_none_or(|p| is_set(&linearized, p));
            let next_state = if o.is_write() {
                Some(o.value)
            } else {
                (o.value == state).then_some(state)
            };
            if let (true, Some(next_state)) = (po_ok, next_state) {
                linearized[k / 64] |= 1 << (k % 64);
                if seen.insert((linearized.clone(), next_state)) {
                    stack.push((k, state));
                    state = next_state;
                    lift(&mut entries, call_of[k]);
                    lift(&mut entries, return_of[k]);
                    at = entries[head].next;
                    continue;
                }
                linearized[k / 64] &= !(1 << (k % 64));
            }
            at = entry.next;
        } else {
            // The first remaining return: its operation had to be linearized by now.
            if stack.len() >= deepest.0.len() {
                let placed: Vec<usize> = stack.iter().map(|&(k, _)| k).collect();
                let mut blocked = vec![entry.op];
                let mut scan = entries[head].next;
                while scan != at {
                    if entries[scan].is_call && entries[scan].op != entry.op {
                        blocked.push(entries[scan].op);
                    }
                    scan = entries[scan].next;
                }
                deepest = (placed, blocked);
            }
            let Some((k, previous)) = stack.pop() else {
                let to_ops = |ks: &[usize]| ks.iter().map(|&k| ops[k]).collect();
                return Outcome::Stuck {
                    placed: to_ops(&deepest.0),
                    blocked: to_ops(&deepest.1),
                };
            };
            state = previous;
            linearized[k / 64] &= !(1 << (k % 64));
            unlift(&mut entries, return_of[k]);
            unlift(&mut entries, call_of[k]);
            at = entries[call_of[k]].next;
        }
    }
    Outcome::Linearizable
}

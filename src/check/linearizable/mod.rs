//! Linearizability of a key-value register history, by the Wing–Gong search with Lowe's memoisation,
//! one key at a time.
//!
//! Linearizability is *local* (Herlihy and Wing 1990): a history is linearizable exactly when its
//! restriction to each key is, so each key is searched alone, which keeps the search small. Locality
//! rests on program order being implied by real time, which fails at one point here: a client's
//! operation may start at the very instant its previous one returned, and equal times count as
//! concurrent. So keys that a client moves between at such an instant are searched together. So are
//! the keys of an operation that never returned and the one its client did before it, when that one
//! returned only after it began (both invoked at one instant, say): program order puts them in an
//! order real time does not.
//!
//! For one key, the search looks for an order of the operations that (1) respects real time — `a`
//! must come before `b` when `a` returned strictly before `b` was invoked; equal times count as
//! concurrent, as Porcupine treats them — and the program order of each client, and (2) gives every
//! read the value of the last write before it. It walks a list of call and return events in time order
//! (calls first among equal times): at each step it may linearize any operation whose call comes
//! before the first remaining return; reaching a return whose operation is not yet linearized means
//! backtracking. Memoising (set of linearized operations, register value) keeps it from exploring the
//! same configuration twice (Lowe 2017); configurations are remembered by 128-bit fingerprint
//! ([`super::fingerprint`]), so the memo costs 16 bytes a configuration, not a bit per operation.
//! One reduction keeps it from trying every order of concurrent reads: a read that may go next and matches the register is linearized at once, never branched on —
//! reads change nothing, so if any order works, one with that read placed now does. (A compare-and-set
//! that failed is such a read.) And when every value is written once and no append could make a value
//! again, a write or update may not overwrite a value that a read not yet placed returns: that read
//! could never be placed.
//!
//! The register's state is a value, and the search applies each operation as
//! [`crate::op::Op::evaluate`] does: a compare-and-set that succeeded goes only where the register
//! holds its expected value, and an append makes a new string, interned as it is met
//! ([`super::appended`]). So the search is exact for repeated values, compare-and-set and append: it
//! needs no value to be unique.
//!
//! A write or update that never returned may have taken effect at any time after its call, or never:
//! its return is placed at infinity. Once the first return left is at infinity, every operation that
//! returned is linearized, and those that did not may all be taken never to have happened: the search
//! has succeeded. Such an operation constrains no later operation of its client. Reads that never
//! returned were dropped from the history.

mod explain;
mod groups;
mod named;
mod witness;

use std::collections::{HashMap, HashSet};

use super::appended::Appended;
use super::history::{Cas, CheckHistory, CheckOp, OpIndex};
use super::{fingerprint, Verdict};
use crate::ids::Time;
use crate::op::OpKind;
use groups::{groups, overtaken_keys, program_pairs};

use super::sequential;

/// How many search steps, over all keys, before the verdict becomes unknown.
pub const SEARCH_BUDGET: u64 = 2_000_000;

/// Checks linearizability, key by key; when it is broken, the witness is shrunk to a few operations
/// that break it alone (`witness.rs`).
pub fn check(history: &CheckHistory) -> Verdict {
    let start = super::budget::scaled(SEARCH_BUDGET);
    let mut budget = start;
    match judge(history, &mut budget) {
        Judgement::Holds => Verdict::holds(),
        Judgement::OutOfBudget { key } => {
            // The search ran out: decide the whole history with the solver instead (sequential
            // consistency's graph with real-time order added), which also makes the witness.
            let verdict = sequential::linearizable_by_solver(history);
            if verdict.ok.is_some() {
                return verdict;
            }
            // The solver's reason names the budget flag, except when it cannot judge updates.
            let reason = verdict.anomaly.unwrap_or_default();
            let raise = if reason.contains("--budget") {
                ""
            } else {
                "; raise both with --budget"
            };
            Verdict::unknown(format!(
                "the search gave up on key {} (its budget is {start} steps, and {} MiB of strings appends made), and then {reason}{raise}",
                history.key_name(key),
                super::appended::appended_bytes_budget() >> 20,
            ))
        }
        Judgement::Broken { candidate, until } => {
            witness::witness(history, candidate, until, start - budget)
        }
    }
}

enum Judgement {
    Holds,
    /// The search spent its budget on this key.
    OutOfBudget {
        key: u32,
    },
    /// Not linearizable: `candidate` are operations that break it alone (a named anomaly's, or the
    /// operations of the key or keys whose search failed), to be shrunk into a witness.
    Broken {
        candidate: Vec<OpIndex>,
        /// When the search found it: the latest return at which it got stuck.
        until: Option<Time>,
    },
}

/// Decides linearizability, spending at most `budget` search steps.
fn judge(history: &CheckHistory, budget: &mut u64) -> Judgement {
    let mut by_key: Vec<Vec<OpIndex>> = vec![Vec::new(); history.key_count()];
    for (i, op) in history.ops.iter().enumerate() {
        by_key[op.key as usize].push(i);
    }
    if let Some((_, ops)) = named::named_anomaly(history, &by_key) {
        return Judgement::Broken {
            candidate: ops,
            until: None,
        };
    }
    // First each key alone, with ties nudged so that program order is real time (stricter than the
    // definition, so "linearizable" here is final); a key that fails is searched again exactly, with
    // the keys its ties join it to.
    let exact = groups(history);
    let mut group_of_key = vec![0; history.key_count()];
    for (g, ops) in exact.iter().enumerate() {
        for &i in ops {
            group_of_key[history.ops[i].key as usize] = g;
        }
    }
    let mut exact_done = vec![false; exact.len()];
    let overtaken = overtaken_keys(history);
    for ops in by_key.iter().filter(|ops| !ops.is_empty()) {
        let key = history.ops[ops[0]].key;
        // Where program order is not real time even nudged, only the joined search is final.
        if overtaken[key as usize] {
            let g = group_of_key[key as usize];
            if exact_done[g] {
                continue;
            }
            exact_done[g] = true;
            match search(history, &exact[g], Ties::Concurrent, budget) {
                Outcome::Linearizable => continue,
                Outcome::OutOfBudget => return Judgement::OutOfBudget { key },
                Outcome::Stuck { until } => {
                    return Judgement::Broken {
                        candidate: exact[g].clone(),
                        until: Some(until),
                    }
                }
            }
        }
        let (failed, until) = match search(history, ops, Ties::Nudged, budget) {
            Outcome::Linearizable => continue,
            Outcome::OutOfBudget => return Judgement::OutOfBudget { key },
            // Nudged is stricter than the definition. The key alone with ties as defined is looser
            // (it leaves out program order to other keys): failing that is final, and passing it
            // only leaves the joined search, when ties join this key to others.
            Outcome::Stuck { .. } => match search(history, ops, Ties::Concurrent, budget) {
                Outcome::Linearizable => {
                    let g = group_of_key[key as usize];
                    if exact_done[g] || exact[g].len() == ops.len() {
                        continue;
                    }
                    exact_done[g] = true;
                    match search(history, &exact[g], Ties::Concurrent, budget) {
                        Outcome::Linearizable => continue,
                        Outcome::OutOfBudget => return Judgement::OutOfBudget { key },
                        Outcome::Stuck { until } => (&exact[g], until),
                    }
                }
                Outcome::OutOfBudget => return Judgement::OutOfBudget { key },
                Outcome::Stuck { until } => (ops, until),
            },
        };
        return Judgement::Broken {
            candidate: failed.clone(),
            until: Some(until),
        };
    }
    Judgement::Holds
}

/// How equal times are read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ties {
    /// As defined: an operation returning at `t` and one invoked at `t` are concurrent.
    Concurrent,
    /// A client's operation invoked at the instant its previous one returned comes after everything
    /// returning at that instant: program order becomes real time, and each key can stand alone.
    Nudged,
}

enum Outcome {
    Linearizable,
    OutOfBudget,
    /// Not linearizable. Every order tried got stuck at a return no later than `until`: the
    /// operations invoked by then are most likely not linearizable either.
    Stuck {
        until: Time,
    },
}

/// For each operation that never returned, its *twin* before it: the operation that never returned,
/// called just before it (in event order), that does the same to the same key — so that twins are
/// linearized in call order, and a set of linearized twins is one of a few counts rather than one of
/// many subsets. That loses nothing: of two such twins, the later-called can take effect only where
/// the earlier could (its call is no earlier, nothing needs to follow either, and what each client did
/// before it had returned before its call, as required here), and both do the same. Without it,
/// histories with dozens of timed-out writes of a few values made the search exponential in them.
fn twins(
    history: &CheckHistory,
    ops: &[OpIndex],
    call_of: &[usize],
    local_key: impl Fn(usize) -> usize,
) -> Vec<Option<usize>> {
    let op = |k: usize| -> &CheckOp { &history.ops[ops[k]] };
    let mut by_call: Vec<usize> = (0..ops.len()).collect();
    by_call.sort_by_key(|&k| call_of[k]);
    let mut last: HashMap<(usize, OpKind, Option<u32>, Option<Cas>), usize> = HashMap::new();
    let mut twin = vec![None; ops.len()];
    for k in by_call {
        let o = op(k);
        // Program order to what its client did before it must be real time too.
        let follows_in_time = o
            .after
            .is_none_or(|a| history.ops[a].returned_at.is_some_and(|t| t < o.invoked_at));
        if o.completed() || !follows_in_time {
            continue;
        }
        twin[k] = last.insert((local_key(k), o.kind, o.value, o.cas), k);
    }
    twin
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

/// Searches one group's operations (`ops`, in history order).
fn search(history: &CheckHistory, ops: &[OpIndex], ties: Ties, budget: &mut u64) -> Outcome {
    let n = ops.len();
    if n == 0 {
        return Outcome::Linearizable;
    }
    let op = |k: usize| -> &CheckOp { &history.ops[ops[k]] };
    // The group's keys, numbered locally: the register state is one value per key.
    let mut keys: Vec<u32> = ops.iter().map(|&i| history.ops[i].key).collect();
    keys.sort_unstable();
    keys.dedup();
    let local_key = |k: usize| keys.binary_search(&op(k).key).unwrap_or(0);

    // Program order within the group: each operation's previous operation in its session. A write
    // that never returned sits in a session of its own, so it constrains nothing after it; it does
    // come after what its client did before it.
    let mut po_pred: Vec<Option<usize>> = vec![None; n];
    {
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&k| (op(k).session, op(k).seq));
        for pair in order.windows(2) {
            if op(pair[0]).session == op(pair[1]).session {
                po_pred[pair[1]] = Some(pair[0]);
            }
        }
        // A write that never returned comes after the last operation of the group that its client
        // did up to the one it follows — which may itself be on another key, outside the group.
        for (k, pred) in po_pred.iter_mut().enumerate() {
            let Some(after) = op(k).after else { continue };
            let a = &history.ops[after];
            let first = order.partition_point(|&j| (op(j).session, op(j).seq) < (a.session, 0));
            let end = order.partition_point(|&j| (op(j).session, op(j).seq) <= (a.session, a.seq));
            *pred = (first < end).then(|| order[end - 1]);
        }
    }

    // Events sorted by time, calls (rank 0) before returns (rank 1) at equal times; a pending write
    // returns at infinity. Nudged, a call at the instant its client's previous operation returned has
    // rank 2, after the returns.
    let mut touching = vec![false; n];
    if ties == Ties::Nudged {
        for (a, b) in program_pairs(history) {
            if history.ops[a].returned_at == Some(history.ops[b].invoked_at) {
                if let Ok(k) = ops.binary_search(&b) {
                    touching[k] = true;
                }
            }
        }
    }
    let mut events: Vec<(Time, u8, usize)> = Vec::with_capacity(2 * n);
    for (k, &nudged) in touching.iter().enumerate() {
        events.push((op(k).invoked_at, if nudged { 2 } else { 0 }, k));
        events.push((op(k).returned_at.unwrap_or(Time::MAX), 1, k));
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
    for (i, &(_, rank, k)) in events.iter().enumerate() {
        let is_return = rank == 1;
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
    let twin_pred = twins(history, ops, &call_of, local_key);

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
    // Configurations explored, by fingerprint (see `super::fingerprint`): a copy of the linearized
    // set costs one bit per operation, which made the memo quadratic in the operations of a key.
    let mut seen: HashSet<u128> = HashSet::new();
    let mut configuration: u128 = 0;
    let linearized_tag = |k: usize| fingerprint::tag(3, k as u64, 0);
    let value_tag = |key: usize, value: Option<u32>| {
        value.map_or(0, |v| fingerprint::tag(4, key as u64, u64::from(v)))
    };
    // How many reads of each (key, value) are not yet linearized. Only used to prune when every value
    // is written once: a repeated value could come back after being overwritten (and an append could
    // make any value again).
    let prune = !history.has_appends() && history.repeated_writes().next().is_none();
    let mut appended = Appended::new(history);
    let mut waiting: std::collections::BTreeMap<(usize, Option<u32>), u32> =
        std::collections::BTreeMap::new();
    for k in 0..n {
        if op(k).is_read() {
            *waiting.entry((local_key(k), op(k).value)).or_insert(0) += 1;
        }
    }
    let mut state: Vec<Option<u32>> = vec![None; keys.len()];
    // (operation, the value its key held before, linearized without branching?)
    let mut stack: Vec<(usize, Option<u32>, bool)> = Vec::new();

    let mut until: Time = 0;
    let mut at = entries[head].next;
    while entries[head].next != end {
        if *budget == 0 || appended.exhausted() {
            return Outcome::OutOfBudget;
        }
        *budget -= 1;
        let entry = entries[at];
        if entry.is_call {
            let k = entry.op;
            let o = op(k);
            let key = local_key(k);
            let po_ok = po_pred[k].is_none_or(|p| is_set(&linearized, p))
                && twin_pred[k].is_none_or(|t| is_set(&linearized, t));
            let after = if po_ok {
                o.apply(state[key], |current, element| {
                    appended.append(current, element)
                })
            } else {
                None
            };
            let matching_read = o.is_read() && after.is_some();
            // Overwriting a value some read still has to return would strand that read for ever
            // (values are written once), so such a write cannot go now.
            let strands = !o.is_read()
                && prune
                && after != Some(state[key])
                && waiting.get(&(key, state[key])).is_some_and(|&n| n > 0);
            if let Some(after) = after.filter(|_| !strands) {
                if matching_read {
                    if let Some(n) = waiting.get_mut(&(key, o.value)) {
                        *n -= 1;
                    }
                }
                linearized[k / 64] |= 1 << (k % 64);
                let previous = state[key];
                state[key] = after;
                let change = linearized_tag(k) ^ value_tag(key, previous) ^ value_tag(key, after);
                configuration ^= change;
                if matching_read || seen.insert(configuration) {
                    stack.push((k, previous, matching_read));
                    lift(&mut entries, call_of[k]);
                    lift(&mut entries, return_of[k]);
                    at = entries[head].next;
                    continue;
                }
                configuration ^= change;
                state[key] = previous;
                linearized[k / 64] &= !(1 << (k % 64));
            }
            at = entry.next;
        } else {
            // The first remaining return: its operation had to be linearized by now — unless it never
            // returned: then every operation that did is linearized, and the rest may never have
            // happened.
            let Some(returned) = op(entry.op).returned_at else {
                return Outcome::Linearizable;
            };
            until = until.max(returned);
            // Undo forced reads without trying alternatives, then the last real choice.
            loop {
                let Some((k, previous, forced)) = stack.pop() else {
                    return Outcome::Stuck { until };
                };
                let key = local_key(k);
                configuration ^=
                    linearized_tag(k) ^ value_tag(key, state[key]) ^ value_tag(key, previous);
                state[key] = previous;
                if op(k).is_read() {
                    if let Some(n) = waiting.get_mut(&(local_key(k), op(k).value)) {
                        *n += 1;
                    }
                }
                linearized[k / 64] &= !(1 << (k % 64));
                unlift(&mut entries, return_of[k]);
                unlift(&mut entries, call_of[k]);
                if !forced {
                    at = entries[call_of[k]].next;
                    break;
                }
            }
        }
    }
    Outcome::Linearizable
}

//! Sequential consistency: is there one order of *all* operations that keeps each client's program
//! order and gives every read the value of the last write to its key before it?
//!
//! Unlike linearizability, sequential consistency is not local — each key can be fine alone while no
//! single order fits all keys (the "independent reads of independent writes" pattern) — so the whole
//! history is searched at once. Real time plays no part.
//!
//! Cheap checks come first and name the anomaly when they find one: a read of a value nobody wrote, a
//! cycle in program order ∪ reads-from, and the causal bad patterns (a sequentially consistent history
//! is causally consistent). A linearizable history is sequentially consistent, so a linearizable
//! verdict settles it. Otherwise a depth-first search over interleavings of the clients, memoised on
//! (each client's position, the store), with two reductions:
//!
//! - a read whose value matches the store is taken at once, since reads change nothing;
//! - a write may not overwrite a value that some read still waiting will return: written values are
//!   unique in practice, so an overwritten value never comes back, and that branch is dead.
//!
//! Writes whose value a waiting read wants are tried first, then the earliest to return, which is
//! usually right for a real system's history. The problem is NP-complete in general (Gibbons and
//! Korach 1997), so the search has budgets; past them the verdict is unknown, never a guess.
//!
//! A write that never returned may be taken or skipped. Reads that never returned were dropped.

mod search;

use std::collections::BTreeMap;

use super::history::{CheckHistory, OpIndex};
use super::order::{sources, CausalOrder, Source};
use super::saturate::{saturate, MAX_OPS};
use super::Verdict;
use super::{causal, linearizable};
use search::{search, Search};

/// How many search states before the verdict becomes unknown.
pub const SEARCH_BUDGET: u64 = 300_000;

/// Checks sequential consistency.
pub fn check(history: &CheckHistory) -> Verdict {
    check_given(
        history,
        &causal::check(history),
        &linearizable::check(history),
    )
}

/// Checks sequential consistency, reusing the history's causal and linearizable verdicts.
///
/// Independent parts of the history (no shared key, no shared client) are judged alone, smallest
/// first: the whole is sequentially consistent exactly when every part is, a part that breaks it
/// breaks the whole, and a part the search cannot decide does not hide a violation in another.
pub fn check_given(history: &CheckHistory, causal: &Verdict, linearizable: &Verdict) -> Verdict {
    if causal.ok == Some(false) {
        return causal.clone();
    }
    if linearizable.ok == Some(true) {
        return Verdict::holds();
    }
    let parts = history.independent_parts();
    if parts.len() <= 1 {
        return check_part(history);
    }
    let mut undecided: Option<Verdict> = None;
    for part in &parts {
        let verdict = check_part(&history.restrict(part));
        match verdict.ok {
            Some(false) => return verdict,
            None if undecided.is_none() => undecided = Some(verdict),
            _ => {}
        }
    }
    undecided.unwrap_or_else(Verdict::holds)
}

/// Saturation, then the search, on one independent part.
fn check_part(history: &CheckHistory) -> Verdict {
    let saturated = if history.ops.len() <= MAX_OPS {
        match saturate(history, &sources(history)) {
            Some(saturated) => Some(saturated),
            None => {
                return impossible(
                    history,
                    "the reads force some writes into two opposite orders".into(),
                    &[],
                )
            }
        }
    } else {
        None
    };
    match search(history, saturated.as_ref()) {
        Search::Found => Verdict::holds(),
        Search::OutOfBudget { states, why } => Verdict::unknown(format!(
            "the search gave up after exploring {states} states: {why}"
        )),
        Search::Impossible { furthest, states } => impossible(
            history,
            format!("no interleaving of the clients' operations gives every read its value ({states} states explored)"),
            &furthest,
        ),
    }
}

/// The verdict when no sequential order exists: the classic two-clients witness if there is one, else
/// what the search found.
fn impossible(history: &CheckHistory, why: String, furthest: &[OpIndex]) -> Verdict {
    if let Some(witness) = opposite_orders(history) {
        return Verdict::broken("concurrent writes seen in different orders", witness);
    }
    let mut witness = vec![why];
    if !furthest.is_empty() {
        witness.push("the furthest one got stuck with these operations next:".to_string());
        witness.extend(
            furthest
                .iter()
                .map(|&i| format!("  {}", history.describe(i))),
        );
    }
    Verdict::broken("no sequential order", witness)
}

/// The classic witness: two clients that saw two writes in opposite orders — each read one write and
/// then either read the other (same key) or missed it (read the initial value or an older write).
fn opposite_orders(history: &CheckHistory) -> Option<Vec<String>> {
    if history.ops.len() > 2_000 {
        return None;
    }
    let sources = sources(history);
    let order = CausalOrder::build(history, &sources).ok()?;
    // For each session: (w1, w2) -> (read of w1, later read that missed w2).
    let mut orders: Vec<BTreeMap<(OpIndex, OpIndex), (OpIndex, OpIndex)>> = Vec::new();
    for session in &history.sessions {
        let mut pairs = BTreeMap::new();
        for (a, &r1) in session.iter().enumerate() {
            let Source::Write(w1) = sources[r1] else {
                continue;
            };
            for &r2 in &session[a + 1..] {
                let read = &history.ops[r2];
                if !read.is_read() {
                    continue;
                }
                if read.key == history.ops[w1].key {
                    // The same key: seeing w1 and later another write w2 puts w1 first.
                    if let Source::Write(w2) = sources[r2] {
                        if w2 != w1 {
                            pairs.entry((w1, w2)).or_insert((r1, r2));
                        }
                    }
                    continue;
                }
                for (w2, write) in history.ops.iter().enumerate() {
                    if !write.is_write() || write.key != read.key {
                        continue;
                    }
                    let missed = match sources[r2] {
                        Source::Initial => true,
                        Source::Write(x) => x != w2 && order.before(history, x, w2),
                        _ => false,
                    };
                    if missed {
                        pairs.entry((w1, w2)).or_insert((r1, r2));
                    }
                }
            }
        }
        orders.push(pairs);
    }
    for (c, pairs) in orders.iter().enumerate() {
        for (&(w1, w2), &(r1, r2)) in pairs {
            for (d, other) in orders.iter().enumerate() {
                if d == c {
                    continue;
                }
                if let Some(&(r3, r4)) = other.get(&(w2, w1)) {
                    return Some(vec![
                        format!(
                            "{} and then {}:",
                            history.describe(r1),
                            history.describe(r2)
                        ),
                        format!(
                            "  for {}, {} came before {}",
                            history.ops[r1].client,
                            history.describe(w1),
                            history.describe(w2)
                        ),
                        format!(
                            "{} and then {}:",
                            history.describe(r3),
                            history.describe(r4)
                        ),
                        format!("  for {}, the other way round", history.ops[r3].client),
                        "no single order of all operations can give both clients what they saw"
                            .to_string(),
                    ]);
                }
            }
        }
    }
    None
}

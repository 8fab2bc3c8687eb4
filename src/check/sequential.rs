//! Sequential consistency: is there one order of *all* operations that keeps each client's program
//! order and gives every read the value of the last write to its key before it?
//!
//! Unlike linearizability, sequential consistency is not local — each key can be fine alone while no
//! single order fits all keys (the "independent reads of independent writes" pattern) — so the whole
//! history is searched at once. Real time plays no part.
//!
//! Cheap checks come first and name the anomaly when they find one: a read of a value nobody wrote, a
//! cycle in program order ∪ reads-from, and the causal bad patterns (a sequentially consistent history
//! is causally consistent). Then a depth-first search over interleavings of the clients, memoised on
//! (each client's position, the store), with one reduction: a read whose value matches the store is
//! taken at once, since reads change nothing. The problem is NP-complete in general (Gibbons and
//! Korach 1997), so the search has a budget; past it the verdict is unknown, never a guess.
//!
//! A write that never returned may be taken or skipped. Reads that never returned were dropped.

use std::collections::{BTreeMap, HashSet};

use super::causal;
use super::history::{CheckHistory, OpIndex};
use super::order::{sources, CausalOrder, Source};
use super::Verdict;

/// How many search states before the verdict becomes unknown.
pub const SEARCH_BUDGET: u64 = 2_000_000;

/// Checks sequential consistency.
pub fn check(history: &CheckHistory) -> Verdict {
    let cc = causal::check(history);
    if cc.ok == Some(false) {
        return cc;
    }
    match search(history) {
        Search::Found => Verdict::holds(),
        Search::OutOfBudget(states) => Verdict::unknown(format!(
            "the search gave up after exploring {states} states"
        )),
        Search::Impossible { furthest, states } => {
            if let Some(witness) = opposite_orders(history) {
                return Verdict::broken("concurrent writes seen in different orders", witness);
            }
            let mut witness = vec![format!(
                "no interleaving of the clients' operations gives every read its value ({states} states explored)"
            )];
            witness.push("the furthest one got stuck with these operations next:".to_string());
            witness.extend(
                furthest
                    .iter()
                    .map(|&i| format!("  {}", history.describe(i))),
            );
            Verdict::broken("no sequential order", witness)
        }
    }
}

enum Search {
    Found,
    OutOfBudget(u64),
    /// The operations next in line at the deepest dead end.
    Impossible {
        furthest: Vec<OpIndex>,
        states: u64,
    },
}

/// A point of the search: how far each session has got, and the store.
#[derive(Clone, PartialEq, Eq, Hash)]
struct State {
    positions: Vec<u32>,
    store: Vec<Option<u32>>,
}

fn search(history: &CheckHistory) -> Search {
    let sessions = &history.sessions;
    let mut seen: HashSet<State> = HashSet::new();
    let mut states = 0u64;
    let mut furthest: (u64, Vec<OpIndex>) = (0, Vec::new());
    let start = State {
        positions: vec![0; sessions.len()],
        store: vec![None; history.key_count()],
    };
    // Each frame: a state after greedy reads, and the choices not yet tried from it.
    let mut stack: Vec<(State, Vec<(u32, bool)>)> = Vec::new();
    let mut pending = Some(start);
    loop {
        if let Some(mut state) = pending.take() {
            take_matching_reads(history, &mut state);
            let done: u64 = state.positions.iter().map(|&p| u64::from(p)).sum();
            if done as usize == history.ops.len() {
                return Search::Found;
            }
            if seen.insert(state.clone()) {
                states += 1;
                if states > SEARCH_BUDGET {
                    return Search::OutOfBudget(states);
                }
                let choices = choices(history, &state);
                if choices.is_empty() && done >= furthest.0 {
                    let next = state
                        .positions
                        .iter()
                        .enumerate()
                        .filter_map(|(s, &p)| sessions[s].get(p as usize).copied())
                        .collect();
                    furthest = (done, next);
                }
                stack.push((state, choices));
            }
        }
        let Some((state, choices)) = stack.last_mut() else {
            return Search::Impossible {
                furthest: furthest.1,
                states,
            };
        };
        let Some((s, apply)) = choices.pop() else {
            stack.pop();
            continue;
        };
        let mut next = state.clone();
        let op = &history.ops[sessions[s as usize][next.positions[s as usize] as usize]];
        if apply {
            next.store[op.key as usize] = op.value;
        }
        next.positions[s as usize] += 1;
        pending = Some(next);
    }
}

/// Takes every read, in any session, that the store already answers; repeats until none.
fn take_matching_reads(history: &CheckHistory, state: &mut State) {
    let mut progress = true;
    while progress {
        progress = false;
        for (s, session) in history.sessions.iter().enumerate() {
            while let Some(&i) = session.get(state.positions[s] as usize) {
                let op = &history.ops[i];
                if !op.is_read() || state.store[op.key as usize] != op.value {
                    break;
                }
                state.positions[s] += 1;
                progress = true;
            }
        }
    }
}

/// The writes that may come next: (session, apply?). A completed write must be applied; a write that
/// never returned may also be skipped. Popped from the end, so the most promising go last: writes of a
/// value some blocked read is waiting for.
fn choices(history: &CheckHistory, state: &State) -> Vec<(u32, bool)> {
    let mut wanted: BTreeMap<(u32, u32), ()> = BTreeMap::new();
    let mut next_writes = Vec::new();
    for (s, session) in history.sessions.iter().enumerate() {
        let Some(&i) = session.get(state.positions[s] as usize) else {
            continue;
        };
        let op = &history.ops[i];
        if op.is_read() {
            if let Some(v) = op.value {
                wanted.insert((op.key, v), ());
            }
        } else {
            next_writes.push((s as u32, op));
        }
    }
    let mut choices = Vec::new();
    let mut promising = Vec::new();
    for (s, op) in next_writes {
        if !op.completed() {
            choices.push((s, false));
        }
        let is_wanted = op.value.is_some_and(|v| wanted.contains_key(&(op.key, v)));
        if is_wanted {
            promising.push((s, true));
        } else {
            choices.push((s, true));
        }
    }
    choices.extend(promising);
    choices
}

/// The classic witness: two clients that saw two writes in opposite orders — each read one write and
/// then missed the other (read the initial value or an older write for its key).
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
                if !read.is_read() || read.key == history.ops[w1].key {
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

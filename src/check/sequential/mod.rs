//! Sequential consistency: is there one order of *all* operations that keeps each client's program
//! order and gives every read the value of the last write to its key before it?
//!
//! Unlike linearizability, sequential consistency is not local — each key can be fine alone while no
//! single order fits all keys (the "independent reads of independent writes" pattern) — so the whole
//! history is judged at once, though independent parts (no shared key or client) are judged apart.
//! Real time plays no part.
//!
//! The problem is NP-complete in general (Gibbons and Korach 1997), but histories people have are not
//! adversarial. The checker works in three steps, each deciding most of what reaches it:
//!
//! 1. Cheap verdicts: the causal bad patterns (a sequentially consistent history is causally
//!    consistent) name the anomaly when they find one; a linearizable history is sequentially
//!    consistent.
//! 2. Saturation (`saturation.rs`): the orders every sequential order must contain — program order,
//!    reads-from, and the write orders they force — to a fixed point over a graph whose reachability
//!    is kept as per-client clocks (`graph.rs`). A cycle proves no order exists.
//! 3. The residue — pairs of writes to one key left in neither order — goes to a SAT solver with
//!    acyclicity checked lazily (`solve.rs`), within a conflict budget ([`CONFLICT_BUDGET`], raised by `--budget`).
//!
//! A broken verdict's witness is a minimal set of operations with no sequential order (`witness.rs`).
//!
//! A write that never returned may be taken or skipped; one nobody read is skipped (the search
//! over interleavings places it or not, and ends once every operation that returned is placed). Reads that never
//! returned were dropped. A history in which some value is written twice to a key (so a read's
//! source is ambiguous), or with so many clients that the clocks (operations × clients) would pass
//! their budget, is judged by an older search over interleavings (`search.rs`), with a budget.
//!
//! So is a history with updates — compare-and-sets that succeeded (or never returned) and appends —
//! since the graph knows only reads and writes: the search applies every operation as
//! [`crate::op::Op::evaluate`] does, so it is exact on them, and needs no value to be unique. Two
//! compare-and-sets that succeeded from a value written once are named at once: a lost update
//! ([`super::lost_update`]).

mod graph;
mod saturation;
mod search;
mod solve;
mod witness;

use std::collections::BTreeMap;

use super::history::{CheckHistory, OpIndex};
use super::lost_update::{lost_append, lost_update};
use super::order::{sources, CausalOrder, Source};
use super::saturate::{saturate, MAX_OPS};
use super::{budget, Verdict};
use super::{causal, linearizable};
use graph::{Edge, Graph};
use saturation::{residue, Reads, Saturation};
use search::{search, Search};
use solve::{solve, Solved};

pub use graph::MAX_CLOCK_ENTRIES;
pub use witness::MAX_SHRINK_CHECKS;

/// How many search states before the verdict becomes unknown (histories with repeated values).
pub const SEARCH_BUDGET: u64 = 300_000;

/// How many search states before the verdict becomes unknown, for a history with updates: without
/// saturation to cut it down, a search that has not found an order in this many states rarely finds
/// one later (appends make new strings, and updates that never returned may go anywhere), so it
/// gives up in a few hundredths of a second instead of a second.
pub const UPDATE_SEARCH_BUDGET: u64 = 30_000;

/// How many conflicts the SAT solver may meet before the verdict becomes unknown.
pub const CONFLICT_BUDGET: u64 = 100_000;

/// How many undecided pairs of writes (the solver's variables) before the verdict becomes unknown:
/// 2²⁰, about 250 MB of solver (thousands of clients all writing one key at once come near it).
pub const MAX_RESIDUE_PAIRS: usize = 1 << 20;

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
/// breaks the whole, and a part that cannot be decided does not hide a violation in another.
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
        // Restricted operations keep their input positions, so the witness names the whole's.
        let verdict = check_part(&history.restrict(part));
        match verdict.ok {
            Some(false) => return verdict,
            None if undecided.is_none() => undecided = Some(verdict),
            _ => {}
        }
    }
    undecided.unwrap_or_else(Verdict::holds)
}

/// Checks sequential consistency by saturation and the solver alone, without the causal and
/// linearizable shortcuts of [`check_given`] (so tests can hold this path to the definition).
pub fn check_alone(history: &CheckHistory) -> Verdict {
    check_given(history, &Verdict::holds(), &Verdict::unknown(""))
}

/// One part's verdict.
fn check_part(history: &CheckHistory) -> Verdict {
    match decide(history, Order::Program) {
        Decision::Holds => Verdict::holds(),
        Decision::Unknown(reason) => Verdict::unknown(reason),
        Decision::Broken(_) => witness::broken(history, Order::Program),
    }
}

/// A decision, before any witness is made.
enum Decision {
    Holds,
    /// No sequential order; with the cycle that proves it when saturation found one.
    Broken(Option<Proof>),
    Unknown(String),
}

/// Which order the operations must keep besides what the reads force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Order {
    /// Each client's program order: sequential consistency.
    Program,
    /// Program order and real time (an operation that returned before another was invoked comes
    /// first): linearizability.
    RealTime,
}

/// Decides linearizability the way sequential consistency is decided here, with real-time order
/// added to the graph: the linearizability checker's fallback when its search runs out of budget.
/// Reads of a value written twice are beyond it (unknown). Broken verdicts carry a minimal witness.
pub fn linearizable_by_solver(history: &CheckHistory) -> Verdict {
    if history.has_updates() {
        return Verdict::unknown(
            "the search gave up, and the solver cannot judge compare-and-sets that succeeded or appends",
        );
    }
    if sources(history).contains(&Source::Ambiguous) {
        return Verdict::unknown(
            "the search gave up, and the solver cannot judge reads of a value written twice",
        );
    }
    match decide(history, Order::RealTime) {
        Decision::Holds => Verdict::holds(),
        Decision::Unknown(reason) => Verdict::unknown(reason),
        Decision::Broken(_) => witness::broken(history, Order::RealTime),
    }
}

/// A cycle of must-come-before facts, and the graph that holds the facts it rests on.
struct Proof {
    cycle: Vec<Edge>,
    graph: Graph,
}

/// Decides one part (or any sub-history, for the witness).
fn decide(history: &CheckHistory, order: Order) -> Decision {
    if history.has_updates() {
        return decide_updates(history, order);
    }
    let sources = sources(history);
    if sources.contains(&Source::Nowhere) {
        return Decision::Broken(None);
    }
    if sources.contains(&Source::Ambiguous) && order == Order::Program {
        return decide_by_search(history, &sources);
    }
    let mut graph = match Graph::new(history, &sources, order) {
        Ok(graph) => graph,
        Err(_) if order == Order::Program => {
            // Clocks of one entry per client and operation would not fit (thousands of clients, each
            // doing little): the search over interleavings copes with that shape.
            return decide_by_search(history, &sources);
        }
        Err(too_large) => {
            return Decision::Unknown(format!(
                "the order graph would need {} clock entries and real-time edges (operations × clients), over the budget of {} ({})",
                too_large.entries,
                budget::scaled_size(graph::MAX_REAL_TIME_EDGES),
                budget::HOW_TO_RAISE
            ))
        }
    };
    let reads = Reads::new(history, &sources, &graph);
    let order = match saturation::saturate(history, &mut graph, &reads) {
        Saturation::Done { order } => order,
        Saturation::Cycle(cycle) => return Decision::Broken(Some(Proof { cycle, graph })),
        // Rounds over many chains that each change little (thousands of writes that never
        // returned, say): the search over interleavings copes with that shape.
        Saturation::OutOfBudget { .. } if order == Order::Program => {
            return decide_by_search(history, &sources)
        }
        Saturation::OutOfBudget { budget: spent } => {
            return Decision::Unknown(format!(
                "saturation computed more than {spent} clock entries without reaching its fixed point ({})",
                budget::HOW_TO_RAISE
            ))
        }
    };
    let pairs = match residue(
        history,
        &graph,
        &reads,
        budget::scaled_size(MAX_RESIDUE_PAIRS),
    ) {
        Ok(pairs) => pairs,
        Err(met) => {
            return Decision::Unknown(format!(
            "more than {} pairs of writes to one key are left in neither order after saturation \
                 (stopped counting at {met}), past the solver's budget ({})",
            budget::scaled_size(MAX_RESIDUE_PAIRS),
            budget::HOW_TO_RAISE
        ))
        }
    };
    if pairs.is_empty() {
        return Decision::Holds;
    }
    match solve(history, &graph, &reads, &pairs, &order, budget::scaled(CONFLICT_BUDGET)) {
        Solved::Order => Decision::Holds,
        Solved::NoOrder => Decision::Broken(None),
        Solved::GaveUp { conflicts } => Decision::Unknown(format!(
            "the SAT solver gave up after {conflicts} conflicts over {} undecided pairs of writes ({})",
            pairs.len(),
            budget::HOW_TO_RAISE
        )),
    }
}

/// A history with updates (compare-and-sets that succeeded or never returned, appends): the graph
/// knows reads and writes only, so the search over interleavings, which applies every operation as
/// [`crate::op::Op::evaluate`] does, judges it exactly, within its budget.
fn decide_updates(history: &CheckHistory, order: Order) -> Decision {
    if order == Order::RealTime {
        return Decision::Unknown(
            "the solver cannot judge compare-and-sets that succeeded or appends".to_string(),
        );
    }
    if lost_update(history).is_some() || lost_append(history, false).is_some() {
        return Decision::Broken(None);
    }
    if !history.has_appends() && sources(history).contains(&Source::Nowhere) {
        return Decision::Broken(None);
    }
    match search(history, None, UPDATE_SEARCH_BUDGET) {
        Search::Found => Decision::Holds,
        Search::OutOfBudget { states, why } => Decision::Unknown(format!(
            "the history has compare-and-sets or appends, so the search over interleavings judged it, and it gave up after exploring {states} states: {why} ({})",
            budget::HOW_TO_RAISE
        )),
        Search::Impossible => Decision::Broken(None),
    }
}

/// The older search, for histories with a value written twice to a key, and for those with too many
/// clients for the graph's clocks.
fn decide_by_search(history: &CheckHistory, sources: &[Source]) -> Decision {
    let saturated = if history.ops.len() <= MAX_OPS {
        match saturate(history, sources) {
            Some(saturated) => Some(saturated),
            None => return Decision::Broken(None),
        }
    } else {
        None
    };
    match search(history, saturated.as_ref(), SEARCH_BUDGET) {
        Search::Found => Decision::Holds,
        Search::OutOfBudget { states, why } => Decision::Unknown(format!(
            "a value is written twice to one key, so the search over interleavings judged this history, and it gave up after exploring {states} states: {why}"
        )),
        Search::Impossible => Decision::Broken(None),
    }
}

/// The classic witness: two clients that saw two writes in opposite orders — each read one write and
/// then either read the other (same key) or missed it (read the initial value or an older write).
pub(super) fn opposite_orders(history: &CheckHistory) -> Option<Vec<String>> {
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

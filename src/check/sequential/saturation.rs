//! Saturation: the orders every sequential witness must contain, inferred to a fixed point.
//!
//! Start from program order ∪ reads-from. For a read `r` of a write `w1` and another write `w2` to
//! the same key, a sequential order puts `w2` before `w1` or after `r` — otherwise `r` would return
//! `w2`. So:
//!
//! - when `w2` must come before some reader of `w1`, it must come before `w1` ([`Reason::Overwritten`]);
//! - when `w1` must come before `w2`, every reader of `w1` must come before `w2` ([`Reason::NotOverwritten`]);
//! - a read of the initial value comes before every write to its key ([`Reason::Initial`]).
//!
//! Each rule needs only a few edges per write and chain, thanks to the chains: the writes of one chain
//! that must precede a reader of `w1` are a prefix of it (so only its last matters), and those that
//! `w1` must precede are a suffix (only its first matters); a reader stands for the earlier readers
//! in its chain. Rounds add edges and recompute the clocks until nothing changes, or a cycle shows
//! that no sequential order exists. What is left undecided — pairs of writes to one key in neither
//! order, one of them read — is the residue for the solver.

use std::collections::BTreeMap;

use super::graph::{Edge, Graph, Reason, NONE};
use crate::check::history::{CheckHistory, OpIndex};
use crate::check::order::Source;

/// Who read what, grouped for the rules.
pub(super) struct Reads {
    /// For each write, the last of its readers in each chain: `(chain, reader)`.
    pub readers: Vec<Vec<(u32, OpIndex)>>,
    /// For each key, the last reader of the initial value in each chain.
    pub initial: Vec<Vec<(u32, OpIndex)>>,
    /// For each key, the writes of each chain to it (nodes only), in chain order.
    pub writes: Vec<BTreeMap<u32, Vec<OpIndex>>>,
}

impl Reads {
    pub fn new(history: &CheckHistory, sources: &[Source], graph: &Graph) -> Reads {
        let keys = history.key_count();
        let mut reads = Reads {
            readers: vec![Vec::new(); history.ops.len()],
            initial: vec![Vec::new(); keys],
            writes: vec![BTreeMap::new(); keys],
        };
        for chain in &graph.chains {
            for &i in chain {
                let op = &history.ops[i];
                let c = graph.chain[i];
                let last_in_chain = |list: &mut Vec<(u32, OpIndex)>| match list.last_mut() {
                    Some(last) if last.0 == c => last.1 = i,
                    _ => list.push((c, i)),
                };
                match sources[i] {
                    Source::Write(w) => last_in_chain(&mut reads.readers[w]),
                    Source::Initial => last_in_chain(&mut reads.initial[op.key as usize]),
                    _ => {}
                }
                if op.is_write() {
                    reads.writes[op.key as usize].entry(c).or_default().push(i);
                }
            }
        }
        reads
    }

    /// Whether `w` must come before some reader of `w1` (per the graph's clocks).
    fn precedes_a_reader(&self, graph: &Graph, w: OpIndex, w1: OpIndex) -> Option<OpIndex> {
        self.readers[w1]
            .iter()
            .find(|&&(c, r)| graph.reach(w, c) <= graph.pos[r])
            .map(|&(_, r)| r)
    }
}

/// How saturation ended.
pub(super) enum Saturation {
    /// No contradiction; the graph's clocks are current, computed over this topological order.
    Done { order: Vec<OpIndex> },
    /// A cycle: no sequential order exists.
    Cycle(Vec<Edge>),
    /// The clocks took more than `budget` entries of work to keep up to date.
    OutOfBudget { budget: u64 },
}

/// How many clock entries saturation may compute, over all its rounds, before giving up: 2²⁸ (about
/// a second). A 100,000-operation run of 20 clients takes about 2²⁴.
pub const MAX_SATURATION_WORK: u64 = 1 << 28;

/// Adds the forced edges to `graph` until nothing changes.
pub(super) fn saturate(history: &CheckHistory, graph: &mut Graph, reads: &Reads) -> Saturation {
    // Reads of the initial value precede the first write of every chain to their key.
    for (key, readers) in reads.initial.iter().enumerate() {
        for &(_, r) in readers {
            for writes in reads.writes[key].values() {
                graph.add_edge(r, writes[0], Reason::Initial);
            }
        }
    }
    let mut order = match graph.close(history) {
        Ok(order) => order,
        Err(cycle) => return Saturation::Cycle(cycle),
    };
    // Whether `order` predates edges added since (it is recomputed once at the end).
    let mut stale = false;
    // Once few edges come per round, each is put in as soon as it is found, so that the rest of the
    // round already builds on it (fewer rounds; each edge updates the clocks it changes).
    let mut eager = false;
    let budget = crate::check::budget::scaled(MAX_SATURATION_WORK);
    loop {
        if graph.work > budget {
            return Saturation::OutOfBudget { budget };
        }
        let mut added = Vec::new();
        let mut count = 0;
        for (w1, readers) in reads.readers.iter().enumerate() {
            if readers.is_empty() {
                continue;
            }
            forced_around(history, graph, reads, w1, &mut added);
            if eager {
                count += added.len();
                for (a, b, reason) in added.drain(..) {
                    // Each its own round: what explains it (an earlier round) is what it rests on.
                    graph.round += 1;
                    if let Err(cycle) = graph.insert(a, b, reason) {
                        return Saturation::Cycle(cycle);
                    }
                }
            }
        }
        count += added.len();
        if count == 0 {
            if stale {
                order = match graph.topological(history) {
                    Ok(order) => order,
                    Err(cycle) => return Saturation::Cycle(cycle),
                };
            }
            return Saturation::Done { order };
        }
        graph.round += 1;
        if eager {
            continue;
        }
        // Many edges: add them all and recompute every clock. Few: update the clocks edge by edge,
        // and from now on as they are found.
        if added.len() > history.ops.len() / 8 {
            for (a, b, reason) in added {
                graph.add_edge(a, b, reason);
            }
            order = match graph.close(history) {
                Ok(order) => order,
                Err(cycle) => return Saturation::Cycle(cycle),
            };
        } else {
            for (a, b, reason) in added {
                if let Err(cycle) = graph.insert(a, b, reason) {
                    return Saturation::Cycle(cycle);
                }
            }
            stale = true;
            eager = true;
        }
    }
}

/// The edges forced around the read write `w1` that the graph lacks.
fn forced_around(
    history: &CheckHistory,
    graph: &Graph,
    reads: &Reads,
    w1: OpIndex,
    added: &mut Vec<Edge>,
) {
    let key = history.ops[w1].key as usize;
    for (&c2, writes) in &reads.writes[key] {
        // The last write of chain c2 that must precede a reader of w1 must precede w1 itself.
        let prefix = writes.partition_point(|&w| reads.precedes_a_reader(graph, w, w1).is_some());
        if prefix > 0 {
            let w2 = writes[prefix - 1];
            if w2 != w1 && !graph.reaches(w2, w1) {
                let reader = reads.precedes_a_reader(graph, w2, w1).unwrap_or(w1);
                added.push((w2, w1, Reason::Overwritten { reader }));
            }
        }
        // The first write of chain c2 that w1 must precede (other than w1) must follow every reader.
        let from = graph.reach(w1, c2);
        if from == NONE {
            continue;
        }
        let first = writes.partition_point(|&w| graph.pos[w] < from);
        let Some(&w2) = writes[first..].iter().find(|&&w| w != w1) else {
            continue;
        };
        for &(_, r) in &reads.readers[w1] {
            if !graph.reaches(r, w2) {
                added.push((r, w2, Reason::NotOverwritten { write: w1 }));
            }
        }
    }
}

/// The undecided pairs of writes to one key — neither must precede the other, and at least one was
/// read — each once, as `(a, b)` with `a` read. Pairs of unread writes need no decision: any
/// topological order places them harmlessly. More than `limit` pairs: `Err` with how many were met
/// before stopping.
pub(super) fn residue(
    history: &CheckHistory,
    graph: &Graph,
    reads: &Reads,
    limit: usize,
) -> Result<Vec<(OpIndex, OpIndex)>, usize> {
    let mut pairs = Vec::new();
    for (w1, readers) in reads.readers.iter().enumerate() {
        if readers.is_empty() {
            continue;
        }
        let key = history.ops[w1].key as usize;
        let c1 = graph.chain[w1];
        for (&c2, writes) in &reads.writes[key] {
            if c2 == c1 {
                continue;
            }
            // Writes of c2 that precede w1 form a prefix; those w1 precedes, a suffix.
            let lo = writes.partition_point(|&w| graph.reaches(w, w1));
            let from = graph.reach(w1, c2);
            let hi = writes.partition_point(|&w| graph.pos[w] < from);
            for &w2 in writes.get(lo..hi).unwrap_or(&[]) {
                // A pair of read writes is met from both sides; keep it once.
                if reads.readers[w2].is_empty() || w1 < w2 {
                    pairs.push((w1, w2));
                }
                if pairs.len() > limit {
                    return Err(pairs.len());
                }
            }
        }
    }
    // In time order (then input order): the solver decides variables in the order they come, so a
    // conflict is usually between choices made close together, and undoing it undoes little.
    let first = |&(a, b): &(OpIndex, OpIndex)| {
        let (a, b) = (&history.ops[a], &history.ops[b]);
        let (a, b) = ((a.invoked_at, a.origin), (b.invoked_at, b.origin));
        (a.min(b), a.max(b))
    };
    pairs.sort_by_key(|pair| (first(pair), *pair));
    Ok(pairs)
}

//! Causal order over a history: program order ∪ reads-from, transitively closed, as vector clocks.
//!
//! With unique written values, each read's source write is known, and causal order is
//! CO = (po ∪ rf)⁺. Instead of materialising the closure, every operation gets a vector clock over
//! *sessions* (clients): entry `s` is one more than the position of the last operation of session `s`
//! that is causally before or equal to it. Then `a` is causally before `b` exactly when
//! `clock(b)[session(a)] > seq(a)` — one lookup — and the clocks take O(ops × sessions) to compute in a
//! topological order. If there is no topological order, CO has a cycle, and [`CausalOrder::build`]
//! returns one.

use std::collections::BTreeMap;

use super::history::{CheckHistory, OpIndex};

/// Where a read's value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Not a read, or a read that never returned.
    NotARead,
    /// The read returned the initial value (null).
    Initial,
    /// The one write of that value to that key.
    Write(OpIndex),
    /// No write wrote that value to that key.
    Nowhere,
    /// Several writes wrote that value to that key: the source is ambiguous.
    Ambiguous,
}

/// Each read's source, from the values alone.
pub fn sources(history: &CheckHistory) -> Vec<Source> {
    history
        .ops
        .iter()
        .map(|op| {
            if !op.is_read() {
                return Source::NotARead;
            }
            match op.value {
                None => Source::Initial,
                Some(value) => match history.writers(op.key, value) {
                    [] => Source::Nowhere,
                    [write] => Source::Write(*write),
                    _ => Source::Ambiguous,
                },
            }
        })
        .collect()
}

fn source_write(source: Source) -> Option<OpIndex> {
    match source {
        Source::Write(w) => Some(w),
        _ => None,
    }
}

/// The direct causal predecessors of an operation: its session's previous operation, the write it
/// read, and, for a loose write, what its client did before it.
fn predecessors(history: &CheckHistory, sources: &[Source], i: OpIndex) -> [Option<OpIndex>; 3] {
    let op = &history.ops[i];
    let po_pred = (op.seq > 0).then(|| history.sessions[op.session as usize][op.seq as usize - 1]);
    [source_write(sources[i]), po_pred, op.after]
}

/// CO = (po ∪ rf)⁺ as per-session vector clocks.
#[derive(Clone, Debug)]
pub struct CausalOrder {
    sessions: usize,
    /// `clocks[op * sessions + s]`.
    clocks: Vec<u32>,
    /// For each (session, key), the positions in program order of the session's writes to the key.
    writes: BTreeMap<(u32, u32), Vec<u32>>,
}

impl CausalOrder {
    /// Computes the clocks, or returns a cycle of operations (each causally before the next, the last
    /// before the first). Reads with no single source contribute no reads-from edge.
    pub fn build(history: &CheckHistory, sources: &[Source]) -> Result<CausalOrder, Vec<OpIndex>> {
        let n = history.ops.len();
        let sessions = history.sessions.len();
        let mut readers: Vec<Vec<OpIndex>> = vec![Vec::new(); n];
        let mut indegree = vec![0u32; n];
        for (i, op) in history.ops.iter().enumerate() {
            if op.seq > 0 {
                indegree[i] += 1;
            }
            if let Source::Write(w) = sources[i] {
                readers[w].push(i);
                indegree[i] += 1;
            }
            if let Some(before) = op.after {
                readers[before].push(i);
                indegree[i] += 1;
            }
        }
        let mut clocks = vec![0u32; n * sessions];
        let mut ready: Vec<OpIndex> = (0..n).filter(|&i| indegree[i] == 0).collect();
        let mut done = 0;
        let mut clock = vec![0u32; sessions];
        while let Some(i) = ready.pop() {
            done += 1;
            let op = history.ops[i];
            clock.fill(0);
            if op.seq > 0 {
                let pred = history.sessions[op.session as usize][op.seq as usize - 1];
                clock.copy_from_slice(&clocks[pred * sessions..(pred + 1) * sessions]);
            }
            for from in [source_write(sources[i]), op.after].into_iter().flatten() {
                let theirs = &clocks[from * sessions..(from + 1) * sessions];
                for (mine, theirs) in clock.iter_mut().zip(theirs) {
                    *mine = (*mine).max(*theirs);
                }
            }
            clock[op.session as usize] = op.seq + 1;
            clocks[i * sessions..(i + 1) * sessions].copy_from_slice(&clock);

            let po_next = history.sessions[op.session as usize].get(op.seq as usize + 1);
            for &next in readers[i].iter().chain(po_next) {
                indegree[next] -= 1;
                if indegree[next] == 0 {
                    ready.push(next);
                }
            }
        }
        if done < n {
            return Err(find_cycle(history, sources, &indegree));
        }

        let mut writes: BTreeMap<(u32, u32), Vec<u32>> = BTreeMap::new();
        for op in history.ops.iter().filter(|op| op.is_write()) {
            writes.entry((op.session, op.key)).or_default().push(op.seq);
        }
        Ok(CausalOrder {
            sessions,
            clocks,
            writes,
        })
    }

    /// How many operations of session `s` are causally before or equal to `op`.
    pub fn seen(&self, op: OpIndex, s: u32) -> u32 {
        self.clocks[op * self.sessions + s as usize]
    }

    /// Whether `a` is causally before `b` (strictly: never `a` before itself).
    pub fn before(&self, history: &CheckHistory, a: OpIndex, b: OpIndex) -> bool {
        let op = &history.ops[a];
        a != b && self.seen(b, op.session) > op.seq
    }

    /// The last write to `key` by session `s` that is causally before or equal to `op`.
    pub fn last_write_seen(
        &self,
        history: &CheckHistory,
        op: OpIndex,
        s: u32,
        key: u32,
    ) -> Option<OpIndex> {
        self.last_write_before(history, s, key, self.seen(op, s))
    }

    /// The last write to `key` by session `s` that is strictly before position `limit` in the session.
    pub fn last_write_before(
        &self,
        history: &CheckHistory,
        s: u32,
        key: u32,
        limit: u32,
    ) -> Option<OpIndex> {
        let seqs = self.writes.get(&(s, key))?;
        let count = seqs.partition_point(|&seq| seq < limit);
        let seq = *seqs.get(count.checked_sub(1)?)?;
        Some(history.sessions[s as usize][seq as usize])
    }

    /// A chain of direct causal steps (program order or reads-from) from `from` to `to`, both included,
    /// when `from` is causally before `to`: the story of *why* one is before the other.
    pub fn path(
        &self,
        history: &CheckHistory,
        sources: &[Source],
        from: OpIndex,
        to: OpIndex,
    ) -> Vec<OpIndex> {
        let mut path = vec![to];
        let mut current = to;
        while current != from {
            // Some direct predecessor is at or after `from`, or `from` would not be before `current`.
            let reaches = |p: OpIndex| p == from || self.before(history, from, p);
            let preds = predecessors(history, sources, current);
            let Some(next) = preds.into_iter().flatten().find(|&p| reaches(p)) else {
                break;
            };
            path.push(next);
            current = next;
        }
        path.reverse();
        path
    }

    /// The number of sessions.
    pub fn sessions(&self) -> u32 {
        self.sessions as u32
    }
}

/// Every operation left with a positive in-degree after the topological sort lies on or after a cycle
/// and has an unsorted predecessor; walking back through unsorted predecessors must revisit one.
fn find_cycle(history: &CheckHistory, sources: &[Source], indegree: &[u32]) -> Vec<OpIndex> {
    let stuck = |i: OpIndex| indegree[i] > 0;
    let Some(start) = (0..history.ops.len()).find(|&i| stuck(i)) else {
        return Vec::new();
    };
    let mut path = vec![start];
    let mut position = BTreeMap::from([(start, 0usize)]);
    let mut current = start;
    loop {
        let preds = predecessors(history, sources, current);
        let Some(pred) = preds.into_iter().flatten().find(|&p| stuck(p)) else {
            return Vec::new();
        };
        if let Some(&at) = position.get(&pred) {
            // path[at..] is the cycle walked backwards: reverse it into causal order.
            let mut cycle = path[at..].to_vec();
            cycle.reverse();
            return cycle;
        }
        position.insert(pred, path.len());
        path.push(pred);
        current = pred;
    }
}

//! Causal order over a history: program order ∪ reads-from, transitively closed, as sparse vector
//! clocks over clients.
//!
//! With unique written values, each read's source write is known, and causal order is
//! CO = (po ∪ rf)⁺. Instead of materialising the closure, every operation gets a vector clock over the
//! *client sessions*: entry `s` is one more than the position of the last operation of session `s`
//! that is causally before or equal to it. Then `a` is causally before `b` exactly when
//! `clock(b)[session(a)] > seq(a)` — one lookup. A clock lists only the sessions in the operation's
//! causal past, so a history of 100 000 one-operation clients costs a few entries per operation, not
//! 100 000; the clocks are computed in a topological order. If there is no topological order, CO has a
//! cycle, and [`CausalOrder::build`] returns one.
//!
//! A write that never returned sits in a session of its own (see [`super::history`]). Giving each a
//! clock entry would make every clock as long as the number of such writes — quadratic memory in a
//! history full of timeouts. It needs none: nothing follows such a write but the reads that returned
//! its value, so it is causally before `x` exactly when one of its readers is — and its readers are in
//! client sessions, which the clocks do cover. Each such write keeps the first reader in each session.
//!
//! The clocks' size is the sum over operations of the sessions in their past: linear in the history
//! when few clients interact, up to operations × clients when all do. Past [`MAX_CLOCK_ENTRIES`] the
//! build gives up ([`BuildError::TooLarge`]) rather than exhaust memory, and the verdicts that need it
//! are unknown.

use std::collections::BTreeMap;

use super::history::{CheckHistory, CheckOp, OpIndex};

/// The most entries a causal order may hold, clocks and running maxima together (8 or 16 bytes
/// each: at most 1 GiB).
pub const MAX_CLOCK_ENTRIES: usize = 1 << 26;

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

/// Why a causal order could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// A cycle of operations, each causally before the next and the last before the first.
    Cycle(Vec<OpIndex>),
    /// The clocks would need more than [`MAX_CLOCK_ENTRIES`] entries.
    TooLarge { operations: usize, sessions: usize },
}

impl BuildError {
    /// The reason a verdict that needs the causal order is unknown, for [`BuildError::TooLarge`].
    pub fn too_large_reason(&self) -> Option<String> {
        match self {
            BuildError::Cycle(_) => None,
            BuildError::TooLarge {
                operations,
                sessions,
            } => Some(format!(
                "the causal order of {operations} operations in {sessions} sessions (a client's \
                 operations, or one write that never returned) needs more than {} vector-clock \
                 entries (kvsim's budget for it, 1 GiB by default; {})",
                super::budget::scaled_size(MAX_CLOCK_ENTRIES),
                super::budget::HOW_TO_RAISE
            )),
        }
    }
}

/// Whether `op` is a write that never returned, which has a session of its own and no clock entry.
fn is_loose(op: &CheckOp) -> bool {
    !op.completed()
}

/// A clock's entry for session `s` (0 when the session is not in it).
fn entry(clock: &[(u32, u32)], s: u32) -> u32 {
    match clock.binary_search_by_key(&s, |&(session, _)| session) {
        Ok(i) => clock[i].1,
        Err(_) => 0,
    }
}

/// Merges `theirs` into `mine` (both sorted by session), taking the larger count of each session.
fn merge_into(mine: &mut Vec<(u32, u32)>, theirs: &[(u32, u32)], scratch: &mut Vec<(u32, u32)>) {
    if theirs.is_empty() {
        return;
    }
    scratch.clear();
    let (mut i, mut j) = (0, 0);
    while i < mine.len() && j < theirs.len() {
        let (a, b) = (mine[i], theirs[j]);
        match a.0.cmp(&b.0) {
            std::cmp::Ordering::Less => {
                scratch.push(a);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                scratch.push(b);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                scratch.push((a.0, a.1.max(b.1)));
                i += 1;
                j += 1;
            }
        }
    }
    scratch.extend_from_slice(&mine[i..]);
    scratch.extend_from_slice(&theirs[j..]);
    std::mem::swap(mine, scratch);
}

/// CO = (po ∪ rf)⁺ as sparse per-session vector clocks.
#[derive(Clone, Debug)]
pub struct CausalOrder {
    /// `entries[spans[op].0 .. spans[op].0 + spans[op].1]`: the clock of `op`, sorted by session.
    spans: Vec<(usize, u32)>,
    entries: Vec<(u32, u32)>,
    /// For each write that never returned and was read: (session, position) of its first reader in
    /// each session that read it, sorted by session.
    first_readers: BTreeMap<OpIndex, Vec<(u32, u32)>>,
    /// For each (session, key), the positions in program order of the session's writes to the key.
    writes: BTreeMap<(u32, u32), Vec<u32>>,
    /// For each (session, key), the session's reads of the key that returned a write that never
    /// returned: (position, that write), in program order.
    loose_reads: BTreeMap<(u32, u32), Vec<(u32, OpIndex)>>,
    /// Parallel to `loose_reads`: after each such read, the running maximum of the clocks of what
    /// came just before the writes read so far (the clocks of their `after`), each entry tagged with
    /// the write that gave it, as a span of `later_entries`. Something is causally before one of
    /// those writes exactly when it is in the past this maximum describes.
    later_spans: BTreeMap<(u32, u32), Vec<(usize, u32)>>,
    later_entries: Vec<(u32, u32, OpIndex)>,
}

impl CausalOrder {
    /// Computes the clocks, or says why it cannot: a cycle, or too many entries. Reads with no single
    /// source contribute no reads-from edge.
    pub fn build(history: &CheckHistory, sources: &[Source]) -> Result<CausalOrder, BuildError> {
        let n = history.ops.len();
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
        let mut spans = vec![(0usize, 0u32); n];
        let mut entries: Vec<(u32, u32)> = Vec::new();
        let mut ready: Vec<OpIndex> = (0..n).filter(|&i| indegree[i] == 0).collect();
        let mut done = 0;
        let mut clock: Vec<(u32, u32)> = Vec::new();
        let mut scratch: Vec<(u32, u32)> = Vec::new();
        while let Some(i) = ready.pop() {
            done += 1;
            let op = history.ops[i];
            clock.clear();
            if op.seq > 0 {
                let pred = history.sessions[op.session as usize][op.seq as usize - 1];
                let (at, len) = spans[pred];
                clock.extend_from_slice(&entries[at..at + len as usize]);
            }
            for from in [source_write(sources[i]), op.after].into_iter().flatten() {
                let (at, len) = spans[from];
                merge_into(&mut clock, &entries[at..at + len as usize], &mut scratch);
            }
            if !is_loose(&op) {
                merge_into(&mut clock, &[(op.session, op.seq + 1)], &mut scratch);
            }
            if entries.len() + clock.len() > super::budget::scaled_size(MAX_CLOCK_ENTRIES) {
                return Err(BuildError::TooLarge {
                    operations: n,
                    sessions: history.sessions.len(),
                });
            }
            spans[i] = (entries.len(), clock.len() as u32);
            entries.extend_from_slice(&clock);

            let po_next = history.sessions[op.session as usize].get(op.seq as usize + 1);
            for &next in readers[i].iter().chain(po_next) {
                indegree[next] -= 1;
                if indegree[next] == 0 {
                    ready.push(next);
                }
            }
        }
        if done < n {
            return Err(BuildError::Cycle(find_cycle(history, sources, &indegree)));
        }

        let mut writes: BTreeMap<(u32, u32), Vec<u32>> = BTreeMap::new();
        let mut first_readers: BTreeMap<OpIndex, Vec<(u32, u32)>> = BTreeMap::new();
        let mut loose_reads: BTreeMap<(u32, u32), Vec<(u32, OpIndex)>> = BTreeMap::new();
        // Sessions in order, each in program order: lists come out sorted.
        for session in &history.sessions {
            for &i in session {
                let op = &history.ops[i];
                if op.is_write() {
                    writes.entry((op.session, op.key)).or_default().push(op.seq);
                }
                let Source::Write(w) = sources[i] else {
                    continue;
                };
                if !is_loose(&history.ops[w]) {
                    continue;
                }
                loose_reads
                    .entry((op.session, op.key))
                    .or_default()
                    .push((op.seq, w));
                let firsts = first_readers.entry(w).or_default();
                if firsts.last().is_none_or(|&(s, _)| s != op.session) {
                    firsts.push((op.session, op.seq));
                }
            }
        }
        for firsts in first_readers.values_mut() {
            firsts.sort_unstable();
        }
        let mut later_spans: BTreeMap<(u32, u32), Vec<(usize, u32)>> = BTreeMap::new();
        let mut later_entries: Vec<(u32, u32, OpIndex)> = Vec::new();
        let mut running: Vec<(u32, u32, OpIndex)> = Vec::new();
        for (&(s, key), reads) in &loose_reads {
            running.clear();
            let mut list = Vec::with_capacity(reads.len());
            for &(_, w) in reads {
                if let Some(before) = history.ops[w].after {
                    let (at, len) = spans[before];
                    for &(t, seen) in &entries[at..at + len as usize] {
                        match running.binary_search_by_key(&t, |&(session, _, _)| session) {
                            Ok(i) if seen > running[i].1 => running[i] = (t, seen, w),
                            Ok(_) => {}
                            Err(i) => running.insert(i, (t, seen, w)),
                        }
                    }
                }
                if entries.len() + later_entries.len() + running.len()
                    > super::budget::scaled_size(MAX_CLOCK_ENTRIES)
                {
                    return Err(BuildError::TooLarge {
                        operations: n,
                        sessions: history.sessions.len(),
                    });
                }
                list.push((later_entries.len(), running.len() as u32));
                later_entries.extend_from_slice(&running);
            }
            later_spans.insert((s, key), list);
        }
        Ok(CausalOrder {
            spans,
            entries,
            first_readers,
            writes,
            loose_reads,
            later_spans,
            later_entries,
        })
    }

    /// The clock of `op`: (session, how many of its operations are causally before or equal to `op`),
    /// for every client session in its causal past, in session order.
    pub fn clock(&self, op: OpIndex) -> &[(u32, u32)] {
        let (at, len) = self.spans[op];
        &self.entries[at..at + len as usize]
    }

    /// How many operations of client session `s` are causally before or equal to `op` (0 for the
    /// session of a write that never returned: see the module docs).
    pub fn seen(&self, op: OpIndex, s: u32) -> u32 {
        entry(self.clock(op), s)
    }

    /// Whether `a` is causally before or equal to whatever has clock `clock`.
    pub fn in_past(&self, history: &CheckHistory, a: OpIndex, clock: &[(u32, u32)]) -> bool {
        self.past_entry(history, a, |s| entry(clock, s)).is_some()
    }

    /// The session whose entry of a clock (given by `entry_of`) puts `a` in its past, if one does.
    pub fn past_entry(
        &self,
        history: &CheckHistory,
        a: OpIndex,
        entry_of: impl Fn(u32) -> u32,
    ) -> Option<u32> {
        let op = &history.ops[a];
        if is_loose(op) {
            let firsts = self.first_readers.get(&a)?;
            firsts
                .iter()
                .find(|&&(s, seq)| entry_of(s) > seq)
                .map(|&(s, _)| s)
        } else {
            (entry_of(op.session) > op.seq).then_some(op.session)
        }
    }

    /// A write that never returned, read by session `s` on `key` before position `limit`, that `a` is
    /// causally before; `None` if there is none.
    pub fn loose_write_after(
        &self,
        history: &CheckHistory,
        s: u32,
        key: u32,
        limit: u32,
        a: OpIndex,
    ) -> Option<OpIndex> {
        let count = self.loose_reads_before(s, key, limit).len();
        let &(at, len) = self
            .later_spans
            .get(&(s, key))?
            .get(count.checked_sub(1)?)?;
        let max = &self.later_entries[at..at + len as usize];
        let find = |t: u32| max.binary_search_by_key(&t, |&(session, _, _)| session);
        let session = self.past_entry(history, a, |t| find(t).map_or(0, |i| max[i].1))?;
        find(session).ok().map(|i| max[i].2)
    }

    /// Whether `a` is causally before `b` (strictly: never `a` before itself).
    pub fn before(&self, history: &CheckHistory, a: OpIndex, b: OpIndex) -> bool {
        a != b && self.in_past(history, a, self.clock(b))
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

    /// Session `s`'s reads of `key` before position `limit` that returned a write that never
    /// returned: (position, that write), in program order. Such a write is causally before every
    /// operation that one of these reads is before.
    pub fn loose_reads_before(&self, s: u32, key: u32, limit: u32) -> &[(u32, OpIndex)] {
        let Some(reads) = self.loose_reads.get(&(s, key)) else {
            return &[];
        };
        &reads[..reads.partition_point(|&(seq, _)| seq < limit)]
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

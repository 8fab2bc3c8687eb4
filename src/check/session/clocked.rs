//! The session guarantees under one interpretation whose causal order is acyclic, through its sparse
//! vector clocks ([`CausalOrder`]): one scan of each session in program order per guarantee, keeping
//! what the session has read so far as running maxima of clocks rather than sets of writes.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::super::history::{CheckHistory, OpIndex};
use super::super::order::{CausalOrder, Source};
use super::super::witness::shortcut;
use super::{
    earlier_read_story, own_write_story, prior_read_story, prior_write_story, violation, Violation,
};

/// The first violation of each guarantee, or why the judgement ran out of budget.
pub(super) fn judge(
    history: &CheckHistory,
    sources: &[Source],
    order: &CausalOrder,
) -> Result<[Option<Violation>; 4], String> {
    let checker = Checker {
        history,
        sources,
        order,
        prefix: reads_prefix(history, sources, order)?,
    };
    Ok([
        checker.first_violation(|r, _| checker.own_write_missed(r)),
        checker.first_violation(|r, _| checker.earlier_read_missed(r)),
        checker.first_violation(|r, observed| checker.prior_write_missed(r, observed)),
        checker.first_violation(|r, observed| checker.prior_read_missed(r, observed)),
    ])
}

/// The *strict* clock of a write `w`: the clock of its direct causal predecessor — its session's
/// previous operation, or for a loose write (one that never returned), what its client did before it.
/// `x` is causally before `w` exactly when `x` is in the past this clock describes.
fn strict_clock<'a>(
    history: &CheckHistory,
    order: &'a CausalOrder,
    w: OpIndex,
) -> &'a [(u32, u32)] {
    let op = &history.ops[w];
    let pred = match op.after {
        Some(before) => Some(before),
        None => (op.seq > 0).then(|| history.sessions[op.session as usize][op.seq as usize - 1]),
    };
    pred.map_or(&[], |p| order.clock(p))
}

/// A running maximum of the strict clocks of a set of writes: per session, the largest entry and the
/// write that gave it (sorted by session), and some write of the set.
#[derive(Clone, Debug)]
struct ClockMax {
    entries: Vec<(u32, u32, OpIndex)>,
    any: OpIndex,
}

impl ClockMax {
    fn new(any: OpIndex) -> Self {
        ClockMax {
            entries: Vec::new(),
            any,
        }
    }

    /// Whether absorbing `clock` would change the maximum.
    fn would_grow(&self, clock: &[(u32, u32)]) -> bool {
        clock.iter().any(|&(s, seen)| {
            match self
                .entries
                .binary_search_by_key(&s, |&(session, _, _)| session)
            {
                Ok(i) => seen > self.entries[i].1,
                Err(_) => true,
            }
        })
    }

    fn absorb(&mut self, clock: &[(u32, u32)], w: OpIndex) {
        for &(s, seen) in clock {
            match self
                .entries
                .binary_search_by_key(&s, |&(session, _, _)| session)
            {
                Ok(i) if seen > self.entries[i].1 => self.entries[i] = (s, seen, w),
                Ok(_) => {}
                Err(i) => self.entries.insert(i, (s, seen, w)),
            }
        }
    }

    /// The write of the set that `x` is causally before, if any: the one that gave the entry that
    /// puts `x` in the past.
    fn later_than(
        &self,
        history: &CheckHistory,
        order: &CausalOrder,
        x: OpIndex,
    ) -> Option<OpIndex> {
        let find = |s: u32| {
            self.entries
                .binary_search_by_key(&s, |&(session, _, _)| session)
        };
        let session = order.past_entry(history, x, |s| find(s).map_or(0, |i| self.entries[i].1))?;
        find(session).ok().map(|i| self.entries[i].2)
    }
}

/// For each (session, key): the session's reads of the key that returned some write, in program
/// order, each with the running maximum of the strict clocks of the writes read so far. Consecutive
/// reads share one maximum until it grows (a client that reads one write thousands of times keeps one
/// copy, not thousands).
type ReadsPrefix = BTreeMap<(u32, u32), Vec<(u32, Rc<ClockMax>)>>;

/// The most entries the maxima of [`ReadsPrefix`] may hold in all (16 bytes each: 1 GiB).
const MAX_PREFIX_ENTRIES: usize = 1 << 26;

fn reads_prefix(
    history: &CheckHistory,
    sources: &[Source],
    order: &CausalOrder,
) -> Result<ReadsPrefix, String> {
    let mut prefix: ReadsPrefix = BTreeMap::new();
    let mut entries = 0usize;
    for session in &history.sessions {
        for &r in session {
            let Source::Write(w) = sources[r] else {
                continue;
            };
            let op = &history.ops[r];
            let list = prefix.entry((op.session, op.key)).or_default();
            let clock = strict_clock(history, order, w);
            let max = match list.last() {
                Some((_, max)) if !max.would_grow(clock) => Rc::clone(max),
                last => {
                    let mut max = last.map_or_else(|| ClockMax::new(w), |(_, max)| (**max).clone());
                    max.absorb(clock, w);
                    entries += max.entries.len();
                    if entries > crate::check::budget::scaled_size(MAX_PREFIX_ENTRIES) {
                        return Err(format!(
                            "what each client had seen needs more than {} clock entries (kvsim's budget for it, 1 GiB by default; {})",
                            crate::check::budget::scaled_size(MAX_PREFIX_ENTRIES),
                            crate::check::budget::HOW_TO_RAISE
                        ));
                    }
                    Rc::new(max)
                }
            };
            list.push((op.seq, max));
        }
    }
    Ok(prefix)
}

/// For each client session whose writes a session has read so far: how many of its operations came
/// before the latest write read (a position limit), that write, and the read that returned it.
type Observed = BTreeMap<u32, (u32, OpIndex, OpIndex)>;

struct Checker<'a> {
    history: &'a CheckHistory,
    sources: &'a [Source],
    order: &'a CausalOrder,
    prefix: ReadsPrefix,
}

impl Checker<'_> {
    /// Scans every session in program order, keeping for each client session the highest position
    /// of its writes this session has read so far; returns the first read for which `missed` finds
    /// a write it should have seen.
    fn first_violation(
        &self,
        missed: impl Fn(OpIndex, &Observed) -> Option<Violation>,
    ) -> Option<Violation> {
        for session in &self.history.sessions {
            let mut observed = Observed::new();
            for &r in session {
                if !self.history.ops[r].is_read() {
                    continue;
                }
                if let Some(violation) = missed(r, &observed) {
                    return Some(violation);
                }
                // What came before the write read, in its client's program order: for a write that
                // never returned (alone in a session of its own), what its client did up to the
                // operation it follows — it did take effect, since it was read.
                if let Source::Write(w) = self.sources[r] {
                    let writer = &self.history.ops[w];
                    let before = match writer.after {
                        _ if writer.completed() => Some((writer.session, writer.seq)),
                        Some(p) => {
                            let p = &self.history.ops[p];
                            Some((p.session, p.seq + 1))
                        }
                        None => None,
                    };
                    if let Some((d, limit)) = before {
                        let entry = observed.entry(d).or_insert((limit, w, r));
                        if limit > entry.0 {
                            *entry = (limit, w, r);
                        }
                    }
                }
            }
        }
        None
    }

    /// Whether read `r` misses write `w`; if so, why, in words, and the causal path that makes the
    /// write it read older.
    fn misses(&self, r: OpIndex, w: OpIndex) -> Option<(String, Vec<OpIndex>)> {
        match self.sources[r] {
            Source::Initial => Some(("it read the initial value".to_string(), Vec::new())),
            Source::Write(x) if x != w && self.order.before(self.history, x, w) => Some((
                format!("it read {}, which is older", self.history.describe(x)),
                self.path(x, w),
            )),
            _ => None,
        }
    }

    fn path(&self, from: OpIndex, to: OpIndex) -> Vec<OpIndex> {
        let path = self.order.path(self.history, self.sources, from, to);
        shortcut(self.history, &path)
    }

    /// Whether `r` misses any write of a set whose strict clocks' maximum is `max`; returns the
    /// write, why, and the causal path.
    fn misses_any(&self, r: OpIndex, max: &ClockMax) -> Option<(OpIndex, String, Vec<OpIndex>)> {
        match self.sources[r] {
            Source::Initial => Some((max.any, "it read the initial value".to_string(), Vec::new())),
            Source::Write(x) => max.later_than(self.history, self.order, x).map(|w| {
                (
                    w,
                    format!("it read {}, which is older", self.history.describe(x)),
                    self.path(x, w),
                )
            }),
            _ => None,
        }
    }

    /// The first read of session `s` before position `limit` that returned `w`.
    fn reader(&self, s: u32, limit: u32, w: OpIndex) -> Option<OpIndex> {
        self.history.sessions[s as usize][..limit as usize]
            .iter()
            .copied()
            .find(|&e| self.sources[e] == Source::Write(w))
    }

    fn own_write_missed(&self, r: OpIndex) -> Option<Violation> {
        let op = &self.history.ops[r];
        let session = &self.history.sessions[op.session as usize];
        let w = session[..op.seq as usize]
            .iter()
            .rev()
            .copied()
            .find(|&w| {
                let write = &self.history.ops[w];
                write.is_write() && write.key == op.key && write.completed()
            })?;
        let (why, path) = self.misses(r, w)?;
        let lines = own_write_story(self.history, w, r, &why);
        Some(violation(self.history, self.sources, lines, path, [w, r]))
    }

    fn earlier_read_missed(&self, r: OpIndex) -> Option<Violation> {
        let op = &self.history.ops[r];
        let list = self.prefix.get(&(op.session, op.key))?;
        let before = list.partition_point(|(seq, _)| *seq < op.seq);
        let (_, max) = list.get(before.checked_sub(1)?)?;
        let (w, why, path) = self.misses_any(r, max)?;
        let earlier = self.reader(op.session, op.seq, w).unwrap_or(r);
        let lines = earlier_read_story(self.history, earlier, r, &why);
        Some(violation(
            self.history,
            self.sources,
            lines,
            path,
            [w, earlier, r],
        ))
    }

    fn prior_write_missed(&self, r: OpIndex, observed: &Observed) -> Option<Violation> {
        let op = &self.history.ops[r];
        for (&d, &(limit, later, r1)) in observed {
            // The last write of client session d to the key before the write read (client
            // sessions hold only completed writes). The reader's own session counts too.
            let Some(w) = self.order.last_write_before(self.history, d, op.key, limit) else {
                continue;
            };
            if let Some((why, path)) = self.misses(r, w) {
                let lines = prior_write_story(self.history, w, later, r, &why);
                let ops = [w, later, r1, r];
                return Some(violation(self.history, self.sources, lines, path, ops));
            }
        }
        None
    }

    fn prior_read_missed(&self, r: OpIndex, observed: &Observed) -> Option<Violation> {
        let op = &self.history.ops[r];
        for (&d, &(limit, written, r1)) in observed {
            let Some(list) = self.prefix.get(&(d, op.key)) else {
                continue;
            };
            let before = list.partition_point(|(seq, _)| *seq < limit);
            let Some((_, max)) = before.checked_sub(1).and_then(|i| list.get(i)) else {
                continue;
            };
            if let Some((w, why, path)) = self.misses_any(r, max) {
                let lines = prior_read_story(self.history, w, written, r, &why);
                let ops = [w, written, r1, r]
                    .into_iter()
                    .chain(self.reader(d, limit, w));
                return Some(violation(self.history, self.sources, lines, path, ops));
            }
        }
        None
    }
}

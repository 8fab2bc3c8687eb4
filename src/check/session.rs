//! Session guarantees (Terry, Demers, Petersen, Spreitzer, Theimer and Welch, 1994), judged per client
//! from the history alone.
//!
//! Each guarantee names writes a read must not miss:
//!
//! | guarantee | a read by client `c` must not miss … |
//! |---|---|
//! | read-your-writes | `c`'s own earlier completed writes to the key |
//! | monotonic reads | the writes `c`'s earlier reads of the key returned |
//! | monotonic writes | for each write `w2` that `c` read earlier, the completed writes to the key that `w2`'s client made before `w2` |
//! | writes-follow-reads | for each write `w2` that `c` read earlier, the writes to the key that `w2`'s client had read before making `w2` |
//!
//! A read *misses* a write `w` when it returns the initial value, or a write `x` (another than `w`) that
//! is causally before `w` — older than `w` in any order of writes that respects causality. Causal order
//! is program order ∪ reads-from ([`super::order`]), so the checks need each read's source: a read of a
//! value written more than once, or by nobody, is not judged here (the causal checker reports those).
//! A write that never returned may not have taken effect, so it is never required to be seen.

use std::collections::BTreeMap;

use super::history::{CheckHistory, OpIndex};
use super::order::{sources, CausalOrder, Source};
use super::Verdict;

/// The four verdicts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionVerdicts {
    pub read_your_writes: Verdict,
    pub monotonic_reads: Verdict,
    pub monotonic_writes: Verdict,
    pub writes_follow_reads: Verdict,
}

/// Checks all four guarantees.
pub fn check(history: &CheckHistory) -> SessionVerdicts {
    let sources = sources(history);
    let order = match CausalOrder::build(history, &sources) {
        Ok(order) => order,
        Err(err) => {
            let reason = err.too_large_reason().unwrap_or_else(|| {
                "causal order has a cycle (see the causal verdict), so older and newer writes are undefined".to_string()
            });
            return SessionVerdicts {
                read_your_writes: Verdict::unknown(reason.clone()),
                monotonic_reads: Verdict::unknown(reason.clone()),
                monotonic_writes: Verdict::unknown(reason.clone()),
                writes_follow_reads: Verdict::unknown(reason),
            };
        }
    };
    let unjudged = sources
        .iter()
        .position(|s| matches!(s, Source::Ambiguous | Source::Nowhere));
    let checker = Checker {
        history,
        sources: &sources,
        order: &order,
        prefix: reads_prefix(history, &sources, &order),
    };
    let settle = |verdict: Verdict| {
        match (verdict.ok, unjudged) {
        // A read whose source is unknown was skipped: "holds" cannot be claimed.
        (Some(true), Some(r)) => Verdict::unknown(format!(
            "{} returned a value written more than once, or never, so which write it saw is unknown",
            history.describe(r)
        )),
        _ => verdict,
    }
    };
    SessionVerdicts {
        read_your_writes: settle(
            checker.first_violation("read-your-writes violation", |r, _| {
                checker.own_write_missed(r)
            }),
        ),
        monotonic_reads: settle(
            checker.first_violation("monotonic-reads violation", |r, _| {
                checker.earlier_read_missed(r)
            }),
        ),
        monotonic_writes: settle(
            checker.first_violation("monotonic-writes violation", |r, observed| {
                checker.prior_write_missed(r, observed)
            }),
        ),
        writes_follow_reads: settle(
            checker.first_violation("writes-follow-reads violation", |r, observed| {
                checker.prior_read_missed(r, observed)
            }),
        ),
    }
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
/// order, each with the running maximum of the strict clocks of the writes read so far.
type ReadsPrefix = BTreeMap<(u32, u32), Vec<(u32, ClockMax)>>;

fn reads_prefix(history: &CheckHistory, sources: &[Source], order: &CausalOrder) -> ReadsPrefix {
    let mut prefix: ReadsPrefix = BTreeMap::new();
    for session in &history.sessions {
        for &r in session {
            let Source::Write(w) = sources[r] else {
                continue;
            };
            let op = &history.ops[r];
            let list = prefix.entry((op.session, op.key)).or_default();
            let mut max = match list.last() {
                Some((_, max)) => max.clone(),
                None => ClockMax::new(w),
            };
            max.absorb(strict_clock(history, order, w), w);
            list.push((op.seq, max));
        }
    }
    prefix
}

struct Checker<'a> {
    history: &'a CheckHistory,
    sources: &'a [Source],
    order: &'a CausalOrder,
    prefix: ReadsPrefix,
}

impl Checker<'_> {
    /// Scans every session in program order, keeping for each other session the highest position of
    /// its writes this session has read so far; returns the first read for which `missed` finds a
    /// write it should have seen.
    fn first_violation(
        &self,
        anomaly: &str,
        missed: impl Fn(OpIndex, &BTreeMap<u32, u32>) -> Option<Vec<String>>,
    ) -> Verdict {
        for session in &self.history.sessions {
            let mut observed: BTreeMap<u32, u32> = BTreeMap::new();
            for &r in session {
                if !self.history.ops[r].is_read() {
                    continue;
                }
                if let Some(witness) = missed(r, &observed) {
                    return Verdict::broken(anomaly, witness);
                }
                // A write that never returned is alone in its session: nothing of that session
                // came before it, so it adds nothing to look for (and thousands of them must not
                // make every later read scan thousands of empty sessions).
                if let Source::Write(w) = self.sources[r] {
                    let writer = &self.history.ops[w];
                    if writer.completed() {
                        let seq = observed.entry(writer.session).or_insert(0);
                        *seq = (*seq).max(writer.seq + 1);
                    }
                }
            }
        }
        Verdict::holds()
    }

    /// Whether read `r` misses write `w`; if so, why, in words.
    fn misses(&self, r: OpIndex, w: OpIndex) -> Option<String> {
        match self.sources[r] {
            Source::Initial => Some("it read the initial value".to_string()),
            Source::Write(x) if x != w && self.order.before(self.history, x, w) => Some(format!(
                "it read {}, which is older",
                self.history.describe(x)
            )),
            _ => None,
        }
    }

    /// Whether `r` misses any write of a set whose strict clocks' maximum is `max`; returns the write.
    fn misses_any(&self, r: OpIndex, max: &ClockMax) -> Option<(OpIndex, String)> {
        match self.sources[r] {
            Source::Initial => Some((max.any, "it read the initial value".to_string())),
            Source::Write(x) => max.later_than(self.history, self.order, x).map(|w| {
                (
                    w,
                    format!("it read {}, which is older", self.history.describe(x)),
                )
            }),
            _ => None,
        }
    }

    fn own_write_missed(&self, r: OpIndex) -> Option<Vec<String>> {
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
        let why = self.misses(r, w)?;
        Some(vec![
            self.history.describe(w),
            format!("then {} did not see it: {why}", self.history.describe(r)),
        ])
    }

    fn earlier_read_missed(&self, r: OpIndex) -> Option<Vec<String>> {
        let op = &self.history.ops[r];
        let list = self.prefix.get(&(op.session, op.key))?;
        let before = list.partition_point(|(seq, _)| *seq < op.seq);
        let (_, max) = list.get(before.checked_sub(1)?)?;
        let (w, why) = self.misses_any(r, max)?;
        let earlier = self.history.sessions[op.session as usize][..op.seq as usize]
            .iter()
            .copied()
            .find(|&e| self.sources[e] == Source::Write(w))
            .unwrap_or(r);
        Some(vec![
            self.history.describe(earlier),
            format!("then {} went back: {why}", self.history.describe(r)),
        ])
    }

    fn prior_write_missed(&self, r: OpIndex, observed: &BTreeMap<u32, u32>) -> Option<Vec<String>> {
        let op = &self.history.ops[r];
        for (&d, &count) in observed {
            if d == op.session {
                continue;
            }
            // The writes of session d before the last one read (position count - 1).
            let limit = count - 1;
            let mut candidate = self.order.last_write_before(self.history, d, op.key, limit);
            while let Some(w) = candidate {
                if self.history.ops[w].completed() {
                    break;
                }
                candidate =
                    self.order
                        .last_write_before(self.history, d, op.key, self.history.ops[w].seq);
            }
            let Some(w) = candidate else { continue };
            if let Some(why) = self.misses(r, w) {
                let later = self.history.sessions[d as usize][limit as usize];
                return Some(vec![
                    format!(
                        "{} wrote {}",
                        self.history.ops[w].client,
                        self.history.describe(w)
                    ),
                    format!("and later {}", self.history.describe(later)),
                    format!(
                        "{} read the later write, but then {} did not see the earlier one: {why}",
                        op.client,
                        self.history.describe(r)
                    ),
                ]);
            }
        }
        None
    }

    fn prior_read_missed(&self, r: OpIndex, observed: &BTreeMap<u32, u32>) -> Option<Vec<String>> {
        let op = &self.history.ops[r];
        for (&d, &count) in observed {
            let limit = count - 1;
            let Some(list) = self.prefix.get(&(d, op.key)) else {
                continue;
            };
            let before = list.partition_point(|(seq, _)| *seq < limit);
            let Some((_, max)) = before.checked_sub(1).and_then(|i| list.get(i)) else {
                continue;
            };
            if let Some((w, why)) = self.misses_any(r, max) {
                let written = self.history.sessions[d as usize][limit as usize];
                return Some(vec![
                    format!(
                        "{} had seen {}",
                        self.history.ops[written].client,
                        self.history.describe(w)
                    ),
                    format!("before {}", self.history.describe(written)),
                    format!(
                        "{} read that write, but then {} did not see the first: {why}",
                        op.client,
                        self.history.describe(r)
                    ),
                ]);
            }
        }
        None
    }
}

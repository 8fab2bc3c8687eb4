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
use std::rc::Rc;

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

impl SessionVerdicts {
    /// All four unknown, for one reason.
    fn unknown(reason: String) -> Self {
        SessionVerdicts {
            read_your_writes: Verdict::unknown(reason.clone()),
            monotonic_reads: Verdict::unknown(reason.clone()),
            monotonic_writes: Verdict::unknown(reason.clone()),
            writes_follow_reads: Verdict::unknown(reason),
        }
    }
}

/// Checks all four guarantees.
pub fn check(history: &CheckHistory) -> SessionVerdicts {
    let sources = sources(history);
    let order = match CausalOrder::build(history, &sources) {
        Ok(order) => order,
        Err(err) => {
            return SessionVerdicts::unknown(err.too_large_reason().unwrap_or_else(|| {
                "causal order has a cycle (see the causal verdict), so older and newer writes are undefined".to_string()
            }));
        }
    };
    let unjudged = sources
        .iter()
        .position(|s| matches!(s, Source::Ambiguous | Source::Nowhere));
    let checker = Checker {
        history,
        sources: &sources,
        order: &order,
        prefix: match reads_prefix(history, &sources, &order) {
            Ok(prefix) => prefix,
            Err(reason) => return SessionVerdicts::unknown(reason),
        },
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
                    if entries > MAX_PREFIX_ENTRIES {
                        return Err(format!(
                            "what each client had seen needs more than {MAX_PREFIX_ENTRIES} clock entries (kvsim's 1 GiB budget for it)"
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
/// before the latest write read (a position limit), and that write.
type Observed = BTreeMap<u32, (u32, OpIndex)>;

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
        missed: impl Fn(OpIndex, &Observed) -> Option<Vec<String>>,
    ) -> Verdict {
        for session in &self.history.sessions {
            let mut observed = Observed::new();
            for &r in session {
                if !self.history.ops[r].is_read() {
                    continue;
                }
                if let Some(witness) = missed(r, &observed) {
                    return Verdict::broken(anomaly, witness);
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
                        let entry = observed.entry(d).or_insert((limit, w));
                        if limit > entry.0 {
                            *entry = (limit, w);
                        }
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

    fn prior_write_missed(&self, r: OpIndex, observed: &Observed) -> Option<Vec<String>> {
        let op = &self.history.ops[r];
        for (&d, &(limit, later)) in observed {
            if d == op.session {
                continue;
            }
            // The last write of client session d to the key before the write read (client
            // sessions hold only completed writes).
            let Some(w) = self.order.last_write_before(self.history, d, op.key, limit) else {
                continue;
            };
            if let Some(why) = self.misses(r, w) {
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

    fn prior_read_missed(&self, r: OpIndex, observed: &Observed) -> Option<Vec<String>> {
        let op = &self.history.ops[r];
        for (&d, &(limit, written)) in observed {
            let Some(list) = self.prefix.get(&(d, op.key)) else {
                continue;
            };
            let before = list.partition_point(|(seq, _)| *seq < limit);
            let Some((_, max)) = before.checked_sub(1).and_then(|i| list.get(i)) else {
                continue;
            };
            if let Some((w, why)) = self.misses_any(r, max) {
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

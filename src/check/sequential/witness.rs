//! The witness of a broken sequential verdict: a minimal set of operations that, checked alone, has
//! no sequential order — shrunk by deletion, like a minimal unsatisfiable core — and why, in words.
//!
//! Shrinking has two steps:
//!
//! 1. The earliest *prefix* that is already broken. A prefix is everything invoked up to some time,
//!    closed under program order and under "a read needs the writes of its value". Any such closed
//!    part of a sequentially consistent history is sequentially consistent (restrict the order to
//!    it), so being broken only grows with time, and a binary search over times finds the first.
//! 2. Delta debugging on that prefix: drop chunks, then single operations, keeping a drop whenever
//!    what is left is still broken. Dropping a write drops the reads of its value with it (a read
//!    of a value nobody wrote is broken for a trivial reason, which would prove nothing). The result
//!    is 1-minimal: no single operation can be dropped.
//!
//! The words come from deciding the small set once more: saturation usually ends in a cycle of
//! "must come before" facts, each with its reason, which is the explanation.

use super::graph::{Edge, Reason};
use super::{decide, opposite_orders, Decision, Order, Proof};
use crate::check::glossary;
use crate::check::history::{CheckHistory, OpIndex, Role};
use crate::check::lost_update::{lost_append, lost_update};
use crate::check::{budget, Verdict};

/// How many sub-histories shrinking may decide before it stops where it is.
pub const MAX_SHRINK_CHECKS: usize = 2_000;

/// The verdict for a part already decided broken.
pub(super) fn broken(history: &CheckHistory, order: Order) -> Verdict {
    let mut shrink = Shrink {
        history,
        order,
        undecided: false,
        checks: 0,
    };
    let prefix = shrink.first_broken_prefix();
    let core = shrink.minimize(prefix);
    let complete = shrink.checks <= budget::scaled_size(MAX_SHRINK_CHECKS) && !shrink.undecided;
    describe(history, &core, complete, order)
}

struct Shrink<'a> {
    history: &'a CheckHistory,
    order: Order,
    /// Whether some smaller history could not be decided (kept as not broken, so the witness may
    /// not be minimal).
    undecided: bool,
    checks: usize,
}

impl Shrink<'_> {
    /// Whether the operations `ops` alone are decided broken. Past the budget, nothing more is.
    fn broken(&mut self, ops: &[OpIndex]) -> bool {
        if self.checks >= budget::scaled_size(MAX_SHRINK_CHECKS) {
            self.checks += 1;
            return false;
        }
        self.checks += 1;
        match decide(&self.history.sub_history(ops), self.order) {
            Decision::Broken(_) => true,
            Decision::Holds => false,
            Decision::Unknown(_) => {
                self.undecided = true;
                false
            }
        }
    }

    /// The operations invoked up to `until`, closed under program order and the writes reads need.
    fn prefix(&self, until: u64) -> Vec<OpIndex> {
        let h = self.history;
        let mut keep = vec![false; h.ops.len()];
        let mut todo: Vec<OpIndex> = (0..h.ops.len())
            .filter(|&i| h.ops[i].invoked_at <= until)
            .collect();
        while let Some(i) = todo.pop() {
            if keep[i] {
                continue;
            }
            keep[i] = true;
            let op = &h.ops[i];
            let session = &h.sessions[op.session as usize];
            todo.extend(session[..op.seq as usize].iter().copied());
            todo.extend(op.after);
            let read = match (op.role, op.cas) {
                (Role::Read, _) => op.value,
                (Role::Update, Some(cas)) => cas.expected,
                _ => None,
            };
            if let Some(value) = read {
                todo.extend(h.writers(op.key, value).iter().copied());
            }
        }
        (0..h.ops.len()).filter(|&i| keep[i]).collect()
    }

    /// The smallest prefix decided broken (the whole part when none smaller is).
    fn first_broken_prefix(&mut self) -> Vec<OpIndex> {
        let mut times: Vec<u64> = self.history.ops.iter().map(|op| op.invoked_at).collect();
        times.sort_unstable();
        times.dedup();
        let (mut lo, mut hi) = (0, times.len().saturating_sub(1));
        while lo < hi {
            let mid = (lo + hi) / 2;
            let prefix = self.prefix(times[mid]);
            if self.broken(&prefix) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        self.prefix(times.get(lo).copied().unwrap_or(u64::MAX))
    }

    /// `ops` without the reads whose value no remaining operation writes — unless no operation of
    /// the whole history wrote it either (and no append could have): such a read is broken by
    /// itself, and may be the witness.
    fn readable(&self, mut ops: Vec<OpIndex>) -> Vec<OpIndex> {
        // Repeated to a fixed point: dropping a compare-and-set drops a write, which may strand a
        // read.
        loop {
            let before = ops.len();
            ops = self.readable_once(ops);
            if ops.len() == before {
                return ops;
            }
        }
    }

    fn readable_once(&self, ops: Vec<OpIndex>) -> Vec<OpIndex> {
        let h = self.history;
        let mut written = std::collections::BTreeSet::new();
        let mut appended = std::collections::BTreeSet::new();
        for &i in &ops {
            let op = &h.ops[i];
            match (op.role, op.cas, op.value) {
                (Role::Write, _, Some(value)) => {
                    written.insert((op.key, value));
                }
                (Role::Update, Some(cas), _) => {
                    written.insert((op.key, cas.new));
                }
                // What an append made is not known: keep every read of its key.
                (Role::Update, None, _) => {
                    appended.insert(op.key);
                }
                _ => {}
            }
        }
        ops.into_iter()
            .filter(|&i| {
                let op = &h.ops[i];
                // What a read, or a compare-and-set that succeeded, needs to have been written.
                let needs = match (op.is_read(), op.cas) {
                    (true, _) => op.value,
                    (false, Some(cas)) if op.is_update() => cas.expected,
                    _ => return true,
                };
                appended.contains(&op.key)
                    || needs.is_none_or(|v| {
                        written.contains(&(op.key, v))
                            || (h.writers(op.key, v).is_empty() && !h.has_appends())
                    })
            })
            .collect()
    }

    /// Delta debugging (Zeller and Hildebrandt's ddmin) down to a 1-minimal broken set.
    fn minimize(&mut self, mut ops: Vec<OpIndex>) -> Vec<OpIndex> {
        let mut chunks = 2;
        while ops.len() >= 2 {
            let size = ops.len().div_ceil(chunks);
            let mut dropped = false;
            for start in (0..ops.len()).step_by(size) {
                let rest: Vec<OpIndex> = ops[..start]
                    .iter()
                    .chain(ops.get(start + size..).unwrap_or(&[]))
                    .copied()
                    .collect();
                let rest = self.readable(rest);
                if self.broken(&rest) {
                    ops = rest;
                    chunks = (chunks - 1).max(2);
                    dropped = true;
                    break;
                }
            }
            if dropped {
                continue;
            }
            if size == 1 || self.checks > budget::scaled_size(MAX_SHRINK_CHECKS) {
                break;
            }
            chunks = (chunks * 2).min(ops.len());
        }
        ops
    }
}

/// The witness of the broken set `core`.
fn describe(history: &CheckHistory, core: &[OpIndex], complete: bool, order: Order) -> Verdict {
    let part = history.sub_history(core);
    let mut lines = Vec::new();
    let mut anomaly;
    // The patterns of reads and writes know nothing of updates: a lost update has its own words.
    let lost = lost_update(&part)
        .or_else(|| lost_append(&part, false))
        .filter(|_| order == Order::Program);
    let classic = match order {
        Order::Program if !part.has_updates() => opposite_orders(&part),
        _ => None,
    };
    if let Some((verdict, _)) = lost {
        anomaly = glossary::LOST_UPDATE;
        lines = verdict.witness;
    } else if let Some(classic) = classic {
        anomaly = glossary::WRITES_IN_DIFFERENT_ORDERS;
        lines = classic;
    } else {
        anomaly = match order {
            Order::Program => glossary::NO_SEQUENTIAL_ORDER,
            Order::RealTime => glossary::REAL_TIME_VIOLATION,
        };
        // Name the operations A, B, … in the order the history gives them.
        let mut names: Vec<OpIndex> = (0..part.ops.len()).collect();
        names.sort_by_key(|&i| part.ops[i].origin);
        let label = |i: OpIndex| {
            let k = names.iter().position(|&x| x == i).unwrap_or(0);
            letter(k)
        };
        lines.push(format!(
            "no order of these {} operations keeps {} and gives every read its value:",
            part.ops.len(),
            match order {
                Order::Program => "each client's order",
                Order::RealTime => "real time (and each client's order)",
            }
        ));
        for &i in &names {
            lines.push(format!("  {} = {}", label(i), part.describe(i)));
        }
        match decide(&part, order) {
            Decision::Broken(Some(proof)) => {
                let mut facts = Facts {
                    part: &part,
                    proof: &proof,
                    label: &label,
                    known: Vec::new(),
                    first: Vec::new(),
                };
                let cycle: Vec<String> = proof.cycle.iter().map(|&e| facts.fact(e)).collect();
                let then = if facts.first.is_empty() {
                    ""
                } else {
                    lines.push("first, from program order and reads-from:".to_string());
                    lines.extend(facts.first.iter().map(|f| format!("  {f}")));
                    "then "
                };
                lines.push(format!(
                    "{then}each must come before the next, round to the first:"
                ));
                if let ([(a, b, _), (c, d, _)], Order::Program) = (&proof.cycle[..], order) {
                    let write = |i: OpIndex| part.ops[i].is_write();
                    if (a, b) == (d, c) && write(*a) && write(*b) {
                        anomaly = glossary::WRITES_IN_DIFFERENT_ORDERS;
                    }
                }
                lines.extend(cycle.iter().map(|f| format!("  {f}")));
            }
            _ => {
                let nowhere = (0..part.ops.len()).find(|&i| {
                    let op = &part.ops[i];
                    op.is_read()
                        && !part.has_appends()
                        && op.value.is_some_and(|v| part.writers(op.key, v).is_empty())
                });
                lines.push(match nowhere {
                    Some(i) => format!("{} read a value that no operation wrote", label(i)),
                    None if part.has_updates() => "whichever order the writes and updates to a key take, some read or update finds a value that is not the last one written"
                        .to_string(),
                    None => "whichever order the writes to a key take, some read returns a value that is not the last one written"
                        .to_string(),
                });
            }
        }
    }
    if !complete {
        lines.push(format!(
            "(shrinking stopped after deciding {MAX_SHRINK_CHECKS} smaller histories, or met one it could not decide; a smaller witness may exist)"
        ));
    }
    Verdict::broken_by(anomaly, lines, history, core.iter().copied())
}

/// The facts of a proof, in words: each derived fact rests on a path of earlier ones, which are
/// stated first (once each).
struct Facts<'a> {
    part: &'a CheckHistory,
    proof: &'a Proof,
    label: &'a dyn Fn(OpIndex) -> String,
    known: Vec<(OpIndex, OpIndex)>,
    first: Vec<String>,
}

impl Facts<'_> {
    /// `a → b` in words; the derived facts its reason rests on go to `first`.
    fn fact(&mut self, (a, b, reason): Edge) -> String {
        let (la, lb) = ((self.label)(a), (self.label)(b));
        let round = self.proof.graph.round_of(a, b, reason);
        match reason {
            Reason::Program => format!(
                "{la} before {lb}: {} did {la} first",
                self.part.ops[a].client
            ),
            Reason::ReadsFrom => format!("{la} before {lb}: {lb} read what {la} wrote"),
            Reason::RealTime => format!(
                "{la} before {lb}: {la} returned at t={}, before {lb} was invoked at t={}",
                self.part.ops[a].returned_at.unwrap_or_default(),
                self.part.ops[b].invoked_at
            ),
            Reason::Initial => format!(
                "{la} before {lb}: {la} read the initial value of {}",
                self.part.key_name(self.part.ops[b].key)
            ),
            Reason::NotOverwritten { write } => {
                let path = self.path(write, b, round);
                format!(
                    "{la} before {lb}: {la} read {}, and {path}, so {lb} cannot come between them",
                    (self.label)(write)
                )
            }
            Reason::Overwritten { reader } => {
                let path = self.path(a, reader, round);
                format!(
                    "{la} before {lb}: {path}, and {} read {lb}, so {la} cannot come between them",
                    (self.label)(reader)
                )
            }
        }
    }

    /// "X comes before Y (X → … → Y)" over facts older than `round`, stating the derived ones first.
    fn path(&mut self, from: OpIndex, to: OpIndex, round: u32) -> String {
        let steps = self.proof.graph.path(from, to, round).unwrap_or_default();
        let mut names = vec![(self.label)(from)];
        for &(u, v, reason) in &steps {
            names.push((self.label)(v));
            let derived = matches!(
                reason,
                Reason::NotOverwritten { .. } | Reason::Overwritten { .. }
            );
            if derived && !self.known.contains(&(u, v)) {
                self.known.push((u, v));
                let stated = self.fact((u, v, reason));
                self.first.push(stated);
            }
        }
        let (lf, lt) = ((self.label)(from), (self.label)(to));
        if steps.len() <= 1 {
            format!("{lf} comes before {lt}")
        } else {
            format!("{lf} comes before {lt} ({})", names.join(" → "))
        }
    }
}

/// `A` … `Z`, then `A1` … (witnesses are small; the names only need to be distinct).
fn letter(k: usize) -> String {
    let c = (b'A' + (k % 26) as u8) as char;
    if k < 26 {
        c.to_string()
    } else {
        format!("{c}{}", k / 26)
    }
}

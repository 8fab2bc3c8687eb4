//! Saturation: the orders any sequential witness must contain, inferred before searching for one.
//!
//! Start from program order ∪ reads-from. Then, for each read `r` of a write `w` and each other write
//! `w'` to the same key, one of two things must hold in a sequential order: `w'` comes before `w`, or
//! after `r` (otherwise `r` would return `w'`). When the order so far already puts `w'` before `r`, it
//! must come before `w`; when it puts `w` before `w'`, `w'` must come after `r`. Adding those edges can
//! force more; repeat until nothing changes. A cycle means no sequential order exists. Otherwise the
//! search only ever schedules an operation after everything saturation put before it, which prunes
//! most wrong turns (the idea of Biswas and Enea's saturation-based checkers).
//!
//! The order is kept as a transitive closure in bitsets, so this is quadratic in memory: it is only
//! used for histories up to [`MAX_OPS`] operations.

use super::history::{CheckHistory, OpIndex};
use super::order::Source;

/// The largest history saturated (its bitsets take `MAX_OPS² / 8` bytes: 125 kB).
pub const MAX_OPS: usize = 1_000;

/// The saturated order, as what the search needs of it: for each operation and session, one more than
/// the position of the session's last operation that must come before it (0: none).
pub struct Saturated {
    sessions: usize,
    before: Vec<u32>,
}

impl Saturated {
    /// Whether everything that must precede `op` is done, given each session's position.
    pub fn ready(&self, op: OpIndex, positions: &[u32]) -> bool {
        let needs = &self.before[op * self.sessions..(op + 1) * self.sessions];
        needs.iter().zip(positions).all(|(&need, &at)| need <= at)
    }
}

struct Closure {
    /// `after[u]`: the set of operations that must come after `u`.
    after: Vec<Vec<u64>>,
}

impl Closure {
    fn has(&self, a: OpIndex, b: OpIndex) -> bool {
        self.after[a][b / 64] & (1 << (b % 64)) != 0
    }

    /// Adds `a` before `b` and closes transitively. Returns false when that makes a cycle.
    fn add(&mut self, a: OpIndex, b: OpIndex) -> bool {
        if a == b || self.has(b, a) {
            return false;
        }
        if self.has(a, b) {
            return true;
        }
        let mut reach = self.after[b].clone();
        reach[b / 64] |= 1 << (b % 64);
        // Everything at or before `a` now comes before everything at or after `b`. No cycle can
        // appear: `b` did not reach `a`, so nothing after `b` is at or before `a`.
        for u in 0..self.after.len() {
            if u == a || self.has(u, a) {
                for (mine, add) in self.after[u].iter_mut().zip(&reach) {
                    *mine |= add;
                }
            }
        }
        true
    }
}

/// Saturates the order; `None` when it has a cycle, so no sequential order exists. Reads with no single
/// source contribute nothing. Writes that never returned are left out of the forced edges (they may
/// not have happened).
pub fn saturate(history: &CheckHistory, sources: &[Source]) -> Option<Saturated> {
    let n = history.ops.len();
    let words = n.div_ceil(64);
    let mut closure = Closure {
        after: vec![vec![0; words]; n],
    };
    for session in &history.sessions {
        for pair in session.windows(2) {
            if !closure.add(pair[0], pair[1]) {
                return None;
            }
        }
    }
    for (r, source) in sources.iter().enumerate() {
        if let Source::Write(w) = source {
            if !closure.add(*w, r) {
                return None;
            }
        }
        if let Some(before) = history.ops[r].after {
            if !closure.add(before, r) {
                return None;
            }
        }
    }
    let mut writes_of_key: Vec<Vec<OpIndex>> = vec![Vec::new(); history.key_count()];
    for (i, op) in history.ops.iter().enumerate() {
        if op.is_write() && op.completed() {
            writes_of_key[op.key as usize].push(i);
        }
    }
    let mut changed = true;
    while changed {
        changed = false;
        for (r, source) in sources.iter().enumerate() {
            let key = history.ops[r].key as usize;
            match *source {
                Source::Write(w) => {
                    for &other in &writes_of_key[key] {
                        if other == w {
                            continue;
                        }
                        if closure.has(other, r) && !closure.has(other, w) {
                            if !closure.add(other, w) {
                                return None;
                            }
                            changed = true;
                        }
                        if closure.has(w, other) && !closure.has(r, other) {
                            if !closure.add(r, other) {
                                return None;
                            }
                            changed = true;
                        }
                    }
                }
                Source::Initial => {
                    for &other in &writes_of_key[key] {
                        if !closure.has(r, other) {
                            if !closure.add(r, other) {
                                return None;
                            }
                            changed = true;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let sessions = history.sessions.len();
    let mut before = vec![0u32; n * sessions];
    for u in 0..n {
        let op = &history.ops[u];
        for (word, bits) in closure.after[u].iter().enumerate() {
            let mut bits = *bits;
            while bits != 0 {
                let v = word * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let need = &mut before[v * sessions + op.session as usize];
                *need = (*need).max(op.seq + 1);
            }
        }
    }
    Some(Saturated { sessions, before })
}

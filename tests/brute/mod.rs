//! Brute-force checkers: the definitions, applied literally by enumerating orders. Exponential, so
//! only for the handful of operations of a property test; the real checkers must agree with them.

use kvsim::check::order::{sources, Source};
use kvsim::check::{CheckHistory, OpIndex};

/// Calls `visit` with every permutation of `items` (Heap's algorithm); stops when it returns true.
fn any_permutation(items: &mut Vec<OpIndex>, visit: &mut dyn FnMut(&[OpIndex]) -> bool) -> bool {
    fn go(k: usize, items: &mut Vec<OpIndex>, visit: &mut dyn FnMut(&[OpIndex]) -> bool) -> bool {
        if k <= 1 {
            return visit(items);
        }
        for i in 0..k {
            if go(k - 1, items, visit) {
                return true;
            }
            let j = if k.is_multiple_of(2) { i } else { 0 };
            items.swap(j, k - 1);
        }
        false
    }
    let len = items.len();
    go(len, items, visit)
}

/// Every subset of the pending writes, as a mask over `pending`.
fn subsets(pending: usize) -> impl Iterator<Item = u32> {
    0..(1u32 << pending)
}

/// Whether `order` gives every read the value of the last write to its key before it.
fn legal(h: &CheckHistory, order: &[OpIndex]) -> bool {
    let mut store = vec![None; h.key_count()];
    for &i in order {
        let op = &h.ops[i];
        if op.is_write() {
            store[op.key as usize] = op.value;
        } else if store[op.key as usize] != op.value {
            return false;
        }
    }
    true
}

/// Program order: `a` before `b` among one client's operations — except that nothing need follow a
/// write that never returned (it may have taken effect at any time after it was invoked, or never).
fn po(h: &CheckHistory, a: OpIndex, b: OpIndex) -> bool {
    let (x, y) = (&h.ops[a], &h.ops[b]);
    (x.session == y.session && x.seq < y.seq) || y.after == Some(a)
}

fn respects(order: &[OpIndex], before: impl Fn(OpIndex, OpIndex) -> bool) -> bool {
    for (i, &a) in order.iter().enumerate() {
        for &b in &order[..i] {
            if before(a, b) {
                return false;
            }
        }
    }
    true
}

/// Some subset of the pending writes plus every completed operation, in some order, satisfies `ok`.
fn exists_order(h: &CheckHistory, ok: &dyn Fn(&[OpIndex]) -> bool) -> bool {
    let pending: Vec<OpIndex> = (0..h.ops.len())
        .filter(|&i| !h.ops[i].completed())
        .collect();
    for mask in subsets(pending.len()) {
        let mut items: Vec<OpIndex> = (0..h.ops.len())
            .filter(|&i| {
                h.ops[i].completed()
                    || pending
                        .iter()
                        .position(|&p| p == i)
                        .is_some_and(|k| mask & (1 << k) != 0)
            })
            .collect();
        if any_permutation(&mut items, &mut |order| ok(order)) {
            return true;
        }
    }
    false
}

pub fn linearizable(h: &CheckHistory) -> bool {
    let real_time = |a: OpIndex, b: OpIndex| {
        h.ops[a]
            .returned_at
            .is_some_and(|t| t < h.ops[b].invoked_at)
    };
    exists_order(h, &|order| {
        respects(order, |a, b| po(h, a, b) || real_time(a, b)) && legal(h, order)
    })
}

pub fn sequential(h: &CheckHistory) -> bool {
    exists_order(h, &|order| {
        respects(order, |a, b| po(h, a, b)) && legal(h, order)
    })
}

/// CO = (po ∪ rf)⁺ by Floyd–Warshall. A write that never returned is in no program order but comes
/// causally after what its client did before it. `None` when CO is cyclic.
fn causal_order(h: &CheckHistory) -> Option<Vec<Vec<bool>>> {
    let n = h.ops.len();
    let src = sources(h);
    let direct = |a: OpIndex, b: OpIndex| {
        let (x, y) = (&h.ops[a], &h.ops[b]);
        (x.session == y.session && x.seq < y.seq)
            || src[b] == Source::Write(a)
            || y.after == Some(a)
    };
    let mut co: Vec<Vec<bool>> = (0..n)
        .map(|a| (0..n).map(|b| direct(a, b)).collect())
        .collect();
    // Floyd–Warshall on booleans; indices read more plainly than iterators here.
    #[allow(clippy::needless_range_loop)]
    for k in 0..n {
        for a in 0..n {
            for b in 0..n {
                if co[a][k] && co[k][b] {
                    co[a][b] = true;
                }
            }
        }
    }
    (0..n).all(|a| !co[a][a]).then_some(co)
}

/// CC: every read has a serialization of its causal past's writes, consistent with CO, in which it
/// returns the last write to its key.
pub fn causal(h: &CheckHistory) -> bool {
    if sources(h).contains(&Source::Nowhere) {
        return false;
    }
    let Some(co) = causal_order(h) else {
        return false;
    };
    (0..h.ops.len()).filter(|&r| h.ops[r].is_read()).all(|r| {
        let mut items: Vec<OpIndex> = (0..h.ops.len())
            .filter(|&w| h.ops[w].is_write() && co[w][r])
            .collect();
        items.push(r);
        any_permutation(&mut items, &mut |order| {
            respects(order, |a, b| co[a][b]) && legal(h, order)
        })
    })
}

/// CCv: one order of all writes, consistent with CO, such that every read returns the last write to
/// its key, in that order, among the writes causally before it.
pub fn causal_convergence(h: &CheckHistory) -> bool {
    if !causal(h) {
        return false;
    }
    let Some(co) = causal_order(h) else {
        return false;
    };
    let mut writes: Vec<OpIndex> = (0..h.ops.len()).filter(|&w| h.ops[w].is_write()).collect();
    any_permutation(&mut writes, &mut |arb| {
        respects(arb, |a, b| co[a][b])
            && (0..h.ops.len()).filter(|&r| h.ops[r].is_read()).all(|r| {
                let last = arb
                    .iter()
                    .rev()
                    .find(|&&w| co[w][r] && h.ops[w].key == h.ops[r].key);
                last.map(|&w| h.ops[w].value) == Some(h.ops[r].value)
                    || (last.is_none() && h.ops[r].value.is_none())
            })
    })
}

/// The session guarantees as defined in `kvsim::check::session`, applied naively: returns
/// [read-your-writes, monotonic reads, monotonic writes, writes-follow-reads], each `None` when CO is
/// cyclic (the checker's verdict is then unknown).
pub fn sessions(h: &CheckHistory) -> [Option<bool>; 4] {
    match causal_order(h) {
        None => [None; 4],
        Some(co) => judge_sessions(h, &sources(h), &co, h.ops.len()),
    }
}

fn judge_sessions(
    h: &CheckHistory,
    src: &[Source],
    co: &[Vec<bool>],
    n: usize,
) -> [Option<bool>; 4] {
    let misses = |r: OpIndex, w: OpIndex| match src[r] {
        Source::Initial => true,
        Source::Write(x) => x != w && co[x][w],
        _ => false,
    };
    let before = |a: OpIndex, b: OpIndex| {
        h.ops[a].session == h.ops[b].session && h.ops[a].seq < h.ops[b].seq
    };
    // Program order including writes that never returned: such a write comes after the operation
    // it follows and everything its client did before that.
    let program_before = |a: OpIndex, b: OpIndex| match h.ops[b].after {
        Some(p) if !h.ops[b].completed() => a == p || before(a, p),
        _ => before(a, b),
    };
    let reads: Vec<OpIndex> = (0..n).filter(|&r| h.ops[r].is_read()).collect();
    let same_key = |a: OpIndex, b: OpIndex| h.ops[a].key == h.ops[b].key;
    let mut ryw = true;
    let mut mr = true;
    let mut mw = true;
    let mut wfr = true;
    for &r in &reads {
        for w in 0..n {
            if !h.ops[w].is_write() || !same_key(w, r) {
                continue;
            }
            // Read-your-writes: own completed earlier writes.
            if before(w, r) && h.ops[w].completed() && misses(r, w) {
                ryw = false;
            }
            for &r1 in &reads {
                if !before(r1, r) {
                    continue;
                }
                let Source::Write(w2) = src[r1] else { continue };
                // Monotonic reads: writes read earlier on the same key.
                if w2 == w && misses(r, w) {
                    mr = false;
                }
                // Monotonic writes: w2's session's completed writes before w2.
                if h.ops[w2].client != h.ops[r].client
                    && program_before(w, w2)
                    && h.ops[w].completed()
                    && misses(r, w)
                {
                    mw = false;
                }
                // Writes-follow-reads: writes that w2's session had read before w2.
                for &r0 in &reads {
                    if program_before(r0, w2) && src[r0] == Source::Write(w) && misses(r, w) {
                        wfr = false;
                    }
                }
            }
        }
    }
    [Some(ryw), Some(mr), Some(mw), Some(wfr)]
}

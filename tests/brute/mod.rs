//! Brute-force checkers: the definitions, applied literally by enumerating orders. Exponential, so
//! only for the handful of operations of a property test; the real checkers must agree with them.

use kvsim::check::order::{sources, Source};
use kvsim::check::{CheckHistory, OpIndex};
use kvsim::op::{Key, Op, OpKind, Value};

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

/// Whether `order` gives every read the value of the last write to its key before it: each operation
/// applied to the store as `Op::evaluate` does — a get must answer its value, a put writes, a
/// compare-and-set must succeed (or, one that failed, fail and see its value), an append appends.
fn legal(h: &CheckHistory, order: &[OpIndex]) -> bool {
    let mut store: Vec<Option<Value>> = vec![None; h.key_count()];
    for &i in order {
        let op = &h.ops[i];
        let text = |v: Option<u32>| v.map(|v| h.value_text(v).clone());
        let key: Key = h.key_name(op.key).as_ref().into();
        let current = &mut store[op.key as usize];
        // A compare-and-set split into a read and a write (`CheckHistory::split_updates`) is judged
        // as that read and that write.
        let half = op
            .cas
            .is_some_and(|cas| op.is_write() || op.value == cas.expected);
        let asked = match (op.kind, op.cas) {
            (OpKind::Cas, Some(cas)) if !half => Op::Cas {
                key,
                expected: text(cas.expected),
                new: text(Some(cas.new)).expect("a new value"),
            },
            (OpKind::Append, _) => Op::Append {
                key,
                value: text(op.value).expect("an element"),
            },
            _ if op.is_write() => Op::Put {
                key,
                value: text(op.value).expect("a value"),
            },
            _ => Op::Get { key },
        };
        let effect = asked.evaluate(current.as_ref());
        // A failed compare-and-set answers what it saw; everything else but a get must succeed.
        let answered = match &asked {
            Op::Get { .. } => effect.value == text(op.value),
            Op::Cas { .. } if op.is_read() => !effect.ok && effect.value == text(op.value),
            _ => effect.ok,
        };
        if !answered {
            return false;
        }
        if let Some(write) = effect.write {
            *current = Some(write);
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

/// The session guarantees as defined in `kvsim::check::session`, applied literally: returns
/// [read-your-writes, monotonic reads, monotonic writes, writes-follow-reads]. Every interpretation is
/// enumerated — each read of a value written more than once saw one of those writes; a value nobody
/// wrote came from one phantom write per key and value, which no client made and nothing precedes —
/// and CO is closed by Floyd–Warshall, cycles or not. A write `x` is older than `w` *strictly* when
/// CO has `x` before `w`, *leniently* when also not `w` before `x`. A guarantee is broken (`false`)
/// when every interpretation breaks it leniently, holds when every one keeps it strictly, and is
/// `None` otherwise.
pub fn sessions(h: &CheckHistory) -> [Option<bool>; 4] {
    let n = h.ops.len();
    // Nodes 0..n are the operations, n.. the phantom writes. For each read, the writes it may have
    // read (`None`: the initial value).
    let mut phantoms: Vec<(u32, u32)> = Vec::new();
    let mut choices: Vec<Vec<Option<usize>>> = Vec::new();
    for r in 0..n {
        let op = &h.ops[r];
        let options = match (op.is_read(), op.value) {
            (false, _) => vec![None],
            (true, None) => vec![None],
            (true, Some(v)) => {
                let writers: Vec<Option<usize>> = (0..n)
                    .filter(|&w| {
                        h.ops[w].is_write() && h.ops[w].key == op.key && h.ops[w].value == Some(v)
                    })
                    .map(Some)
                    .collect();
                if writers.is_empty() {
                    let at = match phantoms.iter().position(|&p| p == (op.key, v)) {
                        Some(at) => at,
                        None => {
                            phantoms.push((op.key, v));
                            phantoms.len() - 1
                        }
                    };
                    vec![Some(n + at)]
                } else {
                    writers
                }
            }
        };
        choices.push(options);
    }
    let m = n + phantoms.len();
    let mut pick = vec![0usize; n];
    let mut all_broken = [true; 4];
    let mut all_hold = [true; 4];
    loop {
        let src: Vec<Option<usize>> = (0..n).map(|r| choices[r][pick[r]]).collect();
        let direct = |a: usize, b: usize| {
            b < n && ((a < n && po(h, a, b)) || (h.ops[b].is_read() && src[b] == Some(a)))
        };
        let mut co: Vec<Vec<bool>> = (0..m)
            .map(|a| (0..m).map(|b| direct(a, b)).collect())
            .collect();
        // Floyd–Warshall on booleans; indices read more plainly than iterators here.
        #[allow(clippy::needless_range_loop)]
        for k in 0..m {
            for a in 0..m {
                for b in 0..m {
                    if co[a][k] && co[k][b] {
                        co[a][b] = true;
                    }
                }
            }
        }
        let strict = judge_sessions(h, &phantoms, &src, &|x, w| co[x][w]);
        let lenient = judge_sessions(h, &phantoms, &src, &|x, w| co[x][w] && !co[w][x]);
        for g in 0..4 {
            all_broken[g] &= !lenient[g];
            all_hold[g] &= strict[g];
        }
        // The next interpretation, as an odometer over the reads' choices.
        let mut r = 0;
        while r < n && pick[r] + 1 == choices[r].len() {
            pick[r] = 0;
            r += 1;
        }
        if r == n {
            break;
        }
        pick[r] += 1;
    }
    std::array::from_fn(|g| {
        if all_broken[g] {
            Some(false)
        } else if all_hold[g] {
            Some(true)
        } else {
            None
        }
    })
}

/// Whether each guarantee holds in one interpretation (`src`: each read's source node, `None` for the
/// initial value), with `older(x, w)` saying whether write `x` is older than `w`.
fn judge_sessions(
    h: &CheckHistory,
    phantoms: &[(u32, u32)],
    src: &[Option<usize>],
    older: &dyn Fn(usize, usize) -> bool,
) -> [bool; 4] {
    let n = h.ops.len();
    let m = n + phantoms.len();
    let key = |i: usize| {
        if i < n {
            h.ops[i].key
        } else {
            phantoms[i - n].0
        }
    };
    let is_write = |i: usize| i >= n || h.ops[i].is_write();
    let completed = |i: usize| i < n && h.ops[i].completed();
    let misses = |r: OpIndex, w: usize| match src[r] {
        None => true,
        Some(x) => x != w && older(x, w),
    };
    let before = |a: usize, b: usize| {
        a < n && b < n && h.ops[a].session == h.ops[b].session && h.ops[a].seq < h.ops[b].seq
    };
    // Program order including writes that never returned: such a write comes after the operation
    // it follows and everything its client did before that. Phantoms follow nothing.
    let program_before = |a: usize, b: usize| {
        if a >= n || b >= n {
            return false;
        }
        match h.ops[b].after {
            Some(p) if !h.ops[b].completed() => a == p || before(a, p),
            _ => before(a, b),
        }
    };
    let reads: Vec<OpIndex> = (0..n).filter(|&r| h.ops[r].is_read()).collect();
    let mut ryw = true;
    let mut mr = true;
    let mut mw = true;
    let mut wfr = true;
    for &r in &reads {
        for w in 0..m {
            if !is_write(w) || key(w) != h.ops[r].key {
                continue;
            }
            // Read-your-writes: own completed earlier writes.
            if before(w, r) && completed(w) && misses(r, w) {
                ryw = false;
            }
            for &r1 in &reads {
                if !before(r1, r) {
                    continue;
                }
                let Some(w2) = src[r1] else { continue };
                // Monotonic reads: writes read earlier on the same key.
                if w2 == w && misses(r, w) {
                    mr = false;
                }
                // Monotonic writes: w2's client's completed writes before w2 (the reader's own
                // writes included).
                if program_before(w, w2) && completed(w) && misses(r, w) {
                    mw = false;
                }
                // Writes-follow-reads: writes that w2's client had read before w2.
                for &r0 in &reads {
                    if program_before(r0, w2) && src[r0] == Some(w) && misses(r, w) {
                        wfr = false;
                    }
                }
            }
        }
    }
    [ryw, mr, mw, wfr]
}

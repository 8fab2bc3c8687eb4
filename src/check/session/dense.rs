//! The session guarantees under one interpretation whose causal order has a cycle: reachability as
//! bitsets (quadratic, so only for histories of at most [`MAX_OPS`] operations), each guarantee judged
//! twice — "older" as any causal path (strict) and as a path with none back (lenient).

use std::collections::VecDeque;

use super::super::history::{CheckHistory, OpIndex};
use super::super::order::Source;
use super::super::witness::shortcut;
use super::{
    earlier_read_story, own_write_story, prior_read_story, prior_write_story, program_past,
    violation, Judgement, Violation,
};

/// The largest history judged through a causal cycle (its bitsets take `MAX_OPS² / 8` bytes: 32 kB).
pub const MAX_OPS: usize = 512;

/// The most steps spent judging through cycles over all interpretations of one history (see
/// [`work`]).
pub const MAX_WORK: u64 = 1 << 30;

/// An upper bound on the steps of judging one interpretation: for each read, each earlier read, each
/// operation before the write it read.
pub fn work(history: &CheckHistory) -> u64 {
    (history.ops.len() as u64).pow(3)
}

/// The judgements of the four guarantees.
pub(super) fn judge(history: &CheckHistory, sources: &[Source]) -> [Judgement; 4] {
    let graph = Graph::new(history, sources);
    let strict = scan(history, sources, &graph, |x, w| graph.reaches(x, w));
    let lenient = scan(history, sources, &graph, |x, w| {
        graph.reaches(x, w) && !graph.reaches(w, x)
    });
    let mut lenient = lenient.into_iter();
    strict.map(|strict| Judgement {
        strict,
        lenient: lenient.next().flatten(),
    })
}

/// Direct causal steps (program order, reads-from, a loose write after what preceded it) and
/// which operations each reaches by one or more of them.
struct Graph {
    next: Vec<Vec<OpIndex>>,
    reach: Vec<Vec<u64>>,
}

impl Graph {
    fn new(history: &CheckHistory, sources: &[Source]) -> Self {
        let n = history.ops.len();
        let mut next: Vec<Vec<OpIndex>> = vec![Vec::new(); n];
        for session in &history.sessions {
            for pair in session.windows(2) {
                next[pair[0]].push(pair[1]);
            }
        }
        for (i, op) in history.ops.iter().enumerate() {
            if let Some(before) = op.after {
                next[before].push(i);
            }
            if let Source::Write(w) = sources[i] {
                next[w].push(i);
            }
        }
        let words = n.div_ceil(64);
        let mut reach = vec![vec![0u64; words]; n];
        for (start, bits) in reach.iter_mut().enumerate() {
            let mut queue: VecDeque<OpIndex> = next[start].iter().copied().collect();
            while let Some(op) = queue.pop_front() {
                if bits[op / 64] & (1 << (op % 64)) != 0 {
                    continue;
                }
                bits[op / 64] |= 1 << (op % 64);
                queue.extend(next[op].iter().copied());
            }
        }
        Graph { next, reach }
    }

    /// Whether a causal path of at least one step leads from `a` to `b`.
    fn reaches(&self, a: OpIndex, b: OpIndex) -> bool {
        self.reach[a][b / 64] & (1 << (b % 64)) != 0
    }

    /// A shortest causal path from `from` to `to`, both included (`to` must be reachable).
    fn path(&self, from: OpIndex, to: OpIndex) -> Vec<OpIndex> {
        let mut parent: Vec<Option<OpIndex>> = vec![None; self.next.len()];
        let mut queue = VecDeque::from([from]);
        while let Some(op) = queue.pop_front() {
            if op == to {
                break;
            }
            for &succ in &self.next[op] {
                if succ != from && parent[succ].is_none() {
                    parent[succ] = Some(op);
                    queue.push_back(succ);
                }
            }
        }
        let mut path = vec![to];
        let mut current = to;
        while let Some(p) = parent[current] {
            path.push(p);
            current = p;
        }
        path.reverse();
        path
    }
}

/// The first violation of each guarantee with "older" given by `older`, by the definitions applied
/// directly: for each read, each write it had to see.
fn scan(
    history: &CheckHistory,
    sources: &[Source],
    graph: &Graph,
    older: impl Fn(OpIndex, OpIndex) -> bool,
) -> [Option<Violation>; 4] {
    let misses = |r: OpIndex, w: OpIndex| match sources[r] {
        Source::Initial => Some(("it read the initial value".to_string(), Vec::new())),
        Source::Write(x) if x != w && older(x, w) => Some((
            format!("it read {}, which is older", history.describe(x)),
            shortcut(history, &graph.path(x, w)),
        )),
        _ => None,
    };
    let ops = &history.ops;
    let mut found: [Option<Violation>; 4] = Default::default();
    for session in &history.sessions {
        for (at, &r) in session.iter().enumerate() {
            if !ops[r].is_read() {
                continue;
            }
            let key = ops[r].key;
            let earlier = &session[..at];
            if found[0].is_none() {
                for &w in earlier.iter().rev() {
                    if !(ops[w].is_write() && ops[w].key == key && ops[w].completed()) {
                        continue;
                    }
                    if let Some((why, path)) = misses(r, w) {
                        let lines = own_write_story(history, w, r, &why);
                        found[0] = Some(violation(history, sources, lines, path, [w, r]));
                        break;
                    }
                }
            }
            for &r1 in earlier {
                let Source::Write(w2) = sources[r1] else {
                    continue;
                };
                if found[1].is_none() && ops[w2].key == key {
                    if let Some((why, path)) = misses(r, w2) {
                        let lines = earlier_read_story(history, r1, r, &why);
                        found[1] = Some(violation(history, sources, lines, path, [w2, r1, r]));
                    }
                }
                for &p in program_past(history, w2) {
                    let op = &ops[p];
                    if found[2].is_none() && op.is_write() && op.key == key && op.completed() {
                        if let Some((why, path)) = misses(r, p) {
                            let lines = prior_write_story(history, p, w2, r, &why);
                            let ops = [p, w2, r1, r];
                            found[2] = Some(violation(history, sources, lines, path, ops));
                        }
                    }
                    let Source::Write(w) = sources[p] else {
                        continue;
                    };
                    if found[3].is_none() && ops[w].key == key {
                        if let Some((why, path)) = misses(r, w) {
                            let lines = prior_read_story(history, w, w2, r, &why);
                            let ops = [w, p, w2, r1, r];
                            found[3] = Some(violation(history, sources, lines, path, ops));
                        }
                    }
                }
            }
        }
    }
    found
}

//! The "must come before" graph of a sequential order, with reachability kept as one small clock per
//! operation, so that "must `a` come before `b`?" is one comparison.
//!
//! Nodes are the history's operations. Each client's operations form a *chain* (program order), and
//! every write that never returned but was read forms a chain of its own (a write nobody read may be
//! left out of any order, so it is no node at all). Besides program order, the graph has edges for
//! reads-from and for everything saturation and the solver add, each with its [`Reason`].
//!
//! A chain decomposition makes reachability cheap: from an operation, the reachable operations of
//! one chain are a suffix of it, so a clock holding, per chain, the first reachable position answers
//! every query. Clocks are recomputed in one pass over a topological order, which also finds cycles.
//! Memory is operations × chains; [`MAX_CLOCK_ENTRIES`] bounds it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::Order;
use crate::check::history::{CheckHistory, OpIndex};
use crate::check::order::Source;

/// No position: unreachable, or not a node.
pub(super) const NONE: u32 = u32::MAX;

/// The largest number of clock entries (operations × chains) kept: 2²⁶, 256 MiB.
pub const MAX_CLOCK_ENTRIES: usize = 1 << 26;

/// The most real-time edges (one per operation and chain) made when judging linearizability: 2²²,
/// 64 MiB.
pub const MAX_REAL_TIME_EDGES: usize = 1 << 22;

/// Why `a` must come before `b` in every sequential order (for an edge `a → b`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reason {
    /// The same client did `a` first (or `b` is a write that never returned, issued after `a`).
    Program,
    /// `b` read the value `a` wrote.
    ReadsFrom,
    /// `a` returned before `b` was invoked (only when judging linearizability).
    RealTime,
    /// `a` read the initial value of the key `b` writes.
    Initial,
    /// `a` read `write`, which must come before `b` (a write to the same key): had `b` come before
    /// `a`, `a` would have read `b` or something newer.
    NotOverwritten { write: OpIndex },
    /// `a` (a write) must come before `reader`, which read `b` (to the same key): had `a` come after
    /// `b`, `reader` would have read `a` or something newer.
    Overwritten { reader: OpIndex },
}

/// One edge, as cycles and witnesses report it.
pub(super) type Edge = (OpIndex, OpIndex, Reason);

/// The graph, its chains and its reachability clocks.
pub(super) struct Graph {
    /// Each operation's chain, or [`NONE`] when it is no node.
    pub chain: Vec<u32>,
    /// Each operation's position in its chain.
    pub pos: Vec<u32>,
    /// The operations of each chain, in order.
    pub chains: Vec<Vec<OpIndex>>,
    /// The edges other than program order within a chain, by source.
    pub edges: Vec<Vec<(OpIndex, Reason)>>,
    /// The sources of the edges other than program order, by target.
    sources: Vec<Vec<OpIndex>>,
    /// The saturation round that added each edge (parallel to `edges`; 0: before the first).
    rounds: Vec<Vec<u32>>,
    /// The round edges are being added in now.
    pub round: u32,
    /// Clock entries computed so far (by [`Graph::close`] and [`Graph::insert`]): the work budget's
    /// measure.
    pub work: u64,
    /// `reach[u * width + c]`: the first position of chain `c` that `u` reaches (itself included).
    reach: Vec<u32>,
}

/// The graph is too large to keep its clocks within [`MAX_CLOCK_ENTRIES`].
#[derive(Debug)]
pub(super) struct TooLarge {
    pub entries: usize,
}

impl Graph {
    /// Program order and reads-from of a history whose reads each have one source (or the initial
    /// value). `sources` as [`crate::check::order::sources`] gives them.
    ///
    /// With [`Order::RealTime`], each operation that returned also precedes, in each chain, the first
    /// operation invoked after it returned (and so, by program order, the rest).
    pub fn new(
        history: &CheckHistory,
        sources: &[Source],
        order: Order,
    ) -> Result<Graph, TooLarge> {
        let n = history.ops.len();
        let mut read = vec![false; n];
        for source in sources {
            if let Source::Write(w) = *source {
                read[w] = true;
            }
        }
        let mut graph = Graph {
            chain: vec![NONE; n],
            pos: vec![NONE; n],
            chains: Vec::new(),
            edges: vec![Vec::new(); n],
            sources: vec![Vec::new(); n],
            rounds: vec![Vec::new(); n],
            round: 0,
            work: 0,
            reach: Vec::new(),
        };
        for session in &history.sessions {
            let ops: Vec<OpIndex> = session
                .iter()
                .copied()
                .filter(|&i| history.ops[i].completed() || read[i])
                .collect();
            if ops.is_empty() {
                continue;
            }
            let c = graph.chains.len() as u32;
            for (p, &i) in ops.iter().enumerate() {
                graph.chain[i] = c;
                graph.pos[i] = p as u32;
            }
            graph.chains.push(ops);
        }
        let entries = n.saturating_mul(graph.chains.len());
        if entries > crate::check::budget::scaled_size(MAX_CLOCK_ENTRIES)
            || (order == Order::RealTime
                && entries > crate::check::budget::scaled_size(MAX_REAL_TIME_EDGES))
        {
            return Err(TooLarge { entries });
        }
        for (i, op) in history.ops.iter().enumerate() {
            if graph.chain[i] == NONE {
                continue;
            }
            if let (false, Some(before)) = (op.completed(), op.after) {
                graph.add_edge(before, i, Reason::Program);
            }
            if let Source::Write(w) = sources[i] {
                graph.add_edge(w, i, Reason::ReadsFrom);
            }
        }
        if order == Order::RealTime {
            for i in 0..n {
                let Some(returned) = history.ops[i].returned_at.filter(|_| graph.is_node(i)) else {
                    continue;
                };
                for c in 0..graph.chains.len() {
                    let chain = &graph.chains[c];
                    let first = chain.partition_point(|&j| history.ops[j].invoked_at <= returned);
                    if let Some(&j) = chain.get(first) {
                        if graph.chain[j] != graph.chain[i] {
                            graph.add_edge(i, j, Reason::RealTime);
                        }
                    }
                }
            }
        }
        Ok(graph)
    }

    /// Adds `a → b`, in the current round.
    pub fn add_edge(&mut self, a: OpIndex, b: OpIndex, reason: Reason) {
        self.edges[a].push((b, reason));
        self.sources[b].push(a);
        self.rounds[a].push(self.round);
    }

    /// Adds `a → b` and updates the clocks of everything that reaches `a`, instead of recomputing all
    /// of them: cheaper when few edges are added. Returns the cycle the edge closes, if it does (then
    /// the clocks are stale). An edge already implied is not added.
    pub fn insert(&mut self, a: OpIndex, b: OpIndex, reason: Reason) -> Result<(), Vec<Edge>> {
        if self.reaches(a, b) {
            return Ok(());
        }
        let closes_cycle = self.reaches(b, a);
        self.add_edge(a, b, reason);
        if closes_cycle {
            let mut cycle = vec![(a, b, reason)];
            cycle.extend(self.path(b, a, u32::MAX).unwrap_or_default());
            return Err(cycle);
        }
        let width = self.width();
        let mut changed = vec![(a, b)];
        while let Some((x, from)) = changed.pop() {
            // x now reaches what `from` reaches.
            self.work += width as u64;
            let mut grew = false;
            for c in 0..width {
                let theirs = self.reach[from * width + c];
                let mine = &mut self.reach[x * width + c];
                if theirs < *mine {
                    *mine = theirs;
                    grew = true;
                }
            }
            if grew {
                let before = self
                    .prev(x)
                    .into_iter()
                    .chain(self.sources[x].iter().copied());
                changed.extend(before.map(|p| (p, x)).collect::<Vec<_>>());
            }
        }
        Ok(())
    }

    /// The round that added `a → b` for `reason` (0 for program order within a chain).
    pub fn round_of(&self, a: OpIndex, b: OpIndex, reason: Reason) -> u32 {
        self.edges[a]
            .iter()
            .position(|&e| e == (b, reason))
            .map_or(0, |k| self.rounds[a][k])
    }

    /// A shortest path from `from` to `to` over the edges added before round `round`.
    pub fn path(&self, from: OpIndex, to: OpIndex, round: u32) -> Option<Vec<Edge>> {
        let mut came: Vec<Option<(OpIndex, Reason)>> = vec![None; self.chain.len()];
        let mut queue = std::collections::VecDeque::from([from]);
        while let Some(u) = queue.pop_front() {
            if u == to {
                let mut path = Vec::new();
                let mut at = to;
                while at != from {
                    let (prev, reason) = came[at]?;
                    path.push((prev, at, reason));
                    at = prev;
                }
                path.reverse();
                return Some(path);
            }
            let next = self.next(u).map(|v| (v, Reason::Program, 0));
            let others = self.edges[u]
                .iter()
                .zip(&self.rounds[u])
                .map(|(&(v, reason), &r)| (v, reason, r));
            for (v, reason, r) in next.into_iter().chain(others) {
                if r < round && v != from && came[v].is_none() {
                    came[v] = Some((u, reason));
                    queue.push_back(v);
                }
            }
        }
        None
    }

    pub fn width(&self) -> usize {
        self.chains.len()
    }

    pub fn is_node(&self, op: OpIndex) -> bool {
        self.chain[op] != NONE
    }

    /// The operation after `op` in its chain.
    pub fn next(&self, op: OpIndex) -> Option<OpIndex> {
        self.chains[self.chain[op] as usize]
            .get(self.pos[op] as usize + 1)
            .copied()
    }

    /// The operation before `op` in its chain.
    pub fn prev(&self, op: OpIndex) -> Option<OpIndex> {
        let p = self.pos[op] as usize;
        (p > 0).then(|| self.chains[self.chain[op] as usize][p - 1])
    }

    /// The first position of chain `c` that `op` reaches ([`NONE`]: none). Valid after [`Graph::close`].
    pub fn reach(&self, op: OpIndex, c: u32) -> u32 {
        self.reach[op * self.width() + c as usize]
    }

    /// Whether `a` must come before `b` (or is `b`). Valid after [`Graph::close`].
    pub fn reaches(&self, a: OpIndex, b: OpIndex) -> bool {
        self.reach(a, self.chain[b]) <= self.pos[b]
    }

    /// Recomputes the clocks, and returns the topological order they were computed in. Returns a
    /// cycle when the edges have one: then no sequential order exists (and the clocks are stale).
    pub fn close(&mut self, history: &CheckHistory) -> Result<Vec<OpIndex>, Vec<Edge>> {
        let order = self.topological(history)?;
        let width = self.width();
        self.work += (self.chain.len() * width) as u64;
        self.reach.clear();
        self.reach.resize(self.chain.len() * width, NONE);
        for &u in order.iter().rev() {
            let base = u * width;
            self.reach[base + self.chain[u] as usize] = self.pos[u];
            let successors = self
                .next(u)
                .into_iter()
                .chain(self.edges[u].iter().map(|e| e.0));
            for v in successors {
                let (mine, theirs) = if u < v {
                    let (lo, hi) = self.reach.split_at_mut(v * width);
                    (&mut lo[base..base + width], &hi[..width])
                } else {
                    let (lo, hi) = self.reach.split_at_mut(base);
                    (&mut hi[..width], &lo[v * width..v * width + width])
                };
                for (m, &t) in mine.iter_mut().zip(theirs) {
                    *m = (*m).min(t);
                }
            }
        }
        Ok(order)
    }

    /// The successors of `op`: the next in its chain, then its other edges.
    pub fn successors(&self, op: OpIndex) -> impl Iterator<Item = (OpIndex, Reason)> + '_ {
        self.next(op)
            .map(|v| (v, Reason::Program))
            .into_iter()
            .chain(self.edges[op].iter().copied())
    }

    /// A topological order of the nodes, earliest invoked first among those ready (so that it
    /// follows real time where the edges allow; then the input's order), or a cycle: its edges.
    pub fn topological(&self, history: &CheckHistory) -> Result<Vec<OpIndex>, Vec<Edge>> {
        let n = self.chain.len();
        let mut indegree = vec![0u32; n];
        for u in (0..n).filter(|&u| self.is_node(u)) {
            for (v, _) in self.successors(u) {
                indegree[v] += 1;
            }
        }
        let key = |u: OpIndex| Reverse((history.ops[u].invoked_at, history.ops[u].origin, u));
        let mut ready: BinaryHeap<Reverse<(u64, usize, OpIndex)>> = (0..n)
            .filter(|&u| self.is_node(u) && indegree[u] == 0)
            .map(key)
            .collect();
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse((_, _, u))) = ready.pop() {
            order.push(u);
            for (v, _) in self.successors(u) {
                indegree[v] -= 1;
                if indegree[v] == 0 {
                    ready.push(key(v));
                }
            }
        }
        if order.len() == (0..n).filter(|&u| self.is_node(u)).count() {
            return Ok(order);
        }
        // What is left holds a cycle: every node left has a predecessor left.
        let left: Vec<bool> = indegree.iter().map(|&d| d > 0).collect();
        Err(find_cycle(n, &left, &|u| self.successors(u)))
    }
}

/// A node on the depth-first stack: the node, its successors still to visit, and the edge in.
type Frame = (OpIndex, Vec<(OpIndex, Reason)>, Option<(OpIndex, Reason)>);

/// A cycle among the nodes marked `left` (every one of which lies on or after a cycle).
fn find_cycle<I: Iterator<Item = (OpIndex, Reason)>>(
    n: usize,
    left: &[bool],
    successors: &dyn Fn(OpIndex) -> I,
) -> Vec<Edge> {
    // 0: unvisited, 1: on the stack, 2: done.
    let mut state = vec![0u8; n];
    for start in 0..n {
        if !left[start] || state[start] != 0 {
            continue;
        }
        let mut stack: Vec<Frame> = vec![(start, successors(start).collect(), None)];
        state[start] = 1;
        while let Some(top) = stack.last_mut() {
            let Some((v, reason)) = top.1.pop() else {
                state[top.0] = 2;
                stack.pop();
                continue;
            };
            if !left[v] || state[v] == 2 {
                continue;
            }
            let u = top.0;
            if state[v] == 1 {
                // A back edge u → v closes the cycle v … u → v.
                let from = stack.iter().position(|f| f.0 == v).unwrap_or(0);
                let mut cycle: Vec<Edge> = stack[from + 1..]
                    .iter()
                    .zip(&stack[from..])
                    .map(|(f, prev)| {
                        let (to, why) = f.2.unwrap_or((f.0, Reason::Program));
                        (prev.0, to, why)
                    })
                    .collect();
                cycle.push((u, v, reason));
                return cycle;
            }
            state[v] = 1;
            stack.push((v, successors(v).collect(), Some((v, reason))));
        }
    }
    Vec::new()
}

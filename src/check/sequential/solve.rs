//! The residue, decided by a SAT solver (batsat, a Rust MiniSat) with acyclicity as a theory.
//!
//! One variable per undecided pair of writes `(a, b)` to a key: true puts `a` first — so `a → b`, and
//! every reader of `a` before `b` — false puts `b` first, with the readers of `b` before `a`. Any
//! assignment whose edges, with the saturated graph, form no cycle gives a sequential order: in a
//! topological order of that graph every read sees its write last, because every pair of writes to
//! its key is ordered with the readers of the first before the second (by saturation, or by a
//! variable here). The solver itself knows nothing of cycles. The theory keeps a topological order
//! of the graph and the edges of the assigned variables, and inserts each new edge with Pearce and
//! Kelly's dynamic topological sort, which only reorders the stretch between the edge's ends; when
//! an edge closes a cycle, it answers with the clause "not all of the choices on this cycle". Edges
//! leave in the reverse order they came when the solver backtracks, and removing edges never spoils
//! a topological order. This is lemmas on demand over an off-the-shelf CDCL solver, as MonoSAT and
//! PolySI do for serializability.
//!
//! Each variable's first guess, and the starting order, follow invocation times (the earlier write
//! first), which is what a real system's history usually shows: most edges then agree with the order
//! and cost nothing, and satisfiable residues take few conflicts.

use std::cell::Cell;
use std::rc::Rc;

use batsat::{
    lbool, Callbacks, ClauseKind, Lit, Solver, SolverInterface, SolverOpts, Theory, TheoryArg, Var,
};

use super::graph::Graph;
use super::saturation::Reads;
use crate::check::history::{CheckHistory, OpIndex};

/// How the solver ended.
pub(super) enum Solved {
    /// An order exists.
    Order,
    /// Every choice leads to a cycle.
    NoOrder,
    /// The conflict budget ran out.
    GaveUp { conflicts: u64 },
}

/// Decides the residue `pairs` (see [`super::saturation::residue`]) within `max_conflicts`, starting
/// from `order`, a topological order of the saturated graph.
pub(super) fn solve(
    history: &CheckHistory,
    graph: &Graph,
    reads: &Reads,
    pairs: &[(OpIndex, OpIndex)],
    order: &[OpIndex],
    max_conflicts: u64,
) -> Solved {
    let conflicts = Rc::new(Cell::new(0u64));
    let callbacks = Budget {
        conflicts: conflicts.clone(),
        limit: max_conflicts,
    };
    let mut solver = Solver::new(SolverOpts::default(), callbacks);
    for &(a, b) in pairs {
        // Invoked first, or at the same time and given first: the input's order is often a real one.
        let (a, b) = (&history.ops[a], &history.ops[b]);
        let earlier_first = (a.invoked_at, a.origin) <= (b.invoked_at, b.origin);
        solver.new_var(lbool::new(earlier_first), true);
    }
    let mut theory = Acyclic::new(graph, reads, pairs, order, conflicts);
    let result = solver.solve_limited_th(&mut theory, &[]);
    if result == lbool::TRUE {
        Solved::Order
    } else if result == lbool::FALSE {
        Solved::NoOrder
    } else {
        Solved::GaveUp {
            conflicts: theory.conflicts.get(),
        }
    }
}

/// Counts conflicts (learnt clauses and theory lemmas) and stops the solver past the budget.
struct Budget {
    conflicts: Rc<Cell<u64>>,
    limit: u64,
}

impl Callbacks for Budget {
    fn on_new_clause(&mut self, _clause: &[Lit], kind: ClauseKind) {
        if !matches!(kind, ClauseKind::Axiom) {
            self.conflicts.set(self.conflicts.get() + 1);
        }
    }

    fn stop(&self) -> bool {
        self.conflicts.get() >= self.limit
    }
}

/// No variable: an edge of the saturated graph.
const BASE: u32 = u32::MAX;

/// The theory: the chosen orders, with the saturated graph, must have no cycle.
struct Acyclic<'a> {
    graph: &'a Graph,
    reads: &'a Reads,
    pairs: &'a [(OpIndex, OpIndex)],
    /// The saturated graph's edges (other than program order), reversed.
    base_in: Vec<Vec<OpIndex>>,
    /// The edges of assigned variables, by source and by target, with their variable.
    chosen_out: Vec<Vec<(OpIndex, u32)>>,
    chosen_in: Vec<Vec<OpIndex>>,
    /// Every chosen edge, in the order it came.
    log: Vec<(OpIndex, OpIndex)>,
    /// The literals whose edges are in, in trail order, with the log's length before each.
    applied: Vec<(Lit, usize)>,
    /// `applied.len()` when each decision level began.
    levels: Vec<usize>,
    /// The topological order: each node's position, and the node at each position.
    position: Vec<u32>,
    at: Vec<OpIndex>,
    /// Search scratch: the visit stamp of each node, and how a forward search reached it.
    seen: Vec<u32>,
    stamp: u32,
    came: Vec<(OpIndex, u32)>,
    conflicts: Rc<Cell<u64>>,
}

impl<'a> Acyclic<'a> {
    fn new(
        graph: &'a Graph,
        reads: &'a Reads,
        pairs: &'a [(OpIndex, OpIndex)],
        order: &[OpIndex],
        conflicts: Rc<Cell<u64>>,
    ) -> Self {
        let n = graph.chain.len();
        let mut base_in = vec![Vec::new(); n];
        for (u, edges) in graph.edges.iter().enumerate() {
            for &(v, _) in edges {
                base_in[v].push(u);
            }
        }
        let mut position = vec![u32::MAX; n];
        for (p, &u) in order.iter().enumerate() {
            position[u] = p as u32;
        }
        Acyclic {
            graph,
            reads,
            pairs,
            base_in,
            chosen_out: vec![Vec::new(); n],
            chosen_in: vec![Vec::new(); n],
            log: Vec::new(),
            applied: Vec::new(),
            levels: Vec::new(),
            position,
            at: order.to_vec(),
            seen: vec![0; n],
            stamp: 0,
            came: vec![(0, BASE); n],
            conflicts,
        }
    }

    /// Adds the edges of `lit`. On a cycle, returns the variables whose choices make it.
    fn apply(&mut self, lit: Lit) -> Result<(), Vec<u32>> {
        self.applied.push((lit, self.log.len()));
        let var = lit.var().idx();
        let (a, b) = self.pairs[var as usize];
        let (first, second) = if lit.sign() { (a, b) } else { (b, a) };
        self.insert(first, second, var)?;
        for i in 0..self.reads.readers[first].len() {
            let (_, r) = self.reads.readers[first][i];
            self.insert(r, second, var)?;
        }
        Ok(())
    }

    /// Removes the edges of the literals applied after the first `keep`.
    fn unapply(&mut self, keep: usize) {
        while self.applied.len() > keep {
            let Some((_, log_len)) = self.applied.pop() else {
                break;
            };
            while self.log.len() > log_len {
                let Some((u, v)) = self.log.pop() else {
                    break;
                };
                self.chosen_out[u].pop();
                self.chosen_in[v].pop();
            }
        }
    }

    /// Inserts `u → v` (Pearce and Kelly). On a cycle, returns the variables on it.
    fn insert(&mut self, u: OpIndex, v: OpIndex, var: u32) -> Result<(), Vec<u32>> {
        self.chosen_out[u].push((v, var));
        self.chosen_in[v].push(u);
        self.log.push((u, v));
        let (lower, upper) = (self.position[v], self.position[u]);
        if upper < lower {
            return Ok(());
        }
        // Forward from v through positions up to u's: reaching u closes a cycle.
        self.stamp += 1;
        let stamp = self.stamp;
        let mut forward = vec![v];
        let mut stack = vec![v];
        self.seen[v] = stamp;
        while let Some(w) = stack.pop() {
            let base = self.graph.successors(w).map(|(x, _)| (x, BASE));
            let chosen = self.chosen_out[w].iter().copied();
            for (x, by) in base.chain(chosen) {
                if x == u {
                    self.came[x] = (w, by);
                    return Err(self.cycle_vars(u, v, var));
                }
                if self.seen[x] != stamp && self.position[x] < upper {
                    self.seen[x] = stamp;
                    self.came[x] = (w, by);
                    forward.push(x);
                    stack.push(x);
                }
            }
        }
        // Backward from u through positions from v's.
        let mut backward = vec![u];
        let mut stack = vec![u];
        self.seen[u] = stamp;
        while let Some(w) = stack.pop() {
            let preds = self.graph.prev(w).into_iter();
            let preds = preds.chain(self.base_in[w].iter().copied());
            let preds: Vec<OpIndex> = preds.chain(self.chosen_in[w].iter().copied()).collect();
            for x in preds {
                if self.seen[x] != stamp && self.position[x] > lower {
                    self.seen[x] = stamp;
                    backward.push(x);
                    stack.push(x);
                }
            }
        }
        // Everything that reaches u goes first, then everything v reaches, in the positions they held.
        backward.sort_unstable_by_key(|&x| self.position[x]);
        forward.sort_unstable_by_key(|&x| self.position[x]);
        let mut slots: Vec<u32> = backward
            .iter()
            .chain(&forward)
            .map(|&x| self.position[x])
            .collect();
        slots.sort_unstable();
        for (&x, &slot) in backward.iter().chain(&forward).zip(&slots) {
            self.position[x] = slot;
            self.at[slot as usize] = x;
        }
        Ok(())
    }

    /// The variables on the cycle `u → v ⇝ u` just found (`came` leads back from `u` to `v`).
    fn cycle_vars(&self, u: OpIndex, v: OpIndex, var: u32) -> Vec<u32> {
        let mut vars = vec![var];
        let mut at = u;
        while at != v {
            let (prev, by) = self.came[at];
            if by != BASE && !vars.contains(&by) {
                vars.push(by);
            }
            at = prev;
        }
        vars
    }

    /// Applies the trail's new literals; raises a conflict at the first cycle.
    fn check(&mut self, acts: &mut TheoryArg) {
        while self.applied.len() < acts.model().len() {
            let lit = acts.model()[self.applied.len()];
            if let Err(vars) = self.apply(lit) {
                let lemma: Vec<Lit> = vars
                    .iter()
                    .map(|&var| {
                        let var = Var::unsafe_from_idx(var);
                        !Lit::new(var, acts.value(var) == lbool::TRUE)
                    })
                    .collect();
                self.conflicts.set(self.conflicts.get() + 1);
                acts.raise_conflict(&lemma, true);
                return;
            }
        }
    }
}

impl Theory for Acyclic<'_> {
    fn final_check(&mut self, acts: &mut TheoryArg) {
        self.check(acts);
    }

    fn partial_check(&mut self, acts: &mut TheoryArg) {
        self.check(acts);
    }

    fn create_level(&mut self) {
        self.levels.push(self.applied.len());
    }

    fn pop_levels(&mut self, n: usize) {
        let keep = self.levels.len().saturating_sub(n);
        let applied = self.levels.get(keep).copied().unwrap_or(0);
        self.levels.truncate(keep);
        self.unapply(applied);
    }

    fn n_levels(&self) -> usize {
        self.levels.len()
    }

    fn explain_propagation(&mut self, _p: Lit) -> &[Lit] {
        // The theory never propagates, so the solver never asks.
        &[]
    }
}

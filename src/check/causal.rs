//! Causal consistency, by the bad patterns of Bouajjani, Enea, Guerraoui and Hamza, "On Verifying
//! Causal Consistency" (POPL 2017).
//!
//! For a history in which every value is written once, each read's source is known, and causal order is
//! CO = (program order ∪ reads-from)⁺ ([`super::order`]). The paper shows such a history is causally
//! consistent (CC) exactly when it contains none of these patterns:
//!
//! - **ThinAirRead**: a read returns a value no write wrote;
//! - **CyclicCO**: CO has a cycle — an operation is, through reads and program order, its own cause;
//! - **WriteCOInitRead**: a read returns the initial value although a write to its key is causally
//!   before it;
//! - **WriteCORead**: a read returns `w1` although another write `w2` to the key satisfies
//!   `w1 <CO w2 <CO read` — it saw a write its cause had already overwritten.
//!
//! The last two are what a student calls a *causal reversal*: the effect is visible, the cause is not.
//! Causal convergence (CCv) adds **CyclicCF**: replicas must also agree on one order of conflicting
//! writes. `w1` must be ordered before `w2` when a read returns `w2` although `w1` (same key) is causally
//! before that read; CCv fails when those constraints and CO form a cycle.
//!
//! Where a value was written more than once and a read returns it, the read's source is ambiguous: a
//! violation found without it is still reported, but "holds" is never claimed — the verdict is unknown.
//!
//! A broken verdict names the operations of its pattern — the thin-air read; the cycle; the writes,
//! the read and the causal paths between them; for CyclicCF each conflict's read and the path that
//! puts the first write before it — and [`super::witness`] checks them alone and shrinks them.

use super::history::{CheckHistory, OpIndex};
use super::order::{sources, BuildError, CausalOrder, Source};
use super::witness::{narrate, shortcut, Broken};
use super::Verdict;
use crate::check::glossary;

/// What a check found before its witness is proven: a verdict that holds or is unknown, or a
/// violation with the operations that show it.
type Finding = Result<Verdict, Broken>;

/// Causal consistency (CC).
pub fn check(history: &CheckHistory) -> Verdict {
    super::on_reads_and_writes(history, |h| prove(h, judge_cc(h), |h| judge_cc(h).is_err()))
}

/// Causal convergence (CCv): CC, and one order of conflicting writes that all reads respect.
pub fn check_convergence(history: &CheckHistory) -> Verdict {
    super::on_reads_and_writes(history, |h| {
        prove(h, judge_ccv(h), |h| judge_ccv(h).is_err())
    })
}

fn prove(
    history: &CheckHistory,
    finding: Finding,
    breaks: impl Fn(&CheckHistory) -> bool,
) -> Verdict {
    match finding {
        Ok(verdict) => verdict,
        Err(broken) => broken.prove(history, breaks),
    }
}

fn judge_cc(history: &CheckHistory) -> Finding {
    let sources = sources(history);
    let order = match cc_violation(history, &sources) {
        Ok(order) => order,
        Err(finding) => return finding,
    };
    undecided_or(history, &sources, |_| Ok(Verdict::holds()), &order)
}

fn judge_ccv(history: &CheckHistory) -> Finding {
    let sources = sources(history);
    let order = match cc_violation(history, &sources) {
        Ok(order) => order,
        Err(finding) => return finding,
    };
    undecided_or(
        history,
        &sources,
        |order| cyclic_cf(history, &sources, order),
        &order,
    )
}

fn broken(anomaly: &str, witness: Vec<String>, ops: Vec<OpIndex>) -> Finding {
    Err(Broken {
        anomaly: anomaly.to_string(),
        witness,
        ops,
    })
}

/// The four CC bad patterns. `Ok` carries the causal order when none is found; `Err` what was found
/// instead (a violation, or an unknown verdict when the order is too large to build).
fn cc_violation(history: &CheckHistory, sources: &[Source]) -> Result<CausalOrder, Finding> {
    for (r, source) in sources.iter().enumerate() {
        if *source == Source::Nowhere {
            return Err(broken(
                glossary::THIN_AIR_READ,
                vec![format!(
                    "{} returned a value that no write wrote to that key",
                    history.describe(r)
                )],
                vec![r],
            ));
        }
    }
    let order = match CausalOrder::build(history, sources) {
        Ok(order) => order,
        Err(BuildError::Cycle(cycle)) => {
            return Err(cycle_verdict(history, &cycle, glossary::CYCLIC_CO))
        }
        Err(too_large) => {
            return Err(Ok(Verdict::unknown(
                too_large.too_large_reason().unwrap_or_default(),
            )))
        }
    };
    for (r, source) in sources.iter().enumerate() {
        let read = &history.ops[r];
        match *source {
            Source::Initial => {
                if let Some(w) = write_seen(history, &order, r) {
                    let mut witness = chain(history, sources, &order, w, r);
                    witness.push(
                        "so the write is causally before the read, yet the read saw no write at all"
                            .into(),
                    );
                    let ops = shortcut(history, &order.path(history, sources, w, r));
                    return Err(broken(glossary::WRITE_CO_INIT_READ, witness, ops));
                }
            }
            Source::Write(w1) => {
                // Each session's last write to the key before the read, and the writes that never
                // returned that the session's reads before it returned: one after `w1` is enough.
                let later = order.clock(r).iter().find_map(|&(s, seen)| {
                    let last = order
                        .last_write_before(history, s, read.key, seen)
                        .filter(|&w2| w2 != w1 && order.before(history, w1, w2));
                    last.or_else(|| order.loose_write_after(history, s, read.key, seen, w1))
                });
                if let Some(w2) = later {
                    let mut witness = chain(history, sources, &order, w1, w2);
                    witness.extend(chain(history, sources, &order, w2, r).into_iter().skip(1));
                    witness.push(format!(
                        "so the read comes causally after both writes, yet it saw {}, which the later one overwrote",
                        history.describe(w1)
                    ));
                    let mut ops = shortcut(history, &order.path(history, sources, w1, w2));
                    ops.extend(shortcut(history, &order.path(history, sources, w2, r)));
                    return Err(broken(glossary::WRITE_CO_READ, witness, ops));
                }
            }
            Source::NotARead | Source::Nowhere | Source::Ambiguous => {}
        }
    }
    Ok(order)
}

/// Some write to the key of `r` that is causally before `r`: a session's last write before it, or a
/// write that never returned whose value a read before `r` returned.
fn write_seen(history: &CheckHistory, order: &CausalOrder, r: OpIndex) -> Option<OpIndex> {
    let key = history.ops[r].key;
    order.clock(r).iter().find_map(|&(s, seen)| {
        order.last_write_before(history, s, key, seen).or_else(|| {
            order
                .loose_reads_before(s, key, seen)
                .first()
                .map(|&(_, w)| w)
        })
    })
}

/// With no violation found: unknown if some read's source is ambiguous, else what `decide` says.
fn undecided_or(
    history: &CheckHistory,
    sources: &[Source],
    decide: impl Fn(&CausalOrder) -> Finding,
    order: &CausalOrder,
) -> Finding {
    let verdict = decide(order)?;
    if let Some(r) = sources.iter().position(|s| *s == Source::Ambiguous) {
        let op = &history.ops[r];
        return Ok(Verdict::unknown(format!(
            "{} read a value written more than once to {}, so which write it saw is ambiguous; \
             causal checking needs each value written once",
            op.client,
            history.key_name(op.key)
        )));
    }
    Ok(verdict)
}

/// CyclicCF: a cycle in CO ∪ CF. Per read `r` of `w2`, CF asks every other write to the key that is
/// causally before `r` to come before `w2`; far fewer edges give the same cycles (and the edges of all
/// reads of one write are made at once, from the largest of their limits):
///
/// - per client session, only its last write to the key before `r`: the session's earlier writes
///   reach it by program order;
/// - per client session, for writes that never returned, only the value of the session's last read of
///   the key before `r` that returned one other than `w2`: an earlier such read `q` returned a write
///   that is before that last read, whose own CF edges (by the same rule) lead from `q`'s write to the
///   last read's write, and on to `w2`. Following those rules from write to write either reaches `q`
///   (the edge from its write is there) or comes back to a write already passed — a cycle of true CF
///   edges, a violation found anyway.
fn cyclic_cf(history: &CheckHistory, sources: &[Source], order: &CausalOrder) -> Finding {
    let n = history.ops.len();
    let mut edges: Vec<Vec<(OpIndex, Link)>> = vec![Vec::new(); n];
    for (i, op) in history.ops.iter().enumerate() {
        if let Some(&next) = history.sessions[op.session as usize].get(op.seq as usize + 1) {
            edges[i].push((next, Link::Program));
        }
        if let Some(before) = op.after {
            edges[before].push((i, Link::Program));
        }
        if let Source::Write(w) = sources[i] {
            edges[w].push((i, Link::ReadsFrom));
        }
    }
    // The reads of each write, so that each write's CF edges are made once for all its readers: per
    // session, the largest limit any reader gives (an earlier limit's edge follows from it by program
    // order, or by the induction above).
    let mut readers: Vec<Vec<OpIndex>> = vec![Vec::new(); n];
    for (r, source) in sources.iter().enumerate() {
        if let Source::Write(w) = *source {
            readers[w].push(r);
        }
    }
    let mut conflicts = 0usize;
    let mut merged: Vec<(u32, u32, OpIndex)> = Vec::new();
    let mut scratch: Vec<(u32, u32, OpIndex)> = Vec::new();
    for (w2, reads) in readers.iter().enumerate() {
        if reads.is_empty() {
            continue;
        }
        merged.clear();
        for &r in reads {
            let read = &history.ops[r];
            // A read is not before itself: in its own session, only what came before it counts.
            let limits = order.clock(r).iter().map(|&(s, seen)| {
                let limit = if s == read.session { read.seq } else { seen };
                (s, limit, r)
            });
            merge_limits(&mut merged, limits, &mut scratch);
        }
        let key = history.ops[w2].key;
        for &(s, limit, r) in &merged {
            let last = order.last_write_before(history, s, key, limit);
            // The last such read that returned another write than `w2`: reads of `w2` itself
            // give no edge, and must not hide the reads before them.
            let loose = order
                .loose_reads_before(s, key, limit)
                .iter()
                .rev()
                .find(|&&(_, w)| w != w2)
                .map(|&(_, w)| w);
            for w1 in [last, loose].into_iter().flatten() {
                if w1 != w2 {
                    edges[w1].push((w2, Link::Conflict { read: r }));
                    conflicts += 1;
                }
            }
        }
        if conflicts > super::budget::scaled_size(MAX_CONFLICT_EDGES) {
            return Ok(Verdict::unknown(format!(
                "the writes' conflicts need more than {} edges (kvsim's budget for them, 768 MiB by default; {})",
                super::budget::scaled_size(MAX_CONFLICT_EDGES),
                super::budget::HOW_TO_RAISE
            )));
        }
    }
    let Some(cycle) = find_cycle(&edges) else {
        return Ok(Verdict::holds());
    };
    // The cycle's operations, and for each conflict the read that forced it and the causal path from
    // the first write to that read, which is what makes the read's order binding.
    let mut ops = cycle.clone();
    let mut witness =
        vec!["each of these must come before the next, and the last before the first:".to_string()];
    for (i, &op) in cycle.iter().enumerate() {
        let next = cycle[(i + 1) % cycle.len()];
        witness.push(history.describe(op));
        let link = edges[op]
            .iter()
            .find(|&&(to, _)| to == next)
            .map(|&(_, link)| link);
        witness.push(match link {
            Some(Link::Program) => "  then, in the same client,".to_string(),
            Some(Link::ReadsFrom) => "  read by".to_string(),
            Some(Link::Conflict { read }) => {
                ops.extend(shortcut(history, &order.path(history, sources, op, read)));
                format!(
                    "  conflicts with the next write, which must come after it because {} returned the next write's value although this one was causally before that read",
                    history.describe(read)
                )
            }
            None => "  before".to_string(),
        });
    }
    witness.push(format!("back to {}", history.describe(cycle[0])));
    broken(glossary::CYCLIC_CF, witness, ops)
}

/// The most conflict edges [`cyclic_cf`] may make (24 bytes each: 768 MiB).
const MAX_CONFLICT_EDGES: usize = 1 << 25;

/// Merges per-session limits (sorted by session) into `merged`, keeping the largest limit of each
/// session and the read that gave it.
fn merge_limits(
    merged: &mut Vec<(u32, u32, OpIndex)>,
    theirs: impl Iterator<Item = (u32, u32, OpIndex)>,
    scratch: &mut Vec<(u32, u32, OpIndex)>,
) {
    scratch.clear();
    let mut mine = merged.iter().copied().peekable();
    let mut theirs = theirs.peekable();
    loop {
        let next = match (mine.peek(), theirs.peek()) {
            (None, None) => break,
            (Some(_), None) => mine.next(),
            (None, Some(_)) => theirs.next(),
            (Some(a), Some(b)) if a.0 < b.0 => mine.next(),
            (Some(a), Some(b)) if a.0 > b.0 => theirs.next(),
            (Some(a), Some(b)) => {
                let larger = if b.1 > a.1 { *b } else { *a };
                mine.next();
                theirs.next();
                Some(larger)
            }
        };
        scratch.extend(next);
    }
    std::mem::swap(merged, scratch);
}

/// Why one operation must come before another, in the graph of [`cyclic_cf`].
#[derive(Clone, Copy, Debug)]
enum Link {
    Program,
    ReadsFrom,
    /// Two writes to one key, ordered by a read of the second that the first is causally before.
    Conflict {
        read: OpIndex,
    },
}

/// The causal chain from `from` to `to`, one line per step: what each step is and why it follows.
fn chain(
    history: &CheckHistory,
    sources: &[Source],
    order: &CausalOrder,
    from: OpIndex,
    to: OpIndex,
) -> Vec<String> {
    narrate(history, sources, &order.path(history, sources, from, to))
}

fn cycle_verdict(history: &CheckHistory, cycle: &[OpIndex], anomaly: &str) -> Finding {
    let mut witness = vec![
        "each of these is causally before the next, and the last before the first:".to_string(),
    ];
    witness.extend(cycle.iter().map(|&i| history.describe(i)));
    broken(anomaly, witness, cycle.to_vec())
}

/// A cycle in a directed graph, by iterative depth-first search (histories can be long, so no
/// recursion), as the list of its nodes in order.
fn find_cycle<L>(edges: &[Vec<(OpIndex, L)>]) -> Option<Vec<OpIndex>> {
    const NEW: u8 = 0;
    const ACTIVE: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; edges.len()];
    let mut stack: Vec<(OpIndex, usize)> = Vec::new();
    for root in 0..edges.len() {
        if state[root] != NEW {
            continue;
        }
        state[root] = ACTIVE;
        stack.push((root, 0));
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&(to, _)) = edges[node].get(*next) {
                *next += 1;
                match state[to] {
                    NEW => {
                        state[to] = ACTIVE;
                        stack.push((to, 0));
                    }
                    ACTIVE => {
                        let from = stack.iter().position(|&(n, _)| n == to).unwrap_or(0);
                        return Some(stack[from..].iter().map(|&(n, _)| n).collect());
                    }
                    _ => {}
                }
            } else {
                state[node] = DONE;
                stack.pop();
            }
        }
    }
    None
}

//! Session guarantees (Terry, Demers, Petersen, Spreitzer, Theimer and Welch, 1994), judged per client
//! from the history alone.
//!
//! Each guarantee names writes a read must not miss:
//!
//! | guarantee | a read by client `c` must not miss … |
//! |---|---|
//! | read-your-writes | `c`'s own earlier completed writes to the key |
//! | monotonic reads | the writes `c`'s earlier reads of the key returned |
//! | monotonic writes | for each write `w2` that `c` read earlier — `c`'s own included — the completed writes to the key that `w2`'s client made before `w2` |
//! | writes-follow-reads | for each write `w2` that `c` read earlier, the writes to the key that `w2`'s client had read before making `w2` |
//!
//! A read *misses* a write `w` when it returns the initial value, or a write `x` (another than `w`) that
//! is causally before `w` — older than `w` in any order of writes that respects causality. Causal order
//! is program order ∪ reads-from ([`super::order`]). Monotonic writes binds the writer too: Terry et al.
//! ask every server to apply a session's writes in order, so a client that sees its own later write
//! but not its earlier one saw a server that broke it.
//!
//! A write that never returned may not have taken effect, so it is never required because its client
//! made it: its client gave up on it, and it may have taken effect after anything the client did next
//! (Terry et al.'s clients, too, add a write to their session's write set only once a server answers).
//! So even once read, it binds neither its client's later reads (read-your-writes) nor the readers of
//! its client's later writes (monotonic writes). But once read it did take effect, after what its
//! client did before it: so what came before it binds its readers (monotonic writes,
//! writes-follow-reads), and it binds, like any write read, its readers' later reads (monotonic
//! reads) and the readers of their writes (writes-follow-reads).
//!
//! # When the history does not say which write a read saw
//!
//! - **A value written more than once.** Each choice of one of those writes for each such read is an
//!   *interpretation* of the history. The verdict is *broken* when every interpretation breaks the
//!   guarantee, *holds* when every one keeps it, and otherwise *unknown*, naming a read whose choice
//!   decides. Interpretations multiply, so at most [`MAX_INTERPRETATIONS`] are tried, and at most
//!   [`MAX_INTERPRETATION_WORK`] operations judged over all of them; past that, *unknown*, naming
//!   the budget.
//! - **A value nobody wrote.** The read saw *some* write — one the history does not show (a phantom,
//!   one per key and value, since in kvsim's checkers a value names its write;
//!   [`CheckHistory::with_phantom_writes`]). Nothing is known to come before
//!   it, and it follows no client, so no guarantee requires it; it is causally before its readers
//!   only. So it is older than `w` only when one of its readers is causally before `w` — true
//!   whatever came before the phantom, since anything causally after it is after one of its readers.
//!   It then counts like any write read (a client that read it must not go back to the initial value).
//!   The causal verdict reports the thin-air read itself.
//! - **A causal cycle.** Causal order is then no order, and "older" is undefined between operations
//!   on one cycle. Two readings bracket every sensible one: *strict* — `x` is older than `w` when a
//!   causal path leads from `x` to `w` — and *lenient* — when one does and none leads back. A read
//!   that misses `w` leniently misses it strictly. So an interpretation breaks the guarantee if it
//!   breaks it leniently, keeps it if it keeps it strictly, and is undecided between (the verdict is
//!   then *unknown*, saying so). Without a cycle the two readings are one.
//!
//! Every broken verdict names operations that break the guarantee alone ([`super::witness`]).
//!
//! # Layout
//!
//! - `clocked.rs`: one interpretation with an acyclic causal order, through sparse vector clocks —
//!   the common case, linear in the history when few clients interact;
//! - `dense.rs`: one interpretation whose causal order has a cycle, through reachability bitsets, for
//!   histories of at most [`dense::MAX_OPS`] operations, and at most [`dense::MAX_WORK`] steps over
//!   all interpretations.

mod clocked;
pub mod dense;
mod story;

use crate::check::glossary;
use std::collections::BTreeSet;

use super::history::{CheckHistory, OpIndex};
use super::order::{sources, BuildError, CausalOrder, Source};
use super::witness::Broken;
use super::Verdict;
use story::{
    earlier_read_story, own_write_story, prior_read_story, prior_write_story, violation, Violation,
};

/// The most interpretations (choices of the write each read of a repeated value saw) tried.
pub const MAX_INTERPRETATIONS: u64 = 1 << 12;

/// The most operations judged over all interpretations (interpretations × operations).
pub const MAX_INTERPRETATION_WORK: u64 = 1 << 22;

/// The four verdicts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionVerdicts {
    pub read_your_writes: Verdict,
    pub monotonic_reads: Verdict,
    pub monotonic_writes: Verdict,
    pub writes_follow_reads: Verdict,
}

/// The anomaly each guarantee names, in the order of [`SessionVerdicts`].
const ANOMALIES: [&str; 4] = [
    glossary::READ_YOUR_WRITES_VIOLATION,
    glossary::MONOTONIC_READS_VIOLATION,
    glossary::MONOTONIC_WRITES_VIOLATION,
    glossary::WRITES_FOLLOW_READS_VIOLATION,
];

/// What a check found before its witness is proven: a verdict that holds or is unknown, or a
/// violation with the operations that show it.
type Finding = Result<Verdict, Broken>;

/// One of the four guarantees, in the order of [`SessionVerdicts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guarantee {
    ReadYourWrites,
    MonotonicReads,
    MonotonicWrites,
    WritesFollowReads,
}

/// Checks all four guarantees.
pub fn check(history: &CheckHistory) -> SessionVerdicts {
    if history.has_updates() {
        let one = |guarantee| check_guarantee(history, guarantee);
        return SessionVerdicts {
            read_your_writes: one(Guarantee::ReadYourWrites),
            monotonic_reads: one(Guarantee::MonotonicReads),
            monotonic_writes: one(Guarantee::MonotonicWrites),
            writes_follow_reads: one(Guarantee::WritesFollowReads),
        };
    }
    let [ryw, mr, mw, wfr] = judge(history);
    SessionVerdicts {
        read_your_writes: prove(history, ryw, Guarantee::ReadYourWrites),
        monotonic_reads: prove(history, mr, Guarantee::MonotonicReads),
        monotonic_writes: prove(history, mw, Guarantee::MonotonicWrites),
        writes_follow_reads: prove(history, wfr, Guarantee::WritesFollowReads),
    }
}

/// Checks one guarantee (the others are judged on the way, but only its witness is shrunk).
pub fn check_guarantee(history: &CheckHistory, guarantee: Guarantee) -> Verdict {
    super::on_reads_and_writes(history, |history| {
        let finding = judge(history).into_iter().nth(guarantee as usize);
        prove(
            history,
            finding.expect("one finding per guarantee"),
            guarantee,
        )
    })
}

fn prove(history: &CheckHistory, finding: Finding, guarantee: Guarantee) -> Verdict {
    match finding {
        Ok(verdict) => verdict,
        Err(broken) => broken.prove(history, |h| judge(h)[guarantee as usize].is_err()),
    }
}

/// One interpretation's judgement of one guarantee, with "older" read strictly and leniently (see
/// the module docs); without a cycle both are the same.
#[derive(Clone, Debug, Default)]
struct Judgement {
    strict: Option<Violation>,
    lenient: Option<Violation>,
}

/// The four findings, over every interpretation.
fn judge(history: &CheckHistory) -> [Finding; 4] {
    let history = history.with_phantom_writes();
    let history: &CheckHistory = &history;
    let base = sources(history);
    let mut ambiguous: Vec<(OpIndex, &[OpIndex])> = Vec::new();
    let mut count: u64 = 1;
    for (r, source) in base.iter().enumerate() {
        if *source == Source::Ambiguous {
            let op = &history.ops[r];
            let writers = history.writers(op.key, op.value.unwrap_or_default());
            count = count.saturating_mul(writers.len() as u64);
            ambiguous.push((r, writers));
        }
    }
    let work = count.saturating_mul(history.ops.len() as u64);
    if count > crate::check::budget::scaled(MAX_INTERPRETATIONS)
        || work > crate::check::budget::scaled(MAX_INTERPRETATION_WORK)
    {
        return unknown(format!(
            "{} reads returned values written more than once: judging every choice of the writes \
             they saw ({count} choices of {} operations each) is past kvsim's budget of \
             {} choices and {} operations judged in all ({})",
            ambiguous.len(),
            history.ops.len(),
            crate::check::budget::scaled(MAX_INTERPRETATIONS),
            crate::check::budget::scaled(MAX_INTERPRETATION_WORK),
            crate::check::budget::HOW_TO_RAISE
        ));
    }
    let mut tallies: [Tally; 4] = Default::default();
    let mut chosen = base.clone();
    let mut dense_work = 0u64;
    for k in 0..count {
        for (r, w) in choice(&ambiguous, k) {
            chosen[r] = Source::Write(w);
        }
        let judgements = match judge_interpretation(history, &chosen, &mut dense_work) {
            Ok(judgements) => judgements,
            Err(reason) => return unknown(reason),
        };
        for (tally, judgement) in tallies.iter_mut().zip(judgements) {
            tally.add(k, judgement);
        }
        if tallies.iter().all(Tally::undecided) {
            break;
        }
    }
    let mut findings = tallies
        .into_iter()
        .zip(ANOMALIES)
        .map(|(tally, anomaly)| tally.finish(history, anomaly, &ambiguous));
    std::array::from_fn(|_| findings.next().expect("four guarantees"))
}

/// The `k`th interpretation: the write each ambiguous read saw, `k` read as a mixed-radix number
/// whose digits choose among each read's writes.
fn choice<'a>(
    ambiguous: &'a [(OpIndex, &[OpIndex])],
    k: u64,
) -> impl Iterator<Item = (OpIndex, OpIndex)> + 'a {
    let mut rest = k;
    ambiguous.iter().map(move |&(r, writers)| {
        let len = writers.len() as u64;
        let w = writers[(rest % len) as usize];
        rest /= len;
        (r, w)
    })
}

fn unknown(reason: String) -> [Finding; 4] {
    std::array::from_fn(|_| Ok(Verdict::unknown(reason.clone())))
}

/// The four judgements of one interpretation, or why it cannot be judged (a budget). `dense_work`
/// counts the work of judging through cycles so far, against [`dense::MAX_WORK`].
fn judge_interpretation(
    history: &CheckHistory,
    sources: &[Source],
    dense_work: &mut u64,
) -> Result<[Judgement; 4], String> {
    match CausalOrder::build(history, sources) {
        Ok(order) => {
            let found = clocked::judge(history, sources, &order)?;
            Ok(found.map(|violation| Judgement {
                strict: violation.clone(),
                lenient: violation,
            }))
        }
        Err(BuildError::Cycle(_)) if history.ops.len() <= dense::MAX_OPS => {
            *dense_work += dense::work(history);
            if *dense_work > crate::check::budget::scaled(dense::MAX_WORK) {
                return Err(format!(
                    "causal order has a cycle (see the causal verdict) in many of the choices of \
                     the writes that reads of repeated values saw: judging them all through it \
                     needs more than kvsim's budget of {} steps ({})",
                    crate::check::budget::scaled(dense::MAX_WORK),
                    crate::check::budget::HOW_TO_RAISE
                ));
            }
            Ok(dense::judge(history, sources))
        }
        Err(BuildError::Cycle(_)) => Err(format!(
            "causal order has a cycle (see the causal verdict), and session guarantees are judged \
             through a cycle only in histories of at most {} operations (kvsim's budget); this one \
             has {}",
            dense::MAX_OPS,
            history.ops.len()
        )),
        Err(too_large) => Err(too_large.too_large_reason().unwrap_or_default()),
    }
}

/// One guarantee's judgements so far, over interpretations.
#[derive(Default)]
struct Tally {
    judged: usize,
    /// Interpretations that keep the guarantee even with "older" read strictly.
    holding: usize,
    /// Interpretations that break it even with "older" read leniently, the first one's story, and
    /// the operations of all their stories.
    breaking: usize,
    story: Option<Vec<String>>,
    ops: BTreeSet<OpIndex>,
    /// An interpretation that keeps the guarantee, and one that breaks it (by number, see
    /// [`choice`]).
    a_holding: Option<u64>,
    a_breaking: Option<u64>,
    /// A strict violation with no lenient one: it breaks only through a cycle.
    through_cycle: Option<Vec<String>>,
}

impl Tally {
    fn add(&mut self, k: u64, judgement: Judgement) {
        self.judged += 1;
        match (judgement.strict, judgement.lenient) {
            (None, _) => {
                self.holding += 1;
                self.a_holding.get_or_insert(k);
            }
            (Some(_), Some(violation)) => {
                self.breaking += 1;
                self.a_breaking.get_or_insert(k);
                self.ops.extend(violation.ops);
                self.story.get_or_insert(violation.lines);
            }
            (Some(violation), None) => {
                self.through_cycle.get_or_insert(violation.lines);
            }
        }
    }

    /// Whether no more interpretations can make the verdict anything but unknown.
    fn undecided(&self) -> bool {
        self.holding < self.judged && self.breaking < self.judged
    }

    fn finish(
        self,
        history: &CheckHistory,
        anomaly: &str,
        ambiguous: &[(OpIndex, &[OpIndex])],
    ) -> Finding {
        if self.breaking == self.judged {
            let mut witness = Vec::new();
            if self.judged > 1 {
                witness.push(format!(
                    "whichever of the writes of a repeated value each read saw ({} choices), the \
                     guarantee breaks; for one choice:",
                    self.judged
                ));
            }
            witness.extend(self.story.unwrap_or_default());
            return Err(Broken {
                anomaly: anomaly.to_string(),
                witness,
                ops: self.ops.into_iter().collect(),
            });
        }
        if self.holding == self.judged {
            return Ok(Verdict::holds());
        }
        if let (Some(holds), Some(breaks)) = (self.a_holding, self.a_breaking) {
            // Two interpretations differ in the write some read saw: name the first such read.
            let differ = choice(ambiguous, holds)
                .zip(choice(ambiguous, breaks))
                .find(|((_, a), (_, b))| a != b);
            if let Some(((r, a), (_, b))) = differ {
                return Ok(Verdict::unknown(format!(
                    "reads returned values written more than once, and which writes they saw decides \
                     it: it holds for one choice and breaks for another, and the two differ in what \
                     {} saw ({} or {})",
                    history.describe(r),
                    history.describe(a),
                    history.describe(b)
                )));
            }
        }
        Ok(Verdict::unknown(format!(
            "causal order has a cycle (see the causal verdict), and the guarantee breaks only if a \
             write on it counts as older than another on it: {}",
            self.through_cycle.unwrap_or_default().join("; ")
        )))
    }
}

/// What came before write `w2` in its client's program order: its session's earlier operations, or
/// for a write that never returned, what its client did up to the operation it follows.
fn program_past(history: &CheckHistory, w2: OpIndex) -> &[OpIndex] {
    let writer = &history.ops[w2];
    match writer.after {
        _ if writer.completed() => {
            &history.sessions[writer.session as usize][..writer.seq as usize]
        }
        Some(p) => {
            let p = &history.ops[p];
            &history.sessions[p.session as usize][..=p.seq as usize]
        }
        None => &[],
    }
}

//! Consistency checkers: black-box judges that look only at a history (and, for convergence, the final
//! stores) and say which guarantees held — and when one broke, which anomaly broke it, with the few
//! operations that prove it.
//!
//! | property | checker | idea |
//! |---|---|---|
//! | linearizable | [`linearizable`] | Wing–Gong/Lowe search per key, memoised on (done set, value); the sequential solver with real time added past its budget |
//! | sequential | [`sequential`] | saturation over per-client reachability clocks, then a SAT solver with acyclicity as a theory |
//! | causal | [`causal`] | the bad patterns of Bouajjani, Enea, Guerraoui and Hamza (POPL 2017) |
//! | causal convergence | [`causal`] | the same, plus one order of conflicting writes (CCv) |
//! | convergent | [`convergent`] | every replica's final store is the same |
//! | session guarantees | [`session`] | read-your-writes, monotonic reads and writes, writes-follow-reads |
//!
//! A broken verdict also names its operations by input position ([`Verdict::operations`]), and
//! those operations alone break the property: each checker shrinks its witness to a minimal set
//! (the causal and session checkers through [`witness`], linearizability and sequential consistency
//! in their own modules).
//!
//! The properties imply one another (linearizable ⇒ sequential ⇒ causal convergence ⇒ causal ⇒ each
//! session guarantee): [`check_all`] makes the checkers' verdicts agree along those implications
//! ([`lattice`]), and [`lattice::strongest`] names the strongest model a history satisfies.
//!
//! Compare-and-set and append ([`history::Role`]): a compare-and-set that failed is a read of what it
//! saw; one that succeeded, and an append, is an *update* that reads and writes atomically. The
//! linearizability and sequential searches apply updates as the stores do ([`appended`] interns the
//! strings appends make), and name a [`lost_update`] at once; the causal and session checkers judge a
//! compare-and-set as a read and then a write at its replica ([`CheckHistory::split_updates`]), which is why a
//! lost update is causal, and an append likewise, once the values read show what it read and wrote
//! (each splits, one way, into the elements of the appends that made it).
//!
//! A checker never looks at protocol internals: the same checkers judge a history recorded elsewhere
//! (`kvsim check`). A verdict is `holds`, `broken` or `unknown` (a search ran out of budget, or the
//! history is ambiguous); the checkers never guess.

pub mod appended;
pub mod budget;
pub mod causal;
pub mod convergent;
pub mod file;
pub mod fingerprint;
pub mod glossary;
pub mod history;
pub mod lattice;
pub mod linearizable;
pub mod lost_update;
pub mod order;
pub mod saturate;
pub mod sequential;
pub mod session;
pub mod witness;

use serde::Serialize;

pub use history::{CheckHistory, CheckOp, OpIndex};

use crate::protocol::Store;

/// The outcome of one checker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// `Some(true)`: the property holds; `Some(false)`: it is broken; `None`: unknown.
    pub ok: Option<bool>,
    /// For a broken property, the name of the anomaly; for an unknown verdict, why it is unknown.
    pub anomaly: Option<String>,
    /// For a broken property, the operations that prove it, in plain words.
    pub witness: Vec<String>,
    /// For a broken property, the operations the witness names, by their position in the input
    /// ([`CheckOp::origin`]: 0-based, in the order the history gave them), sorted. Those operations
    /// alone, checked as a history, break the property too. Empty (and left out of JSON) otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<usize>,
}

impl Verdict {
    pub fn holds() -> Self {
        Verdict {
            ok: Some(true),
            anomaly: None,
            witness: Vec::new(),
            operations: Vec::new(),
        }
    }

    pub fn broken(anomaly: impl Into<String>, witness: Vec<String>) -> Self {
        Verdict {
            ok: Some(false),
            anomaly: Some(anomaly.into()),
            witness,
            operations: Vec::new(),
        }
    }

    /// A broken verdict whose witness names `ops` of `history` (see [`Verdict::operations`]).
    pub fn broken_by(
        anomaly: impl Into<String>,
        witness: Vec<String>,
        history: &CheckHistory,
        ops: impl IntoIterator<Item = OpIndex>,
    ) -> Self {
        Verdict {
            operations: history.origins(ops),
            ..Verdict::broken(anomaly, witness)
        }
    }

    pub fn unknown(reason: impl Into<String>) -> Self {
        Verdict {
            ok: None,
            anomaly: Some(reason.into()),
            witness: Vec::new(),
            operations: Vec::new(),
        }
    }

    /// `holds`, `broken` or `unknown`.
    pub fn word(&self) -> &'static str {
        match self.ok {
            Some(true) => "holds",
            Some(false) => "broken",
            None => "unknown",
        }
    }
}

/// The properties kvsim checks, in the order of the verdict matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Property {
    Linearizable,
    Sequential,
    Causal,
    CausalConvergence,
    Convergent,
    ReadYourWrites,
    MonotonicReads,
    MonotonicWrites,
    WritesFollowReads,
}

impl Property {
    pub const ALL: [Property; 9] = [
        Property::Linearizable,
        Property::Sequential,
        Property::Causal,
        Property::CausalConvergence,
        Property::Convergent,
        Property::ReadYourWrites,
        Property::MonotonicReads,
        Property::MonotonicWrites,
        Property::WritesFollowReads,
    ];

    /// The name used in JSON and in the verdict matrix.
    pub fn name(self) -> &'static str {
        match self {
            Property::Linearizable => "linearizable",
            Property::Sequential => "sequential",
            Property::Causal => "causal",
            Property::CausalConvergence => "causal_convergence",
            Property::Convergent => "convergent",
            Property::ReadYourWrites => "read_your_writes",
            Property::MonotonicReads => "monotonic_reads",
            Property::MonotonicWrites => "monotonic_writes",
            Property::WritesFollowReads => "writes_follow_reads",
        }
    }
}

/// Every property's verdict for one history. Field names are the JSON names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdicts {
    pub linearizable: Verdict,
    pub sequential: Verdict,
    pub causal: Verdict,
    pub causal_convergence: Verdict,
    pub convergent: Verdict,
    pub read_your_writes: Verdict,
    pub monotonic_reads: Verdict,
    pub monotonic_writes: Verdict,
    pub writes_follow_reads: Verdict,
}

impl Verdicts {
    /// The verdict of one property.
    pub fn get(&self, property: Property) -> &Verdict {
        match property {
            Property::Linearizable => &self.linearizable,
            Property::Sequential => &self.sequential,
            Property::Causal => &self.causal,
            Property::CausalConvergence => &self.causal_convergence,
            Property::Convergent => &self.convergent,
            Property::ReadYourWrites => &self.read_your_writes,
            Property::MonotonicReads => &self.monotonic_reads,
            Property::MonotonicWrites => &self.monotonic_writes,
            Property::WritesFollowReads => &self.writes_follow_reads,
        }
    }

    /// The verdict of one property, to change it.
    pub fn get_mut(&mut self, property: Property) -> &mut Verdict {
        match property {
            Property::Linearizable => &mut self.linearizable,
            Property::Sequential => &mut self.sequential,
            Property::Causal => &mut self.causal,
            Property::CausalConvergence => &mut self.causal_convergence,
            Property::Convergent => &mut self.convergent,
            Property::ReadYourWrites => &mut self.read_your_writes,
            Property::MonotonicReads => &mut self.monotonic_reads,
            Property::MonotonicWrites => &mut self.monotonic_writes,
            Property::WritesFollowReads => &mut self.writes_follow_reads,
        }
    }
}

/// One property's verdict, running only the checker it needs: that checker's own verdict, which the
/// [`lattice`] does not change (it would take the checkers of the other properties; [`check_all`]
/// runs them all and applies it). `stores` as for [`check_all`].
pub fn check_property(
    history: &CheckHistory,
    stores: Option<&[Store]>,
    property: Property,
) -> Verdict {
    match property {
        Property::Linearizable => linearizable::check(history),
        Property::Sequential => sequential::check(history),
        Property::Causal => causal::check(history),
        Property::CausalConvergence => causal::check_convergence(history),
        Property::Convergent => convergence(stores),
        Property::ReadYourWrites => {
            session::check_guarantee(history, session::Guarantee::ReadYourWrites)
        }
        Property::MonotonicReads => {
            session::check_guarantee(history, session::Guarantee::MonotonicReads)
        }
        Property::MonotonicWrites => {
            session::check_guarantee(history, session::Guarantee::MonotonicWrites)
        }
        Property::WritesFollowReads => {
            session::check_guarantee(history, session::Guarantee::WritesFollowReads)
        }
    }
}

/// Judges a simulated run: its history, and its replicas' final stores for convergence.
pub fn check_run(run: &crate::run::Run) -> Verdicts {
    let stores: Vec<Store> = run.replicas.iter().map(|r| r.store.clone()).collect();
    check_all(&CheckHistory::from_run(&run.history), Some(&stores))
}

/// Runs every checker, and makes their verdicts agree ([`lattice::agree`]): a property left unknown is
/// decided when a stronger one holds or a weaker one is broken. `stores` are the replicas' final
/// stores, for convergence; `None` when they are not known (a history file), which makes convergence
/// unknown.
///
/// Checkers whose verdict a stronger property that holds already settles are not run: a
/// linearizable history needs no other checker but convergence, a causally convergent one no causal
/// or session checker. That is what keeps judging a 100,000-operation run fast.
pub fn check_all(history: &CheckHistory, stores: Option<&[Store]>) -> Verdicts {
    lattice::agree(&check_needed(history, stores))
}

/// The checkers' verdicts, strongest property first, leaving unknown those a stronger property that
/// holds settles ([`lattice::agree`] then makes them hold).
fn check_needed(history: &CheckHistory, stores: Option<&[Store]>) -> Verdicts {
    let settled = || Verdict::unknown("settled by a stronger property that holds");
    let linearizable = linearizable::check(history);
    let linearizable_holds = linearizable.ok == Some(true);
    let causal_convergence = if linearizable_holds {
        settled()
    } else {
        causal::check_convergence(history)
    };
    let convergent_causally = linearizable_holds || causal_convergence.ok == Some(true);
    let causal = if convergent_causally {
        settled()
    } else {
        causal::check(history)
    };
    let sequential = if linearizable_holds {
        settled()
    } else {
        sequential::check_given(history, &causal, &linearizable)
    };
    let sessions = if convergent_causally || causal.ok == Some(true) {
        session::SessionVerdicts {
            read_your_writes: settled(),
            monotonic_reads: settled(),
            monotonic_writes: settled(),
            writes_follow_reads: settled(),
        }
    } else {
        session::check(history)
    };
    Verdicts {
        linearizable,
        sequential,
        causal,
        causal_convergence,
        convergent: convergence(stores),
        read_your_writes: sessions.read_your_writes,
        monotonic_reads: sessions.monotonic_reads,
        monotonic_writes: sessions.monotonic_writes,
        writes_follow_reads: sessions.writes_follow_reads,
    }
}

/// Every checker's own verdict, as [`check_all`] has them before making them agree.
pub fn check_each(history: &CheckHistory, stores: Option<&[Store]>) -> Verdicts {
    let sessions = session::check(history);
    let linearizable = linearizable::check(history);
    let causal = causal::check(history);
    Verdicts {
        sequential: sequential::check_given(history, &causal, &linearizable),
        linearizable,
        causal,
        causal_convergence: causal::check_convergence(history),
        convergent: convergence(stores),
        read_your_writes: sessions.read_your_writes,
        monotonic_reads: sessions.monotonic_reads,
        monotonic_writes: sessions.monotonic_writes,
        writes_follow_reads: sessions.writes_follow_reads,
    }
}

/// A checker built on reads and writes (causal, session), run on a history that may have updates: on
/// its view with each compare-and-set that succeeded split into a read and a write
/// ([`CheckHistory::split_updates`]), where the checker's definition applies as it is — so a lost
/// update, which these properties allow, is not flagged. Unknown, with the reason, where there is no
/// such view (the values read do not say what each append wrote), and where the view only relaxes the
/// history and the checker found it holds. A broken verdict's operations include, for each append in
/// them, what shows what it read ([`CheckHistory::append_observers`]), so they break it alone.
pub(crate) fn on_reads_and_writes(
    history: &CheckHistory,
    check: impl FnOnce(&CheckHistory) -> Verdict,
) -> Verdict {
    if !history.has_updates() {
        return check(history);
    }
    match history.split_updates() {
        Err(reason) => Verdict::unknown(reason),
        Ok((split, relaxed)) => {
            let mut verdict = check(&split);
            if verdict.ok == Some(false) && history.has_appends() {
                let extra = history.append_observers(&verdict.operations);
                verdict.operations.extend(extra);
                verdict.operations.sort_unstable();
            }
            if relaxed && verdict.ok == Some(true) {
                return Verdict::unknown(
                    "a compare-and-set that never returned was read, so it happened, but what it read cannot be placed: it was judged as a write alone, which holds, and that only bounds the history",
                );
            }
            verdict
        }
    }
}

/// Convergence, judged from the replicas' final stores when the history comes with them.
fn convergence(stores: Option<&[Store]>) -> Verdict {
    match stores {
        Some(stores) => convergent::check(stores),
        None => Verdict::unknown("the replicas' final stores are not part of this history"),
    }
}

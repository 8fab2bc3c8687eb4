//! The model lattice: what one verdict says about another, and the strongest model a history satisfies.
//!
//! ```text
//! linearizable ⇒ sequential ⇒ causal convergence ⇒ causal ⇒ read-your-writes
//!                                                          ⇒ monotonic reads
//!                                                          ⇒ monotonic writes
//!                                                          ⇒ writes-follow-reads
//! ```
//!
//! Each arrow holds for kvsim's definitions, writes that never returned included:
//!
//! - *linearizable ⇒ sequential*: a linearization respects program order (and real time besides), and
//!   both leave out any write that never returned.
//! - *sequential ⇒ causal convergence*: in a sequential order every read follows the write it read (the
//!   only write of its value) and its client's earlier operations, so causal order lies inside it; its
//!   writes, in that order, with the writes nobody read and that never returned last, are an order of
//!   conflicting writes under which every read returns the latest write causally before it.
//! - *causal convergence ⇒ causal*: by definition, CCv is CC and one order of conflicting writes.
//! - *causal ⇒ each session guarantee*: every write a session guarantee says a read must not miss is
//!   causally before that read (an own earlier write; a write read earlier; a write made, or read, by a
//!   writer before the write read earlier — program order and reads-from chain them), and a read that
//!   misses it returns the initial value or a write causally before it: the bad patterns
//!   WriteCOInitRead and WriteCORead of [`super::causal`].
//!
//! So a weaker property that is broken breaks every stronger one (with the same witness, and a first
//! line saying which definition implies it), and a stronger one that holds makes every weaker one hold.
//! [`agree`] applies both to the checkers' own verdicts, where those are unknown; the checkers' verdicts
//! never contradict one another (`tests/lattice.rs` checks it on random histories, against the brute
//! force too), and if they ever did, that is a checker bug, which [`agree`] leaves in plain view (and
//! asserts against in debug builds). Convergence of the final stores is not a property of the history
//! and stands apart.

use serde::Serialize;

use super::{Property, Verdict, Verdicts};

/// The chain of models, strongest first.
pub const CHAIN: [Property; 4] = [
    Property::Linearizable,
    Property::Sequential,
    Property::CausalConvergence,
    Property::Causal,
];

/// The session guarantees, each implied by causal consistency (and by nothing weaker in the chain).
pub const SESSIONS: [Property; 4] = [
    Property::ReadYourWrites,
    Property::MonotonicReads,
    Property::MonotonicWrites,
    Property::WritesFollowReads,
];

/// The properties `stronger` implies, other than itself, nearest first.
pub fn implied_by(stronger: Property) -> Vec<Property> {
    match CHAIN.iter().position(|&p| p == stronger) {
        Some(rank) => CHAIN[rank + 1..].iter().chain(&SESSIONS).copied().collect(),
        None => Vec::new(),
    }
}

/// Whether `stronger` implies `weaker` (a different property).
pub fn implies(stronger: Property, weaker: Property) -> bool {
    implied_by(stronger).contains(&weaker)
}

/// The checkers' own verdicts made to agree: an unknown verdict holds when a stronger property holds,
/// and is broken when a weaker one is (by the nearest broken weaker one's witness). Known verdicts are
/// kept as they are, even a contradiction (a stronger property holding, a weaker one broken), which is
/// a checker bug: debug builds panic on it.
pub fn agree(raw: &Verdicts) -> Verdicts {
    let mut agreed = raw.clone();
    for &property in CHAIN.iter().chain(&SESSIONS) {
        let verdict = raw.get(property);
        let stronger: Vec<Property> = CHAIN
            .iter()
            .copied()
            .filter(|&s| implies(s, property))
            .collect();
        if verdict.ok == Some(false) {
            for &s in &stronger {
                debug_assert!(
                    raw.get(s).ok != Some(true),
                    "checker bug: {} holds but {} is broken: {verdict:?}",
                    s.name(),
                    property.name()
                );
            }
        }
        if verdict.ok.is_some() {
            continue;
        }
        if stronger.iter().any(|&s| raw.get(s).ok == Some(true)) {
            *agreed.get_mut(property) = Verdict::holds();
        } else if let Some(&weaker) = implied_by(property)
            .iter()
            .find(|&&w| raw.get(w).ok == Some(false))
        {
            *agreed.get_mut(property) = broken_because(property, weaker, raw.get(weaker));
        }
    }
    agreed
}

/// `property` broken because `weaker`, which it implies, is broken as `verdict` says.
fn broken_because(property: Property, weaker: Property, verdict: &Verdict) -> Verdict {
    let because = if CHAIN.contains(&weaker) {
        format!(
            "a {} history is {}; this one is not:",
            adjective(property),
            adjective(weaker)
        )
    } else {
        format!(
            "a {} history keeps {}; this one does not:",
            adjective(property),
            adjective(weaker)
        )
    };
    let mut implied = verdict.clone();
    implied.witness.insert(0, because);
    implied
}

/// How a history that satisfies `property` is called in a sentence.
fn adjective(property: Property) -> &'static str {
    match property {
        Property::Linearizable => "linearizable",
        Property::Sequential => "sequentially consistent",
        Property::CausalConvergence => "causally convergent",
        Property::Causal => "causally consistent",
        Property::Convergent => "convergent",
        Property::ReadYourWrites => "read-your-writes",
        Property::MonotonicReads => "monotonic reads",
        Property::MonotonicWrites => "monotonic writes",
        Property::WritesFollowReads => "writes-follow-reads",
    }
}

/// The strongest model of [`CHAIN`] a history satisfies, and why not the next one. Field names are the
/// JSON names (see the README).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Strongest {
    /// The strongest model that holds (its JSON name), or `"none"` when not even causal does.
    pub model: &'static str,
    /// False when the next stronger model is unknown: the history satisfies *at least* `model` (with
    /// `model` `"none"`: nothing is known to hold).
    pub exact: bool,
    /// The next stronger model, which is broken (`exact`) or unknown; absent after `linearizable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not: Option<&'static str>,
    /// Why not: the anomaly that broke `not`, or why it is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub because: Option<String>,
    /// Below causal (`model` `"none"`): the session guarantees that hold, by JSON name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<&'static str>,
}

/// The strongest model `verdicts` (made to [`agree`]) show the history satisfies.
pub fn strongest(verdicts: &Verdicts) -> Strongest {
    let held = CHAIN.iter().position(|&p| verdicts.get(p).ok == Some(true));
    let model = held.map_or("none", |rank| CHAIN[rank].name());
    // The next stronger model: the one just above the strongest that holds, or causal when none does.
    let next = match held {
        Some(0) => None,
        Some(rank) => Some(CHAIN[rank - 1]),
        None => Some(Property::Causal),
    };
    let sessions = if held.is_none() {
        SESSIONS
            .iter()
            .filter(|&&p| verdicts.get(p).ok == Some(true))
            .map(|p| p.name())
            .collect()
    } else {
        Vec::new()
    };
    Strongest {
        model,
        exact: next.is_none_or(|p| verdicts.get(p).ok == Some(false)),
        not: next.map(Property::name),
        because: next.and_then(|p| verdicts.get(p).anomaly.clone()),
        sessions,
    }
}

impl std::fmt::Display for Strongest {
    /// `causal (not sequential: concurrent writes seen in different orders)`, `at least causal
    /// (sequential unknown: …)`, `none (not causal: …; holds: read your writes)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let words = |name: &str| name.replace('_', " ");
        let because = self.because.as_deref().unwrap_or("no reason given");
        match (self.not, self.exact) {
            (None, _) => write!(f, "{}", words(self.model))?,
            (Some(not), true) => write!(f, "{} (not {}: {because}", words(self.model), words(not))?,
            (Some(not), false) if self.model == "none" => {
                write!(f, "unknown ({} unknown: {because}", words(not))?
            }
            (Some(not), false) => write!(
                f,
                "at least {} ({} unknown: {because}",
                words(self.model),
                words(not)
            )?,
        }
        if self.not.is_some() {
            if !self.sessions.is_empty() {
                let held: Vec<String> = self.sessions.iter().map(|s| words(s)).collect();
                write!(f, "; holds: {}", held.join(", "))?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

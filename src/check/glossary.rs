//! Every anomaly a checker can name, with one plain sentence saying what it means.
//!
//! The checkers name what they find with the constants below, and the reports explain each name with
//! [`meaning`] the first time it appears in an output ([`Explained`]). The sentences are the README
//! glossary's, word for word: `tests/glossary.rs` checks that they agree, and that every anomaly a
//! checker names has its sentence.

use std::collections::BTreeSet;

use super::Property;

pub const STALE_READ: &str = "stale read";
pub const LOST_UPDATE: &str = "lost update";
pub const READ_FROM_NOWHERE: &str = "value read from nowhere";
pub const THIN_AIR_READ: &str = "value read from nowhere (ThinAirRead)";
pub const READ_FROM_THE_FUTURE: &str = "read from the future";
pub const REAL_TIME_VIOLATION: &str = "real-time violation";
pub const NO_SEQUENTIAL_ORDER: &str = "no sequential order";
pub const WRITES_IN_DIFFERENT_ORDERS: &str = "concurrent writes seen in different orders";
pub const CYCLIC_CF: &str = "concurrent writes seen in different orders (CyclicCF)";
pub const CYCLIC_CO: &str = "causality cycle (CyclicCO)";
pub const WRITE_CO_INIT_READ: &str = "causal reversal (WriteCOInitRead)";
pub const WRITE_CO_READ: &str = "causal reversal (WriteCORead)";
pub const READ_YOUR_WRITES_VIOLATION: &str = "read-your-writes violation";
pub const MONOTONIC_READS_VIOLATION: &str = "monotonic-reads violation";
pub const MONOTONIC_WRITES_VIOLATION: &str = "monotonic-writes violation";
pub const WRITES_FOLLOW_READS_VIOLATION: &str = "writes-follow-reads violation";
pub const DIVERGENCE: &str = "divergence";

/// The properties whose own checkers find `anomaly` (a name above) first-hand. Other verdicts show it
/// only second-hand: the sequential checker passes on a broken causal verdict, and the verdicts made
/// to agree ([`super::lattice::agree`]) copy a broken one to stronger properties. Whenever any
/// verdict shows `anomaly`, one of these properties' own checkers finds it on the same history — so a
/// search for an anomaly needs to run only these. Every property, for a name none of them uses.
pub fn named_by(anomaly: &str) -> &'static [Property] {
    use Property::*;
    match anomaly {
        STALE_READ | READ_FROM_NOWHERE | READ_FROM_THE_FUTURE => &[Linearizable],
        LOST_UPDATE | REAL_TIME_VIOLATION => &[Linearizable, Sequential],
        NO_SEQUENTIAL_ORDER | WRITES_IN_DIFFERENT_ORDERS => &[Sequential],
        THIN_AIR_READ | CYCLIC_CO | WRITE_CO_INIT_READ | WRITE_CO_READ => {
            &[Causal, CausalConvergence]
        }
        CYCLIC_CF => &[CausalConvergence],
        READ_YOUR_WRITES_VIOLATION => &[ReadYourWrites],
        MONOTONIC_READS_VIOLATION => &[MonotonicReads],
        MONOTONIC_WRITES_VIOLATION => &[MonotonicWrites],
        WRITES_FOLLOW_READS_VIOLATION => &[WritesFollowReads],
        DIVERGENCE => &[Convergent],
        _ => &Property::ALL,
    }
}

/// Every anomaly name and its sentence, in the order a course would meet them: real time first, then
/// one order for everyone, then cause and effect, then one client's own view, then the stores. Each
/// sentence stands alone, since an output may explain any of them first.
pub const ANOMALIES: [(&str, &str); 17] = [
    (
        STALE_READ,
        "a read returns an older value than a write that had been answered before the read began.",
    ),
    (
        LOST_UPDATE,
        "an update (a compare-and-set or an append) took effect, yet its change is gone: two updates read the same value and both took effect, so whichever came second wiped out the change of the first, or a later read lacks an element appended before it.",
    ),
    (
        READ_FROM_NOWHERE,
        "a read returns a value that no write in the history wrote.",
    ),
    (
        THIN_AIR_READ,
        "a read returns a value that no write in the history wrote.",
    ),
    (
        READ_FROM_THE_FUTURE,
        "a read returns a value whose write began only after the read had been answered.",
    ),
    (
        REAL_TIME_VIOLATION,
        "no order of the witness's operations respects real time and each client's order, though no read is plainly stale; the witness says which must come before which.",
    ),
    (
        NO_SEQUENTIAL_ORDER,
        "no single order keeps every client's order and gives every read its value; the witness is the cycle of \"must come before\".",
    ),
    (
        WRITES_IN_DIFFERENT_ORDERS,
        "two writes are seen in one order by some clients and in the other by others, so each would have to come first.",
    ),
    (
        CYCLIC_CF,
        "two writes to one key are seen in different orders: what the readers saw forces each write before the other in the one order of that key's writes.",
    ),
    (
        CYCLIC_CO,
        "operations are their own causes: following reads and each client's order leads from an operation back to itself.",
    ),
    (
        WRITE_CO_INIT_READ,
        "a read returns null although a write to its key is causally before it: the effect is seen without its cause.",
    ),
    (
        WRITE_CO_READ,
        "a read returns a write that another write, causally before the read, had already overwritten.",
    ),
    (
        READ_YOUR_WRITES_VIOLATION,
        "a client's read misses that client's own earlier write.",
    ),
    (
        MONOTONIC_READS_VIOLATION,
        "a client's read misses a write the client had already read.",
    ),
    (
        MONOTONIC_WRITES_VIOLATION,
        "a read sees a client's write but misses an earlier write of the same client.",
    ),
    (
        WRITES_FOLLOW_READS_VIOLATION,
        "a read sees a client's write but misses a write that client had read before making it.",
    ),
    (
        DIVERGENCE,
        "replicas end with different stores; the witness names each key that differs.",
    ),
];

/// The sentence that explains `anomaly`, or `None` for a name that is not an anomaly (the reason of an
/// unknown verdict).
pub fn meaning(anomaly: &str) -> Option<&'static str> {
    ANOMALIES
        .iter()
        .find(|(name, _)| *name == anomaly)
        .map(|&(_, sentence)| sentence)
}

/// The anomalies one output has already explained, so that each gets its sentence once: the first
/// time it appears.
#[derive(Debug, Default)]
pub struct Explained {
    seen: BTreeSet<&'static str>,
}

impl Explained {
    /// `anomaly`'s sentence if this output has not explained it yet (and from now on it has).
    pub fn first_time(&mut self, anomaly: &str) -> Option<&'static str> {
        let (name, sentence) = ANOMALIES.iter().find(|(name, _)| *name == anomaly)?;
        self.seen.insert(name).then_some(sentence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_anomaly_is_named_once() {
        let names: BTreeSet<&str> = ANOMALIES.iter().map(|(name, _)| *name).collect();
        assert_eq!(names.len(), ANOMALIES.len());
    }

    #[test]
    fn an_anomaly_is_explained_only_the_first_time() {
        let mut explained = Explained::default();
        assert_eq!(
            explained.first_time(STALE_READ),
            meaning(STALE_READ),
            "the first time"
        );
        assert_eq!(explained.first_time(STALE_READ), None, "the second time");
        assert_eq!(explained.first_time("a budget ran out"), None);
    }
}

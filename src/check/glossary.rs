//! Every anomaly a checker can name, with one plain sentence saying what it means.
//!
//! The checkers name what they find with the constants below, and the reports explain each name with
//! [`meaning`] the first time it appears in an output ([`Explained`]). Keeping the names and their
//! sentences in one list is what lets the text output and the README's glossary say the same thing,
//! and a test checks that every name has its sentence.

use std::collections::BTreeSet;

pub const STALE_READ: &str = "stale read";
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

/// Every anomaly name and its sentence, in the order a course would meet them: real time first, then
/// one order for everyone, then cause and effect, then one client's own view, then the stores.
pub const ANOMALIES: [(&str, &str); 16] = [
    (
        STALE_READ,
        "a read returned an old value although a newer write to that key had already finished before the read began.",
    ),
    (
        READ_FROM_NOWHERE,
        "a read returned a value that no write ever wrote to that key.",
    ),
    (
        THIN_AIR_READ,
        "a read returned a value that no write ever wrote to that key (out of thin air).",
    ),
    (
        READ_FROM_THE_FUTURE,
        "a read returned the value of a write that began only after the read had finished.",
    ),
    (
        REAL_TIME_VIOLATION,
        "no order of the operations gives every read the latest write while placing each operation between its start and its end.",
    ),
    (
        NO_SEQUENTIAL_ORDER,
        "no single order of all operations keeps each client's own order and gives every read the latest write before it.",
    ),
    (
        WRITES_IN_DIFFERENT_ORDERS,
        "two writes were seen in one order by one client and in the opposite order by another, so no single order explains both.",
    ),
    (
        CYCLIC_CF,
        "the reads force two writes to one key into both orders at once, so the replicas cannot agree on one order of those writes.",
    ),
    (
        CYCLIC_CO,
        "the operations' causes form a loop: one would have to happen before itself.",
    ),
    (
        WRITE_CO_INIT_READ,
        "a read returned null, as if the key had never been written, although a write to it was among the read's causes: the effect was seen without its cause.",
    ),
    (
        WRITE_CO_READ,
        "a read returned an older value although a newer write to that key was among the read's causes: the effect was seen without its cause.",
    ),
    (
        READ_YOUR_WRITES_VIOLATION,
        "a client did not see its own earlier write.",
    ),
    (
        MONOTONIC_READS_VIOLATION,
        "a client read a value and later an older one: its view went back in time.",
    ),
    (
        MONOTONIC_WRITES_VIOLATION,
        "another client saw a client's later write but missed its earlier one.",
    ),
    (
        WRITES_FOLLOW_READS_VIOLATION,
        "a client wrote after reading a write, and another client saw the new write but missed the one it had read.",
    ),
    (
        DIVERGENCE,
        "the replicas ended with different values: they did not converge.",
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

//! Triage: a sweep's failures grouped by what they look like, so that 3,000 broken runs read as
//! "2 kinds of failure", each with its count and the first seeds to replay (or to shrink).
//!
//! A *failure* is one property broken in one run. Its signature is the model (each model keeps its
//! own groups), the property, the anomaly the checker named, and the [`Shape`] of the witness: how
//! many clients and keys its operations involve, how many of each kind there are, and how many were
//! never answered — never the keys, values or clients themselves, which differ from seed to seed
//! for the same bug (shape.rs).
//!
//! Groups are counts and merge like the rest of a summary. Their number is bounded: each (property,
//! anomaly) of a model keeps the [`MAX_SHAPES`] shapes that come first in the order of their text
//! — fewer clients first, then fewer keys — and counts the failures of any other shape as
//! `ungrouped`. Which shapes are kept depends only on which shapes occur, not on the order runs are
//! counted in nor on how the seeds were split into shards: a shape among the first of the whole
//! sweep is among the first of every shard that has it. So the merged summary of shards is the
//! summary of the one sweep, byte for byte, cap or not; and since anomaly names are a fixed list
//! ([`crate::check::glossary`]), a model keeps a bounded number of groups however many seeds it
//! sweeps.

use std::cmp::Reverse;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::shape::Shape;
use super::summary::{note_seed, position, AnomalyCount, SummaryError};
use crate::protocol::Model;

/// How many shapes each (property, anomaly) of a model keeps as groups; failures of the others
/// are counted as ungrouped.
pub const MAX_SHAPES: usize = 16;

/// One kind of failure of one model: every failure with this signature, and where to find it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureGroup {
    pub property: String,
    pub anomaly: String,
    /// The witness's [`Shape`], as text.
    pub shape: String,
    /// How many runs failed so.
    pub runs: u64,
    /// The smallest seeds that did (at most [`super::FIRST_SEEDS`]), in increasing order.
    pub first_seeds: Vec<u64>,
}

impl FailureGroup {
    fn is(&self, property: &str, anomaly: &str, shape: &str) -> bool {
        self.shape == shape && self.property == property && self.anomaly == anomaly
    }

    fn same_as(&self, other: &FailureGroup) -> bool {
        self.is(&other.property, &other.anomaly, &other.shape)
    }

    fn same_anomaly(&self, other: &FailureGroup) -> bool {
        self.property == other.property && self.anomaly == other.anomaly
    }

    /// Whether its shape comes before `other`'s (of the same property and anomaly): which of the
    /// two the cap keeps.
    fn kept_before(&self, other: &FailureGroup) -> bool {
        self.shape < other.shape
    }

    /// Where it is listed: most runs first; ties in property order, then by anomaly, then by
    /// shape.
    fn listing_key(&self) -> (Reverse<u64>, usize, &str, &str) {
        (
            Reverse(self.runs),
            position(&self.property),
            &self.anomaly,
            &self.shape,
        )
    }
}

/// A model's failures, grouped by signature.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failures {
    /// Most runs first (ties in property order, then by anomaly, then by shape).
    pub groups: Vec<FailureGroup>,
    /// Failures in no group: of a shape past the first [`MAX_SHAPES`] of its property and anomaly
    /// (in the order of their text), or counted by a kvsim that did not group failures.
    pub ungrouped: u64,
}

impl Failures {
    /// Counts one failure: `property` broken by `anomaly` in the run of `seed`, with a witness of
    /// `shape` (`None`: not known, and counted as ungrouped).
    pub fn add(&mut self, property: &str, anomaly: &str, shape: Option<&Shape>, seed: u64) {
        let Some(shape) = shape else {
            self.ungrouped += 1;
            return;
        };
        let text = shape.to_string();
        let mut at = match self
            .groups
            .iter()
            .position(|g| g.is(property, anomaly, &text))
        {
            Some(at) => at,
            None => {
                let group = FailureGroup {
                    property: property.to_string(),
                    anomaly: anomaly.to_string(),
                    shape: text,
                    runs: 0,
                    first_seeds: Vec::new(),
                };
                if !self.make_room_for(&group) {
                    self.ungrouped += 1;
                    return;
                }
                self.groups.push(group);
                self.groups.len() - 1
            }
        };
        self.groups[at].runs += 1;
        note_seed(&mut self.groups[at].first_seeds, seed);
        // One count went up by one (or a group was added with none): the list stays in order if
        // that group moves up past the ones it now beats.
        while at > 0 && self.groups[at].listing_key() < self.groups[at - 1].listing_key() {
            self.groups.swap(at, at - 1);
            at -= 1;
        }
    }

    /// Adds the failures of `other`, of other seeds of the same model.
    pub fn merge(&mut self, other: &Failures) {
        // Up to nine failures a run (one a property): the one count of a summary that may pass
        // `u64::MAX` when files of many seeds are added up.
        self.ungrouped = self.ungrouped.saturating_add(other.ungrouped);
        for group in &other.groups {
            if let Some(mine) = self.groups.iter_mut().find(|g| g.same_as(group)) {
                mine.runs = mine.runs.saturating_add(group.runs);
                for &seed in &group.first_seeds {
                    note_seed(&mut mine.first_seeds, seed);
                }
            } else if self.make_room_for(group) {
                self.groups.push(group.clone());
            } else {
                self.ungrouped = self.ungrouped.saturating_add(group.runs);
            }
        }
        self.sort();
    }

    /// Whether a new group may join: there is room among the shapes of its property and anomaly,
    /// or its shape comes before the last one there, which then leaves (its failures counted as
    /// ungrouped). Either way the kept shapes are the first seen in the order of their text.
    fn make_room_for(&mut self, group: &FailureGroup) -> bool {
        let mut kept = 0;
        let mut last: Option<usize> = None;
        for (at, g) in self.groups.iter().enumerate() {
            if g.same_anomaly(group) {
                kept += 1;
                if last.is_none_or(|l| self.groups[l].kept_before(g)) {
                    last = Some(at);
                }
            }
        }
        match last {
            _ if kept < MAX_SHAPES => true,
            Some(at) if group.kept_before(&self.groups[at]) => {
                let evicted = self.groups.remove(at);
                self.ungrouped = self.ungrouped.saturating_add(evicted.runs);
                true
            }
            _ => false,
        }
    }

    /// Puts the groups in their order, and each group's seeds in theirs.
    pub(super) fn sort(&mut self) {
        for group in &mut self.groups {
            let seeds = std::mem::take(&mut group.first_seeds);
            for seed in seeds {
                note_seed(&mut group.first_seeds, seed);
            }
        }
        self.groups
            .sort_by(|a, b| a.listing_key().cmp(&b.listing_key()));
    }

    /// The failures of a model read from a summary file, in the order and within the cap a sweep
    /// keeps them, once checked against the model's `broken` counts and `anomalies`: every broken
    /// property of a run is one failure, and each group is of runs its anomaly counts. A summary
    /// with no failures at all but broken runs is from a kvsim that did not group them: its
    /// failures are all ungrouped.
    pub(super) fn read_back(
        &self,
        model: Model,
        broken: &IndexMap<String, u64>,
        anomalies: &[AnomalyCount],
    ) -> Result<Failures, SummaryError> {
        let broken: u128 = broken.values().map(|&n| u128::from(n)).sum();
        if self.groups.is_empty() && self.ungrouped == 0 {
            return Ok(Failures {
                groups: Vec::new(),
                ungrouped: u64::try_from(broken).unwrap_or(u64::MAX),
            });
        }
        // Counted before the merge, which saturates: a file whose count is too large is refused.
        if self.total() != broken {
            return Err(SummaryError::FailuresDoNotAddUp {
                model,
                counted: self.total(),
                broken,
            });
        }
        let mut read = Failures::default();
        read.merge(self);
        for anomaly in anomalies {
            let runs: u128 = read
                .groups
                .iter()
                .filter(|g| g.property == anomaly.property && g.anomaly == anomaly.anomaly)
                .map(|g| u128::from(g.runs))
                .sum();
            if runs > u128::from(anomaly.runs) {
                return Err(SummaryError::FailuresPastTheirAnomaly {
                    model,
                    property: anomaly.property.clone(),
                    anomaly: anomaly.anomaly.clone(),
                    runs,
                    anomaly_runs: anomaly.runs,
                });
            }
        }
        let orphan = read.groups.iter().find(|g| {
            !anomalies
                .iter()
                .any(|a| a.property == g.property && a.anomaly == g.anomaly)
        });
        if let Some(group) = orphan {
            return Err(SummaryError::FailuresPastTheirAnomaly {
                model,
                property: group.property.clone(),
                anomaly: group.anomaly.clone(),
                runs: u128::from(group.runs),
                anomaly_runs: 0,
            });
        }
        Ok(read)
    }

    /// Every failure counted, grouped or not.
    pub fn total(&self) -> u128 {
        let grouped: u128 = self.groups.iter().map(|g| u128::from(g.runs)).sum();
        grouped + u128::from(self.ungrouped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `i`-th of 108 different shapes.
    fn shape(i: usize) -> Shape {
        Shape {
            clients: i % 3 + 1,
            keys: i / 3 % 3 + 1,
            puts: i / 9 % 3 + 1,
            gets: i / 27 % 4,
            ..Shape::default()
        }
    }

    #[test]
    fn failures_of_one_signature_make_one_group_with_its_smallest_seeds() {
        let mut failures = Failures::default();
        for seed in [9, 4, 7, 1, 8, 3] {
            failures.add("linearizable", "stale read", Some(&shape(0)), seed);
        }
        failures.add("linearizable", "stale read", Some(&shape(1)), 2);
        failures.add("sequential", "stale read", Some(&shape(0)), 5);
        failures.add("sequential", "stale read", None, 6);
        assert_eq!(failures.groups.len(), 3);
        assert_eq!(failures.groups[0].runs, 6);
        assert_eq!(failures.groups[0].first_seeds, vec![1, 3, 4, 7, 8]);
        assert_eq!(failures.ungrouped, 1);
        assert_eq!(failures.total(), 9);
    }

    #[test]
    fn past_the_cap_the_first_shapes_are_kept_whatever_the_order() {
        let count = MAX_SHAPES + 10;
        let mut rising = Failures::default();
        let mut falling = Failures::default();
        for i in 0..count {
            rising.add("causal", "causality cycle", Some(&shape(i)), i as u64);
        }
        for i in (0..count).rev() {
            falling.add("causal", "causality cycle", Some(&shape(i)), i as u64);
        }
        assert_eq!(rising, falling);
        assert_eq!(rising.groups.len(), MAX_SHAPES);
        assert_eq!(rising.ungrouped, 10);
        let mut texts: Vec<String> = (0..count).map(|i| shape(i).to_string()).collect();
        texts.sort();
        let mut kept: Vec<String> = rising.groups.iter().map(|g| g.shape.clone()).collect();
        kept.sort();
        assert_eq!(kept, texts[..MAX_SHAPES]);
        // Another anomaly has room of its own.
        rising.add("causal", "causal reversal", Some(&shape(count)), 0);
        assert_eq!(rising.groups.len(), MAX_SHAPES + 1);
    }

    #[test]
    fn past_the_cap_halves_merge_into_the_whole() {
        let mut whole = Failures::default();
        let mut halves = [Failures::default(), Failures::default()];
        for seed in 0..500u64 {
            let shape = shape((seed * 37 % 108) as usize);
            let anomaly = "no sequential order";
            whole.add("sequential", anomaly, Some(&shape), seed);
            halves[(seed % 2) as usize].add("sequential", anomaly, Some(&shape), seed);
        }
        let [mut merged, odd] = halves;
        merged.merge(&odd);
        assert_eq!(merged, whole);
        assert_eq!(whole.total(), 500);
        assert!(whole.ungrouped > 0, "the test needs the cap to bite");
    }
}

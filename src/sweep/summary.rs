//! A sweep's summary: what its runs came to, kept as counts that add up.
//!
//! A summary is built one run at a time and forgets each run once counted: runs per property and per
//! anomaly, the smallest seeds of each anomaly, the failures grouped by kind ([`Failures`]), runs
//! per value of each spread ([`Spread`]). None of it
//! depends on the order runs are counted in, and two summaries of different seeds add up to the
//! summary of one sweep over both — which is how `--merge` joins the shards of a sweep.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::seed_set::{SeedSet, MAX_PIECES};
use super::seeds::Seeds;
use super::spread::Spread;
use super::triage::Failures;
use super::{RunRecord, SweepError};
use crate::check::Property;
use crate::json::Located;
use crate::protocol::Model;
use crate::run::Stop;

/// How many seeds are listed per anomaly.
pub const FIRST_SEEDS: usize = 5;

/// One named anomaly of one property, and where to find it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnomalyCount {
    pub property: String,
    pub anomaly: String,
    pub runs: u64,
    /// The smallest seeds that show it (at most [`FIRST_SEEDS`]), in increasing order, to replay
    /// with `kvsim run --seed`.
    pub first_seeds: Vec<u64>,
}

impl AnomalyCount {
    /// Keeps `seed` if it is among the smallest seeds seen.
    fn note_seed(&mut self, seed: u64) {
        note_seed(&mut self.first_seeds, seed);
    }

    /// Whether it is listed before `other`: most runs first; ties in property order, then by name.
    fn goes_before(&self, other: &AnomalyCount) -> bool {
        (other.runs, position(&self.property), &self.anomaly)
            < (self.runs, position(&other.property), &other.anomaly)
    }
}

/// Keeps `seed` in `first_seeds` (increasing, at most [`FIRST_SEEDS`]) if it is among the smallest
/// seeds seen.
pub(super) fn note_seed(first_seeds: &mut Vec<u64>, seed: u64) {
    let at = first_seeds.partition_point(|&s| s < seed);
    if at < FIRST_SEEDS && first_seeds.get(at) != Some(&seed) {
        first_seeds.insert(at, seed);
        first_seeds.truncate(FIRST_SEEDS);
    }
}

/// Where a property comes in [`Property::ALL`] (unknown names last; reading a summary refuses them).
pub(super) fn position(property: &str) -> usize {
    Property::ALL
        .iter()
        .position(|p| p.name() == property)
        .unwrap_or(usize::MAX)
}

/// One model's results over the sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    pub model: Model,
    pub runs: u64,
    /// For each property, how many runs broke it.
    pub broken: IndexMap<String, u64>,
    /// For each property, how many runs left it undecided.
    pub unknown: IndexMap<String, u64>,
    /// Most frequent first.
    pub anomalies: Vec<AnomalyCount>,
    /// Every broken property of every run, grouped by its anomaly and the shape of its witness
    /// (triage.rs). Absent from summaries of a kvsim that did not group failures.
    #[serde(default)]
    pub failures: Failures,
    /// Runs a limit cut short (time, events or queue), or that stalled: some of their operations
    /// never returned.
    pub cut_short: u64,
    /// Operations whose client gave up, over all runs.
    pub timed_out: u64,
    /// The spread over runs of the percentage of operations answered in time (runs with no
    /// operations left out).
    pub answered_in_time: Spread,
    pub messages: Spread,
    /// The spread over runs of each run's mean read latency (runs with no answered read left out).
    pub mean_read_latency: Spread,
    pub mean_write_latency: Spread,
}

impl ModelSummary {
    fn new(model: Model) -> ModelSummary {
        let zero: IndexMap<String, u64> = Property::ALL
            .iter()
            .map(|p| (p.name().to_string(), 0))
            .collect();
        ModelSummary {
            model,
            runs: 0,
            broken: zero.clone(),
            unknown: zero,
            anomalies: Vec::new(),
            failures: Failures::default(),
            cut_short: 0,
            timed_out: 0,
            answered_in_time: Spread::default(),
            messages: Spread::default(),
            mean_read_latency: Spread::default(),
            mean_write_latency: Spread::default(),
        }
    }

    fn add(&mut self, record: &RunRecord) {
        self.runs += 1;
        for (property, anomaly) in &record.broken {
            *self.broken.entry(property.clone()).or_insert(0) += 1;
            let mut at = match self
                .anomalies
                .iter()
                .position(|a| a.property == *property && a.anomaly == *anomaly)
            {
                Some(at) => at,
                None => {
                    self.anomalies.push(AnomalyCount {
                        property: property.clone(),
                        anomaly: anomaly.clone(),
                        runs: 0,
                        first_seeds: Vec::new(),
                    });
                    self.anomalies.len() - 1
                }
            };
            self.anomalies[at].runs += 1;
            self.anomalies[at].note_seed(record.seed);
            let shape = record.shapes.get(property.as_str());
            self.failures.add(property, anomaly, shape, record.seed);
            // One count went up by one: the list stays in order if that anomaly moves up past the
            // ones it now beats.
            while at > 0 && self.anomalies[at].goes_before(&self.anomalies[at - 1]) {
                self.anomalies.swap(at, at - 1);
                at -= 1;
            }
        }
        for property in &record.unknown {
            *self.unknown.entry(property.clone()).or_insert(0) += 1;
        }
        if record.stopped != Stop::Idle {
            self.cut_short += 1;
        }
        self.timed_out += record.timed_out as u64;
        if record.operations > 0 {
            self.answered_in_time
                .add(100 * record.completed as u128, record.operations as u128);
        }
        self.messages.add(u128::from(record.messages), 1);
        if record.reads_answered > 0 {
            self.mean_read_latency.add(
                u128::from(record.read_latency_total),
                record.reads_answered as u128,
            );
        }
        if record.writes_answered > 0 {
            self.mean_write_latency.add(
                u128::from(record.write_latency_total),
                record.writes_answered as u128,
            );
        }
    }

    fn merge(&mut self, other: &ModelSummary) {
        self.runs += other.runs;
        for (counts, more) in [
            (&mut self.broken, &other.broken),
            (&mut self.unknown, &other.unknown),
        ] {
            for (property, runs) in more {
                *counts.entry(property.clone()).or_insert(0) += runs;
            }
        }
        for anomaly in &other.anomalies {
            match self
                .anomalies
                .iter_mut()
                .find(|a| a.property == anomaly.property && a.anomaly == anomaly.anomaly)
            {
                Some(mine) => {
                    mine.runs += anomaly.runs;
                    for &seed in &anomaly.first_seeds {
                        mine.note_seed(seed);
                    }
                }
                None => self.anomalies.push(anomaly.clone()),
            }
        }
        self.sort_anomalies();
        self.failures.merge(&other.failures);
        self.cut_short += other.cut_short;
        // Operations, not runs: the one count a file can make as large as it likes.
        self.timed_out = self.timed_out.saturating_add(other.timed_out);
        self.answered_in_time.merge(&other.answered_in_time);
        self.messages.merge(&other.messages);
        self.mean_read_latency.merge(&other.mean_read_latency);
        self.mean_write_latency.merge(&other.mean_write_latency);
    }

    fn sort_anomalies(&mut self) {
        self.anomalies.sort_by(|a, b| {
            (b.runs, position(&a.property), &a.anomaly).cmp(&(
                a.runs,
                position(&b.property),
                &b.anomaly,
            ))
        });
    }
}

/// A sweep's summary: what `kvsim sweep --json` prints and `--merge` reads back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub scenario: String,
    /// Identifies the validated scenario (all but its seed) and the kvsim version: summaries merge
    /// only when these match.
    pub fingerprint: String,
    /// How many seeds it covers.
    pub seeds: u64,
    /// Which seeds it covers: what `--merge` checks, since a seed counted twice would skew every
    /// count.
    pub seed_ranges: SeedSet,
    /// In model order.
    pub models: Vec<ModelSummary>,
}

impl Summary {
    /// The summary of a sweep of `seeds`, before any run is counted: [`Summary::add`] each run.
    pub fn new(scenario: &str, fingerprint: &str, seeds: Seeds) -> Summary {
        Summary {
            scenario: scenario.to_string(),
            fingerprint: fingerprint.to_string(),
            seeds: seeds.len(),
            seed_ranges: SeedSet::of(seeds),
            models: Vec::new(),
        }
    }

    /// Counts one run, in any order.
    pub fn add(&mut self, record: &RunRecord) {
        self.model_mut(record.model).add(record);
    }

    fn model_mut(&mut self, model: Model) -> &mut ModelSummary {
        let at = match self.models.binary_search_by_key(&model, |m| m.model) {
            Ok(at) => at,
            Err(at) => {
                self.models.insert(at, ModelSummary::new(model));
                at
            }
        };
        &mut self.models[at]
    }

    /// Adds the runs of `other`, a summary of other seeds of the same scenario.
    fn absorb(&mut self, other: &Summary) {
        self.seed_ranges.extend(&other.seed_ranges);
        self.seeds = self.seed_ranges.len();
        for model in &other.models {
            self.model_mut(model.model).merge(model);
        }
    }

    /// Reads a summary that `kvsim sweep --json` wrote: parses it, then checks what merging relies on.
    pub fn parse(text: &str) -> Result<Summary, SummaryError> {
        let mut summary: Summary = crate::json::parse(text).map_err(|located| {
            if is_old_summary(text) {
                SummaryError::OldFormat
            } else {
                SummaryError::Json(located)
            }
        })?;
        summary.seeds = summary.seed_ranges.len();
        let mut models: Vec<ModelSummary> = Vec::new();
        for mut model in std::mem::take(&mut summary.models) {
            if models.iter().any(|m| m.model == model.model) {
                return Err(SummaryError::RepeatedModel(model.model));
            }
            if model.runs != summary.seeds {
                return Err(SummaryError::Runs {
                    model: model.model,
                    runs: model.runs,
                    seeds: summary.seeds,
                });
            }
            let named = model
                .broken
                .keys()
                .chain(model.unknown.keys())
                .chain(model.anomalies.iter().map(|a| &a.property));
            for property in named {
                if position(property) == usize::MAX {
                    return Err(SummaryError::UnknownProperty(property.clone()));
                }
            }
            // Every count is of some of the model's runs; bounded so, counts of files that cover
            // different seeds cannot overflow when they are added up.
            let mut counts: Vec<(String, u64)> = Vec::new();
            for (what, read) in [("broken", &model.broken), ("unknown", &model.unknown)] {
                counts.extend(read.iter().map(|(p, &n)| (format!("{what} {p}"), n)));
            }
            counts.extend(
                model
                    .anomalies
                    .iter()
                    .map(|a| (format!("anomaly {:?}", a.anomaly), a.runs)),
            );
            counts.push(("cut_short".to_string(), model.cut_short));
            for (name, spread) in [
                ("answered_in_time", &model.answered_in_time),
                ("messages", &model.messages),
                ("mean_read_latency", &model.mean_read_latency),
                ("mean_write_latency", &model.mean_write_latency),
            ] {
                counts.push((name.to_string(), spread.runs()));
            }
            if let Some((what, count)) = counts.into_iter().find(|(_, n)| *n > model.runs) {
                return Err(SummaryError::MoreThanItsRuns {
                    model: model.model,
                    what,
                    count,
                    runs: model.runs,
                });
            }
            // Written as a sweep writes them: every property in order, seeds in order, anomalies
            // most frequent first.
            let mut fresh = ModelSummary::new(model.model);
            for (counts, read) in [
                (&mut fresh.broken, &model.broken),
                (&mut fresh.unknown, &model.unknown),
            ] {
                for (property, runs) in read {
                    counts[property.as_str()] = *runs;
                }
            }
            model.broken = fresh.broken;
            model.unknown = fresh.unknown;
            for anomaly in &mut model.anomalies {
                let seeds = std::mem::take(&mut anomaly.first_seeds);
                for seed in seeds {
                    anomaly.note_seed(seed);
                }
            }
            model.sort_anomalies();
            let (broken, anomalies) = (&model.broken, &model.anomalies);
            model.failures = model.failures.read_back(model.model, broken, anomalies)?;
            models.push(model);
        }
        models.sort_by_key(|m| m.model);
        summary.models = models;
        Ok(summary)
    }
}

/// Whether `text` is a summary from before summaries were counts: one with every run's record in
/// `records`.
fn is_old_summary(text: &str) -> bool {
    #[derive(Deserialize)]
    struct OldSummary {
        #[serde(rename = "records")]
        _records: serde::de::IgnoredAny,
    }
    serde_json::from_str::<OldSummary>(text).is_ok()
}

/// What can be wrong with one summary file; the `kvsim` binary prints the file's name first.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error("line {}, column {}: not a sweep summary from `kvsim sweep --json`: {}{}", .0.line, .0.column, .0.field_prefix(), .0.message)]
    Json(Located),
    #[error("a summary from an earlier kvsim, which lists every run in `records`: --merge now reads only the counts that `kvsim sweep --json` writes (see the README); sweep its seeds again with this kvsim")]
    OldFormat,
    #[error("model {0} is listed twice")]
    RepeatedModel(Model),
    #[error("model {model} has {runs} runs, but the summary covers {seeds} seeds: a sweep runs every seed once under each model")]
    Runs { model: Model, runs: u64, seeds: u64 },
    #[error("model {model}: {what} counts {count} runs, more than the model's {runs}")]
    MoreThanItsRuns {
        model: Model,
        what: String,
        count: u64,
        runs: u64,
    },
    #[error("unknown property {0:?}")]
    UnknownProperty(String),
    #[error("model {model}: its failures count {counted} broken properties (grouped and ungrouped), but its runs broke properties {broken} times: every broken property of a run is one failure")]
    FailuresDoNotAddUp {
        model: Model,
        counted: u128,
        broken: u128,
    },
    #[error("model {model}: the failures of {property} by {anomaly:?} count {runs} runs, more than the {anomaly_runs} of that anomaly")]
    FailuresPastTheirAnomaly {
        model: Model,
        property: String,
        anomaly: String,
        runs: u128,
        anomaly_runs: u64,
    },
}

/// Merges summaries of the same scenario and models over different seeds into the summary one sweep
/// over all their seeds gives. Each comes with the name of its file, for errors.
pub fn merge(documents: Vec<(String, Summary)>) -> Result<Summary, SweepError> {
    let models = |s: &Summary| {
        s.models
            .iter()
            .map(|m| m.model.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut documents = documents.into_iter();
    let Some((first_name, mut merged)) = documents.next() else {
        return Err(SweepError::NothingToMerge);
    };
    let mut covered = vec![(first_name, merged.seed_ranges.clone())];
    for (name, summary) in documents {
        if summary.fingerprint != merged.fingerprint {
            return Err(SweepError::OtherScenario {
                file: name,
                scenario: summary.scenario,
                fingerprint: summary.fingerprint,
                first_scenario: merged.scenario,
                first_fingerprint: merged.fingerprint,
            });
        }
        if models(&summary) != models(&merged) {
            return Err(SweepError::OtherModels {
                file: name,
                models: models(&summary),
                first_models: models(&merged),
            });
        }
        if let Some(seed) = merged.seed_ranges.first_shared(&summary.seed_ranges) {
            let other = covered
                .iter()
                .find(|(_, seeds)| seeds.contains(seed))
                .map_or_else(String::new, |(other, _)| other.clone());
            return Err(SweepError::Overlap {
                file: name,
                seed,
                other,
            });
        }
        merged.absorb(&summary);
        if merged.seed_ranges.piece_count() > MAX_PIECES {
            return Err(SweepError::Scattered {
                file: name,
                pieces: merged.seed_ranges.piece_count(),
            });
        }
        covered.push((name, summary.seed_ranges));
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anomaly_keeps_its_smallest_seeds_whatever_order_they_come_in() {
        let mut anomaly = AnomalyCount {
            property: "linearizable".to_string(),
            anomaly: "stale read".to_string(),
            runs: 0,
            first_seeds: Vec::new(),
        };
        for seed in [40, 3, 17, 8, 99, 1, 3, 12, 2] {
            anomaly.note_seed(seed);
        }
        assert_eq!(anomaly.first_seeds, vec![1, 2, 3, 8, 12]);
    }
}

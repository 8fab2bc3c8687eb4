//! Seed sweeps: run one scenario under many seeds, judge every run, and summarise — how often each
//! model broke each property, the first seeds that show each named anomaly, and the spread of
//! latencies and message counts.
//!
//! A sweep is embarrassingly parallel: every (seed, model) run is independent, so seeds are spread
//! over a rayon thread pool. Results are collected in seed order, and the summary is computed from
//! that ordered list, so the output is byte-for-byte the same whatever the number of threads — and
//! each record is exactly what `kvsim run --seed N --model M` would judge.
//!
//! Records, not just counts, are kept in a summary document, so that sweeps split across machines
//! (`--shard K/N`) can be merged into exactly the summary one big sweep would have given.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use indexmap::IndexMap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::check::{check_run, Property};
use crate::protocol::Model;
use crate::run::Stop;
use crate::scenario::Config;
use crate::sim::{simulate_recording, Record};

/// How many seeds are listed per anomaly.
pub const FIRST_SEEDS: usize = 5;

/// Seeds `start..end` (end excluded), written `A..B`, or `A..=B` to include `B`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedRange {
    pub start: u64,
    pub end: u64,
}

impl FromStr for SeedRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad =
            || format!("expected seeds as A..B (B excluded) or A..=B, like 0..1000, got {text:?}");
        let (start, end, inclusive) = if let Some((a, b)) = text.split_once("..=") {
            (a, b, true)
        } else if let Some((a, b)) = text.split_once("..") {
            (a, b, false)
        } else {
            return Err(bad());
        };
        let start: u64 = start.trim().parse().map_err(|_| bad())?;
        let end: u64 = end.trim().parse().map_err(|_| bad())?;
        let end = if inclusive {
            end.checked_add(1).ok_or_else(|| {
                format!("seed {end} is the largest there is and cannot end an inclusive range: use {start}..{end}")
            })?
        } else {
            end
        };
        if end <= start {
            return Err(format!("the seed range {text} is empty"));
        }
        Ok(SeedRange { start, end })
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Every `count`-th seed of the range, starting from the `index`-th: written `K/N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("expected a shard as K/N with K < N, like 0/4, got {text:?}");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = k.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// The most seeds one sweep (or one shard of it) may run; split bigger sweeps with `--shard`.
pub const MAX_SEEDS: u64 = 10_000_000;

impl SeedRange {
    /// How many seeds of this range belong to `shard` (all of them without one).
    pub fn count(&self, shard: Option<Shard>) -> u64 {
        let shard = shard.unwrap_or(Shard { index: 0, count: 1 });
        let span = self.end - self.start;
        if shard.index >= span {
            return 0;
        }
        (span - shard.index).div_ceil(shard.count)
    }

    /// The seeds of this range that belong to `shard` (all of them without one), in order.
    pub fn seeds(&self, shard: Option<Shard>) -> Vec<u64> {
        let shard = shard.unwrap_or(Shard { index: 0, count: 1 });
        let Some(first) = self.start.checked_add(shard.index) else {
            return Vec::new();
        };
        (first..self.end)
            .step_by(shard.count.try_into().unwrap_or(usize::MAX))
            .collect()
    }
}

/// What one (seed, model) run came to: the small part of it a summary needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub seed: u64,
    pub model: Model,
    /// The properties that broke, each with its anomaly.
    pub broken: IndexMap<String, String>,
    /// The properties the checkers could not decide.
    pub unknown: Vec<String>,
    pub messages: u64,
    pub events: u64,
    pub duration: u64,
    /// Why the run ended: a run cut short by a limit has operations that never returned.
    pub stopped: Stop,
    pub operations: usize,
    pub completed: usize,
    /// Operations whose client gave up waiting.
    pub timed_out: usize,
    /// Mean latency of the run's answered reads and writes, in ms; `None` when none was answered.
    pub mean_read_latency: Option<f64>,
    pub mean_write_latency: Option<f64>,
}

/// What can go wrong in a sweep or a merge. Messages name the file, where there is one.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("cannot start {jobs} worker threads: {reason}")]
    Threads { jobs: usize, reason: String },
    #[error("{file}: is a sweep of scenario {scenario} (fingerprint {fingerprint}), but the first file is of {first_scenario} (fingerprint {first_fingerprint}): a different scenario, or another kvsim version")]
    OtherScenario {
        file: String,
        scenario: String,
        fingerprint: String,
        first_scenario: String,
        first_fingerprint: String,
    },
    #[error("{file}: sweeps {models}, but the first file sweeps {first_models}: summaries merge only when they run the same models")]
    OtherModels {
        file: String,
        models: String,
        first_models: String,
    },
    #[error("{file}: seed {seed}: unknown property {property:?}")]
    UnknownProperty {
        file: String,
        seed: u64,
        property: String,
    },
    #[error("{file}: seed {seed} under {model} has a different result than in an earlier file")]
    Conflict {
        file: String,
        seed: u64,
        model: Model,
    },
}

/// Runs and judges every (seed, model) pair on `jobs` threads; `progress` is called once per seed
/// done, from any thread. Records come back in seed order, then model order.
pub fn sweep(
    config: &Config,
    seeds: &[u64],
    models: &[Model],
    jobs: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<RunRecord>, SweepError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|err| SweepError::Threads {
            jobs,
            reason: err.to_string(),
        })?;
    let per_seed: Vec<Vec<RunRecord>> = pool.install(|| {
        seeds
            .par_iter()
            .map(|&seed| {
                let records = models
                    .iter()
                    .map(|&model| record(config, seed, model))
                    .collect();
                progress();
                records
            })
            .collect()
    });
    Ok(per_seed.into_iter().flatten().collect())
}

/// Runs and judges one seed under one model.
pub fn record(config: &Config, seed: u64, model: Model) -> RunRecord {
    let mut config = config.clone();
    config.seed = seed;
    // Verdicts need the history and final stores, not the committed orders.
    let run = simulate_recording(&config, model, Record::VerdictsOnly);
    let verdicts = check_run(&run);
    let mut broken = IndexMap::new();
    let mut unknown = Vec::new();
    for property in Property::ALL {
        let verdict = verdicts.get(property);
        match verdict.ok {
            Some(false) => {
                broken.insert(
                    property.name().to_string(),
                    verdict.anomaly.clone().unwrap_or_default(),
                );
            }
            None => unknown.push(property.name().to_string()),
            Some(true) => {}
        }
    }
    RunRecord {
        seed,
        model,
        broken,
        unknown,
        messages: run.stats.messages,
        events: run.stats.events,
        duration: run.stats.duration,
        stopped: run.stats.stopped,
        operations: run.stats.operations,
        completed: run.stats.completed,
        timed_out: run.stats.timed_out,
        mean_read_latency: (run.stats.reads.count > 0).then_some(run.stats.reads.mean),
        mean_write_latency: (run.stats.writes.count > 0).then_some(run.stats.writes.mean),
    }
}

/// The spread of one number over the runs of a model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spread {
    /// How many runs it is taken over (all zero when none).
    pub runs: usize,
    pub min: f64,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Spread {
    fn of(mut values: Vec<f64>) -> Spread {
        if values.is_empty() {
            return Spread {
                runs: 0,
                min: 0.0,
                p50: 0.0,
                p99: 0.0,
                max: 0.0,
                mean: 0.0,
            };
        }
        values.sort_by(f64::total_cmp);
        // Nearest-rank percentiles: the value below which the given share of runs falls.
        let rank =
            |p: f64| values[((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1];
        Spread {
            runs: values.len(),
            min: values[0],
            p50: rank(0.50),
            p99: rank(0.99),
            max: values[values.len() - 1],
            mean: values.iter().sum::<f64>() / values.len() as f64,
        }
    }
}

/// One named anomaly of one property, and where to find it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnomalyCount {
    pub property: String,
    pub anomaly: String,
    pub runs: usize,
    /// The first few seeds that show it, to replay with `kvsim run --seed`.
    pub first_seeds: Vec<u64>,
}

/// One model's results over the sweep.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelSummary {
    pub model: Model,
    pub runs: usize,
    /// For each property, how many runs broke it.
    pub broken: IndexMap<String, usize>,
    /// For each property, how many runs left it undecided.
    pub unknown: IndexMap<String, usize>,
    pub anomalies: Vec<AnomalyCount>,
    /// Runs a limit cut short (time, events or queue), or that stalled: some of their operations
    /// never returned.
    pub cut_short: usize,
    /// Operations whose client gave up, over all runs.
    pub timed_out: usize,
    /// The spread over runs of the percentage of operations answered in time (runs with no
    /// operations left out).
    pub answered_in_time: Spread,
    pub messages: Spread,
    /// The spread over runs of each run's mean read latency (runs with no answered read left out).
    pub mean_read_latency: Spread,
    pub mean_write_latency: Spread,
}

/// A sweep's summary, with the records it was computed from (so summaries can be merged).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub scenario: String,
    /// Identifies the validated scenario (all but its seed) and the kvsim version: summaries merge
    /// only when these match.
    pub fingerprint: String,
    /// How many distinct seeds the records cover.
    pub seeds: usize,
    pub models: Vec<ModelSummary>,
    pub records: Vec<RunRecord>,
}

impl Summary {
    /// Summarises records, which may come in any order: they are sorted by (seed, model) first, and
    /// a repeated (seed, model) is counted once.
    pub fn new(scenario: &str, fingerprint: &str, mut records: Vec<RunRecord>) -> Summary {
        records.sort_by_key(|r| (r.seed, r.model));
        records.dedup_by_key(|r| (r.seed, r.model));
        let mut by_model: BTreeMap<Model, Vec<&RunRecord>> = BTreeMap::new();
        for record in &records {
            by_model.entry(record.model).or_default().push(record);
        }
        let models = by_model
            .into_iter()
            .map(|(model, runs)| summarise_model(model, &runs))
            .collect();
        let mut seeds: Vec<u64> = records.iter().map(|r| r.seed).collect();
        seeds.dedup();
        Summary {
            scenario: scenario.to_string(),
            fingerprint: fingerprint.to_string(),
            seeds: seeds.len(),
            models,
            records,
        }
    }
}

fn summarise_model(model: Model, runs: &[&RunRecord]) -> ModelSummary {
    let mut broken: IndexMap<String, usize> = Property::ALL
        .iter()
        .map(|p| (p.name().to_string(), 0))
        .collect();
    let mut unknown = broken.clone();
    let mut anomalies: IndexMap<(String, String), AnomalyCount> = IndexMap::new();
    for run in runs {
        for (property, anomaly) in &run.broken {
            *broken.entry(property.clone()).or_insert(0) += 1;
            let entry = anomalies
                .entry((property.clone(), anomaly.clone()))
                .or_insert_with(|| AnomalyCount {
                    property: property.clone(),
                    anomaly: anomaly.clone(),
                    runs: 0,
                    first_seeds: Vec::new(),
                });
            entry.runs += 1;
            if entry.first_seeds.len() < FIRST_SEEDS {
                entry.first_seeds.push(run.seed);
            }
        }
        for property in &run.unknown {
            *unknown.entry(property.clone()).or_insert(0) += 1;
        }
    }
    let mut anomalies: Vec<AnomalyCount> = anomalies.into_values().collect();
    // Most frequent first; ties in property order, then by name.
    let position = |p: &str| {
        Property::ALL
            .iter()
            .position(|q| q.name() == p)
            .unwrap_or(usize::MAX)
    };
    anomalies.sort_by(|a, b| {
        (b.runs, position(&a.property), &a.anomaly).cmp(&(
            a.runs,
            position(&b.property),
            &b.anomaly,
        ))
    });
    ModelSummary {
        model,
        runs: runs.len(),
        broken,
        unknown,
        anomalies,
        cut_short: runs.iter().filter(|r| r.stopped != Stop::Idle).count(),
        timed_out: runs.iter().map(|r| r.timed_out).sum(),
        answered_in_time: Spread::of(
            runs.iter()
                .filter(|r| r.operations > 0)
                .map(|r| 100.0 * r.completed as f64 / r.operations as f64)
                .collect(),
        ),
        messages: Spread::of(runs.iter().map(|r| r.messages as f64).collect()),
        mean_read_latency: Spread::of(runs.iter().filter_map(|r| r.mean_read_latency).collect()),
        mean_write_latency: Spread::of(runs.iter().filter_map(|r| r.mean_write_latency).collect()),
    }
}

/// What identifies a sweep's scenario for merging: the validated scenario (its seed aside, since a
/// sweep sets its own) and the kvsim version, hashed (FNV-1a, which is the same on every machine).
pub fn fingerprint(config: &Config) -> String {
    let mut config = config.clone();
    config.seed = 0;
    let text = format!("kvsim {} {config:?}", env!("CARGO_PKG_VERSION"));
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The parts of a summary document written by `kvsim sweep --json` that merging reads.
#[derive(Deserialize)]
pub struct SummaryDocument {
    pub scenario: String,
    pub fingerprint: String,
    pub records: Vec<RunRecord>,
}

/// Merges summary documents into one summary: they must be sweeps of the same scenario (by
/// fingerprint), and a (seed, model) that appears in more than one must have the same record.
pub fn merge(documents: Vec<(String, SummaryDocument)>) -> Result<Summary, SweepError> {
    let mut first: Option<(String, String)> = None;
    let mut first_models: Option<String> = None;
    let mut records: BTreeMap<(u64, Model), RunRecord> = BTreeMap::new();
    for (name, document) in documents {
        let mut models: Vec<Model> = document.records.iter().map(|r| r.model).collect();
        models.sort();
        models.dedup();
        let models = models
            .iter()
            .map(|m| m.name())
            .collect::<Vec<_>>()
            .join(", ");
        match &first_models {
            Some(expected) if *expected != models => {
                return Err(SweepError::OtherModels {
                    file: name,
                    models,
                    first_models: expected.clone(),
                });
            }
            Some(_) => {}
            None => first_models = Some(models),
        }
        match &first {
            Some((scenario, fingerprint)) if *fingerprint != document.fingerprint => {
                return Err(SweepError::OtherScenario {
                    file: name,
                    scenario: document.scenario,
                    fingerprint: document.fingerprint,
                    first_scenario: scenario.clone(),
                    first_fingerprint: fingerprint.clone(),
                });
            }
            Some(_) => {}
            None => first = Some((document.scenario.clone(), document.fingerprint.clone())),
        }
        for record in document.records {
            for property in record.broken.keys().chain(&record.unknown) {
                if !Property::ALL.iter().any(|p| p.name() == property) {
                    return Err(SweepError::UnknownProperty {
                        file: name,
                        seed: record.seed,
                        property: property.clone(),
                    });
                }
            }
            match records.get(&(record.seed, record.model)) {
                Some(existing) if *existing != record => {
                    return Err(SweepError::Conflict {
                        file: name,
                        seed: record.seed,
                        model: record.model,
                    });
                }
                Some(_) => {}
                None => {
                    records.insert((record.seed, record.model), record);
                }
            }
        }
    }
    let (scenario, fingerprint) = first.unwrap_or_default();
    Ok(Summary::new(
        &scenario,
        &fingerprint,
        records.into_values().collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_and_shards_parse_and_split_the_seeds() {
        let range: SeedRange = "10..20".parse().unwrap();
        assert_eq!(range.seeds(None).len(), 10);
        let inclusive: SeedRange = "10..=20".parse().unwrap();
        assert_eq!(inclusive.seeds(None).len(), 11);
        assert!("5..5".parse::<SeedRange>().is_err());
        assert!("five".parse::<SeedRange>().is_err());
        let shards: Vec<Vec<u64>> = (0..3)
            .map(|k| range.seeds(Some(Shard { index: k, count: 3 })))
            .collect();
        assert_eq!(shards[0], vec![10, 13, 16, 19]);
        let mut all: Vec<u64> = shards.concat();
        all.sort();
        assert_eq!(all, range.seeds(None), "the shards cover every seed once");
        assert_eq!(range.count(Some(Shard { index: 0, count: 3 })), 4);
        assert_eq!(range.count(Some(Shard { index: 2, count: 3 })), 3);
        assert_eq!(range.count(None), 10);
        assert!("3/3".parse::<Shard>().is_err());
        assert!("1/0".parse::<Shard>().is_err());
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let spread = Spread::of((1..=100).map(f64::from).collect());
        assert_eq!(
            (spread.min, spread.p50, spread.p99, spread.max),
            (1.0, 50.0, 99.0, 100.0)
        );
        assert_eq!(spread.mean, 50.5);
    }
}

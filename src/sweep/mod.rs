//! Seed sweeps: run one scenario under many seeds, judge every run, and summarise — how often each
//! model broke each property, the first seeds that show each named anomaly, the kinds of failure
//! (triage.rs), and the spread of availability, messages and latencies.
//!
//! A sweep's memory does not grow with its seeds. Every (seed, model) run is independent, so worker
//! threads take seeds a few at a time in increasing order and send their records back to the calling
//! thread, which hands them on in seed order — holding back at most about [`REORDER_WINDOW`] seeds
//! that finished ahead of an earlier one — and then forgets them:
//!
//! ```text
//!   seeds ──► workers: simulate, check ──► reorder window ──► sink: Summary::add, or one JSON line
//! ```
//!
//! A [`Summary`] keeps counts, not runs, and counts do not care in what order they are made: the
//! summary is the same byte for byte whatever `--jobs` is, and summaries of the shards of a sweep
//! (`--shard K/N`) add up to exactly the summary of the whole sweep ([`merge`]). Each record is what
//! `kvsim run --seed N --model M` would judge.
//!
//! Around that: [`sweep_checking_determinism`] runs every seed a second time and compares
//! (determinism.rs); a shard can be read from a cluster scheduler's environment (scheduler.rs) and
//! written into a results directory that `--merge DIR` reads back whole (shard_dir.rs).

mod determinism;
mod scheduler;
mod seed_set;
mod seeds;
mod shape;
mod shard_dir;
mod spread;
mod summary;
mod triage;

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::{mpsc, Condvar, Mutex, PoisonError};
use std::thread;

use indexmap::IndexMap;
use serde::Serialize;

pub use determinism::{
    run_hash, trace_hash, traced_run, Determinism, Difference, TraceHash, BLOCK,
};
pub use scheduler::{shard_from_env, ScheduledShard, Scheduler, SchedulerError, SHARDS_VARIABLE};
pub use seed_set::{SeedSet, MAX_PIECES};
pub use seeds::{SeedRange, Seeds, Shard, MAX_SEEDS};
pub use shape::Shape;
pub use shard_dir::{read_shard_dir, shard_file_name, write_shard_file, ShardDirError};
pub use spread::{Figures, Spread};
pub use summary::{merge, AnomalyCount, ModelSummary, Summary, SummaryError, FIRST_SEEDS};
pub use triage::{FailureGroup, Failures, MAX_SHAPES};

use crate::check::{check_run, Property, Verdicts};
use crate::history::Operation;
use crate::protocol::Model;
use crate::run::{Run, Stop};
use crate::scenario::Config;
use crate::sim::{simulate_recording, Record};
use determinism::Recheck;

/// What one (seed, model) run came to: the small part of it a summary needs, and what `--per-run`
/// prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunRecord {
    pub seed: u64,
    pub model: Model,
    /// The properties that broke, each with its anomaly.
    pub broken: IndexMap<String, String>,
    /// The properties that broke, each with the shape of its witness (shape.rs), which triage
    /// groups failures by.
    pub shapes: IndexMap<&'static str, Shape>,
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
    /// The reads answered in time, and their latencies added up (ms): the mean as an exact fraction.
    pub reads_answered: usize,
    pub read_latency_total: u64,
    pub writes_answered: usize,
    pub write_latency_total: u64,
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
    #[error("{file}: seed {seed} is also in {other}: summaries merge only when their seeds differ (a merge cannot tell a seed counted twice from two seeds)")]
    Overlap {
        file: String,
        seed: u64,
        other: String,
    },
    #[error("{file}: with it, the merged seeds take {pieces} seed ranges, more than the {MAX_PIECES} a summary holds: merge shards of one range, or consecutive ranges, which join into few")]
    Scattered { file: String, pieces: usize },
    #[error("no summary to merge")]
    NothingToMerge,
}

/// How many seeds may finish ahead of the earliest unfinished one. It bounds the records waiting for
/// their turn (a few kilobytes a seed) and costs nothing while the seeds take about the same time.
pub const REORDER_WINDOW: u64 = 1024;

/// The most seeds a worker takes at once. Taking them a few at a time saves a wake-up of the calling
/// thread per seed, which costs about a tenth of a small scenario's run.
const MAX_BATCH: u64 = 64;

/// Runs and judges every seed under every model on `jobs` threads, and hands each seed's records
/// (in model order) to `sink` on the calling thread, in seed order, as they are ready. The sweep
/// stops early when `sink` says `Break` (`kvsim sweep --per-run | head`).
pub fn sweep(
    config: &Config,
    seeds: Seeds,
    models: &[Model],
    jobs: usize,
    sink: impl FnMut(Vec<RunRecord>) -> ControlFlow<()>,
) -> Result<(), SweepError> {
    let work = |seed| {
        models
            .iter()
            .map(|&model| record(config, seed, model))
            .collect()
    };
    in_seed_order(seeds, jobs, work, sink)
}

/// As [`sweep`], and checks that every run is deterministic: each seed is run again, in another
/// order and on another thread, and the two runs compared (see [`Determinism`]). The records are
/// those of the first runs, so `sink` sees what [`sweep`] would give it.
pub fn sweep_checking_determinism(
    config: &Config,
    seeds: Seeds,
    models: &[Model],
    jobs: usize,
    mut sink: impl FnMut(Vec<RunRecord>) -> ControlFlow<()>,
) -> Result<Determinism, SweepError> {
    let threads = |err: std::io::Error| SweepError::Threads {
        jobs,
        reason: err.to_string(),
    };
    let mut recheck = Recheck::new(config, models, jobs);
    let mut failed = None;
    let work = |seed| -> (u64, Vec<(RunRecord, TraceHash)>) {
        let runs = models
            .iter()
            .map(|&model| {
                let (run, verdicts) = traced_run(config, seed, model);
                (
                    record_of(seed, &run, &verdicts),
                    trace_hash(&run, &verdicts),
                )
            })
            .collect();
        (seed, runs)
    };
    in_seed_order(seeds, jobs, work, |(seed, runs)| {
        let (records, hashes) = runs.into_iter().unzip();
        if let Err(err) = recheck.add(seed, hashes) {
            failed = Some(err);
            return ControlFlow::Break(());
        }
        sink(records)
    })?;
    if let Some(err) = failed {
        return Err(threads(err));
    }
    recheck.finish().map_err(threads)
}

/// Calls `work` on every seed on `jobs` threads, and hands the results to `sink` on the calling
/// thread, in seed order, as they are ready; stops early when `sink` says `Break`.
pub(crate) fn in_seed_order<T: Send>(
    seeds: Seeds,
    jobs: usize,
    work: impl Fn(u64) -> T + Sync,
    mut sink: impl FnMut(T) -> ControlFlow<()>,
) -> Result<(), SweepError> {
    let jobs = jobs.max(1);
    // Many batches a worker, so that while the last ones finish the other threads are not idle long.
    let batch = (seeds.len() / (jobs as u64 * 32)).clamp(1, MAX_BATCH);
    let shared = Shared {
        turns: Mutex::new(Turns {
            claimed: 0,
            handed_on: 0,
            stopped: false,
        }),
        changed: Condvar::new(),
        batches: seeds.len().div_ceil(batch),
        window: (REORDER_WINDOW / batch).max(1),
    };
    let (sender, receiver) = mpsc::channel::<(u64, Vec<T>)>();
    thread::scope(|scope| {
        // However this thread leaves the scope (done, `Break`, an error, a panic in `sink`), the
        // workers must stop waiting for it, or the scope would wait for them for ever.
        let _stop = StopOnDrop(&shared);
        for i in 0..jobs {
            let sender = sender.clone();
            let shared = &shared;
            let work = &work;
            let spawned = thread::Builder::new()
                .name(format!("sweep-{i}"))
                .spawn_scoped(scope, move || {
                    let _stop = StopOnPanic(shared);
                    while let Some(number) = shared.claim() {
                        let first = number * batch;
                        let results = (first..seeds.len().min(first + batch))
                            .filter_map(|i| seeds.get(i))
                            .map(work)
                            .collect();
                        if sender.send((number, results)).is_err() {
                            break;
                        }
                    }
                });
            if let Err(err) = spawned {
                return Err(SweepError::Threads {
                    jobs,
                    reason: err.to_string(),
                });
            }
        }
        drop(sender);
        // Batches that finished ahead of an earlier one wait here for their turn.
        let mut waiting: BTreeMap<u64, Vec<T>> = BTreeMap::new();
        let mut next = 0;
        for (number, results) in receiver {
            waiting.insert(number, results);
            while let Some(results) = waiting.remove(&next) {
                next += 1;
                for result in results {
                    if sink(result).is_break() {
                        return Ok(());
                    }
                }
            }
            shared.handed_on(next);
        }
        Ok(())
    })
}

/// Which batches of seeds the workers have claimed, and how many the sink has had.
struct Turns {
    claimed: u64,
    handed_on: u64,
    stopped: bool,
}

/// What the calling thread and the workers of one sweep share.
struct Shared {
    turns: Mutex<Turns>,
    changed: Condvar,
    batches: u64,
    /// How many batches may be claimed past the first one not yet handed on.
    window: u64,
}

impl Shared {
    /// The number of the next batch to run, once it is within the reorder window; `None` when every
    /// batch is claimed or the sweep stopped.
    fn claim(&self) -> Option<u64> {
        let mut turns = self.turns.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if turns.stopped || turns.claimed >= self.batches {
                return None;
            }
            if turns.claimed < turns.handed_on + self.window {
                turns.claimed += 1;
                return Some(turns.claimed - 1);
            }
            turns = self
                .changed
                .wait(turns)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn handed_on(&self, batches: u64) {
        let mut turns = self.turns.lock().unwrap_or_else(PoisonError::into_inner);
        turns.handed_on = batches;
        self.changed.notify_all();
    }

    fn stop(&self) {
        let mut turns = self.turns.lock().unwrap_or_else(PoisonError::into_inner);
        turns.stopped = true;
        self.changed.notify_all();
    }
}

/// Stops the sweep when dropped.
struct StopOnDrop<'a>(&'a Shared);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Stops the sweep if a worker panics, so that the others do not wait for the batch it never sends
/// (the panic then reaches the caller when the scope ends).
struct StopOnPanic<'a>(&'a Shared);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.stop();
        }
    }
}

/// Sweeps and summarises; `progress` is called once per seed counted.
pub fn summarise(
    config: &Config,
    seeds: Seeds,
    models: &[Model],
    jobs: usize,
    mut progress: impl FnMut(),
) -> Result<Summary, SweepError> {
    let mut summary = Summary::new(&config.name, &fingerprint(config), seeds);
    sweep(config, seeds, models, jobs, |records| {
        for record in &records {
            summary.add(record);
        }
        progress();
        ControlFlow::Continue(())
    })?;
    Ok(summary)
}

/// Runs and judges one seed under one model.
pub fn record(config: &Config, seed: u64, model: Model) -> RunRecord {
    let mut config = config.clone();
    config.seed = seed;
    // Verdicts need the history and final stores, not the committed orders.
    let run = simulate_recording(&config, model, Record::VerdictsOnly);
    let verdicts = check_run(&run);
    record_of(seed, &run, &verdicts)
}

/// What a summary keeps of the run of `seed` and its verdicts.
fn record_of(seed: u64, run: &Run, verdicts: &Verdicts) -> RunRecord {
    let mut broken = IndexMap::new();
    let mut shapes = IndexMap::new();
    let mut unknown = Vec::new();
    for property in Property::ALL {
        let verdict = verdicts.get(property);
        match verdict.ok {
            Some(false) => {
                broken.insert(
                    property.name().to_string(),
                    verdict.anomaly.clone().unwrap_or_default(),
                );
                let shape = Shape::of(&verdict.operations, &run.history);
                shapes.insert(property.name(), shape);
            }
            None => unknown.push(property.name().to_string()),
            Some(true) => {}
        }
    }
    let total_latency = |writes: bool| -> u64 {
        run.history
            .iter()
            .filter(|o| o.op.may_write() == writes)
            .filter_map(Operation::latency)
            .sum()
    };
    RunRecord {
        seed,
        model: run.model,
        broken,
        shapes,
        unknown,
        messages: run.stats.messages,
        events: run.stats.events,
        duration: run.stats.duration,
        stopped: run.stats.stopped,
        operations: run.stats.operations,
        completed: run.stats.completed,
        timed_out: run.stats.timed_out,
        mean_read_latency: run.stats.reads.mean,
        mean_write_latency: run.stats.writes.mean,
        reads_answered: run.stats.reads.count,
        read_latency_total: total_latency(false),
        writes_answered: run.stats.writes.count,
        write_latency_total: total_latency(true),
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

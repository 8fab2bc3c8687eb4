//! The determinism self-check (`kvsim sweep --check-determinism`): every seed is run twice, the
//! second time in another order and on another thread, and the two runs must be the same run.
//!
//! "The same" is judged on a hash of everything a run leaves: its recorded protocol events (every
//! packet sent, delivered, lost or duplicated, every commit and note), its history, each replica's
//! committed order and final store, its faults and statistics, and the verdicts on it.
//!
//! ```text
//!   pass 1 (the sweep)   seeds 0 1 2 … 1023 on the sweep's threads ──► hashes ─┐
//!   pass 2 (the check)   seeds 1023 … 2 1 0 on fresh threads ───────► hashes ─┴► equal, seed by seed
//! ```
//!
//! The second pass goes through the seeds in blocks of [`BLOCK`], each block backwards and dealt
//! round-robin to threads started for it, so no seed follows the seed it followed in the first
//! pass, nor runs on the thread it ran on then: a run that leaned on anything but its scenario and
//! seed (a global counter, a thread-local cache, the order a hash map iterates in) shows as a seed
//! whose hashes differ. Only a block's hashes are kept, so the check's memory does not grow with the
//! seeds either.
//!
//! The hash is FNV-1a over a canonical writing of the run — its JSON (maps in it are ordered) and
//! each recorded event's `Debug` form — so it is the same on every machine for the same kvsim: two
//! machines can compare the [`Determinism::digest`] of a sweep.

use std::fmt;
use std::io;
use std::thread;

use crate::check::{check_run, Verdicts};
use crate::protocol::Model;
use crate::run::Run;
use crate::scenario::Config;
use crate::sim::{simulate_recording, Record};

/// How many seeds the second pass takes at a time.
pub const BLOCK: usize = 1024;

/// A hash of one run, all of it: see the module's documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceHash(pub u64);

impl fmt::Display for TraceHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// FNV-1a, 64 bits: simple, and the same on every machine (unlike std's `DefaultHasher`, whose keys
/// are random).
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl io::Write for Fnv {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.bytes(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Write for Fnv {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.bytes(text.as_bytes());
        Ok(())
    }
}

/// Runs `config` at `seed` under `model`, recording its protocol events, and judges it.
pub fn traced_run(config: &Config, seed: u64, model: Model) -> (Run, Verdicts) {
    let mut config = config.clone();
    config.seed = seed;
    let run = simulate_recording(&config, model, Record::Events);
    let verdicts = check_run(&run);
    (run, verdicts)
}

/// The hash of a run and its verdicts.
pub fn trace_hash(run: &Run, verdicts: &Verdicts) -> TraceHash {
    use fmt::Write;
    let mut hash = Fnv::new();
    // Writing into a hash cannot fail, and every value here serializes.
    let _ = serde_json::to_writer(&mut hash, run);
    let _ = serde_json::to_writer(&mut hash, verdicts);
    if let Some(log) = &run.events {
        for event in &log.events {
            let _ = write!(hash, "{event:?};");
        }
        for message in &log.messages {
            let _ = write!(hash, "{message:?};");
        }
        for payload in &log.payloads {
            let _ = write!(hash, "{payload:?};");
        }
        for note in &log.notes {
            let _ = write!(hash, "{note:?};");
        }
        let _ = write!(hash, "{}", log.truncated);
    }
    TraceHash(hash.0)
}

/// The hash of one (seed, model) run, from scratch.
pub fn run_hash(config: &Config, seed: u64, model: Model) -> TraceHash {
    let (run, verdicts) = traced_run(config, seed, model);
    trace_hash(&run, &verdicts)
}

/// A run that came out different the second time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Difference {
    pub seed: u64,
    pub model: Model,
    pub first: TraceHash,
    pub second: TraceHash,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {} under {} gave a different run the second time (trace hash {}, then {})",
            self.seed, self.model, self.first, self.second
        )
    }
}

/// What the self-check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Determinism {
    /// Runs checked (seeds × models).
    pub runs: u64,
    /// Runs whose second run differed.
    pub differed: u64,
    /// The difference at the smallest seed (first model, for that seed).
    pub first: Option<Difference>,
    /// All first-pass hashes, in seed then model order, hashed again: equal on two machines when
    /// every run is.
    pub digest: TraceHash,
}

impl Determinism {
    /// Nothing checked yet.
    pub fn new() -> Determinism {
        Determinism {
            runs: 0,
            differed: 0,
            first: None,
            digest: TraceHash(Fnv::new().0),
        }
    }

    /// Whether every run came out the same twice.
    pub fn holds(&self) -> bool {
        self.differed == 0
    }
}

impl Default for Determinism {
    fn default() -> Self {
        Determinism::new()
    }
}

/// The first pass's hashes of the seeds not yet run again, and what was found so far.
pub(super) struct Recheck<'a> {
    config: &'a Config,
    models: &'a [Model],
    jobs: usize,
    block: Vec<(u64, Vec<TraceHash>)>,
    pub(super) found: Determinism,
}

impl<'a> Recheck<'a> {
    pub(super) fn new(config: &'a Config, models: &'a [Model], jobs: usize) -> Recheck<'a> {
        Recheck {
            config,
            models,
            jobs: jobs.max(1),
            block: Vec::with_capacity(BLOCK),
            found: Determinism::new(),
        }
    }

    /// Takes the first pass's hashes of one seed (in seed order); runs a block again when it is full.
    pub(super) fn add(&mut self, seed: u64, hashes: Vec<TraceHash>) -> io::Result<()> {
        let mut digest = Fnv(self.found.digest.0);
        for hash in &hashes {
            digest.bytes(&hash.0.to_le_bytes());
        }
        self.found.digest = TraceHash(digest.0);
        self.block.push((seed, hashes));
        if self.block.len() == BLOCK {
            self.run_block()?;
        }
        Ok(())
    }

    /// Runs the seeds still held again, and says what it found.
    pub(super) fn finish(mut self) -> io::Result<Determinism> {
        self.run_block()?;
        Ok(self.found)
    }

    /// Runs the block's seeds again, backwards, dealt round-robin to threads of its own, and
    /// compares.
    fn run_block(&mut self) -> io::Result<()> {
        let block = std::mem::take(&mut self.block);
        let backwards: Vec<usize> = (0..block.len()).rev().collect();
        let (config, models, block_ref) = (self.config, self.models, &block);
        let mut again: Vec<Vec<TraceHash>> = vec![Vec::new(); block.len()];
        thread::scope(|scope| -> io::Result<()> {
            let mut handles = Vec::new();
            for t in 0..self.jobs.min(block.len()) {
                let mine: Vec<usize> = backwards
                    .iter()
                    .copied()
                    .skip(t)
                    .step_by(self.jobs)
                    .collect();
                let handle = thread::Builder::new()
                    .name(format!("recheck-{t}"))
                    .spawn_scoped(scope, move || {
                        mine.into_iter()
                            .map(|at| {
                                let seed = block_ref[at].0;
                                let hashes = models
                                    .iter()
                                    .map(|&model| run_hash(config, seed, model))
                                    .collect();
                                (at, hashes)
                            })
                            .collect::<Vec<(usize, Vec<TraceHash>)>>()
                    })?;
                handles.push(handle);
            }
            for handle in handles {
                let done = handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                for (at, hashes) in done {
                    again[at] = hashes;
                }
            }
            Ok(())
        })?;
        for ((seed, first), second) in block.into_iter().zip(again) {
            for ((&model, first), second) in models.iter().zip(first).zip(second) {
                self.found.runs += 1;
                if first != second {
                    self.found.differed += 1;
                    self.found.first.get_or_insert(Difference {
                        seed,
                        model,
                        first,
                        second,
                    });
                }
            }
        }
        Ok(())
    }
}

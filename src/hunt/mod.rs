//! Hunting: search seeds for a run that shows an anomaly, then shrink that run's scenario to what the
//! anomaly needs, and write it out as a scenario that shows it by itself.
//!
//! ```text
//!   scenario ──► search seeds (a sweep that stops at the first match) ──► seed
//!                                                                          │
//!   shrunk scenario ◄── shrink: drop clients, operations, replicas, ◄── explicit: workload written
//!   (replays alone)     faults, pins; shorten sleeps (ddmin)            out, every delay pinned
//! ```
//!
//! Like any other user of the library, a hunt only validates, simulates and checks: it knows
//! nothing of the protocols. `kvsim hunt` drives it, and `kvsim sweep --shrink` shrinks with it.

mod ddmin;
pub mod edit;
mod explicit;
mod shrink;
mod target;
mod write;

use std::ops::ControlFlow;

pub use ddmin::ddmin;
pub use explicit::{explicit, pinned, Sizes};
pub use shrink::{shrink, ShrinkError, Shrunk};
pub use target::{Shown, Target};
pub use write::to_json;

use crate::protocol::Model;
use crate::scenario::Config;
use crate::sim::{simulate_recording, Record};
use crate::sweep::{in_seed_order, SeedRange, Seeds, SweepError};

/// The first run of a search that showed the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub seed: u64,
    /// How many seeds were run, the matching one included.
    pub runs: u64,
    /// What its run showed.
    pub shown: Shown,
}

/// The first seeds a search runs: so few that a target shown by the first seeds is found at once
/// (each worker of a sweep takes a batch of seeds, and a batch is not interrupted), doubling from
/// then on, up to [`MAX_ROUND`], so that a long search runs at a sweep's pace.
const FIRST_ROUND: u64 = 8;
const MAX_ROUND: u64 = 1 << 16;

/// Runs `config` under `model` at each seed of `seeds`, in order, on `jobs` threads, until a run shows
/// `target` (judged as `kvsim run` judges, see [`Target::find_in_run`]). Returns the first such run
/// (the smallest seed), or `None` and how many seeds ran.
pub fn search(
    config: &Config,
    model: Model,
    target: &Target,
    seeds: SeedRange,
    jobs: usize,
) -> Result<Result<Found, u64>, SweepError> {
    let mut runs = 0;
    let mut found = None;
    let work = |seed| {
        let mut config = config.clone();
        config.seed = seed;
        let run = simulate_recording(&config, model, Record::VerdictsOnly);
        (seed, target.find_in_run(&run))
    };
    let mut start = seeds.start;
    let mut round = FIRST_ROUND;
    while start < seeds.end && found.is_none() {
        let end = start.saturating_add(round).min(seeds.end);
        let chunk = Seeds::new(SeedRange { start, end }, None);
        in_seed_order(chunk, jobs, work, |(seed, shown)| {
            runs += 1;
            match shown {
                Some(shown) => {
                    found = Some(Found { seed, runs, shown });
                    ControlFlow::Break(())
                }
                None => ControlFlow::Continue(()),
            }
        })?;
        start = end;
        round = (round * 2).min(MAX_ROUND);
    }
    Ok(found.ok_or(runs))
}

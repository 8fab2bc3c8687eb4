//! `kvsim hunt`'s two targets, as the library runs them for the command: from `largest` (21 clients
//! × 10 operations, 5 replicas), find and shrink a sequential-but-not-linearizable stale read, and an
//! eventual causal reversal. Each is timed whole (search, then shrink) on every core, best of three,
//! and the search and the shrink are reported apart, with the sizes of the result.
//!
//! Run with `cargo bench --bench hunt`.

use std::path::Path;
use std::time::{Duration, Instant};

use kvsim::check::Property;
use kvsim::hunt::{self, edit, Target};
use kvsim::protocol::Model;
use kvsim::scenario::Scenario;
use kvsim::sweep::SeedRange;

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/largest.json");
    let raw = Scenario::parse(&std::fs::read_to_string(path).expect("largest.json is shipped"))
        .expect("largest.json parses");
    let config = raw
        .clone()
        .validate("largest")
        .expect("largest.json is valid");
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let targets = [
        (
            "stale read, sequential",
            Model::Sequential,
            Target::new(Some(Property::Linearizable), Some("stale read")).expect("a known anomaly"),
        ),
        (
            "causal reversal, eventual",
            Model::Eventual,
            Target::new(None, Some("causal reversal")).expect("a known anomaly"),
        ),
    ];
    println!("hunt from largest on {jobs} threads, best of 3");
    for (name, model, target) in targets {
        let mut best = (Duration::MAX, Duration::ZERO, Duration::ZERO);
        let mut result = None;
        for _ in 0..3 {
            let started = Instant::now();
            let seeds = SeedRange {
                start: 0,
                end: 100_000,
            };
            let found = hunt::search(&config, model, &target, seeds, jobs)
                .expect("threads start")
                .expect("the target is in range");
            let searched = started.elapsed();
            let mut at_seed = config.clone();
            at_seed.seed = found.seed;
            let shrunk = hunt::shrink(&raw, &at_seed, model, &target).expect("the seed shows it");
            let total = started.elapsed();
            if total < best.0 {
                best = (total, searched, total - searched);
            }
            result = Some((found, shrunk));
        }
        let Some((found, shrunk)) = result else {
            continue;
        };
        println!(
            "  {name:<26} {:>6.2} s (search {:.2} s over {} seeds to seed {}, shrink {:.3} s, {} candidates) \
             → {} clients, {} operations, {} replicas",
            best.0.as_secs_f64(),
            best.1.as_secs_f64(),
            found.runs,
            found.seed,
            best.2.as_secs_f64(),
            shrunk.candidates,
            edit::clients(&shrunk.scenario).len(),
            edit::operations(&shrunk.scenario).len(),
            shrunk.scenario.replicas,
        );
    }
}

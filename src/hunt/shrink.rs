//! Shrinking: cut a scenario whose run shows an anomaly down to what the anomaly needs.
//!
//! The scenario is first written out explicitly, with every delay pinned ([`super::explicit`]), so
//! that removing one thing leaves the rest of the run as it was. Then rounds of passes, each keeping
//! a candidate only if its run still shows the anomaly (the checkers are run on every candidate),
//! until a whole round changes nothing:
//!
//! ```text
//!   clients ─► faults ─► operations ─► replicas ─► pins ─► sleeps, start times, timeout ─┐
//!      ▲                                                                                  │
//!      └──────────────────────── until nothing changes ◄──────────────────────────────────┘
//! ```
//!
//! Clients, faults, operations and pins go by delta debugging ([`super::ddmin`]), replicas one at a
//! time. Because the last round removed nothing, the result is 1-minimal: without any one of its
//! clients, operations, replicas or faults — or pins — the anomaly is gone.

use super::ddmin::ddmin;
use super::edit::{self, OpAt};
use super::explicit::{explicit, pinned};
use super::target::{Shown, Target};
use crate::check::check_run;
use crate::protocol::Model;
use crate::scenario::{Config, Scenario};
use crate::sim::{simulate_recording, Record};

/// The most rounds of passes; each round that changes something removes at least one thing, so this
/// is reached only by a scenario of thousands of parts, and then the result is simply less small.
const MAX_ROUNDS: usize = 64;

/// A shrunk scenario.
#[derive(Clone, Debug)]
pub struct Shrunk {
    pub scenario: Scenario,
    /// What its run shows.
    pub shown: Shown,
    /// Whether every delay is a constant or pinned (`false` when pinning lost the anomaly — a run
    /// with losses or duplicates draws them from the seed — and the result replays its seed).
    pub pinned: bool,
    /// How many candidates were run and checked.
    pub candidates: u64,
}

/// Runs candidates under one model and asks whether they show the target.
pub struct Judge<'a> {
    pub model: Model,
    pub target: &'a Target,
    pub candidates: u64,
}

impl Judge<'_> {
    /// What `scenario`'s run shows of the target, if anything; a scenario that does not validate
    /// shows nothing.
    pub fn shows(&mut self, scenario: &Scenario) -> Option<Shown> {
        self.candidates += 1;
        let config = scenario.clone().validate("candidate").ok()?;
        self.shows_config(&config)
    }

    /// How long each operation kept its client busy in `scenario`'s run.
    fn busy(&self, scenario: &Scenario) -> Option<edit::Busy> {
        let config = scenario.clone().validate("candidate").ok()?;
        let run = simulate_recording(&config, self.model, Record::VerdictsOnly);
        Some(edit::busy(&run.history))
    }

    fn shows_config(&mut self, config: &Config) -> Option<Shown> {
        let run = simulate_recording(config, self.model, Record::VerdictsOnly);
        self.target.find(&check_run(&run))
    }
}

/// Shrinks `raw` (as written; `config` is it validated, at the seed to shrink) under `model`.
/// `None` when the run of `config` does not show `target`.
pub fn shrink(raw: &Scenario, config: &Config, model: Model, target: &Target) -> Option<Shrunk> {
    let mut judge = Judge {
        model,
        target,
        candidates: 0,
    };
    judge.shows_config(config)?;
    let explicit = explicit(raw, config);
    let explicit_config = explicit.clone().validate(&config.name).ok()?;
    let pinned = pinned(&explicit, &explicit_config, model);
    let (mut current, is_pinned) = if judge.shows(&pinned).is_some() {
        (pinned, true)
    } else {
        judge.shows(&explicit)?;
        (explicit, false)
    };
    for _ in 0..MAX_ROUNDS {
        let mut changed = false;
        changed |= pass_clients(&mut current, &mut judge);
        changed |= pass_faults(&mut current, &mut judge);
        changed |= pass_operations(&mut current, &mut judge);
        changed |= pass_replicas(&mut current, &mut judge);
        changed |= pass_pins(&mut current, &mut judge);
        changed |= pass_times(&mut current, &mut judge);
        if !changed {
            break;
        }
    }
    let shown = judge.shows(&current)?;
    describe(&mut current, config, model, &shown, is_pinned);
    Some(Shrunk {
        scenario: current,
        shown,
        pinned: is_pinned,
        candidates: judge.candidates,
    })
}

/// Names the shrunk scenario after the original and says in its description what it shows: a claim
/// that replaying it checks.
fn describe(scenario: &mut Scenario, original: &Config, model: Model, shown: &Shown, pinned: bool) {
    scenario.name = Some(format!("{}-shrunk", original.name));
    let delays = if !pinned {
        " Its losses or duplicates come from its seed, so its delays are left as they were drawn."
    } else if scenario.network.schedule.is_empty() {
        " Every message takes the constant delay."
    } else {
        " The delays that matter are pinned in network.schedule; every other message takes the \
         constant delay."
    };
    scenario.description = Some(format!(
        "Found by kvsim hunt in {} at seed {} and shrunk: under {model}, {} breaks {}.{delays}",
        original.name,
        original.seed,
        shown.anomaly,
        shown.property.name(),
    ));
}

fn pass_clients(current: &mut Scenario, judge: &mut Judge) -> bool {
    let all: Vec<usize> = (0..edit::clients(current).len()).collect();
    let kept = ddmin(all.clone(), |kept| {
        judge.shows(&edit::keep_clients(current, kept)).is_some()
    });
    replace_if_smaller(current, all.len(), &kept, edit::keep_clients)
}

fn pass_faults(current: &mut Scenario, judge: &mut Judge) -> bool {
    let all: Vec<usize> = (0..current.faults.len()).collect();
    let kept = ddmin(all.clone(), |kept| {
        judge.shows(&edit::keep_faults(current, kept)).is_some()
    });
    replace_if_smaller(current, all.len(), &kept, edit::keep_faults)
}

/// Operations, twice: first each dropped one replaced by a sleep as long as it kept its client busy
/// in the current run, so that removing an operation does not move the ones after it; then simply
/// deleted, so that the result is 1-minimal in that plainer sense too.
fn pass_operations(current: &mut Scenario, judge: &mut Judge) -> bool {
    let Some(busy) = judge.busy(current) else {
        return false;
    };
    let mut changed = false;
    for busy in [busy, edit::Busy::new()] {
        let all: Vec<OpAt> = edit::operations(current);
        let kept = ddmin(all.clone(), |kept| {
            judge
                .shows(&edit::keep_operations(current, kept, &busy))
                .is_some()
        });
        changed |= replace_if_smaller(current, all.len(), &kept, |s, kept| {
            edit::keep_operations(s, kept, &busy)
        });
    }
    changed
}

fn pass_pins(current: &mut Scenario, judge: &mut Judge) -> bool {
    let all: Vec<usize> = (0..current.network.schedule.len()).collect();
    let kept = ddmin(all.clone(), |kept| {
        judge.shows(&edit::keep_pins(current, kept)).is_some()
    });
    replace_if_smaller(current, all.len(), &kept, edit::keep_pins)
}

/// Replicas one at a time, from the highest (renumbering moves fewer of the others).
fn pass_replicas(current: &mut Scenario, judge: &mut Judge) -> bool {
    let mut changed = false;
    for r in (0..current.replicas).rev() {
        if let Some(candidate) = edit::without_replica(current, r) {
            if judge.shows(&candidate).is_some() {
                *current = candidate;
                changed = true;
            }
        }
    }
    changed
}

/// Sleeps, start times and the timeout: each removed if it can be, else made as short as it can be.
fn pass_times(current: &mut Scenario, judge: &mut Judge) -> bool {
    let mut changed = false;
    let tidy = edit::tidy_sleeps(current);
    if edit::sleeps(&tidy).len() < edit::sleeps(current).len() && judge.shows(&tidy).is_some() {
        *current = tidy;
        changed = true;
    }
    // Backwards, so that removing a sleep leaves the places of those still to visit unchanged.
    for at in edit::sleeps(current).into_iter().rev() {
        changed |= shorten(
            current,
            judge,
            |s, ms| edit::with_sleep(s, at, ms),
            |s| edit::clients(s)[at.0].ops[at.1].sleep,
        );
    }
    for c in 0..edit::clients(current).len() {
        changed |= shorten(
            current,
            judge,
            |s, ms| {
                let mut out = s.clone();
                if let Some(client) = out.clients.as_mut().and_then(|cs| cs.get_mut(c)) {
                    client.start = ms.filter(|&ms| ms > 0);
                }
                out
            },
            |s| edit::clients(s)[c].start,
        );
    }
    if current.timeout.is_some() {
        let mut candidate = current.clone();
        candidate.timeout = None;
        if judge.shows(&candidate).is_some() {
            *current = candidate;
            changed = true;
        }
    }
    changed
}

/// Tries `set(current, None)` (gone), then the shortest value below the one `get` reads that still
/// shows the anomaly, by bisection (which assumes shorter fails below some value and works above; where
/// that is not so, it still only ever keeps a value that works).
fn shorten(
    current: &mut Scenario,
    judge: &mut Judge,
    set: impl Fn(&Scenario, Option<u64>) -> Scenario,
    get: impl Fn(&Scenario) -> Option<u64>,
) -> bool {
    let Some(ms) = get(current).filter(|&ms| ms > 0) else {
        return false;
    };
    let gone = set(current, None);
    if judge.shows(&gone).is_some() {
        *current = gone;
        return true;
    }
    // `works` shows the anomaly; `fails` (0: gone) does not.
    let (mut fails, mut works) = (0, ms);
    while works - fails > 1 {
        let mid = fails + (works - fails) / 2;
        let candidate = set(current, Some(mid));
        if judge.shows(&candidate).is_some() {
            *current = candidate;
            works = mid;
        } else {
            fails = mid;
        }
    }
    works < ms
}

/// Replaces `current` by the `kept` version when it keeps fewer than `all` items.
fn replace_if_smaller<T>(
    current: &mut Scenario,
    all: usize,
    kept: &[T],
    keep: impl Fn(&Scenario, &[T]) -> Scenario,
) -> bool {
    if kept.len() < all {
        *current = keep(current, kept);
        true
    } else {
        false
    }
}

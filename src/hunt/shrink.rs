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
    /// Whether every delay is a constant or pinned (`false` when pinning lost the anomaly, and the
    /// result draws its delays from its seed as the original did).
    pub pinned: bool,
    /// How many candidates were run and checked.
    pub candidates: u64,
}

/// Why a run could not be shrunk.
#[derive(Debug, thiserror::Error)]
pub enum ShrinkError {
    #[error("the run at seed {seed} does not show {target}")]
    NotShown { seed: u64, target: String },
    /// Written out as a scenario, the run no longer validates or no longer shows the target: a bug
    /// in writing it out.
    #[error("the run at seed {seed}, written out as a scenario, {why}")]
    NotWrittenOut { seed: u64, why: String },
}

/// Runs candidates under one model and asks whether they show the target.
struct Judge<'a> {
    model: Model,
    target: &'a Target,
    candidates: u64,
}

impl Judge<'_> {
    /// What `scenario`'s run shows of the target, if anything; a scenario that does not validate
    /// shows nothing.
    fn shows(&mut self, scenario: &Scenario) -> Option<Shown> {
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
pub fn shrink(
    raw: &Scenario,
    config: &Config,
    model: Model,
    target: &Target,
) -> Result<Shrunk, ShrinkError> {
    let mut judge = Judge {
        model,
        target,
        candidates: 0,
    };
    let seed = config.seed;
    if judge.shows_config(config).is_none() {
        return Err(ShrinkError::NotShown {
            seed,
            target: target.describe(),
        });
    }
    let explicit = explicit(raw, config);
    let explicit_config =
        explicit
            .clone()
            .validate(&config.name)
            .map_err(|err| ShrinkError::NotWrittenOut {
                seed,
                why: format!("is not valid: {err}"),
            })?;
    let pinned = pinned(&explicit, &explicit_config, model);
    let (mut current, is_pinned) = if judge.shows(&pinned).is_some() {
        (pinned, true)
    } else if judge.shows(&explicit).is_some() {
        (explicit, false)
    } else {
        return Err(ShrinkError::NotWrittenOut {
            seed,
            why: format!("no longer shows {}", target.describe()),
        });
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
    // Every round kept only candidates that showed it, so this cannot fail; asked again for `shown`.
    let shown = judge
        .shows(&current)
        .ok_or_else(|| ShrinkError::NotWrittenOut {
            seed,
            why: "lost it while shrinking".into(),
        })?;
    describe(&mut current, config, model, &shown, is_pinned);
    Ok(Shrunk {
        scenario: current,
        shown,
        pinned: is_pinned,
        candidates: judge.candidates,
    })
}

/// Names the shrunk scenario after the original and says in its description what it shows (a claim
/// that replaying it checks), and what of it still comes from the seed.
fn describe(scenario: &mut Scenario, original: &Config, model: Model, shown: &Shown, pinned: bool) {
    scenario.name = Some(format!("{}-shrunk", original.name));
    let delays = if !pinned {
        " Its delays are drawn from its seed, as in the run it came from: with them pinned, the \
         anomaly did not show."
    } else if scenario.network.schedule.is_empty() {
        " Every message takes the constant delay."
    } else {
        " The delays that matter are pinned in network.schedule; every other message takes the \
         constant delay."
    };
    let losses = scenario.network.drop.unwrap_or(0.0) > 0.0
        || scenario.network.duplicate.unwrap_or(0.0) > 0.0;
    let losses = match losses {
        true => " Its losses and duplicates are drawn from its seed.",
        false => "",
    };
    scenario.description = Some(format!(
        "Found by kvsim hunt in {} at seed {} and shrunk: under {model}, {} breaks {}.{delays}{losses}",
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

//! The vertical axis: time runs down, compressed so that a long quiet stretch does not push the
//! picture off the screen, and stretched within an instant so that two things on one lane at the
//! same millisecond (an operation answered at once, then the next one invoked) do not overlap.
//!
//! ```text
//!   t=0    ─┬─ invoke          y = 0
//!           └─ return (same instant, same lane: one step down)
//!   t=5    ─── delivery        y += gap(5 ms)
//!   t=100  ─── delivery        y += gap(95 ms), at most MAX_GAP
//! ```

use crate::events::{Event, What};
use crate::ids::Time;
use crate::run::Run;

/// The pixels between two instants 1 ms apart; longer gaps grow with the square root of their
/// length, up to [`MAX_GAP`].
const MIN_GAP: i64 = 14;
/// The most pixels any quiet stretch takes.
const MAX_GAP: i64 = 80;
/// The step between two marks on one lane at the same instant.
pub(super) const STEP: i64 = 12;

/// Places each instant and each mark on the vertical axis, walking events in time order.
pub(super) struct Scale {
    time: Option<Time>,
    y: i64,
    /// The lowest y used on each lane (replicas, then clients).
    lane_y: Vec<i64>,
    /// `(y, time)` of each instant, for the time labels on the left.
    pub(super) ticks: Vec<(i64, Time)>,
}

impl Scale {
    pub(super) fn new(lanes: usize) -> Self {
        Scale {
            time: None,
            y: 0,
            lane_y: vec![-STEP; lanes],
            ticks: Vec::new(),
        }
    }

    /// The y of something that happens at `at`, taking a row of its own on `lane` if given.
    pub(super) fn place(&mut self, at: Time, lane: Option<usize>) -> i64 {
        match self.time {
            Some(time) if at <= time => {}
            Some(time) => {
                self.y += gap(at - time);
                self.time = Some(at);
                self.ticks.push((self.y, at));
            }
            None => {
                self.time = Some(at);
                self.ticks.push((self.y, at));
            }
        }
        if let Some(used) = lane.and_then(|l| self.lane_y.get_mut(l)) {
            if *used >= self.y {
                self.y = *used + STEP;
            }
            *used = self.y;
        }
        self.y
    }

    /// Where the run ends: a little below its last mark.
    pub(super) fn end(&self) -> i64 {
        self.y + 2 * STEP
    }
}

/// The pixels between two instants `dt` ms apart: 14 for 1 ms, 54 for 100 ms, at most 80.
fn gap(dt: Time) -> i64 {
    let grown = 4.0 * (dt as f64).sqrt();
    MIN_GAP + (grown as i64).min(MAX_GAP - MIN_GAP)
}

/// The run's events with their indices (as [`crate::events::EventLog::indexed`] gives them), or,
/// for a run that recorded none, the ones its history, committed orders and faults tell: each
/// invocation, answer and give-up, each commit and each fault, in time order.
pub(super) fn happenings(run: &Run) -> Vec<(Event, u32)> {
    if let Some(log) = &run.events {
        return log.indexed(run.replicas.len()).collect();
    }
    // (time, group, rank, event, index): at one instant, faults first (as the engine orders them),
    // then the clients' invocations and answers in the order they came (an operation answered at
    // once comes before the next one), then the commits: the order within an instant is lost.
    let mut all: Vec<(Time, u8, u64, Event, u32)> = Vec::new();
    for (index, fault) in run.faults.iter().enumerate() {
        let what = What::Fault {
            index: index as u32,
        };
        all.push((fault.at, 0, index as u64, Event { at: fault.at, what }, 0));
    }
    for (i, o) in run.history.iter().enumerate() {
        let op = i as u32;
        let at = o.invoked_at;
        all.push((
            at,
            1,
            2 * i as u64,
            Event {
                at,
                what: What::Invoke { op },
            },
            0,
        ));
        if let Some(at) = o.returned_at {
            all.push((
                at,
                1,
                2 * i as u64 + 1,
                Event {
                    at,
                    what: What::Return { op },
                },
                0,
            ));
        }
        if let Some(at) = o.gave_up_at {
            all.push((
                at,
                1,
                2 * i as u64 + 1,
                Event {
                    at,
                    what: What::GiveUp { op },
                },
                0,
            ));
        }
    }
    for replica in &run.replicas {
        for (index, entry) in replica.committed.iter().enumerate() {
            let what = What::Commit {
                replica: replica.id,
            };
            let at = entry.at;
            all.push((at, 2, 0, Event { at, what }, index as u32));
        }
    }
    // A stable sort keeps each replica's commits in their order.
    all.sort_by_key(|&(at, group, rank, _, _)| (at, group, rank));
    all.into_iter()
        .map(|(_, _, _, event, index)| (event, index))
        .collect()
}

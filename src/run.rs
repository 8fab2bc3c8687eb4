//! The result of simulating one scenario under one model: each replica's committed order and final
//! store, the clients' history, and statistics.

use serde::{Deserialize, Serialize};

use crate::events::EventLog;
use crate::history::{History, Operation};
use crate::ids::{ReplicaId, Time};
use crate::protocol::{CommitEntry, Model, Store};
use crate::sim::fault::TimedFault;

/// One model's run of a scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    pub model: Model,
    pub replicas: Vec<ReplicaRun>,
    pub history: History,
    /// The faults that happened, scripted and drawn by the nemesis, in the order they happened.
    pub faults: Vec<TimedFault>,
    pub stats: Stats,
    /// The protocol events, when the run was asked to record them (`--trace`). The JSON report
    /// writes them as `events`; they are left out of the run's own serialization.
    #[serde(skip)]
    pub events: Option<EventLog>,
}

/// What one replica did.
#[derive(Clone, Debug, Serialize)]
pub struct ReplicaRun {
    pub id: ReplicaId,
    /// The operations it applied, in the order it applied them.
    pub committed: Vec<CommitEntry>,
    /// Its store when the run ended.
    pub store: Store,
    /// Whether it was running when the run ended (false: crashed, and not restarted).
    pub up: bool,
    /// How many of the messages it sent no acknowledgement had covered when the run ended: lost or
    /// unanswered so far, and retransmitted while it is up.
    pub unacknowledged: usize,
}

/// Why a run ended.
///
/// A run is *finished* when every client has finished (each operation answered or given up on) and
/// every message sent between replicas has arrived and been acknowledged. A run that can never get
/// there *stalls*: a replica that crashed for good still holds messages no one acknowledged, or
/// retransmits to a replica it can no longer reach, or a client waits for an answer that cannot come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// No event was left, and the run was finished: every client finished, and every message
    /// arrived and was acknowledged.
    Idle,
    /// The next event was later than the scenario's time limit.
    TimeLimit,
    /// The scenario's event limit was reached.
    EventLimit,
    /// More events were waiting than kvsim holds in memory (too many messages in flight at once).
    QueueLimit,
    /// The run could not finish, and nothing left to happen would change that: nothing was left but
    /// retransmissions that can only be lost, or nothing at all while a replica that crashed for good
    /// held unacknowledged messages or a client waited for an answer that cannot come (no fault is
    /// left to restart a replica or heal a link). Each replica's `up` and `unacknowledged` say which.
    Stalled,
}

impl Stop {
    pub fn describe(self) -> &'static str {
        match self {
            Stop::Idle => "idle (nothing left to do)",
            Stop::TimeLimit => "time limit reached",
            Stop::EventLimit => "event limit reached",
            Stop::QueueLimit => "too many events in flight (queue limit reached)",
            Stop::Stalled => "stalled (the run cannot finish)",
        }
    }
}

/// Counts and latencies of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stats {
    /// Operations invoked.
    pub operations: usize,
    /// Operations answered while their client still waited.
    pub completed: usize,
    /// Operations whose client gave up waiting.
    pub timed_out: usize,
    /// Operations answered after their client had given up.
    pub answered_late: usize,
    pub availability: Availability,
    /// Packets sent between replicas: protocol messages, retransmissions and acknowledgements.
    pub messages: u64,
    /// Of `messages`, the channels' acknowledgements.
    pub acks: u64,
    /// Of `messages`, protocol messages sent again because they were not acknowledged in time.
    pub retransmitted: u64,
    /// Packets lost: to the network's `drop`, across a partition, or to a crashed replica.
    pub dropped: u64,
    /// Packets the network delivered twice.
    pub duplicated: u64,
    /// Events the engine processed.
    pub events: u64,
    /// The simulated time of the last event processed, in ms.
    pub duration: Time,
    pub stopped: Stop,
    pub reads: Latency,
    pub writes: Latency,
}

/// The fractions of operations answered: `null` when no operation was invoked.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Availability {
    /// Answered at all, in time or after the client gave up.
    pub answered: Option<f64>,
    /// Answered while the client still waited (within the timeout, if there is one).
    pub within_timeout: Option<f64>,
}

/// Latency of the operations of one kind answered in time, in ms. Percentiles are nearest-rank.
/// With none answered there is no latency to speak of: every figure but `count` is `None` (`null` in
/// JSON, `-` in text), never a 0 that reads like an instant answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Latency {
    pub count: usize,
    pub mean: Option<f64>,
    pub p50: Option<Time>,
    pub p99: Option<Time>,
    pub max: Option<Time>,
}

impl Latency {
    /// The latencies of the reads (`writes` false) or of the writes — puts, compare-and-sets and
    /// appends, which all go the way of a write.
    fn of(history: &[Operation], writes: bool) -> Latency {
        let mut latencies: Vec<Time> = history
            .iter()
            .filter(|o| o.op.may_write() == writes)
            .filter_map(Operation::latency)
            .collect();
        latencies.sort_unstable();
        let count = latencies.len();
        let answered = count > 0;
        Latency {
            count,
            mean: answered.then(|| latencies.iter().sum::<Time>() as f64 / count as f64),
            p50: answered.then(|| nearest_rank(&latencies, 50)),
            p99: answered.then(|| nearest_rank(&latencies, 99)),
            max: latencies.last().copied(),
        }
    }
}

/// The `percent`-th percentile of sorted values by the nearest-rank method: the smallest value with at
/// least `percent`% of the values at or below it (0 for no values).
pub fn nearest_rank(sorted: &[Time], percent: usize) -> Time {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// What the engine counted while it ran, beyond what the history tells.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub messages: u64,
    pub acks: u64,
    pub retransmitted: u64,
    pub dropped: u64,
    pub duplicated: u64,
    pub events: u64,
    pub answered_late: usize,
}

impl Stats {
    /// Derives the statistics that follow from the history, given the engine's own counts.
    pub fn new(history: &[Operation], counters: Counters, duration: Time, stopped: Stop) -> Stats {
        let operations = history.len();
        let completed = history.iter().filter(|o| o.returned_at.is_some()).count();
        let fraction = |n: usize| (operations > 0).then(|| n as f64 / operations as f64);
        Stats {
            operations,
            completed,
            timed_out: history.iter().filter(|o| o.gave_up_at.is_some()).count(),
            answered_late: counters.answered_late,
            availability: Availability {
                answered: fraction(completed + counters.answered_late),
                within_timeout: fraction(completed),
            },
            messages: counters.messages,
            acks: counters.acks,
            retransmitted: counters.retransmitted,
            dropped: counters.dropped,
            duplicated: counters.duplicated,
            events: counters.events,
            duration,
            stopped,
            reads: Latency::of(history, false),
            writes: Latency::of(history, true),
        }
    }
}

impl Run {
    /// Whether every replica ended with the same store.
    pub fn converged(&self) -> bool {
        self.replicas.windows(2).all(|w| w[0].store == w[1].store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<Time> = (1..=100).collect();
        assert_eq!(nearest_rank(&values, 50), 50);
        assert_eq!(nearest_rank(&values, 99), 99);
        assert_eq!(nearest_rank(&[7], 99), 7);
        assert_eq!(nearest_rank(&[1, 2, 3], 50), 2);
        assert_eq!(nearest_rank(&[1, 2, 3], 99), 3);
        assert_eq!(nearest_rank(&[], 50), 0);
    }
}

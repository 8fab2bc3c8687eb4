//! The result of simulating one scenario under one model: each replica's committed order and final
//! store, the clients' history, and statistics.

use serde::{Deserialize, Serialize};

use crate::history::{History, Operation};
use crate::ids::{ReplicaId, Time};
use crate::op::OpKind;
use crate::protocol::{CommitEntry, Model, Store};

/// One model's run of a scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    pub model: Model,
    pub replicas: Vec<ReplicaRun>,
    pub history: History,
    pub stats: Stats,
}

/// What one replica did.
#[derive(Clone, Debug, Serialize)]
pub struct ReplicaRun {
    pub id: ReplicaId,
    /// The operations it applied, in the order it applied them.
    pub committed: Vec<CommitEntry>,
    /// Its store when the run ended.
    pub store: Store,
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// No event was left: every client finished and every message arrived.
    Idle,
    /// The next event was later than the scenario's time limit.
    TimeLimit,
    /// The scenario's event limit was reached.
    EventLimit,
    /// More events were waiting than kvsim holds in memory (too many messages in flight at once).
    QueueLimit,
}

impl Stop {
    pub fn describe(self) -> &'static str {
        match self {
            Stop::Idle => "idle (nothing left to do)",
            Stop::TimeLimit => "time limit reached",
            Stop::EventLimit => "event limit reached",
            Stop::QueueLimit => "too many events in flight (queue limit reached)",
        }
    }
}

/// Counts and latencies of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stats {
    /// Operations invoked.
    pub operations: usize,
    /// Operations answered before the run ended.
    pub completed: usize,
    /// Messages sent between replicas.
    pub messages: u64,
    /// Events the engine processed.
    pub events: u64,
    /// The simulated time of the last event processed, in ms.
    pub duration: Time,
    pub stopped: Stop,
    pub reads: Latency,
    pub writes: Latency,
}

/// Latency of the answered operations of one kind, in ms.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Latency {
    pub count: usize,
    pub mean: f64,
    pub max: Time,
}

impl Latency {
    fn of(history: &[Operation], kind: OpKind) -> Latency {
        let (mut count, mut total, mut max) = (0, 0, 0);
        for latency in history
            .iter()
            .filter(|o| o.op == kind)
            .filter_map(Operation::latency)
        {
            count += 1;
            total += latency;
            max = max.max(latency);
        }
        let mean = if count == 0 {
            0.0
        } else {
            total as f64 / count as f64
        };
        Latency { count, mean, max }
    }
}

impl Stats {
    /// Derives the statistics that follow from the history, given the engine's own counts.
    pub fn new(
        history: &[Operation],
        messages: u64,
        events: u64,
        duration: Time,
        stopped: Stop,
    ) -> Stats {
        Stats {
            operations: history.len(),
            completed: history.iter().filter(|o| o.returned_at.is_some()).count(),
            messages,
            events,
            duration,
            stopped,
            reads: Latency::of(history, OpKind::Get),
            writes: Latency::of(history, OpKind::Put),
        }
    }
}

impl Run {
    /// Whether every replica ended with the same store.
    pub fn converged(&self) -> bool {
        self.replicas.windows(2).all(|w| w[0].store == w[1].store)
    }
}

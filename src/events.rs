//! The protocol events of a run, in the order they happened: the message-level story that a trace,
//! and later a picture, tells.
//!
//! The engine records an [`EventLog`] only when asked (`kvsim run --trace`); sweeps and plain runs
//! record none and pay nothing for it. What is recorded:
//!
//! ```text
//!   client   invoke ─► request arrives at its replica ─► reply leaves ─► answer arrives (or gives up)
//!   network  packet sent ─► delivered | lost (chance, cut link, crashed receiver) | duplicated
//!   replica  commit (an entry of its committed order) · note (held back and why, released, …)
//!   faults   partition, heal, crash, restart
//! ```
//!
//! Events are small fixed-size records that point into tables — the run's history, each replica's
//! committed order, the fault schedule, and the log's own [`Message`] and note tables — so that a
//! large run can be recorded in a few hundred bytes per operation. Their order in
//! [`EventLog::events`] is the order the engine processed them, which is time order.

use std::sync::Arc;

use serde::Serialize;

use crate::ids::{ReplicaId, Time};
use crate::protocol::clocks::{Stamp, VectorClock};
use crate::protocol::note::Note;
use crate::protocol::summary::MessageKind;
use crate::protocol::Traffic;

/// The most events a run records. Past it the log stops growing and says so
/// ([`EventLog::truncated`]), rather than exhaust memory: about 1.5 GB of records at most.
pub const MAX_RECORDED_EVENTS: usize = 20_000_000;

/// Everything that happened in a run, in the order it happened.
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    pub events: Vec<Event>,
    /// Every packet put on the network, in sending order; [`What::Sent`] and the events of its fate
    /// refer to it by index.
    pub messages: Vec<Message>,
    /// Every note a replica made; [`What::Note`] refers to them by index.
    pub notes: Vec<Note>,
    /// Whether recording stopped at [`MAX_RECORDED_EVENTS`] before the run ended.
    pub truncated: bool,
}

/// One thing that happened at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub at: Time,
    pub what: What,
}

/// What happened. `op` is an index into the run's history, `msg` into [`EventLog::messages`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum What {
    /// A client invoked an operation: its request leaves for its replica.
    Invoke { op: u32 },
    /// The request reached its replica.
    Request { op: u32 },
    /// The request reached a replica that is down, and is lost.
    RequestLost { op: u32 },
    /// The replica answered: the reply leaves for the client.
    Reply { op: u32 },
    /// The answer reached the client, and the operation completed.
    Return { op: u32 },
    /// The answer reached a client that had already given up on it.
    LateReply { op: u32 },
    /// The client's timeout expired before an answer came: it gave up.
    GiveUp { op: u32 },
    /// A packet was put on the network.
    Sent { msg: u32 },
    /// The network will deliver a second copy of the packet.
    Duplicated { msg: u32 },
    /// The packet (or one copy of it) arrived and was handed to its receiver.
    Delivered { msg: u32 },
    /// The packet was lost, when sent or when it would have arrived.
    Lost { msg: u32, why: Loss },
    /// A replica applied an operation: entry `index` of its committed order.
    Commit { replica: ReplicaId, index: u32 },
    /// A replica explained itself: entry `index` of [`EventLog::notes`].
    Note { replica: ReplicaId, index: u32 },
    /// Entry `index` of the run's fault schedule happened.
    Fault { index: u32 },
}

/// Why a packet was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// The network dropped it by chance (the scenario's `drop`).
    Dropped,
    /// Its link was cut by a partition.
    Cut,
    /// Its receiver was crashed.
    Down,
}

/// One packet put on the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub from: ReplicaId,
    pub to: ReplicaId,
    pub traffic: Traffic,
    /// For data, the packet's sequence number on its link; for a channel acknowledgement, the
    /// sequence number it acknowledges up to (everything below it has arrived).
    pub seq: u64,
    /// What a data packet carries; `None` for a channel acknowledgement.
    pub carries: Option<Carried>,
}

/// What a data packet carries, in the terms of the protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Carried {
    pub kind: MessageKind,
    /// The stamp of the write or operation it carries, or that it acknowledges.
    pub stamp: Stamp,
    /// The operation it carries, as an index into the run's history.
    pub op: Option<u32>,
    /// The sender's Lamport time, for a multicast acknowledgement.
    pub lamport: Option<u64>,
    /// The write's vector clock, under causal.
    pub vector: Option<Arc<VectorClock>>,
}

impl EventLog {
    /// Records that `what` happened at `at`, unless the log is full.
    pub(crate) fn push(&mut self, at: Time, what: What) {
        if self.events.len() >= MAX_RECORDED_EVENTS {
            self.truncated = true;
            return;
        }
        self.events.push(Event { at, what });
    }
}

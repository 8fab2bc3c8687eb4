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

use serde::Serialize;

use crate::ids::{ReplicaId, Time};
use crate::protocol::clocks::Stamp;
use crate::protocol::note::Note;
use crate::protocol::summary::{Clock, MessageKind};
use crate::protocol::Traffic;

/// The most events a run records. Past it the log stops growing and says so
/// ([`EventLog::truncated`]), rather than exhaust memory: under 1 GB of records at most.
pub const MAX_RECORDED_EVENTS: usize = 20_000_000;

/// Everything that happened in a run, in the order it happened.
///
/// Large runs record millions of events, so each is 16 bytes and what they share is kept once: a
/// packet's contents are in [`payloads`](Self::payloads), which the copies of one multicast share;
/// a commit's and a note's contents are found by counting (see [`What::Commit`], [`What::Note`]).
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    pub events: Chunked<Event>,
    /// Every packet put on the network, in sending order; [`What::Sent`] and the events of its fate
    /// refer to it by index.
    pub messages: Chunked<Message>,
    /// What data packets carry; [`Message::payload`] refers to them by index.
    pub payloads: Chunked<Carried>,
    /// Every note a replica made, in the order they were made.
    pub notes: Chunked<Note>,
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
    /// The packet (or one copy of it) was lost: as it was sent, or when it would have arrived
    /// (`arriving`).
    Lost { msg: u32, why: Loss, arriving: bool },
    /// A replica applied an operation. The `n`-th commit event of a replica is entry `n` of its
    /// committed order (counting from 0).
    Commit { replica: ReplicaId },
    /// A replica explained itself. The `n`-th note event of the log is entry `n` of
    /// [`EventLog::notes`].
    Note { replica: ReplicaId },
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    pub from: ReplicaId,
    pub to: ReplicaId,
    pub traffic: Traffic,
    /// For data, the packet's sequence number on its link; for a channel acknowledgement, the
    /// sequence number it acknowledges up to (everything below it has arrived).
    pub seq: u64,
    /// What a data packet carries, as an index into [`EventLog::payloads`]; [`NO_PAYLOAD`] for a
    /// channel acknowledgement.
    pub payload: u32,
}

/// [`Message::payload`] of a channel acknowledgement, which carries no protocol message.
pub const NO_PAYLOAD: u32 = u32::MAX;

/// What a data packet carries, in the terms of the protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Carried {
    pub kind: MessageKind,
    /// The stamp of the write or operation it carries, or that it acknowledges.
    pub stamp: Stamp,
    /// The operation it carries, as an index into the run's history.
    pub op: Option<u32>,
    /// The Lamport time of a multicast acknowledgement, or the vector clock of a causal write.
    pub clock: Clock,
}

impl EventLog {
    /// Whether the log is full: nothing more is recorded.
    pub(crate) fn is_full(&self) -> bool {
        self.events.len() >= MAX_RECORDED_EVENTS
    }

    /// Records that `what` happened at `at`, unless the log is full.
    pub(crate) fn push(&mut self, at: Time, what: What) {
        if self.is_full() {
            self.truncated = true;
            return;
        }
        self.events.push(Event { at, what });
    }

    /// The events in order, each with the index of what it refers to by counting: for a commit,
    /// its entry in its replica's committed order; for a note, its entry in [`notes`](Self::notes);
    /// 0 for every other event.
    pub fn indexed(&self, replicas: usize) -> impl Iterator<Item = (Event, u32)> + '_ {
        let mut commits = vec![0u32; replicas];
        let mut notes = 0u32;
        self.events.iter().map(move |&event| {
            let counter = match event.what {
                What::Commit { replica } => commits.get_mut(replica.index()),
                What::Note { .. } => Some(&mut notes),
                _ => None,
            };
            let index = counter.map_or(0, |n| {
                *n += 1;
                *n - 1
            });
            (event, index)
        })
    }

    /// What packet `msg` carries, if it is data.
    pub fn payload(&self, message: &Message) -> Option<&Carried> {
        self.payloads.get(message.payload as usize)
    }
}

/// An append-only list kept in fixed-size chunks: unlike a `Vec`, it never copies what it holds to
/// grow, so a log of millions of entries costs what it holds, not up to three times that while a
/// doubled buffer is being filled.
#[derive(Clone, Debug)]
pub struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

/// Entries per chunk: large enough that the chunk list stays short, small enough to waste little.
const CHUNK: usize = 1 << 16;

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(value),
            _ => {
                // The first chunk grows as a `Vec` does, so that small runs stay small.
                let mut chunk = match self.chunks.is_empty() {
                    true => Vec::new(),
                    false => Vec::with_capacity(CHUNK),
                };
                chunk.push(value);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK)?.get(index % CHUNK)
    }

    pub fn last(&self) -> Option<&T> {
        self.chunks.last()?.last()
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

impl<T> std::ops::Index<usize> for Chunked<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        &self.chunks[index / CHUNK][index % CHUNK]
    }
}

impl<'a, T> IntoIterator for &'a Chunked<T> {
    type Item = &'a T;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<T>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.chunks.iter().flatten()
    }
}

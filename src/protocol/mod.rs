//! The replicas: one sans-IO state machine per consistency model, and the interface they share.
//!
//! A replica never touches the event queue, the random number generator or a clock. The engine hands
//! it the current time and one input — a client's [`Request`] through [`Replica::handle_request`], a
//! packet from another replica through [`Replica::handle_message`], or the expiry of its timer through
//! [`Replica::handle_timeout`] — and then drains what the input caused through
//! [`Replica::poll_output`]: packets to send, replies to clients, and commits (writes, and for
//! linearizable also reads, applied to the local store). Because nothing else goes in or out, each
//! protocol can be unit-tested by feeding it messages by hand, and could run over real sockets
//! unchanged.
//!
//! ```text
//!            handle_request(now, request)       poll_output() ─► Send { to, msg, traffic }
//!   engine ─► handle_message(now, from, packet) ─►             ─► Reply { reply }
//!            handle_timeout(now)                              ─► Commit(entry)
//!                                                             ─► Note(note), when explaining
//!                                               poll_timeout() ─► when to call handle_timeout
//! ```
//!
//! Call order: after each `handle_*` call, call `poll_output` until it returns `None`, then ask
//! `poll_timeout` when the replica next wants `handle_timeout`. [`Replica::unacknowledged`] may be
//! asked at any time: the engine uses it to tell a finished run from one that cannot finish.
//!
//! Replicas talk through [`channel::Channels`], which retransmit what the network loses and drop what
//! it duplicates, so the protocols below see each message exactly once and, by default, in order.
//!
//! The four models, weakest last:
//! - [`linearizable`]: reads and writes both go through the [`tob`] totally-ordered multicast;
//! - [`sequential`]: writes through the multicast, reads from the local store;
//! - [`causal`]: writes applied at once, propagated with [`clocks::VectorClock`]s and held back until
//!   their dependencies are applied;
//! - [`eventual`]: writes applied at once, propagated in any order, last writer wins.

pub mod causal;
pub mod channel;
pub mod clocks;
pub mod eventual;
pub mod linearizable;
pub mod lww;
pub mod note;
pub mod sequential;
pub mod summary;
pub mod tob;

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::ids::{ClientId, ReplicaId, Time};
use crate::op::{Key, OpKind, Reply, Request, Value};
use channel::{ChannelConfig, Channels, Packet};
use clocks::Stamp;
use note::Note;
use summary::Summarize;

/// The key-value contents of one replica, in key order.
pub type Store = BTreeMap<Key, Value>;

/// A consistency model, and so the replica protocol that implements it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    Linearizable,
    Sequential,
    Causal,
    Eventual,
}

impl Model {
    /// All four, strongest first: the order in which `--model all` runs and prints them.
    pub const ALL: [Model; 4] = [
        Model::Linearizable,
        Model::Sequential,
        Model::Causal,
        Model::Eventual,
    ];

    /// The lowercase name used on the command line, in JSON and in snapshot names.
    pub fn name(self) -> &'static str {
        match self {
            Model::Linearizable => "linearizable",
            Model::Sequential => "sequential",
            Model::Causal => "causal",
            Model::Eventual => "eventual",
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One operation as a replica applied it to its store: the replica's committed order is the sequence
/// of these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitEntry {
    /// When the replica applied it.
    pub at: Time,
    pub op: OpKind,
    pub key: Key,
    /// For a put, the value written; for a get (linearizable only), the value read; for a
    /// compare-and-set (linearizable and sequential only), the value written if it succeeded and the
    /// value seen if it failed ([`CommitEntry::ok`]); for an append, the key's new value. Causal and
    /// eventual replicas commit what a compare-and-set or an append wrote as a put.
    pub value: Option<Value>,
    /// False only for a compare-and-set that failed, which changed nothing.
    #[serde(skip_serializing_if = "is_true", default = "yes")]
    pub ok: bool,
    /// The client whose operation this was.
    pub client: ClientId,
    /// The (Lamport time, replica) stamp the operation's first replica gave it: the order of the
    /// totally-ordered multicast, and the tie-breaker of last-writer-wins.
    pub stamp: Stamp,
    /// True for a write that reached this replica after a newer write (by stamp) to the same key had
    /// already been applied, so last-writer-wins kept the newer value and this one changed nothing.
    /// Only causal and eventual replicas produce these.
    pub superseded: bool,
}

impl CommitEntry {
    /// Whether applying it changed the replica's store: a put, append or successful
    /// compare-and-set that last-writer-wins did not supersede.
    pub fn changed_store(&self) -> bool {
        self.op.may_write() && self.ok && !self.superseded
    }
}

fn is_true(ok: &bool) -> bool {
    *ok
}

/// What a missing `ok` means when a commit is read back: it succeeded.
fn yes() -> bool {
    true
}

/// What kind of packet a [`Output::Send`] is: the engine counts each kind, and only first
/// transmissions of data obey the network's FIFO links.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Traffic {
    /// A protocol message, sent for the first time.
    Data,
    /// A protocol message sent again because it was not acknowledged in time.
    Retransmission,
    /// A channel's acknowledgement.
    Ack,
}

/// Something a replica wants done after an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output<M> {
    /// Send a packet to another replica over the simulated network.
    Send {
        to: ReplicaId,
        msg: M,
        traffic: Traffic,
    },
    /// Answer a client's request.
    Reply(Reply),
    /// The replica applied an operation to its store.
    Commit(CommitEntry),
    /// Why the replica did what it did (only once [`Replica::explain`] was called).
    Note(Note),
}

/// A replica of one consistency model, as a sans-IO state machine (see the module docs for the call
/// order).
pub trait Replica {
    /// What replicas of this model send each other (inside their channels' [`Packet`]s). It is
    /// serializable so that the same message can cross a real network (`net`), where it travels as
    /// a postcard frame; the simulator never serializes it.
    type Message: Clone + fmt::Debug + Summarize + Serialize + DeserializeOwned;

    /// Replica `id` of a cluster of `replicas`, with an empty store, talking through channels
    /// configured by `channels`.
    fn new(id: ReplicaId, replicas: usize, channels: ChannelConfig) -> Self;

    /// From now on, also output [`Output::Note`]s explaining what the replica holds back and why,
    /// and what its channels do (out-of-order and duplicate packets, retransmissions). Off by
    /// default, so that runs that record no trace pay nothing for explanations.
    fn explain(&mut self);

    /// A client's request arrives at `now`.
    fn handle_request(&mut self, now: Time, request: Request);

    /// A packet from replica `from` arrives at `now`.
    fn handle_message(&mut self, now: Time, from: ReplicaId, packet: Packet<Self::Message>);

    /// The time [`poll_timeout`](Self::poll_timeout) named has come (or passed).
    fn handle_timeout(&mut self, now: Time);

    /// The next thing the replica wants done, oldest first; `None` once all are drained.
    #[must_use]
    fn poll_output(&mut self) -> Option<Output<Packet<Self::Message>>>;

    /// When the replica next wants [`handle_timeout`](Self::handle_timeout) called, if ever.
    fn poll_timeout(&self) -> Option<Time>;

    /// How many messages it has sent that no acknowledgement has covered yet, on all its channels:
    /// zero once everything it sent has arrived. A replica that stops for good while this is not
    /// zero leaves the others without what it sent.
    fn unacknowledged(&self) -> usize;

    /// The replica's store as it stands.
    fn store(&self) -> Store;
}

/// A buffer of outputs shared by the protocols: each pushes while it handles an input, and
/// [`Replica::poll_output`] pops.
pub(crate) type Outbox<M> = std::collections::VecDeque<Output<M>>;

/// Hands a packet from `from` to a totally-ordered multicast replica's channels, and each message they
/// deliver to its multicast, draining it after each (see [`drain_tob`]).
#[allow(
    clippy::too_many_arguments,
    reason = "the parts of a replica that the linearizable and sequential replicas both own"
)]
pub(crate) fn receive_tob(
    me: ReplicaId,
    now: Time,
    from: ReplicaId,
    packet: Packet<tob::TobMessage<Request>>,
    tob: &mut tob::TotalOrderMulticast<Request>,
    channels: &mut Channels<tob::TobMessage<Request>>,
    store: &mut Store,
    outbox: &mut Outbox<Packet<tob::TobMessage<Request>>>,
) {
    channels.receive(now, from, packet, outbox);
    while let Some(msg) = channels.poll_delivery(from) {
        tob.handle_message(from, msg);
        drain_tob(me, now, tob, channels, store, outbox);
    }
}

/// Drains a totally-ordered multicast into its replica's outbox, as the linearizable and sequential
/// replicas both do: sends go out through the channels, and each delivered request is applied to
/// `store`, recorded as a commit, and answered if this replica is the one its client sent it to.
pub(crate) fn drain_tob(
    me: ReplicaId,
    now: Time,
    tob: &mut tob::TotalOrderMulticast<Request>,
    channels: &mut Channels<tob::TobMessage<Request>>,
    store: &mut Store,
    outbox: &mut Outbox<Packet<tob::TobMessage<Request>>>,
) {
    while let Some(output) = tob.poll_output() {
        match output {
            tob::TobOutput::Send { to, msg } => channels.send(now, to, msg, outbox),
            tob::TobOutput::Note(note) => outbox.push_back(Output::Note(note)),
            tob::TobOutput::Deliver {
                stamp,
                payload: request,
            } => {
                // Evaluated here, at commit, against the store every replica builds in the same
                // order: so every replica agrees on whether a compare-and-set succeeded and on what
                // an append made.
                let key = request.op.key().clone();
                let effect = request.op.evaluate(store.get(&key));
                if let Some(written) = &effect.write {
                    store.insert(key.clone(), written.clone());
                }
                outbox.push_back(Output::Commit(CommitEntry {
                    at: now,
                    op: request.op.kind(),
                    key,
                    value: effect.value.clone(),
                    client: request.id.client,
                    stamp,
                    superseded: false,
                    ok: effect.ok,
                }));
                if stamp.replica == me {
                    outbox.push_back(Output::Reply(Reply::new(request.id, &effect)));
                }
            }
        }
    }
}

/// Helpers for the protocols' unit tests, which drive one replica by hand and look at what it does
/// above the channel layer.
#[cfg(test)]
pub(crate) mod testing {
    use super::channel::Packet;
    use super::Output;

    /// The protocol message `msg` as the `seq`-th data packet of its link.
    pub fn data<M>(seq: u64, msg: M) -> Packet<M> {
        Packet::Data { seq, msg }
    }

    /// Outputs with the channel layer peeled off: acknowledgements dropped, data unwrapped.
    pub fn peel<M>(outputs: impl IntoIterator<Item = Output<Packet<M>>>) -> Vec<Output<M>> {
        let mut peeled = Vec::new();
        for output in outputs {
            peeled.push(match output {
                Output::Send {
                    msg: Packet::Ack { .. },
                    ..
                } => continue,
                Output::Send {
                    to,
                    msg: Packet::Data { msg, .. },
                    traffic,
                } => Output::Send { to, msg, traffic },
                Output::Reply(reply) => Output::Reply(reply),
                Output::Commit(entry) => Output::Commit(entry),
                Output::Note(note) => Output::Note(note),
            });
        }
        peeled
    }
}

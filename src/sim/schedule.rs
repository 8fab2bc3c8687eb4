//! Pinned delays: the scenario's `network.schedule`, which fixes how long individual messages take,
//! and the record of the delays a run drew, from which `kvsim hunt` pins an interleaving.
//!
//! A pin names a message by the client operation it is about, which stays the same message when
//! other clients or operations are added or removed — unlike "the n-th message on a link", which
//! shifts as soon as anything else sends one:
//!
//! ```text
//!   {"client": 1, "op": 0, "from": 0, "to": 2, "delay": 40}   client 1's first operation, as it
//!                                                              travels from replica 0 to replica 2
//!   {"client": 1, "op": 0, "hop": "reply", "delay": 3}        its answer, back to the client
//! ```
//!
//! Between replicas, a message is *about* an operation when it carries it (a multicast, or a causal or
//! eventual write) or acknowledges the multicast that carries it. Each replica sends at most one such
//! message to each other replica per operation (the multicast's origin counts its own send as its
//! acknowledgement), so a pin names one message; its retransmissions take the same delay. The
//! channels' own acknowledgements are about no operation and are never pinned.
//!
//! A pinned delay replaces the drawn one and draws nothing, as a constant delay does. On a FIFO link
//! a pinned message still never overtakes an earlier one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{ClientId, ReplicaId, Time};
use crate::op::RequestId;
use crate::protocol::channel::Packet;
use crate::protocol::clocks::Stamp;
use crate::protocol::summary::{MessageKind, Summarize};

/// Which message of an operation a pin is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PinnedMessage {
    /// The message about the operation from one replica to another.
    Between { from: ReplicaId, to: ReplicaId },
    /// The client's request, on its way to the replica.
    Request,
    /// The replica's answer, on its way to the client.
    Reply,
}

/// One hop of a client operation, in scenario files: `"hop": "request"` or `"hop": "reply"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Hop {
    Request,
    Reply,
}

/// The fixed delay of one message: client `client`'s `op`-th operation (counting from 0, sleeps not
/// counted), as `message`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pin {
    pub client: ClientId,
    pub op: u32,
    pub message: PinnedMessage,
    pub delay: Time,
}

impl Pin {
    /// What the pin is for, without its delay.
    pub fn key(&self) -> (ClientId, u32, PinnedMessage) {
        (self.client, self.op, self.message)
    }
}

/// The engine's side of pinning: the delays a scenario fixes, and, when asked, the record of every
/// delay the run used for a message about an operation.
#[derive(Debug, Default)]
pub(crate) struct Pins {
    fixed: BTreeMap<(ClientId, u32, PinnedMessage), Time>,
    /// The request each multicast carries, by its stamp: an acknowledgement names only the stamp.
    multicasts: BTreeMap<Stamp, RequestId>,
    /// Every first transmission's delay, in the order they were sent, when recording.
    used: Option<Vec<Pin>>,
}

impl Pins {
    /// The engine's pins, or `None` when there is nothing to pin and nothing to record (which keeps
    /// the engine's inner loop free of pin lookups).
    pub(crate) fn new(schedule: &[Pin], record: bool) -> Option<Pins> {
        if schedule.is_empty() && !record {
            return None;
        }
        Some(Pins {
            fixed: schedule.iter().map(|pin| (pin.key(), pin.delay)).collect(),
            multicasts: BTreeMap::new(),
            used: record.then(Vec::new),
        })
    }

    /// Which operation the packet from `from` to `to` is about, if any.
    pub(crate) fn about<M: Summarize>(
        &mut self,
        from: ReplicaId,
        to: ReplicaId,
        packet: &Packet<M>,
    ) -> Option<(ClientId, u32, PinnedMessage)> {
        let (_, summary) = packet.summary();
        let summary = summary?;
        let request = match summary.kind {
            MessageKind::Write => summary.request?,
            MessageKind::Multicast => {
                let request = summary.request?;
                self.multicasts.insert(summary.stamp, request);
                request
            }
            MessageKind::MulticastAck => *self.multicasts.get(&summary.stamp)?,
        };
        Some((
            request.client,
            request.seq,
            PinnedMessage::Between { from, to },
        ))
    }

    /// The fixed delay of a message, if the schedule pins it.
    pub(crate) fn delay(&self, key: (ClientId, u32, PinnedMessage)) -> Option<Time> {
        self.fixed.get(&key).copied()
    }

    /// Notes the delay a first transmission took, when recording.
    pub(crate) fn note(&mut self, key: (ClientId, u32, PinnedMessage), delay: Time) {
        if let Some(used) = &mut self.used {
            let (client, op, message) = key;
            used.push(Pin {
                client,
                op,
                message,
                delay,
            });
        }
    }

    /// The delays the run used, when recording.
    pub(crate) fn into_used(self) -> Vec<Pin> {
        self.used.unwrap_or_default()
    }
}

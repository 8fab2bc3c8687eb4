//! Reliable channels between replicas: retransmission until acknowledged, de-duplication, and delivery
//! in sending order, over a network that may lose, duplicate and reorder messages.
//!
//! The protocols were designed for links that deliver every message exactly once and in order; the
//! totally-ordered multicast's safety argument needs exactly that. A real network gives none of it, so
//! each replica talks to each other replica through a channel, much as TCP does over IP:
//!
//! ```text
//!   sender                                   receiver
//!   send(m) ── Data{seq: 7, m} ──── ✗ lost
//!   send(m') ─ Data{seq: 8, m'} ──────────►  early: {8: m'}         (7 is missing: hold 8 back)
//!                              ◄──────────── Ack{next: 7}
//!   timeout ── Data{seq: 7, m} ───────────►  deliver m, then m'
//!              Data{seq: 8, m'} ──────────►  duplicate: drop it
//!                              ◄──────────── Ack{next: 9}          (everything below 9 received)
//! ```
//!
//! - Every message gets the next sequence number of its link and stays in the sender's buffer until an
//!   acknowledgement covers it.
//! - The receiver acknowledges every data packet, duplicates included (the earlier acknowledgement may
//!   have been lost), with a *cumulative* acknowledgement: the lowest sequence number it has not yet
//!   received.
//! - When a link's retransmission timer expires, the sender sends everything unacknowledged on it again
//!   and doubles the timeout (up to 16 times the base), so a long partition costs a few messages per
//!   link rather than a flood; any progress resets the timeout to its base.
//! - The receiver delivers each sequence number once. When `ordered` (the default), it delivers in
//!   sequence order and holds early arrivals back: a FIFO channel even when the network reorders. With
//!   `ordered: false` it delivers at once, which shows what the protocols rely on ordering for.
//!
//! The price: an acknowledgement for every message, and a wait of at least one timeout when a message
//! is lost. Nothing is ever given up on: a replica that is unreachable for good is retried for ever,
//! and a replica that crashes keeps its unacknowledged messages to resend once it restarts (the
//! engine notices when a run can get no further this way, and stops it as stalled).

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::note::Note;
use super::summary::{Summarize, Summary};
use super::{Outbox, Output, Traffic};
use crate::ids::{ReplicaId, Time};

/// How replicas' channels behave: the scenario's `"channels"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    /// The base retransmission timeout, in ms: how long a message may stay unacknowledged before it is
    /// sent again.
    pub retransmit: Time,
    /// Whether each channel delivers in sending order (a FIFO channel) or as messages arrive.
    pub ordered: bool,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            retransmit: 100,
            ordered: true,
        }
    }
}

/// How many times the base timeout the backed-off retransmission timeout may grow to.
pub const MAX_BACKOFF: Time = 16;

/// What travels between two replicas' channels: the protocol's message `M` with its sequence number,
/// or an acknowledgement. Serializable, for the real transport's wire (`net::frame`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Packet<M> {
    /// The `seq`-th message sent on this link (counting from 0).
    Data { seq: u64, msg: M },
    /// The receiver has every message of this link below `next`.
    Ack { next: u64 },
}

impl<M: Summarize> Packet<M> {
    /// The link sequence number and, for data, what the protocol message carries.
    pub fn summary(&self) -> (u64, Option<Summary>) {
        match self {
            Packet::Data { seq, msg } => (*seq, Some(msg.summary())),
            Packet::Ack { next } => (*next, None),
        }
    }
}

/// The sending end of one link.
#[derive(Debug, Serialize, Deserialize)]
struct Outgoing<M> {
    next_seq: u64,
    /// Sent but not yet acknowledged, in sequence order.
    unacked: VecDeque<(u64, M)>,
    /// The current (backed-off) retransmission timeout.
    timeout: Time,
    /// When to retransmit, if anything is unacknowledged.
    deadline: Option<Time>,
}

/// The receiving end of one link.
#[derive(Debug, Serialize, Deserialize)]
struct Incoming<M> {
    /// Every message below this sequence number has been received.
    next: u64,
    /// Messages received above a gap. Ordered channels keep them until the gap fills; unordered ones
    /// deliver them at once and keep `None`, only to recognise duplicates.
    early: BTreeMap<u64, Option<M>>,
    /// Messages ready to be delivered, in delivery order.
    ready: VecDeque<M>,
}

/// One replica's channels to every other replica (sans-IO).
///
/// Inputs: [`send`](Self::send), [`receive`](Self::receive) and
/// [`handle_timeout`](Self::handle_timeout), each of which pushes the packets to send into the
/// replica's outbox. After `receive`, take what it made deliverable with
/// [`poll_delivery`](Self::poll_delivery) until `None`. [`poll_timeout`](Self::poll_timeout) says when
/// `handle_timeout` is next due. Serializable, like the replicas that own them, for a real replica's
/// saved state.
#[derive(Debug, Serialize, Deserialize)]
pub struct Channels<M> {
    config: ChannelConfig,
    /// Indexed by the other replica's id (this replica's own slots are never used).
    outgoing: Vec<Outgoing<M>>,
    incoming: Vec<Incoming<M>>,
    /// Whether to output [`Note`]s on out-of-order and duplicate packets and retransmissions.
    explain: bool,
    /// The earliest deadline of any link: what [`poll_timeout`](Self::poll_timeout) answers. The
    /// engine asks after every input, so it is kept up to date as deadlines change rather than
    /// searched for each time (the search was a fifteenth of a linearizable run).
    earliest: Option<Time>,
}

impl<M: Clone> Channels<M> {
    /// Channels to each of `replicas` replicas.
    pub fn new(replicas: usize, config: ChannelConfig) -> Self {
        Channels {
            config,
            outgoing: (0..replicas)
                .map(|_| Outgoing {
                    next_seq: 0,
                    unacked: VecDeque::new(),
                    timeout: config.retransmit,
                    deadline: None,
                })
                .collect(),
            incoming: (0..replicas)
                .map(|_| Incoming {
                    next: 0,
                    early: BTreeMap::new(),
                    ready: VecDeque::new(),
                })
                .collect(),
            explain: false,
            earliest: None,
        }
    }

    /// From now on, also output [`Output::Note`]s on out-of-order and duplicate packets and
    /// retransmissions.
    pub fn explain(&mut self) {
        self.explain = true;
    }

    /// Sends `msg` to `to`, keeping a copy until it is acknowledged.
    pub fn send(&mut self, now: Time, to: ReplicaId, msg: M, outbox: &mut Outbox<Packet<M>>) {
        let link = &mut self.outgoing[to.index()];
        let seq = link.next_seq;
        link.next_seq += 1;
        link.unacked.push_back((seq, msg.clone()));
        if link.deadline.is_none() {
            let deadline = now.saturating_add(link.timeout);
            link.deadline = Some(deadline);
            // A new deadline can only bring the earliest forward.
            self.earliest = Some(self.earliest.map_or(deadline, |at| at.min(deadline)));
        }
        outbox.push_back(Output::Send {
            to,
            msg: Packet::Data { seq, msg },
            traffic: Traffic::Data,
        });
    }

    /// A packet from `from` arrives. Data is acknowledged, and what can be delivered is queued for
    /// [`poll_delivery`](Self::poll_delivery); an acknowledgement releases the copies it covers.
    pub fn receive(
        &mut self,
        now: Time,
        from: ReplicaId,
        packet: Packet<M>,
        outbox: &mut Outbox<Packet<M>>,
    ) {
        match packet {
            Packet::Data { seq, msg } => {
                let link = &mut self.incoming[from.index()];
                if seq == link.next {
                    link.ready.push_back(msg);
                    link.next += 1;
                    // The gap this filled may release messages that arrived early.
                    while let Some(early) = link.early.remove(&link.next) {
                        if let Some(msg) = early {
                            link.ready.push_back(msg);
                        }
                        link.next += 1;
                    }
                } else if seq > link.next && !link.early.contains_key(&seq) {
                    if self.config.ordered {
                        link.early.insert(seq, Some(msg));
                        if self.explain {
                            outbox.push_back(Output::Note(Note::OutOfOrder {
                                from,
                                seq,
                                expected: link.next,
                            }));
                        }
                    } else {
                        link.early.insert(seq, None);
                        link.ready.push_back(msg);
                    }
                } else if self.explain {
                    // Anything else is a duplicate; it is acknowledged all the same.
                    outbox.push_back(Output::Note(Note::Duplicate { from, seq }));
                }
                outbox.push_back(Output::Send {
                    to: from,
                    msg: Packet::Ack { next: link.next },
                    traffic: Traffic::Ack,
                });
            }
            Packet::Ack { next } => {
                let link = &mut self.outgoing[from.index()];
                let mut progress = false;
                while link.unacked.front().is_some_and(|&(seq, _)| seq < next) {
                    link.unacked.pop_front();
                    progress = true;
                }
                if progress {
                    link.timeout = self.config.retransmit;
                    let before = link.deadline;
                    link.deadline = if link.unacked.is_empty() {
                        None
                    } else {
                        Some(now.saturating_add(link.timeout))
                    };
                    // The deadline moved (later, or earlier when progress ends a backed-off wait)
                    // or went. If it is now the earliest, it is the earliest; if it was, another
                    // link's may be.
                    match link.deadline {
                        Some(at) if self.earliest.is_none_or(|earliest| at <= earliest) => {
                            self.earliest = Some(at);
                        }
                        _ if before == self.earliest => self.earliest = self.find_earliest(),
                        _ => {}
                    }
                }
            }
        }
    }

    /// The next message from `from` ready for the protocol, in delivery order.
    #[must_use]
    pub fn poll_delivery(&mut self, from: ReplicaId) -> Option<M> {
        self.incoming[from.index()].ready.pop_front()
    }

    /// When the earliest retransmission is due, if any message is unacknowledged.
    pub fn poll_timeout(&self) -> Option<Time> {
        debug_assert_eq!(self.earliest, self.find_earliest());
        self.earliest
    }

    fn find_earliest(&self) -> Option<Time> {
        self.outgoing.iter().filter_map(|link| link.deadline).min()
    }

    /// Retransmits everything unacknowledged on every link whose timer has expired by `now`.
    pub fn handle_timeout(&mut self, now: Time, outbox: &mut Outbox<Packet<M>>) {
        let most = self.config.retransmit.saturating_mul(MAX_BACKOFF);
        for (to, link) in self.outgoing.iter_mut().enumerate() {
            if link.deadline.is_none_or(|at| at > now) {
                continue;
            }
            link.timeout = link.timeout.saturating_mul(2).min(most);
            link.deadline = Some(now.saturating_add(link.timeout));
            if self.explain {
                outbox.push_back(Output::Note(Note::Retransmit {
                    to: ReplicaId(to as u32),
                    messages: link.unacked.len(),
                    timeout: link.timeout,
                }));
            }
            for (seq, msg) in &link.unacked {
                outbox.push_back(Output::Send {
                    to: ReplicaId(to as u32),
                    msg: Packet::Data {
                        seq: *seq,
                        msg: msg.clone(),
                    },
                    traffic: Traffic::Retransmission,
                });
            }
        }
        self.earliest = self.find_earliest();
    }

    /// How many messages wait for an acknowledgement, on all links.
    pub fn unacknowledged(&self) -> usize {
        self.outgoing.iter().map(|link| link.unacked.len()).sum()
    }
}

#[cfg(test)]
#[path = "tests/channel.rs"]
mod tests;

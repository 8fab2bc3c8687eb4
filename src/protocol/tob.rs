//! Totally-ordered multicast with Lamport clocks, a hold-back min-heap and acknowledgements from all
//! replicas: the machinery that makes every replica apply the same operations in the same order.
//!
//! The algorithm (the one in Coulouris et al. and in Tanenbaum & van Steen, §6.2):
//!
//! 1. To multicast, a replica ticks its Lamport clock, stamps the message `(time, replica)`, keeps it in
//!    its own hold-back queue and sends it to every other replica.
//! 2. On receipt, a replica moves its clock past the stamp, keeps the message in its hold-back queue
//!    (a min-heap on stamps) and acknowledges it to every other replica.
//! 3. A replica delivers the message at the head of its heap once every replica has acknowledged it. The
//!    origin's own send counts as its acknowledgement, which saves one message per replica.
//!
//! Why that is safe: once replica `j` has acknowledged `m`, its clock is past `m`'s stamp, so whatever it
//! multicasts afterwards is stamped higher than `m`. Whatever it multicast *before* the acknowledgement
//! arrives before it, because links are FIFO. So when `m` is at the head and acknowledged by all, no
//! message with a smaller stamp can still be on its way, and every replica delivers in stamp order.
//!
//! The argument needs FIFO, reliable, exactly-once links. The replicas' [channels](super::channel)
//! provide them over a network that loses, duplicates and reorders; a scenario that also turns off the
//! channels' in-order delivery (`"channels": {"ordered": false}` with `"network": {"fifo": false}`) can
//! make replicas deliver in different orders, which the `reordering` scenario shows.
//!
//! The other thing it needs is every replica: a message is delivered only once *all* have acknowledged
//! it, so while one replica is crashed or cut off, nothing is delivered anywhere. There is no majority
//! quorum here; that is the price of this simple design, and the `partition` scenario shows it.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use serde::{Deserialize, Serialize};

use super::clocks::{LamportClock, Stamp};
use super::note::{Note, Why};
use super::summary::{Clock, MessageKind, Summarize, Summary};
use crate::ids::ReplicaId;
use crate::op::Request;

/// What totally-ordered multicast replicas send each other; `P` is the payload being ordered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TobMessage<P> {
    /// A payload multicast by `stamp.replica`.
    Multicast { stamp: Stamp, payload: P },
    /// The sender has received the multicast stamped `stamp`; `clock` is the sender's Lamport time
    /// when it acknowledged.
    Ack { stamp: Stamp, clock: u64 },
}

/// What the multicast layer asks of the replica that owns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TobOutput<P> {
    /// Send this message to replica `to`.
    Send { to: ReplicaId, msg: TobMessage<P> },
    /// Deliver this payload: it is next in the total order.
    Deliver { stamp: Stamp, payload: P },
    /// An explanation (only once [`explain`](TotalOrderMulticast::explain) was called).
    Note(Note),
}

/// Multicast operations carry their client's request; acknowledgements only stamps.
impl Summarize for TobMessage<Request> {
    fn summary(&self) -> Summary {
        match self {
            TobMessage::Multicast { stamp, payload } => Summary {
                kind: MessageKind::Multicast,
                stamp: *stamp,
                request: Some(payload.id),
                clock: Clock::None,
            },
            TobMessage::Ack { stamp, clock } => Summary {
                kind: MessageKind::MulticastAck,
                stamp: *stamp,
                request: None,
                clock: Clock::Lamport(*clock),
            },
        }
    }
}

/// A message waiting in the hold-back queue, ordered by its stamp alone.
#[derive(Debug, Serialize, Deserialize)]
struct Held<P> {
    stamp: Stamp,
    payload: P,
}

impl<P> PartialEq for Held<P> {
    fn eq(&self, other: &Self) -> bool {
        self.stamp == other.stamp
    }
}

impl<P> Eq for Held<P> {}

impl<P> PartialOrd for Held<P> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<P> Ord for Held<P> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.stamp.cmp(&other.stamp)
    }
}

/// One replica's end of the totally-ordered multicast (sans-IO).
///
/// Inputs: [`multicast`](Self::multicast) and [`handle_message`](Self::handle_message). After each,
/// drain [`poll_output`](Self::poll_output) until `None`.
///
/// Serializable, so that a real replica can save its state when it crashes and restore it when it
/// restarts (`net`); what is drained after every input, and explanations, are not saved.
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound(serialize = "P: Serialize", deserialize = "P: Deserialize<'de>"))]
pub struct TotalOrderMulticast<P> {
    id: ReplicaId,
    replicas: usize,
    clock: LamportClock,
    /// The hold-back queue: a min-heap on stamps (`Reverse` turns std's max-heap around).
    holdback: BinaryHeap<Reverse<Held<P>>>,
    /// How many replicas have acknowledged each stamp not yet delivered. An acknowledgement can arrive
    /// before the message it acknowledges (it travels another link), so this is kept apart from the heap.
    acks: BTreeMap<Stamp, usize>,
    #[serde(skip)]
    outputs: VecDeque<TobOutput<P>>,
    /// Only when explaining: which replicas have acknowledged each stamp not yet delivered (the origin
    /// and this replica included), so that a note can name the ones still missing.
    #[serde(skip)]
    acked_by: Option<BTreeMap<Stamp, Vec<ReplicaId>>>,
}

impl<P: Clone> TotalOrderMulticast<P> {
    /// Replica `id`'s end, in a cluster of `replicas`.
    pub fn new(id: ReplicaId, replicas: usize) -> Self {
        TotalOrderMulticast {
            id,
            replicas,
            clock: LamportClock::new(id),
            holdback: BinaryHeap::new(),
            acks: BTreeMap::new(),
            outputs: VecDeque::new(),
            acked_by: None,
        }
    }

    /// From now on, also output [`TobOutput::Note`]s saying why messages wait in the hold-back queue.
    pub fn explain(&mut self) {
        self.acked_by.get_or_insert_with(BTreeMap::new);
    }

    /// Stamps `payload`, holds it back here and sends it to every other replica. Returns the stamp.
    pub fn multicast(&mut self, payload: P) -> Stamp {
        let stamp = self.clock.tick();
        for to in self.others() {
            let msg = TobMessage::Multicast {
                stamp,
                payload: payload.clone(),
            };
            self.outputs.push_back(TobOutput::Send { to, msg });
        }
        self.holdback.push(Reverse(Held { stamp, payload }));
        self.acknowledged(stamp, &[self.id]);
        self.deliver_ready();
        if self.acked_by.is_some() {
            self.explain_wait(stamp);
        }
        stamp
    }

    /// A message from replica `from` arrives.
    pub fn handle_message(&mut self, from: ReplicaId, msg: TobMessage<P>) {
        match msg {
            TobMessage::Multicast { stamp, payload } => {
                self.clock.observe(stamp.time);
                self.holdback.push(Reverse(Held { stamp, payload }));
                let ack = self.clock.tick();
                for to in self.others() {
                    let msg = TobMessage::Ack {
                        stamp,
                        clock: ack.time,
                    };
                    self.outputs.push_back(TobOutput::Send { to, msg });
                }
                // The origin's implicit acknowledgement, and ours.
                self.acknowledged(stamp, &[stamp.replica, self.id]);
                self.deliver_ready();
                if self.acked_by.is_some() {
                    self.explain_wait(stamp);
                }
            }
            TobMessage::Ack { stamp, clock } => {
                self.clock.observe(clock);
                self.acknowledged(stamp, &[from]);
                self.deliver_ready();
                // The last acknowledgement of a message stuck behind an older one changes why it
                // waits; earlier ones only shorten the list of the missing, which the trace's
                // arrivals already show.
                if self.acked_by.is_some() && self.acks.get(&stamp) == Some(&self.replicas) {
                    self.explain_wait(stamp);
                }
            }
        }
    }

    /// The next thing to do, oldest first.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<TobOutput<P>> {
        self.outputs.pop_front()
    }

    /// How many messages wait in the hold-back queue.
    pub fn held_back(&self) -> usize {
        self.holdback.len()
    }

    /// The Lamport clock's current reading.
    pub fn clock(&self) -> u64 {
        self.clock.time()
    }

    fn others(&self) -> impl Iterator<Item = ReplicaId> {
        let me = self.id;
        ReplicaId::all(self.replicas).filter(move |&r| r != me)
    }

    fn acknowledged(&mut self, stamp: Stamp, by: &[ReplicaId]) {
        *self.acks.entry(stamp).or_insert(0) += by.len();
        if let Some(acked_by) = &mut self.acked_by {
            acked_by.entry(stamp).or_default().extend_from_slice(by);
        }
    }

    /// When explaining, says why the message stamped `stamp` is still in the hold-back queue, if it
    /// is: acknowledgements missing, or an older message ahead of it.
    fn explain_wait(&mut self, stamp: Stamp) {
        let Some(acked_by) = &self.acked_by else {
            return;
        };
        // Delivered already (its acknowledgement count is removed on delivery).
        let Some(&count) = self.acks.get(&stamp) else {
            return;
        };
        let why = if count < self.replicas {
            let acked = acked_by.get(&stamp).map(Vec::as_slice).unwrap_or_default();
            let from = ReplicaId::all(self.replicas)
                .filter(|r| !acked.contains(r))
                .collect();
            Why::Acks { from }
        } else {
            match self.holdback.peek() {
                Some(Reverse(head)) => Why::Behind { head: head.stamp },
                None => return,
            }
        };
        self.outputs
            .push_back(TobOutput::Note(Note::HeldBack { stamp, why }));
    }

    /// Delivers from the head of the heap for as long as the head is acknowledged by every replica.
    fn deliver_ready(&mut self) {
        while let Some(Reverse(head)) = self.holdback.peek() {
            if self.acks.get(&head.stamp).copied().unwrap_or(0) < self.replicas {
                break;
            }
            let Some(Reverse(Held { stamp, payload })) = self.holdback.pop() else {
                break;
            };
            self.acks.remove(&stamp);
            if let Some(acked_by) = &mut self.acked_by {
                acked_by.remove(&stamp);
            }
            self.outputs
                .push_back(TobOutput::Deliver { stamp, payload });
        }
    }
}

#[cfg(test)]
#[path = "tests/tob.rs"]
mod tests;

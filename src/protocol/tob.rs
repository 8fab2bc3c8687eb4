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

use super::clocks::{LamportClock, Stamp};
use crate::ids::ReplicaId;

/// What totally-ordered multicast replicas send each other; `P` is the payload being ordered.
#[derive(Clone, Debug, PartialEq, Eq)]
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
}

/// A message waiting in the hold-back queue, ordered by its stamp alone.
#[derive(Debug)]
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
#[derive(Debug)]
pub struct TotalOrderMulticast<P> {
    id: ReplicaId,
    replicas: usize,
    clock: LamportClock,
    /// The hold-back queue: a min-heap on stamps (`Reverse` turns std's max-heap around).
    holdback: BinaryHeap<Reverse<Held<P>>>,
    /// How many replicas have acknowledged each stamp not yet delivered. An acknowledgement can arrive
    /// before the message it acknowledges (it travels another link), so this is kept apart from the heap.
    acks: BTreeMap<Stamp, usize>,
    outputs: VecDeque<TobOutput<P>>,
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
        }
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
        self.acknowledged(stamp, 1);
        self.deliver_ready();
        stamp
    }

    /// A message from another replica arrives.
    pub fn handle_message(&mut self, msg: TobMessage<P>) {
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
                self.acknowledged(stamp, 2);
            }
            TobMessage::Ack { stamp, clock } => {
                self.clock.observe(clock);
                self.acknowledged(stamp, 1);
            }
        }
        self.deliver_ready();
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

    fn acknowledged(&mut self, stamp: Stamp, count: usize) {
        *self.acks.entry(stamp).or_insert(0) += count;
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
            self.outputs
                .push_back(TobOutput::Deliver { stamp, payload });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain<P: Clone>(tob: &mut TotalOrderMulticast<P>) -> Vec<TobOutput<P>> {
        std::iter::from_fn(|| tob.poll_output()).collect()
    }

    fn stamp(time: u64, replica: u32) -> Stamp {
        Stamp {
            time,
            replica: ReplicaId(replica),
        }
    }

    #[test]
    fn multicast_is_sent_to_every_other_replica_and_held_back() {
        let mut tob = TotalOrderMulticast::new(ReplicaId(1), 3);
        let s = tob.multicast("m1");
        assert_eq!(s, stamp(1, 1));
        assert_eq!(
            drain(&mut tob),
            vec![
                TobOutput::Send {
                    to: ReplicaId(0),
                    msg: TobMessage::Multicast {
                        stamp: s,
                        payload: "m1"
                    }
                },
                TobOutput::Send {
                    to: ReplicaId(2),
                    msg: TobMessage::Multicast {
                        stamp: s,
                        payload: "m1"
                    }
                },
            ]
        );
        assert_eq!(
            tob.held_back(),
            1,
            "not delivered before the others acknowledge"
        );
    }

    #[test]
    fn receiver_acknowledges_to_all_others_with_a_later_clock() {
        let mut tob = TotalOrderMulticast::new(ReplicaId(0), 3);
        tob.handle_message(TobMessage::Multicast {
            stamp: stamp(4, 2),
            payload: "m",
        });
        let acks = drain(&mut tob);
        assert_eq!(
            acks,
            vec![
                TobOutput::Send {
                    to: ReplicaId(1),
                    msg: TobMessage::Ack {
                        stamp: stamp(4, 2),
                        clock: 5
                    }
                },
                TobOutput::Send {
                    to: ReplicaId(2),
                    msg: TobMessage::Ack {
                        stamp: stamp(4, 2),
                        clock: 5
                    }
                },
            ]
        );
        assert_eq!(tob.clock(), 5);
    }

    #[test]
    fn delivers_only_when_every_replica_has_acknowledged() {
        let mut tob = TotalOrderMulticast::new(ReplicaId(0), 3);
        let s = tob.multicast("m");
        drain(&mut tob);
        tob.handle_message(TobMessage::Ack { stamp: s, clock: 2 });
        assert!(
            drain(&mut tob).is_empty(),
            "two of three acknowledgements are not enough"
        );
        tob.handle_message(TobMessage::Ack { stamp: s, clock: 2 });
        assert_eq!(
            drain(&mut tob),
            vec![TobOutput::Deliver {
                stamp: s,
                payload: "m"
            }]
        );
        assert_eq!(tob.held_back(), 0);
    }

    #[test]
    fn an_acknowledgement_may_arrive_before_its_message() {
        let mut tob = TotalOrderMulticast::new(ReplicaId(2), 3);
        tob.handle_message(TobMessage::Ack {
            stamp: stamp(1, 0),
            clock: 2,
        });
        tob.handle_message(TobMessage::Multicast {
            stamp: stamp(1, 0),
            payload: "m",
        });
        let out = drain(&mut tob);
        assert_eq!(
            out.last(),
            Some(&TobOutput::Deliver {
                stamp: stamp(1, 0),
                payload: "m"
            })
        );
    }

    #[test]
    fn a_fully_acknowledged_message_waits_behind_a_smaller_stamp() {
        // Replica 2 holds m2 (stamp 2@r1) fully acknowledged, but m1 (stamp 1@r0) is still at the head of
        // its heap waiting for an acknowledgement: m2 must not overtake it.
        let mut tob = TotalOrderMulticast::new(ReplicaId(2), 3);
        tob.handle_message(TobMessage::Multicast {
            stamp: stamp(1, 0),
            payload: "m1",
        });
        tob.handle_message(TobMessage::Multicast {
            stamp: stamp(2, 1),
            payload: "m2",
        });
        tob.handle_message(TobMessage::Ack {
            stamp: stamp(2, 1),
            clock: 3,
        });
        assert!(!drain(&mut tob)
            .iter()
            .any(|o| matches!(o, TobOutput::Deliver { .. })));
        tob.handle_message(TobMessage::Ack {
            stamp: stamp(1, 0),
            clock: 3,
        });
        let delivered: Vec<_> = drain(&mut tob)
            .into_iter()
            .filter_map(|o| match o {
                TobOutput::Deliver { payload, .. } => Some(payload),
                TobOutput::Send { .. } => None,
            })
            .collect();
        assert_eq!(delivered, vec!["m1", "m2"]);
    }

    #[test]
    fn a_single_replica_delivers_at_once() {
        let mut tob = TotalOrderMulticast::new(ReplicaId(0), 1);
        let s = tob.multicast("m");
        assert_eq!(
            drain(&mut tob),
            vec![TobOutput::Deliver {
                stamp: s,
                payload: "m"
            }]
        );
    }
}

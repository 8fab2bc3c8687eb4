//! Eventually consistent replicas: apply at once, propagate in the background, last writer wins.
//!
//! A write is applied at its client's replica and answered at once, then sent to every other replica,
//! which applies it the moment it arrives — no waiting for anything. Reads are answered from the local
//! store. Nothing orders the writes, so a replica can show an effect before its cause (a *causal
//! reversal*) and replicas disagree while writes are in flight. What eventual consistency does promise
//! is convergence: conflicts are resolved [last-writer-wins](super::lww) by (Lamport time, replica), so
//! once every write has reached every replica, all stores are equal.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::channel::{ChannelConfig, Channels, Packet};
use super::clocks::{LamportClock, Stamp};
use super::lww::LwwStore;
use super::summary::{Clock, MessageKind, Summarize, Summary};
use super::{Outbox, Output, Replica, Store};
use crate::ids::{ReplicaId, Time};
use crate::op::{Key, Reply, Request, RequestId, Value};

/// A write on its way to the other replicas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventualWrite {
    /// Lamport stamp, for last-writer-wins; `stamp.replica` is the origin.
    pub stamp: Stamp,
    /// The client request the write came from.
    pub request: RequestId,
    pub key: Key,
    pub value: Value,
}

impl Summarize for EventualWrite {
    fn summary(&self) -> Summary {
        Summary {
            kind: MessageKind::Write,
            stamp: self.stamp,
            request: Some(self.request),
            clock: Clock::None,
        }
    }
}

/// A replica of the eventually consistent store.
/// Serializable: a real replica saves it when it crashes and restores it when it restarts (`net`).
#[derive(Debug, Serialize, Deserialize)]
pub struct EventualReplica {
    id: ReplicaId,
    replicas: usize,
    lamport: LamportClock,
    store: LwwStore,
    channels: Channels<Arc<EventualWrite>>,
    #[serde(skip)]
    outbox: Outbox<Packet<Arc<EventualWrite>>>,
}

impl EventualReplica {
    /// A write from another replica, delivered by its channel: applied at once.
    fn receive_write(&mut self, now: Time, write: Arc<EventualWrite>) {
        self.lamport.observe(write.stamp.time);
        self.apply(now, &write);
    }

    fn apply(&mut self, now: Time, write: &EventualWrite) {
        let entry = self.store.commit(
            now,
            write.request.client,
            &write.key,
            &write.value,
            write.stamp,
        );
        self.outbox.push_back(Output::Commit(entry));
    }
}

impl Replica for EventualReplica {
    /// Shared: each write goes to every other replica, and each channel keeps its copy until it is
    /// acknowledged, so a copy is one reference count where an `EventualWrite` would be two (key,
    /// value).
    type Message = Arc<EventualWrite>;

    fn new(id: ReplicaId, replicas: usize, channels: ChannelConfig) -> Self {
        EventualReplica {
            channels: Channels::new(replicas, channels),
            id,
            replicas,
            lamport: LamportClock::new(id),
            store: LwwStore::default(),
            outbox: Outbox::new(),
        }
    }

    /// An eventual replica holds nothing back: only its channels have anything to explain.
    fn explain(&mut self) {
        self.channels.explain();
    }

    fn handle_request(&mut self, now: Time, request: Request) {
        // Evaluated here, against this replica's store, and answered at once. A compare-and-set or
        // an append then travels as the value it wrote, like a put: two of them that read the same
        // value concurrently at different replicas both succeed, and last-writer-wins keeps one.
        // That is the lost update which only the multicast models prevent.
        let key = request.op.key().clone();
        let effect = request.op.evaluate(self.store.get(&key));
        let Some(written) = effect.write.clone() else {
            self.outbox
                .push_back(Output::Reply(Reply::new(request.id, &effect)));
            return;
        };
        let write = Arc::new(EventualWrite {
            stamp: self.lamport.tick(),
            request: request.id,
            key,
            value: written,
        });
        self.apply(now, &write);
        self.outbox
            .push_back(Output::Reply(Reply::new(request.id, &effect)));
        for to in ReplicaId::all(self.replicas).filter(|&r| r != self.id) {
            self.channels
                .send(now, to, Arc::clone(&write), &mut self.outbox);
        }
    }

    fn handle_message(&mut self, now: Time, from: ReplicaId, packet: Packet<Arc<EventualWrite>>) {
        self.channels.receive(now, from, packet, &mut self.outbox);
        while let Some(write) = self.channels.poll_delivery(from) {
            self.receive_write(now, write);
        }
    }

    fn handle_timeout(&mut self, now: Time) {
        self.channels.handle_timeout(now, &mut self.outbox);
    }

    fn poll_output(&mut self) -> Option<Output<Packet<Arc<EventualWrite>>>> {
        self.outbox.pop_front()
    }

    fn poll_timeout(&self) -> Option<Time> {
        self.channels.poll_timeout()
    }

    fn unacknowledged(&self) -> usize {
        self.channels.unacknowledged()
    }

    fn store(&self) -> Store {
        self.store.to_store()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ClientId;
    use crate::op::Op;
    use crate::protocol::testing::{data, peel};

    fn drain(replica: &mut EventualReplica) -> Vec<Output<Arc<EventualWrite>>> {
        peel(std::iter::from_fn(|| replica.poll_output()))
    }

    fn write(time: u64, replica: u32, key: &str, value: &str) -> Arc<EventualWrite> {
        Arc::new(EventualWrite {
            stamp: Stamp {
                time,
                replica: ReplicaId(replica),
            },
            request: RequestId {
                client: ClientId(0),
                seq: 0,
            },
            key: key.into(),
            value: value.into(),
        })
    }

    #[test]
    fn a_write_is_answered_at_once_and_sent_to_all_others() {
        let mut r = EventualReplica::new(ReplicaId(0), 3, ChannelConfig::default());
        let request = Request {
            id: RequestId {
                client: ClientId(0),
                seq: 0,
            },
            op: Op::Put {
                key: "x".into(),
                value: "1".into(),
            },
        };
        r.handle_request(0, request);
        let out = drain(&mut r);
        assert!(matches!(&out[1], Output::Reply(reply) if reply.value.as_deref() == Some("1")));
        let destinations: Vec<_> = out
            .iter()
            .filter_map(|o| match o {
                Output::Send { to, .. } => Some(*to),
                _ => None,
            })
            .collect();
        assert_eq!(destinations, vec![ReplicaId(1), ReplicaId(2)]);
    }

    #[test]
    fn eventual_applies_an_effect_before_its_cause() {
        // y was written after x, but reaches this replica first: it is applied at once, so a reader
        // here sees y without x.
        let mut r = EventualReplica::new(ReplicaId(2), 3, ChannelConfig::default());
        r.handle_message(3, ReplicaId(1), data(0, write(3, 1, "y", "2")));
        assert_eq!(r.store().get("y").map(|v| &**v), Some("2"));
        assert_eq!(r.store().get("x"), None);
    }

    #[test]
    fn a_late_older_write_is_superseded() {
        let mut r = EventualReplica::new(ReplicaId(0), 3, ChannelConfig::default());
        r.handle_message(1, ReplicaId(2), data(0, write(5, 2, "x", "new")));
        r.handle_message(2, ReplicaId(1), data(0, write(4, 1, "x", "old")));
        let out = drain(&mut r);
        assert!(matches!(&out[1], Output::Commit(c) if c.superseded));
        assert_eq!(r.store().get("x").map(|v| &**v), Some("new"));
    }

    #[test]
    fn local_writes_are_stamped_after_everything_seen() {
        let mut r = EventualReplica::new(ReplicaId(0), 2, ChannelConfig::default());
        r.handle_message(1, ReplicaId(1), data(0, write(7, 1, "x", "a")));
        drain(&mut r);
        let request = Request {
            id: RequestId {
                client: ClientId(0),
                seq: 0,
            },
            op: Op::Put {
                key: "x".into(),
                value: "b".into(),
            },
        };
        r.handle_request(2, request);
        drain(&mut r);
        assert_eq!(
            r.store().get("x").map(|v| &**v),
            Some("b"),
            "a later write wins over what it saw"
        );
    }
}

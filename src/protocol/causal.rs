//! Causally consistent replicas: vector clocks, and a hold-back queue for writes that arrive before
//! what they depend on.
//!
//! A write is applied at its client's replica and answered at once, then sent to every other replica
//! with the replica's vector clock, which counts every write the replica had applied — so it records
//! everything the client could have seen before writing. A receiving replica holds the write back until
//! it has applied all of those (the causal-delivery condition of [`VectorClock::can_deliver`]): nobody
//! can see an effect here before its cause. Reads are answered from the local store.
//!
//! Writes that are *concurrent* (neither depends on the other) may be applied in different orders at
//! different replicas; that is allowed. So that replicas still end equal, the store is
//! [last-writer-wins](super::lww): of two writes to one key, the one with the higher
//! (Lamport time, replica) stamp stays. Lamport stamps respect causality, so this rule only ever decides
//! between concurrent writes.
//!
//! What this does not give: guarantees to a client that moves between replicas. A replica knows what
//! *it* has applied, not what the client saw elsewhere, so a client that writes at one replica and
//! reads at another may miss its own write, and its later write may be stamped lower than its earlier
//! one and lose to it. Causal consistency holds for clients that stay at their replica; the
//! `read-your-writes` scenario shows what happens to one that moves.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::channel::{ChannelConfig, Channels, Packet};
use super::clocks::{LamportClock, Stamp, VectorClock};
use super::lww::LwwStore;
use super::note::{Missing, Note, Why};
use super::summary::{Clock, MessageKind, Summarize, Summary};
use super::{Outbox, Output, Replica, Store};
use crate::ids::{ReplicaId, Time};
use crate::op::{Key, Reply, Request, RequestId, Value};

/// A write on its way from the replica that applied it first to the others.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CausalWrite {
    /// Lamport stamp, for last-writer-wins; `stamp.replica` is the origin.
    pub stamp: Stamp,
    /// The origin's vector clock after applying the write: the write and everything it depends on.
    pub deps: VectorClock,
    /// The client request the write came from.
    pub request: RequestId,
    pub key: Key,
    pub value: Value,
}

impl Summarize for CausalWrite {
    fn summary(&self) -> Summary {
        Summary {
            kind: MessageKind::Write,
            stamp: self.stamp,
            request: Some(self.request),
            // Built only when a trace is recorded.
            clock: Clock::Vector(Arc::new(self.deps.clone())),
        }
    }
}

/// A replica of the causally consistent store.
/// Serializable: a real replica saves it when it crashes and restores it when it restarts (`net`).
#[derive(Debug, Serialize, Deserialize)]
pub struct CausalReplica {
    id: ReplicaId,
    replicas: usize,
    /// Entry `i`: how many of replica `i`'s writes this replica has applied.
    applied: VectorClock,
    lamport: LamportClock,
    store: LwwStore,
    /// Writes received whose dependencies are not all applied yet, in arrival order.
    held_back: Vec<Arc<CausalWrite>>,
    channels: Channels<Arc<CausalWrite>>,
    #[serde(skip)]
    outbox: Outbox<Packet<Arc<CausalWrite>>>,
    /// Whether to output [`Note`]s on what is held back and released.
    explain: bool,
}

impl CausalReplica {
    /// How many received writes wait for their dependencies.
    pub fn held_back(&self) -> usize {
        self.held_back.len()
    }

    fn apply(&mut self, now: Time, write: &CausalWrite) {
        let entry = self.store.commit(
            now,
            write.request.client,
            &write.key,
            &write.value,
            write.stamp,
        );
        self.outbox.push_back(Output::Commit(entry));
    }

    /// Applies a remote write whose dependencies are all applied.
    fn deliver(&mut self, now: Time, write: &CausalWrite) {
        self.applied.increment(write.stamp.replica);
        self.lamport.observe(write.stamp.time);
        self.apply(now, write);
    }

    /// A write from another replica, delivered by its channel: applied now if its dependencies are,
    /// held back otherwise.
    fn receive_write(&mut self, now: Time, write: Arc<CausalWrite>) {
        if !self.applied.can_deliver(write.stamp.replica, &write.deps) {
            if self.explain {
                let why = Why::Dependencies {
                    missing: self.missing(&write),
                };
                self.outbox.push_back(Output::Note(Note::HeldBack {
                    stamp: write.stamp,
                    why,
                }));
            }
            self.held_back.push(write);
            return;
        }
        // Deliverable at once (the usual case): apply it, then whatever it unblocks.
        self.deliver(now, &write);
        if !self.held_back.is_empty() {
            self.deliver_ready(now, write.stamp);
        }
    }

    /// Applies every held-back write whose dependencies are now met, once the write stamped `first`
    /// has been applied. Applying one can unblock another, so this scans again after each until a
    /// full pass applies nothing.
    fn deliver_ready(&mut self, now: Time, first: Stamp) {
        // When explaining: the writes applied in this cascade, with how many writes of its origin
        // this replica had applied once each was, to tell which one a released write waited for.
        let mut cascade = Vec::new();
        if self.explain {
            cascade.push((first, self.applied.get(first.replica)));
        }
        while let Some(i) = self
            .held_back
            .iter()
            .position(|w| self.applied.can_deliver(w.stamp.replica, &w.deps))
        {
            let write = self.held_back.remove(i);
            if self.explain {
                let after = last_dependency(&write, &cascade).unwrap_or(first);
                self.outbox.push_back(Output::Note(Note::Released {
                    stamp: write.stamp,
                    after,
                }));
            }
            self.deliver(now, &write);
            if self.explain {
                cascade.push((write.stamp, self.applied.get(write.stamp.replica)));
            }
        }
    }

    /// What this replica has not applied of what `write` depends on, origin by origin: from its
    /// origin, every earlier write; from the others, every write the clock counts.
    fn missing(&self, write: &CausalWrite) -> Vec<Missing> {
        let mut missing = Vec::new();
        for origin in ReplicaId::all(self.replicas) {
            let mut needs = write.deps.get(origin);
            if origin == write.stamp.replica {
                needs -= 1;
            }
            let applied = self.applied.get(origin);
            if needs > applied {
                missing.push(Missing {
                    origin,
                    needs,
                    applied,
                });
            }
        }
        missing
    }
}

/// The latest write of `cascade` (each with its origin's applied count once it was applied) that
/// `write` depends on: the one that met its last missing dependency.
fn last_dependency(write: &CausalWrite, cascade: &[(Stamp, u64)]) -> Option<Stamp> {
    cascade.iter().rev().find_map(|&(stamp, count)| {
        let origin = stamp.replica;
        let mut needs = write.deps.get(origin);
        if origin == write.stamp.replica {
            needs -= 1;
        }
        (needs >= count).then_some(stamp)
    })
}

impl Replica for CausalReplica {
    /// Shared: each write goes to every other replica, and each channel keeps its copy until it is
    /// acknowledged, so a copy is one reference count where a `CausalWrite` would be three (clock,
    /// key, value) — most of what moving writes around cost.
    type Message = Arc<CausalWrite>;

    fn new(id: ReplicaId, replicas: usize, channels: ChannelConfig) -> Self {
        CausalReplica {
            channels: Channels::new(replicas, channels),
            id,
            replicas,
            applied: VectorClock::new(replicas),
            lamport: LamportClock::new(id),
            store: LwwStore::default(),
            held_back: Vec::new(),
            outbox: Outbox::new(),
            explain: false,
        }
    }

    fn explain(&mut self) {
        self.explain = true;
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
        self.applied.increment(self.id);
        let write = Arc::new(CausalWrite {
            stamp: self.lamport.tick(),
            deps: self.applied.clone(),
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

    fn handle_message(&mut self, now: Time, from: ReplicaId, packet: Packet<Arc<CausalWrite>>) {
        self.channels.receive(now, from, packet, &mut self.outbox);
        while let Some(write) = self.channels.poll_delivery(from) {
            self.receive_write(now, write);
        }
    }

    fn handle_timeout(&mut self, now: Time) {
        self.channels.handle_timeout(now, &mut self.outbox);
    }

    fn poll_output(&mut self) -> Option<Output<Packet<Arc<CausalWrite>>>> {
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
#[path = "tests/causal.rs"]
mod tests;

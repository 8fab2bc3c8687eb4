//! What a read did not see, and why: the one walk of a run's event log that both the text trace and
//! the diagram use to explain a stale read.
//!
//! A replica answers a read from its store. If a newer write to that key was held back at that
//! replica at that moment, or still on its way to it, the read missed it — and the log says which
//! write, why it was held (missing dependencies, missing acknowledgements), or which packet was late.
//! [`Unseen`] follows the log event by event, keeping for each replica what its store holds (value
//! and stamp), what it holds back and why, and which packets are on their way to it; a renderer asks
//! it about a read when the read's answer leaves the replica.

use std::collections::{BTreeMap, BTreeSet};

use crate::events::{EventLog, What};
use crate::history::Operation;
use crate::op::{Key, OpKind, Value};
use crate::protocol::clocks::Stamp;
use crate::protocol::note::{Note, Why};
use crate::protocol::summary::MessageKind;
use crate::run::Run;

/// A replica's state as the log tells it so far, for explaining reads.
pub(crate) struct Unseen<'a> {
    run: &'a Run,
    log: &'a EventLog,
    /// The operation each stamp belongs to, from the packets that carried it.
    ops: BTreeMap<Stamp, u32>,
    /// The operations multicast in total order: their reads are committed, not read from a store.
    multicast: BTreeSet<u32>,
    /// Each replica's store: for each key, its value and the stamp of the write that put it.
    stores: Vec<BTreeMap<Key, (Value, Stamp)>>,
    /// Each replica's held-back writes and operations, with why each waits.
    holding: Vec<BTreeMap<Stamp, Why>>,
    /// The packets carrying a write on their way to each replica.
    writes_in_flight: Vec<BTreeSet<u32>>,
    /// The multicast acknowledgements on their way to each replica.
    acks_in_flight: Vec<BTreeSet<u32>>,
}

impl<'a> Unseen<'a> {
    pub(crate) fn new(run: &'a Run, log: &'a EventLog) -> Self {
        let mut ops = BTreeMap::new();
        let mut multicast = BTreeSet::new();
        for carried in &log.payloads {
            if let Some(op) = carried.op {
                ops.insert(carried.stamp, op);
                if carried.kind == MessageKind::Multicast {
                    multicast.insert(op);
                }
            }
        }
        let replicas = run.replicas.len();
        Unseen {
            run,
            log,
            ops,
            multicast,
            stores: vec![BTreeMap::new(); replicas],
            holding: vec![BTreeMap::new(); replicas],
            writes_in_flight: vec![BTreeSet::new(); replicas],
            acks_in_flight: vec![BTreeSet::new(); replicas],
        }
    }

    /// The history index of the operation a stamp belongs to, when a packet carried it.
    pub(crate) fn op_of(&self, stamp: Stamp) -> Option<u32> {
        self.ops.get(&stamp).copied()
    }

    /// What replica `replica`'s store holds for `key` so far, with the stamp of its write.
    pub(crate) fn stored(&self, replica: usize, key: &str) -> Option<&(Value, Stamp)> {
        self.stores.get(replica)?.get(key)
    }

    fn op(&self, op: u32) -> Option<&'a Operation> {
        self.run.history.get(op as usize)
    }

    /// Keeps up with one event of the log; `index` is what [`EventLog::indexed`] gives with it.
    /// Call it for every event, in order, before asking about the reads it answers.
    pub(crate) fn observe(&mut self, what: What, index: u32) {
        match what {
            What::Sent { msg } => {
                let Some(message) = self.log.messages.get(msg as usize) else {
                    return;
                };
                let carried = self.log.payload(message);
                let write = carried
                    .and_then(|c| c.op)
                    .and_then(|op| self.op(op))
                    .is_some_and(Operation::may_have_written);
                let ack = carried.is_some_and(|c| c.kind == MessageKind::MulticastAck);
                let to = message.to.index();
                if write {
                    if let Some(flying) = self.writes_in_flight.get_mut(to) {
                        flying.insert(msg);
                    }
                }
                if ack {
                    if let Some(flying) = self.acks_in_flight.get_mut(to) {
                        flying.insert(msg);
                    }
                }
            }
            What::Delivered { msg } | What::Lost { msg, .. } => {
                for flying in self
                    .writes_in_flight
                    .iter_mut()
                    .chain(&mut self.acks_in_flight)
                {
                    flying.remove(&msg);
                }
            }
            What::Note { replica } => {
                if let Some(Note::HeldBack { stamp, why }) = self.log.notes.get(index as usize) {
                    if let Some(holding) = self.holding.get_mut(replica.index()) {
                        holding.insert(*stamp, why.clone());
                    }
                }
            }
            What::Commit { replica } => {
                let Some(entry) = self
                    .run
                    .replicas
                    .get(replica.index())
                    .and_then(|r| r.committed.get(index as usize))
                else {
                    return;
                };
                if let Some(holding) = self.holding.get_mut(replica.index()) {
                    holding.remove(&entry.stamp);
                }
                if entry.changed_store() {
                    if let (Some(store), Some(value)) =
                        (self.stores.get_mut(replica.index()), &entry.value)
                    {
                        store.insert(entry.key.clone(), (value.clone(), entry.stamp));
                    }
                }
            }
            _ => {}
        }
    }

    /// For read `op` answered from its replica's store: whether `write` (a history index) stamped
    /// `stamp` would have changed its answer — a write to its key (a put, an append, a
    /// compare-and-set not known to have failed), newer than what the store holds
    /// (an older one loses to it, under last-writer-wins as in the multicast's order).
    fn would_show(&self, read: &Operation, write: Option<u32>, stamp: Stamp) -> bool {
        let stored = self
            .stores
            .get(read.replica.index())
            .and_then(|store| store.get(&read.key))
            .map(|&(_, s)| s);
        write
            .and_then(|w| self.op(w))
            .is_some_and(|w| w.may_have_written() && w.key == read.key)
            && stored.is_none_or(|s| stamp > s)
    }

    /// The read `op`, if it was answered from its replica's store (a get not multicast).
    fn read_from_store(&self, op: u32) -> Option<&'a Operation> {
        let o = self.op(op)?;
        (o.op == OpKind::Get
            && !self.multicast.contains(&op)
            && o.replica.index() < self.stores.len())
        .then_some(o)
    }

    /// The first write (by stamp) the read's replica holds back that the read would have shown,
    /// and why it is held.
    pub(crate) fn held(&self, op: u32) -> Option<(Stamp, &Why)> {
        let read = self.read_from_store(op)?;
        self.holding[read.replica.index()]
            .iter()
            .find(|(&stamp, _)| self.would_show(read, self.op_of(stamp), stamp))
            .map(|(&stamp, why)| (stamp, why))
    }

    /// The first packet on its way to the read's replica carrying a write the read would have
    /// shown.
    pub(crate) fn on_its_way(&self, op: u32) -> Option<u32> {
        let read = self.read_from_store(op)?;
        self.writes_in_flight[read.replica.index()]
            .iter()
            .copied()
            .find(|&msg| {
                let message = self.log.messages.get(msg as usize);
                message
                    .and_then(|m| self.log.payload(m))
                    .is_some_and(|c| self.would_show(read, c.op, c.stamp))
            })
    }

    /// When the read's replica holds back, for acknowledgements, a write the read would have
    /// shown: the acknowledgements of it still on their way from the replicas it waits for.
    pub(crate) fn acks_awaited(&self, op: u32) -> Vec<u32> {
        let Some(read) = self.read_from_store(op) else {
            return Vec::new();
        };
        let r = read.replica.index();
        for (&stamp, why) in &self.holding[r] {
            let Why::Acks { from } = why else {
                continue;
            };
            if from.is_empty() || !self.would_show(read, self.op_of(stamp), stamp) {
                continue;
            }
            return self.acks_in_flight[r]
                .iter()
                .copied()
                .filter(|&msg| {
                    let message = self.log.messages.get(msg as usize);
                    message.is_some_and(|m| {
                        from.contains(&m.from)
                            && self.log.payload(m).is_some_and(|c| c.stamp == stamp)
                    })
                })
                .collect();
        }
        Vec::new()
    }
}

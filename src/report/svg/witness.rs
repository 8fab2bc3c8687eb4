//! What the diagram emphasises: the operations of each broken verdict's witness, and the packets
//! whose delay made a read stale: a write still on its way to the replica that answered it, or the
//! acknowledgements that replica still waited for before it could apply a write held back.

use std::collections::{BTreeMap, BTreeSet};

use crate::check::{Property, Verdicts};
use crate::events::{EventLog, What};
use crate::history::Operation;
use crate::ids::ReplicaId;
use crate::op::{Key, OpKind};
use crate::protocol::clocks::Stamp;
use crate::protocol::note::{Note, Why};
use crate::protocol::summary::MessageKind;
use crate::run::Run;

/// For each operation in some broken verdict's witness, the properties whose witness it is, as
/// `data-witness` lists them: JSON names, in the order of the verdict matrix.
pub(super) fn witnesses(verdicts: &Verdicts, operations: usize) -> Vec<String> {
    let mut names = vec![String::new(); operations];
    for property in Property::ALL {
        let verdict = verdicts.get(property);
        if verdict.ok != Some(false) {
            continue;
        }
        for &op in &verdict.operations {
            if let Some(list) = names.get_mut(op) {
                if !list.is_empty() {
                    list.push(' ');
                }
                list.push_str(property.name());
            }
        }
    }
    names
}

/// Follows the log to find, for a read answered from its replica's store, the packet carrying a
/// newer write to its key that was still on its way to that replica: the packet whose delay the
/// read paid for (the same packet the text trace names, `… is still on its way from r0`).
pub(super) struct Causes<'a> {
    run: &'a Run,
    log: &'a EventLog,
    /// The operation each stamp belongs to, from the packets that carried it.
    pub(super) ops: BTreeMap<Stamp, u32>,
    /// The operations multicast in total order: their reads are committed, not read from a store.
    multicast: BTreeSet<u32>,
    /// The stamp of each key's value in each replica's store.
    stores: Vec<BTreeMap<Key, Stamp>>,
    /// The packets carrying a write on their way to each replica.
    in_flight: Vec<BTreeSet<u32>>,
    /// The multicast acknowledgements on their way to each replica.
    acks_in_flight: Vec<BTreeSet<u32>>,
    /// The writes each replica holds back, with the replicas whose acknowledgements they wait
    /// for (none when they wait for something else).
    holding: Vec<BTreeMap<Stamp, Vec<ReplicaId>>>,
    /// Each cause found: the packet, and the reads it left stale.
    pub(super) found: BTreeMap<u32, Vec<u32>>,
}

impl<'a> Causes<'a> {
    pub(super) fn new(run: &'a Run, log: &'a EventLog) -> Self {
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
        Causes {
            run,
            log,
            ops,
            multicast,
            stores: vec![BTreeMap::new(); replicas],
            in_flight: vec![BTreeSet::new(); replicas],
            acks_in_flight: vec![BTreeSet::new(); replicas],
            holding: vec![BTreeMap::new(); replicas],
            found: BTreeMap::new(),
        }
    }

    fn op(&self, op: u32) -> Option<&'a Operation> {
        self.run.history.get(op as usize)
    }

    /// Keeps up with one event; `index` is what [`EventLog::indexed`] gives with it. `wanted` says
    /// which reads to explain (those of a broken verdict's witness).
    pub(super) fn observe(&mut self, what: What, index: u32, wanted: impl Fn(u32) -> bool) {
        match what {
            What::Sent { msg } => {
                let Some(message) = self.log.messages.get(msg as usize) else {
                    return;
                };
                let carried = self.log.payload(message);
                let write = carried
                    .and_then(|c| c.op)
                    .and_then(|op| self.op(op))
                    .is_some_and(|o| o.op == OpKind::Put);
                let ack = carried.is_some_and(|c| c.kind == MessageKind::MulticastAck);
                let to = message.to.index();
                if write {
                    if let Some(flying) = self.in_flight.get_mut(to) {
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
                for flying in self.in_flight.iter_mut().chain(&mut self.acks_in_flight) {
                    flying.remove(&msg);
                }
            }
            What::Note { replica } => {
                if let Some(Note::HeldBack { stamp, why }) = self.log.notes.get(index as usize) {
                    let waits = match why {
                        Why::Acks { from } => from.clone(),
                        Why::Dependencies { .. } | Why::Behind { .. } => Vec::new(),
                    };
                    if let Some(holding) = self.holding.get_mut(replica.index()) {
                        holding.insert(*stamp, waits);
                    }
                }
            }
            What::Commit { replica } => {
                let entry = self
                    .run
                    .replicas
                    .get(replica.index())
                    .and_then(|r| r.committed.get(index as usize));
                if let (Some(entry), Some(holding)) = (entry, self.holding.get_mut(replica.index()))
                {
                    holding.remove(&entry.stamp);
                }
                if let Some(entry) = entry.filter(|e| e.op == OpKind::Put && !e.superseded) {
                    self.stores[replica.index()].insert(entry.key.clone(), entry.stamp);
                }
            }
            What::Reply { op } if wanted(op) => {
                for msg in self.unseen(op) {
                    self.found.entry(msg).or_default().push(op);
                }
            }
            _ => {}
        }
    }

    /// For a read answered from its replica's store, the packets its answer waited on and did not
    /// get: a packet on its way there with a newer write to its key; or, failing that, when the
    /// replica holds such a write back for acknowledgements, the acknowledgements still on their way.
    fn unseen(&self, op: u32) -> Vec<u32> {
        let Some(o) = self.op(op) else {
            return Vec::new();
        };
        let r = o.replica.index();
        if o.op != OpKind::Get || self.multicast.contains(&op) || r >= self.stores.len() {
            return Vec::new();
        }
        let stored = self.stores[r].get(&o.key).copied();
        // A write the read would have shown: to its key, and newer than what the store holds.
        let would_show = |stamp: Stamp| stored.is_none_or(|s| stamp > s);
        let to_key = |write: Option<u32>| {
            write
                .and_then(|w| self.op(w))
                .is_some_and(|w| w.op == OpKind::Put && w.key == o.key)
        };
        let carried = |msg: u32| {
            self.log
                .messages
                .get(msg as usize)
                .and_then(|m| Some((m, self.log.payload(m)?)))
        };
        let flying = self.in_flight[r]
            .iter()
            .copied()
            .find(|&msg| carried(msg).is_some_and(|(_, c)| to_key(c.op) && would_show(c.stamp)));
        if let Some(msg) = flying {
            return vec![msg];
        }
        for (&stamp, waits) in &self.holding[r] {
            let write = self.ops.get(&stamp).copied();
            if waits.is_empty() || !to_key(write) || !would_show(stamp) {
                continue;
            }
            return self.acks_in_flight[r]
                .iter()
                .copied()
                .filter(|&msg| {
                    carried(msg).is_some_and(|(m, c)| c.stamp == stamp && waits.contains(&m.from))
                })
                .collect();
        }
        Vec::new()
    }
}

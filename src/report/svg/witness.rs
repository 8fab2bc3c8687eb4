//! What the diagram emphasises: the operations of each broken verdict's witness, and the packets
//! whose delay made a read stale.

use std::collections::{BTreeMap, BTreeSet};

use crate::check::{Property, Verdicts};
use crate::events::{EventLog, What};
use crate::history::Operation;
use crate::op::{Key, OpKind};
use crate::protocol::clocks::Stamp;
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
                if carried.kind == crate::protocol::summary::MessageKind::Multicast {
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
                let write = self
                    .log
                    .payload(message)
                    .and_then(|c| c.op)
                    .and_then(|op| self.op(op))
                    .is_some_and(|o| o.op == OpKind::Put);
                if let Some(flying) = self.in_flight.get_mut(message.to.index()) {
                    if write {
                        flying.insert(msg);
                    }
                }
            }
            What::Delivered { msg } | What::Lost { msg, .. } => {
                for flying in &mut self.in_flight {
                    flying.remove(&msg);
                }
            }
            What::Commit { replica } => {
                let entry = self
                    .run
                    .replicas
                    .get(replica.index())
                    .and_then(|r| r.committed.get(index as usize));
                if let Some(entry) = entry.filter(|e| e.op == OpKind::Put && !e.superseded) {
                    self.stores[replica.index()].insert(entry.key.clone(), entry.stamp);
                }
            }
            What::Reply { op } if wanted(op) => {
                if let Some(msg) = self.unseen(op) {
                    self.found.entry(msg).or_default().push(op);
                }
            }
            _ => {}
        }
    }

    /// For a read answered from its replica's store, a packet on its way there with a newer write
    /// to its key.
    fn unseen(&self, op: u32) -> Option<u32> {
        let o = self.op(op)?;
        if o.op != OpKind::Get || self.multicast.contains(&op) {
            return None;
        }
        let stored = self.stores.get(o.replica.index())?.get(&o.key).copied();
        let flying = self.in_flight.get(o.replica.index())?;
        flying.iter().copied().find(|&msg| {
            let Some(carried) = self
                .log
                .messages
                .get(msg as usize)
                .and_then(|m| self.log.payload(m))
            else {
                return false;
            };
            let newer = stored.is_none_or(|s| carried.stamp > s);
            let to_key = carried
                .op
                .and_then(|w| self.op(w))
                .is_some_and(|w| w.op == OpKind::Put && w.key == o.key);
            newer && to_key
        })
    }
}

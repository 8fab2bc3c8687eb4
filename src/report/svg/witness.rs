//! What the diagram emphasises: the operations of each broken verdict's witness, and the packets
//! whose delay made a read stale: a write still on its way to the replica that answered it, or the
//! acknowledgements that replica still waited for before it could apply a write held back.

use std::collections::BTreeMap;

use crate::check::{Property, Verdicts};
use crate::events::{EventLog, What};
use crate::report::unseen::Unseen;
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

/// Follows the log to find, for each read of a witness answered from its replica's store, the
/// packets its answer waited on and did not get: a packet on its way there with a newer write to its
/// key (the one the text trace names, `… is still on its way from r0`); or, failing that, when the
/// replica held such a write back for acknowledgements, the acknowledgements still on their way.
pub(super) struct Causes<'a> {
    pub(super) unseen: Unseen<'a>,
    /// Each cause found: the packet, and the reads it left stale.
    pub(super) found: BTreeMap<u32, Vec<u32>>,
}

impl<'a> Causes<'a> {
    pub(super) fn new(run: &'a Run, log: &'a EventLog) -> Self {
        Causes {
            unseen: Unseen::new(run, log),
            found: BTreeMap::new(),
        }
    }

    /// Keeps up with one event; `index` is what [`EventLog::indexed`] gives with it. `wanted` says
    /// which reads to explain (those of a broken verdict's witness).
    pub(super) fn observe(&mut self, what: What, index: u32, wanted: impl Fn(u32) -> bool) {
        self.unseen.observe(what, index);
        let What::Reply { op } = what else {
            return;
        };
        if !wanted(op) {
            return;
        }
        let late = match self.unseen.on_its_way(op) {
            Some(msg) => vec![msg],
            None => self.unseen.acks_awaited(op),
        };
        for msg in late {
            self.found.entry(msg).or_default().push(op);
        }
    }
}

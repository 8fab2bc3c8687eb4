//! A last-writer-wins store: each key keeps the value of the write with the highest stamp seen.
//!
//! Causal and eventual replicas apply writes in different orders at different replicas. If each simply
//! overwrote, replicas that saw two concurrent writes in opposite orders would end with different values
//! for ever. Keeping the write with the higher (Lamport time, replica) stamp makes the outcome the same
//! whatever the arrival order, so replicas converge once they have seen the same writes. Lamport stamps
//! respect causality *among the replicas*: a write never loses to one its replica had already applied.
//! A client that moves to another replica carries no clock, though, so its later write can get a lower
//! stamp than its earlier one and lose to it — a lost update that the session checkers name.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::clocks::Stamp;
use super::{CommitEntry, Store};

use crate::ids::{ClientId, Time};
use crate::op::{Key, OpKind, Value};

/// Values with the stamp of the write that produced them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LwwStore {
    entries: BTreeMap<Key, (Value, Stamp)>,
}

impl LwwStore {
    /// Applies a write. Returns `false`, changing nothing, when the key already holds the value of a
    /// write with a higher stamp (the incoming write is *superseded*).
    pub fn apply(&mut self, key: &Key, value: &Value, stamp: Stamp) -> bool {
        match self.entries.get_mut(key) {
            Some((_, current)) if *current > stamp => false,
            Some(entry) => {
                *entry = (value.clone(), stamp);
                true
            }
            None => {
                self.entries.insert(key.clone(), (value.clone(), stamp));
                true
            }
        }
    }

    /// Applies a write at `now` and records it as a commit (marked superseded if it changed nothing).
    pub fn commit(
        &mut self,
        now: Time,
        client: ClientId,
        key: &Key,
        value: &Value,
        stamp: Stamp,
    ) -> CommitEntry {
        let stored = self.apply(key, value, stamp);
        CommitEntry {
            at: now,
            op: OpKind::Put,
            key: key.clone(),
            value: Some(value.clone()),
            client,
            stamp,
            superseded: !stored,
            ok: true,
        }
    }

    /// The current value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.get(key).map(|(value, _)| value)
    }

    /// The plain key-value contents.
    pub fn to_store(&self) -> Store {
        let mut store = Store::new();
        for (key, (value, _)) in &self.entries {
            store.insert(key.clone(), value.clone());
        }
        store
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ReplicaId;

    #[test]
    fn the_higher_stamp_wins_whatever_the_arrival_order() {
        let older = Stamp {
            time: 3,
            replica: ReplicaId(0),
        };
        let newer = Stamp {
            time: 3,
            replica: ReplicaId(1),
        };
        let (x, a, b): (Key, Value, Value) = ("x".into(), "a".into(), "b".into());

        let mut one = LwwStore::default();
        assert!(one.apply(&x, &a, older));
        assert!(one.apply(&x, &b, newer));

        let mut two = LwwStore::default();
        assert!(two.apply(&x, &b, newer));
        assert!(!two.apply(&x, &a, older), "the older write is superseded");

        assert_eq!(one.get("x"), Some(&b));
        assert_eq!(one.to_store(), two.to_store());
    }
}

//! Logical clocks: Lamport clocks with their (time, replica) stamps, and vector clocks.
//!
//! A Lamport clock (Lamport 1978) is one counter per replica: it ticks before every event the replica
//! originates and jumps past every timestamp it receives. Paired with the replica id it gives a
//! [`Stamp`] that totally orders all events, consistently with happens-before: if `a` happened before
//! `b` then `stamp(a) < stamp(b)`. The converse does not hold, which is why causal consistency needs
//! [`VectorClock`]s, which tell "happened before" from "concurrent".

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::ReplicaId;

/// A Lamport timestamp made unique by the replica that issued it. Ordered by time, then replica: the
/// total order that the totally-ordered multicast commits in and that last-writer-wins uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    pub time: u64,
    pub replica: ReplicaId,
}

/// `10@r2`: Lamport time 10 at replica 2. Not `10.2`, which reads like a decimal next to values
/// such as `c10.1`.
impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.time, self.replica)
    }
}

/// Serialized as `[time, replica]`, so JSON readers can compare stamps without parsing strings.
impl Serialize for Stamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (self.time, self.replica.0).serialize(serializer)
    }
}

/// Read back from `[time, replica]`, as the real transport's wire and a replica's saved report carry it.
impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (time, replica) = <(u64, u32)>::deserialize(deserializer)?;
        Ok(Stamp {
            time,
            replica: ReplicaId(replica),
        })
    }
}

/// One replica's Lamport clock.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LamportClock {
    replica: ReplicaId,
    time: u64,
}

impl LamportClock {
    pub fn new(replica: ReplicaId) -> Self {
        LamportClock { replica, time: 0 }
    }

    /// Ticks for an event this replica originates and returns its stamp.
    pub fn tick(&mut self) -> Stamp {
        self.time += 1;
        Stamp {
            time: self.time,
            replica: self.replica,
        }
    }

    /// Takes in a timestamp received from elsewhere: afterwards every stamp this clock issues is
    /// greater than `seen`.
    pub fn observe(&mut self, seen: u64) {
        self.time = self.time.max(seen);
    }

    /// The clock's current reading.
    pub fn time(&self) -> u64 {
        self.time
    }
}

/// A vector clock: entry `i` counts the writes originated by replica `i` that the holder has applied
/// (or, attached to a write, that the write depends on, itself included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VectorClock(Vec<u64>);

impl VectorClock {
    /// The zero clock for a cluster of `replicas`.
    pub fn new(replicas: usize) -> Self {
        VectorClock(vec![0; replicas])
    }

    /// How many replicas it has an entry for.
    pub fn replicas(&self) -> usize {
        self.0.len()
    }

    /// The entry of one replica.
    pub fn get(&self, replica: ReplicaId) -> u64 {
        self.0[replica.index()]
    }

    /// Counts one more write originated by `replica`.
    pub fn increment(&mut self, replica: ReplicaId) {
        self.0[replica.index()] += 1;
    }

    /// The causal-delivery condition (Birman, Schiper, Stephenson 1991): a write from `origin`
    /// stamped `write` can be applied by a holder at `self` when it is the next write from `origin`
    /// and every other write it depends on has already been applied.
    pub fn can_deliver(&self, origin: ReplicaId, write: &VectorClock) -> bool {
        let mut ok = write.get(origin) == self.get(origin) + 1;
        for (i, (&mine, &theirs)) in self.0.iter().zip(&write.0).enumerate() {
            if i != origin.index() && theirs > mine {
                ok = false;
            }
        }
        ok
    }
}

impl fmt::Display for VectorClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, entry) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{entry}")?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lamport_clock_jumps_past_what_it_observes() {
        let mut clock = LamportClock::new(ReplicaId(1));
        assert_eq!(clock.tick().time, 1);
        clock.observe(7);
        let next = clock.tick();
        assert_eq!(
            next,
            Stamp {
                time: 8,
                replica: ReplicaId(1)
            }
        );
        clock.observe(3);
        assert_eq!(
            clock.tick().time,
            9,
            "observing an older time never moves the clock back"
        );
    }

    #[test]
    fn stamps_order_by_time_then_replica() {
        let a = Stamp {
            time: 2,
            replica: ReplicaId(5),
        };
        let b = Stamp {
            time: 3,
            replica: ReplicaId(0),
        };
        let c = Stamp {
            time: 3,
            replica: ReplicaId(1),
        };
        assert!(a < b && b < c);
    }

    #[test]
    fn vector_clock_delivers_only_the_next_write_with_its_dependencies_met() {
        let here = VectorClock(vec![1, 0, 0]);
        assert!(here.can_deliver(ReplicaId(1), &VectorClock(vec![1, 1, 0])));
        assert!(
            !here.can_deliver(ReplicaId(1), &VectorClock(vec![2, 1, 0])),
            "depends on a write not yet applied"
        );
        assert!(
            !here.can_deliver(ReplicaId(1), &VectorClock(vec![0, 2, 0])),
            "skips a write from the origin"
        );
        assert!(
            !here.can_deliver(ReplicaId(0), &VectorClock(vec![1, 0, 0])),
            "already applied"
        );
    }
}

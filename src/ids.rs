//! Names for the things a simulation is made of: replicas, clients and instants of simulated time.
//!
//! Ids are newtypes rather than bare integers so that a replica can never be passed where a client
//! was meant; both print the way the trace shows them (`r2`, `client 3`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Simulated time in integer milliseconds since the start of the run.
///
/// Time is a plain number on purpose: nothing in kvsim reads a wall clock, so the same scenario and
/// seed always give the same instants.
pub type Time = u64;

/// The index of a replica, `0..replicas`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReplicaId(pub u32);

impl ReplicaId {
    /// The replica's position in a `Vec` of per-replica state.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// Every replica of a cluster of `count`, in id order.
    pub fn all(count: usize) -> impl Iterator<Item = ReplicaId> {
        (0..count as u32).map(ReplicaId)
    }
}

impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

/// The index of a client, `0..clients`: scripted clients first, then generated ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientId(pub u32);

impl ClientId {
    /// The client's position in a `Vec` of per-client state.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "client {}", self.0)
    }
}

//! Faults: partitions of the network, and crashes and restarts of replicas, at given simulated times.
//!
//! The engine keeps the state they produce, [`FaultState`]: which directed links are cut and which
//! replicas are down. A message is lost when its link is cut, or its destination is down, at the moment
//! it is sent or at the moment it would arrive; a client's request to a replica that is down is lost
//! too. A crashed replica keeps all its state, as if on disk, and does
//! nothing until it restarts.

use std::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::ids::{ReplicaId, Time};

/// One change to the network or to a replica.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Replicas can talk only within their group: every link between two groups is cut, both ways.
    /// Replaces any earlier partition.
    Partition(Vec<Vec<ReplicaId>>),
    /// Messages from any of `from` to any of `to` are lost; the other direction still works. Replaces
    /// any earlier partition.
    PartitionOneway {
        from: Vec<ReplicaId>,
        to: Vec<ReplicaId>,
    },
    /// Every link works again.
    Heal,
    /// The replica stops: it receives nothing and does nothing, but keeps its state.
    Crash(ReplicaId),
    /// The replica resumes from the state it had when it crashed.
    Restart(ReplicaId),
}

/// Where a fault came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The scenario's `"faults"` list.
    Script,
    /// The scenario's `"nemesis"`, drawn from the seed.
    Nemesis,
}

/// A fault and when it happens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimedFault {
    pub at: Time,
    pub fault: Fault,
    pub origin: Origin,
}

/// Serialized as it is written in a scenario, `{"at": 100, "partition": [[0, 1], [2]]}`, with
/// `"nemesis": true` added for faults the nemesis drew.
impl Serialize for TimedFault {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("at", &self.at)?;
        match &self.fault {
            Fault::Partition(groups) => map.serialize_entry("partition", groups)?,
            Fault::PartitionOneway { from, to } => {
                #[derive(serde::Serialize)]
                struct Oneway<'a> {
                    from: &'a [ReplicaId],
                    to: &'a [ReplicaId],
                }
                map.serialize_entry("partition_oneway", &Oneway { from, to })?
            }
            Fault::Heal => map.serialize_entry("heal", &true)?,
            Fault::Crash(replica) => map.serialize_entry("crash", replica)?,
            Fault::Restart(replica) => map.serialize_entry("restart", replica)?,
        }
        if self.origin == Origin::Nemesis {
            map.serialize_entry("nemesis", &true)?;
        }
        map.end()
    }
}

fn group(replicas: &[ReplicaId]) -> String {
    let names: Vec<String> = replicas.iter().map(ReplicaId::to_string).collect();
    format!("{{{}}}", names.join(" "))
}

/// How the trace shows a fault: `partition {r0 r1} | {r2}`, `crash r2`.
impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Partition(groups) => {
                let groups: Vec<String> = groups.iter().map(|g| group(g)).collect();
                write!(f, "partition {}", groups.join(" | "))
            }
            Fault::PartitionOneway { from, to } => {
                write!(
                    f,
                    "one-way partition: {} cannot reach {}",
                    group(from),
                    group(to)
                )
            }
            Fault::Heal => f.write_str("heal: every link works again"),
            Fault::Crash(replica) => write!(f, "crash {replica} (it keeps its state)"),
            Fault::Restart(replica) => write!(f, "restart {replica}"),
        }
    }
}

/// Which links are cut and which replicas are down, as the faults so far have left them.
#[derive(Clone, Debug)]
pub struct FaultState {
    replicas: usize,
    /// `cut[from * replicas + to]`.
    cut: Vec<bool>,
    up: Vec<bool>,
}

impl FaultState {
    /// Every link working and every replica up.
    pub fn new(replicas: usize) -> Self {
        FaultState {
            replicas,
            cut: vec![false; replicas * replicas],
            up: vec![true; replicas],
        }
    }

    pub fn apply(&mut self, fault: &Fault) {
        match fault {
            Fault::Partition(groups) => {
                self.cut.fill(true);
                for group in groups {
                    for &from in group {
                        for &to in group {
                            self.cut[from.index() * self.replicas + to.index()] = false;
                        }
                    }
                }
            }
            Fault::PartitionOneway { from, to } => {
                self.cut.fill(false);
                for &a in from {
                    for &b in to {
                        self.cut[a.index() * self.replicas + b.index()] = true;
                    }
                }
            }
            Fault::Heal => self.cut.fill(false),
            Fault::Crash(replica) => self.up[replica.index()] = false,
            Fault::Restart(replica) => self.up[replica.index()] = true,
        }
    }

    /// Whether messages from `from` to `to` are lost.
    pub fn is_cut(&self, from: ReplicaId, to: ReplicaId) -> bool {
        self.cut[from.index() * self.replicas + to.index()]
    }

    /// Whether the replica is running.
    pub fn is_up(&self, replica: ReplicaId) -> bool {
        self.up[replica.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(ids: &[u32]) -> Vec<ReplicaId> {
        ids.iter().map(|&i| ReplicaId(i)).collect()
    }

    #[test]
    fn a_partition_cuts_only_links_between_groups_and_a_heal_restores_them() {
        let mut state = FaultState::new(3);
        state.apply(&Fault::Partition(vec![r(&[0, 1]), r(&[2])]));
        assert!(!state.is_cut(ReplicaId(0), ReplicaId(1)));
        assert!(state.is_cut(ReplicaId(0), ReplicaId(2)));
        assert!(state.is_cut(ReplicaId(2), ReplicaId(1)));
        state.apply(&Fault::Heal);
        assert!(!state.is_cut(ReplicaId(2), ReplicaId(1)));
    }

    #[test]
    fn a_one_way_partition_cuts_one_direction_and_replaces_the_last_partition() {
        let mut state = FaultState::new(3);
        state.apply(&Fault::Partition(vec![r(&[0]), r(&[1, 2])]));
        state.apply(&Fault::PartitionOneway {
            from: r(&[2]),
            to: r(&[0, 1]),
        });
        assert!(state.is_cut(ReplicaId(2), ReplicaId(0)));
        assert!(!state.is_cut(ReplicaId(0), ReplicaId(2)));
        assert!(
            !state.is_cut(ReplicaId(0), ReplicaId(1)),
            "the earlier partition is gone"
        );
    }

    #[test]
    fn faults_serialize_as_scenarios_write_them() {
        let fault = TimedFault {
            at: 100,
            fault: Fault::Partition(vec![r(&[0, 1]), r(&[2])]),
            origin: Origin::Script,
        };
        assert_eq!(
            serde_json::to_string(&fault).unwrap(),
            r#"{"at":100,"partition":[[0,1],[2]]}"#
        );
        let heal = TimedFault {
            at: 300,
            fault: Fault::Heal,
            origin: Origin::Nemesis,
        };
        assert_eq!(
            serde_json::to_string(&heal).unwrap(),
            r#"{"at":300,"heal":true,"nemesis":true}"#
        );
    }
}

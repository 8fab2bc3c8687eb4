//! A scenario's faults applied for real: at each fault's time, `kvsim cluster` tells every replica
//! what the faults now leave of it and its links, and the replicas drop what the simulator would
//! lose.
//!
//! The schedule is the simulator's ([`fault_schedule`]: scripted faults and the nemesis's, drawn from
//! the same seed), on the cluster's clock from the moment the clients start. The state after each
//! fault is worked out by the simulator's own [`FaultState`], and each replica gets its share as a
//! [`LinkState`]:
//!
//! - a partition cuts links: the sender drops what it sends across the cut, and the receiver what
//!   arrives across it (a packet in flight when the cut comes is lost, as in the simulator);
//! - a crash stops the replica *inside its process*: it drops every request and packet and fires no
//!   timer, keeping its state, until it is restarted — the simulator's crash exactly. The process
//!   itself keeps running; stopping it and restarting it from saved state is not done.

use std::net::SocketAddr;

use super::client::ReplicaConnection;
use super::frame::{LinkState, ToReplica};
use super::{Clock, NetError};
use crate::ids::{ReplicaId, Time};
use crate::scenario::Config;
use crate::sim::fault::{FaultState, TimedFault};
use crate::sim::fault_schedule;

/// What the faults did, and where they left the cluster.
#[derive(Clone, Debug)]
pub struct FaultsDone {
    /// Each fault, with the time it was applied on the cluster's clock.
    pub applied: Vec<TimedFault>,
    /// The state after the last fault.
    pub state: FaultState,
}

impl FaultsDone {
    /// Whether every link works and every replica is up: only then can the replicas go quiet.
    pub fn healed(&self, replicas: usize) -> bool {
        ReplicaId::all(replicas).all(|from| {
            self.state.is_up(from)
                && ReplicaId::all(replicas).all(|to| !self.state.is_cut(from, to))
        })
    }
}

/// Applies `config`'s faults to the replicas at `addrs`, each at `start` plus its time.
pub async fn apply_faults(
    config: &Config,
    addrs: &[SocketAddr],
    start: Time,
    clock: Clock,
) -> Result<FaultsDone, NetError> {
    let schedule = fault_schedule(config);
    let mut state = FaultState::new(config.replicas);
    let mut applied = Vec::new();
    if schedule.is_empty() {
        return Ok(FaultsDone { applied, state });
    }
    let mut connections = Vec::new();
    for (i, &addr) in addrs.iter().enumerate() {
        connections.push(ReplicaConnection::open(ReplicaId(i as u32), addr).await?);
    }
    for fault in schedule {
        tokio::time::sleep_until(clock.instant(start + fault.at)).await;
        state.apply(&fault.fault);
        for (i, connection) in connections.iter_mut().enumerate() {
            let share = link_state(&state, ReplicaId(i as u32), config.replicas);
            connection.send(&ToReplica::Faults(share)).await?;
        }
        applied.push(TimedFault {
            at: clock.now(),
            ..fault
        });
    }
    Ok(FaultsDone { applied, state })
}

/// Replica `me`'s share of the fault state.
fn link_state(state: &FaultState, me: ReplicaId, replicas: usize) -> LinkState {
    LinkState {
        up: state.is_up(me),
        cut_to: ReplicaId::all(replicas)
            .map(|to| state.is_cut(me, to))
            .collect(),
        cut_from: ReplicaId::all(replicas)
            .map(|from| state.is_cut(from, me))
            .collect(),
    }
}

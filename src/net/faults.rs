//! A scenario's faults applied for real: the schedule `kvsim cluster` works through, and what each
//! fault leaves of every replica's links.
//!
//! The schedule is the simulator's ([`fault_schedule`]: scripted faults and the nemesis's, drawn from
//! the same seed), on the cluster's clock from the moment the clients start, and the state after each
//! fault is worked out by the simulator's own [`FaultState`]:
//!
//! - a partition cuts links: after every fault each running replica is sent its share as a
//!   [`LinkState`]; the sender drops what it sends across a cut and the receiver what arrives across
//!   one (so a packet in flight when the cut comes is lost, as in the simulator);
//! - a crash stops the replica's process, which first saves its state ([`saved`](super::saved)); a
//!   restart starts a new process from that state, on the same address. Meanwhile its peers' links
//!   find no one to connect to and drop what they send, and its clients' connections fail: as in the
//!   simulator, what was sent to a crashed replica is lost, and the channels resend it after the
//!   restart.

use super::frame::LinkState;
use crate::ids::{ReplicaId, Time};
use crate::scenario::Config;
use crate::sim::fault::{Fault, FaultState, TimedFault};
use crate::sim::fault_schedule;

/// The faults still to come, and those done.
#[derive(Clone, Debug)]
pub struct FaultPlan {
    replicas: usize,
    schedule: Vec<TimedFault>,
    /// How many of `schedule` are done.
    done: usize,
    state: FaultState,
    /// Each fault done, with the time it was applied on the cluster's clock.
    applied: Vec<TimedFault>,
}

impl FaultPlan {
    /// The faults of `config`, none done yet.
    pub fn new(config: &Config) -> Self {
        FaultPlan {
            replicas: config.replicas,
            schedule: fault_schedule(config),
            done: 0,
            state: FaultState::new(config.replicas),
            applied: Vec::new(),
        }
    }

    /// The scenario time of the next fault, if any is left.
    pub fn next_at(&self) -> Option<Time> {
        self.schedule.get(self.done).map(|fault| fault.at)
    }

    /// Applies the next fault at `now` (on the cluster's clock) and returns it.
    pub fn advance(&mut self, now: Time) -> Option<Fault> {
        let fault = self.schedule.get(self.done)?.clone();
        self.done += 1;
        self.state.apply(&fault.fault);
        self.applied.push(TimedFault {
            at: now,
            ..fault.clone()
        });
        Some(fault.fault)
    }

    /// Whether replica `replica` is up (not crashed, or restarted since).
    pub fn is_up(&self, replica: ReplicaId) -> bool {
        self.state.is_up(replica)
    }

    /// Whether every link works and every replica is up: only then can the replicas go quiet.
    pub fn healed(&self) -> bool {
        ReplicaId::all(self.replicas).all(|from| {
            self.state.is_up(from)
                && ReplicaId::all(self.replicas).all(|to| !self.state.is_cut(from, to))
        })
    }

    /// Replica `me`'s share of the fault state.
    pub fn link_state(&self, me: ReplicaId) -> LinkState {
        LinkState {
            cut_to: ReplicaId::all(self.replicas)
                .map(|to| self.state.is_cut(me, to))
                .collect(),
            cut_from: ReplicaId::all(self.replicas)
                .map(|from| self.state.is_cut(from, me))
                .collect(),
        }
    }

    /// The faults applied, in order, with the times they were applied.
    pub fn into_applied(self) -> Vec<TimedFault> {
        self.applied
    }
}

//! Replicas' timers, and how the engine tells a run that can go no further from one still at work:
//! a retransmission that can only be lost again is *futile*, and a run whose every remaining move
//! is futile has stalled (see [`Stop::Stalled`]).

use super::{Event, Simulation};
use crate::ids::{ReplicaId, Time};
use crate::protocol::Replica;
use crate::run::Stop;

impl<R: Replica, const EVENTS: bool> Simulation<R, EVENTS> {
    /// Whether replica `id`'s timer armed for `time` should fire: the replica is up and still wants
    /// `handle_timeout` by then.
    pub(super) fn timer_due(&self, id: ReplicaId, time: Time) -> bool {
        self.state.is_up(id)
            && self.replicas[id.index()]
                .poll_timeout()
                .is_some_and(|at| at <= time)
    }

    /// Fires a due timer. Returns true when the run has stalled (see [`stalled`](Self::stalled)).
    pub(super) fn handle_timer(&mut self, now: Time, id: ReplicaId) -> bool {
        self.timer_at[id.index()] = None;
        let before = self.progress;
        self.replicas[id.index()].handle_timeout(now);
        // Draining re-arms the timer.
        self.drain_replica(now, id);
        if self.progress != before {
            self.forget_futile();
            return false;
        }
        self.futile[id.index()] = true;
        self.any_futile = true;
        self.stalled()
    }

    /// Whether the run can only repeat itself for ever: nothing but timers is queued, some running
    /// replica still holds unacknowledged messages, and every running replica that holds any has
    /// retried since the last progress without causing any. Its retransmissions were all lost to a
    /// cut link or a crashed replica, or arrived only to be acknowledged over a cut link; no fault or
    /// client is left to change that, and loss by chance is progress (the next try may get through),
    /// so the next round would go exactly the same way. When no running replica holds anything, the
    /// queue is about to empty and [`ending`](Self::ending) judges the run instead: a futile retry
    /// earlier on does not make a run that has since finished stall.
    pub(super) fn stalled(&self) -> bool {
        if !self.any_futile || self.work > 0 {
            return false;
        }
        let mut retrying = false;
        for (r, replica) in self.replicas.iter().enumerate() {
            if !self.state.is_up(ReplicaId(r as u32)) || replica.unacknowledged() == 0 {
                continue;
            }
            if !self.futile[r] {
                return false;
            }
            retrying = true;
        }
        retrying
    }

    /// How a run ends once its queue is empty: idle if it is finished — every client finished and
    /// every message arrived and was acknowledged — and stalled if not. With nothing queued, no
    /// restart or heal is coming: a replica still holding unacknowledged messages is one that crashed
    /// for good (a running one always has its retransmission timer queued), and a client still
    /// waiting sent its request to a crashed replica and has no timeout to give up by.
    pub(super) fn ending(&self) -> Stop {
        let unacknowledged = self.replicas.iter().any(|r| r.unacknowledged() > 0);
        let waiting = self.outstanding.iter().any(Option::is_some);
        if unacknowledged || waiting {
            Stop::Stalled
        } else {
            Stop::Idle
        }
    }

    /// Something happened that may lead somewhere: no timer so far was futile.
    pub(super) fn forget_futile(&mut self) {
        if self.any_futile {
            self.futile.fill(false);
            self.any_futile = false;
        }
    }

    /// Queues a timer event for replica `id` if it wants one sooner than the one already queued.
    pub(super) fn arm_timer(&mut self, id: ReplicaId, now: Time) {
        if !self.state.is_up(id) {
            return;
        }
        let Some(at) = self.replicas[id.index()].poll_timeout() else {
            return;
        };
        let at = at.max(now);
        if self.timer_at[id.index()].is_none_or(|armed| at < armed) {
            self.timer_at[id.index()] = Some(at);
            self.queue.push(at, Event::Timer(id));
        }
    }
}

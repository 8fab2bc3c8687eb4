//! What the engine records of a run when asked for its protocol events (`--trace`): each event as
//! it happens, and each packet with what it carries. A simulation that records nothing is compiled
//! without any of it (`EVENTS` is false), and pays nothing.

use super::Simulation;
use crate::events::{Carried, Message, What, NO_PAYLOAD};
use crate::ids::{ReplicaId, Time};
use crate::op::RequestId;
use crate::protocol::channel::Packet;
use crate::protocol::{Replica, Traffic};

impl<R: Replica, const EVENTS: bool> Simulation<R, EVENTS> {
    /// Records, when recording events, that `what` happened at `now`. `what` is only built then.
    #[inline]
    pub(super) fn log_event(&mut self, now: Time, what: impl FnOnce() -> What) {
        if !EVENTS {
            return;
        }
        if let Some(log) = &mut self.log {
            log.push(now, what());
        }
    }

    /// The index in the history of the operation a request carries.
    pub(super) fn op_index(&self, request: RequestId) -> u32 {
        // Every request the engine sees was invoked, and so recorded, by its client.
        self.ops_of[request.client.index()][request.seq as usize] as u32
    }

    /// Records a packet put on the network and its sending, when recording events. Returns its
    /// index in the log's messages (or `u32::MAX` when none is recorded).
    pub(super) fn record_message(
        &mut self,
        now: Time,
        from: ReplicaId,
        to: ReplicaId,
        msg: &Packet<R::Message>,
        traffic: Traffic,
    ) -> u32 {
        let Some(log) = &self.log else {
            return u32::MAX;
        };
        if log.is_full() {
            self.log_event(now, || What::Sent { msg: u32::MAX });
            return u32::MAX;
        }
        let (seq, summary) = msg.summary();
        let carried = summary.map(|summary| Carried {
            kind: summary.kind,
            stamp: summary.stamp,
            op: summary.request.map(|request| self.op_index(request)),
            clock: summary.clock,
        });
        let Some(log) = &mut self.log else {
            return u32::MAX;
        };
        let payload = match carried {
            None => NO_PAYLOAD,
            // A multicast sends the same message to every other replica in a row: its copies
            // share one payload.
            Some(carried) if log.payloads.last() == Some(&carried) => {
                (log.payloads.len() - 1) as u32
            }
            Some(carried) => {
                log.payloads.push(carried);
                (log.payloads.len() - 1) as u32
            }
        };
        let id = log.messages.len() as u32;
        log.messages.push(Message {
            from,
            to,
            traffic,
            seq,
            payload,
        });
        log.push(now, What::Sent { msg: id });
        id
    }
}

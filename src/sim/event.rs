//! The events of the queue: what can happen at an instant of simulated time.

use crate::ids::{ClientId, ReplicaId};
use crate::op::{Reply, Request, RequestId};
use crate::protocol::channel::Packet;
use crate::scenario::MAX_REPLICAS;

/// Something that happens at an instant of simulated time.
#[derive(Debug)]
pub(super) enum Event<M> {
    /// A client starts, or finishes a sleep.
    Wake(ClientId),
    /// A client's deadline for its request: it gives up if still waiting.
    GiveUp {
        client: ClientId,
        request: RequestId,
    },
    /// A client's request reaches a replica.
    RequestArrives {
        replica: ReplicaId,
        request: Request,
    },
    /// A replica's reply reaches its client.
    ReplyArrives(Reply),
    /// A packet between replicas arrives.
    MessageArrives { link: Link, msg: Packet<M> },
    /// A replica's timer, armed at the time its `poll_timeout` named.
    Timer(ReplicaId),
    /// The `i`-th fault of the schedule happens.
    Fault(usize),
}

/// Where a packet in flight goes, and its index in the event log's messages when one is recorded
/// (`u32::MAX` otherwise). Replica numbers are kept in 16 bits — a scenario has at most
/// [`MAX_REPLICAS`] — so that the index costs no room: every packet in flight is a queued event, and
/// a larger event is slower to move.
#[derive(Clone, Copy, Debug)]
pub(super) struct Link {
    from: u16,
    to: u16,
    pub(super) id: u32,
}

const _: () = assert!(MAX_REPLICAS <= 1 << 16, "replica numbers must fit a Link");

impl Link {
    pub(super) fn new(from: ReplicaId, to: ReplicaId, id: u32) -> Self {
        // Validation caps replicas at MAX_REPLICAS, so these never truncate.
        Link {
            from: from.0 as u16,
            to: to.0 as u16,
            id,
        }
    }

    pub(super) fn from(self) -> ReplicaId {
        ReplicaId(self.from.into())
    }

    pub(super) fn to(self) -> ReplicaId {
        ReplicaId(self.to.into())
    }
}

//! Linearizable replicas: every read and every write goes through the totally-ordered multicast.
//!
//! A client's replica stamps the operation and multicasts it ([`super::tob`]); every replica applies
//! operations in stamp order, and the client's replica answers when it applies the client's own
//! operation. A read therefore returns the value at its place in the one global order, and because the
//! operation is placed in that order *while the client waits*, a read that starts after a write
//! finished is ordered after it: the store behaves as one copy that changes at single instants.
//!
//! The price is latency: even a read waits for a round of acknowledgements from every replica, and
//! no operation completes while any replica is unreachable.

use serde::{Deserialize, Serialize};

use super::channel::{ChannelConfig, Channels, Packet};
use super::tob::{TobMessage, TotalOrderMulticast};
use super::{drain_tob, receive_tob, Outbox, Output, Replica, Store};
use crate::ids::{ReplicaId, Time};
use crate::op::Request;

/// A replica of the linearizable store.
/// Serializable: a real replica saves it when it crashes and restores it when it restarts (`net`).
#[derive(Debug, Serialize, Deserialize)]
pub struct LinearizableReplica {
    id: ReplicaId,
    tob: TotalOrderMulticast<Request>,
    channels: Channels<TobMessage<Request>>,
    store: Store,
    #[serde(skip)]
    outbox: Outbox<Packet<TobMessage<Request>>>,
}

impl Replica for LinearizableReplica {
    type Message = TobMessage<Request>;

    fn new(id: ReplicaId, replicas: usize, channels: ChannelConfig) -> Self {
        LinearizableReplica {
            id,
            tob: TotalOrderMulticast::new(id, replicas),
            channels: Channels::new(replicas, channels),
            store: Store::new(),
            outbox: Outbox::new(),
        }
    }

    fn explain(&mut self) {
        self.tob.explain();
        self.channels.explain();
    }

    fn handle_request(&mut self, now: Time, request: Request) {
        self.tob.multicast(request);
        drain_tob(
            self.id,
            now,
            &mut self.tob,
            &mut self.channels,
            &mut self.store,
            &mut self.outbox,
        );
    }

    fn handle_message(&mut self, now: Time, from: ReplicaId, packet: Packet<Self::Message>) {
        receive_tob(
            self.id,
            now,
            from,
            packet,
            &mut self.tob,
            &mut self.channels,
            &mut self.store,
            &mut self.outbox,
        );
    }

    fn handle_timeout(&mut self, now: Time) {
        self.channels.handle_timeout(now, &mut self.outbox);
    }

    fn poll_output(&mut self) -> Option<Output<Packet<Self::Message>>> {
        self.outbox.pop_front()
    }

    fn poll_timeout(&self) -> Option<Time> {
        self.channels.poll_timeout()
    }

    fn unacknowledged(&self) -> usize {
        self.channels.unacknowledged()
    }

    fn store(&self) -> Store {
        self.store.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ClientId;
    use crate::op::{Op, Reply, RequestId};
    use crate::protocol::clocks::Stamp;
    use crate::protocol::testing::{data, peel};

    fn drain(replica: &mut LinearizableReplica) -> Vec<Output<TobMessage<Request>>> {
        peel(std::iter::from_fn(|| replica.poll_output()))
    }

    fn get(client: u32, key: &str) -> Request {
        Request {
            id: RequestId {
                client: ClientId(client),
                seq: 0,
            },
            op: Op::Get { key: key.into() },
        }
    }

    #[test]
    fn a_read_is_multicast_not_answered_locally() {
        let mut r = LinearizableReplica::new(ReplicaId(0), 2, ChannelConfig::default());
        r.handle_request(0, get(0, "x"));
        let out = drain(&mut r);
        assert_eq!(out.len(), 1);
        assert!(matches!(
            &out[0],
            Output::Send {
                to: ReplicaId(1),
                msg: TobMessage::Multicast { .. },
                ..
            }
        ));
    }

    #[test]
    fn a_read_commits_and_answers_once_acknowledged_by_all() {
        let mut r = LinearizableReplica::new(ReplicaId(0), 2, ChannelConfig::default());
        r.handle_request(0, get(0, "x"));
        drain(&mut r);
        let stamp = Stamp {
            time: 1,
            replica: ReplicaId(0),
        };
        r.handle_message(
            9,
            ReplicaId(1),
            data(0, TobMessage::Ack { stamp, clock: 2 }),
        );
        let out = drain(&mut r);
        assert!(
            matches!(&out[0], Output::Commit(c) if c.at == 9 && &*c.key == "x" && c.value.is_none())
        );
        assert_eq!(
            out[1],
            Output::Reply(Reply {
                id: RequestId {
                    client: ClientId(0),
                    seq: 0
                },
                value: None,
                ok: true
            })
        );
    }

    #[test]
    fn a_remote_write_is_applied_but_not_answered_here() {
        let mut r = LinearizableReplica::new(ReplicaId(1), 2, ChannelConfig::default());
        let put = Request {
            id: RequestId {
                client: ClientId(3),
                seq: 0,
            },
            op: Op::Put {
                key: "x".into(),
                value: "1".into(),
            },
        };
        let stamp = Stamp {
            time: 1,
            replica: ReplicaId(0),
        };
        r.handle_message(
            5,
            ReplicaId(0),
            data(
                0,
                TobMessage::Multicast {
                    stamp,
                    payload: put,
                },
            ),
        );
        let out = drain(&mut r);
        assert!(out
            .iter()
            .any(|o| matches!(o, Output::Commit(c) if c.client == ClientId(3))));
        assert!(
            !out.iter().any(|o| matches!(o, Output::Reply(_))),
            "replica 0 answers its own client"
        );
        assert_eq!(r.store().get("x").map(|v| &**v), Some("1"));
    }
}

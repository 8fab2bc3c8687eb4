//! Sequentially consistent replicas: writes go through the totally-ordered multicast, reads are
//! answered at once from the local store.
//!
//! Every replica applies the same writes in the same order, and a client is answered only when its own
//! replica has applied its write, so all clients see one order of writes that respects each client's
//! program order. But a read looks only at the local store, which may not yet have applied a write
//! that has already been answered elsewhere: a *stale read*, which sequential consistency allows and
//! linearizability forbids. Reads are fast; writes cost a round of acknowledgements.
//!
//! The argument needs each client to stay at one replica. A client that writes at one replica and then
//! reads at another can miss its own write, which breaks program order and so sequential consistency:
//! the `read-your-writes` scenario shows it.

use serde::{Deserialize, Serialize};

use super::channel::{ChannelConfig, Channels, Packet};
use super::tob::{TobMessage, TotalOrderMulticast};
use super::{drain_tob, receive_tob, Outbox, Output, Replica, Store};
use crate::ids::{ReplicaId, Time};
use crate::op::{Op, Reply, Request};

/// A replica of the sequentially consistent store.
/// Serializable: a real replica saves it when it crashes and restores it when it restarts (`net`).
#[derive(Debug, Serialize, Deserialize)]
pub struct SequentialReplica {
    id: ReplicaId,
    tob: TotalOrderMulticast<Request>,
    channels: Channels<TobMessage<Request>>,
    store: Store,
    #[serde(skip)]
    outbox: Outbox<Packet<TobMessage<Request>>>,
}

impl Replica for SequentialReplica {
    type Message = TobMessage<Request>;

    fn new(id: ReplicaId, replicas: usize, channels: ChannelConfig) -> Self {
        SequentialReplica {
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
        match &request.op {
            Op::Get { key } => {
                let effect = request.op.evaluate(self.store.get(key));
                self.outbox
                    .push_back(Output::Reply(Reply::new(request.id, &effect)));
            }
            // A compare-and-set or an append reads as well as writes, so it must be evaluated where
            // every replica sees the same store: at commit, in the multicast's order.
            Op::Put { .. } | Op::Cas { .. } | Op::Append { .. } => {
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
        }
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
    use crate::op::RequestId;
    use crate::protocol::clocks::Stamp;
    use crate::protocol::testing::{data, peel};

    fn drain(replica: &mut SequentialReplica) -> Vec<Output<TobMessage<Request>>> {
        peel(std::iter::from_fn(|| replica.poll_output()))
    }

    fn request(seq: u32, op: Op) -> Request {
        Request {
            id: RequestId {
                client: ClientId(0),
                seq,
            },
            op,
        }
    }

    #[test]
    fn a_read_is_answered_at_once_from_the_local_store() {
        let mut r = SequentialReplica::new(ReplicaId(0), 3, ChannelConfig::default());
        r.handle_request(0, request(0, Op::Get { key: "x".into() }));
        assert_eq!(
            drain(&mut r),
            vec![Output::Reply(Reply {
                id: RequestId {
                    client: ClientId(0),
                    seq: 0
                },
                value: None,
                ok: true
            })]
        );
    }

    #[test]
    fn sequential_reads_can_be_stale() {
        // Replica 1 has received replica 0's write but not yet every acknowledgement: the write is
        // still held back, so a read here returns the old value even though the write exists.
        let mut r = SequentialReplica::new(ReplicaId(1), 3, ChannelConfig::default());
        let put = request(
            0,
            Op::Put {
                key: "x".into(),
                value: "1".into(),
            },
        );
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
        drain(&mut r);
        r.handle_request(6, request(1, Op::Get { key: "x".into() }));
        assert_eq!(
            drain(&mut r),
            vec![Output::Reply(Reply {
                id: RequestId {
                    client: ClientId(0),
                    seq: 1
                },
                value: None,
                ok: true
            })]
        );
        r.handle_message(
            7,
            ReplicaId(2),
            data(0, TobMessage::Ack { stamp, clock: 2 }),
        );
        assert!(drain(&mut r)
            .iter()
            .any(|o| matches!(o, Output::Commit(c) if c.at == 7)));
        assert_eq!(r.store().get("x").map(|v| &**v), Some("1"));
    }

    #[test]
    fn a_write_is_answered_only_when_committed() {
        let mut r = SequentialReplica::new(ReplicaId(0), 2, ChannelConfig::default());
        r.handle_request(
            0,
            request(
                0,
                Op::Put {
                    key: "x".into(),
                    value: "1".into(),
                },
            ),
        );
        assert!(!drain(&mut r).iter().any(|o| matches!(o, Output::Reply(_))));
        let stamp = Stamp {
            time: 1,
            replica: ReplicaId(0),
        };
        r.handle_message(
            4,
            ReplicaId(1),
            data(0, TobMessage::Ack { stamp, clock: 2 }),
        );
        let out = drain(&mut r);
        assert!(matches!(&out[0], Output::Commit(c) if c.value.as_deref() == Some("1")));
        assert!(matches!(&out[1], Output::Reply(reply) if reply.value.as_deref() == Some("1")));
    }

    #[test]
    fn concurrent_compare_and_sets_are_decided_at_commit_in_stamp_order() {
        // Both expect x absent. Every replica commits 1@r0 first, so its compare-and-set succeeds and
        // replica 1's, committed next, fails and sees 1: no update is lost.
        let mut r = SequentialReplica::new(ReplicaId(0), 2, ChannelConfig::default());
        let cas = |new: &str| Op::Cas {
            key: "x".into(),
            expected: None,
            new: new.into(),
        };
        r.handle_request(0, request(0, cas("1")));
        let theirs = Request {
            id: RequestId {
                client: ClientId(1),
                seq: 0,
            },
            op: cas("2"),
        };
        let (mine, other) = (
            Stamp {
                time: 1,
                replica: ReplicaId(0),
            },
            Stamp {
                time: 1,
                replica: ReplicaId(1),
            },
        );
        r.handle_message(
            3,
            ReplicaId(1),
            data(
                0,
                TobMessage::Multicast {
                    stamp: other,
                    payload: theirs,
                },
            ),
        );
        r.handle_message(
            4,
            ReplicaId(1),
            data(
                1,
                TobMessage::Ack {
                    stamp: mine,
                    clock: 2,
                },
            ),
        );
        let commits: Vec<(bool, Option<String>)> = drain(&mut r)
            .into_iter()
            .filter_map(|o| match o {
                Output::Commit(c) => Some((c.ok, c.value.as_deref().map(String::from))),
                _ => None,
            })
            .collect();
        assert_eq!(
            commits,
            [
                (true, Some("1".to_string())),
                (false, Some("1".to_string()))
            ]
        );
        assert_eq!(r.store().get("x").map(|v| &**v), Some("1"));
    }
}

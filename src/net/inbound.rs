//! A replica server's inbound side: accepting connections, telling peers from clients by their
//! [`Hello`], and turning their frames into the replica task's inputs; and writing answers back.
//!
//! Each connection is read by a task of its own, and everything read goes into one queue that the
//! replica task drains, so the replica sees one input at a time whatever the number of connections.

use tokio::io::{AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;

use super::frame::{read_frame, write_frame, FromReplica, Hello, LinkState, ToReplica};
use crate::ids::ReplicaId;
use crate::op::Request;
use crate::protocol::channel::Packet;
use crate::protocol::summary::{Clock, Summarize};
use crate::protocol::Model;

/// What the connections hand the replica task.
pub(super) enum Input<M> {
    Request {
        request: Request,
        answers: UnboundedSender<Answer>,
    },
    Packet {
        from: ReplicaId,
        packet: Packet<M>,
    },
    Status {
        answers: UnboundedSender<Answer>,
    },
    Shutdown {
        answers: UnboundedSender<Answer>,
    },
    Faults(LinkState),
    Crash {
        answers: UnboundedSender<Answer>,
    },
}

/// A frame for a client connection, and whom to tell once it is written.
pub(super) struct Answer {
    pub frame: FromReplica,
    pub written: Option<oneshot::Sender<()>>,
}

/// Accepts connections for ever, each handled by a task of its own.
pub(super) async fn accept<M>(
    listener: TcpListener,
    inputs: UnboundedSender<Input<M>>,
    model: Model,
    me: ReplicaId,
    replicas: usize,
) where
    M: serde::de::DeserializeOwned + Summarize + Send + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(handle_connection(
            stream,
            inputs.clone(),
            model,
            me,
            replicas,
        ));
    }
}

/// Reads one connection until it closes or sends something unreadable (the connection is then
/// dropped: a peer reconnects, and its channels resend what was lost).
async fn handle_connection<M>(
    stream: TcpStream,
    inputs: UnboundedSender<Input<M>>,
    model: Model,
    me: ReplicaId,
    replicas: usize,
) where
    M: serde::de::DeserializeOwned + Summarize + Send + 'static,
{
    let (read, write) = stream.into_split();
    let mut read = BufReader::new(read);
    match read_frame::<_, Hello>(&mut read).await {
        Ok(Some(Hello::Peer {
            from,
            model: theirs,
        })) if theirs == model && from != me && from.index() < replicas => {
            while let Ok(Some(packet)) = read_frame::<_, Packet<M>>(&mut read).await {
                if !fits(&packet, replicas) {
                    // Not from a peer of this cluster: drop the connection, as for garbage.
                    return;
                }
                if inputs.send(Input::Packet { from, packet }).is_err() {
                    return;
                }
            }
        }
        Ok(Some(Hello::Client)) => {
            let (answers, outgoing) = mpsc::unbounded_channel();
            tokio::spawn(write_answers(BufWriter::new(write), outgoing));
            while let Ok(Some(frame)) = read_frame::<_, ToReplica>(&mut read).await {
                let answers = answers.clone();
                let input = match frame {
                    ToReplica::Request(request) => Input::Request { request, answers },
                    ToReplica::Status => Input::Status { answers },
                    ToReplica::Shutdown => Input::Shutdown { answers },
                    ToReplica::Faults(state) => Input::Faults(state),
                    ToReplica::Crash => Input::Crash { answers },
                };
                if inputs.send(input).is_err() {
                    return;
                }
            }
        }
        // Another model's replica, or not a kvsim peer at all.
        _ => {}
    }
}

/// Writes a client connection's answers, flushing once nothing more is queued.
async fn write_answers<W>(mut out: W, mut answers: UnboundedReceiver<Answer>)
where
    W: tokio::io::AsyncWrite + Unpin,
{
    while let Some(first) = answers.recv().await {
        let mut batch = vec![first];
        while let Ok(next) = answers.try_recv() {
            batch.push(next);
        }
        let mut written = Vec::new();
        for answer in batch {
            if write_frame(&mut out, &answer.frame).await.is_err() {
                return;
            }
            written.extend(answer.written);
        }
        if out.flush().await.is_err() {
            return;
        }
        for done in written {
            let _ = done.send(());
        }
    }
}

/// Whether a packet fits a cluster of `replicas`: every replica it names is one of them, and a vector
/// clock has an entry for each. The protocols trust what their peers send — in the simulator they
/// are its own replicas — and index by those replicas; over a socket anyone can connect, so the
/// transport checks, as validation checks a scenario, before the protocol sees the packet.
fn fits<M: Summarize>(packet: &Packet<M>, replicas: usize) -> bool {
    let (_, summary) = packet.summary();
    let Some(summary) = summary else {
        return true;
    };
    let clock_fits = match &summary.clock {
        Clock::Vector(clock) => clock.replicas() == replicas,
        Clock::None | Clock::Lamport(_) => true,
    };
    summary.stamp.replica.index() < replicas && clock_fits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ClientId;
    use crate::op::RequestId;
    use crate::protocol::causal::CausalWrite;
    use crate::protocol::clocks::{Stamp, VectorClock};

    fn write(origin: u32, clock: usize) -> Packet<CausalWrite> {
        let msg = CausalWrite {
            stamp: Stamp {
                time: 1,
                replica: ReplicaId(origin),
            },
            deps: VectorClock::new(clock),
            request: RequestId {
                client: ClientId(0),
                seq: 0,
            },
            key: "x".into(),
            value: "1".into(),
        };
        Packet::Data { seq: 0, msg }
    }

    #[test]
    fn a_packet_naming_a_replica_the_cluster_lacks_does_not_fit() {
        assert!(fits(&write(2, 3), 3));
        assert!(!fits(&write(99, 3), 3), "a stamp from replica 99");
        assert!(!fits(&write(1, 0), 3), "a vector clock of no entries");
        assert!(!fits(&write(1, 4), 3), "a vector clock of four");
        assert!(fits(&Packet::<CausalWrite>::Ack { next: u64::MAX }, 3));
    }
}

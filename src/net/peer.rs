//! One replica's outgoing link to another: holds each packet until its release time, then writes it
//! as a frame, connecting (and reconnecting after a drop) as needed.
//!
//! The link is deliberately no more reliable than a lossy network: a packet released while there is no
//! connection, or whose write fails, is dropped. The replica's [channels](crate::protocol::channel)
//! already retransmit what is not acknowledged and drop duplicates, exactly as they do for the
//! simulator's lossy links, so this layer need not buffer, resend or remember anything across a
//! reconnection. Each direction of a pair of replicas has its own TCP connection: the sender's link
//! writes, the receiver's server reads.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedReceiver;

use super::frame::{write_frame, Hello};
use super::{Clock, NetError};
use crate::ids::{ReplicaId, Time};
use crate::protocol::channel::Packet;
use crate::protocol::Model;

/// How long a connection attempt may take before the packets waiting for it are dropped.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// After a failed attempt, how long to drop packets rather than try again: a replica that is down is
/// not asked once per retransmission burst.
const RECONNECT_PAUSE: Duration = Duration::from_millis(50);

/// A packet to send, and when to release it (a reading of the replica's [`Clock`]).
pub type Outgoing<M> = (Time, Packet<M>);

/// Where this link goes and who is sending.
#[derive(Clone, Copy, Debug)]
pub struct LinkEnds {
    pub me: ReplicaId,
    pub model: Model,
    pub addr: SocketAddr,
}

/// Runs the link until the replica drops its sending end: packets come in on `packets` in sending
/// order, are held until their release time, and written in release order (at equal times, in
/// sending order).
pub async fn run_link<M: Serialize>(
    ends: LinkEnds,
    clock: Clock,
    mut packets: UnboundedReceiver<Outgoing<M>>,
) {
    let mut held: BTreeMap<(Time, u64), Packet<M>> = BTreeMap::new();
    let mut arrived = 0u64;
    let mut conn = Connection::new(ends);
    loop {
        let next_release = held.first_key_value().map(|(&(at, _), _)| at);
        tokio::select! {
            packet = packets.recv() => match packet {
                Some((at, packet)) => {
                    held.insert((at, arrived), packet);
                    arrived += 1;
                    // Take whatever else is queued, so a burst is written with one flush.
                    while let Ok((at, packet)) = packets.try_recv() {
                        held.insert((at, arrived), packet);
                        arrived += 1;
                    }
                }
                None => return,
            },
            () = tokio::time::sleep_until(clock.instant(next_release.unwrap_or(0))),
                if next_release.is_some() => {}
        }
        let now = clock.now();
        let mut due = Vec::new();
        while let Some(entry) = held.first_entry() {
            if entry.key().0 > now {
                break;
            }
            due.push(entry.remove());
        }
        if !due.is_empty() {
            conn.send_all(&due).await;
        }
    }
}

/// The link's TCP connection, when it has one.
struct Connection {
    ends: LinkEnds,
    stream: Option<BufWriter<TcpStream>>,
    /// When the last failed attempt was, to pause before the next.
    failed_at: Option<tokio::time::Instant>,
}

impl Connection {
    fn new(ends: LinkEnds) -> Self {
        Connection {
            ends,
            stream: None,
            failed_at: None,
        }
    }

    /// Writes `packets` and flushes; on any failure they are lost, and the connection with them.
    async fn send_all<M: Serialize>(&mut self, packets: &[Packet<M>]) {
        if self.stream.is_none() && !self.connect().await {
            return;
        }
        let Some(stream) = &mut self.stream else {
            return;
        };
        let mut result = Ok(());
        for packet in packets {
            result = write_frame(stream, packet).await;
            if result.is_err() {
                break;
            }
        }
        if result.is_err() || stream.flush().await.is_err() {
            self.stream = None;
        }
    }

    /// Tries to connect and introduce itself; false if it could not (or paused after a failure).
    async fn connect(&mut self) -> bool {
        if let Some(failed_at) = self.failed_at {
            if failed_at.elapsed() < RECONNECT_PAUSE {
                return false;
            }
        }
        match tokio::time::timeout(CONNECT_TIMEOUT, self.open()).await {
            Ok(Ok(stream)) => {
                self.stream = Some(stream);
                self.failed_at = None;
                true
            }
            Ok(Err(_)) | Err(_) => {
                self.failed_at = Some(tokio::time::Instant::now());
                false
            }
        }
    }

    async fn open(&self) -> Result<BufWriter<TcpStream>, NetError> {
        let stream = TcpStream::connect(self.ends.addr).await?;
        stream.set_nodelay(true)?;
        let mut stream = BufWriter::new(stream);
        let hello = Hello::Peer {
            from: self.ends.me,
            model: self.ends.model,
        };
        write_frame(&mut stream, &hello).await?;
        Ok(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::frame::read_frame;
    use tokio::io::BufReader;
    use tokio::net::TcpListener;

    /// Accepts one connection and reads its hello and first packet.
    async fn accept_one(listener: &TcpListener) -> (TcpStream, Packet<u32>) {
        let (stream, _) = listener.accept().await.expect("the link connects");
        let mut read = BufReader::new(stream);
        let hello: Option<Hello> = read_frame(&mut read).await.expect("a hello");
        assert_eq!(
            hello,
            Some(Hello::Peer {
                from: ReplicaId(0),
                model: Model::Eventual
            })
        );
        let packet = read_frame(&mut read).await.expect("a packet");
        (read.into_inner(), packet.expect("not closed"))
    }

    #[test]
    fn a_link_reconnects_after_its_connection_drops() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime starts");
        runtime.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
            let ends = LinkEnds {
                me: ReplicaId(0),
                model: Model::Eventual,
                addr: listener.local_addr().expect("bound"),
            };
            let clock = Clock::starting_now();
            let (packets, received) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(run_link(ends, clock, received));
            packets
                .send((0, Packet::Data { seq: 0, msg: 7u32 }))
                .expect("sent");
            let (first, packet) = accept_one(&listener).await;
            assert_eq!(packet, Packet::Data { seq: 0, msg: 7 });
            drop(first);
            // Writes into the dropped connection fail (perhaps not the first: the kernel may take
            // one more); what they carried is lost, and the channels would resend it. Keep
            // sending until the link has reconnected.
            let again = async {
                for seq in 1.. {
                    packets
                        .send((clock.now(), Packet::Data { seq, msg: 8 }))
                        .expect("sent");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            };
            let (_, packet) = tokio::select! {
                accepted = accept_one(&listener) => accepted,
                () = again => unreachable!("the loop sends for ever"),
            };
            assert!(matches!(packet, Packet::Data { msg: 8, .. }));
        });
    }
}

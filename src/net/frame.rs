//! The wire format: length-prefixed frames of postcard-encoded serde values, and what each kind of
//! connection carries.
//!
//! ```text
//!   ┌──────────────┬────────────────────────────────────────────┐
//!   │ length: u32  │ postcard bytes of one value (length bytes) │
//!   │ big-endian   │                                            │
//!   └──────────────┴────────────────────────────────────────────┘
//! ```
//!
//! Every connection opens with a [`Hello`]: a peer names itself (replica `from`, running `model`), a
//! client says it is one. After that a peer connection carries the sender's channel
//! [`Packet`](crate::protocol::channel::Packet)s one way; a client connection carries [`ToReplica`]
//! frames one way and [`FromReplica`] frames the other.
//!
//! Why postcard rather than JSON lines: a totally-ordered multicast sends n² small packets per
//! operation, and postcard (varint integers, no field names) makes a multicast acknowledgement in its
//! channel packet 6 bytes instead of JSON's 58 (a test holds the figure), and costs far less to
//! encode and decode; it is a small, well-kept
//! serde format with a stable, documented wire specification (postcard 1.x). Why a length prefix:
//! postcard is not self-delimiting, and the prefix lets a reader refuse an absurd frame before it
//! allocates it. The one document that is JSON is a replica's final report, carried as text inside a
//! frame: it is the same document `kvsim replica --out` writes, so one reader serves both.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::NetError;
use crate::ids::ReplicaId;
use crate::op::{Reply, Request};
use crate::protocol::Model;

/// The largest frame a reader accepts, in bytes: far more than any packet or request needs (a
/// replica's report, the largest frame, is one JSON document of its committed order).
pub const MAX_FRAME: u32 = 256 << 20;

/// The first frame of every connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Hello {
    /// Replica `from`, running `model`, will send its channel packets on this connection.
    Peer { from: ReplicaId, model: Model },
    /// A client will send requests on this connection and read the answers.
    Client,
}

/// What a client sends a replica.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToReplica {
    /// An operation, answered by a [`FromReplica::Reply`] (perhaps after others' replies).
    Request(Request),
    /// How the replica stands: answered by a [`FromReplica::Status`].
    Status,
    /// Stop: answered by a [`FromReplica::Report`], after which the replica exits.
    Shutdown,
    /// The scenario's faults as they now stand for this replica's links (not answered).
    Faults(LinkState),
    /// Crash: save your state (to the file `kvsim replica --state` names) and stop, answering with a
    /// [`FromReplica::Report`] once it is saved. `kvsim cluster` restarts it from that state later.
    Crash,
}

/// What the faults leave of one replica's links: `kvsim cluster` sends each replica its own after
/// every fault of the scenario, and the replica drops what the simulator would lose.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkState {
    /// `cut_to[j]`: packets to replica `j` are lost.
    pub cut_to: Vec<bool>,
    /// `cut_from[j]`: packets from replica `j` are lost.
    pub cut_from: Vec<bool>,
}

/// What a replica sends a client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FromReplica {
    Reply(Reply),
    Status(Status),
    /// The replica's final report, as JSON ([`ReplicaReport`](super::ReplicaReport)).
    Report(String),
}

/// A replica's progress, for telling when a cluster has gone quiet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Messages sent that no acknowledgement has covered yet.
    pub unacknowledged: u64,
    /// Packets sent so far, of every kind.
    pub sent: u64,
    /// Operations committed so far.
    pub committed: u64,
}

/// Writes `value` as one frame (not flushed: the caller flushes once a batch is written).
pub async fn write_frame<W, T>(out: &mut W, value: &T) -> Result<(), NetError>
where
    W: AsyncWrite + Unpin,
    T: Serialize,
{
    let bytes = postcard::to_stdvec(value).map_err(NetError::Encode)?;
    let len = u32::try_from(bytes.len())
        .ok()
        .filter(|&len| len <= MAX_FRAME)
        .ok_or(NetError::FrameTooLarge(bytes.len() as u64))?;
    out.write_all(&len.to_be_bytes()).await?;
    out.write_all(&bytes).await?;
    Ok(())
}

/// Reads one frame; `Ok(None)` when the connection closed cleanly between frames.
pub async fn read_frame<R, T>(input: &mut R) -> Result<Option<T>, NetError>
where
    R: tokio::io::AsyncRead + Unpin,
    T: DeserializeOwned,
{
    let mut prefix = [0u8; 4];
    match input.read_exact(&mut prefix).await {
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(err) => return Err(err.into()),
    }
    let len = u32::from_be_bytes(prefix);
    if len > MAX_FRAME {
        return Err(NetError::FrameTooLarge(u64::from(len)));
    }
    // Grown as the bytes arrive rather than allocated from the prefix: a peer that announces a large
    // frame and sends little costs what it sent, not what it announced.
    let mut bytes = Vec::new();
    (&mut *input)
        .take(u64::from(len))
        .read_to_end(&mut bytes)
        .await?;
    if bytes.len() != len as usize {
        return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
    }
    postcard::from_bytes(&bytes)
        .map(Some)
        .map_err(NetError::Decode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ClientId;
    use crate::op::{Op, RequestId};
    use crate::protocol::channel::Packet;
    use crate::protocol::clocks::Stamp;
    use crate::protocol::tob::TobMessage;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime starts")
            .block_on(future)
    }

    #[test]
    fn frames_round_trip_back_to_back() {
        let request = Request {
            id: RequestId {
                client: ClientId(3),
                seq: 7,
            },
            op: Op::Cas {
                key: "x".into(),
                expected: None,
                new: "1".into(),
            },
        };
        let packet: Packet<TobMessage<Request>> = Packet::Data {
            seq: 9,
            msg: TobMessage::Multicast {
                stamp: Stamp {
                    time: 4,
                    replica: ReplicaId(2),
                },
                payload: request.clone(),
            },
        };
        let mut wire = Vec::new();
        block_on(async {
            write_frame(&mut wire, &ToReplica::Request(request.clone())).await?;
            write_frame(&mut wire, &packet).await
        })
        .expect("writing to memory works");
        let mut input = wire.as_slice();
        let (first, second, end) = block_on(async {
            let first: Option<ToReplica> = read_frame(&mut input).await?;
            let second: Option<Packet<TobMessage<Request>>> = read_frame(&mut input).await?;
            let end: Option<ToReplica> = read_frame(&mut input).await?;
            Ok::<_, NetError>((first, second, end))
        })
        .expect("the frames read back");
        assert_eq!(first, Some(ToReplica::Request(request)));
        assert_eq!(second, Some(packet));
        assert_eq!(end, None, "a clean close between frames is the end");
    }

    #[test]
    fn a_multicast_acknowledgement_is_a_few_bytes_on_the_wire() {
        let ack: Packet<TobMessage<Request>> = Packet::Data {
            seq: 5,
            msg: TobMessage::Ack {
                stamp: Stamp {
                    time: 3,
                    replica: ReplicaId(1),
                },
                clock: 4,
            },
        };
        let postcard = postcard::to_stdvec(&ack).expect("encodes");
        let json = serde_json::to_string(&ack).expect("encodes");
        assert_eq!((postcard.len(), json.len()), (6, 58), "{json}");
    }

    #[test]
    fn an_absurd_length_is_refused_before_it_is_allocated() {
        let wire = (MAX_FRAME + 1).to_be_bytes();
        let mut input = wire.as_slice();
        let read: Result<Option<ToReplica>, _> = block_on(read_frame(&mut input));
        assert!(matches!(read, Err(NetError::FrameTooLarge(_))));
    }

    #[test]
    fn a_frame_that_ends_before_its_length_is_an_error_not_a_wait_for_the_rest() {
        // Announces 1 MiB and sends three bytes, then the connection ends.
        let mut wire = (1u32 << 20).to_be_bytes().to_vec();
        wire.extend([1, 2, 3]);
        let mut input = wire.as_slice();
        let read: Result<Option<ToReplica>, _> = block_on(read_frame(&mut input));
        assert!(matches!(read, Err(NetError::Io(_))), "{read:?}");
    }
}

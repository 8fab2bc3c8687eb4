//! A client against real replicas: the sans-IO [`Client`] driven in real time, its requests sent over
//! TCP, and its history recorded as the checkers read it.
//!
//! A client's clock is the one its history is written in: `kvsim client` starts its own at 0, and
//! `kvsim cluster` gives all its clients the cluster's, so that their operations can be compared in
//! real time — which is what linearizability is about.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader, BufWriter};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::mpsc::{self, UnboundedReceiver};

use super::frame::{read_frame, write_frame, FromReplica, Hello, Status, ToReplica};
use super::{Clock, NetError, ReplicaReport};
use crate::client::{Client, ClientAction};
use crate::history::Operation;
use crate::ids::{ReplicaId, Time};
use crate::op::{OpKind, RequestId};

/// How long opening a connection to a replica may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A client connection to one replica. Frames are read by a task of its own, so that waiting for one
/// can be abandoned at a deadline without losing the stream's place.
pub struct ReplicaConnection {
    replica: ReplicaId,
    addr: SocketAddr,
    write: BufWriter<OwnedWriteHalf>,
    frames: UnboundedReceiver<FromReplica>,
}

impl ReplicaConnection {
    /// Connects to replica `replica` at `addr` and introduces itself as a client.
    pub async fn open(replica: ReplicaId, addr: SocketAddr) -> Result<Self, NetError> {
        let connect_error = |source| NetError::Connect {
            replica,
            addr,
            source,
        };
        let stream = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(stream) => stream.map_err(connect_error)?,
            Err(_) => return Err(connect_error(std::io::ErrorKind::TimedOut.into())),
        };
        stream.set_nodelay(true)?;
        let (read, write) = stream.into_split();
        let (frames, received) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut read = BufReader::new(read);
            while let Ok(Some(frame)) = read_frame::<_, FromReplica>(&mut read).await {
                if frames.send(frame).is_err() {
                    return;
                }
            }
        });
        let mut connection = ReplicaConnection {
            replica,
            addr,
            write: BufWriter::new(write),
            frames: received,
        };
        connection.send(&Hello::Client).await?;
        Ok(connection)
    }

    pub(super) async fn send<T: serde::Serialize>(&mut self, frame: &T) -> Result<(), NetError> {
        write_frame(&mut self.write, frame).await?;
        self.write.flush().await?;
        Ok(())
    }

    /// The next frame from the replica (cancel-safe).
    async fn receive(&mut self) -> Result<FromReplica, NetError> {
        self.frames.recv().await.ok_or(NetError::Closed {
            replica: self.replica,
            addr: self.addr,
        })
    }

    /// Asks how the replica stands; a replica that does not answer within [`CONTROL_TIMEOUT`] is
    /// an error, so that a stopped or wedged replica cannot hang its cluster.
    pub async fn status(&mut self) -> Result<Status, NetError> {
        let what = format!("replica {}'s answer to a status request", self.replica);
        within(CONTROL_TIMEOUT, what, self.ask_status()).await
    }

    async fn ask_status(&mut self) -> Result<Status, NetError> {
        self.send(&ToReplica::Status).await?;
        loop {
            match self.receive().await? {
                FromReplica::Status(status) => return Ok(status),
                // A late answer to an operation this connection gave up on.
                FromReplica::Reply(_) => continue,
                FromReplica::Report(_) => return Err(self.unexpected("a status")),
            }
        }
    }

    /// Stops the replica and returns its report.
    pub async fn shutdown(&mut self) -> Result<ReplicaReport, NetError> {
        self.stop(ToReplica::Shutdown).await
    }

    /// Crashes the replica: it saves its state and stops, and this returns its report so far.
    pub async fn crash(&mut self) -> Result<ReplicaReport, NetError> {
        self.stop(ToReplica::Crash).await
    }

    /// Asks the replica to stop, and waits at most [`CONTROL_TIMEOUT`] for its report.
    async fn stop(&mut self, how: ToReplica) -> Result<ReplicaReport, NetError> {
        let what = format!("replica {}'s report as it stopped", self.replica);
        within(CONTROL_TIMEOUT, what, self.ask_report(how)).await
    }

    async fn ask_report(&mut self, how: ToReplica) -> Result<ReplicaReport, NetError> {
        self.send(&how).await?;
        loop {
            match self.receive().await? {
                FromReplica::Report(json) => {
                    return serde_json::from_str(&json).map_err(|source| NetError::Report {
                        replica: self.replica,
                        source,
                    })
                }
                FromReplica::Reply(_) => continue,
                FromReplica::Status(_) => return Err(self.unexpected("a report")),
            }
        }
    }

    fn unexpected(&self, expected: &'static str) -> NetError {
        NetError::Unexpected {
            replica: self.replica,
            expected,
        }
    }
}

/// How long a replica may take to answer a control request (a status, or its report as it stops):
/// it answers at once unless it is stopped or wedged, and then the cluster must not wait for ever.
pub const CONTROL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// `work`, or [`NetError::TimedOut`] naming `what` if it takes longer than `limit`.
async fn within<T>(
    limit: std::time::Duration,
    what: String,
    work: impl std::future::Future<Output = Result<T, NetError>>,
) -> Result<T, NetError> {
    match tokio::time::timeout(limit, work).await {
        Ok(result) => result,
        Err(_) => Err(NetError::TimedOut {
            what,
            ms: limit.as_millis() as u64,
        }),
    }
}

/// What one client did.
#[derive(Clone, Debug, Default)]
pub struct ClientRecord {
    /// Its operations, in the order it invoked them.
    pub history: Vec<Operation>,
    /// Answers that came after it had given up on their operation.
    pub answered_late: usize,
    /// The kind and latency of each operation answered in time, in microseconds: finer than the
    /// history's milliseconds, for benchmarks on a fast network.
    pub latencies_us: Vec<(OpKind, u64)>,
}

/// Runs `client` from time `start` against the replicas at `addrs` (by id) until its script is done.
/// A replica that cannot be reached or drops the connection is an error, unless the client has a
/// timeout: then the operation is given up on at its deadline, as a real client would.
pub async fn run_client(
    mut client: Client,
    start: Time,
    addrs: &[SocketAddr],
    clock: Clock,
) -> Result<ClientRecord, NetError> {
    let mut connections: Vec<Option<ReplicaConnection>> = addrs.iter().map(|_| None).collect();
    let mut record = ClientRecord::default();
    tokio::time::sleep_until(clock.instant(start)).await;
    client.handle_wake(clock.now());
    while let Some(action) = client.poll_action() {
        match action {
            ClientAction::WakeAt(at) => {
                tokio::time::sleep_until(clock.instant(at)).await;
                client.handle_wake(clock.now());
            }
            ClientAction::Invoke {
                replica,
                request,
                deadline,
            } => {
                let id = request.id;
                let mut op = Operation::invoked(id.client, replica, &request.op, clock.now());
                let invoked = std::time::Instant::now();
                let slot = &mut connections[replica.index()];
                let answer = async {
                    if slot.is_none() {
                        *slot =
                            Some(ReplicaConnection::open(replica, addrs[replica.index()]).await?);
                    }
                    let connection = slot.as_mut().expect("opened above");
                    connection.send(&ToReplica::Request(request)).await?;
                    wait_for_reply(connection, id, &mut record.answered_late).await
                };
                let answer = match deadline {
                    Some(deadline) => {
                        tokio::time::timeout_at(clock.instant(deadline), answer).await
                    }
                    None => Ok(answer.await),
                };
                match answer {
                    Ok(Ok(reply)) => {
                        record
                            .latencies_us
                            .push((op.op, invoked.elapsed().as_micros() as u64));
                        let now = clock.now();
                        op.answer(now, &reply);
                        client.handle_reply(now, &reply);
                    }
                    Ok(Err(err)) => {
                        connections[replica.index()] = None;
                        let Some(deadline) = deadline else {
                            return Err(err);
                        };
                        tokio::time::sleep_until(clock.instant(deadline)).await;
                        op.gave_up_at = Some(clock.now());
                        client.handle_timeout(clock.now(), id);
                    }
                    Err(_elapsed) => {
                        // The wait may have been cut mid-frame: start afresh next time.
                        connections[replica.index()] = None;
                        op.gave_up_at = Some(clock.now());
                        client.handle_timeout(clock.now(), id);
                    }
                }
                record.history.push(op);
            }
        }
    }
    Ok(record)
}

/// Reads answers until the one to `id`; earlier ones are late answers to operations given up on.
async fn wait_for_reply(
    connection: &mut ReplicaConnection,
    id: RequestId,
    answered_late: &mut usize,
) -> Result<crate::op::Reply, NetError> {
    loop {
        match connection.receive().await? {
            FromReplica::Reply(reply) if reply.id == id => return Ok(reply),
            FromReplica::Reply(_) => *answered_late += 1,
            FromReplica::Status(_) | FromReplica::Report(_) => {
                return Err(connection.unexpected("a reply"))
            }
        }
    }
}

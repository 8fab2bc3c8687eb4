//! The real transport: the same sans-IO replicas and clients, over TCP between processes, in real
//! time.
//!
//! The simulator drives replicas from an event queue with simulated time; this module drives the very
//! same [`Replica`](crate::protocol::Replica) and [`Client`](crate::client::Client) state machines
//! through the same `handle_*`/`poll_*` calls, from sockets and timers, with the time in milliseconds
//! since the process (or the cluster) started. Nothing in `protocol/` knows which one drives it.
//!
//! ```text
//!   kvsim cluster ──spawns──► kvsim replica 0 ◄──TCP──► kvsim replica 1 ◄──TCP──► kvsim replica 2
//!        │                         ▲    each peer link: delay hold (seeded, per link) → frames
//!        └─ clients (tasks) ──TCP──┘    each client: the sans-IO Client, real deadlines
//! ```
//!
//! # Layout
//!
//! - [`frame`]: the wire format (length-prefixed postcard frames) and what each connection carries.
//! - [`delay`]: a scenario's network delays applied for real: each link holds a packet for its drawn
//!   delay, from a seeded random stream of its own.
//! - [`peer`]: one outgoing link to another replica: hold, connect, reconnect after a drop, write.
//! - [`replica_server`]: one replica as a TCP server (`kvsim replica`); `inbound`: its accepting and
//!   reading side.
//! - [`saved`]: a crashed replica's saved state, from which its restarted process goes on.
//! - [`client`]: a scripted client against real replicas (`kvsim client`, and `kvsim cluster`'s
//!   clients), recording the history the checkers judge.
//! - [`faults`]: a scenario's partitions and crashes applied for real, at their times.
//! - [`replicas`]: a cluster's replica processes, started, crashed, restarted, asked and stopped.
//! - [`children`]: child processes that die with their parent, whatever kills it.
//! - [`cluster`]: a whole scenario for real (`kvsim cluster`): replicas as child processes, clients,
//!   quiescence, and the [`Run`](crate::run::Run) the report and checkers take.
//! - [`compare`]: where the real run differed from the simulated run of the same scenario.
//!
//! Real runs are not deterministic: thread scheduling, socket buffers and timer jitter decide the
//! interleaving, so the same scenario can give another history each time. What must not change is
//! that each model keeps its own guarantee, which the same checkers judge.

pub mod children;
pub mod client;
pub mod cluster;
pub mod compare;
pub mod delay;
pub mod faults;
pub mod frame;
mod inbound;
pub mod peer;
pub mod replica_server;
pub mod replicas;
pub mod saved;
pub mod signals;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::ids::{ReplicaId, Time};
use crate::protocol::{CommitEntry, Model, Store};

/// What can go wrong on the real transport.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("cannot encode a frame: {0}")]
    Encode(postcard::Error),
    #[error("cannot decode a frame: {0}")]
    Decode(postcard::Error),
    #[error("a frame of {0} bytes is larger than the most a reader accepts")]
    FrameTooLarge(u64),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot connect to replica {replica} at {addr}: {source}")]
    Connect {
        replica: ReplicaId,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("replica {replica} at {addr} closed the connection")]
    Closed {
        replica: ReplicaId,
        addr: SocketAddr,
    },
    #[error("replica {replica} answered with something else than {expected}")]
    Unexpected {
        replica: ReplicaId,
        expected: &'static str,
    },
    #[error("replica {replica}'s report cannot be read: {source}")]
    Report {
        replica: ReplicaId,
        source: serde_json::Error,
    },
    #[error("{what} did not happen within {ms} ms")]
    TimedOut { what: String, ms: u64 },
    #[error("cannot start replica {replica}: {source}")]
    Spawn {
        replica: ReplicaId,
        source: std::io::Error,
    },
    #[error("replica {replica} exited early ({status})")]
    ChildExited {
        replica: ReplicaId,
        status: std::process::ExitStatus,
    },
    #[error("{}: cannot save or restore the replica's state: {source}", path.display())]
    State {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("interrupted by {0}")]
    Interrupted(&'static str),
}

/// A replica's account of itself when it stops: what `kvsim replica` prints and writes, and what it
/// sends `kvsim cluster` in answer to a shutdown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaReport {
    pub id: ReplicaId,
    pub model: Model,
    /// The operations it applied, in the order it applied them, with real times (ms since its clock's
    /// start).
    pub committed: Vec<CommitEntry>,
    pub store: Store,
    /// Messages it sent that no acknowledgement had covered when it stopped.
    pub unacknowledged: u64,
    /// Packets it sent: all of them, and of those the channels' acknowledgements and retransmissions.
    pub messages: u64,
    pub acks: u64,
    pub retransmitted: u64,
    /// Packets it dropped because of the scenario's faults: sent across a cut, arriving across one,
    /// or arriving while it was crashed.
    #[serde(default)]
    pub dropped: u64,
    /// Its clock's reading when it stopped.
    pub stopped_at: Time,
}

/// The wall clock, in ms since the Unix epoch (0 if the system clock is set before it).
pub fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

/// Real time as the state machines see it: whole milliseconds since an origin.
///
/// The origin may lie before this process started (`kvsim cluster` gives its replicas its own start,
/// so that commit times and history times are on one clock); readings never go backwards, because
/// they count from a monotonic [`Instant`].
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: Instant,
    /// The reading at `start`.
    offset: Time,
}

impl Clock {
    /// A clock that reads 0 now.
    pub fn starting_now() -> Self {
        Clock {
            start: Instant::now(),
            offset: 0,
        }
    }

    /// A clock that reads `offset` now.
    pub fn reading(offset: Time) -> Self {
        Clock {
            start: Instant::now(),
            offset,
        }
    }

    /// A clock whose origin is `origin`, in ms since the Unix epoch: how `kvsim cluster` puts its
    /// replicas on its own clock. Only the offset comes from the wall clock; readings then advance
    /// monotonically.
    pub fn from_unix_origin(origin: u64) -> Self {
        Clock::reading(unix_ms().saturating_sub(origin))
    }

    /// Milliseconds since the origin.
    pub fn now(&self) -> Time {
        self.offset + self.start.elapsed().as_millis() as Time
    }

    /// The instant at which the clock reads `at` (at once, if it already does).
    pub fn instant(&self, at: Time) -> tokio::time::Instant {
        let since_start = Duration::from_millis(at.saturating_sub(self.offset));
        tokio::time::Instant::from_std(self.start + since_start)
    }
}

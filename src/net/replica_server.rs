//! One replica as a TCP server (`kvsim replica`): the unchanged sans-IO replica of `protocol/`,
//! driven from sockets and a timer in real time.
//!
//! One task owns the replica and is the only one that touches it, so the state machine needs no lock
//! and sees its inputs one at a time, as in the simulator:
//!
//! ```text
//!   peer connections ──Packet──┐                              ┌─► link to each peer (peer.rs)
//!   client connections ─Request┼─► inputs ─► replica task ────┼─► replies to the client's connection
//!   timer (poll_timeout) ──────┘   (mpsc)    handle_*; then   └─► committed order
//!                                            poll_output until None, then poll_timeout
//! ```
//!
//! The call order is the engine's: one `handle_*` call, then `poll_output` until it returns `None`,
//! then `poll_timeout` for the next timer. A reply goes to the connection its request last came in
//! on. The server stops on a `Shutdown` frame, Ctrl-C or SIGTERM, and returns its
//! [`ReplicaReport`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;

use super::delay::LinkDelays;
use super::frame::{FromReplica, LinkState, Status};
use super::inbound::{accept, Answer, Input};
use super::peer::{run_link, LinkEnds, Outgoing};
use super::signals::Signals;
use super::{saved, Clock, NetError, ReplicaReport};
use crate::ids::{ClientId, ReplicaId};
use crate::protocol::causal::CausalReplica;
use crate::protocol::channel::ChannelConfig;
use crate::protocol::eventual::EventualReplica;
use crate::protocol::linearizable::LinearizableReplica;
use crate::protocol::sequential::SequentialReplica;
use crate::protocol::{Model, Output, Replica, Traffic};
use crate::sim::network::Network;

/// How long a stopping server waits for its report to be written to whoever asked for it.
const REPORT_GRACE: Duration = Duration::from_secs(2);

/// Everything a replica server needs to know.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub model: Model,
    pub id: ReplicaId,
    pub listen: SocketAddr,
    /// Every replica's address, by id (this one's own entry is not used).
    pub peers: Vec<SocketAddr>,
    pub channels: ChannelConfig,
    /// The network whose delays to apply, and the seed to draw them from; `None`: send at once.
    pub delays: Option<(Network, u64)>,
    pub clock: Clock,
    /// Where to save the replica's state when it is told to crash (see [`saved`]).
    pub state: Option<PathBuf>,
    /// Whether to start from the state saved there rather than afresh.
    pub restore: bool,
}

/// Runs the server on a runtime of its own until it is stopped, and returns its report.
pub fn serve_blocking(options: ServerOptions) -> Result<ReplicaReport, NetError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(options))
}

/// Runs the server until it is stopped, and returns its report.
pub async fn serve(options: ServerOptions) -> Result<ReplicaReport, NetError> {
    match options.model {
        Model::Linearizable => serve_model::<LinearizableReplica>(options).await,
        Model::Sequential => serve_model::<SequentialReplica>(options).await,
        Model::Causal => serve_model::<CausalReplica>(options).await,
        Model::Eventual => serve_model::<EventualReplica>(options).await,
    }
}

/// Why the replica task stopped, and whom its report goes to.
enum Stopped {
    Asked(UnboundedSender<Answer>),
    /// Told to crash: save the state, then answer.
    Crashed(UnboundedSender<Answer>),
    Signal,
}

async fn serve_model<R>(options: ServerOptions) -> Result<ReplicaReport, NetError>
where
    R: Replica + Serialize + DeserializeOwned,
    R::Message: Send + Sync + 'static,
{
    let restored = match (&options.state, options.restore) {
        (Some(path), true) => Some(saved::load::<R>(path)?),
        _ => None,
    };
    let listener = TcpListener::bind(options.listen)
        .await
        .map_err(|source| NetError::Listen {
            addr: options.listen,
            source,
        })?;
    let (inputs, mut received) = mpsc::unbounded_channel();
    let replicas = options.peers.len();
    tokio::spawn(accept::<R::Message>(
        listener,
        inputs,
        options.model,
        options.id,
        replicas,
    ));
    let mut links = Vec::new();
    for (i, &addr) in options.peers.iter().enumerate() {
        let to = ReplicaId(i as u32);
        if to == options.id {
            links.push(None);
            continue;
        }
        let (sender, packets) = mpsc::unbounded_channel();
        let ends = LinkEnds {
            me: options.id,
            model: options.model,
            addr,
        };
        tokio::spawn(run_link(ends, options.clock, packets));
        links.push(Some(sender));
    }
    let (replica, report) = match restored {
        Some((replica, report)) => (replica, report),
        None => (
            R::new(options.id, replicas, options.channels),
            ReplicaReport {
                id: options.id,
                model: options.model,
                committed: Vec::new(),
                store: Default::default(),
                unacknowledged: 0,
                messages: 0,
                acks: 0,
                retransmitted: 0,
                dropped: 0,
                stopped_at: 0,
            },
        ),
    };
    let mut task = ReplicaTask {
        replica,
        clock: options.clock,
        delays: options
            .delays
            .map(|(network, seed)| LinkDelays::new(options.id, replicas, network, seed)),
        links,
        routes: BTreeMap::new(),
        faults: LinkState {
            cut_to: vec![false; replicas],
            cut_from: vec![false; replicas],
        },
        report,
    };
    let stopped = task.run(&mut received).await;
    let report = task.report();
    let answers = match stopped {
        Stopped::Asked(answers) => Some(answers),
        Stopped::Crashed(answers) => {
            if let Some(path) = &options.state {
                saved::save(path, &task.replica, &report)?;
            }
            Some(answers)
        }
        Stopped::Signal => None,
    };
    if let Some(answers) = answers {
        let json = serde_json::to_string(&report).expect("a report serializes");
        let (written, done) = oneshot::channel();
        let answer = Answer {
            frame: FromReplica::Report(json),
            written: Some(written),
        };
        if answers.send(answer).is_ok() {
            let _ = tokio::time::timeout(REPORT_GRACE, done).await;
        }
    }
    Ok(report)
}

/// The task that owns the replica.
struct ReplicaTask<R: Replica> {
    replica: R,
    clock: Clock,
    delays: Option<LinkDelays>,
    links: Vec<Option<UnboundedSender<Outgoing<R::Message>>>>,
    /// For each client, the connection its last request came in on.
    routes: BTreeMap<ClientId, UnboundedSender<Answer>>,
    /// What the scenario's faults leave of this replica's links (nothing cut, unless `kvsim
    /// cluster` says otherwise).
    faults: LinkState,
    /// The committed order and counts so far (its store is filled in by [`Self::report`]).
    report: ReplicaReport,
}

impl<R: Replica> ReplicaTask<R> {
    async fn run(&mut self, inputs: &mut UnboundedReceiver<Input<R::Message>>) -> Stopped {
        // Ctrl-C or SIGTERM stops the server as a `Shutdown` would.
        let mut terminate = Signals::register();
        loop {
            let timer = self.replica.poll_timeout();
            let input = tokio::select! {
                input = inputs.recv() => input,
                () = tokio::time::sleep_until(self.clock.instant(timer.unwrap_or(0))),
                    if timer.is_some() => {
                    let now = self.clock.now().max(timer.unwrap_or(0));
                    self.replica.handle_timeout(now);
                    self.drain(now);
                    continue;
                }
                _ = terminate.recv() => return Stopped::Signal,
            };
            let now = self.clock.now();
            match input {
                // Every connection's sender is alive as long as the accept task is.
                None => return Stopped::Signal,
                Some(Input::Request { request, answers }) => {
                    self.routes.insert(request.id.client, answers);
                    self.replica.handle_request(now, request);
                }
                Some(Input::Packet { from, .. })
                    if self.faults.cut_from.get(from.index()) == Some(&true) =>
                {
                    self.report.dropped += 1;
                    continue;
                }
                Some(Input::Packet { from, packet }) => {
                    self.replica.handle_message(now, from, packet);
                }
                Some(Input::Faults(state)) => {
                    self.faults = state;
                    continue;
                }
                Some(Input::Status { answers }) => {
                    let status = Status {
                        unacknowledged: self.replica.unacknowledged() as u64,
                        sent: self.report.messages,
                        committed: self.report.committed.len() as u64,
                    };
                    let _ = answers.send(Answer {
                        frame: FromReplica::Status(status),
                        written: None,
                    });
                }
                Some(Input::Shutdown { answers }) => return Stopped::Asked(answers),
                Some(Input::Crash { answers }) => return Stopped::Crashed(answers),
            }
            self.drain(now);
        }
    }

    /// Carries out everything the last input caused.
    fn drain(&mut self, now: u64) {
        while let Some(output) = self.replica.poll_output() {
            match output {
                Output::Send { to, msg, traffic } => {
                    self.report.messages += 1;
                    match traffic {
                        Traffic::Data => {}
                        Traffic::Ack => self.report.acks += 1,
                        Traffic::Retransmission => self.report.retransmitted += 1,
                    }
                    if self.faults.cut_to.get(to.index()) == Some(&true) {
                        self.report.dropped += 1;
                        continue;
                    }
                    let at = match &mut self.delays {
                        Some(delays) => delays.release(now, to, traffic),
                        None => now,
                    };
                    if let Some(Some(link)) = self.links.get(to.index()) {
                        let _ = link.send((at, msg));
                    }
                }
                Output::Reply(reply) => {
                    if let Some(answers) = self.routes.get(&reply.id.client) {
                        let _ = answers.send(Answer {
                            frame: FromReplica::Reply(reply),
                            written: None,
                        });
                    }
                }
                Output::Commit(entry) => self.report.committed.push(entry),
                // Explanations are only made when asked for, and a server never asks.
                Output::Note(_) => {}
            }
        }
    }

    /// The report as things stand.
    fn report(&self) -> ReplicaReport {
        ReplicaReport {
            store: self.replica.store(),
            unacknowledged: self.replica.unacknowledged() as u64,
            stopped_at: self.clock.now(),
            ..self.report.clone()
        }
    }
}

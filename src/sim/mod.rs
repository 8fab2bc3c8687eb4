//! The engine: a deterministic discrete-event simulation that drives replicas and clients.
//!
//! The engine owns everything that is not protocol: the event queue, the simulated network, and the
//! random number generators. Replicas and clients are sans-IO state machines; the engine hands each
//! event to the one it is for, then turns what that machine asks for into new events:
//!
//! ```text
//!   Wake(client) ──────► client ── Invoke ──► RequestArrives(replica)   after a client hop delay
//!                                └─ WakeAt ─► Wake(client)              after a sleep
//!   RequestArrives ─┬──► replica ── Send ───► MessageArrives(to)        after a link delay
//!   MessageArrives ─┘            ├─ Reply ──► ReplyArrives(client)      after a client hop delay
//!                                └─ Commit ─► the replica's committed order
//!   ReplyArrives ──────► client (and the history records the answer)
//! ```
//!
//! Determinism: events are ordered by (time, insertion sequence); all randomness comes from
//! [`ChaCha8Rng`]s seeded from the scenario's seed, one stream for network delays and one for the
//! generated workload, so that changing a workload does not reshuffle every network delay and vice
//! versa. The engine draws from them in event order, which the first rule fixes.

pub mod network;
pub mod queue;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::client::{Client, ClientAction};
use crate::history::{History, Operation};
use crate::ids::{ClientId, ReplicaId, Time};
use crate::op::{Op, Reply, Request};
use crate::protocol::causal::CausalReplica;
use crate::protocol::eventual::EventualReplica;
use crate::protocol::linearizable::LinearizableReplica;
use crate::protocol::sequential::SequentialReplica;
use crate::protocol::{CommitEntry, Model, Output, Replica};
use crate::run::{ReplicaRun, Run, Stats, Stop};
use crate::scenario::{Config, Limits};
use network::{Delay, Network};
use queue::EventQueue;

/// The most events that may wait in the queue at once. Each message in flight is an event, and the
/// totally-ordered multicast sends n² messages per operation, so a large cluster with many clients can
/// have millions in flight; past this the run stops rather than exhaust memory.
pub const MAX_PENDING_EVENTS: usize = 10_000_000;

/// The random stream for network delays.
const NETWORK_STREAM: u64 = 0;
/// The random stream for generated workloads.
const WORKLOAD_STREAM: u64 = 1;

/// A ChaCha8 generator for one purpose: the seed picks the key, the stream number the purpose.
fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// What a run keeps besides the history, stores and statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// Every replica's committed order, as traces show it.
    Everything,
    /// No committed orders (they stay empty): all the checkers need, for sweeps that only want
    /// verdicts.
    VerdictsOnly,
}

/// Runs the scenario under one model, from `config.seed`, recording everything.
pub fn simulate(config: &Config, model: Model) -> Run {
    simulate_recording(config, model, Record::Everything)
}

/// Runs the scenario under one model, from `config.seed`, recording what `record` asks for.
pub fn simulate_recording(config: &Config, model: Model, record: Record) -> Run {
    match model {
        Model::Linearizable => Simulation::<LinearizableReplica>::new(config, record).run(model),
        Model::Sequential => Simulation::<SequentialReplica>::new(config, record).run(model),
        Model::Causal => Simulation::<CausalReplica>::new(config, record).run(model),
        Model::Eventual => Simulation::<EventualReplica>::new(config, record).run(model),
    }
}

/// Something that happens at an instant of simulated time.
#[derive(Debug)]
enum Event<M> {
    /// A client starts, or finishes a sleep.
    Wake(ClientId),
    /// A client's request reaches a replica.
    RequestArrives {
        replica: ReplicaId,
        request: Request,
    },
    /// A replica's reply reaches its client.
    ReplyArrives(Reply),
    /// A message between replicas arrives.
    MessageArrives {
        from: ReplicaId,
        to: ReplicaId,
        msg: M,
    },
}

/// One run in progress.
struct Simulation<R: Replica> {
    queue: EventQueue<Event<R::Message>>,
    network: Network,
    client_delay: Delay,
    network_rng: ChaCha8Rng,
    limits: Limits,
    replicas: Vec<R>,
    committed: Vec<Vec<CommitEntry>>,
    record: Record,
    clients: Vec<Client>,
    history: History,
    /// For each client, the index in `history` of its operation awaiting a reply.
    outstanding: Vec<Option<usize>>,
    messages: u64,
    events: u64,
}

impl<R: Replica> Simulation<R> {
    fn new(config: &Config, record: Record) -> Self {
        let n = config.replicas;
        let net = &config.network;
        let mut queue = EventQueue::default();
        let mut clients = Vec::new();
        for (i, spec) in config.clients.iter().enumerate() {
            let id = ClientId(i as u32);
            clients.push(Client::new(id, spec.home, spec.steps.clone()));
            queue.push(spec.start, Event::Wake(id));
        }
        if let Some(workload) = &config.workload {
            let mut workload_rng = rng(config.seed, WORKLOAD_STREAM);
            for (id, home, steps) in workload.generate(clients.len() as u32, n, &mut workload_rng) {
                clients.push(Client::new(id, home, steps));
                queue.push(0, Event::Wake(id));
            }
        }
        Simulation {
            queue,
            network: Network::new(n, net.delay, net.fifo, &net.links),
            client_delay: net.client_delay,
            network_rng: rng(config.seed, NETWORK_STREAM),
            limits: config.limits,
            replicas: ReplicaId::all(n).map(|id| R::new(id, n)).collect(),
            committed: vec![Vec::new(); n],
            record,
            outstanding: vec![None; clients.len()],
            clients,
            history: History::new(),
            messages: 0,
            events: 0,
        }
    }

    /// Processes events until none is left or a limit is reached.
    fn run(mut self, model: Model) -> Run {
        let mut now = 0;
        let stopped = loop {
            let Some(next) = self.queue.peek_time() else {
                break Stop::Idle;
            };
            if next > self.limits.time {
                break Stop::TimeLimit;
            }
            if self.events >= self.limits.events {
                break Stop::EventLimit;
            }
            if self.queue.len() > MAX_PENDING_EVENTS {
                break Stop::QueueLimit;
            }
            let Some((time, event)) = self.queue.pop() else {
                break Stop::Idle;
            };
            now = time;
            self.events += 1;
            self.handle(now, event);
        };
        let stats = Stats::new(&self.history, self.messages, self.events, now, stopped);
        let replicas = self
            .replicas
            .iter()
            .zip(self.committed)
            .enumerate()
            .map(|(i, (replica, committed))| ReplicaRun {
                id: ReplicaId(i as u32),
                committed,
                store: replica.store(),
            })
            .collect();
        Run {
            model,
            replicas,
            history: self.history,
            stats,
        }
    }

    fn handle(&mut self, now: Time, event: Event<R::Message>) {
        match event {
            Event::Wake(client) => {
                self.clients[client.index()].handle_wake(now);
                self.drain_client(now, client);
            }
            Event::RequestArrives { replica, request } => {
                self.replicas[replica.index()].handle_request(now, request);
                self.drain_replica(now, replica);
            }
            Event::MessageArrives { from, to, msg } => {
                self.replicas[to.index()].handle_message(now, from, msg);
                self.drain_replica(now, to);
            }
            Event::ReplyArrives(reply) => {
                let client = reply.id.client;
                if let Some(index) = self.outstanding[client.index()].take() {
                    let op = &mut self.history[index];
                    op.returned_at = Some(now);
                    op.value = reply.value.clone();
                }
                self.clients[client.index()].handle_reply(now, &reply);
                self.drain_client(now, client);
            }
        }
    }

    fn drain_client(&mut self, now: Time, id: ClientId) {
        while let Some(action) = self.clients[id.index()].poll_action() {
            match action {
                ClientAction::WakeAt(at) => self.queue.push(at, Event::Wake(id)),
                ClientAction::Invoke { replica, request } => {
                    let written = match &request.op {
                        Op::Put { value, .. } => Some(value.clone()),
                        Op::Get { .. } => None,
                    };
                    self.outstanding[id.index()] = Some(self.history.len());
                    self.history.push(Operation {
                        client: id,
                        replica,
                        op: request.op.kind(),
                        key: request.op.key().clone(),
                        value: written,
                        invoked_at: now,
                        returned_at: None,
                    });
                    let at = now.saturating_add(self.client_delay.sample(&mut self.network_rng));
                    self.queue
                        .push(at, Event::RequestArrives { replica, request });
                }
            }
        }
    }

    fn drain_replica(&mut self, now: Time, id: ReplicaId) {
        while let Some(output) = self.replicas[id.index()].poll_output() {
            match output {
                Output::Send { to, msg } => {
                    self.messages += 1;
                    let at = self.network.arrival(now, id, to, &mut self.network_rng);
                    self.queue
                        .push(at, Event::MessageArrives { from: id, to, msg });
                }
                Output::Reply(reply) => {
                    let at = now.saturating_add(self.client_delay.sample(&mut self.network_rng));
                    self.queue.push(at, Event::ReplyArrives(reply));
                }
                Output::Commit(entry) => {
                    if self.record == Record::Everything {
                        self.committed[id.index()].push(entry);
                    }
                }
            }
        }
    }
}

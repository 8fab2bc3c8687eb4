//! The engine: a deterministic discrete-event simulation that drives replicas and clients.
//!
//! The engine owns everything that is not protocol: the event queue, the simulated network, the
//! faults, and the random number generators. Replicas and clients are sans-IO state machines; the
//! engine hands each event to the one it is for, then turns what that machine asks for into new events:
//!
//! ```text
//!   Wake(client) ──────► client ── Invoke ──► RequestArrives(replica)   after a client hop delay
//!                                │          └► GiveUp(client)            at the client's deadline
//!                                └─ WakeAt ─► Wake(client)              after a sleep
//!   RequestArrives ─┐            ┌─ Send ───► MessageArrives(to)        after a link delay
//!   MessageArrives ─┼──► replica ┼─ Reply ──► ReplyArrives(client)      after a client hop delay
//!   Timer(replica) ─┘            ├─ Commit ─► the replica's committed order
//!                                └─ poll_timeout ─► Timer(replica)
//!   ReplyArrives ──────► client (and the history records the answer)
//!   GiveUp ────────────► client (and the history records that it gave up)
//!   Fault ─────────────► which links are cut and which replicas are down
//! ```
//!
//! A message is lost when the network's `drop` says so, or when its link is cut or its destination is
//! down at the moment it is sent or at the moment it would arrive (see [`fault`]).
//!
//! How a run ends ([`Stop`]): at a limit, or when it can go no further. A run with no event left is
//! *idle* only if it is finished — every client finished, and every message arrived and was
//! acknowledged. If not, it is *stalled*: a replica that crashed for good still holds messages no one
//! acknowledged (a crashed replica's timers are discarded unseen, so it is its channels that tell),
//! or a client waits for an answer to a request lost to a crashed replica. A run also stalls, with
//! events still queued, when all that is left is retransmissions that can only be lost again.
//!
//! Determinism: events are ordered by (time, insertion sequence); all randomness comes from
//! [`ChaCha8Rng`]s seeded from the scenario's seed, one stream per purpose — first transmissions'
//! delays, the generated workload, the delays of acknowledgements and retransmissions, losses and
//! duplicates, and the nemesis — and a stream is drawn from only when its feature is on, so a scenario
//! without faults draws exactly what it drew before faults existed, and the nemesis's schedule does not
//! depend on the workload. (Turning on loss still changes every later delay: a lost message draws no
//! delay, and the run goes differently from then on.) The engine draws from the streams in event
//! order, which the first rule fixes.

mod event;
pub mod fault;
pub mod nemesis;
pub mod network;
mod planted;
pub mod queue;
mod record;
pub mod schedule;
mod streams;
mod timers;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::client::{Client, ClientAction};
use crate::events::{EventLog, Loss, What};
use crate::history::{History, Operation};
use crate::ids::{ClientId, ReplicaId, Time};
use crate::op::{Reply, RequestId};
use crate::protocol::causal::CausalReplica;
use crate::protocol::channel::Packet;
use crate::protocol::eventual::EventualReplica;
use crate::protocol::linearizable::LinearizableReplica;
use crate::protocol::sequential::SequentialReplica;
use crate::protocol::{CommitEntry, Model, Output, Replica, Traffic};
use crate::run::{Counters, ReplicaRun, Run, Stats, Stop};
use crate::scenario::{Config, Limits};
use event::{Event, Link};
use fault::{Fault, FaultState, TimedFault};
use network::{Delay, Network};
#[doc(hidden)]
pub use planted::plant_nondeterminism;
use queue::EventQueue;
use schedule::{Pin, PinnedMessage, Pins};
pub use streams::{clients, fault_schedule, generated_clients};
use streams::{rng, CONTROL_STREAM, LOSS_STREAM, NETWORK_STREAM};

/// The most events that may wait in the queue at once. Each message in flight is an event, and the
/// totally-ordered multicast sends n² messages per operation, so a large cluster with many clients can
/// have millions in flight; past this the run stops rather than exhaust memory.
pub const MAX_PENDING_EVENTS: usize = 10_000_000;

/// What a run keeps besides the history, stores and statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// Every replica's committed order, and the protocol events of the run ([`EventLog`]), with
    /// the replicas' explanations of what they hold back and why: what `--trace` shows.
    Events,
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
    simulate_with(config, model, record, false).0
}

/// Runs the scenario under one model, recording every committed order, and also returns the delay
/// of every message about an operation (see [`schedule`]) as pins, in the order they were sent:
/// a scenario whose `network.schedule` holds them all replays this run's interleaving.
pub fn simulate_noting_delays(config: &Config, model: Model) -> (Run, Vec<Pin>) {
    simulate_with(config, model, Record::Everything, true)
}

fn simulate_with(config: &Config, model: Model, record: Record, note: bool) -> (Run, Vec<Pin>) {
    match model {
        Model::Linearizable => run::<LinearizableReplica>(config, model, record, note),
        Model::Sequential => run::<SequentialReplica>(config, model, record, note),
        Model::Causal => run::<CausalReplica>(config, model, record, note),
        Model::Eventual => run::<EventualReplica>(config, model, record, note),
    }
}

/// Runs a simulation of replicas `R`. Whether it records events is a constant of its type, so
/// that a run recording none carries no test for it in its inner loop.
fn run<R: Replica>(config: &Config, model: Model, record: Record, note: bool) -> (Run, Vec<Pin>) {
    match record {
        Record::Events => {
            let mut simulation = Simulation::<R, true>::new(config, record, note);
            planted::skew(&mut simulation.network_rng, config.seed, model);
            simulation.run(model)
        }
        Record::Everything | Record::VerdictsOnly => {
            let mut simulation = Simulation::<R, false>::new(config, record, note);
            planted::skew(&mut simulation.network_rng, config.seed, model);
            simulation.run(model)
        }
    }
}

/// One run in progress.
///
/// `EVENTS`: whether the run records its protocol events (`log` is then `Some`).
struct Simulation<R: Replica, const EVENTS: bool> {
    queue: EventQueue<Event<R::Message>>,
    network: Network,
    client_delay: Delay,
    drop: f64,
    duplicate: f64,
    network_rng: ChaCha8Rng,
    control_rng: ChaCha8Rng,
    loss_rng: ChaCha8Rng,
    /// The scenario's pinned delays, and the record of the delays used when asked; `None` when
    /// there is neither.
    pins: Option<Pins>,
    limits: Limits,
    replicas: Vec<R>,
    committed: Vec<Vec<CommitEntry>>,
    record: Record,
    /// The protocol events, when `record` asks for them.
    log: Option<EventLog>,
    clients: Vec<Client>,
    history: History,
    /// For each client, its request awaiting a reply and that operation's index in `history`.
    outstanding: Vec<Option<(RequestId, usize)>>,
    /// For each client, the index in `history` of each operation it invoked, by request `seq`.
    ops_of: Vec<Vec<usize>>,
    schedule: Vec<TimedFault>,
    /// How many faults of `schedule` have happened (always a prefix: they are queued in order).
    faults_done: usize,
    state: FaultState,
    /// For each replica, the time of its armed timer event, if one is armed.
    timer_at: Vec<Option<Time>>,
    /// Queued events that can change something: all but timers, and give-ups already answered.
    work: usize,
    /// Bumped whenever something new happens that may lead somewhere: a commit, a reply, a new
    /// protocol message or an acknowledgement put on the network, or a packet lost to chance (a retry
    /// may fare better). Retransmissions do not count: only what their arrival causes does.
    progress: u64,
    /// For each replica, whether its timer has fired since the last progress, achieving nothing.
    futile: Vec<bool>,
    /// Whether any entry of `futile` is set (so that clearing it costs nothing in the usual case).
    any_futile: bool,
    counters: Counters,
}

impl<R: Replica, const EVENTS: bool> Simulation<R, EVENTS> {
    fn new(config: &Config, record: Record, note_delays: bool) -> Self {
        let n = config.replicas;
        let net = &config.network;
        let mut queue = EventQueue::default();
        let schedule = fault_schedule(config);
        // Faults first, so that a fault at an instant happens before anything else at it.
        for (i, fault) in schedule.iter().enumerate() {
            queue.push(fault.at, Event::Fault(i));
        }
        let mut clients = Vec::new();
        for (client, start) in streams::clients(config) {
            queue.push(start, Event::Wake(client.id()));
            clients.push(client);
        }
        // Each operation of a script is invoked at most once and committed at most once per replica,
        // so these are the records' final sizes (or bounds on them). Reserving them up front spares
        // a large run the copying of records that grow by doubling, a tenth of its time.
        let operations: usize = clients.iter().map(Client::operations).sum();
        let committed = match record {
            Record::Events | Record::Everything => operations,
            Record::VerdictsOnly => 0,
        };
        Simulation {
            work: queue.len(),
            queue,
            network: Network::new(n, net.delay, net.fifo, &net.links),
            client_delay: net.client_delay,
            drop: net.drop,
            duplicate: net.duplicate,
            network_rng: rng(config.seed, NETWORK_STREAM),
            control_rng: rng(config.seed, CONTROL_STREAM),
            loss_rng: rng(config.seed, LOSS_STREAM),
            pins: Pins::new(&net.schedule, note_delays),
            limits: config.limits,
            replicas: ReplicaId::all(n)
                .map(|id| {
                    let mut replica = R::new(id, n, config.channels);
                    if record == Record::Events {
                        replica.explain();
                    }
                    replica
                })
                .collect(),
            committed: (0..n).map(|_| Vec::with_capacity(committed)).collect(),
            record,
            log: (record == Record::Events).then(EventLog::default),
            outstanding: vec![None; clients.len()],
            ops_of: clients
                .iter()
                .map(|c| Vec::with_capacity(c.operations()))
                .collect(),
            clients,
            history: History::with_capacity(operations),
            schedule,
            faults_done: 0,
            state: FaultState::new(n),
            timer_at: vec![None; n],
            progress: 0,
            futile: vec![false; n],
            any_futile: false,
            counters: Counters::default(),
        }
    }

    /// Processes events until none is left or a limit is reached.
    fn run(mut self, model: Model) -> (Run, Vec<Pin>) {
        let mut now = 0;
        let stopped = loop {
            let Some((time, event)) = self.queue.peek() else {
                break self.ending();
            };
            // Events that would change nothing are discarded unseen: they neither count nor move
            // the clock, so that a run without faults ends when its last real event happens.
            match *event {
                Event::Timer(id) if self.timer_at[id.index()] != Some(time) => {
                    // An earlier timer replaced this one.
                    self.queue.pop();
                    continue;
                }
                Event::Timer(id) if !self.timer_due(id, time) => {
                    self.queue.pop();
                    self.timer_at[id.index()] = None;
                    self.arm_timer(id, time);
                    continue;
                }
                Event::GiveUp { client, request }
                    if !self.clients[client.index()].is_waiting_for(request) =>
                {
                    self.queue.pop();
                    continue;
                }
                _ => {}
            }
            if time > self.limits.time {
                break Stop::TimeLimit;
            }
            if self.counters.events >= self.limits.events {
                break Stop::EventLimit;
            }
            if self.queue.len() > MAX_PENDING_EVENTS {
                break Stop::QueueLimit;
            }
            let Some((time, event)) = self.queue.pop() else {
                break self.ending();
            };
            now = time;
            self.counters.events += 1;
            if let Event::Timer(id) = event {
                if self.handle_timer(now, id) {
                    break Stop::Stalled;
                }
                continue;
            }
            self.work -= 1;
            // A packet's arrival may be futile too (a retransmitted copy whose acknowledgement is
            // cut); anything else — a fault, a client — may change what retries achieve.
            let arrival = matches!(event, Event::MessageArrives { .. });
            let before = self.progress;
            self.handle(now, event);
            if !arrival || self.progress != before {
                self.forget_futile();
            } else if self.stalled() {
                break Stop::Stalled;
            }
        };
        let stats = Stats::new(&self.history, self.counters, now, stopped);
        let replicas = self
            .replicas
            .iter()
            .zip(self.committed)
            .enumerate()
            .map(|(i, (replica, committed))| {
                let id = ReplicaId(i as u32);
                ReplicaRun {
                    id,
                    committed,
                    store: replica.store(),
                    up: self.state.is_up(id),
                    unacknowledged: replica.unacknowledged(),
                }
            })
            .collect();
        self.schedule.truncate(self.faults_done);
        let run = Run {
            model,
            replicas,
            history: self.history,
            faults: self.schedule,
            stats,
            events: self.log,
        };
        (run, self.pins.map(Pins::into_used).unwrap_or_default())
    }

    fn handle(&mut self, now: Time, event: Event<R::Message>) {
        match event {
            Event::Wake(client) => {
                self.clients[client.index()].handle_wake(now);
                self.drain_client(now, client);
            }
            Event::GiveUp { client, request } => {
                if let Some((_, index)) = self.outstanding[client.index()].take() {
                    self.history[index].gave_up_at = Some(now);
                    self.log_event(now, || What::GiveUp { op: index as u32 });
                }
                self.clients[client.index()].handle_timeout(now, request);
                self.drain_client(now, client);
            }
            Event::RequestArrives { replica, request } => {
                // A request to a crashed replica is lost; its client waits in vain.
                let up = self.state.is_up(replica);
                if EVENTS {
                    let op = self.op_index(request.id);
                    self.log_event(now, || match up {
                        true => What::Request { op },
                        false => What::RequestLost { op },
                    });
                }
                if up {
                    self.replicas[replica.index()].handle_request(now, request);
                    self.drain_replica(now, replica);
                }
            }
            Event::MessageArrives { link, msg } => {
                let (from, to, id) = (link.from(), link.to(), link.id);
                if self.lost_to_faults(now, from, to, id, true) {
                    return;
                }
                self.log_event(now, || What::Delivered { msg: id });
                self.replicas[to.index()].handle_message(now, from, msg);
                self.drain_replica(now, to);
            }
            Event::ReplyArrives(reply) => self.handle_reply(now, reply),
            Event::Fault(i) => {
                self.log_event(now, || What::Fault { index: i as u32 });
                let fault = &self.schedule[i].fault;
                self.state.apply(fault);
                self.faults_done = i + 1;
                if let Fault::Restart(replica) = *fault {
                    self.arm_timer(replica, now);
                }
            }
            Event::Timer(_) => unreachable!("timers are handled by handle_timer"),
        }
    }

    fn handle_reply(&mut self, now: Time, reply: Reply) {
        let client = reply.id.client;
        match self.outstanding[client.index()] {
            Some((id, index)) if id == reply.id => {
                self.outstanding[client.index()] = None;
                self.log_event(now, || What::Return { op: index as u32 });
                let op = &mut self.history[index];
                op.answer(now, &reply);
                if op.gave_up_at.is_none() && self.clients[client.index()].has_deadline() {
                    // Its give-up event is still queued, but will now change nothing.
                    self.work -= 1;
                }
                self.clients[client.index()].handle_reply(now, &reply);
                self.drain_client(now, client);
            }
            _ => {
                // The client gave up on this request before the answer came.
                let late = self.ops_of[client.index()]
                    .get(reply.id.seq as usize)
                    .is_some_and(|&index| self.history[index].gave_up_at.is_some());
                if late {
                    self.counters.answered_late += 1;
                    if EVENTS {
                        let op = self.op_index(reply.id);
                        self.log_event(now, || What::LateReply { op });
                    }
                }
            }
        }
    }

    fn push_work(&mut self, at: Time, event: Event<R::Message>) {
        self.work += 1;
        self.queue.push(at, event);
    }

    fn drain_client(&mut self, now: Time, id: ClientId) {
        while let Some(action) = self.clients[id.index()].poll_action() {
            match action {
                ClientAction::WakeAt(at) => self.push_work(at, Event::Wake(id)),
                ClientAction::Invoke {
                    replica,
                    request,
                    deadline,
                } => {
                    let op = self.history.len() as u32;
                    self.log_event(now, || What::Invoke { op });
                    self.outstanding[id.index()] = Some((request.id, self.history.len()));
                    self.ops_of[id.index()].push(self.history.len());
                    self.history
                        .push(Operation::invoked(id, replica, &request.op, now));
                    if let Some(deadline) = deadline {
                        let give_up = Event::GiveUp {
                            client: id,
                            request: request.id,
                        };
                        self.push_work(deadline, give_up);
                    }
                    let at = now.saturating_add(self.hop_delay(request.id, PinnedMessage::Request));
                    self.push_work(at, Event::RequestArrives { replica, request });
                }
            }
        }
    }

    fn drain_replica(&mut self, now: Time, id: ReplicaId) {
        while let Some(output) = self.replicas[id.index()].poll_output() {
            match output {
                Output::Send { to, msg, traffic } => self.send(now, id, to, msg, traffic),
                Output::Reply(reply) => {
                    self.progress += 1;
                    if EVENTS {
                        let op = self.op_index(reply.id);
                        self.log_event(now, || What::Reply { op });
                    }
                    let at = now.saturating_add(self.hop_delay(reply.id, PinnedMessage::Reply));
                    self.push_work(at, Event::ReplyArrives(reply));
                }
                Output::Commit(entry) => {
                    self.progress += 1;
                    if self.record != Record::VerdictsOnly {
                        self.log_event(now, || What::Commit { replica: id });
                        self.committed[id.index()].push(entry);
                    }
                }
                Output::Note(note) => {
                    if let Some(log) = &mut self.log {
                        if !log.is_full() {
                            log.notes.push(note);
                        }
                        log.push(now, What::Note { replica: id });
                    }
                }
            }
        }
        self.arm_timer(id, now);
    }

    /// How long a client hop of `request` takes: pinned by the schedule, or drawn.
    fn hop_delay(&mut self, request: RequestId, hop: PinnedMessage) -> Time {
        let Some(pins) = &mut self.pins else {
            return self.client_delay.sample(&mut self.network_rng);
        };
        let key = (request.client, request.seq, hop);
        let delay = match pins.delay(key) {
            Some(delay) => delay,
            None => self.client_delay.sample(&mut self.network_rng),
        };
        pins.note(key, delay);
        delay
    }

    /// Whether the faults lose packet `msg` from `from` to `to`, as it is sent or as it is
    /// `arriving`: its link is cut or its receiver is down. Counts and records the loss if so.
    fn lost_to_faults(
        &mut self,
        now: Time,
        from: ReplicaId,
        to: ReplicaId,
        msg: u32,
        arriving: bool,
    ) -> bool {
        let why = if !self.state.is_up(to) {
            Loss::Down
        } else if self.state.is_cut(from, to) {
            Loss::Cut
        } else {
            return false;
        };
        self.counters.dropped += 1;
        self.log_event(now, || What::Lost { msg, why, arriving });
        true
    }

    /// When a packet about an operation arrives (only asked when the scenario pins delays or the
    /// run notes them, so that other runs keep this off their path): at its pinned delay, or drawn
    /// as any other; a first transmission's delay is noted when asked.
    #[cold]
    fn arrival_about(
        &mut self,
        now: Time,
        from: ReplicaId,
        to: ReplicaId,
        traffic: Traffic,
        key: (ClientId, u32, PinnedMessage),
    ) -> Time {
        let pinned = self.pins.as_ref().and_then(|pins| pins.delay(key));
        let at = match (traffic, pinned) {
            (Traffic::Data, Some(delay)) => self.network.arrival_pinned(now, from, to, delay),
            (Traffic::Data, None) => self.network.arrival(now, from, to, &mut self.network_rng),
            (Traffic::Retransmission | Traffic::Ack, Some(delay)) => now.saturating_add(delay),
            (Traffic::Retransmission | Traffic::Ack, None) => {
                self.network
                    .arrival_unordered(now, from, to, &mut self.control_rng)
            }
        };
        if let (Traffic::Data, Some(pins)) = (traffic, &mut self.pins) {
            pins.note(key, at - now);
        }
        at
    }

    /// Puts a packet on the network: lost, delivered, or delivered twice.
    fn send(
        &mut self,
        now: Time,
        from: ReplicaId,
        to: ReplicaId,
        msg: Packet<R::Message>,
        traffic: Traffic,
    ) {
        self.counters.messages += 1;
        match traffic {
            Traffic::Data => {}
            Traffic::Retransmission => self.counters.retransmitted += 1,
            Traffic::Ack => self.counters.acks += 1,
        }
        let id = match EVENTS {
            true => self.record_message(now, from, to, &msg, traffic),
            false => u32::MAX,
        };
        // Looked up before any loss, so that an acknowledgement finds the multicast it is about.
        let about = match &mut self.pins {
            Some(pins) => pins.about(from, to, &msg),
            None => None,
        };
        if self.lost_to_faults(now, from, to, id, false) {
            return;
        }
        // Only draw when there is a chance, so that scenarios without loss draw what they always did.
        if self.drop > 0.0 && self.loss_rng.random_bool(self.drop) {
            self.progress += 1;
            self.counters.dropped += 1;
            self.log_event(now, || What::Lost {
                msg: id,
                why: Loss::Dropped,
                arriving: false,
            });
            return;
        }
        if traffic != Traffic::Retransmission {
            self.progress += 1;
        }
        let at = match about {
            None => match traffic {
                Traffic::Data => self.network.arrival(now, from, to, &mut self.network_rng),
                Traffic::Retransmission | Traffic::Ack => {
                    self.network
                        .arrival_unordered(now, from, to, &mut self.control_rng)
                }
            },
            Some(key) => self.arrival_about(now, from, to, traffic, key),
        };
        if self.duplicate > 0.0 && self.loss_rng.random_bool(self.duplicate) {
            self.counters.duplicated += 1;
            self.log_event(now, || What::Duplicated { msg: id });
            let again = self
                .network
                .arrival_unordered(now, from, to, &mut self.loss_rng);
            let copy = msg.clone();
            let link = Link::new(from, to, id);
            self.push_work(at, Event::MessageArrives { link, msg });
            self.push_work(again, Event::MessageArrives { link, msg: copy });
            return;
        }
        let link = Link::new(from, to, id);
        self.push_work(at, Event::MessageArrives { link, msg });
    }
}

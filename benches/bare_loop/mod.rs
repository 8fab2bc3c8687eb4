//! The engine's yardstick: a bare, hand-written event loop doing an eventual store's work, on the
//! same workload and with the same random draws as kvsim, so that kvsim's speed can be read as a
//! fraction of what a plain loop manages on this machine.
//!
//! It lives in a folder (`benches/bare_loop/mod.rs`) so that Cargo does not take it for a benchmark
//! of its own; `benches/engine.rs` and `benches/yardstick.rs` both include it.
//!
//! What it does, per operation, is what kvsim's eventual replicas do:
//!
//! ```text
//!   Wake(client) ─► client takes its next step: sleep (Wake later) or send (Request)
//!   Request ──────► the replica reads its store, or stamps the write (Lamport), applies it
//!                   (last writer wins) and sends a copy to each other replica
//!   Deliver ──────► the replica moves its Lamport clock past the stamp and applies the copy
//!   Reply ────────► the client takes its next step
//! ```
//!
//! The same: a binary heap of events ordered by (time, insertion sequence); 5 replicas; one
//! `Request` and one `Reply` per operation, one `Wake` per think time; one copy of each write to
//! each other replica, with its delay drawn from the same seeded ChaCha8 stream by the same sampler,
//! over FIFO links; every copy applied, last writer wins on (Lamport time, replica) stamps, into a
//! `BTreeMap` of shared (`Arc<str>`) keys and values; the workload drawn inside the timed run by
//! kvsim's own generator. It therefore makes exactly the same writes at the same instants as kvsim's
//! eventual run, ends with the same stores, and [`check_against`] asserts it.
//!
//! Left out, because they are what kvsim adds on top of that work:
//! - the channels: no sequence numbers, no acknowledgement per message (kvsim's eventual run pops
//!   one acknowledgement event for each copy of each write), no copy kept for retransmission, no
//!   retransmission timers;
//! - the sans-IO boundary: no outbox between the replica and the loop, no clients as state machines
//!   polled for actions;
//! - the records: no history of operations, no committed order per replica, no statistics;
//! - faults: no check of links and replicas at each send and arrival, no stall detection, no limits.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use kvsim::client::Step;
use kvsim::op::{Key, Op, Value};
use kvsim::protocol::Store;
use kvsim::run::Run;
use kvsim::scenario::Config;
use kvsim::sim::network::Delay;

/// The `workload-100k` scenario: 5 replicas, 20 clients × 5,000 operations on 10 keys, half reads.
pub const WORKLOAD_100K: &str = r#"{"seed": 1, "replicas": 5, "network": {"delay": {"uniform": [1, 10]}},
    "workload": {"clients": 20, "ops": 5000, "keys": 10, "reads": 0.5, "think": {"uniform": [0, 5]}}}"#;

/// The random streams kvsim draws delays and workloads from (`NETWORK_STREAM`, `WORKLOAD_STREAM` in
/// `src/sim/mod.rs`): the same streams give the same run.
const NETWORK_STREAM: u64 = 0;
const WORKLOAD_STREAM: u64 = 1;

/// (Lamport time, replica): the order of last-writer-wins.
type Stamp = (u64, usize);

/// A write on its way to another replica.
struct Write {
    stamp: Stamp,
    key: Key,
    value: Value,
}

enum Event {
    Wake(usize),
    Request {
        replica: usize,
        op: Op,
        client: usize,
    },
    Reply {
        client: usize,
        value: Option<Value>,
    },
    Deliver {
        to: usize,
        write: Write,
    },
}

/// An event in the heap, earliest (time, seq) first.
struct Scheduled {
    time: u64,
    seq: u64,
    event: Event,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    /// Reversed, so that std's max-heap pops the earliest.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

struct Replica {
    lamport: u64,
    store: BTreeMap<Key, (Value, Stamp)>,
}

impl Replica {
    /// Last writer wins: keeps the write unless the key holds one with a higher stamp.
    fn apply(&mut self, key: &Key, value: &Value, stamp: Stamp) {
        match self.store.get_mut(key) {
            Some((_, current)) if *current > stamp => {}
            Some(entry) => *entry = (value.clone(), stamp),
            None => {
                self.store.insert(key.clone(), (value.clone(), stamp));
            }
        }
    }
}

struct Client {
    home: usize,
    steps: Vec<Step>,
    next: usize,
}

/// What a run of the bare loop did.
pub struct Outcome {
    /// Events popped from the heap.
    pub events: u64,
    /// Writes applied, at their first replica and at each other.
    pub applied: u64,
    pub stores: Vec<Store>,
}

struct BareLoop {
    heap: BinaryHeap<Scheduled>,
    seq: u64,
    rng: ChaCha8Rng,
    delay: Delay,
    client_delay: Delay,
    /// When the last copy sent on each link (`from * n + to`) arrives: FIFO links, as in kvsim.
    last_arrival: Vec<u64>,
    replicas: Vec<Replica>,
    clients: Vec<Client>,
    applied: u64,
}

impl BareLoop {
    fn push(&mut self, time: u64, event: Event) {
        self.heap.push(Scheduled {
            time,
            seq: self.seq,
            event,
        });
        self.seq += 1;
    }

    /// The client takes its next step, if it has one.
    fn advance(&mut self, client: usize, now: u64) {
        let c = &mut self.clients[client];
        let Some(step) = c.steps.get(c.next) else {
            return;
        };
        c.next += 1;
        match step {
            Step::Sleep(ms) => {
                let at = now + ms;
                self.push(at, Event::Wake(client));
            }
            Step::Op { op, replica } => {
                let replica = replica.map_or(c.home, |r| r.index());
                let op = op.clone();
                let at = now + self.client_delay.sample(&mut self.rng);
                self.push(
                    at,
                    Event::Request {
                        replica,
                        op,
                        client,
                    },
                );
            }
        }
    }

    fn request(&mut self, now: u64, from: usize, op: Op, client: usize) {
        let value = match op {
            Op::Get { key } => self.replicas[from].store.get(&key).map(|(v, _)| v.clone()),
            Op::Put { key, value } => {
                let replica = &mut self.replicas[from];
                replica.lamport += 1;
                let stamp = (replica.lamport, from);
                replica.apply(&key, &value, stamp);
                self.applied += 1;
                // The reply's delay is drawn before the copies', as kvsim's eventual replica
                // emits its reply before its sends.
                let at = now + self.client_delay.sample(&mut self.rng);
                self.push(
                    at,
                    Event::Reply {
                        client,
                        value: Some(value.clone()),
                    },
                );
                let n = self.replicas.len();
                for to in (0..n).filter(|&to| to != from) {
                    let link = from * n + to;
                    let at = (now + self.delay.sample(&mut self.rng)).max(self.last_arrival[link]);
                    self.last_arrival[link] = at;
                    let write = Write {
                        stamp,
                        key: key.clone(),
                        value: value.clone(),
                    };
                    self.push(at, Event::Deliver { to, write });
                }
                return;
            }
            Op::Cas { .. } | Op::Append { .. } => {
                unreachable!("the yardstick's workload has only gets and puts")
            }
        };
        let at = now + self.client_delay.sample(&mut self.rng);
        self.push(at, Event::Reply { client, value });
    }

    fn deliver(&mut self, to: usize, write: Write) {
        let replica = &mut self.replicas[to];
        replica.lamport = replica.lamport.max(write.stamp.0);
        replica.apply(&write.key, &write.value, write.stamp);
        self.applied += 1;
    }
}

/// Runs `config`'s workload to the end. The config must be a plain eventual workload: generated
/// clients only, one delay for every link, no faults, loss, timeouts or limits that could bite.
pub fn run(config: &Config) -> Outcome {
    let workload = config.workload.as_ref().expect("a generated workload");
    assert!(config.clients.is_empty() && config.network.links.is_empty());
    assert!(!config.has_faults() && config.timeout.is_none());
    assert!(config.network.drop == 0.0 && config.network.duplicate == 0.0);
    assert!(config.network.fifo);

    let n = config.replicas;
    let mut workload_rng = stream(config.seed, WORKLOAD_STREAM);
    let clients: Vec<Client> = workload
        .generate(0, n, &mut workload_rng)
        .into_iter()
        .map(|(_, home, steps)| Client {
            home: home.index(),
            steps,
            next: 0,
        })
        .collect();
    let mut sim = BareLoop {
        heap: BinaryHeap::new(),
        seq: 0,
        rng: stream(config.seed, NETWORK_STREAM),
        delay: config.network.delay,
        client_delay: config.network.client_delay,
        last_arrival: vec![0; n * n],
        replicas: (0..n)
            .map(|_| Replica {
                lamport: 0,
                store: BTreeMap::new(),
            })
            .collect(),
        clients,
        applied: 0,
    };
    for client in 0..sim.clients.len() {
        sim.push(0, Event::Wake(client));
    }

    let mut events = 0;
    while let Some(Scheduled { time, event, .. }) = sim.heap.pop() {
        events += 1;
        match event {
            Event::Wake(client) => sim.advance(client, time),
            Event::Request {
                replica,
                op,
                client,
            } => sim.request(time, replica, op, client),
            Event::Reply { client, value } => {
                drop(value);
                sim.advance(client, time);
            }
            Event::Deliver { to, write } => sim.deliver(to, write),
        }
    }

    let stores = sim
        .replicas
        .iter()
        .map(|r| {
            let entries = r.store.iter();
            entries.map(|(k, (v, _))| (k.clone(), v.clone())).collect()
        })
        .collect();
    Outcome {
        events,
        applied: sim.applied,
        stores,
    }
}

/// Asserts that the bare loop did the same work as kvsim's eventual `run` of the same config: the
/// same writes applied, the same final stores, and one event fewer for each acknowledgement (the
/// only events it leaves out: no retransmission timer fired).
pub fn check_against(bare: &Outcome, eventual: &Run) {
    let applied: usize = eventual.replicas.iter().map(|r| r.committed.len()).sum();
    assert_eq!(bare.applied, applied as u64, "writes applied");
    for (store, replica) in bare.stores.iter().zip(&eventual.replicas) {
        assert_eq!(store, &replica.store, "the final store of {}", replica.id);
    }
    assert_eq!(eventual.stats.retransmitted, 0);
    assert_eq!(bare.events, eventual.stats.events - eventual.stats.acks);
}

/// The ChaCha8 stream kvsim uses for one purpose.
fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

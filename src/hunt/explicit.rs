//! A run written out as a scenario that replays it by itself: the generated workload as scripted
//! clients, the nemesis's faults as scripted faults, and every message's delay pinned.
//!
//! Shrinking needs this. Drop one client from a scenario whose delays are drawn, and every later draw
//! shifts: the run that showed the anomaly is gone, whatever the client had to do with it. With every
//! delay pinned to the operation its message is about, dropping a client leaves the others' messages
//! exactly as they were.

use crate::client::Step;
use crate::ids::Time;
use crate::op::Op;
use crate::protocol::Model;
use crate::run::Run;
use crate::scenario::{
    ClientSpec, Config, FaultSpec, NetworkConfig, OnewaySpec, PinSpec, Scenario, StepSpec,
};
use crate::sim::fault::{Fault, TimedFault};
use crate::sim::network::Delay;
use crate::sim::schedule::{Hop, Pin, PinnedMessage};
use crate::sim::{fault_schedule, generated_clients, simulate_noting_delays};

/// `raw` (the scenario as written, which `config` validates) with its workload written out as
/// scripted clients and its nemesis's faults for `config.seed` as scripted faults, at that seed: the
/// same run, step for step.
pub fn explicit(raw: &Scenario, config: &Config) -> Scenario {
    let mut out = raw.clone();
    out.seed = Some(config.seed);
    let mut clients = raw.clients.clone().unwrap_or_default();
    for (_, home, steps) in generated_clients(config) {
        clients.push(ClientSpec {
            replica: home.0,
            start: None,
            ops: steps.iter().map(step_spec).collect(),
        });
    }
    out.clients = Some(clients);
    out.workload = None;
    // In the order the engine takes them, which validation keeps (a stable sort by time). A nemesis
    // may crash a replica a scripted fault already crashed (or restart one running): the engine lets
    // that change nothing, but a script may not say it, so it is left out.
    let mut down = std::collections::BTreeSet::new();
    out.faults = fault_schedule(config)
        .iter()
        .filter(|timed| match timed.fault {
            Fault::Crash(r) => down.insert(r),
            Fault::Restart(r) => down.remove(&r),
            _ => true,
        })
        .map(fault_spec)
        .collect();
    out.nemesis = None;
    out
}

/// `explicit` (an explicit scenario, which `config` validates) with every delay a constant — each
/// distribution's typical value — and the delay each message about an operation took in the run
/// under `model` pinned where it differs from that constant. Channel acknowledgements are not
/// pinned; they matter only to retransmissions, which then take their message's pinned delay.
pub fn pinned(explicit: &Scenario, config: &Config, model: Model) -> Scenario {
    let (_, used) = simulate_noting_delays(config, model);
    let mut out = explicit.clone();
    let net = &config.network;
    out.network.delay = Some(Delay::Constant(typical(net.delay)));
    // A constant 0 is the default, and says nothing.
    out.network.client_delay = match typical(net.client_delay) {
        0 => None,
        ms => Some(Delay::Constant(ms)),
    };
    for link in &mut out.network.links {
        link.delay = Delay::Constant(typical(link.delay));
    }
    let default_of = |message: PinnedMessage| typical(delay_of(net, message));
    let mut seen = std::collections::BTreeSet::new();
    let mut schedule = Vec::new();
    for pin in used {
        // A message sent again as new data (after a restart) keeps the delay of its first sending.
        if seen.insert(pin.key()) && pin.delay != default_of(pin.message) {
            schedule.push(pin_spec(&pin));
        }
    }
    out.network.schedule = schedule;
    out
}

/// The distribution a message's delay is drawn from: its link's, or the clients' hops'.
fn delay_of(net: &NetworkConfig, message: PinnedMessage) -> Delay {
    match message {
        PinnedMessage::Request | PinnedMessage::Reply => net.client_delay,
        PinnedMessage::Between { from, to } => net
            .links
            .iter()
            .find(|&&(f, t, _)| f == from && t == to)
            .map_or(net.delay, |&(_, _, d)| d),
    }
}

/// The constant that stands for a distribution: its mean, in whole ms.
fn typical(delay: Delay) -> Time {
    match delay {
        Delay::Constant(ms) | Delay::Exponential(ms) => ms,
        Delay::Uniform(min, max) => min + (max - min) / 2,
    }
}

/// How big a scenario is, for the report of what shrinking did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Sizes {
    pub clients: usize,
    pub operations: u64,
    pub replicas: u32,
    pub faults: usize,
    /// The random choices the run made: delays drawn for messages, losses and duplicates drawn,
    /// and operations and faults drawn by the workload and the nemesis. Zero when every delay is a
    /// constant or pinned and nothing is generated.
    pub random_choices: u64,
}

impl Sizes {
    /// The sizes of `config`'s run `run` under the model whose delays `used` lists
    /// ([`simulate_noting_delays`]).
    pub fn of(config: &Config, run: &Run, used: &[Pin]) -> Sizes {
        let net = &config.network;
        let random = |delay: Delay| !matches!(delay, Delay::Constant(_));
        let pinned: std::collections::BTreeSet<_> = net.schedule.iter().map(Pin::key).collect();
        let mut choices = 0;
        for pin in used {
            if random(delay_of(net, pin.message)) && !pinned.contains(&pin.key()) {
                choices += 1;
            }
        }
        let stats = &run.stats;
        if random(net.delay) || net.links.iter().any(|&(_, _, d)| random(d)) {
            choices += stats.acks + stats.retransmitted;
        }
        if net.drop > 0.0 {
            choices += stats.messages;
        }
        if net.duplicate > 0.0 {
            choices += stats.messages;
        }
        let generated = config
            .workload
            .as_ref()
            .map_or(0, |w| u64::from(w.clients) * u64::from(w.ops));
        let faults = fault_schedule(config).len();
        choices += generated + (faults - config.faults.len()) as u64;
        let scripted_ops: usize = config
            .clients
            .iter()
            .map(|c| {
                c.steps
                    .iter()
                    .filter(|s| matches!(s, Step::Op { .. }))
                    .count()
            })
            .sum();
        Sizes {
            clients: config.clients.len()
                + config.workload.as_ref().map_or(0, |w| w.clients as usize),
            operations: scripted_ops as u64 + generated,
            replicas: config.replicas as u32,
            faults,
            random_choices: choices,
        }
    }
}

fn step_spec(step: &Step) -> StepSpec {
    let mut spec = StepSpec {
        put: None,
        get: None,
        cas: None,
        append: None,
        sleep: None,
        replica: None,
    };
    match step {
        Step::Sleep(ms) => spec.sleep = Some(*ms),
        Step::Op { op, replica } => {
            spec.replica = replica.map(|r| r.0);
            match op {
                Op::Put { key, value } => spec.put = Some((key.clone(), value.clone())),
                Op::Get { key } => spec.get = Some(key.clone()),
                Op::Cas { key, expected, new } => {
                    spec.cas = Some((key.clone(), expected.clone(), new.clone()))
                }
                Op::Append { key, value } => spec.append = Some((key.clone(), value.clone())),
            }
        }
    }
    spec
}

fn fault_spec(timed: &TimedFault) -> FaultSpec {
    let ids = |ids: &[crate::ids::ReplicaId]| ids.iter().map(|r| r.0).collect::<Vec<_>>();
    let mut spec = FaultSpec {
        at: timed.at,
        partition: None,
        partition_oneway: None,
        heal: None,
        crash: None,
        restart: None,
    };
    match &timed.fault {
        Fault::Partition(groups) => spec.partition = Some(groups.iter().map(|g| ids(g)).collect()),
        Fault::PartitionOneway { from, to } => {
            spec.partition_oneway = Some(OnewaySpec {
                from: ids(from),
                to: ids(to),
            })
        }
        Fault::Heal => spec.heal = Some(true),
        Fault::Crash(r) => spec.crash = Some(r.0),
        Fault::Restart(r) => spec.restart = Some(r.0),
    }
    spec
}

fn pin_spec(pin: &Pin) -> PinSpec {
    let (from, to, hop) = match pin.message {
        PinnedMessage::Between { from, to } => (Some(from.0), Some(to.0), None),
        PinnedMessage::Request => (None, None, Some(Hop::Request)),
        PinnedMessage::Reply => (None, None, Some(Hop::Reply)),
    };
    PinSpec {
        client: pin.client.0,
        op: pin.op,
        from,
        to,
        hop,
        delay: pin.delay,
    }
}

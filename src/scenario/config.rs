//! A validated scenario, and the validation that builds it from the raw [`Scenario`].

use std::collections::BTreeSet;

use super::faults::{validate_faults, validate_nemesis};
use super::schedule::validate_schedule;
use super::{
    invalid, Scenario, ScenarioError, StepSpec, WorkloadSpec, MAX_EVENTS, MAX_REPLICAS, MAX_TIME,
    MAX_WORKLOAD_CLIENTS, MAX_WORKLOAD_OPS,
};
use crate::client::{Step, Workload};
use crate::ids::{ReplicaId, Time};
use crate::op::Op;
use crate::protocol::channel::ChannelConfig;
use crate::sim::fault::TimedFault;
use crate::sim::nemesis::Nemesis;
use crate::sim::network::Delay;
use crate::sim::schedule::Pin;

/// A validated scenario: everything the simulation needs, known to be consistent.
#[derive(Clone, Debug)]
pub struct Config {
    pub name: String,
    pub description: String,
    pub seed: u64,
    pub replicas: usize,
    pub network: NetworkConfig,
    pub clients: Vec<ClientConfig>,
    pub workload: Option<Workload>,
    /// How long a client waits for an answer before giving up; `None` waits for ever.
    pub timeout: Option<Time>,
    /// The scripted faults, in time order (ties in the order the scenario lists them).
    pub faults: Vec<TimedFault>,
    pub nemesis: Option<Nemesis>,
    pub channels: ChannelConfig,
    pub limits: Limits,
}

impl Config {
    /// Whether the scenario stages faults, scripted or drawn by a nemesis.
    pub fn has_faults(&self) -> bool {
        !self.faults.is_empty() || self.nemesis.is_some()
    }
}

/// The validated `"network"`.
#[derive(Clone, Debug)]
pub struct NetworkConfig {
    pub delay: Delay,
    pub fifo: bool,
    pub links: Vec<(ReplicaId, ReplicaId, Delay)>,
    pub client_delay: Delay,
    /// The probability that a message between replicas is lost, below 1.
    pub drop: f64,
    /// The probability that a message between replicas arrives twice.
    pub duplicate: f64,
    /// The pinned delays of individual messages (`network.schedule`), in the order given.
    pub schedule: Vec<Pin>,
}

/// A validated scripted client.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub home: ReplicaId,
    pub start: Time,
    pub steps: Vec<Step>,
}

/// When a run is cut short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub time: Time,
    pub events: u64,
}

impl Limits {
    /// One simulated day, and fifty million events: far beyond any shipped scenario.
    pub const DEFAULT: Limits = Limits {
        time: 86_400_000,
        events: 50_000_000,
    };
}

/// The default delay of every link when a scenario gives none.
pub const DEFAULT_DELAY: Delay = Delay::Uniform(1, 10);

impl Scenario {
    /// Checks everything serde could not and builds the [`Config`]. `default_name` is used when the
    /// scenario has no `name`.
    pub fn validate(mut self, default_name: &str) -> Result<Config, ScenarioError> {
        if self.replicas == 0 {
            return Err(invalid(
                "replicas",
                "a scenario needs at least 1 replica, got 0",
            ));
        }
        if self.replicas > MAX_REPLICAS {
            return Err(invalid(
                "replicas",
                format!(
                    "at most {MAX_REPLICAS} replicas are supported, got {}",
                    self.replicas
                ),
            ));
        }
        let replicas = self.replicas;
        let replica = |field: &str, id: u32, what: &str| -> Result<ReplicaId, ScenarioError> {
            if id < replicas {
                Ok(ReplicaId(id))
            } else {
                Err(invalid(
                    field,
                    format!(
                        "{what} replica {id}, but the scenario has {replicas} (0 to {})",
                        replicas - 1
                    ),
                ))
            }
        };

        let pin_specs = std::mem::take(&mut self.network.schedule);
        let mut network = {
            let spec = self.network;
            let delay = spec.delay.unwrap_or(DEFAULT_DELAY);
            check_delay("network.delay", delay)?;
            let client_delay = spec.client_delay.unwrap_or(Delay::Constant(0));
            check_delay("network.client_delay", client_delay)?;
            let mut links = Vec::new();
            let mut seen = BTreeSet::new();
            for (i, link) in spec.links.iter().enumerate() {
                let field = format!("network.links[{i}]");
                let from = replica(&format!("{field}.from"), link.from, "the link starts at")?;
                let to = replica(&format!("{field}.to"), link.to, "the link ends at")?;
                if from == to {
                    return Err(invalid(
                        &field,
                        format!("a link joins two different replicas, got {from} to itself"),
                    ));
                }
                if !seen.insert((from, to)) {
                    return Err(invalid(
                        &field,
                        format!("the link from {from} to {to} is given twice"),
                    ));
                }
                check_delay(&format!("{field}.delay"), link.delay)?;
                links.push((from, to, link.delay));
            }
            let drop = spec.drop.unwrap_or(0.0);
            if !(0.0..1.0).contains(&drop) {
                return Err(invalid(
                    "network.drop",
                    format!("a probability from 0 up to (not including) 1, got {drop}: with 1 no message would ever arrive"),
                ));
            }
            let duplicate = spec.duplicate.unwrap_or(0.0);
            if !(0.0..=1.0).contains(&duplicate) {
                return Err(invalid(
                    "network.duplicate",
                    format!("a probability between 0 and 1, got {duplicate}"),
                ));
            }
            NetworkConfig {
                delay,
                fifo: spec.fifo.unwrap_or(true),
                links,
                client_delay,
                drop,
                duplicate,
                schedule: Vec::new(),
            }
        };

        let mut clients = Vec::new();
        for (c, spec) in self.clients.iter().flatten().enumerate() {
            let field = format!("clients[{c}]");
            let home = replica(
                &format!("{field}.replica"),
                spec.replica,
                &format!("client {c} is bound to"),
            )?;
            let mut steps = Vec::new();
            for (i, step) in spec.ops.iter().enumerate() {
                steps.push(validate_step(&format!("{field}.ops[{i}]"), step, &replica)?);
            }
            clients.push(ClientConfig {
                home,
                start: {
                    let start = spec.start.unwrap_or(0);
                    check_time(&format!("{field}.start"), start)?;
                    start
                },
                steps,
            });
        }

        let workload = match self.workload {
            None => None,
            Some(spec) => Some(validate_workload(spec)?),
        };
        if clients.is_empty() && workload.is_none() {
            return Err(invalid(
                "clients",
                "a scenario needs `clients`, `workload`, or both: with neither, nothing happens",
            ));
        }
        network.schedule = validate_schedule(&pin_specs, replicas, &clients, workload.as_ref())?;

        if let Some(timeout) = self.timeout {
            check_time("timeout", timeout)?;
            if timeout == 0 {
                return Err(invalid(
                    "timeout",
                    "a client that gives up after 0 ms never gets an answer; use at least 1",
                ));
            }
        }
        let faults = validate_faults(&self.faults, replicas as usize, &replica)?;
        let nemesis = match &self.nemesis {
            None => None,
            Some(spec) => Some(validate_nemesis(spec)?),
        };
        let channels = {
            let default = ChannelConfig::default();
            let retransmit = self.channels.retransmit.unwrap_or(default.retransmit);
            check_time("channels.retransmit", retransmit)?;
            if retransmit == 0 {
                return Err(invalid(
                    "channels.retransmit",
                    "a retransmission timeout of 0 ms would resend for ever at one instant; use at least 1",
                ));
            }
            ChannelConfig {
                retransmit,
                ordered: self.channels.ordered.unwrap_or(default.ordered),
            }
        };

        let limits = Limits {
            time: self.limits.time.unwrap_or(Limits::DEFAULT.time),
            events: self.limits.events.unwrap_or(Limits::DEFAULT.events),
        };
        check_time("limits.time", limits.time)?;
        if limits.events == 0 {
            return Err(invalid("limits.events", "must be at least 1"));
        }
        if limits.events > MAX_EVENTS {
            return Err(invalid(
                "limits.events",
                format!(
                    "{} events is more than the {MAX_EVENTS} kvsim allows in one run (memory grows with them)",
                    limits.events
                ),
            ));
        }

        Ok(Config {
            name: self.name.unwrap_or_else(|| default_name.to_string()),
            description: self.description.unwrap_or_default(),
            seed: self.seed.unwrap_or(0),
            replicas: replicas as usize,
            network,
            clients,
            workload,
            timeout: self.timeout,
            faults,
            nemesis,
            channels,
            limits,
        })
    }
}

pub(super) fn check_delay(field: &str, delay: Delay) -> Result<(), ScenarioError> {
    match delay {
        Delay::Constant(ms) => check_time(&format!("{field}.constant"), ms),
        Delay::Exponential(mean) => check_time(&format!("{field}.exponential"), mean),
        Delay::Uniform(min, max) if min > max => Err(invalid(
            format!("{field}.uniform"),
            format!("the range [{min}, {max}] has min greater than max"),
        )),
        Delay::Uniform(_, max) => check_time(&format!("{field}.uniform"), max),
    }
}

/// Times and delays stay far below where adding them up could overflow.
pub(super) fn check_time(field: &str, ms: Time) -> Result<(), ScenarioError> {
    if ms > MAX_TIME {
        return Err(invalid(
            field,
            format!("{ms} ms is more than the {MAX_TIME} ms (about 35 years) kvsim supports"),
        ));
    }
    Ok(())
}

fn validate_step(
    field: &str,
    step: &StepSpec,
    replica: &dyn Fn(&str, u32, &str) -> Result<ReplicaId, ScenarioError>,
) -> Result<Step, ScenarioError> {
    let given = [
        step.put.is_some(),
        step.get.is_some(),
        step.cas.is_some(),
        step.append.is_some(),
        step.sleep.is_some(),
    ];
    let count = given.iter().filter(|&&g| g).count();
    if count != 1 {
        let found = if count == 0 { "none" } else { "more than one" };
        return Err(invalid(
            field,
            format!(
                "an op needs exactly one of `put`, `get`, `cas`, `append` or `sleep`, found {found}"
            ),
        ));
    }
    let to = match step.replica {
        Some(id) => Some(replica(
            &format!("{field}.replica"),
            id,
            "the op is sent to",
        )?),
        None => None,
    };
    let op = match (&step.put, &step.get, &step.cas, &step.append, step.sleep) {
        (Some((key, value)), ..) => Op::Put {
            key: key.clone(),
            value: value.clone(),
        },
        (_, Some(key), ..) => Op::Get { key: key.clone() },
        (_, _, Some((key, expected, new)), ..) => Op::Cas {
            key: key.clone(),
            expected: expected.clone(),
            new: new.clone(),
        },
        (_, _, _, Some((key, value)), _) => Op::Append {
            key: key.clone(),
            value: value.clone(),
        },
        (.., Some(ms)) => {
            if to.is_some() {
                return Err(invalid(
                    format!("{field}.replica"),
                    "a sleep is not sent anywhere, so it takes no `replica`",
                ));
            }
            check_time(&format!("{field}.sleep"), ms)?;
            return Ok(Step::Sleep(ms));
        }
        _ => unreachable!("exactly one of put, get, cas, append, sleep was checked above"),
    };
    Ok(Step::Op { op, replica: to })
}

fn validate_workload(spec: WorkloadSpec) -> Result<Workload, ScenarioError> {
    if spec.clients > MAX_WORKLOAD_CLIENTS {
        return Err(invalid(
            "workload.clients",
            format!(
                "at most {MAX_WORKLOAD_CLIENTS} generated clients are supported, got {}",
                spec.clients
            ),
        ));
    }
    if spec.clients == 0 {
        return Err(invalid(
            "workload.clients",
            "a workload needs at least 1 client, got 0",
        ));
    }
    if spec.keys == 0 {
        return Err(invalid(
            "workload.keys",
            "a workload needs at least 1 key, got 0",
        ));
    }
    let total = u64::from(spec.clients) * u64::from(spec.ops);
    if total > MAX_WORKLOAD_OPS {
        return Err(invalid(
            "workload",
            format!("{} clients × {} ops is {total} operations; at most {MAX_WORKLOAD_OPS} are supported (a run keeps every operation and commit in memory)", spec.clients, spec.ops),
        ));
    }
    let fraction = |field: &str, p: f64| {
        if (0.0..=1.0).contains(&p) {
            Ok(p)
        } else {
            Err(invalid(
                field,
                format!("a fraction between 0 and 1, got {p}"),
            ))
        }
    };
    let think = spec.think.unwrap_or(Delay::Constant(0));
    check_delay("workload.think", think)?;
    let reads = fraction("workload.reads", spec.reads)?;
    let cas = fraction("workload.cas", spec.cas.unwrap_or(0.0))?;
    let append = fraction("workload.append", spec.append.unwrap_or(0.0))?;
    // A little slack, so that fractions like 0.7 + 0.2 + 0.1 that add up to 1 on paper pass.
    if reads + cas + append > 1.0 + 1e-9 {
        return Err(invalid(
            "workload",
            format!("reads + cas + append must be at most 1 (the rest are puts), got {reads} + {cas} + {append} = {}", reads + cas + append),
        ));
    }
    if spec.values == Some(0) {
        return Err(invalid(
            "workload.values",
            "values are drawn from 0 … values-1, so at least 1 is needed, got 0",
        ));
    }
    Ok(Workload {
        clients: spec.clients,
        ops: spec.ops,
        keys: spec.keys,
        reads,
        cas,
        append,
        values: spec.values,
        think,
        switch: fraction("workload.switch", spec.switch.unwrap_or(0.0))?,
    })
}

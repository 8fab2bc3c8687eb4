//! A validated scenario, and the validation that builds it from the raw [`Scenario`].

use std::collections::BTreeSet;

use super::{
    invalid, Scenario, ScenarioError, StepSpec, WorkloadSpec, MAX_REPLICAS, MAX_TIME,
    MAX_WORKLOAD_CLIENTS, MAX_WORKLOAD_OPS,
};
use crate::client::{Step, Workload};
use crate::ids::{ReplicaId, Time};
use crate::op::Op;
use crate::sim::network::Delay;

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
    pub limits: Limits,
}

/// The validated `"network"`.
#[derive(Clone, Debug)]
pub struct NetworkConfig {
    pub delay: Delay,
    pub fifo: bool,
    pub links: Vec<(ReplicaId, ReplicaId, Delay)>,
    pub client_delay: Delay,
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
    pub fn validate(self, default_name: &str) -> Result<Config, ScenarioError> {
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

        let network = {
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
            NetworkConfig {
                delay,
                fifo: spec.fifo.unwrap_or(true),
                links,
                client_delay,
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

        let limits = Limits {
            time: self.limits.time.unwrap_or(Limits::DEFAULT.time),
            events: self.limits.events.unwrap_or(Limits::DEFAULT.events),
        };
        check_time("limits.time", limits.time)?;
        if limits.events == 0 {
            return Err(invalid("limits.events", "must be at least 1"));
        }

        Ok(Config {
            name: self.name.unwrap_or_else(|| default_name.to_string()),
            description: self.description.unwrap_or_default(),
            seed: self.seed.unwrap_or(0),
            replicas: replicas as usize,
            network,
            clients,
            workload,
            limits,
        })
    }
}

fn check_delay(field: &str, delay: Delay) -> Result<(), ScenarioError> {
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
fn check_time(field: &str, ms: Time) -> Result<(), ScenarioError> {
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
    let given = [step.put.is_some(), step.get.is_some(), step.sleep.is_some()];
    let count = given.iter().filter(|&&g| g).count();
    if count != 1 {
        let found = if count == 0 { "none" } else { "more than one" };
        return Err(invalid(
            field,
            format!("an op needs exactly one of `put`, `get` or `sleep`, found {found}"),
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
    let op = match (&step.put, &step.get, step.sleep) {
        (Some((key, value)), _, _) => Op::Put {
            key: key.clone(),
            value: value.clone(),
        },
        (_, Some(key), _) => Op::Get { key: key.clone() },
        (_, _, Some(ms)) => {
            if to.is_some() {
                return Err(invalid(
                    format!("{field}.replica"),
                    "a sleep is not sent anywhere, so it takes no `replica`",
                ));
            }
            check_time(&format!("{field}.sleep"), ms)?;
            return Ok(Step::Sleep(ms));
        }
        _ => unreachable!("exactly one of put, get, sleep was checked above"),
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
            format!("{} clients × {} ops is {total} operations; at most {MAX_WORKLOAD_OPS} are supported", spec.clients, spec.ops),
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
    Ok(Workload {
        clients: spec.clients,
        ops: spec.ops,
        keys: spec.keys,
        reads: fraction("workload.reads", spec.reads)?,
        think,
        switch: fraction("workload.switch", spec.switch.unwrap_or(0.0))?,
    })
}

//! The scenario file format: its raw serde shape, its validation, and its errors.
//!
//! Parsing goes in two steps, as ripgrep does with its flags: [`Scenario`] is exactly what the JSON
//! says (unknown fields are refused), then [`Scenario::validate`] checks what serde cannot — replica
//! numbers in range, `min <= max` — and builds a [`Config`] that cannot be invalid, so nothing later
//! re-checks input. Every error says where the problem is: line and column for what the JSON parser
//! finds, the field path (`clients[1].replica`) for what validation finds, and both when it can.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use serde::Deserialize;

use crate::client::{Step, Workload};
use crate::ids::{ReplicaId, Time};
use crate::op::{Key, Op, Value};
use crate::sim::network::Delay;

/// The most replicas a scenario may have. The totally-ordered multicast sends n² messages per
/// operation and a vector clock has n entries, so beyond this a run is impractically slow anyway.
pub const MAX_REPLICAS: u32 = 256;

/// The most operations a generated workload may have in all (clients × ops).
pub const MAX_WORKLOAD_OPS: u64 = 10_000_000;

/// What went wrong reading a scenario. The messages leave out the file name: the caller knows it and
/// adds it (`kvsim: scenarios/x.json: …`).
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read the file: {0}")]
    Read(#[from] std::io::Error),
    #[error("line {line}, column {column}: {}{message}", at_field(field))]
    Syntax {
        line: usize,
        column: usize,
        /// The field path where parsing stopped, empty at the top level.
        field: String,
        message: String,
    },
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
}

fn at_field(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("{field}: ")
    }
}

fn invalid(field: impl fmt::Display, message: impl fmt::Display) -> ScenarioError {
    ScenarioError::Invalid {
        field: field.to_string(),
        message: message.to_string(),
    }
}

/// A scenario file as written. See the README for every field.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: Option<String>,
    pub description: Option<String>,
    pub seed: Option<u64>,
    pub replicas: u32,
    #[serde(default)]
    pub network: NetworkSpec,
    pub clients: Option<Vec<ClientSpec>>,
    pub workload: Option<WorkloadSpec>,
    #[serde(default)]
    pub limits: LimitsSpec,
}

/// `"network"`: delays between replicas and between clients and replicas.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    pub delay: Option<Delay>,
    pub fifo: Option<bool>,
    #[serde(default)]
    pub links: Vec<LinkSpec>,
    pub client_delay: Option<Delay>,
}

/// One entry of `"network.links"`: the delay of one directed link.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    pub from: u32,
    pub to: u32,
    pub delay: Delay,
}

/// One entry of `"clients"`: a scripted client.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    pub replica: u32,
    pub start: Option<Time>,
    pub ops: Vec<StepSpec>,
}

/// One entry of a client's `"ops"`: exactly one of `put`, `get`, `sleep`, and for `put` and `get` an
/// optional `replica` to send this one operation to instead of the client's own.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    pub put: Option<(Key, Value)>,
    pub get: Option<Key>,
    pub sleep: Option<Time>,
    pub replica: Option<u32>,
}

/// `"workload"`: clients whose operations are drawn from the seed.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    pub clients: u32,
    pub ops: u32,
    pub keys: u32,
    pub reads: f64,
    pub think: Option<Delay>,
    pub switch: Option<f64>,
}

/// `"limits"`: when to stop a run that has not gone quiet by itself.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    pub time: Option<Time>,
    pub events: Option<u64>,
}

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
    /// Parses scenario JSON. Errors carry the line, column and field path.
    pub fn parse(json: &str) -> Result<Scenario, ScenarioError> {
        // serde would read a top-level array as a struct's fields in order, and then complain about
        // the wrong thing; say plainly what a scenario is instead.
        if let Some((line, column, c)) = first_char(json) {
            if c != '{' {
                return Err(ScenarioError::Syntax {
                    line,
                    column,
                    field: String::new(),
                    message: "a scenario is a JSON object: `{\"replicas\": 3, \"clients\": [...]}`"
                        .into(),
                });
            }
        }
        let de = &mut serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(de).map_err(|err| {
            let field = err.path().to_string();
            let inner = err.into_inner();
            // serde_json's message ends in " at line L column C"; we print the place first instead.
            let full = inner.to_string();
            let place = format!(" at line {} column {}", inner.line(), inner.column());
            let message = full
                .strip_suffix(&place)
                .unwrap_or(&full)
                // Every integer field of a scenario is a count or a time in ms.
                .replace("expected u64", "expected a whole number, 0 or more")
                .replace("expected u32", "expected a whole number, 0 or more");
            ScenarioError::Syntax {
                line: inner.line(),
                column: inner.column(),
                // The path is "." at the top level and "?" where parsing stopped before any field.
                field: if field == "." || field == "?" {
                    String::new()
                } else {
                    field
                },
                message,
            }
        })
    }

    /// Reads, parses and validates a scenario file; the name defaults to the file's stem.
    pub fn load(path: &Path) -> Result<Config, ScenarioError> {
        let json = std::fs::read_to_string(path)?;
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        Scenario::parse(&json)?.validate(stem.as_deref().unwrap_or("scenario"))
    }

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
                start: spec.start.unwrap_or(0),
                steps,
            });
        }

        let workload = match self.workload {
            None => None,
            Some(spec) => Some(validate_workload(spec)?),
        };
        if self.clients.is_none() && workload.is_none() {
            return Err(invalid(
                "clients",
                "a scenario needs `clients`, `workload`, or both: with neither, nothing happens",
            ));
        }

        let limits = Limits {
            time: self.limits.time.unwrap_or(Limits::DEFAULT.time),
            events: self.limits.events.unwrap_or(Limits::DEFAULT.events),
        };
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

/// The first character that is not whitespace, with its line and column (both from 1).
fn first_char(text: &str) -> Option<(usize, usize, char)> {
    let (mut line, mut column) = (1, 0);
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            column = 0;
            continue;
        }
        column += 1;
        if !c.is_whitespace() {
            return Some((line, column, c));
        }
    }
    None
}

fn check_delay(field: &str, delay: Delay) -> Result<(), ScenarioError> {
    match delay {
        Delay::Uniform(min, max) if min > max => Err(invalid(
            format!("{field}.uniform"),
            format!("the range [{min}, {max}] has min greater than max"),
        )),
        _ => Ok(()),
    }
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
            return Ok(Step::Sleep(ms));
        }
        _ => unreachable!("exactly one of put, get, sleep was checked above"),
    };
    Ok(Step::Op { op, replica: to })
}

fn validate_workload(spec: WorkloadSpec) -> Result<Workload, ScenarioError> {
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

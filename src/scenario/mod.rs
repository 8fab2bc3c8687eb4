//! The scenario file format: its raw serde shape, its parsing, and its errors. Validation into a
//! [`Config`] is in the `config` module.
//!
//! Parsing goes in two steps, as ripgrep does with its flags: [`Scenario`] is exactly what the JSON
//! says (unknown fields are refused), then [`Scenario::validate`] checks what serde cannot — replica
//! numbers in range, `min <= max` — and builds a [`Config`] that cannot be invalid, so nothing later
//! re-checks input. Every error says where the problem is: line and column for what the JSON parser
//! finds, with the field path (`clients[1].replica`) where parsing stopped; the field path for what
//! validation finds.

mod config;
mod faults;
mod schedule;

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use config::{ClientConfig, Config, Limits, NetworkConfig, DEFAULT_DELAY};

use crate::ids::Time;
use crate::json::Located;
use crate::op::{Key, Value};
use crate::sim::network::Delay;
use crate::sim::schedule::Hop;

/// The most replicas a scenario may have. The totally-ordered multicast sends n² messages per
/// operation and a vector clock has n entries, so beyond this a run is impractically slow anyway.
pub const MAX_REPLICAS: u32 = 256;

/// The most operations a generated workload may have in all (clients × ops). A run keeps its whole
/// history and every replica's committed order, and `kvsim run` holds all four models' runs and their
/// rendering at once: 500,000 operations take about 3 GB that way (measured, JSON output), so that
/// every valid scenario runs within 4 GiB.
pub const MAX_WORKLOAD_OPS: u64 = 500_000;

/// The most events a run may be allowed (`limits.events`, also the default). Memory grows with the
/// commits a run records, and so with its events: fifty million take well under 1 GB per model.
pub const MAX_EVENTS: u64 = 50_000_000;

/// The most clients a generated workload may have.
pub const MAX_WORKLOAD_CLIENTS: u32 = 100_000;

/// The largest time or delay a scenario may give, in ms (2⁴⁰ ms, about 35 years): far beyond any
/// meaningful simulation, and far below where sums of times could overflow.
pub const MAX_TIME: Time = 1 << 40;

/// What went wrong reading a scenario. The messages leave out the file name: the caller knows it and
/// adds it (`kvsim: scenarios/x.json: …`).
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read the file: {0}")]
    Read(#[from] std::io::Error),
    #[error("line {}, column {}: {}{}", .0.line, .0.column, .0.field_prefix(), .0.message)]
    Syntax(Located),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
}

fn invalid(field: impl fmt::Display, message: impl fmt::Display) -> ScenarioError {
    ScenarioError::Invalid {
        field: field.to_string(),
        message: message.to_string(),
    }
}

/// A scenario file as written. See the README for every field.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    pub replicas: u32,
    #[serde(default)]
    pub network: NetworkSpec,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clients: Option<Vec<ClientSpec>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadSpec>,
    /// How long a client waits for an answer before it gives up, in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Time>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nemesis: Option<NemesisSpec>,
    #[serde(default)]
    pub channels: ChannelsSpec,
    #[serde(default)]
    pub limits: LimitsSpec,
}

/// `"network"`: delays between replicas and between clients and replicas.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay: Option<Delay>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fifo: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_delay: Option<Delay>,
    /// The probability that a message between replicas is lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drop: Option<f64>,
    /// The probability that a message between replicas arrives twice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<f64>,
    /// Pinned delays of individual messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<PinSpec>,
}

/// One entry of `"network.schedule"`: the fixed delay of one message about client `client`'s
/// `op`-th operation — between replicas `from` and `to`, or on the client's `hop`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PinSpec {
    pub client: u32,
    pub op: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hop: Option<Hop>,
    pub delay: Time,
}

/// One entry of `"network.links"`: the delay of one directed link.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    pub from: u32,
    pub to: u32,
    pub delay: Delay,
}

/// One entry of `"clients"`: a scripted client.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    pub replica: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<Time>,
    pub ops: Vec<StepSpec>,
}

/// One entry of a client's `"ops"`: exactly one of `put`, `get`, `cas`, `append`, `sleep`, and for the
/// operations an optional `replica` to send this one operation to instead of the client's own.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub put: Option<(Key, Value)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub get: Option<Key>,
    /// `[key, expected, new]`; `expected` null: the key must be absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cas: Option<(Key, Option<Value>, Value)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub append: Option<(Key, Value)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sleep: Option<Time>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica: Option<u32>,
}

/// `"workload"`: clients whose operations are drawn from the seed.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    pub clients: u32,
    pub ops: u32,
    pub keys: u32,
    pub reads: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cas: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub append: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub think: Option<Delay>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub switch: Option<f64>,
}

/// One entry of `"faults"`: `at`, and exactly one of the others.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub at: Time,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<Vec<Vec<u32>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_oneway: Option<OnewaySpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heal: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crash: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<u32>,
}

/// `"partition_oneway"`: messages from `from` to `to` are lost.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OnewaySpec {
    pub from: Vec<u32>,
    pub to: Vec<u32>,
}

/// `"nemesis"`: random partitions and crashes drawn from the seed.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NemesisSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<Time>,
    pub until: Time,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partitions: Option<EpisodesSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crashes: Option<EpisodesSpec>,
}

/// `"nemesis.partitions"` and `"nemesis.crashes"`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EpisodesSpec {
    pub every: Delay,
    pub lasting: Delay,
}

/// `"channels"`: how replicas' channels retransmit and deliver.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelsSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retransmit: Option<Time>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordered: Option<bool>,
}

/// `"limits"`: when to stop a run that has not gone quiet by itself.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<u64>,
}

impl Scenario {
    /// Parses scenario JSON. Errors carry the line, column and field path.
    pub fn parse(json: &str) -> Result<Scenario, ScenarioError> {
        // Some editors start UTF-8 files with a byte order mark; it is not part of the JSON.
        let json = json.strip_prefix('\u{feff}').unwrap_or(json);
        // serde would read a top-level array as a struct's fields in order, and then complain about
        // the wrong thing; say plainly what a scenario is instead.
        if let Some((line, column, c)) = first_char(json) {
            if c != '{' {
                return Err(ScenarioError::Syntax(Located {
                    line,
                    column,
                    field: String::new(),
                    message: "a scenario is a JSON object: `{\"replicas\": 3, \"clients\": [...]}`"
                        .into(),
                }));
            }
        }
        crate::json::parse(json).map_err(ScenarioError::Syntax)
    }

    /// Reads, parses and validates a scenario file; the name defaults to the file's stem.
    pub fn load(path: &Path) -> Result<Config, ScenarioError> {
        let json = std::fs::read_to_string(path)?;
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        Scenario::parse(&json)?.validate(stem.as_deref().unwrap_or("scenario"))
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

//! Validation of `network.schedule`, the pinned delays of individual messages (see
//! [`crate::sim::schedule`] for what a pin names).

use std::collections::BTreeSet;

use super::config::{check_time, ClientConfig};
use super::{invalid, PinSpec, ScenarioError};
use crate::client::{Step, Workload};
use crate::ids::{ClientId, ReplicaId};
use crate::sim::schedule::{Hop, Pin, PinnedMessage};

/// Checks every pin against the scenario's clients: the scripted ones, then those `workload`
/// generates, as the engine numbers them.
pub(super) fn validate_schedule(
    specs: &[PinSpec],
    replicas: u32,
    scripted: &[ClientConfig],
    workload: Option<&Workload>,
) -> Result<Vec<Pin>, ScenarioError> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    // How many operations each client runs.
    let mut operations: Vec<u64> = scripted
        .iter()
        .map(|c| {
            c.steps
                .iter()
                .filter(|s| matches!(s, Step::Op { .. }))
                .count() as u64
        })
        .collect();
    if let Some(workload) = workload {
        operations.extend((0..workload.clients).map(|_| u64::from(workload.ops)));
    }
    let mut pins = Vec::with_capacity(specs.len());
    let mut seen = BTreeSet::new();
    for (i, spec) in specs.iter().enumerate() {
        let field = format!("network.schedule[{i}]");
        let Some(&ops) = operations.get(spec.client as usize) else {
            return Err(invalid(
                format!("{field}.client"),
                format!(
                    "client {}, but the scenario has {} clients",
                    spec.client,
                    operations.len()
                ),
            ));
        };
        if u64::from(spec.op) >= ops {
            return Err(invalid(
                format!("{field}.op"),
                format!(
                    "operation {} of client {} (counting from 0, sleeps not counted), but it runs {ops}",
                    spec.op, spec.client
                ),
            ));
        }
        let message = match (spec.from, spec.to, spec.hop) {
            (Some(from), Some(to), None) => {
                for (end, id) in [("from", from), ("to", to)] {
                    if id >= replicas {
                        return Err(invalid(
                            format!("{field}.{end}"),
                            format!("replica {id}, but the scenario has {replicas} (0 to {})", replicas - 1),
                        ));
                    }
                }
                if from == to {
                    return Err(invalid(
                        &field,
                        format!("a message goes between two different replicas, got {from} to itself"),
                    ));
                }
                PinnedMessage::Between {
                    from: ReplicaId(from),
                    to: ReplicaId(to),
                }
            }
            (None, None, Some(Hop::Request)) => PinnedMessage::Request,
            (None, None, Some(Hop::Reply)) => PinnedMessage::Reply,
            _ => {
                return Err(invalid(
                    &field,
                    "a pin names either `from` and `to` (a message between replicas) or `hop` (\"request\" or \"reply\", a client's message), not both or neither",
                ))
            }
        };
        check_time(&format!("{field}.delay"), spec.delay)?;
        let pin = Pin {
            client: ClientId(spec.client),
            op: spec.op,
            message,
            delay: spec.delay,
        };
        if !seen.insert(pin.key()) {
            return Err(invalid(
                &field,
                format!(
                    "the delay of this message of client {}'s operation {} is given twice",
                    spec.client, spec.op
                ),
            ));
        }
        pins.push(pin);
    }
    Ok(pins)
}

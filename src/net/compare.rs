//! Where a real run differed from the simulated run of the same scenario: the verdicts, the
//! operations that came out otherwise, each replica's final store, and the latencies.
//!
//! A difference is not a fault. The simulator draws one interleaving from the seed; the real run gets
//! whichever one the machine's scheduling gave it. Both must keep the model's own guarantee, but a
//! stale read the simulator shows may not happen for real (or the other way round), and last-writer-
//! wins may keep another of two concurrent writes.

use std::fmt::Write;

use std::collections::BTreeMap;

use crate::check::{Property, Verdicts};
use crate::history::{show, Operation};
use crate::op::OpKind;
use crate::protocol::Store;
use crate::run::{Latency, Run};
use crate::text::escape;

/// One property's verdict, real and simulated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerdictPair {
    pub property: Property,
    pub real: Option<bool>,
    pub simulated: Option<bool>,
}

/// How a real run compares with the simulated one.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub verdicts: Vec<VerdictPair>,
    /// For each replica whose final store differs: its id, the real store and the simulated one.
    pub stores: Vec<(u32, Store, Store)>,
    /// Each operation that came out otherwise — answered in one run and not the other, or with
    /// another value — as `(client's operation, real outcome, simulated outcome)`, client by client.
    pub outcomes: Vec<(String, String, String)>,
    /// Reads and writes: (real, simulated) latencies.
    pub reads: (Latency, Latency),
    pub writes: (Latency, Latency),
}

impl Comparison {
    /// Compares `real` with `simulated`, each with its verdicts.
    pub fn new(real: (&Run, &Verdicts), simulated: (&Run, &Verdicts)) -> Self {
        let verdicts = Property::ALL
            .into_iter()
            .map(|property| VerdictPair {
                property,
                real: real.1.get(property).ok,
                simulated: simulated.1.get(property).ok,
            })
            .collect();
        let mut stores = Vec::new();
        for (mine, theirs) in real.0.replicas.iter().zip(&simulated.0.replicas) {
            if mine.store != theirs.store {
                stores.push((mine.id.0, mine.store.clone(), theirs.store.clone()));
            }
        }
        Comparison {
            verdicts,
            stores,
            outcomes: outcomes(&real.0.history, &simulated.0.history),
            reads: (real.0.stats.reads.clone(), simulated.0.stats.reads.clone()),
            writes: (
                real.0.stats.writes.clone(),
                simulated.0.stats.writes.clone(),
            ),
        }
    }

    /// Whether any verdict differs.
    pub fn verdicts_differ(&self) -> bool {
        self.verdicts.iter().any(|pair| pair.real != pair.simulated)
    }

    /// The comparison as text, one line per property, then the stores and the latencies.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "  {:<20} {:<8} simulated", "property", "real");
        for pair in &self.verdicts {
            let simulated = word(pair.simulated);
            let mark = if pair.real != pair.simulated {
                format!("{simulated:<10}  ≠ differs")
            } else {
                simulated.to_string()
            };
            let _ = writeln!(
                out,
                "  {:<20} {:<8} {mark}",
                pair.property.name().replace('_', " "),
                word(pair.real)
            );
        }
        if self.outcomes.is_empty() {
            out.push_str("  operations: each came out as simulated\n");
        }
        for (operation, real, simulated) in self.outcomes.iter().take(MAX_OUTCOMES) {
            let _ = writeln!(out, "  {operation}: {real} for real, {simulated} simulated");
        }
        if self.outcomes.len() > MAX_OUTCOMES {
            let _ = writeln!(
                out,
                "  and {} more operations that came out otherwise",
                self.outcomes.len() - MAX_OUTCOMES
            );
        }
        if self.stores.is_empty() {
            out.push_str("  final stores: the same at every replica as simulated\n");
        }
        for (replica, real, simulated) in &self.stores {
            let _ = writeln!(
                out,
                "  final store of r{replica} differs: real {}, simulated {}",
                store_text(real),
                store_text(simulated)
            );
        }
        for (kind, (real, simulated)) in [("reads", &self.reads), ("writes", &self.writes)] {
            let _ = writeln!(
                out,
                "  {kind:<6} latency ms p50/p99/max: real {}, simulated {}",
                latency_text(real),
                latency_text(simulated)
            );
        }
        out
    }
}

/// How many operations that came out otherwise the text lists.
const MAX_OUTCOMES: usize = 10;

/// The operations of `real` and `simulated` that came out otherwise, pairing each client's n-th
/// operation in one with its n-th in the other (both run the same script).
fn outcomes(real: &[Operation], simulated: &[Operation]) -> Vec<(String, String, String)> {
    let (real, simulated) = (by_client(real), by_client(simulated));
    let mut differ = Vec::new();
    for (client, real_ops) in &real {
        let simulated_ops = simulated.get(client).map_or(&[][..], Vec::as_slice);
        for (i, mine) in real_ops.iter().enumerate() {
            let theirs = simulated_ops
                .get(i)
                .map_or("not run".to_string(), |op| outcome(op));
            let ours = outcome(mine);
            if ours != theirs {
                differ.push((format!("client {client}'s {}", mine.asked()), ours, theirs));
            }
        }
    }
    differ
}

/// A history's operations, client by client, each client's in the order it invoked them.
fn by_client(history: &[Operation]) -> BTreeMap<u32, Vec<&Operation>> {
    let mut ops: BTreeMap<u32, Vec<&Operation>> = BTreeMap::new();
    for op in history {
        ops.entry(op.client.0).or_default().push(op);
    }
    ops
}

/// What an operation came to: its answer, or that there was none.
fn outcome(op: &Operation) -> String {
    if op.returned_at.is_none() {
        return match op.gave_up_at {
            Some(_) => "no answer in time".into(),
            None => "never answered".into(),
        };
    }
    match op.op {
        OpKind::Get => format!("read {}", show(&op.value)),
        OpKind::Cas => match &op.seen {
            Some(seen) => format!("failed, saw {}", show(seen)),
            None => "ok".into(),
        },
        OpKind::Put | OpKind::Append => "answered".into(),
    }
}

fn word(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "holds",
        Some(false) => "broken",
        None => "unknown",
    }
}

fn store_text(store: &Store) -> String {
    let pairs: Vec<String> = store
        .iter()
        .map(|(key, value)| format!("{}={}", escape(key), escape(value)))
        .collect();
    format!("{{{}}}", pairs.join(", "))
}

fn latency_text(latency: &Latency) -> String {
    let figure = |ms: Option<u64>| ms.map_or("-".to_string(), |ms| ms.to_string());
    let ops = match latency.count {
        1 => "op",
        _ => "ops",
    };
    format!(
        "{}/{}/{} ({} {ops})",
        figure(latency.p50),
        figure(latency.p99),
        figure(latency.max),
        latency.count
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ClientId, ReplicaId};
    use crate::op::{Op, Reply, RequestId};

    fn op(client: u32, seq: u32, op: &Op, answer: Option<Option<&str>>) -> Operation {
        let mut operation = Operation::invoked(ClientId(client), ReplicaId(0), op, 0);
        if let Some(value) = answer {
            let id = RequestId {
                client: ClientId(client),
                seq,
            };
            let reply = Reply {
                id,
                value: value.map(Into::into),
                ok: true,
            };
            operation.answer(5, &reply);
        }
        operation
    }

    #[test]
    fn operations_that_came_out_otherwise_are_listed_client_by_client() {
        let put = Op::Put {
            key: "x".into(),
            value: "1".into(),
        };
        let get = Op::Get { key: "x".into() };
        let real = [op(0, 0, &put, None), op(1, 0, &get, Some(None))];
        let simulated = [op(1, 0, &get, Some(Some("1"))), op(0, 0, &put, Some(None))];
        assert_eq!(
            outcomes(&real, &simulated),
            vec![
                (
                    "client 0's put x = 1".to_string(),
                    "never answered".to_string(),
                    "answered".to_string()
                ),
                (
                    "client 1's get x".to_string(),
                    "read null".to_string(),
                    "read 1".to_string()
                ),
            ]
        );
        assert!(outcomes(&simulated, &simulated).is_empty());
    }
}

//! Where a real run differed from the simulated run of the same scenario: the verdicts, each
//! replica's final store, and the latencies.
//!
//! A difference is not a fault. The simulator draws one interleaving from the seed; the real run gets
//! whichever one the machine's scheduling gave it. Both must keep the model's own guarantee, but a
//! stale read the simulator shows may not happen for real (or the other way round), and last-writer-
//! wins may keep another of two concurrent writes.

use std::fmt::Write;

use crate::check::{Property, Verdicts};
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

//! Validation of a scenario's faults: the scripted `"faults"` (partitions, heals, crashes, restarts)
//! and the `"nemesis"` that draws them from the seed.

use std::collections::BTreeSet;

use super::config::{check_delay, check_time};
use super::{invalid, EpisodesSpec, FaultSpec, NemesisSpec, ScenarioError};
use crate::ids::ReplicaId;
use crate::sim::fault::{Fault, Origin, TimedFault};
use crate::sim::nemesis::{Episodes, Nemesis};

type ReplicaCheck<'a> = &'a dyn Fn(&str, u32, &str) -> Result<ReplicaId, ScenarioError>;

/// Checks each fault on its own, then replays them in time order to catch a crash of a replica that is
/// already down or a restart of one that is running.
pub(super) fn validate_faults(
    specs: &[FaultSpec],
    replicas: usize,
    replica: ReplicaCheck,
) -> Result<Vec<TimedFault>, ScenarioError> {
    let mut faults = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let field = format!("faults[{i}]");
        check_time(&format!("{field}.at"), spec.at)?;
        faults.push((i, validate_fault(&field, spec, replicas, replica)?));
    }
    // Stable: faults at the same instant happen in the order the scenario lists them.
    faults.sort_by_key(|(_, f)| f.at);
    let mut down: BTreeSet<ReplicaId> = BTreeSet::new();
    for (i, timed) in &faults {
        match timed.fault {
            Fault::Crash(r) if !down.insert(r) => {
                return Err(invalid(
                    format!("faults[{i}].crash"),
                    format!(
                        "{r} is already down at t={}: restart it before crashing it again",
                        timed.at
                    ),
                ))
            }
            Fault::Restart(r) if !down.remove(&r) => {
                return Err(invalid(
                    format!("faults[{i}].restart"),
                    format!(
                        "{r} is running at t={}: only a crashed replica can restart",
                        timed.at
                    ),
                ))
            }
            _ => {}
        }
    }
    Ok(faults.into_iter().map(|(_, f)| f).collect())
}

fn validate_fault(
    field: &str,
    spec: &FaultSpec,
    replicas: usize,
    replica: ReplicaCheck,
) -> Result<TimedFault, ScenarioError> {
    let given = [
        spec.partition.is_some(),
        spec.partition_oneway.is_some(),
        spec.heal.is_some(),
        spec.crash.is_some(),
        spec.restart.is_some(),
    ];
    let count = given.iter().filter(|&&g| g).count();
    if count != 1 {
        let found = if count == 0 { "none" } else { "more than one" };
        return Err(invalid(
            field,
            format!("a fault needs `at` and exactly one of `partition`, `partition_oneway`, `heal`, `crash` or `restart`, found {found}"),
        ));
    }
    // Replica lists: in range, none twice (within the list and across `seen`), none empty.
    let list = |field: &str,
                ids: &[u32],
                seen: &mut BTreeSet<ReplicaId>|
     -> Result<Vec<ReplicaId>, ScenarioError> {
        if ids.is_empty() {
            return Err(invalid(field, "an empty group of replicas"));
        }
        let mut group = Vec::new();
        for (j, &id) in ids.iter().enumerate() {
            let r = replica(&format!("{field}[{j}]"), id, "the fault names")?;
            if !seen.insert(r) {
                return Err(invalid(
                    format!("{field}[{j}]"),
                    format!("{r} is named twice: each replica belongs to one side"),
                ));
            }
            group.push(r);
        }
        Ok(group)
    };
    let fault = if let Some(groups) = &spec.partition {
        let field = format!("{field}.partition");
        if groups.len() < 2 {
            return Err(invalid(
                &field,
                "a partition needs at least two groups, such as [[0, 1], [2]]; to reconnect everyone use {\"heal\": true}",
            ));
        }
        let mut seen = BTreeSet::new();
        let mut sides = Vec::new();
        for (g, ids) in groups.iter().enumerate() {
            sides.push(list(&format!("{field}[{g}]"), ids, &mut seen)?);
        }
        if let Some(missing) = ReplicaId::all(replicas).find(|r| !seen.contains(r)) {
            return Err(invalid(
                &field,
                format!("{missing} is in no group: list every replica (one alone is a group of its own, [{}])", missing.0),
            ));
        }
        Fault::Partition(sides)
    } else if let Some(oneway) = &spec.partition_oneway {
        let field = format!("{field}.partition_oneway");
        let mut seen = BTreeSet::new();
        Fault::PartitionOneway {
            from: list(&format!("{field}.from"), &oneway.from, &mut seen)?,
            to: list(&format!("{field}.to"), &oneway.to, &mut seen)?,
        }
    } else if let Some(heal) = spec.heal {
        if !heal {
            return Err(invalid(
                format!("{field}.heal"),
                "`heal` takes `true`; to cut links, use `partition`",
            ));
        }
        Fault::Heal
    } else if let Some(id) = spec.crash {
        Fault::Crash(replica(&format!("{field}.crash"), id, "the fault crashes")?)
    } else if let Some(id) = spec.restart {
        Fault::Restart(replica(
            &format!("{field}.restart"),
            id,
            "the fault restarts",
        )?)
    } else {
        unreachable!("exactly one kind of fault was checked above")
    };
    Ok(TimedFault {
        at: spec.at,
        fault,
        origin: Origin::Script,
    })
}

pub(super) fn validate_nemesis(spec: &NemesisSpec) -> Result<Nemesis, ScenarioError> {
    let start = spec.start.unwrap_or(0);
    check_time("nemesis.start", start)?;
    check_time("nemesis.until", spec.until)?;
    if spec.until <= start {
        return Err(invalid(
            "nemesis.until",
            format!(
                "the nemesis ends at {} ms, not after it starts at {start} ms",
                spec.until
            ),
        ));
    }
    if spec.partitions.is_none() && spec.crashes.is_none() {
        return Err(invalid(
            "nemesis",
            "a nemesis needs `partitions`, `crashes`, or both",
        ));
    }
    let episodes =
        |field: &str, spec: &Option<EpisodesSpec>| -> Result<Option<Episodes>, ScenarioError> {
            let Some(spec) = spec else { return Ok(None) };
            check_delay(&format!("{field}.every"), spec.every)?;
            check_delay(&format!("{field}.lasting"), spec.lasting)?;
            Ok(Some(Episodes {
                every: spec.every,
                lasting: spec.lasting,
            }))
        };
    Ok(Nemesis {
        start,
        until: spec.until,
        partitions: episodes("nemesis.partitions", &spec.partitions)?,
        crashes: episodes("nemesis.crashes", &spec.crashes)?,
    })
}

//! The edits shrinking makes to an explicit scenario (every client scripted, every fault listed):
//! keep some clients, operations, faults or pins and drop the rest, or drop a replica — each
//! renumbering what refers to what it dropped, so that the result is again a scenario a person can
//! read and `kvsim run` can replay.
//!
//! Pins name operations by client and by the operation's place among its client's operations, so
//! dropping a client or an operation renumbers the pins of those after it, and drops its own.

use std::collections::{BTreeMap, BTreeSet};

use crate::scenario::{FaultSpec, OnewaySpec, PinSpec, Scenario, StepSpec};

/// Where an operation is in an explicit scenario: its client, and its step in that client's `ops`.
pub type OpAt = (usize, usize);

/// Whether a step is an operation (anything but a sleep).
pub fn is_op(step: &StepSpec) -> bool {
    step.sleep.is_none()
}

/// The scenario's clients, which must all be scripted.
pub fn clients(scenario: &Scenario) -> &[crate::scenario::ClientSpec] {
    scenario.clients.as_deref().unwrap_or_default()
}

/// Every operation of the scenario, client by client.
pub fn operations(scenario: &Scenario) -> Vec<OpAt> {
    let mut ops = Vec::new();
    for (c, client) in clients(scenario).iter().enumerate() {
        for (i, step) in client.ops.iter().enumerate() {
            if is_op(step) {
                ops.push((c, i));
            }
        }
    }
    ops
}

/// Every sleep of the scenario, client by client.
pub fn sleeps(scenario: &Scenario) -> Vec<OpAt> {
    let mut found = Vec::new();
    for (c, client) in clients(scenario).iter().enumerate() {
        for (i, step) in client.ops.iter().enumerate() {
            if !is_op(step) {
                found.push((c, i));
            }
        }
    }
    found
}

/// The scenario with only the clients `kept` (indices, in increasing order), renumbered.
pub fn keep_clients(scenario: &Scenario, kept: &[usize]) -> Scenario {
    let mut out = scenario.clone();
    let all = clients(scenario);
    out.clients = Some(kept.iter().map(|&c| all[c].clone()).collect());
    let new_index: BTreeMap<u32, u32> = kept
        .iter()
        .enumerate()
        .map(|(new, &old)| (old as u32, new as u32))
        .collect();
    out.network.schedule = renumber_pins(&scenario.network.schedule, |client, op| {
        new_index.get(&client).map(|&c| (c, op))
    });
    out
}

/// How long each operation kept its client busy in a run, by client and operation number: from its
/// invocation to its answer, or to when its client gave up. Operations that never ended, or never
/// began, are not listed.
pub type Busy = BTreeMap<(usize, u32), u64>;

/// How long each operation of `history` kept its client busy ([`Busy`]).
pub fn busy(history: &[crate::history::Operation]) -> Busy {
    let mut next_op: BTreeMap<usize, u32> = BTreeMap::new();
    let mut busy = Busy::new();
    for op in history {
        let client = op.client.index();
        let number = next_op.entry(client).or_insert(0);
        if let Some(end) = op.returned_at.or(op.gave_up_at) {
            busy.insert((client, *number), end.saturating_sub(op.invoked_at));
        }
        *number += 1;
    }
    busy
}

/// The scenario with only the operations `kept` (in increasing order). Each other operation becomes a
/// sleep as long as it kept its client busy (`busy`), so that the operations after it start when they
/// did; one `busy` does not list is simply dropped. Sleeps all stay.
pub fn keep_operations(scenario: &Scenario, kept: &[OpAt], busy: &Busy) -> Scenario {
    let kept: BTreeSet<OpAt> = kept.iter().copied().collect();
    let mut out = scenario.clone();
    // For each client, its old operation numbers and their new ones.
    let mut renumbered: BTreeMap<(u32, u32), u32> = BTreeMap::new();
    let mut new_clients = Vec::new();
    for (c, client) in clients(scenario).iter().enumerate() {
        let mut client = client.clone();
        let (mut old_op, mut new_op) = (0, 0);
        let mut steps = Vec::with_capacity(client.ops.len());
        for (i, step) in client.ops.iter().enumerate() {
            if !is_op(step) {
                steps.push(step.clone());
                continue;
            }
            if kept.contains(&(c, i)) {
                renumbered.insert((c as u32, old_op), new_op);
                steps.push(step.clone());
                new_op += 1;
            } else if let Some(&ms) = busy.get(&(c, old_op)).filter(|&&ms| ms > 0) {
                steps.push(sleep(ms));
            }
            old_op += 1;
        }
        client.ops = steps;
        new_clients.push(client);
    }
    out.clients = Some(new_clients);
    out.network.schedule = renumber_pins(&scenario.network.schedule, |client, op| {
        renumbered.get(&(client, op)).map(|&op| (client, op))
    });
    out
}

/// The scenario with each run of consecutive sleeps made one sleep, and the sleeps after a client's
/// last operation gone.
pub fn tidy_sleeps(scenario: &Scenario) -> Scenario {
    let mut out = scenario.clone();
    for client in out.clients.iter_mut().flatten() {
        let mut steps: Vec<StepSpec> = Vec::with_capacity(client.ops.len());
        for step in client.ops.drain(..) {
            match (steps.last_mut().and_then(|s| s.sleep.as_mut()), step.sleep) {
                (Some(last), Some(ms)) => *last = last.saturating_add(ms),
                _ => steps.push(step),
            }
        }
        while steps.last().is_some_and(|s| !is_op(s)) {
            steps.pop();
        }
        client.ops = steps;
    }
    out
}

fn sleep(ms: u64) -> StepSpec {
    StepSpec {
        put: None,
        get: None,
        cas: None,
        append: None,
        sleep: Some(ms),
        replica: None,
    }
}

/// The scenario with the sleep at `at` lasting `ms` instead, or gone (`None`). Sleeps are not
/// operations, so no pin needs renumbering.
pub fn with_sleep(scenario: &Scenario, at: OpAt, ms: Option<u64>) -> Scenario {
    let mut out = scenario.clone();
    if let Some(client) = out.clients.as_mut().and_then(|c| c.get_mut(at.0)) {
        match ms {
            Some(ms) => client.ops[at.1].sleep = Some(ms),
            None => {
                client.ops.remove(at.1);
            }
        }
    }
    out
}

/// The scenario with only the faults `kept` (indices, in increasing order), less any restart that
/// no longer follows a crash of its replica (it would be refused).
pub fn keep_faults(scenario: &Scenario, kept: &[usize]) -> Scenario {
    let mut out = scenario.clone();
    let faults: Vec<FaultSpec> = kept.iter().map(|&f| scenario.faults[f].clone()).collect();
    out.faults = without_orphan_restarts(faults);
    out
}

/// The scenario with only the pins `kept` (indices, in increasing order): the others' messages take
/// their link's delay.
pub fn keep_pins(scenario: &Scenario, kept: &[usize]) -> Scenario {
    let mut out = scenario.clone();
    out.network.schedule = kept
        .iter()
        .map(|&p| scenario.network.schedule[p].clone())
        .collect();
    out
}

/// The scenario without replica `r`, the others renumbered: its clients move to the lowest-numbered
/// replica left, operations sent to it go to their client's replica, and links, pins and faults
/// that name it go (a partition keeps its other groups). `None` when `r` is the only replica.
pub fn without_replica(scenario: &Scenario, r: u32) -> Option<Scenario> {
    if scenario.replicas <= 1 || r >= scenario.replicas {
        return None;
    }
    let renumber = |id: u32| match id.cmp(&r) {
        std::cmp::Ordering::Less => Some(id),
        std::cmp::Ordering::Equal => None,
        std::cmp::Ordering::Greater => Some(id - 1),
    };
    let mut out = scenario.clone();
    out.replicas -= 1;
    for client in out.clients.iter_mut().flatten() {
        client.replica = renumber(client.replica).unwrap_or(0);
        for step in &mut client.ops {
            step.replica = step.replica.and_then(renumber);
        }
    }
    out.network.links.retain(|l| l.from != r && l.to != r);
    for link in &mut out.network.links {
        link.from = renumber(link.from).unwrap_or(0);
        link.to = renumber(link.to).unwrap_or(0);
    }
    out.network.schedule = scenario
        .network
        .schedule
        .iter()
        .filter_map(|pin| {
            let mut pin = pin.clone();
            if let (Some(from), Some(to)) = (pin.from, pin.to) {
                pin.from = Some(renumber(from)?);
                pin.to = Some(renumber(to)?);
            }
            Some(pin)
        })
        .collect();
    let renumber_all =
        |ids: &[u32]| -> Vec<u32> { ids.iter().filter_map(|&id| renumber(id)).collect() };
    let mut faults = Vec::new();
    for fault in &scenario.faults {
        let mut fault = fault.clone();
        if let Some(groups) = &fault.partition {
            let groups: Vec<Vec<u32>> = groups
                .iter()
                .map(|g| renumber_all(g))
                .filter(|g| !g.is_empty())
                .collect();
            if groups.len() < 2 {
                continue;
            }
            fault.partition = Some(groups);
        }
        if let Some(oneway) = &fault.partition_oneway {
            let (from, to) = (renumber_all(&oneway.from), renumber_all(&oneway.to));
            if from.is_empty() || to.is_empty() {
                continue;
            }
            fault.partition_oneway = Some(OnewaySpec { from, to });
        }
        if let Some(id) = fault.crash {
            let Some(id) = renumber(id) else { continue };
            fault.crash = Some(id);
        }
        if let Some(id) = fault.restart {
            let Some(id) = renumber(id) else { continue };
            fault.restart = Some(id);
        }
        faults.push(fault);
    }
    out.faults = without_orphan_restarts(faults);
    Some(out)
}

/// Pins whose operation `map` renumbers, renumbered; the others dropped.
fn renumber_pins(pins: &[PinSpec], map: impl Fn(u32, u32) -> Option<(u32, u32)>) -> Vec<PinSpec> {
    pins.iter()
        .filter_map(|pin| {
            let (client, op) = map(pin.client, pin.op)?;
            Some(PinSpec {
                client,
                op,
                ..pin.clone()
            })
        })
        .collect()
}

/// `faults` less each restart of a replica that is not down at that moment (in time order, ties in
/// list order, as the engine takes them).
fn without_orphan_restarts(faults: Vec<FaultSpec>) -> Vec<FaultSpec> {
    let mut order: Vec<usize> = (0..faults.len()).collect();
    order.sort_by_key(|&i| faults[i].at);
    let mut down = BTreeSet::new();
    let mut orphan = BTreeSet::new();
    for i in order {
        if let Some(r) = faults[i].crash {
            down.insert(r);
        }
        if let Some(r) = faults[i].restart {
            if !down.remove(&r) {
                orphan.insert(i);
            }
        }
    }
    faults
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !orphan.contains(i))
        .map(|(_, f)| f)
        .collect()
}

//! The time cursor's data: what each replica holds at each instant of a run — its store, its
//! hold-back queue and its clocks — computed here from the recorded events, so the page only replays.
//!
//! Stored as changes, not whole states: step `i` lists what changed in each model's replicas since
//! step `i - 1`, so the data grows with the events, not with events × keys. Steps are the distinct
//! instants at which anything happened in any model's run, at most [`MAX_STEPS`]; a longer run keeps
//! evenly spaced instants and folds each dropped instant's changes into the next kept one, so the state
//! shown at a kept instant is still exact.
//!
//! ```text
//! {"times": [0, 2, 10, …], "distinct": 412, "thinned": false, "order": ["causal"], "models": {"causal": [[["s", 0, "x", "1"], ["h", 2, "2@r1"]], …]}}
//!   ["s", r, key, value]  r's store sets key      ["h", r, stamp]  r holds back stamp
//!   ["u", r, stamp]       r commits it (unheld)   ["l", r, n]      r's highest Lamport time seen
//!   ["v", r, [..]]        r's vector clock: the merge of the vector clocks of the writes it applied
//! ```
//!
//! The Lamport figure is the highest Lamport time a replica has stamped, applied, sent or received —
//! what its clock has at least reached; the replica's own clock is not recorded.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::sync::Arc;

use crate::events::What;
use crate::protocol::clocks::{Stamp, VectorClock};
use crate::protocol::summary::Clock;
use crate::protocol::Model;
use crate::run::Run;

/// The most instants the cursor steps through.
pub(crate) const MAX_STEPS: usize = 1_000;

/// The cursor's steps and each model's changes at each, as JSON text (see the module header).
///
/// Written as text rather than built as a `serde_json::Value`: a large run has millions of events,
/// and a tree of values for them took longer than the rest of the page.
pub(crate) fn timeline(runs: &[Run]) -> String {
    // Each run's events are in time order: its distinct instants come out sorted, and the runs'
    // lists are merged.
    let mut distinct: Vec<u64> = Vec::new();
    for run in runs {
        if let Some(log) = &run.events {
            let mut last = None;
            for event in log.events.iter() {
                if last != Some(event.at) {
                    distinct.push(event.at);
                    last = Some(event.at);
                }
            }
        }
    }
    distinct.sort_unstable();
    distinct.dedup();
    let stride = distinct.len().div_ceil(MAX_STEPS).max(1);
    let mut times: Vec<u64> = distinct.iter().copied().step_by(stride).collect();
    if let (Some(&last), Some(&kept)) = (distinct.last(), times.last()) {
        if kept != last {
            times.push(last);
        }
    }
    let mut out = String::new();
    let order: Vec<&str> = runs.iter().map(|r| r.model.name()).collect();
    let _ = write!(
        out,
        "{{\"times\":{},\"distinct\":{},\"thinned\":{},\"order\":{},\"models\":{{",
        serde_json::to_string(&times).expect("numbers serialize"),
        distinct.len(),
        stride > 1,
        serde_json::to_string(&order).expect("names serialize")
    );
    for (i, run) in runs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "\"{}\":", run.model.name());
        changes(&mut out, run, &times);
    }
    out.push_str("}}");
    out
}

/// What one replica's visible state is, as far as the cursor shows it.
#[derive(Default)]
struct ReplicaState {
    lamport: u64,
    vector: Vec<u64>,
    held: BTreeSet<Stamp>,
}

/// One step's changes, each a JSON array, joined by commas.
#[derive(Clone, Default)]
struct Step(String);

impl Step {
    fn push(&mut self, change: std::fmt::Arguments) {
        if !self.0.is_empty() {
            self.0.push(',');
        }
        let _ = self.0.write_fmt(change);
    }
}

/// A string as a JSON string literal.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialize")
}

/// One run's changes, bucketed into the step of `times` at or after each event, written to `out`
/// as a JSON array of steps.
fn changes(out: &mut String, run: &Run, times: &[u64]) {
    let mut steps: Vec<Step> = vec![Step::default(); times.len()];
    let replicas = run.replicas.len();
    // The vector clock of each causal write, by stamp, from the packets that carried it.
    let mut vectors: BTreeMap<Stamp, Arc<VectorClock>> = BTreeMap::new();
    if let (Model::Causal, Some(log)) = (run.model, &run.events) {
        for carried in log.payloads.iter() {
            if let Clock::Vector(v) = &carried.clock {
                vectors.entry(carried.stamp).or_insert_with(|| v.clone());
            }
        }
    }
    let mut state: Vec<ReplicaState> = (0..replicas)
        .map(|_| ReplicaState {
            vector: vec![
                0;
                if run.model == Model::Causal {
                    replicas
                } else {
                    0
                }
            ],
            ..ReplicaState::default()
        })
        .collect();
    // Every replica starts at step 0, with its clocks at zero, so that the cursor lists each one
    // from the start.
    if let Some(first) = steps.first_mut() {
        for (r, s) in state.iter().enumerate() {
            first.push(format_args!("[\"l\",{r},0]"));
            if !s.vector.is_empty() {
                first.push(format_args!("[\"v\",{r},{:?}]", s.vector));
            }
        }
    }
    if let Some(log) = &run.events {
        let step_of = |at: u64| times.partition_point(|&t| t < at).min(times.len() - 1);
        for (event, index) in log.indexed(replicas) {
            let step = &mut steps[step_of(event.at)];
            match event.what {
                What::Commit { replica } => {
                    let r = replica.index();
                    let Some(entry) = run.replicas[r].committed.get(index as usize) else {
                        continue;
                    };
                    let s = &mut state[r];
                    if entry.changed_store() {
                        let value = entry.value.as_deref().map_or("null".to_string(), quoted);
                        step.push(format_args!("[\"s\",{r},{},{value}]", quoted(&entry.key)));
                    }
                    if s.held.remove(&entry.stamp) {
                        step.push(format_args!("[\"u\",{r},\"{}\"]", entry.stamp));
                    }
                    seen(s, r, entry.stamp.time, step);
                    if let Some(v) = vectors.get(&entry.stamp) {
                        let mut changed = false;
                        for (i, slot) in s.vector.iter_mut().enumerate() {
                            let theirs = v.get(crate::ids::ReplicaId(i as u32));
                            if theirs > *slot {
                                *slot = theirs;
                                changed = true;
                            }
                        }
                        if changed {
                            step.push(format_args!("[\"v\",{r},{:?}]", s.vector));
                        }
                    }
                }
                What::Note { replica } => {
                    if let Some(crate::protocol::note::Note::HeldBack { stamp, .. }) =
                        log.notes.get(index as usize)
                    {
                        let r = replica.index();
                        if state[r].held.insert(*stamp) {
                            step.push(format_args!("[\"h\",{r},\"{stamp}\"]"));
                        }
                    }
                }
                What::Sent { msg } | What::Delivered { msg } => {
                    let m = &log.messages[msg as usize];
                    let r = match event.what {
                        What::Sent { .. } => m.from.index(),
                        _ => m.to.index(),
                    };
                    if let Some(carried) = log.payload(m) {
                        let time = match carried.clock {
                            Clock::Lamport(n) => n.max(carried.stamp.time),
                            _ => carried.stamp.time,
                        };
                        seen(&mut state[r], r, time, step);
                    }
                }
                _ => {}
            }
        }
    }
    out.push('[');
    for (i, step) in steps.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        out.push_str(&step.0);
        out.push(']');
    }
    out.push(']');
}

/// Raises replica `r`'s Lamport figure to `time`, noting the change in `step`.
fn seen(state: &mut ReplicaState, r: usize, time: u64, step: &mut Step) {
    if time > state.lamport {
        state.lamport = time;
        step.push(format_args!("[\"l\",{r},{time}]"));
    }
}

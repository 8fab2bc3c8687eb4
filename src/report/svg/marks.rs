//! The marks of the diagram, gathered in one walk over the run's events: operations, commits,
//! held-back spans and faults (packets are in [`super::messages`]).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::messages::Packets;
use super::scale::{happenings, Scale, STEP};
use super::witness::{witnesses, Causes};
use super::xml::{times, xml};
use super::{lane_x, DATA_LIMIT};
use crate::check::Verdicts;
use crate::events::What;
use crate::history::Operation;
use crate::ids::{ReplicaId, Time};
use crate::op::OpKind;
use crate::protocol::clocks::Stamp;
use crate::protocol::note::{Note, Why};
use crate::run::Run;

/// The diagram's body: its lines, sorted by where they start, and where it ends.
pub(super) struct Body {
    pub(super) text: String,
    pub(super) end: i64,
    pub(super) bytes: usize,
}

/// A write held back at a replica, until its commit: where and when the span starts, the note's
/// index, and why.
struct Held {
    y: i64,
    at: Time,
    note: u32,
    why: String,
}

/// What the walk keeps.
pub(super) struct Diagram<'a> {
    pub(super) run: &'a Run,
    scale: Scale,
    /// Each element: the y where it starts, and its line.
    pub(super) lines: Vec<(i64, String)>,
    /// For each operation, the properties whose witness it is (empty: none).
    pub(super) witness: Vec<String>,
    /// Each operation's invocation y.
    starts: Vec<Option<i64>>,
    /// Each operation's end: its answer's or give-up's y.
    ends: Vec<Option<i64>>,
    /// Writes held back, by replica and stamp: where the span starts, the note's index, and why.
    held: BTreeMap<(ReplicaId, Stamp), Held>,
    /// A crash not yet restarted, by replica: its y and fault index.
    pub(super) crashed: BTreeMap<ReplicaId, (i64, u32)>,
    /// The partition in force: its y and fault index.
    pub(super) partition: Option<(i64, u32)>,
    pub(super) packets: Option<Packets<'a>>,
    causes: Option<Causes<'a>>,
    /// Whether held-back spans are drawn: not past [`DATA_LIMIT`] packets, where they would be
    /// most of the picture's bytes (every multicast operation waits at every replica).
    draw_held: bool,
    /// The held-back writes left out.
    held_left_out: usize,
}

impl<'a> Diagram<'a> {
    pub(super) fn new(run: &'a Run, verdicts: &Verdicts, clients: usize) -> Self {
        let ops = run.history.len();
        Diagram {
            run,
            scale: Scale::new(run.replicas.len() + clients),
            lines: Vec::new(),
            witness: witnesses(verdicts, ops),
            starts: vec![None; ops],
            ends: vec![None; ops],
            held: BTreeMap::new(),
            crashed: BTreeMap::new(),
            partition: None,
            packets: run.events.as_ref().map(|log| Packets::new(run, log)),
            causes: run.events.as_ref().map(|log| Causes::new(run, log)),
            draw_held: run
                .events
                .as_ref()
                .is_none_or(|log| log.messages.len() <= DATA_LIMIT),
            held_left_out: 0,
        }
    }

    fn client_lane(&self, op: u32) -> Option<usize> {
        let o = self.run.history.get(op as usize)?;
        Some(self.run.replicas.len() + o.client.index())
    }

    /// Places every event, and draws what ends at it.
    pub(super) fn walk(&mut self) {
        for (event, index) in happenings(self.run) {
            let lane = match event.what {
                What::Invoke { op } | What::Return { op } | What::GiveUp { op } => {
                    self.client_lane(op)
                }
                What::Commit { replica } => Some(replica.index()),
                _ => None,
            };
            let y = self.scale.place(event.at, lane);
            if let Some(causes) = &mut self.causes {
                let witness = &self.witness;
                causes.observe(event.what, index, |op| {
                    witness.get(op as usize).is_some_and(|w| !w.is_empty())
                });
            }
            match event.what {
                What::Invoke { op } => self.starts[op as usize] = Some(y),
                What::Return { op } | What::GiveUp { op } => self.ends[op as usize] = Some(y),
                What::Commit { replica } => self.commit(y, replica, index),
                What::Note { replica } => self.note(y, event.at, replica, index),
                What::Fault { index } => self.fault(y, index),
                other => {
                    if let Some(packets) = &mut self.packets {
                        packets.observe(y, other);
                    }
                }
            }
        }
    }

    /// Draws what is still open at the end of the run, and sorts the lines.
    pub(super) fn finish(mut self) -> (Body, Option<String>) {
        let end = self.scale.end();
        for (i, o) in self.run.history.iter().enumerate() {
            self.operation(i, o, end);
        }
        for ((replica, stamp), held) in std::mem::take(&mut self.held) {
            self.held_span(replica, stamp, &held, (end, None));
        }
        for (_, (y, index)) in std::mem::take(&mut self.crashed) {
            self.band(y, (end, None), index);
        }
        if let Some((y, index)) = self.partition.take() {
            self.band(y, (end, None), index);
        }
        // Time labels closer than a step apart would overlap: the first of them stays.
        let mut last_tick = None;
        for (y, time) in std::mem::take(&mut self.scale.ticks) {
            if last_tick.is_some_and(|last| y - last < STEP) {
                continue;
            }
            last_tick = Some(y);
            let tick = format!(
                "<text class=\"tick\" x=\"{}\" y=\"{}\">t={time}</text>",
                super::LEFT - 6,
                y + 3
            );
            self.lines.push((y, tick));
        }
        let mut omitted = None;
        if let Some(packets) = self.packets.take() {
            let found = self.causes.take().map(|c| c.found).unwrap_or_default();
            omitted = packets.draw(end, &found, &self.witness, &mut self.lines);
        }
        if self.held_left_out > 0 {
            let held = format!(
                "{} hold-back notes (more than {DATA_LIMIT} packets): no held-back spans",
                self.held_left_out
            );
            omitted = Some(match omitted {
                Some(packets) => format!("{packets}; {held}"),
                None => held,
            });
        }
        // Stable: at one y, lines keep the order they were made in.
        self.lines.sort_by_key(|&(y, _)| y);
        let mut text = String::new();
        for (_, line) in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        let bytes = text.len();
        (Body { text, end, bytes }, omitted)
    }

    /// `class="… witness" data-witness="…"` for an operation of some witness, else nothing.
    fn witness_attrs(&self, op: Option<u32>) -> (&'static str, String) {
        match op
            .and_then(|op| self.witness.get(op as usize))
            .filter(|w| !w.is_empty())
        {
            Some(list) => (" witness", format!(" data-witness=\"{list}\"")),
            None => ("", String::new()),
        }
    }

    fn operation(&mut self, i: usize, o: &Operation, end: i64) {
        let Some(start) = self.starts[i] else {
            return;
        };
        let stop = self.ends[i].unwrap_or(end);
        let n = self.run.history[..i]
            .iter()
            .filter(|p| p.client == o.client)
            .count();
        let x = lane_x(self.run.replicas.len() + o.client.index());
        let (kind, label) = match o.op {
            OpKind::Put => (
                "put",
                format!("put {}={}", o.key, o.value.as_deref().unwrap_or("")),
            ),
            OpKind::Get => {
                let read = match (&o.returned_at, &o.value) {
                    (None, _) => "?",
                    (Some(_), Some(v)) => &**v,
                    (Some(_), None) => "null",
                };
                ("get", format!("get {} → {read}", o.key))
            }
            OpKind::Cas => {
                let expected = o.expected.clone().flatten();
                let mut label = format!(
                    "cas {} {}→{}",
                    o.key,
                    expected.as_deref().unwrap_or("null"),
                    o.value.as_deref().unwrap_or("")
                );
                if let Some(seen) = &o.seen {
                    label.push_str(&format!(
                        " failed, saw {}",
                        seen.as_deref().unwrap_or("null")
                    ));
                }
                ("cas", label)
            }
            OpKind::Append => (
                "append",
                format!("append {}+={}", o.key, o.value.as_deref().unwrap_or("")),
            ),
        };
        let state = match (o.returned_at, o.gave_up_at) {
            (Some(_), _) => "",
            (None, Some(_)) => " timeout",
            (None, None) => " unanswered",
        };
        let (witness, data) = self.witness_attrs(Some(i as u32));
        let mut title = format!(
            "{} @ {}: {label}, invoked t={}",
            o.client, o.replica, o.invoked_at
        );
        match (o.returned_at, o.gave_up_at) {
            (Some(at), _) => {
                let _ = write!(title, ", answered t={at} (after {} ms)", at - o.invoked_at);
            }
            (None, Some(at)) => {
                let _ = write!(title, ", timed out: the client gave up at t={at}");
            }
            (None, None) => title.push_str(", never answered"),
        }
        if !data.is_empty() {
            let _ = write!(title, "; witness: {}", self.witness[i]);
        }
        let star = if witness.is_empty() { "" } else { "✱ " };
        let mut line = format!(
            "<g id=\"op-c{}-{n}\" class=\"op {kind}{state}{witness}\" data-op=\"{i}\"{}{data}>",
            o.client.0,
            times(o.invoked_at, o.returned_at.or(o.gave_up_at))
        );
        let _ = write!(
            line,
            "<title>{}</title><rect class=\"bar {kind}\" x=\"{}\" y=\"{start}\" width=\"6\" height=\"{}\"/><text x=\"{}\" y=\"{}\">{star}{}</text></g>",
            xml(&title),
            x - 3,
            (stop - start).max(4),
            x + 7,
            start + 9,
            xml(&label)
        );
        self.lines.push((start, line));
    }

    fn commit(&mut self, y: i64, replica: ReplicaId, index: u32) {
        let Some(entry) = self
            .run
            .replicas
            .get(replica.index())
            .and_then(|r| r.committed.get(index as usize))
        else {
            return;
        };
        let op = self.op_of(entry);
        if let Some(held) = self.held.remove(&(replica, entry.stamp)) {
            self.held_span(replica, entry.stamp, &held, (y, Some(entry.at)));
        }
        let (witness, data) = self.witness_attrs(op);
        let what = crate::report::describe_commit(entry);
        let mut title = format!(
            "{replica} applies {what} ({}) at t={}",
            entry.stamp, entry.at
        );
        if entry.superseded {
            title.push_str(": superseded by a newer write, changes nothing");
        }
        let x = lane_x(replica.index());
        let mut line = format!(
            "<g id=\"commit-r{}-{index}\" class=\"commit{witness}\"",
            replica.0
        );
        if let Some(op) = op {
            let _ = write!(line, " data-op=\"{op}\"");
        }
        let _ = write!(
            line,
            "{}{data}><title>{}</title><circle cx=\"{x}\" cy=\"{y}\" r=\"4\"/><text x=\"{}\" y=\"{}\">{}</text></g>",
            times(entry.at, None),
            xml(&title),
            x + 6,
            y + 3,
            entry.stamp
        );
        self.lines.push((y, line));
    }

    /// The history operation a commit is of: through the packets' stamps when the run recorded
    /// them, else the first operation of its client with its kind, key and value.
    fn op_of(&self, entry: &crate::protocol::CommitEntry) -> Option<u32> {
        if let Some(op) = self
            .causes
            .as_ref()
            .and_then(|c| c.unseen.op_of(entry.stamp))
        {
            return Some(op);
        }
        let found = self.run.history.iter().position(|o| {
            o.client == entry.client
                && o.op == entry.op
                && o.key == entry.key
                && o.value == entry.value
        });
        found.map(|i| i as u32)
    }

    fn note(&mut self, y: i64, at: Time, replica: ReplicaId, index: u32) {
        let Some(Note::HeldBack { stamp, why }) = self
            .run
            .events
            .as_ref()
            .and_then(|log| log.notes.get(index as usize))
        else {
            return;
        };
        if !self.draw_held {
            self.held_left_out += 1;
            return;
        }
        self.held.entry((replica, *stamp)).or_insert_with(|| Held {
            y,
            at,
            note: index,
            why: reason(why),
        });
    }

    /// The span of a held-back write, to `to`: the y and time of its commit, or the end of the run.
    fn held_span(
        &mut self,
        replica: ReplicaId,
        stamp: Stamp,
        held: &Held,
        to: (i64, Option<Time>),
    ) {
        let x = lane_x(replica.index());
        let op = self.causes.as_ref().and_then(|c| c.unseen.op_of(stamp));
        let (witness, data) = self.witness_attrs(op);
        let mut line = format!(
            "<g id=\"held-r{}-{}\" class=\"held{witness}\"",
            replica.0, held.note
        );
        if let Some(op) = op {
            let _ = write!(line, " data-op=\"{op}\"");
        }
        let _ = write!(
            line,
            "{}{data}><title>{}</title><rect class=\"held\" x=\"{}\" y=\"{}\" width=\"12\" height=\"{}\"/></g>",
            times(held.at, to.1),
            xml(&format!("{replica} holds back {stamp}: {}", held.why)),
            x - 6,
            held.y,
            (to.0 - held.y).max(2)
        );
        self.lines.push((held.y, line));
    }
}

/// Why a replica holds a write back, in words.
fn reason(why: &Why) -> String {
    match why {
        Why::Dependencies { missing } => {
            let parts: Vec<String> = missing
                .iter()
                .map(|m| {
                    format!(
                        "needs {} write(s) of {}, has applied {}",
                        m.needs, m.origin, m.applied
                    )
                })
                .collect();
            parts.join("; ")
        }
        Why::Acks { from } => {
            let from: Vec<String> = from.iter().map(ReplicaId::to_string).collect();
            format!("waits for acks from {}", from.join(", "))
        }
        Why::Behind { head } => {
            format!("every replica acknowledged it, but {head} is older and still waits")
        }
    }
}

//! Reading a run's recorded event log: the packets between replicas with their fates, and what
//! each replica said about its own decisions, so that a description's sentence about one message
//! or one hold-back can be held to the run.
//!
//! Everything here reads the typed log (`kvsim::events`), never the text of a trace, whose wording
//! and stamp notation may change.

use kvsim::events::{Loss, What};
use kvsim::ids::Time;
use kvsim::op::OpKind;
use kvsim::protocol::clocks::Stamp;
use kvsim::protocol::note::Note;
use kvsim::protocol::summary::{Clock, MessageKind};
use kvsim::protocol::{Model, Traffic};
use kvsim::run::Run;
use kvsim::sim::{simulate_recording, Record};

use super::scenario;

/// Runs the shipped scenario `name` under `model`, recording its protocol events.
pub fn recorded(name: &str, model: Model) -> Run {
    simulate_recording(&scenario(name), model, Record::Events)
}

/// One packet between replicas, and what became of it.
#[derive(Clone, Debug)]
pub struct Packet {
    pub from: u32,
    pub to: u32,
    pub traffic: Traffic,
    /// Its sequence number on its link.
    pub seq: u64,
    /// What it carries; `None` for a channel acknowledgement.
    pub kind: Option<MessageKind>,
    /// The stamp of the write or operation it carries, or that it acknowledges.
    pub stamp: Option<Stamp>,
    /// The vector clock or Lamport time it carries besides its stamp.
    pub clock: Clock,
    /// The client operation it carries, by its place in the run's history.
    pub op: Option<u32>,
    pub sent: Time,
    /// When each copy arrived (two for a packet the network duplicated).
    pub delivered: Vec<Time>,
    /// When and why a copy was lost.
    pub lost: Vec<(Time, Loss)>,
}

impl Packet {
    /// Whether it carries (or acknowledges, for `MulticastAck`) the operation stamped `stamp`.
    pub fn carries(&self, kind: MessageKind, stamp: Stamp) -> bool {
        self.kind == Some(kind) && self.stamp == Some(stamp)
    }

    /// When its first copy arrived.
    pub fn arrived(&self) -> Time {
        *self
            .delivered
            .first()
            .unwrap_or_else(|| panic!("the packet never arrived: {self:?}"))
    }
}

/// Every packet of the run, in sending order.
pub fn packets(run: &Run) -> Vec<Packet> {
    let log = run.events.as_ref().expect("the run recorded events");
    let mut packets: Vec<Packet> = log
        .messages
        .iter()
        .map(|message| {
            let carried = log.payload(message);
            Packet {
                from: message.from.0,
                to: message.to.0,
                traffic: message.traffic,
                seq: message.seq,
                kind: carried.map(|c| c.kind),
                stamp: carried.map(|c| c.stamp),
                clock: carried.map_or(Clock::None, |c| c.clock.clone()),
                op: carried.and_then(|c| c.op),
                sent: 0,
                delivered: Vec::new(),
                lost: Vec::new(),
            }
        })
        .collect();
    for event in &log.events {
        match event.what {
            What::Sent { msg } => packets[msg as usize].sent = event.at,
            What::Delivered { msg } => packets[msg as usize].delivered.push(event.at),
            What::Lost { msg, why, .. } => packets[msg as usize].lost.push((event.at, why)),
            _ => {}
        }
    }
    packets
}

/// The packets from `from` to `to` that carry (or acknowledge) the operation stamped `stamp`, in
/// sending order: the first transmission, then its retransmissions.
pub fn carrying(run: &Run, from: u32, to: u32, kind: MessageKind, stamp: Stamp) -> Vec<Packet> {
    packets(run)
        .into_iter()
        .filter(|p| p.from == from && p.to == to && p.carries(kind, stamp))
        .collect()
}

/// The notes replica `replica` made, with the time of each, in order.
pub fn notes(run: &Run, replica: u32) -> Vec<(Time, Note)> {
    let log = run.events.as_ref().expect("the run recorded events");
    let mut notes = Vec::new();
    for (event, index) in log.indexed(run.replicas.len()) {
        if let What::Note { replica: r } = event.what {
            if r.0 == replica {
                notes.push((event.at, log.notes[index as usize].clone()));
            }
        }
    }
    notes
}

/// The retransmission timers that expired at replica `replica` for its channel to `to`: when,
/// and the next timeout each set.
pub fn retries(run: &Run, replica: u32, to: u32) -> Vec<(Time, Time)> {
    let mut retries = Vec::new();
    for (at, note) in notes(run, replica) {
        if let Note::Retransmit { to: t, timeout, .. } = note {
            if t.0 == to {
                retries.push((at, timeout));
            }
        }
    }
    retries
}

/// The stamp of the write of `value` to `key`, as the first replica that applied it recorded it.
pub fn stamp(run: &Run, key: &str, value: &str) -> Stamp {
    run.replicas
        .iter()
        .flat_map(|r| &r.committed)
        .find(|e| e.op == OpKind::Put && &*e.key == key && e.value.as_deref() == Some(value))
        .unwrap_or_else(|| panic!("no replica applied {key} = {value}"))
        .stamp
}

//! The protocol events of a run as JSON (`runs[].events` of `kvsim run --json --trace`).
//!
//! The log keeps events as small records pointing into tables; here each becomes a self-contained
//! object, so that a script needs no other table to follow the story:
//!
//! ```text
//! {"at": 35, "event": "delivered", "replica": 2, "from": 1, "to": 2, "traffic": "data", "seq": 0,
//!  "message": {"kind": "write", "stamp": [2, 1], "op": 3, "vector": [1, 1, 0]}, "id": 4}
//! {"at": 35, "event": "note", "replica": 2, "note": {"note": "held_back", "stamp": [2, 1],
//!  "why": {"reason": "dependencies", "missing": [{"origin": 0, "needs": 1, "applied": 0}]}}}
//! ```
//!
//! `op` is an index into the run's `history`; `id` identifies a packet, so its sending, delivery,
//! loss or duplication can be matched; a commit's `index` is its place in its replica's `committed`.
//! Every field is documented in the README.

use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;

use crate::events::{Event, EventLog, What};
use crate::protocol::summary::Clock;
use crate::run::Run;

/// A run's events, serialized as a JSON array of objects.
pub struct EventsJson<'a> {
    pub run: &'a Run,
    pub log: &'a EventLog,
}

impl Serialize for EventsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.log.events.len()))?;
        for (event, index) in self.log.indexed(self.run.replicas.len()) {
            seq.serialize_element(&EventJson {
                run: self.run,
                log: self.log,
                event: &event,
                index,
            })?;
        }
        seq.end()
    }
}

struct EventJson<'a> {
    run: &'a Run,
    log: &'a EventLog,
    event: &'a Event,
    /// For a commit, its index in its replica's committed order; for a note, in the notes.
    index: u32,
}

/// What a packet carries, as JSON.
#[derive(Serialize)]
struct MessageJson<'a> {
    kind: crate::protocol::summary::MessageKind,
    stamp: crate::protocol::clocks::Stamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    op: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lamport: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vector: Option<&'a crate::protocol::clocks::VectorClock>,
}

impl Serialize for EventJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("at", &self.event.at)?;
        let client_op = |map: &mut S::SerializeMap, name: &str, op: u32| {
            map.serialize_entry("event", name)?;
            if let Some(o) = self.run.history.get(op as usize) {
                map.serialize_entry("client", &o.client)?;
                map.serialize_entry("replica", &o.replica)?;
            }
            map.serialize_entry("op", &op)
        };
        match self.event.what {
            What::Invoke { op } => client_op(&mut map, "invoke", op)?,
            What::Request { op } => client_op(&mut map, "request", op)?,
            What::RequestLost { op } => client_op(&mut map, "request_lost", op)?,
            What::Reply { op } => client_op(&mut map, "reply", op)?,
            What::Return { op } => client_op(&mut map, "return", op)?,
            What::LateReply { op } => client_op(&mut map, "late_reply", op)?,
            What::GiveUp { op } => client_op(&mut map, "give_up", op)?,
            What::Sent { msg } => self.packet(&mut map, "sent", msg, true)?,
            What::Duplicated { msg } => self.packet(&mut map, "duplicated", msg, true)?,
            What::Delivered { msg } => self.packet(&mut map, "delivered", msg, false)?,
            What::Lost { msg, why, arriving } => {
                self.packet(&mut map, "lost", msg, !arriving)?;
                map.serialize_entry("why", &why)?;
                map.serialize_entry("on", if arriving { "arrival" } else { "send" })?;
            }
            What::Commit { replica } => {
                map.serialize_entry("event", "commit")?;
                map.serialize_entry("replica", &replica)?;
                map.serialize_entry("index", &self.index)?;
                let entry = self
                    .run
                    .replicas
                    .get(replica.index())
                    .and_then(|r| r.committed.get(self.index as usize));
                if let Some(entry) = entry {
                    map.serialize_entry("commit", entry)?;
                }
            }
            What::Note { replica } => {
                map.serialize_entry("event", "note")?;
                map.serialize_entry("replica", &replica)?;
                if let Some(note) = self.log.notes.get(self.index as usize) {
                    map.serialize_entry("note", note)?;
                }
            }
            What::Fault { index } => {
                map.serialize_entry("event", "fault")?;
                if let Some(fault) = self.run.faults.get(index as usize) {
                    map.serialize_entry("fault", fault)?;
                }
            }
        }
        map.end()
    }
}

impl EventJson<'_> {
    /// The fields of a packet event; `at_sender` says whose event it is (the sender's, or the
    /// receiver's for a delivery).
    fn packet<M: SerializeMap>(
        &self,
        map: &mut M,
        name: &str,
        msg: u32,
        at_sender: bool,
    ) -> Result<(), M::Error> {
        map.serialize_entry("event", name)?;
        let Some(message) = self.log.messages.get(msg as usize) else {
            return Ok(());
        };
        let replica = if at_sender { message.from } else { message.to };
        map.serialize_entry("replica", &replica)?;
        map.serialize_entry("from", &message.from)?;
        map.serialize_entry("to", &message.to)?;
        map.serialize_entry("traffic", &message.traffic)?;
        map.serialize_entry("seq", &message.seq)?;
        if let Some(carried) = self.log.payload(message) {
            let (lamport, vector) = match &carried.clock {
                Clock::None => (None, None),
                Clock::Lamport(time) => (Some(*time), None),
                Clock::Vector(clock) => (None, Some(&**clock)),
            };
            map.serialize_entry(
                "message",
                &MessageJson {
                    kind: carried.kind,
                    stamp: carried.stamp,
                    op: carried.op,
                    lamport,
                    vector,
                },
            )?;
        }
        map.serialize_entry("id", &msg)
    }
}

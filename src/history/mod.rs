//! The history of a run: every operation a client invoked, with what it wrote or read and when it was
//! invoked and answered. This is all a consistency checker gets to see.
//!
//! [`formats`] reads histories that other tools recorded (Jepsen, Maelstrom, Porcupine) and writes
//! kvsim's in Jepsen's EDN.

use serde::Serialize;

pub mod formats;

use crate::ids::{ClientId, ReplicaId, Time};
use crate::op::{Key, Op, OpKind, Reply, Value};
use crate::text::escape;

/// One operation as the client saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Operation {
    pub client: ClientId,
    /// The replica the operation was sent to.
    pub replica: ReplicaId,
    pub op: OpKind,
    pub key: Key,
    /// For a put, the value written; for a get, the value read (`None` for a missing key, and until
    /// the reply arrives); for a compare-and-set, the new value it sets if it succeeds; for an
    /// append, the element appended.
    pub value: Option<Value>,
    /// For a compare-and-set (and only then: otherwise left out of JSON), the value it expects
    /// (`None`, JSON null: the key is absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Option<Value>>,
    /// For a compare-and-set that was answered, whether it succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
    /// For a compare-and-set that failed, the value it saw instead of the expected one (`None`, JSON
    /// null: the key was absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen: Option<Option<Value>>,
    pub invoked_at: Time,
    /// `None` when the client gave up waiting, or the run ended before the reply arrived.
    pub returned_at: Option<Time>,
    /// When the client gave up waiting (its timeout), if it did.
    pub gave_up_at: Option<Time>,
}

impl Operation {
    /// A new operation `op` of `client`, sent to `replica` at `now`, not answered yet.
    pub fn invoked(client: ClientId, replica: ReplicaId, op: &Op, now: Time) -> Self {
        Operation {
            client,
            replica,
            op: op.kind(),
            key: op.key().clone(),
            value: op.argument().cloned(),
            expected: match op {
                Op::Cas { expected, .. } => Some(expected.clone()),
                _ => None,
            },
            ok: None,
            seen: None,
            invoked_at: now,
            returned_at: None,
            gave_up_at: None,
        }
    }

    /// Records the replica's answer, which came at `now`.
    pub fn answer(&mut self, now: Time, reply: &Reply) {
        self.returned_at = Some(now);
        match self.op {
            OpKind::Get => self.value = reply.value.clone(),
            OpKind::Cas => {
                self.ok = Some(reply.ok);
                if !reply.ok {
                    self.seen = Some(reply.value.clone());
                }
            }
            OpKind::Put | OpKind::Append => {}
        }
    }

    /// Whether the operation changed the store, as far as its answer tells: a put, an append, or a
    /// compare-and-set that succeeded — or one of those that was never answered, which may have.
    pub fn may_have_written(&self) -> bool {
        match self.op {
            OpKind::Get => false,
            OpKind::Cas => self.ok != Some(false),
            OpKind::Put | OpKind::Append => true,
        }
    }

    /// What was asked, in plain words: `put x = 1`, `get x`, `cas x 1→2`, `append x += a`.
    pub fn asked(&self) -> String {
        let key = escape(&self.key);
        let value = show(&self.value);
        match self.op {
            OpKind::Put => format!("put {key} = {value}"),
            OpKind::Get => format!("get {key}"),
            OpKind::Cas => {
                let expected = self.expected.as_ref().map_or("?".into(), show);
                format!("cas {key} {expected}→{value}")
            }
            OpKind::Append => format!("append {key} += {value}"),
        }
    }

    /// What was asked and, once answered, what came back: `get x -> 1`, `cas x 1→2 -> ok`,
    /// `cas x 1→2 -> failed, saw 3`; puts and appends read as asked.
    pub fn described(&self) -> String {
        let asked = self.asked();
        if self.returned_at.is_none() {
            return asked;
        }
        match self.op {
            OpKind::Get => format!("{asked} -> {}", show(&self.value)),
            OpKind::Cas => match &self.seen {
                Some(seen) => format!("{asked} -> failed, saw {}", show(seen)),
                None => format!("{asked} -> ok"),
            },
            OpKind::Put | OpKind::Append => asked,
        }
    }
    /// How long the client waited, if it was answered.
    pub fn latency(&self) -> Option<Time> {
        self.returned_at.map(|t| t - self.invoked_at)
    }
}

/// Every operation of a run, in the order they were invoked.
pub type History = Vec<Operation>;

/// A value as shown to a person: escaped (see [`crate::text`]), or `null` for none.
/// The empty string shows as `""`, so that it is not mistaken for nothing at all.
pub fn show(value: &Option<Value>) -> std::borrow::Cow<'_, str> {
    match value.as_deref() {
        None => std::borrow::Cow::Borrowed("null"),
        Some("") => std::borrow::Cow::Borrowed("\"\""),
        Some(text) => escape(text),
    }
}

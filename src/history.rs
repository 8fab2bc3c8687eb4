//! The history of a run: every operation a client invoked, with what it wrote or read and when it was
//! invoked and answered. This is all a consistency checker gets to see.

use serde::Serialize;

use crate::ids::{ClientId, ReplicaId, Time};
use crate::op::{Key, OpKind, Value};

/// One operation as the client saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Operation {
    pub client: ClientId,
    /// The replica the operation was sent to.
    pub replica: ReplicaId,
    pub op: OpKind,
    pub key: Key,
    /// For a put, the value written; for a get, the value read (`None` for a missing key, and until
    /// the reply arrives).
    pub value: Option<Value>,
    pub invoked_at: Time,
    /// `None` when the client gave up waiting, or the run ended before the reply arrived.
    pub returned_at: Option<Time>,
    /// When the client gave up waiting (its timeout), if it did.
    pub gave_up_at: Option<Time>,
}

impl Operation {
    /// How long the client waited, if it was answered.
    pub fn latency(&self) -> Option<Time> {
        self.returned_at.map(|t| t - self.invoked_at)
    }
}

/// Every operation of a run, in the order they were invoked.
pub type History = Vec<Operation>;

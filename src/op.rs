//! The operations a client asks of the store, and the requests and replies that carry them.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ids::ClientId;

/// A key of the store. Keys and values are strings so that traces read naturally; shared (`Arc`) so
/// that the many copies a run makes — one per message, commit and history entry — cost a reference
/// count, not an allocation.
pub type Key = Arc<str>;

/// A value of the store.
pub type Value = Arc<str>;

/// One operation on the store: write a value, or read one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Put { key: Key, value: Value },
    Get { key: Key },
}

impl Op {
    /// Whether this is a read or a write.
    pub fn kind(&self) -> OpKind {
        match self {
            Op::Put { .. } => OpKind::Put,
            Op::Get { .. } => OpKind::Get,
        }
    }

    /// The key the operation touches.
    pub fn key(&self) -> &Key {
        match self {
            Op::Put { key, .. } | Op::Get { key } => key,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Put { key, value } => write!(f, "put {key} = {value}"),
            Op::Get { key } => write!(f, "get {key}"),
        }
    }
}

/// The two kinds of operation, as they are named in scenarios, traces and JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpKind {
    Put,
    Get,
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OpKind::Put => "put",
            OpKind::Get => "get",
        })
    }
}

/// Identifies one request of one client: the client and the position of the operation in the
/// client's own sequence (0, 1, 2, …). A client has at most one request outstanding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId {
    pub client: ClientId,
    pub seq: u32,
}

/// What a client sends to a replica.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub id: RequestId,
    pub op: Op,
}

/// What a replica answers: for a put, the value written; for a get, the value read (`None` when the
/// key was missing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub id: RequestId,
    pub value: Option<Value>,
}

//! What a protocol message carries, in the terms a trace shows: which client operation, with which
//! Lamport stamp or vector clock.
//!
//! The engine moves messages without looking inside them. When it records a trace it asks each one
//! for a [`Summary`] — typed data, not words — so that `sent put y = 1, stamp 2@r1, vc [1,1,0]` can be
//! printed without the engine knowing any protocol.

use std::sync::Arc;

use serde::Serialize;

use super::clocks::{Stamp, VectorClock};
use crate::op::RequestId;

/// A protocol message, summarised for the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub kind: MessageKind,
    /// For a write or an operation, its own stamp; for a multicast acknowledgement, the stamp of the
    /// message it acknowledges.
    pub stamp: Stamp,
    /// The client request the message carries (none for an acknowledgement).
    pub request: Option<RequestId>,
    /// The clock the message carries besides its stamp.
    pub clock: Clock,
}

/// What kind of protocol message it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A write propagated by a causal or eventual replica after it applied it.
    Write,
    /// An operation multicast in total order (linearizable, sequential).
    Multicast,
    /// A totally-ordered multicast's acknowledgement of a multicast.
    MulticastAck,
}

/// A clock a message carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Clock {
    None,
    /// The sender's Lamport time (a multicast acknowledgement).
    Lamport(u64),
    /// The write's vector clock: everything it depends on, itself included (causal).
    Vector(Arc<VectorClock>),
}

/// A protocol message that can say what it carries.
pub trait Summarize {
    fn summary(&self) -> Summary;
}

/// A message shared between its copies (causal and eventual writes travel this way) says what the
/// message says.
impl<T: Summarize> Summarize for Arc<T> {
    fn summary(&self) -> Summary {
        (**self).summary()
    }
}

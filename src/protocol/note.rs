//! Explanations: what a replica says about its own decisions, as typed values, when asked to.
//!
//! A trace that shows only packets and commits leaves the interesting part unsaid: *why* replica 2
//! applied `y` a hundred milliseconds after it arrived. Only the replica knows — its vector clock, its
//! hold-back queue, the acknowledgements it counts — so the replica says it, as an
//! [`Output::Note`](super::Output::Note), and renderers turn the note into words. A replica makes
//! notes only once [`Replica::explain`](super::Replica::explain) has been called, so runs that do
//! not record a trace pay nothing for them.
//!
//! Notes are data, not sentences: `HeldBack { why: Why::Dependencies(..) }` rather than "waits for
//! …", so that the text trace, the JSON and later the pictures all say the same thing their own way.

use serde::Serialize;

use super::clocks::Stamp;
use crate::ids::{ReplicaId, Time};

/// Something a replica explains about what it just did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "note", rename_all = "snake_case")]
pub enum Note {
    /// The operation or write stamped `stamp` arrived (or was multicast here) but cannot be applied
    /// yet, for the reason given. The multicast says it again when the last acknowledgement is in
    /// but an older message still waits ahead ([`Why::Behind`]); acknowledgements arriving one by
    /// one only shorten the list of the missing, which the trace's deliveries already show.
    HeldBack { stamp: Stamp, why: Why },
    /// The write stamped `stamp`, held back until now, can be applied: applying the write stamped
    /// `after` met its last missing dependency.
    Released { stamp: Stamp, after: Stamp },
    /// The channel from `from` received data packet `seq` before packet `expected`, and keeps it
    /// until the gap is filled, so that messages are delivered in sending order.
    OutOfOrder {
        from: ReplicaId,
        seq: u64,
        expected: u64,
    },
    /// The channel from `from` received data packet `seq` a second time and dropped it (it still
    /// acknowledges it: the first acknowledgement may have been lost).
    Duplicate { from: ReplicaId, seq: u64 },
    /// The retransmission timer of the channel to `to` expired with `messages` still unacknowledged:
    /// they are sent again, and the next timeout is `timeout` ms (doubled each time, up to a limit).
    Retransmit {
        to: ReplicaId,
        messages: usize,
        timeout: Time,
    },
}

/// Why a replica holds something back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Why {
    /// Causal delivery: the write depends on writes this replica has not applied yet. One entry per
    /// origin replica it is short of.
    Dependencies { missing: Vec<Missing> },
    /// Totally-ordered multicast: not every replica has acknowledged the message yet; these have not.
    Acks { from: Vec<ReplicaId> },
    /// Totally-ordered multicast: every replica has acknowledged it, but an older message (the one
    /// stamped `head`) is still waiting ahead of it in the hold-back queue.
    Behind { head: Stamp },
}

/// How far a replica is short of what a held-back write depends on, for one origin replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// The replica whose writes are missing.
    pub origin: ReplicaId,
    /// How many of `origin`'s writes the held-back write needs applied before it.
    pub needs: u64,
    /// How many of them this replica has applied.
    pub applied: u64,
}

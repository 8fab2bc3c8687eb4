//! What the Jepsen-style formats share: a history as a list of invoke and completion events of
//! processes, and the pairing of each completion with its process's outstanding invoke into the
//! operations the checkers take.
//!
//! ```text
//! invoke   process 1  write x 3    t=10   ┐
//! invoke   process 2  read x       t=12   │   →  client 1's put x = 3 (t=10..15)
//! ok       process 1  write x 3    t=15   ┘      client 2's get x -> 3 (t=12..18)
//! ok       process 2  read x 3     t=18
//! ```
//!
//! What a completion means (Jepsen's conventions): `ok` — it happened; `fail` — it did not, so the
//! operation is dropped (except a compare-and-set whose completion says what it saw instead, which
//! kvsim writes: that is a failed compare-and-set the checkers judge); `info` — it may or may not
//! have happened, at any time after it was invoked, so it never returned (a read that never
//! returned constrains nothing, and the checkers drop it). An invoke with no completion at all is
//! the same as `info`. After an `info`, Jepsen gives the worker a new process; kvsim also accepts the
//! same process invoking again, as the same client (kvsim's own clients go on after giving up).

use std::collections::BTreeMap;

use crate::check::history::RawOp;
use crate::ids::{ClientId, Time};
use crate::op::{Key, OpKind, Value};

/// How an event ends (or starts) an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EventType {
    Invoke,
    Ok,
    Fail,
    Info,
}

impl EventType {
    /// Reads `:invoke`, `:ok`, `:fail` or `:info` (without the colon).
    pub(super) fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "invoke" => EventType::Invoke,
            "ok" => EventType::Ok,
            "fail" => EventType::Fail,
            "info" => EventType::Info,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            EventType::Invoke => ":invoke",
            EventType::Ok => ":ok",
            EventType::Fail => ":fail",
            EventType::Info => ":info",
        }
    }
}

/// One event of one process, decoded into kvsim's keys and values.
#[derive(Clone, Debug)]
pub(super) struct Event {
    /// The line of the file it is on, for messages.
    pub line: usize,
    pub process: u32,
    pub kind: EventType,
    pub op: OpKind,
    /// The key; `None` on a completion that does not say (an `info` or a `fail`), which is not checked
    /// against its invoke's.
    pub key: Option<Key>,
    /// On an invoke, what a put writes, an append appends or a compare-and-set sets; on an `ok` read,
    /// the value read (`None`: absent).
    pub value: Option<Value>,
    /// On a compare-and-set's invoke, the value it expects (`None`: absent).
    pub expected: Option<Value>,
    /// On a failed compare-and-set's completion, the value it saw instead, when the file says.
    pub seen: Option<Option<Value>>,
    pub time: Time,
}

/// Why events do not pair up into operations.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PairError {
    #[error("line {line}: process {process} invokes an operation while its :invoke at line {pending} has not completed; a process runs one operation at a time")]
    Overlapping {
        line: usize,
        process: u32,
        pending: usize,
    },
    #[error("line {line}: process {process} completes an operation ({kind}) it has not invoked")]
    NotInvoked {
        line: usize,
        process: u32,
        kind: &'static str,
    },
    #[error("line {line}: process {process}'s completion is of a {completion}, but its :invoke at line {invoked} is of a {invoke}")]
    OtherOperation {
        line: usize,
        process: u32,
        completion: OpKind,
        invoked: usize,
        invoke: OpKind,
    },
    #[error("line {line}: process {process}'s completion is on key {completion}, but its :invoke at line {invoked} is on key {invoke}")]
    OtherKey {
        line: usize,
        process: u32,
        completion: String,
        invoked: usize,
        invoke: String,
    },
    #[error("line {line}: process {process}'s completion says {completion}, but its :invoke at line {invoked} says {invoke}")]
    OtherValue {
        line: usize,
        process: u32,
        completion: String,
        invoked: usize,
        invoke: String,
    },
    #[error("line {line}: process {process}'s compare-and-set failed seeing {seen}, the very value it expected: a compare-and-set that sees its expected value succeeds")]
    FailedOnExpected {
        line: usize,
        process: u32,
        seen: String,
    },
    #[error("line {line}: time {time} is before {previous}, the time at line {previous_line}: events must be in time order")]
    TimeGoesBack {
        line: usize,
        time: Time,
        previous: Time,
        previous_line: usize,
    },
}

/// Pairs `events` (in file order) into operations, in the order they were invoked.
pub(super) fn pair(events: Vec<Event>) -> Result<Vec<RawOp>, PairError> {
    let mut ops: Vec<Option<RawOp>> = Vec::new();
    // Each process's invoke still waiting for its completion: its slot in `ops` and its line.
    let mut pending: BTreeMap<u32, (usize, usize)> = BTreeMap::new();
    let mut last: Option<(Time, usize)> = None;
    for event in events {
        if let Some((previous, previous_line)) = last {
            if event.time < previous {
                return Err(PairError::TimeGoesBack {
                    line: event.line,
                    time: event.time,
                    previous,
                    previous_line,
                });
            }
        }
        last = Some((event.time, event.line));
        if event.kind == EventType::Invoke {
            if let Some(&(_, pending_line)) = pending.get(&event.process) {
                return Err(PairError::Overlapping {
                    line: event.line,
                    process: event.process,
                    pending: pending_line,
                });
            }
            pending.insert(event.process, (ops.len(), event.line));
            ops.push(Some(RawOp {
                client: ClientId(event.process),
                kind: event.op,
                key: event.key.unwrap_or_else(|| "".into()),
                value: if event.op == OpKind::Get {
                    None
                } else {
                    event.value
                },
                expected: (event.op == OpKind::Cas).then_some(event.expected),
                seen: None,
                invoked_at: event.time,
                returned_at: None,
            }));
            continue;
        }
        let Some((slot, invoked)) = pending.remove(&event.process) else {
            return Err(PairError::NotInvoked {
                line: event.line,
                process: event.process,
                kind: event.kind.name(),
            });
        };
        let op = ops[slot].as_mut().expect("a pending operation is kept");
        if op.kind != event.op {
            return Err(PairError::OtherOperation {
                line: event.line,
                process: event.process,
                completion: event.op,
                invoked,
                invoke: op.kind,
            });
        }
        if let Some(key) = &event.key {
            if *key != op.key {
                return Err(PairError::OtherKey {
                    line: event.line,
                    process: event.process,
                    completion: crate::text::escape(key).into_owned(),
                    invoked,
                    invoke: crate::text::escape(&op.key).into_owned(),
                });
            }
        }
        // A completion of a write repeats what was written: one that says something else contradicts
        // its invoke, and which of the two happened cannot be told.
        let says = |value: &Option<Value>, expected: &Option<Value>| match op.kind {
            OpKind::Cas => format!(
                "[{} {}]",
                crate::history::show(expected),
                crate::history::show(value)
            ),
            _ => crate::history::show(value).into_owned(),
        };
        let completion_differs = matches!(event.kind, EventType::Ok | EventType::Fail)
            && op.kind != OpKind::Get
            && event.value.is_some()
            && (event.value != op.value
                || (op.kind == OpKind::Cas && Some(&event.expected) != op.expected.as_ref()));
        if completion_differs {
            return Err(PairError::OtherValue {
                line: event.line,
                process: event.process,
                completion: says(&event.value, &event.expected),
                invoked,
                invoke: says(&op.value, &op.expected.clone().flatten()),
            });
        }
        match event.kind {
            EventType::Ok => {
                op.returned_at = Some(event.time);
                if op.kind == OpKind::Get {
                    op.value = event.value;
                }
            }
            EventType::Fail => match event.seen {
                Some(seen) if op.kind == OpKind::Cas => {
                    if op.expected.as_ref() == Some(&seen) {
                        return Err(PairError::FailedOnExpected {
                            line: event.line,
                            process: event.process,
                            seen: crate::history::show(&seen).into_owned(),
                        });
                    }
                    op.returned_at = Some(event.time);
                    op.seen = Some(seen);
                }
                _ => ops[slot] = None,
            },
            EventType::Info | EventType::Invoke => {}
        }
    }
    Ok(ops.into_iter().flatten().collect())
}

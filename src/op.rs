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

/// One operation on the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Write `value`.
    Put { key: Key, value: Value },
    /// Read the value.
    Get { key: Key },
    /// Compare-and-set: if the key holds `expected` (`None`: the key is absent), write `new` and
    /// succeed; otherwise change nothing and fail, answering the value seen.
    Cas {
        key: Key,
        expected: Option<Value>,
        new: Value,
    },
    /// Append `value` to the string at the key (an absent key counts as the empty string).
    Append { key: Key, value: Value },
}

/// What an operation does to the value of its key, as [`Op::evaluate`] works it out: what it writes,
/// and what its replica answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effect {
    /// The key's new value, if the operation changes it.
    pub write: Option<Value>,
    /// The answer's value: for a put, the value written; for a get, the value read; for a
    /// compare-and-set, the value written when it succeeds and the value seen when it fails; for an
    /// append, the key's new value.
    pub value: Option<Value>,
    /// False only for a compare-and-set that failed.
    pub ok: bool,
}

impl Op {
    /// Which of the four operations this is.
    pub fn kind(&self) -> OpKind {
        match self {
            Op::Put { .. } => OpKind::Put,
            Op::Get { .. } => OpKind::Get,
            Op::Cas { .. } => OpKind::Cas,
            Op::Append { .. } => OpKind::Append,
        }
    }

    /// The key the operation touches.
    pub fn key(&self) -> &Key {
        match self {
            Op::Put { key, .. }
            | Op::Get { key }
            | Op::Cas { key, .. }
            | Op::Append { key, .. } => key,
        }
    }

    /// The value the operation was asked to write: a put's value, a compare-and-set's new value, an
    /// append's element; `None` for a get.
    pub fn argument(&self) -> Option<&Value> {
        match self {
            Op::Put { value, .. } | Op::Append { value, .. } => Some(value),
            Op::Cas { new, .. } => Some(new),
            Op::Get { .. } => None,
        }
    }

    /// What the operation does when the key holds `current` (`None`: absent). Every replica that
    /// applies operations to a store goes through here, so the four models agree on what a
    /// compare-and-set and an append mean; they differ only in *where* and *when* it is evaluated.
    pub fn evaluate(&self, current: Option<&Value>) -> Effect {
        match self {
            Op::Put { value, .. } => Effect {
                write: Some(value.clone()),
                value: Some(value.clone()),
                ok: true,
            },
            Op::Get { .. } => Effect {
                write: None,
                value: current.cloned(),
                ok: true,
            },
            Op::Cas { expected, new, .. } => {
                if current == expected.as_ref() {
                    Effect {
                        write: Some(new.clone()),
                        value: Some(new.clone()),
                        ok: true,
                    }
                } else {
                    Effect {
                        write: None,
                        value: current.cloned(),
                        ok: false,
                    }
                }
            }
            Op::Append { value, .. } => {
                let joined: Value = match current {
                    Some(old) => format!("{old}{value}").into(),
                    None => value.clone(),
                };
                Effect {
                    write: Some(joined.clone()),
                    value: Some(joined),
                    ok: true,
                }
            }
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Put { key, value } => write!(f, "put {key} = {value}"),
            Op::Get { key } => write!(f, "get {key}"),
            Op::Cas { key, expected, new } => {
                let expected = expected.as_deref().unwrap_or("null");
                write!(f, "cas {key} {expected}→{new}")
            }
            Op::Append { key, value } => write!(f, "append {key} += {value}"),
        }
    }
}

/// The four kinds of operation, as they are named in scenarios, traces and JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpKind {
    Put,
    Get,
    Cas,
    Append,
}

impl OpKind {
    /// Whether an operation of this kind may change the store (a compare-and-set only when it
    /// succeeds).
    pub fn may_write(self) -> bool {
        self != OpKind::Get
    }
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OpKind::Put => "put",
            OpKind::Get => "get",
            OpKind::Cas => "cas",
            OpKind::Append => "append",
        })
    }
}

/// Identifies one request of one client: the client and the position of the operation in the
/// client's own sequence (0, 1, 2, …). A client has at most one request outstanding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId {
    pub client: ClientId,
    pub seq: u32,
}

/// What a client sends to a replica.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: RequestId,
    pub op: Op,
}

/// What a replica answers: the [`Effect::value`] and [`Effect::ok`] of the operation — for a put, the
/// value written; for a get, the value read (`None` when the key was missing); for a compare-and-set,
/// whether it succeeded and, when it failed, the value it saw; for an append, the key's new value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub id: RequestId,
    pub value: Option<Value>,
    /// False only for a compare-and-set that failed.
    pub ok: bool,
}

impl Reply {
    /// The answer to request `id`, from the operation's effect.
    pub fn new(id: RequestId, effect: &Effect) -> Self {
        Reply {
            id,
            value: effect.value.clone(),
            ok: effect.ok,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cas(expected: Option<&str>, new: &str) -> Op {
        Op::Cas {
            key: "x".into(),
            expected: expected.map(Into::into),
            new: new.into(),
        }
    }

    #[test]
    fn a_compare_and_set_writes_only_when_the_key_holds_the_expected_value() {
        let one: Value = "1".into();
        let done = cas(Some("1"), "2").evaluate(Some(&one));
        assert_eq!(done.write.as_deref(), Some("2"));
        assert_eq!((done.value.as_deref(), done.ok), (Some("2"), true));

        let three: Value = "3".into();
        let failed = cas(Some("1"), "2").evaluate(Some(&three));
        assert_eq!(
            failed.write, None,
            "a failed compare-and-set changes nothing"
        );
        assert_eq!((failed.value.as_deref(), failed.ok), (Some("3"), false));
    }

    #[test]
    fn a_compare_and_set_expecting_null_needs_the_key_absent() {
        assert!(cas(None, "1").evaluate(None).ok);
        let empty: Value = "".into();
        let failed = cas(None, "1").evaluate(Some(&empty));
        assert!(!failed.ok, "an empty string is a value, not absence");
        assert_eq!(failed.value.as_deref(), Some(""));
    }

    #[test]
    fn an_append_concatenates_and_treats_absent_as_empty() {
        let op = Op::Append {
            key: "l".into(),
            value: "b;".into(),
        };
        assert_eq!(op.evaluate(None).write.as_deref(), Some("b;"));
        let a: Value = "a;".into();
        let effect = op.evaluate(Some(&a));
        assert_eq!(effect.write.as_deref(), Some("a;b;"));
        assert_eq!(effect.value.as_deref(), Some("a;b;"));
    }

    #[test]
    fn operations_read_as_their_scenario_form() {
        assert_eq!(cas(None, "1").to_string(), "cas x null→1");
        let append = Op::Append {
            key: "l".into(),
            value: "a".into(),
        };
        assert_eq!(append.to_string(), "append l += a");
    }
}

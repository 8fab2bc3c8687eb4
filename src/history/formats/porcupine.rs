//! Porcupine's key-value logs: EDN maps, one per line, of a multi-key store of strings with get, put
//! and append.
//!
//! ```text
//! {:process 0, :type :invoke, :f :append, :key "4", :value "x 0 1 y"}
//! {:process 1, :type :invoke, :f :get, :key "5", :value nil}
//! {:process 0, :type :ok, :f :append, :key "4", :value "x 0 1 y"}
//! {:process 1, :type :ok, :f :get, :key "5", :value ""}
//! ```
//!
//! Only `:invoke` and `:ok` occur; an invoke with no `:ok` never returned. Keys and values are
//! strings, taken as they are. There are no times: lines are in real-time order, and each event's
//! time is its position. In Porcupine's model every key starts as the empty string, where kvsim's
//! starts absent; [`Empty`] says how `""` is read — by default as the absent value, so that a read
//! of `""` is a read of a key nothing was written to (or only `""`), which is what it means there. A
//! put or append of `""` then has no kvsim equivalent (kvsim has no delete) and is refused, naming
//! `--empty value`, which reads `""` as an ordinary value instead.

use clojure_reader::edn::Edn;

use super::edn::{field, forms, keyword, show, EdnError};
use super::events::{pair, Event, EventType, PairError};
use crate::check::file::LoadedHistory;
use crate::check::history::CheckHistory;
use crate::ids::Time;
use crate::op::{OpKind, Value};

/// How Porcupine's empty string is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Empty {
    /// `""` is the initial value: the key is absent (Porcupine's meaning).
    #[default]
    Absent,
    /// `""` is a value like any other: reading it from a key nothing wrote is a stale read.
    Value,
}

/// What is wrong with a Porcupine log. Messages leave out the file name, which the caller adds.
#[derive(Debug, thiserror::Error)]
pub enum PorcupineError {
    #[error(transparent)]
    Edn(#[from] EdnError),
    #[error("line {line}: {message}")]
    Invalid { line: usize, message: String },
    #[error(transparent)]
    Pair(#[from] PairError),
    #[error("the file holds no operations")]
    Empty,
}

/// Reads a Porcupine key-value log.
pub fn read(text: &str, empty: Empty) -> Result<Vec<LoadedHistory>, PorcupineError> {
    let mut events = Vec::new();
    for form in forms(text, 1)? {
        let line = form.line;
        let invalid = |message: String| PorcupineError::Invalid { line, message };
        let Edn::Map(map) = &form.value else {
            return Err(invalid(format!(
                "expected a map such as {{:process 0, :type :invoke, :f :get, :key \"x\", :value nil}}, found {}",
                show(&form.value)
            )));
        };
        let process = match field(map, "process") {
            Some(Edn::Int(n)) => u32::try_from(*n)
                .map_err(|_| invalid(format!("process {n} is out of range (0 to {})", u32::MAX)))?,
            Some(other) => {
                return Err(invalid(format!(
                    ":process {} is not a client number",
                    show(other)
                )))
            }
            None => return Err(invalid("the map has no :process".into())),
        };
        let kind = match field(map, "type").and_then(keyword) {
            Some("invoke") => EventType::Invoke,
            Some("ok") => EventType::Ok,
            _ => {
                return Err(invalid(format!(
                    "unknown :type {}: a Porcupine kv log has only :invoke and :ok",
                    field(map, "type").map_or("(none)".into(), show)
                )))
            }
        };
        let op = match field(map, "f").and_then(keyword) {
            Some("get") => OpKind::Get,
            Some("put") => OpKind::Put,
            Some("append") => OpKind::Append,
            _ => {
                return Err(invalid(format!(
                    "unknown :f {}: a Porcupine kv log has :get, :put and :append",
                    field(map, "f").map_or("(none)".into(), show)
                )))
            }
        };
        let key = match field(map, "key") {
            Some(Edn::Str(key)) => key.as_ref().into(),
            Some(other) => return Err(invalid(format!(":key {} is not a string", show(other)))),
            None => return Err(invalid("the map has no :key".into())),
        };
        let value: Option<Value> = match field(map, "value") {
            None | Some(Edn::Nil) => None,
            Some(Edn::Str(s)) if s.is_empty() && empty == Empty::Absent => {
                if kind == EventType::Invoke && op != OpKind::Get {
                    return Err(invalid(format!(
                        "a {op} of \"\", which here means the key's initial value; kvsim has no delete (with --empty value, \"\" is read as an ordinary value)"
                    )));
                }
                None
            }
            Some(Edn::Str(s)) => Some(s.as_ref().into()),
            Some(other) => {
                return Err(invalid(format!(
                    ":value {} is neither a string nor nil",
                    show(other)
                )))
            }
        };
        if kind == EventType::Invoke && op != OpKind::Get && value.is_none() {
            return Err(invalid(format!("a {op} with no value")));
        }
        events.push(Event {
            line,
            process,
            kind,
            op,
            key: Some(key),
            value,
            expected: None,
            seen: None,
            time: events.len() as Time,
        });
    }
    if events.is_empty() {
        return Err(PorcupineError::Empty);
    }
    Ok(vec![LoadedHistory {
        label: "porcupine history".to_string(),
        history: CheckHistory::new(pair(events)?),
        stores: None,
    }])
}

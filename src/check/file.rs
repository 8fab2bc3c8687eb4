//! Reading histories from files, for `kvsim check`: the JSON document `kvsim run --json` prints, or
//! JSON lines with one operation each.
//!
//! ```text
//! {"client": 0, "op": "put", "key": "x", "value": "1", "invoked_at": 0, "returned_at": 12}
//! {"client": 1, "op": "get", "key": "x", "value": null, "invoked_at": 5, "returned_at": 9}
//! ```
//!
//! `returned_at` null or absent: the operation never returned. For a get, `value` is what was read
//! (null: nothing). A compare-and-set (`"op": "cas"`) has `value`, the new value, and `expected`
//! (null: it expected the key absent); once it returned, `ok`, and if that is false, `seen`, the value
//! it found instead (null: absent). An append (`"op": "append"`) has `value`, the element appended.
//!
//! ```text
//! {"client": 0, "op": "cas", "key": "x", "expected": "1", "value": "2", "invoked_at": 14, "returned_at": 20, "ok": true}
//! {"client": 1, "op": "cas", "key": "x", "expected": null, "value": "3", "invoked_at": 15, "returned_at": 19, "ok": false, "seen": "1"}
//! {"client": 2, "op": "append", "key": "log", "value": "a", "invoked_at": 16, "returned_at": 18}
//! ```
//! `replica` and `gave_up_at` fields are allowed and ignored, so a run's history can be
//! pasted as is.
//! Program order is each client's lines in order of `invoked_at`, then of `returned_at` (an operation
//! that returned at the instant it was invoked comes before another invoked then; one that never
//! returned comes last), then of lines: only operations of one client with the same two times are
//! ordered by where they stand in the file. A client may not start an operation before its previous
//! one returned (unless that one never did).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::history::{program_position, CheckHistory, RawOp};
use crate::ids::{ClientId, Time};
use crate::json::Located;
use crate::op::{Key, OpKind, Value};
use crate::protocol::Store;

/// One history found in a file, ready for checking.
#[derive(Clone, Debug)]
pub struct LoadedHistory {
    /// What it is: `run of linearizable` for a run document, `history` for JSON lines.
    pub label: String,
    pub history: CheckHistory,
    /// The replicas' final stores, when the file has them (a run document does).
    pub stores: Option<Vec<Store>>,
}

/// What is wrong with a history file. Messages leave out the file name, which the caller adds.
#[derive(Debug, thiserror::Error)]
pub enum HistoryFileError {
    #[error("cannot read the file: {0}")]
    Read(#[from] std::io::Error),
    #[error("line {}, column {}: {}{}", .0.line, .0.column, .0.field_prefix(), .0.message)]
    Syntax(Located),
    /// `line` is 0 for a run document, whose operations have no lines of their own (the message
    /// names the run instead).
    #[error("{}{message}", if *line == 0 { String::new() } else { format!("line {line}: ") })]
    Invalid { line: usize, message: String },
    #[error("the file holds no operations")]
    Empty,
}

/// One operation as a history line (and as an entry of a run document's `history`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LineOp {
    client: u32,
    op: OpKind,
    key: Key,
    #[serde(default)]
    value: Option<Value>,
    /// A compare-and-set's expected value: absent (`None`) or present, maybe null (`Some(None)`).
    #[serde(default, deserialize_with = "present")]
    expected: Option<Option<Value>>,
    #[serde(default)]
    ok: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    seen: Option<Option<Value>>,
    invoked_at: Time,
    #[serde(default)]
    returned_at: Option<Time>,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "accepted so a run's history entries can be checked as they are"
    )]
    replica: Option<u32>,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "accepted so a run's history entries can be checked as they are; an operation its client gave up on has no `returned_at`, which is all the checkers need"
    )]
    gave_up_at: Option<Time>,
}

/// A field that may be null, read so that null (`Some(None)`) differs from absent (`None`, by
/// `#[serde(default)]`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Value>>, D::Error> {
    Option::<Value>::deserialize(d).map(Some)
}

/// The parts of a `kvsim run --json` document the checkers need; other fields are ignored, so newer
/// documents still load.
#[derive(Deserialize)]
struct RunDocument {
    runs: Vec<RunEntry>,
}

#[derive(Deserialize)]
struct RunEntry {
    model: String,
    replicas: Vec<ReplicaEntry>,
    history: Vec<LineOp>,
}

#[derive(Deserialize)]
struct ReplicaEntry {
    store: Store,
}

/// Parses a history file's text: a run document if it is one JSON object with `runs`, else JSON lines.
///
/// The first line decides. A complete object with `runs` is a one-line document; a lone `{` opens a
/// pretty-printed one, so a syntax error deep inside it is reported where it is; anything else is
/// JSON lines, so a malformed first line is reported as what it is, not as a document missing `runs`.
pub fn parse(text: &str) -> Result<Vec<LoadedHistory>, HistoryFileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(HistoryFileError::Empty);
    }
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let is_document = match serde_json::from_str::<serde_json::Value>(first_line) {
        Ok(serde_json::Value::Object(map)) => map.contains_key("runs"),
        Ok(_) => false,
        Err(_) => first_line.trim() == "{",
    };
    if is_document {
        parse_run_document(text)
    } else {
        parse_lines(text)
    }
}

fn syntax(mut located: Located, line_offset: usize) -> HistoryFileError {
    located.line += line_offset;
    HistoryFileError::Syntax(located)
}

fn parse_run_document(text: &str) -> Result<Vec<LoadedHistory>, HistoryFileError> {
    let document: RunDocument = crate::json::parse(text).map_err(|mut located| {
        if located.field.is_empty() && located.message.starts_with("missing field `runs`") {
            located.message =
                "one JSON object without `runs`: a history file is either the document \
                `kvsim run --json` prints, or JSON lines with one operation on each line"
                    .to_string();
        }
        syntax(located, 0)
    })?;
    let mut loaded = Vec::new();
    for (i, run) in document.runs.into_iter().enumerate() {
        // Operations in a document have no lines of their own: say which run instead.
        let ops = validate(run.history.into_iter().map(|op| (0, op))).map_err(|err| match err {
            HistoryFileError::Invalid { message, .. } => HistoryFileError::Invalid {
                line: 0,
                message: format!("runs[{i}] ({}): {message}", run.model),
            },
            other => other,
        })?;
        loaded.push(LoadedHistory {
            label: format!("run of {}", run.model),
            history: CheckHistory::new(ops),
            stores: Some(run.replicas.into_iter().map(|r| r.store).collect()),
        });
    }
    if loaded.is_empty() {
        return Err(HistoryFileError::Empty);
    }
    Ok(loaded)
}

fn parse_lines(text: &str) -> Result<Vec<LoadedHistory>, HistoryFileError> {
    let mut ops = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let op: LineOp = crate::json::parse(line).map_err(|e| syntax(e, i))?;
        ops.push((i + 1, op));
    }
    if ops.is_empty() {
        return Err(HistoryFileError::Empty);
    }
    Ok(vec![LoadedHistory {
        label: "history".to_string(),
        history: CheckHistory::new(validate(ops.into_iter())?),
        stores: None,
    }])
}

/// Checks a line's compare-and-set fields: only a compare-and-set has `expected`, `ok` and `seen`;
/// it has `expected`, a new value, and once it returned, `ok`; `seen` exactly when `ok` is false, and
/// not the value it expected. Returns what it saw, as [`RawOp::seen`] holds it.
fn compare_and_set(op: &LineOp) -> Result<Option<Option<Value>>, String> {
    let key = crate::text::escape(&op.key);
    let who = format!("client {}'s {} of {key}", op.client, op.op);
    if op.op != OpKind::Cas {
        let field = [
            ("expected", op.expected.is_some()),
            ("ok", op.ok.is_some()),
            ("seen", op.seen.is_some()),
        ]
        .into_iter()
        .find(|&(_, there)| there);
        if let Some((field, _)) = field {
            return Err(format!("{who} has `{field}`, which only a cas has"));
        }
        if op.op == OpKind::Append && op.value.is_none() {
            return Err(format!("{who} has no value (the element appended)"));
        }
        return Ok(None);
    }
    if op.value.is_none() {
        return Err(format!("{who} has no value (the new value it sets)"));
    }
    let Some(expected) = &op.expected else {
        return Err(format!(
            "{who} has no `expected` (the value it expects; null: the key absent)"
        ));
    };
    match (op.returned_at, op.ok, &op.seen) {
        (None, Some(_), _) | (None, _, Some(_)) => Err(format!(
            "{who} never returned (no `returned_at`) but has `ok` or `seen`"
        )),
        (None, None, None) => Ok(None),
        (Some(_), None, _) => Err(format!(
            "{who} returned but has no `ok` (true: it set the value; false: it found another, `seen`)"
        )),
        (Some(_), Some(true), Some(_)) => Err(format!(
            "{who} succeeded (`ok` true) but has `seen`, which only a failed cas has"
        )),
        (Some(_), Some(true), None) => Ok(None),
        (Some(_), Some(false), None) => Err(format!(
            "{who} failed (`ok` false) but has no `seen` (the value it found; null: the key absent)"
        )),
        (Some(_), Some(false), Some(seen)) if seen == expected => Err(format!(
            "{who} failed (`ok` false) but saw {}, the value it expected",
            crate::history::show(seen)
        )),
        (Some(_), Some(false), Some(seen)) => Ok(Some(seen.clone())),
    }
}

/// Checks what serde cannot: a put has a value, an operation does not return before it starts, and a
/// client does not start an operation while its previous one is still waiting for an answer.
fn validate(ops: impl Iterator<Item = (usize, LineOp)>) -> Result<Vec<RawOp>, HistoryFileError> {
    let invalid = |line: usize, message: String| HistoryFileError::Invalid { line, message };
    let mut raw = Vec::new();
    let mut by_client: BTreeMap<u32, Vec<(Time, Option<Time>, usize)>> = BTreeMap::new();
    for (line, op) in ops {
        if op.op == OpKind::Put && op.value.is_none() {
            return Err(invalid(
                line,
                format!(
                    "client {}'s put of {} has no value",
                    op.client,
                    crate::text::escape(&op.key)
                ),
            ));
        }
        if let Some(returned) = op.returned_at {
            if returned < op.invoked_at {
                return Err(invalid(
                    line,
                    format!(
                        "returned_at {returned} is before invoked_at {}",
                        op.invoked_at
                    ),
                ));
            }
        }
        let seen = compare_and_set(&op).map_err(|message| invalid(line, message))?;
        by_client
            .entry(op.client)
            .or_default()
            .push((op.invoked_at, op.returned_at, line));
        raw.push(RawOp {
            client: ClientId(op.client),
            kind: op.op,
            key: op.key,
            value: op.value,
            expected: op.expected,
            seen,
            invoked_at: op.invoked_at,
            returned_at: op.returned_at,
        });
    }
    for (client, mut times) in by_client {
        times.sort_by_key(|&(invoked, returned, _)| program_position(invoked, returned));
        for pair in times.windows(2) {
            let (_, returned, _) = pair[0];
            let (invoked, _, line) = pair[1];
            if let Some(returned) = returned {
                if invoked < returned {
                    return Err(invalid(
                        line,
                        format!(
                            "client {client} starts an operation at t={invoked} before its previous one returned at t={returned}; a client runs one operation at a time"
                        ),
                    ));
                }
            }
        }
    }
    Ok(raw)
}

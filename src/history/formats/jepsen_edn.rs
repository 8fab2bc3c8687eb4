//! Jepsen's EDN histories (and Maelstrom's, which are the same with independent tuples): reading
//! them into the checkers' history, and writing kvsim's runs in that format.
//!
//! ```text
//! {:type :invoke, :f :write, :value 3, :process 1, :time 3291485317, :index 0}
//! {:type :ok, :f :write, :value 3, :process 1, :time 3291996408, :index 1}
//! {:type :invoke, :f :cas, :value [0 [3 4]], :process 2, :time 3292107265, :index 2}
//! {:type :info, :f :start, :value nil, :process :nemesis, :time 3292200112, :index 3}
//! ```
//!
//! One map per line (or a `#jepsen.history.Op{…}` record, as newer Jepsen prints them), or one
//! vector of maps. Events whose `:process` is not an integer (the nemesis) are not client operations
//! and are skipped; other fields (`:error`, `:node`, …) are ignored. What `:f` and `:value` mean is
//! in `jepsen_values.rs`, how completions pair with invokes in `events.rs`. **Time**: `:time`
//! (nanoseconds) when every client event has it, else `:index` when every one has it, else the
//! order of the events in the file; taken as it is (nanoseconds stay nanoseconds), so real-time
//! order is exactly the file's. Events must be in time order.
//!
//! kvsim's own files may hold several histories, each after a comment line
//! `;; kvsim history: LABEL` (what `kvsim run --history-format edn` prints for several models).
//!
//! **Writing** ([`write()`]): kvsim's simulated milliseconds become nanoseconds (× 1,000,000);
//! `:process` is the client number; every operation is keyed by an independent tuple `[key value]`
//! (what Jepsen's `independent` checkers, Knossos through them, and Maelstrom's lin-kv read); values
//! that are integers in canonical form are written as integers, others as EDN strings. A
//! compare-and-set that failed completes with `:fail` and kvsim's own `:seen` field (the value it
//! saw); an operation its client gave up on completes with `:info` when it gave up; one the run
//! ended before answering has no completion. After giving up, a kvsim client goes on under the same
//! `:process` (Jepsen would start a new one), so that its session is kept when the file is read back.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};

use clojure_reader::edn::Edn;

use super::edn::{field, forms, keyword, show, EdnError};
use super::events::{pair, Event, EventType, PairError};
use super::jepsen_values::Decoder;
use crate::check::file::LoadedHistory;
use crate::check::history::{CheckHistory, RawOp};
use crate::history::Operation;
use crate::ids::Time;
use crate::op::OpKind;

/// The comment line that starts each history of a file holding several.
pub const HISTORY_MARKER: &str = ";; kvsim history:";

/// What is wrong with a Jepsen EDN history. Messages leave out the file name, which the caller adds.
#[derive(Debug, thiserror::Error)]
pub enum JepsenEdnError {
    #[error(transparent)]
    Edn(#[from] EdnError),
    #[error("line {line}: {message}")]
    Invalid { line: usize, message: String },
    #[error(transparent)]
    Pair(#[from] PairError),
    #[error("the file holds no client operations")]
    Empty,
}

/// Reads a Jepsen EDN history; `maelstrom` requires every operation to be keyed by a tuple.
pub fn read(text: &str, maelstrom: bool) -> Result<Vec<LoadedHistory>, JepsenEdnError> {
    Ok(read_ops(text, maelstrom)?
        .into_iter()
        .map(|(label, ops)| LoadedHistory {
            label,
            history: CheckHistory::new(ops),
            stores: None,
        })
        .collect())
}

/// Reads a Jepsen EDN history into each of its histories' label and operations, in the order they
/// were invoked.
pub fn read_ops(text: &str, maelstrom: bool) -> Result<Vec<(String, Vec<RawOp>)>, JepsenEdnError> {
    let default_label = if maelstrom {
        "maelstrom history"
    } else {
        "jepsen history"
    };
    let mut histories = Vec::new();
    let mut operations = 0;
    for (label, first_line, part) in parts(text) {
        let ops = pair(events(part, first_line, maelstrom)?)?;
        operations += ops.len();
        histories.push((label.unwrap_or(default_label).to_string(), ops));
    }
    if operations == 0 {
        return Err(JepsenEdnError::Empty);
    }
    Ok(histories)
}

/// Splits `text` at [`HISTORY_MARKER`] lines: each part's label (if it has a marker), the line it
/// starts on, and its text.
fn parts(text: &str) -> Vec<(Option<&str>, usize, &str)> {
    let mut parts = Vec::new();
    let (mut label, mut start, mut start_line) = (None, 0, 1);
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if let Some(rest) = line.strip_prefix(HISTORY_MARKER) {
            if !text[start..offset].trim().is_empty() || label.is_some() {
                parts.push((label, start_line, &text[start..offset]));
            }
            label = Some(rest.trim());
            start = offset + line.len();
            start_line = i + 2;
        }
        offset += line.len();
    }
    parts.push((label, start_line, &text[start..]));
    parts
}

/// The client events of one history, with their times resolved.
fn events(text: &str, first_line: usize, maelstrom: bool) -> Result<Vec<Event>, JepsenEdnError> {
    let mut decoder = Decoder::new(maelstrom);
    let mut events = Vec::new();
    // Each event's `:time` and `:index`, if it has them.
    let mut clocks: Vec<(Option<Time>, Option<Time>)> = Vec::new();
    let nil = Edn::Nil;
    for form in forms(text, first_line)? {
        let line = form.line;
        let invalid = |message: String| JepsenEdnError::Invalid { line, message };
        // Newer Jepsen prints each event as a record: `#jepsen.history.Op{:index 0, …}`.
        let value = match &form.value {
            Edn::Tagged(tag, inner) if tag == "jepsen.history.Op" => inner.as_ref(),
            value => value,
        };
        let Edn::Map(map) = value else {
            return Err(invalid(format!(
                "expected a map such as {{:type :invoke, :f :write, :value 3, :process 1}}, found {}",
                show(&form.value)
            )));
        };
        let process = match field(map, "process") {
            Some(Edn::Int(n)) => u32::try_from(*n)
                .map_err(|_| invalid(format!("process {n} is out of range (0 to {})", u32::MAX)))?,
            // The nemesis, or another non-client process.
            Some(Edn::Key(_)) => continue,
            Some(other) => {
                return Err(invalid(format!(
                    ":process {} is neither an integer (a client) nor a keyword (the nemesis)",
                    show(other)
                )))
            }
            None => return Err(invalid("the map has no :process".into())),
        };
        let kind = match field(map, "type") {
            Some(t) => keyword(t).and_then(EventType::parse).ok_or_else(|| {
                invalid(format!(
                    "unknown :type {}: expected :invoke, :ok, :fail or :info",
                    show(t)
                ))
            })?,
            None => return Err(invalid("the map has no :type".into())),
        };
        let Some(f) = field(map, "f") else {
            return Err(invalid("the map has no :f".into()));
        };
        let value = field(map, "value").unwrap_or(&nil);
        let decoded = decoder
            .decode(line, kind, f, value, field(map, "key"))
            .map_err(invalid)?;
        let seen = match field(map, "seen") {
            Some(seen) if kind == EventType::Fail && decoded.op == OpKind::Cas => {
                Some(decoder.seen(seen).map_err(invalid)?)
            }
            _ => None,
        };
        let clock = |name: &str| -> Result<Option<Time>, JepsenEdnError> {
            match field(map, name) {
                None => Ok(None),
                Some(Edn::Int(n)) if *n >= 0 => Ok(Some(*n as Time)),
                Some(other) => Err(JepsenEdnError::Invalid {
                    line,
                    message: format!(":{name} {} is not a whole number", show(other)),
                }),
            }
        };
        clocks.push((clock("time")?, clock("index")?));
        events.push(Event {
            line,
            process,
            kind,
            op: decoded.op,
            key: decoded.key,
            value: decoded.value,
            expected: decoded.expected,
            seen,
            time: 0,
        });
    }
    let use_time = clocks.iter().all(|(time, _)| time.is_some());
    let use_index = clocks.iter().all(|(_, index)| index.is_some());
    for (position, (event, (time, index))) in events.iter_mut().zip(clocks).enumerate() {
        event.time = match (use_time, use_index) {
            (true, _) => time.expect("every event has :time"),
            (false, true) => index.expect("every event has :index"),
            (false, false) => position as Time,
        };
    }
    Ok(events)
}

/// One event of a kvsim history, to be written.
struct Written<'h> {
    time: Time,
    op: &'h Operation,
    kind: EventType,
}

/// Writes a run's history as Jepsen EDN, one event a line, after a [`HISTORY_MARKER`] line with
/// `label`.
pub fn write(label: &str, history: &[Operation]) -> String {
    let mut events: Vec<(usize, Written<'_>)> = Vec::new();
    for (i, op) in history.iter().enumerate() {
        events.push((
            i,
            Written {
                time: op.invoked_at,
                op,
                kind: EventType::Invoke,
            },
        ));
        let completion = match (op.returned_at, op.gave_up_at) {
            (Some(t), _) if op.ok == Some(false) => Some((t, EventType::Fail)),
            (Some(t), _) => Some((t, EventType::Ok)),
            (None, Some(t)) => Some((t, EventType::Info)),
            (None, None) => None,
        };
        if let Some((time, kind)) = completion {
            events.push((i, Written { time, op, kind }));
        }
    }
    // Time order; a client's own events in its program order.
    events.sort_by_key(|(i, e)| (e.time, *i, e.kind != EventType::Invoke));
    let mut out = format!("{HISTORY_MARKER} {}\n", label.replace(['\n', '\r'], " "));
    let mut index = 0;
    let mut rest = events.as_slice();
    while let Some((_, head)) = rest.first() {
        let end = rest
            .iter()
            .position(|(_, e)| e.time != head.time)
            .unwrap_or(rest.len());
        for event in in_real_time_order(&rest[..end]) {
            write_event(&mut out, event, index);
            index += 1;
        }
        rest = &rest[end..];
    }
    out
}

/// The events of one instant in the order a Jepsen tool should read them: kvsim counts operations
/// that meet at an instant as concurrent, and a reader of EDN takes the file's order as real time,
/// so invokes come before completions — except that a client's completion comes before its own next
/// invoke.
fn in_real_time_order<'a, 'h>(events: &'a [(usize, Written<'h>)]) -> Vec<&'a Written<'h>> {
    let mut by_client: BTreeMap<u32, VecDeque<&Written<'_>>> = BTreeMap::new();
    for (_, event) in events {
        by_client
            .entry(event.op.client.0)
            .or_default()
            .push_back(event);
    }
    let mut ordered = Vec::with_capacity(events.len());
    while ordered.len() < events.len() {
        for invokes in [true, false] {
            for queue in by_client.values_mut() {
                while queue
                    .front()
                    .is_some_and(|e| (e.kind == EventType::Invoke) == invokes)
                {
                    ordered.push(queue.pop_front().expect("the queue has a front"));
                    if !invokes {
                        // One completion at a time: the client's next invoke waits for the next
                        // round of invokes.
                        break;
                    }
                }
            }
        }
    }
    ordered
}

fn write_event(out: &mut String, event: &Written<'_>, index: usize) {
    let op = event.op;
    let key = atom(&op.key);
    let kind = match event.kind {
        EventType::Invoke => "invoke",
        EventType::Ok => "ok",
        EventType::Fail => "fail",
        EventType::Info => "info",
    };
    let value = |v: &Option<crate::op::Value>| v.as_deref().map_or("nil".to_string(), atom);
    let (f, inner) = match op.op {
        OpKind::Put => ("write", value(&op.value)),
        OpKind::Append => ("append", value(&op.value)),
        OpKind::Get if event.kind == EventType::Ok => ("read", value(&op.value)),
        OpKind::Get => ("read", "nil".to_string()),
        OpKind::Cas => {
            let expected = op.expected.as_ref().map_or("nil".to_string(), value);
            ("cas", format!("[{expected} {}]", value(&op.value)))
        }
    };
    out.push_str(&format!(
        "{{:type :{kind}, :f :{f}, :value [{key} {inner}], :process {}, :time {}, :index {index}",
        op.client.0,
        event.time.saturating_mul(1_000_000),
    ));
    if let (EventType::Fail, Some(seen)) = (event.kind, &op.seen) {
        out.push_str(&format!(", :seen {}", value(seen)));
    }
    out.push_str("}\n");
}

/// A key or value as EDN: an integer in canonical form as itself, anything else as a string.
fn atom(text: &str) -> String {
    match text.parse::<i64>() {
        Ok(n) if n.to_string() == text => text.to_string(),
        _ => Edn::Str(Cow::Borrowed(text)).to_string(),
    }
}

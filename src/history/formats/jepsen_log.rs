//! Jepsen's older text log (as in Porcupine's etcd test data): one line per event, logged by
//! `jepsen.util`, with tab-separated process, type, `:f` and value.
//!
//! ```text
//! INFO  jepsen.util - 2 → :invoke → :cas → [3 0]
//! INFO  jepsen.util - 4 → :info → :write → :timed-out
//! INFO  jepsen.util - 0 → :ok → :read → nil
//! INFO  jepsen.util - :nemesis → :info → :start → nil
//! ```
//!
//! (→ stands for a tab.) A line is an event if it has `jepsen.util - `; it must then be
//! well-formed, or the file is refused at that line. Other lines — other loggers, stack traces,
//! blank lines — are not events and are skipped. The nemesis's events are skipped. A fifth field (the error, which Jepsen logs after
//! the value) is ignored. The value is EDN, read with the `clojure-reader` crate, and means what it
//! means in an EDN history (`jepsen_values.rs`); `:fail` means the operation did not happen
//! (a `:fail :read :timed-out` is a read of unknown result, which constrains nothing), `:info` that
//! it may have (`events.rs`). The log has no times: lines are in real-time order, and each
//! event's time is its position among the events.

use clojure_reader::edn::{self, Edn};

use super::events::{pair, Event, EventType, PairError};
use super::jepsen_values::Decoder;
use crate::check::file::LoadedHistory;
use crate::check::history::CheckHistory;
use crate::ids::Time;

/// What marks a line as an event.
const LOGGER: &str = "jepsen.util - ";

/// What is wrong with a Jepsen text log. Messages leave out the file name, which the caller adds.
#[derive(Debug, thiserror::Error)]
pub enum JepsenLogError {
    #[error("line {line}: {message}")]
    Invalid { line: usize, message: String },
    #[error(transparent)]
    Pair(#[from] PairError),
    #[error("the file has no jepsen.util event lines")]
    Empty,
}

/// Whether `line` is one of the log's event lines (well-formed or not).
pub fn is_event_line(line: &str) -> bool {
    line.contains(LOGGER)
}

/// Reads a Jepsen text log.
pub fn read(text: &str) -> Result<Vec<LoadedHistory>, JepsenLogError> {
    let mut decoder = Decoder::new(false);
    let mut events = Vec::new();
    for (i, text_line) in text.lines().enumerate() {
        let line = i + 1;
        let Some(at) = text_line.find(LOGGER) else {
            continue;
        };
        let invalid = |message: String| JepsenLogError::Invalid { line, message };
        let fields: Vec<&str> = text_line[at + LOGGER.len()..].split('\t').collect();
        if !(4..=5).contains(&fields.len()) {
            return Err(invalid(format!(
                "a jepsen.util line has 4 tab-separated fields (process, type, :f, value) and maybe an error; this one has {}",
                fields.len()
            )));
        }
        let process = fields[0].trim();
        let process = match process.parse::<u32>() {
            Ok(p) => p,
            Err(_) if process.starts_with(':') => continue,
            Err(_) => {
                return Err(invalid(format!(
                    "process `{}` is neither a client number nor a keyword such as :nemesis",
                    crate::text::escape(process)
                )))
            }
        };
        let kind = fields[1]
            .trim()
            .strip_prefix(':')
            .and_then(EventType::parse)
            .ok_or_else(|| {
                invalid(format!(
                    "unknown type `{}`: expected :invoke, :ok, :fail or :info",
                    crate::text::escape(fields[1].trim())
                ))
            })?;
        let edn_field = |text: &str, what: &str| JepsenLogError::Invalid {
            line,
            message: format!(
                "the {what} `{}` is not one EDN value",
                crate::text::escape(text.trim())
            ),
        };
        let f = one_value(fields[2]).ok_or_else(|| edn_field(fields[2], ":f"))?;
        let value = one_value(fields[3]).ok_or_else(|| edn_field(fields[3], "value"))?;
        let decoded = match decoder.decode(line, kind, &f, &value, None) {
            Ok(decoded) => decoded,
            Err(message) => return Err(invalid(message)),
        };
        events.push(Event {
            line,
            process,
            kind,
            op: decoded.op,
            key: decoded.key,
            value: decoded.value,
            expected: decoded.expected,
            seen: None,
            time: events.len() as Time,
        });
    }
    if events.is_empty() {
        return Err(JepsenLogError::Empty);
    }
    Ok(vec![LoadedHistory {
        label: "jepsen log".to_string(),
        history: CheckHistory::new(pair(events)?),
        stores: None,
    }])
}

/// The one EDN value `text` holds, with nothing after it.
fn one_value(text: &str) -> Option<Edn<'_>> {
    match edn::read(text.trim()) {
        Ok((value, rest)) if rest.trim().is_empty() => Some(value),
        _ => None,
    }
}

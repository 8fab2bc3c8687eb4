//! The history file formats `kvsim check` reads, one reader per file, and how a file's format is
//! told from its first lines. Every reader maps its format into the checkers' one history type
//! ([`crate::check::history::RawOp`] → [`crate::check::history::CheckHistory`]), so nothing in
//! `check/` knows where a history came from.
//!
//! ```text
//! kvsim        {"client": 0, "op": "put", …}  or  {"runs": […]}   (crate::check::file)
//! jepsen       {:type :invoke, :f :write, :value 3, :process 1, …}  (jepsen_edn.rs)
//! maelstrom    {:type :invoke, :f :cas, :value [0 [3 4]], …}        (jepsen_edn.rs, tuples only)
//! jepsen-log   INFO  jepsen.util - 2 → :invoke → :cas → [3 0]           (jepsen_log.rs)
//! porcupine    {:process 0, :type :invoke, :f :get, :key "5", …}    (porcupine.rs)
//! ```
//!
//! (→ stands for a tab.) **Detection** ([`detect`]), on the first character that is not white space (nor in an EDN `;`
//! comment): `{` followed by `"` or `}` is kvsim's JSON; `#` is a Jepsen history of records
//! (`#jepsen.history.Op{…}`); `{` followed by `:`, or `[`, is EDN — a
//! Porcupine log if its first client event has `:f :get` or `:put`, or `:append` with a string `:key`,
//! and otherwise a Jepsen history (Maelstrom's included: the shape of each value tells); anything
//! else is a Jepsen text log if some line has `jepsen.util - `. `--format` forces one.

pub mod edn;
mod events;
pub mod jepsen_edn;
pub mod jepsen_log;
mod jepsen_values;
pub mod porcupine;

pub use events::PairError;
pub use jepsen_values::REGISTER;
pub use porcupine::Empty;

use crate::check::file::{HistoryFileError, LoadedHistory};

/// A history file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// kvsim's run document or JSON lines ([`crate::check::file`]).
    Kvsim,
    /// Jepsen's EDN history.
    Jepsen,
    /// Jepsen's EDN history with every operation keyed by an independent tuple, as Maelstrom's
    /// lin-kv and lww-kv workloads write it.
    Maelstrom,
    /// Jepsen's older text log (`jepsen.util` lines).
    JepsenLog,
    /// Porcupine's key-value log.
    Porcupine,
}

/// How formats that need a choice are read.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions {
    /// How Porcupine's empty string is read; `None`: as Porcupine means it (absent). Given for a
    /// file of another format, it is refused rather than ignored.
    pub empty: Option<Empty>,
}

/// What is wrong with a history file, in whichever format. Messages leave out the file name.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Kvsim(#[from] HistoryFileError),
    #[error(transparent)]
    Jepsen(#[from] jepsen_edn::JepsenEdnError),
    #[error(transparent)]
    JepsenLog(#[from] jepsen_log::JepsenLogError),
    #[error(transparent)]
    Porcupine(#[from] porcupine::PorcupineError),
    #[error("the file holds no operations")]
    Empty,
    #[error("--empty is for Porcupine kv logs, and this file is read as {0}; leave --empty out")]
    EmptyNotPorcupine(&'static str),
    #[error("cannot tell the format from the first line; name it with --format (kvsim, jepsen, maelstrom, jepsen-log or porcupine)")]
    Unknown,
}

/// Reads the histories in `text`, in `format` or, with `None`, the format [`detect`] finds.
pub fn read(
    text: &str,
    format: Option<Format>,
    options: &ReadOptions,
) -> Result<Vec<LoadedHistory>, ReadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ReadError::Empty);
    }
    let format = match format {
        Some(format) => format,
        None => detect(text).ok_or(ReadError::Unknown)?,
    };
    if options.empty.is_some() && format != Format::Porcupine {
        return Err(ReadError::EmptyNotPorcupine(match format {
            Format::Kvsim => "kvsim JSON",
            Format::Jepsen => "a Jepsen EDN history",
            Format::Maelstrom => "a Maelstrom history",
            Format::JepsenLog => "a Jepsen text log",
            Format::Porcupine => "a Porcupine kv log",
        }));
    }
    Ok(match format {
        Format::Kvsim => crate::check::file::parse(text)?,
        Format::Jepsen => jepsen_edn::read(text, false)?,
        Format::Maelstrom => jepsen_edn::read(text, true)?,
        Format::JepsenLog => jepsen_log::read(text)?,
        Format::Porcupine => porcupine::read(text, options.empty.unwrap_or_default())?,
    })
}

/// The format of `text`, by the rules in this module's documentation; `None` if none fits.
pub fn detect(text: &str) -> Option<Format> {
    let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    while let Some(comment) = rest.strip_prefix(';') {
        rest = comment.split_once('\n').map_or("", |(_, r)| r).trim_start();
    }
    let mut chars = rest.chars();
    match chars.next() {
        Some('{') => match chars.as_str().trim_start().chars().next() {
            Some(':') => Some(edn_format(rest)),
            _ => Some(Format::Kvsim),
        },
        Some('[') => Some(edn_format(rest)),
        // A tagged record, `#jepsen.history.Op{…}`: only Jepsen writes those.
        Some('#') => Some(Format::Jepsen),
        _ if text.lines().any(jepsen_log::is_event_line) => Some(Format::JepsenLog),
        _ => None,
    }
}

/// Porcupine or Jepsen, from the first client event that parses; Jepsen if none does (its reader
/// then says what is wrong).
fn edn_format(text: &str) -> Format {
    use clojure_reader::edn::Edn;
    // The first line (or, for a vector, its first element) is enough, and stops a huge file from
    // being parsed twice.
    let first = text
        .trim_start_matches('[')
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let Ok((value, _)) = clojure_reader::edn::read(first) else {
        return Format::Jepsen;
    };
    let Edn::Map(map) = &value else {
        return Format::Jepsen;
    };
    let f = edn::field(map, "f").and_then(edn::keyword);
    let string_key = matches!(edn::field(map, "key"), Some(Edn::Str(_)));
    match f {
        Some("get" | "put") => Format::Porcupine,
        Some("append") if string_key => Format::Porcupine,
        _ => Format::Jepsen,
    }
}

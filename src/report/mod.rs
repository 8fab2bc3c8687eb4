//! Renderings of runs: the text of one run or of several side by side, in the sections `--show`
//! selects ([`render`], which is also what the snapshots hold), the verdicts, sweep summaries, and the
//! JSON document of `--json`.
//!
//! Text output follows one rule: one event per line, aligned, in time order, so that a diff between two
//! traces reads like a story of what changed.

mod committed;
mod compare;
mod events;
pub mod folder;
mod html;
mod show;
mod story;
mod svg;
mod sweep;
mod trace;
mod unseen;
mod verdicts;
mod view;

use std::fmt::Write;

use serde::Serialize;

pub use events::EventsJson;
pub use folder::{check_folder, write_results, write_sweep_results, FolderError};
pub use html::{render_html, render_sweep_html};
pub use show::{Section, Show};
pub use story::{render_trace, write_trace};
pub use svg::{render_svg, ACK_LIMIT, DATA_LIMIT};
pub use sweep::render_summary;
pub use trace::render_run;
pub use verdicts::{render_matrix, render_selected, render_verdicts};
pub use view::{render, SEE_EVERYTHING};

use crate::check::lattice::{strongest, Strongest};
use crate::check::Verdicts;
use crate::op::OpKind;
use crate::protocol::CommitEntry;
use crate::protocol::Store;
use crate::run::Run;
use crate::scenario::Config;
use crate::text::escape;

/// One run with its verdicts, as it appears in `--json`: the run's fields, then `verdicts`, then the
/// strongest model they show.
#[derive(Serialize)]
pub struct RunReport<'a> {
    #[serde(flatten)]
    pub run: &'a Run,
    pub verdicts: &'a Verdicts,
    pub strongest: Strongest,
    /// The protocol events, when the run recorded them (`--trace`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<EventsJson<'a>>,
    /// With `events`: whether recording stopped before the run ended (too many events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_truncated: Option<bool>,
}

/// The JSON document printed by `kvsim run --json`. Every field is documented in the README.
#[derive(Serialize)]
pub struct Report<'a> {
    pub scenario: &'a str,
    pub description: &'a str,
    pub seed: u64,
    pub runs: Vec<RunReport<'a>>,
}

impl<'a> Report<'a> {
    /// `verdicts[i]` belongs to `runs[i]`.
    pub fn new(config: &'a Config, runs: &'a [Run], verdicts: &'a [Verdicts]) -> Self {
        Report {
            scenario: &config.name,
            description: &config.description,
            seed: config.seed,
            runs: runs
                .iter()
                .zip(verdicts)
                .map(|(run, verdicts)| RunReport {
                    run,
                    verdicts,
                    strongest: strongest(verdicts),
                    events: run.events.as_ref().map(|log| EventsJson { run, log }),
                    events_truncated: run.events.as_ref().map(|log| log.truncated),
                })
                .collect(),
        }
    }

    /// The same document without the runs' events: what `--json` prints when the runs recorded
    /// events for another reason than `--trace` (a results folder).
    pub fn without_events(mut self) -> Self {
        for run in &mut self.runs {
            run.events = None;
            run.events_truncated = None;
        }
        self
    }

    /// Writes the document as pretty-printed JSON, without building it in memory first: with
    /// `--trace`, a large run's events run to gigabytes.
    pub fn write_json(&self, out: &mut (impl std::io::Write + ?Sized)) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        out.write_all(b"\n")
    }

    /// The document as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Serializing plain structs of strings and numbers into a String cannot fail.
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }
}

/// Lays out rows of cells in columns padded to the widest cell; the last column is not padded.
pub(crate) fn table(out: &mut String, indent: &str, rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::from(indent);
        for (i, cell) in row.iter().enumerate() {
            if i + 1 < row.len() {
                let pad = widths[i] - cell.chars().count();
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad + 2));
            } else {
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

pub(crate) use crate::history::show;

/// A commit in plain words: `put x = 1`, `get x -> 1`; a compare-and-set or an append with the value
/// it left, `cas x = 2`, `append x = ab`, or `cas x failed, saw 3`.
pub(crate) fn describe_commit(entry: &CommitEntry) -> String {
    let key = escape(&entry.key);
    let value = show(&entry.value);
    match entry.op {
        OpKind::Put => format!("put {key} = {value}"),
        OpKind::Get => format!("get {key} -> {value}"),
        OpKind::Cas if !entry.ok => format!("cas {key} failed, saw {value}"),
        OpKind::Cas => format!("cas {key} = {value}"),
        OpKind::Append => format!("append {key} = {value}"),
    }
}

pub(crate) fn store_line(store: &Store) -> String {
    if store.is_empty() {
        return "(empty)".to_string();
    }
    let pairs: Vec<String> = store
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect();
    pairs.join(" ")
}

/// The scenario's heading: name, seed, model, and the description.
pub(crate) fn heading(out: &mut String, config: &Config, title: &str) {
    let _ = writeln!(out, "=== {title} ===");
    let clients = config.clients.len() + config.workload.as_ref().map_or(0, |w| w.clients as usize);
    let _ = writeln!(
        out,
        "scenario {}, seed {}, {} replica{}, {} client{}",
        escape(&config.name),
        config.seed,
        config.replicas,
        plural(config.replicas),
        clients,
        plural(clients)
    );
    for line in wrap(&escape(&config.description), 96) {
        let _ = writeln!(out, "  {line}");
    }
    let conditions = conditions(config);
    if !conditions.is_empty() {
        let _ = writeln!(out, "conditions: {}", conditions.join(", "));
    }
}

/// What departs from a reliable FIFO network and patient clients, in words.
fn conditions(config: &Config) -> Vec<String> {
    let net = &config.network;
    let mut said = Vec::new();
    // Rounded to a tenth of a percent, so that 0.07 reads 7, not 7.000000000000001.
    let percent = |p: f64| (p * 1000.0).round() / 10.0;
    if net.drop > 0.0 {
        said.push(format!("{}% of messages lost", percent(net.drop)));
    }
    if net.duplicate > 0.0 {
        said.push(format!("{}% duplicated", percent(net.duplicate)));
    }
    if !net.fifo {
        said.push("links may reorder messages".to_string());
    }
    if !config.channels.ordered {
        said.push("channels deliver out of order".to_string());
    }
    if let Some(timeout) = config.timeout {
        said.push(format!("clients give up after {timeout} ms"));
    }
    if let Some(nemesis) = &config.nemesis {
        said.push(format!(
            "a nemesis draws faults from t={} to t={}",
            nemesis.start, nemesis.until
        ));
    }
    said
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

/// Breaks text into lines of at most `width` characters at spaces (a longer word gets a line of its
/// own), keeping the text's own line breaks.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

/// The width of the terminal that text output is laid out for.
pub(crate) const TERMINAL: usize = 100;

/// Writes `line` to `out`, broken at spaces to fit [`TERMINAL`] columns; the lines it continues on are
/// indented `hang` characters deeper than the line's own indentation, so they read as one item.
/// Spaces inside the line (a table's padding) are kept.
pub(crate) fn push_wrapped(out: &mut String, line: &str, hang: usize) {
    let indent = line.len() - line.trim_start().len();
    let pad = " ".repeat(indent + hang);
    let mut rest: Vec<char> = line.chars().collect();
    let mut first = true;
    loop {
        let room = if first {
            TERMINAL
        } else {
            TERMINAL - pad.len()
        };
        // The last space that leaves the piece within `room`, past the indentation.
        let cut = (rest.len() > room)
            .then(|| (indent + 1..=room).rev().find(|&i| rest[i] == ' '))
            .flatten();
        if !first {
            out.push_str(&pad);
        }
        let Some(cut) = cut else {
            out.extend(rest.iter());
            out.push('\n');
            return;
        };
        out.extend(rest[..cut].iter());
        out.push('\n');
        let skip = rest[cut..].iter().take_while(|&&c| c == ' ').count();
        rest.drain(..cut + skip);
        first = false;
    }
}

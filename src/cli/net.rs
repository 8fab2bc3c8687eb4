//! What the real transport's commands (`kvsim replica`, `kvsim client`, `kvsim cluster`, each in a
//! file of its own) share: the model flag of a single replica, the report of a stopped replica as
//! text, and the exit statuses of a real run that failed.

use std::process::ExitCode;

use clap::ValueEnum;
use kvsim::net::{NetError, ReplicaReport};
use kvsim::protocol::Model;

/// Exit status of a real run that failed: a replica could not start or exited, or something took
/// longer than it may.
pub const NET_FAILED: u8 = 6;
/// Exit status after Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
const INTERRUPTED: u8 = 130;

/// One consistency model (a replica runs exactly one).
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OneModel {
    Linearizable,
    Sequential,
    Causal,
    Eventual,
}

impl OneModel {
    pub fn model(self) -> Model {
        match self {
            OneModel::Linearizable => Model::Linearizable,
            OneModel::Sequential => Model::Sequential,
            OneModel::Causal => Model::Causal,
            OneModel::Eventual => Model::Eventual,
        }
    }
}

/// A replica's report as text: its committed order, one operation a line, then its store.
pub fn report_text(report: &ReplicaReport) -> String {
    let mut text = format!(
        "replica {} ({}) stopped at {} ms: {} committed, {} packets sent, {} unacknowledged\n",
        report.id,
        report.model,
        report.stopped_at,
        report.committed.len(),
        report.messages,
        report.unacknowledged
    );
    for entry in &report.committed {
        let value = entry
            .value
            .as_deref()
            .map_or("null".into(), kvsim::text::escape);
        let failed = if entry.ok { "" } else { " (failed)" };
        text.push_str(&format!(
            "  {:>8} ms  {} {} {}{failed}  c{} {}\n",
            entry.at,
            entry.op,
            kvsim::text::escape(&entry.key),
            value,
            entry.client.0,
            entry.stamp
        ));
    }
    let pairs: Vec<String> = report
        .store
        .iter()
        .map(|(k, v)| format!("{}={}", kvsim::text::escape(k), kvsim::text::escape(v)))
        .collect();
    text.push_str(&format!("store: {{{}}}\n", pairs.join(", ")));
    text
}

pub fn net_failed(err: &NetError) -> ExitCode {
    eprintln!("kvsim: {}", kvsim::text::escape(&err.to_string()));
    match err {
        NetError::Interrupted(_) => ExitCode::from(INTERRUPTED),
        _ => ExitCode::from(NET_FAILED),
    }
}

pub fn usage(message: &str) -> ExitCode {
    eprintln!("kvsim: {}", kvsim::text::escape(message));
    ExitCode::from(2)
}

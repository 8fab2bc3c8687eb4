//! `kvsim check`: judge a recorded history — kvsim's own, or Jepsen's, Maelstrom's, Porcupine's —
//! against the consistency models, without simulating.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use indexmap::IndexMap;
use kvsim::check::file::LoadedHistory;
use kvsim::check::glossary::Explained;
use kvsim::check::lattice::{strongest, Strongest};
use kvsim::check::{check_all, check_property, Property, Verdict};
use kvsim::history::formats::{self, Empty, Format, ReadError, ReadOptions};
use kvsim::report::render_selected;

use crate::{emit, fail};

#[derive(clap::Args)]
pub struct CheckArgs {
    /// The history file.
    history: PathBuf,
    /// Which model to check for; `all` also checks causal convergence, the session guarantees and,
    /// for a run document, convergence of the final stores.
    #[arg(long, value_enum, default_value_t = CheckChoice::All)]
    model: CheckChoice,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// The history's format; `auto` tells it from the first lines (see the README, "History
    /// formats").
    #[arg(long, value_enum, default_value_t = FormatChoice::Auto)]
    format: FormatChoice,
    /// How a Porcupine log's empty string is read: `absent` (Porcupine's meaning: every key starts
    /// as "", so reading "" is reading a key nothing was written to) or `value` (an ordinary value).
    /// Default: `absent`. Refused for files of other formats.
    #[arg(long, value_enum)]
    empty: Option<EmptyChoice>,
}

/// A value of `kvsim check --format`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatChoice {
    /// Tell the format from the file's first lines.
    Auto,
    /// kvsim's run document (`kvsim run --json`) or JSON lines.
    Kvsim,
    /// Jepsen's EDN history: one map per line or a vector of maps; a single register, a :key field,
    /// or independent tuples [key value].
    Jepsen,
    /// A Maelstrom lin-kv or lww-kv history: Jepsen EDN with every value an independent tuple.
    Maelstrom,
    /// Jepsen's older text log: `INFO  jepsen.util - 2<tab>:invoke<tab>:cas<tab>[3 0]`.
    JepsenLog,
    /// Porcupine's key-value log: {:process 0, :type :invoke, :f :get, :key "5", :value nil}.
    Porcupine,
}

impl FormatChoice {
    fn format(self) -> Option<Format> {
        match self {
            FormatChoice::Auto => None,
            FormatChoice::Kvsim => Some(Format::Kvsim),
            FormatChoice::Jepsen => Some(Format::Jepsen),
            FormatChoice::Maelstrom => Some(Format::Maelstrom),
            FormatChoice::JepsenLog => Some(Format::JepsenLog),
            FormatChoice::Porcupine => Some(Format::Porcupine),
        }
    }
}

/// A value of `kvsim check --empty`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EmptyChoice {
    /// "" is the initial value: the key is absent.
    Absent,
    /// "" is a value like any other.
    Value,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckChoice {
    Linearizable,
    Sequential,
    Causal,
    All,
}

impl CheckChoice {
    fn properties(self, has_stores: bool) -> Vec<Property> {
        match self {
            CheckChoice::Linearizable => vec![Property::Linearizable],
            CheckChoice::Sequential => vec![Property::Sequential],
            CheckChoice::Causal => vec![Property::Causal],
            CheckChoice::All => Property::ALL
                .into_iter()
                .filter(|&p| has_stores || p != Property::Convergent)
                .collect(),
        }
    }
}

pub fn check(args: &CheckArgs) -> ExitCode {
    let options = ReadOptions {
        empty: args.empty.map(|choice| match choice {
            EmptyChoice::Absent => Empty::Absent,
            EmptyChoice::Value => Empty::Value,
        }),
    };
    let loaded: Result<Vec<LoadedHistory>, ReadError> = std::fs::read_to_string(&args.history)
        .map_err(|err| ReadError::Kvsim(err.into()))
        .and_then(|text| formats::read(&text, args.format.format(), &options));
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(err) => return fail(&args.history, &err),
    };
    // Each history's verdicts, and with every property checked, the strongest model they show.
    type Checked<'a> = (
        &'a LoadedHistory,
        Vec<(Property, Verdict)>,
        Option<Strongest>,
    );
    let mut results: Vec<Checked> = Vec::new();
    for item in &loaded {
        let stores = item.stores.as_deref();
        let properties = args.model.properties(stores.is_some());
        // Checking everything at once shares work between the checkers.
        // One property alone gets its checker's own verdict: the lattice needs the others.
        let (verdicts, best): (Vec<(Property, Verdict)>, _) = if args.model == CheckChoice::All {
            let all = check_all(&item.history, stores);
            let verdicts = properties
                .into_iter()
                .map(|p| (p, all.get(p).clone()))
                .collect();
            (verdicts, Some(strongest(&all)))
        } else {
            let verdicts = properties
                .into_iter()
                .map(|p| (p, check_property(&item.history, stores, p)))
                .collect();
            (verdicts, None)
        };
        results.push((item, verdicts, best));
    }
    let all: Vec<&Verdict> = results
        .iter()
        .flat_map(|(_, v, _)| v.iter().map(|(_, v)| v))
        .collect();
    let status = if all.iter().any(|v| v.ok == Some(false)) {
        ExitCode::from(1)
    } else if all.iter().any(|v| v.ok.is_none()) {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    };
    let text = if args.json {
        let histories: Vec<serde_json::Value> = results
            .iter()
            .map(|(item, verdicts, best)| {
                let map: IndexMap<&str, &Verdict> = verdicts.iter().map(|(p, v)| (p.name(), v)).collect();
                let mut doc = serde_json::json!({ "label": item.label, "operations": item.history.ops.len(), "verdicts": map });
                if let Some(best) = best {
                    doc["strongest"] = serde_json::json!(best);
                }
                doc
            })
            .collect();
        let doc = serde_json::json!({ "file": args.history.display().to_string(), "histories": histories });
        serde_json::to_string_pretty(&doc).expect("plain values serialize") + "\n"
    } else {
        let mut text = String::new();
        let mut explained = Explained::default();
        for (item, verdicts, best) in &results {
            let count = item.history.ops.len();
            text.push_str(&format!(
                "=== {}: {} ({count} operation{}) ===\n",
                args.history.display(),
                item.label,
                if count == 1 { "" } else { "s" }
            ));
            if let Some(best) = best {
                text.push_str(&format!("  strongest: {best}\n"));
            }
            let selected: Vec<(Property, &Verdict)> =
                verdicts.iter().map(|(p, v)| (*p, v)).collect();
            text.push_str(&render_selected(&selected, &mut explained));
            text.push('\n');
        }
        text
    };
    match emit(&text) {
        ExitCode::SUCCESS => status,
        failed => failed,
    }
}

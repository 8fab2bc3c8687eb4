//! `kvsim run`: one scenario under one model or all four, printed as text (the sections `--show`
//! selects, then with `--trace` each run's protocol events) or JSON, with `--fail-on` gates.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use kvsim::check::{check_run, Verdicts};
use kvsim::history::formats::jepsen_edn;
use kvsim::report::{render, write_results, write_trace, Report, Section, Show};
use kvsim::run::Run;
use kvsim::scenario::Scenario;
use kvsim::sim::{simulate_recording, Record};

use super::gate::{self, Gate};
use crate::{emit_with, fail, ModelChoice};

#[derive(clap::Args)]
pub struct RunArgs {
    /// The scenario file (JSON; the format is in the README).
    scenario: PathBuf,
    /// Which consistency model to run.
    #[arg(long, value_enum, default_value_t = ModelChoice::All)]
    model: ModelChoice,
    /// Use this seed instead of the scenario's.
    #[arg(long)]
    seed: Option<u64>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Print only these sections, in full (repeat the option, or separate with commas); `trace` is
    /// the protocol events (as --trace), `all` every section and the trace. Without it, every
    /// section but the trace is printed short: a long history counted, committed orders that agree
    /// said in one line.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "SECTION",
        conflicts_with = "json"
    )]
    show: Vec<ShowChoice>,
    /// Record and print the protocol events of each run, one line each in time order: requests
    /// and replies, every packet sent, delivered, lost or duplicated (with its stamp or vector
    /// clock), what each replica holds back and why, and every commit. With --json: `runs[].events`.
    #[arg(long)]
    trace: bool,
    /// Exit 1 if PROPERTY is broken in any run (repeatable). `own` is each model's own guarantee:
    /// linearizable, sequential, causal, and for eventual, convergent.
    #[arg(long, value_name = "PROPERTY", value_parser = gate::parser())]
    fail_on: Vec<Gate>,
    /// Also write a results folder: `index.html` (the report: diagrams, verdicts, a time cursor,
    /// plots; one self-contained file), `<model>.svg`, `run.json` (as --json --trace),
    /// `history-<model>.jsonl` (for `kvsim check`) and `history-<model>.edn` (Jepsen's format).
    /// Created if missing; a non-empty folder that is not a kvsim results folder is refused.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print each run's history in this format instead of the report: `edn` is Jepsen's history
    /// format (one event a line; each model's history after a `;; kvsim history: run of MODEL`
    /// comment line, which `kvsim check` reads back as one history per model).
    #[arg(long, value_enum, value_name = "FORMAT", conflicts_with_all = ["json", "show", "trace"])]
    history_format: Option<HistoryFormat>,
}

/// A value of `--history-format`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum HistoryFormat {
    /// Jepsen's EDN: invoke and completion events, keyed by independent tuples [key value], times
    /// in nanoseconds.
    Edn,
}

/// A value of `--show`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ShowChoice {
    /// Faults, statistics, cost.
    Summary,
    /// Every operation and what it returned (side by side for several models).
    History,
    /// Each replica's committed order.
    Committed,
    /// Each replica's final store.
    Stores,
    /// The verdicts and their witnesses.
    Verdicts,
    /// The protocol events of each run, as `--trace` prints them.
    Trace,
    /// Every section in full, and the trace.
    All,
}

impl ShowChoice {
    pub(crate) fn sections(self) -> Vec<Section> {
        match self {
            ShowChoice::Summary => vec![Section::Summary],
            ShowChoice::History => vec![Section::History],
            ShowChoice::Committed => vec![Section::Committed],
            ShowChoice::Stores => vec![Section::Stores],
            ShowChoice::Verdicts => vec![Section::Verdicts],
            // The trace is not a section of the report: it is recorded by the run and streamed
            // after the report.
            ShowChoice::Trace => vec![],
            ShowChoice::All => Section::ALL.to_vec(),
        }
    }

    pub(crate) fn wants_trace(self) -> bool {
        matches!(self, ShowChoice::Trace | ShowChoice::All)
    }
}

pub fn run(args: &RunArgs) -> ExitCode {
    let mut config = match Scenario::load(&args.scenario) {
        Ok(config) => config,
        Err(err) => return fail(&args.scenario, &err),
    };
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    let trace = args.trace || args.show.iter().any(|choice| choice.wants_trace());
    let record = if trace || args.out.is_some() {
        Record::Events
    } else {
        Record::Everything
    };
    let runs: Vec<Run> = args
        .model
        .models()
        .iter()
        .map(|&model| simulate_recording(&config, model, record))
        .collect();
    let verdicts: Vec<Verdicts> = runs.iter().map(check_run).collect();
    if let Some(dir) = &args.out {
        if let Err(err) = write_results(dir, &config, &runs, &verdicts) {
            eprintln!("kvsim: {}", kvsim::text::escape(&err.to_string()));
            return ExitCode::from(if err.is_refusal() { 2 } else { 4 });
        }
    }
    let status = if let Some(HistoryFormat::Edn) = args.history_format {
        emit_with(|out| {
            for run in &runs {
                let label = format!("run of {}", run.model.name());
                out.write_all(jepsen_edn::write(&label, &run.history).as_bytes())?;
            }
            Ok(())
        })
    } else if args.json {
        let report = Report::new(&config, &runs, &verdicts);
        let report = if trace {
            report
        } else {
            report.without_events()
        };
        emit_with(|out| report.write_json(out))
    } else {
        let show = if args.show.is_empty() {
            Show::default()
        } else {
            Show::only(args.show.iter().flat_map(|choice| choice.sections()))
        };
        let text = render(&config, &runs, &verdicts, &show);
        // The traces come last, streamed: a large run's events run to gigabytes.
        emit_with(|out| {
            out.write_all(text.as_bytes())?;
            for run in &runs {
                if trace && run.events.is_some() {
                    out.write_all(b"\n")?;
                    write_trace(run, out)?;
                }
            }
            Ok(())
        })
    };
    match gate::judge_runs(&args.fail_on, &runs, &verdicts) {
        Some(failed) if status == ExitCode::SUCCESS => {
            eprintln!("{failed}");
            ExitCode::from(1)
        }
        _ => status,
    }
}

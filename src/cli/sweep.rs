//! `kvsim sweep`: many seeds of one scenario, run in parallel and summarised, or earlier summaries
//! merged.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use kvsim::protocol::Model;
use kvsim::report::{check_folder, render_summary, write_sweep_results};
use kvsim::scenario::{Config, Scenario};
use kvsim::sweep::{SeedRange, Seeds, Shard, Summary, MAX_SEEDS};

use super::gate::{self, Gate, Tally};
use crate::{emit, fail, ModelChoice, MAX_JOBS};

#[derive(clap::Args)]
pub struct SweepArgs {
    /// The scenario file (not with --merge).
    #[arg(required_unless_present = "merge")]
    scenario: Option<PathBuf>,
    /// The seeds: A..B (B excluded) or A..=B.
    #[arg(long, required_unless_present = "merge")]
    seeds: Option<SeedRange>,
    /// Which consistency model to run.
    #[arg(long, value_enum, default_value_t = ModelChoice::All)]
    model: ModelChoice,
    /// Worker threads (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Only every N-th seed of the range, starting from the K-th: K/N (to split a sweep across machines).
    #[arg(long)]
    shard: Option<Shard>,
    /// Print the summary as one JSON document (which `--merge` reads back).
    #[arg(long)]
    json: bool,
    /// With --json: print one JSON line per run instead of the summary.
    #[arg(long, requires = "json")]
    per_run: bool,
    /// Exit 1 if PROPERTY is broken in any run (repeatable). `own` is each model's own guarantee:
    /// linearizable, sequential, causal, and for eventual, convergent.
    #[arg(long, value_name = "PROPERTY", value_parser = gate::parser())]
    fail_on: Vec<Gate>,
    /// Merge the JSON summaries of earlier sweeps (of the same scenario) into one.
    #[arg(long, num_args = 1.., conflicts_with_all = ["scenario", "seeds", "shard", "per_run", "model", "jobs"])]
    merge: Vec<PathBuf>,
    /// Also write a results folder: `index.html` (per model, the runs breaking each property, the
    /// spread of messages and latencies over seeds, each anomaly with the commands replaying its
    /// first seeds) and `summary.json` (as --json). Refuses a non-empty folder that is not a kvsim
    /// results folder.
    #[arg(long, value_name = "DIR", conflicts_with = "per_run")]
    out: Option<PathBuf>,
}

pub fn sweep(args: &SweepArgs) -> ExitCode {
    if let Some(Err(err)) = args.out.as_deref().map(check_folder) {
        eprintln!("kvsim: {}", kvsim::text::escape(&err.to_string()));
        return ExitCode::from(if err.is_refusal() { 2 } else { 4 });
    }
    let summary = if args.merge.is_empty() {
        let (Some(path), Some(range)) = (&args.scenario, args.seeds) else {
            unreachable!("clap requires a scenario and seeds without --merge")
        };
        let config = match Scenario::load(path) {
            Ok(config) => config,
            Err(err) => return fail(path, &err),
        };
        let seeds = Seeds::new(range, args.shard);
        let count = seeds.len();
        if count > MAX_SEEDS {
            eprintln!("kvsim: a sweep of {count} seeds is more than the {MAX_SEEDS} one run holds; split it with --shard K/N");
            return ExitCode::from(2);
        }
        if count == 0 {
            eprintln!(
                "kvsim: shard {} of seeds {range} holds no seed",
                seeds.shard
            );
            return ExitCode::from(2);
        }
        // More threads than seeds, or than a machine sensibly runs, only cost time to start.
        let jobs = args
            .jobs
            .map_or_else(
                || std::thread::available_parallelism().map_or(1, |n| n.get()),
                usize::from,
            )
            .min(usize::try_from(count).unwrap_or(usize::MAX))
            .min(MAX_JOBS);
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(count);
            if let Ok(style) =
                ProgressStyle::with_template("{bar:40} {pos}/{len} seeds  {elapsed} (eta {eta})")
            {
                bar.set_style(style);
            }
            bar
        } else {
            ProgressBar::hidden()
        };
        let models = args.model.models();
        if args.per_run {
            let status = sweep_per_run(&config, seeds, &models, jobs, &bar, &args.fail_on);
            bar.finish_and_clear();
            return status;
        }
        let summary = kvsim::sweep::summarise(&config, seeds, &models, jobs, || bar.inc(1));
        bar.finish_and_clear();
        match summary {
            Ok(summary) => summary,
            Err(err) => {
                eprintln!("kvsim: {err}");
                return ExitCode::from(2);
            }
        }
    } else {
        let mut summaries = Vec::new();
        for path in &args.merge {
            let summary: Result<Summary, String> = std::fs::read_to_string(path)
                .map_err(|err| format!("cannot read the file: {err}"))
                .and_then(|text| Summary::parse(&text).map_err(|err| err.to_string()));
            match summary {
                Ok(summary) => summaries.push((
                    kvsim::text::escape(&path.display().to_string()).into_owned(),
                    summary,
                )),
                Err(err) => return fail(path, &err),
            }
        }
        match kvsim::sweep::merge(summaries) {
            Ok(summary) => summary,
            Err(err) => {
                eprintln!("kvsim: {}", kvsim::text::escape(&err.to_string()));
                return ExitCode::from(2);
            }
        }
    };
    let replay = match &args.scenario {
        Some(path) => format!("kvsim run {}", path.display()),
        None => "kvsim run SCENARIO".to_string(),
    };
    if let Some(dir) = &args.out {
        if let Err(err) = write_sweep_results(dir, &summary, &replay) {
            eprintln!("kvsim: {}", kvsim::text::escape(&err.to_string()));
            return ExitCode::from(if err.is_refusal() { 2 } else { 4 });
        }
    }
    let text = if args.json {
        serde_json::to_string_pretty(&summary).expect("plain values serialize") + "\n"
    } else {
        render_summary(&summary, &replay)
    };
    let status = emit(&text);
    match gate::judge_summary(&args.fail_on, &summary) {
        Some(failed) if status == ExitCode::SUCCESS => {
            eprintln!("{failed}");
            ExitCode::from(1)
        }
        _ => status,
    }
}

/// `kvsim sweep --json --per-run`: one JSON line per run, written as each seed's turn comes, so
/// that memory stays flat and `| head` stops the sweep.
fn sweep_per_run(
    config: &Config,
    seeds: Seeds,
    models: &[Model],
    jobs: usize,
    bar: &ProgressBar,
    gates: &[Gate],
) -> ExitCode {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failed: Option<std::io::Error> = None;
    let mut tally = Tally::default();
    let swept = kvsim::sweep::sweep(config, seeds, models, jobs, |records| {
        for record in &records {
            let broken = record.broken.keys().map(String::as_str);
            tally.count(gates, record.seed, record.model, broken);
            let written = serde_json::to_writer(&mut out, record)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"));
            if let Err(err) = written {
                failed = Some(err);
                return ControlFlow::Break(());
            }
        }
        bar.inc(1);
        ControlFlow::Continue(())
    });
    if let Err(err) = swept {
        eprintln!("kvsim: {err}");
        return ExitCode::from(2);
    }
    let flushed = match failed {
        Some(err) => Err(err),
        None => out.flush(),
    };
    let passed = match tally.judge(gates) {
        Some(line) => {
            eprintln!("{line}");
            ExitCode::from(1)
        }
        None => ExitCode::SUCCESS,
    };
    match flushed {
        Ok(()) => passed,
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kvsim: cannot write the output: {err}");
            ExitCode::from(4)
        }
    }
}

//! `kvsim sweep`: many seeds of one scenario, run in parallel and summarised, or earlier summaries
//! merged.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use kvsim::protocol::Model;
use kvsim::report::{check_folder, render_summary, write_sweep_results};
use kvsim::scenario::{Config, Scenario};
use kvsim::sweep::{
    read_shard_dir, shard_from_env, write_shard_file, Determinism, RunRecord, SeedRange, Seeds,
    Shard, Summary, SweepError, MAX_SEEDS, SHARDS_VARIABLE,
};

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
    /// Only every N-th seed of the range, starting from the K-th: K/N (to split a sweep across
    /// machines). `auto` reads K and N from a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with N
    /// from --shards or KVSIM_SHARDS) or a Slurm job array (SLURM_ARRAY_TASK_ID, _MIN, _STEP,
    /// _COUNT), and says which on standard error.
    #[arg(long, value_name = "K/N|auto")]
    shard: Option<ShardChoice>,
    /// With --shard auto: the number of shards N (for a Kubernetes Indexed Job, its completions).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    shards: Option<u64>,
    /// Also write the summary (as --json prints it) to DIR/shard-K.json, K the shard's index;
    /// `--merge DIR` merges them all.
    #[arg(long, value_name = "DIR", conflicts_with = "per_run")]
    shard_dir: Option<PathBuf>,
    /// Run every seed twice, the second time in another order and on another thread, and exit 5
    /// naming the seed if any run differs (its events, history, committed orders, stores or
    /// verdicts).
    #[arg(long)]
    check_determinism: bool,
    /// At the end, print the seeds per second on standard error.
    #[arg(long)]
    throughput: bool,
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
    /// Merge the JSON summaries of earlier sweeps (of the same scenario) into one. A directory
    /// stands for every shard-K.json in it (as --shard-dir writes them), and must hold each shard
    /// of its sweep once.
    #[arg(long, value_name = "FILE|DIR", num_args = 1.., conflicts_with_all = [
        "scenario", "seeds", "shard", "shards", "shard_dir", "per_run", "model", "jobs",
        "check_determinism", "throughput",
    ])]
    merge: Vec<PathBuf>,
    /// After the summary, shrink the first seed of each kind of failure as `kvsim hunt` does, and
    /// print each as a scenario that shows that failure by itself.
    #[arg(long, conflicts_with_all = ["json", "per_run", "merge"])]
    shrink: bool,
    /// Also write a results folder: `index.html` (per model, the runs breaking each property, the
    /// spread of messages and latencies over seeds, each anomaly with the commands replaying its
    /// first seeds) and `summary.json` (as --json). Refuses a non-empty folder that is not a kvsim
    /// results folder.
    #[arg(long, value_name = "DIR", conflicts_with = "per_run")]
    out: Option<PathBuf>,
}

/// A `--shard` value: a fixed shard, or one to read from the scheduler's environment.
#[derive(Clone, Copy, Debug)]
enum ShardChoice {
    Fixed(Shard),
    Auto,
}

impl FromStr for ShardChoice {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "auto" {
            return Ok(ShardChoice::Auto);
        }
        text.parse().map(ShardChoice::Fixed).map_err(|_: String| {
            format!(
                "expected a shard as K/N with K < N, like 0/4, or auto (from a Kubernetes Indexed \
                 Job or a Slurm job array), got {text:?}"
            )
        })
    }
}

/// Exit status: a run came out different when run again (`--check-determinism`).
const NONDETERMINISTIC: u8 = 5;

pub fn sweep(args: &SweepArgs) -> ExitCode {
    if let Some(Err(err)) = args.out.as_deref().map(check_folder) {
        eprintln!("kvsim: {}", kvsim::text::escape(&err.to_string()));
        return ExitCode::from(if err.is_refusal() { 2 } else { 4 });
    }
    if args.merge.is_empty() {
        sweep_seeds(args)
    } else {
        match merge(&args.merge) {
            Ok(summary) => finish(args, &summary, None),
            Err(status) => status,
        }
    }
}

/// Which shard to run: `--shard K/N`, the scheduler's with `--shard auto`, or all seeds.
fn shard(args: &SweepArgs) -> Result<Option<Shard>, String> {
    match args.shard {
        None | Some(ShardChoice::Fixed(_)) if args.shards.is_some() => Err(format!(
            "--shards N is the number of shards for --shard auto (or set {SHARDS_VARIABLE}); with --shard K/N the number is N"
        )),
        None => Ok(None),
        Some(ShardChoice::Fixed(shard)) => Ok(Some(shard)),
        Some(ShardChoice::Auto) => {
            let found = shard_from_env(|name| std::env::var(name).ok(), args.shards)
                .map_err(|err| err.to_string())?;
            eprintln!("kvsim: {}", kvsim::text::escape(&found.to_string()));
            Ok(Some(found.shard))
        }
    }
}

/// `kvsim sweep SCENARIO --seeds A..B`: runs, summarises (or prints each run), checks.
fn sweep_seeds(args: &SweepArgs) -> ExitCode {
    let (Some(path), Some(range)) = (&args.scenario, args.seeds) else {
        unreachable!("clap requires a scenario and seeds without --merge")
    };
    let shard = match shard(args) {
        Ok(shard) => shard,
        Err(err) => {
            eprintln!("kvsim: {}", kvsim::text::escape(&err));
            return ExitCode::from(2);
        }
    };
    let config = match Scenario::load(path) {
        Ok(config) => config,
        Err(err) => return fail(path, &err),
    };
    let seeds = Seeds::new(range, shard);
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
    // Made before the sweep, so that a directory that cannot be is known before hours are spent.
    if let Some(dir) = &args.shard_dir {
        if let Err(err) = std::fs::create_dir_all(dir) {
            let dir = dir.display().to_string();
            eprintln!(
                "kvsim: {}: cannot make the directory: {err}",
                kvsim::text::escape(&dir)
            );
            return ExitCode::from(4);
        }
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
    plant_for_tests();
    let started = Instant::now();
    let swept = Swept {
        config: &config,
        seeds,
        models: &models,
        jobs,
        check: args.check_determinism,
    };
    let (status, determinism) = if args.per_run {
        sweep_per_run(&swept, &bar, &args.fail_on)
    } else {
        let mut summary = Summary::new(&config.name, &kvsim::sweep::fingerprint(&config), seeds);
        let determinism = swept.run(|records| {
            for record in &records {
                summary.add(record);
            }
            bar.inc(1);
            ControlFlow::Continue(())
        });
        match determinism {
            Ok(determinism) => (finish(args, &summary, Some(seeds.shard)), determinism),
            Err(err) => {
                eprintln!("kvsim: {err}");
                return ExitCode::from(2);
            }
        }
    };
    bar.finish_and_clear();
    if args.throughput {
        let seconds = started.elapsed().as_secs_f64();
        eprintln!(
            "kvsim: {count} seeds ({} runs{}) in {seconds:.2} s: {:.0} seeds/s on {jobs} thread{}",
            count * models.len() as u64,
            if args.check_determinism {
                ", each run twice"
            } else {
                ""
            },
            count as f64 / seconds.max(1e-9),
            if jobs == 1 { "" } else { "s" },
        );
    }
    match determinism {
        Some(found) => match judge_determinism(&found, path) {
            Some(line) => {
                eprintln!("{line}");
                ExitCode::from(NONDETERMINISTIC)
            }
            None => status,
        },
        None => status,
    }
}

/// In debug builds (which tests use), `KVSIM_TEST_PLANT_NONDETERMINISM=SEED` plants a
/// nondeterminism at that seed ([`kvsim::sim::plant_nondeterminism`]), so that a test can watch
/// `--check-determinism` fail end to end. Release builds do not read it: no user can trip it.
fn plant_for_tests() {
    #[cfg(debug_assertions)]
    if let Some(seed) = std::env::var("KVSIM_TEST_PLANT_NONDETERMINISM")
        .ok()
        .and_then(|seed| seed.parse().ok())
    {
        kvsim::sim::plant_nondeterminism(Some(seed));
    }
}

/// A sweep about to run, with or without the determinism check.
struct Swept<'a> {
    config: &'a Config,
    seeds: Seeds,
    models: &'a [Model],
    jobs: usize,
    check: bool,
}

impl Swept<'_> {
    /// Sweeps, handing each seed's records to `sink`; with the check, says what it found.
    fn run(
        &self,
        sink: impl FnMut(Vec<RunRecord>) -> ControlFlow<()>,
    ) -> Result<Option<Determinism>, SweepError> {
        let (config, seeds, models, jobs) = (self.config, self.seeds, self.models, self.jobs);
        if self.check {
            kvsim::sweep::sweep_checking_determinism(config, seeds, models, jobs, sink).map(Some)
        } else {
            kvsim::sweep::sweep(config, seeds, models, jobs, sink).map(|()| None)
        }
    }
}

/// The line the determinism check prints: on standard error, and `Some` when a run differed.
fn judge_determinism(found: &Determinism, scenario: &Path) -> Option<String> {
    let Some(first) = found.first else {
        eprintln!(
            "kvsim: determinism: every one of the {} runs was the same when run again (digest {})",
            found.runs, found.digest
        );
        return None;
    };
    let scenario = kvsim::text::escape(&scenario.display().to_string()).into_owned();
    Some(format!(
        "kvsim: determinism check failed: {first}; {} of {} runs differed. Compare: kvsim run \
         {scenario} --seed {} --model {} --trace --json",
        found.differed, found.runs, first.seed, first.model,
    ))
}

/// `kvsim sweep --merge FILE|DIR …`: the summaries read and merged, or the status to exit with.
fn merge(paths: &[PathBuf]) -> Result<Summary, ExitCode> {
    let name = |path: &Path| kvsim::text::escape(&path.display().to_string()).into_owned();
    let mut summaries = Vec::new();
    for path in paths {
        if path.is_dir() {
            match read_shard_dir(path, name) {
                Ok(shards) => summaries.extend(shards),
                Err(err) => {
                    eprintln!("kvsim: {}", kvsim::text::escape(&err.to_string()));
                    return Err(ExitCode::from(2));
                }
            }
            continue;
        }
        let summary: Result<Summary, String> = std::fs::read_to_string(path)
            .map_err(|err| format!("cannot read the file: {err}"))
            .and_then(|text| Summary::parse(&text).map_err(|err| err.to_string()));
        match summary {
            Ok(summary) => summaries.push((name(path), summary)),
            Err(err) => return Err(fail(path, &err)),
        }
    }
    kvsim::sweep::merge(summaries).map_err(|err| {
        eprintln!("kvsim: {}", kvsim::text::escape(&err.to_string()));
        ExitCode::from(2)
    })
}

/// Writes a summary where it is asked for (the shard directory, the results folder, standard
/// output), and applies the gates. `shard`: the shard swept, if the summary is of a sweep.
fn finish(args: &SweepArgs, summary: &Summary, shard: Option<Shard>) -> ExitCode {
    let replay = match &args.scenario {
        Some(path) => format!("kvsim run {}", path.display()),
        None => "kvsim run SCENARIO".to_string(),
    };
    let json = serde_json::to_string_pretty(summary).expect("plain values serialize") + "\n";
    if let (Some(dir), Some(shard)) = (&args.shard_dir, shard) {
        if let Err(err) = write_shard_file(dir, shard, &json) {
            let dir = dir.display().to_string();
            eprintln!(
                "kvsim: {}: cannot write the shard's summary: {err}",
                kvsim::text::escape(&dir)
            );
            return ExitCode::from(4);
        }
    }
    if let Some(dir) = &args.out {
        if let Err(err) = write_sweep_results(dir, summary, &replay) {
            eprintln!("kvsim: {}", kvsim::text::escape(&err.to_string()));
            return ExitCode::from(if err.is_refusal() { 2 } else { 4 });
        }
    }
    let text = if args.json {
        json
    } else {
        render_summary(summary, &replay)
    };
    let mut status = emit(&text);
    if let (true, Some(path), ExitCode::SUCCESS) = (args.shrink, &args.scenario, status) {
        status = match super::shrink::shrink_kinds(path, summary) {
            Ok(text) => emit(&text),
            Err(err) => {
                eprintln!("kvsim: {err}");
                return ExitCode::from(2);
            }
        };
    }
    match gate::judge_summary(&args.fail_on, summary) {
        Some(failed) if status == ExitCode::SUCCESS => {
            eprintln!("{failed}");
            ExitCode::from(1)
        }
        _ => status,
    }
}

/// `kvsim sweep --json --per-run`: one JSON line per run, written as each seed's turn comes, so
/// that memory stays flat and `| head` stops the sweep. Returns the status and, with the check,
/// what it found.
fn sweep_per_run(
    swept: &Swept,
    bar: &ProgressBar,
    gates: &[Gate],
) -> (ExitCode, Option<Determinism>) {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failed: Option<std::io::Error> = None;
    let mut tally = Tally::default();
    let swept = swept.run(|records| {
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
    let determinism = match swept {
        Ok(determinism) => determinism,
        Err(err) => {
            eprintln!("kvsim: {err}");
            return (ExitCode::from(2), None);
        }
    };
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
        Ok(()) => (passed, determinism),
        // The reader left: the sweep stopped early, and what it checked is not all of it.
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => (ExitCode::SUCCESS, None),
        Err(err) => {
            eprintln!("kvsim: cannot write the output: {err}");
            (ExitCode::from(4), None)
        }
    }
}

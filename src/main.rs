//! The `kvsim` command line: parses arguments, calls the library, prints, and picks the exit status.
//!
//! Exit status: 0 on success, 2 on bad input (a scenario or history that cannot be read or is
//! invalid, or bad arguments — clap uses 2 for those too). `kvsim check` also exits 1 when a property
//! is broken, and 3 when none is broken but some could not be decided. 4: the output could not be
//! written.
//! 5: `kvsim sweep --check-determinism` found a run that came out different when run again.
//! 6: a real run (`kvsim replica`, `client`, `cluster`) failed; 130: it was stopped by Ctrl-C or
//! SIGTERM.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use kvsim::check::{check_run, Verdicts};
use kvsim::protocol::Model;
use kvsim::report::{render, Show};
use kvsim::run::Run;
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::simulate;

mod cli;

use cli::check::{check, CheckArgs};
use cli::run::{run, RunArgs};
use cli::sweep::{sweep, SweepArgs};

use cli::client::{client, ClientArgs};
use cli::cluster::{cluster, ClusterArgs};
use cli::replica::{replica, ReplicaArgs};

/// The most worker threads a sweep starts.
const MAX_JOBS: usize = 256;

/// The scenario `kvsim` and `kvsim demo` run, built into the binary.
const DEMO_SCENARIO: &str = include_str!("../scenarios/causal-chain.json");

#[derive(Parser)]
#[command(
    name = "kvsim",
    version,
    about = "Deterministic simulator of a replicated key-value store under four consistency models",
    long_about = "kvsim simulates replicas and clients of a key-value store as state machines driven by one \
seeded event queue, so that a scenario runs under linearizable, sequential, causal and eventual \
consistency with reproducible interleavings. The same scenario and seed always give the same trace.\n\n\
With no command, kvsim runs its built-in demo.",
    after_help = "Examples:\n  kvsim                                   # the demo: one scenario, four models side by side\n  \
kvsim run scenarios/stale-read.json     # every model, side by side\n  \
kvsim check history.jsonl               # judge a recorded history\n  \
kvsim sweep scenarios/causal-chain.json --seeds 0..1000   # many seeds, summarised\n  \
kvsim run scenarios/stale-read.json --model sequential --seed 3 --json"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Multiply every checker budget (search steps, solver conflicts, memory for clocks) by N, for
    /// histories whose verdicts come back "unknown" because a budget ran out.
    #[arg(long, global = true, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    budget: u64,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario file under one model or all four, and print what happened.
    ///
    /// By default every section is printed short, to fit a screen; `--show` picks sections and
    /// prints them in full. Exit status: 0, or 1 when a `--fail-on` gate fails, 2 on bad input.
    #[command(after_help = "Examples:\n  kvsim run scenarios/stale-read.json\n  \
kvsim run scenarios/causal-chain.json --model eventual\n  \
kvsim run scenarios/largest.json --model causal --show committed\n  \
kvsim run scenarios/partition.json --show all\n  \
kvsim run scenarios/reordering.json --fail-on own      # exit 1: a model broke its own guarantee\n  \
kvsim run scenarios/largest.json --seed 42 --json > run.json\n  \
kvsim run scenarios/stale-read.json --model sequential --history-format edn > history.edn")]
    Run(RunArgs),
    /// Run the built-in teaching scenario under all four models, side by side.
    #[command(after_help = "Example:\n  kvsim demo")]
    Demo,
    /// Judge a recorded history against consistency models, without simulating.
    ///
    /// HISTORY is the JSON that `kvsim run --json` prints (every run in it is checked, convergence
    /// included), or JSON lines with one operation each:
    ///   {"client": 0, "op": "put", "key": "x", "value": "1", "invoked_at": 0, "returned_at": 12}
    /// (`returned_at` null or absent: never returned; for a get, `value` is what was read) — or a
    /// history recorded by Jepsen (EDN or its text log), Maelstrom or Porcupine: the format is told
    /// from the file's first lines, or named with --format.
    ///
    /// Exit status: 0 when every requested property holds, 1 when one is broken, 3 when none is
    /// broken but some could not be decided, 2 on bad input.
    #[command(
        after_help = "Examples:\n  kvsim check history.jsonl --model linearizable\n  \
kvsim run scenarios/stale-read.json --json > run.json && kvsim check run.json\n  \
kvsim check store/latest/history.edn        # a Jepsen or Maelstrom history (told from its first lines)\n  \
kvsim check etcd.log --format jepsen-log    # Jepsen's text log\n  \
kvsim check kv.txt --empty value            # a Porcupine kv log, \"\" read as an ordinary value"
    )]
    Check(CheckArgs),
    /// Run a scenario under many seeds, judge every run, and summarise.
    ///
    /// For each model: how many runs broke each property, the first seeds that show each named
    /// anomaly (replay one with `kvsim run SCENARIO --seed N --model M`), and the spread of messages
    /// and latencies. Runs in parallel; the output is the same whatever `--jobs` is.
    ///
    /// Exit status: 0, or 1 when a `--fail-on` gate fails, 2 on bad input, 4 when an output could not
    /// be written, 5 when `--check-determinism` finds a run that differs when run again.
    #[command(
        after_help = "Examples:\n  kvsim sweep scenarios/causal-chain.json --seeds 0..1000\n  \
kvsim sweep scenarios/largest.json --seeds 0..1000 --fail-on own   # for CI: exit 1 if a model breaks its guarantee\n  \
kvsim sweep scenarios/largest.json --seeds 0..10000 --shard 0/2 --json > a.json\n  \
kvsim sweep scenarios/largest.json --seeds 0..10000 --shard 1/2 --json > b.json\n  \
kvsim sweep --merge a.json b.json\n  \
JOB_COMPLETION_INDEX=3 KVSIM_SHARDS=8 kvsim sweep scenarios/largest.json --seeds 0..80000 --shard auto --shard-dir results\n  \
kvsim sweep --merge results          # every shard-K.json in results/, each shard once\n  \
kvsim sweep scenarios/loss-duplication.json --seeds 0..1000 --check-determinism"
    )]
    Sweep(SweepArgs),
    /// Search seeds for a run that shows an anomaly, shrink it, and write it as a scenario.
    ///
    /// Runs the scenario under one model at each seed in turn (in parallel, as `sweep` does) until a
    /// run breaks --property or shows --anomaly, then shrinks that run: its workload written out as
    /// scripted clients, every message delay pinned (`network.schedule`), then clients, operations,
    /// replicas, faults and pins dropped and sleeps shortened while the anomaly stays. The result
    /// shows the anomaly by itself under `kvsim run FILE --model M`, and is 1-minimal: without any one
    /// of its clients, operations, replicas or faults, it does not.
    ///
    /// Exit status: 0 when found, 1 when no seed in the range showed it, 2 on bad input, 3 when the
    /// found run could not be shrunk (a bug: please report it), 4 when --out could not be written.
    #[command(after_help = "Examples:\n  \
kvsim hunt scenarios/largest.json --model sequential --anomaly \"stale read\" > stale.json\n  \
kvsim hunt scenarios/largest.json --model eventual --anomaly \"causal reversal\" --out reversal.json\n  \
kvsim hunt scenarios/partition-never-heals.json --model eventual --property own")]
    Hunt(cli::hunt::HuntArgs),
    /// Run one replica as a TCP server, driving the same replica code in real time.
    ///
    /// It serves clients and its peers until Ctrl-C, SIGTERM or a shutdown request (`kvsim client
    /// --shutdown`), then prints its committed order and store. Exit status: 0, 2 on bad input, 6 if
    /// it cannot listen.
    #[command(
        after_help = "Example (three terminals, then a fourth for clients):\n  \
kvsim replica --model sequential --id 0 --peers 127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002\n  \
kvsim replica --model sequential --id 1 --peers 127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002\n  \
kvsim replica --model sequential --id 2 --peers 127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002"
    )]
    Replica(ReplicaArgs),
    /// Run one client's operations against real replicas, and print its history (JSON lines).
    ///
    /// Exit status: 0, 2 on bad input, 6 if a replica cannot be reached or drops the connection.
    #[command(after_help = "Examples:\n  \
kvsim client --connect 127.0.0.1:7000 --op 'put x 1' --op 'get x'\n  \
kvsim client --connect 127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002 --scenario scenarios/stale-read.json --client 1\n  \
kvsim client --connect 127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002 --shutdown")]
    Client(ClientArgs),
    /// Run a scenario for real: replicas as processes on loopback, clients in real time.
    ///
    /// Judged by the same checkers, beside the simulated run of the same scenario. Prints what `kvsim run` prints, then where the real run differed from the simulated one.
    /// Real runs are not deterministic. Exit status: 0, 1 when a `--fail-on` gate fails, 2 on bad
    /// input, 6 when the real run fails (a replica could not start or exited, a time limit), 130
    /// on Ctrl-C or SIGTERM. No replica outlives it.
    #[command(after_help = "Examples:\n  \
kvsim cluster scenarios/stale-read.json --model sequential     # the stale read, for real\n  \
kvsim cluster scenarios/largest.json --model linearizable --fail-on own\n  \
kvsim cluster scenarios/causal-chain.json --no-delays")]
    Cluster(ClusterArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ModelChoice {
    Linearizable,
    Sequential,
    Causal,
    Eventual,
    All,
}

impl ModelChoice {
    fn models(self) -> Vec<Model> {
        match self {
            ModelChoice::Linearizable => vec![Model::Linearizable],
            ModelChoice::Sequential => vec![Model::Sequential],
            ModelChoice::Causal => vec![Model::Causal],
            ModelChoice::Eventual => vec![Model::Eventual],
            ModelChoice::All => Model::ALL.to_vec(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    kvsim::check::budget::set_factor(cli.budget);
    match cli.command.unwrap_or(Command::Demo) {
        Command::Demo => demo(),
        Command::Run(args) => run(&args),
        Command::Check(args) => check(&args),
        Command::Sweep(args) => sweep(&args),
        Command::Hunt(args) => cli::hunt::hunt(&args),
        Command::Replica(args) => replica(&args),
        Command::Client(args) => client(&args),
        Command::Cluster(args) => cluster(&args),
    }
}

fn demo() -> ExitCode {
    let config = match Scenario::parse(DEMO_SCENARIO).and_then(|s| s.validate("causal-chain")) {
        Ok(config) => config,
        Err(err) => return fail(Path::new("scenarios/causal-chain.json (built in)"), &err),
    };
    let runs = run_models(&config, &Model::ALL);
    let verdicts: Vec<Verdicts> = runs.iter().map(check_run).collect();
    let mut text = String::from(
        "kvsim demo: one scenario, four consistency models, the same seed.\n\
         Each column is the same script under a different replica protocol.\n\n",
    );
    text.push_str(&render(&config, &runs, &verdicts, &Show::default()));
    text.push_str(
        "\nThe same as: kvsim run scenarios/causal-chain.json (add --show all for everything, or\n\
         --model causal --trace to watch replica 2 hold y back until x arrives).\n\
         Other scenarios are in scenarios/; `kvsim run --help` lists the options.\n",
    );
    emit(&text)
}

pub(crate) fn run_models(config: &Config, models: &[Model]) -> Vec<Run> {
    models
        .iter()
        .map(|&model| simulate(config, model))
        .collect()
}

fn fail(path: &Path, err: &dyn std::fmt::Display) -> ExitCode {
    // The path and the message may both echo user text: one line, whatever they hold.
    let path = path.display().to_string();
    eprintln!(
        "kvsim: {}: {}",
        kvsim::text::escape(&path),
        kvsim::text::escape(&err.to_string())
    );
    ExitCode::from(2)
}

/// Writes to stdout; a closed pipe (`kvsim run … | head`) is not an error.
fn emit(text: &str) -> ExitCode {
    emit_with(|out| out.write_all(text.as_bytes()))
}

/// Lets `write` write to a buffered stdout; a closed pipe is not an error.
pub(crate) fn emit_with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> ExitCode {
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    match write(&mut stdout).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kvsim: cannot write the output: {err}");
            ExitCode::from(4)
        }
    }
}

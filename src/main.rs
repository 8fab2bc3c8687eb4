//! The `kvsim` command line: parses arguments, calls the library, prints, and picks the exit status.
//!
//! Exit status: 0 on success, 2 on bad input (a scenario that cannot be read or is invalid, or bad
//! arguments — clap uses 2 for those too).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use kvsim::check::{check_run, Verdicts};
use kvsim::protocol::Model;
use kvsim::report::{render_matrix, render_runs, render_side_by_side, Report};
use kvsim::run::Run;
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::simulate;

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
kvsim run scenarios/stale-read.json     # every model, full traces\n  \
kvsim run scenarios/stale-read.json --model sequential --seed 3 --json"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario file under one model or all four, and print what happened.
    #[command(after_help = "Examples:\n  kvsim run scenarios/stale-read.json\n  \
kvsim run scenarios/causal-chain.json --model eventual\n  \
kvsim run scenarios/largest.json --seed 42 --json > run.json")]
    Run(RunArgs),
    /// Run the built-in teaching scenario under all four models, side by side.
    #[command(after_help = "Example:\n  kvsim demo")]
    Demo,
}

#[derive(clap::Args)]
struct RunArgs {
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
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModelChoice {
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
    match cli.command.unwrap_or(Command::Demo) {
        Command::Demo => demo(),
        Command::Run(args) => run(&args),
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
    text.push_str(&render_side_by_side(&config, &runs));
    text.push('\n');
    text.push_str(&render_matrix(&runs, &verdicts));
    text.push_str(
        "\nFull traces (committed order at every replica, history, stats):\n  \
         kvsim run scenarios/causal-chain.json\n\
         Other scenarios are in scenarios/; `kvsim run --help` lists the options.\n",
    );
    emit(&text)
}

fn run(args: &RunArgs) -> ExitCode {
    let mut config = match Scenario::load(&args.scenario) {
        Ok(config) => config,
        Err(err) => return fail(&args.scenario, &err),
    };
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    let runs = run_models(&config, &args.model.models());
    let verdicts: Vec<Verdicts> = runs.iter().map(check_run).collect();
    let text = if args.json {
        let mut json = Report::new(&config, &runs, &verdicts).to_json();
        json.push('\n');
        json
    } else {
        let mut text = render_runs(&config, &runs, &verdicts);
        if runs.len() > 1 {
            text.push('\n');
            text.push_str(&render_side_by_side(&config, &runs));
        }
        text.push('\n');
        text.push_str(&render_matrix(&runs, &verdicts));
        text
    };
    emit(&text)
}

fn run_models(config: &Config, models: &[Model]) -> Vec<Run> {
    models
        .iter()
        .map(|&model| simulate(config, model))
        .collect()
}

fn fail(path: &Path, err: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("kvsim: {}: {err}", path.display());
    ExitCode::from(2)
}

/// Writes to stdout; a closed pipe (`kvsim run … | head`) is not an error.
fn emit(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kvsim: cannot write the output: {err}");
            ExitCode::FAILURE
        }
    }
}

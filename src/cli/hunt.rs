//! `kvsim hunt`: search seeds for a run that shows an anomaly, shrink it, and write the shrunk
//! scenario.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use kvsim::check::Property;
use kvsim::hunt::{self, Sizes, Target};
use kvsim::protocol::Model;
use kvsim::scenario::Config;
use kvsim::sim::simulate_noting_delays;
use kvsim::sweep::SeedRange;

use super::gate::{self, Gate};
use crate::{fail, MAX_JOBS};

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).multiple(true).args(["property", "anomaly"])))]
pub struct HuntArgs {
    /// The scenario file to search.
    scenario: PathBuf,
    /// The model to run.
    #[arg(long, value_enum)]
    model: SingleModel,
    /// Hunt for a run in which this property is broken. `own` is the model's own guarantee.
    #[arg(long, value_name = "PROPERTY", value_parser = gate::parser())]
    property: Option<Gate>,
    /// Hunt for a run showing this anomaly (as the checkers name it: "stale read", "causal
    /// reversal", …; the detail in parentheses may be left out).
    #[arg(long, value_name = "NAME")]
    anomaly: Option<String>,
    /// The seeds to search, in order: A..B (B excluded) or A..=B. The search stops at the first seed
    /// that shows the target.
    #[arg(long, default_value = "0..100000")]
    seeds: SeedRange,
    /// Worker threads for the search (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Write the shrunk scenario to FILE instead of standard output (the report then goes to
    /// standard output).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// One model: a hunt runs one.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SingleModel {
    Linearizable,
    Sequential,
    Causal,
    Eventual,
}

impl SingleModel {
    fn model(self) -> Model {
        match self {
            SingleModel::Linearizable => Model::Linearizable,
            SingleModel::Sequential => Model::Sequential,
            SingleModel::Causal => Model::Causal,
            SingleModel::Eventual => Model::Eventual,
        }
    }
}

pub fn hunt(args: &HuntArgs) -> ExitCode {
    let model = args.model.model();
    let property: Option<Property> = args.property.map(|gate| gate.property(model));
    let target = match Target::new(property, args.anomaly.as_deref()) {
        Ok(target) => target,
        Err(err) => {
            eprintln!("kvsim: {}", kvsim::text::escape(&err));
            return ExitCode::from(2);
        }
    };
    let path = &args.scenario;
    let (raw, mut config) = match super::shrink::load(path) {
        Ok(loaded) => loaded,
        Err(err) => return fail(path, &err),
    };
    if let Some(out) = &args.out {
        // Known now, before a long search, rather than after it.
        if let Err(err) = writable(out) {
            eprintln!(
                "kvsim: {}: {err}",
                kvsim::text::escape(&out.display().to_string())
            );
            return ExitCode::from(4);
        }
    }
    let name = kvsim::text::escape(&config.name);
    let jobs = args
        .jobs
        .map_or_else(
            || std::thread::available_parallelism().map_or(1, |n| n.get()),
            usize::from,
        )
        .min(MAX_JOBS);
    let started = Instant::now();
    let found = match hunt::search(&config, model, &target, args.seeds, jobs) {
        Ok(Ok(found)) => found,
        Ok(Err(runs)) => {
            eprintln!(
                "kvsim: no run of {name} under {model} showed {} (seeds {}, {runs} runs)",
                target.describe(),
                args.seeds
            );
            return ExitCode::from(1);
        }
        Err(err) => {
            eprintln!("kvsim: {err}");
            return ExitCode::from(2);
        }
    };
    let searched = started.elapsed();
    config.seed = found.seed;
    let started = Instant::now();
    // The very anomaly the found run showed, so that the shrunk scenario shows it too.
    let target = target.narrowed_to(&found.shown);
    let shrunk = match hunt::shrink(&raw, &config, model, &target) {
        Ok(shrunk) => shrunk,
        Err(err) => {
            eprintln!(
                "kvsim: {}: please report this",
                kvsim::text::escape(&err.to_string())
            );
            return ExitCode::from(3);
        }
    };
    let shrinking = started.elapsed();
    let before = sizes(&config, model);
    let Ok(shrunk_config) = shrunk.scenario.clone().validate(&config.name) else {
        eprintln!("kvsim: the shrunk scenario does not validate: please report this");
        return ExitCode::from(3);
    };
    let after = sizes(&shrunk_config, model);
    let json = hunt::to_json(&shrunk.scenario);
    let replay = match &args.out {
        Some(out) => out.display().to_string(),
        None => "FILE".to_string(),
    };
    let report = format!(
        "found {}, breaking {}, in {name} under {model} at seed {} ({} {} run, {:.1} s)\n\
         shrank it in {:.1} s ({} candidates run and checked):\n{}\
         replay it: kvsim run {} --model {model}\n",
        found.shown.anomaly,
        found.shown.property.name(),
        found.seed,
        found.runs,
        if found.runs == 1 { "seed" } else { "seeds" },
        searched.as_secs_f64(),
        shrinking.as_secs_f64(),
        shrunk.candidates,
        table(&before, &after),
        kvsim::text::escape(&replay),
    );
    match &args.out {
        Some(out) => {
            if let Err(err) = std::fs::write(out, &json) {
                // The work is not lost: the scenario goes to standard output instead.
                print!("{json}");
                eprintln!(
                    "kvsim: {}: cannot write the shrunk scenario ({err}); it is on standard output",
                    kvsim::text::escape(&out.display().to_string())
                );
                return ExitCode::from(4);
            }
            print!("{report}");
        }
        None => {
            eprint!("{report}");
            print!("{json}");
        }
    }
    ExitCode::SUCCESS
}

fn sizes(config: &Config, model: Model) -> Sizes {
    let (run, used) = simulate_noting_delays(config, model);
    Sizes::of(config, &run, &used)
}

/// Before and after, aligned.
fn table(before: &Sizes, after: &Sizes) -> String {
    let rows = [
        ("clients", before.clients as u64, after.clients as u64),
        ("operations", before.operations, after.operations),
        (
            "replicas",
            u64::from(before.replicas),
            u64::from(after.replicas),
        ),
        ("faults", before.faults as u64, after.faults as u64),
        (
            "random choices",
            before.random_choices,
            after.random_choices,
        ),
    ];
    let mut out = format!("  {:<16}{:>8}{:>8}\n", "", "before", "after");
    for (name, before, after) in rows {
        out.push_str(&format!("  {name:<16}{before:>8}{after:>8}\n"));
    }
    out
}

/// Whether `out` can be written as a file: not a directory, in a directory that exists.
fn writable(out: &std::path::Path) -> Result<(), &'static str> {
    if out.is_dir() {
        return Err("is a directory; --out names the file to write the shrunk scenario to");
    }
    match out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
            Err("its folder does not exist")
        }
        _ => Ok(()),
    }
}

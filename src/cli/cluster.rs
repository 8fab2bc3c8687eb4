//! `kvsim cluster`: a scenario for real — replicas as child processes, clients in real time — with
//! the report of `kvsim run`, then where the real run differed from the simulated one.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use kvsim::check::{check_run, Verdicts};
use kvsim::net::cluster::{run_cluster, ClusterOptions, RealRun};
use kvsim::net::compare::Comparison;
use kvsim::net::NetError;
use kvsim::report::{render, write_results, Show};
use kvsim::run::Run;
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::simulate;

use super::gate::{self, Gate};
use super::net::net_failed;
use super::run::ShowChoice;
use crate::{emit, fail, ModelChoice};

#[derive(clap::Args)]
pub struct ClusterArgs {
    /// The scenario file.
    scenario: PathBuf,
    /// Which model's replicas to run (`all`: each in turn).
    #[arg(long, value_enum, default_value_t = ModelChoice::All)]
    model: ModelChoice,
    /// Send at once: do not apply the scenario's network delays.
    #[arg(long)]
    no_delays: bool,
    /// The address the replicas listen on. Loopback by default; another is your explicit choice.
    #[arg(long, value_name = "IP", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// Give up if the clients have not finished after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    deadline: u64,
    /// Exit 1 if PROPERTY is broken in the real run (repeatable); `own`: each model's own guarantee.
    #[arg(long, value_name = "PROPERTY", value_parser = gate::parser())]
    fail_on: Vec<Gate>,
    /// Also write a results folder, as `kvsim run --out` does (without protocol events).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print only these sections, in full, as `kvsim run --show` does: summary, history,
    /// committed, stores, verdicts, or all (a real run records no protocol events, so no trace).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "SECTION")]
    show: Vec<ShowChoice>,
}

/// The last line of the short report: how to see what it left out (`kvsim run`'s also offers a
/// trace, which a real run does not record).
const SEE_EVERYTHING: &str = "(--show all for the full history, committed orders and stores)\n";

/// Runs a scenario for real, under each model asked for, and prints the report of `kvsim run` with
/// what differed from the simulation.
pub fn cluster(args: &ClusterArgs) -> ExitCode {
    if args.show.contains(&ShowChoice::Trace) {
        eprintln!("kvsim: --show trace: a real run records no protocol events; `kvsim run --trace` shows the simulated run's");
        return ExitCode::from(2);
    }
    let config = match Scenario::load(&args.scenario) {
        Ok(config) => config,
        Err(err) => return fail(&args.scenario, &err),
    };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(err) => return net_failed(&NetError::Io(err)),
    };
    let mut real_runs = Vec::new();
    for model in args.model.models() {
        let options = ClusterOptions {
            exe: exe.clone(),
            scenario: args.scenario.clone(),
            model,
            delays: !args.no_delays,
            host: args.host,
            deadline: Duration::from_secs(args.deadline),
        };
        match run_cluster(&config, &options) {
            Ok(real) => real_runs.push(real),
            Err(err) => return net_failed(&err),
        }
    }
    let runs: Vec<Run> = real_runs.iter().map(|real| real.run.clone()).collect();
    let verdicts: Vec<Verdicts> = runs.iter().map(check_run).collect();
    if let Some(dir) = &args.out {
        // The folder is read apart from this output: its description says it is of a real run,
        // which its seed does not reproduce.
        let mut described = config.clone();
        described.description = format!(
            "A REAL RUN (kvsim cluster): replicas as processes over TCP, clients in real time. It is \
             not deterministic: its seed ({}) gives the simulated run, not this one. {}",
            config.seed, config.description
        );
        if let Err(err) = write_results(dir, &described, &runs, &verdicts) {
            eprintln!("kvsim: {}", kvsim::text::escape(&err.to_string()));
            return ExitCode::from(if err.is_refusal() { 2 } else { 4 });
        }
    }
    let mut text = real_header(&config, &real_runs, !args.no_delays);
    let show = if args.show.is_empty() {
        Show::default()
    } else {
        Show::only(args.show.iter().flat_map(|choice| choice.sections()))
    };
    let report = render(&config, &runs, &verdicts, &show);
    match report.strip_suffix(kvsim::report::SEE_EVERYTHING) {
        Some(report) => {
            text.push_str(report);
            text.push_str(SEE_EVERYTHING);
        }
        None => text.push_str(&report),
    }
    for (real, verdicts) in real_runs.iter().zip(&verdicts) {
        let simulated = simulate(&config, real.run.model);
        let simulated_verdicts = check_run(&simulated);
        let comparison = Comparison::new((&real.run, verdicts), (&simulated, &simulated_verdicts));
        text.push_str(&format!(
            "\n== {}: the real run beside the simulated run (seed {}) ==\n",
            real.run.model, config.seed
        ));
        text.push_str(&comparison.render());
    }
    let status = emit(&text);
    match gate::judge_runs(&args.fail_on, &runs, &verdicts) {
        Some(failed) if status == ExitCode::SUCCESS => {
            eprintln!("{failed}");
            ExitCode::from(1)
        }
        _ => status,
    }
}

/// What is true of a real run and not of a simulated one: where it ran, on which clock, and that
/// running it again may give another history.
fn real_header(config: &Config, runs: &[RealRun], delays: bool) -> String {
    let mut text = String::from(
        "A REAL RUN: replicas as processes over TCP, clients in real time. Real runs are not\n\
         deterministic — scheduling decides the interleaving, so running it again may give another\n\
         history. Times are real ms on one clock shared by the clients and replicas.\n",
    );
    let delays = if delays {
        format!(
            "the scenario's network delays applied for real (links seeded from {})",
            config.seed
        )
    } else {
        "no injected delays (--no-delays)".to_string()
    };
    text.push_str(&format!("  network: {delays}\n"));
    if config.network.drop > 0.0 || config.network.duplicate > 0.0 {
        text.push_str("  not applied for real: the scenario's random losses and duplicates\n");
    }
    if config.has_faults() {
        text.push_str(
            "  faults applied for real: a partition cuts links; a crash stops the replica's process, which saves its state, and a restart starts it again from that state\n",
        );
    }
    for real in runs {
        let addrs: Vec<String> = real.addrs.iter().map(SocketAddr::to_string).collect();
        text.push_str(&format!(
            "  {}: replicas at {}; clock origin {} ms after the Unix epoch; clients started at {} ms\n",
            real.run.model,
            addrs.join(", "),
            real.origin,
            real.ready_at
        ));
    }
    text.push('\n');
    text
}

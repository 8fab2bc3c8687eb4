//! A whole scenario for real (`kvsim cluster`): its replicas as child processes on free loopback
//! ports, its clients (scripted and generated) as tasks against them in real time, and the result as
//! the same [`Run`] the simulator produces, for the same report and checkers.
//!
//! ```text
//!   pick ports ─► spawn replicas ─► wait until each answers ─► clients run ─► wait until quiet
//!   (127.0.0.1)   (children.rs)      (a control connection      (client.rs)    (no message left
//!                                     to each)                                   unacknowledged)
//!              ─► shutdown each, collect reports ─► Run: history, committed orders, stores, stats
//! ```
//!
//! Times are real milliseconds on one clock: the cluster passes its origin to every replica, so commit
//! times and history times compare. Clients start when every replica answers (at `ready_at`), each at
//! its scenario `start` after that.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::Duration;

use super::children::Children;
use super::client::{run_client, ClientRecord};
use super::faults::FaultPlan;
use super::replicas::{Launch, Replicas};
use super::signals::Signals;
use super::{unix_ms, Clock, NetError, ReplicaReport};
use crate::client::Client;
use crate::history::History;
use crate::ids::Time;
use crate::op::OpKind;
use crate::protocol::Model;
use crate::run::{Counters, ReplicaRun, Run, Stats, Stop};
use crate::scenario::Config;

/// How long replicas may take to exit after they were asked to.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// How to run a cluster.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// The `kvsim` binary to start replicas with.
    pub exe: PathBuf,
    /// The scenario file, which the replicas read for their channels and network delays.
    pub scenario: PathBuf,
    pub model: Model,
    /// Whether to apply the scenario's network delays (`--no-delays`: send at once).
    pub delays: bool,
    /// The address the replicas listen on (loopback unless the user says otherwise).
    pub host: IpAddr,
    /// How long the clients may take, in all, before the cluster gives up.
    pub deadline: Duration,
}

/// A real run and what is known only of a real run.
#[derive(Clone, Debug)]
pub struct RealRun {
    pub run: Run,
    /// Where each replica listened.
    pub addrs: Vec<SocketAddr>,
    /// The clock's origin, in ms since the Unix epoch.
    pub origin: u64,
    /// When every replica answered and the clients started, on the run's clock.
    pub ready_at: Time,
    /// How long the clients took, from their start to the last one's last answer.
    pub clients_took: Duration,
    /// The kind and latency of every operation answered in time, in microseconds, in no particular
    /// order.
    pub latencies_us: Vec<(OpKind, u64)>,
}

/// Runs the scenario for real under one model, and stops every replica it started, whatever happens.
/// Ctrl-C and SIGTERM stop it with [`NetError::Interrupted`].
pub fn run_cluster(config: &Config, options: &ClusterOptions) -> Result<RealRun, NetError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut children = Children::default();
    let origin = unix_ms();
    let state_dir = std::env::temp_dir().join(format!(
        "kvsim-cluster-{}-{origin}-{}",
        std::process::id(),
        options.model
    ));
    // The runtime runs on this (the main) thread, which spawns the children and lives as long as
    // they should (see children.rs on PR_SET_PDEATHSIG).
    let result = runtime.block_on(async {
        // Registered before any replica is spawned: a signal from here on stops the run cleanly.
        let mut signals = Signals::register();
        tokio::select! {
            biased;
            signal = signals.recv() => Err(NetError::Interrupted(signal)),
            result = cluster(config, options, &mut children, origin, &state_dir) => result,
        }
    });
    match &result {
        Ok(_) => children.wait_or_kill(EXIT_GRACE),
        Err(_) => children.kill_all(),
    }
    // Saved states are only for restarts within the run.
    let _ = std::fs::remove_dir_all(&state_dir);
    result
}

async fn cluster(
    config: &Config,
    options: &ClusterOptions,
    children: &mut Children,
    origin: u64,
    state_dir: &std::path::Path,
) -> Result<RealRun, NetError> {
    let clock = Clock::reading(0);
    let addrs = free_addrs(options.host, config.replicas)?;
    let launch = Launch {
        exe: options.exe.clone(),
        model: options.model,
        scenario: options.scenario.clone(),
        seed: config.seed,
        delays: options.delays,
        origin,
        state_dir: state_dir.to_path_buf(),
    };
    let mut replicas = Replicas::start(children, launch, addrs.clone()).await?;
    let ready_at = clock.now();
    let started = std::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (client, start) in clients_of(config, ready_at) {
        let addrs = addrs.clone();
        tasks.spawn(async move { run_client(client, start, &addrs, clock).await });
    }
    let mut plan = FaultPlan::new(config);
    let mut records: Vec<ClientRecord> = Vec::new();
    let mut clients_took = Duration::ZERO;
    let deadline = tokio::time::Instant::now() + options.deadline;
    let mut watch = tokio::time::interval(Duration::from_millis(100));
    while !tasks.is_empty() || plan.next_at().is_some() {
        let next_fault = plan.next_at().map(|at| clock.instant(ready_at + at));
        tokio::select! {
            done = tasks.join_next(), if !tasks.is_empty() => match done {
                Some(Ok(record)) => {
                    records.push(record?);
                    clients_took = started.elapsed();
                }
                Some(Err(panicked)) => std::panic::resume_unwind(panicked.into_panic()),
                None => {}
            },
            () = tokio::time::sleep_until(next_fault.unwrap_or(deadline)), if next_fault.is_some() => {
                if let Some(fault) = plan.advance(clock.now()) {
                    replicas.follow(&fault, &plan).await?;
                }
            }
            _ = watch.tick() => replicas.check()?,
            () = tokio::time::sleep_until(deadline) => {
                return Err(NetError::TimedOut {
                    what: "the clients' work and the scenario's faults".into(),
                    ms: options.deadline.as_millis() as u64,
                });
            }
        }
    }
    let latencies_us = records
        .iter()
        .flat_map(|record| record.latencies_us.iter().copied())
        .collect();
    // Across a cut that never heals, or to a replica that stays down, messages stay unacknowledged
    // for ever: there is nothing to wait for.
    if plan.healed() {
        replicas.wait_until_quiet().await?;
    }
    let reports = replicas.shutdown().await?;
    let run = assemble(options.model, records, reports, plan, clock.now());
    Ok(RealRun {
        run,
        addrs,
        origin,
        ready_at,
        clients_took,
        latencies_us,
    })
}

/// `count` addresses on `host` whose ports were free a moment ago: each is bound to port 0 (the
/// kernel picks) and let go. Another process could take one in between; then that replica fails to
/// listen, and the cluster says so.
fn free_addrs(host: IpAddr, count: usize) -> Result<Vec<SocketAddr>, NetError> {
    let mut listeners = Vec::new();
    for _ in 0..count {
        let addr = SocketAddr::new(host, 0);
        let listener =
            TcpListener::bind(addr).map_err(|source| NetError::Listen { addr, source })?;
        listeners.push(listener);
    }
    let mut addrs = Vec::new();
    for listener in listeners {
        addrs.push(listener.local_addr()?);
    }
    Ok(addrs)
}

/// The scenario's clients, scripted then generated, as the simulator builds them, each with its
/// start time on the cluster's clock.
pub fn clients_of(config: &Config, ready_at: Time) -> Vec<(Client, Time)> {
    crate::sim::clients(config)
        .into_iter()
        .map(|(client, start)| (client, ready_at + start))
        .collect()
}

/// The run the report and checkers take: the clients' operations in the order they were invoked, and
/// each replica's report.
fn assemble(
    model: Model,
    records: Vec<ClientRecord>,
    reports: Vec<ReplicaReport>,
    faults: FaultPlan,
    now: Time,
) -> Run {
    let mut counters = Counters::default();
    let mut history: History = Vec::new();
    for record in records {
        counters.answered_late += record.answered_late;
        history.extend(record.history);
    }
    history.sort_by_key(|op| (op.invoked_at, op.client));
    let mut replicas = Vec::new();
    for report in reports {
        counters.messages += report.messages;
        counters.acks += report.acks;
        counters.retransmitted += report.retransmitted;
        counters.dropped += report.dropped;
        replicas.push(ReplicaRun {
            id: report.id,
            up: faults.is_up(report.id),
            committed: report.committed,
            store: report.store,
            unacknowledged: report.unacknowledged as usize,
        });
    }
    let finished = replicas.iter().all(|r| r.unacknowledged == 0);
    let stopped = if finished { Stop::Idle } else { Stop::Stalled };
    let stats = Stats::new(&history, counters, now, stopped);
    Run {
        model,
        replicas,
        history,
        faults: faults.into_applied(),
        stats,
        events: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientAction;
    use crate::ids::ClientId;
    use crate::op::Reply;
    use crate::scenario::Scenario;
    use crate::sim::simulate;

    #[test]
    fn generated_clients_ask_what_the_simulated_ones_ask() {
        let config = Scenario::parse(
            r#"{"seed": 11, "replicas": 3, "clients": [{"replica": 1, "ops": [{"get": "x"}]}],
                "workload": {"clients": 4, "ops": 5, "keys": 3, "reads": 0.5, "append": 0.2}}"#,
        )
        .and_then(|scenario| scenario.validate("workload"))
        .expect("a valid scenario");
        let mut asked = Vec::new();
        for (mut client, _) in clients_of(&config, 0) {
            client.handle_wake(0);
            while let Some(action) = client.poll_action() {
                let ClientAction::Invoke { request, .. } = action else {
                    client.handle_wake(0);
                    continue;
                };
                asked.push((request.id.client, request.op.to_string()));
                let reply = Reply {
                    id: request.id,
                    value: None,
                    ok: true,
                };
                client.handle_reply(0, &reply);
            }
        }
        let simulated = simulate(&config, Model::Eventual);
        let mut expected: Vec<(ClientId, String)> = simulated
            .history
            .iter()
            .map(|op| (op.client, op.asked()))
            .collect();
        expected.sort_by_key(|(client, _)| *client);
        assert_eq!(asked, expected);
    }
}

//! `kvsim replica`: one replica as a TCP server (`kvsim::net::replica_server`), until Ctrl-C,
//! SIGTERM or a shutdown request; then its committed order and store.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use kvsim::ids::ReplicaId;
use kvsim::net::replica_server::{serve_blocking, ServerOptions};
use kvsim::net::Clock;
use kvsim::protocol::channel::ChannelConfig;
use kvsim::scenario::Scenario;
use kvsim::sim::network::Network;

use super::net::{net_failed, report_text, usage, OneModel};
use crate::{emit, fail};

#[derive(clap::Args)]
pub struct ReplicaArgs {
    /// The replica protocol to run.
    #[arg(long, value_enum)]
    model: OneModel,
    /// This replica's id: its position in --peers, from 0.
    #[arg(long)]
    id: u32,
    /// Every replica's address, in id order, separated by commas: the same list for every replica.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "ADDR,ADDR,…",
        required = true
    )]
    peers: Vec<SocketAddr>,
    /// Where to listen (default: this replica's entry in --peers).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Take the channels' settings and the network delays to apply from this scenario.
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// The seed of the delays' random streams (default: the scenario's).
    #[arg(long, requires = "scenario")]
    seed: Option<u64>,
    /// Send at once: do not apply the scenario's network delays.
    #[arg(long)]
    no_delays: bool,
    /// Count time from this instant, in ms since the Unix epoch, rather than from the start: how
    /// `kvsim cluster` puts its replicas on its clock.
    #[arg(long, hide = true)]
    clock_origin: Option<u64>,
    /// Where to save the replica's state when it is told to crash (`kvsim cluster` does, for the
    /// scenario's crashes), so that it can be restarted from it with --restore.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Start from the state saved in --state rather than afresh: a restart after a crash.
    #[arg(long, requires = "state")]
    restore: bool,
    /// Also write the final report (committed order, store, counts) to FILE, as JSON.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs one replica until Ctrl-C, SIGTERM or a shutdown request, then prints its committed order and
/// store.
pub fn replica(args: &ReplicaArgs) -> ExitCode {
    let replicas = args.peers.len();
    let id = ReplicaId(args.id);
    if id.index() >= replicas {
        let message = format!(
            "--id {} names no replica: --peers lists {replicas} (0 to {})",
            args.id,
            replicas - 1
        );
        return usage(&message);
    }
    let (channels, delays) = match &args.scenario {
        None => (ChannelConfig::default(), None),
        Some(path) => {
            let config = match Scenario::load(path) {
                Ok(config) => config,
                Err(err) => return fail(path, &err),
            };
            if config.replicas != replicas {
                let message = format!(
                    "the scenario has {} replicas, but --peers lists {replicas}",
                    config.replicas
                );
                return fail(path, &message);
            }
            let net = &config.network;
            let network = Network::new(replicas, net.delay, net.fifo, &net.links);
            let seed = args.seed.unwrap_or(config.seed);
            (
                config.channels,
                (!args.no_delays).then_some((network, seed)),
            )
        }
    };
    let options = ServerOptions {
        model: args.model.model(),
        id,
        listen: args.listen.unwrap_or(args.peers[id.index()]),
        peers: args.peers.clone(),
        channels,
        delays,
        state: args.state.clone(),
        restore: args.restore,
        clock: args
            .clock_origin
            .map_or_else(Clock::starting_now, Clock::from_unix_origin),
    };
    let report = match serve_blocking(options) {
        Ok(report) => report,
        Err(err) => return net_failed(&err),
    };
    if let Some(path) = &args.out {
        let json = serde_json::to_string_pretty(&report).expect("a report serializes") + "\n";
        if let Err(err) = std::fs::write(path, json) {
            eprintln!("kvsim: {}: {}", path.display(), err);
            return ExitCode::from(4);
        }
    }
    emit(&report_text(&report))
}

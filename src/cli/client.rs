//! `kvsim client`: one client's operations — from `--op` flags or a scenario's script — against
//! real replicas, and its history as JSON lines for `kvsim check`; or `--shutdown`, which stops them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use kvsim::client::{Client, Step};
use kvsim::history::Operation;
use kvsim::ids::{ClientId, ReplicaId, Time};
use kvsim::net::client::{run_client, ReplicaConnection};
use kvsim::net::{Clock, NetError};
use kvsim::op::Op;
use kvsim::scenario::Scenario;

use super::net::{net_failed, report_text, usage};
use crate::{emit, fail};

#[derive(clap::Args)]
pub struct ClientArgs {
    /// The replicas' addresses, in id order, separated by commas; an operation goes to the client's
    /// home replica (--home) unless its scenario step names another.
    #[arg(long, value_delimiter = ',', value_name = "ADDR,…", required = true)]
    connect: Vec<SocketAddr>,
    /// An operation, in order (repeat the flag): `put K V`, `get K`, `cas K EXPECTED NEW` (EXPECTED
    /// `null`: absent), `append K V`, `sleep MS`.
    #[arg(long = "op", value_name = "OP", conflicts_with = "scenario")]
    ops: Vec<String>,
    /// Run a scripted client of this scenario instead (with --client).
    #[arg(long, value_name = "FILE", requires = "client")]
    scenario: Option<PathBuf>,
    /// Which scripted client of --scenario to run, from 0.
    #[arg(long, value_name = "N", requires = "scenario")]
    client: Option<u32>,
    /// The client's id in the history (default: --client, or 0). Give each concurrent client its own.
    #[arg(long)]
    id: Option<u32>,
    /// The client's home replica, as an index into --connect (default: the scenario's, or 0).
    #[arg(long)]
    home: Option<u32>,
    /// Give up on an operation not answered within MS milliseconds (default: the scenario's, or wait
    /// for ever).
    #[arg(long, value_name = "MS")]
    timeout: Option<Time>,
    /// Ask every replica in --connect to stop, and print each one's report, instead of running
    /// operations.
    #[arg(long, conflicts_with_all = ["ops", "scenario"])]
    shutdown: bool,
    /// Write the history (JSON lines, for `kvsim check`) to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs one client's operations against real replicas and prints (or writes) its history.
pub fn client(args: &ClientArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return net_failed(&NetError::Io(err)),
    };
    if args.shutdown {
        // Every replica that can be stopped is, and its report printed, even when another cannot.
        let mut text = String::new();
        let mut failed = None;
        for (i, &addr) in args.connect.iter().enumerate() {
            let replica = ReplicaId(i as u32);
            let report = runtime.block_on(async {
                ReplicaConnection::open(replica, addr)
                    .await?
                    .shutdown()
                    .await
            });
            match report {
                Ok(report) => text.push_str(&report_text(&report)),
                Err(err) => failed = failed.or(Some(err)),
            }
        }
        let status = emit(&text);
        return match failed {
            Some(err) => net_failed(&err),
            None => status,
        };
    }
    let (client, start) = match client_of(args) {
        Ok(client) => client,
        Err(code) => return code,
    };
    let clock = Clock::starting_now();
    let record = runtime.block_on(run_client(client, start, &args.connect, clock));
    let record = match record {
        Ok(record) => record,
        Err(err) => return net_failed(&err),
    };
    let text = history_lines(&record.history);
    match &args.out {
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("kvsim: {}: {}", path.display(), err);
                ExitCode::from(4)
            }
        },
        None => emit(&text),
    }
}

fn history_lines(history: &[Operation]) -> String {
    let mut text = String::new();
    for op in history {
        text.push_str(&serde_json::to_string(op).expect("operations serialize"));
        text.push('\n');
    }
    text
}

/// The client `kvsim client` runs and its start time, validated against --connect.
fn client_of(args: &ClientArgs) -> Result<(Client, Time), ExitCode> {
    let (steps, home, start, timeout) = match (&args.scenario, args.client) {
        (Some(path), Some(n)) => {
            let config = Scenario::load(path).map_err(|err| fail(path, &err))?;
            let Some(spec) = config.clients.get(n as usize) else {
                let message = format!(
                    "--client {n}: the scenario has {} scripted clients",
                    config.clients.len()
                );
                return Err(fail(path, &message));
            };
            (spec.steps.clone(), spec.home, spec.start, config.timeout)
        }
        _ if args.ops.is_empty() => {
            return Err(usage(
                "nothing to do: give operations with --op, a scripted client with --scenario FILE --client N, or --shutdown",
            ));
        }
        _ => {
            let mut steps = Vec::new();
            for text in &args.ops {
                steps.push(parse_step(text).map_err(|message| usage(&message))?);
            }
            (steps, ReplicaId(0), 0, None)
        }
    };
    let home = args.home.map_or(home, ReplicaId);
    let replicas = args.connect.len();
    let named = steps.iter().filter_map(|step| match step {
        Step::Op { replica, .. } => Some(replica.unwrap_or(home)),
        Step::Sleep(_) => None,
    });
    for replica in named.chain([home]) {
        if replica.index() >= replicas {
            let message = format!(
                "the client sends to replica {replica}, but --connect lists {replicas} address(es)"
            );
            return Err(usage(&message));
        }
    }
    let id = ClientId(args.id.or(args.client).unwrap_or(0));
    Ok((
        Client::new(id, home, steps, args.timeout.or(timeout)),
        start,
    ))
}

/// One `--op`: `put K V`, `get K`, `cas K EXPECTED NEW`, `append K V` or `sleep MS`.
fn parse_step(text: &str) -> Result<Step, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let op = match words.as_slice() {
        ["put", key, value] => Op::Put { key: (*key).into(), value: (*value).into() },
        ["get", key] => Op::Get { key: (*key).into() },
        ["cas", key, expected, new] => Op::Cas {
            key: (*key).into(),
            expected: (*expected != "null").then(|| (*expected).into()),
            new: (*new).into(),
        },
        ["append", key, value] => Op::Append { key: (*key).into(), value: (*value).into() },
        ["sleep", ms] => {
            let ms = ms.parse().map_err(|_| format!("--op {text:?}: {ms:?} is not a number of ms"))?;
            return Ok(Step::Sleep(ms));
        }
        _ => {
            return Err(format!(
                "--op {text:?}: expected `put K V`, `get K`, `cas K EXPECTED NEW`, `append K V` or `sleep MS`"
            ))
        }
    };
    Ok(Step::Op { op, replica: None })
}

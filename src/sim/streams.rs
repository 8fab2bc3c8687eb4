//! The random streams of a run, and what a run starts with: its clients (the generated ones drawn
//! from the workload's stream) and its faults (the nemesis's drawn from its own).
//!
//! Every random choice comes from a [`ChaCha8Rng`] seeded from the scenario's seed, one stream per
//! purpose, so that turning one feature on does not shift the draws of the others.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::fault::TimedFault;
use crate::client::{Client, Step};
use crate::ids::{ClientId, ReplicaId, Time};
use crate::scenario::Config;

/// The random stream for the delays of first transmissions between replicas, and of client hops.
pub(super) const NETWORK_STREAM: u64 = 0;
/// The random stream for generated workloads.
const WORKLOAD_STREAM: u64 = 1;
/// The random stream for the delays of acknowledgements and retransmissions.
pub(super) const CONTROL_STREAM: u64 = 2;
/// The random stream for losses, duplicates and the duplicates' delays.
pub(super) const LOSS_STREAM: u64 = 3;
/// The random stream for the nemesis schedule.
const NEMESIS_STREAM: u64 = 4;

/// A ChaCha8 generator for one purpose: the seed picks the key, the stream number the purpose.
pub(super) fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Every fault of a run, scripted and drawn by the nemesis from `config.seed`, in time order; at the
/// same instant, scripted faults come first.
pub fn fault_schedule(config: &Config) -> Vec<TimedFault> {
    let mut faults = config.faults.clone();
    if let Some(nemesis) = &config.nemesis {
        let mut nemesis_rng = rng(config.seed, NEMESIS_STREAM);
        faults.extend(nemesis.schedule(config.replicas, &mut nemesis_rng));
        faults.sort_by_key(|f| f.at);
    }
    faults
}

/// Every client of a run, each with the time it starts: the scripted ones in file order, then those
/// the workload generates (which start at 0). The engine and the real transport both start these.
pub fn clients(config: &Config) -> Vec<(Client, Time)> {
    let mut clients = Vec::new();
    for (i, spec) in config.clients.iter().enumerate() {
        let id = ClientId(i as u32);
        let client = Client::new(id, spec.home, spec.steps.clone(), config.timeout);
        clients.push((client, spec.start));
    }
    for (id, home, steps) in generated_clients(config) {
        clients.push((Client::new(id, home, steps, config.timeout), 0));
    }
    clients
}

/// The clients `config.workload` generates from `config.seed`, numbered after the scripted ones: each
/// one's id, home replica and script.
pub fn generated_clients(config: &Config) -> Vec<(ClientId, ReplicaId, Vec<Step>)> {
    match &config.workload {
        None => Vec::new(),
        Some(workload) => {
            let mut workload_rng = rng(config.seed, WORKLOAD_STREAM);
            workload.generate(
                config.clients.len() as u32,
                config.replicas,
                &mut workload_rng,
            )
        }
    }
}

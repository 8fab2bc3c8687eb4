//! The nemesis: a random schedule of partitions and crashes, drawn from the seed, so that a sweep over
//! seeds explores many different faults.
//!
//! Partitions come one after another, never two at once, and so do crashes; a partition and a crash
//! may overlap. Each kind is a sequence of episodes:
//!
//! ```text
//!   start ──every──► partition ──lasting──► heal ──every──► partition ──lasting──► heal … until
//!   start ──every──► crash rX ───lasting──► restart rX ──every──► crash rY … until
//! ```
//!
//! `every` is the quiet time before each episode and `lasting` its length, both drawn from the
//! scenario's delay distributions (`{"exponential": 500}` for episodes at random, Poisson, times). A
//! partition splits the replicas into two sides at random; a crash stops one replica chosen at
//! random. No episode starts at or after `until`, and at `until` every link is healed and every
//! replica the nemesis crashed is restarted, so a run always ends with a whole network.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::fault::{Fault, Origin, TimedFault};
use super::network::Delay;
use crate::ids::{ReplicaId, Time};

/// The most faults one nemesis schedule holds; drawing stops there (a schedule that dense would make
/// a run about faults alone).
pub const MAX_NEMESIS_FAULTS: usize = 100_000;

/// How often one kind of fault happens and how long it lasts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Episodes {
    /// The quiet time before each episode.
    pub every: Delay,
    /// How long each episode lasts.
    pub lasting: Delay,
}

/// A validated `"nemesis"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Nemesis {
    pub start: Time,
    pub until: Time,
    pub partitions: Option<Episodes>,
    pub crashes: Option<Episodes>,
}

impl Nemesis {
    /// Draws the schedule for a cluster of `replicas`, in time order (partitions before crashes at the
    /// same instant). All partitions are drawn first, then all crashes, so changing one kind leaves the
    /// other's schedule as it was.
    pub fn schedule(&self, replicas: usize, rng: &mut ChaCha8Rng) -> Vec<TimedFault> {
        let mut faults = Vec::new();
        if let Some(episodes) = &self.partitions {
            // One replica cannot be split.
            if replicas > 1 {
                self.episodes(episodes, rng, &mut faults, |rng| {
                    (Fault::Partition(split(replicas, rng)), Fault::Heal)
                });
            }
        }
        if let Some(episodes) = &self.crashes {
            self.episodes(episodes, rng, &mut faults, |rng| {
                let replica = ReplicaId(rng.random_range(0..replicas as u32));
                (Fault::Crash(replica), Fault::Restart(replica))
            });
        }
        // Stable, so each kind keeps its own order and partitions come first at equal times.
        faults.sort_by_key(|f| f.at);
        faults
    }

    fn episodes(
        &self,
        episodes: &Episodes,
        rng: &mut ChaCha8Rng,
        faults: &mut Vec<TimedFault>,
        mut draw: impl FnMut(&mut ChaCha8Rng) -> (Fault, Fault),
    ) {
        let mut t = self.start;
        while faults.len() + 2 <= MAX_NEMESIS_FAULTS {
            t = t.saturating_add(episodes.every.sample(rng));
            if t >= self.until {
                break;
            }
            let (begin, end) = draw(rng);
            // At least one ms per episode, so that zero delays cannot loop for ever.
            let ends = t
                .saturating_add(episodes.lasting.sample(rng).max(1))
                .min(self.until);
            for (at, fault) in [(t, begin), (ends, end)] {
                faults.push(TimedFault {
                    at,
                    fault,
                    origin: Origin::Nemesis,
                });
            }
            t = ends;
        }
    }
}

/// Two non-empty sides, each replica on either with equal chance.
fn split(replicas: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<ReplicaId>> {
    loop {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for r in ReplicaId::all(replicas) {
            if rng.random_bool(0.5) {
                a.push(r);
            } else {
                b.push(r);
            }
        }
        if !a.is_empty() && !b.is_empty() {
            return vec![a, b];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::fault::FaultState;
    use rand::SeedableRng;

    fn nemesis() -> Nemesis {
        Nemesis {
            start: 10,
            until: 5_000,
            partitions: Some(Episodes {
                every: Delay::Exponential(300),
                lasting: Delay::Uniform(10, 200),
            }),
            crashes: Some(Episodes {
                every: Delay::Exponential(500),
                lasting: Delay::Uniform(10, 300),
            }),
        }
    }

    #[test]
    fn the_schedule_is_in_time_order_and_ends_with_a_whole_network() {
        for seed in 0..50 {
            let faults = nemesis().schedule(4, &mut ChaCha8Rng::seed_from_u64(seed));
            assert!(faults.windows(2).all(|w| w[0].at <= w[1].at));
            assert!(faults.iter().all(|f| (10..=5_000).contains(&f.at)));
            let mut state = FaultState::new(4);
            for f in &faults {
                state.apply(&f.fault);
            }
            for a in ReplicaId::all(4) {
                assert!(state.is_up(a), "seed {seed}: {a} is still down");
                for b in ReplicaId::all(4) {
                    assert!(!state.is_cut(a, b), "seed {seed}: {a}->{b} is still cut");
                }
            }
        }
    }

    #[test]
    fn partitions_split_into_two_nonempty_sides_and_crashes_pair_with_restarts() {
        let faults = nemesis().schedule(3, &mut ChaCha8Rng::seed_from_u64(7));
        let mut down = None;
        for f in &faults {
            match &f.fault {
                Fault::Partition(sides) => {
                    assert_eq!(sides.len(), 2);
                    assert!(sides.iter().all(|s| !s.is_empty()));
                    assert_eq!(sides[0].len() + sides[1].len(), 3);
                }
                Fault::Crash(r) => {
                    assert_eq!(down, None, "one crash at a time");
                    down = Some(*r);
                }
                Fault::Restart(r) => assert_eq!(down.take(), Some(*r)),
                Fault::Heal => {}
                Fault::PartitionOneway { .. } => panic!("the nemesis draws no one-way partitions"),
            }
        }
        assert!(
            faults.len() > 10,
            "five seconds of faults every few hundred ms"
        );
    }
}

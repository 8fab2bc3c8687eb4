//! The simulated network: how long each message takes, link by link, and first-in-first-out links.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::ids::{ReplicaId, Time};

/// A distribution of message delays, in whole milliseconds, as written in scenario files.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Delay {
    /// Always this many ms: `{"constant": 5}`.
    Constant(u64),
    /// Uniform over `min..=max` ms: `{"uniform": [1, 10]}`.
    Uniform(u64, u64),
    /// Exponential with this mean, rounded to the nearest ms: `{"exponential": 5}`.
    Exponential(u64),
}

impl Delay {
    /// Draws one delay. A constant draws nothing from `rng`, so making a link constant does not shift
    /// the random choices made for other links.
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> Time {
        match *self {
            Delay::Constant(ms) => ms,
            Delay::Uniform(min, max) => rng.random_range(min..=max),
            Delay::Exponential(mean) => {
                // Inverse-transform sampling. `libm` rather than `f64::ln` because std defers to the
                // platform's maths library, whose last bit may differ between machines; libm's pure-Rust
                // logarithm gives the same bits everywhere, and the trace must too.
                let u: f64 = rng.random();
                let draw = -(mean as f64) * libm::log(1.0 - u);
                draw.round() as Time
            }
        }
    }
}

/// Delays for every directed link, and FIFO bookkeeping.
#[derive(Clone, Debug)]
pub struct Network {
    replicas: usize,
    /// `delays[from * replicas + to]`.
    delays: Vec<Delay>,
    fifo: bool,
    /// When the last message sent on each link will arrive; with FIFO, no later message arrives sooner.
    last_arrival: Vec<Time>,
}

impl Network {
    /// A network where every link has `delay`, then `links` overrides some directed links.
    pub fn new(
        replicas: usize,
        delay: Delay,
        fifo: bool,
        links: &[(ReplicaId, ReplicaId, Delay)],
    ) -> Self {
        let mut delays = vec![delay; replicas * replicas];
        for &(from, to, link_delay) in links {
            delays[from.index() * replicas + to.index()] = link_delay;
        }
        Network {
            replicas,
            delays,
            fifo,
            last_arrival: vec![0; replicas * replicas],
        }
    }

    /// When a message sent now from `from` to `to` arrives. On a FIFO link it never arrives before one
    /// sent earlier on the same link: it may arrive at the same instant, and the event queue's
    /// insertion order then keeps the two in sending order.
    pub fn arrival(
        &mut self,
        now: Time,
        from: ReplicaId,
        to: ReplicaId,
        rng: &mut ChaCha8Rng,
    ) -> Time {
        let link = from.index() * self.replicas + to.index();
        let mut at = now.saturating_add(self.delays[link].sample(rng));
        if self.fifo {
            at = at.max(self.last_arrival[link]);
            self.last_arrival[link] = at;
        }
        at
    }

    /// When a message sent now from `from` to `to` with a pinned `delay` arrives: as [`arrival`]
    /// without drawing, still behind any earlier message on a FIFO link.
    ///
    /// [`arrival`]: Network::arrival
    pub fn arrival_pinned(
        &mut self,
        now: Time,
        from: ReplicaId,
        to: ReplicaId,
        delay: Time,
    ) -> Time {
        let link = from.index() * self.replicas + to.index();
        let mut at = now.saturating_add(delay);
        if self.fifo {
            at = at.max(self.last_arrival[link]);
            self.last_arrival[link] = at;
        }
        at
    }

    /// When a copy sent now from `from` to `to` arrives, outside the FIFO order: acknowledgements,
    /// retransmissions and duplicates. The channels sort them out by sequence number, and keeping them
    /// out of the FIFO bookkeeping means they never delay the first copies of later messages.
    pub fn arrival_unordered(
        &self,
        now: Time,
        from: ReplicaId,
        to: ReplicaId,
        rng: &mut ChaCha8Rng,
    ) -> Time {
        let link = from.index() * self.replicas + to.index();
        now.saturating_add(self.delays[link].sample(rng))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn fifo_links_never_let_a_message_overtake() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut net = Network::new(2, Delay::Uniform(1, 100), true, &[]);
        let mut last = 0;
        for now in 0..200 {
            let at = net.arrival(now, ReplicaId(0), ReplicaId(1), &mut rng);
            assert!(at >= last && at > now);
            last = at;
        }
    }

    #[test]
    fn without_fifo_messages_can_overtake() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut net = Network::new(2, Delay::Uniform(1, 100), false, &[]);
        let arrivals: Vec<_> = (0..50)
            .map(|now| net.arrival(now, ReplicaId(0), ReplicaId(1), &mut rng))
            .collect();
        assert!(arrivals.windows(2).any(|w| w[1] < w[0]));
    }

    #[test]
    fn a_link_override_applies_to_one_direction_only() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let slow = [(ReplicaId(0), ReplicaId(1), Delay::Constant(500))];
        let mut net = Network::new(2, Delay::Constant(5), true, &slow);
        assert_eq!(net.arrival(10, ReplicaId(0), ReplicaId(1), &mut rng), 510);
        assert_eq!(net.arrival(10, ReplicaId(1), ReplicaId(0), &mut rng), 15);
    }

    #[test]
    fn delays_stay_in_range_and_exponential_has_about_its_mean() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for _ in 0..1000 {
            let d = Delay::Uniform(3, 7).sample(&mut rng);
            assert!((3..=7).contains(&d));
        }
        let total: u64 = (0..10_000)
            .map(|_| Delay::Exponential(20).sample(&mut rng))
            .sum();
        let mean = total as f64 / 10_000.0;
        assert!((18.0..22.0).contains(&mean), "mean {mean}");
    }
}

//! A scenario's network delays, applied for real: the sending replica holds each packet for a delay
//! drawn as the simulator draws it, so that a scenario like `stale-read` shows its stale read on real
//! sockets too.
//!
//! Each directed link draws from a [`ChaCha8Rng`] of its own, seeded from the scenario's seed and the
//! link (`from`, `to`), so the delays of one link do not depend on how much traffic the others carry.
//! The draws are reproducible; what is not is when each packet is sent, which real scheduling decides.
//! As in the simulator, first transmissions of data keep their link's FIFO order (a packet is never
//! released before one sent earlier on the link), while acknowledgements and retransmissions are held
//! for their own delay and may overtake; TCP then keeps the release order.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::ids::{ReplicaId, Time};
use crate::protocol::Traffic;
use crate::sim::network::Network;

/// The random streams below this number are the simulator's; links draw from streams above it.
const FIRST_LINK_STREAM: u64 = 1 << 32;

/// How long one replica holds what it sends each other replica.
#[derive(Debug)]
pub struct LinkDelays {
    me: ReplicaId,
    network: Network,
    /// Indexed by the receiving replica.
    rngs: Vec<ChaCha8Rng>,
}

impl LinkDelays {
    /// The delays of replica `me`'s outgoing links in `network`, drawn from `seed`.
    pub fn new(me: ReplicaId, replicas: usize, network: Network, seed: u64) -> Self {
        let rngs = (0..replicas as u64)
            .map(|to| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(FIRST_LINK_STREAM + u64::from(me.0) * replicas as u64 + to);
                rng
            })
            .collect();
        LinkDelays { me, network, rngs }
    }

    /// When a packet of kind `traffic` sent to `to` at `now` is to be released onto the socket.
    pub fn release(&mut self, now: Time, to: ReplicaId, traffic: Traffic) -> Time {
        let rng = &mut self.rngs[to.index()];
        match traffic {
            Traffic::Data => self.network.arrival(now, self.me, to, rng),
            Traffic::Ack | Traffic::Retransmission => {
                self.network.arrival_unordered(now, self.me, to, rng)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::network::Delay;

    #[test]
    fn data_keeps_its_link_order_and_links_draw_independently() {
        let network = Network::new(3, Delay::Uniform(1, 100), true, &[]);
        let mut delays = LinkDelays::new(ReplicaId(0), 3, network.clone(), 7);
        let mut last = 0;
        for now in 0..50 {
            let at = delays.release(now, ReplicaId(1), Traffic::Data);
            assert!(at >= last && at > now, "FIFO: {at} after {last}");
            last = at;
        }
        // Replica 2's link draws the same whatever replica 1's carried.
        let mut quiet = LinkDelays::new(ReplicaId(0), 3, network, 7);
        assert_eq!(
            delays.release(1000, ReplicaId(2), Traffic::Data),
            quiet.release(1000, ReplicaId(2), Traffic::Data)
        );
    }
}

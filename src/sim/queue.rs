//! The event queue: events in order of (simulated time, insertion order).
//!
//! Ordering by insertion sequence among events at the same instant is what makes runs reproducible:
//! ties are broken by the order in which the simulation scheduled the events, which depends only on the
//! scenario and the seed.

use std::collections::{BTreeMap, VecDeque};

use crate::ids::Time;

/// Events of type `E`, popped earliest first, and in scheduling order among equal times.
///
/// Simulated time is whole milliseconds and delays are short, so at any moment the pending events
/// share a few dozen distinct times. The queue is a map from each such time to a FIFO of its events:
/// first-in-first-out within a time *is* insertion order, so no sequence number is needed, and a push
/// or pop costs a map lookup among those few times rather than a heap operation among every pending
/// event. Emptied FIFOs are kept for reuse, which saves most allocations (the map's own nodes still
/// come and go).
#[derive(Debug)]
pub struct EventQueue<E> {
    buckets: BTreeMap<Time, VecDeque<E>>,
    spare: Vec<VecDeque<E>>,
    len: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            buckets: BTreeMap::new(),
            spare: Vec::new(),
            len: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `event` at `time`.
    pub fn push(&mut self, time: Time, event: E) {
        let spare = &mut self.spare;
        self.buckets
            .entry(time)
            .or_insert_with(|| spare.pop().unwrap_or_default())
            .push_back(event);
        self.len += 1;
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<Time> {
        self.buckets.first_key_value().map(|(&time, _)| time)
    }

    /// The next event with its time, left in the queue.
    pub fn peek(&self) -> Option<(Time, &E)> {
        let (&time, events) = self.buckets.first_key_value()?;
        events.front().map(|event| (time, event))
    }

    /// Removes and returns the next event with its time.
    pub fn pop(&mut self) -> Option<(Time, E)> {
        let mut entry = self.buckets.first_entry()?;
        let time = *entry.key();
        let event = entry.get_mut().pop_front()?;
        if entry.get().is_empty() {
            self.spare.push(entry.remove());
        }
        self.len -= 1;
        Some((time, event))
    }

    /// How many events are waiting.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no event is waiting.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_by_insertion_order() {
        let mut q = EventQueue::default();
        q.push(5, "c");
        q.push(1, "a");
        q.push(5, "d");
        q.push(1, "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, vec![(1, "a"), (1, "b"), (5, "c"), (5, "d")]);
    }

    #[test]
    fn pops_like_a_sort_by_time_then_insertion_even_while_draining_an_instant() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut q = EventQueue::default();
        let mut reference: Vec<(Time, u64)> = Vec::new();
        let mut popped = Vec::new();
        let mut now = 0;
        for id in 0..5_000u64 {
            // Mostly pushes a little ahead (or at the current instant), sometimes a pop.
            if rng.random_bool(0.4) {
                if let Some((time, id)) = q.pop() {
                    now = time;
                    popped.push((time, id));
                }
            }
            let time = now + rng.random_range(0..4);
            q.push(time, id);
            reference.push((time, id));
        }
        while let Some(event) = q.pop() {
            popped.push(event);
        }
        // Each event is popped after every earlier-scheduled event of the same time.
        let mut last_id_at: std::collections::BTreeMap<Time, u64> =
            std::collections::BTreeMap::new();
        for &(time, id) in &popped {
            if let Some(&previous) = last_id_at.get(&time) {
                assert!(previous < id, "at t={time}, {id} came out after {previous}");
            }
            last_id_at.insert(time, id);
        }
        assert!(
            popped.windows(2).all(|w| w[0].0 <= w[1].0),
            "times never go back"
        );
        assert_eq!(popped.len(), reference.len());
    }
}

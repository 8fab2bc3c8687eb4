//! The event queue: events in order of (simulated time, insertion order).
//!
//! Ordering by insertion sequence among events at the same instant is what makes runs reproducible:
//! ties are broken by the order in which the simulation scheduled the events, which depends only on the
//! scenario and the seed.

use std::collections::{BTreeMap, VecDeque};

use crate::ids::Time;

/// How many consecutive instants the near buckets cover. Delays of a few ms are the common case, so
/// nearly every event lands in the window; timers, slow links and faults far ahead wait in the far map
/// until the window reaches them. Small, so that a queue costs little to make (a sweep makes one per
/// run), and a power of two, so that the bucket of an instant is a cheap remainder.
const WINDOW: Time = 64;

/// Events of type `E`, popped earliest first, and in scheduling order among equal times.
///
/// Simulated time is whole milliseconds and delays are short, so at any moment most pending events
/// fall within a few dozen ms of the earliest. The queue is a *calendar*: a ring of `WINDOW` buckets,
/// one per instant from `start` on, each a FIFO of that instant's events, and a map for the events
/// beyond the window. First-in-first-out within an instant *is* insertion order, so no sequence number
/// is needed, and pushing or popping a near event is an index and a FIFO operation rather than a
/// search (the map it replaces cost a lookup per push and per pop, a tenth of a whole run).
///
/// ```text
///   start = 40              near (ring of WINDOW buckets)                 far (map)
///   bucket of t=40: [e7, e9]   t=41: []   t=42: [e8]   …   t=103: []     t=140: [timer]
/// ```
///
/// Invariants: no pending event is earlier than `start`; an event at `t < start + WINDOW` is in the
/// bucket `t % WINDOW`, and one at a later time is in `far`. When the window moves on, the far events
/// it now covers move into their buckets, which are empty then: nothing could be pushed into them while
/// their instant was beyond the window, so the far events come first, as they were pushed first.
///
/// The queue relies on one promise of the engine: nothing is ever scheduled before the event last
/// popped (time does not run backwards). [`push`](Self::push) checks it.
#[derive(Debug)]
pub struct EventQueue<E> {
    near: Vec<VecDeque<E>>,
    /// How many events the near buckets hold.
    near_len: usize,
    /// The earliest instant the near buckets hold; never later than the earliest pending event.
    start: Time,
    far: BTreeMap<Time, VecDeque<E>>,
    len: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            near: (0..WINDOW).map(|_| VecDeque::new()).collect(),
            near_len: 0,
            start: 0,
            far: BTreeMap::new(),
            len: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `event` at `time`, which must not be earlier than the last event popped.
    pub fn push(&mut self, time: Time, event: E) {
        assert!(
            time >= self.start,
            "event scheduled at t={time}, before the queue's present t={}",
            self.start
        );
        if time - self.start < WINDOW {
            self.near[bucket(time)].push_back(event);
            self.near_len += 1;
        } else {
            self.far.entry(time).or_default().push_back(event);
        }
        self.len += 1;
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<Time> {
        self.peek().map(|(time, _)| time)
    }

    /// The next event with its time, left in the queue.
    pub fn peek(&self) -> Option<(Time, &E)> {
        if self.near_len == 0 {
            let (&time, events) = self.far.first_key_value()?;
            return events.front().map(|event| (time, event));
        }
        let mut time = self.start;
        loop {
            if let Some(event) = self.near[bucket(time)].front() {
                return Some((time, event));
            }
            time += 1;
        }
    }

    /// Removes and returns the next event with its time.
    pub fn pop(&mut self) -> Option<(Time, E)> {
        if self.near_len == 0 {
            // Everything pending is beyond the window: jump to the first of it.
            let &time = self.far.keys().next()?;
            self.advance(time);
        }
        while self.near[bucket(self.start)].is_empty() {
            self.advance(self.start + 1);
        }
        let event = self.near[bucket(self.start)].pop_front()?;
        self.near_len -= 1;
        self.len -= 1;
        Some((self.start, event))
    }

    /// How many events are waiting.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no event is waiting.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Moves the window on to start at `to` (no event is pending before it), bringing the far events
    /// it now covers into their buckets.
    fn advance(&mut self, to: Time) {
        self.start = to;
        let end = to.saturating_add(WINDOW);
        while let Some(entry) = self.far.first_entry() {
            let time = *entry.key();
            if time >= end {
                break;
            }
            let events = entry.remove();
            self.near_len += events.len();
            let bucket = &mut self.near[bucket(time)];
            debug_assert!(
                bucket.is_empty(),
                "t={time} was beyond the window until now"
            );
            *bucket = events;
        }
    }
}

/// The near bucket of instant `time`.
fn bucket(time: Time) -> usize {
    (time % WINDOW) as usize
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

    #[test]
    fn pops_exactly_like_a_sort_by_time_then_insertion_near_and_far() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut q = EventQueue::default();
        // The reference: every pending (time, id), ids growing with insertion.
        let mut reference = std::collections::BTreeSet::new();
        let mut now = 0;
        for id in 0..20_000u64 {
            if rng.random_bool(0.45) {
                let expected = reference.pop_first();
                assert_eq!(q.peek().map(|(t, &e)| (t, e)), expected);
                assert_eq!(q.pop(), expected);
                if let Some((time, _)) = expected {
                    now = time;
                }
            }
            // Mostly near, sometimes far beyond the window, sometimes exactly at its edge.
            let ahead = match rng.random_range(0..10) {
                0 => rng.random_range(0..1000),
                1 => WINDOW - 1 + rng.random_range(0..3),
                _ => rng.random_range(0..8),
            };
            q.push(now + ahead, id);
            reference.insert((now + ahead, id));
            assert_eq!(q.len(), reference.len());
        }
        while let Some(expected) = reference.pop_first() {
            assert_eq!(q.pop(), Some(expected));
        }
        assert!(q.is_empty() && q.pop().is_none() && q.peek().is_none());
    }
}

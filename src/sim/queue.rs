//! The event queue: events in order of (simulated time, insertion order).
//!
//! Ordering by insertion sequence among events at the same instant is what makes runs reproducible:
//! ties are broken by the order in which the simulation scheduled the events, which depends only on the
//! scenario and the seed.

use std::collections::{BTreeMap, VecDeque};

use crate::ids::Time;

/// How many consecutive instants the near buckets cover: 64, one bit each in the mask of non-empty
/// buckets. Delays of a few ms are the common case, so nearly every event lands in the window; timers,
/// slow links and faults further ahead wait in the far map until the window reaches them.
const WINDOW: Time = u64::BITS as Time;

/// Events of type `E`, popped earliest first, and in scheduling order among equal times.
///
/// Simulated time is whole milliseconds and delays are short, so at any moment most pending events
/// fall within a few dozen ms of the earliest. The queue is a *calendar*: a ring of 64 buckets, one per
/// instant from `start` on, each a FIFO of that instant's events, and a map for the events beyond the
/// window. First-in-first-out within an instant *is* insertion order, so no sequence number is needed;
/// pushing a near event is an index and a FIFO push, and the next event is found with one bit trick on
/// the mask of non-empty buckets, where the map this replaces cost a search per push and per pop (a
/// tenth of a whole run).
///
/// ```text
///   start = 40        near: a ring of 64 buckets, bit i of `occupied` set if bucket i has events
///   t=40: [e7, e9]   t=41: []   t=42: [e8]   …   t=103: []              far: {t=140: [timer]}
/// ```
///
/// Invariants: no pending event is earlier than `start`; an event at `t < start + 64` is in bucket
/// `t % 64`, and one at a later time is in `far`. When the window moves on, the far events it now
/// covers move into their buckets, which are empty then: nothing could be pushed into them while their
/// instant was beyond the window, so the far events come first, as they were pushed first.
///
/// The queue relies on one promise of the engine: nothing is ever scheduled before the event last
/// popped (time does not run backwards). [`push`](Self::push) checks it.
///
/// Emptied FIFOs are kept in `spare` and reused by the next bucket to fill, so a run allocates about
/// as many FIFOs as it has instants pending at once, however long it runs.
#[derive(Debug)]
pub struct EventQueue<E> {
    near: Vec<VecDeque<E>>,
    /// Bit `i` is set when bucket `i` holds events.
    occupied: u64,
    /// The earliest instant the near buckets hold; never later than the earliest pending event.
    start: Time,
    far: BTreeMap<Time, VecDeque<E>>,
    spare: Vec<VecDeque<E>>,
    len: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            near: (0..WINDOW).map(|_| VecDeque::new()).collect(),
            occupied: 0,
            start: 0,
            far: BTreeMap::new(),
            spare: Vec::new(),
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
            let b = bucket(time);
            if self.occupied & (1 << b) == 0 {
                self.occupied |= 1 << b;
                if let Some(fifo) = self.spare.pop() {
                    self.near[b] = fifo;
                }
            }
            self.near[b].push_back(event);
        } else {
            let spare = &mut self.spare;
            let fifo = self
                .far
                .entry(time)
                .or_insert_with(|| spare.pop().unwrap_or_default());
            fifo.push_back(event);
        }
        self.len += 1;
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<Time> {
        self.peek().map(|(time, _)| time)
    }

    /// The next event with its time, left in the queue.
    pub fn peek(&self) -> Option<(Time, &E)> {
        let Some(time) = self.next_near() else {
            let (&time, fifo) = self.far.first_key_value()?;
            return fifo.front().map(|event| (time, event));
        };
        self.near[bucket(time)].front().map(|event| (time, event))
    }

    /// Removes and returns the next event with its time.
    pub fn pop(&mut self) -> Option<(Time, E)> {
        let time = match self.next_near() {
            Some(time) => time,
            // Everything pending is beyond the window: jump to the first of it.
            None => *self.far.keys().next()?,
        };
        if time != self.start {
            self.advance(time);
        }
        let b = bucket(time);
        let event = self.near[b].pop_front()?;
        if self.near[b].is_empty() {
            self.occupied &= !(1 << b);
            self.spare.push(std::mem::take(&mut self.near[b]));
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

    /// The earliest instant with a near event: the first set bit of `occupied` at or after `start`'s,
    /// going round the ring.
    fn next_near(&self) -> Option<Time> {
        if self.occupied == 0 {
            return None;
        }
        let ahead = self
            .occupied
            .rotate_right(bucket(self.start) as u32)
            .trailing_zeros();
        Some(self.start + Time::from(ahead))
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
            // The bucket is empty, and holds no buffer: an emptied bucket gives its buffer up.
            let b = bucket(time);
            debug_assert!(
                self.near[b].capacity() == 0,
                "t={time} was beyond the window"
            );
            self.occupied |= 1 << b;
            self.near[b] = entry.remove();
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

//! The search for a sequential order: a depth-first walk over interleavings of the sessions, taking
//! matching reads greedily and trying writes one at a time, with the explored states remembered by
//! fingerprint and budgets on states, work and memory (see the parent module for the reductions).

use std::collections::HashSet;

use crate::check::appended::Appended;
use crate::check::budget;
use crate::check::fingerprint;
use crate::check::history::{CheckHistory, OpIndex};
use crate::check::saturate::Saturated;

/// How the search ended.
pub(super) enum Search {
    Found,
    OutOfBudget {
        states: u64,
        why: &'static str,
    },
    /// Every interleaving is a dead end.
    Impossible,
}

/// A point of the search: how far each session has got, the store, and a fingerprint of both.
///
/// The search keeps one state and undoes its steps on the way back, and remembers the states it has
/// explored by a 128-bit fingerprint ([`crate::check::fingerprint`]), not a copy: a copy costs one entry per
/// session and key, which for thousands of clients made the memo the largest thing in the process.
struct State {
    positions: Vec<u32>,
    /// For each key, the value it holds and the write that wrote it.
    store: Vec<Option<(u32, OpIndex)>>,
    /// How many operations are done (the sum of `positions`).
    done: usize,
    /// Which sessions are one operation that never returned, and how many of those are done.
    loose: Vec<bool>,
    loose_done: usize,
    fingerprint: u128,
    /// Whether states are told apart by the values the keys hold rather than by the writes that wrote
    /// them: when some value is written twice (or an update may write it again), the pruning that
    /// needs the writes is off, and what follows a state depends only on the values — so states that
    /// differ only in which write made a value are one state.
    by_value: bool,
}

impl State {
    fn new(history: &CheckHistory, by_value: bool) -> Self {
        State {
            positions: vec![0; history.sessions.len()],
            store: vec![None; history.key_count()],
            done: 0,
            loose: history
                .sessions
                .iter()
                .map(|session| session.iter().all(|&i| !history.ops[i].completed()))
                .collect(),
            loose_done: 0,
            fingerprint: 0,
            by_value,
        }
    }

    /// The tag of session `s` at position `p`; position 0 (the start) is tagged 0.
    fn position_tag(s: u32, p: u32) -> u128 {
        if p == 0 {
            0
        } else {
            fingerprint::tag(1, u64::from(s), u64::from(p))
        }
    }

    /// The tag of `key` holding what `write` wrote (or, `by_value`, its value); the initial value is
    /// tagged 0.
    fn store_tag(&self, key: u32, write: Option<(u32, OpIndex)>) -> u128 {
        write.map_or(0, |(v, w)| {
            let what = if self.by_value {
                u64::from(v)
            } else {
                w as u64
            };
            fingerprint::tag(2, u64::from(key), what)
        })
    }

    fn advance(&mut self, s: u32) {
        let p = self.positions[s as usize];
        self.fingerprint ^= State::position_tag(s, p) ^ State::position_tag(s, p + 1);
        self.positions[s as usize] = p + 1;
        self.done += 1;
        self.loose_done += usize::from(self.loose[s as usize]);
    }

    fn retreat(&mut self, s: u32) {
        let p = self.positions[s as usize];
        self.fingerprint ^= State::position_tag(s, p) ^ State::position_tag(s, p - 1);
        self.positions[s as usize] = p - 1;
        self.done -= 1;
        self.loose_done -= usize::from(self.loose[s as usize]);
    }

    /// Sets what `key` holds; returns what it held.
    fn set(&mut self, key: u32, write: Option<(u32, OpIndex)>) -> Option<(u32, OpIndex)> {
        let old = std::mem::replace(&mut self.store[key as usize], write);
        self.fingerprint ^= self.store_tag(key, old) ^ self.store_tag(key, write);
        old
    }
}

/// Who reads each value: for each write, the reads returning its value; for each key, the reads
/// returning the initial value. A value written more than once counts its readers for every writer,
/// which only makes the pruning more cautious.
struct Readers {
    of_write: Vec<Vec<OpIndex>>,
    of_initial: Vec<Vec<OpIndex>>,
    /// Some value is written more than once, so an overwritten value can come back.
    repeated: bool,
}

impl Readers {
    fn new(history: &CheckHistory) -> Self {
        let mut of_write = vec![Vec::new(); history.ops.len()];
        let mut of_initial = vec![Vec::new(); history.key_count()];
        for (r, op) in history.ops.iter().enumerate() {
            if !op.is_read() {
                continue;
            }
            match op.value {
                None => of_initial[op.key as usize].push(r),
                Some(v) => {
                    for &w in history.writers(op.key, v) {
                        of_write[w].push(r);
                    }
                }
            }
        }
        // An update may write a value back, and an append may make any value again.
        let repeated = history.repeated_writes().next().is_some() || history.has_updates();
        Readers {
            of_write,
            of_initial,
            repeated,
        }
    }
}

/// Whether every read of the value `key` holds in `state` has been taken, so it may be overwritten.
/// Only sound when no value is written twice (a value could come back); otherwise always true.
fn value_consumed(history: &CheckHistory, readers: &Readers, state: &State, key: u32) -> bool {
    if readers.repeated {
        return true;
    }
    let waiting = match state.store[key as usize] {
        None => &readers.of_initial[key as usize],
        Some((_, w)) => &readers.of_write[w],
    };
    waiting.iter().all(|&r| {
        let op = &history.ops[r];
        state.positions[op.session as usize] > op.seq
    })
}

/// How many choices the search's stack may hold at once (8 bytes each: 256 MiB).
const MAX_STACKED_CHOICES: usize = 1 << 25;

/// How many session visits the search may make in all (each state visits every session a few times).
const MAX_WORK: u64 = 1 << 28;

/// What a key held: the value and the write that wrote it, or `None` for the initial value.
type Held = Option<(u32, OpIndex)>;

/// A write taken: its session, its key, and what the key held before.
type Step = (u32, u32, Held);

/// One step down the search: the write taken to get here (its session, and what its key held
/// before), the sessions then advanced by greedy reads, and the sessions whose next write is not yet
/// tried from here.
struct Frame {
    entered_by: Option<Step>,
    greedy: Vec<u32>,
    choices: Vec<u32>,
}

/// Undoes a frame's steps: its greedy reads, then the write that led to it.
fn undo(state: &mut State, frame: &Frame) {
    for &s in frame.greedy.iter().rev() {
        state.retreat(s);
    }
    if let Some((s, key, old)) = frame.entered_by {
        state.retreat(s);
        state.set(key, old);
    }
}

/// Searches for a sequential order, exploring at most `budget` states (before `--budget` scales it).
pub(super) fn search(history: &CheckHistory, saturated: Option<&Saturated>, budget: u64) -> Search {
    let sessions = &history.sessions;
    let mut appended = Appended::new(history);
    let readers = Readers::new(history);
    let mut seen: HashSet<u128> = HashSet::new();
    let mut states = 0u64;
    let mut work = 0u64;
    let mut stacked = 0usize;
    let mut state = State::new(history, readers.repeated);
    let completed = history.ops.iter().filter(|op| op.completed()).count();
    let mut stack: Vec<Frame> = Vec::new();
    let mut pending = Some(None);
    loop {
        if let Some(entered_by) = pending.take() {
            let greedy = take_matching_reads(history, &mut state);
            work += sessions.len() as u64;
            // Every operation that returned is placed; those that never did and are not placed
            // never took effect.
            if state.done - state.loose_done == completed {
                return Search::Found;
            }
            let mut frame = Frame {
                entered_by,
                greedy,
                choices: Vec::new(),
            };
            if seen.insert(state.fingerprint) {
                states += 1;
                if states > budget::scaled(budget) {
                    return Search::OutOfBudget {
                        states,
                        why: "its budget of states is spent",
                    };
                }
                frame.choices = choices(history, &readers, saturated, &state);
                work += 2 * sessions.len() as u64;
                stacked += frame.choices.len();
                if stacked > budget::scaled_size(MAX_STACKED_CHOICES)
                    || work > budget::scaled(MAX_WORK)
                    || appended.exhausted()
                {
                    return Search::OutOfBudget {
                        states,
                        why: "its budget of work and memory for this many clients (or of strings appends made) is spent",
                    };
                }
                stack.push(frame);
            } else {
                undo(&mut state, &frame);
            }
        }
        let Some(frame) = stack.last_mut() else {
            return Search::Impossible;
        };
        let Some(s) = frame.choices.pop() else {
            if let Some(frame) = stack.pop() {
                undo(&mut state, &frame);
            }
            continue;
        };
        stacked -= 1;
        let w = sessions[s as usize][state.positions[s as usize] as usize];
        let op = &history.ops[w];
        let current = state.store[op.key as usize].map(|(v, _)| v);
        // `choices` offers only what can take effect here.
        let after = op
            .apply(current, |current, element| {
                appended.append(current, element)
            })
            .flatten();
        let old = state.set(op.key, after.map(|v| (v, w)));
        state.advance(s);
        pending = Some(Some((s, op.key, old)));
    }
}

/// Takes every read, in any session, that the store already answers, and returns the sessions
/// advanced, in order. One pass suffices: reads change nothing, so a read that does not match now
/// will not match after other reads are taken.
fn take_matching_reads(history: &CheckHistory, state: &mut State) -> Vec<u32> {
    let mut advanced = Vec::new();
    for (s, session) in history.sessions.iter().enumerate() {
        while let Some(&i) = session.get(state.positions[s] as usize) {
            let op = &history.ops[i];
            if !op.is_read() || state.store[op.key as usize].map(|(v, _)| v) != op.value {
                break;
            }
            state.advance(s as u32);
            advanced.push(s as u32);
        }
    }
    advanced
}

/// The sessions whose next operation, a write or update, may come next: only once every read of the
/// value it overwrites has been taken, and a compare-and-set only on the value it expected. One that
/// never returned is never skipped here: left unplaced at the end, it never took effect. Popped from
/// the end, so the earliest-invoked write is tried first.
fn choices(
    history: &CheckHistory,
    readers: &Readers,
    saturated: Option<&Saturated>,
    state: &State,
) -> Vec<u32> {
    // Values that a session's next operation, a read, is waiting for.
    let mut wanted: HashSet<(u32, u32)> = HashSet::new();
    for (s, session) in history.sessions.iter().enumerate() {
        if let Some(&r) = session.get(state.positions[s] as usize) {
            let op = &history.ops[r];
            if let (true, Some(v)) = (op.is_read(), op.value) {
                wanted.insert((op.key, v));
            }
        }
    }
    let mut choices: Vec<(bool, u64, u32)> = Vec::new();
    for (s, session) in history.sessions.iter().enumerate() {
        let Some(&w) = session.get(state.positions[s] as usize) else {
            continue;
        };
        let op = &history.ops[w];
        if op.is_read() || saturated.is_some_and(|sat| !sat.ready(w, &state.positions)) {
            continue;
        }
        // A compare-and-set takes effect only on the value it expected.
        let held = state.store[op.key as usize].map(|(v, _)| v);
        let fits = op.cas.is_none_or(|cas| cas.expected == held);
        // A write that never returned comes after what its client did before it.
        if let Some(before) = op.after {
            let b = &history.ops[before];
            if state.positions[b.session as usize] <= b.seq {
                continue;
            }
        }
        let is_wanted = op.value.is_some_and(|v| wanted.contains(&(op.key, v)));
        let when = op.returned_at.unwrap_or(u64::MAX);
        if fits && value_consumed(history, readers, state, op.key) {
            choices.push((is_wanted, when, s as u32));
        }
    }
    // Popped from the end: wanted values first, then the earliest to return.
    choices.sort_by(|a, b| (b.0, a.1, a.2).cmp(&(a.0, b.1, b.2)).reverse());
    choices.into_iter().map(|(_, _, s)| s).collect()
}

//! The checkers' view of a history: operations with keys and values interned to small numbers, each
//! client's operations in program order, and who wrote each value.
//!
//! Reads that never returned are left out: they constrain nothing. Writes that never returned stay:
//! they may or may not have taken effect, at any time after they were invoked — even after the client
//! moved on. So such a write constrains nothing its client did later, and it is given a session of its
//! own (with [`CheckOp::after`] naming what its client did before it), rather than a place in its
//! client's program order. A session is therefore a client's completed operations, or one loose write.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use crate::history::Operation;
use crate::ids::{ClientId, Time};
use crate::op::{Key, OpKind, Value};
use crate::text::escape;

/// The position of an operation in [`CheckHistory::ops`].
pub type OpIndex = usize;

/// One operation, as the checkers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckOp {
    pub client: ClientId,
    /// The session number: its position in [`CheckHistory::sessions`].
    pub session: u32,
    /// The operation's position in its session (program order).
    pub seq: u32,
    pub kind: OpKind,
    pub key: u32,
    /// The value written, or read; `None` is the initial value (nothing written).
    pub value: Option<u32>,
    pub invoked_at: Time,
    /// `None`: the operation never returned (only writes are kept so).
    pub returned_at: Option<Time>,
    /// For a write that never returned, which sits in a session of its own: the operation its client
    /// did just before it, which causally precedes it.
    pub after: Option<OpIndex>,
    /// Where the operation was in the input given to [`CheckHistory::new`], counting every operation
    /// given (reads that never returned included): a history file's operation number, or a run's
    /// history index. Witnesses name operations by it ([`super::Verdict::operations`]).
    pub origin: usize,
}

impl CheckOp {
    pub fn is_write(&self) -> bool {
        self.kind == OpKind::Put
    }

    pub fn is_read(&self) -> bool {
        self.kind == OpKind::Get
    }

    pub fn completed(&self) -> bool {
        self.returned_at.is_some()
    }
}

/// One operation as given to [`CheckHistory::new`]: what a run records, without the replica.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawOp {
    pub client: ClientId,
    pub kind: OpKind,
    pub key: Key,
    pub value: Option<Value>,
    pub invoked_at: Time,
    pub returned_at: Option<Time>,
}

impl From<&Operation> for RawOp {
    fn from(op: &Operation) -> Self {
        RawOp {
            client: op.client,
            kind: op.op,
            key: op.key.clone(),
            value: op.value.clone(),
            invoked_at: op.invoked_at,
            returned_at: op.returned_at,
        }
    }
}

/// A history ready for checking.
#[derive(Clone, Debug, Default)]
pub struct CheckHistory {
    pub ops: Vec<CheckOp>,
    /// Each client's operations in program order (and each loose write alone); indexed by
    /// [`CheckOp::session`].
    pub sessions: Vec<Vec<OpIndex>>,
    keys: Vec<Key>,
    values: Vec<Value>,
    /// The writes of each (key, value), in history order.
    writers: BTreeMap<(u32, u32), Vec<OpIndex>>,
}

impl CheckHistory {
    /// Builds the checkers' view. Program order is each client's operations sorted by
    /// [`program_position`]; operations of one client with the same invocation and return times keep
    /// the given order (a history file's line order).
    pub fn new(raw: impl IntoIterator<Item = RawOp>) -> Self {
        let mut history = CheckHistory::default();
        let mut key_ids: HashMap<Key, u32> = HashMap::new();
        let mut value_ids: HashMap<Key, u32> = HashMap::new();
        let mut session_of: BTreeMap<ClientId, u32> = BTreeMap::new();
        let mut by_client: Vec<Vec<(usize, RawOp)>> = Vec::new();
        for (origin, op) in raw.into_iter().enumerate() {
            if op.kind == OpKind::Get && op.returned_at.is_none() {
                continue;
            }
            let next = session_of.len() as u32;
            let session = *session_of.entry(op.client).or_insert(next);
            if session as usize == by_client.len() {
                by_client.push(Vec::new());
            }
            by_client[session as usize].push((origin, op));
        }
        for mut ops in by_client {
            ops.sort_by_key(|(_, op)| program_position(op.invoked_at, op.returned_at));
            // The client's session holds its operations in program order, except writes that never
            // returned: each of those gets a session of its own, remembering what came before it.
            let mut main = Vec::with_capacity(ops.len());
            let mut loose: Vec<((usize, RawOp), Option<OpIndex>)> = Vec::new();
            let main_session = history.sessions.len() as u32;
            history.sessions.push(Vec::new());
            let mut last: Option<OpIndex> = None;
            for op in ops {
                if op.1.kind == OpKind::Put && op.1.returned_at.is_none() {
                    loose.push((op, last));
                    continue;
                }
                let index = history.push(
                    op,
                    main_session,
                    main.len() as u32,
                    None,
                    &mut key_ids,
                    &mut value_ids,
                );
                main.push(index);
                last = Some(index);
            }
            history.sessions[main_session as usize] = main;
            for (op, after) in loose {
                let session = history.sessions.len() as u32;
                let index = history.push(op, session, 0, after, &mut key_ids, &mut value_ids);
                history.sessions.push(vec![index]);
            }
        }
        history
    }

    fn push(
        &mut self,
        (origin, op): (usize, RawOp),
        session: u32,
        seq: u32,
        after: Option<OpIndex>,
        key_ids: &mut HashMap<Key, u32>,
        value_ids: &mut HashMap<Key, u32>,
    ) -> OpIndex {
        let key = intern(key_ids, &mut self.keys, op.key);
        let value = op.value.map(|v| intern(value_ids, &mut self.values, v));
        let index = self.ops.len();
        if let (OpKind::Put, Some(value)) = (op.kind, value) {
            self.writers.entry((key, value)).or_default().push(index);
        }
        self.ops.push(CheckOp {
            client: op.client,
            session,
            seq,
            kind: op.kind,
            key,
            value,
            invoked_at: op.invoked_at,
            returned_at: op.returned_at,
            after,
            origin,
        });
        index
    }

    /// The independent parts of the history: groups of sessions such that no key is touched by two
    /// groups, each as its operations in history order, largest part last. A write that never
    /// returned stays with the session of the operation it follows (one its client issued first of
    /// all follows nothing, and may stand apart). Two parts share no key and no program order, so an
    /// order of each can be interleaved any way into an order of the whole: a property that needs one
    /// order of everything (sequential consistency) holds exactly when it holds for every part.
    pub fn independent_parts(&self) -> Vec<Vec<OpIndex>> {
        let sessions = self.sessions.len();
        // Union-find over sessions (0..sessions) and keys (sessions..).
        let mut parent: Vec<usize> = (0..sessions + self.keys.len()).collect();
        fn root(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        let mut join = |a: usize, b: usize| {
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            if ra != rb {
                parent[ra.max(rb)] = ra.min(rb);
            }
        };
        for op in &self.ops {
            join(op.session as usize, sessions + op.key as usize);
            if let Some(before) = op.after {
                join(op.session as usize, self.ops[before].session as usize);
            }
        }
        let mut parts: BTreeMap<usize, Vec<OpIndex>> = BTreeMap::new();
        for (i, op) in self.ops.iter().enumerate() {
            parts
                .entry(root(&mut parent, op.session as usize))
                .or_default()
                .push(i);
        }
        let mut parts: Vec<Vec<OpIndex>> = parts.into_values().collect();
        // Stable: parts of equal size keep the order of their first operation.
        parts.sort_by_key(Vec::len);
        parts
    }

    /// The history of some of the operations — a union of whole sessions, as [`independent_parts`]
    /// gives — renumbered, with keys and values interned anew (names are shared, not copied).
    ///
    /// [`independent_parts`]: CheckHistory::independent_parts
    pub fn restrict(&self, ops: &[OpIndex]) -> CheckHistory {
        let mut part = CheckHistory::default();
        let mut new_index: BTreeMap<OpIndex, OpIndex> = BTreeMap::new();
        let mut new_session: BTreeMap<u32, u32> = BTreeMap::new();
        let mut key_ids: HashMap<Key, u32> = HashMap::new();
        let mut value_ids: HashMap<Key, u32> = HashMap::new();
        for &i in ops {
            new_index.insert(i, part.ops.len());
            let op = self.ops[i];
            let next = new_session.len() as u32;
            let session = *new_session.entry(op.session).or_insert(next);
            if session as usize == part.sessions.len() {
                part.sessions.push(Vec::new());
            }
            let key = intern(
                &mut key_ids,
                &mut part.keys,
                self.keys[op.key as usize].clone(),
            );
            let value = op.value.map(|v| {
                intern(
                    &mut value_ids,
                    &mut part.values,
                    self.values[v as usize].clone(),
                )
            });
            let index = part.ops.len();
            if let (OpKind::Put, Some(value)) = (op.kind, value) {
                part.writers.entry((key, value)).or_default().push(index);
            }
            part.ops.push(CheckOp {
                session,
                key,
                value,
                after: op.after,
                ..op
            });
        }
        for op in &mut part.ops {
            op.after = op.after.and_then(|before| new_index.get(&before).copied());
        }
        // Sessions are whole, so each keeps its program order; sort each by position.
        for (index, op) in part.ops.iter().enumerate() {
            part.sessions[op.session as usize].push(index);
        }
        for session in &mut part.sessions {
            session.sort_by_key(|&i| part.ops[i].seq);
        }
        part
    }

    /// The history of some of the operations (any subset, in any order), exactly as
    /// [`CheckHistory::new`] would build it from those operations' input rows in input order: program
    /// order, loose writes' [`CheckOp::after`] and who wrote what are worked out anew for the subset.
    /// Each operation keeps its [`CheckOp::origin`], so a witness found in the subset names the
    /// operations of the whole.
    pub fn subset(&self, ops: &[OpIndex]) -> CheckHistory {
        let mut chosen: Vec<OpIndex> = ops.to_vec();
        chosen.sort_by_key(|&i| self.ops[i].origin);
        chosen.dedup();
        let mut part = CheckHistory::new(chosen.iter().map(|&i| {
            let op = &self.ops[i];
            RawOp {
                client: op.client,
                kind: op.kind,
                key: self.keys[op.key as usize].clone(),
                value: op.value.map(|v| self.values[v as usize].clone()),
                invoked_at: op.invoked_at,
                returned_at: op.returned_at,
            }
        }));
        for op in &mut part.ops {
            op.origin = self.ops[chosen[op.origin]].origin;
        }
        part
    }

    /// The checkers' view of a simulated run's history.
    pub fn from_run(history: &[Operation]) -> Self {
        CheckHistory::new(history.iter().map(RawOp::from))
    }

    /// How many distinct keys the history touches.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// A key as shown to a person: escaped (see [`crate::text`]).
    pub fn key_name(&self, key: u32) -> Cow<'_, str> {
        escape(&self.keys[key as usize])
    }

    /// A value as shown to a person: escaped, or `null` for the initial value.
    pub fn value_name(&self, value: Option<u32>) -> Cow<'_, str> {
        match value {
            Some(v) => escape(&self.values[v as usize]),
            None => Cow::Borrowed("null"),
        }
    }

    /// The writes of `value` to `key`.
    pub fn writers(&self, key: u32, value: u32) -> &[OpIndex] {
        self.writers.get(&(key, value)).map_or(&[], Vec::as_slice)
    }

    /// Every (key, value) written more than once, with its writes, in key and value order.
    pub fn repeated_writes(&self) -> impl Iterator<Item = ((u32, u32), &[OpIndex])> {
        self.writers
            .iter()
            .filter(|(_, w)| w.len() > 1)
            .map(|(&kv, w)| (kv, w.as_slice()))
    }

    /// The input positions ([`CheckOp::origin`]) of some operations, sorted, without repeats.
    pub fn origins(&self, ops: impl IntoIterator<Item = OpIndex>) -> Vec<usize> {
        let mut origins: Vec<usize> = ops.into_iter().map(|i| self.ops[i].origin).collect();
        origins.sort_unstable();
        origins.dedup();
        origins
    }

    /// An operation in plain words: `client 1's get x -> null (t=100..110)`.
    pub fn describe(&self, index: OpIndex) -> String {
        let op = &self.ops[index];
        let what = match op.kind {
            OpKind::Put => format!(
                "put {} = {}",
                self.key_name(op.key),
                self.value_name(op.value)
            ),
            OpKind::Get => format!(
                "get {} -> {}",
                self.key_name(op.key),
                self.value_name(op.value)
            ),
        };
        let when = match op.returned_at {
            Some(t) => format!("t={}..{t}", op.invoked_at),
            None => format!("t={}.., never returned", op.invoked_at),
        };
        format!("{}'s {what} ({when})", op.client)
    }
}

/// Where an operation stands in its client's program order: by invocation time, and among operations
/// invoked at the same instant, the one that returned first (a closed-loop client can start its next
/// operation at the instant the previous one returned, so only a zero-length operation can precede
/// another invoked at its instant); one that never returned comes last.
pub fn program_position(invoked_at: Time, returned_at: Option<Time>) -> (Time, Time) {
    (invoked_at, returned_at.unwrap_or(Time::MAX))
}

fn intern(ids: &mut HashMap<Key, u32>, names: &mut Vec<Key>, name: Key) -> u32 {
    if let Some(&id) = ids.get(&name) {
        return id;
    }
    let id = names.len() as u32;
    ids.insert(name.clone(), id);
    names.push(name);
    id
}

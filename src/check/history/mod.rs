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

mod parts;

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
    /// For a put, the value written; for a get, the value read; for a compare-and-set, the new value;
    /// for an append, the element appended.
    pub value: Option<Value>,
    /// For a compare-and-set, the value it expected (`Some(None)`: absent); `None` otherwise.
    pub expected: Option<Option<Value>>,
    /// For a compare-and-set that returned and failed, the value it saw; `None` otherwise (a
    /// compare-and-set that returned with `seen` `None` succeeded).
    pub seen: Option<Option<Value>>,
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
            expected: op.expected.clone(),
            seen: op.seen.clone(),
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
    /// How many operations at the end of `ops` are phantom writes
    /// ([`CheckHistory::with_phantom_writes`]).
    phantoms: usize,
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

    /// The input positions ([`CheckOp::origin`]) of some operations, sorted, without repeats
    /// (phantom writes have none).
    pub fn origins(&self, ops: impl IntoIterator<Item = OpIndex>) -> Vec<usize> {
        let mut origins: Vec<usize> = ops
            .into_iter()
            .filter(|&i| !self.is_phantom(i))
            .map(|i| self.ops[i].origin)
            .collect();
        origins.sort_unstable();
        origins.dedup();
        origins
    }

    /// An operation in plain words: `client 1's get x -> null (t=100..110)`.
    pub fn describe(&self, index: OpIndex) -> String {
        let op = &self.ops[index];
        if self.is_phantom(index) {
            return format!(
                "a put {} = {} that the history does not show",
                self.key_name(op.key),
                self.value_name(op.value)
            );
        }
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
            OpKind::Cas | OpKind::Append => {
                unreachable!("compare-and-set and append are not in the checkers' view yet")
            }
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

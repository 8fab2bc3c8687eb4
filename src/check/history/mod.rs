//! The checkers' view of a history: operations with keys and values interned to small numbers, each
//! client's operations in program order, and who wrote each value.
//!
//! Reads that never returned are left out: they constrain nothing. Writes that never returned stay:
//! they may or may not have taken effect, at any time after they were invoked — even after the client
//! moved on. So such a write constrains nothing its client did later, and it is given a session of its
//! own (with [`CheckOp::after`] naming what its client did before it), rather than a place in its
//! client's program order. A session is therefore a client's completed operations, or one loose write.
//!
//! Compare-and-set and append take one of three [`Role`]s. A compare-and-set that failed changed
//! nothing: it is exactly a read of the value it saw. One that succeeded read its expected value and
//! wrote its new one with nothing in between — an *update* — and so is every append (it read the
//! string and wrote it longer). A compare-and-set or append that never returned may have done so, or
//! not: an update that never returned, loose like a write.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use crate::history::Operation;
use crate::ids::{ClientId, Time};
use crate::op::{Key, OpKind, Value};
use crate::text::escape;

mod appends;
mod parts;
mod role;

pub use role::{Cas, Role};

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
    pub role: Role,
    pub key: u32,
    /// The value written, or read; `None` is the initial value (nothing written). For an update: a
    /// compare-and-set's new value, an append's element.
    pub value: Option<u32>,
    /// For a compare-and-set, its arguments (a failed one's `value` is what it saw instead).
    pub cas: Option<Cas>,
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
    /// A put.
    pub fn is_write(&self) -> bool {
        self.role == Role::Write
    }

    /// A get, or a compare-and-set that failed.
    pub fn is_read(&self) -> bool {
        self.role == Role::Read
    }

    /// A compare-and-set that succeeded or never returned, or an append.
    pub fn is_update(&self) -> bool {
        self.role == Role::Update
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

impl RawOp {
    /// The role the operation takes ([`Role`]), `None` for a read that never returned (which
    /// constrains nothing). A compare-and-set with no expected value is taken as expecting absence.
    pub fn role(&self) -> Option<Role> {
        match self.kind {
            OpKind::Get => self.returned_at.map(|_| Role::Read),
            OpKind::Put => Some(Role::Write),
            OpKind::Append => Some(Role::Update),
            OpKind::Cas => match (&self.seen, self.returned_at) {
                (Some(_), Some(_)) => Some(Role::Read),
                _ => Some(Role::Update),
            },
        }
    }

    /// Whether it never returned but may have taken effect: a loose operation with a session of its
    /// own.
    fn is_loose(&self) -> bool {
        self.returned_at.is_none() && self.kind != OpKind::Get
    }
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
    /// The writes of each (key, value), in history order: puts, and compare-and-sets that succeeded
    /// or never returned (appends write values the history does not show).
    writers: BTreeMap<(u32, u32), Vec<OpIndex>>,
    /// How many operations are updates ([`Role::Update`]), and how many of them appends.
    updates: usize,
    appends: usize,
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
            if op.role().is_none() {
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
            // The client's session holds its operations in program order, except writes and updates
            // that never returned: each gets a session of its own, remembering what came before it.
            let mut main = Vec::with_capacity(ops.len());
            let mut loose: Vec<((usize, RawOp), Option<OpIndex>)> = Vec::new();
            let main_session = history.sessions.len() as u32;
            history.sessions.push(Vec::new());
            let mut last: Option<OpIndex> = None;
            for op in ops {
                if op.1.is_loose() {
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
        let role = op.role().unwrap_or(Role::Read);
        let key = intern(key_ids, &mut self.keys, op.key);
        let mut intern_value = |v: Value| intern(value_ids, &mut self.values, v);
        let cas = match (op.kind, &op.value) {
            (OpKind::Cas, Some(new)) => Some(Cas {
                expected: op.expected.clone().flatten().map(&mut intern_value),
                new: intern_value(new.clone()),
            }),
            _ => None,
        };
        // A failed compare-and-set is a read of what it saw.
        let value = match role {
            Role::Read if op.kind == OpKind::Cas => op.seen.flatten(),
            _ => op.value,
        };
        let value = value.map(&mut intern_value);
        let index = self.ops.len();
        self.note_writer(index, role, op.kind, key, value);
        self.ops.push(CheckOp {
            client: op.client,
            session,
            seq,
            kind: op.kind,
            role,
            key,
            value,
            cas,
            invoked_at: op.invoked_at,
            returned_at: op.returned_at,
            after,
            origin,
        });
        index
    }

    /// Counts an operation that `push` or a part adds: a write of `value`, or an update.
    fn note_writer(
        &mut self,
        index: OpIndex,
        role: Role,
        kind: OpKind,
        key: u32,
        value: Option<u32>,
    ) {
        if role == Role::Update {
            self.updates += 1;
            if kind == OpKind::Append {
                self.appends += 1;
                return;
            }
        }
        if let (Role::Write | Role::Update, Some(value)) = (role, value) {
            self.writers.entry((key, value)).or_default().push(index);
        }
    }

    /// Whether some operation is an update ([`Role::Update`]): a compare-and-set that succeeded or
    /// never returned, or an append. The checkers built on reads-from (causal, session, the
    /// sequential solver) do not take updates as they are.
    pub fn has_updates(&self) -> bool {
        self.updates > 0
    }

    /// Whether some operation is an append, whose written value the history does not show.
    pub fn has_appends(&self) -> bool {
        self.appends > 0
    }

    /// A value's text, unescaped (`None`: the initial value).
    pub fn value_text(&self, value: u32) -> &Value {
        &self.values[value as usize]
    }

    /// How many distinct values are interned.
    pub fn value_count(&self) -> usize {
        self.values.len()
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
            Some(v) if self.values[v as usize].is_empty() => Cow::Borrowed("\"\""),
            Some(v) => escape(&self.values[v as usize]),
            None => Cow::Borrowed("null"),
        }
    }

    /// The writes of `value` to `key`: puts and compare-and-sets that succeeded or never returned
    /// (not appends).
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
        let key = self.key_name(op.key);
        let what = match (op.kind, op.cas) {
            (OpKind::Cas, Some(cas)) => {
                let asked = format!(
                    "cas {key} {}→{}",
                    self.value_name(cas.expected),
                    self.value_name(Some(cas.new))
                );
                match (op.role, op.returned_at) {
                    // (A read of what it expected is the first half of one that succeeded, split.)
                    (Role::Read, _) if op.value != cas.expected => {
                        format!("{asked} -> failed, saw {}", self.value_name(op.value))
                    }
                    (_, Some(_)) => format!("{asked} -> ok"),
                    (_, None) => asked,
                }
            }
            (OpKind::Append, _) => format!("append {key} += {}", self.value_name(op.value)),
            (OpKind::Put, _) => format!("put {key} = {}", self.value_name(op.value)),
            _ => format!("get {key} -> {}", self.value_name(op.value)),
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

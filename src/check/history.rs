//! The checkers' view of a history: operations with keys and values interned to small numbers, each
//! client's operations in program order, and who wrote each value.
//!
//! Reads that never returned are left out: they constrain nothing. Writes that never returned stay:
//! they may or may not have taken effect, and each checker says how it treats them.

use std::collections::{BTreeMap, HashMap};

use crate::history::Operation;
use crate::ids::{ClientId, Time};
use crate::op::OpKind;

/// The position of an operation in [`CheckHistory::ops`].
pub type OpIndex = usize;

/// One operation, as the checkers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckOp {
    pub client: ClientId,
    /// The client's session number: its position in [`CheckHistory::sessions`].
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
    pub key: String,
    pub value: Option<String>,
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
    /// Each client's operations in program order; indexed by [`CheckOp::session`].
    pub sessions: Vec<Vec<OpIndex>>,
    keys: Vec<String>,
    values: Vec<String>,
    /// The writes of each (key, value), in history order.
    writers: BTreeMap<(u32, u32), Vec<OpIndex>>,
}

impl CheckHistory {
    /// Builds the checkers' view. Program order is each client's operations sorted by invocation time
    /// (ties keep the given order).
    pub fn new(raw: impl IntoIterator<Item = RawOp>) -> Self {
        let mut history = CheckHistory::default();
        let mut key_ids: HashMap<String, u32> = HashMap::new();
        let mut value_ids: HashMap<String, u32> = HashMap::new();
        let mut session_of: BTreeMap<ClientId, u32> = BTreeMap::new();
        let mut by_session: Vec<Vec<RawOp>> = Vec::new();
        for op in raw {
            if op.kind == OpKind::Get && op.returned_at.is_none() {
                continue;
            }
            let next = session_of.len() as u32;
            let session = *session_of.entry(op.client).or_insert(next);
            if session as usize == by_session.len() {
                by_session.push(Vec::new());
            }
            by_session[session as usize].push(op);
        }
        for (session, mut ops) in by_session.into_iter().enumerate() {
            ops.sort_by_key(|op| op.invoked_at);
            let mut indexes = Vec::with_capacity(ops.len());
            for (seq, op) in ops.into_iter().enumerate() {
                let key = intern(&mut key_ids, &mut history.keys, op.key);
                let value = op
                    .value
                    .map(|v| intern(&mut value_ids, &mut history.values, v));
                let index = history.ops.len();
                if op.kind == OpKind::Put {
                    if let Some(value) = value {
                        history.writers.entry((key, value)).or_default().push(index);
                    }
                }
                history.ops.push(CheckOp {
                    client: op.client,
                    session: session as u32,
                    seq: seq as u32,
                    kind: op.kind,
                    key,
                    value,
                    invoked_at: op.invoked_at,
                    returned_at: op.returned_at,
                });
                indexes.push(index);
            }
            history.sessions.push(indexes);
        }
        history
    }

    /// The checkers' view of a simulated run's history.
    pub fn from_run(history: &[Operation]) -> Self {
        CheckHistory::new(history.iter().map(RawOp::from))
    }

    /// How many distinct keys the history touches.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// How many distinct values it writes or reads.
    pub fn value_count(&self) -> usize {
        self.values.len()
    }

    pub fn key_name(&self, key: u32) -> &str {
        &self.keys[key as usize]
    }

    pub fn value_name(&self, value: Option<u32>) -> &str {
        match value {
            Some(v) => &self.values[v as usize],
            None => "null",
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

fn intern(ids: &mut HashMap<String, u32>, names: &mut Vec<String>, name: String) -> u32 {
    if let Some(&id) = ids.get(&name) {
        return id;
    }
    let id = names.len() as u32;
    ids.insert(name.clone(), id);
    names.push(name);
    id
}

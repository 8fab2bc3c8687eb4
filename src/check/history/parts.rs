//! Parts of a history, each checked as a history of its own: the independent parts (no shared key or
//! client), a part made of whole sessions, a sub-history of any operations (what a witness is checked
//! as), and the history plus phantom writes for values read but never written.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::appends::AppendSeen;
use super::{intern, Cas, CheckHistory, CheckOp, OpIndex, RawOp, Role};
use crate::ids::ClientId;
use crate::op::{Key, OpKind, Value};

/// The client of a phantom write: none of the history's.
const PHANTOM_CLIENT: ClientId = ClientId(u32::MAX);

impl CheckHistory {
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
            let mut intern_value = |v: u32| {
                intern(
                    &mut value_ids,
                    &mut part.values,
                    self.values[v as usize].clone(),
                )
            };
            let cas = op.cas.map(|cas| Cas {
                expected: cas.expected.map(&mut intern_value),
                new: intern_value(cas.new),
            });
            let index = part.ops.len();
            part.note_writer(index, op.role, op.kind, key, value);
            part.ops.push(CheckOp {
                session,
                key,
                value,
                cas,
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

    /// The history plus one *phantom* write for each (key, value) that some read returned but no
    /// write wrote: a write the history does not show, by no client, that never returned and follows
    /// nothing — so, like any write that never returned, it is causally before its readers and after
    /// nothing known. Phantoms come after every real operation and are never named as witnesses.
    /// Borrowed, not copied, when every value read was written.
    pub fn with_phantom_writes(&self) -> Cow<'_, CheckHistory> {
        let mut thin_air: BTreeSet<(u32, u32)> = BTreeSet::new();
        for op in &self.ops {
            if let (true, Some(value)) = (op.is_read(), op.value) {
                if self.writers(op.key, value).is_empty() {
                    thin_air.insert((op.key, value));
                }
            }
        }
        if thin_air.is_empty() {
            return Cow::Borrowed(self);
        }
        let mut history = self.clone();
        for (key, value) in thin_air {
            let index = history.ops.len();
            let session = history.sessions.len() as u32;
            history.writers.insert((key, value), vec![index]);
            history.ops.push(CheckOp {
                client: PHANTOM_CLIENT,
                session,
                seq: 0,
                kind: OpKind::Put,
                role: Role::Write,
                key,
                value: Some(value),
                cas: None,
                invoked_at: 0,
                returned_at: None,
                after: None,
                origin: usize::MAX,
            });
            history.sessions.push(vec![index]);
            history.phantoms += 1;
        }
        Cow::Owned(history)
    }

    /// Whether an operation is a phantom write ([`CheckHistory::with_phantom_writes`]).
    pub fn is_phantom(&self, index: OpIndex) -> bool {
        index >= self.ops.len() - self.phantoms
    }

    /// An operation as it was given to [`CheckHistory::new`] (a phantom write as it would be).
    pub fn raw_op(&self, index: OpIndex) -> RawOp {
        let op = &self.ops[index];
        let text = |v: Option<u32>| v.map(|v| self.values[v as usize].clone());
        // A half of a compare-and-set split by `split_updates` is the read or write it stands for.
        let expected = op.cas.map(|cas| cas.expected);
        let half = match op.role {
            Role::Write => op.cas.is_some(),
            Role::Read => expected.is_some_and(|expected| op.value == expected),
            Role::Update => false,
        };
        if half {
            return RawOp {
                client: op.client,
                kind: if op.role == Role::Write {
                    OpKind::Put
                } else {
                    OpKind::Get
                },
                key: self.keys[op.key as usize].clone(),
                value: text(op.value),
                expected: None,
                seen: None,
                invoked_at: op.invoked_at,
                returned_at: op.returned_at,
            };
        }
        let failed = op.role == Role::Read && op.cas.is_some();
        RawOp {
            client: op.client,
            kind: op.kind,
            key: self.keys[op.key as usize].clone(),
            value: match op.cas {
                Some(cas) => text(Some(cas.new)),
                None => text(op.value),
            },
            expected: op.cas.map(|cas| text(cas.expected)),
            seen: failed.then(|| text(op.value)),
            invoked_at: op.invoked_at,
            returned_at: op.returned_at,
        }
    }

    /// The history with each compare-and-set that succeeded split into a read of its expected value
    /// and then, in the same session, a write of its new value, and each append the values read
    /// observe into a read of the string it built on and a write of the string it made (see
    /// `appends.rs`): the view of the checkers built on
    /// reads and writes (causal, session), for which a compare-and-set is evaluated at one replica,
    /// on the value it holds, like a read followed by a write. A compare-and-set that never returned
    /// and whose new value nobody read is left out (it may never have happened, and nothing follows
    /// it); one whose value was read becomes a write that never returned, without its read — a
    /// relaxation, so the second part of the answer says whether the split history only bounds the
    /// real one (a broken verdict stands, a holding one is unknown). Each half keeps the
    /// compare-and-set's input position and words.
    ///
    /// An append that returned but whose element no value read holds becomes a write, of its element,
    /// that nobody reads, without its read: that read could have returned the newest write to its key
    /// in its causal past (absence if none), which adds no causal edge and misses nothing the session
    /// guarantees ask of it, so dropping it hides and invents no violation. An append that never
    /// returned is treated as a compare-and-set that never returned: left out when unobserved, a
    /// write alone (a relaxation) when observed. An error names why there is no such view: the values
    /// read do not say what each append wrote.
    pub fn split_updates(&self) -> Result<(CheckHistory, bool), String> {
        let appends = if self.has_appends() {
            self.appends_seen()?
        } else {
            Vec::new()
        };
        // What is read: by reads, and by updates (what a compare-and-set expected).
        let read: BTreeSet<(u32, Option<u32>)> = self
            .ops
            .iter()
            .filter_map(|op| match (op.role, op.cas) {
                (Role::Read, _) => Some((op.key, op.value)),
                (Role::Update, Some(cas)) => Some((op.key, cas.expected)),
                _ => None,
            })
            .collect();
        let mut order: Vec<OpIndex> = (0..self.ops.len())
            .filter(|&i| !self.is_phantom(i))
            .collect();
        order.sort_by_key(|&i| self.ops[i].origin);
        let text = |v: Option<u32>| v.map(|v| self.values[v as usize].clone());
        let mut rows: Vec<(RawOp, OpIndex)> = Vec::new();
        let mut relaxed = false;
        for i in order {
            let op = &self.ops[i];
            let raw = self.raw_op(i);
            match (op.role, op.cas) {
                (Role::Update, Some(cas)) if op.completed() => {
                    let half = |kind, value| RawOp {
                        kind,
                        value,
                        expected: None,
                        seen: None,
                        ..raw.clone()
                    };
                    rows.push((half(OpKind::Get, text(cas.expected)), i));
                    rows.push((half(OpKind::Put, text(Some(cas.new))), i));
                }
                (Role::Update, Some(cas)) => {
                    if read.contains(&(op.key, Some(cas.new))) {
                        relaxed = true;
                        let write = RawOp {
                            kind: OpKind::Put,
                            expected: None,
                            seen: None,
                            ..raw
                        };
                        rows.push((write, i));
                    }
                }
                (Role::Update, None) => {
                    let half = |kind, value: Value| RawOp {
                        kind,
                        value: Some(value),
                        expected: None,
                        seen: None,
                        ..raw.clone()
                    };
                    match &appends[i] {
                        Some(AppendSeen::Observed { read, written }) if op.completed() => {
                            let get = RawOp {
                                value: read.clone(),
                                ..half(OpKind::Get, written.clone())
                            };
                            rows.push((get, i));
                            rows.push((half(OpKind::Put, written.clone()), i));
                        }
                        Some(AppendSeen::Observed { written, .. }) => {
                            relaxed = true;
                            rows.push((half(OpKind::Put, written.clone()), i));
                        }
                        // What it read is seen by nobody, so it is left out; what it wrote is its
                        // element, which no value read is (else the element would be observed).
                        _ if op.completed() => {
                            let element =
                                self.values[op.value.expect("an element") as usize].clone();
                            rows.push((half(OpKind::Put, element), i));
                        }
                        _ => {}
                    }
                }
                _ => rows.push((raw, i)),
            }
        }
        let mut split = CheckHistory::new(rows.iter().map(|(raw, _)| raw.clone()));
        let mut ids: HashMap<Key, u32> = split
            .values
            .iter()
            .enumerate()
            .map(|(id, v)| (v.clone(), id as u32))
            .collect();
        for k in 0..split.ops.len() {
            let original = &self.ops[rows[split.ops[k].origin].1];
            split.ops[k].origin = original.origin;
            if let Some(cas) = original.cas {
                let mut id =
                    |v: u32| intern(&mut ids, &mut split.values, self.values[v as usize].clone());
                let cas = Cas {
                    expected: cas.expected.map(&mut id),
                    new: id(cas.new),
                };
                split.ops[k].kind = OpKind::Cas;
                split.ops[k].cas = Some(cas);
            }
        }
        Ok((split, relaxed))
    }

    /// The history of just some operations, as if the input had held only their rows (in input
    /// order): what a witness ([`crate::check::Verdict::operations`]) is checked as. Each operation keeps
    /// its input position ([`CheckOp::origin`]), so a witness found in the part names the
    /// operations of the whole. Phantoms are left out.
    pub fn sub_history(&self, ops: &[OpIndex]) -> CheckHistory {
        let mut rows: Vec<OpIndex> = ops
            .iter()
            .copied()
            .filter(|&i| !self.is_phantom(i))
            .collect();
        rows.sort_by_key(|&i| self.ops[i].origin);
        rows.dedup();
        let mut part = CheckHistory::new(rows.iter().map(|&i| self.raw_op(i)));
        for op in &mut part.ops {
            op.origin = self.ops[rows[op.origin]].origin;
        }
        part
    }
}

//! What each append read and wrote, as the values read show it: the piece of the split view
//! ([`CheckHistory::split_updates`]) that the history does not write down for an append.
//!
//! An append that took effect wrote `P + e`, where `P` is the string it read and `e` its element. When
//! the elements appended to a key are distinct and a value read there is, in exactly one way, a string
//! of distinct elements `e1 e2 … ek`, that value was written by the append of `ek`, which read
//! `e1 … e(k-1)` — and every append of an `ei` in it wrote `e1 … ei`. kvsim's generated elements
//! (`0.3;`) end in a delimiter, so their strings split in one way only.
//!
//! ```text
//! read x = "a;b;c;"   ->   append c; read "a;b;" and wrote "a;b;c;"
//!                          append b; read "a;"   and wrote "a;b;"
//!                          append a; read absent and wrote "a;"
//! ```

use std::collections::HashMap;

use super::{CheckHistory, OpIndex, Role};
use crate::op::{OpKind, Value};
use crate::text::escape;

/// What an append did, as far as the values read say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum AppendSeen {
    /// Some value read holds its element: it read `read` (`None`: the key absent) and wrote
    /// `written`.
    Observed { read: Option<Value>, written: Value },
    /// No value read holds its element: what it read and wrote is seen by nobody.
    Unobserved,
}

/// How many ways `text` splits into a string of `elements`, counting at most two; `None` when none.
/// With exactly one, also the elements' positions in `elements`, in order. Repeats are counted here
/// and refused by the caller.
fn splits(text: &str, elements: &[&str]) -> (usize, Vec<usize>) {
    let bytes = text.len();
    // ways[i]: how many ways text[i..] splits (capped at 2); first[i]: the first element of one.
    let mut ways = vec![0usize; bytes + 1];
    let mut first = vec![usize::MAX; bytes + 1];
    ways[bytes] = 1;
    for i in (0..bytes).rev() {
        for (at, element) in elements.iter().enumerate() {
            if !element.is_empty() && text[i..].starts_with(element) {
                let rest = ways[i + element.len()];
                if rest > 0 {
                    ways[i] = (ways[i] + rest).min(2);
                    first[i] = at;
                }
            }
        }
    }
    if bytes == 0 || ways[0] != 1 {
        return (if bytes == 0 { 0 } else { ways[0] }, Vec::new());
    }
    let mut path = Vec::new();
    let mut i = 0;
    while i < bytes {
        path.push(first[i]);
        i += elements[first[i]].len();
    }
    (1, path)
}

impl CheckHistory {
    /// For each operation, what it did if it is an append ([`AppendSeen`]); `None` for the others. An
    /// error names why the values read do not say it: a key both appended to and put or
    /// compare-and-set, an element appended twice to one key (or empty), a value read that splits into
    /// appends in more than one way, or two values read that make one append write two strings.
    pub(super) fn appends_seen(&self) -> Result<Vec<Option<AppendSeen>>, String> {
        // Each key's appends: element text -> the append.
        let mut appends: HashMap<u32, Vec<(&str, OpIndex)>> = HashMap::new();
        for (i, op) in self.ops.iter().enumerate() {
            if op.kind == OpKind::Append {
                let element = self.value_text(op.value.expect("an append's element"));
                appends.entry(op.key).or_default().push((element, i));
            }
        }
        for (&key, list) in &appends {
            let key_name = self.key_name(key);
            for (k, &(element, _)) in list.iter().enumerate() {
                if element.is_empty() {
                    return Err(format!("an empty string is appended to key {key_name}, so the values read there do not say which appends they hold"));
                }
                if list[..k].iter().any(|&(other, _)| other == element) {
                    return Err(format!(
                        "the element {} is appended to key {key_name} more than once, so a value read there does not say which append wrote it",
                        escape(element)
                    ));
                }
            }
        }
        let mut seen: Vec<Option<AppendSeen>> = self
            .ops
            .iter()
            .map(|op| (op.kind == OpKind::Append).then_some(AppendSeen::Unobserved))
            .collect();
        for op in &self.ops {
            let Some(list) = appends.get(&op.key) else {
                continue;
            };
            let key_name = self.key_name(op.key);
            if op.kind != OpKind::Append && op.role != Role::Read {
                return Err(format!("key {key_name} has both appends and puts or compare-and-sets that wrote, so a value read there does not split into appends alone"));
            }
            let (true, Some(value)) = (op.is_read(), op.value) else {
                continue;
            };
            let text = self.value_text(value);
            let elements: Vec<&str> = list.iter().map(|&(element, _)| element).collect();
            let (ways, path) = splits(text, &elements);
            if ways > 1 {
                return Err(format!(
                    "the value {} of key {key_name} splits into appends in more than one way",
                    escape(text)
                ));
            }
            let distinct = path
                .iter()
                .enumerate()
                .all(|(k, at)| !path[..k].contains(at));
            if ways == 0 || !distinct {
                // No append made it: a value from nowhere, judged as such.
                continue;
            }
            let mut end = 0;
            for &at in &path {
                let start = end;
                end += elements[at].len();
                let observed = AppendSeen::Observed {
                    read: (start > 0).then(|| text[..start].into()),
                    written: text[..end].into(),
                };
                let slot = &mut seen[list[at].1];
                match slot {
                    Some(AppendSeen::Observed { written, .. }) if **written != text[..end] => {
                        return Err(format!(
                            "the append of {} to key {key_name} would have written both {} and {}, but an append writes once",
                            escape(elements[at]),
                            escape(written),
                            escape(&text[..end])
                        ));
                    }
                    _ => *slot = Some(observed),
                }
            }
        }
        Ok(seen)
    }
}

impl CheckHistory {
    /// What a witness holding the appends at input positions `origins` must hold too, so that it
    /// shows alone what those appends read: for each one that returned and whose element a value
    /// read holds, the read of the shortest such value and every append that value holds (input
    /// positions, each once). Without them, a part of the history would see that append unobserved,
    /// and drop its read.
    pub fn append_observers(&self, origins: &[usize]) -> Vec<usize> {
        let Ok(seen) = self.appends_seen() else {
            return Vec::new();
        };
        let mut extra: Vec<usize> = Vec::new();
        for (i, op) in self.ops.iter().enumerate() {
            let observed = matches!(seen[i], Some(AppendSeen::Observed { .. }));
            if !observed || !op.completed() || !origins.contains(&op.origin) {
                continue;
            }
            let appends: Vec<OpIndex> = (0..self.ops.len())
                .filter(|&a| self.ops[a].kind == OpKind::Append && self.ops[a].key == op.key)
                .collect();
            let elements: Vec<&str> = appends
                .iter()
                .map(|&a| &**self.value_text(self.ops[a].value.expect("an element")))
                .collect();
            let mut best: Option<(usize, OpIndex, Vec<usize>)> = None;
            for (r, read) in self.ops.iter().enumerate() {
                let (true, true, Some(value)) = (read.is_read(), read.key == op.key, read.value)
                else {
                    continue;
                };
                let text = self.value_text(value);
                let (ways, path) = splits(text, &elements);
                let holds = path.iter().any(|&at| appends[at] == i);
                if ways == 1 && holds && best.as_ref().is_none_or(|b| text.len() < b.0) {
                    best = Some((text.len(), r, path));
                }
            }
            if let Some((_, r, path)) = best {
                extra.push(self.ops[r].origin);
                extra.extend(path.iter().map(|&at| self.ops[appends[at]].origin));
            }
        }
        extra.retain(|o| !origins.contains(o));
        extra.sort_unstable();
        extra.dedup();
        extra
    }
}

#[cfg(test)]
mod tests {
    use super::splits;

    #[test]
    fn self_delimiting_elements_split_one_way() {
        assert_eq!(splits("a;b;", &["b;", "a;", "c;"]), (1, vec![1, 0]));
        assert_eq!(splits("a;d;", &["b;", "a;"]).0, 0);
        assert_eq!(splits("", &["a;"]).0, 0);
    }

    #[test]
    fn elements_that_are_not_self_delimiting_may_split_two_ways() {
        assert_eq!(splits("aaa", &["a", "aa"]).0, 2);
    }
}

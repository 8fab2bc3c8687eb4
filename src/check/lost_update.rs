//! The lost update, found cheaply: two compare-and-sets that both succeeded from the same value,
//! which only one write made (or from absence, which nothing brings back: there is no delete). Each
//! read that value and wrote another, so in any one order of the operations the second found the
//! first's value instead: neither linearizability nor sequential consistency allows it. Causal
//! consistency does — each client's replica evaluated its compare-and-set on the value it held.
//!
//! ```text
//! A: put x=1
//! B: cas x 1→2 -> ok
//! C: cas x 1→3 -> ok      B's and C's writes cannot both follow the one write of 1
//! ```
//!
//! An append whose element a later read lacks is found too ([`lost_append`]), where nothing but
//! appends wrote the key since: appends only add to the end, so every later value holds the element.

use std::collections::BTreeMap;

use super::history::{CheckHistory, OpIndex, Role};
use super::{glossary, Verdict};
use crate::ids::Time;
use crate::op::OpKind;

/// The first lost update, with the operations that show it (they alone break sequential
/// consistency, and so linearizability).
pub fn lost_update(history: &CheckHistory) -> Option<(Verdict, Vec<OpIndex>)> {
    let mut appended_keys = vec![false; history.key_count()];
    for op in &history.ops {
        if op.kind == OpKind::Append {
            appended_keys[op.key as usize] = true;
        }
    }
    // (key, expected) -> the compare-and-sets that succeeded from it and wrote something else.
    let mut from: BTreeMap<(u32, Option<u32>), Vec<OpIndex>> = BTreeMap::new();
    for (i, op) in history.ops.iter().enumerate() {
        let Some(cas) = op.cas else { continue };
        // An append could make any string again.
        if op.is_update()
            && op.completed()
            && !appended_keys[op.key as usize]
            && cas.expected != Some(cas.new)
        {
            from.entry((op.key, cas.expected)).or_default().push(i);
        }
    }
    for ((key, expected), cases) in from {
        let [first, second, ..] = cases[..] else {
            continue;
        };
        let source = match expected {
            None => None,
            Some(v) => match history.writers(key, v) {
                [w] => Some(*w),
                _ => continue,
            },
        };
        let (a, b) = (&history.ops[first], &history.ops[second]);
        let cas_words = |i: OpIndex| {
            let op = &history.ops[i];
            let cas = op.cas.expect("a compare-and-set");
            format!(
                "{}'s cas {} {}→{}",
                op.client,
                history.key_name(key),
                history.value_name(cas.expected),
                history.value_name(Some(cas.new))
            )
        };
        let mut witness = vec![format!(
            "{} and {} both succeeded",
            cas_words(first),
            cas_words(second)
        )];
        witness.push(format!("  {}", history.describe(first)));
        witness.push(format!("  {}", history.describe(second)));
        let from_what = match source {
            None => "absent, and nothing deletes a key".to_string(),
            Some(w) => format!("written only by {}", history.describe(w)),
        };
        witness.push(format!(
            "each found {} {from_what}; whichever came second would have found the other's value",
            history.value_name(expected)
        ));
        debug_assert!(a.key == b.key);
        let ops: Vec<OpIndex> = [first, second].into_iter().chain(source).collect();
        let verdict =
            Verdict::broken_by(glossary::LOST_UPDATE, witness, history, ops.iter().copied());
        return Some((verdict, ops));
    }
    None
}

/// How many of the latest appends before each read [`lost_append`] compares it with.
const LOST_APPEND_WINDOW: usize = 8;

/// The first append that succeeded while a later read of its key lacks its element, with the
/// operations that show it (which break the property alone). Later means, with `real_time`
/// (linearizability), invoked after the append returned — and then the read's value must also start
/// with the value of none of the other writes (puts, compare-and-sets) that could come between the
/// two, which are named too (at most a few); without (sequential consistency), after it in the same
/// client, on a key only appends write. Only the last few appends before each read are compared,
/// which keeps this linear.
pub fn lost_append(history: &CheckHistory, real_time: bool) -> Option<(Verdict, Vec<OpIndex>)> {
    // Per key: when the last put or compare-and-set returned (`Time::MAX`: one never did).
    let mut last_reset: Vec<Option<Time>> = vec![None; history.key_count()];
    for op in &history.ops {
        if op.kind != OpKind::Append && !op.is_read() {
            let returned = op.returned_at.unwrap_or(Time::MAX);
            let slot = &mut last_reset[op.key as usize];
            *slot = Some(slot.map_or(returned, |t| t.max(returned)));
        }
    }
    // Per key, the writes other than appends (puts, compare-and-sets that may have succeeded): after
    // one, the key holds its value and then only what appends add.
    let mut resets: Vec<Vec<OpIndex>> = vec![Vec::new(); history.key_count()];
    for (i, op) in history.ops.iter().enumerate() {
        if op.kind != OpKind::Append && !op.is_read() {
            resets[op.key as usize].push(i);
        }
    }
    let mut appends: Vec<OpIndex> = (0..history.ops.len())
        .filter(|&i| {
            let op = &history.ops[i];
            op.kind == OpKind::Append
                && op.completed()
                && (real_time || last_reset[op.key as usize].is_none())
        })
        .collect();
    if appends.is_empty() {
        return None;
    }
    appends.sort_by_key(|&a| history.ops[a].returned_at);
    let lacks = |a: OpIndex, r: OpIndex| {
        let element = history.value_text(history.ops[a].value.expect("an element"));
        history.ops[r]
            .value
            .is_none_or(|v| !history.value_text(v).contains(element.as_ref()))
    };
    for (r, read) in history.ops.iter().enumerate() {
        if read.role != Role::Read {
            continue;
        }
        let candidates: Vec<OpIndex> = if real_time {
            let before = appends.partition_point(|&a| {
                history.ops[a]
                    .returned_at
                    .is_some_and(|t| t < read.invoked_at)
            });
            appends[..before]
                .iter()
                .rev()
                .filter(|&&a| history.ops[a].key == read.key)
                .take(LOST_APPEND_WINDOW)
                .copied()
                .collect()
        } else {
            let session = &history.sessions[read.session as usize];
            session[..read.seq as usize]
                .iter()
                .rev()
                .filter(|&&a| {
                    let op = &history.ops[a];
                    op.key == read.key
                        && op.kind == OpKind::Append
                        && last_reset[op.key as usize].is_none()
                })
                .take(LOST_APPEND_WINDOW)
                .copied()
                .collect()
        };
        // With real time, the writes that could come between the append and the read: the read's
        // value must start with one of theirs to lack the element.
        let between = |a: OpIndex| -> Option<Vec<OpIndex>> {
            if !real_time {
                return Some(Vec::new());
            }
            let (append, read) = (&history.ops[a], &history.ops[r]);
            let between: Vec<OpIndex> = resets[read.key as usize]
                .iter()
                .copied()
                .filter(|&p| {
                    let p = &history.ops[p];
                    p.returned_at.is_none_or(|t| t >= append.invoked_at)
                        && read.returned_at.is_none_or(|t| p.invoked_at <= t)
                })
                .collect();
            let read_text = read.value.map(|v| history.value_text(v));
            let explains = |p: OpIndex| {
                let op = &history.ops[p];
                let written = op.cas.map_or(op.value, |cas| Some(cas.new));
                match (read_text, written) {
                    (Some(text), Some(w)) => text.starts_with(history.value_text(w).as_ref()),
                    _ => false,
                }
            };
            (between.len() <= LOST_APPEND_WINDOW && !between.iter().any(|&p| explains(p)))
                .then_some(between)
        };
        let Some((a, between)) = candidates
            .iter()
            .filter(|&&a| lacks(a, r))
            .find_map(|&a| between(a).map(|between| (a, between)))
        else {
            continue;
        };
        let element = history.value_name(history.ops[a].value);
        let witness = if real_time {
            vec![
                format!(
                    "{} returned before {} began, yet that read lacks the element {element}",
                    history.describe(a),
                    history.describe(r)
                ),
                if between.is_empty() {
                    "appends only add to the end, and nothing else wrote the key in between, so every later value holds the element".to_string()
                } else {
                    let writes: Vec<String> =
                        between.iter().map(|&p| history.describe(p)).collect();
                    format!(
                        "appends only add to the end, and the read's value starts with the value of none of the writes that could come in between: {}",
                        writes.join("; ")
                    )
                },
            ]
        } else {
            vec![
                format!(
                    "{} and then, in the same client, {}, which lacks the element {element}",
                    history.describe(a),
                    history.describe(r)
                ),
                "appends only add to the end, and nothing else writes the key, so every value after the append holds the element".to_string(),
            ]
        };
        let ops: Vec<OpIndex> = [a, r].into_iter().chain(between).collect();
        let verdict =
            Verdict::broken_by(glossary::LOST_UPDATE, witness, history, ops.iter().copied());
        return Some((verdict, ops));
    }
    None
}

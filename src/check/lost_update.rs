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

use std::collections::BTreeMap;

use super::history::{CheckHistory, OpIndex};
use super::{glossary, Verdict};
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

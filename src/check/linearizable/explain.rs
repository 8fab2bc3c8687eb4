//! A linearizability witness in words: a named anomaly's, when the few operations a shrink left are one;
//! else each operation, labelled, with the real-time order between them and which write each read saw
//! — the two halves of the conflict that no single order can satisfy.

use super::super::history::{CheckHistory, OpIndex};
use super::super::Verdict;
use super::named;
use crate::check::glossary;

/// The verdict naming `ops`: a named anomaly's words when the witness is one, else each operation and
/// the real-time order that, with the values read, no single order can satisfy.
/// `minimal` is `Err((rechecks, steps))` when the shrink stopped at that budget.
pub(super) fn explain(
    history: &CheckHistory,
    ops: &[OpIndex],
    minimal: Result<(), (u32, u64)>,
) -> Verdict {
    let part = history.sub_history(ops);
    let mut by_key: Vec<Vec<OpIndex>> = vec![Vec::new(); part.key_count()];
    for (i, op) in part.ops.iter().enumerate() {
        by_key[op.key as usize].push(i);
    }
    let origins = history.origins(ops.iter().copied());
    let mut verdict = match named::named_anomaly(&part, &by_key) {
        Some((named, _)) if named.operations == origins => named,
        _ => real_time_violation(&part, history, ops),
    };
    if let Err((rechecks, steps)) = minimal {
        verdict.witness.push(format!(
            "(a smaller witness may exist: shrinking this one stopped at its budget of {rechecks} re-checks and {steps} search steps)"
        ));
    }
    verdict
}

/// How many operations a witness labels (a) to (z); a bigger one is only a shrink that gave up.
const LABELLED: usize = 26;

/// The witness of a shrink that gave up with more than [`LABELLED`] operations: the first few, and how
/// many more `operations` lists.
fn too_many_to_label(
    part: &CheckHistory,
    history: &CheckHistory,
    ops: &[OpIndex],
    order: &[OpIndex],
) -> Verdict {
    const SHOWN: usize = 10;
    let mut witness = vec![format!(
        "no order of these {} operations respects real time and program order and gives every read \
         the last value written before it; the first {SHOWN}:",
        order.len()
    )];
    for &i in &order[..SHOWN] {
        witness.push(format!("  {}", part.describe(i)));
    }
    witness.push(format!(
        "and {} more (all of them in the verdict's operations)",
        order.len() - SHOWN
    ));
    Verdict::broken_by(
        glossary::REAL_TIME_VIOLATION,
        witness,
        history,
        ops.iter().copied(),
    )
}

/// The witness of a conflict the named anomalies do not cover: the operations, labelled (a), (b), …
/// in order of invocation, and which must come before which.
fn real_time_violation(part: &CheckHistory, history: &CheckHistory, ops: &[OpIndex]) -> Verdict {
    let mut order: Vec<OpIndex> = (0..part.ops.len()).collect();
    order.sort_by_key(|&i| (part.ops[i].invoked_at, part.ops[i].origin));
    if order.len() > LABELLED {
        return too_many_to_label(part, history, ops, &order);
    }
    let label = |i: OpIndex| {
        let at = order.iter().position(|&j| j == i).unwrap_or(0);
        format!("({})", char::from(b'a' + at as u8))
    };
    let before = |a: OpIndex, b: OpIndex| {
        let (x, y) = (&part.ops[a], &part.ops[b]);
        x.returned_at.is_some_and(|t| t < y.invoked_at)
            || (x.session == y.session && x.seq < y.seq)
            || y.after == Some(a)
    };
    let mut keys: Vec<String> = order
        .iter()
        .map(|&i| part.key_name(part.ops[i].key).into_owned())
        .collect();
    keys.dedup();
    keys.sort();
    keys.dedup();
    let mut witness = vec![format!(
        "no order of these {} operations on {} respects real time and program order and gives every \
         read the last value written before it:",
        order.len(),
        keys.join(" and ")
    )];
    for &i in &order {
        witness.push(format!("  {} {}", label(i), part.describe(i)));
    }
    // Only the orders not implied by others: a before c is left out when a before b before c.
    let mut musts = Vec::new();
    for &a in &order {
        for &b in &order {
            if before(a, b) && !order.iter().any(|&c| before(a, c) && before(c, b)) {
                musts.push(format!("{} before {}", label(a), label(b)));
            }
        }
    }
    if musts.is_empty() {
        witness.push("all of them overlap in time".to_string());
    } else {
        witness.push(format!("these must come in order: {}", musts.join(", ")));
    }
    // Which write each read saw, by label: the other half of the conflict.
    let mut sources = Vec::new();
    for &r in order.iter().filter(|&&i| part.ops[i].is_read()) {
        let op = &part.ops[r];
        let seen = match op.value {
            None => "the initial value".to_string(),
            Some(v) => {
                let writers: Vec<String> =
                    part.writers(op.key, v).iter().map(|&w| label(w)).collect();
                if writers.is_empty() {
                    format!(
                        "{}, which only appends could have made",
                        part.value_name(Some(v))
                    )
                } else {
                    format!("the value of {}", writers.join(" or "))
                }
            }
        };
        sources.push(format!("{} returned {seen}", label(r)));
    }
    if !sources.is_empty() {
        witness.push(format!("and {}", sources.join(", ")));
    }
    Verdict::broken_by(
        glossary::REAL_TIME_VIOLATION,
        witness,
        history,
        ops.iter().copied(),
    )
}

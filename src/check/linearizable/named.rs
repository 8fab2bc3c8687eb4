//! The real-time anomalies a student can name, found cheaply before the linearizability search: a
//! read of a value never written, a read of a value written only after it, and stale reads — a value
//! already overwritten by a write that completed before the read began, or an older value seen after
//! a newer one; and two compare-and-sets that both succeeded from the same value, a lost update
//! ([`crate::check::lost_update`]). Each is a definite violation; the search in [`super`] catches
//! everything else.

use super::super::history::{CheckHistory, OpIndex};
use super::super::Verdict;
use crate::check::glossary;
use crate::ids::Time;

/// The cheap, named anomalies: a read of a value never written, a read of a value written only after
/// the read returned, and a stale read — one that returns a value already overwritten by a write that
/// completed before the read began. The first found, with the operations it names: those alone are
/// not linearizable either.
pub(super) fn named_anomaly(
    history: &CheckHistory,
    by_key: &[Vec<OpIndex>],
) -> Option<(Verdict, Vec<OpIndex>)> {
    if let Some(found) = crate::check::lost_update::lost_update(history) {
        return Some(found);
    }
    if let Some(found) = crate::check::lost_update::lost_append(history, true) {
        return Some(found);
    }
    for ops in by_key {
        // A key with appends is left to the search: the values appends made are not in the history.
        // A compare-and-set that succeeded (or never returned) counts among the writers of its new
        // value, which is all these patterns ask of a write: each rests on a value's writers all
        // being placed before (or after) some instant, and on no delete bringing absence back.
        if ops
            .iter()
            .any(|&i| history.ops[i].kind == crate::op::OpKind::Append)
        {
            if let Some(found) = shrank(history, ops) {
                return Some(found);
            }
            continue;
        }
        // Completed writes by return time, with the running maximum of their invocation times: the
        // latest-invoked write that had completed before a given instant.
        let mut writes: Vec<(Time, Time, OpIndex)> = ops
            .iter()
            .filter_map(|&i| {
                let op = &history.ops[i];
                Some((op.returned_at?, op.invoked_at, i)).filter(|_| op.is_write())
            })
            .collect();
        writes.sort();
        let mut latest: Vec<(Time, OpIndex)> = Vec::with_capacity(writes.len());
        for &(_, invoked, i) in &writes {
            let best = match latest.last() {
                Some(&(t, j)) if t >= invoked => (t, j),
                _ => (invoked, i),
            };
            latest.push(best);
        }
        for &r in ops {
            let read = &history.ops[r];
            if !read.is_read() {
                continue;
            }
            let sources: &[OpIndex] = match read.value {
                Some(v) => history.writers(read.key, v),
                None => &[],
            };
            if read.value.is_some() && sources.is_empty() {
                return Some(found(
                    glossary::READ_FROM_NOWHERE,
                    vec![format!(
                        "{} returned a value no write wrote to that key",
                        history.describe(r)
                    )],
                    history,
                    [r],
                ));
            }
            let returned = read.returned_at.unwrap_or(Time::MAX);
            if !sources.is_empty()
                && sources
                    .iter()
                    .all(|&w| history.ops[w].invoked_at > returned)
            {
                return Some(found(
                    glossary::READ_FROM_THE_FUTURE,
                    vec![
                        history.describe(r),
                        format!(
                            "returned the value of {}, which had not even begun",
                            history.describe(sources[0])
                        ),
                    ],
                    history,
                    [r, sources[0]],
                ));
            }
            // The latest-invoked write among those completed strictly before the read was invoked.
            let done = writes.partition_point(|&(ret, _, _)| ret < read.invoked_at);
            let Some(&(newest_invoked, newest)) = done.checked_sub(1).and_then(|i| latest.get(i))
            else {
                continue;
            };
            let overwritten = |w: OpIndex| {
                history.ops[w]
                    .returned_at
                    .is_some_and(|t| t < newest_invoked)
            };
            if newest_invoked != Time::MAX
                && (sources.is_empty() || sources.iter().all(|&w| overwritten(w)))
            {
                let mut witness = vec![
                    history.describe(r),
                    format!(
                        "but {} had completed at t={}, before the read began",
                        history.describe(newest),
                        history.ops[newest].returned_at.unwrap_or_default()
                    ),
                ];
                let mut ops = vec![r, newest];
                if let Some(&w) = sources.first() {
                    witness.push(format!(
                        "and it overwrote the value read, from {}",
                        history.describe(w)
                    ));
                    ops.push(w);
                }
                return Some(found(glossary::STALE_READ, witness, history, ops));
            }
        }
        if let Some(verdict) = went_back(history, ops) {
            return Some(verdict);
        }
    }
    None
}

/// A named anomaly's verdict, with the operations it names (which break linearizability alone).
fn found(
    anomaly: &str,
    witness: Vec<String>,
    history: &CheckHistory,
    ops: impl IntoIterator<Item = OpIndex>,
) -> (Verdict, Vec<OpIndex>) {
    let ops: Vec<OpIndex> = ops.into_iter().collect();
    (
        Verdict::broken_by(anomaly, witness, history, ops.iter().copied()),
        ops,
    )
}

/// A stale read on a key of puts and appends: a read `r2` that began after a read `r1` returned, and
/// whose value neither extends `r1`'s nor begins with the value of a put that could come between
/// them (one that neither returned before `r1` began nor began after `r2` returned). Between the two
/// reads, appends only add to the end and each put starts afresh, so `r2`'s value must be one of
/// those; it is not, so `r2` went back in time. The witness is the two reads, the appends whose
/// elements their values hold and the puts whose values begin theirs; those alone break
/// linearizability. Like [`went_back`], each read is compared with the last few before it only.
fn shrank(history: &CheckHistory, ops: &[OpIndex]) -> Option<(Verdict, Vec<OpIndex>)> {
    use crate::op::OpKind;
    let kinds_fit = ops.iter().all(|&i| {
        matches!(
            history.ops[i].kind,
            OpKind::Append | OpKind::Get | OpKind::Put
        )
    });
    if !kinds_fit {
        return None;
    }
    let text = |i: OpIndex| -> &str { history.ops[i].value.map_or("", |v| history.value_text(v)) };
    let puts: Vec<OpIndex> = ops
        .iter()
        .copied()
        .filter(|&i| history.ops[i].kind == OpKind::Put)
        .collect();
    let mut reads: Vec<OpIndex> = ops
        .iter()
        .copied()
        .filter(|&i| history.ops[i].kind == OpKind::Get)
        .collect();
    reads.sort_by_key(|&r| (history.ops[r].returned_at, r));
    let returned: Vec<Time> = reads
        .iter()
        .map(|&r| history.ops[r].returned_at.unwrap_or(Time::MAX))
        .collect();
    for &r2 in &reads {
        let (began, ended) = (
            history.ops[r2].invoked_at,
            history.ops[r2].returned_at.unwrap_or(Time::MAX),
        );
        let before = returned.partition_point(|&t| t < began);
        for &r1 in reads[before.saturating_sub(WENT_BACK_WINDOW)..before]
            .iter()
            .rev()
        {
            if text(r2).starts_with(text(r1)) {
                continue;
            }
            let r1_began = history.ops[r1].invoked_at;
            let restarts = puts.iter().any(|&p| {
                let put = &history.ops[p];
                text(r2).starts_with(text(p))
                    && put.returned_at.is_none_or(|t| t >= r1_began)
                    && put.invoked_at <= ended
            });
            if restarts {
                continue;
            }
            let named = |i: &OpIndex| {
                let op = &history.ops[*i];
                let piece = text(*i);
                match op.kind {
                    OpKind::Append => text(r1).contains(piece) || text(r2).contains(piece),
                    OpKind::Put => text(r1).starts_with(piece) || text(r2).starts_with(piece),
                    _ => false,
                }
            };
            let writes: Vec<OpIndex> = ops.iter().copied().filter(named).collect();
            return Some(found(
                glossary::STALE_READ,
                vec![
                    history.describe(r1),
                    format!(
                        "but later {}: appends only add to the end, and no put that could come \
                         between the two reads starts that value",
                        history.describe(r2)
                    ),
                ],
                history,
                [r1, r2].into_iter().chain(writes),
            ));
        }
    }
    None
}

/// How many earlier reads [`went_back`] compares each read with.
const WENT_BACK_WINDOW: usize = 64;

/// A read that went back in time: `r1` returned `w2`'s value, and a read `r2` that began after `r1`
/// returned gives `w1`'s value (or the initial value), though `w1` had completed before `r1` began.
/// Then `w1` comes before `r1`, `w2` after `w1` (it is what `r1` saw), and `r2` after both, so `r2`
/// cannot see `w1`. Only the last few reads before each are compared, which keeps this linear; the
/// search catches the rest.
fn went_back(history: &CheckHistory, ops: &[OpIndex]) -> Option<(Verdict, Vec<OpIndex>)> {
    let sole = |r: OpIndex| -> Option<Option<OpIndex>> {
        let read = &history.ops[r];
        match read.value {
            None => Some(None),
            Some(v) => match history.writers(read.key, v) {
                [w] => Some(Some(*w)),
                _ => None,
            },
        }
    };
    let mut reads: Vec<OpIndex> = ops
        .iter()
        .copied()
        .filter(|&i| history.ops[i].is_read())
        .collect();
    reads.sort_by_key(|&r| (history.ops[r].returned_at, r));
    let returned: Vec<Time> = reads
        .iter()
        .map(|&r| history.ops[r].returned_at.unwrap_or(Time::MAX))
        .collect();
    for &r2 in &reads {
        let Some(w1) = sole(r2) else { continue };
        let w1_done = w1.map_or(0, |w| history.ops[w].returned_at.unwrap_or(Time::MAX));
        let before = returned.partition_point(|&t| t < history.ops[r2].invoked_at);
        for &r1 in reads[before.saturating_sub(WENT_BACK_WINDOW)..before]
            .iter()
            .rev()
        {
            let Some(Some(w2)) = sole(r1) else { continue };
            let overwritten = match w1 {
                None => true,
                Some(w1) => w2 != w1 && w1_done < history.ops[r1].invoked_at,
            };
            if overwritten {
                let seen = match w1 {
                    None => "nothing at all (the initial value)".to_string(),
                    Some(w1) => format!(
                        "{}, which had completed before the first read began",
                        history.describe(w1)
                    ),
                };
                return Some(found(
                    glossary::STALE_READ,
                    vec![
                        history.describe(r1),
                        format!("saw {}", history.describe(w2)),
                        format!("but later {} saw {seen}", history.describe(r2)),
                    ],
                    history,
                    [r1, w2, r2].into_iter().chain(w1),
                ));
            }
        }
    }
    None
}

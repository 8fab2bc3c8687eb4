//! The words of a session guarantee's violation, shared by both judges ([`super::clocked`] and
//! [`super::dense`]): what the client saw, what it then missed, and the causal path that makes the
//! missed write newer than the one read.

use crate::check::history::{CheckHistory, OpIndex};
use crate::check::order::Source;
use crate::check::witness::narrate;

/// A guarantee broken in one interpretation: the story, and the operations it used.
#[derive(Clone, Debug)]
pub(super) struct Violation {
    pub lines: Vec<String>,
    pub ops: Vec<OpIndex>,
}

/// A violation's story, then, when the read returned a write older than the one it missed, the
/// causal path that makes it older (`path`, from the write read to the write missed), in words.
pub(super) fn violation(
    history: &CheckHistory,
    sources: &[Source],
    mut lines: Vec<String>,
    path: Vec<OpIndex>,
    witnesses: impl IntoIterator<Item = OpIndex>,
) -> Violation {
    if let (Some(&x), Some(&w)) = (path.first(), path.last()) {
        lines.push(format!(
            "{} is older than {}: it is causally before it,",
            history.describe(x),
            history.describe(w)
        ));
        lines.extend(narrate(history, sources, &path));
    }
    let mut ops = path;
    ops.extend(witnesses);
    Violation { lines, ops }
}

/// The words of each guarantee's violation, shared by both judges. `why` says how the read missed the
/// write.
pub(super) fn own_write_story(
    history: &CheckHistory,
    w: OpIndex,
    r: OpIndex,
    why: &str,
) -> Vec<String> {
    vec![
        history.describe(w),
        format!("then {} did not see it: {why}", history.describe(r)),
    ]
}

pub(super) fn earlier_read_story(
    history: &CheckHistory,
    r1: OpIndex,
    r: OpIndex,
    why: &str,
) -> Vec<String> {
    vec![
        history.describe(r1),
        format!("then {} went back: {why}", history.describe(r)),
    ]
}

pub(super) fn prior_write_story(
    history: &CheckHistory,
    w: OpIndex,
    w2: OpIndex,
    r: OpIndex,
    why: &str,
) -> Vec<String> {
    vec![
        format!("{} wrote {}", history.ops[w].client, history.describe(w)),
        format!("and later {}", history.describe(w2)),
        format!(
            "{} read the later write, but then {} did not see the earlier one: {why}",
            history.ops[r].client,
            history.describe(r)
        ),
    ]
}

pub(super) fn prior_read_story(
    history: &CheckHistory,
    w: OpIndex,
    w2: OpIndex,
    r: OpIndex,
    why: &str,
) -> Vec<String> {
    vec![
        format!(
            "{} had seen {}",
            history.ops[w2].client,
            history.describe(w)
        ),
        format!("before {}", history.describe(w2)),
        format!(
            "{} read that write, but then {} did not see the first: {why}",
            history.ops[r].client,
            history.describe(r)
        ),
    ]
}

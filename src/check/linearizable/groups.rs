//! Which operations the linearizability search takes together: one key's, except where equal times
//! join keys (see the parent module), and the program-order pairs that decide it.

use crate::check::history::{CheckHistory, OpIndex};
use crate::ids::{ClientId, Time};

/// The operations searched together: one key's, except where ties break locality (see the module
/// docs). A client whose operation starts at the instant its previous one returned has a program-order
/// edge that real time does not give. With one such client at an instant, the times can be nudged
/// apart to give it (that client's return, then its call, with every other call before and every other
/// return after), and each key stands alone. With two or more, no nudging works — each would have to
/// be both before and after the other — so the keys of all their operations at that instant are
/// searched together.
pub(super) fn groups(history: &CheckHistory) -> Vec<Vec<OpIndex>> {
    let mut parent: Vec<usize> = (0..history.key_count()).collect();
    fn root(parent: &mut [usize], mut k: usize) -> usize {
        while parent[k] != k {
            parent[k] = parent[parent[k]];
            k = parent[k];
        }
        k
    }
    // Instant -> the keys of each touching pair there, and how many distinct clients have one.
    let mut touching: std::collections::BTreeMap<Time, Vec<(ClientId, u32, u32)>> =
        std::collections::BTreeMap::new();
    for (a, b) in program_pairs(history) {
        let (a, b) = (&history.ops[a], &history.ops[b]);
        if a.returned_at == Some(b.invoked_at) {
            touching
                .entry(b.invoked_at)
                .or_default()
                .push((a.client, a.key, b.key));
        }
    }
    // A pair whose second operation began before the first returned (a write that never returned is
    // placed after what its client did before it, which may have been invoked at the same instant
    // and returned later): program order there is no real-time order at all, so the two keys are
    // searched together.
    for (a, b) in program_pairs(history) {
        if overtakes(history, a, b) {
            let (ka, kb) = (history.ops[a].key as usize, history.ops[b].key as usize);
            let (x, y) = (root(&mut parent, ka), root(&mut parent, kb));
            parent[x] = y;
        }
    }
    for pairs in touching.values() {
        let first = pairs[0].0;
        if pairs.iter().all(|&(client, _, _)| client == first) {
            continue;
        }
        let anchor = pairs[0].1 as usize;
        for &(_, a, b) in pairs {
            for key in [a, b] {
                let (x, y) = (root(&mut parent, key as usize), root(&mut parent, anchor));
                parent[x] = y;
            }
        }
    }
    let mut groups: Vec<Vec<OpIndex>> = vec![Vec::new(); history.key_count()];
    for (i, op) in history.ops.iter().enumerate() {
        let r = root(&mut parent, op.key as usize);
        groups[r].push(i);
    }
    groups.retain(|g| !g.is_empty());
    groups
}

/// Whether `b`, after `a` in program order, began before `a` returned.
fn overtakes(history: &CheckHistory, a: OpIndex, b: OpIndex) -> bool {
    history.ops[b].invoked_at < history.ops[a].returned_at.unwrap_or(Time::MAX)
}

/// The keys of the program-order pairs whose second operation began before the first returned: for
/// them, searching each key alone with ties nudged is not stricter than the definition.
pub(super) fn overtaken_keys(history: &CheckHistory) -> Vec<bool> {
    let mut keys = vec![false; history.key_count()];
    for (a, b) in program_pairs(history) {
        if overtakes(history, a, b) {
            keys[history.ops[a].key as usize] = true;
            keys[history.ops[b].key as usize] = true;
        }
    }
    keys
}

/// Each operation with the one just before it in its client's program order: consecutive operations
/// of a session, and a write that never returned with what its client did before it (it has a
/// session of its own, but still started after that).
pub(super) fn program_pairs(
    history: &CheckHistory,
) -> impl Iterator<Item = (OpIndex, OpIndex)> + '_ {
    let consecutive = history
        .sessions
        .iter()
        .flat_map(|session| session.windows(2).map(|pair| (pair[0], pair[1])));
    let loose = history
        .ops
        .iter()
        .enumerate()
        .filter_map(|(i, op)| op.after.map(|before| (before, i)));
    consecutive.chain(loose)
}

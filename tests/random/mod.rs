//! Random small histories for property tests: agreement with the brute force, and witnesses.

use kvsim::check::history::RawOp;
use kvsim::ids::ClientId;
use kvsim::op::OpKind;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A random small history: 2–3 clients, 1–2 keys, up to 8 operations, closed-loop clients with times
/// on a small range (so ties happen), reads returning a random written value or null, sometimes a
/// write that never returned (the client then goes on), and sometimes a value written twice.
pub fn random_rows(rng: &mut ChaCha8Rng, most: usize, never_returns: f64) -> Vec<RawOp> {
    let clients = rng.random_range(2..=3u32);
    let keys = ["x", "y"];
    let key_count = rng.random_range(1..=2usize);
    let total = rng.random_range(2..=most);
    let mut plan: Vec<(u32, bool, usize)> = Vec::new();
    for _ in 0..total {
        plan.push((
            rng.random_range(0..clients),
            rng.random_bool(0.5),
            rng.random_range(0..key_count),
        ));
    }
    let mut values: Vec<Vec<String>> = vec![Vec::new(); key_count];
    let mut written: Vec<Option<String>> = vec![None; plan.len()];
    for (i, &(_, is_write, key)) in plan.iter().enumerate() {
        if is_write {
            let value = match values[key].last() {
                Some(previous) if rng.random_bool(0.1) => previous.clone(),
                _ => format!("v{i}"),
            };
            values[key].push(value.clone());
            written[i] = Some(value);
        }
    }
    let mut clock = vec![0u64; clients as usize];
    let mut raw = Vec::new();
    for (i, &(client, is_write, key)) in plan.iter().enumerate() {
        let invoked = clock[client as usize] + rng.random_range(0..3);
        let returned = invoked + rng.random_range(0..4);
        clock[client as usize] = returned;
        let pending = is_write && rng.random_bool(never_returns);
        let value = if is_write {
            written[i].clone()
        } else {
            let choices = &values[key];
            let pick = rng.random_range(0..=choices.len());
            choices.get(pick).cloned()
        };
        raw.push(RawOp {
            client: ClientId(client),
            kind: if is_write { OpKind::Put } else { OpKind::Get },
            key: keys[key].into(),
            value: value.map(Into::into),
            expected: None,
            seen: None,
            invoked_at: invoked,
            returned_at: (!pending).then_some(returned),
        });
    }
    raw
}

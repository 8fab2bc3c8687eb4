//! The sequential solver on shapes chosen to break it, found in review: a read of a value nobody
//! wrote, and thousands of clients writing one key at once.

// Only the sequential and linearizable definitions are used here; the rest of the brute force
// serves other test files.
#[allow(dead_code)]
mod brute;

use kvsim::check::history::RawOp;
use kvsim::check::{sequential, CheckHistory};
use kvsim::ids::ClientId;
use kvsim::op::OpKind;

fn op(client: u32, put: bool, key: &str, value: Option<&str>, at: u64) -> RawOp {
    RawOp {
        client: ClientId(client),
        kind: if put { OpKind::Put } else { OpKind::Get },
        key: key.into(),
        value: value.map(Into::into),
        expected: None,
        seen: None,
        invoked_at: at,
        returned_at: Some(at + 1),
    }
}

/// Row 0: client 0's put x = 1; row 1: client 0's get x -> 1; row 2: client 1's get x -> 2, a value
/// no write wrote. The minimal witness is row 2 alone; `check_alone` and `linearizable_by_solver`
/// name rows 0 and 2 (the earliest broken prefix, which ddmin cannot shrink because
/// `Shrink::readable` drops the thin-air read from every candidate) and explain it as "whichever
/// order the writes to a key take, ...". Dropping row 0 leaves a history that is still broken, so
/// the witness is not 1-minimal.
#[test]
fn witness_of_a_thin_air_read_is_the_read_alone() {
    let rows = vec![
        op(0, true, "x", Some("1"), 0),
        op(0, false, "x", Some("1"), 2),
        op(1, false, "x", Some("2"), 0),
    ];
    let h = CheckHistory::new(rows.clone());
    for (name, verdict, definition) in [
        (
            "check_alone",
            sequential::check_alone(&h),
            brute::sequential as fn(&CheckHistory) -> bool,
        ),
        (
            "linearizable_by_solver",
            sequential::linearizable_by_solver(&h),
            brute::linearizable,
        ),
    ] {
        assert_eq!(verdict.ok, Some(false), "{name}");
        let named = &verdict.operations;
        let alone = CheckHistory::new(named.iter().map(|&i| rows[i].clone()));
        assert!(
            !definition(&alone),
            "{name}: witness {named:?} is not broken alone"
        );
        for &drop in named {
            let rest = CheckHistory::new(
                named
                    .iter()
                    .filter(|&&i| i != drop)
                    .map(|&i| rows[i].clone()),
            );
            assert!(
                definition(&rest),
                "{name}: witness {named:?} is not minimal: without row {drop} it is still broken ({:?})",
                verdict.witness
            );
        }
    }
}

/// N clients each put x = i and then read their own value: sequentially consistent (each client's
/// put then get, one client after another), but not linearizable. No pair of writes is ordered, so
/// the solver gets N²/2 variables: 500 clients (124,750) are decided; 2,000 (1,999,000) are past its
/// budget of 2²⁰, and the verdict says so, with the flag that raises it, instead of running for
/// seconds and hundreds of megabytes.
#[test]
fn many_clients_writing_one_key_at_once_are_decided_or_stop_at_the_budget() {
    let history = |n: u32| {
        let mut rows = Vec::new();
        for i in 0..n {
            let v = i.to_string();
            rows.push(RawOp {
                returned_at: Some(10),
                ..op(i, true, "x", Some(&v), 0)
            });
            rows.push(RawOp {
                returned_at: Some(30),
                ..op(i, false, "x", Some(&v), 20)
            });
        }
        CheckHistory::new(rows)
    };
    assert_eq!(sequential::check_alone(&history(500)).ok, Some(true));
    let verdict = sequential::check_alone(&history(2_000));
    assert_eq!(verdict.ok, None);
    let reason = verdict.anomaly.unwrap_or_default();
    assert!(reason.contains("--budget"), "{reason}");
}

/// The solver's "no order" answer, which random histories never reach (saturation decides every
/// broken one they make): writes a, b to x and c, d to y, each by its own client and followed by a
/// relay write; readers see a relay and then x or y such that each of the four orders of (a, b) ×
/// (c, d) closes a cycle, while saturation orders neither pair. Sequential consistency is broken,
/// and every one of the 24 operations is needed to show it.
#[test]
fn two_undecided_pairs_whose_four_choices_all_cycle_are_not_sequential() {
    let spec: [(u32, bool, &str, &str); 24] = [
        (1, true, "x", "a"),
        (1, true, "u", "a1"),
        (2, true, "x", "b"),
        (2, true, "v", "b1"),
        (3, true, "y", "c"),
        (3, true, "s", "c1"),
        (4, true, "y", "d"),
        (4, true, "t", "d1"),
        (5, false, "u", "a1"),
        (5, false, "y", "c"),
        (6, false, "u", "a1"),
        (6, false, "y", "d"),
        (7, false, "v", "b1"),
        (7, false, "y", "c"),
        (8, false, "v", "b1"),
        (8, false, "y", "d"),
        (9, false, "s", "c1"),
        (9, false, "x", "a"),
        (10, false, "s", "c1"),
        (10, false, "x", "b"),
        (11, false, "t", "d1"),
        (11, false, "x", "a"),
        (12, false, "t", "d1"),
        (12, false, "x", "b"),
    ];
    let rows: Vec<RawOp> = spec
        .iter()
        .enumerate()
        .map(|(i, &(c, put, k, v))| op(c, put, k, Some(v), 10 * (i as u64 % 2 + 1)))
        .collect();
    let h = CheckHistory::new(rows);
    let verdict = sequential::check_alone(&h);
    assert_eq!(verdict.ok, Some(false));
    assert_eq!(verdict.operations, (0..24).collect::<Vec<_>>());
}

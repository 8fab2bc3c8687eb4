//! Compare-and-set and append under every checker: random small histories judged against the brute
//! force (which applies each operation as `Op::evaluate` does), and hand-written lost updates with
//! their verdicts under every property.

mod brute;

use kvsim::check::history::RawOp;
use kvsim::check::{
    causal, check_all, check_each, lattice, linearizable, sequential, session, CheckHistory,
    Property,
};
use kvsim::ids::ClientId;
use kvsim::op::{Op, OpKind, Value};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random small history with gets, puts, compare-and-sets and appends over values that repeat: the
/// operations are run one at a time at random instants within their call and return on one store
/// (so the history starts linearizable), then some answers are changed at random, and some
/// operations never return (taking effect or not).
///
/// With `unique`, every put and compare-and-set writes a value of its own, a compare-and-set expects
/// one written before (or absence), and there are no appends: the shape the causal checkers judge.
fn random_history(rng: &mut ChaCha8Rng, most: usize, unique: bool) -> CheckHistory {
    let clients = rng.random_range(2..=3u32);
    let keys = ["x", "y"];
    let key_count = rng.random_range(1..=2usize);
    let values = ["1", "2", "3"];
    let elements = ["a", "b", "c", "d", "e", "f", "g"];
    let total = rng.random_range(2..=most);
    let mut clock = vec![0u64; clients as usize];
    // (raw, instant it takes effect, or none)
    let mut planned: Vec<(RawOp, Op, Option<u64>)> = Vec::new();
    for i in 0..total {
        let client = rng.random_range(0..clients);
        let key: Value = keys[rng.random_range(0..key_count)].into();
        let written_before: Vec<Value> = planned
            .iter()
            .filter_map(|(_, op, _)| match op {
                Op::Put { value, .. } => Some(value.clone()),
                Op::Cas { new, .. } => Some(new.clone()),
                _ => None,
            })
            .collect();
        let pick = |rng: &mut ChaCha8Rng| -> Value { values[rng.random_range(0..3)].into() };
        let fresh = |rng: &mut ChaCha8Rng| -> Value {
            if unique {
                format!("v{i}").into()
            } else {
                pick(rng)
            }
        };
        let expect = |rng: &mut ChaCha8Rng| -> Option<Value> {
            if !unique {
                return rng.random_bool(0.8).then(|| pick(rng));
            }
            match rng.random_range(0..=written_before.len()) {
                0 => None,
                k => Some(written_before[k - 1].clone()),
            }
        };
        let roll = rng.random_range(0..if unique { 85 } else { 100 });
        let op = match roll {
            0..35 => Op::Get { key: key.clone() },
            35..55 => Op::Put {
                key: key.clone(),
                value: fresh(rng),
            },
            55..85 => Op::Cas {
                key: key.clone(),
                expected: expect(rng),
                new: fresh(rng),
            },
            _ => Op::Append {
                key: key.clone(),
                value: elements[i % elements.len()].into(),
            },
        };
        let invoked = clock[client as usize] + rng.random_range(0..3);
        let returned = invoked + rng.random_range(0..4);
        clock[client as usize] = returned;
        let pending = op.kind() != OpKind::Get && rng.random_bool(0.15);
        let effect_at = if pending && rng.random_bool(0.5) {
            None
        } else {
            Some(rng.random_range(invoked..=returned) * 4 + rng.random_range(0..4))
        };
        planned.push((
            RawOp {
                client: ClientId(client),
                kind: op.kind(),
                key,
                value: op.argument().cloned(),
                expected: match &op {
                    Op::Cas { expected, .. } => Some(expected.clone()),
                    _ => None,
                },
                seen: None,
                invoked_at: invoked,
                returned_at: (!pending).then_some(returned),
            },
            op,
            effect_at,
        ));
    }
    let mut order: Vec<usize> = (0..planned.len())
        .filter(|&i| planned[i].2.is_some())
        .collect();
    order.sort_by_key(|&i| (planned[i].2, i));
    let mut store: std::collections::BTreeMap<Value, Value> = Default::default();
    for i in order {
        let (raw, op, _) = &mut planned[i];
        let effect = op.evaluate(store.get(op.key()));
        if let Some(write) = effect.write {
            store.insert(op.key().clone(), write);
        }
        match op {
            Op::Get { .. } => raw.value = effect.value,
            Op::Cas { .. } if !effect.ok && raw.returned_at.is_some() => {
                raw.seen = Some(effect.value)
            }
            _ => {}
        }
    }
    // A pending compare-and-set that would have failed did nothing; one of its kind that never took
    // effect stays pending. Now break some answers.
    let mut rows: Vec<RawOp> = planned.into_iter().map(|(raw, _, _)| raw).collect();
    for raw in &mut rows {
        if !rng.random_bool(0.12) || raw.returned_at.is_none() {
            continue;
        }
        match raw.kind {
            OpKind::Get => {
                raw.value = rng
                    .random_bool(0.8)
                    .then(|| values[rng.random_range(0..3)].into())
            }
            OpKind::Cas => {
                let expected = raw.expected.clone().flatten();
                raw.seen = match raw.seen {
                    Some(_) => None,
                    None => Some(
                        ["1", "2", "3", "4"]
                            .iter()
                            .map(|&v| Value::from(v))
                            .find(|v| Some(v) != expected.as_ref()),
                    ),
                };
            }
            _ => {}
        }
    }
    CheckHistory::new(rows)
}

/// The linearizability and sequential checkers agree with the brute force on random histories with
/// compare-and-set and append: never a wrong verdict, and unknown never.
#[test]
fn linearizable_and_sequential_agree_with_the_brute_force_on_updates() {
    let mut counts = [[0usize; 2]; 2];
    for seed in 0..4_000 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let h = random_history(&mut rng, 7, seed % 2 == 0);
        let pairs = [
            (linearizable::check(&h).ok, brute::linearizable(&h)),
            (sequential::check(&h).ok, brute::sequential(&h)),
        ];
        for (i, (fast, slow)) in pairs.into_iter().enumerate() {
            assert_eq!(
                fast,
                Some(slow),
                "seed {seed}: property {i} says {fast:?}, brute force {slow}\n{}",
                words(&h)
            );
            counts[i][usize::from(slow)] += 1;
        }
    }
    for (i, [broken, holds]) in counts.iter().enumerate() {
        assert!(
            *broken > 400 && *holds > 400,
            "property {i}: {broken} broken, {holds} hold: the generator proves little"
        );
    }
}

/// The causal and session checkers judge a compare-and-set as a read and then a write at its
/// replica: on random histories with values written once, they agree with the brute force applied
/// to that view (and say unknown only where a compare-and-set that never returned was read).
#[test]
fn causal_and_session_checkers_agree_with_the_brute_force_on_the_split_view() {
    let mut judged = 0;
    let mut causal_holds = 0;
    for seed in 0..3_000 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let h = random_history(&mut rng, 7, true);
        let (split, relaxed) = h.split_updates().expect("no appends");
        if split.repeated_writes().next().is_some() {
            continue;
        }
        let pairs = [
            ("causal", causal::check(&h).ok, brute::causal(&split)),
            (
                "causal convergence",
                causal::check_convergence(&h).ok,
                brute::causal_convergence(&split),
            ),
        ];
        for (name, fast, slow) in pairs {
            if relaxed && fast.is_none() {
                continue;
            }
            assert_eq!(fast, Some(slow), "seed {seed}: {name}\n{}", words(&h));
        }
        let fast = session::check(&h);
        let fast = [
            fast.read_your_writes.ok,
            fast.monotonic_reads.ok,
            fast.monotonic_writes.ok,
            fast.writes_follow_reads.ok,
        ];
        let slow = brute::sessions(&split);
        for g in 0..4 {
            if !(relaxed && fast[g].is_none()) {
                assert_eq!(
                    fast[g],
                    slow[g],
                    "seed {seed}: guarantee {g}\n{}",
                    words(&h)
                );
            }
        }
        judged += 1;
        causal_holds += usize::from(brute::causal(&split));
    }
    assert!(judged > 2_000, "only {judged} histories judged");
    assert!(
        causal_holds > judged / 10 && causal_holds < judged * 9 / 10,
        "causal held in {causal_holds} of {judged}"
    );
}

/// Every verdict on a history with updates is consistent with the brute force and the lattice: a
/// weaker property never broken where sequential consistency holds, a stronger one never holding
/// where it is broken; and a broken verdict's operations break the property alone.
#[test]
fn every_verdict_on_updates_is_sound_and_its_witness_breaks_alone() {
    let mut unknown = 0;
    for seed in 0..1_500 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let h = random_history(&mut rng, 7, seed % 2 == 0);
        let sequential = brute::sequential(&h);
        let each = check_each(&h, None);
        let all = check_all(&h, None);
        for property in Property::ALL {
            if property == Property::Convergent {
                continue;
            }
            for (agreed, verdict) in [(false, each.get(property)), (true, all.get(property))] {
                if sequential && property != Property::Linearizable {
                    assert_ne!(
                        verdict.ok,
                        Some(false),
                        "seed {seed}: {} broken on a sequential history\n{}",
                        property.name(),
                        words(&h)
                    );
                }
                if !sequential && property <= Property::Sequential {
                    assert_ne!(verdict.ok, Some(true), "seed {seed}: {}", property.name());
                }
                unknown += usize::from(verdict.ok.is_none());
                if verdict.ok == Some(false) {
                    let positions: Vec<usize> = verdict.operations.clone();
                    let ops: Vec<usize> = (0..h.ops.len())
                        .filter(|&i| positions.contains(&h.ops[i].origin))
                        .collect();
                    let alone = h.sub_history(&ops);
                    // A verdict broken through the lattice carries a weaker property's witness,
                    // which its stronger property's own checker may not decide alone.
                    let again = if agreed {
                        check_all(&alone, None).get(property).ok
                    } else {
                        kvsim::check::check_property(&alone, None, property).ok
                    };
                    assert_eq!(
                        again,
                        Some(false),
                        "seed {seed}: {}'s witness does not break it alone\n{}\n{verdict:?}",
                        property.name(),
                        words(&h)
                    );
                }
            }
        }
        for stronger in Property::ALL {
            for weaker in Property::ALL {
                if lattice::implies(stronger, weaker) {
                    assert!(
                        !(each.get(stronger).ok == Some(true)
                            && each.get(weaker).ok == Some(false)),
                        "seed {seed}: {} holds, {} broken\n{}",
                        stronger.name(),
                        weaker.name(),
                        words(&h)
                    );
                }
            }
        }
    }
    assert!(unknown > 0);
}

/// A history in words, one operation a line.
fn words(h: &CheckHistory) -> String {
    (0..h.ops.len())
        .map(|i| format!("{i} (input {}): {}", h.ops[i].origin, h.describe(i)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn row(
    client: u32,
    kind: OpKind,
    value: Option<&str>,
    expected: Option<Option<&str>>,
    seen: Option<Option<&str>>,
    (invoked, returned): (u64, u64),
) -> RawOp {
    RawOp {
        client: ClientId(client),
        kind,
        key: "x".into(),
        value: value.map(Into::into),
        expected: expected.map(|e| e.map(Into::into)),
        seen: seen.map(|s| s.map(Into::into)),
        invoked_at: invoked,
        returned_at: Some(returned),
    }
}

/// Two concurrent compare-and-sets from the same value both succeed — what causal and eventual
/// stores do when each replica evaluates its own: causal, but neither sequential nor linearizable,
/// and the checkers name it a lost update.
#[test]
fn a_lost_update_by_compare_and_set_is_causal_but_not_sequential() {
    let h = CheckHistory::new([
        row(0, OpKind::Put, Some("1"), None, None, (0, 1)),
        row(1, OpKind::Cas, Some("2"), Some(Some("1")), None, (2, 4)),
        row(2, OpKind::Cas, Some("3"), Some(Some("1")), None, (3, 5)),
        row(1, OpKind::Get, Some("2"), None, None, (6, 7)),
        row(2, OpKind::Get, Some("3"), None, None, (6, 7)),
    ]);
    assert!(!brute::sequential(&h));
    let all = check_all(&h, None);
    assert_eq!(all.linearizable.ok, Some(false));
    assert_eq!(all.linearizable.anomaly.as_deref(), Some("lost update"));
    assert_eq!(
        all.linearizable.witness[0],
        "client 1's cas x 1→2 and client 2's cas x 1→3 both succeeded"
    );
    assert_eq!(all.linearizable.operations, vec![0, 1, 2]);
    assert_eq!(all.sequential.ok, Some(false));
    assert_eq!(all.sequential.anomaly.as_deref(), Some("lost update"));
    for property in [
        Property::Causal,
        Property::CausalConvergence,
        Property::ReadYourWrites,
        Property::MonotonicReads,
        Property::MonotonicWrites,
        Property::WritesFollowReads,
    ] {
        assert_eq!(all.get(property).ok, Some(true), "{}", property.name());
    }
    assert_eq!(causal::check(&h).ok, Some(true));
    assert_eq!(
        session::check_guarantee(&h, session::Guarantee::MonotonicReads).ok,
        Some(true)
    );
}

/// Two appends both succeed, but the final read holds only one element: not sequential, not
/// linearizable. Causal and session checkers take `b` as a write of `b` after a read of absence, and
/// `a` — whose element nobody read — as a write nobody read: causal, like the lost update of two
/// compare-and-sets.
#[test]
fn a_lost_append_is_not_sequential_but_is_causal() {
    let h = CheckHistory::new([
        row(0, OpKind::Append, Some("a"), None, None, (0, 2)),
        row(1, OpKind::Append, Some("b"), None, None, (1, 3)),
        row(0, OpKind::Get, Some("b"), None, None, (4, 5)),
    ]);
    assert!(!brute::sequential(&h));
    let all = check_all(&h, None);
    assert_eq!(all.linearizable.ok, Some(false));
    assert_eq!(all.linearizable.anomaly.as_deref(), Some("lost update"));
    assert_eq!(
        all.linearizable.witness[0],
        "client 0's append x += a (t=0..2) returned before client 0's get x -> b (t=4..5) began, yet that read lacks the element a"
    );
    assert_eq!(all.sequential.ok, Some(false));
    assert_eq!(
        all.sequential.anomaly.as_deref(),
        Some("lost update"),
        "{:?}",
        all.sequential
    );
    assert_eq!(all.sequential.operations, vec![0, 2]);
    for property in [
        Property::Causal,
        Property::CausalConvergence,
        Property::ReadYourWrites,
        Property::MonotonicReads,
        Property::MonotonicWrites,
        Property::WritesFollowReads,
    ] {
        assert_eq!(all.get(property).ok, Some(true), "{}", property.name());
    }
    // The same appends, read in full: linearizable.
    let whole = CheckHistory::new([
        row(0, OpKind::Append, Some("a"), None, None, (0, 2)),
        row(1, OpKind::Append, Some("b"), None, None, (1, 3)),
        row(0, OpKind::Get, Some("ba"), None, None, (4, 5)),
    ]);
    assert_eq!(linearizable::check(&whole).ok, Some(true));
}

/// A failed compare-and-set is a read of what it saw: seeing a value that was overwritten before it
/// began is a stale read; a compare-and-set that never returned may have happened or not.
#[test]
fn a_failed_compare_and_set_is_a_read_and_a_pending_one_may_not_have_happened() {
    let stale = CheckHistory::new([
        row(0, OpKind::Put, Some("1"), None, None, (0, 1)),
        row(0, OpKind::Put, Some("2"), None, None, (2, 3)),
        row(
            1,
            OpKind::Cas,
            Some("3"),
            Some(Some("5")),
            Some(Some("1")),
            (4, 5),
        ),
    ]);
    let verdict = linearizable::check(&stale);
    assert_eq!(verdict.ok, Some(false));
    assert_eq!(verdict.anomaly.as_deref(), Some("stale read"));
    assert!(
        stale.describe(2).contains("cas x 5→3 -> failed, saw 1"),
        "{}",
        stale.describe(2)
    );
    assert_eq!(sequential::check(&stale).ok, Some(true));
    let mut pending = row(1, OpKind::Cas, Some("9"), Some(Some("7")), None, (4, 5));
    pending.returned_at = None;
    let h = CheckHistory::new([row(0, OpKind::Put, Some("1"), None, None, (0, 1)), pending]);
    assert_eq!(linearizable::check(&h).ok, Some(true));
    assert_eq!(sequential::check(&h).ok, Some(true));
    assert_eq!(causal::check(&h).ok, Some(true));
}

/// A history file with compare-and-set and append lines is read into the same view as a run's, and
/// judged: two compare-and-sets from the one 1 that both succeeded are a lost update.
#[test]
fn a_history_file_with_compare_and_set_and_append_is_judged() {
    let text = r#"{"client": 0, "op": "put", "key": "x", "value": "1", "invoked_at": 0, "returned_at": 1}
{"client": 1, "op": "cas", "key": "x", "expected": "1", "value": "2", "invoked_at": 2, "returned_at": 4, "ok": true}
{"client": 2, "op": "cas", "key": "x", "expected": "1", "value": "3", "invoked_at": 3, "returned_at": 5, "ok": true}
{"client": 3, "op": "cas", "key": "x", "expected": null, "value": "4", "invoked_at": 6, "returned_at": 7, "ok": false, "seen": "3"}
{"client": 3, "op": "cas", "key": "x", "expected": "3", "value": "5", "invoked_at": 8}
{"client": 4, "op": "append", "key": "log", "value": "a", "invoked_at": 0, "returned_at": 2}
"#;
    let h = kvsim::check::file::parse(text).unwrap().remove(0).history;
    let words = words(&h);
    for line in [
        "client 1's cas x 1→2 -> ok (t=2..4)",
        "client 3's cas x null→4 -> failed, saw 3 (t=6..7)",
        "client 3's cas x 3→5 (t=8.., never returned)",
        "client 4's append log += a (t=0..2)",
    ] {
        assert!(words.contains(line), "{line:?} not in\n{words}");
    }
    let verdicts = check_all(&h, None);
    assert_eq!(verdicts.sequential.anomaly.as_deref(), Some("lost update"));
    assert_eq!(verdicts.sequential.operations, vec![0, 1, 2]);
}

/// Each missing or contradictory compare-and-set field is refused at its line, in one sentence.
#[test]
fn a_history_file_refuses_missing_and_contradictory_compare_and_set_fields() {
    let put = r#"{"client": 0, "op": "put", "key": "x", "value": "1", "invoked_at": 0, "returned_at": 1}"#;
    let cases = [
        (
            r#"{"client": 1, "op": "cas", "key": "x", "value": "2", "invoked_at": 2, "returned_at": 3, "ok": true}"#,
            "line 2: client 1's cas of x has no `expected`",
        ),
        (
            r#"{"client": 1, "op": "cas", "key": "x", "expected": "1", "invoked_at": 2, "returned_at": 3, "ok": true}"#,
            "line 2: client 1's cas of x has no value",
        ),
        (
            r#"{"client": 1, "op": "cas", "key": "x", "expected": "1", "value": "2", "invoked_at": 2, "returned_at": 3}"#,
            "line 2: client 1's cas of x returned but has no `ok`",
        ),
        (
            r#"{"client": 1, "op": "cas", "key": "x", "expected": "1", "value": "2", "invoked_at": 2, "returned_at": 3, "ok": false}"#,
            "line 2: client 1's cas of x failed (`ok` false) but has no `seen`",
        ),
        (
            r#"{"client": 1, "op": "cas", "key": "x", "expected": "1", "value": "2", "invoked_at": 2, "returned_at": 3, "ok": true, "seen": "1"}"#,
            "line 2: client 1's cas of x succeeded (`ok` true) but has `seen`",
        ),
        (
            r#"{"client": 1, "op": "cas", "key": "x", "expected": "1", "value": "2", "invoked_at": 2, "returned_at": 3, "ok": false, "seen": "1"}"#,
            "line 2: client 1's cas of x failed (`ok` false) but saw 1, the value it expected",
        ),
        (
            r#"{"client": 1, "op": "cas", "key": "x", "expected": "1", "value": "2", "invoked_at": 2, "ok": true}"#,
            "line 2: client 1's cas of x never returned",
        ),
        (
            r#"{"client": 1, "op": "put", "key": "x", "value": "2", "expected": "1", "invoked_at": 2}"#,
            "line 2: client 1's put of x has `expected`, which only a cas has",
        ),
        (
            r#"{"client": 1, "op": "append", "key": "x", "invoked_at": 2}"#,
            "line 2: client 1's append of x has no value",
        ),
    ];
    for (line, expected) in cases {
        let text = format!("{put}\n{line}\n");
        let error = kvsim::check::file::parse(&text).unwrap_err().to_string();
        assert!(
            error.starts_with(expected),
            "{error:?} does not start with {expected:?}"
        );
    }
}

/// Twelve concurrent appends of long elements can be ordered in billions of ways, each a new string:
/// the searches stop at their budget of strings made and say unknown, naming it, rather than
/// exhaust memory.
#[test]
fn appends_in_too_many_orders_stop_the_searches_at_their_budget() {
    let mut rows: Vec<RawOp> = (0..12)
        .map(|c| {
            let element = format!("{c}{}", "y".repeat(100_000));
            row(c, OpKind::Append, Some(&element), None, None, (0, 100))
        })
        .collect();
    rows.push(row(99, OpKind::Get, Some("z"), None, None, (0, 100)));
    let h = CheckHistory::new(rows);
    let linearizable = linearizable::check(&h);
    assert_eq!(linearizable.ok, None);
    assert!(linearizable
        .anomaly
        .unwrap()
        .contains("MiB of strings appends made"));
    let sequential = sequential::check_alone(&h);
    assert_eq!(sequential.ok, None);
    assert!(sequential.anomaly.unwrap().contains("strings appends made"));
}

/// A write that never returned comes, in its client's order, after what its client did before it —
/// even an operation invoked at the same instant that returned later, so that this program order is
/// no real-time order: the keys of such a pair are searched together, or the search of each key
/// alone would say linearizable. (Here `put x = 3` must precede `put y = 3`, which the read of y at
/// t=2 places by t=2; so x reads 2 and then 3 with no write of 3 between.)
#[test]
fn program_order_against_real_time_joins_the_keys_of_the_linearizability_search() {
    let pending = |mut raw: RawOp| {
        raw.returned_at = None;
        raw
    };
    let on = |key: &str, mut raw: RawOp| {
        raw.key = key.into();
        raw
    };
    let h = CheckHistory::new([
        on("y", row(1, OpKind::Get, Some("3"), None, None, (2, 2))),
        row(1, OpKind::Get, Some("2"), None, None, (3, 6)),
        row(1, OpKind::Get, Some("3"), None, None, (6, 9)),
        row(2, OpKind::Put, Some("3"), None, None, (2, 4)),
        pending(on("y", row(2, OpKind::Put, Some("3"), None, None, (2, 2)))),
        pending(row(0, OpKind::Put, Some("2"), None, None, (2, 2))),
    ]);
    assert!(!brute::linearizable(&h));
    assert_eq!(linearizable::check(&h).ok, Some(false));
}

/// On a key of puts and appends, a read that began after another returned must extend that read's
/// value, or start from a put that could come between the two: one that does neither went back in
/// time, a stale read, named before any search (the append is still running when the second read
/// begins, so this is not a lost append).
#[test]
fn a_read_that_loses_appended_elements_seen_earlier_is_a_stale_read() {
    let h = CheckHistory::new([
        row(0, OpKind::Append, Some("a"), None, None, (0, 9)),
        row(1, OpKind::Get, Some("a"), None, None, (4, 5)),
        row(2, OpKind::Get, None, None, None, (6, 7)),
    ]);
    assert!(!brute::linearizable(&h));
    let verdict = linearizable::check(&h);
    assert_eq!(
        verdict.anomaly.as_deref(),
        Some("stale read"),
        "{verdict:?}"
    );
    assert_eq!(verdict.operations, vec![0, 1, 2]);
    assert!(verdict.witness[1].starts_with("but later client 2's get x -> null"));
    // With a put in front, the same: the put of p returned before the first read began.
    let h = CheckHistory::new([
        row(0, OpKind::Put, Some("p"), None, None, (0, 1)),
        row(0, OpKind::Append, Some("a"), None, None, (2, 8)),
        row(1, OpKind::Get, Some("pa"), None, None, (4, 5)),
        row(2, OpKind::Get, Some("p"), None, None, (6, 7)),
    ]);
    assert!(!brute::linearizable(&h));
    assert_eq!(linearizable::check(&h).ok, Some(false));
    // A put of p that may come between the two reads makes it linearizable.
    let restarted = CheckHistory::new([
        row(0, OpKind::Put, Some("p"), None, None, (0, 1)),
        row(0, OpKind::Append, Some("a"), None, None, (2, 8)),
        row(1, OpKind::Get, Some("pa"), None, None, (4, 5)),
        row(3, OpKind::Put, Some("p"), None, None, (5, 6)),
        row(2, OpKind::Get, Some("p"), None, None, (6, 7)),
    ]);
    assert!(brute::linearizable(&restarted));
    assert_eq!(linearizable::check(&restarted).ok, Some(true));
}

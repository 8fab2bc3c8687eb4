//! Witnesses that prove alone: on thousands of random broken histories, the operations a broken verdict
//! names ([`Verdict::operations`]), taken from the input and checked as a history of their own, break
//! the same property; and for the properties listed in [`MUST_NAME_MINIMAL`], every broken verdict
//! names operations, and no single one of them can be dropped with the rest still breaking it.

mod random;

use kvsim::check::history::RawOp;
use kvsim::check::{check_all, check_property, CheckHistory, Property, Verdict};
use kvsim::op::OpKind;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The properties whose checkers must fill [`Verdict::operations`] on every broken verdict, with a
/// minimal witness. A checker that learns to do so is added here, one line.
const MUST_NAME_MINIMAL: &[Property] = &[Property::Linearizable];

/// The input rows at `positions` (input positions, as [`Verdict::operations`] gives them), in input
/// order.
fn rows_at(rows: &[RawOp], positions: &[usize]) -> Vec<RawOp> {
    positions.iter().map(|&i| rows[i].clone()).collect()
}

/// The witness without `drop`: and when `drop` is a write, without the reads that returned a value
/// nobody left writes — such a read would read from nowhere, which breaks any property trivially and
/// proves nothing about the rest.
fn without(rows: &[RawOp], witness: &[usize], drop: usize) -> Vec<usize> {
    let kept: Vec<usize> = witness.iter().copied().filter(|&i| i != drop).collect();
    let written = |read: &RawOp| {
        kept.iter().any(|&w| {
            rows[w].kind == OpKind::Put && rows[w].key == read.key && rows[w].value == read.value
        })
    };
    kept.iter()
        .copied()
        .filter(|&i| rows[i].kind == OpKind::Put || rows[i].value.is_none() || written(&rows[i]))
        .collect()
}

/// Counts over one run of the property test.
#[derive(Default, Debug)]
struct Tally {
    broken_histories: usize,
    /// Broken verdicts (raw checkers, then `check_all`) that named operations.
    named: usize,
    /// Of those, how many broke their property when checked alone.
    self_contained: usize,
    /// Broken verdicts of [`MUST_NAME_MINIMAL`] properties, and how many of them were minimal.
    must: usize,
    minimal: usize,
}

/// Judges every broken verdict of one random history, asserting the rules of the module docs.
fn judge(seed: u64, rows: &[RawOp], tally: &mut Tally) {
    let history = CheckHistory::new(rows.to_vec());
    let raw: Vec<(Property, Verdict)> = Property::ALL
        .iter()
        .map(|&p| (p, check_property(&history, None, p)))
        .collect();
    let all = check_all(&history, None);
    if raw.iter().all(|(_, v)| v.ok != Some(false))
        && Property::ALL.iter().all(|&p| all.get(p).ok != Some(false))
    {
        return;
    }
    tally.broken_histories += 1;
    for (p, verdict) in &raw {
        if verdict.ok != Some(false) {
            continue;
        }
        let must = MUST_NAME_MINIMAL.contains(p);
        assert!(
            !must || !verdict.operations.is_empty(),
            "seed {seed}: broken {} verdict names no operations: {verdict:?}",
            p.name()
        );
        if verdict.operations.is_empty() {
            continue;
        }
        tally.named += 1;
        let alone = CheckHistory::new(rows_at(rows, &verdict.operations));
        let breaks = check_property(&alone, None, *p).ok == Some(false);
        assert!(
            breaks,
            "seed {seed}: the {} witness does not break it alone: {verdict:#?}\n{rows:#?}",
            p.name()
        );
        tally.self_contained += 1;
        if must {
            tally.must += 1;
            for &drop in &verdict.operations {
                let rest = without(rows, &verdict.operations, drop);
                let smaller = CheckHistory::new(rows_at(rows, &rest));
                assert_ne!(
                    check_property(&smaller, None, *p).ok,
                    Some(false),
                    "seed {seed}: the {} witness is not minimal: without operation {drop} it still breaks\n{verdict:#?}\n{rows:#?}",
                    p.name()
                );
            }
            tally.minimal += 1;
        }
    }
    for &p in &Property::ALL {
        let verdict = all.get(p);
        if verdict.ok != Some(false) || verdict.operations.is_empty() {
            continue;
        }
        tally.named += 1;
        let alone = CheckHistory::new(rows_at(rows, &verdict.operations));
        assert_eq!(
            check_all(&alone, None).get(p).ok,
            Some(false),
            "seed {seed}: the {} witness of check_all does not break it alone: {verdict:#?}\n{rows:#?}",
            p.name()
        );
        tally.self_contained += 1;
    }
}

fn witnesses_prove_alone(cases: u64, most: usize, never_returns: f64) -> Tally {
    let mut tally = Tally::default();
    for seed in 0..cases {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let rows = random::random_rows(&mut rng, most, never_returns);
        judge(seed, &rows, &mut tally);
    }
    eprintln!("{cases} histories of up to {most} operations: {tally:?}");
    // Most random histories break something, or the test proves little.
    assert!(tally.broken_histories > cases as usize / 2, "{tally:?}");
    assert!(tally.must > cases as usize / 10, "{tally:?}");
    tally
}

#[test]
fn witnesses_of_small_histories_prove_alone_and_are_minimal() {
    witnesses_prove_alone(3_000, 8, 0.15);
}

/// Longer histories give the linearizability shrink more to cut: a prefix in time, then chunks, then
/// single operations.
#[test]
fn witnesses_of_longer_histories_prove_alone_and_are_minimal() {
    witnesses_prove_alone(1_000, 24, 0.1);
}

/// A hot key: one key, thousands of operations of a run that is not linearizable. The witness is
/// still a handful of operations that break it alone, found within the shrink's budget.
#[test]
fn a_hot_keys_witness_is_a_handful_of_operations() {
    use kvsim::protocol::Model;
    use kvsim::scenario::Scenario;
    use kvsim::sim::simulate;
    let json = r#"{"seed": 7, "replicas": 3, "network": {"delay": {"uniform": [1, 20]}},
        "workload": {"clients": 10, "ops": 300, "keys": 1, "reads": 0.5, "think": {"uniform": [0, 5]}}}"#;
    let config = Scenario::parse(json).unwrap().validate("hot key").unwrap();
    let run = simulate(&config, Model::Sequential);
    let rows: Vec<RawOp> = run.history.iter().map(RawOp::from).collect();
    let history = CheckHistory::new(rows.clone());
    let started = std::time::Instant::now();
    let verdict = check_property(&history, None, Property::Linearizable);
    let took = started.elapsed();
    assert_eq!(verdict.ok, Some(false), "{verdict:?}");
    assert!(
        (2..=8).contains(&verdict.operations.len()),
        "{} operations: {verdict:#?}",
        verdict.operations.len()
    );
    assert!(!verdict
        .witness
        .iter()
        .any(|l| l.contains("smaller witness may exist")));
    let alone = CheckHistory::new(rows_at(&rows, &verdict.operations));
    assert_eq!(
        check_property(&alone, None, Property::Linearizable).ok,
        Some(false)
    );
    eprintln!(
        "{} operations, witness of {} in {took:?}: {verdict:#?}",
        rows.len(),
        verdict.operations.len()
    );
}

/// A conflict the named anomalies miss (a client reads its own overwritten write, at an instant tied
/// with its next operation), amid thousands of linearizable operations on the same key before and after
/// it: the search finds it, and the shrink cuts the history down to the three operations of the
/// conflict.
#[test]
fn a_conflict_only_the_search_finds_is_cut_out_of_a_long_history() {
    let (rows, conflict) = conflict_amid(3_000);
    let history = CheckHistory::new(rows.clone());
    let started = std::time::Instant::now();
    let verdict = check_property(&history, None, Property::Linearizable);
    let took = started.elapsed();
    assert_eq!(verdict.operations, conflict, "{verdict:#?}");
    assert_eq!(verdict.anomaly.as_deref(), Some("real-time violation"));
    eprintln!(
        "{} operations, witness of {} in {took:?}: {verdict:#?}",
        rows.len(),
        verdict.operations.len()
    );
}

/// `around` rounds of a write by client 0 and a read of it by client 1, before and after three
/// operations of client 2 that conflict; and the input positions of those three.
fn conflict_amid(around: u64) -> (Vec<RawOp>, Vec<usize>) {
    use kvsim::ids::ClientId;
    let row = |client: u32, put: bool, value: String, invoked: u64, returned: u64| RawOp {
        client: ClientId(client),
        kind: if put { OpKind::Put } else { OpKind::Get },
        key: "x".into(),
        value: Some(value.into()),
        expected: None,
        seen: None,
        invoked_at: invoked,
        returned_at: Some(returned),
    };
    let mut rows = Vec::new();
    let mut conflict = Vec::new();
    for i in 0..2 * around {
        if i == around {
            let t = 10 * i;
            conflict.extend(rows.len()..rows.len() + 3);
            rows.push(row(2, true, "a".into(), t, t + 3));
            rows.push(row(2, true, "b".into(), t + 3, t + 6));
            rows.push(row(2, false, "a".into(), t + 8, t + 11));
        }
        rows.push(row(0, true, format!("v{i}"), 10 * i, 10 * i + 1));
        rows.push(row(1, false, format!("v{i}"), 10 * i + 2, 10 * i + 3));
    }
    (rows, conflict)
}

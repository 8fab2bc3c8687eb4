//! Every broken causal, causal-convergence or session verdict names operations that prove it alone:
//! those rows, checked as a history of their own, break the same property, and dropping any one of
//! them (a write together with the reads of its value that no other write left wrote) no longer
//! does. Checked on thousands of random small histories, by the checkers and, wherever it can judge,
//! by the brute force.

// Each test binary uses only some of the brute-force checkers.
#[allow(dead_code)]
mod brute;
mod random;

use kvsim::check::history::RawOp;
use kvsim::check::{check_property, sequential, CheckHistory, Property, Verdict};
use kvsim::op::OpKind;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use random::random_rows;

const PROPERTIES: [Property; 7] = [
    Property::Sequential,
    Property::Causal,
    Property::CausalConvergence,
    Property::ReadYourWrites,
    Property::MonotonicReads,
    Property::MonotonicWrites,
    Property::WritesFollowReads,
];

/// Whether the brute force says `property` is broken; `None` when it cannot judge (the causal brute
/// force needs each value written once) or the session guarantee is undecided.
fn brute_breaks(h: &CheckHistory, property: Property) -> Option<bool> {
    let unique = h.repeated_writes().next().is_none();
    match property {
        Property::Sequential => Some(!brute::sequential(h)),
        Property::Causal => unique.then(|| !brute::causal(h)),
        Property::CausalConvergence => unique.then(|| !brute::causal_convergence(h)),
        Property::ReadYourWrites => brute::sessions(h)[0].map(|ok| !ok),
        Property::MonotonicReads => brute::sessions(h)[1].map(|ok| !ok),
        Property::MonotonicWrites => brute::sessions(h)[2].map(|ok| !ok),
        Property::WritesFollowReads => brute::sessions(h)[3].map(|ok| !ok),
        _ => None,
    }
}

/// `named` without `drop`, and, when `drop` is a write, without the reads of its value that no other
/// remaining write wrote.
fn without(rows: &[RawOp], named: &[usize], drop: usize) -> Vec<usize> {
    let dropped = &rows[drop];
    let rest: Vec<usize> = named.iter().copied().filter(|&i| i != drop).collect();
    if dropped.kind != OpKind::Put || dropped.value.is_none() {
        return rest;
    }
    let same = |i: usize| rows[i].key == dropped.key && rows[i].value == dropped.value;
    let still_written = rest.iter().any(|&i| rows[i].kind == OpKind::Put && same(i));
    rest.into_iter()
        .filter(|&i| still_written || !(rows[i].kind == OpKind::Get && same(i)))
        .collect()
}

/// The verdict of `property` from its own checker. Sequential consistency is judged without its
/// causal shortcut: a causal witness also proves a history not sequentially consistent, but it is
/// minimal for causal consistency, not necessarily for sequential consistency.
fn judge(h: &CheckHistory, property: Property) -> Verdict {
    match property {
        Property::Sequential => sequential::check_alone(h),
        _ => check_property(h, None, property),
    }
}

fn history_of(rows: &[RawOp], named: &[usize]) -> CheckHistory {
    CheckHistory::new(named.iter().map(|&i| rows[i].clone()))
}

#[test]
fn broken_verdicts_name_a_minimal_witness_that_breaks_the_property_alone() {
    let mut witnesses = check_witnesses(6_000, 8, 0.15, usize::MAX);
    let more = check_witnesses(4_000, 9, 0.4, usize::MAX);
    for (count, more) in witnesses.iter_mut().zip(more) {
        *count += more;
    }
    // Each property must be broken often, or the test proves little.
    for (p, count) in witnesses.iter().enumerate() {
        assert!(
            *count > 100,
            "{} broken in only {count} histories",
            PROPERTIES[p].name()
        );
    }
}

/// The same on longer histories, for a local stress run (`--ignored`; `KVSIM_STRESS_CASES` sets how
/// many, 20,000 by default); the brute force judges only those of at most 9 operations.
#[test]
#[ignore]
fn witnesses_of_longer_histories_under_stress() {
    let cases = std::env::var("KVSIM_STRESS_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let witnesses = check_witnesses(cases, 14, 0.25, 9);
    println!("broken verdicts checked, per property: {witnesses:?}");
}

/// Checks the witness of every broken verdict of `cases` random histories of up to `most`
/// operations (see [`random_rows`]), asking the brute force too when a history has at most
/// `brute_up_to` operations; returns how many verdicts of each property were broken.
fn check_witnesses(
    cases: u64,
    most: usize,
    never_returns: f64,
    brute_up_to: usize,
) -> [usize; PROPERTIES.len()] {
    let mut witnesses = [0usize; PROPERTIES.len()];
    for seed in 0..cases {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let rows = random_rows(&mut rng, most, never_returns);
        let h = CheckHistory::new(rows.iter().cloned());
        let brute = |h: &CheckHistory, property| {
            (h.ops.len() <= brute_up_to)
                .then(|| brute_breaks(h, property))
                .flatten()
        };
        for (p, &property) in PROPERTIES.iter().enumerate() {
            let verdict = judge(&h, property);
            if verdict.ok != Some(false) {
                continue;
            }
            witnesses[p] += 1;
            let named = &verdict.operations;
            let name = property.name();
            assert!(!named.is_empty(), "seed {seed}: {name} broken, no witness");
            let alone = history_of(&rows, named);
            assert_eq!(
                judge(&alone, property).ok,
                Some(false),
                "seed {seed}: {name}: operations {named:?} alone do not break it\n{verdict:#?}\n{rows:#?}"
            );
            assert_ne!(
                brute(&alone, property),
                Some(false),
                "seed {seed}: {name}: the brute force says {named:?} alone keep it\n{rows:#?}"
            );
            for &drop in named {
                let rest = without(&rows, named, drop);
                let smaller = history_of(&rows, &rest);
                assert_ne!(
                    judge(&smaller, property).ok,
                    Some(false),
                    "seed {seed}: {name}: {rest:?} (without {drop}) still break it\n{verdict:#?}\n{rows:#?}"
                );
                assert_ne!(
                    brute(&smaller, property),
                    Some(true),
                    "seed {seed}: {name}: the brute force says {rest:?} still break it\n{rows:#?}"
                );
            }
        }
    }
    witnesses
}

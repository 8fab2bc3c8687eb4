//! Evidence for the model lattice: the implications hold for the brute-force definitions, the checkers'
//! own verdicts never contradict them, the verdicts made to agree still match the brute force, and the
//! strongest model is named honestly.

mod brute;
mod random;

use kvsim::check::lattice::{agree, implies, strongest, Strongest};
use kvsim::check::{check_all, check_each, CheckHistory, Property, Verdict, Verdicts};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The brute force's verdict on each property of the lattice, strongest first; `None` where it does not
/// judge (causal ones with a value written twice, sessions with a causal cycle).
fn brute_force(h: &CheckHistory) -> Vec<(Property, Option<bool>)> {
    let unique = h.repeated_writes().next().is_none();
    let sessions = brute::sessions(h);
    let mut judged = vec![
        (Property::Linearizable, Some(brute::linearizable(h))),
        (Property::Sequential, Some(brute::sequential(h))),
        (
            Property::CausalConvergence,
            unique.then(|| brute::causal_convergence(h)),
        ),
        (Property::Causal, unique.then(|| brute::causal(h))),
    ];
    let names = [
        Property::ReadYourWrites,
        Property::MonotonicReads,
        Property::MonotonicWrites,
        Property::WritesFollowReads,
    ];
    for (p, verdict) in names.into_iter().zip(sessions) {
        judged.push((p, verdict.filter(|_| unique)));
    }
    judged
}

/// Every (stronger, weaker) pair of the lattice.
fn pairs() -> Vec<(Property, Property)> {
    let mut pairs = Vec::new();
    for stronger in Property::ALL {
        for weaker in Property::ALL {
            if implies(stronger, weaker) {
                pairs.push((stronger, weaker));
            }
        }
    }
    pairs
}

fn lattice_on_random_histories(cases: u64, most: usize, never_returns: f64) {
    let mut decided = 0;
    for seed in 0..cases {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let h = CheckHistory::new(random::random_rows(&mut rng, most, never_returns));
        let truth = brute_force(&h);
        // The implications hold for the definitions themselves.
        for &(stronger, s) in &truth {
            for &(weaker, w) in &truth {
                if implies(stronger, weaker) && s == Some(true) {
                    assert_ne!(
                        w,
                        Some(false),
                        "seed {seed}: brute force: {} holds but {} is broken\n{h:#?}",
                        stronger.name(),
                        weaker.name()
                    );
                }
            }
        }
        // The checkers' own verdicts never contradict the implications (`agree` also asserts it, in
        // debug builds); the agreed ones match the brute force wherever it judges.
        let raw = check_each(&h, None);
        for (stronger, weaker) in pairs() {
            assert!(
                !(raw.get(stronger).ok == Some(true) && raw.get(weaker).ok == Some(false)),
                "seed {seed}: {} holds but {} is broken: {:?}\n{h:#?}",
                stronger.name(),
                weaker.name(),
                raw.get(weaker)
            );
        }
        let agreed = check_all(&h, None);
        assert_eq!(agreed, agree(&raw));
        for (p, expected) in truth {
            let Some(expected) = expected else { continue };
            let got = agreed.get(p).ok;
            assert!(
                got.is_none() || got == Some(expected),
                "seed {seed}: {} is {got:?}, brute force {expected}\n{h:#?}",
                p.name()
            );
            decided += usize::from(got.is_some());
        }
    }
    assert!(decided > cases as usize * 5, "{decided} verdicts decided");
}

#[test]
fn implications_hold_and_agreed_verdicts_match_brute_force() {
    lattice_on_random_histories(1_000, 8, 0.15);
}

#[test]
fn implications_hold_when_many_writes_never_return() {
    lattice_on_random_histories(500, 8, 0.4);
}

/// Verdicts with every property holding except those given.
fn verdicts(changed: &[(Property, Verdict)]) -> Verdicts {
    let mut all = Verdicts {
        linearizable: Verdict::holds(),
        sequential: Verdict::holds(),
        causal: Verdict::holds(),
        causal_convergence: Verdict::holds(),
        convergent: Verdict::unknown("no stores"),
        read_your_writes: Verdict::holds(),
        monotonic_reads: Verdict::holds(),
        monotonic_writes: Verdict::holds(),
        writes_follow_reads: Verdict::holds(),
    };
    for (p, v) in changed {
        *all.get_mut(*p) = v.clone();
    }
    all
}

fn reversal() -> Verdict {
    Verdict {
        operations: vec![0, 3],
        ..Verdict::broken(
            "causal reversal",
            vec![
                "client 0's put x = 1".into(),
                "client 1's get x -> null".into(),
            ],
        )
    }
}

#[test]
fn a_broken_sequential_verdict_breaks_an_unknown_linearizable_one_with_its_witness() {
    let raw = verdicts(&[
        (
            Property::Linearizable,
            Verdict::unknown("gave up after 2000000 steps"),
        ),
        (Property::Sequential, reversal()),
    ]);
    let agreed = agree(&raw);
    assert_eq!(agreed.linearizable.ok, Some(false));
    assert_eq!(
        agreed.linearizable.anomaly.as_deref(),
        Some("causal reversal")
    );
    assert_eq!(agreed.linearizable.operations, vec![0, 3]);
    assert_eq!(
        agreed.linearizable.witness,
        vec![
            "a linearizable history is sequentially consistent; this one is not:",
            "client 0's put x = 1",
            "client 1's get x -> null"
        ]
    );
    assert_eq!(agreed.sequential, reversal());
}

#[test]
fn a_broken_session_guarantee_breaks_every_model_left_unknown() {
    let gave_up = Verdict::unknown("gave up");
    let raw = verdicts(&[
        (Property::Linearizable, gave_up.clone()),
        (Property::Sequential, gave_up.clone()),
        (Property::CausalConvergence, gave_up.clone()),
        (Property::Causal, gave_up),
        (Property::MonotonicReads, reversal()),
    ]);
    let agreed = agree(&raw);
    for p in [Property::Linearizable, Property::Causal] {
        assert_eq!(agreed.get(p).ok, Some(false), "{}", p.name());
    }
    assert_eq!(
        agreed.causal.witness[0],
        "a causally consistent history keeps monotonic reads; this one does not:"
    );
    assert_eq!(
        strongest(&agreed).to_string(),
        "none (not causal: causal reversal; holds: read your writes, monotonic writes, writes follow reads)"
    );
}

#[test]
fn a_model_that_holds_makes_every_weaker_unknown_one_hold() {
    let raw = verdicts(&[
        (Property::CausalConvergence, Verdict::unknown("ambiguous")),
        (Property::Causal, Verdict::unknown("ambiguous")),
        (Property::ReadYourWrites, Verdict::unknown("ambiguous")),
    ]);
    assert_eq!(agree(&raw), verdicts(&[]));
}

/// A stronger property holding while a weaker one is broken is a checker bug: debug builds stop on it.
#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "checker bug: sequential holds but causal is broken")]
fn contradicting_checkers_are_a_bug_not_hidden() {
    agree(&verdicts(&[
        (Property::Linearizable, Verdict::unknown("gave up")),
        (Property::Causal, reversal()),
    ]));
}

#[test]
fn the_strongest_model_is_named_with_why_not_the_next() {
    let lin = strongest(&verdicts(&[]));
    assert_eq!(lin.to_string(), "linearizable");
    let causal = strongest(&verdicts(&[
        (
            Property::Linearizable,
            Verdict::broken("real-time violation", vec![]),
        ),
        (
            Property::Sequential,
            Verdict::broken("concurrent writes seen in different orders", vec![]),
        ),
        (
            Property::CausalConvergence,
            Verdict::broken("CyclicCF", vec![]),
        ),
    ]));
    assert_eq!(
        causal,
        Strongest {
            model: "causal",
            exact: true,
            not: Some("causal_convergence"),
            because: Some("CyclicCF".into()),
            sessions: vec![],
        }
    );
    assert_eq!(
        causal.to_string(),
        "causal (not causal convergence: CyclicCF)"
    );
    let at_least = strongest(&verdicts(&[
        (Property::Linearizable, Verdict::unknown("gave up")),
        (Property::Sequential, Verdict::unknown("out of states")),
    ]));
    assert_eq!(
        at_least.to_string(),
        "at least causal convergence (sequential unknown: out of states)"
    );
    let nothing = strongest(&verdicts(&[
        (Property::Linearizable, Verdict::unknown("ambiguous")),
        (Property::Sequential, Verdict::unknown("ambiguous")),
        (Property::CausalConvergence, Verdict::unknown("ambiguous")),
        (Property::Causal, Verdict::unknown("a value written twice")),
    ]));
    assert_eq!(
        nothing.to_string(),
        "unknown (causal unknown: a value written twice; holds: read your writes, monotonic reads, monotonic writes, writes follow reads)"
    );
}

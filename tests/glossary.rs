//! Every anomaly the checkers name has its sentence in the glossary, so that no output ever names an
//! anomaly it cannot explain: checked on thousands of random histories, each checker alone and all of
//! them together, and on the divergence of final stores.

mod random;

use std::collections::BTreeSet;

use kvsim::check::glossary::{meaning, ANOMALIES};
use kvsim::check::{check_all, check_property, CheckHistory, Property};
use kvsim::protocol::Store;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[test]
fn every_anomaly_a_checker_names_has_a_sentence() {
    let mut named = BTreeSet::new();
    for seed in 0..3_000 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let history = CheckHistory::new(random::random_rows(&mut rng, 8, 0.15));
        let all = check_all(&history, None);
        for property in Property::ALL {
            for verdict in [
                check_property(&history, None, property),
                all.get(property).clone(),
            ] {
                if verdict.ok == Some(false) {
                    let anomaly = verdict.anomaly.expect("a broken verdict names its anomaly");
                    assert!(
                        meaning(&anomaly).is_some(),
                        "seed {seed}: {anomaly:?} has no sentence"
                    );
                    named.insert(anomaly);
                }
            }
        }
    }
    let mut apart = Store::new();
    apart.insert("x".into(), "1".into());
    let stores = [apart, Store::new()];
    let diverged = check_property(
        &CheckHistory::new(Vec::new()),
        Some(&stores),
        Property::Convergent,
    );
    named.insert(diverged.anomaly.expect("the stores differ"));
    // The random histories meet most anomalies: the test is not vacuous.
    assert!(named.len() * 2 > ANOMALIES.len(), "only {named:?}");
    assert!(named.iter().all(|a| meaning(a).is_some()), "{named:?}");
}

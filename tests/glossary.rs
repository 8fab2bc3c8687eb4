//! Every anomaly the checkers name has its sentence in the glossary, so that no output ever names an
//! anomaly it cannot explain: checked on thousands of random histories, each checker alone and all of
//! them together, and on the divergence of final stores. And the output's sentences are the README
//! glossary's, word for word.

mod random;

use std::collections::{BTreeMap, BTreeSet};

use kvsim::check::glossary::{meaning, named_by, ANOMALIES};
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
            let own = check_property(&history, None, property);
            for verdict in [own, all.get(property).clone()] {
                // A hunt runs only the checkers that find what it looks for first-hand: one of them
                // must find it whenever any verdict shows it.
                if let (Some(false), Some(anomaly)) = (verdict.ok, &verdict.anomaly) {
                    let first_hand = named_by(anomaly).iter().any(|&p| {
                        check_property(&history, None, p).anomaly.as_ref() == Some(anomaly)
                    });
                    assert!(
                        first_hand,
                        "seed {seed}: {} shows {anomaly:?}, which none of {:?} finds first-hand",
                        property.name(),
                        named_by(anomaly)
                    );
                }
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

/// The README glossary's table of anomalies: each row's name (`**causal reversal**
/// (**WriteCOInitRead**)` read as `causal reversal (WriteCOInitRead)`, and a bare name before its
/// parenthesis, `value read from nowhere`, when only one row has it) and its sentence.
fn readme_sentences() -> BTreeMap<String, String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = readme
        .split("### Anomalies")
        .nth(1)
        .expect("the README has a glossary of anomalies");
    let mut sentences = BTreeMap::new();
    let mut bare: BTreeMap<String, Option<String>> = BTreeMap::new();
    for row in table
        .lines()
        .skip_while(|l| !l.starts_with("| anomaly"))
        .skip(2)
    {
        let cells: Vec<&str> = row.split(" | ").collect();
        let [name, _, sentence, ..] = cells[..] else {
            break;
        };
        let name = name.trim_start_matches("| ").replace("**", "");
        let sentence = sentence.to_string();
        if let Some((before, _)) = name.split_once(" (") {
            let seen = bare
                .entry(before.to_string())
                .or_insert(Some(sentence.clone()));
            if seen.as_deref() != Some(&sentence) {
                *seen = None;
            }
        }
        sentences.insert(name, sentence);
    }
    for (name, sentence) in bare {
        if let Some(sentence) = sentence {
            sentences.entry(name).or_insert(sentence);
        }
    }
    sentences
}

#[test]
fn the_outputs_sentences_are_the_readme_glossarys() {
    let readme = readme_sentences();
    for (name, sentence) in ANOMALIES {
        let written = readme
            .get(name)
            .unwrap_or_else(|| panic!("the README glossary has no row for {name:?}"));
        assert_eq!(
            written,
            sentence.trim_end_matches('.'),
            "{name}: the README and src/check/glossary.rs say different things"
        );
    }
}

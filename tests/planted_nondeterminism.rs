//! The determinism self-check catches a nondeterminism planted in the engine on purpose, and names
//! its seed. The plant is process-wide, so this test has its binary to itself.

use std::ops::ControlFlow;
use std::path::Path;

use kvsim::protocol::Model;
use kvsim::scenario::Scenario;
use kvsim::sim::plant_nondeterminism;
use kvsim::sweep::{sweep_checking_determinism, SeedRange, Seeds};

#[test]
fn the_determinism_check_names_the_seed_of_a_planted_nondeterminism() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/loss-duplication.json");
    let config = Scenario::load(&path).unwrap();
    let seeds = Seeds::new(
        SeedRange {
            start: 1000,
            end: 1300,
        },
        None,
    );
    let check = || {
        sweep_checking_determinism(
            &config,
            seeds,
            &Model::ALL,
            2,
            |_| ControlFlow::Continue(()),
        )
        .unwrap()
    };
    let clean = check();
    assert!(clean.holds(), "{:?}", clean.first);

    plant_nondeterminism(Some(1234));
    let found = check();
    plant_nondeterminism(None);
    let first = found.first.expect("the planted seed is caught");
    assert_eq!((first.seed, first.model), (1234, Model::Linearizable));
    assert_ne!(first.first, first.second);
    assert_eq!(
        found.differed, 4,
        "every model of that seed, and nothing else"
    );
    assert_eq!(found.runs, 1200);
    assert!(
        first
            .to_string()
            .starts_with("seed 1234 under linearizable gave a different run the second time"),
        "{first}"
    );
    assert_eq!(
        found.digest, clean.digest,
        "the first runs of every seed are the same as without the plant"
    );
}

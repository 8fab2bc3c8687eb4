//! The checkers decide the histories that used to defeat them: sequentially consistent runs that are
//! not linearizable (the old search gave up from about 500 operations), and `largest` runs on which
//! the linearizability search runs out of budget (the solver then decides).

use std::path::Path;

use kvsim::check::{check_run, linearizable, sequential, CheckHistory};
use kvsim::protocol::Model;
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::simulate;

fn load(name: &str) -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    Scenario::load(&path).unwrap_or_else(|err| panic!("{name}: {err}"))
}

#[test]
fn a_sequential_run_of_thousands_of_operations_is_decided_sequentially_consistent() {
    let json = r#"{"seed": 3, "replicas": 5, "network": {"delay": {"uniform": [1, 10]}},
        "workload": {"clients": 20, "ops": 150, "keys": 10, "reads": 0.5, "think": {"uniform": [0, 5]}}}"#;
    let config = Scenario::parse(json).unwrap().validate("scale").unwrap();
    let history = CheckHistory::from_run(&simulate(&config, Model::Sequential).history);
    assert_eq!(history.ops.len(), 3_000);
    // Stale local reads: not linearizable, so no shortcut decides it.
    assert_eq!(linearizable::check(&history).ok, Some(false));
    let verdict = sequential::check_alone(&history);
    assert_eq!(verdict.ok, Some(true), "{verdict:?}");
}

#[test]
fn largest_runs_where_the_linearizability_search_gives_up_are_decided() {
    // Seeds on which the search alone ran out of its 2,000,000 steps under the sequential protocol
    // (measured when this test was written): the solver, with real time added, decides them (26:
    // linearizable; 67: a real-time violation, shrunk to a few operations).
    let mut config = load("largest.json");
    for (seed, linearizable) in [(26, true), (67, false)] {
        config.seed = seed;
        let verdicts = check_run(&simulate(&config, Model::Sequential));
        assert_eq!(
            verdicts.linearizable.ok,
            Some(linearizable),
            "seed {seed}: {:?}",
            verdicts.linearizable
        );
        if !linearizable {
            assert!(verdicts.linearizable.operations.len() <= 8);
        }
        assert_eq!(verdicts.sequential.ok, Some(true), "seed {seed}");
    }
}

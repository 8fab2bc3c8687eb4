//! `network.schedule`: a pinned message takes its pinned delay; pinning every delay a run used
//! replays that run exactly; bad pins are refused with the field and the reason.

use std::path::Path;

use kvsim::hunt;
use kvsim::protocol::Model;
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::{simulate, simulate_noting_delays};

fn config(json: &str) -> Config {
    Scenario::parse(json).unwrap().validate("test").unwrap()
}

/// Client 0 writes x at replica 0; client 1 reads it at replica 1 at t=7. Every link takes 5 ms.
fn write_then_read(schedule: &str) -> String {
    format!(
        r#"{{"replicas": 2,
            "network": {{"delay": {{"constant": 5}}, "schedule": [{schedule}]}},
            "clients": [{{"replica": 0, "ops": [{{"put": ["x", "1"]}}]}},
                        {{"replica": 1, "start": 7, "ops": [{{"get": "x"}}]}}]}}"#
    )
}

#[test]
fn a_pinned_write_arrives_after_its_pinned_delay() {
    let on_time = simulate(&config(&write_then_read("")), Model::Eventual);
    assert_eq!(on_time.history[1].value.as_deref(), Some("1"));
    let pin = r#"{"client": 0, "op": 0, "from": 0, "to": 1, "delay": 20}"#;
    let late = simulate(&config(&write_then_read(pin)), Model::Eventual);
    assert_eq!(
        late.history[1].value, None,
        "the write reaches replica 1 at t=20"
    );
    // The other direction is not pinned: the pin names one link.
    let other = r#"{"client": 0, "op": 0, "from": 1, "to": 0, "delay": 20}"#;
    let same = simulate(&config(&write_then_read(other)), Model::Eventual);
    assert_eq!(same.history[1].value.as_deref(), Some("1"));
}

#[test]
fn a_pinned_acknowledgement_holds_back_the_multicast_it_acknowledges() {
    // Under sequential, replica 0 commits client 0's put once replica 1 has acknowledged it: pinning
    // that acknowledgement (from 1 to 0) delays the put's answer.
    let unpinned = simulate(&config(&write_then_read("")), Model::Sequential);
    let pin = r#"{"client": 0, "op": 0, "from": 1, "to": 0, "delay": 40}"#;
    let pinned = simulate(&config(&write_then_read(pin)), Model::Sequential);
    assert_eq!(unpinned.history[0].returned_at, Some(10));
    assert_eq!(pinned.history[0].returned_at, Some(45));
}

#[test]
fn client_hops_can_be_pinned() {
    let pins = r#"{"client": 0, "op": 0, "hop": "request", "delay": 3},
                  {"client": 0, "op": 0, "hop": "reply", "delay": 4}"#;
    let run = simulate(&config(&write_then_read(pins)), Model::Eventual);
    assert_eq!(run.history[0].returned_at, Some(7));
}

#[test]
fn pinning_every_delay_a_run_used_replays_it_exactly() {
    // Without faults or losses, a run's history depends only on its delays: pinned, with every
    // distribution made a constant, the same operations return the same values at the same times.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut replayed = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let raw = Scenario::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let config = raw.clone().validate("original").unwrap();
        if config.has_faults() || config.network.drop > 0.0 || config.network.duplicate > 0.0 {
            continue;
        }
        for model in Model::ALL {
            let explicit = hunt::explicit(&raw, &config);
            let pinned = hunt::pinned(&explicit, &config, model);
            let mut pinned_config = pinned.validate("pinned").unwrap();
            // The seed no longer matters.
            pinned_config.seed = config.seed.wrapping_add(1);
            let original = simulate(&config, model);
            let replay = simulate(&pinned_config, model);
            assert_eq!(
                original.history,
                replay.history,
                "{} under {model}",
                path.display()
            );
            let committed = |run: &kvsim::run::Run| -> Vec<_> {
                run.replicas.iter().map(|r| r.committed.clone()).collect()
            };
            assert_eq!(committed(&original), committed(&replay));
            replayed += 1;
        }
    }
    assert!(replayed >= 40, "{replayed} runs replayed");
}

#[test]
fn the_delays_noted_are_those_of_the_first_sendings_about_operations() {
    // Each operation's request and reply; under sequential the put is multicast (origin to the other
    // replica) and acknowledged (back), and the get is answered locally; under linearizable the get
    // is multicast and acknowledged too.
    let scenario = config(&write_then_read(""));
    let (_, used) = simulate_noting_delays(&scenario, Model::Sequential);
    assert_eq!(used.len(), 6, "{used:?}");
    let (_, used) = simulate_noting_delays(&scenario, Model::Linearizable);
    assert_eq!(used.len(), 8, "{used:?}");
    assert!(used.iter().all(|pin| pin.delay == 5 || pin.delay == 0));
}

#[test]
fn bad_pins_are_refused_with_their_field_and_reason() {
    let cases = [
        (
            r#"{"client": 2, "op": 0, "from": 0, "to": 1, "delay": 1}"#,
            "network.schedule[0].client: client 2, but the scenario has 2 clients",
        ),
        (
            r#"{"client": 0, "op": 1, "from": 0, "to": 1, "delay": 1}"#,
            "network.schedule[0].op: operation 1 of client 0 (counting from 0, sleeps not counted), but it runs 1",
        ),
        (
            r#"{"client": 0, "op": 0, "from": 0, "to": 2, "delay": 1}"#,
            "network.schedule[0].to: replica 2, but the scenario has 2 (0 to 1)",
        ),
        (
            r#"{"client": 0, "op": 0, "from": 1, "to": 1, "delay": 1}"#,
            "network.schedule[0]: a message goes between two different replicas, got 1 to itself",
        ),
        (
            r#"{"client": 0, "op": 0, "from": 0, "to": 1, "hop": "reply", "delay": 1}"#,
            "network.schedule[0]: a pin names either `from` and `to` (a message between replicas) or `hop` (\"request\" or \"reply\", a client's message), not both or neither",
        ),
        (
            r#"{"client": 0, "op": 0, "from": 0, "delay": 1}"#,
            "network.schedule[0]: a pin names either `from` and `to` (a message between replicas) or `hop` (\"request\" or \"reply\", a client's message), not both or neither",
        ),
        (
            r#"{"client": 0, "op": 0, "hop": "request", "delay": 1}, {"client": 0, "op": 0, "hop": "request", "delay": 2}"#,
            "network.schedule[1]: the delay of this message of client 0's operation 0 is given twice",
        ),
        (
            r#"{"client": 0, "op": 0, "hop": "request", "delay": 2000000000000}"#,
            "network.schedule[0].delay: 2000000000000 ms is more than the 1099511627776 ms (about 35 years) kvsim supports",
        ),
    ];
    for (pins, expected) in cases {
        let err = Scenario::parse(&write_then_read(pins))
            .unwrap()
            .validate("test")
            .unwrap_err();
        assert_eq!(err.to_string(), expected);
    }
    let err = Scenario::parse(&write_then_read(
        r#"{"client": 0, "op": 0, "hop": "sideways", "delay": 1}"#,
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("network.schedule[0].hop") && err.contains("sideways"),
        "{err}"
    );
}

//! The claims of the session-guarantee scenarios: monotonic-reads, monotonic-writes and
//! writes-follow-reads violations, and a client's own write lost to last-writer-wins, each made by
//! a client that moves between replicas.

use kvsim::check::Property;
use kvsim::protocol::Model;
use kvsim::scenario::Scenario;

use super::{run, run_config};

/// The session guarantees other than the one a scenario breaks, which its description says hold.
fn other_sessions_hold(outcome: &super::Outcome, broken: Property) {
    for property in [
        Property::ReadYourWrites,
        Property::MonotonicReads,
        Property::MonotonicWrites,
        Property::WritesFollowReads,
    ] {
        if property != broken {
            outcome.holds(property);
        }
    }
}

/// Under causal and eventual, client 1 reads x = 1 at replica 0 and then null at replica 1, which
/// x reaches only at t=200: a monotonic-reads violation, and a causal reversal.
#[test]
fn monotonic_reads_causal_and_eventual_read_1_then_null_at_t50() {
    for model in [Model::Causal, Model::Eventual] {
        let outcome = run("monotonic-reads", model);
        assert_eq!(outcome.applied_at(0, "x", "1"), 0);
        assert_eq!(outcome.applied_at(1, "x", "1"), 200);
        assert_eq!(
            (outcome.invoked_at(1, 0), outcome.op(1, 0).replica.0),
            (50, 0)
        );
        assert_eq!(
            (outcome.invoked_at(1, 1), outcome.op(1, 1).replica.0),
            (50, 1)
        );
        assert_eq!((outcome.read(1, 0), outcome.read(1, 1)), (Some("1"), None));
        assert_eq!(
            outcome.broken(Property::MonotonicReads),
            "monotonic-reads violation"
        );
        let reversal = "causal reversal (WriteCOInitRead)";
        assert_eq!(outcome.broken(Property::Causal), reversal);
        other_sessions_hold(&outcome, Property::MonotonicReads);
    }
}

/// Under sequential, x commits at replica 0 at t=205 and at replica 1 only at t=405: client 1 reads
/// null twice at t=50, then 1 and null at t=300.
#[test]
fn monotonic_reads_sequential_reads_1_then_null_at_t300() {
    let sequential = run("monotonic-reads", Model::Sequential);
    assert_eq!(sequential.applied_at(0, "x", "1"), 205);
    assert_eq!(sequential.applied_at(1, "x", "1"), 405);
    assert_eq!((sequential.read(1, 0), sequential.read(1, 1)), (None, None));
    assert_eq!(
        (sequential.invoked_at(1, 2), sequential.invoked_at(1, 3)),
        (300, 300)
    );
    assert_eq!(
        (sequential.read(1, 2), sequential.read(1, 3)),
        (Some("1"), None)
    );
    assert_eq!(
        sequential.broken(Property::MonotonicReads),
        "monotonic-reads violation"
    );
    let reversal = "causal reversal (WriteCOInitRead)";
    assert_eq!(sequential.broken(Property::Causal), reversal);
    other_sessions_hold(&sequential, Property::MonotonicReads);
}

/// Linearizable orders every read after the write, wherever it is sent: all four return 1, each
/// after waiting, and every property holds.
#[test]
fn monotonic_reads_linearizable_reads_1_every_time() {
    let linearizable = run("monotonic-reads", Model::Linearizable);
    for n in 0..4 {
        assert_eq!(linearizable.read(1, n), Some("1"));
        assert!(linearizable.op(1, n).latency().unwrap() > 0);
    }
    for property in Property::ALL {
        linearizable.holds(property);
    }
}

/// The same reads, all sent to client 1's home replica, keep monotonic reads under sequential and
/// causal: moving between replicas is what breaks it.
#[test]
fn monotonic_reads_holds_under_sequential_and_causal_for_a_reader_that_stays_home() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/monotonic-reads.json"
    );
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for op in json["clients"][1]["ops"].as_array_mut().unwrap() {
        op.as_object_mut().unwrap().remove("replica");
    }
    let config = Scenario::parse(&json.to_string())
        .and_then(|s| s.validate("monotonic-reads-at-home"))
        .unwrap();
    for model in [Model::Sequential, Model::Causal] {
        let outcome = run_config(&config, model);
        outcome.holds(Property::MonotonicReads);
        outcome.holds(Property::Causal);
    }
}

/// Under causal, client 1 reads x = 1 at replica 0 and writes y at replica 1, whose vector clock
/// has not seen x: replica 2 applies y at t=15, long before x, and client 2 sees y without x.
/// Eventual does the same.
#[test]
fn writes_follow_reads_causal_and_eventual_let_y_overtake_the_x_it_followed() {
    for model in [Model::Causal, Model::Eventual] {
        let outcome = run("writes-follow-reads", model);
        assert_eq!(
            (outcome.invoked_at(1, 0), outcome.op(1, 0).replica.0),
            (10, 0)
        );
        assert_eq!(outcome.read(1, 0), Some("1"), "client 1 reads x = 1");
        assert_eq!(outcome.op(1, 1).replica.0, 1, "and writes y at home");
        assert_eq!(outcome.writes_applied(2), ["y=2", "x=1"]);
        assert_eq!(outcome.applied_at(2, "y", "2"), 15);
        assert_eq!(outcome.applied_at(2, "x", "1"), 200);
        assert_eq!(outcome.invoked_at(2, 0), 30);
        assert_eq!((outcome.read(2, 0), outcome.read(2, 1)), (Some("2"), None));
        assert_eq!(
            outcome.broken(Property::WritesFollowReads),
            "writes-follow-reads violation"
        );
        let reversal = "causal reversal (WriteCOInitRead)";
        assert_eq!(outcome.broken(Property::Causal), reversal);
        other_sessions_hold(&outcome, Property::WritesFollowReads);
    }
}

/// Under sequential, x commits at replica 0 only at t=205, so client 1 reads null and y follows no
/// write: the run is linearizable. Under linearizable, client 1 reads 1, client 2 first reads
/// y = null and x = 1, and every property holds.
#[test]
fn writes_follow_reads_holds_under_sequential_and_linearizable() {
    let sequential = run("writes-follow-reads", Model::Sequential);
    assert_eq!(sequential.applied_at(0, "x", "1"), 205);
    assert_eq!(sequential.read(1, 0), None);
    let linearizable = run("writes-follow-reads", Model::Linearizable);
    assert_eq!(linearizable.read(1, 0), Some("1"));
    assert_eq!(
        (linearizable.read(2, 0), linearizable.read(2, 1)),
        (None, Some("1"))
    );
    for outcome in [&sequential, &linearizable] {
        for property in Property::ALL {
            outcome.holds(property);
        }
    }
}

/// Whatever the model, every replica ends with x = 1 and y = 2.
#[test]
fn writes_follow_reads_every_model_ends_with_both_writes_everywhere() {
    for model in Model::ALL {
        let outcome = run("writes-follow-reads", model);
        for replica in 0..3 {
            assert_eq!(outcome.store(replica, "x"), Some("1"), "{model}");
            assert_eq!(outcome.store(replica, "y"), Some("2"), "{model}");
        }
    }
}

/// Under causal, client 0's write of y at replica 1 carries a vector clock that has not seen its
/// earlier write of x: replica 2 applies y at t=5, x at t=200, and client 1 sees y without x.
/// Eventual does the same.
#[test]
fn monotonic_writes_causal_and_eventual_show_a_later_write_without_the_earlier() {
    for model in [Model::Causal, Model::Eventual] {
        let outcome = run("monotonic-writes", model);
        assert_eq!(outcome.op(0, 0).replica.0, 0);
        assert_eq!(outcome.op(0, 1).replica.0, 1, "y is written at replica 1");
        assert_eq!(outcome.writes_applied(2), ["y=2", "x=1"]);
        assert_eq!(outcome.applied_at(2, "y", "2"), 5);
        assert_eq!(outcome.applied_at(2, "x", "1"), 200);
        assert_eq!(outcome.invoked_at(1, 0), 20);
        assert_eq!((outcome.read(1, 0), outcome.read(1, 1)), (Some("2"), None));
        assert_eq!(
            outcome.broken(Property::MonotonicWrites),
            "monotonic-writes violation"
        );
        let reversal = "causal reversal (WriteCOInitRead)";
        assert_eq!(outcome.broken(Property::Causal), reversal);
        other_sessions_hold(&outcome, Property::MonotonicWrites);
    }
}

/// Under sequential, the write of x is answered when it commits, at t=205, and y commits after it
/// everywhere (at replica 2 at t=410): client 1 never sees y without x, and the run is
/// linearizable; so is the linearizable run, whose reads see y = null and x = 1, then both.
#[test]
fn monotonic_writes_holds_under_sequential_and_linearizable() {
    let sequential = run("monotonic-writes", Model::Sequential);
    assert_eq!(sequential.returned_at(0, 0), Some(205));
    assert_eq!(sequential.applied_at(0, "x", "1"), 205);
    for replica in 0..3 {
        assert_eq!(sequential.writes_applied(replica), ["x=1", "y=2"]);
    }
    assert_eq!(sequential.applied_at(2, "y", "2"), 410);
    assert_eq!((sequential.read(1, 0), sequential.read(1, 1)), (None, None));
    assert_eq!(sequential.invoked_at(1, 2), 320);
    assert_eq!(
        (sequential.read(1, 2), sequential.read(1, 3)),
        (None, Some("1"))
    );
    let linearizable = run("monotonic-writes", Model::Linearizable);
    assert_eq!(
        (linearizable.read(1, 0), linearizable.read(1, 1)),
        (None, Some("1"))
    );
    assert_eq!(
        (linearizable.read(1, 2), linearizable.read(1, 3)),
        (Some("2"), Some("1"))
    );
    for outcome in [&sequential, &linearizable] {
        for property in Property::ALL {
            outcome.holds(property);
        }
    }
    for model in Model::ALL {
        let outcome = run("monotonic-writes", model);
        for replica in 0..3 {
            assert_eq!(outcome.store(replica, "x"), Some("1"), "{model}");
            assert_eq!(outcome.store(replica, "y"), Some("2"), "{model}");
        }
    }
}

/// Under causal and eventual, client 0's later write x = 2, made at a replica whose Lamport clock
/// lags, is stamped lower than its earlier x = 1: last-writer-wins drops it everywhere, and the
/// client reads 2, then 1. The checkers name a causal reversal (WriteCORead).
#[test]
fn lost_own_write_causal_and_eventual_lose_the_later_write_to_last_writer_wins() {
    for model in [Model::Causal, Model::Eventual] {
        let outcome = run("lost-own-write", model);
        assert_eq!(outcome.applied_at(0, "z", "1"), 0);
        let stamp = |replica: usize, value: &str| {
            let committed = &outcome.run.replicas[replica].committed;
            let mut writes_of_x = committed.iter().filter(|e| &*e.key == "x");
            let entry = writes_of_x.find(|e| e.value.as_deref() == Some(value));
            entry.unwrap().stamp.time
        };
        assert_eq!((stamp(0, "1"), stamp(1, "2")), (2, 1));
        assert_eq!(outcome.invoked_at(0, 0), 10);
        assert_eq!(outcome.op(0, 1).replica.0, 1);
        assert!(outcome.op(0, 0).latency() == Some(0) && outcome.op(0, 1).latency() == Some(0));
        assert_eq!(outcome.read(0, 2), Some("2"));
        assert_eq!(outcome.writes_applied(0), ["z=1", "x=1", "x=2!"]);
        assert_eq!(outcome.writes_applied(1), ["x=2", "z=1", "x=1"]);
        assert_eq!(outcome.applied_at(1, "x", "1"), 210);
        assert_eq!(
            (outcome.invoked_at(0, 3), outcome.read(0, 3)),
            (310, Some("1"))
        );
        assert_eq!(
            (outcome.store(0, "x"), outcome.store(1, "x")),
            (Some("1"), Some("1"))
        );
        let reversal = "causal reversal (WriteCORead)";
        assert_eq!(outcome.broken(Property::Causal), reversal);
        outcome.broken(Property::ReadYourWrites);
        outcome.broken(Property::MonotonicReads);
        let real_time = outcome.broken(Property::Linearizable);
        assert_eq!(real_time, "real-time violation");
    }
}

/// Under sequential and linearizable, the write of x = 1 is answered when it commits, at t=215,
/// so x = 2 is stamped after it and wins: the client reads 2 both times, and the runs are
/// linearizable.
#[test]
fn lost_own_write_multicast_stamps_the_later_write_later() {
    for model in [Model::Sequential, Model::Linearizable] {
        let outcome = run("lost-own-write", model);
        assert_eq!(outcome.returned_at(0, 0), Some(215), "{model}");
        let x2 = (outcome.run.replicas[1].committed.iter())
            .find(|e| &*e.key == "x" && e.value.as_deref() == Some("2"))
            .unwrap();
        assert_eq!(x2.stamp.time, 4);
        assert_eq!(
            (outcome.read(0, 2), outcome.read(0, 3)),
            (Some("2"), Some("2"))
        );
        assert_eq!(
            (outcome.store(0, "x"), outcome.store(1, "x")),
            (Some("2"), Some("2"))
        );
        outcome.holds(Property::Linearizable);
    }
}

//! The claims of the scenarios with faults: a crash and restart, a partition that heals and one
//! that never does, links that reorder (with and without the channels' guard), and message loss.

use kvsim::check::Property;
use kvsim::ids::ReplicaId;
use kvsim::op::OpKind;
use kvsim::protocol::Model;
use kvsim::run::Stop;
use kvsim::scenario::Scenario;
use kvsim::sim::fault::Fault;

use super::{p99, run, run_config, Outcome};

/// Whether every operation of `outcome` was answered at once (latency 0).
fn all_answered_at_once(outcome: &Outcome) -> bool {
    outcome.run.history.iter().all(|o| o.latency() == Some(0))
}

/// r2 crashes after acknowledging x, so r0 and r1 commit x at t=10; the multicast then stalls: the
/// write of y times out, and r2 commits x from its kept hold-back queue at t=310, after its restart.
#[test]
fn crash_restart_multicast_stalls_while_r2_is_down_and_catches_up_after() {
    let causal = run("crash-restart", Model::Causal);
    assert_eq!(causal.applied_at(2, "x", "1"), 5, "r2 receives x at t=5");
    let faults: Vec<_> = (causal.run.faults.iter())
        .map(|f| (f.at, f.fault.clone()))
        .collect();
    let r2 = ReplicaId(2);
    assert_eq!(faults, [(7, Fault::Crash(r2)), (300, Fault::Restart(r2))]);
    for model in [Model::Linearizable, Model::Sequential] {
        let outcome = run("crash-restart", model);
        assert_eq!(outcome.applied_at(0, "x", "1"), 10);
        assert_eq!(outcome.applied_at(1, "x", "1"), 10);
        assert_eq!(outcome.applied_at(2, "x", "1"), 310);
        assert!(outcome.run.replicas[2].committed.iter().all(|e| e.at > 300));
        assert_eq!(outcome.invoked_at(1, 0), 50);
        assert!(outcome.timed_out(1, 0), "{model}: the write of y times out");
        assert_eq!(outcome.op(1, 0).gave_up_at, Some(300));
        assert!(outcome.applied_at(0, "y", "1") > 300, "y commits after it");
        outcome.holds(Property::Linearizable);
    }
    let linearizable = run("crash-restart", Model::Linearizable);
    assert!(linearizable.timed_out(0, 1), "even client 0's read of x");
    let sequential = run("crash-restart", Model::Sequential);
    assert_eq!(sequential.read(0, 1), Some("1"));
}

/// Client 2's read at r2, sent while r2 is down, is lost under every model, and the client gives
/// up after 250 ms; every store ends with x = 1 and y = 1.
#[test]
fn crash_restart_a_read_sent_to_the_crashed_replica_times_out_under_every_model() {
    for model in Model::ALL {
        let outcome = run("crash-restart", model);
        assert_eq!(outcome.invoked_at(2, 0), 100);
        assert!(outcome.timed_out(2, 0), "{model}");
        assert_eq!(outcome.op(2, 0).gave_up_at, Some(350));
        for replica in 0..3 {
            assert_eq!(outcome.store(replica, "x"), Some("1"));
            assert_eq!(outcome.store(replica, "y"), Some("1"));
        }
    }
}

/// Causal and eventual answer the write of y at once, but r2 applies it only at t=355, so client
/// 2's read of y at t=350 returns null: a stale read.
#[test]
fn crash_restart_causal_and_eventual_read_a_stale_y_after_the_restart() {
    for model in [Model::Causal, Model::Eventual] {
        let outcome = run("crash-restart", model);
        assert_eq!(outcome.op(1, 0).latency(), Some(0));
        assert_eq!(outcome.applied_at(2, "y", "1"), 355);
        assert_eq!((outcome.invoked_at(2, 1), outcome.read(2, 1)), (350, None));
        assert_eq!(outcome.broken(Property::Linearizable), "stale read");
    }
}

/// The multicast models time out on both sides of the partition and commit only after the heal;
/// linearizable reads time out too, sequential reads answer null at once.
#[test]
fn partition_multicast_writes_time_out_on_both_sides_and_commit_after_the_heal() {
    for model in [Model::Linearizable, Model::Sequential] {
        let outcome = run("partition", model);
        assert!(
            outcome.timed_out(0, 0) && outcome.timed_out(1, 0),
            "{model}"
        );
        for replica in 0..3 {
            assert!(outcome.applied_at(replica, "x", "a") > 600);
            assert!(outcome.applied_at(replica, "x", "b") > 600);
        }
    }
    let linearizable = run("partition", Model::Linearizable);
    assert!(linearizable.timed_out(0, 1) && linearizable.timed_out(1, 1));
    let sequential = run("partition", Model::Sequential);
    for client in 0..2 {
        assert_eq!(sequential.read(client, 1), None);
        assert_eq!(sequential.op(client, 1).latency(), Some(0));
    }
}

/// Causal and eventual answer at once, the sides diverge, and after the heal last-writer-wins
/// keeps b, written first but stamped higher: a lost update, named a stale read.
#[test]
fn partition_causal_and_eventual_diverge_then_keep_b_although_a_came_later() {
    for model in [Model::Causal, Model::Eventual] {
        let outcome = run("partition", model);
        assert!(all_answered_at_once(&outcome), "{model}");
        assert!(
            outcome.invoked_at(0, 0) > outcome.invoked_at(1, 0),
            "a came later"
        );
        assert_eq!(outcome.writes_applied(0), ["x=a", "x=b"]);
        assert_eq!(outcome.writes_applied(1), ["x=a", "x=b"]);
        assert_eq!(outcome.writes_applied(2), ["x=b", "x=a!"]);
        for replica in 0..2 {
            assert!(outcome.applied_at(replica, "x", "a") < 600);
        }
        assert!(outcome.applied_at(2, "x", "b") < 600);
        assert!(outcome.applied_at(0, "x", "b") > 600);
        assert_eq!(outcome.broken(Property::Linearizable), "stale read");
        let witness = outcome.witness_ops(Property::Linearizable);
        assert!(witness.contains(&(0, 0)), "the write of a: {witness:?}");
        assert!(witness.contains(&(1, 2)), "the last read of b: {witness:?}");
    }
    for model in Model::ALL {
        let outcome = run("partition", model);
        assert_eq!(
            (outcome.read(0, 2), outcome.read(1, 2)),
            (Some("b"), Some("b"))
        );
        for replica in 0..3 {
            assert_eq!(outcome.store(replica, "x"), Some("b"));
        }
    }
}

/// With a partition that never heals, causal and eventual answer everything, each side reads its
/// own write, and the replicas end different for good: a divergence, though the history alone is
/// sequentially consistent.
#[test]
fn partition_never_heals_causal_and_eventual_diverge_for_good() {
    for model in [Model::Causal, Model::Eventual] {
        let outcome = run("partition-never-heals", model);
        assert!(all_answered_at_once(&outcome), "{model}");
        for n in 1..3 {
            assert_eq!(
                (outcome.read(0, n), outcome.read(1, n)),
                (Some("a"), Some("b"))
            );
        }
        let stores: Vec<_> = (0..3).map(|r| outcome.store(r, "x")).collect();
        assert_eq!(stores, [Some("a"), Some("a"), Some("b")]);
        assert_eq!(outcome.broken(Property::Convergent), "divergence");
        assert_eq!(outcome.broken(Property::Linearizable), "stale read");
        let witness = outcome.witness_ops(Property::Linearizable);
        assert!(witness.contains(&(1, 0)), "the write of b: {witness:?}");
        assert!(
            witness.contains(&(0, 2)),
            "client 0's read of a: {witness:?}"
        );
        outcome.holds(Property::Sequential);
        assert_eq!(outcome.run.stats.stopped, Stop::Stalled);
        assert!(outcome.run.stats.retransmitted > 0, "retransmitted in vain");
    }
}

/// Linearizable and sequential block instead: no write commits, both time out, every store stays
/// empty (so they agree), and every property holds; linearizable reads time out, sequential reads
/// return null at once.
#[test]
fn partition_never_heals_multicast_blocks_and_every_store_stays_empty() {
    for model in [Model::Linearizable, Model::Sequential] {
        let outcome = run("partition-never-heals", model);
        assert!(
            outcome.timed_out(0, 0) && outcome.timed_out(1, 0),
            "{model}"
        );
        for replica in &outcome.run.replicas {
            assert!(replica.committed.is_empty() && replica.store.is_empty());
        }
        for property in Property::ALL {
            outcome.holds(property);
        }
        assert_eq!(outcome.run.stats.stopped, Stop::Stalled);
    }
    let linearizable = run("partition-never-heals", Model::Linearizable);
    assert!((linearizable.run.history.iter()).all(|o| o.returned_at.is_none()));
    let sequential = run("partition-never-heals", Model::Sequential);
    for client in 0..2 {
        for n in 1..3 {
            assert_eq!(sequential.read(client, n), None);
            assert_eq!(sequential.op(client, n).latency(), Some(0));
        }
    }
}

/// Without the channels' guard, r2 commits x = 2 before x = 1 (both stamped with Lamport time 1)
/// while r0 and r1 commit x = 1 first, under both multicast models: the stores end different.
#[test]
fn reordering_r2_commits_the_writes_in_the_other_order() {
    for model in [Model::Linearizable, Model::Sequential] {
        let outcome = run("reordering", model);
        assert_eq!(outcome.writes_applied(0), ["x=1", "x=2"], "{model}");
        assert_eq!(outcome.writes_applied(1), ["x=1", "x=2"]);
        assert_eq!(outcome.writes_applied(2), ["x=2", "x=1"]);
        let committed = &outcome.run.replicas[2].committed;
        assert_eq!((committed[0].stamp.time, committed[1].stamp.time), (1, 1));
        let stores: Vec<_> = (0..3).map(|r| outcome.store(r, "x")).collect();
        assert_eq!(stores, [Some("2"), Some("2"), Some("1")]);
        assert_eq!(outcome.broken(Property::Convergent), "divergence");
    }
}

/// Under sequential, client 0 reads 1 then 2 and client 2 reads 2 then 1: the checker names
/// concurrent writes seen in different orders. The linearizable run is only a stale read: client 2
/// reads 1 for ever, never 2.
#[test]
fn reordering_sequential_sees_two_orders_and_linearizable_a_stale_read() {
    let sequential = run("reordering", Model::Sequential);
    assert_eq!(
        (sequential.read(0, 1), sequential.read(0, 2)),
        (Some("1"), Some("2"))
    );
    assert_eq!(
        (sequential.read(2, 1), sequential.read(2, 2)),
        (Some("2"), Some("1"))
    );
    assert_eq!(
        sequential.broken(Property::Sequential),
        "concurrent writes seen in different orders"
    );
    let linearizable = run("reordering", Model::Linearizable);
    for n in 0..5 {
        assert_eq!(linearizable.read(2, n), Some("1"));
    }
    assert_eq!(
        (linearizable.read(0, 2), linearizable.read(1, 2)),
        (Some("2"), Some("2"))
    );
    assert_eq!(linearizable.broken(Property::Linearizable), "stale read");
    linearizable.holds(Property::Sequential);
    for model in [Model::Causal, Model::Eventual] {
        let outcome = run("reordering", model);
        assert!(outcome.stores_agree(), "{model}");
        outcome.holds(Property::Causal);
    }
}

/// reordering-guarded is the reordering scenario with in-order channels, and nothing else: r2
/// commits both writes at once, when x = 1 arrives, every replica commits x = 1 then x = 2, and
/// every store ends with x = 2.
#[test]
fn reordering_guarded_channels_restore_one_order() {
    let read = |name: &str| -> serde_json::Value {
        let path = format!("{}/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let object = json.as_object_mut().unwrap();
        object.remove("description");
        object.remove("channels");
        json
    };
    assert_eq!(read("reordering"), read("reordering-guarded"));
    for model in [Model::Linearizable, Model::Sequential] {
        let outcome = run("reordering-guarded", model);
        for replica in 0..3 {
            assert_eq!(outcome.writes_applied(replica), ["x=1", "x=2"], "{model}");
        }
        assert_eq!(
            outcome.applied_at(2, "x", "1"),
            outcome.applied_at(2, "x", "2")
        );
        outcome.holds(Property::Linearizable);
    }
    for model in Model::ALL {
        let outcome = run("reordering-guarded", model);
        for replica in 0..3 {
            assert_eq!(outcome.store(replica, "x"), Some("2"), "{model}");
        }
    }
}

/// Under 20% loss and 10% duplication every model keeps its own guarantee and the replicas
/// converge; the cost is latency and messages, by the figures the description gives.
#[test]
fn loss_duplication_costs_time_and_messages_but_no_guarantee() {
    let own = [
        (Model::Linearizable, Property::Linearizable),
        (Model::Sequential, Property::Sequential),
        (Model::Causal, Property::Causal),
        (Model::Eventual, Property::Convergent),
    ];
    for (model, property) in own {
        let outcome = run("loss-duplication", model);
        outcome.holds(property);
        outcome.holds(Property::Convergent);
        let stats = &outcome.run.stats;
        assert!(stats.dropped > 0 && stats.duplicated > 0 && stats.retransmitted > 0);
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/loss-duplication.json"
    );
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json["network"]["drop"] = 0.into();
    json["network"]["duplicate"] = 0.into();
    let perfect = Scenario::parse(&json.to_string())
        .and_then(|s| s.validate("loss-duplication-perfect"))
        .unwrap();
    let figures = |outcome: &Outcome| {
        (
            p99(outcome, OpKind::Get),
            p99(outcome, OpKind::Put),
            outcome.run.stats.messages,
        )
    };
    let lossy = |model| run("loss-duplication", model);
    let clean = |model| run_config(&perfect, model);
    assert_eq!(figures(&clean(Model::Linearizable)), (19, 19, 288));
    assert_eq!(figures(&clean(Model::Sequential)), (0, 18, 132));
    assert_eq!(figures(&lossy(Model::Linearizable)), (248, 235, 447));
    assert_eq!(figures(&lossy(Model::Sequential)), (0, 110, 187));
    for model in [Model::Causal, Model::Eventual] {
        assert!(all_answered_at_once(&lossy(model)));
        let slower = lossy(model).run.stats.duration > clean(model).run.stats.duration;
        assert!(slower, "{model}: propagation is slower");
    }
}

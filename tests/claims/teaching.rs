//! The claims of the fault-free teaching scenarios: causal-chain (the demo), concurrent writes seen
//! in different orders, a stale read, convergence, a lost read-your-writes, the seed documents'
//! tests of the totally-ordered multicast, and their largest test.

use kvsim::check::Property;
use kvsim::op::OpKind;
use kvsim::protocol::Model;

use super::{run, Outcome};

/// Asserts that every property holds in `outcome`.
fn every_property_holds(outcome: &Outcome) {
    for property in Property::ALL {
        outcome.holds(property);
    }
}

/// Under eventual, C sees B's write of y without A's write of x, which B had read: a causal
/// reversal, because replica 2 applies y before x arrives over the slow link.
#[test]
fn causal_chain_eventual_shows_a_causal_reversal() {
    let eventual = run("causal-chain", Model::Eventual);
    assert_eq!(eventual.read(1, 0), Some("1"), "B reads x = 1");
    assert_eq!(eventual.writes_applied(2), ["y=2", "x=1"]);
    assert_eq!(eventual.applied_at(2, "y", "2"), 35);
    assert_eq!(eventual.applied_at(2, "x", "1"), 100);
    assert_eq!(eventual.invoked_at(2, 0), 60);
    assert_eq!(eventual.read(2, 0), Some("2"), "C sees y");
    assert_eq!(eventual.read(2, 1), None, "C does not see x");
    let reversal = "causal reversal (WriteCOInitRead)";
    assert_eq!(eventual.broken(Property::Causal), reversal);
    assert_eq!(
        eventual.broken(Property::WritesFollowReads),
        "writes-follow-reads violation"
    );
}

/// Under causal, replica 2 receives y before x but holds it back, applying both when x arrives:
/// C sees neither, then both, and the run is sequentially consistent though not linearizable.
#[test]
fn causal_chain_causal_holds_y_back_until_x_arrives() {
    let causal = run("causal-chain", Model::Causal);
    assert_eq!(causal.read(1, 0), Some("1"), "B reads x = 1");
    assert_eq!(causal.writes_applied(2), ["x=1", "y=2"]);
    assert_eq!(causal.applied_at(2, "x", "1"), 100);
    assert_eq!(causal.applied_at(2, "y", "2"), 100);
    assert_eq!((causal.read(2, 0), causal.read(2, 1)), (None, None));
    assert_eq!(causal.invoked_at(2, 2), 120);
    assert_eq!(
        (causal.read(2, 2), causal.read(2, 3)),
        (Some("2"), Some("1"))
    );
    causal.holds(Property::Causal);
    causal.holds(Property::Sequential);
    assert_eq!(causal.broken(Property::Linearizable), "stale read");
    let witness = causal.witness_ops(Property::Linearizable);
    assert!(
        witness.contains(&(2, 1)),
        "C's read of x at t=60: {witness:?}"
    );
    assert!(witness.contains(&(0, 0)), "A's write of x: {witness:?}");
}

/// Under sequential, B's read of x overlaps the write and returns null (not stale); the stale read
/// is C's read of y = null at t=120, after B's write of y had completed at t=105.
#[test]
fn causal_chain_sequential_stale_read_is_cs_read_of_y_not_bs_read_of_x() {
    let sequential = run("causal-chain", Model::Sequential);
    assert_eq!(sequential.applied_at(1, "x", "1"), 105);
    assert_eq!(sequential.read(1, 0), None, "B reads x = null");
    assert_eq!(sequential.invoked_at(1, 0), 30);
    assert_eq!(
        sequential.returned_at(0, 0),
        Some(105),
        "it overlaps the write"
    );
    assert_eq!(sequential.returned_at(1, 1), Some(105), "B's write of y");
    assert_eq!(sequential.invoked_at(2, 2), 120);
    assert_eq!(sequential.read(2, 2), None, "C's read of y at t=120");
    assert_eq!(sequential.applied_at(2, "y", "2"), 135);
    assert_eq!(sequential.broken(Property::Linearizable), "stale read");
    let witness = sequential.witness_ops(Property::Linearizable);
    assert!(
        witness.contains(&(2, 2)),
        "C's read of y at t=120: {witness:?}"
    );
    assert!(witness.contains(&(1, 1)), "B's write of y: {witness:?}");
    assert!(!witness.contains(&(1, 0)), "not B's read of x: {witness:?}");
    sequential.holds(Property::Sequential);
}

/// Under linearizable, every read waits for the multicast; B reads x = 1, C ends up seeing both
/// writes, and every property holds.
#[test]
fn causal_chain_linearizable_keeps_every_property() {
    let linearizable = run("causal-chain", Model::Linearizable);
    assert_eq!(linearizable.read(1, 0), Some("1"));
    assert_eq!(linearizable.read(2, 2), Some("2"));
    assert_eq!(linearizable.read(2, 3), Some("1"));
    for op in &linearizable.run.history {
        assert!(op.latency().unwrap() > 0, "every operation waits: {op:?}");
    }
    every_property_holds(&linearizable);
}

/// Under causal and eventual each replica applies its own write first, and the two readers see the
/// two writes in opposite orders: not sequential, yet causally convergent.
#[test]
fn concurrent_writes_orders_causal_and_eventual_show_iriw() {
    for model in [Model::Causal, Model::Eventual] {
        let outcome = run("concurrent-writes-orders", model);
        assert_eq!(outcome.writes_applied(0), ["x=1", "y=1"]);
        assert_eq!(outcome.writes_applied(1), ["y=1", "x=1"]);
        assert_eq!(outcome.invoked_at(2, 0), 5);
        assert_eq!((outcome.read(2, 0), outcome.read(2, 1)), (Some("1"), None));
        assert_eq!((outcome.read(3, 0), outcome.read(3, 1)), (Some("1"), None));
        assert_eq!(
            outcome.broken(Property::Sequential),
            "concurrent writes seen in different orders"
        );
        outcome.holds(Property::CausalConvergence);
        outcome.holds(Property::Causal);
    }
}

/// Under sequential every replica commits x before y: the reads at t=5 see neither write, those at
/// t=65 both, and no reader sees y without x. Linearizable reads all return 1.
#[test]
fn concurrent_writes_orders_sequential_commits_one_order_everywhere() {
    let sequential = run("concurrent-writes-orders", Model::Sequential);
    for replica in 0..2 {
        assert_eq!(sequential.writes_applied(replica), ["x=1", "y=1"]);
    }
    for client in [2, 3] {
        assert_eq!(
            (sequential.read(client, 0), sequential.read(client, 1)),
            (None, None)
        );
        assert_eq!(sequential.invoked_at(client, 2), 65);
        assert_eq!(sequential.read(client, 2), Some("1"));
        assert_eq!(sequential.read(client, 3), Some("1"));
    }
    sequential.holds(Property::Sequential);
    let linearizable = run("concurrent-writes-orders", Model::Linearizable);
    for client in [2, 3] {
        for n in 0..4 {
            assert_eq!(linearizable.read(client, n), Some("1"));
        }
    }
}

/// Sequential answers client 1's reads at replica 1, which commits the write only about half a
/// second later, with null: a stale read. Linearizable waits and returns 1.
#[test]
fn stale_read_sequential_reads_the_old_value_after_the_write_was_answered() {
    let sequential = run("stale-read", Model::Sequential);
    assert_eq!(sequential.returned_at(0, 0), Some(10));
    assert!((450..=550).contains(&sequential.applied_at(1, "x", "1")));
    for n in 0..2 {
        assert_eq!(sequential.read(1, n), None);
    }
    assert_eq!(sequential.invoked_at(1, 0), 100);
    assert_eq!(sequential.invoked_at(1, 1), 150);
    assert_eq!(sequential.broken(Property::Linearizable), "stale read");
    sequential.holds(Property::Sequential);
    let linearizable = run("stale-read", Model::Linearizable);
    for n in 0..2 {
        assert_eq!(linearizable.read(1, n), Some("1"));
        let waited = linearizable.op(1, n).latency().unwrap();
        assert!((450..=550).contains(&waited), "waited {waited} ms");
    }
}

/// Causal and eventual send the write straight to replica 1, which applies it at t=2: both of
/// client 1's reads return 1 and the runs are linearizable.
#[test]
fn stale_read_causal_and_eventual_runs_are_linearizable() {
    for model in [Model::Causal, Model::Eventual] {
        let outcome = run("stale-read", model);
        assert_eq!(outcome.applied_at(1, "x", "1"), 2);
        assert_eq!(
            (outcome.read(1, 0), outcome.read(1, 1)),
            (Some("1"), Some("1"))
        );
        outcome.holds(Property::Linearizable);
    }
}

/// Under causal and eventual the first reads disagree, then last-writer-wins settles every replica
/// on c; replica 1 still reads b at t=30. Those runs are sequential, not linearizable.
#[test]
fn eventual_convergence_causal_and_eventual_disagree_then_settle_on_c() {
    for model in [Model::Causal, Model::Eventual] {
        let outcome = run("eventual-convergence", model);
        let first: Vec<_> = (0..3).map(|c| outcome.read(c, 1)).collect();
        assert_eq!(first, [Some("a"), Some("b"), Some("c")]);
        for replica in 0..3 {
            assert_eq!(outcome.store(replica, "x"), Some("c"));
        }
        assert_eq!(
            (outcome.invoked_at(1, 3), outcome.read(1, 3)),
            (30, Some("b"))
        );
        assert_eq!(
            (outcome.invoked_at(1, 4), outcome.read(1, 4)),
            (45, Some("c"))
        );
        outcome.holds(Property::Sequential);
        assert_eq!(outcome.broken(Property::Linearizable), "stale read");
    }
}

/// Under sequential every replica commits a, b, c and no client's reads go back in that order;
/// linearizable reads all return c; both make every write wait.
#[test]
fn eventual_convergence_sequential_reads_lag_but_never_disagree() {
    let sequential = run("eventual-convergence", Model::Sequential);
    let rank = |v: Option<&str>| ["a", "b", "c"].iter().position(|&w| Some(w) == v).unwrap();
    for replica in 0..3 {
        assert_eq!(sequential.writes_applied(replica), ["x=a", "x=b", "x=c"]);
    }
    for client in 0..3 {
        let reads: Vec<usize> = (1..6).map(|n| rank(sequential.read(client, n))).collect();
        assert!(reads.windows(2).all(|w| w[0] <= w[1]), "{reads:?}");
    }
    sequential.holds(Property::Sequential);
    let linearizable = run("eventual-convergence", Model::Linearizable);
    for client in 0..3 {
        for n in 1..6 {
            assert_eq!(linearizable.read(client, n), Some("c"));
        }
    }
    for outcome in [&sequential, &linearizable] {
        for client in 0..3 {
            assert!(outcome.op(client, 0).latency().unwrap() > 0);
        }
    }
}

/// A client that writes at its replica and reads at another misses its own write under
/// sequential, causal and eventual; linearizable returns it. A later read sees it under all four.
#[test]
fn read_your_writes_is_lost_except_under_linearizable() {
    for model in [Model::Sequential, Model::Causal, Model::Eventual] {
        let outcome = run("read-your-writes", model);
        let write_answered = outcome.returned_at(0, 0).unwrap();
        assert_eq!(write_answered, outcome.applied_at(0, "x", "1"));
        assert_eq!(outcome.op(0, 1).replica.0, 1, "the read goes to replica 1");
        assert_eq!(outcome.read(0, 1), None);
        assert!(outcome.applied_at(1, "x", "1") > outcome.returned_at(0, 1).unwrap());
        assert_eq!(
            outcome.broken(Property::ReadYourWrites),
            "read-your-writes violation"
        );
        let reversal = "causal reversal (WriteCOInitRead)";
        assert_eq!(outcome.broken(Property::Causal), reversal);
        assert_eq!(outcome.read(0, 2), Some("1"));
    }
    let causal = run("read-your-writes", Model::Causal);
    assert_eq!(causal.returned_at(0, 0), Some(0), "answered at once");
    let linearizable = run("read-your-writes", Model::Linearizable);
    assert_eq!(linearizable.read(0, 1), Some("1"));
    assert_eq!(linearizable.read(0, 2), Some("1"));
    every_property_holds(&linearizable);
}

/// m1 and m2 both get Lamport time 1 and the tie goes to replica 0: the multicast commits m1 then
/// m2 everywhere; causal and eventual replicas apply their own first and settle on m2.
#[test]
fn tob_concurrent_writes_commit_m1_then_m2_and_end_with_m2() {
    for model in [Model::Linearizable, Model::Sequential] {
        let outcome = run("tob-concurrent-writes", model);
        for replica in 0..3 {
            assert_eq!(outcome.writes_applied(replica), ["x=m1", "x=m2"]);
        }
        let stamps: Vec<u64> = (outcome.run.replicas[0].committed.iter())
            .map(|e| e.stamp.time)
            .collect();
        assert_eq!(stamps, [1, 1]);
    }
    for model in [Model::Causal, Model::Eventual] {
        let outcome = run("tob-concurrent-writes", model);
        assert_eq!(outcome.op(1, 0).replica.0, 1, "m2 is written at replica 1");
        assert_eq!(
            outcome.applied_at(0, "x", "m1"),
            0,
            "each applies its own at once"
        );
        assert_eq!(outcome.applied_at(1, "x", "m2"), 0);
        assert_eq!(outcome.writes_applied(0), ["x=m1", "x=m2"]);
        assert_eq!(outcome.writes_applied(1), ["x=m2", "x=m1!"]);
    }
    for model in Model::ALL {
        let outcome = run("tob-concurrent-writes", model);
        for replica in 0..3 {
            assert_eq!(outcome.store(replica, "x"), Some("m2"));
        }
    }
}

/// m1, sent late, is stamped after m2: every replica commits m2 then m1, replica 2 hearing of m1
/// last at t=45, and every store ends with m1, under all four models.
#[test]
fn tob_m1_delayed_commits_m2_then_m1_everywhere() {
    for model in Model::ALL {
        let outcome = run("tob-m1-delayed", model);
        for replica in 0..3 {
            assert_eq!(outcome.writes_applied(replica), ["x=m2", "x=m1"], "{model}");
            assert_eq!(outcome.store(replica, "x"), Some("m1"));
        }
        assert_eq!(outcome.applied_at(2, "x", "m1"), 45);
        let committed = &outcome.run.replicas[2].committed;
        assert!(
            committed[0].stamp < committed[1].stamp,
            "m1 is stamped after m2"
        );
    }
    let causal = run("tob-m1-delayed", Model::Causal);
    assert!(causal.applied_at(0, "x", "m2") < causal.invoked_at(0, 0));
}

/// The largest test: fresh values; one committed order under the multicast, several under causal
/// and eventual; equal stores everywhere; and the verdicts the description names.
#[test]
fn largest_orders_differ_only_under_causal_and_eventual_and_stores_agree() {
    for model in Model::ALL {
        let outcome = run("largest", model);
        let mut values: Vec<_> = (outcome.run.history.iter())
            .filter(|o| o.op == OpKind::Put)
            .map(|o| o.value.clone())
            .collect();
        let writes = values.len();
        values.sort();
        values.dedup();
        assert_eq!(values.len(), writes, "every write writes a fresh value");
        let orders: Vec<Vec<String>> = (0..5).map(|r| outcome.writes_applied(r)).collect();
        let one_order = orders.iter().all(|o| o == &orders[0]);
        let multicast = matches!(model, Model::Linearizable | Model::Sequential);
        assert_eq!(one_order, multicast, "{model}");
        assert!(outcome.stores_agree(), "{model}");
        match model {
            Model::Linearizable => outcome.holds(Property::Linearizable),
            Model::Sequential => {
                outcome.holds(Property::Sequential);
                assert_eq!(outcome.broken(Property::Linearizable), "stale read");
            }
            Model::Causal | Model::Eventual => {
                outcome.holds(Property::CausalConvergence);
                outcome.broken(Property::Sequential);
            }
        }
    }
}

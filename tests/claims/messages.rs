//! The claims the fault-free teaching scenarios make about individual messages and what a replica
//! waits for: which packet arrives when, which write a replica holds back and until what, which
//! acknowledgement a commit waits for. Read from the run's recorded event log ([`super::log`]).

use kvsim::ids::ReplicaId;
use kvsim::op::OpKind;
use kvsim::protocol::note::{Missing, Note, Why};
use kvsim::protocol::summary::{Clock, MessageKind};
use kvsim::protocol::Model;
use kvsim::run::Run;

use super::log::{carrying, notes, packets, recorded, stamp};

/// Asserts that every operation of `kind` in the run went through the totally-ordered multicast
/// and was answered only once its replica had every other replica's acknowledgement of it.
fn every_op_waits_for_the_multicast(run: &Run, kind: OpKind) {
    let packets = packets(run);
    let replicas = run.replicas.len() as u32;
    for (index, op) in run.history.iter().enumerate() {
        if op.op != kind {
            continue;
        }
        let multicast = packets
            .iter()
            .find(|p| p.kind == Some(MessageKind::Multicast) && p.op == Some(index as u32))
            .unwrap_or_else(|| panic!("operation {index} was never multicast: {op:?}"));
        let read = multicast.stamp.unwrap();
        let Some(answered) = op.returned_at else {
            continue;
        };
        let home = op.replica.0;
        for other in (0..replicas).filter(|&r| r != home) {
            let acks = carrying(run, other, home, MessageKind::MulticastAck, read);
            let acked = acks.iter().flat_map(|p| &p.delivered).min();
            assert!(
                acked.is_some_and(|&at| at <= answered),
                "operation {index} answered at t={answered} before r{other}'s ack: {acked:?}"
            );
        }
    }
}

/// causal-chain: x takes 100 ms to reach replica 2, over the slow link from replica 0.
#[test]
fn causal_chain_x_takes_100_ms_to_reach_replica_2() {
    for model in [Model::Causal, Model::Eventual] {
        let run = recorded("causal-chain", model);
        let x = stamp(&run, "x", "1");
        let to_r2 = carrying(&run, 0, 2, MessageKind::Write, x);
        assert_eq!((to_r2[0].sent, to_r2[0].arrived()), (0, 100), "{model}");
    }
}

/// causal-chain under causal: y reaches replica 2 at t=35, which holds it back, saying it needs
/// one write of replica 0 (x), and releases it when x arrives at t=100.
#[test]
fn causal_chain_causal_replica_2_holds_y_back_until_x_arrives() {
    let run = recorded("causal-chain", Model::Causal);
    let (x, y) = (stamp(&run, "x", "1"), stamp(&run, "y", "2"));
    let y_to_r2 = carrying(&run, 1, 2, MessageKind::Write, y);
    assert_eq!(y_to_r2[0].arrived(), 35);
    let missing = vec![Missing {
        origin: ReplicaId(0),
        needs: 1,
        applied: 0,
    }];
    let held = Note::HeldBack {
        stamp: y,
        why: Why::Dependencies { missing },
    };
    let released = Note::Released { stamp: y, after: x };
    assert_eq!(notes(&run, 2), [(35, held), (100, released)]);
}

/// causal-chain under eventual: replica 2 holds nothing back; y is applied as it arrives, at t=35.
#[test]
fn causal_chain_eventual_replica_2_applies_y_as_it_arrives() {
    let run = recorded("causal-chain", Model::Eventual);
    assert_eq!(notes(&run, 2), []);
    let y = stamp(&run, "y", "2");
    assert_eq!(carrying(&run, 1, 2, MessageKind::Write, y)[0].arrived(), 35);
}

/// causal-chain, concurrent-writes-orders, stale-read, monotonic-reads, writes-follow-reads: every
/// linearizable read waits for the multicast.
#[test]
fn linearizable_reads_wait_for_the_multicast() {
    for name in [
        "causal-chain",
        "concurrent-writes-orders",
        "stale-read",
        "monotonic-reads",
        "writes-follow-reads",
    ] {
        every_op_waits_for_the_multicast(&recorded(name, Model::Linearizable), OpKind::Get);
    }
}

/// eventual-convergence: sequential and linearizable make every write wait for the whole cluster.
#[test]
fn eventual_convergence_multicast_writes_wait_for_the_whole_cluster() {
    for model in [Model::Linearizable, Model::Sequential] {
        let run = recorded("eventual-convergence", model);
        every_op_waits_for_the_multicast(&run, OpKind::Put);
    }
}

/// concurrent-writes-orders under sequential: both writes go through the totally-ordered multicast.
#[test]
fn concurrent_writes_orders_sequential_writes_go_through_the_multicast() {
    let run = recorded("concurrent-writes-orders", Model::Sequential);
    every_op_waits_for_the_multicast(&run, OpKind::Put);
}

/// stale-read under sequential: replica 1 has acknowledged x at t=2 but holds it back, waiting for
/// replica 2's acknowledgement over the slow link, which arrives only at t=502.
#[test]
fn stale_read_sequential_replica_1_waits_half_a_second_for_replica_2s_ack() {
    let run = recorded("stale-read", Model::Sequential);
    let x = stamp(&run, "x", "1");
    let waits = Note::HeldBack {
        stamp: x,
        why: Why::Acks {
            from: vec![ReplicaId(2)],
        },
    };
    assert_eq!(notes(&run, 1), [(2, waits)]);
    let ack = carrying(&run, 2, 1, MessageKind::MulticastAck, x);
    assert_eq!(ack[0].arrived(), 502);
    assert_eq!(run.replicas[1].committed[0].at, 502);
}

/// stale-read under causal and eventual: the write goes from replica 0 straight to replica 1,
/// arriving at t=2.
#[test]
fn stale_read_causal_and_eventual_send_the_write_straight_to_replica_1() {
    for model in [Model::Causal, Model::Eventual] {
        let run = recorded("stale-read", model);
        let x = stamp(&run, "x", "1");
        let to_r1 = carrying(&run, 0, 1, MessageKind::Write, x);
        assert_eq!(to_r1.len(), 1, "{model}: one packet, no relay");
        assert_eq!(to_r1[0].arrived(), 2, "{model}");
        assert_eq!(notes(&run, 1), [], "{model}: nothing held back");
    }
}

/// monotonic-reads: the links into replica 1 are slow, 200 ms from replica 0 and 400 ms from
/// replica 2; under sequential x commits at replica 1 at t=405, when replica 2's ack arrives.
#[test]
fn monotonic_reads_sequential_replica_1_commits_when_replica_2s_ack_arrives() {
    let run = recorded("monotonic-reads", Model::Sequential);
    for packet in packets(&run)
        .iter()
        .filter(|p| p.to == 1 && !p.delivered.is_empty())
    {
        let delay = packet.arrived() - packet.sent;
        assert_eq!(delay, [200, 0, 400][packet.from as usize], "{packet:?}");
    }
    let x = stamp(&run, "x", "1");
    let waits = Note::HeldBack {
        stamp: x,
        why: Why::Acks {
            from: vec![ReplicaId(2)],
        },
    };
    assert_eq!(notes(&run, 1), [(200, waits)]);
    let ack = carrying(&run, 2, 1, MessageKind::MulticastAck, x);
    assert_eq!(ack[0].arrived(), 405);
    assert_eq!(run.replicas[1].committed[0].at, 405);
}

/// read-your-writes under sequential: replica 1 waits for replica 2's acknowledgement over a slow
/// link, so it commits x after the client's read there.
#[test]
fn read_your_writes_sequential_replica_1_waits_for_replica_2s_ack() {
    let run = recorded("read-your-writes", Model::Sequential);
    let x = stamp(&run, "x", "1");
    let (waited, note) = notes(&run, 1).remove(0);
    assert_eq!(
        note,
        Note::HeldBack {
            stamp: x,
            why: Why::Acks {
                from: vec![ReplicaId(2)]
            }
        }
    );
    let ack = &carrying(&run, 2, 1, MessageKind::MulticastAck, x)[0];
    let acked = ack.arrived();
    assert_eq!(acked - ack.sent, 60, "the slow link from replica 2");
    assert!(waited < ack.sent, "replica 1 waits from t={waited}");
    let read = &run.history[1];
    assert!(read.returned_at.unwrap() < acked, "the read came first");
    assert_eq!(run.replicas[1].committed[0].at, acked);
}

/// read-your-writes under causal and eventual: the write is answered before replica 1 hears of it.
#[test]
fn read_your_writes_causal_and_eventual_answer_before_replica_1_hears_of_the_write() {
    for model in [Model::Causal, Model::Eventual] {
        let run = recorded("read-your-writes", model);
        let x = stamp(&run, "x", "1");
        let heard = carrying(&run, 0, 1, MessageKind::Write, x)[0].arrived();
        assert!(run.history[0].returned_at.unwrap() < heard, "{model}");
        assert!(run.history[1].returned_at.unwrap() < heard, "{model}");
    }
}

/// monotonic-writes and writes-follow-reads under causal: y carries replica 1's vector clock,
/// which has not seen x, so replica 2 applies y without waiting for x.
#[test]
fn causal_y_carries_a_clock_that_has_not_seen_x_and_is_not_held_back() {
    for (name, y_applied, x_arrives) in [
        ("monotonic-writes", 5, 200),
        ("writes-follow-reads", 15, 200),
    ] {
        let run = recorded(name, Model::Causal);
        let (x, y) = (stamp(&run, "x", "1"), stamp(&run, "y", "2"));
        let y_to_r2 = &carrying(&run, 1, 2, MessageKind::Write, y)[0];
        let Clock::Vector(clock) = &y_to_r2.clock else {
            panic!("{name}: a causal write carries a vector clock")
        };
        assert_eq!(
            clock.get(ReplicaId(0)),
            0,
            "{name}: y's clock has not seen x"
        );
        assert_eq!(y_to_r2.arrived(), y_applied, "{name}");
        assert_eq!(notes(&run, 2), [], "{name}: replica 2 holds nothing back");
        let x_to_r2 = carrying(&run, 0, 2, MessageKind::Write, x);
        assert_eq!(x_to_r2[0].arrived(), x_arrives, "{name}");
    }
}

/// monotonic-writes under sequential: y is multicast only after x was answered, at t=205.
#[test]
fn monotonic_writes_sequential_y_is_multicast_after_x_commits() {
    let run = recorded("monotonic-writes", Model::Sequential);
    let (x, y) = (stamp(&run, "x", "1"), stamp(&run, "y", "2"));
    assert!(x < y, "x is stamped before y");
    let y_sent = carrying(&run, 1, 2, MessageKind::Multicast, y)[0].sent;
    assert!(y_sent >= 205, "y multicast at t={y_sent}");
}

/// lost-own-write: the link from replica 0 to replica 1 takes 200 ms; under causal replica 0 drops
/// x = 2 as superseded when it arrives; under sequential x = 1 is answered at t=215, after replica 1
/// received it.
#[test]
fn lost_own_write_x1_takes_200_ms_to_replica_1_and_replica_0_drops_x2_on_arrival() {
    let causal = recorded("lost-own-write", Model::Causal);
    let x1 = stamp(&causal, "x", "1");
    let to_r1 = &carrying(&causal, 0, 1, MessageKind::Write, x1)[0];
    assert_eq!((to_r1.sent, to_r1.arrived()), (10, 210));
    let x2 = stamp(&causal, "x", "2");
    let dropped = (causal.replicas[0].committed.iter())
        .find(|e| e.stamp == x2)
        .expect("r0 records x = 2");
    assert!(dropped.superseded, "r0 drops x = 2 ...");
    let arrives = carrying(&causal, 1, 0, MessageKind::Write, x2)[0].arrived();
    assert_eq!(dropped.at, arrives, "... when it arrives");
    let sequential = recorded("lost-own-write", Model::Sequential);
    let x1 = stamp(&sequential, "x", "1");
    let received = carrying(&sequential, 0, 1, MessageKind::Multicast, x1)[0].arrived();
    assert_eq!(received, 210);
    let answered = sequential
        .history
        .iter()
        .find(|o| o.op == OpKind::Put && &*o.key == "x");
    assert_eq!(answered.unwrap().returned_at, Some(215));
}

/// tob-concurrent-writes under causal and eventual: replica 1 receives m1 after it applied m2.
#[test]
fn tob_concurrent_writes_replica_1_receives_m1_after_applying_m2() {
    for model in [Model::Causal, Model::Eventual] {
        let run = recorded("tob-concurrent-writes", model);
        let m1 = stamp(&run, "x", "m1");
        let received = carrying(&run, 0, 1, MessageKind::Write, m1)[0].arrived();
        let m2_applied = run.replicas[1].committed[0].at;
        assert!(m2_applied < received, "{model}");
    }
}

/// tob-m1-delayed: m1's client sends it at t=5, after m2's multicast reached replica 0; replica 2
/// hears of m1 last, at t=45.
#[test]
fn tob_m1_delayed_m2_reaches_replica_0_first_and_replica_2_hears_of_m1_at_45() {
    for model in [Model::Linearizable, Model::Sequential] {
        let run = recorded("tob-m1-delayed", model);
        let (m1, m2) = (stamp(&run, "x", "m1"), stamp(&run, "x", "m2"));
        let m2_at_r0 = carrying(&run, 1, 0, MessageKind::Multicast, m2)[0].arrived();
        let m1_sent = carrying(&run, 0, 1, MessageKind::Multicast, m1)[0].sent;
        assert!(m2_at_r0 < m1_sent && m1_sent == 5, "{model}");
        let m1_at_r1 = carrying(&run, 0, 1, MessageKind::Multicast, m1)[0].arrived();
        let m1_at_r2 = carrying(&run, 0, 2, MessageKind::Multicast, m1)[0].arrived();
        assert_eq!(m1_at_r2, 45, "{model}");
        assert!(m1_at_r1 < m1_at_r2, "{model}");
    }
}

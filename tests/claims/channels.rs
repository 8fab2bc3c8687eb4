//! The claims the fault scenarios make about individual messages: which acknowledgement was on its
//! way when a replica crashed, when a channel's retry is due and how its timeout grew, which packet
//! overtook which, and what a channel kept until a gap filled. Read from the run's recorded event
//! log ([`super::log`]).

use kvsim::events::{Loss, What};
use kvsim::ids::ReplicaId;
use kvsim::protocol::clocks::Stamp;
use kvsim::protocol::note::{Note, Why};
use kvsim::protocol::summary::MessageKind;
use kvsim::protocol::{Model, Traffic};

use super::log::{carrying, notes, packets, recorded, retries, stamp};

/// crash-restart under the multicast: r2 receives x at t=5 and acknowledges it before it crashes
/// at t=7; r1's acknowledgement reaches r2 only after, and is lost; r2's was already on its way,
/// and r0 and r1 commit x = 1 when it arrives, at t=10.
#[test]
fn crash_restart_r2_acknowledges_x_before_it_crashes_and_its_ack_commits_x() {
    for model in [Model::Linearizable, Model::Sequential] {
        let run = recorded("crash-restart", model);
        let x = stamp(&run, "x", "1");
        let received = carrying(&run, 0, 2, MessageKind::Multicast, x)[0].arrived();
        assert_eq!(received, 5, "{model}");
        for other in [0, 1] {
            let ack = &carrying(&run, 2, other, MessageKind::MulticastAck, x)[0];
            assert_eq!(
                (ack.sent, ack.arrived()),
                (5, 10),
                "{model}: r2's ack to r{other}"
            );
            assert_eq!(run.replicas[other as usize].committed[0].at, 10, "{model}");
        }
        let from_r1 = &carrying(&run, 1, 2, MessageKind::MulticastAck, x)[0];
        assert_eq!(
            from_r1.lost,
            [(10, Loss::Down)],
            "{model}: after the crash at t=7"
        );
    }
}

/// crash-restart: the requests client 2 sends to r2 while it is down (its read at t=100, and the
/// next, when it gave up) are lost with the crashed replica, under every model.
#[test]
fn crash_restart_client_2s_read_is_lost_with_the_crashed_replica() {
    for model in Model::ALL {
        let run = recorded("crash-restart", model);
        let log = run.events.as_ref().unwrap();
        let lost: Vec<_> = (log.events.iter())
            .filter_map(|e| match e.what {
                What::RequestLost { op } => Some((e.at, run.history[op as usize].client.0)),
                _ => None,
            })
            .collect();
        assert_eq!(lost.first(), Some(&(100, 2)), "{model}");
        assert!(lost.iter().all(|&(at, client)| client == 2 && at < 300));
    }
}

/// crash-restart under the multicast: what cannot commit while r2 is down waits for r2's
/// acknowledgement — client 1's write of y at r1, and under linearizable client 0's read of x.
#[test]
fn crash_restart_the_multicast_waits_for_r2s_acknowledgement_while_it_is_down() {
    for model in [Model::Linearizable, Model::Sequential] {
        let run = recorded("crash-restart", model);
        let y = stamp(&run, "y", "1");
        // Held back for r2's acknowledgement, and committed only when it arrives, after the restart.
        let waits_for_r2 = |replica: u32, held: Stamp| {
            let said = notes(&run, replica)
                .into_iter()
                .any(|(at, note)| match note {
                    Note::HeldBack {
                        stamp,
                        why: Why::Acks { from },
                    } => stamp == held && from.contains(&ReplicaId(2)) && at < 300,
                    _ => false,
                });
            let acks = carrying(&run, 2, replica, MessageKind::MulticastAck, held);
            let acked = acks.iter().flat_map(|p| &p.delivered).min().copied();
            let committed = (run.replicas[replica as usize].committed.iter())
                .find(|e| e.stamp == held)
                .map(|e| e.at);
            said && acked > Some(300) && committed >= acked
        };
        assert!(waits_for_r2(1, y), "{model}: y waits at r1 for r2");
        if model == Model::Linearizable {
            let read = (packets(&run).into_iter())
                .find(|p| p.kind == Some(MessageKind::Multicast) && p.op == Some(1))
                .and_then(|p| p.stamp)
                .expect("client 0's read of x is multicast");
            assert_eq!(run.history[1].client.0, 0);
            assert!(waits_for_r2(0, read), "the read waits at r0 for r2");
        }
    }
}

/// crash-restart: the channels retransmit what r2 missed with their timeouts doubled by then: the
/// first retry of each after the restart at t=300 comes a doubled timeout (200 ms) after the one
/// before, and sets the next to 400 ms.
#[test]
fn crash_restart_retries_after_the_restart_come_with_doubled_timeouts() {
    let cases = [
        (Model::Sequential, 0, [(155, 200), (355, 400)]),
        (Model::Sequential, 1, [(105, 200), (305, 400)]),
        (Model::Causal, 1, [(150, 200), (350, 400)]),
        (Model::Eventual, 1, [(150, 200), (350, 400)]),
    ];
    for (model, from, expected) in cases {
        let run = recorded("crash-restart", model);
        assert_eq!(retries(&run, from, 2), expected, "{model}: r{from} to r2");
    }
}

/// crash-restart under the multicast: r2 held x back before it crashed (waiting for r1's
/// acknowledgement), and commits it at t=310 from that kept queue: x is never sent to it again,
/// only r1's acknowledgement, retransmitted.
#[test]
fn crash_restart_r2_commits_x_from_the_hold_back_queue_it_kept() {
    for model in [Model::Linearizable, Model::Sequential] {
        let run = recorded("crash-restart", model);
        let x = stamp(&run, "x", "1");
        let held = notes(&run, 2).into_iter().find(
            |(_, n)| matches!(n, Note::HeldBack { stamp, why: Why::Acks { .. } } if *stamp == x),
        );
        assert_eq!(
            held.map(|(at, _)| at),
            Some(5),
            "{model}: held back before the crash"
        );
        assert_eq!(
            carrying(&run, 0, 2, MessageKind::Multicast, x).len(),
            1,
            "{model}"
        );
        let acks = carrying(&run, 1, 2, MessageKind::MulticastAck, x);
        let delivered: Vec<_> = acks.iter().filter(|p| !p.delivered.is_empty()).collect();
        assert_eq!(delivered.len(), 1, "{model}");
        assert_eq!(delivered[0].traffic, Traffic::Retransmission, "{model}");
        assert_eq!(delivered[0].arrived(), 310, "{model}");
        assert_eq!(run.replicas[2].committed[0].at, 310, "{model}");
    }
}

/// crash-restart under causal and eventual: r1's first send of y to r2 is lost with the crashed
/// replica, and its next retry is due only at t=350, so r2 applies y at t=355.
#[test]
fn crash_restart_causal_and_eventual_r1s_retry_of_y_is_due_at_350() {
    for model in [Model::Causal, Model::Eventual] {
        let run = recorded("crash-restart", model);
        let y = stamp(&run, "y", "1");
        let sends = carrying(&run, 1, 2, MessageKind::Write, y);
        let arrivals: Vec<_> = sends.iter().filter(|p| !p.delivered.is_empty()).collect();
        assert_eq!(sends[0].lost.len(), 1, "{model}: the first send is lost");
        assert_eq!(
            sends[0].lost[0].1,
            Loss::Down,
            "{model}: with the crashed replica"
        );
        assert_eq!(arrivals.len(), 1, "{model}");
        assert_eq!((arrivals[0].sent, arrivals[0].arrived()), (350, 355));
        assert_eq!(arrivals[0].traffic, Traffic::Retransmission, "{model}");
        assert_eq!(retries(&run, 1, 2)[1].0, 350, "{model}");
    }
}

/// partition under the multicast: every packet across the cut is lost until the heal at t=600, and
/// the writes commit when the channels' retransmissions get through.
#[test]
fn partition_multicast_writes_commit_when_retransmissions_cross_the_healed_cut() {
    for model in [Model::Linearizable, Model::Sequential] {
        let run = recorded("partition", model);
        for packet in packets(&run) {
            let across = (packet.from == 2) != (packet.to == 2);
            if across && (100..600).contains(&packet.sent) {
                assert_eq!(
                    packet.lost,
                    [(packet.sent, Loss::Cut)],
                    "{model}: {packet:?}"
                );
            }
        }
        for key_value in ["a", "b"] {
            let write = stamp(&run, "x", key_value);
            let (from, to) = if key_value == "a" { (0, 2) } else { (2, 0) };
            let sends = carrying(&run, from, to, MessageKind::Multicast, write);
            let through = sends.iter().find(|p| !p.delivered.is_empty()).unwrap();
            assert_eq!(
                through.traffic,
                Traffic::Retransmission,
                "{model}: x = {key_value}"
            );
            assert!(through.sent > 600, "{model}: after the heal");
        }
    }
}

/// partition-never-heals: under every model the replicas retransmit across the cut in vain.
#[test]
fn partition_never_heals_replicas_retransmit_across_the_cut_in_vain() {
    for model in Model::ALL {
        let run = recorded("partition-never-heals", model);
        let mut retransmitted = 0;
        for packet in packets(&run) {
            if (packet.from == 2) != (packet.to == 2) {
                assert!(packet.delivered.is_empty(), "{model}: {packet:?}");
                assert!(packet.lost.iter().all(|(_, why)| *why == Loss::Cut));
                retransmitted += usize::from(packet.traffic == Traffic::Retransmission);
            }
        }
        assert!(retransmitted > 0, "{model}: retries across the cut");
    }
}

/// partition-never-heals under the multicast: each write waits for an acknowledgement from across
/// the cut, which never comes, so nothing is ever committed.
#[test]
fn partition_never_heals_multicast_writes_wait_for_acks_from_across_the_cut() {
    for model in [Model::Linearizable, Model::Sequential] {
        let run = recorded("partition-never-heals", model);
        for replica in 0..3 {
            let side = |r: ReplicaId| r.0 == 2;
            let mut held = 0;
            for (_, note) in notes(&run, replica) {
                let Note::HeldBack { why, .. } = note else {
                    continue;
                };
                let Why::Acks { from } = why else {
                    panic!("{model}: r{replica} holds back for {why:?}");
                };
                let across = from.iter().any(|&r| side(r) != side(ReplicaId(replica)));
                assert!(across, "{model}: r{replica} waits for {from:?}");
                held += 1;
            }
            assert!(held > 0, "{model}: r{replica} holds a write back");
            assert_eq!(run.replicas[replica as usize].committed, [], "{model}");
        }
    }
}

/// loss-duplication: the channels retransmit what is not acknowledged within 30 ms, doubling the
/// wait after each try, and drop the copies they have already delivered.
#[test]
fn loss_duplication_channels_retransmit_after_30_ms_doubling_and_drop_duplicates() {
    for model in Model::ALL {
        let run = recorded("loss-duplication", model);
        let mut timeouts = Vec::new();
        let mut duplicates = 0;
        for replica in 0..3 {
            for (_, note) in notes(&run, replica) {
                match note {
                    Note::Retransmit { timeout, .. } => timeouts.push(timeout),
                    Note::Duplicate { .. } => duplicates += 1,
                    _ => {}
                }
            }
        }
        let doubled = [60, 120, 240, 480];
        assert!(
            timeouts.iter().all(|t| doubled.contains(t)),
            "{model}: {timeouts:?}"
        );
        assert!(timeouts.contains(&60), "{model}: 30 ms doubled once");
        assert!(timeouts.contains(&120), "{model}: and again");
        assert!(duplicates > 0, "{model}: duplicates dropped");
    }
}

/// reordering and reordering-guarded: r0's acknowledgement of x = 2, sent after r0's own x = 1 on
/// the link to r2, overtakes it.
#[test]
fn reordering_r0s_ack_of_x2_overtakes_x1_on_the_link_to_r2() {
    for name in ["reordering", "reordering-guarded"] {
        for model in [Model::Linearizable, Model::Sequential] {
            let run = recorded(name, model);
            let (x1, x2) = (stamp(&run, "x", "1"), stamp(&run, "x", "2"));
            let one = &carrying(&run, 0, 2, MessageKind::Multicast, x1)[0];
            let ack = &carrying(&run, 0, 2, MessageKind::MulticastAck, x2)[0];
            assert!(one.sent < ack.sent, "{name} {model}: x = 1 sent first");
            assert!(
                ack.arrived() < one.arrived(),
                "{name} {model}: the ack overtakes it"
            );
        }
    }
}

/// reordering: without in-order channels r2 takes the overtaking acknowledgement as it comes and
/// commits x = 2 before x = 1 has even arrived.
#[test]
fn reordering_r2_commits_x2_before_x1_arrives() {
    for model in [Model::Linearizable, Model::Sequential] {
        let run = recorded("reordering", model);
        let x1 = stamp(&run, "x", "1");
        let arrives = carrying(&run, 0, 2, MessageKind::Multicast, x1)[0].arrived();
        let first = &run.replicas[2].committed[0];
        assert_eq!(first.value.as_deref(), Some("2"), "{model}");
        assert!(first.at < arrives, "{model}");
        let kept = notes(&run, 2)
            .into_iter()
            .filter(|(_, n)| matches!(n, Note::OutOfOrder { .. }))
            .count();
        assert_eq!(kept, 0, "{model}: no channel keeps anything back");
    }
}

/// reordering-guarded: r2's channel keeps the overtaking acknowledgement until x = 1 has arrived,
/// and r2 then commits both at once.
#[test]
fn reordering_guarded_r2s_channel_keeps_the_ack_until_x1_arrives() {
    for model in [Model::Linearizable, Model::Sequential] {
        let run = recorded("reordering-guarded", model);
        let (x1, x2) = (stamp(&run, "x", "1"), stamp(&run, "x", "2"));
        let one = &carrying(&run, 0, 2, MessageKind::Multicast, x1)[0];
        let ack = &carrying(&run, 0, 2, MessageKind::MulticastAck, x2)[0];
        let kept = Note::OutOfOrder {
            from: ReplicaId(0),
            seq: ack.seq,
            expected: one.seq,
        };
        assert!(notes(&run, 2).contains(&(ack.arrived(), kept)), "{model}");
        let committed = &run.replicas[2].committed;
        let at = |stamp| committed.iter().find(|e| e.stamp == stamp).unwrap().at;
        let behind = Note::HeldBack {
            stamp: x2,
            why: Why::Behind { head: x1 },
        };
        let released_with_x1 = (one.arrived(), behind);
        assert!(notes(&run, 2).contains(&released_with_x1), "{model}");
        assert!(at(x1) >= one.arrived(), "{model}");
        assert_eq!(at(x1), at(x2), "{model}: both at once");
    }
}

//! Unit tests of the totally-ordered multicast, driven by hand without the engine: what it sends,
//! delivers, and says about what it holds back.

use super::*;

fn drain<P: Clone>(tob: &mut TotalOrderMulticast<P>) -> Vec<TobOutput<P>> {
    std::iter::from_fn(|| tob.poll_output()).collect()
}

fn stamp(time: u64, replica: u32) -> Stamp {
    Stamp {
        time,
        replica: ReplicaId(replica),
    }
}

#[test]
fn multicast_is_sent_to_every_other_replica_and_held_back() {
    let mut tob = TotalOrderMulticast::new(ReplicaId(1), 3);
    let s = tob.multicast("m1");
    assert_eq!(s, stamp(1, 1));
    assert_eq!(
        drain(&mut tob),
        vec![
            TobOutput::Send {
                to: ReplicaId(0),
                msg: TobMessage::Multicast {
                    stamp: s,
                    payload: "m1"
                }
            },
            TobOutput::Send {
                to: ReplicaId(2),
                msg: TobMessage::Multicast {
                    stamp: s,
                    payload: "m1"
                }
            },
        ]
    );
    assert_eq!(
        tob.held_back(),
        1,
        "not delivered before the others acknowledge"
    );
}

#[test]
fn receiver_acknowledges_to_all_others_with_a_later_clock() {
    let mut tob = TotalOrderMulticast::new(ReplicaId(0), 3);
    tob.handle_message(
        ReplicaId(2),
        TobMessage::Multicast {
            stamp: stamp(4, 2),
            payload: "m",
        },
    );
    let acks = drain(&mut tob);
    assert_eq!(
        acks,
        vec![
            TobOutput::Send {
                to: ReplicaId(1),
                msg: TobMessage::Ack {
                    stamp: stamp(4, 2),
                    clock: 5
                }
            },
            TobOutput::Send {
                to: ReplicaId(2),
                msg: TobMessage::Ack {
                    stamp: stamp(4, 2),
                    clock: 5
                }
            },
        ]
    );
    assert_eq!(tob.clock(), 5);
}

#[test]
fn delivers_only_when_every_replica_has_acknowledged() {
    let mut tob = TotalOrderMulticast::new(ReplicaId(0), 3);
    let s = tob.multicast("m");
    drain(&mut tob);
    tob.handle_message(ReplicaId(1), TobMessage::Ack { stamp: s, clock: 2 });
    assert!(
        drain(&mut tob).is_empty(),
        "two of three acknowledgements are not enough"
    );
    tob.handle_message(ReplicaId(2), TobMessage::Ack { stamp: s, clock: 2 });
    assert_eq!(
        drain(&mut tob),
        vec![TobOutput::Deliver {
            stamp: s,
            payload: "m"
        }]
    );
    assert_eq!(tob.held_back(), 0);
}

#[test]
fn an_acknowledgement_may_arrive_before_its_message() {
    let mut tob = TotalOrderMulticast::new(ReplicaId(2), 3);
    tob.handle_message(
        ReplicaId(1),
        TobMessage::Ack {
            stamp: stamp(1, 0),
            clock: 2,
        },
    );
    tob.handle_message(
        ReplicaId(0),
        TobMessage::Multicast {
            stamp: stamp(1, 0),
            payload: "m",
        },
    );
    let out = drain(&mut tob);
    assert_eq!(
        out.last(),
        Some(&TobOutput::Deliver {
            stamp: stamp(1, 0),
            payload: "m"
        })
    );
}

#[test]
fn a_fully_acknowledged_message_waits_behind_a_smaller_stamp() {
    // Replica 2 holds m2 (stamp 2@r1) fully acknowledged, but m1 (stamp 1@r0) is still at the head of
    // its heap waiting for an acknowledgement: m2 must not overtake it.
    let mut tob = TotalOrderMulticast::new(ReplicaId(2), 3);
    tob.handle_message(
        ReplicaId(0),
        TobMessage::Multicast {
            stamp: stamp(1, 0),
            payload: "m1",
        },
    );
    tob.handle_message(
        ReplicaId(1),
        TobMessage::Multicast {
            stamp: stamp(2, 1),
            payload: "m2",
        },
    );
    tob.handle_message(
        ReplicaId(0),
        TobMessage::Ack {
            stamp: stamp(2, 1),
            clock: 3,
        },
    );
    assert!(!drain(&mut tob)
        .iter()
        .any(|o| matches!(o, TobOutput::Deliver { .. })));
    tob.handle_message(
        ReplicaId(1),
        TobMessage::Ack {
            stamp: stamp(1, 0),
            clock: 3,
        },
    );
    let delivered: Vec<_> = drain(&mut tob)
        .into_iter()
        .filter_map(|o| match o {
            TobOutput::Deliver { payload, .. } => Some(payload),
            TobOutput::Send { .. } | TobOutput::Note(_) => None,
        })
        .collect();
    assert_eq!(delivered, vec!["m1", "m2"]);
}

fn notes<P: Clone>(tob: &mut TotalOrderMulticast<P>) -> Vec<Note> {
    drain(tob)
        .into_iter()
        .filter_map(|o| match o {
            TobOutput::Note(note) => Some(note),
            _ => None,
        })
        .collect()
}

#[test]
fn an_explaining_multicast_names_the_missing_acknowledgements() {
    // Replica 0 of 3 receives r2's multicast: r2 (the origin) and r0 itself count, r1 does not.
    let mut tob = TotalOrderMulticast::new(ReplicaId(0), 3);
    tob.explain();
    tob.handle_message(
        ReplicaId(2),
        TobMessage::Multicast {
            stamp: stamp(4, 2),
            payload: "m",
        },
    );
    assert_eq!(
        notes(&mut tob),
        vec![Note::HeldBack {
            stamp: stamp(4, 2),
            why: Why::Acks {
                from: vec![ReplicaId(1)]
            }
        }]
    );
    // Its own multicast waits for both others.
    let own = tob.multicast("n");
    assert_eq!(
        notes(&mut tob),
        vec![Note::HeldBack {
            stamp: own,
            why: Why::Acks {
                from: vec![ReplicaId(1), ReplicaId(2)]
            }
        }]
    );
}

#[test]
fn an_explaining_multicast_says_when_a_message_waits_behind_an_older_one() {
    // m2 (2@r1) is fully acknowledged at replica 2, but m1 (1@r0) is older and still waits.
    let mut tob = TotalOrderMulticast::new(ReplicaId(2), 3);
    tob.explain();
    tob.handle_message(
        ReplicaId(0),
        TobMessage::Multicast {
            stamp: stamp(1, 0),
            payload: "m1",
        },
    );
    tob.handle_message(
        ReplicaId(1),
        TobMessage::Multicast {
            stamp: stamp(2, 1),
            payload: "m2",
        },
    );
    drain(&mut tob);
    tob.handle_message(
        ReplicaId(0),
        TobMessage::Ack {
            stamp: stamp(2, 1),
            clock: 3,
        },
    );
    assert_eq!(
        notes(&mut tob),
        vec![Note::HeldBack {
            stamp: stamp(2, 1),
            why: Why::Behind { head: stamp(1, 0) }
        }]
    );
}

#[test]
fn a_multicast_explains_nothing_unless_asked() {
    let mut tob = TotalOrderMulticast::new(ReplicaId(0), 3);
    tob.multicast("m");
    assert!(notes(&mut tob).is_empty());
}

#[test]
fn a_single_replica_delivers_at_once() {
    let mut tob = TotalOrderMulticast::new(ReplicaId(0), 1);
    let s = tob.multicast("m");
    assert_eq!(
        drain(&mut tob),
        vec![TobOutput::Deliver {
            stamp: s,
            payload: "m"
        }]
    );
}

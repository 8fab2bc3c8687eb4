//! Unit tests of the reliable channels, driven by hand without the engine: retransmission,
//! de-duplication, order, and what they say about it.

use super::*;

const A: ReplicaId = ReplicaId(0);
const B: ReplicaId = ReplicaId(1);

/// The packets in `outbox`, with their destination and kind, emptying it.
fn sent(outbox: &mut Outbox<Packet<&'static str>>) -> Vec<(Packet<&'static str>, Traffic)> {
    outbox
        .drain(..)
        .map(|output| match output {
            Output::Send { msg, traffic, .. } => (msg, traffic),
            other => panic!("channels only send, got {other:?}"),
        })
        .collect()
}

fn delivered(channels: &mut Channels<&'static str>, from: ReplicaId) -> Vec<&'static str> {
    std::iter::from_fn(|| channels.poll_delivery(from)).collect()
}

/// The notes in `outbox`, dropping everything else, emptying it.
fn notes(outbox: &mut Outbox<Packet<&'static str>>) -> Vec<Note> {
    outbox
        .drain(..)
        .filter_map(|output| match output {
            Output::Note(note) => Some(note),
            _ => None,
        })
        .collect()
}

#[test]
fn an_explaining_channel_names_early_and_duplicate_packets_and_retransmissions() {
    let mut b = Channels::new(2, ChannelConfig::default());
    b.explain();
    let mut outbox = Outbox::new();
    b.receive(5, A, Packet::Data { seq: 1, msg: "m1" }, &mut outbox);
    assert_eq!(
        notes(&mut outbox),
        vec![Note::OutOfOrder {
            from: A,
            seq: 1,
            expected: 0
        }]
    );
    b.receive(6, A, Packet::Data { seq: 0, msg: "m0" }, &mut outbox);
    assert_eq!(notes(&mut outbox), vec![], "filling the gap is no news");
    b.receive(7, A, Packet::Data { seq: 0, msg: "m0" }, &mut outbox);
    assert_eq!(
        notes(&mut outbox),
        vec![Note::Duplicate { from: A, seq: 0 }]
    );

    b.send(10, A, "r", &mut outbox);
    b.handle_timeout(110, &mut outbox);
    assert_eq!(
        notes(&mut outbox),
        vec![Note::Retransmit {
            to: A,
            messages: 1,
            timeout: 200
        }]
    );
}

#[test]
fn a_channel_explains_nothing_unless_asked() {
    let mut b = Channels::new(2, ChannelConfig::default());
    let mut outbox = Outbox::new();
    b.receive(5, A, Packet::Data { seq: 1, msg: "m1" }, &mut outbox);
    b.receive(7, A, Packet::Data { seq: 1, msg: "m1" }, &mut outbox);
    assert_eq!(notes(&mut outbox), vec![]);
}

#[test]
fn a_lost_message_is_retransmitted_until_acknowledged_with_backoff() {
    let mut a = Channels::new(2, ChannelConfig::default());
    let mut outbox = Outbox::new();
    a.send(0, B, "m", &mut outbox);
    assert_eq!(
        sent(&mut outbox),
        vec![(Packet::Data { seq: 0, msg: "m" }, Traffic::Data)]
    );
    assert_eq!(a.poll_timeout(), Some(100));

    // Nothing came back: the timer resends, and waits twice as long for the next try.
    a.handle_timeout(100, &mut outbox);
    assert_eq!(
        sent(&mut outbox),
        vec![(Packet::Data { seq: 0, msg: "m" }, Traffic::Retransmission)]
    );
    assert_eq!(a.poll_timeout(), Some(300));
    a.handle_timeout(300, &mut outbox);
    assert_eq!(a.poll_timeout(), Some(700));

    // The acknowledgement releases the copy and stops the timer.
    a.receive(350, B, Packet::Ack { next: 1 }, &mut outbox);
    assert_eq!(a.poll_timeout(), None);
    assert_eq!(a.unacknowledged(), 0);
}

#[test]
fn backoff_stops_growing_at_sixteen_times_the_base() {
    let mut a = Channels::new(2, ChannelConfig::default());
    let mut outbox = Outbox::new();
    a.send(0, B, "m", &mut outbox);
    let mut now = 0;
    for _ in 0..10 {
        now = a.poll_timeout().unwrap();
        a.handle_timeout(now, &mut outbox);
    }
    assert_eq!(a.poll_timeout(), Some(now + 100 * MAX_BACKOFF));
}

#[test]
fn an_ordered_channel_holds_early_messages_and_drops_duplicates() {
    let mut b = Channels::new(2, ChannelConfig::default());
    let mut outbox = Outbox::new();
    // 1 overtakes 0: it waits.
    b.receive(
        5,
        A,
        Packet::Data {
            seq: 1,
            msg: "second",
        },
        &mut outbox,
    );
    assert!(delivered(&mut b, A).is_empty());
    assert_eq!(
        sent(&mut outbox),
        vec![(Packet::Ack { next: 0 }, Traffic::Ack)]
    );
    // 0 arrives: both are delivered, in sending order.
    b.receive(
        6,
        A,
        Packet::Data {
            seq: 0,
            msg: "first",
        },
        &mut outbox,
    );
    assert_eq!(delivered(&mut b, A), vec!["first", "second"]);
    assert_eq!(
        sent(&mut outbox),
        vec![(Packet::Ack { next: 2 }, Traffic::Ack)]
    );
    // A copy of 0 (a duplicate, or a retransmission whose ack was lost) is acknowledged again
    // but not delivered again.
    b.receive(
        7,
        A,
        Packet::Data {
            seq: 0,
            msg: "first",
        },
        &mut outbox,
    );
    assert!(delivered(&mut b, A).is_empty());
    assert_eq!(
        sent(&mut outbox),
        vec![(Packet::Ack { next: 2 }, Traffic::Ack)]
    );
}

#[test]
fn an_unordered_channel_delivers_at_once_but_still_only_once() {
    let config = ChannelConfig {
        ordered: false,
        ..ChannelConfig::default()
    };
    let mut b = Channels::new(2, config);
    let mut outbox = Outbox::new();
    b.receive(
        5,
        A,
        Packet::Data {
            seq: 1,
            msg: "second",
        },
        &mut outbox,
    );
    assert_eq!(delivered(&mut b, A), vec!["second"]);
    b.receive(
        6,
        A,
        Packet::Data {
            seq: 1,
            msg: "second",
        },
        &mut outbox,
    );
    assert!(delivered(&mut b, A).is_empty(), "a duplicate above the gap");
    b.receive(
        7,
        A,
        Packet::Data {
            seq: 0,
            msg: "first",
        },
        &mut outbox,
    );
    assert_eq!(delivered(&mut b, A), vec!["first"]);
    b.receive(
        8,
        A,
        Packet::Data {
            seq: 1,
            msg: "second",
        },
        &mut outbox,
    );
    assert!(delivered(&mut b, A).is_empty(), "a duplicate below the gap");
    let acks: Vec<_> = sent(&mut outbox).into_iter().map(|(p, _)| p).collect();
    assert_eq!(acks.last(), Some(&Packet::Ack { next: 2 }));
}

#[test]
fn a_cumulative_ack_releases_everything_below_it_and_progress_resets_the_timeout() {
    let mut a = Channels::new(2, ChannelConfig::default());
    let mut outbox = Outbox::new();
    for msg in ["m0", "m1", "m2"] {
        a.send(0, B, msg, &mut outbox);
    }
    a.handle_timeout(100, &mut outbox);
    assert_eq!(sent(&mut outbox).len(), 3 + 3, "three sent, three resent");
    a.receive(150, B, Packet::Ack { next: 2 }, &mut outbox);
    assert_eq!(a.unacknowledged(), 1);
    assert_eq!(a.poll_timeout(), Some(250), "back to the base timeout");
    a.handle_timeout(250, &mut outbox);
    assert_eq!(
        sent(&mut outbox),
        vec![(Packet::Data { seq: 2, msg: "m2" }, Traffic::Retransmission)]
    );
}

//! The recorded protocol events (`--trace`): recording changes nothing else, every packet's fate is
//! told, the replicas' explanations say the right thing at the right moment, and the CLI prints them
//! as text and JSON only when asked.

use std::path::Path;
use std::process::Command;

use kvsim::events::{EventLog, Loss, What};
use kvsim::protocol::clocks::Stamp;
use kvsim::protocol::note::{Missing, Note, Why};
use kvsim::protocol::Model;
use kvsim::run::Run;
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::{simulate, simulate_recording, Record};

fn scenario(name: &str) -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    Scenario::load(&path).unwrap_or_else(|err| panic!("{name}: {err}"))
}

fn every_scenario() -> Vec<(String, Config)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| (n.clone(), scenario(&n)))
        .collect()
}

fn log(run: &Run) -> &EventLog {
    run.events.as_ref().expect("the run recorded events")
}

/// The notes replica `replica` made, with the time of each.
fn notes_at(run: &Run, replica: u32) -> Vec<(u64, Note)> {
    let log = log(run);
    log.indexed(run.replicas.len())
        .filter_map(|(event, index)| match event.what {
            What::Note { replica: r } if r.0 == replica => {
                Some((event.at, log.notes[index as usize].clone()))
            }
            _ => None,
        })
        .collect()
}

/// The stamp replica `replica` committed the put of `key` with.
fn stamp_of_put(run: &Run, replica: usize, key: &str) -> Stamp {
    run.replicas[replica]
        .committed
        .iter()
        .find(|entry| &*entry.key == key && entry.value.is_some())
        .map(|entry| entry.stamp)
        .expect("the put was committed")
}

#[test]
fn recording_events_changes_nothing_else_in_the_run() {
    for (name, config) in every_scenario() {
        for model in Model::ALL {
            let plain = simulate(&config, model);
            let traced = simulate_recording(&config, model, Record::Events);
            assert!(plain.events.is_none());
            assert_eq!(plain.history, traced.history, "{name} under {model}");
            assert_eq!(plain.stats, traced.stats, "{name} under {model}");
            for (a, b) in plain.replicas.iter().zip(&traced.replicas) {
                assert_eq!(a.committed, b.committed, "{name} under {model}");
                assert_eq!(a.store, b.store, "{name} under {model}");
            }
        }
    }
}

#[test]
fn events_are_in_time_order_and_every_packet_is_counted_once() {
    for (name, config) in every_scenario() {
        for model in Model::ALL {
            let run = simulate_recording(&config, model, Record::Events);
            let log = log(&run);
            assert!(!log.truncated);
            let times: Vec<u64> = log.events.iter().map(|e| e.at).collect();
            assert!(
                times.windows(2).all(|w| w[0] <= w[1]),
                "{name} under {model}: out of time order"
            );
            let count =
                |f: &dyn Fn(&What) -> bool| log.events.iter().filter(|e| f(&e.what)).count() as u64;
            let stats = &run.stats;
            assert_eq!(log.messages.len() as u64, stats.messages, "{name} {model}");
            assert_eq!(count(&|w| matches!(w, What::Sent { .. })), stats.messages);
            assert_eq!(count(&|w| matches!(w, What::Lost { .. })), stats.dropped);
            assert_eq!(
                count(&|w| matches!(w, What::Duplicated { .. })),
                stats.duplicated
            );
            assert_eq!(
                count(&|w| matches!(w, What::Invoke { .. })),
                run.history.len() as u64
            );
            let commits: usize = run.replicas.iter().map(|r| r.committed.len()).sum();
            assert_eq!(count(&|w| matches!(w, What::Commit { .. })), commits as u64);
        }
    }
}

#[test]
fn every_packet_fate_follows_its_sending_and_commits_follow_the_committed_orders() {
    for (name, config) in every_scenario() {
        for model in Model::ALL {
            let run = simulate_recording(&config, model, Record::Events);
            let log = log(&run);
            let mut sent_at = vec![None; log.messages.len()];
            let mut copies = vec![0u32; log.messages.len()];
            for (event, index) in log.indexed(run.replicas.len()) {
                match event.what {
                    What::Sent { msg } => {
                        sent_at[msg as usize] = Some(event.at);
                        copies[msg as usize] = 1;
                    }
                    What::Duplicated { msg } => copies[msg as usize] += 1,
                    What::Delivered { msg } | What::Lost { msg, .. } => {
                        let sent = sent_at[msg as usize].expect("sent before its fate");
                        assert!(sent <= event.at, "{name} under {model}");
                        assert!(
                            copies[msg as usize] > 0,
                            "{name} under {model}: a copy too many"
                        );
                        copies[msg as usize] -= 1;
                    }
                    What::Commit { replica } => {
                        let entry = &run.replicas[replica.index()].committed[index as usize];
                        assert_eq!(entry.at, event.at, "{name} under {model}");
                    }
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn a_packet_lost_on_arrival_is_told_at_its_receiver() {
    // crash-restart: r2 is down from t=7 to t=300; what r1 sends it meanwhile is lost as it is sent.
    let run = simulate_recording(
        &scenario("crash-restart.json"),
        Model::Causal,
        Record::Events,
    );
    let log = log(&run);
    let lost: Vec<(bool, Loss)> = log
        .events
        .iter()
        .filter_map(|e| match e.what {
            What::Lost { why, arriving, .. } => Some((arriving, why)),
            _ => None,
        })
        .collect();
    assert!(lost.contains(&(false, Loss::Down)), "{lost:?}");
    let (ok, json) = kvsim(&[
        "run",
        "scenarios/crash-restart.json",
        "--model",
        "linearizable",
        "--json",
        "--trace",
    ]);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let events = json["runs"][0]["events"].as_array().unwrap();
    let on_arrival = events
        .iter()
        .find(|e| e["event"] == "lost" && e["on"] == "arrival")
        .expect("an acknowledgement in flight when r2 crashed is lost on arrival");
    assert_eq!(on_arrival["replica"], on_arrival["to"]);
    let on_send = events
        .iter()
        .find(|e| e["event"] == "lost" && e["on"] == "send")
        .expect("a packet sent to r2 while it is down");
    assert_eq!(on_send["replica"], on_send["from"]);
}

#[test]
fn a_stale_read_says_what_its_replica_held_back() {
    let (ok, text) = kvsim(&[
        "run",
        "scenarios/stale-read.json",
        "--model",
        "sequential",
        "--show",
        "trace",
    ]);
    assert!(ok);
    let read = text
        .lines()
        .find(|l| l.starts_with("t=100  client 1  ← r1"))
        .expect("client 1's read at t=100");
    assert!(read.contains("get x -> null"), "{read}");
    assert!(
        read.contains("r1 holds back put x = 1 (1@r0): waits for acks from r2"),
        "{read}"
    );
}

#[test]
fn a_causal_reversal_says_the_cause_is_still_on_its_way() {
    // causal-chain under eventual: C reads y = 2 but x = null at t=60, while x crawls to r2.
    let (ok, text) = kvsim(&[
        "run",
        "scenarios/causal-chain.json",
        "--model",
        "eventual",
        "--show",
        "trace",
    ]);
    assert!(ok);
    let read = text
        .lines()
        .find(|l| l.starts_with("t= 60  client 2  ← r2") && l.contains("get x"))
        .expect("client 2's read of x at t=60");
    assert!(read.contains("get x -> null"), "{read}");
    assert!(
        read.contains("put x = 1 (1@r0) is still on its way from r0"),
        "{read}"
    );
}

#[test]
fn causal_holds_back_y_at_r2_until_x_arrives() {
    // causal-chain: y (written by B after reading x) reaches r2 at t=35, x only at t=100 over the
    // slow link from r0. The replica says why it waits, and what released it.
    let run = simulate_recording(
        &scenario("causal-chain.json"),
        Model::Causal,
        Record::Events,
    );
    let x = stamp_of_put(&run, 0, "x");
    let y = stamp_of_put(&run, 0, "y");
    let notes = notes_at(&run, 2);
    let missing = vec![Missing {
        origin: x.replica,
        needs: 1,
        applied: 0,
    }];
    assert_eq!(
        notes,
        vec![
            (
                35,
                Note::HeldBack {
                    stamp: y,
                    why: Why::Dependencies { missing }
                }
            ),
            (100, Note::Released { stamp: y, after: x }),
        ]
    );
}

#[test]
fn eventual_holds_nothing_back_in_the_causal_chain() {
    let run = simulate_recording(
        &scenario("causal-chain.json"),
        Model::Eventual,
        Record::Events,
    );
    for replica in 0..3 {
        assert!(notes_at(&run, replica).is_empty());
    }
}

#[test]
fn the_multicast_says_it_waits_for_acknowledgements_and_behind_an_older_message() {
    // causal-chain under linearizable: B's read of x (stamped after A's put x) is acknowledged by
    // all while put x still waits for r2's acknowledgement over the slow link.
    let run = simulate_recording(
        &scenario("causal-chain.json"),
        Model::Linearizable,
        Record::Events,
    );
    let x = stamp_of_put(&run, 0, "x");
    let notes = notes_at(&run, 0);
    assert!(notes.iter().any(|(_, note)| matches!(
        note,
        Note::HeldBack { stamp, why: Why::Acks { from } } if *stamp == x && from.len() == 2
    )));
    assert!(notes.iter().any(|(_, note)| matches!(
        note,
        Note::HeldBack { stamp, why: Why::Behind { head } } if *stamp != x && *head == x
    )));
}

#[test]
fn retransmissions_duplicates_and_early_packets_are_explained_by_the_channels() {
    let run = simulate_recording(
        &scenario("loss-duplication.json"),
        Model::Sequential,
        Record::Events,
    );
    let notes: Vec<&Note> = log(&run).notes.iter().collect();
    assert!(notes.iter().any(|n| matches!(n, Note::Retransmit { .. })));
    assert!(notes.iter().any(|n| matches!(n, Note::Duplicate { .. })));
    assert!(notes.iter().any(|n| matches!(n, Note::OutOfOrder { .. })));
}

fn kvsim(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_kvsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the kvsim binary runs");
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[test]
fn the_trace_is_printed_only_when_asked() {
    let args = ["run", "scenarios/causal-chain.json", "--model", "causal"];
    let (ok, plain) = kvsim(&args);
    assert!(ok);
    assert!(!plain.contains("holds back"));
    let (ok, traced) = kvsim(&[&args[..], &["--trace"]].concat());
    assert!(ok);
    let held = traced
        .lines()
        .find(|line| line.contains("holds back put y = 2"))
        .expect("the trace shows y held back");
    assert!(held.starts_with("t= 35  r2"), "{held}");
    assert!(
        held.contains("needs 1 write of r0, has applied 0"),
        "{held}"
    );
}

#[test]
fn json_has_events_only_with_trace() {
    let args = [
        "run",
        "scenarios/causal-chain.json",
        "--model",
        "causal",
        "--json",
    ];
    let (ok, plain) = kvsim(&args);
    assert!(ok);
    let plain: serde_json::Value = serde_json::from_str(&plain).unwrap();
    assert!(plain["runs"][0].get("events").is_none());

    let (ok, traced) = kvsim(&[&args[..], &["--trace"]].concat());
    assert!(ok);
    let traced: serde_json::Value = serde_json::from_str(&traced).unwrap();
    let run = &traced["runs"][0];
    assert_eq!(run["events_truncated"], false);
    let events = run["events"].as_array().expect("runs[].events");
    let held = events
        .iter()
        .find(|e| e["event"] == "note" && e["note"]["note"] == "held_back")
        .expect("a held-back note");
    assert_eq!(held["at"], 35);
    assert_eq!(held["replica"], 2);
    assert_eq!(held["note"]["why"]["reason"], "dependencies");
    assert_eq!(held["note"]["why"]["missing"][0]["origin"], 0);
    // A delivery names its packet, which names the operation it carries by its place in the history.
    let delivered = events
        .iter()
        .find(|e| e["event"] == "delivered" && e["message"]["kind"] == "write")
        .expect("a delivered write");
    let op = delivered["message"]["op"].as_u64().unwrap() as usize;
    assert_eq!(run["history"][op]["op"], "put");
    assert!(events
        .iter()
        .any(|e| e["event"] == "sent" && e["id"] == delivered["id"]));
}

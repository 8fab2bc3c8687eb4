//! What faults do to a run, seen from outside the engine: lost requests, timeouts, partitions that
//! never heal, and that all of it stays reproducible.

use kvsim::check::check_run;
use kvsim::protocol::Model;
use kvsim::report::{render, Show};
use kvsim::run::Stop;
use kvsim::scenario::{Config, Scenario};
use kvsim::sim::{fault_schedule, simulate};

fn config(json: &str) -> Config {
    Scenario::parse(json).unwrap().validate("faults").unwrap()
}

#[test]
fn a_partition_that_never_heals_stalls_the_multicast_instead_of_running_for_ever() {
    let config = config(
        r#"{"replicas": 3, "network": {"delay": {"constant": 5}},
            "faults": [{"at": 0, "partition": [[0, 1], [2]]}],
            "clients": [{"replica": 0, "ops": [{"put": ["x", "1"]}]}]}"#,
    );
    let lin = simulate(&config, Model::Linearizable);
    assert_eq!(lin.stats.stopped, Stop::Stalled);
    assert_eq!(lin.stats.completed, 0, "the write waits for r2 for ever");
    assert!(
        lin.stats.duration < 10_000,
        "it stops after a few futile retries, at {} ms",
        lin.stats.duration
    );
    // Eventual answers at once, and is left retrying its write to r2 just the same.
    let eventual = simulate(&config, Model::Eventual);
    assert_eq!(eventual.stats.completed, 1);
    assert_eq!(eventual.stats.stopped, Stop::Stalled);
    assert!(!eventual.converged());
}

#[test]
fn a_replica_that_never_restarts_or_a_one_way_cut_that_never_heals_stalls_the_run_too() {
    // The retransmissions to a crashed replica are lost; across a one-way cut they arrive, but the
    // acknowledgements cannot come back. Either way the next round of retries would go as the last.
    for fault in [
        r#"{"at": 0, "crash": 2}"#,
        r#"{"at": 0, "partition_oneway": {"from": [2], "to": [0, 1]}}"#,
        r#"{"at": 0, "crash": 1}, {"at": 20, "restart": 1}, {"at": 30, "crash": 1}"#,
    ] {
        let json = format!(
            r#"{{"replicas": 3, "network": {{"delay": {{"constant": 5}}}}, "faults": [{fault}],
                "clients": [{{"replica": 0, "ops": [{{"put": ["x", "1"]}}]}}]}}"#
        );
        for model in Model::ALL {
            let run = simulate(&config(&json), model);
            assert_eq!(run.stats.stopped, Stop::Stalled, "{model} with {fault}");
            assert!(
                run.stats.duration < 10_000,
                "{model} with {fault}: stopped only at {} ms",
                run.stats.duration
            );
        }
    }
}

#[test]
fn a_replica_that_crashes_for_good_holding_unacknowledged_writes_stalls_the_run_under_every_model()
{
    // r2 takes the write and sends it on: its copy to r0 is lost to the one-way cut, and r1's
    // acknowledgement arrives at t=10, just as r2 crashes. The heal at t=20 comes too late: r2 never
    // restarts to resend, so r0 never hears of the write. Causal and eventual used to end this run
    // "idle" (r2's timers are discarded while it is down, so the queue emptied) with r0 behind; the
    // multicast models stalled only because r1 retries its acknowledgement to r2 in vain.
    let config = config(
        r#"{"replicas": 3, "network": {"delay": {"constant": 5}},
            "faults": [{"at": 0, "partition_oneway": {"from": [2], "to": [0]}},
                       {"at": 10, "crash": 2}, {"at": 20, "heal": true}],
            "clients": [{"replica": 2, "ops": [{"put": ["x", "1"]}]}]}"#,
    );
    for model in Model::ALL {
        let run = simulate(&config, model);
        assert_eq!(run.stats.stopped, Stop::Stalled, "{model}");
        let r2 = &run.replicas[2];
        assert!(!r2.up, "{model}");
        assert_eq!(r2.unacknowledged, 2, "{model}: its copies to r0 and r1");
        let text = render(
            &config,
            std::slice::from_ref(&run),
            &[check_run(&run)],
            &Show::default(),
        );
        assert!(
            text.contains("r2 is down for good, holding 2 unacknowledged messages"),
            "{model}: the trace says why it stalled\n{text}"
        );
        if matches!(model, Model::Causal | Model::Eventual) {
            assert_eq!(run.stats.completed, 1, "{model}: r2 answered at once");
            assert!(!run.converged(), "{model}: r0 never got the write");
        }
    }
}

#[test]
fn a_client_waiting_for_ever_on_a_request_lost_to_a_crash_stalls_the_run() {
    // Nothing is queued once the request is lost, but the client has not finished: without a
    // timeout it waits for ever, so the run cannot end idle.
    let config = config(
        r#"{"replicas": 2, "faults": [{"at": 0, "crash": 1}],
            "clients": [{"replica": 1, "ops": [{"get": "x"}]}]}"#,
    );
    for model in Model::ALL {
        let run = simulate(&config, model);
        assert_eq!(run.stats.stopped, Stop::Stalled, "{model}");
        assert_eq!(run.stats.messages, 0, "{model}");
        let text = render(
            &config,
            std::slice::from_ref(&run),
            &[check_run(&run)],
            &Show::default(),
        );
        assert!(
            text.contains("client 0 waits for ever for an answer"),
            "{model}\n{text}"
        );
    }
}

#[test]
fn random_loss_alone_never_stalls_a_run() {
    let config = config(
        r#"{"seed": 4, "replicas": 3, "network": {"drop": 0.5, "duplicate": 0.2},
            "channels": {"retransmit": 20},
            "workload": {"clients": 3, "ops": 20, "keys": 2, "reads": 0.5}}"#,
    );
    for model in Model::ALL {
        let run = simulate(&config, model);
        assert_eq!(run.stats.stopped, Stop::Idle, "{model}");
        assert_eq!(run.stats.completed, 60, "{model}");
        assert!(run.converged(), "{model}");
    }
}

#[test]
fn a_request_to_a_crashed_replica_is_lost_and_its_client_gives_up_and_moves_on() {
    let config = config(
        r#"{"replicas": 2, "timeout": 50,
            "faults": [{"at": 0, "crash": 1}],
            "clients": [{"replica": 1, "ops": [{"get": "x"}, {"get": "x", "replica": 0}]}]}"#,
    );
    for model in Model::ALL {
        let run = simulate(&config, model);
        let first = &run.history[0];
        assert_eq!(first.returned_at, None, "{model}");
        assert_eq!(first.gave_up_at, Some(50), "{model}");
        let second = &run.history[1];
        assert_eq!(second.invoked_at, 50, "{model}: the client moved on");
        assert_eq!(
            run.stats.answered_late, 0,
            "{model}: the lost request is never answered"
        );
        if model == Model::Linearizable {
            // A linearizable read needs r1's acknowledgement too.
            assert_eq!(second.gave_up_at, Some(100));
            assert_eq!(run.stats.timed_out, 2);
        } else {
            assert!(
                second.returned_at.is_some(),
                "{model}: r0 answers a read alone"
            );
            assert_eq!(run.stats.timed_out, 1, "{model}");
        }
    }
}

#[test]
fn a_slow_answer_after_the_timeout_counts_as_answered_but_not_within_the_timeout() {
    let config = config(
        r#"{"replicas": 2, "timeout": 20, "network": {"delay": {"constant": 15}},
            "clients": [{"replica": 0, "ops": [{"put": ["x", "1"]}]}]}"#,
    );
    // The multicast needs a round trip of 30 ms; the client waits 20.
    let run = simulate(&config, Model::Linearizable);
    assert_eq!(run.stats.timed_out, 1);
    assert_eq!(run.stats.answered_late, 1);
    assert_eq!(run.stats.availability.answered, Some(1.0));
    assert_eq!(run.stats.availability.within_timeout, Some(0.0));
    assert_eq!(run.history[0].value.as_deref(), Some("1"));
    assert_eq!(run.replicas[1].store.get("x").map(|v| &**v), Some("1"));
}

#[test]
fn runs_with_faults_are_reproducible_and_each_seed_draws_its_own_nemesis() {
    let json = |seed: u64| {
        format!(
            r#"{{"seed": {seed}, "replicas": 3, "timeout": 100,
                "network": {{"drop": 0.1, "duplicate": 0.1}},
                "nemesis": {{"until": 800,
                    "partitions": {{"every": {{"exponential": 100}}, "lasting": {{"uniform": [10, 100]}}}},
                    "crashes": {{"every": {{"exponential": 200}}, "lasting": {{"uniform": [10, 100]}}}}}},
                "workload": {{"clients": 3, "ops": 10, "keys": 2, "reads": 0.5, "think": {{"uniform": [0, 50]}}}}}}"#
        )
    };
    for model in Model::ALL {
        let a = serde_json::to_string(&simulate(&config(&json(5)), model)).unwrap();
        let b = serde_json::to_string(&simulate(&config(&json(5)), model)).unwrap();
        assert_eq!(a, b, "{model}: the same seed gives the same bytes");
    }
    assert_ne!(
        fault_schedule(&config(&json(5))),
        fault_schedule(&config(&json(6)))
    );
}

#[test]
fn turning_on_the_nemesis_leaves_the_network_delays_of_a_fault_free_stretch_alone() {
    // The nemesis draws from a stream of its own: before its first fault, a run with it is the run
    // without it, event for event.
    let plain = r#"{"seed": 3, "replicas": 3,
        "clients": [{"replica": 0, "ops": [{"put": ["x", "1"]}, {"get": "x"}]},
                    {"replica": 1, "ops": [{"put": ["x", "2"]}, {"get": "x"}]}]}"#;
    let with_nemesis = plain.replace(
        r#""replicas": 3,"#,
        r#""replicas": 3, "nemesis": {"start": 10000, "until": 20000,
            "crashes": {"every": {"constant": 1}, "lasting": {"constant": 5}}},"#,
    );
    for model in Model::ALL {
        let a = simulate(&config(plain), model);
        let b = simulate(&config(&with_nemesis), model);
        assert_eq!(a.history, b.history, "{model}");
        assert!(!b.faults.is_empty());
    }
}

use kvsim::protocol::Model;
use kvsim::scenario::Scenario;
use kvsim::sim::{simulate_recording, Record};
use std::time::Instant;

#[test]
fn mem() {
    let json = r#"{"seed": 1, "replicas": 5, "network": {"delay": {"uniform": [1, 10]}},
        "workload": {"clients": 20, "ops": 5000, "keys": 10, "reads": 0.5, "think": {"uniform": [0, 5]}}}"#;
    let config = Scenario::parse(json).unwrap().validate("w").unwrap();
    let model = match std::env::var("MODEL").unwrap().as_str() {
        "linearizable" => Model::Linearizable,
        "sequential" => Model::Sequential,
        "causal" => Model::Causal,
        _ => Model::Eventual,
    };
    let record = if std::env::var("TRACE").is_ok() {
        Record::Events
    } else {
        Record::Everything
    };
    let t = Instant::now();
    let run = simulate_recording(&config, model, record);
    let el = t.elapsed();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap()
        .to_string();
    let n = run.events.as_ref().map_or(0, |l| l.events.len());
    eprintln!(
        "{model:?} trace={} {:?} {hwm} events={} recorded={n} msgs={}",
        record == Record::Events,
        el,
        run.stats.events,
        run.stats.messages
    );
}

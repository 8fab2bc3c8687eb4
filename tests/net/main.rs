//! The real transport, as processes on 127.0.0.1: replicas and a client started by hand, whole
//! clusters under each model judged by the same checkers, the stale read of `stale-read`, the
//! partition of `partition` and the crash of `crash-restart` happening on real sockets and
//! processes, and no replica process left behind — even when `kvsim cluster` is killed.
//!
//! Every process a test starts carries an environment variable naming the test (children inherit
//! it), so the test can find its processes in the process list (`/proc`) and prove that none is left,
//! without mistaking another test's for its own. Every wait is bounded. Linux only: the process
//! list is read from `/proc`.

#![cfg(target_os = "linux")]

mod processes;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use processes::{assert_none_left, free_ports, living, wait_bounded, Tagged};

fn kvsim(tag: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kvsim"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(processes::TAG_VAR, tag);
    command
}

fn scenario_file(name: &str, content: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("net-{name}.json"));
    std::fs::write(&path, content).expect("the scratch folder is writable");
    path
}

/// Three clients of six operations over two keys, with compare-and-sets and appends: small enough
/// for a debug build, busy enough that replicas must agree on concurrent writes.
const SMALL_WORKLOAD: &str = r#"{
    "seed": 5,
    "replicas": 3,
    "network": {"delay": {"uniform": [1, 3]}},
    "workload": {"clients": 3, "ops": 6, "keys": 2, "reads": 0.4, "cas": 0.1, "append": 0.1,
                 "think": {"uniform": [0, 2]}}
}"#;

#[test]
fn replicas_and_a_client_started_by_hand_serve_and_report_their_committed_order() {
    let tag = "net-by-hand";
    let ports = free_ports(3);
    let peers = ports
        .iter()
        .map(|port| format!("127.0.0.1:{port}"))
        .collect::<Vec<_>>()
        .join(",");
    let mut replicas = Vec::new();
    for id in 0..3 {
        let child = kvsim(tag)
            .args([
                "replica",
                "--model",
                "linearizable",
                "--id",
                &id.to_string(),
            ])
            .args(["--peers", &peers])
            .stdout(Stdio::piped())
            .spawn()
            .expect("kvsim replica starts");
        replicas.push(Tagged(Some(child)));
    }
    // The client retries nothing, so wait until every replica listens.
    for port in &ports {
        processes::wait_until_listening(*port);
    }
    let output = wait_bounded(
        kvsim(tag)
            .args(["client", "--connect", &peers, "--home", "1"])
            .args(["--op", "put x 1", "--op", "append x 2", "--op", "get x"]),
        Duration::from_secs(20),
    );
    assert!(output.status.success(), "{output:?}");
    let history = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = history.lines().collect();
    assert_eq!(lines.len(), 3, "one JSON line per operation: {history}");
    assert!(lines[2].contains(r#""op":"get""#) && lines[2].contains(r#""value":"12""#));
    let output = wait_bounded(
        kvsim(tag).args(["client", "--connect", &peers, "--shutdown"]),
        Duration::from_secs(20),
    );
    assert!(output.status.success(), "{output:?}");
    let reports = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        reports.matches("store: {x=12}").count(),
        3,
        "every replica applied both writes: {reports}"
    );
    for replica in &mut replicas {
        let child = replica.0.as_mut().expect("still held");
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().expect("waitable").is_none() {
            assert!(
                Instant::now() < deadline,
                "a replica did not exit on shutdown"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    drop(replicas);
    assert_none_left(tag);
}

#[test]
fn each_model_keeps_its_own_guarantee_and_converges_on_a_real_cluster() {
    let tag = "net-each-model";
    let path = scenario_file("small-workload", SMALL_WORKLOAD);
    let output = wait_bounded(
        kvsim(tag).arg("cluster").arg(&path).args([
            "--model",
            "all",
            "--fail-on",
            "own",
            "--fail-on",
            "convergent",
        ]),
        Duration::from_secs(40),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("A REAL RUN") && stdout.contains("not\ndeterministic"));
    for model in ["linearizable", "sequential", "causal", "eventual"] {
        assert!(
            stdout.contains(&format!(
                "== {model}: the real run beside the simulated run"
            )),
            "{stdout}"
        );
    }
    assert_none_left(tag);
}

#[test]
fn sequential_reads_are_stale_for_real_behind_a_slow_link() {
    let tag = "net-stale-read";
    let output = wait_bounded(
        kvsim(tag).args([
            "cluster",
            "scenarios/stale-read.json",
            "--model",
            "sequential",
        ]),
        Duration::from_secs(20),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    // Replica 1 commits the write only once replica 2's acknowledgement crosses the 500 ms link.
    assert_eq!(
        stdout.matches("client 1 @ r1  get x -> null").count(),
        2,
        "{stdout}"
    );
    assert!(
        stdout.contains("linearizable         BROKEN  stale read"),
        "{stdout}"
    );
    assert!(stdout.contains("sequential           holds"), "{stdout}");
    assert_none_left(tag);
}

#[test]
fn linearizable_writes_time_out_across_a_real_partition_and_commit_after_the_heal() {
    let tag = "net-partition";
    let output = wait_bounded(
        kvsim(tag).args([
            "cluster",
            "scenarios/partition.json",
            "--model",
            "linearizable",
        ]),
        Duration::from_secs(20),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("partition {r0 r1} | {r2}") && stdout.contains("heal"));
    // The multicast needs every replica's acknowledgement: both sides' writes time out...
    assert!(
        stdout.contains("client 1 @ r2  put x = b  (timed out"),
        "{stdout}"
    );
    assert!(
        stdout.contains("client 0 @ r0  put x = a  (timed out"),
        "{stdout}"
    );
    // ...and commit once the heal lets the retransmissions through: the last reads see b.
    assert!(stdout.contains("client 1 @ r2  get x -> b"), "{stdout}");
    assert!(stdout.contains("client 0 @ r0  get x -> b"), "{stdout}");
    assert!(
        stdout.contains("final stores: every replica holds x=b"),
        "{stdout}"
    );
    assert!(stdout.contains("linearizable         holds"), "{stdout}");
    assert_none_left(tag);
}

#[test]
fn bad_arguments_are_refused_with_status_2_and_name_the_problem() {
    let tag = "net-bad-arguments";
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "replica",
                "--model",
                "causal",
                "--id",
                "3",
                "--peers",
                "127.0.0.1:1",
            ],
            "--id 3 names no replica",
        ),
        (&["client", "--connect", "127.0.0.1:1"], "nothing to do"),
        (
            &["client", "--connect", "127.0.0.1:1", "--op", "put x"],
            "expected `put K V`",
        ),
        (
            &[
                "client",
                "--connect",
                "127.0.0.1:1",
                "--op",
                "get x",
                "--home",
                "2",
            ],
            "--connect lists 1",
        ),
    ];
    for (args, message) in cases {
        let output = wait_bounded(kvsim(tag).args(args), Duration::from_secs(10));
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    assert_none_left(tag);
}

#[test]
fn a_crashed_replica_process_restarts_from_its_saved_state() {
    let tag = "net-crash-restart";
    let output = wait_bounded(
        kvsim(tag).args([
            "cluster",
            "scenarios/crash-restart.json",
            "--model",
            "sequential",
        ]),
        Duration::from_secs(20),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("crash r2") && stdout.contains("restart r2"),
        "{stdout}"
    );
    // What r2 held back or missed while it was down reaches it after the restart, through the
    // hold-back queue and channels it saved: every replica ends with both writes.
    assert!(
        stdout.contains("committed order: every replica committed the same 2 writes"),
        "{stdout}"
    );
    assert!(
        stdout.contains("final stores: every replica holds x=1 y=1"),
        "{stdout}"
    );
    assert!(stdout.contains("sequential           holds"), "{stdout}");
    assert_none_left(tag);
}

/// A cluster whose only client sleeps for a minute: it is still running when the test stops it.
const LONG_RUN: &str = r#"{
    "replicas": 3,
    "clients": [{"replica": 0, "ops": [{"put": ["x", "1"]}, {"sleep": 60000}, {"get": "x"}]}]
}"#;

/// Starts `kvsim cluster` on the long scenario and waits until its three replicas are up.
fn long_cluster(tag: &str) -> (Tagged, Vec<u32>) {
    let path = scenario_file(tag, LONG_RUN);
    let cluster = kvsim(tag)
        .arg("cluster")
        .arg(&path)
        .args(["--model", "sequential"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kvsim cluster starts");
    let cluster = Tagged(Some(cluster));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let replicas: Vec<u32> = living(tag)
            .into_iter()
            .filter(|&pid| pid != cluster.id())
            .collect();
        if replicas.len() == 3 {
            return (cluster, replicas);
        }
        assert!(Instant::now() < deadline, "the replicas did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn killing_the_cluster_outright_leaves_no_replica_behind() {
    let tag = "net-sigkill";
    let (mut cluster, replicas) = long_cluster(tag);
    // SIGKILL: no destructor runs; the kernel kills the children (PR_SET_PDEATHSIG).
    cluster.signal(libc::SIGKILL);
    let waited = cluster.wait();
    assert!(!waited.success());
    assert_none_left(tag);
    assert!(replicas.iter().all(|&pid| !processes::is_alive(pid)));
}

#[test]
fn a_terminated_cluster_stops_its_replicas_and_exits_130() {
    let tag = "net-sigterm";
    let (mut cluster, _) = long_cluster(tag);
    cluster.signal(libc::SIGTERM);
    let waited = cluster.wait();
    assert_eq!(waited.code(), Some(130));
    assert_none_left(tag);
}

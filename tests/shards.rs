//! Sweeps across machines: `--shard auto` reads the shard from a Kubernetes Indexed Job or a Slurm
//! job array, each shard writes its summary into a results directory, and `--merge DIR` adds them
//! up into exactly the whole sweep, kinds of failure included — run here as the deploy files' own
//! commands, one process per shard — or refuses a directory that lacks a shard or holds one twice.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use kvsim::sweep::{shard_from_env, Scheduler, SchedulerError, Shard};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `kvsim`, with no scheduler variable of the machine running the tests.
fn kvsim_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kvsim"));
    command.current_dir(ROOT);
    for name in SCHEDULER_VARIABLES {
        command.env_remove(name);
    }
    command
}

const SCHEDULER_VARIABLES: [&str; 6] = [
    "JOB_COMPLETION_INDEX",
    "KVSIM_SHARDS",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_STEP",
    "SLURM_ARRAY_TASK_COUNT",
];

fn kvsim(args: &[&str]) -> Output {
    kvsim_command().args(args).output().unwrap()
}

/// A fresh, empty directory for one test.
fn fresh(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("shards-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap()
}

/// Processes started together; any still running when this is dropped (a test that panicked) are
/// killed and reaped, so none outlives the test.
struct Processes(Vec<Child>);

impl Processes {
    fn wait(mut self) -> Vec<Output> {
        std::mem::take(&mut self.0)
            .into_iter()
            .map(|child| child.wait_with_output().unwrap())
            .collect()
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn spawn(commands: Vec<Command>) -> Processes {
    let mut started = Processes(Vec::new());
    for mut command in commands {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        started.0.push(command.spawn().unwrap());
    }
    started
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The value of `key: value` on the first line of `text` that has it.
fn yaml_value<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find_map(|line| line.trim().strip_prefix(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no {key} in the manifest"))
        .trim()
}

/// The `value` of the env entry `name` in a manifest.
fn yaml_env<'a>(text: &'a str, name: &str) -> &'a str {
    let mut lines = text.lines();
    lines
        .find(|line| line.trim() == format!("- name: {name}"))
        .unwrap_or_else(|| panic!("no env {name} in the manifest"));
    yaml_value(lines.next().unwrap(), "value").trim_matches('"')
}

/// The one-line `args: [...]` of a manifest (a YAML flow sequence of quoted strings is JSON).
fn yaml_args(text: &str) -> Vec<String> {
    serde_json::from_str(yaml_value(text, "args")).unwrap()
}

/// The summary of one sweep of `seeds` of `scenario`, as `--json` prints it.
fn whole_sweep(scenario: &str, seeds: &str) -> Vec<u8> {
    let output = kvsim(&["sweep", scenario, "--seeds", seeds, "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    output.stdout
}

fn merged(dir: &Path) -> Output {
    kvsim(&["sweep", "--merge", dir.to_str().unwrap(), "--json"])
}

#[test]
fn the_kubernetes_job_runs_as_shards_that_merge_into_the_whole_sweep_byte_for_byte() {
    let manifest = read("deploy/kubernetes/sweep-job.yaml");
    let shards: u64 = yaml_env(&manifest, "KVSIM_SHARDS").parse().unwrap();
    let scenario = yaml_env(&manifest, "SCENARIO");
    // The manifest's sweep is a million seeds; the same command over fewer makes the same point.
    let seeds = "0..90";
    let dir = fresh("kubernetes");
    let results = dir.to_str().unwrap();
    let args: Vec<String> = yaml_args(&manifest)
        .into_iter()
        .map(|arg| match arg.as_str() {
            // What Kubernetes does with $(NAME), and where the volume is mounted.
            "$(SCENARIO)" => scenario.to_string(),
            "$(SEEDS)" => seeds.to_string(),
            "/results" => results.to_string(),
            _ => arg,
        })
        .collect();
    let pods = (0..shards)
        .map(|index| {
            let mut command = kvsim_command();
            command
                .args(&args)
                .env("JOB_COMPLETION_INDEX", index.to_string())
                .env("KVSIM_SHARDS", shards.to_string());
            command
        })
        .collect();
    for (index, output) in spawn(pods).wait().into_iter().enumerate() {
        let message = stderr(&output);
        assert!(output.status.success(), "pod {index}: {message}");
        assert!(
            message.starts_with(&format!(
                "kvsim: shard {index}/{shards} from a Kubernetes Indexed Job \
                 (JOB_COMPLETION_INDEX={index}, KVSIM_SHARDS={shards})\n"
            )),
            "{message}"
        );
        assert!(message.contains(" seeds/s on "), "--throughput: {message}");
    }
    let output = merged(&dir);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(output.stdout, whole_sweep(scenario, seeds));
}

#[test]
fn the_slurm_array_runs_as_shards_that_merge_into_the_whole_sweep_byte_for_byte() {
    let script = read("deploy/slurm/sweep.sbatch");
    let array = yaml_value(&script.replace("#SBATCH --array=", "array:"), "array").to_string();
    let (first, last) = array.split_once('-').unwrap();
    let (first, last): (u64, u64) = (first.parse().unwrap(), last.parse().unwrap());
    let scenario = "scenarios/eventual-convergence.json";
    let seeds = "5..85";
    let dir = fresh("slurm");
    let bin = Path::new(env!("CARGO_BIN_EXE_kvsim")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The script itself, as Slurm would run it for each task of its array.
    let tasks = (first..=last)
        .map(|id| {
            let mut command = Command::new("bash");
            command.current_dir(ROOT);
            for name in SCHEDULER_VARIABLES {
                command.env_remove(name);
            }
            command
                .arg("deploy/slurm/sweep.sbatch")
                .env("PATH", &path)
                .env("SCENARIO", scenario)
                .env("SEEDS", seeds)
                .env("RESULTS", &dir)
                .env("SLURM_ARRAY_JOB_ID", "4242")
                .env("SLURM_ARRAY_TASK_ID", id.to_string())
                .env("SLURM_ARRAY_TASK_MIN", first.to_string())
                .env("SLURM_ARRAY_TASK_STEP", "1")
                .env("SLURM_ARRAY_TASK_COUNT", (last - first + 1).to_string())
                .env("SLURM_CPUS_PER_TASK", "1");
            command
        })
        .collect();
    let count = last - first + 1;
    for (index, output) in spawn(tasks).wait().into_iter().enumerate() {
        let message = stderr(&output);
        assert!(output.status.success(), "task {index}: {message}");
        assert!(
            message.starts_with(&format!(
                "kvsim: shard {index}/{count} from a Slurm job array"
            )),
            "{message}"
        );
    }
    let output = merged(&dir);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(output.stdout, whole_sweep(scenario, seeds));
    // The kinds of failure are among what merged into the whole, several for one model.
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let kinds = summary["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["failures"]["groups"].as_array().unwrap().len())
        .max();
    assert!(kinds > Some(1), "{kinds:?}");
}

#[test]
fn an_array_that_starts_at_1_or_steps_still_gives_shards_0_to_n() {
    for (min, step, ids) in [(1, 1, [1, 2, 3, 4]), (10, 5, [10, 15, 20, 25])] {
        for (index, id) in ids.into_iter().enumerate() {
            let env: HashMap<&str, String> = HashMap::from([
                ("SLURM_ARRAY_TASK_ID", id.to_string()),
                ("SLURM_ARRAY_TASK_MIN", min.to_string()),
                ("SLURM_ARRAY_TASK_STEP", step.to_string()),
                ("SLURM_ARRAY_TASK_COUNT", "4".to_string()),
            ]);
            let found = shard_from_env(|name| env.get(name).cloned(), None).unwrap();
            assert_eq!(found.scheduler, Scheduler::Slurm);
            assert_eq!(
                found.shard,
                Shard {
                    index: index as u64,
                    count: 4
                }
            );
        }
    }
    // A process of the array, through the command line.
    let output = kvsim_command()
        .args(["sweep", "scenarios/stale-read.json", "--seeds", "0..8"])
        .args(["--shard", "auto", "--json"])
        .env("SLURM_ARRAY_TASK_ID", "3")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "4")
        .output()
        .unwrap();
    assert_eq!(
        stderr(&output),
        "kvsim: shard 2/4 from a Slurm job array (SLURM_ARRAY_TASK_ID=3, SLURM_ARRAY_TASK_MIN=1, \
         SLURM_ARRAY_TASK_COUNT=4)\n"
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["seed_ranges"][0]["shard"]["index"], 2);
    assert_eq!(summary["seeds"], 2, "seeds 2 and 6");
}

#[test]
fn the_shard_count_comes_from_the_flag_before_the_environment() {
    let env = HashMap::from([("JOB_COMPLETION_INDEX", "5"), ("KVSIM_SHARDS", "6")]);
    let lookup = |name: &str| env.get(name).map(|v| v.to_string());
    let found = shard_from_env(lookup, None).unwrap();
    assert_eq!(found.shard, Shard { index: 5, count: 6 });
    assert_eq!(found.scheduler, Scheduler::Kubernetes);
    let flagged = shard_from_env(lookup, Some(8)).unwrap();
    assert_eq!(flagged.shard, Shard { index: 5, count: 8 });
    assert_eq!(
        flagged.to_string(),
        "shard 5/8 from a Kubernetes Indexed Job (JOB_COMPLETION_INDEX=5, --shards 8)"
    );
}

/// Variables and their values.
type Environment<'a> = &'a [(&'a str, &'a str)];

#[test]
fn a_bad_scheduler_environment_is_refused_naming_the_variable() {
    let cases: [(Environment, Option<u64>, &str); 9] = [
        (&[], None, "neither a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) nor a Slurm job array (SLURM_ARRAY_TASK_ID)"),
        (&[("JOB_COMPLETION_INDEX", "2")], None, "JOB_COMPLETION_INDEX=2 is set, but not the number of shards: pass --shards N or set KVSIM_SHARDS=N"),
        (&[("JOB_COMPLETION_INDEX", "two"), ("KVSIM_SHARDS", "4")], None, "JOB_COMPLETION_INDEX=\"two\" is not a whole number"),
        (&[("JOB_COMPLETION_INDEX", "4"), ("KVSIM_SHARDS", "4")], None, "JOB_COMPLETION_INDEX=4 makes shard 4, which is not below the 4 shards of KVSIM_SHARDS=4"),
        (&[("JOB_COMPLETION_INDEX", "0"), ("KVSIM_SHARDS", "0")], None, "KVSIM_SHARDS=0 is 0"),
        (&[("JOB_COMPLETION_INDEX", "0"), ("SLURM_ARRAY_TASK_ID", "0")], None, "both JOB_COMPLETION_INDEX (Kubernetes) and SLURM_ARRAY_TASK_ID (Slurm) are set"),
        (&[("SLURM_ARRAY_TASK_ID", "3")], None, "SLURM_ARRAY_TASK_ID=3 is set, but not SLURM_ARRAY_TASK_COUNT"),
        (&[("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "2")], None, "SLURM_ARRAY_TASK_ID=0 is not in the array SLURM_ARRAY_TASK_MIN=1, SLURM_ARRAY_TASK_STEP=1"),
        (&[("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_COUNT", "2")], Some(3), "--shards 3 disagrees with SLURM_ARRAY_TASK_COUNT=2"),
    ];
    for (env, shards, expected) in cases {
        let map: HashMap<&str, &str> = env.iter().copied().collect();
        let err: SchedulerError =
            shard_from_env(|name| map.get(name).map(|v| v.to_string()), shards).unwrap_err();
        assert!(err.to_string().contains(expected), "{env:?}: {err}");
        // The same through the command line: one line, exit 2, before any seed is run.
        let mut command = kvsim_command();
        command.args([
            "sweep",
            "scenarios/stale-read.json",
            "--seeds",
            "0..8",
            "--shard",
            "auto",
        ]);
        if let Some(n) = shards {
            command.args(["--shards", &n.to_string()]);
        }
        let output = command.envs(env.iter().copied()).output().unwrap();
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{env:?}: {message}");
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(message.starts_with("kvsim: --shard auto: "), "{message}");
        assert!(output.stdout.is_empty());
    }
    let output = kvsim(&[
        "sweep",
        "scenarios/stale-read.json",
        "--seeds",
        "0..8",
        "--shards",
        "2",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--shards N is the number of shards for --shard auto"));
}

/// Sweeps shard `index` of `count` of seeds `0..30` of stale-read into `dir`.
fn sweep_shard(dir: &Path, index: u64, count: u64) {
    let shard = format!("{index}/{count}");
    let output = kvsim(&[
        "sweep",
        "scenarios/stale-read.json",
        "--seeds",
        "0..30",
        "--shard",
        &shard,
        "--shard-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        output.stdout.starts_with(b"=== sweep: "),
        "the text summary is printed as without --shard-dir"
    );
}

/// `--merge DIR` fails with exit 2 and one line containing `expected`.
fn assert_refused(dir: &Path, expected: &str) {
    let output = merged(dir);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains(expected),
        "expected {expected:?} in {message}"
    );
}

#[test]
fn merging_a_directory_refuses_a_missing_or_duplicated_shard() {
    let dir = fresh("refused");
    let shown = dir.display().to_string();
    assert_refused(&dir, "holds no shard-K.json file");
    sweep_shard(&dir, 0, 4);
    sweep_shard(&dir, 2, 4);
    assert_refused(
        &dir,
        &format!("shard 1 of 4 is missing from {shown} (and 1 other)"),
    );
    sweep_shard(&dir, 1, 4);
    assert_refused(&dir, &format!("shard 3 of 4 is missing from {shown}"));
    sweep_shard(&dir, 3, 4);
    assert!(merged(&dir).status.success());
    // A copy of a shard's file under another name is that shard twice.
    std::fs::copy(dir.join("shard-2.json"), dir.join("shard-2-again.json")).unwrap();
    assert_refused(
        &dir,
        &format!("shard 2 of 4 is both {shown}/shard-2-again.json and {shown}/shard-2.json"),
    );
    std::fs::remove_file(dir.join("shard-2-again.json")).unwrap();
    // Shards of an earlier sweep, split another way, left in the directory.
    sweep_shard(&dir, 5, 6);
    assert_refused(&dir, "shards of different sweeps in one directory");
    std::fs::remove_file(dir.join("shard-5.json")).unwrap();
    // A directory and a file, or two directories, merge like any summaries: a shard given twice is
    // a seed counted twice.
    let output = kvsim(&[
        "sweep",
        "--merge",
        dir.to_str().unwrap(),
        dir.join("shard-0.json").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("seed 0 is also in"),
        "{}",
        stderr(&output)
    );
    // Other files in the directory are not shards, and are left alone.
    std::fs::write(dir.join("notes.txt"), "not a summary").unwrap();
    let output = merged(&dir);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        output.stdout,
        whole_sweep("scenarios/stale-read.json", "0..30")
    );
}

#[test]
fn the_deploy_files_and_the_readme_use_the_flags_and_variables_kvsim_knows() {
    let manifest = read("deploy/kubernetes/sweep-job.yaml");
    assert_eq!(yaml_value(&manifest, "completionMode"), "Indexed");
    assert_eq!(
        yaml_value(&manifest, "completions"),
        yaml_env(&manifest, "KVSIM_SHARDS"),
        "KVSIM_SHARDS must be the Job's completions"
    );
    let args = yaml_args(&manifest);
    let after = |flag: &str| {
        let at = args.iter().position(|a| a == flag).unwrap();
        args[at + 1].clone()
    };
    assert_eq!(after("--shard"), "auto");
    assert_eq!(after("--shard-dir"), yaml_value(&manifest, "mountPath"));
    let merge = read("deploy/kubernetes/merge-job.yaml");
    let merge_args = yaml_args(&merge);
    assert_eq!(&merge_args[..3], ["sweep", "--merge", "/results"]);
    assert_eq!(
        yaml_value(&merge, "claimName"),
        yaml_value(&manifest, "claimName")
    );

    let readme = read("README.md");
    let script = read("deploy/slurm/sweep.sbatch");
    assert!(script.contains("#SBATCH --array="));
    // The commands each deploy file's header gives are the README's.
    for file in [
        "deploy/Dockerfile",
        "deploy/kubernetes/sweep-job.yaml",
        "deploy/kubernetes/merge-job.yaml",
        "deploy/slurm/sweep.sbatch",
    ] {
        for command in read(file).lines().filter_map(|l| l.strip_prefix("#   ")) {
            assert!(
                readme.contains(command),
                "the README lacks {file}'s {command:?}"
            );
        }
    }
    assert!(script.contains(
        r#"kvsim sweep "$SCENARIO" --seeds "$SEEDS" --shard auto --shard-dir "$RESULTS""#
    ));

    let dockerfile = read("deploy/Dockerfile");
    let stages: Vec<&str> = dockerfile
        .lines()
        .filter(|l| l.starts_with("FROM "))
        .collect();
    assert_eq!(stages.len(), 2, "{stages:?}");
    assert!(stages[0].starts_with("FROM rust:") && stages[0].ends_with(" AS build"));
    assert!(stages[1].starts_with("FROM debian:") && stages[1].ends_with("-slim"));
    let release = |stage: &str| {
        stage
            .split(['-', ':', ' '])
            .find(|w| *w == "bookworm")
            .is_some()
    };
    assert!(
        release(stages[0]) && release(stages[1]),
        "one Debian release: {stages:?}"
    );
    assert!(dockerfile.contains("COPY scenarios /kvsim/scenarios"));

    let deployment = readme
        .split("\n## Deployment")
        .nth(1)
        .expect("a Deployment section")
        .split("\n## ")
        .next()
        .unwrap();
    for needed in [
        "docker build -f deploy/Dockerfile -t kvsim:0.1.0 .",
        "kubectl apply -f deploy/kubernetes/sweep-job.yaml",
        "kubectl apply -f deploy/kubernetes/merge-job.yaml",
        "kubectl logs job/kvsim-merge > summary.json",
        "jobid=$(sbatch --parsable deploy/slurm/sweep.sbatch)",
        "sbatch --dependency=afterok:$jobid --wrap \"kvsim sweep --merge results/$jobid --json > results/$jobid.json\"",
        "kvsim sweep --merge",
        "JOB_COMPLETION_INDEX",
        "KVSIM_SHARDS",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_COUNT",
        "--shard auto",
        "--shard-dir",
    ] {
        assert!(
            deployment.contains(needed),
            "the Deployment section lacks {needed:?}"
        );
    }
    let help = kvsim(&["sweep", "--help"]);
    let help = String::from_utf8(help.stdout).unwrap();
    for flag in [
        "--shard-dir",
        "--shards",
        "--check-determinism",
        "--throughput",
        "KVSIM_SHARDS",
        "JOB_COMPLETION_INDEX",
        "SLURM_ARRAY_TASK_ID",
    ] {
        assert!(help.contains(flag), "`kvsim sweep --help` lacks {flag}");
    }
}

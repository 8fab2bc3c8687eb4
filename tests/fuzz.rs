//! A fuzz test of every input kvsim reads: mutations of the shipped scenarios, of a run document, of a
//! JSON-lines history and of a sweep summary — a value swapped for one of another type, numbers made
//! huge or negative, content glued after the JSON, control characters in names and values, the file
//! cut short, bytes flipped. Whatever the mutation, kvsim either runs it (exit 0, or 1 and 3 for
//! `check`'s verdicts) or refuses it with exit 2 and one line that names the file; it never dies by a
//! signal or a panic, and never prints a control character in that line.
//!
//! CI runs a fixed sample; run many more by hand with
//! `KVSIM_FUZZ_CASES=5000 cargo test --release --test fuzz -- --nocapture`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

/// What a mutated file is fed to.
#[derive(Clone, Copy, Debug)]
enum Reader {
    Run,
    Check,
    Merge,
}

struct Seed {
    name: String,
    text: String,
    reader: Reader,
}

fn kvsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kvsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the kvsim binary runs")
}

/// The inputs mutations start from.
fn seeds() -> Vec<Seed> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(root.join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    for path in names {
        seeds.push(Seed {
            name: path.file_stem().unwrap().to_string_lossy().into_owned(),
            text: std::fs::read_to_string(&path).unwrap(),
            reader: Reader::Run,
        });
    }
    let document = kvsim(&["run", "scenarios/stale-read.json", "--json"]);
    let document = String::from_utf8(document.stdout).unwrap();
    let value: Value = serde_json::from_str(&document).unwrap();
    let mut lines = String::new();
    for op in value["runs"][1]["history"].as_array().unwrap() {
        lines.push_str(&serde_json::to_string(op).unwrap());
        lines.push('\n');
    }
    seeds.push(Seed {
        name: "run-document".into(),
        text: document,
        reader: Reader::Check,
    });
    seeds.push(Seed {
        name: "history-lines".into(),
        text: lines,
        reader: Reader::Check,
    });
    let summary = kvsim(&[
        "sweep",
        "scenarios/stale-read.json",
        "--seeds",
        "0..4",
        "--json",
    ]);
    seeds.push(Seed {
        name: "sweep-summary".into(),
        text: String::from_utf8(summary.stdout).unwrap(),
        reader: Reader::Merge,
    });
    seeds
}

/// Values that are wrong for almost every field, or at the edge of what one allows.
fn odd_value(rng: &mut ChaCha8Rng) -> Value {
    let numbers = [
        "-1",
        "1.5",
        "1e400",
        "18446744073709551615",
        "18446744073709551616",
        "9007199254740993",
        "1099511627777",
        "4294967296",
        "0",
    ];
    match rng.random_range(0..8) {
        0 => {
            serde_json::from_str(numbers[rng.random_range(0..numbers.len())]).unwrap_or(Value::Null)
        }
        1 => Value::String("x\n\u{1b}[31mred\u{202e}".into()),
        2 => Value::Null,
        3 => Value::Bool(true),
        4 => Value::Array(vec![Value::from(1), Value::from("two")]),
        5 => serde_json::json!({"bad\nfield\u{1b}[0m": 1}),
        6 => Value::String(String::new()),
        _ => Value::from(-7.25),
    }
}

/// Every place in a JSON value, as paths of object keys and array indices.
fn places(value: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(path.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                path.push(Value::String(k.clone()));
                places(v, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(Value::from(i));
                places(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'a>(value: &'a mut Value, path: &[Value]) -> &'a mut Value {
    let mut here = value;
    for step in path {
        here = match step {
            Value::String(k) => &mut here[k.as_str()],
            Value::Number(i) => &mut here[i.as_u64().unwrap() as usize],
            _ => unreachable!(),
        };
    }
    here
}

/// One mutation of one JSON document (or of each line of JSON lines, for a history).
fn mutate_json(text: &str, rng: &mut ChaCha8Rng) -> String {
    let lines = !text.trim_start().starts_with("{\n") && text.lines().count() > 1;
    let mutate_one = |doc: &str, rng: &mut ChaCha8Rng| -> String {
        let Ok(mut value) = serde_json::from_str::<Value>(doc) else {
            return doc.to_string();
        };
        let mut all = Vec::new();
        places(&value, &mut Vec::new(), &mut all);
        let path = all[rng.random_range(0..all.len())].clone();
        let target = at_mut(&mut value, &path);
        match rng.random_range(0..3) {
            // A new field named with control characters, or a field removed.
            0 => {
                if let Value::Object(map) = target {
                    if rng.random_bool(0.5) && !map.is_empty() {
                        let key = map
                            .keys()
                            .nth(rng.random_range(0..map.len()))
                            .unwrap()
                            .clone();
                        map.remove(&key);
                    } else {
                        map.insert("odd\u{7}\nname".into(), odd_value(rng));
                    }
                } else {
                    *target = odd_value(rng);
                }
            }
            _ => *target = odd_value(rng),
        }
        serde_json::to_string(&value).unwrap()
    };
    if lines {
        let mut out = String::new();
        let count = text.lines().count();
        let chosen = rng.random_range(0..count);
        for (i, line) in text.lines().enumerate() {
            if i == chosen {
                out.push_str(&mutate_one(line, rng));
            } else {
                out.push_str(line);
            }
            out.push('\n');
        }
        out
    } else {
        mutate_one(text, rng)
    }
}

/// A mutation of the file's bytes, of any kind, and whether the result is certainly invalid: content
/// glued after the JSON, or a single document cut short.
fn mutate(text: &str, one_document: bool, rng: &mut ChaCha8Rng) -> (Vec<u8>, bool) {
    let mut bytes = text.as_bytes().to_vec();
    match rng.random_range(0..6) {
        0 | 1 => (mutate_json(text, rng).into_bytes(), false),
        2 => {
            let junk: [&[u8]; 5] = [
                b" trailing junk",
                b"\n{}",
                b"}",
                b"\x00",
                b"\n\n{\"replicas\": 1}",
            ];
            bytes.extend_from_slice(junk[rng.random_range(0..junk.len())]);
            (bytes, true)
        }
        3 => {
            let cut = rng.random_range(0..text.trim_end().len().max(1));
            bytes.truncate(cut);
            (bytes, one_document)
        }
        4 => {
            // A raw control character somewhere (inside a string it is invalid JSON).
            let at = rng.random_range(0..bytes.len().max(1));
            let c = [0x1b, b'\n', 0x07, 0x7f, b'\r'][rng.random_range(0..5)];
            bytes.insert(at.min(bytes.len()), c);
            (bytes, false)
        }
        _ => {
            let at = rng.random_range(0..bytes.len().max(1));
            if let Some(b) = bytes.get_mut(at) {
                *b ^= 1 << rng.random_range(0..8);
            }
            (bytes, false)
        }
    }
}

/// Runs kvsim on `path` as `reader` wants, killing it after `limit` (a valid but huge input may run
/// long; that is not what this test looks for, and is reported apart).
fn feed(reader: Reader, path: &Path, model: &str, limit: Duration) -> Option<std::process::Output> {
    let path = path.to_str().unwrap();
    let args: Vec<&str> = match reader {
        Reader::Run => vec!["run", path, "--model", model],
        Reader::Check => vec!["check", path],
        Reader::Merge => vec!["sweep", "--merge", path],
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvsim"))
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn mutated_inputs_run_or_are_refused_in_one_line_never_crash() {
    let cases: u64 = std::env::var("KVSIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    let seeds = seeds();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz");
    std::fs::create_dir_all(&dir).unwrap();
    let models = ["linearizable", "sequential", "causal", "eventual"];
    let (mut refused, mut accepted, mut slow) = (0, 0, 0);
    for case in 0..cases {
        let mut rng = ChaCha8Rng::seed_from_u64(case);
        let seed = &seeds[rng.random_range(0..seeds.len())];
        let one_document = seed.name != "history-lines";
        let (bytes, invalid) = mutate(&seed.text, one_document, &mut rng);
        let path = dir.join(format!("case-{case}-{}.json", seed.name));
        std::fs::write(&path, &bytes).unwrap();
        let model = models[rng.random_range(0..models.len())];
        let Some(output) = feed(seed.reader, &path, model, Duration::from_secs(30)) else {
            slow += 1;
            continue;
        };
        let err = String::from_utf8_lossy(&output.stderr);
        let context = || {
            format!(
                "case {case} ({}, {model}): {}\n{err}",
                seed.name,
                path.display()
            )
        };
        let code = output
            .status
            .code()
            .unwrap_or_else(|| panic!("killed by a signal: {}", context()));
        match code {
            0 | 1 | 3 if invalid => panic!("an invalid input was accepted: {}", context()),
            0 | 1 | 3 => accepted += 1,
            2 => {
                refused += 1;
                let line = err.strip_suffix('\n').unwrap_or(&err);
                assert!(!line.contains('\n'), "more than one line: {}", context());
                assert!(
                    !line.chars().any(char::is_control),
                    "a control character: {}",
                    context()
                );
                let name = path.file_name().unwrap().to_str().unwrap();
                assert!(line.contains(name), "does not name the file: {}", context());
            }
            _ => panic!("exit {code}: {}", context()),
        }
    }
    eprintln!(
        "{cases} cases: {refused} refused, {accepted} accepted, {slow} still running after 30 s"
    );
    assert!(
        refused > cases / 3,
        "most mutations should be invalid: {refused} of {cases}"
    );
    assert_eq!(slow, 0, "a mutated input ran for more than 30 s");
}

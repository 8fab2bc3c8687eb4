//! The results folder of `kvsim run --out DIR` (and of `kvsim sweep --out DIR`, below): the report, each model's diagram, the run as JSON and
//! each history as JSON lines and as Jepsen EDN, and a marker file that makes the folder recognisably kvsim's.
//!
//! ```text
//! DIR/kvsim-results.json     the marker: {"kvsim": version, "kind": "run", "scenario", "seed", "files"}
//! DIR/index.html             the report (html/)
//! DIR/<model>.svg            the space-time diagram of each model run
//! DIR/run.json               what `kvsim run --json --trace` prints
//! DIR/history-<model>.jsonl  each history, in the JSON lines `kvsim check` reads
//! DIR/history-<model>.edn    each history in Jepsen's EDN (history::formats::jepsen_edn), which
//!                            `kvsim check` reads too
//!
//! kvsim sweep … --out DIR:
//! DIR/kvsim-results.json     the marker: {"kvsim", "kind": "sweep", "scenario", "seeds", "files"}
//! DIR/index.html             the sweep's page (html/sweep_page.rs)
//! DIR/summary.json           what `kvsim sweep --json` prints
//! ```
//!
//! A folder is written only if it is missing, empty, or holds the marker: a non-empty folder without
//! it is someone else's, and is refused rather than overwritten. Rewriting a results folder removes
//! the files its marker listed that the new run does not write (a run of all models, then of one).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::json;

use super::html::{render_html, render_sweep_html};
use super::{render_svg, Report};
use crate::check::Verdicts;
use crate::history::formats::jepsen_edn;
use crate::run::Run;
use crate::scenario::Config;
use crate::sweep::Summary;

/// The file that marks a folder as a kvsim results folder.
pub const MARKER: &str = "kvsim-results.json";

/// Why a results folder could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("{dir} is not empty and is not a kvsim results folder (it has no {MARKER}); choose another folder or empty it")]
    Foreign { dir: PathBuf },
    #[error("{dir} exists and is not a folder")]
    NotAFolder { dir: PathBuf },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl FolderError {
    /// Whether the folder was refused (bad input, exit 2) rather than failed to be written (exit 4).
    pub fn is_refusal(&self) -> bool {
        !matches!(self, FolderError::Io { .. })
    }
}

/// What the marker of an earlier results folder says it wrote.
#[derive(Deserialize)]
struct Marker {
    kvsim: String,
    files: Vec<String>,
}

/// Writes the results folder of `runs` (recorded with events) and `verdicts` into `dir`, and returns
/// the names of the files written, in the order written.
pub fn write_results(
    dir: &Path,
    config: &Config,
    runs: &[Run],
    verdicts: &[Verdicts],
) -> Result<Vec<String>, FolderError> {
    let earlier = claim(dir)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FolderError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    // run.json is the largest file by far (every event, pretty-printed): it is streamed to disk on
    // a thread of its own while the diagrams and the page are drawn.
    let run_json = dir.join("run.json");
    let (json, html) = std::thread::scope(|scope| {
        let json = scope.spawn(|| {
            let file = std::fs::File::create(&run_json)?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            Report::new(config, runs, verdicts).write_json(&mut out)?;
            out.flush()
        });
        let html = draw(dir, config, runs, verdicts);
        (json.join().expect("writing run.json does not panic"), html)
    });
    json.map_err(io(&run_json))?;
    let mut written = html?;
    written.insert(written.len() - 1, "run.json".to_string());
    let marker = json!({
        "kvsim": env!("CARGO_PKG_VERSION"),
        "kind": "run",
        "scenario": config.name,
        "seed": config.seed,
        "files": written,
    });
    finish(dir, &earlier, marker)?;
    Ok(written)
}

/// Writes the results folder of a sweep into `dir`: `index.html` (the sweep's page) and
/// `summary.json` (what `kvsim sweep --json` prints); `replay` is the command that replays one of
/// its runs, without seed and model. Returns the names of the files written.
pub fn write_sweep_results(
    dir: &Path,
    summary: &Summary,
    replay: &str,
) -> Result<Vec<String>, FolderError> {
    let earlier = claim(dir)?;
    std::fs::create_dir_all(dir).map_err(|source| FolderError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let json = serde_json::to_string_pretty(summary).expect("plain values serialize") + "\n";
    let files = [
        ("summary.json", json),
        ("index.html", render_sweep_html(summary, replay)),
    ];
    for (name, text) in &files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| FolderError::Io { path, source })?;
    }
    let written: Vec<String> = files.iter().map(|(name, _)| name.to_string()).collect();
    let marker = json!({
        "kvsim": env!("CARGO_PKG_VERSION"),
        "kind": "sweep",
        "scenario": summary.scenario,
        "seeds": summary.seeds,
        "files": written,
    });
    finish(dir, &earlier, marker)?;
    Ok(written)
}

/// Removes the files an earlier results folder listed that are not written now, and writes the
/// marker, which lists what is.
fn finish(dir: &Path, earlier: &[String], marker: serde_json::Value) -> Result<(), FolderError> {
    let now: Vec<&str> = marker["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str())
        .collect();
    for stale in earlier.iter().filter(|f| !now.contains(&f.as_str())) {
        // Only plain names the marker listed: never a path that leaves the folder.
        if is_plain_name(stale) {
            let _ = std::fs::remove_file(dir.join(stale));
        }
    }
    let marker = serde_json::to_string_pretty(&marker).expect("plain values serialize") + "\n";
    let path = dir.join(MARKER);
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(marker.as_bytes()))
        .map_err(|source| FolderError::Io { path, source })
}

/// Writes every file but `run.json` and the marker: the diagrams, the histories and the page.
fn draw(
    dir: &Path,
    config: &Config,
    runs: &[Run],
    verdicts: &[Verdicts],
) -> Result<Vec<String>, FolderError> {
    let mut written = Vec::new();
    let mut put = |name: String, bytes: &[u8]| -> Result<(), FolderError> {
        let path = dir.join(&name);
        std::fs::write(&path, bytes).map_err(|source| FolderError::Io { path, source })?;
        written.push(name);
        Ok(())
    };
    let diagrams: Vec<String> = runs
        .iter()
        .zip(verdicts)
        .map(|(run, verdicts)| render_svg(config, run, verdicts))
        .collect();
    for (run, svg) in runs.iter().zip(&diagrams) {
        put(format!("{}.svg", run.model.name()), svg.as_bytes())?;
    }
    for run in runs {
        let lines = history_lines(run);
        put(
            format!("history-{}.jsonl", run.model.name()),
            lines.as_bytes(),
        )?;
        let edn = jepsen_edn::write(&format!("run of {}", run.model.name()), &run.history);
        put(format!("history-{}.edn", run.model.name()), edn.as_bytes())?;
    }
    let page = render_html(config, runs, verdicts, &diagrams);
    put("index.html".to_string(), page.as_bytes())?;
    Ok(written)
}

/// Checks that `dir` may be written as a results folder (missing, empty, or one already), before
/// work whose results it would hold: a long sweep is not run only to be refused at the end.
pub fn check_folder(dir: &Path) -> Result<(), FolderError> {
    claim(dir).map(drop)
}

/// Checks that `dir` may be written, and returns the files an earlier results folder there listed.
fn claim(dir: &Path) -> Result<Vec<String>, FolderError> {
    let foreign = || FolderError::Foreign {
        dir: dir.to_path_buf(),
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(_) if dir.exists() && !dir.is_dir() => {
            return Err(FolderError::NotAFolder {
                dir: dir.to_path_buf(),
            })
        }
        Err(source) => {
            return Err(FolderError::Io {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    if entries.count() == 0 {
        return Ok(Vec::new());
    }
    let marker = std::fs::read_to_string(dir.join(MARKER)).map_err(|_| foreign())?;
    let marker: Marker = serde_json::from_str(&marker).map_err(|_| foreign())?;
    if marker.kvsim.is_empty() {
        return Err(foreign());
    }
    Ok(marker.files)
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != MARKER && !name.starts_with('.') && !name.contains(['/', '\\'])
}

/// A run's history in the JSON lines `kvsim check` reads: one operation a line, in history order.
pub fn history_lines(run: &Run) -> String {
    let mut out = String::new();
    for op in &run.history {
        out.push_str(&serde_json::to_string(op).expect("operations serialize"));
        out.push('\n');
    }
    out
}

//! A crashed replica's saved state: what `kvsim replica --state FILE` writes when it is told to crash,
//! and what `--restore` reads back, so that the restarted process goes on from where it stopped.
//!
//! The file is postcard: the whole sans-IO replica (its store, clocks, hold-back queues and channels,
//! unacknowledged messages included — the protocols' types are serializable for this), then the
//! replica's report so far (its committed order and counts) as JSON. A crash in the simulator keeps
//! everything a replica holds, so the real one saves everything too: it is a crash of the process,
//! not a loss of its memory.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{NetError, ReplicaReport};

/// What the file holds.
#[derive(Serialize, Deserialize)]
struct Saved<R> {
    replica: R,
    /// The [`ReplicaReport`] so far, as JSON (its commits leave out a successful `ok`, which
    /// postcard, a format without field names, cannot skip).
    report: String,
}

/// Writes `replica` and `report` to `path`.
pub fn save<R: Serialize>(
    path: &Path,
    replica: &R,
    report: &ReplicaReport,
) -> Result<(), NetError> {
    let saved = Saved {
        replica,
        report: serde_json::to_string(report).expect("a report serializes"),
    };
    let bytes = postcard::to_stdvec(&saved).map_err(NetError::Encode)?;
    std::fs::write(path, bytes).map_err(|source| state_error(path, source))
}

/// Reads back what [`save`] wrote.
pub fn load<R: DeserializeOwned>(path: &Path) -> Result<(R, ReplicaReport), NetError> {
    let bytes = std::fs::read(path).map_err(|source| state_error(path, source))?;
    let saved: Saved<R> = postcard::from_bytes(&bytes).map_err(NetError::Decode)?;
    let report = serde_json::from_str(&saved.report).map_err(|err| {
        state_error(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, err),
        )
    })?;
    Ok((saved.replica, report))
}

fn state_error(path: &Path, source: std::io::Error) -> NetError {
    NetError::State {
        path: PathBuf::from(path),
        source,
    }
}

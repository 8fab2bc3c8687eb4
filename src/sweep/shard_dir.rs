//! A results directory of shards: each shard of a sweep writes its summary there as `shard-K.json`
//! (`--shard-dir DIR`), and `--merge DIR` reads them all back, refusing a directory that lacks one or
//! holds one twice.
//!
//! ```text
//!   DIR/shard-0.json  DIR/shard-1.json  …  DIR/shard-7.json  ──► --merge DIR ──► the whole sweep
//! ```
//!
//! A shard is known by what its summary says (`seed_ranges`: one range, shard `K/N`), not by its
//! file's name, so that a renamed or copied file cannot pass for another shard.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::seeds::{SeedRange, Seeds, Shard};
use super::summary::Summary;

/// The name of shard `shard`'s file in a results directory.
pub fn shard_file_name(shard: Shard) -> String {
    format!("shard-{}.json", shard.index)
}

/// Whether `name` is one a shard's file may have: `shard-*.json`.
fn is_shard_file_name(name: &str) -> bool {
    name.starts_with("shard-") && name.ends_with(".json")
}

/// Writes `text` (a summary as `--json` prints it) as `shard`'s file in `dir`, creating `dir` if
/// need be. The file appears whole or not at all: it is written beside its final name, then renamed,
/// so that a merge running on a shared volume never reads half a file.
pub fn write_shard_file(dir: &Path, shard: Shard, text: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(shard_file_name(shard));
    let partial = dir.join(format!(".{}.partial", shard_file_name(shard)));
    let mut file = std::fs::File::create(&partial)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&partial, &path)?;
    Ok(path)
}

/// What is wrong with a results directory. Messages name the directory or the files.
#[derive(Debug, thiserror::Error)]
pub enum ShardDirError {
    #[error("{dir}: cannot list the directory: {reason}")]
    Unreadable { dir: String, reason: String },
    #[error("{dir}: holds no shard-K.json file, which `kvsim sweep --shard-dir {dir}` writes")]
    Empty { dir: String },
    #[error("{file}: {reason}")]
    BadFile { file: String, reason: String },
    #[error("{file}: is not the summary of one shard (it covers {covers}): --merge DIR reads the files that `--shard-dir DIR` writes")]
    NotOneShard { file: String, covers: String },
    #[error("{file}: is shard {shard} of seeds {range}, but {first} is shard {first_shard} of seeds {first_range}: shards of different sweeps in one directory")]
    OtherSweep {
        file: String,
        shard: Shard,
        range: SeedRange,
        first: String,
        first_shard: Shard,
        first_range: SeedRange,
    },
    #[error("shard {index} of {count} is both {file} and {other}")]
    Duplicated {
        index: u64,
        count: u64,
        file: String,
        other: String,
    },
    #[error("shard {index} of {count} is missing from {dir}{more}")]
    Missing {
        index: u64,
        count: u64,
        dir: String,
        /// How many others are missing too, as words, or nothing.
        more: String,
    },
}

/// Reads every shard file of `dir` (`shard-*.json`, in shard order), each with its path for
/// errors, and checks that they are the shards `0/N … N-1/N` of one sweep, each once. `name`
/// writes a path as errors show it.
pub fn read_shard_dir(
    dir: &Path,
    name: impl Fn(&Path) -> String,
) -> Result<Vec<(String, Summary)>, ShardDirError> {
    let unreadable = |err: std::io::Error| ShardDirError::Unreadable {
        dir: name(dir),
        reason: err.to_string(),
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if is_shard_file_name(file_name) {
            paths.push(path);
        }
    }
    // Directory order is the file system's: sort, so that which file an error names is the same
    // everywhere.
    paths.sort();
    if paths.is_empty() {
        return Err(ShardDirError::Empty { dir: name(dir) });
    }
    let mut shards: BTreeMap<u64, (String, Summary)> = BTreeMap::new();
    let mut sweep: Option<(String, Seeds)> = None;
    for path in paths {
        let file = name(&path);
        let summary = std::fs::read_to_string(&path)
            .map_err(|err| format!("cannot read the file: {err}"))
            .and_then(|text| Summary::parse(&text).map_err(|err| err.to_string()))
            .map_err(|reason| ShardDirError::BadFile {
                file: file.clone(),
                reason,
            })?;
        let pieces: Vec<Seeds> = summary.seed_ranges.pieces().collect();
        let [seeds] = pieces[..] else {
            let covers = pieces
                .iter()
                .map(Seeds::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ShardDirError::NotOneShard { file, covers });
        };
        match &sweep {
            None => sweep = Some((file.clone(), seeds)),
            Some((first, first_seeds)) => {
                if (seeds.range, seeds.shard.count) != (first_seeds.range, first_seeds.shard.count)
                {
                    return Err(ShardDirError::OtherSweep {
                        file,
                        shard: seeds.shard,
                        range: seeds.range,
                        first: first.clone(),
                        first_shard: first_seeds.shard,
                        first_range: first_seeds.range,
                    });
                }
            }
        }
        if let Some((other, _)) = shards.get(&seeds.shard.index) {
            return Err(ShardDirError::Duplicated {
                index: seeds.shard.index,
                count: seeds.shard.count,
                file: other.clone(),
                other: file,
            });
        }
        shards.insert(seeds.shard.index, (file, summary));
    }
    let count = sweep.map_or(0, |(_, seeds)| seeds.shard.count);
    // A file may claim any count: find the first gap among the indices present, not by counting up.
    let missing = count - shards.len() as u64;
    if missing > 0 {
        let mut index = 0;
        for &present in shards.keys() {
            if present != index {
                break;
            }
            index += 1;
        }
        let more = match missing - 1 {
            0 => String::new(),
            1 => " (and 1 other)".to_string(),
            n => format!(" (and {n} others)"),
        };
        return Err(ShardDirError::Missing {
            index,
            count,
            dir: name(dir),
            more,
        });
    }
    Ok(shards.into_values().collect())
}

//! `--shard auto`: which shard of a sweep this process runs, read from the environment a cluster
//! scheduler gives each task of an array job.
//!
//! Two schedulers are understood:
//!
//! ```text
//!   Kubernetes Indexed Job   JOB_COMPLETION_INDEX=3                      shard 3/N, N from --shards
//!                                                                        or KVSIM_SHARDS
//!   Slurm job array          SLURM_ARRAY_TASK_ID=4  SLURM_ARRAY_TASK_MIN=1
//!                            SLURM_ARRAY_TASK_STEP=1 SLURM_ARRAY_TASK_COUNT=8   shard 3/8
//! ```
//!
//! Kubernetes does not tell a pod how many completions its Job has, so the count comes from the
//! command line or from `KVSIM_SHARDS`, which the Job's manifest sets beside `completions`. A Slurm
//! array may start anywhere (`--array=1-8`) and step (`--array=0-14:2`): the shard is the task's
//! position in the array, `(ID - MIN) / STEP`.
//!
//! The environment is read through a function, so that tests can hand in any environment they like.

use std::fmt;

use super::seeds::Shard;

/// The environment variable that gives the shard count to a Kubernetes Indexed Job's pods.
pub const SHARDS_VARIABLE: &str = "KVSIM_SHARDS";

/// Which scheduler the shard came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheduler {
    Kubernetes,
    Slurm,
}

/// A shard found in the environment, with where it was found: its [`Display`](fmt::Display) is the
/// line `kvsim sweep --shard auto` prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduledShard {
    pub shard: Shard,
    pub scheduler: Scheduler,
    /// The variables (or flag) it was read from, as `NAME=value`, in the order they were read.
    pub read: Vec<String>,
}

impl fmt::Display for ScheduledShard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let from = match self.scheduler {
            Scheduler::Kubernetes => "a Kubernetes Indexed Job",
            Scheduler::Slurm => "a Slurm job array",
        };
        write!(
            f,
            "shard {} from {from} ({})",
            self.shard,
            self.read.join(", ")
        )
    }
}

/// Why no shard could be read from the environment. Each message names the variable at fault.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SchedulerError {
    #[error("--shard auto: neither a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) nor a Slurm job array (SLURM_ARRAY_TASK_ID) is in the environment; give the shard as --shard K/N")]
    NoScheduler,
    #[error("--shard auto: both JOB_COMPLETION_INDEX (Kubernetes) and SLURM_ARRAY_TASK_ID (Slurm) are set, so the shard is ambiguous; give it as --shard K/N")]
    BothSchedulers,
    #[error("--shard auto: {name}={value:?} is not a whole number")]
    NotANumber { name: String, value: String },
    #[error("--shard auto: JOB_COMPLETION_INDEX={index} is set, but not the number of shards: pass --shards N or set {SHARDS_VARIABLE}=N (the Job's completions)")]
    NoCount { index: u64 },
    #[error("--shard auto: SLURM_ARRAY_TASK_ID={id} is set, but not SLURM_ARRAY_TASK_COUNT: pass --shards N (the number of tasks in the array)")]
    NoSlurmCount { id: u64 },
    #[error("--shard auto: {what} is 0: a sweep has at least one shard")]
    NoShards { what: String },
    #[error("--shard auto: {index_from} makes shard {index}, which is not below the {count} shards of {count_from}")]
    OutOfRange {
        index: u64,
        index_from: String,
        count: u64,
        count_from: String,
    },
    #[error("--shard auto: SLURM_ARRAY_TASK_ID={id} is not in the array SLURM_ARRAY_TASK_MIN={min}, SLURM_ARRAY_TASK_STEP={step}: submit a regular array, like --array=0-7")]
    NotInArray { id: u64, min: u64, step: u64 },
    #[error("--shard auto: --shards {flag} disagrees with SLURM_ARRAY_TASK_COUNT={count}: the array has one task per shard")]
    CountsDisagree { flag: u64, count: u64 },
}

/// Reads the shard from the environment (`env` looks a variable up); `shards` is `--shards N`.
pub fn shard_from_env(
    env: impl Fn(&str) -> Option<String>,
    shards: Option<u64>,
) -> Result<ScheduledShard, SchedulerError> {
    let number = |name: &str| -> Result<Option<u64>, SchedulerError> {
        match env(name) {
            None => Ok(None),
            Some(value) => match value.trim().parse() {
                Ok(n) => Ok(Some(n)),
                Err(_) => Err(SchedulerError::NotANumber {
                    name: name.to_string(),
                    value,
                }),
            },
        }
    };
    let kubernetes = number("JOB_COMPLETION_INDEX")?;
    let slurm = number("SLURM_ARRAY_TASK_ID")?;
    match (kubernetes, slurm) {
        (None, None) => Err(SchedulerError::NoScheduler),
        (Some(_), Some(_)) => Err(SchedulerError::BothSchedulers),
        (Some(index), None) => {
            let (count, count_from) = match (shards, number(SHARDS_VARIABLE)?) {
                (Some(count), _) => (count, format!("--shards {count}")),
                (None, Some(count)) => (count, format!("{SHARDS_VARIABLE}={count}")),
                (None, None) => return Err(SchedulerError::NoCount { index }),
            };
            let index_from = format!("JOB_COMPLETION_INDEX={index}");
            let shard = checked(index, index_from.clone(), count, count_from.clone())?;
            Ok(ScheduledShard {
                shard,
                scheduler: Scheduler::Kubernetes,
                read: vec![index_from, count_from],
            })
        }
        (None, Some(id)) => {
            // Slurm sets all of these for every task of an array; a missing MIN or STEP is read as
            // an array from 0 in steps of 1, which is what `--array=0-N` gives.
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1);
            let count = match (number("SLURM_ARRAY_TASK_COUNT")?, shards) {
                (Some(count), Some(flag)) if flag != count => {
                    return Err(SchedulerError::CountsDisagree { flag, count })
                }
                (Some(count), _) | (None, Some(count)) => count,
                (None, None) => return Err(SchedulerError::NoSlurmCount { id }),
            };
            if step == 0 || id < min || !(id - min).is_multiple_of(step) {
                return Err(SchedulerError::NotInArray { id, min, step });
            }
            let index = (id - min) / step;
            let mut read = vec![format!("SLURM_ARRAY_TASK_ID={id}")];
            if min != 0 {
                read.push(format!("SLURM_ARRAY_TASK_MIN={min}"));
            }
            if step != 1 {
                read.push(format!("SLURM_ARRAY_TASK_STEP={step}"));
            }
            let count_from = format!("SLURM_ARRAY_TASK_COUNT={count}");
            let shard = checked(index, read.join(", "), count, count_from.clone())?;
            read.push(count_from);
            Ok(ScheduledShard {
                shard,
                scheduler: Scheduler::Slurm,
                read,
            })
        }
    }
}

/// Shard `index` of `count`, if it is one.
fn checked(
    index: u64,
    index_from: String,
    count: u64,
    count_from: String,
) -> Result<Shard, SchedulerError> {
    if count == 0 {
        return Err(SchedulerError::NoShards { what: count_from });
    }
    if index >= count {
        return Err(SchedulerError::OutOfRange {
            index,
            index_from,
            count,
            count_from,
        });
    }
    Ok(Shard { index, count })
}

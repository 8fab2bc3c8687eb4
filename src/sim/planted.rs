//! A nondeterminism planted on purpose, so that a test can show the determinism self-check
//! (`kvsim sweep --check-determinism`) catches one. Nothing in kvsim turns it on: only a test
//! calling [`plant_nondeterminism`].
//!
//! Planted at one seed, every second run of that seed in the process draws one number more from the
//! network's random stream before it starts — as a bug would that let a run depend on hidden state
//! left by an earlier one — so every random delay after it moves. Off, it costs each run one relaxed
//! atomic load.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static PLANTED: AtomicBool = AtomicBool::new(false);
static SEED: AtomicU64 = AtomicU64::new(0);
/// Runs of the planted seed so far, in this process.
static RUNS: AtomicU64 = AtomicU64::new(0);

/// For tests of the determinism self-check only: makes every second run of `seed` in this process
/// differ from the first (`None`: no seed). Process-wide, so a test that plants must have its
/// test binary to itself.
#[doc(hidden)]
pub fn plant_nondeterminism(seed: Option<u64>) {
    SEED.store(seed.unwrap_or(0), Ordering::SeqCst);
    RUNS.store(0, Ordering::SeqCst);
    PLANTED.store(seed.is_some(), Ordering::SeqCst);
}

/// Whether this run of `seed` is one the planted nondeterminism skews.
#[inline]
pub(super) fn skews(seed: u64) -> bool {
    if !PLANTED.load(Ordering::Relaxed) {
        return false;
    }
    seed == SEED.load(Ordering::SeqCst) && RUNS.fetch_add(1, Ordering::SeqCst) % 2 == 1
}

//! How far the checkers may go before answering "unknown": every search, solver and memory budget
//! of every checker is its default times one factor, which `kvsim --budget N` sets once, before any
//! checking starts.
//!
//! A process-wide factor rather than a parameter threaded through every checker: budgets are a
//! resource setting of the whole run, like a thread count, and do not change what a checker decides
//! when it does decide — only how often it can.

use std::sync::atomic::{AtomicU64, Ordering};

static FACTOR: AtomicU64 = AtomicU64::new(1);

/// Multiplies every checker budget by `factor` (at least 1) from now on.
pub fn set_factor(factor: u64) {
    FACTOR.store(factor.max(1), Ordering::Relaxed);
}

/// The factor in force.
pub fn factor() -> u64 {
    FACTOR.load(Ordering::Relaxed)
}

/// A budget whose default is `base`, as in force now.
pub fn scaled(base: u64) -> u64 {
    base.saturating_mul(factor())
}

/// A size budget whose default is `base`, as in force now.
pub fn scaled_size(base: usize) -> usize {
    base.saturating_mul(usize::try_from(factor()).unwrap_or(usize::MAX))
}

/// What an "unknown" caused by a budget says about raising it.
pub const HOW_TO_RAISE: &str =
    "--budget N multiplies every checker budget by N (more time and memory)";

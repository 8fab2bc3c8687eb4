//! A nondeterminism planted on purpose, so that a test can show the determinism self-check
//! (`kvsim sweep --check-determinism`) catches one. Nothing in kvsim turns it on: only a test
//! calling [`plant_nondeterminism`].
//!
//! Planted at one seed, the first run of that seed under each model goes as it should, and every
//! later one draws one number more from the network's random stream before it starts — as a bug
//! would that let a run depend on state an earlier run left behind — so every random delay after
//! it moves. Off, it costs each run one relaxed atomic load.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::protocol::Model;

static PLANTED: AtomicBool = AtomicBool::new(false);
static SEED: AtomicU64 = AtomicU64::new(0);
/// The models the planted seed has run under so far, in this process.
static SEEN: Mutex<Vec<Model>> = Mutex::new(Vec::new());

/// For tests of the determinism self-check only: makes every run of `seed` after the first under
/// the same model differ from it (`None`: no seed). Process-wide, so a test that plants must have
/// its test binary to itself.
#[doc(hidden)]
pub fn plant_nondeterminism(seed: Option<u64>) {
    SEEN.lock().unwrap_or_else(PoisonError::into_inner).clear();
    SEED.store(seed.unwrap_or(0), Ordering::SeqCst);
    PLANTED.store(seed.is_some(), Ordering::SeqCst);
}

/// Skews `network`, the network stream of a run of `seed` under `model`, if the planted
/// nondeterminism says so.
#[inline]
pub(super) fn skew(network: &mut ChaCha8Rng, seed: u64, model: Model) {
    if !PLANTED.load(Ordering::Relaxed) || seed != SEED.load(Ordering::SeqCst) {
        return;
    }
    let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    if seen.contains(&model) {
        let _: u64 = network.random();
    } else {
        seen.push(model);
    }
}

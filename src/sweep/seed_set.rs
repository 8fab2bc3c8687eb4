//! The set of seeds a summary covers, which merging grows: disjoint sweeps' [`Seeds`], joined where
//! they can be written as fewer.
//!
//! A merge must refuse summaries that share a seed — a summary holds counts, and a seed counted twice
//! could not be told from two seeds — so a summary says which seeds it covers, in a few numbers.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::seeds::{SeedRange, Seeds, Shard};

/// The most pieces a [`SeedSet`] may have. Sweeps, and shards merged, join into a few; the bound
/// keeps the pairwise checks of a merge quick whatever a file holds.
pub const MAX_PIECES: usize = 10_000;

/// The seeds a summary covers: disjoint [`Seeds`], joined where they can be written as fewer.
///
/// Joining is what makes the shards of one sweep, merged, read exactly like the sweep: `0..40 shard
/// 0/2` and `0..40 shard 1/2` are `0..40`. Two rules, applied until neither applies:
///
/// - shards of one range that make up a coarser shard join into it (`1/4` and `3/4` are `1/2`; all of
///   `0/N … N-1/N` are the range);
/// - a range followed by the next one, sharded with the same `N` so that the second continues the
///   first's every-`N`-th seeds, join into one range (`0..20` and `20..40` are `0..40`).
///
/// Pieces are kept by range and shard count, so that the shards of one range — the usual merge —
/// are checked and joined by their indices alone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Seeds>", into = "Vec<Seeds>")]
pub struct SeedSet {
    /// The shard indices taken, per range and shard count.
    groups: BTreeMap<(SeedRange, u64), BTreeSet<u64>>,
}

impl SeedSet {
    /// The set of `seeds`.
    pub fn of(seeds: Seeds) -> SeedSet {
        let mut set = SeedSet::default();
        set.insert(seeds);
        set
    }

    fn insert(&mut self, seeds: Seeds) {
        self.groups
            .entry((seeds.range, seeds.shard.count))
            .or_default()
            .insert(seeds.shard.index);
    }

    /// The pieces, by range, then shard count, then index.
    pub fn pieces(&self) -> impl Iterator<Item = Seeds> + '_ {
        self.groups.iter().flat_map(|(&(range, count), indices)| {
            indices.iter().map(move |&index| Seeds {
                range,
                shard: Shard { index, count },
            })
        })
    }

    /// How many pieces it is written as.
    pub fn piece_count(&self) -> usize {
        self.groups.values().map(BTreeSet::len).sum()
    }

    /// How many seeds there are (pieces are disjoint).
    pub fn len(&self) -> u64 {
        self.pieces().map(|p| p.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `seed` is one of them.
    pub fn contains(&self, seed: u64) -> bool {
        self.pieces().any(|p| p.contains(seed))
    }

    /// The smallest seed that both sets hold, if any.
    pub fn first_shared(&self, other: &SeedSet) -> Option<u64> {
        let mut shared: Option<u64> = None;
        for (key, indices) in &self.groups {
            for (other_key, other_indices) in &other.groups {
                let seeds = |index| Seeds {
                    range: key.0,
                    shard: Shard {
                        index,
                        count: key.1,
                    },
                };
                let found = if key == other_key {
                    // Shards of one range with one count share seeds only when they are the same.
                    indices
                        .intersection(other_indices)
                        .filter_map(|&index| seeds(index).first())
                        .min()
                } else {
                    let mut found = None;
                    for &index in indices {
                        for &other_index in other_indices {
                            let other = Seeds {
                                range: other_key.0,
                                shard: Shard {
                                    index: other_index,
                                    count: other_key.1,
                                },
                            };
                            found = earliest(found, seeds(index).first_shared(&other));
                        }
                    }
                    found
                };
                shared = earliest(shared, found);
            }
        }
        shared
    }

    /// Adds the seeds of `other`, which must share none with this set.
    pub fn extend(&mut self, other: &SeedSet) {
        for piece in other.pieces() {
            self.insert(piece);
        }
        while self.join_shards() || self.join_ranges() {}
    }

    /// Joins every complete set of shards `k, k+d, …, k+(m-1)d` of `N = m·d` over one range into
    /// the shard `k/d`, for the largest `m` that has one; says whether it did.
    fn join_shards(&mut self) -> bool {
        let mut found = None;
        'search: for (&(range, n), indices) in &self.groups {
            // Each of the `m` shards of a class is a distinct index: at most as many as there are.
            for m in (2..=indices.len() as u64).rev() {
                if !n.is_multiple_of(m) {
                    continue;
                }
                let d = n / m;
                let complete: Vec<u64> = indices
                    .range(..d)
                    .copied()
                    .filter(|&k| (1..m).all(|j| indices.contains(&(k + j * d))))
                    .collect();
                if !complete.is_empty() {
                    found = Some((range, n, m, complete));
                    break 'search;
                }
            }
        }
        let Some((range, n, m, complete)) = found else {
            return false;
        };
        let d = n / m;
        let indices = self.groups.entry((range, n)).or_default();
        for &k in &complete {
            for j in 0..m {
                indices.remove(&(k + j * d));
            }
        }
        if indices.is_empty() {
            self.groups.remove(&(range, n));
        }
        self.groups.entry((range, d)).or_default().extend(complete);
        true
    }

    /// Joins a range and the one that starts where it ends, when both take every `N`-th seed and the
    /// second's seeds continue the first's; says whether it did.
    fn join_ranges(&mut self) -> bool {
        let mut found = None;
        'search: for (&(range, n), indices) in &self.groups {
            let after = (
                SeedRange {
                    start: range.end,
                    end: 0,
                },
                0,
            );
            let followers = self
                .groups
                .range(after..)
                .take_while(|((next, _), _)| next.start == range.end)
                .filter(|((_, count), _)| *count == n);
            for (&(next, _), next_indices) in followers {
                for &index in indices {
                    let Some(first) = range.start.checked_add(index) else {
                        continue;
                    };
                    if first >= range.end {
                        continue;
                    }
                    // The first of this piece's every-N-th seeds at or after the next range's start.
                    let continues = (n - (next.start - first) % n) % n;
                    if next_indices.contains(&continues) {
                        found = Some((range, next, n, index, continues));
                        break 'search;
                    }
                }
            }
        }
        let Some((range, next, n, index, continues)) = found else {
            return false;
        };
        for (key, index) in [((range, n), index), ((next, n), continues)] {
            let indices = self.groups.entry(key).or_default();
            indices.remove(&index);
            if indices.is_empty() {
                self.groups.remove(&key);
            }
        }
        self.insert(Seeds {
            range: SeedRange {
                start: range.start,
                end: next.end,
            },
            shard: Shard { index, count: n },
        });
        true
    }
}

/// The smaller seed of two, where there is one.
fn earliest(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        _ => a.or(b),
    }
}

/// Reading a summary's seed ranges: each must be one the command line accepts, at most
/// [`MAX_PIECES`] of them, none sharing a seed with another.
impl TryFrom<Vec<Seeds>> for SeedSet {
    type Error = String;

    fn try_from(pieces: Vec<Seeds>) -> Result<Self, Self::Error> {
        if pieces.len() > MAX_PIECES {
            return Err(format!(
                "{} seed ranges, more than the {MAX_PIECES} kvsim reads",
                pieces.len()
            ));
        }
        let mut set = SeedSet::default();
        for piece in pieces {
            if !piece.is_valid() {
                return Err(format!(
                    "the seed range {piece} is empty, or its shard is not K/N with K < N"
                ));
            }
            if let Some(seed) = set.first_shared(&SeedSet::of(piece)) {
                return Err(format!("seed {seed} is in two of its seed ranges"));
            }
            set.insert(piece);
        }
        Ok(set)
    }
}

impl From<SeedSet> for Vec<Seeds> {
    fn from(set: SeedSet) -> Vec<Seeds> {
        set.pieces().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeds(start: u64, end: u64, index: u64, count: u64) -> Seeds {
        Seeds {
            range: SeedRange { start, end },
            shard: Shard { index, count },
        }
    }

    #[test]
    fn the_shards_of_one_sweep_join_into_the_sweep() {
        let mut set = SeedSet::default();
        for index in [2, 0, 3, 1] {
            set.extend(&SeedSet::of(seeds(0, 41, index, 4)));
        }
        assert_eq!(set, SeedSet::of(seeds(0, 41, 0, 1)));

        let mut mixed = SeedSet::of(seeds(0, 40, 0, 2));
        mixed.extend(&SeedSet::of(seeds(0, 40, 3, 4)));
        assert_eq!(mixed.piece_count(), 2);
        mixed.extend(&SeedSet::of(seeds(0, 40, 1, 4)));
        assert_eq!(mixed, SeedSet::of(seeds(0, 40, 0, 1)));
    }

    #[test]
    fn a_thousand_shards_join_into_the_sweep_in_any_order() {
        let mut set = SeedSet::default();
        for i in 0..1000 {
            let index = i * 7919 % 1000;
            let piece = SeedSet::of(seeds(0, 1_000_000, index, 1000));
            assert_eq!(set.first_shared(&piece), None);
            set.extend(&piece);
        }
        assert_eq!(set, SeedSet::of(seeds(0, 1_000_000, 0, 1)));
        assert_eq!(
            set.first_shared(&SeedSet::of(seeds(999_999, 1_000_001, 0, 1))),
            Some(999_999)
        );
    }

    #[test]
    fn seed_ranges_read_from_a_file_are_checked() {
        let read = |json: &str| serde_json::from_str::<SeedSet>(json).map_err(|e| e.to_string());
        assert!(
            read(r#"[{"start": 0, "end": 9, "shard": {"index": 0, "count": 0}}]"#)
                .unwrap_err()
                .contains("is empty, or its shard is not K/N")
        );
        assert!(read(
            r#"[{"start": 0, "end": 9, "shard": {"index": 0, "count": 2}},
                {"start": 4, "end": 9, "shard": {"index": 0, "count": 1}}]"#
        )
        .unwrap_err()
        .contains("seed 4 is in two of its seed ranges"));
        let set = read(r#"[{"start": 0, "end": 9, "shard": {"index": 1, "count": 3}}]"#).unwrap();
        assert_eq!(set.len(), 3);
    }

    #[test]
    fn consecutive_ranges_join_when_their_shards_line_up() {
        let mut set = SeedSet::of(seeds(20, 40, 0, 1));
        set.extend(&SeedSet::of(seeds(0, 20, 0, 1)));
        assert_eq!(set, SeedSet::of(seeds(0, 40, 0, 1)));

        // 1, 4, 7, … 19, then 22, 25, …: shard 1/3 of 21..40 continues shard 1/3 of 0..21.
        let mut set = SeedSet::of(seeds(0, 21, 1, 3));
        set.extend(&SeedSet::of(seeds(21, 40, 1, 3)));
        assert_eq!(set, SeedSet::of(seeds(0, 40, 1, 3)));
        let mut apart = SeedSet::of(seeds(0, 21, 1, 3));
        apart.extend(&SeedSet::of(seeds(21, 40, 0, 3)));
        assert_eq!(apart.piece_count(), 2);
        assert_eq!(apart.len(), 7 + 7);
    }
}

//! Which seeds a sweep runs: a range `A..B`, or one shard `K/N` of it (every `N`-th seed from the
//! `K`-th).
//!
//! Seeds are computed, never listed: ten million seeds are two numbers and a shard, not a vector.
//! Whether two sweeps share a seed is arithmetic on their shards too ([`Seeds::first_shared`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The most seeds one sweep (or one shard of it) may run; split bigger sweeps with `--shard`.
pub const MAX_SEEDS: u64 = 10_000_000;

/// Seeds `start..end` (end excluded), written `A..B`, or `A..=B` to include `B`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SeedRange {
    pub start: u64,
    pub end: u64,
}

impl FromStr for SeedRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad =
            || format!("expected seeds as A..B (B excluded) or A..=B, like 0..1000, got {text:?}");
        let (start, end, inclusive) = if let Some((a, b)) = text.split_once("..=") {
            (a, b, true)
        } else if let Some((a, b)) = text.split_once("..") {
            (a, b, false)
        } else {
            return Err(bad());
        };
        let start: u64 = start.trim().parse().map_err(|_| bad())?;
        let end: u64 = end.trim().parse().map_err(|_| bad())?;
        let end = if inclusive {
            end.checked_add(1).ok_or_else(|| {
                format!("seed {end} is the largest there is and cannot end an inclusive range: use {start}..{end}")
            })?
        } else {
            end
        };
        if end <= start {
            return Err(format!("the seed range {text} is empty"));
        }
        Ok(SeedRange { start, end })
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Every `count`-th seed of the range, starting from the `index`-th: written `K/N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The whole range: `0/1`.
    pub const ALL: Shard = Shard { index: 0, count: 1 };
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("expected a shard as K/N with K < N, like 0/4, got {text:?}");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = k.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The seeds one sweep runs: the `shard`'s seeds of `range` (`shard` is `0/1` for all of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Seeds {
    #[serde(flatten)]
    pub range: SeedRange,
    pub shard: Shard,
}

impl Seeds {
    pub fn new(range: SeedRange, shard: Option<Shard>) -> Seeds {
        Seeds {
            range,
            shard: shard.unwrap_or(Shard::ALL),
        }
    }

    /// Whether the range and shard are ones the command line accepts: `start < end`, `K < N`.
    /// A document read from a file may hold others.
    pub fn is_valid(&self) -> bool {
        self.range.start < self.range.end && self.shard.index < self.shard.count
    }

    /// The smallest seed, unless there is none.
    pub(super) fn first(&self) -> Option<u64> {
        let first = self.range.start.checked_add(self.shard.index)?;
        (first < self.range.end).then_some(first)
    }

    /// How many seeds there are.
    pub fn len(&self) -> u64 {
        match self.first() {
            Some(first) => (self.range.end - first).div_ceil(self.shard.count),
            None => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The seeds in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u64> {
        let first = self.first().unwrap_or(0);
        let step = self.shard.count;
        (0..self.len()).map(move |i| first + i * step)
    }

    /// Whether `seed` is one of them.
    pub fn contains(&self, seed: u64) -> bool {
        self.first().is_some_and(|first| {
            seed >= first
                && seed < self.range.end
                && (seed - first).is_multiple_of(self.shard.count)
        })
    }

    /// The `i`-th seed (from 0), if there are more than `i`.
    pub fn get(&self, i: u64) -> Option<u64> {
        let seed = i
            .checked_mul(self.shard.count)?
            .checked_add(self.first()?)?;
        (seed < self.range.end).then_some(seed)
    }

    /// The smallest seed both hold, if any.
    ///
    /// Their seeds are `a + i·m` and `b + j·n` (first seeds `a`, `b`; steps `m`, `n`), so a shared
    /// seed `x` has `x ≡ a (mod m)` and `x ≡ b (mod n)`. By the Chinese remainder theorem there is
    /// none unless `a ≡ b (mod g)`, `g = gcd(m, n)`; otherwise the solutions are one residue modulo
    /// `lcm(m, n)`, and the smallest one not below both first seeds is the one to test against both
    /// ends.
    pub fn first_shared(&self, other: &Seeds) -> Option<u64> {
        let (a, b) = (self.first()?, other.first()?);
        let low = a.max(b);
        let end = self.range.end.min(other.range.end);
        if low >= end {
            return None;
        }
        let (m, n) = (u128::from(self.shard.count), u128::from(other.shard.count));
        let g = gcd(m, n);
        // (b - a) mod n, kept non-negative.
        let gap = (u128::from(b) % n + n - u128::from(a) % n) % n;
        if !gap.is_multiple_of(g) {
            return None;
        }
        // a + m·t ≡ b (mod n)  ⇔  (m/g)·t ≡ gap/g (mod n/g), and m/g is invertible modulo n/g.
        let reduced = n / g;
        let t = (gap / g) * inverse(m / g % reduced, reduced) % reduced;
        let lcm = m * reduced;
        // The smallest solution from a; then whole steps of lcm until it is at least b as well.
        let mut x = u128::from(a) + m * t;
        let low = u128::from(low);
        if x < low {
            x += (low - x).div_ceil(lcm) * lcm;
        }
        (x < u128::from(end)).then_some(x as u64)
    }
}

impl fmt::Display for Seeds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.shard == Shard::ALL {
            write!(f, "{}", self.range)
        } else {
            write!(f, "{} shard {}", self.range, self.shard)
        }
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The inverse of `a` modulo `modulus` (`a` and `modulus` coprime, both below 2^64), by the extended
/// Euclidean algorithm.
fn inverse(a: u128, modulus: u128) -> u128 {
    if modulus == 1 {
        return 0;
    }
    let (mut old_r, mut r) = (a as i128, modulus as i128);
    let (mut old_s, mut s) = (1i128, 0i128);
    while r != 0 {
        let q = old_r / r;
        (old_r, r) = (r, old_r - q * r);
        (old_s, s) = (s, old_s - q * s);
    }
    old_s.rem_euclid(modulus as i128) as u128
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
    fn seed_ranges_and_shards_parse_and_split_the_seeds() {
        let range: SeedRange = "10..20".parse().unwrap();
        assert_eq!(Seeds::new(range, None).len(), 10);
        let inclusive: SeedRange = "10..=20".parse().unwrap();
        assert_eq!(Seeds::new(inclusive, None).len(), 11);
        assert!("5..5".parse::<SeedRange>().is_err());
        assert!("five".parse::<SeedRange>().is_err());
        let shards: Vec<Vec<u64>> = (0..3)
            .map(|k| seeds(10, 20, k, 3).iter().collect())
            .collect();
        assert_eq!(shards[0], vec![10, 13, 16, 19]);
        let mut all: Vec<u64> = shards.concat();
        all.sort();
        let whole: Vec<u64> = Seeds::new(range, None).iter().collect();
        assert_eq!(all, whole, "the shards cover every seed once");
        assert_eq!(seeds(10, 20, 0, 3).len(), 4);
        assert_eq!(seeds(10, 20, 2, 3).len(), 3);
        assert_eq!(seeds(10, 20, 2, 3).get(2), Some(18));
        assert_eq!(seeds(10, 20, 2, 3).get(3), None);
        assert_eq!(seeds(0, 2, 3, 4).len(), 0, "a shard can hold no seed");
        assert!("3/3".parse::<Shard>().is_err());
        assert!("1/0".parse::<Shard>().is_err());
    }

    #[test]
    fn the_first_shared_seed_is_found_by_arithmetic_as_by_listing() {
        let mut all = Vec::new();
        for start in 0..7 {
            for end in start + 1..16 {
                for count in 1..6 {
                    for index in 0..count {
                        all.push(seeds(start, end, index, count));
                    }
                }
            }
        }
        for a in &all {
            for b in all.iter().step_by(13) {
                let listed = a.iter().find(|&s| b.contains(s));
                assert_eq!(a.first_shared(b), listed, "{a} and {b}");
            }
        }
        let far = seeds(u64::MAX - 100, u64::MAX, 3, u64::MAX - 1);
        assert_eq!(
            far.first_shared(&seeds(0, u64::MAX, 0, 1)),
            Some(u64::MAX - 97)
        );
        let big = seeds(0, u64::MAX, 1, 1 << 62);
        let other = seeds(0, u64::MAX, 2, (1 << 62) - 1);
        assert_eq!(big.len(), 4);
        assert_eq!(
            big.first_shared(&other),
            big.iter().find(|&s| other.contains(s))
        );
    }
}

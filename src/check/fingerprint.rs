//! Zobrist fingerprints: 128-bit tags of the facts that make up a search state, XORed together, so a
//! state's fingerprint is updated in O(1) when one fact changes and undone by the same XOR.
//!
//! The searches remember the states they have explored by fingerprint rather than by copy: a copy
//! costs one entry per operation (a set of linearized operations) or per session, which made the memo
//! quadratic in the history. If the tags behave as random, two different states share a fingerprint
//! with probability 2⁻¹²⁸ per pair: over a search's whole budget (a few million states) below 10⁻²⁵.
//! A collision would make a search skip a state it has not explored: it could then miss the one order
//! that works and call a consistent history broken — never the other way round. The tags come from a
//! fixed mixing function, not a random seed, so the searches stay deterministic.

/// SplitMix64's finaliser: a bijective mix of 64 bits.
fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The tag of one fact: `entry` in row `index` of table `table` (tables keep different kinds of fact
/// apart: positions, stored values, linearized operations). The two halves are mixed from the inputs
/// separately, with different constants, so that the tag is not a function of one 64-bit value.
pub fn tag(table: u64, index: u64, entry: u64) -> u128 {
    let half = |salt: u64| {
        mix64(table ^ salt ^ mix64(index.wrapping_add(salt) ^ mix64(entry ^ salt.rotate_left(17))))
    };
    (u128::from(half(0x5851_f42d_4c95_7f2d)) << 64) | u128::from(half(0x1405_7b7e_f767_814f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn tags_of_different_facts_differ() {
        let mut tags = BTreeSet::new();
        for table in 0..3 {
            for index in 0..100 {
                for entry in 0..100 {
                    assert!(tags.insert(tag(table, index, entry)));
                }
            }
        }
    }
}

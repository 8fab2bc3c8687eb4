//! Delta debugging (Zeller and Hildebrandt, "Simplifying and isolating failure-inducing input",
//! 2002): the smallest part of a list that still makes a test fail, found by removing chunks.
//!
//! `ddmin` splits the list into `n` chunks and tries each chunk alone, then each complement (the
//! list without one chunk); whatever still fails becomes the list. When nothing does, it splits
//! finer, until the chunks are single items. What it returns is *1-minimal*: removing any one of its
//! items makes the test pass — the last round tried exactly that.

/// The smallest sublist of `items` (in their order) for which `fails` holds, 1-minimal. `fails` must
/// hold for `items` itself; it is never asked about the whole list again, nor about an empty one.
pub fn ddmin<T: Clone>(items: Vec<T>, mut fails: impl FnMut(&[T]) -> bool) -> Vec<T> {
    let mut current = items;
    let mut n = 2;
    while current.len() >= 2 {
        let chunks = split(current.len(), n);
        let mut reduced = false;
        // A chunk alone: the fastest way down, when the cause sits in one place.
        for range in &chunks {
            let subset = current[range.clone()].to_vec();
            if fails(&subset) {
                current = subset;
                n = 2;
                reduced = true;
                break;
            }
        }
        if !reduced && n > 2 {
            for range in &chunks {
                let complement: Vec<T> = current[..range.start]
                    .iter()
                    .chain(&current[range.end..])
                    .cloned()
                    .collect();
                if fails(&complement) {
                    current = complement;
                    n = (n - 1).max(2);
                    reduced = true;
                    break;
                }
            }
        }
        if !reduced {
            if n >= current.len() {
                break;
            }
            n = (2 * n).min(current.len());
        }
    }
    if current.len() == 1 {
        // One item is 1-minimal only if the empty list passes; ask, since the rounds above did not.
        let empty: Vec<T> = Vec::new();
        if fails(&empty) {
            return empty;
        }
    }
    current
}

/// `len` items in `n` chunks of nearly equal size, as index ranges.
fn split(len: usize, n: usize) -> Vec<std::ops::Range<usize>> {
    let n = n.min(len);
    let mut ranges = Vec::with_capacity(n);
    let mut start = 0;
    for i in 0..n {
        let end = start + (len - start) / (n - i);
        ranges.push(start..end);
        start = end;
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_two_items_that_together_fail() {
        let items: Vec<u32> = (0..40).collect();
        let mut tests = 0;
        let kept = ddmin(items, |s| {
            tests += 1;
            s.contains(&7) && s.contains(&31)
        });
        assert_eq!(kept, vec![7, 31]);
        assert!(tests < 100, "{tests} tests");
    }

    #[test]
    fn the_result_is_one_minimal_for_a_test_that_is_not_monotone() {
        // Fails when the sum is in 20..=25: removing items can make it fail again, as removing
        // operations from a scenario can bring an anomaly back.
        let fails = |s: &[u32]| (20..=25).contains(&s.iter().sum::<u32>());
        let items: Vec<u32> = vec![9, 4, 7, 1, 3];
        assert!(fails(&items));
        let kept = ddmin(items, fails);
        assert!(fails(&kept));
        for i in 0..kept.len() {
            let mut less = kept.clone();
            less.remove(i);
            assert!(!fails(&less), "removing {} still fails: {less:?}", kept[i]);
        }
    }

    #[test]
    fn an_item_that_fails_alone_is_kept_alone() {
        assert_eq!(ddmin(vec![1, 2, 3], |s| s.contains(&2)), vec![2]);
    }

    #[test]
    fn the_empty_list_is_returned_when_it_fails_too() {
        assert_eq!(ddmin(vec![1, 2, 3], |_| true), Vec::<u32>::new());
    }

    #[test]
    fn chunks_cover_the_list_in_order() {
        assert_eq!(split(7, 3), vec![0..2, 2..4, 4..7]);
        assert_eq!(split(2, 5), vec![0..1, 1..2]);
    }
}

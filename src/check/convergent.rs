//! Convergence: once the run has gone quiet, every replica holds the same store.

use crate::check::glossary;
use std::collections::BTreeSet;

use super::Verdict;
use crate::op::{Key, Value};
use crate::protocol::Store;

/// Compares the replicas' final stores; on a difference, names each key that differs and what each
/// replica holds for it.
pub fn check(stores: &[Store]) -> Verdict {
    let Some(first) = stores.first() else {
        return Verdict::holds();
    };
    if stores.iter().all(|s| s == first) {
        return Verdict::holds();
    }
    let keys: BTreeSet<&Key> = stores.iter().flat_map(|s| s.keys()).collect();
    let mut witness = Vec::new();
    for key in keys {
        let values: Vec<Option<&Value>> = stores.iter().map(|s| s.get(key)).collect();
        if values.iter().all(|v| *v == values[0]) {
            continue;
        }
        let held: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(r, v)| format!("r{r}: {}", v.map_or("null", |v| &**v)))
            .collect();
        witness.push(format!("{key} differs — {}", held.join(", ")));
    }
    Verdict::broken(glossary::DIVERGENCE, witness)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(pairs: &[(&str, &str)]) -> Store {
        pairs.iter().map(|&(k, v)| (k.into(), v.into())).collect()
    }

    #[test]
    fn equal_stores_converge() {
        let stores = [store(&[("x", "1")]), store(&[("x", "1")])];
        assert_eq!(check(&stores), Verdict::holds());
    }

    #[test]
    fn a_difference_names_the_key_and_each_replicas_value() {
        let stores = [
            store(&[("x", "1"), ("y", "2")]),
            store(&[("x", "1")]),
            store(&[("x", "3"), ("y", "2")]),
        ];
        let verdict = check(&stores);
        assert_eq!(verdict.ok, Some(false));
        assert_eq!(
            verdict.witness,
            vec![
                "x differs — r0: 1, r1: 1, r2: 3",
                "y differs — r0: 2, r1: null, r2: 2"
            ]
        );
    }
}

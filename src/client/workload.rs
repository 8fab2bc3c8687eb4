//! Generated workloads: clients whose scripts are drawn from the seed, with the mix of gets, puts,
//! compare-and-sets and appends a scenario's `"workload"` asks for.

use std::collections::BTreeMap;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::Step;
use crate::ids::{ClientId, ReplicaId};
use crate::op::{Key, Op, OpKind, Value};
use crate::sim::network::Delay;

/// A validated `"workload"`: clients whose scripts are drawn from the seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub clients: u32,
    /// Operations per client.
    pub ops: u32,
    /// Keys are `k0` … `k{keys-1}`, chosen uniformly.
    pub keys: u32,
    /// The fraction of operations that are reads.
    pub reads: f64,
    /// The fraction of operations that are compare-and-sets.
    pub cas: f64,
    /// The fraction of operations that are appends. The rest (`1 - reads - cas - append`) are puts.
    pub append: f64,
    /// `Some(n)`: puts and compare-and-sets use the values `0` … `n-1`, drawn uniformly, so values
    /// repeat (as in Jepsen's register tests); `None`: every value written is new.
    pub values: Option<u32>,
    /// The pause before each operation.
    pub think: Delay,
    /// The fraction of operations sent to a replica other than the client's home.
    pub switch: f64,
}

impl Workload {
    /// Draws the scripts of the workload's clients, whose ids start at `first` and whose homes go
    /// round the `replicas` in turn.
    ///
    /// Unless [`Workload::values`] is set, every put and compare-and-set writes a value never written
    /// before, `c<client>.<n>` for the client's n-th such operation, so a read shows exactly which
    /// write it saw; a compare-and-set expects the value its client last wrote to that key (`null` if
    /// none). An append's element is `<client>.<n>;` (its client's n-th append), so a string of
    /// appends reads as the list of its elements, each ending in `;`.
    ///
    /// A workload of only gets and puts draws exactly what it drew before compare-and-set and append
    /// existed, so old scenarios keep their runs.
    pub fn generate(
        &self,
        first: u32,
        replicas: usize,
        rng: &mut ChaCha8Rng,
    ) -> Vec<(ClientId, ReplicaId, Vec<Step>)> {
        let mut clients = Vec::with_capacity(self.clients as usize);
        // One shared copy of each key name, made when first drawn: `keys` may be in the billions while
        // a run touches at most one key per operation.
        let mut keys: BTreeMap<u32, Key> = BTreeMap::new();
        for i in 0..self.clients {
            let id = ClientId(first + i);
            let home = ReplicaId(i % replicas as u32);
            let mut steps = Vec::with_capacity(2 * self.ops as usize);
            let mut writes = 0;
            let mut appends = 0;
            let mut last_written: BTreeMap<u32, Value> = BTreeMap::new();
            for _ in 0..self.ops {
                let think = self.think.sample(rng);
                if think > 0 {
                    steps.push(Step::Sleep(think));
                }
                let k = rng.random_range(0..self.keys);
                let key = keys
                    .entry(k)
                    .or_insert_with(|| Key::from(format!("k{k}")))
                    .clone();
                let kind = if self.cas == 0.0 && self.append == 0.0 {
                    if rng.random_bool(self.reads) {
                        OpKind::Get
                    } else {
                        OpKind::Put
                    }
                } else {
                    let u: f64 = rng.random();
                    if u < self.reads {
                        OpKind::Get
                    } else if u < self.reads + self.cas {
                        OpKind::Cas
                    } else if u < self.reads + self.cas + self.append {
                        OpKind::Append
                    } else {
                        OpKind::Put
                    }
                };
                let mut new_value = |rng: &mut ChaCha8Rng| -> Value {
                    match self.values {
                        Some(n) => rng.random_range(0..n).to_string().into(),
                        None => {
                            writes += 1;
                            format!("c{}.{writes}", id.0).into()
                        }
                    }
                };
                let op = match kind {
                    OpKind::Get => Op::Get { key },
                    OpKind::Put => {
                        let value = new_value(rng);
                        last_written.insert(k, value.clone());
                        Op::Put { key, value }
                    }
                    OpKind::Cas => {
                        let expected = match self.values {
                            Some(n) => Some(rng.random_range(0..n).to_string().into()),
                            None => last_written.get(&k).cloned(),
                        };
                        let new = new_value(rng);
                        last_written.insert(k, new.clone());
                        Op::Cas { key, expected, new }
                    }
                    OpKind::Append => {
                        appends += 1;
                        Op::Append {
                            key,
                            value: format!("{}.{appends};", id.0).into(),
                        }
                    }
                };
                let replica = if self.switch > 0.0 && replicas > 1 && rng.random_bool(self.switch) {
                    // Any replica but home: draw among the others and skip over home.
                    let other = rng.random_range(0..replicas as u32 - 1);
                    Some(ReplicaId(if other >= home.0 { other + 1 } else { other }))
                } else {
                    None
                };
                steps.push(Step::Op { op, replica });
            }
            clients.push((id, home, steps));
        }
        clients
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn generated_writes_never_repeat_a_value() {
        let workload = Workload {
            clients: 5,
            ops: 50,
            keys: 2,
            reads: 0.3,
            cas: 0.2,
            append: 0.2,
            values: None,
            think: Delay::Uniform(0, 3),
            switch: 0.5,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut values = std::collections::BTreeSet::new();
        let mut switched = 0;
        for (_, home, steps) in workload.generate(2, 3, &mut rng) {
            for step in steps {
                if let Step::Op { op, replica } = step {
                    if let Op::Put { value, .. }
                    | Op::Cas { new: value, .. }
                    | Op::Append { value, .. } = op
                    {
                        assert!(values.insert(value), "a value was written twice");
                    }
                    if let Some(r) = replica {
                        assert_ne!(r, home);
                        assert!(r.0 < 3);
                        switched += 1;
                    }
                }
            }
        }
        assert!(!values.is_empty() && switched > 0);
    }

    #[test]
    fn a_workload_draws_its_fractions_and_repeats_values_when_asked() {
        let workload = Workload {
            clients: 4,
            ops: 500,
            keys: 1,
            reads: 0.5,
            cas: 0.3,
            append: 0.0,
            values: Some(5),
            think: Delay::Constant(0),
            switch: 0.0,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut counts = BTreeMap::new();
        let mut written = std::collections::BTreeSet::new();
        for (_, _, steps) in workload.generate(0, 3, &mut rng) {
            for step in steps {
                if let Step::Op { op, .. } = step {
                    *counts.entry(op.kind()).or_insert(0) += 1;
                    match op {
                        Op::Put { value, .. } => {
                            written.insert(value);
                        }
                        Op::Cas { expected, new, .. } => {
                            written.insert(new);
                            written.extend(expected);
                        }
                        _ => {}
                    }
                }
            }
        }
        // 2,000 operations: about 1,000 gets, 600 compare-and-sets, 400 puts, no appends.
        assert!((900..1100).contains(&counts[&OpKind::Get]), "{counts:?}");
        assert!((520..680).contains(&counts[&OpKind::Cas]), "{counts:?}");
        assert!((330..470).contains(&counts[&OpKind::Put]), "{counts:?}");
        assert!(!counts.contains_key(&OpKind::Append));
        let expected: std::collections::BTreeSet<Value> = ["0", "1", "2", "3", "4"]
            .into_iter()
            .map(Value::from)
            .collect();
        assert_eq!(written, expected, "values are drawn from 0 … 4");
    }
}

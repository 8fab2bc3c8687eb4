//! The shape of a witness: what a failure looks like once its keys, values and clients are
//! forgotten — `2 clients, 1 key: 1 put, 1 get` — which is what triage groups failures by
//! (triage.rs).
//!
//! Counts stop at "3+": the checkers shrink witnesses to minimal sets, and the small ones (a put and
//! a stale get; two clients each writing one key and reading the other) are the textbook patterns,
//! while a minimal witness of a dozen operations is as large as the concurrency of that run made it
//! — exact counts would give nearly every such seed a group of its own.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::history::Operation;
use crate::op::OpKind;

/// Where the counts of a [`Shape`] stop: 3 stands for "3 or more", written `3+`.
const MANY: usize = 3;

/// The shape of a witness: what kinds of operations prove a failure, how many, from how many
/// clients on how many keys — `2 clients, 1 key: 1 put, 1 get`. Every count stops at 3, written `3+`.
///
/// A compare-and-set that failed is its own kind: the checkers judge it as a read of what it saw,
/// so a witness of failed compare-and-sets is a different story from one of compare-and-sets that
/// wrote (a lost update). One never answered is counted with those that succeeded, since it may
/// have written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    pub clients: usize,
    pub keys: usize,
    pub puts: usize,
    pub appends: usize,
    /// Compare-and-sets that succeeded, or were never answered.
    pub cas: usize,
    pub failed_cas: usize,
    pub gets: usize,
    /// Operations of the witness that were never answered: the client gave up, or the run ended
    /// first.
    pub unanswered: usize,
}

impl Shape {
    /// The shape of the witness that names `operations` (positions in `history`, as
    /// [`crate::check::Verdict::operations`] gives them).
    pub fn of(operations: &[usize], history: &[Operation]) -> Shape {
        let mut shape = Shape::default();
        // The first distinct clients and keys, as many as are counted: a sweep computes a shape
        // for every failure, and this takes no allocation.
        let mut clients = [None; MANY];
        let mut keys = [None; MANY];
        for op in operations.iter().filter_map(|&at| history.get(at)) {
            shape.clients = note_distinct(&mut clients, shape.clients, op.client);
            shape.keys = note_distinct(&mut keys, shape.keys, &*op.key);
            let kind = match op.op {
                OpKind::Put => &mut shape.puts,
                OpKind::Append => &mut shape.appends,
                OpKind::Cas if op.ok == Some(false) => &mut shape.failed_cas,
                OpKind::Cas => &mut shape.cas,
                OpKind::Get => &mut shape.gets,
            };
            *kind = (*kind + 1).min(MANY);
            if op.returned_at.is_none() {
                shape.unanswered = (shape.unanswered + 1).min(MANY);
            }
        }
        shape
    }
}

/// Counts `item` among the `seen` distinct items of `first` (which holds them, up to [`MANY`]):
/// how many distinct items there are now, stopping at [`MANY`].
fn note_distinct<T: PartialEq>(first: &mut [Option<T>; MANY], seen: usize, item: T) -> usize {
    if seen == MANY || first[..seen].iter().any(|f| f.as_ref() == Some(&item)) {
        return seen;
    }
    first[seen] = Some(item);
    seen + 1
}

/// `2 clients, 1 key: 2 puts, 1 get`, `3+ clients, 2 keys: 3+ puts, 3+ gets (1 unanswered)`:
/// writes before reads. A witness that names no operation (convergence, judged on the final
/// stores) is `no operations`.
impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written piece by piece: a sweep writes the shape of every failure it counts.
        let amount = |f: &mut fmt::Formatter<'_>, n: usize| {
            if n < MANY {
                write!(f, "{n}")
            } else {
                write!(f, "{MANY}+")
            }
        };
        let count = |f: &mut fmt::Formatter<'_>, n: usize, one: &str, many: &str| {
            amount(f, n)?;
            f.write_str(" ")?;
            f.write_str(if n == 1 { one } else { many })
        };
        let kinds = [
            (self.puts, "put", "puts"),
            (self.appends, "append", "appends"),
            (self.cas, "cas", "cas"),
            (self.failed_cas, "failed cas", "failed cas"),
            (self.gets, "get", "gets"),
        ];
        if kinds.iter().all(|(n, _, _)| *n == 0) {
            return f.write_str("no operations");
        }
        count(f, self.clients, "client", "clients")?;
        f.write_str(", ")?;
        count(f, self.keys, "key", "keys")?;
        let mut separator = ": ";
        for (n, one, many) in kinds {
            if n > 0 {
                f.write_str(separator)?;
                count(f, n, one, many)?;
                separator = ", ";
            }
        }
        if self.unanswered > 0 {
            f.write_str(" (")?;
            amount(f, self.unanswered)?;
            f.write_str(" unanswered)")?;
        }
        Ok(())
    }
}

/// Written as its text, as in `--per-run` lines.
impl Serialize for Shape {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ClientId, ReplicaId};
    use crate::op::Op;

    /// An operation of `client`, answered unless `answered` is false.
    fn op(client: u32, op: Op, answered: bool) -> Operation {
        let mut operation = Operation::invoked(ClientId(client), ReplicaId(0), &op, 0);
        if answered {
            operation.returned_at = Some(5);
        }
        operation
    }

    fn put(client: u32, key: &str, value: &str) -> Operation {
        let op = Op::Put {
            key: key.into(),
            value: value.into(),
        };
        self::op(client, op, true)
    }

    fn get(client: u32, key: &str) -> Operation {
        self::op(client, Op::Get { key: key.into() }, true)
    }

    #[test]
    fn a_stale_read_is_two_clients_one_put_and_one_get() {
        let history = vec![put(0, "x", "1"), put(0, "y", "2"), get(1, "x")];
        let shape = Shape::of(&[0, 2], &history);
        assert_eq!(shape.to_string(), "2 clients, 1 key: 1 put, 1 get");
    }

    #[test]
    fn the_shape_forgets_clients_keys_and_values() {
        let one = vec![put(0, "x", "1"), get(1, "x")];
        let other = vec![put(3, "k7", "900"), get(2, "k7")];
        assert_eq!(Shape::of(&[0, 1], &one), Shape::of(&[0, 1], &other));
    }

    #[test]
    fn a_failed_cas_and_an_unanswered_put_are_told_apart() {
        let cas = Op::Cas {
            key: "x".into(),
            expected: Some("1".into()),
            new: "2".into(),
        };
        let mut failed = op(1, cas, true);
        failed.ok = Some(false);
        let unanswered = op(
            0,
            Op::Put {
                key: "y".into(),
                value: "3".into(),
            },
            false,
        );
        let history = vec![put(0, "x", "1"), failed, unanswered, get(2, "y")];
        let shape = Shape::of(&[0, 1, 2, 3], &history);
        assert_eq!(
            shape.to_string(),
            "3+ clients, 2 keys: 2 puts, 1 failed cas, 1 get (1 unanswered)"
        );
    }

    #[test]
    fn counts_stop_at_three_so_large_witnesses_share_a_shape() {
        let five: Vec<Operation> = (0..5).map(|c| put(c, &format!("k{c}"), "1")).collect();
        let four: Vec<Operation> = (0..4).map(|c| put(c, &format!("k{c}"), "1")).collect();
        let shape = Shape::of(&[0, 1, 2, 3, 4], &five);
        assert_eq!(shape, Shape::of(&[0, 1, 2, 3], &four));
        assert_eq!(shape.to_string(), "3+ clients, 3+ keys: 3+ puts");
    }

    #[test]
    fn a_witness_of_no_operations_says_so() {
        assert_eq!(Shape::of(&[], &[]).to_string(), "no operations");
    }
}

//! What an operation does to its key's value as the checkers judge it — read, write, or update —
//! and how an operation takes effect on a value.

use super::CheckOp;

/// What an operation does to its key's value, as the checkers judge it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Reads [`CheckOp::value`]: a get, or a compare-and-set that failed (it saw `value`).
    Read,
    /// Writes [`CheckOp::value`]: a put.
    Write,
    /// Reads and writes atomically, nothing in between: a compare-and-set that succeeded or never
    /// returned (reads [`Cas::expected`], writes `value`), or an append (reads the string, writes it
    /// with the element `value` at its end).
    Update,
}

/// A compare-and-set's arguments, interned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cas {
    /// The value it expected; `None`: the key absent.
    pub expected: Option<u32>,
    /// The value it asked to write.
    pub new: u32,
}

impl CheckOp {
    /// The value this operation leaves in its key when it takes effect on `current`, or `None` when it
    /// cannot take effect there (a read of another value, a compare-and-set expecting another value).
    /// An append's result is not interned in the history: `append` interns it.
    pub fn apply(
        &self,
        current: Option<u32>,
        append: impl FnOnce(Option<u32>, u32) -> u32,
    ) -> Option<Option<u32>> {
        match (self.role, self.cas) {
            (Role::Read, _) => (current == self.value).then_some(current),
            (Role::Write, _) => Some(self.value),
            (Role::Update, Some(cas)) => (current == cas.expected).then_some(Some(cas.new)),
            (Role::Update, None) => Some(Some(append(current, self.value?))),
        }
    }
}

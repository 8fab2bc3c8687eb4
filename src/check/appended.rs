//! The strings appends make, interned as a search meets them: an append's result is no value the
//! history shows (unless a read returned it), so the searches that apply appends number the new
//! strings after the history's own values, and give the same string the same number.

use std::collections::HashMap;

use super::budget;
use super::history::CheckHistory;
use crate::op::Value;

/// How many bytes of strings a search may make before it gives up (256 MiB): appends to one key in
/// many orders make a new string for each order, each as long as the elements together.
pub const MAX_APPENDED_BYTES: usize = 1 << 28;

/// The most bytes of strings any `--budget` lets a search make (2 GiB): past it, a bigger budget would
/// only trade the verdict "unknown" for running out of memory.
pub const CEILING_APPENDED_BYTES: usize = 1 << 31;

/// How many bytes of strings a search may make under the current `--budget`.
pub fn appended_bytes_budget() -> usize {
    budget::scaled_size(MAX_APPENDED_BYTES).min(CEILING_APPENDED_BYTES)
}

/// The values of one history, extended by the strings appends make.
pub struct Appended<'h> {
    history: &'h CheckHistory,
    /// Every value by its text: the history's, then the made ones. Filled on the first append.
    ids: HashMap<Value, u32>,
    /// The strings made, numbered from the history's value count on.
    made: Vec<Value>,
    /// (what the key held, element) -> what it holds after the append.
    results: HashMap<(Option<u32>, u32), u32>,
    /// How many bytes the made strings take.
    bytes: usize,
}

impl<'h> Appended<'h> {
    pub fn new(history: &'h CheckHistory) -> Self {
        Appended {
            history,
            ids: HashMap::new(),
            made: Vec::new(),
            results: HashMap::new(),
            bytes: 0,
        }
    }

    /// The text of a value, the history's or a made one.
    pub fn text(&self, value: u32) -> &Value {
        let count = self.history.value_count();
        match (value as usize).checked_sub(count) {
            Some(made) => &self.made[made],
            None => self.history.value_text(value),
        }
    }

    /// Whether the strings made are past [`MAX_APPENDED_BYTES`] (scaled by `--budget`, at most
    /// [`CEILING_APPENDED_BYTES`]): the search that made them must give up.
    pub fn exhausted(&self) -> bool {
        self.bytes > appended_bytes_budget()
    }

    /// The value a key holds after appending `element` to `current` (`None`: absent, the empty
    /// string), as [`crate::op::Op::evaluate`] defines it.
    pub fn append(&mut self, current: Option<u32>, element: u32) -> u32 {
        if let Some(&id) = self.results.get(&(current, element)) {
            return id;
        }
        if self.ids.is_empty() {
            for v in 0..self.history.value_count() as u32 {
                self.ids.insert(self.history.value_text(v).clone(), v);
            }
        }
        let joined: Value = match current {
            Some(old) => format!("{}{}", self.text(old), self.text(element)).into(),
            None => self.text(element).clone(),
        };
        let next = (self.history.value_count() + self.made.len()) as u32;
        let id = *self.ids.entry(joined.clone()).or_insert(next);
        if id == next {
            self.bytes += joined.len();
            self.made.push(joined);
        }
        self.results.insert((current, element), id);
        id
    }
}

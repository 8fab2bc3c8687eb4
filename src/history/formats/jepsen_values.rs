//! Jepsen's operations in kvsim's terms, shared by the EDN history and the text log: `:f` and
//! `:value` decoded into a kvsim operation, its key and its values.
//!
//! ```text
//! :f :write  :value 3            a single register: key "register", put "3"
//! :f :read   :value [7 nil]      independent tuples [key value]: key "7", get
//! :f :cas    :value [7 [3 4]]    key "7", compare-and-set "3" → "4"
//! :f :write  :key 7  :value 3    a key field: key "7", put "3"
//! ```
//!
//! Jepsen's values are integers (or nil); kvsim's are strings, so `3` becomes `"3"` and `nil` the
//! absent value. Strings are taken as they are (kvsim writes a value that is not an integer as an
//! EDN string), so the mapping stays one-to-one only while no integer and string of the same text
//! both occur: the file is refused if they do. `:append` is kvsim's own (string concatenation, as in
//! Porcupine's kv model); Jepsen's list-append workloads use transactions, which kvsim does not read.
//! A file uses one of the three shapes throughout.

use std::collections::HashMap;

use clojure_reader::edn::Edn;

use super::edn::show;
use super::events::EventType;
use crate::op::{Key, OpKind, Value};

/// The key of a single-register history.
pub const REGISTER: &str = "register";

/// How operations name their key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// No key: one register.
    Register,
    /// A `:key` field.
    KeyField,
    /// Jepsen's independent tuples `[key value]`, as Maelstrom writes them.
    Tuple,
}

impl Shape {
    fn describe(self) -> &'static str {
        match self {
            Shape::Register => "a single register (no key)",
            Shape::KeyField => "keyed by a :key field",
            Shape::Tuple => "keyed by independent tuples [key value]",
        }
    }
}

/// One operation's `:f` and `:value` in kvsim's terms.
pub(super) struct Decoded {
    pub op: OpKind,
    /// `None` for a completion whose value is not read (`:fail`, `:info`).
    pub key: Option<Key>,
    pub value: Option<Value>,
    pub expected: Option<Value>,
}

/// Decodes one file's operations, remembering its shape and which texts came from integers.
pub(super) struct Decoder {
    shape: Option<(Shape, usize)>,
    /// Only tuples (`--format maelstrom`).
    tuples_only: bool,
    keys: HashMap<String, bool>,
    values: HashMap<String, bool>,
}

impl Decoder {
    pub(super) fn new(tuples_only: bool) -> Self {
        Decoder {
            shape: None,
            tuples_only,
            keys: HashMap::new(),
            values: HashMap::new(),
        }
    }

    /// Decodes `:f` (`f`), `:value` and the `:key` field, if any, of an event of type `kind` at `line`.
    /// Errors are messages without the line.
    pub(super) fn decode(
        &mut self,
        line: usize,
        kind: EventType,
        f: &Edn<'_>,
        value: &Edn<'_>,
        key_field: Option<&Edn<'_>>,
    ) -> Result<Decoded, String> {
        let op = match super::edn::keyword(f) {
            Some("read") => OpKind::Get,
            Some("write") => OpKind::Put,
            Some("cas") => OpKind::Cas,
            Some("append") => OpKind::Append,
            _ => {
                return Err(format!(
                    "unknown :f {}: kvsim reads :read, :write, :cas and :append",
                    show(f)
                ))
            }
        };
        let mut decoded = Decoded {
            op,
            key: None,
            value: None,
            expected: None,
        };
        // What a failed or indeterminate completion carries is not needed (and is often an error
        // keyword such as :timed-out in place of the value).
        if matches!(kind, EventType::Fail | EventType::Info) {
            return Ok(decoded);
        }
        let (shape, key, inner) = match (key_field, value) {
            (Some(key), _) => (Shape::KeyField, Some(key), value),
            (None, Edn::Vector(pair))
                if pair.len() == 2 && (op != OpKind::Cas || matches!(pair[1], Edn::Vector(_))) =>
            {
                (Shape::Tuple, Some(&pair[0]), &pair[1])
            }
            (None, _) => (Shape::Register, None, value),
        };
        self.check_shape(line, shape)?;
        decoded.key = Some(match key {
            Some(key) => match self.name(key, true)? {
                Some(key) => key,
                None => return Err("a key cannot be nil".into()),
            },
            None => REGISTER.into(),
        });
        match (kind, op) {
            // An `:ok` write repeats what its invoke wrote; [`super::events::pair`] holds the two
            // to agreeing.
            (EventType::Invoke | EventType::Ok, OpKind::Put | OpKind::Append) => {
                decoded.value = self.name(inner, false)?;
                if decoded.value.is_none() {
                    return Err(format!("{} of nil: there is nothing to write", show(f)));
                }
            }
            (EventType::Invoke | EventType::Ok, OpKind::Cas) => {
                let Edn::Vector(pair) = inner else {
                    return Err(format!(
                        "a :cas value must be [expected new], not {}",
                        show(inner)
                    ));
                };
                if pair.len() != 2 {
                    return Err(format!(
                        "a :cas value must be [expected new], not {}",
                        show(inner)
                    ));
                }
                decoded.expected = self.name(&pair[0], false)?;
                decoded.value = self.name(&pair[1], false)?;
                if decoded.value.is_none() {
                    return Err("a :cas to nil: there is nothing to write".into());
                }
            }
            (EventType::Ok, OpKind::Get) => decoded.value = self.name(inner, false)?,
            _ => {}
        }
        Ok(decoded)
    }

    /// Decodes a failed compare-and-set's `:seen` field (kvsim's own): the value it saw.
    pub(super) fn seen(&mut self, seen: &Edn<'_>) -> Result<Option<Value>, String> {
        self.name(seen, false)
    }

    fn check_shape(&mut self, line: usize, shape: Shape) -> Result<(), String> {
        if self.tuples_only && shape != Shape::Tuple {
            return Err(format!(
                "this operation is {}; a Maelstrom history keys every operation by an independent tuple [key value]",
                shape.describe()
            ));
        }
        match self.shape {
            None => self.shape = Some((shape, line)),
            Some((first, first_line)) if first != shape => {
                return Err(format!(
                    "this operation is {}, but the one at line {first_line} is {}: a history uses one shape throughout",
                    shape.describe(),
                    first.describe()
                ))
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// A key (`is_key`) or value as kvsim's string: an integer's decimal digits, a string as it is;
    /// `None` for nil.
    fn name(&mut self, value: &Edn<'_>, is_key: bool) -> Result<Option<Value>, String> {
        let (text, from_integer) = match value {
            Edn::Nil => return Ok(None),
            Edn::Int(n) => (n.to_string(), true),
            Edn::Str(s) => (s.to_string(), false),
            other => {
                return Err(format!(
                    "{} {} is neither an integer nor a string",
                    if is_key { "the key" } else { "the value" },
                    show(other)
                ))
            }
        };
        let seen = if is_key {
            &mut self.keys
        } else {
            &mut self.values
        };
        match seen.get(&text) {
            Some(&earlier) if earlier != from_integer => {
                return Err(format!(
                    "both the integer {text} and the string \"{text}\" occur as {}: kvsim's values are strings and cannot tell them apart",
                    if is_key { "keys" } else { "values" }
                ))
            }
            Some(_) => {}
            None => {
                seen.insert(text.clone(), from_integer);
            }
        }
        Ok(Some(text.into()))
    }
}

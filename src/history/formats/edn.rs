//! EDN as history files hold it — one map per line, or one vector of maps — read with the
//! `clojure-reader` crate, each form with the line it starts on; and the few accessors the readers
//! share.
//!
//! ```text
//! {:type :invoke, :f :write, :value 3, :process 1, :time 3291485317, :index 0}
//! [{:type :invoke, …}
//!  {:type :ok, …}]
//! ```
//!
//! The crate does the parsing; this file only finds where each top-level form starts (skipping
//! blanks, commas and `;` comments between forms, and one enclosing `[` … `]`), so that an error can
//! name its line. `clojure-reader` parses and drops values with an explicit stack, so deeply nested
//! input cannot overflow the call stack; nothing here recurses over a value either ([`show`] stops
//! at depth 2).

use std::borrow::Cow;
use std::collections::BTreeMap;

use clojure_reader::edn::{self, Edn};
use clojure_reader::error::Code;

/// What is wrong with the EDN itself, at a line (and column, when the reader says).
#[derive(Debug, thiserror::Error)]
#[error("line {line}{}: {message}", column.map_or(String::new(), |c| format!(", column {c}")))]
pub struct EdnError {
    pub line: usize,
    pub column: Option<usize>,
    pub message: String,
}

/// One top-level form and the line (1-based, of the whole file) it starts on.
pub(super) struct Form<'a> {
    pub line: usize,
    pub value: Edn<'a>,
}

/// Every top-level form of `text`, whose first line is line `first_line` of the file. One vector
/// around all of them (`[{…} {…}]`) is taken as the list of forms.
pub(super) fn forms(text: &str, first_line: usize) -> Result<Vec<Form<'_>>, EdnError> {
    let mut cursor = Cursor {
        text,
        pos: 0,
        line: first_line,
        line_start: 0,
    };
    cursor.skip_blank();
    let in_vector = cursor.peek() == Some('[');
    let vector_line = cursor.line;
    if in_vector {
        cursor.advance_to(cursor.pos + 1);
    }
    let mut forms = Vec::new();
    loop {
        cursor.skip_blank();
        match cursor.peek() {
            None if in_vector => {
                return Err(EdnError {
                    line: vector_line,
                    column: None,
                    message: "the vector `[` that opens the history is never closed".into(),
                })
            }
            None => break,
            Some(']') if in_vector => {
                cursor.advance_to(cursor.pos + 1);
                cursor.skip_blank();
                if cursor.peek().is_some() {
                    return Err(cursor.error("content after the vector that holds the history"));
                }
                break;
            }
            Some(_) => {}
        }
        let (line, column) = (cursor.line, cursor.pos - cursor.line_start + 1);
        let rest = &text[cursor.pos..];
        let (value, after) = edn::read(rest).map_err(|err| {
            let err_line = err.line.unwrap_or(1);
            EdnError {
                line: line + err_line - 1,
                column: err
                    .column
                    .map(|c| if err_line == 1 { column + c - 1 } else { c }),
                message: format!("not EDN: {}", describe_code(&err.code)),
            }
        })?;
        cursor.advance_to(text.len() - after.len());
        forms.push(Form { line, value });
    }
    Ok(forms)
}

/// A position in the text being split into forms.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
    line_start: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    /// Moves to byte `to`, counting the lines passed.
    fn advance_to(&mut self, to: usize) {
        for (i, c) in self.text[self.pos..to].char_indices() {
            if c == '\n' {
                self.line += 1;
                self.line_start = self.pos + i + 1;
            }
        }
        self.pos = to;
    }

    /// Skips what separates EDN forms: white space, commas and `;` comments.
    fn skip_blank(&mut self) {
        let mut to = self.pos;
        let bytes = self.text.as_bytes();
        while to < bytes.len() {
            match bytes[to] {
                b';' => {
                    while to < bytes.len() && bytes[to] != b'\n' {
                        to += 1;
                    }
                }
                b',' | b' ' | b'\t' | b'\r' | b'\n' => to += 1,
                _ => break,
            }
        }
        self.advance_to(to);
    }

    fn error(&self, message: &str) -> EdnError {
        EdnError {
            line: self.line,
            column: Some(self.pos - self.line_start + 1),
            message: message.to_string(),
        }
    }
}

fn describe_code(code: &Code) -> String {
    match code {
        Code::HashMapDuplicateKey => "a map has the same key twice".into(),
        Code::SetDuplicateKey => "a set has the same element twice".into(),
        Code::InvalidChar => "an invalid character literal".into(),
        Code::InvalidEscape => "an invalid escape in a string".into(),
        Code::InvalidKeyword => "an invalid keyword".into(),
        Code::InvalidNumber => "an invalid number (integers must fit in 64 bits)".into(),
        Code::InvalidRadix(_) => "an invalid radix in a number".into(),
        Code::InvalidTag => "an invalid tag".into(),
        Code::UnexpectedEOF => {
            "the file ends inside a form (an unclosed map, vector or string?)".into()
        }
        Code::UnmatchedDelimiter(c) => format!("an unmatched `{c}`"),
        other => format!("{other:?}"),
    }
}

/// A map's field `:name`.
pub(super) fn field<'m, 'e>(
    map: &'m BTreeMap<Edn<'e>, Edn<'e>>,
    name: &str,
) -> Option<&'m Edn<'e>> {
    map.get(&Edn::Key(Cow::Owned(name.to_owned())))
}

/// A keyword's name (without the colon), if `value` is one.
pub(super) fn keyword<'a>(value: &'a Edn<'_>) -> Option<&'a str> {
    match value {
        Edn::Key(name) => Some(name),
        _ => None,
    }
}

/// A value as an error message shows it: atoms in full (long ones cut), collections two levels deep.
pub fn show(value: &Edn<'_>) -> String {
    let mut text = String::new();
    show_into(value, 0, &mut text);
    if text.chars().count() > 60 {
        text = text.chars().take(57).collect::<String>() + "…";
    }
    text
}

fn show_into(value: &Edn<'_>, depth: usize, out: &mut String) {
    let (open, close, items): (&str, &str, Vec<&Edn<'_>>) = match value {
        Edn::Vector(items) => ("[", "]", items.iter().collect()),
        Edn::List(items) => ("(", ")", items.iter().collect()),
        Edn::Set(items) => ("#{", "}", items.iter().collect()),
        Edn::Map(map) => ("{", "}", map.iter().flat_map(|(k, v)| [k, v]).collect()),
        Edn::Tagged(tag, _) => {
            out.push_str(&format!("#{tag} …"));
            return;
        }
        // An atom prints without recursion.
        atom => {
            out.push_str(&atom.to_string());
            return;
        }
    };
    out.push_str(open);
    if depth >= 2 {
        out.push('…');
    } else {
        for (i, item) in items.iter().take(8).enumerate() {
            if i > 0 {
                out.push(' ');
            }
            show_into(item, depth + 1, out);
        }
        if items.len() > 8 {
            out.push_str(" …");
        }
    }
    out.push_str(close);
}

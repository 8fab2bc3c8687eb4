//! Reading one JSON value from text, for every kvsim input format: where it went wrong (line, column,
//! field path and message), and nothing allowed after the value.
//!
//! serde_json's `Deserializer` stops after the first complete value unless asked to look further, so
//! `{...} junk` or two documents glued together would be read as the first alone — and a checker that
//! judges half a file says "holds" about what it never saw. [`parse`] always looks.

use serde::de::DeserializeOwned;

use crate::text::escape;

/// A parse error pinned to its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub line: usize,
    pub column: usize,
    /// The field path where parsing stopped (`clients[1].ops[0]`), empty at the top level.
    pub field: String,
    pub message: String,
}

/// Parses exactly one JSON value of type `T` from `text`: content after it (other than white space) is
/// an error at the place where it starts.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, Located> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(Located::new)?;
    de.end().map_err(|err| Located {
        line: err.line(),
        column: err.column(),
        field: String::new(),
        message: "unexpected content after the JSON value; a file holds one value (JSON lines: one per line)"
            .to_string(),
    })?;
    Ok(value)
}

impl Located {
    /// Takes apart a `serde_path_to_error` error. serde_json's message ends in " at line L column C";
    /// that is dropped, since the caller prints the place first. Every integer field of kvsim's
    /// formats is a count or a time in ms, so serde's "expected u64" is said in words. Field names
    /// and values from the file are escaped, so that an error stays one line of plain text.
    pub fn new(err: serde_path_to_error::Error<serde_json::Error>) -> Located {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let full = inner.to_string();
        let place = format!(" at line {} column {}", inner.line(), inner.column());
        let message = full
            .strip_suffix(&place)
            .unwrap_or(&full)
            .replace("expected u64", "expected a whole number, 0 or more")
            .replace("expected u32", "expected a whole number, 0 or more");
        // The path is "." at the top level, and ends in "?" where parsing stopped inside a value
        // before reaching any field.
        let field = path.trim_end_matches('?').trim_end_matches('.');
        Located {
            line: inner.line(),
            column: inner.column(),
            field: escape(field).into_owned(),
            message: escape(&message).into_owned(),
        }
    }

    /// `field: ` for a message, or nothing at the top level.
    pub fn field_prefix(&self) -> String {
        if self.field.is_empty() {
            String::new()
        } else {
            format!("{}: ", self.field)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_after_the_value_is_refused_where_it_starts() {
        let err = parse::<serde_json::Value>("{\"a\": 1}\n  junk").unwrap_err();
        assert_eq!((err.line, err.column), (2, 3));
        assert!(
            err.message.contains("after the JSON value"),
            "{}",
            err.message
        );
        let err = parse::<serde_json::Value>("{\"a\": 1} {\"a\": 2}").unwrap_err();
        assert_eq!((err.line, err.column), (1, 10));
    }

    #[test]
    fn white_space_after_the_value_is_fine() {
        assert!(parse::<serde_json::Value>("{\"a\": 1}\n\n  \t\n").is_ok());
    }

    #[test]
    fn control_characters_in_field_names_are_escaped() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code, reason = "only its field list matters to the test")]
        struct S {
            a: u32,
        }
        let err = parse::<S>("{\"bad\\nfield\\u001b[31mRED\": 1}").unwrap_err();
        assert!(!err.message.chars().any(char::is_control), "{err:?}");
        assert!(err.message.contains(r"bad\nfield\u{1b}[31mRED"), "{err:?}");
    }
}

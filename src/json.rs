//! Where a JSON input went wrong: line, column, field path and message, for scenario and history
//! files alike.

/// A parse error pinned to its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub line: usize,
    pub column: usize,
    /// The field path where parsing stopped (`clients[1].ops[0]`), empty at the top level.
    pub field: String,
    pub message: String,
}

impl Located {
    /// Takes apart a `serde_path_to_error` error. serde_json's message ends in " at line L column C";
    /// that is dropped, since the caller prints the place first. Every integer field of kvsim's
    /// formats is a count or a time in ms, so serde's "expected u64" is said in words.
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
            field: field.to_string(),
            message,
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

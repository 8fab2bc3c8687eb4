//! Echoing user text safely: keys, values, field names and file contents shown in errors and
//! reports are escaped, so that a key named `"x\n\u001b[31m"` cannot split a one-line error or
//! recolour a terminal.
//!
//! Escaped: every control character (C0, DEL, C1) and the invisible Unicode formatting characters that
//! reorder or hide text on a terminal (bidirectional overrides and isolates, zero-width characters, the
//! byte order mark). They are written as Rust writes them in a string (`\n`, `\t`, `\u{1b}`); every
//! other character, backslash included, is shown as it is.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is.
fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}'   // zero-width spaces and joiners, left-to-right/right-to-left marks
            | '\u{2028}'..='\u{202e}' // line and paragraph separators, bidirectional embeddings and overrides
            | '\u{2060}'..='\u{2069}' // word joiner, invisible operators, bidirectional isolates
            | '\u{feff}')
}

/// `text` with every character that could break a line or steer a terminal escaped; borrowed, and
/// free, when there is none.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(must_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if must_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(
            escape("x = c1.2 ✓ \\"),
            Cow::Borrowed("x = c1.2 ✓ \\")
        ));
    }

    #[test]
    fn line_breaks_and_terminal_escapes_are_written_out() {
        assert_eq!(
            escape("bad\nfield\u{1b}[31mRED\r\t"),
            r"bad\nfield\u{1b}[31mRED\r\t"
        );
        assert_eq!(escape("a\u{85}b\u{7f}"), r"a\u{85}b\u{7f}");
    }

    #[test]
    fn invisible_reordering_characters_are_written_out() {
        assert_eq!(escape("ab\u{202e}cd\u{2066}"), r"ab\u{202e}cd\u{2066}");
        assert_eq!(escape("\u{feff}x\u{200b}"), r"\u{feff}x\u{200b}");
    }
}

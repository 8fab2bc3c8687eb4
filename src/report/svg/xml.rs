//! Writing user text into XML: keys and values are arbitrary strings, so every one is escaped
//! before it reaches an attribute or a text node.

use std::fmt::Write;

use crate::ids::Time;
use crate::text::escape;

/// `text` safe inside an XML attribute or text node: control characters are first written out as
/// Rust writes them (`\n`, `\u{1b}`: XML 1.0 allows no reference to most of them), then the five
/// characters XML gives a meaning are replaced by their entities.
pub(super) fn xml(text: &str) -> String {
    let visible = escape(text);
    let mut out = String::with_capacity(visible.len());
    for c in visible.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Appends ` name="value"` to `out`, the value escaped.
pub(super) fn attr(out: &mut String, name: &str, value: &str) {
    let _ = write!(out, " {name}=\"{}\"", xml(value));
}

/// ` data-t="…" data-end="…"`: when a mark starts and, if it does, ends, in ms of simulated time,
/// for a page that shows the run up to a given instant.
pub(super) fn times(at: Time, end: Option<Time>) -> String {
    match end {
        Some(end) => format!(" data-t=\"{at}\" data-end=\"{end}\""),
        None => format!(" data-t=\"{at}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::xml;

    #[test]
    fn markup_and_control_characters_cannot_escape_their_attribute() {
        assert_eq!(xml("a&b<c>\"d'"), "a&amp;b&lt;c&gt;&quot;d&apos;");
        assert_eq!(xml("x\n\u{1b}"), r"x\n\u{1b}");
        assert_eq!(xml("plain ✓"), "plain ✓");
    }
}

//! A scenario as JSON a person can read: each part on one line when it fits, so a client and its
//! operations, or one pin, read as one line — what serde_json's pretty printer spreads over a dozen.

use crate::scenario::Scenario;

/// How wide a line may grow before its value is spread over several.
const WIDTH: usize = 100;

/// `scenario` as JSON, fields in the order the README lists them, absent and empty ones left out.
pub fn to_json(scenario: &Scenario) -> String {
    // Serializing a scenario cannot fail: every map is a struct with string keys, and every number
    // a validated one.
    let compact = serde_json::to_string(scenario).unwrap_or_default();
    let mut out = String::new();
    match parse(compact.as_bytes(), &mut 0) {
        Some(node) => write(&node, 0, 0, &mut out),
        None => out.push_str(&compact),
    }
    out.push('\n');
    out
}

/// A JSON value as spans of the compact text, in its order.
enum Node<'a> {
    Leaf(&'a str),
    Array(&'a str, Vec<Node<'a>>),
    Object(&'a str, Vec<(&'a str, Node<'a>)>),
}

impl<'a> Node<'a> {
    fn text(&self) -> &'a str {
        match self {
            Node::Leaf(text) | Node::Array(text, _) | Node::Object(text, _) => text,
        }
    }

    /// An empty object, which says nothing a default does not: `"limits": {}`.
    fn is_empty(&self) -> bool {
        self.text() == "{}"
    }
}

/// Parses compact JSON (as serde_json writes it: no spaces) from `at`.
fn parse<'a>(text: &'a [u8], at: &mut usize) -> Option<Node<'a>> {
    let start = *at;
    let str_of = |from: usize, to: usize| std::str::from_utf8(&text[from..to]).ok();
    match text.get(*at)? {
        b'{' => {
            *at += 1;
            let mut members = Vec::new();
            while *text.get(*at)? != b'}' {
                let key_start = *at;
                skip_string(text, at)?;
                let key = str_of(key_start, *at)?;
                *at += 1; // ':'
                members.push((key, parse(text, at)?));
                if text.get(*at) == Some(&b',') {
                    *at += 1;
                }
            }
            *at += 1;
            Some(Node::Object(str_of(start, *at)?, members))
        }
        b'[' => {
            *at += 1;
            let mut items = Vec::new();
            while *text.get(*at)? != b']' {
                items.push(parse(text, at)?);
                if text.get(*at) == Some(&b',') {
                    *at += 1;
                }
            }
            *at += 1;
            Some(Node::Array(str_of(start, *at)?, items))
        }
        b'"' => {
            skip_string(text, at)?;
            Some(Node::Leaf(str_of(start, *at)?))
        }
        _ => {
            while !matches!(text.get(*at), None | Some(b',' | b']' | b'}')) {
                *at += 1;
            }
            Some(Node::Leaf(str_of(start, *at)?))
        }
    }
}

fn skip_string(text: &[u8], at: &mut usize) -> Option<()> {
    *at += 1;
    loop {
        match text.get(*at)? {
            b'\\' => *at += 2,
            b'"' => {
                *at += 1;
                return Some(());
            }
            _ => *at += 1,
        }
    }
}

/// Writes `node` at `indent`, on a line that already holds `used` characters.
fn write(node: &Node, indent: usize, used: usize, out: &mut String) {
    let fits = used + spaced_len(node) <= WIDTH;
    match node {
        Node::Leaf(text) => out.push_str(text),
        _ if fits && indent > 0 => write_inline(node, out),
        Node::Array(_, items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                pad(out, indent + 2);
                write(item, indent + 2, indent + 2, out);
            }
            out.push('\n');
            pad(out, indent);
            out.push(']');
        }
        Node::Object(_, members) => {
            out.push('{');
            let mut first = true;
            for (key, value) in members.iter().filter(|(_, v)| !v.is_empty()) {
                out.push_str(if first { "\n" } else { ",\n" });
                first = false;
                pad(out, indent + 2);
                out.push_str(key);
                out.push_str(": ");
                write(value, indent + 2, indent + 4 + key.len(), out);
            }
            out.push('\n');
            pad(out, indent);
            out.push('}');
        }
    }
}

/// Writes `node` on one line, with a space after each `:` and `,`.
fn write_inline(node: &Node, out: &mut String) {
    match node {
        Node::Leaf(text) => out.push_str(text),
        Node::Array(_, items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_inline(item, out);
            }
            out.push(']');
        }
        Node::Object(_, members) => {
            out.push('{');
            let mut first = true;
            for (key, value) in members.iter().filter(|(_, v)| !v.is_empty()) {
                if !first {
                    out.push_str(", ");
                }
                first = false;
                out.push_str(key);
                out.push_str(": ");
                write_inline(value, out);
            }
            out.push('}');
        }
    }
}

/// How long `node` is on one line.
fn spaced_len(node: &Node) -> usize {
    let mut line = String::new();
    write_inline(node, &mut line);
    line.chars().count()
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_reads_one_client_per_line_and_parses_back_the_same() {
        let json = r#"{"name": "t", "seed": 7, "replicas": 2,
            "network": {"delay": {"constant": 5},
                        "schedule": [{"client": 1, "op": 0, "from": 0, "to": 1, "delay": 40}]},
            "clients": [{"replica": 0, "ops": [{"put": ["x", "1"]}]},
                        {"replica": 1, "start": 3, "ops": [{"sleep": 2}, {"cas": ["x", null, "2"]}]}]}"#;
        let scenario = Scenario::parse(json).unwrap();
        let text = to_json(&scenario);
        assert!(
            text.contains(r#"    {"replica": 0, "ops": [{"put": ["x", "1"]}]},"#),
            "{text}"
        );
        assert!(text.contains(r#"{"cas": ["x", null, "2"]}"#), "{text}");
        assert!(
            !text.contains("null,\n") && !text.contains("\"workload\""),
            "{text}"
        );
        let again = Scenario::parse(&text).unwrap();
        assert_eq!(to_json(&again), text);
    }
}

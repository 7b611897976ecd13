//! Names as the views show them. A name is any string the program gave
//! (`named`, a supervised child, a field), so it may hold anything: each
//! output escapes what its own syntax would read (see `docs/design.md`,
//! "Names in the views").
//!
//! - Text (trees, reports, timelines, errors): `\` and every character that
//!   would break or hide a line (control characters, line and paragraph
//!   separators, bidirectional and zero-width formatting characters) are
//!   shown as Rust escapes (`\n`, `\u{202e}`), so a name is always one run
//!   of visible characters on its own line.
//! - A path segment also escapes `/`, the separator (`a\/b` is one name).
//! - Mermaid: the text form, with every ASCII character that is not plainly
//!   text written as an entity code (`#35;`), which Mermaid decodes only
//!   after parsing: no name can end a label, start a comment or a Markdown
//!   string, or add a node.

use std::fmt::{self, Write as _};

/// Whether `c` is shown as an escape in text.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// Writes `s` to `out` with `\`, the hidden characters, and `also` (if
/// any) escaped.
fn write_escaped(out: &mut dyn fmt::Write, s: &str, also: Option<char>) -> fmt::Result {
    let mut rest = s;
    while let Some(at) = rest.find(|c: char| c == '\\' || hidden(c) || Some(c) == also) {
        out.write_str(&rest[..at])?;
        let c = rest[at..].chars().next().expect("found at a char boundary");
        match c {
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            c if hidden(c) => write!(out, "\\u{{{:x}}}", u32::from(c))?,
            c => {
                out.write_char('\\')?;
                out.write_char(c)?;
            }
        }
        rest = &rest[at + c.len_utf8()..];
    }
    out.write_str(rest)
}

/// A name (or any text that holds names, such as a close cause) as text
/// outputs show it.
pub(crate) struct Text<T>(pub(crate) T);

impl<T: fmt::Display> fmt::Display for Text<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Escaping<'a, 'b>(&'a mut fmt::Formatter<'b>);
        impl fmt::Write for Escaping<'_, '_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                write_escaped(self.0, s, None)
            }
        }
        write!(Escaping(f), "{}", self.0)
    }
}

/// One name of a path: [`Text`], with `/` escaped too.
pub(crate) struct Segment<'a>(pub(crate) &'a str);

impl fmt::Display for Segment<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0, Some('/'))
    }
}

/// `s` for a double-quoted Mermaid label.
pub(crate) fn mermaid(s: &str) -> String {
    let text = Text(s).to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            c if c.is_ascii_alphanumeric() || " _-.,:/()+=@!?'*".contains(c) => out.push(c),
            c if c.is_ascii() => {
                let _ = write!(out, "#{};", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_keeps_a_name_on_one_visible_line() {
        let shown = Text("a\nb\r\t\\c\u{1b}[2J\u{2028}\u{202e}é").to_string();
        assert_eq!(shown, r"a\nb\r\t\\c\u{1b}[2J\u{2028}\u{202e}é");
        assert!(!shown.contains(|c: char| hidden(c)));
    }

    #[test]
    fn a_segment_escapes_the_separator() {
        assert_eq!(Segment("a/b\\").to_string(), r"a\/b\\");
    }

    #[test]
    fn mermaid_leaves_nothing_its_parser_reads() {
        let shown = mermaid("]\n  X[\"pwned\"] --> p1\n%%`{}<b>&#;|");
        assert_eq!(
            shown,
            "#93;#92;n  X#91;#quot;pwned#quot;#93; --#62; p1#92;n#37;#37;#96;#123;#125;#60;b#62;\
             #38;#35;#59;#124;"
        );
        assert_eq!(mermaid("db-1 (primary)"), "db-1 (primary)");
    }
}

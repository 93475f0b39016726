//! Markdown through `pulldown-cmark` (CommonMark, no extensions): `markdown/to-html`,
//! `markdown/headings`, and `markdown/frontmatter` (a leading `---` fenced block,
//! returned as raw text).

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

use super::{pure, Builtin};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("markdown/to-html", 1, Some(1), |a| Ok(Value::str(to_html(a[0].expect_str()?)))),
    pure("markdown/headings", 1, Some(1), |a| Ok(headings(a[0].expect_str()?))),
    pure("markdown/frontmatter", 1, Some(1), |a| Ok(frontmatter(a[0].expect_str()?))),
];

/// Renders CommonMark to HTML (a fuzzing entry point).
pub fn to_html(markdown: &str) -> String {
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, Parser::new(markdown));
    out
}

/// `({:level N :text "..."})` in document order; the text is the heading's text and
/// code spans with runs of whitespace collapsed (a fuzzing entry point).
pub fn headings(markdown: &str) -> Value {
    let mut found = Vec::new();
    let mut current: Option<(i64, String)> = None;
    for event in Parser::new(markdown) {
        match (event, &mut current) {
            (Event::Start(Tag::Heading { level, .. }), _) => current = Some((level_number(level), String::new())),
            (Event::Text(t) | Event::Code(t), Some((_, text))) => text.push_str(&t),
            (Event::SoftBreak | Event::HardBreak, Some((_, text))) => text.push(' '),
            (Event::End(TagEnd::Heading(_)), _) => {
                if let Some((level, text)) = current.take() {
                    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    found.push(Value::keyword_map([("level", Value::int(level)), ("text", Value::str(text))]));
                }
            }
            _ => {}
        }
    }
    Value::list(found)
}

fn level_number(level: HeadingLevel) -> i64 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// `{:frontmatter TEXT :body TEXT}` when the text opens with a `---` line and a later
/// line is exactly `---` (CRLF accepted); otherwise `{:frontmatter nil :body TEXT}`.
pub fn frontmatter(markdown: &str) -> Value {
    let opened = markdown.strip_prefix("---\n").or_else(|| markdown.strip_prefix("---\r\n"));
    if let Some((block, body)) = opened.and_then(split_at_fence) {
        return Value::keyword_map([("frontmatter", Value::str(block)), ("body", Value::str(body))]);
    }
    Value::keyword_map([("frontmatter", Value::Nil), ("body", Value::str(markdown))])
}

/// The text before the first `---` line and the text after that line.
fn split_at_fence(rest: &str) -> Option<(&str, &str)> {
    let mut start = 0;
    for line in rest.split_inclusive('\n') {
        let bare = line.strip_suffix('\n').unwrap_or(line);
        if bare.strip_suffix('\r').unwrap_or(bare) == "---" {
            return Some((&rest[..start], &rest[start + line.len()..]));
        }
        start += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::repr;

    #[test]
    fn frontmatter_fences() {
        assert_eq!(repr(&frontmatter("---\na: 1\n---\nbody")), r#"{:body "body" :frontmatter "a: 1\n"}"#);
        assert_eq!(repr(&frontmatter("---\r\n---")), r#"{:body "" :frontmatter ""}"#);
        assert_eq!(repr(&frontmatter("---\nno close")), r#"{:body "---\nno close" :frontmatter nil}"#);
    }
}

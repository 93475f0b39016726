//! Markup. Markdown through `pulldown-cmark` (CommonMark, no extensions):
//! `markdown/to-html`, `markdown/headings`, and `markdown/frontmatter` (a leading
//! `---` fenced block, returned as raw text). HTML through `scraper` (html5ever's
//! HTML5 tree building and serialization, CSS selectors): `html/parse` (the
//! normalized document), `html/select` (outer HTML of matches), `html/text` and
//! `html/select-text` (text with whitespace runs collapsed).
//!
//! Inputs are limited to 32 MiB and documents to five million nodes. As in the
//! reference, failures after the input check (bad selector, node limit) carry an
//! `Eval error: ` lead.

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use scraper::{ElementRef, Html, Selector};

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("markdown/to-html", 1, Some(1), |a| Ok(Value::str(to_html(input("markdown/to-html", &a[0])?)))),
    pure("markdown/headings", 1, Some(1), |a| Ok(headings(input("markdown/headings", &a[0])?))),
    pure("markdown/frontmatter", 1, Some(1), |a| Ok(frontmatter(input("markdown/frontmatter", &a[0])?))),
    pure("html/parse", 1, Some(1), |a| Ok(Value::str(document("html/parse", input("html/parse", &a[0])?)?.html()))),
    pure("html/text", 1, Some(1), |a| {
        let doc = document("html/text", input("html/text", &a[0])?)?;
        Ok(Value::str(element_text(doc.root_element())))
    }),
    pure("html/select", 2, Some(2), |a| select("html/select", &a[0], &a[1], |el| el.html())),
    pure("html/select-text", 2, Some(2), |a| select("html/select-text", &a[0], &a[1], element_text)),
];

const MAX_INPUT_BYTES: usize = 32 * 1024 * 1024;
const MAX_NODES: usize = 5_000_000;

fn input<'a>(op: &str, value: &'a Value) -> Result<&'a str> {
    within_limit(op, value.expect_str()?)
}

fn within_limit<'a>(op: &str, text: &'a str) -> Result<&'a str> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(Error::eval(format!(
            "{op}: input bytes {} exceeds the quarantined limit {MAX_INPUT_BYTES}",
            text.len()
        )));
    }
    Ok(text)
}

fn in_work(err: Error) -> Error {
    err.with_prefix("Eval error")
}

/// Parses an HTML document the way browsers do (a fuzzing entry point, with
/// `to_html` and `headings`); any text gives a document.
pub fn document(op: &str, html: &str) -> Result<Html> {
    let doc = Html::parse_document(html);
    let nodes = doc.tree.values().count();
    if nodes > MAX_NODES {
        return Err(in_work(Error::eval(format!("{op}: DOM nodes {nodes} exceeds the quarantined limit {MAX_NODES}"))));
    }
    Ok(doc)
}

/// Selector syntax is checked before the document is parsed.
fn select(op: &str, html: &Value, selector: &Value, render: fn(ElementRef) -> String) -> Result<Value> {
    let (html, selector) = (html.expect_str()?, selector.expect_str()?);
    let html = within_limit(op, html)?;
    let selector = Selector::parse(selector).map_err(|e| in_work(Error::eval(format!("invalid selector: {e:?}"))))?;
    let doc = document(op, html)?;
    Ok(Value::list(doc.select(&selector).map(|el| Value::str(render(el))).collect()))
}

/// The text nodes below an element, joined by spaces, whitespace runs collapsed.
fn element_text(element: ElementRef) -> String {
    element.text().collect::<Vec<_>>().join(" ").split_whitespace().collect::<Vec<_>>().join(" ")
}

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

    #[test]
    fn html_attributes_keep_source_order() {
        let doc = document("html/parse", "<p z=1 a=2 id=x>t</p>").ok().unwrap();
        assert_eq!(doc.html(), r#"<html><head></head><body><p z="1" a="2" id="x">t</p></body></html>"#);
    }
}

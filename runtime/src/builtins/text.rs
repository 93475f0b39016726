//! Text layout and processing: display width in terminal columns (`string/width`,
//! padding, wrapping, truncation), cleaning, sentence splitting and chunking
//! (`text/*`), prompt templates (`prompt/*`) and documents (`document/*`: a map of
//! `:text` and `:metadata`).
//!
//! Widths are terminal columns (a wide char counts 2, a combining mark 0, an ANSI
//! escape sequence 0); cuts fall between grapheme clusters. Chunk sizes compare byte
//! lengths while overlaps count chars, as upstream does.

// Values are map keys by design (see collections.rs).
#![allow(clippy::mutable_key_type)]

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::terminal::strip_ansi;
use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::printer::write_display;
use crate::value::{SortedMap, Value};

pub static BUILTINS: &[Builtin] = &[
    pure("string/width", 1, Some(1), |a| Ok(Value::int(display_width(a[0].expect_str()?) as i64))),
    pure("string/pad-left", 2, Some(3), |a| pad(a, true)),
    pure("string/pad-right", 2, Some(3), |a| pad(a, false)),
    pure("string/truncate-width", 2, Some(3), |a| {
        let s = a[0].expect_str()?;
        let width = a[1].expect_count("string/truncate-width")?;
        let ellipsis = match a.get(2) {
            Some(e) => e.expect_str()?,
            None => "",
        };
        Ok(Value::str(truncate_to_width(s, width, ellipsis)))
    }),
    pure("string/word-wrap", 2, Some(2), |a| {
        let text = a[0].expect_str()?;
        let width = a[1].expect_count("string/word-wrap")?.max(1);
        Ok(Value::str_list(text.split('\n').flat_map(|para| wrap_paragraph(para, width))))
    }),
    pure("text/clean-whitespace", 1, Some(1), |a| {
        Ok(Value::str(a[0].expect_str()?.split_whitespace().collect::<Vec<_>>().join(" ")))
    }),
    pure("text/normalize-newlines", 1, Some(1), |a| {
        Ok(Value::str(a[0].expect_str()?.replace("\r\n", "\n").replace('\r', "\n")))
    }),
    pure("text/word-count", 1, Some(1), |a| Ok(Value::int(a[0].expect_str()?.split_whitespace().count() as i64))),
    pure("text/strip-html", 1, Some(1), |a| Ok(Value::str(strip_html(a[0].expect_str()?)))),
    pure("text/trim-indent", 1, Some(1), |a| Ok(Value::str(trim_indent(a[0].expect_str()?)))),
    pure("text/truncate", 2, Some(3), truncate),
    pure("text/split-sentences", 1, Some(1), |a| Ok(Value::str_list(split_sentences(a[0].expect_str()?)))),
    pure("text/chunk-by-separator", 2, Some(2), |a| {
        let (text, sep) = (a[0].expect_str()?, a[1].expect_str()?);
        if text.is_empty() {
            return Ok(Value::list(Vec::new()));
        }
        Ok(Value::str_list(text.split(sep).filter(|part| !part.is_empty())))
    }),
    pure("text/chunk", 1, Some(2), |a| {
        let text = a[0].expect_str()?;
        if text.is_empty() {
            return Ok(Value::list(Vec::new()));
        }
        let (size, overlap) = chunk_options(a.get(1));
        Ok(Value::str_list(chunk(text, size, overlap)))
    }),
    pure("text/excerpt", 2, Some(3), excerpt),
    pure("prompt/template", 1, Some(1), |a| a[0].expect_str().map(|_| a[0].clone())),
    pure("prompt/render", 2, Some(2), |a| {
        let template = a[0].expect_str()?;
        Ok(Value::str(render(template, sorted_map(&a[1], "map")?)))
    }),
    pure("document/create", 2, Some(2), |a| {
        a[0].expect_str()?;
        sorted_map(&a[1], "map")?;
        Ok(Value::keyword_map([("text", a[0].clone()), ("metadata", a[1].clone())]))
    }),
    pure("document/text", 1, Some(1), |a| document_field(&a[0], "text")),
    pure("document/metadata", 1, Some(1), |a| document_field(&a[0], "metadata")),
    pure("document/chunk", 1, Some(2), document_chunk),
];

// ---------------------------------------------------------------------------------------
// Display width

fn display_width(s: &str) -> usize {
    if s.contains('\x1b') { strip_ansi(s).width() } else { s.width() }
}

/// `(string/pad-left s width [pad])`: pads with the first char of `pad` (a space by
/// default) up to `width` columns; never truncates. A wide pad char fills whole
/// columns only, so the result may end one column short.
fn pad(args: &[Value], left: bool) -> Result<Value> {
    let s = args[0].expect_str()?;
    let target = args[1].expect_count("string/pad")?;
    let fill = match args.get(2) {
        Some(p) => p.expect_str()?.chars().next().unwrap_or(' '),
        None => ' ',
    };
    let width = display_width(s);
    if width >= target {
        return Ok(args[0].clone());
    }
    let fill_width = fill.width().filter(|&w| w > 0).unwrap_or(1);
    let padding: String = std::iter::repeat_n(fill, (target - width) / fill_width).collect();
    Ok(Value::str(if left { padding + s } else { format!("{s}{padding}") }))
}

/// At most `target` columns, cut between grapheme clusters; an over-wide string ends
/// in `ellipsis`, itself cut when it alone is too wide.
fn truncate_to_width(s: &str, target: usize, ellipsis: &str) -> String {
    if display_width(s) <= target {
        return s.to_string();
    }
    let ellipsis_width = display_width(ellipsis);
    if ellipsis_width > target {
        return truncate_to_width(ellipsis, target, "");
    }
    let budget = target - ellipsis_width;
    let mut out = String::new();
    let mut used = 0;
    for g in s.graphemes(true) {
        let w = g.width();
        if used + w > budget {
            break;
        }
        out.push_str(g);
        used += w;
    }
    out.push_str(ellipsis);
    out
}

/// One line of text (no newline) wrapped at spaces to `width` columns; runs of spaces
/// collapse and a word wider than a line is cut between grapheme clusters.
fn wrap_paragraph(para: &str, width: usize) -> Vec<String> {
    if para.trim().is_empty() {
        return vec![String::new()];
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_width = 0;
    for word in para.split(' ').filter(|w| !w.is_empty()) {
        let word_width = display_width(word);
        if !line.is_empty() && line_width + 1 + word_width <= width {
            line.push(' ');
            line.push_str(word);
            line_width += 1 + word_width;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if word_width <= width {
            line = word.to_string();
            line_width = word_width;
        } else {
            let mut pieces = cut_word(word, width);
            line = pieces.pop().unwrap_or_default();
            line_width = display_width(&line);
            lines.extend(pieces);
        }
    }
    lines.push(line);
    lines
}

/// A word cut into pieces of at most `width` columns (a single wider cluster stays
/// whole).
fn cut_word(word: &str, width: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece = String::new();
    let mut used = 0;
    for g in word.graphemes(true) {
        let w = g.width();
        if used + w > width && !piece.is_empty() {
            pieces.push(std::mem::take(&mut piece));
            used = 0;
        }
        piece.push_str(g);
        used += w;
    }
    pieces.push(piece);
    pieces
}

// ---------------------------------------------------------------------------------------
// Cleaning and splitting

/// Drops everything between `<` and `>` and decodes the common entities.
fn strip_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let entities = [("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&apos;", "'"), ("&nbsp;", " ")];
    // One entity at a time, in this order, as upstream does (`&amp;lt;` becomes `<`).
    entities.iter().fold(out, |text, (entity, c)| text.replace(entity, c))
}

/// Removes the indentation (in bytes of leading whitespace) common to all non-blank
/// lines.
fn trim_indent(text: &str) -> String {
    let indent = |line: &str| line.len() - line.trim_start().len();
    let lines: Vec<&str> = text.split('\n').collect();
    let common = lines.iter().filter(|l| !l.trim().is_empty()).map(|l| indent(l)).min().unwrap_or(0);
    let cut = |line: &'_ str| match line.get(common..) {
        Some(rest) if line.len() >= common => rest.to_string(),
        _ => line.trim_start().to_string(),
    };
    lines.iter().map(|l| cut(l)).collect::<Vec<_>>().join("\n")
}

/// `(text/truncate text max [suffix])`: at most `max` chars, the last ones replaced by
/// `suffix` ("..." by default) when the text is longer.
fn truncate(args: &[Value]) -> Result<Value> {
    let text = args[0].expect_str()?;
    let max = match &args[1] {
        Value::Int(n) => *n as usize,
        other => return Err(Error::type_error("integer", other)),
    };
    let suffix = args.get(2).and_then(Value::as_str).unwrap_or("...");
    if text.chars().count() <= max {
        return Ok(args[0].clone());
    }
    let suffix_len = suffix.chars().count();
    if max <= suffix_len {
        return Ok(Value::str(suffix));
    }
    Ok(Value::str(text.chars().take(max - suffix_len).chain(suffix.chars()).collect::<String>()))
}

/// Sentences end at `.`, `!` or `?` followed by whitespace or the end; each is trimmed
/// and blank ones dropped.
fn split_sentences(text: &str) -> Vec<String> {
    let mut sentences = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        let ends = matches!(c, '.' | '!' | '?') && chars.peek().is_none_or(|n| n.is_whitespace());
        if ends {
            push_trimmed(&mut sentences, &current);
            current.clear();
        }
    }
    push_trimmed(&mut sentences, &current);
    sentences
}

fn push_trimmed(out: &mut Vec<String>, text: &str) {
    let t = text.trim();
    if !t.is_empty() {
        out.push(t.to_string());
    }
}

/// `(text/excerpt text query [{:radius n :omission s}])`: the first case-insensitive
/// match with `radius` chars either side, `omission` marking cut ends; nil without one.
fn excerpt(args: &[Value]) -> Result<Value> {
    let (text, query) = (args[0].expect_str()?, args[1].expect_str()?);
    let opts = args.get(2).and_then(|o| sorted_map(o, "map").ok());
    let mut radius = 100;
    let mut omission = "...";
    if let Some(opts) = opts {
        if let Some(n) = opts.get(&Value::keyword("radius")).and_then(Value::as_int) {
            radius = n.max(0) as usize;
        }
        if let Some(s) = opts.get(&Value::keyword("omission")).and_then(Value::as_str) {
            omission = s;
        }
    }
    let lowered = text.to_lowercase();
    let Some(at) = lowered.find(&query.to_lowercase()) else { return Ok(Value::Nil) };
    let chars: Vec<char> = text.chars().collect();
    let index = lowered[..at].chars().count();
    let end = (index + query.chars().count() + radius).min(chars.len());
    let start = index.saturating_sub(radius).min(end);
    let mut out = String::new();
    if start > 0 {
        out.push_str(omission);
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push_str(omission);
    }
    Ok(Value::str(out))
}

// ---------------------------------------------------------------------------------------
// Chunking

/// `{:size n :overlap n}` (defaults 1000 and 200); an overlap not below the size is 0.
/// Options that are not a map, or not integers, are ignored.
fn chunk_options(opts: Option<&Value>) -> (usize, usize) {
    let (mut size, mut overlap) = (1000, 200);
    if let Some(opts) = opts.and_then(|o| sorted_map(o, "map").ok()) {
        if let Some(n) = opts.get(&Value::keyword("size")).and_then(Value::as_int) {
            size = n.max(1) as usize;
        }
        if let Some(n) = opts.get(&Value::keyword("overlap")).and_then(Value::as_int) {
            overlap = n.max(0) as usize;
        }
    }
    (size, if overlap >= size { 0 } else { overlap })
}

const SEPARATORS: [&str; 8] = ["\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " "];

/// Splits at the coarsest separator the text contains and packs the pieces into chunks
/// of at most `size` bytes; a text with none of them is cut every `size` chars.
fn chunk(text: &str, size: usize, overlap: usize) -> Vec<String> {
    if text.len() <= size {
        return vec![text.to_string()];
    }
    match SEPARATORS.iter().find(|sep| text.contains(**sep)) {
        Some(sep) => pack(text.split(sep), sep, size, overlap),
        None => {
            let chars: Vec<char> = text.chars().collect();
            let step = size - overlap;
            (0..chars.len()).step_by(step).map(|i| chars[i..(i + size).min(chars.len())].iter().collect()).collect()
        }
    }
}

fn pack<'a>(parts: impl Iterator<Item = &'a str>, sep: &str, size: usize, overlap: usize) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current = String::new();
    for part in parts {
        let grown_len = if current.is_empty() { part.len() } else { current.len() + sep.len() + part.len() };
        if grown_len <= size {
            if !current.is_empty() {
                current.push_str(sep);
            }
            current.push_str(part);
            continue;
        }
        if !current.is_empty() {
            chunks.push(std::mem::take(&mut current));
        }
        if part.len() > size {
            chunks.extend(chunk(part, size, overlap));
        } else {
            current = part.to_string();
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    if overlap == 0 || chunks.len() < 2 {
        return chunks;
    }
    // Each chunk after the first starts with the last `overlap` chars of the one before.
    let mut out = vec![chunks[0].clone()];
    for pair in chunks.windows(2) {
        let prev = &pair[0];
        let tail = prev.char_indices().rev().nth(overlap - 1).map_or(prev.as_str(), |(i, _)| &prev[i..]);
        out.push(format!("{tail}{}", pair[1]));
    }
    out
}

// ---------------------------------------------------------------------------------------
// Templates and documents

/// A sorted map's entries; anything else (a hash map too) is a type error.
fn sorted_map<'a>(v: &'a Value, expected: &str) -> Result<&'a SortedMap> {
    match v {
        Value::Map(m) => Ok(m),
        other => Err(Error::type_error(expected, other)),
    }
}

/// Replaces each `{{name}}` by the display form of `:name` in `vars`; unknown names
/// stay as they are, and an unclosed `{{` keeps the rest of the text.
fn render(template: &str, vars: &SortedMap) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str("{{");
            out.push_str(after);
            return out;
        };
        let name = &after[..close];
        match vars.get(&Value::keyword(name)) {
            Some(v) => write_display(&mut out, v),
            None => {
                out.push_str("{{");
                out.push_str(name);
                out.push_str("}}");
            }
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

fn document_field(doc: &Value, field: &str) -> Result<Value> {
    let doc = sorted_map(doc, "map (document)")?;
    doc.get(&Value::keyword(field))
        .cloned()
        .ok_or_else(|| Error::eval(format!("not a document: missing :{field}")))
}

/// `(document/chunk doc [opts])`: the text chunked as `text/chunk` does, each chunk a
/// document whose metadata adds `:chunk-index` and `:total-chunks`.
fn document_chunk(args: &[Value]) -> Result<Value> {
    let doc = sorted_map(&args[0], "map (document)")?;
    let text = doc
        .get(&Value::keyword("text"))
        .and_then(Value::as_str)
        .ok_or_else(|| Error::eval("document/chunk: document missing :text"))?;
    let metadata = match doc.get(&Value::keyword("metadata")) {
        Some(Value::Map(m)) => (**m).clone(),
        _ => SortedMap::new(),
    };
    let (size, overlap) = chunk_options(args.get(1));
    let chunks = chunk(text, size, overlap);
    let total = chunks.len() as i64;
    let docs = chunks.into_iter().enumerate().map(|(i, text)| {
        let mut meta = metadata.clone();
        meta.insert(Value::keyword("chunk-index"), Value::int(i as i64));
        meta.insert(Value::keyword("total-chunks"), Value::int(total));
        Value::keyword_map([("text", Value::str(text)), ("metadata", Value::map(meta))])
    });
    Ok(Value::list(docs.collect()))
}

#[cfg(test)]
mod tests {
    use crate::builtins::test_support::*;
    use crate::value::Value;

    #[test]
    fn widths_count_columns() {
        assert_eq!(call("string/width", &[s("a😀b")]), "4");
        assert_eq!(call("string/width", &[s("\x1b[31mred\x1b[0m")]), "3");
        assert_eq!(call("string/pad-left", &[s("😀"), int(4), s("*")]), r#""**😀""#);
        assert_eq!(call("string/pad-right", &[s("a"), int(4), s("界")]), r#""a界""#);
        assert_eq!(call("string/pad-left", &[s("a"), int(3), Value::Char('x')]), "ERR Type error: expected string, got char");
        assert_eq!(call("string/pad-left", &[s("a"), int(-1)]), "ERR Eval error: string/pad: expected a non-negative integer, got -1");
        assert_eq!(call("string/truncate-width", &[s("日本語"), int(5), s("…")]), r#""日本…""#);
        assert_eq!(call("string/truncate-width", &[s("abc"), int(1), s("...")]), r#"".""#);
        assert_eq!(call("string/word-wrap", &[s("the quick  brown fox"), int(9)]), r#"("the quick" "brown fox")"#);
        assert_eq!(call("string/word-wrap", &[s("abcdefgh x\n\ny"), int(3)]), r#"("abc" "def" "gh" "x" "" "y")"#);
    }

    #[test]
    fn cleaning_and_splitting() {
        assert_eq!(call("text/clean-whitespace", &[s(" a \n\t b ")]), r#""a b""#);
        assert_eq!(call("text/strip-html", &[s("<p>a &amp;lt; b</p>")]), r#""a < b""#);
        assert_eq!(call("text/trim-indent", &[s("    a\n      b\n\n    c")]), "\"a\\n  b\\n\\nc\"");
        assert_eq!(call("text/truncate", &[s("hello world"), int(8)]), r#""hello...""#);
        assert_eq!(call("text/truncate", &[s("hello"), int(2)]), r#""...""#);
        assert_eq!(call("text/split-sentences", &[s("Hi. Is 3.5 ok? Yes!")]), r#"("Hi." "Is 3.5 ok?" "Yes!")"#);
        assert_eq!(call("text/chunk-by-separator", &[s("a--b----c"), s("--")]), r#"("a" "b" "c")"#);
        assert_eq!(call("text/excerpt", &[s("abcdefXYZghijk"), s("xyz"), map_of(&[("radius", int(2))])]), r#""...efXYZgh...""#);
        assert_eq!(call("text/excerpt", &[s("abc"), s("q")]), "nil");
    }

    #[test]
    fn chunking_packs_pieces() {
        let opts = map_of(&[("size", int(10)), ("overlap", int(0))]);
        assert_eq!(call("text/chunk", &[s("aaa bbb ccc ddd"), opts]), r#"("aaa bbb" "ccc ddd")"#);
        let opts = map_of(&[("size", int(4)), ("overlap", int(1))]);
        assert_eq!(call("text/chunk", &[s("abcdefghij"), opts]), r#"("abcd" "defg" "ghij" "j")"#);
        assert_eq!(call("text/chunk", &[s("")]), "()");
    }

    #[test]
    fn templates_and_documents() {
        let vars = map_of(&[("name", s("Ada")), ("n", int(3))]);
        assert_eq!(call("prompt/render", &[s("{{name}} has {{n}} {{x}} {{open"), vars]), r#""Ada has 3 {{x}} {{open""#);
        let doc = call("document/create", &[s("t"), map_of(&[("k", int(1))])]);
        assert_eq!(doc, r#"{:metadata {:k 1} :text "t"}"#);
        assert_eq!(call("document/text", &[map_of(&[])]), "ERR Eval error: not a document: missing :text");
        assert_eq!(call("document/text", &[int(1)]), "ERR Type error: expected map (document), got int");
    }

    fn map_of(entries: &[(&str, Value)]) -> Value {
        Value::keyword_map(entries.iter().map(|(k, v)| (*k, v.clone())))
    }
}

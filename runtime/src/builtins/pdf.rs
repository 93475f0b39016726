//! PDF files: `pdf/extract-text`, `pdf/extract-text-pages`, `pdf/page-count`,
//! `pdf/metadata` (large tier: lopdf parses, pdf-extract lays out the text, as in the
//! reference).
//!
//! PDFs are untrusted input. A file over 256 MiB or a document over 10,000 pages is
//! refused before any text is extracted, and extracted text stops at 256 MiB. The
//! parsers can panic on malformed input: release builds parse in a child process
//! (`crate::quarantine`), other builds under `crate::catch_panic`, so either way the
//! panic becomes a catchable error; page trees whose `Parent` links loop, which would
//! recurse without end during extraction, are refused first.
//!
//! Error texts follow the reference, which does the parsing off the interpreter thread:
//! failures while parsing carry the error kind in the message (`Eval error: ...`,
//! `IO error: ...`) and are `:eval` errors; a missing file is an `:io` error.

use std::collections::HashSet;
use std::io::Read as _;

use lopdf::{Dictionary, Document, Object};
use pdf_extract::{ConvertToFmt, PlainTextOutput};

use super::archive::check_limit;
use super::system::io_error;
use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("pdf/extract-text", 1, Some(1), |a| quarantined("pdf/extract-text", a[0].expect_str()?)),
    pure("pdf/extract-text-pages", 1, Some(1), |a| quarantined("pdf/extract-text-pages", a[0].expect_str()?)),
    pure("pdf/page-count", 1, Some(1), |a| quarantined("pdf/page-count", a[0].expect_str()?)),
    pure("pdf/metadata", 1, Some(1), |a| quarantined("pdf/metadata", a[0].expect_str()?)),
];

/// Runs builtin `op` on `path`. Where a panic aborts the process (release builds), in
/// a child process (`crate::quarantine`): a malformed PDF that makes a parser panic
/// then ends the child, and the program gets a catchable error. Where panics unwind
/// (tests, fuzzing), in this process under `catch_panic`.
fn quarantined(op: &str, path: &str) -> Result<Value> {
    if cfg!(panic = "unwind") {
        return run(op, path);
    }
    crate::quarantine::call(op, path, || extract_error(op, path, malformed("the PDF parser failed on it")))
}

/// In a child started by `quarantined`: answers and exits. Called first by the `main`
/// of every binary that has these builtins.
pub fn serve_worker_if_asked() {
    crate::quarantine::serve(run);
}

fn run(op: &str, path: &str) -> Result<Value> {
    match op {
        "pdf/extract-text" => extract_text(op, path).map(Value::str),
        "pdf/extract-text-pages" => extract_text_pages(op, path).map(Value::str_list),
        "pdf/page-count" => {
            let doc = load_document(op, path, &read_pdf(op, path)?)?;
            Ok(Value::Int(page_count(op, &doc)? as i64))
        }
        "pdf/metadata" => {
            let doc = load_document(op, path, &read_pdf(op, path)?)?;
            metadata(op, &doc)
        }
        _ => Err(Error::eval(format!("{op}: not a PDF operation"))),
    }
}

const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;
const MAX_TEXT_BYTES: u64 = 256 * 1024 * 1024;
const MAX_PAGES: u64 = 10_000;

/// The whole file, if it is a regular file of at most `MAX_INPUT_BYTES`.
fn read_pdf(op: &str, path: &str) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| io_error(op, path, e))?;
    let metadata = file.metadata().map_err(|e| io_error(op, path, e))?;
    if !metadata.is_file() {
        return Err(Error::eval(format!("{op}: PDF input must be a regular file: {path}")));
    }
    check_limit(op, "input bytes", metadata.len(), MAX_INPUT_BYTES)?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::eval(format!("IO error: {op} {path}: {e}")))?;
    work_limit(op, "input bytes", bytes.len() as u64, MAX_INPUT_BYTES)?;
    Ok(bytes)
}

/// Parses the document, as `pdf/page-count` and `pdf/metadata` report failures.
fn load_document(op: &str, path: &str, bytes: &[u8]) -> Result<Document> {
    let parse_error = |e: String| Error::eval(format!("IO error: {op} {path}: {e}"));
    crate::catch_panic(|| Document::load_mem(bytes))
        .map_err(|panic| parse_error(malformed(&panic)))?
        .map_err(|e| parse_error(e.to_string()))
}

fn malformed(panic: &str) -> String {
    format!("malformed PDF ({panic})")
}

fn page_count(op: &str, doc: &Document) -> Result<usize> {
    let pages = doc.get_pages().len();
    work_limit(op, "pages", pages as u64, MAX_PAGES)?;
    Ok(pages)
}

/// `{:title :author :subject :creator :producer}` where the Info dictionary has them
/// (a string or a name, read as UTF-8), and `:pages`.
fn metadata(op: &str, doc: &Document) -> Result<Value> {
    let pages = page_count(op, doc)?;
    let info = doc.trailer.get(b"Info").ok().and_then(|info| doc.dereference(info).ok()).map(|(_, info)| info);
    let fields = [
        ("title", "Title"),
        ("author", "Author"),
        ("subject", "Subject"),
        ("creator", "Creator"),
        ("producer", "Producer"),
    ];
    let mut entries = Vec::new();
    if let Some(Ok(info)) = info.map(Object::as_dict) {
        for (key, pdf_key) in fields {
            let text = match info.get(pdf_key.as_bytes()) {
                Ok(Object::Name(bytes) | Object::String(bytes, _)) => String::from_utf8_lossy(bytes).into_owned(),
                _ => continue,
            };
            entries.push((key, text));
        }
    }
    work_limit(op, "output bytes", entries.iter().map(|(_, t)| t.len() as u64).sum(), MAX_TEXT_BYTES)?;
    let pages = ("pages", Value::Int(pages as i64));
    Ok(Value::keyword_map(entries.into_iter().map(|(k, t)| (k, Value::str(t))).chain([pages])))
}

/// The text of the whole document, laid out by pdf-extract.
fn extract_text(op: &str, path: &str) -> Result<String> {
    let doc = extractable_document(op, path)?;
    let mut text = CappedText::default();
    let done = crate::catch_panic(|| pdf_extract::output_doc(&doc, &mut PlainTextOutput::new(&mut text)));
    if text.over {
        work_limit(op, "output bytes", text.written, MAX_TEXT_BYTES)?;
    }
    match done {
        Ok(Ok(())) => Ok(text.text),
        Ok(Err(e)) => Err(extract_error(op, path, e.to_string())),
        Err(panic) => Err(extract_error(op, path, malformed(&panic))),
    }
}

/// The text of each page, first to last. As in the reference, a page whose text
/// cannot be extracted ends the list.
fn extract_text_pages(op: &str, path: &str) -> Result<Vec<String>> {
    let doc = extractable_document(op, path)?;
    let mut text = CappedText::default();
    let mut pages = Vec::new();
    for page in 1.. {
        let done = crate::catch_panic(|| {
            pdf_extract::output_doc_page(&doc, &mut PlainTextOutput::new(&mut text), page)
        });
        if text.over {
            work_limit(op, "output bytes", text.written, MAX_TEXT_BYTES)?;
        }
        match done {
            Ok(Ok(())) => pages.push(std::mem::take(&mut text.text)),
            Ok(Err(_)) => break,
            Err(panic) => return Err(extract_error(op, path, malformed(&panic))),
        }
    }
    Ok(pages)
}

/// The parsed (and, with the empty password, decrypted) document, once its size and
/// page tree are known to be safe to extract from.
fn extractable_document(op: &str, path: &str) -> Result<Document> {
    let bytes = read_pdf(op, path)?;
    let mut doc = match crate::catch_panic(|| Document::load_mem(&bytes)) {
        Ok(Ok(doc)) => doc,
        Ok(Err(e)) => return Err(extract_error(op, path, format!("PDF error: {e}"))),
        Err(panic) => return Err(extract_error(op, path, malformed(&panic))),
    };
    if doc.is_encrypted() {
        doc.decrypt("").map_err(|e| extract_error(op, path, format!("PDF error: {e}")))?;
    }
    page_count(op, &doc)?;
    check_page_tree(&doc).map_err(|problem| extract_error(op, path, malformed(&problem)))?;
    Ok(doc)
}

/// What pdf-extract needs of each page to not recurse forever or panic at once:
/// a `Parent` chain without a loop, and a `MediaBox` on the page or an ancestor.
fn check_page_tree(doc: &Document) -> std::result::Result<(), String> {
    for (number, id) in doc.get_pages() {
        let mut node: &Dictionary =
            doc.get_dictionary(id).map_err(|_| format!("page {number} is not a dictionary"))?;
        let mut seen = HashSet::from([id]);
        let mut has_media_box = false;
        loop {
            has_media_box |= node.has(b"MediaBox");
            let Ok(parent) = node.get(b"Parent").and_then(Object::as_reference) else { break };
            if !seen.insert(parent) {
                return Err(format!("page {number}: the page tree's Parent links form a loop"));
            }
            let Ok(next) = doc.get_dictionary(parent) else { break };
            node = next;
        }
        if !has_media_box {
            return Err(format!("page {number} has no MediaBox"));
        }
    }
    Ok(())
}

fn extract_error(op: &str, path: &str, message: String) -> Error {
    Error::eval(format!("Eval error: {op} {path}: {message}"))
}

/// A limit checked once parsing has begun, reported as the reference reports it.
fn work_limit(op: &str, what: &str, actual: u64, limit: u64) -> Result<()> {
    check_limit(op, what, actual, limit).map_err(|e| e.with_prefix("Eval error"))
}

/// Extracted text, refusing to grow past `MAX_TEXT_BYTES` in total (over all pages).
#[derive(Default)]
struct CappedText {
    text: String,
    written: u64,
    over: bool,
}

impl std::fmt::Write for CappedText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.written += s.len() as u64;
        if self.written > MAX_TEXT_BYTES {
            self.over = true;
            return Err(std::fmt::Error);
        }
        self.text.push_str(s);
        Ok(())
    }
}

impl<'a> ConvertToFmt for &'a mut CappedText {
    type Writer = &'a mut CappedText;

    fn convert(self) -> Self::Writer {
        self
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    /// A minimal one-page PDF whose page dictionary is `page` (object 3), then the
    /// objects `more` (4 on).
    fn pdf_with_page(page: &str, more: &[String]) -> Vec<u8> {
        let mut objects = vec![
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
            page.to_string(),
        ];
        objects.extend_from_slice(more);
        let mut out = String::from("%PDF-1.4\n");
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out += &format!("{} 0 obj\n{body}\nendobj\n", i + 1);
        }
        let xref = out.len();
        out += &format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
        for offset in offsets {
            out += &format!("{offset:010} 00000 n \n");
        }
        out += &format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1);
        out.into_bytes()
    }

    #[test]
    fn page_tree_checks_refuse_what_pdf_extract_cannot_handle() {
        let ok = pdf_with_page("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>", &[]);
        assert_eq!(check_page_tree(&Document::load_mem(&ok).unwrap()), Ok(()));
        let no_box = pdf_with_page("<< /Type /Page /Parent 2 0 R >>", &[]);
        let problem = check_page_tree(&Document::load_mem(&no_box).unwrap()).unwrap_err();
        assert!(problem.contains("no MediaBox"), "{problem}");
        let looping = pdf_with_page("<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] >>", &[]);
        let problem = check_page_tree(&Document::load_mem(&looping).unwrap()).unwrap_err();
        assert!(problem.contains("loop"), "{problem}");
    }

    /// pdf-extract panics on a Type0 font without DescendantFonts (the fixture made by
    /// tests/corpus/stdlib-pdf/make_fixtures.py).
    #[test]
    fn a_parser_panic_is_a_catchable_error() {
        let bytes = include_bytes!("../../../tests/corpus/stdlib-pdf/fixtures/parser-panic.pdf");
        let path = std::env::temp_dir().join(format!("sema-pdf-panic-{}.pdf", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        let path_text = path.to_str().unwrap();
        let whole = extract_text("pdf/extract-text", path_text);
        let pages = extract_text_pages("pdf/extract-text-pages", path_text);
        std::fs::remove_file(&path).unwrap();
        let err = whole.unwrap_err();
        assert!(err.message().contains("malformed PDF (Descendant fonts required)"), "{}", err.message());
        let err = pages.unwrap_err();
        assert!(err.message().starts_with("Eval error: pdf/extract-text-pages "), "{}", err.message());
    }

    #[test]
    fn text_stops_at_the_cap() {
        let mut text = CappedText { written: MAX_TEXT_BYTES - 2, ..CappedText::default() };
        assert!(text.write_str("ab").is_ok());
        assert!(text.write_str("c").is_err());
        assert!(text.over);
        assert_eq!(text.text, "ab");
    }

    #[test]
    fn only_the_full_runtime_has_them() {
        for builtin in BUILTINS {
            assert_eq!(super::super::library_of(builtin.name), super::super::Library::Full, "{}", builtin.name);
        }
    }

    #[test]
    fn a_missing_file_is_an_io_error() {
        let err = read_pdf("pdf/page-count", "/nonexistent/x.pdf").unwrap_err();
        assert!(matches!(err.kind(), crate::error::ErrorKind::Io), "{}", err.message());
    }
}

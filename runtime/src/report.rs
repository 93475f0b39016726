//! The report of an uncaught error on stderr: the LANGUAGE.md §11.6 first line, where
//! it was raised and by which builtin, the source line when the source can be found,
//! and the call stack, innermost first, with repeated frames folded (deep recursion
//! reads as a few lines, as in Python's and Lua's tracebacks).
//!
//! A bundle's debug info names source files relative to the main program's directory;
//! `semarun` looks for them beside the bundle (only when the run has no permission
//! restrictions), `semac --run` has the main file's text. The debug info is not
//! trusted: only a `.sema` file is opened, named without `..`, hidden or absolute
//! parts, and only when it resolves (symlinks followed) to a place under the
//! directory; names from it are printed with control characters made harmless.

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use bundle_format::opcodes::Instr;

use crate::error::{Error, ErrorKind, TraceFrame};
use crate::value::Value;

/// Where the report finds source text.
struct Sources {
    dir: Option<PathBuf>,
    /// Texts at hand, by the name the debug info gives them.
    texts: Vec<(String, String)>,
}

static SOURCES: Mutex<Sources> = Mutex::new(Sources { dir: None, texts: Vec::new() });

/// Largest source file read to show one of its lines.
const MOST_SOURCE_BYTES: u64 = 16 << 20;
/// Longest source line shown; a longer one is cut (and shown without a caret past it).
const MOST_LINE_CHARS: usize = 240;
/// Stack lines shown (after folding) before the middle is left out.
const MOST_STACK_LINES: usize = 24;

/// Source files named by the program's debug info are looked for under `dir`.
pub fn look_for_sources_in(dir: &Path) {
    sources().dir = Some(dir.to_path_buf());
}

/// `text` is the source the debug info calls `name` (a program compiled just now;
/// a REPL's latest entry replaces the one before).
pub fn remember_source(name: &str, text: &str) {
    let mut sources = sources();
    sources.texts.retain(|(known, _)| known != name);
    sources.texts.push((name.to_string(), text.to_string()));
}

fn sources() -> std::sync::MutexGuard<'static, Sources> {
    SOURCES.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Prints the report of `err` on stderr.
pub fn report_error(err: &Error) {
    eprint!("{}", render(err));
}

/// The report (module comment), one line per `\n`.
pub fn render(err: &Error) -> String {
    let mut out = format!("Error: {}\n", err.report());
    // A budget running out or an unbound name is not the doing of what was called.
    let names_a_culprit = !matches!(err.kind(), ErrorKind::OutOfFuel | ErrorKind::Unbound { .. });
    let raised_by = match err.blamed_builtin() {
        Some(name) => Some(name.to_string()),
        None => err.raised_at().and_then(|instr| raised_by(&instr)),
    }
    .filter(|_| names_a_culprit);
    let trace = err.trace();
    let label = label(err, raised_by.as_deref());
    let mut shown_with_source = false;
    if let Some((frame, file)) = trace.first().and_then(|frame| Some((frame, frame.file.as_deref()?))) {
        let _ = writeln!(out, "  --> {}:{}:{}", printable(file), frame.line, frame.col);
        if let Some(text) = source_line(file, frame.line) {
            shown_with_source = snippet(&mut out, frame, &text, label.as_deref());
        }
    }
    if let Some(label) = label.filter(|_| !shown_with_source) {
        let _ = writeln!(out, "   = {label}");
    }
    if trace.len() > 1 {
        out.push_str("call stack, innermost first:\n");
        stack(&mut out, trace);
    }
    out
}

/// The builtin or function the instruction that raised the error calls (or stands
/// for): `car`, `+`, `my-function`.
fn raised_by(instr: &Instr) -> Option<String> {
    match instr {
        // Relinked symbol operands are interner indices (program.rs).
        Instr::CallGlobal { sym, .. } | Instr::TailCallGlobal { sym, .. } => {
            crate::interner::sym_from_index(sym.0 as usize).map(|s| s.name().to_string())
        }
        other => other.stands_for().map(str::to_string),
    }
}

/// What the caret says: the builtin that raised the error and, for a type error,
/// the value it refused (`car: expected list or vector, got 5`).
fn label(err: &Error, raised_by: Option<&str>) -> Option<String> {
    let refused = match err.kind() {
        ErrorKind::Type { expected, .. } => err.refused().map(|value| format!("expected {expected}, got {}", brief(value))),
        _ => None,
    };
    let label = match (raised_by, refused) {
        (Some(name), Some(what)) => format!("{name}: {what}"),
        (Some(name), None) => format!("raised by {name}"),
        (None, refused) => refused?,
    };
    // Names come from the bundle's symbol table, which is not trusted.
    Some(printable(&label))
}

/// Longest written form of a refused value the report shows; a longer one is cut.
const MOST_VALUE_CHARS: usize = 60;

/// A short written form of `value`: in full when small, else cut or described
/// (`a list of 1000 items`). Bounded whatever the value holds: at most two levels
/// and eight items of each collection are looked at.
fn brief(value: &Value) -> String {
    let mut out = String::new();
    write_brief(&mut out, value, 2);
    if out.chars().count() > MOST_VALUE_CHARS {
        out = out.chars().take(MOST_VALUE_CHARS - 3).chain("...".chars()).collect();
    }
    printable(&out)
}

fn write_brief(out: &mut String, value: &Value, depth: u32) {
    const MOST_ITEMS: usize = 8;
    const MOST_STRING_CHARS: usize = 24;
    let items: Option<(&str, char, Vec<&Value>, usize)> = match value {
        Value::List(list) => Some(("(", ')', list.iter().take(MOST_ITEMS + 1).collect(), list.len())),
        Value::Vector(items) => Some(("[", ']', items.iter().take(MOST_ITEMS + 1).collect(), items.len())),
        _ => None,
    };
    match (value, items) {
        (_, Some((_, _, _, len))) if depth == 0 || len > MOST_ITEMS => {
            let _ = write!(out, "a {} of {len} items", value.type_name());
        }
        (_, Some((open, close, items, _))) => {
            out.push_str(open);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_brief(out, item, depth - 1);
            }
            out.push(close);
        }
        (Value::Str(s), _) if s.chars().count() > MOST_STRING_CHARS => {
            let start: String = s.chars().take(MOST_STRING_CHARS).collect();
            let quoted = crate::printer::repr(&Value::str(start));
            let _ = write!(out, "{}...\" ({} characters)", &quoted[..quoted.len() - 1], s.chars().count());
        }
        (Value::Nil | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Char(_) | Value::Str(_), _)
        | (Value::Symbol(_) | Value::Keyword(_) | Value::Closure(_) | Value::Native(_), _) => {
            crate::printer::write_repr(out, value)
        }
        // Digits are printed in full first: only small numbers are.
        (Value::BigInt(b), _) if b.bits() <= 128 => crate::printer::write_repr(out, value),
        (Value::Rational(r), _) if r.numer().bits() + r.denom().bits() <= 128 => crate::printer::write_repr(out, value),
        _ => {
            let name = value.type_name();
            let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
            let _ = write!(out, "{article} {name}");
        }
    }
}

/// The source line, its number, and a caret under the datum at the column, labelled.
/// False when the column is not on the line (nothing was labelled).
fn snippet(out: &mut String, frame: &TraceFrame, text: &str, label: Option<&str>) -> bool {
    let number = frame.line.to_string();
    let gutter = " ".repeat(number.len());
    let _ = writeln!(out, " {gutter} |");
    let _ = writeln!(out, " {number} | {text}");
    let col = frame.col.max(1) as usize;
    if col > text.chars().count() + 1 {
        return false;
    }
    let carets = "^".repeat(datum_width(text, col));
    let label = label.map_or(String::new(), |label| format!(" {label}"));
    let _ = writeln!(out, " {gutter} | {}{carets}{label}", " ".repeat(col - 1));
    true
}

/// How many characters the datum starting at 1-based column `col` of `line` spans
/// on that line: a bracketed form to its closing bracket, a string to its closing
/// quote, an atom to the next delimiter; 1 when it goes on past the line.
pub fn datum_width(line: &str, col: usize) -> usize {
    let chars: Vec<char> = line.chars().skip(col.saturating_sub(1)).collect();
    let delimiter = |c: char| c.is_whitespace() || "()[]{}\";".contains(c);
    match chars.first() {
        None => 1,
        Some('(' | '[' | '{') => matching_close(&chars).map_or(1, |at| at + 1),
        Some('"') => string_end(&chars, 0).map_or(1, |at| at + 1),
        Some(_) => 1 + chars[1..].iter().take_while(|c| !delimiter(**c)).count(),
    }
}

/// The index of the bracket closing the one at `chars[0]`, skipping strings, character
/// literals and comments.
fn matching_close(chars: &[char]) -> Option<usize> {
    let mut depth = 0usize;
    let mut at = 0;
    while at < chars.len() {
        match chars[at] {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(at);
                }
            }
            '"' => at = string_end(chars, at)?,
            ';' => return None,
            '#' if chars.get(at + 1) == Some(&'\\') => at += 2,
            _ => {}
        }
        at += 1;
    }
    None
}

/// The index of the quote closing the string that opens at `chars[start]`.
fn string_end(chars: &[char], start: usize) -> Option<usize> {
    let mut at = start + 1;
    while at < chars.len() {
        match chars[at] {
            '\\' => at += 1,
            '"' => return Some(at),
            _ => {}
        }
        at += 1;
    }
    None
}

/// One line per frame, `at NAME (FILE:LINE:COL)`; a frame repeated right after
/// itself is shown once with how many more times it came, and past
/// `MOST_STACK_LINES` the middle is left out.
fn stack(out: &mut String, trace: &[TraceFrame]) {
    let mut lines = Vec::new();
    let mut at = 0;
    while at < trace.len() {
        let frame = &trace[at];
        let repeats = trace[at + 1..].iter().take_while(|other| same_place(frame, other)).count();
        let function = printable(&frame.function);
        lines.push(match &frame.file {
            Some(file) => format!("  at {function} ({}:{}:{})", printable(file), frame.line, frame.col),
            None => format!("  at {function}"),
        });
        if repeats > 0 {
            let times = if repeats == 1 { "time" } else { "times" };
            lines.push(format!("  ... the frame above {repeats} more {times}"));
        }
        at += 1 + repeats;
    }
    if lines.len() > MOST_STACK_LINES {
        let (head, tail) = (MOST_STACK_LINES - 4, 4);
        let left_out = lines.len() - head - tail;
        lines.splice(head..lines.len() - tail, [format!("  ... {left_out} more lines of the stack ...")]);
    }
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
}

fn same_place(a: &TraceFrame, b: &TraceFrame) -> bool {
    a.function == b.function && a.file == b.file && a.line == b.line && a.col == b.col
}

/// Line `line` (1-based) of the source the debug info calls `name`, made safe to
/// print: control characters (a terminal's escape sequences) become `?`, a tab one
/// space (so the caret lines up), and a long line is cut.
fn source_line(name: &str, line: u32) -> Option<String> {
    let text = {
        let sources = sources();
        match sources.texts.iter().find(|(known, _)| known == name) {
            Some((_, text)) => text.clone(),
            None => read_source(sources.dir.as_deref()?, name)?,
        }
    };
    let raw = text.lines().nth((line as usize).checked_sub(1)?)?;
    let cut: String = raw.chars().take(MOST_LINE_CHARS).collect();
    Some(printable(&cut))
}

/// `text` safe to print: control characters (a terminal's escape sequences, a
/// newline that could fake another line of a report) become `?`, a tab one space
/// (so a caret below lines up). The compiler's diagnostics use it too.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '?',
            c => c,
        })
        .collect()
}

/// The text of `dir/name` (module comment: which names are opened), of reasonable
/// size.
fn read_source(dir: &Path, name: &str) -> Option<String> {
    use std::io::Read;
    let relative = Path::new(name);
    let plain = |c: Component| matches!(c, Component::Normal(part) if !part.to_string_lossy().starts_with('.'));
    if !relative.components().all(plain) || relative.extension().is_none_or(|e| e != "sema") {
        return None;
    }
    let inside = dir.canonicalize().ok()?;
    let path = dir.join(relative).canonicalize().ok()?;
    if !path.starts_with(&inside) {
        return None;
    }
    let file = crate::loader::open_regular_file(&path).ok()?;
    let mut bytes = Vec::new();
    file.take(MOST_SOURCE_BYTES).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    fn frame(function: &str, line: u32) -> TraceFrame {
        TraceFrame { function: Rc::new(function.to_string()), file: Some(Rc::new("app.sema".to_string())), line, col: 3 }
    }

    #[test]
    fn repeated_frames_fold_and_a_long_stack_leaves_out_its_middle() {
        let mut trace = vec![frame("f", 2); 1000];
        trace.push(frame("<top-level>", 9));
        let mut out = String::new();
        stack(&mut out, &trace);
        assert_eq!(out, "  at f (app.sema:2:3)\n  ... the frame above 999 more times\n  at <top-level> (app.sema:9:3)\n");

        // Two functions calling each other do not fold: the middle is left out.
        let trace: Vec<TraceFrame> = (0..100).map(|i| frame(if i % 2 == 0 { "even?" } else { "odd?" }, 4 + i % 2)).collect();
        let mut out = String::new();
        stack(&mut out, &trace);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), MOST_STACK_LINES - 4 + 1 + 4);
        assert_eq!(lines[MOST_STACK_LINES - 4], "  ... 76 more lines of the stack ...");
        assert_eq!(lines[0], "  at even? (app.sema:4:3)");
        assert_eq!(lines.last(), Some(&"  at odd? (app.sema:5:3)"));
    }

    #[test]
    fn the_caret_spans_the_datum_at_the_column_on_its_line() {
        let line = r#"(f (car x) "a)b" #\) [1 2] name-here) ; c"#;
        assert_eq!(datum_width(line, 1), 37);
        assert_eq!(datum_width(line, 4), 7);
        assert_eq!(datum_width(line, 12), 5);
        assert_eq!(datum_width(line, 22), 5);
        assert_eq!(datum_width(line, 28), 9);
        // A form that goes on past the line: its opening bracket only.
        assert_eq!(datum_width("(define (f x)", 1), 1);
        assert_eq!(datum_width("short", 40), 1);
    }

    #[test]
    fn a_refused_value_is_shown_briefly_whatever_its_size() {
        let many = Value::list((0..100_000).map(Value::Int).collect());
        assert_eq!(brief(&many), "a list of 100000 items");
        let nested = Value::list(vec![Value::Int(1), Value::list(vec![many.clone()]), Value::str("s")]);
        assert_eq!(brief(&nested), "(1 (a list of 100000 items) \"s\")");
        assert!(!brief(&Value::str("\x1b[2J")).contains('\x1b'));
        let huge = num_rational::BigRational::new(1.into(), num_bigint::BigInt::from(3).pow(500u32));
        assert_eq!(brief(&Value::Rational(std::rc::Rc::new(huge))), "a rational");
    }

    #[test]
    fn sources_outside_the_directory_are_never_read() {
        let dir = std::env::temp_dir();
        for name in ["/etc/passwd", "../passwd", "a/../../passwd", ".ssh/id_rsa", "secrets.txt", ".hidden.sema"] {
            assert_eq!(read_source(&dir, name), None, "{name}");
        }
    }
}

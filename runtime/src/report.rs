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
    let raised_by = err.raised_at().filter(|_| names_a_culprit).and_then(|instr| raised_by(&instr));
    let trace = err.trace();
    let mut shown_with_source = false;
    if let Some((frame, file)) = trace.first().and_then(|frame| Some((frame, frame.file.as_deref()?))) {
        let _ = writeln!(out, "  --> {}:{}:{}", printable(file), frame.line, frame.col);
        if let Some(text) = source_line(file, frame.line) {
            snippet(&mut out, frame, &text, raised_by.as_deref());
            shown_with_source = true;
        }
    }
    if let Some(name) = raised_by.filter(|_| !shown_with_source) {
        let _ = writeln!(out, "   = raised by {name}");
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

/// The source line, its number, and a caret under the column.
fn snippet(out: &mut String, frame: &TraceFrame, text: &str, raised_by: Option<&str>) {
    let number = frame.line.to_string();
    let gutter = " ".repeat(number.len());
    let _ = writeln!(out, " {gutter} |");
    let _ = writeln!(out, " {number} | {text}");
    let col = frame.col.max(1) as usize;
    if col <= text.chars().count() + 1 {
        let label = raised_by.map_or(String::new(), |name| format!(" raised by {name}"));
        let _ = writeln!(out, " {gutter} | {}^{label}", " ".repeat(col - 1));
    } else if let Some(name) = raised_by {
        let _ = writeln!(out, " {gutter} = raised by {name}");
    }
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

/// `text` safe to print: control characters (a terminal's escape sequences) become
/// `?`, a tab one space (so a caret below lines up).
fn printable(text: &str) -> String {
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
    fn sources_outside_the_directory_are_never_read() {
        let dir = std::env::temp_dir();
        for name in ["/etc/passwd", "../passwd", "a/../../passwd", ".ssh/id_rsa", "secrets.txt", ".hidden.sema"] {
            assert_eq!(read_source(&dir, name), None, "{name}");
        }
    }
}

//! The console beyond plain printing: stderr output (`print-error`, `log/*`), whole
//! stdin, the stdin end-of-file flag, explicit flushing and `pprint`.
//!
//! stdout is buffered (io.rs); it is flushed before anything is written to stderr so
//! that a terminal shows the two streams in program order.

use std::cell::Cell;
use std::io::{Read, Write};

use super::io::{flush_stdout, joined, write_stdout};
use super::system::read_line;
use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::printer::repr;
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("print-error", 0, None, |a| write_stderr(&joined(a, false, false))),
    pure("println-error", 0, None, |a| write_stderr(&joined(a, false, true))),
    pure("io/print-error", 0, None, |a| write_stderr(&joined(a, false, false))),
    pure("io/println-error", 0, None, |a| write_stderr(&joined(a, false, true))),
    pure("io/flush", 0, Some(0), |_| flush("io/flush")),
    pure("io/eof?", 0, Some(0), |_| Ok(Value::bool(STDIN_EOF.get()))),
    pure("io/read-line", 0, Some(0), |_| read_line()),
    pure("read-stdin", 0, Some(0), |_| read_stdin("read-stdin")),
    pure("io/read-stdin", 0, Some(0), |_| read_stdin("io/read-stdin")),
    pure("pprint", 1, Some(1), |a| {
        let mut text = pretty(&a[0], 0);
        text.push('\n');
        write_stdout(&text)?;
        Ok(Value::Nil)
    }),
    pure("log/debug", 1, None, |a| log("DEBUG", a)),
    pure("log/info", 1, None, |a| log("INFO", a)),
    pure("log/warn", 1, None, |a| log("WARN", a)),
    pure("log/error", 1, None, |a| log("ERROR", a)),
];

thread_local! {
    /// Set once a stdin read has met end of file (`io/eof?`).
    static STDIN_EOF: Cell<bool> = const { Cell::new(false) };
}

/// Records that stdin is exhausted.
pub fn mark_stdin_eof() {
    STDIN_EOF.set(true);
}

/// Writes text to stderr, unbuffered, after flushing stdout. A stderr that cannot be
/// written (closed, a broken pipe) is not the program's error: diagnostics are dropped.
pub fn write_stderr(text: &str) -> Result<Value> {
    flush_stdout();
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|_| err.flush());
    Ok(Value::Nil)
}

/// Flushes stdout, reporting a failure as `:io` error `OP: ...`.
pub fn flush(op: &str) -> Result<Value> {
    flush_stdout();
    std::io::stdout().flush().map_err(|e| Error::io(format!("{op}: {e}")))?;
    Ok(Value::Nil)
}

/// `(read-stdin)`: the rest of stdin as one string.
fn read_stdin(op: &str) -> Result<Value> {
    flush_stdout();
    let mut bytes = Vec::new();
    std::io::stdin().lock().read_to_end(&mut bytes).map_err(|e| Error::io(format!("{op}: {e}")))?;
    mark_stdin_eof();
    String::from_utf8(bytes).map(Value::str).map_err(|e| Error::eval(format!("{op}: invalid UTF-8: {e}")))
}

/// `(log/info msg ...)`: `[INFO] msg ...` on stderr.
fn log(level: &str, args: &[Value]) -> Result<Value> {
    write_stderr(&format!("[{level}] {}", joined(args, false, true)))
}

/// Width `pprint` fits its lines in.
const PPRINT_WIDTH: usize = 80;

/// The value in repr, on one line if it fits in the width left at `indent`, else a
/// collection with one element per line, each indented one column past its bracket.
/// Widths count bytes.
fn pretty(value: &Value, indent: usize) -> String {
    let flat = repr(value);
    if flat.len() <= PPRINT_WIDTH.saturating_sub(indent) {
        return flat;
    }
    let (open, close, items) = match value {
        Value::List(l) => ('(', ')', l.to_vec()),
        Value::Vector(v) => ('[', ']', v.to_vec()),
        Value::Map(_) | Value::HashMap(_) => return pretty_map(value, indent),
        _ => return flat,
    };
    let mut out = String::from(open);
    let pad = " ".repeat(indent + 1);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(&pad);
        }
        out.push_str(&pretty(item, indent + 1));
    }
    out.push(close);
    out
}

/// A map one entry per line: the key flat, then the value after it when it fits (or
/// is not a collection), else on the next line two columns past the key.
fn pretty_map(map: &Value, indent: usize) -> String {
    let mut out = String::from("{");
    let child = indent + 1;
    let pad = " ".repeat(child);
    for (i, (key, value)) in map.map_entries().unwrap_or_default().iter().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(&pad);
        }
        let key = repr(key);
        let flat = repr(value);
        let fits = flat.len() <= PPRINT_WIDTH.saturating_sub(child + key.len() + 1);
        out.push_str(&key);
        let collection = matches!(value, Value::List(_) | Value::Vector(_) | Value::Map(_) | Value::HashMap(_));
        if fits || !collection {
            out.push(' ');
            out.push_str(&flat);
        } else {
            out.push('\n');
            out.push_str(&" ".repeat(child + 2));
            out.push_str(&pretty(value, child + 2));
        }
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_breaks_what_does_not_fit() {
        assert_eq!(pretty(&Value::str_list(["a", "b"]), 0), r#"("a" "b")"#);
        let long = Value::vector((0..30).map(|i| Value::int(i * 1000)).collect());
        let shown = pretty(&long, 0);
        assert!(shown.starts_with("[0\n 1000\n 2000\n"), "{shown}");
        let map = Value::keyword_map([("k", long), ("n", Value::int(1))]);
        let shown = pretty(&map, 0);
        assert!(shown.starts_with("{:k\n   [0\n    1000\n"), "{shown}");
        assert!(shown.ends_with("29000]\n :n 1}"), "{shown}");
    }
}

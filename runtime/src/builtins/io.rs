//! Console output and string building (LANGUAGE.md §4.3, §4.4).
//!
//! Output goes through one buffered writer. It is flushed when the program ends or
//! exits, before an error report, before reading stdin, and after every write when
//! stdout is a terminal, so a person sees output as it is produced while a pipe gets
//! it in large writes.

use std::cell::RefCell;
use std::io::{BufWriter, IsTerminal, Stdout, Write};

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::printer::{write_display, write_repr};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("display", 0, None, |a| emit(a, false, false)),
    pure("println", 0, None, |a| emit(a, false, true)),
    pure("print", 0, None, |a| emit(a, true, false)),
    pure("newline", 0, Some(0), |_| emit(&[], false, true)),
    pure("str", 0, None, |a| Ok(Value::str(concat(a)))),
    pure("string-append", 0, None, |a| Ok(Value::str(concat(a)))),
    pure("string/append", 0, None, |a| Ok(Value::str(concat(a)))),
    pure("format", 1, None, format),
];

struct Output {
    writer: BufWriter<Stdout>,
    interactive: bool,
}

thread_local! {
    static STDOUT: RefCell<Output> = RefCell::new(Output {
        writer: BufWriter::with_capacity(64 * 1024, std::io::stdout()),
        interactive: std::io::stdout().is_terminal(),
    });
}

/// Writes text to stdout.
pub fn write_stdout(text: &str) -> Result<()> {
    STDOUT.with(|out| {
        let mut out = out.borrow_mut();
        let result = out.writer.write_all(text.as_bytes());
        let result = if out.interactive { result.and_then(|_| out.writer.flush()) } else { result };
        result.map_err(|e| Error::io(format!("stdout: {e}")))
    })
}

/// Flushes buffered output; called at exit and before errors are reported.
pub fn flush_stdout() {
    STDOUT.with(|out| {
        let _ = out.borrow_mut().writer.flush();
    });
}

/// `display`/`println`/`print`: arguments separated by one space.
fn emit(args: &[Value], quote_strings: bool, newline: bool) -> Result<Value> {
    let mut text = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            text.push(' ');
        }
        if quote_strings {
            write_repr(&mut text, arg);
        } else {
            write_display(&mut text, arg);
        }
    }
    if newline {
        text.push('\n');
    }
    write_stdout(&text)?;
    Ok(Value::Nil)
}

/// `str`: display forms joined with no separator.
pub fn concat(args: &[Value]) -> String {
    let mut text = String::new();
    for arg in args {
        write_display(&mut text, arg);
    }
    text
}

/// `format` with the `~a ~s ~% ~~` directives.
fn format(args: &[Value]) -> Result<Value> {
    let Value::Str(template) = &args[0] else {
        return Err(Error::type_error("string", &args[0]));
    };
    let mut rest = args[1..].iter();
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('a' | 'A') => {
                chars.next();
                if let Some(arg) = rest.next() {
                    write_display(&mut out, arg);
                }
            }
            Some('s' | 'S') => {
                chars.next();
                if let Some(arg) = rest.next() {
                    write_repr(&mut out, arg);
                }
            }
            Some('%') => {
                chars.next();
                out.push('\n');
            }
            Some('~') => {
                chars.next();
                out.push('~');
            }
            _ => out.push('~'),
        }
    }
    Ok(Value::str(out))
}

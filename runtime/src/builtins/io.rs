//! Console output and string building (LANGUAGE.md §4.3, §4.4).
//!
//! Output goes through one buffered writer. It is flushed when the program ends or
//! exits, before an error report, before reading stdin, and after every write when
//! stdout is a terminal, so a person sees output as it is produced while a pipe gets
//! it in large writes. The writer sits behind a mutex (uncontended: one lock per
//! write) so that the `--max-seconds` watchdog thread can flush it before it ends the
//! process.

use std::io::{BufWriter, IsTerminal, Stdout, Write};
use std::sync::{Mutex, MutexGuard, OnceLock, TryLockError};
use std::time::Duration;

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

static STDOUT: OnceLock<Mutex<Output>> = OnceLock::new();

fn stdout_output() -> &'static Mutex<Output> {
    STDOUT.get_or_init(|| {
        Mutex::new(Output {
            writer: BufWriter::with_capacity(64 * 1024, std::io::stdout()),
            interactive: std::io::stdout().is_terminal(),
        })
    })
}

/// The writer. A panic while it was held cannot leave it inconsistent (it is only
/// written to), so a poisoned lock is used as it is.
fn output() -> MutexGuard<'static, Output> {
    stdout_output().lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Writes what is buffered for stdout straight to file descriptor 1, allocating
/// nothing: the allocator calls this when memory runs out, just before the process
/// ends. Skipped when stdout was never used or is being written to right now.
pub fn write_out_buffered_output() {
    let Some(Ok(out)) = STDOUT.get().map(Mutex::try_lock) else { return };
    let mut pending = out.writer.buffer();
    extern "C" {
        fn write(fd: i32, buf: *const u8, count: usize) -> isize;
    }
    while !pending.is_empty() {
        // SAFETY: writes from a live, borrowed buffer of `pending.len()` bytes.
        let written = unsafe { write(1, pending.as_ptr(), pending.len()) };
        if written <= 0 {
            return;
        }
        pending = &pending[written as usize..];
    }
}

/// Writes text to stdout.
pub fn write_stdout(text: &str) -> Result<()> {
    let mut out = output();
    let result = out.writer.write_all(text.as_bytes());
    let result = if out.interactive { result.and_then(|_| out.writer.flush()) } else { result };
    result.map_err(|e| match e.kind() {
        // Uncaught, it ends the run quietly (`semarun x.semb | head -1`).
        std::io::ErrorKind::BrokenPipe => Error::stdout_closed(format!("stdout: {e}")),
        _ => Error::io(format!("stdout: {e}")),
    })
}

/// Flushes buffered output; called at exit and before errors are reported.
pub fn flush_stdout() {
    let _ = output().writer.flush();
}

/// Flushes buffered output from another thread (the watchdog) unless the program's
/// thread keeps the writer for longer than `patience` (blocked on a full pipe, say):
/// the caller is about to end the process and must not wait forever.
pub fn flush_stdout_within(patience: Duration) {
    let step = Duration::from_millis(5);
    let mut waited = Duration::ZERO;
    let mut out = loop {
        match stdout_output().try_lock() {
            Ok(out) => break out,
            Err(TryLockError::Poisoned(poisoned)) => break poisoned.into_inner(),
            Err(TryLockError::WouldBlock) if waited < patience => {
                std::thread::sleep(step);
                waited += step;
            }
            Err(TryLockError::WouldBlock) => return,
        }
    };
    let _ = out.writer.flush();
}

/// `display`/`println`/`print`: arguments separated by one space.
fn emit(args: &[Value], quote_strings: bool, newline: bool) -> Result<Value> {
    write_stdout(&joined(args, quote_strings, newline))?;
    Ok(Value::Nil)
}

/// The arguments' display (or repr) forms separated by one space.
pub fn joined(args: &[Value], quote_strings: bool, newline: bool) -> String {
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
    text
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

//! Running a builtin whose library may panic on hostile input (pdf-extract does on some
//! malformed PDFs) in a child process, so the panic ends the child and the program gets
//! a catchable error. Release builds abort on a panic (`panic = "abort"`), so a panic
//! cannot be caught in-process there.
//!
//! The child is this same executable (a `semarun`, a `semac`, or an executable built on
//! one), started with `SEMA_QUARANTINE=OPERATION` and the argument as its only argument;
//! its `main` calls [`serve`] before anything else. It writes the result to stdout in a
//! small tagged encoding and exits. Its stderr is discarded (a panic report there would
//! only confuse the program's own output).

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use crate::error::{Error, ErrorKind, Result};
use crate::value::Value;

const WORKER_ENV: &str = "SEMA_QUARANTINE";

/// Most bytes a child's answer may have.
const MAX_ANSWER: u64 = 600 << 20;

/// In a child started by [`call`]: runs `operation` on the argument with `run` and
/// exits. Returns (doing nothing) in any other process.
pub fn serve(run: fn(&str, &str) -> Result<Value>) {
    let Some(operation) = std::env::var_os(WORKER_ENV) else { return };
    let operation = operation.to_string_lossy().into_owned();
    let argument = std::env::args_os().nth(1).map(|a| a.to_string_lossy().into_owned()).unwrap_or_default();
    let mut answer = Vec::new();
    match run(&operation, &argument) {
        Ok(value) => {
            answer.push(b'V');
            encode(&value, &mut answer);
        }
        Err(err) => {
            answer.push(if matches!(err.kind(), ErrorKind::Io) { b'I' } else { b'E' });
            answer.extend_from_slice(err.message().as_bytes());
        }
    }
    let mut out = std::io::stdout().lock();
    let written = out.write_all(&answer).and_then(|()| out.flush());
    std::process::exit(if written.is_ok() { 0 } else { 1 });
}

/// Runs `operation` on `argument` in a child process. `failed` makes the error for a
/// child that ended without an answer (it panicked, or was killed).
pub fn call(operation: &str, argument: &str, failed: impl FnOnce() -> Error) -> Result<Value> {
    let exe = std::env::current_exe().map_err(|e| Error::eval(format!("{operation}: cannot start a worker: {e}")))?;
    let mut child = Command::new(exe)
        .env(WORKER_ENV, operation)
        .arg(argument)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::eval(format!("{operation}: cannot start a worker: {e}")))?;
    let mut answer = Vec::new();
    let read = child.stdout.take().map(|out| out.take(MAX_ANSWER).read_to_end(&mut answer));
    let status = child.wait().map_err(|e| Error::eval(format!("{operation}: worker: {e}")))?;
    if !status.success() || !matches!(read, Some(Ok(_))) {
        return Err(failed());
    }
    match answer.split_first() {
        Some((b'V', rest)) => decode(&mut &rest[..]).ok_or_else(failed),
        Some((b'I', message)) => Err(Error::io(String::from_utf8_lossy(message).into_owned())),
        Some((b'E', message)) => Err(Error::eval(String::from_utf8_lossy(message).into_owned())),
        _ => Err(failed()),
    }
}

/// Strings, integers, lists and keyword maps (what the quarantined builtins return).
fn encode(value: &Value, out: &mut Vec<u8>) {
    let text = |tag: u8, bytes: &[u8], out: &mut Vec<u8>| {
        out.push(tag);
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(bytes);
    };
    match value {
        Value::Int(n) => {
            out.push(b'i');
            out.extend_from_slice(&n.to_le_bytes());
        }
        Value::Keyword(k) => text(b'k', k.name().as_bytes(), out),
        Value::List(_) | Value::Vector(_) => {
            let items = value.seq_items().unwrap_or_default();
            out.push(b'l');
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            items.iter().for_each(|item| encode(item, out));
        }
        Value::Map(map) => {
            out.push(b'm');
            out.extend_from_slice(&(map.len() as u64).to_le_bytes());
            for (key, item) in map.iter() {
                encode(key, out);
                encode(item, out);
            }
        }
        other => match other.expect_str() {
            Ok(s) => text(b's', s.as_bytes(), out),
            Err(_) => out.push(b'n'),
        },
    }
}

fn decode(input: &mut &[u8]) -> Option<Value> {
    let (&tag, rest) = input.split_first()?;
    *input = rest;
    let u64_field = |input: &mut &[u8]| -> Option<u64> {
        let (bytes, rest) = input.split_at_checked(8)?;
        *input = rest;
        Some(u64::from_le_bytes(bytes.try_into().ok()?))
    };
    match tag {
        b'n' => Some(Value::Nil),
        b'i' => Some(Value::Int(u64_field(input)? as i64)),
        b's' | b'k' => {
            let len = usize::try_from(u64_field(input)?).ok()?;
            let (bytes, rest) = input.split_at_checked(len)?;
            *input = rest;
            let text = String::from_utf8_lossy(bytes).into_owned();
            Some(if tag == b's' { Value::str(text) } else { Value::keyword(&text) })
        }
        b'l' => {
            let count = u64_field(input)?;
            let mut items = Vec::new();
            for _ in 0..count {
                items.push(decode(input)?);
            }
            Some(Value::list(items))
        }
        b'm' => {
            let count = u64_field(input)?;
            let mut entries = Vec::new();
            for _ in 0..count {
                entries.push((decode(input)?, decode(input)?));
            }
            Some(Value::map(entries))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::repr;

    #[test]
    fn answers_round_trip() {
        let value = Value::keyword_map([("title", Value::str("T")), ("pages", Value::Int(3))]);
        let list = Value::str_list(vec!["a".to_string(), "ü".to_string()]);
        for value in [value, list, Value::Int(-5), Value::str("text")] {
            let mut bytes = Vec::new();
            encode(&value, &mut bytes);
            assert_eq!(repr(&decode(&mut &bytes[..]).unwrap()), repr(&value));
        }
        assert!(decode(&mut &b"s\xff\xff\xff\xff\xff\xff\xff\xffx"[..]).is_none());
        assert!(decode(&mut &b"l\x05\0\0\0\0\0\0\0"[..]).is_none());
    }
}

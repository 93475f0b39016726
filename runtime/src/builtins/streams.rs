//! Byte streams (`stream/*`, `*stdin*`, `*stdout*`, `*stderr*`): in-memory buffers,
//! read-only strings, files opened for reading or writing, and the standard streams.
//! A stream is a `Value::Resource`; `with-stream`/`with-open` (compiler prelude) close
//! one on every path. A closed stream refuses reads, writes and flushes; closing
//! twice is harmless.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::rc::Rc;

use super::io::{flush_stdout, write_stdout};
use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::value::{Resource, Value};

pub static BUILTINS: &[Builtin] = &[
    pure("stream?", 1, Some(1), |a| Ok(Value::Bool(as_stream(&a[0]).is_some()))),
    pure("stream/read", 2, Some(2), read),
    pure("stream/write", 2, Some(2), |a| {
        let n = stream(&a[0])?.write(a[1].expect_bytes()?)?;
        Ok(Value::Int(n as i64))
    }),
    pure("stream/read-byte", 1, Some(1), |a| {
        let mut byte = [0u8];
        let n = stream(&a[0])?.read(&mut byte)?;
        Ok(if n == 0 { Value::Nil } else { Value::Int(byte[0] as i64) })
    }),
    pure("stream/write-byte", 2, Some(2), |a| {
        let s = stream(&a[0])?;
        let b = a[1].expect_int()?;
        let byte = u8::try_from(b).map_err(|_| Error::eval(format!("stream/write-byte: value {b} out of range 0..255")))?;
        s.write(&[byte])?;
        Ok(Value::Nil)
    }),
    pure("stream/write-string", 2, Some(2), |a| {
        let s = stream(&a[0])?;
        let n = s.write(a[1].expect_str()?.as_bytes())?;
        Ok(Value::Int(n as i64))
    }),
    pure("stream/available?", 1, Some(1), |a| Ok(Value::Bool(stream(&a[0])?.available()))),
    pure("stream/close", 1, Some(1), |a| stream(&a[0])?.close().map(|_| Value::Nil)),
    pure("stream/flush", 1, Some(1), |a| stream(&a[0])?.flush().map(|_| Value::Nil)),
    pure("stream/readable?", 1, Some(1), |a| {
        let s = stream(&a[0])?;
        Ok(Value::Bool(!s.closed.get() && !matches!(s.kind, Kind::FileOut(_) | Kind::Stdout | Kind::Stderr)))
    }),
    pure("stream/writable?", 1, Some(1), |a| {
        let s = stream(&a[0])?;
        Ok(Value::Bool(!s.closed.get() && matches!(s.kind, Kind::Buffer { .. } | Kind::FileOut(_) | Kind::Stdout | Kind::Stderr)))
    }),
    pure("stream/type", 1, Some(1), |a| Ok(Value::str(stream(&a[0])?.kind_name()))),
    pure("stream/byte-buffer", 0, Some(0), |_| Ok(new_stream(Kind::Buffer { data: RefCell::new(Vec::new()), pos: Cell::new(0) }))),
    pure("stream/from-string", 1, Some(1), |a| {
        let text = a[0].expect_str()?;
        Ok(new_stream(Kind::Text { data: text.as_bytes().to_vec(), pos: Cell::new(0) }))
    }),
    pure("stream/from-bytes", 1, Some(1), |a| {
        let bytes = a[0].expect_bytes()?;
        Ok(new_stream(Kind::Buffer { data: RefCell::new(bytes.to_vec()), pos: Cell::new(0) }))
    }),
    pure("stream/to-bytes", 1, Some(1), |a| buffer_contents(&a[0], "stream/to-bytes").map(Value::bytes)),
    pure("stream/to-string", 1, Some(1), |a| {
        let bytes = buffer_contents(&a[0], "stream/to-string")?;
        String::from_utf8(bytes)
            .map(Value::str)
            .map_err(|e| Error::eval(format!("stream/to-string: invalid UTF-8: {}", e.utf8_error())))
    }),
    pure("stream/read-all", 1, Some(2), read_all),
    pure("stream/read-line", 1, Some(1), read_line),
    pure("stream/copy", 2, Some(3), copy),
    pure("stream/open-input", 1, Some(1), |a| {
        let path = a[0].expect_str()?;
        let file = File::open(path).map_err(|e| open_error("stream/open-input", path, e))?;
        Ok(new_stream(Kind::FileIn(RefCell::new(BufReader::new(file)))))
    }),
    pure("stream/open-output", 1, Some(1), |a| {
        let path = a[0].expect_str()?;
        let file = File::create(path).map_err(|e| open_error("stream/open-output", path, e))?;
        Ok(new_stream(Kind::FileOut(RefCell::new(Some(BufWriter::new(file))))))
    }),
];

/// The reference's message repeats its error kind here (`Eval error: stream/open-input:
/// PATH: OS-ERROR`); programs may match on it, so it is kept.
fn open_error(op: &str, path: &str, err: std::io::Error) -> Error {
    Error::eval(format!("Eval error: {op}: {path}: {err}"))
}

/// The standard streams, bound as globals.
pub fn constants() -> impl Iterator<Item = (&'static str, Value)> {
    [("*stdin*", Kind::Stdin), ("*stdout*", Kind::Stdout), ("*stderr*", Kind::Stderr)]
        .into_iter()
        .map(|(name, kind)| (name, new_stream(kind)))
}

/// Default and largest byte count `stream/read-all` and `stream/copy` move in one call
/// unless given another maximum.
const AGGREGATE_CAP: usize = 256 * 1024 * 1024;
const CHUNK: usize = 8192;

struct Stream {
    kind: Kind,
    closed: Cell<bool>,
}

enum Kind {
    /// Readable and writable: writes append, reads consume from `pos`.
    Buffer { data: RefCell<Vec<u8>>, pos: Cell<usize> },
    /// A string's UTF-8 bytes, read-only.
    Text { data: Vec<u8>, pos: Cell<usize> },
    FileIn(RefCell<BufReader<File>>),
    /// `None` once closed (the writer was flushed and dropped).
    FileOut(RefCell<Option<BufWriter<File>>>),
    Stdin,
    Stdout,
    Stderr,
}

impl Resource for Stream {
    fn type_name(&self) -> &'static str {
        "stream"
    }

    fn repr(&self) -> String {
        format!("<stream:{}>", self.kind_name())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn new_stream(kind: Kind) -> Value {
    Value::Resource(Rc::new(Box::new(Stream { kind, closed: Cell::new(false) })))
}

fn as_stream(v: &Value) -> Option<&Stream> {
    match v {
        Value::Resource(r) => r.as_any().downcast_ref::<Stream>(),
        _ => None,
    }
}

fn stream(v: &Value) -> Result<&Stream> {
    as_stream(v).ok_or_else(|| Error::type_error("stream", v))
}

/// Reads from the in-memory bytes `data` at `pos` into `buf`.
fn read_at(data: &[u8], pos: &Cell<usize>, buf: &mut [u8]) -> usize {
    let start = pos.get().min(data.len());
    let n = buf.len().min(data.len() - start);
    buf[..n].copy_from_slice(&data[start..start + n]);
    pos.set(start + n);
    n
}

impl Stream {
    fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Buffer { .. } => "byte-buffer",
            Kind::Text { .. } => "string",
            Kind::FileIn(_) => "file-input",
            Kind::FileOut(_) => "file-output",
            Kind::Stdin => "stdin",
            Kind::Stdout => "stdout",
            Kind::Stderr => "stderr",
        }
    }

    /// Up to `buf.len()` bytes; 0 at the end.
    fn read(&self, buf: &mut [u8]) -> Result<usize> {
        if self.closed.get() {
            return Err(Error::eval("stream/read: stream is closed"));
        }
        let io = |e: std::io::Error| Error::eval(format!("stream/read: I/O error: {e}"));
        match &self.kind {
            Kind::Buffer { data, pos } => Ok(read_at(&data.borrow(), pos, buf)),
            Kind::Text { data, pos } => Ok(read_at(data, pos, buf)),
            Kind::FileIn(reader) => reader.borrow_mut().read(buf).map_err(io),
            Kind::Stdin => {
                flush_stdout();
                std::io::stdin().lock().read(buf).map_err(io)
            }
            Kind::FileOut(_) => Err(Error::eval("stream/read: stream is write-only (file-output stream)")),
            Kind::Stdout => Err(Error::eval("stream/read: *stdout* is write-only")),
            Kind::Stderr => Err(Error::eval("stream/read: *stderr* is write-only")),
        }
    }

    fn write(&self, bytes: &[u8]) -> Result<usize> {
        if self.closed.get() {
            return Err(Error::eval("stream/write: stream is closed"));
        }
        match &self.kind {
            Kind::Buffer { data, .. } => data.borrow_mut().extend_from_slice(bytes),
            Kind::FileOut(writer) => match writer.borrow_mut().as_mut() {
                Some(w) => w.write_all(bytes).map_err(|e| Error::eval(format!("stream/write: I/O error: {e}")))?,
                None => return Err(Error::eval("stream/write: file stream is closed")),
            },
            Kind::Stdout => write_stdout(&String::from_utf8_lossy(bytes))?,
            Kind::Stderr => {
                flush_stdout();
                let _ = std::io::stderr().write_all(String::from_utf8_lossy(bytes).as_bytes());
            }
            Kind::Text { .. } => return Err(Error::eval("stream/write: stream is read-only (string stream)")),
            Kind::FileIn(_) => return Err(Error::eval("stream/write: stream is read-only (file-input stream)")),
            Kind::Stdin => return Err(Error::eval("stream/write: *stdin* is read-only")),
        }
        Ok(bytes.len())
    }

    fn flush(&self) -> Result<()> {
        if self.closed.get() {
            return Err(Error::eval("stream/flush: stream is closed"));
        }
        match &self.kind {
            Kind::FileOut(writer) => match writer.borrow_mut().as_mut() {
                Some(w) => w.flush().map_err(|e| Error::eval(format!("stream/flush: I/O error: {e}"))),
                None => Ok(()),
            },
            Kind::Stdout => {
                flush_stdout();
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn close(&self) -> Result<()> {
        if self.closed.get() {
            return Ok(());
        }
        if let Kind::FileOut(writer) = &self.kind {
            if let Some(mut w) = writer.borrow_mut().take() {
                w.flush().map_err(|e| Error::eval(format!("stream/close: I/O error: {e}")))?;
            }
        }
        self.closed.set(true);
        Ok(())
    }

    /// Whether bytes can be read without waiting: unread in-memory bytes, or bytes a
    /// file stream already holds in its buffer.
    fn available(&self) -> bool {
        if self.closed.get() {
            return false;
        }
        match &self.kind {
            Kind::Buffer { data, pos } => pos.get() < data.borrow().len(),
            Kind::Text { data, pos } => pos.get() < data.len(),
            Kind::FileIn(reader) => !reader.borrow().buffer().is_empty(),
            _ => false,
        }
    }
}

fn read(args: &[Value]) -> Result<Value> {
    let s = stream(&args[0])?;
    let n = args[1].expect_int()?;
    if n < 0 {
        return Err(Error::eval(format!("stream/read: count must be non-negative, got {n}")));
    }
    // One read, as large as asked but never allocating more than a chunk ahead.
    let mut out = Vec::new();
    let mut buf = vec![0u8; (n as usize).min(CHUNK)];
    while out.len() < n as usize {
        let want = (n as usize - out.len()).min(buf.len());
        let got = s.read(&mut buf[..want])?;
        out.extend_from_slice(&buf[..got]);
        if got < want || matches!(s.kind, Kind::FileIn(_) | Kind::Stdin) {
            break;
        }
    }
    Ok(Value::bytes(out))
}

/// The optional maximum byte count at `args[i]`.
fn cap_arg(args: &[Value], i: usize, op: &str) -> Result<usize> {
    let Some(v) = args.get(i) else { return Ok(AGGREGATE_CAP) };
    let Some(cap) = v.as_int() else { return Err(Error::type_error("non-negative integer", v)) };
    usize::try_from(cap).map_err(|_| {
        Error::eval(format!("{op}: max-bytes must be a non-negative integer representable on this platform, got {cap}"))
    })
}

fn cap_error(op: &str, cap: usize) -> Error {
    Error::eval(format!("{op}: input exceeds the configured {cap}-byte cap"))
}

/// Reads `src` to its end in chunks, handing each to `sink`; more than `cap` bytes
/// in all is an error (detected by reading one byte past the cap).
fn drain(src: &Stream, cap: usize, op: &str, mut sink: impl FnMut(&[u8]) -> Result<()>) -> Result<usize> {
    let mut total = 0usize;
    let mut buf = [0u8; CHUNK];
    loop {
        let want = CHUNK.min(cap.saturating_sub(total).saturating_add(1));
        let n = src.read(&mut buf[..want])?;
        if n == 0 {
            return Ok(total);
        }
        if n > cap - total {
            return Err(cap_error(op, cap));
        }
        sink(&buf[..n])?;
        total += n;
    }
}

fn read_all(args: &[Value]) -> Result<Value> {
    let s = stream(&args[0])?;
    let cap = cap_arg(args, 1, "stream/read-all")?;
    let mut out = Vec::new();
    drain(s, cap, "stream/read-all", |chunk| {
        out.extend_from_slice(chunk);
        Ok(())
    })?;
    Ok(Value::bytes(out))
}

fn copy(args: &[Value]) -> Result<Value> {
    let src = stream(&args[0])?;
    let dst = stream(&args[1])?;
    let cap = cap_arg(args, 2, "stream/copy")?;
    let total = drain(src, cap, "stream/copy", |chunk| dst.write(chunk).map(|_| ()))?;
    Ok(Value::Int(total as i64))
}

/// The next line without its `\n` (and a `\r` before it); nil at the end.
fn read_line(args: &[Value]) -> Result<Value> {
    let s = stream(&args[0])?;
    let mut line = Vec::new();
    let at_end = match &s.kind {
        // Buffered readers find the newline a buffer at a time.
        Kind::FileIn(_) if s.closed.get() => return Err(Error::eval("stream/read-line: stream is closed")),
        Kind::FileIn(reader) => {
            let n = reader.borrow_mut().read_until(b'\n', &mut line);
            n.map_err(|e| Error::eval(format!("stream/read: I/O error: {e}")))? == 0
        }
        _ => {
            let mut byte = [0u8];
            loop {
                if s.read(&mut byte)? == 0 {
                    break line.is_empty();
                }
                line.push(byte[0]);
                if byte[0] == b'\n' {
                    break false;
                }
            }
        }
    };
    if at_end {
        return Ok(Value::Nil);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Value::str)
        .map_err(|e| Error::eval(format!("stream/read-line: invalid UTF-8: {}", e.utf8_error())))
}

/// All bytes ever written to a byte-buffer stream (reads do not consume them).
fn buffer_contents(v: &Value, op: &str) -> Result<Vec<u8>> {
    let s = stream(v)?;
    match &s.kind {
        Kind::Buffer { data, .. } => Ok(data.borrow().clone()),
        _ => Err(Error::eval(format!("{op}: expected byte-buffer stream, got {} stream", s.kind_name()))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::call;
    use super::*;

    #[test]
    fn buffer_round_trip() {
        let b = call_value("stream/byte-buffer", &[]);
        assert_eq!(call("stream/write-string", &[b.clone(), Value::str("ab\ncd")]), "5");
        assert_eq!(call("stream/read-line", &[b.clone()]), "\"ab\"");
        assert_eq!(call("stream/read-byte", &[b.clone()]), "99");
        assert_eq!(call("stream/read-all", &[b.clone()]), "#u8(100)");
        assert_eq!(call("stream/read-line", &[b.clone()]), "nil");
        assert_eq!(call("stream/to-string", &[b.clone()]), "\"ab\\ncd\"");
        assert_eq!(call("stream/close", &[b.clone()]), "nil");
        assert_eq!(call("stream/read-byte", &[b]), "ERR Eval error: stream/read: stream is closed");
    }

    #[test]
    fn caps_and_kinds() {
        let s = call_value("stream/from-string", &[Value::str("hello")]);
        assert_eq!(call("stream/read-all", &[s.clone(), Value::Int(3)]), "ERR Eval error: stream/read-all: input exceeds the configured 3-byte cap");
        assert_eq!(call("stream/to-bytes", &[s.clone()]), "ERR Eval error: stream/to-bytes: expected byte-buffer stream, got string stream");
        assert_eq!(call("stream/write-byte", &[s, Value::Int(1)]), "ERR Eval error: stream/write: stream is read-only (string stream)");
        assert_eq!(call("stream/read", &[Value::Int(1), Value::Int(1)]), "ERR Type error: expected stream, got int");
    }

    fn call_value(name: &str, args: &[Value]) -> Value {
        let Some(Builtin { func: crate::builtins::NativeFn::Pure(f), .. }) = crate::builtins::find(name) else { panic!() };
        f(args).unwrap()
    }
}

//! Files, stdin, the clock, random numbers and process control (LANGUAGE.md §12.8,
//! §12.9, §12.10, `math/random*` of §7.2).
//!
//! File errors are `:io` errors whose message is `OP PATH: OS-ERROR`, the OS text being
//! Rust's `io::Error` display (`file/read nope.txt: No such file or directory (os error 2)`).
//! `file/read` and `file/write` refuse pipes, sockets and devices (files.rs).
//!
//! `file/fold-lines` is the hot loop of the 1BRC benchmark. It reads through a 256 KiB
//! buffer, builds each line's string straight from that buffer when the line lies
//! inside it, and moves the accumulator into each call, so that a map threaded through
//! the fold is never shared and its copy-on-write updates stay in place.

use std::cell::Cell;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::files::admit_regular;
use super::io::flush_stdout;
use super::{pure, with_vm, Builtin};
use crate::assets;
use crate::error::{Error, Result};
use crate::num;
use crate::printer::write_display;
use crate::value::Value;
use crate::vm::Vm;

pub static BUILTINS: &[Builtin] = &[
    with_vm("sys/args", 0, Some(0), |vm, _| Ok(Value::list(vm.args.iter().map(Value::str).collect()))),
    pure("exit", 0, Some(1), exit),
    pure("time-ms", 0, Some(0), |_| Ok(Value::Int(epoch_millis()))),
    pure("sys/elapsed", 0, Some(0), |_| Ok(Value::Int(elapsed_nanos()))),
    pure("math/random", 0, Some(0), |_| Ok(Value::Float(random_float()))),
    pure("math/random-int", 2, Some(2), |a| random_int(&a[0], &a[1])),
    pure("read-line", 0, Some(0), |_| read_line()),
    pure("file/read", 1, Some(1), |a| file_read(&a[0])),
    pure("file/write", 2, Some(2), |a| file_write("file/write", &a[0], &a[1], false)),
    pure("file/append", 2, Some(2), |a| file_write("file/append", &a[0], &a[1], true)),
    pure("file/read-lines", 1, Some(1), |a| read_lines(&a[0])),
    pure("file/write-lines", 2, Some(2), |a| write_lines(&a[0], &a[1])),
    pure("file/exists?", 1, Some(1), file_exists),
    pure("file/delete", 1, Some(1), |a| file_delete(&a[0])),
    with_vm("file/fold-lines", 3, Some(3), |vm, a| fold_lines(vm, "file/fold-lines", a, LineKind::Text)),
    with_vm("file/fold-lines-bytes", 3, Some(3), |vm, a| fold_lines(vm, "file/fold-lines-bytes", a, LineKind::Bytes)),
    with_vm("file/for-each-line", 2, Some(2), for_each_line),
];

pub(super) fn path_arg(v: &Value) -> Result<&str> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(Error::type_error("string", other)),
    }
}

/// The `:io` error `OP PATH: OS-ERROR`.
pub(crate) fn io_error(op: &str, path: &str, err: std::io::Error) -> Error {
    Error::io(format!("{op} {path}: {err}"))
}

// ---------------------------------------------------------------------------------------
// Process and clock

/// `(exit [status])`: integer status, a float truncated toward zero; default 0.
fn exit(args: &[Value]) -> Result<Value> {
    let code = match args.first() {
        None => 0,
        Some(Value::Int(i)) => *i as i32,
        Some(n @ (Value::Float(_) | Value::BigInt(_) | Value::Rational(_))) => {
            num::to_f64(n).unwrap_or(0.0) as i64 as i32
        }
        Some(other) => return Err(Error::type_error("integer", other)),
    };
    flush_stdout();
    std::process::exit(code)
}

pub(super) fn epoch_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

static START: OnceLock<Instant> = OnceLock::new();

/// Fixes the instant `sys/elapsed` counts from. Call it when the VM starts; if it was
/// never called, the first `sys/elapsed` starts the clock.
pub fn start_clock() {
    START.get_or_init(Instant::now);
}

fn elapsed_nanos() -> i64 {
    START.get_or_init(Instant::now).elapsed().as_nanos() as i64
}

// ---------------------------------------------------------------------------------------
// Random numbers: SplitMix64, seeded from the clock once per thread. Not for
// cryptography; programs only need uniform, unpredictable-enough values.

thread_local! {
    static RNG_STATE: Cell<u64> = Cell::new(initial_seed());
}

fn initial_seed() -> u64 {
    let wall = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let local = 0u8;
    let address = &local as *const u8 as u64;
    wall ^ address.rotate_left(32) ^ u64::from(std::process::id()).rotate_left(16)
}

fn next_random() -> u64 {
    RNG_STATE.with(|state| {
        let s = state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        state.set(s);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

/// Uniform in [0, 1): the top 53 bits as a fraction.
fn random_float() -> f64 {
    (next_random() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform in `0..span` for `1 <= span <= 2^64`, without modulo bias (Lemire's method).
fn random_below(span: u128) -> u64 {
    if span > u64::MAX as u128 {
        return next_random();
    }
    let span = span as u64;
    let threshold = span.wrapping_neg() % span;
    loop {
        let product = next_random() as u128 * span as u128;
        if product as u64 >= threshold {
            return (product >> 64) as u64;
        }
    }
}

/// `(math/random-int lo hi)`, inclusive at both ends.
fn random_int(lo: &Value, hi: &Value) -> Result<Value> {
    let int = |v: &Value| match v {
        Value::Int(i) => Ok(*i),
        other => Err(Error::type_error("int", other)),
    };
    let (lo, hi) = (int(lo)?, int(hi)?);
    if lo > hi {
        return Err(Error::eval(format!("math/random-int: lower bound {lo} is above upper bound {hi}")));
    }
    let span = (hi as i128 - lo as i128 + 1) as u128;
    Ok(Value::Int((lo as i128 + random_below(span) as i128) as i64))
}

// ---------------------------------------------------------------------------------------
// stdin

/// `(read-line)`: the next stdin line without its `\n` (and a `\r` before it); nil at EOF.
pub(super) fn read_line() -> Result<Value> {
    flush_stdout();
    let mut line = String::new();
    let n = std::io::stdin().lock().read_line(&mut line).map_err(|e| Error::io(format!("read-line: {e}")))?;
    if n == 0 {
        super::console::mark_stdin_eof();
        return Ok(Value::Nil);
    }
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    Ok(Value::str(line))
}

// ---------------------------------------------------------------------------------------
// Whole files

fn file_read(path: &Value) -> Result<Value> {
    let path = path_arg(path)?;
    if let Some(bytes) = assets::file(path) {
        let invalid = || std::io::Error::new(ErrorKind::InvalidData, "stream did not contain valid UTF-8");
        return std::str::from_utf8(bytes).map(Value::str).map_err(|_| io_error("file/read", path, invalid()));
    }
    admit_regular("file/read", path)?;
    std::fs::read_to_string(path).map(Value::str).map_err(|e| io_error("file/read", path, e))
}

fn file_exists(args: &[Value]) -> Result<Value> {
    let path = path_arg(&args[0])?;
    Ok(Value::Bool(assets::exists(path) || std::path::Path::new(path).exists()))
}

/// `file/write` (create or truncate) and `file/append` (create if needed).
fn file_write(op: &str, path: &Value, content: &Value, append: bool) -> Result<Value> {
    let path = path_arg(path)?;
    let content = match content {
        Value::Str(s) => s,
        other => return Err(Error::type_error("string", other)),
    };
    if !append {
        admit_regular(op, path)?;
    }
    write_file(op, path, content.as_bytes(), append)?;
    Ok(Value::Nil)
}

fn write_file(op: &str, path: &str, bytes: &[u8], append: bool) -> Result<()> {
    let mut options = OpenOptions::new();
    if append {
        options.append(true).create(true);
    } else {
        options.write(true).create(true).truncate(true);
    }
    options.open(path).and_then(|mut f| f.write_all(bytes)).map_err(|e| io_error(op, path, e))
}

/// `(file/write-lines path lines)`: lines joined by `\n`, no trailing newline; string
/// lines raw, anything else in repr.
fn write_lines(path: &Value, lines: &Value) -> Result<Value> {
    let path = path_arg(path)?;
    let items: Box<dyn Iterator<Item = &Value>> = match lines {
        Value::List(l) => Box::new(l.iter()),
        Value::Vector(v) => Box::new(v.iter()),
        other => return Err(Error::type_error("list or vector", other)),
    };
    let mut text = String::new();
    for (i, line) in items.enumerate() {
        if i > 0 {
            text.push('\n');
        }
        write_display(&mut text, line);
    }
    write_file("file/write-lines", path, text.as_bytes(), false)?;
    Ok(Value::Nil)
}

fn file_delete(path: &Value) -> Result<Value> {
    let path = path_arg(path)?;
    std::fs::remove_file(path).map_err(|e| io_error("file/delete", path, e))?;
    Ok(Value::Nil)
}

// ---------------------------------------------------------------------------------------
// Line streaming

/// Longest line the line readers accept, in bytes (without the line ending).
const MAX_LINE: usize = 256 * 1024;
const READ_BUFFER: usize = 256 * 1024;

/// Splits a file into lines: on `\n`, removing one `\r` before it; a last line without
/// `\n` is delivered as is; a final `\n` does not start another line.
struct LineReader<R> {
    reader: BufReader<R>,
    /// Bytes of a line that spans buffer refills.
    pending: Vec<u8>,
    op: &'static str,
    path: String,
    line_number: u64,
}

impl<R: Read> LineReader<R> {
    fn new(source: R, op: &'static str, path: &str) -> Self {
        LineReader {
            reader: BufReader::with_capacity(READ_BUFFER, source),
            pending: Vec::new(),
            op,
            path: path.to_string(),
            line_number: 0,
        }
    }

    fn too_long(&self) -> Error {
        Error::io(format!("{} {}: line {} is longer than {MAX_LINE} bytes", self.op, self.path, self.line_number + 1))
    }

    /// Passes the next line's bytes to `make` and returns what it built; `None` at end
    /// of file. `make` also gets the 1-based line number, for its error messages.
    fn next_line<T>(&mut self, make: impl FnOnce(&[u8], u64) -> Result<T>) -> Result<Option<T>> {
        self.pending.clear();
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_error(self.op, &self.path, e)),
            };
            if chunk.is_empty() {
                if self.pending.is_empty() {
                    return Ok(None);
                }
                self.line_number += 1;
                return make(&self.pending, self.line_number).map(Some);
            }
            match memchr::memchr(b'\n', chunk) {
                Some(end) => {
                    if self.pending.len() + end > MAX_LINE {
                        return Err(self.too_long());
                    }
                    self.line_number += 1;
                    let built = if self.pending.is_empty() {
                        make(strip_cr(&chunk[..end]), self.line_number)
                    } else {
                        self.pending.extend_from_slice(&chunk[..end]);
                        make(strip_cr(&self.pending), self.line_number)
                    };
                    self.reader.consume(end + 1);
                    return built.map(Some);
                }
                None => {
                    let n = chunk.len();
                    self.pending.extend_from_slice(chunk);
                    self.reader.consume(n);
                    if self.pending.len() > MAX_LINE {
                        return Err(self.too_long());
                    }
                }
            }
        }
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[derive(Clone, Copy)]
enum LineKind {
    /// Strings; invalid UTF-8 is an error.
    Text,
    /// Bytevectors, no decoding.
    Bytes,
}

/// Where lines come from: an embedded asset (`semac --include`) or a file.
enum LineSource {
    Asset(&'static [u8]),
    Disk(File),
}

impl Read for LineSource {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            LineSource::Asset(bytes) => bytes.read(buf),
            LineSource::Disk(file) => file.read(buf),
        }
    }
}

fn open_lines(op: &'static str, path: &str) -> Result<LineReader<LineSource>> {
    let source = match assets::file(path) {
        Some(bytes) => LineSource::Asset(bytes),
        None => LineSource::Disk(File::open(path).map_err(|e| io_error(op, path, e))?),
    };
    Ok(LineReader::new(source, op, path))
}

fn make_line(kind: LineKind, op: &str, path: &str, bytes: &[u8], number: u64) -> Result<Value> {
    match kind {
        // Most lines are ASCII, which `is_ascii` checks word by word, cheaper than
        // the general decoder on a short line.
        // SAFETY: ASCII bytes are valid UTF-8.
        LineKind::Text if bytes.is_ascii() => Ok(Value::str(unsafe { std::str::from_utf8_unchecked(bytes) })),
        LineKind::Text => match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Value::str(text)),
            Err(_) => Err(Error::io(format!("{op} {path}: line {number} is not valid UTF-8"))),
        },
        LineKind::Bytes => Ok(Value::Bytevector(Rc::new(bytes.to_vec()))),
    }
}

/// `(file/fold-lines path f init)`: `(f acc line)` for each line, returning the final acc.
fn fold_lines(vm: &mut Vm, op: &'static str, args: &[Value], kind: LineKind) -> Result<Value> {
    let path = path_arg(&args[0])?;
    let f = &args[1];
    let mut acc = args[2].clone();
    let mut lines = open_lines(op, path)?;
    while let Some(line) = lines.next_line(|bytes, n| make_line(kind, op, path, bytes, n))? {
        // Moving acc out leaves the call the only holder of the accumulator.
        acc = vm.call_owned(f, [std::mem::take(&mut acc), line])?;
    }
    Ok(acc)
}

/// `(file/for-each-line path f)`: `(f line)` for each line; returns nil.
fn for_each_line(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    const OP: &str = "file/for-each-line";
    let path = path_arg(&args[0])?;
    let mut lines = open_lines(OP, path)?;
    while let Some(line) = lines.next_line(|bytes, n| make_line(LineKind::Text, OP, path, bytes, n))? {
        vm.call(&args[1], &[line])?;
    }
    Ok(Value::Nil)
}

/// `(file/read-lines path)`: the list of lines, split as `file/fold-lines` does.
fn read_lines(path: &Value) -> Result<Value> {
    const OP: &str = "file/read-lines";
    let path = path_arg(path)?;
    let mut lines = open_lines(OP, path)?;
    let mut items = Vec::new();
    while let Some(line) = lines.next_line(|bytes, n| make_line(LineKind::Text, OP, path, bytes, n))? {
        items.push(line);
    }
    Ok(Value::list(items))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::printer::repr;
    use crate::program::{FuncProto, Program};

    fn vm() -> Vm {
        let entry = Rc::new(FuncProto {
            name: None,
            trace_name: crate::program::trace_name(None),
            arity: 0,
            rest: false,
            registers: 0,
            captures: Box::new([]),
            code: Box::new([]),
            positions: None,
            file: None,
            unit: crate::program::Unit::empty(),
        });
        let program = Program { unit: entry.unit.clone(), entry };
        Vm::new(program, vec!["semarun".to_string(), "prog.sema".to_string(), "--".to_string(), "x".to_string()])
    }

    /// A scratch file under the target directory's temp area, unique per test.
    fn scratch(name: &str, contents: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sema-system-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn path_value(path: &std::path::Path) -> Value {
        Value::str(path.to_str().unwrap())
    }

    fn show(result: Result<Value>) -> String {
        match result {
            Ok(v) => repr(&v),
            Err(e) => format!("ERR {}", e.report()),
        }
    }

    /// Appends the line to the vector accumulator: `(f acc line)`.
    static PUSH: Builtin = pure("push", 2, Some(2), |a| {
        let Value::Vector(items) = &a[0] else { panic!("acc is not a vector") };
        let mut items = (**items).clone();
        items.push(a[1].clone());
        Ok(Value::vector(items))
    });

    fn fold(contents: &[u8], name: &str, kind: LineKind) -> String {
        let path = scratch(name, contents);
        let args = [path_value(&path), Value::Native(&PUSH), Value::vector(Vec::new())];
        show(fold_lines(&mut vm(), "file/fold-lines", &args, kind))
    }

    #[test]
    fn fold_lines_splits_like_the_spec() {
        let text = LineKind::Text;
        assert_eq!(fold(b"a\nb\n", "f1", text), r#"["a" "b"]"#);
        assert_eq!(fold(b"a\nb", "f2", text), r#"["a" "b"]"#);
        assert_eq!(fold(b"a\r\n\nb\r\n", "f3", text), r#"["a" "" "b"]"#);
        assert_eq!(fold(b"", "f4", text), "[]");
        assert_eq!(fold(b"\n", "f5", text), r#"[""]"#);
        assert_eq!(fold("Berlin;12.3\nAbha;-1.0\n".as_bytes(), "f6", text), r#"["Berlin;12.3" "Abha;-1.0"]"#);
        assert_eq!(fold(b"a\nb", "f7", LineKind::Bytes), "[#u8(97) #u8(98)]");
    }

    #[test]
    fn fold_lines_handles_lines_across_buffer_refills() {
        let long = "x".repeat(READ_BUFFER - 3);
        let contents = format!("ab\n{long}\nlast");
        let path = scratch("refill", contents.as_bytes());
        let args = [path_value(&path), Value::Native(&PUSH), Value::vector(Vec::new())];
        let Value::Vector(items) = fold_lines(&mut vm(), "file/fold-lines", &args, LineKind::Text).unwrap() else {
            panic!("not a vector")
        };
        let lines: Vec<&str> = items.iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(lines, ["ab", long.as_str(), "last"]);
    }

    #[test]
    fn fold_lines_errors() {
        let missing = [Value::str("no/such/file.txt"), Value::Native(&PUSH), Value::vector(Vec::new())];
        assert_eq!(
            show(fold_lines(&mut vm(), "file/fold-lines", &missing, LineKind::Text)),
            "ERR IO error: file/fold-lines no/such/file.txt: No such file or directory (os error 2)"
        );
        let path = scratch("bad-utf8", b"ok\n\xff\xfe\n");
        let args = [path_value(&path), Value::Native(&PUSH), Value::vector(Vec::new())];
        let shown = show(fold_lines(&mut vm(), "file/fold-lines", &args, LineKind::Text));
        assert!(shown.ends_with("bad-utf8: line 2 is not valid UTF-8"), "{shown}");
        let path = scratch("too-long", "y".repeat(MAX_LINE + 1).as_bytes());
        let args = [path_value(&path), Value::Native(&PUSH), Value::vector(Vec::new())];
        let shown = show(fold_lines(&mut vm(), "file/fold-lines", &args, LineKind::Text));
        assert!(shown.ends_with("too-long: line 1 is longer than 262144 bytes"), "{shown}");
    }

    #[test]
    fn whole_file_operations() {
        let path = scratch("whole", b"");
        let p = path_value(&path);
        assert_eq!(show(file_write("file/write", &p, &Value::str("one\n"), false)), "nil");
        assert_eq!(show(file_write("file/append", &p, &Value::str("two"), true)), "nil");
        assert_eq!(show(file_read(&p)), r#""one\ntwo""#);
        assert_eq!(show(read_lines(&p)), r#"("one" "two")"#);
        let lines = Value::list(vec![Value::str("a"), Value::Int(1), Value::str("c")]);
        assert_eq!(show(write_lines(&p, &lines)), "nil");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a\n1\nc");
        assert_eq!(
            show(file_write("file/write", &p, &Value::Int(1), false)),
            "ERR Type error: expected string, got int"
        );
        assert_eq!(show(file_delete(&p)), "nil");
        assert!(!path.exists());
        assert_eq!(
            show(file_read(&Value::str("nope.txt"))),
            "ERR IO error: file/read nope.txt: No such file or directory (os error 2)"
        );
        assert_eq!(
            show(file_delete(&Value::str("nope.txt"))),
            "ERR IO error: file/delete nope.txt: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn args_clock_and_random() {
        let mut vm = vm();
        let args = BUILTINS.iter().find(|b| b.name == "sys/args").unwrap();
        let super::super::NativeFn::Vm(f) = args.func else { panic!() };
        assert_eq!(show(f(&mut vm, &[])), r#"("semarun" "prog.sema" "--" "x")"#);

        assert!(epoch_millis() > 1_600_000_000_000);
        start_clock();
        let a = elapsed_nanos();
        let b = elapsed_nanos();
        assert!(0 <= a && a <= b);

        for _ in 0..1000 {
            let Value::Int(i) = random_int(&Value::Int(-2), &Value::Int(3)).unwrap() else { panic!() };
            assert!((-2..=3).contains(&i));
            let x = random_float();
            assert!((0.0..1.0).contains(&x));
        }
        assert_eq!(show(random_int(&Value::Int(5), &Value::Int(5))), "5");
        assert!(random_int(&Value::Int(i64::MIN), &Value::Int(i64::MAX)).is_ok());
        assert_eq!(show(random_int(&Value::Float(1.0), &Value::Int(5))), "ERR Type error: expected int, got float");
        assert_eq!(show(exit(&[Value::str("x")])), "ERR Type error: expected integer, got string");
    }
}

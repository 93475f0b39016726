//! The terminal: SGR styling of strings (`term/bold`, `term/style`, `term/rgb`,
//! `term/strip`), control sequences written to stdout (cursor, screen, mouse, paste,
//! focus and kitty-keyboard modes), spinners drawn on stderr by a thread, raw mode,
//! and key reading (`io/read-key`).
//!
//! Keys are read from file descriptor 0 directly, a byte at a time, so that a lone ESC
//! can be told from the start of an escape sequence by a short wait; this bypasses the
//! buffered stdin `read-line` uses, so a program should not mix the two on one input.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::console::flush;
use super::io::{flush_stdout, write_stdout};
use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::value::Value;

macro_rules! style {
    ($name:literal, $code:literal) => {
        pure($name, 1, Some(1), |a| Ok(Value::str(sgr(a[0].expect_str()?, $code))))
    };
}

macro_rules! emit {
    ($name:literal, $seq:literal) => {
        pure($name, 0, Some(0), |_| emit($seq))
    };
}

pub static BUILTINS: &[Builtin] = &[
    style!("term/bold", "1"),
    style!("term/dim", "2"),
    style!("term/italic", "3"),
    style!("term/underline", "4"),
    style!("term/inverse", "7"),
    style!("term/strikethrough", "9"),
    style!("term/black", "30"),
    style!("term/red", "31"),
    style!("term/green", "32"),
    style!("term/yellow", "33"),
    style!("term/blue", "34"),
    style!("term/magenta", "35"),
    style!("term/cyan", "36"),
    style!("term/white", "37"),
    style!("term/gray", "90"),
    pure("term/style", 1, None, style),
    pure("term/rgb", 4, Some(4), rgb),
    pure("term/strip", 1, Some(1), |a| Ok(Value::str(strip_ansi(a[0].expect_str()?)))),
    emit!("term/enter-alt-screen", "\x1b[?1049h"),
    emit!("term/leave-alt-screen", "\x1b[?1049l"),
    emit!("term/clear", "\x1b[2J\x1b[H"),
    emit!("term/clear-line", "\x1b[2K"),
    emit!("term/clear-below", "\x1b[0J"),
    emit!("term/cursor-home", "\x1b[H"),
    emit!("term/hide-cursor", "\x1b[?25l"),
    emit!("term/show-cursor", "\x1b[?25h"),
    emit!("term/save-cursor", "\x1b7"),
    emit!("term/restore-cursor", "\x1b8"),
    emit!("term/enable-mouse", "\x1b[?1000h\x1b[?1002h\x1b[?1006h"),
    emit!("term/disable-mouse", "\x1b[?1000l\x1b[?1002l\x1b[?1006l"),
    emit!("term/disable-kitty-keys!", "\x1b[<u"),
    emit!("term/query-kitty-keys", "\x1b[?u"),
    emit!("term/enable-bracketed-paste", "\x1b[?2004h"),
    emit!("term/disable-bracketed-paste", "\x1b[?2004l"),
    emit!("term/enable-focus-events", "\x1b[?1004h"),
    emit!("term/disable-focus-events", "\x1b[?1004l"),
    emit!("term/query-primary-da", "\x1b[c"),
    emit!("term/query-secondary-da", "\x1b[>c"),
    emit!("term/bell", "\x07"),
    pure("term/enable-kitty-keys!", 0, Some(1), enable_kitty_keys),
    pure("term/move-to", 2, Some(2), |a| emit(&format!("\x1b[{};{}H", coord(&a[0])?, coord(&a[1])?))),
    pure("term/write-at", 3, Some(3), |a| {
        let (row, col, text) = (coord(&a[0])?, coord(&a[1])?, a[2].expect_str()?);
        emit(&format!("\x1b[{row};{col}H{text}"))
    }),
    pure("term/set-title", 1, Some(1), |a| emit(&format!("\x1b]0;{}\x07", a[0].expect_str()?))),
    pure("term/flush", 0, Some(0), |_| flush("term/flush")),
    pure("term/spinner-start", 1, Some(1), spinner_start),
    pure("term/spinner-update", 2, Some(2), spinner_update),
    pure("term/spinner-stop", 1, Some(2), spinner_stop),
    pure("io/tty-raw!", 0, Some(0), |_| tty_raw()),
    pure("io/tty-restore!", 1, Some(1), tty_restore),
    pure("io/read-key", 0, Some(0), |_| read_key(None)),
    pure("io/read-key-timeout", 1, Some(1), |a| {
        let ms = a[0].as_int().ok_or_else(|| Error::type_error("integer", &a[0]))?;
        read_key(Some(Duration::from_millis(ms.max(0) as u64)))
    }),
    pure("term/query-cursor-position", 0, Some(0), |_| {
        EXPECT_CURSOR_REPORT.set(EXPECT_CURSOR_REPORT.get() + 1);
        emit("\x1b[6n")
    }),
    pure("term/cursor-position", 0, Some(0), |_| cursor_position()),
    pure("term/supports-kitty-keys?", 0, Some(0), |_| supports_kitty_keys()),
];

// ---------------------------------------------------------------------------------------
// Styling

fn sgr(text: &str, code: &str) -> String {
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// `(term/style text :bold :red ...)`: one SGR sequence with every style's code.
fn style(args: &[Value]) -> Result<Value> {
    let text = args[0].expect_str()?;
    let mut codes = Vec::new();
    for arg in &args[1..] {
        let name = arg.expect_keyword()?.name();
        let code = match name.as_str() {
            "bold" => "1",
            "dim" => "2",
            "italic" => "3",
            "underline" => "4",
            "inverse" => "7",
            "strikethrough" => "9",
            "black" => "30",
            "red" => "31",
            "green" => "32",
            "yellow" => "33",
            "blue" => "34",
            "magenta" => "35",
            "cyan" => "36",
            "white" => "37",
            "gray" => "90",
            _ => return Err(Error::eval(format!("term/style: unknown style keyword :{name}"))),
        };
        codes.push(code);
    }
    Ok(Value::str(if codes.is_empty() { text.to_string() } else { sgr(text, &codes.join(";")) }))
}

/// `(term/rgb text r g b)`: 24-bit foreground colour.
fn rgb(args: &[Value]) -> Result<Value> {
    let text = args[0].expect_str()?;
    let channel = |v: &Value| v.as_int().ok_or_else(|| Error::type_error("integer", v));
    let (r, g, b) = (channel(&args[1])?, channel(&args[2])?, channel(&args[3])?);
    Ok(Value::str(format!("\x1b[38;2;{r};{g};{b}m{text}\x1b[0m")))
}

/// The text without escape sequences: CSI (`ESC [` ... final byte), OSC (`ESC ]` ...
/// BEL or `ESC \`) and two-character escapes.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for inner in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&inner) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(inner) = chars.next() {
                    if inner == '\x07' {
                        break;
                    }
                    if inner == '\x1b' {
                        chars.next_if_eq(&'\\');
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Control sequences

/// Writes a control sequence to stdout, after the output before it, and flushes.
fn emit(seq: &str) -> Result<Value> {
    write_stdout(seq)?;
    flush("term")
}

/// A 1-based screen coordinate; anything below 1 is 1.
fn coord(v: &Value) -> Result<i64> {
    Ok(v.as_int().ok_or_else(|| Error::type_error("integer", v))?.max(1))
}

/// `(term/enable-kitty-keys! [flags])`: pushes kitty keyboard flags (default 17).
fn enable_kitty_keys(args: &[Value]) -> Result<Value> {
    let flags = match args.first() {
        None => 17,
        Some(v) => v.as_int().ok_or_else(|| Error::type_error("integer", v))?,
    };
    emit(&format!("\x1b[>{flags}u"))
}

// ---------------------------------------------------------------------------------------
// Spinners: a thread redraws `FRAME message` on stderr every 80 ms until stopped.

const SPINNER_FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const SPINNER_INTERVAL: Duration = Duration::from_millis(80);

/// What the program and the drawing thread share.
struct SpinnerShared {
    message: Mutex<String>,
    stopped: Mutex<bool>,
    wake: Condvar,
}

struct Spinner {
    shared: Arc<SpinnerShared>,
    thread: JoinHandle<()>,
}

thread_local! {
    static SPINNERS: RefCell<HashMap<i64, Spinner>> = RefCell::new(HashMap::new());
    static NEXT_SPINNER: Cell<i64> = const { Cell::new(0) };
}

fn spin(shared: &SpinnerShared) {
    for frame in SPINNER_FRAMES.iter().cycle() {
        let message = shared.message.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K{frame} {message}");
        let _ = err.flush();
        drop(err);
        let stopped = shared.stopped.lock().unwrap_or_else(|e| e.into_inner());
        let (stopped, _) =
            shared.wake.wait_timeout_while(stopped, SPINNER_INTERVAL, |s| !*s).unwrap_or_else(|e| e.into_inner());
        if *stopped {
            return;
        }
    }
}

/// `(term/spinner-start message)`: the new spinner's id.
fn spinner_start(args: &[Value]) -> Result<Value> {
    let message = args[0].expect_str()?.to_string();
    let shared =
        Arc::new(SpinnerShared { message: Mutex::new(message), stopped: Mutex::new(false), wake: Condvar::new() });
    let drawing = Arc::clone(&shared);
    flush_stdout();
    let thread = std::thread::Builder::new()
        .name("sema-spinner".to_string())
        .spawn(move || spin(&drawing))
        .map_err(|e| Error::eval(format!("term/spinner-start: failed to spawn render thread: {e}")))?;
    let id = NEXT_SPINNER.get();
    NEXT_SPINNER.set(id.wrapping_add(1));
    SPINNERS.with_borrow_mut(|s| s.insert(id, Spinner { shared, thread }));
    Ok(Value::int(id))
}

/// `(term/spinner-update id message)`; an unknown id is ignored.
fn spinner_update(args: &[Value]) -> Result<Value> {
    let id = args[0].as_int().ok_or_else(|| Error::type_error("integer", &args[0]))?;
    let message = args[1].expect_str()?.to_string();
    SPINNERS.with_borrow(|s| {
        if let Some(spinner) = s.get(&id) {
            *spinner.shared.message.lock().unwrap_or_else(|e| e.into_inner()) = message;
        }
    });
    Ok(Value::Nil)
}

/// `(term/spinner-stop id [{:symbol s :text t}])`: stops and erases the spinner, then
/// prints `symbol text` on its line when either is given.
fn spinner_stop(args: &[Value]) -> Result<Value> {
    let id = args[0].as_int().ok_or_else(|| Error::type_error("integer", &args[0]))?;
    let field = |name| {
        args.get(1).and_then(|o| o.option(name)).and_then(Value::as_str).unwrap_or_default().to_string()
    };
    let (symbol, text) = (field("symbol"), field("text"));
    let Some(spinner) = SPINNERS.with_borrow_mut(|s| s.remove(&id)) else { return Ok(Value::Nil) };
    *spinner.shared.stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
    spinner.shared.wake.notify_all();
    let _ = spinner.thread.join();
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[K");
    if !symbol.is_empty() || !text.is_empty() {
        let _ = writeln!(err, "{symbol} {text}");
    }
    let _ = err.flush();
    Ok(Value::Nil)
}

// ---------------------------------------------------------------------------------------
// Raw mode

thread_local! {
    /// The terminal settings to go back to, by `io/tty-raw!` token.
    static RAW_TOKENS: RefCell<HashMap<i64, libc::termios>> = RefCell::new(HashMap::new());
    static NEXT_TOKEN: Cell<i64> = const { Cell::new(1) };
}

/// The settings before the first `io/tty-raw!`, restored when the process exits so an
/// unrestored raw mode cannot outlive the program.
static ORIGINAL_TERMIOS: Mutex<Option<libc::termios>> = Mutex::new(None);

extern "C" fn restore_original_termios() {
    if let Some(original) = *ORIGINAL_TERMIOS.lock().unwrap_or_else(|e| e.into_inner()) {
        // SAFETY: restores settings tcgetattr produced for this descriptor.
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &original) };
    }
}

/// `(io/tty-raw!)`: puts the terminal on stdin in raw mode and returns a token for
/// `io/tty-restore!`; nil when stdin is not a terminal.
fn tty_raw() -> Result<Value> {
    if !std::io::stdin().is_terminal() {
        return Ok(Value::Nil);
    }
    // SAFETY: termios is plain data that tcgetattr fills in.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut saved) } != 0 {
        return Ok(Value::Nil);
    }
    let mut raw = saved;
    // SAFETY: cfmakeraw edits the struct it is given; tcsetattr reads it.
    let set = unsafe {
        libc::cfmakeraw(&mut raw);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &raw)
    };
    if set != 0 {
        return Err(Error::eval(format!("io/tty-raw!: tcsetattr failed: {}", std::io::Error::last_os_error())));
    }
    let mut original = ORIGINAL_TERMIOS.lock().unwrap_or_else(|e| e.into_inner());
    if original.is_none() {
        *original = Some(saved);
        // SAFETY: registers a handler with the C signature atexit expects.
        unsafe { libc::atexit(restore_original_termios) };
    }
    let token = NEXT_TOKEN.get();
    NEXT_TOKEN.set(token + 1);
    RAW_TOKENS.with_borrow_mut(|t| t.insert(token, saved));
    Ok(Value::int(token))
}

/// `(io/tty-restore! token)`: the settings before that `io/tty-raw!`; a token already
/// used or never given is ignored.
fn tty_restore(args: &[Value]) -> Result<Value> {
    let token = args[0].as_int().ok_or_else(|| Error::type_error("integer", &args[0]))?;
    if let Some(saved) = RAW_TOKENS.with_borrow_mut(|t| t.remove(&token)) {
        // SAFETY: restores settings tcgetattr produced for this descriptor.
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &saved) };
    }
    Ok(Value::Nil)
}

// ---------------------------------------------------------------------------------------
// Keys

/// How long the bytes of one escape sequence may be apart.
const SEQUENCE_GAP: Duration = Duration::from_millis(50);
/// Longest CSI sequence read as one event.
const MAX_CSI: usize = 64;
/// Longest bracketed paste kept; the rest of a longer one is read and dropped.
const MAX_PASTE: usize = 1 << 20;

thread_local! {
    /// Cursor position reports asked for and not yet read: while one is due, `ESC [
    /// row ; col R` is a report, not the modified F3 key it is byte-identical to.
    static EXPECT_CURSOR_REPORT: Cell<u32> = const { Cell::new(0) };
}

/// One byte from fd 0 within `wait` (forever when `None`); `Ok(None)` on timeout or
/// end of input.
fn read_byte(wait: Option<Duration>) -> Result<Option<u8>> {
    if let Some(wait) = wait {
        let mut poll = libc::pollfd { fd: libc::STDIN_FILENO, events: libc::POLLIN, revents: 0 };
        let ms = wait.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd, count 1.
        match unsafe { libc::poll(&mut poll, 1, ms) } {
            0 => return Ok(None),
            n if n < 0 => return Err(Error::io(format!("io/read-key: {}", std::io::Error::last_os_error()))),
            _ => {}
        }
    }
    let mut byte = 0u8;
    loop {
        // SAFETY: reads at most one byte into a one-byte buffer.
        let n = unsafe { libc::read(libc::STDIN_FILENO, (&mut byte as *mut u8).cast(), 1) };
        match n {
            1 => return Ok(Some(byte)),
            0 => return Ok(None),
            _ => {
                let err = std::io::Error::last_os_error();
                if err.kind() != std::io::ErrorKind::Interrupted {
                    return Err(Error::io(format!("io/read-key: {err}")));
                }
            }
        }
    }
}

/// Reads one key event's bytes: a byte, the continuation bytes of a UTF-8 character,
/// or a whole escape sequence (a CSI sequence of at most `MAX_CSI` bytes).
fn read_event(first: u8) -> Result<Vec<u8>> {
    let mut bytes = vec![first];
    let next = || read_byte(Some(SEQUENCE_GAP));
    let utf8_tail = |bytes: &mut Vec<u8>, lead: u8| -> Result<()> {
        let extra = match lead {
            0xc0..=0xdf => 1,
            0xe0..=0xef => 2,
            0xf0..=0xf7 => 3,
            _ => 0,
        };
        for _ in 0..extra {
            let Some(b) = next()? else { break };
            bytes.push(b);
        }
        Ok(())
    };
    if first != 0x1b {
        utf8_tail(&mut bytes, first)?;
        return Ok(bytes);
    }
    let Some(second) = next()? else { return Ok(bytes) };
    bytes.push(second);
    match second {
        b'[' => {
            while bytes.len() < MAX_CSI {
                let Some(b) = next()? else { break };
                bytes.push(b);
                if (0x40..=0x7e).contains(&b) {
                    break;
                }
            }
            if bytes == b"\x1b[200~" {
                read_paste(&mut bytes)?;
            }
        }
        b'O' => bytes.extend(next()?),
        _ => utf8_tail(&mut bytes, second)?,
    }
    Ok(bytes)
}

/// Appends a bracketed paste up to and including its `ESC [ 201 ~` end.
fn read_paste(bytes: &mut Vec<u8>) -> Result<()> {
    const END: &[u8] = b"\x1b[201~";
    let mut tail: Vec<u8> = Vec::new();
    while let Some(b) = read_byte(Some(Duration::from_secs(1)))? {
        tail.push(b);
        if tail.ends_with(END) {
            break;
        }
        if tail.len() > MAX_PASTE + END.len() {
            tail.drain(MAX_PASTE..tail.len() - END.len());
        }
    }
    bytes.extend(tail);
    Ok(())
}

/// `(io/read-key)`: the next key as a map (`{:kind :char :char "a"}`, `{:kind :key
/// :name :up}`, ...); nil at end of input or when `wait` passes without one.
fn read_key(wait: Option<Duration>) -> Result<Value> {
    flush_stdout();
    let Some(first) = read_byte(wait)? else { return Ok(Value::Nil) };
    Ok(decode_key(&read_event(first)?))
}

fn char_key(kind: &str, text: String) -> Value {
    Value::keyword_map(vec![("kind", Value::keyword(kind)), ("char", Value::str(text))])
}

fn named_key(name: &str) -> Value {
    Value::keyword_map(vec![("kind", Value::keyword("key")), ("name", Value::keyword(name))])
}

/// The `:mods` list of an xterm modifier bit set (shift 1, alt 2, ctrl 4, super 8...).
fn modifiers(bits: u32) -> Option<Value> {
    const NAMES: [&str; 8] = ["shift", "alt", "ctrl", "super", "hyper", "meta", "caps-lock", "num-lock"];
    let set = NAMES.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0);
    let mods: Vec<Value> = set.map(|(_, n)| Value::keyword(n)).collect();
    (!mods.is_empty()).then(|| Value::list(mods))
}

fn numbers(text: &[u8], separator: char) -> Vec<u32> {
    String::from_utf8_lossy(text).split(separator).map(|s| s.parse().unwrap_or(0)).collect()
}

/// The key event one sequence of bytes stands for.
pub fn decode_key(bytes: &[u8]) -> Value {
    let first = bytes[0];
    if first != 0x1b {
        return match first {
            0x7f | 0x08 => named_key("backspace"),
            0x09 => named_key("tab"),
            0x0a | 0x0d => named_key("enter"),
            b if b < 0x20 => char_key("ctrl", char::from(b + 0x60).to_string()),
            _ => char_key("char", String::from_utf8_lossy(bytes).into_owned()),
        };
    }
    match bytes.get(1) {
        None => named_key("esc"),
        Some(b'[') => decode_csi(&bytes[2..]),
        Some(b'O') => named_key(match bytes.get(2) {
            Some(b'A') => "up",
            Some(b'B') => "down",
            Some(b'C') => "right",
            Some(b'D') => "left",
            Some(b'H') => "home",
            Some(b'F') => "end",
            Some(b'P') => "f1",
            Some(b'Q') => "f2",
            Some(b'R') => "f3",
            Some(b'S') => "f4",
            _ => "unknown",
        }),
        Some(_) => char_key("alt", String::from_utf8_lossy(&bytes[1..]).into_owned()),
    }
}

/// A CSI sequence's event, `csi` being the bytes after `ESC [`.
fn decode_csi(csi: &[u8]) -> Value {
    let (Some(&head), Some(&last)) = (csi.first(), csi.last()) else { return named_key("esc") };
    let body = &csi[..csi.len() - 1];
    if let Some(paste) = csi.strip_prefix(b"200~") {
        let text = paste.strip_suffix(b"\x1b[201~").unwrap_or(paste);
        let text = Value::str(String::from_utf8_lossy(text));
        return Value::keyword_map(vec![("kind", Value::keyword("paste")), ("text", text)]);
    }
    match (head, last) {
        (b'<', b'M' | b'm') => return decode_mouse(&body[1..], last == b'm'),
        (b'?', b'u') => {
            let flags = Value::int(i64::from(numbers(&body[1..], ';').first().copied().unwrap_or(0)));
            return Value::keyword_map(vec![("kind", Value::keyword("kitty-flags")), ("flags", flags)]);
        }
        (_, b'u') => return decode_kitty(body),
        (b'I' | b'O', _) if csi.len() == 1 => {
            return Value::keyword_map(vec![("kind", Value::keyword("focus")), ("focused", Value::bool(head == b'I'))]);
        }
        (b'?' | b'>', b'c') => {
            let device = if head == b'?' { "primary" } else { "secondary" };
            let params = numbers(&body[1..], ';').into_iter().map(|n| Value::int(i64::from(n))).collect();
            return Value::keyword_map(vec![
                ("kind", Value::keyword("device-attributes")),
                ("device", Value::keyword(device)),
                ("params", Value::list(params)),
            ]);
        }
        (_, b'R') if EXPECT_CURSOR_REPORT.get() > 0 => {
            EXPECT_CURSOR_REPORT.set(EXPECT_CURSOR_REPORT.get() - 1);
            let parts = numbers(body.strip_prefix(b"?").unwrap_or(body), ';');
            let at = |i: usize| Value::int(i64::from(parts.get(i).copied().unwrap_or(0)));
            return Value::keyword_map(vec![("kind", Value::keyword("cpr")), ("row", at(0)), ("col", at(1))]);
        }
        _ => {}
    }
    let mut fields = body.split(|&b| b == b';');
    let number = fields.next().unwrap_or_default();
    let bits = fields.next().map_or(0, |m| numbers(m, ';')[0].saturating_sub(1));
    let name = match last {
        b'A' => "up",
        b'B' => "down",
        b'C' => "right",
        b'D' => "left",
        b'H' => "home",
        b'F' => "end",
        b'Z' => "shift-tab",
        b'P' => "f1",
        b'Q' => "f2",
        b'R' => "f3",
        b'S' => "f4",
        b'~' => match number {
            b"1" | b"7" => "home",
            b"2" => "insert",
            b"3" => "delete",
            b"4" | b"8" => "end",
            b"5" => "page-up",
            b"6" => "page-down",
            b"11" => "f1",
            b"12" => "f2",
            b"13" => "f3",
            b"14" => "f4",
            b"15" => "f5",
            b"17" => "f6",
            b"18" => "f7",
            b"19" => "f8",
            b"20" => "f9",
            b"21" => "f10",
            b"23" => "f11",
            b"24" => "f12",
            _ => "unknown",
        },
        _ => "unknown",
    };
    let mut entries = vec![("kind", Value::keyword("key")), ("name", Value::keyword(name))];
    entries.extend(modifiers(bits).map(|m| ("mods", m)));
    Value::keyword_map(entries)
}

/// An SGR mouse report `button;x;y` (final `m` on release).
fn decode_mouse(body: &[u8], release: bool) -> Value {
    let parts = numbers(body, ';');
    let at = |i: usize| parts.get(i).copied().unwrap_or(0);
    let button = at(0);
    let action = if button & 64 != 0 {
        ["wheel-up", "wheel-down", "wheel-left", "wheel-right"][(button & 3) as usize]
    } else if button & 32 != 0 {
        "move"
    } else if release {
        "release"
    } else {
        "press"
    };
    let bits = (button >> 2) & 1 | ((button >> 3) & 1) << 1 | ((button >> 4) & 1) << 2;
    let mut entries = vec![
        ("kind", Value::keyword("mouse")),
        ("action", Value::keyword(action)),
        ("x", Value::int(i64::from(at(1)))),
        ("y", Value::int(i64::from(at(2)))),
        ("button", Value::int(i64::from(button & 3))),
    ];
    entries.extend(modifiers(bits).map(|m| ("mods", m)));
    Value::keyword_map(entries)
}

/// A kitty keyboard event `code[:shifted[:base]];mods[:event];text`, in the same
/// shapes as legacy keys plus `:mods`, `:event`, `:shifted-key` and `:base-key`.
fn decode_kitty(body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body);
    let mut sections = text.split(';');
    let mut key = sections.next().unwrap_or_default().split(':').map(|s| s.parse::<u32>().ok());
    let mut mods = sections.next().unwrap_or_default().split(':');
    let typed: String = sections
        .next()
        .unwrap_or_default()
        .split(':')
        .filter_map(|c| c.parse().ok())
        .filter_map(char::from_u32)
        .collect();
    let code = key.next().flatten().unwrap_or(0);
    let (shifted, base) = (key.next().flatten(), key.next().flatten());
    let bits = mods.next().and_then(|m| m.parse::<u32>().ok()).unwrap_or(0).saturating_sub(1);
    let event = mods.next().and_then(|e| e.parse::<u32>().ok());
    let typed = (!typed.is_empty()).then_some(typed);
    let c = char::from_u32(code);
    let mut entries = match code {
        27 => vec![("kind", Value::keyword("key")), ("name", Value::keyword("esc"))],
        13 | 10 => vec![("kind", Value::keyword("key")), ("name", Value::keyword("enter"))],
        9 => vec![("kind", Value::keyword("key")), ("name", Value::keyword("tab"))],
        127 | 8 => vec![("kind", Value::keyword("key")), ("name", Value::keyword("backspace"))],
        _ if bits & 4 != 0 && c.is_some_and(|c| c.is_ascii_alphabetic()) => {
            let lower = c.unwrap_or_default().to_ascii_lowercase();
            vec![("kind", Value::keyword("ctrl")), ("char", Value::str(lower.to_string()))]
        }
        _ if bits & 2 != 0 && bits & 4 == 0 => {
            let text = typed.unwrap_or_else(|| c.map(String::from).unwrap_or_default());
            vec![("kind", Value::keyword("alt")), ("char", Value::str(text))]
        }
        _ => {
            let text = typed.unwrap_or_else(|| match c {
                Some(c) if bits & 1 != 0 && c.is_ascii_alphabetic() => c.to_ascii_uppercase().to_string(),
                Some(c) => c.to_string(),
                None => String::new(),
            });
            vec![("kind", Value::keyword("char")), ("char", Value::str(text))]
        }
    };
    if let Some(event) = event {
        let name = match event {
            2 => "repeat",
            3 => "release",
            _ => "press",
        };
        entries.push(("event", Value::keyword(name)));
    }
    entries.extend(shifted.and_then(char::from_u32).map(|c| ("shifted-key", Value::str(c.to_string()))));
    entries.extend(base.and_then(char::from_u32).map(|c| ("base-key", Value::str(c.to_string()))));
    entries.extend(modifiers(bits).map(|m| ("mods", m)));
    Value::keyword_map(entries)
}

/// How long a terminal has to answer a query.
const QUERY_WAIT: Duration = Duration::from_millis(200);

/// Reads events until `pick` accepts one or `QUERY_WAIT` passes.
fn await_reply(pick: impl Fn(&Value) -> Option<Value>) -> Result<Option<Value>> {
    let start = Instant::now();
    while let Some(left) = QUERY_WAIT.checked_sub(start.elapsed()) {
        let Some(first) = read_byte(Some(left))? else { return Ok(None) };
        if let Some(reply) = pick(&decode_key(&read_event(first)?)) {
            return Ok(Some(reply));
        }
    }
    Ok(None)
}

fn kind_is(event: &Value, kind: &str) -> bool {
    event.option("kind") == Some(&Value::keyword(kind))
}

/// `(term/cursor-position)`: `{:kind :cpr :row :col}` from the terminal, nil when stdin
/// is not a terminal or it does not answer. Meant for raw mode.
fn cursor_position() -> Result<Value> {
    if !std::io::stdin().is_terminal() {
        return Ok(Value::Nil);
    }
    EXPECT_CURSOR_REPORT.set(EXPECT_CURSOR_REPORT.get() + 1);
    emit("\x1b[6n")?;
    let reply = await_reply(|e| kind_is(e, "cpr").then(|| e.clone()))?;
    Ok(reply.unwrap_or(Value::Nil))
}

/// `(term/supports-kitty-keys?)`: asks for the kitty flags and then the device
/// attributes; a terminal that answers the first supports the protocol.
fn supports_kitty_keys() -> Result<Value> {
    if !std::io::stdin().is_terminal() {
        return Ok(Value::bool(false));
    }
    emit("\x1b[?u\x1b[c")?;
    let reply = await_reply(|e| {
        if kind_is(e, "kitty-flags") {
            Some(Value::bool(true))
        } else {
            kind_is(e, "device-attributes").then(|| Value::bool(false))
        }
    })?;
    Ok(reply.unwrap_or(Value::bool(false)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::test_support::{call, int, kw, s};
    use crate::printer::repr;

    #[test]
    fn styles() {
        assert_eq!(call("term/bold", &[s("x")]), "\"\u{1b}[1mx\u{1b}[0m\"");
        assert_eq!(call("term/style", &[s("x"), kw("bold"), kw("red")]), "\"\u{1b}[1;31mx\u{1b}[0m\"");
        assert_eq!(call("term/style", &[s("x")]), r#""x""#);
        let unknown = "ERR Eval error: term/style: unknown style keyword :nope";
        assert_eq!(call("term/style", &[s("x"), kw("nope")]), unknown);
        assert_eq!(call("term/rgb", &[s("x"), int(1), int(2), int(3)]), "\"\u{1b}[38;2;1;2;3mx\u{1b}[0m\"");
        assert_eq!(strip_ansi("\x1b[1;31mred\x1b[0m \x1b]0;title\x07ok\x1b7"), "red ok");
    }

    #[test]
    fn keys_decode() {
        let key = |b: &[u8]| repr(&decode_key(b));
        assert_eq!(key(b"a"), r#"{:char "a" :kind :char}"#);
        assert_eq!(key("é".as_bytes()), r#"{:char "é" :kind :char}"#);
        assert_eq!(key(b"\x03"), r#"{:char "c" :kind :ctrl}"#);
        assert_eq!(key(b"\r"), "{:kind :key :name :enter}");
        assert_eq!(key(b"\x1b"), "{:kind :key :name :esc}");
        assert_eq!(key(b"\x1bx"), r#"{:char "x" :kind :alt}"#);
        assert_eq!(key(b"\x1b[A"), "{:kind :key :name :up}");
        assert_eq!(key(b"\x1b[1;5C"), "{:kind :key :mods (:ctrl) :name :right}");
        assert_eq!(key(b"\x1b[3~"), "{:kind :key :name :delete}");
        assert_eq!(key(b"\x1bOP"), "{:kind :key :name :f1}");
        assert_eq!(key(b"\x1b[I"), "{:focused #t :kind :focus}");
        assert_eq!(key(b"\x1b[200~hi\x1b[201~"), r#"{:kind :paste :text "hi"}"#);
        assert_eq!(key(b"\x1b[<0;10;5M"), "{:action :press :button 0 :kind :mouse :x 10 :y 5}");
        assert_eq!(key(b"\x1b[97;5u"), r#"{:char "a" :kind :ctrl :mods (:ctrl)}"#);
        assert_eq!(key(b"\x1b[?1u"), "{:flags 1 :kind :kitty-flags}");
    }
}

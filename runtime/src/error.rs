//! Runtime errors: what `try` catches and what an uncaught error reports.
//!
//! An [`Error`] carries a kind (the `:type` keyword a handler sees), a message and the
//! kind's extra fields. `to_map` builds the sorted map of LANGUAGE.md §11.3; `report`
//! gives the first line of §11.6.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use crate::interner::Sym;
use crate::list::List;

use crate::printer::repr;
use crate::value::{SortedMap, Value};

pub type Result<T> = std::result::Result<T, Error>;

/// A raised error. Boxed so `Result<Value>` stays two words. A clone is the same
/// error raised again (a rejected promise awaited twice).
#[derive(Clone)]
pub struct Error(Box<ErrorData>);

#[derive(Clone)]
pub struct ErrorData {
    pub kind: ErrorKind,
    pub message: String,
    /// Where it was raised: file, line, column, innermost function first.
    pub trace: Vec<TraceFrame>,
    /// The instruction that raised it, in the innermost frame: what the report names
    /// (a builtin's call or the instruction that stands for one).
    pub raised_at: Option<bundle_format::opcodes::Instr>,
    /// An `Io` error from writing to a stdout whose reader has gone: uncaught, it ends
    /// the run quietly (lib.rs).
    pub stdout_closed: bool,
    /// The value a type error refused: the report shows it (`got 5`) where the
    /// message, fixed by LANGUAGE.md, names only its type.
    pub refused: Option<Value>,
    /// The builtin whose own code raised it (`car` inside `(map car xs)`), when one
    /// did: the failing instruction names only the outermost builtin.
    pub builtin: Option<&'static str>,
    /// The report's first line names the refused value too, as upstream's async and
    /// channel operations do: `expected channel, got int (5)` (the message, and so a
    /// handler's `:message`, does not).
    pub shows_refused: bool,
}

#[derive(Clone, Debug)]
pub struct TraceFrame {
    pub function: Rc<String>,
    pub file: Option<Rc<String>>,
    pub line: u32,
    pub col: u32,
}

/// The keywords of error maps, interned once per interpreter thread: a program that
/// throws in a loop would otherwise hash every name again for every error.
#[derive(Clone, Copy)]
struct ErrorKeys {
    type_: Sym,
    message: Sym,
    value: Sym,
    expected: Sym,
    got: Sym,
    name: Sym,
    stack_trace: Sym,
    line: Sym,
    col: Sym,
    file: Sym,
    eval: Sym,
    type_error: Sym,
    arity: Sym,
    unbound: Sym,
    user: Sym,
    io: Sym,
    reader: Sym,
}

impl ErrorKeys {
    fn get() -> ErrorKeys {
        thread_local! {
            static KEYS: ErrorKeys = ErrorKeys {
                type_: Sym::intern("type"),
                message: Sym::intern("message"),
                value: Sym::intern("value"),
                expected: Sym::intern("expected"),
                got: Sym::intern("got"),
                name: Sym::intern("name"),
                stack_trace: Sym::intern("stack-trace"),
                line: Sym::intern("line"),
                col: Sym::intern("col"),
                file: Sym::intern("file"),
                eval: Sym::intern("eval"),
                type_error: Sym::intern("type-error"),
                arity: Sym::intern("arity"),
                unbound: Sym::intern("unbound"),
                user: Sym::intern("user"),
                io: Sym::intern("io"),
                reader: Sym::intern("reader"),
            };
        }
        KEYS.with(|keys| *keys)
    }
}

#[derive(Clone)]
pub enum ErrorKind {
    Eval,
    Type { expected: String, got: String },
    Arity,
    Unbound { name: String },
    /// `throw`/`raise` of a value that is not an error map.
    User { value: Value },
    Io,
    Reader,
    /// A caught error map raised again; it is caught and reported unchanged.
    Rethrown { map: Value },
    /// The run used up its `--fuel` or `--max-seconds`; programs cannot catch it.
    OutOfFuel,
    /// The run's permissions (`--sandbox`, `--allow-*`) do not allow the call.
    PermissionDenied { function: String, capability: String },
    /// Not an error: the running task waits (vm/tasks.rs). It passes up to the task
    /// driver without unwinding anything.
    Park,
}

impl Error {
    fn new(kind: ErrorKind, message: String) -> Error {
        Error(Box::new(ErrorData { kind, message, trace: Vec::new(), raised_at: None, stdout_closed: false, refused: None, builtin: None, shows_refused: false }))
    }

    pub fn eval(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Eval, message.into())
    }

    /// `expected EXPECTED, got TYPE` for the value's type.
    pub fn type_error(expected: &str, got: &Value) -> Error {
        let mut err = Error::type_error_named(expected, got.type_name());
        err.0.refused = Some(got.clone());
        err
    }

    /// `type_error`, with the value in the report's first line (`ErrorData::shows_refused`).
    pub fn type_error_showing(expected: &str, got: &Value) -> Error {
        let mut err = Error::type_error(expected, got);
        err.0.shows_refused = true;
        err
    }

    /// An error that is a map (upstream's conditions: `:timeout`, `:cancelled`): a
    /// handler gets the map itself, the report says its message.
    pub fn condition(map: Value, message: String) -> Error {
        Error::new(ErrorKind::Rethrown { map }, message)
    }

    pub fn type_error_named(expected: &str, got: &str) -> Error {
        Error::new(
            ErrorKind::Type { expected: expected.to_string(), got: got.to_string() },
            format!("expected {expected}, got {got}"),
        )
    }

    /// `NAME expects N args, got M`.
    pub fn arity(name: &str, expected: &str, got: usize) -> Error {
        Error::new(ErrorKind::Arity, format!("{name} expects {expected} args, got {got}"))
    }

    pub fn unbound(name: &str) -> Error {
        Error::new(ErrorKind::Unbound { name: name.to_string() }, format!("Unbound variable: {name}"))
    }

    pub fn io(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Io, message.into())
    }

    /// The `Io` error of a write to stdout after its reader went away.
    pub fn stdout_closed(message: impl Into<String>) -> Error {
        let mut err = Error::io(message);
        err.0.stdout_closed = true;
        err
    }

    pub fn is_stdout_closed(&self) -> bool {
        self.0.stdout_closed
    }

    pub fn out_of_fuel() -> Error {
        Error::new(ErrorKind::OutOfFuel, "instruction budget exhausted (--fuel)".to_string())
    }

    pub fn out_of_time() -> Error {
        Error::new(ErrorKind::OutOfFuel, "time limit exceeded (--max-seconds)".to_string())
    }

    /// Over the memory limit (`--max-memory`), seen between steps: catchable, so a
    /// program may drop what it holds and go on.
    pub fn out_of_memory() -> Error {
        let limit = crate::alloc::memory_limit().unwrap_or(0) >> 20;
        let flag = crate::alloc::memory_limit_flag();
        Error::new(ErrorKind::Eval, format!("out of memory: more than the {limit} MiB allowed ({flag})"))
    }

    pub fn permission_denied(function: &str, capability: &str, message: String) -> Error {
        let kind = ErrorKind::PermissionDenied { function: function.to_string(), capability: capability.to_string() };
        Error::new(kind, message)
    }

    /// Whether a `try` handler may catch it.
    pub fn catchable(&self) -> bool {
        !matches!(self.0.kind, ErrorKind::OutOfFuel | ErrorKind::Park)
    }

    /// The running task waits (`ErrorKind::Park`).
    pub fn park() -> Error {
        Error::new(ErrorKind::Park, String::new())
    }

    pub fn is_park(&self) -> bool {
        matches!(self.0.kind, ErrorKind::Park)
    }

    pub fn reader(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Reader, message.into())
    }

    /// `(throw v)`: an error map is raised again unchanged, anything else as `:user`.
    pub fn thrown(value: Value) -> Error {
        if let Some(message) = error_map_message(&value) {
            return Error::new(ErrorKind::Rethrown { map: value }, message);
        }
        let message = repr(&value);
        Error::new(ErrorKind::User { value }, message)
    }

    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn trace(&self) -> &[TraceFrame] {
        &self.0.trace
    }

    pub fn reserve_trace(&mut self, frames: usize) {
        self.0.trace.reserve_exact(frames);
    }

    /// Notes that it leaves the builtin `name`: the first builtin it leaves raised it,
    /// unless it was raised in bytecode (a callback's frame) on the way.
    #[cold]
    pub fn blame_builtin(&mut self, name: &'static str) {
        if self.0.builtin.is_none() && self.0.raised_at.is_none() {
            self.0.builtin = Some(name);
        }
    }

    /// The builtin whose own code raised it (`blame_builtin`).
    pub fn blamed_builtin(&self) -> Option<&'static str> {
        self.0.builtin
    }

    /// The value a type error refused, when the error knows it.
    pub fn refused(&self) -> Option<&Value> {
        self.0.refused.as_ref()
    }

    pub fn raised_at(&self) -> Option<bundle_format::opcodes::Instr> {
        self.0.raised_at
    }

    pub fn set_raised_at(&mut self, instr: bundle_format::opcodes::Instr) {
        self.0.raised_at = Some(instr);
    }

    pub fn push_trace(&mut self, frame: TraceFrame) {
        self.0.trace.push(frame);
    }

    /// Prefixes the message, as the n-ary `/` does (`/: division by zero`).
    pub fn with_prefix(mut self, prefix: &str) -> Error {
        self.0.message = format!("{prefix}: {}", self.0.message);
        self
    }

    /// The map a `catch` clause binds.
    pub fn to_map(&self) -> Value {
        if let ErrorKind::Rethrown { map } = &self.0.kind {
            return map.clone();
        }
        let k = ErrorKeys::get();
        let kw = Value::Keyword;
        let mut map = SortedMap::new();
        let type_name = match &self.0.kind {
            ErrorKind::Eval => k.eval,
            ErrorKind::Type { expected, got } => {
                map.insert(kw(k.expected), Value::str(expected.clone()));
                map.insert(kw(k.got), Value::str(got.clone()));
                k.type_error
            }
            ErrorKind::Arity => k.arity,
            ErrorKind::Unbound { name } => {
                map.insert(kw(k.name), Value::str(name.clone()));
                k.unbound
            }
            ErrorKind::User { value } => {
                map.insert(kw(k.value), value.clone());
                k.user
            }
            ErrorKind::Io => k.io,
            ErrorKind::Reader => k.reader,
            ErrorKind::Rethrown { .. } => unreachable!("handled above"),
            ErrorKind::OutOfFuel | ErrorKind::Park => k.eval,
            ErrorKind::PermissionDenied { function, capability } => {
                map.insert(kw(Sym::intern("function")), Value::str(function.clone()));
                map.insert(kw(Sym::intern("capability")), Value::str(capability.clone()));
                Sym::intern("permission-denied")
            }
        };
        map.insert(kw(k.type_), kw(type_name));
        map.insert(kw(k.message), Value::str(self.0.message.clone()));
        let mut frames = List::EMPTY;
        for frame in self.0.trace.iter().rev() {
            frames = List::cons(Value::Map(frame_map(frame, &k)), frames);
        }
        map.insert(kw(k.stack_trace), Value::List(frames));
        Value::Map(Rc::new(map))
    }

    /// The first line of an uncaught-error report, after `Error: `.
    pub fn report(&self) -> String {
        let message = &self.0.message;
        match &self.0.kind {
            ErrorKind::Eval => format!("Eval error: {message}"),
            ErrorKind::Type { .. } => match self.0.refused.as_ref().filter(|_| self.0.shows_refused) {
                Some(value) => format!("Type error: {message} ({})", shown_briefly(value)),
                None => format!("Type error: {message}"),
            },
            ErrorKind::Arity => format!("Arity error: {message}"),
            ErrorKind::Unbound { .. } => message.clone(),
            ErrorKind::User { .. } => format!("User exception: {message}"),
            ErrorKind::Io => format!("IO error: {message}"),
            ErrorKind::Reader => format!("Reader error: {message}"),
            ErrorKind::Rethrown { .. } => message.clone(),
            ErrorKind::OutOfFuel => format!("Eval error: {message}"),
            ErrorKind::PermissionDenied { .. } | ErrorKind::Park => message.clone(),
        }
    }
}

/// A value as a type error's first line shows it: its written form, cut to 39
/// characters and `…` past 40.
fn shown_briefly(value: &Value) -> String {
    let text = repr(value);
    if text.chars().count() > 40 {
        text.chars().take(39).chain(std::iter::once('…')).collect()
    } else {
        text
    }
}

/// The `:stack-trace` entry of one frame. A program that throws in a loop throws from
/// the same few places again and again, so the maps (immutable values) are kept and
/// shared: building one costs four sorted inserts comparing keyword names.
fn frame_map(frame: &TraceFrame, k: &ErrorKeys) -> Rc<SortedMap> {
    /// Entries hold the `Rc`s their key's addresses come from, so no address in the
    /// cache can be reused by another name while it is there.
    type FrameKey = (*const String, *const String, u32, u32);
    type Cached = (Rc<String>, Option<Rc<String>>, Rc<SortedMap>);
    /// Past this many distinct frames the cache starts over (bounded memory).
    const CAPACITY: usize = 4096;
    thread_local! {
        static FRAME_MAPS: RefCell<hashbrown::HashMap<FrameKey, Cached>> = RefCell::default();
    }
    let file_ptr = frame.file.as_ref().map_or(std::ptr::null(), Rc::as_ptr);
    let key = (Rc::as_ptr(&frame.function), file_ptr, frame.line, frame.col);
    FRAME_MAPS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, _, map)) = cache.get(&key) {
            return map.clone();
        }
        let kw = Value::Keyword;
        let mut map = SortedMap::new();
        map.insert(kw(k.name), Value::str(frame.function.clone()));
        map.insert(kw(k.line), Value::Int(frame.line as i64));
        map.insert(kw(k.col), Value::Int(frame.col as i64));
        if let Some(file) = &frame.file {
            map.insert(kw(k.file), Value::str(file.clone()));
        }
        let map = Rc::new(map);
        if cache.len() >= CAPACITY {
            cache.clear();
        }
        cache.insert(key, (frame.function.clone(), frame.file.clone(), map.clone()));
        map
    })
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.report())
    }
}

/// The message of a value that is an error map (a map with a known `:type` and a
/// string `:message`), else `None`.
fn error_map_message(value: &Value) -> Option<String> {
    let Value::Map(map) = value else { return None };
    let k = ErrorKeys::get();
    let Value::Keyword(kind) = map.get(&Value::Keyword(k.type_))? else { return None };
    if ![k.eval, k.type_error, k.arity, k.unbound, k.user, k.io, k.reader].contains(kind) && !["permission-denied", "cancelled", "timeout"].contains(&kind.name().as_str()) {
        return None;
    }
    map.get(&Value::Keyword(k.message))?.as_str().map(str::to_string)
}

//! Runtime errors: what `try` catches and what an uncaught error reports.
//!
//! An [`Error`] carries a kind (the `:type` keyword a handler sees), a message and the
//! kind's extra fields. `to_map` builds the sorted map of LANGUAGE.md §11.3; `report`
//! gives the first line of §11.6.

use std::fmt;

use crate::printer::repr;
use crate::value::{SortedMap, Value};

pub type Result<T> = std::result::Result<T, Error>;

/// A raised error. Boxed so `Result<Value>` stays two words.
pub struct Error(Box<ErrorData>);

pub struct ErrorData {
    pub kind: ErrorKind,
    pub message: String,
    /// Where it was raised: file, line, column, innermost function first.
    pub trace: Vec<TraceFrame>,
}

#[derive(Clone, Debug)]
pub struct TraceFrame {
    pub function: String,
    pub file: Option<String>,
    pub line: u32,
    pub col: u32,
}

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
}

impl Error {
    fn new(kind: ErrorKind, message: String) -> Error {
        Error(Box::new(ErrorData { kind, message, trace: Vec::new() }))
    }

    pub fn eval(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Eval, message.into())
    }

    /// `expected EXPECTED, got TYPE` for the value's type.
    pub fn type_error(expected: &str, got: &Value) -> Error {
        Error::type_error_named(expected, got.type_name())
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

    pub fn out_of_fuel() -> Error {
        Error::new(ErrorKind::OutOfFuel, "instruction budget exhausted (--fuel)".to_string())
    }

    pub fn out_of_time() -> Error {
        Error::new(ErrorKind::OutOfFuel, "time limit exceeded (--max-seconds)".to_string())
    }

    /// Whether a `try` handler may catch it.
    pub fn catchable(&self) -> bool {
        !matches!(self.0.kind, ErrorKind::OutOfFuel)
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
        let mut map = SortedMap::new();
        let kw = Value::keyword;
        let type_name = match &self.0.kind {
            ErrorKind::Eval => "eval",
            ErrorKind::Type { expected, got } => {
                map.insert(kw("expected"), Value::str(expected.clone()));
                map.insert(kw("got"), Value::str(got.clone()));
                "type-error"
            }
            ErrorKind::Arity => "arity",
            ErrorKind::Unbound { name } => {
                map.insert(kw("name"), Value::str(name.clone()));
                "unbound"
            }
            ErrorKind::User { value } => {
                map.insert(kw("value"), value.clone());
                "user"
            }
            ErrorKind::Io => "io",
            ErrorKind::Reader => "reader",
            ErrorKind::Rethrown { .. } => unreachable!("handled above"),
            ErrorKind::OutOfFuel => "eval",
        };
        map.insert(kw("type"), kw(type_name));
        map.insert(kw("message"), Value::str(self.0.message.clone()));
        let frames = self
            .0
            .trace
            .iter()
            .map(|f| {
                let mut frame = SortedMap::new();
                frame.insert(kw("name"), Value::str(f.function.clone()));
                frame.insert(kw("line"), Value::Int(f.line as i64));
                frame.insert(kw("col"), Value::Int(f.col as i64));
                if let Some(file) = &f.file {
                    frame.insert(kw("file"), Value::str(file.clone()));
                }
                Value::Map(std::rc::Rc::new(frame))
            })
            .collect();
        map.insert(kw("stack-trace"), Value::list(frames));
        Value::Map(std::rc::Rc::new(map))
    }

    /// The first line of an uncaught-error report, after `Error: `.
    pub fn report(&self) -> String {
        let message = &self.0.message;
        match &self.0.kind {
            ErrorKind::Eval => format!("Eval error: {message}"),
            ErrorKind::Type { .. } => format!("Type error: {message}"),
            ErrorKind::Arity => format!("Arity error: {message}"),
            ErrorKind::Unbound { .. } => message.clone(),
            ErrorKind::User { .. } => format!("User exception: {message}"),
            ErrorKind::Io => format!("IO error: {message}"),
            ErrorKind::Reader => format!("Reader error: {message}"),
            ErrorKind::Rethrown { .. } => message.clone(),
            ErrorKind::OutOfFuel => format!("Eval error: {message}"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.report())
    }
}

const ERROR_TYPES: &[&str] = &["eval", "type-error", "arity", "unbound", "user", "io", "reader"];

/// The message of a value that is an error map (a map with a known `:type` and a
/// string `:message`), else `None`.
fn error_map_message(value: &Value) -> Option<String> {
    let Value::Map(map) = value else { return None };
    let kind = map.get(&Value::keyword("type"))?;
    let Value::Keyword(kind) = kind else { return None };
    if !kind.with_name(|name| ERROR_TYPES.contains(&name)) {
        return None;
    }
    map.get(&Value::keyword("message"))?.as_str().map(str::to_string)
}

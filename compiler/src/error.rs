//! The compiler's error type: a message at a source position, raised by every stage
//! from lowering to assembly (and used for warnings, which do not stop compilation).

use crate::syntax::Span;

/// A compile-time error (or warning) at a source position.
#[derive(Clone, Debug, PartialEq)]
pub struct CompileError {
    pub span: Span,
    pub message: String,
    /// What the user can do about it, shown as a `help:` line.
    pub help: Option<String>,
}

impl CompileError {
    pub fn new(span: Span, message: impl Into<String>) -> CompileError {
        CompileError { span, message: message.into(), help: None }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> CompileError {
        self.help = Some(help.into());
        self
    }
}

pub type Result<T> = std::result::Result<T, CompileError>;

pub fn error<T>(span: Span, message: impl Into<String>) -> Result<T> {
    Err(CompileError::new(span, message))
}

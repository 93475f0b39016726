//! The compiler's error type: a message at a source position, raised by every stage
//! from lowering to assembly (and used for warnings, which do not stop compilation).

use crate::syntax::Span;

/// A compile-time error at a source position.
#[derive(Clone, Debug, PartialEq)]
pub struct CompileError {
    pub span: Span,
    pub message: String,
}

impl CompileError {
    pub fn new(span: Span, message: impl Into<String>) -> CompileError {
        CompileError { span, message: message.into() }
    }
}

pub type Result<T> = std::result::Result<T, CompileError>;

pub fn error<T>(span: Span, message: impl Into<String>) -> Result<T> {
    Err(CompileError::new(span, message))
}

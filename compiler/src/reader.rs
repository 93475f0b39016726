// TEMPORARY STUB (lead): replaced by the real reader being written.
use crate::syntax::{Span, Syntax};
pub struct ReadError { pub span: Span, pub message: String }
pub fn read_program(_source: &str) -> Result<Vec<Syntax>, ReadError> { Err(ReadError { span: Span::default(), message: "stub".into() }) }

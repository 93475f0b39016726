//! The bundle's plain data types: what the compiler writes and the runtime reads.
//!
//! Nothing here is trusted: a `Bundle` straight from `read` may name out-of-range
//! indices or hold undecodable code. Only `verify::verify_bundle` turns it into
//! something the VM accepts.
//!
//! Serde encodes enum variants by position, so the variants of [`Constant`] and
//! [`Capture`] are append-only, like the opcode ids.

use serde::{Deserialize, Serialize};

pub use crate::opcodes::{CaptureIdx, ConstIdx, ProtoIdx, Slot, SymIdx};

/// A literal value in the constant pool. Collections refer to earlier constants by
/// index, so the pool is flat: reading it never recurses, whatever a file holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Constant {
    Nil,
    Bool(bool),
    Int(i64),
    /// An integer outside i64, as decimal text with an optional leading `-`.
    BigInt(String),
    Float(f64),
    /// A reduced fraction (denominator > 1), numerator and denominator as decimal text.
    Rational(String, String),
    Str(String),
    /// A Unicode scalar value.
    Char(u32),
    Symbol(SymIdx),
    Keyword(SymIdx),
    List(Vec<ConstIdx>),
    Vector(Vec<ConstIdx>),
    Map(Vec<(ConstIdx, ConstIdx)>),
    Bytevector(Vec<u8>),
    /// A complex number: its real and imaginary parts, earlier `Int`, `BigInt`, `Float`
    /// or `Rational` constants. An exact zero imaginary part reads as the real part.
    Complex(ConstIdx, ConstIdx),
}

/// Where a closure's captured value comes from, in the frame that creates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Capture {
    /// The creating frame's local slot (its value, or its cell when boxed).
    Local(Slot),
    /// The creating closure's own capture.
    Outer(CaptureIdx),
}

/// A function prototype: code plus the facts needed to call it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Proto {
    /// The name printed for the function and used in arity errors; `None` for lambdas.
    pub name: Option<SymIdx>,
    /// Number of required parameters.
    pub arity: u16,
    /// Whether extra arguments are collected into a list in slot `arity`.
    pub rest: bool,
    /// Registers of a frame: parameters (and rest list) first, then locals and
    /// temporaries (docs/vm2.md).
    pub registers: u16,
    pub captures: Vec<Capture>,
    /// Encoded instructions (see `opcodes`).
    pub code: Vec<u8>,
}

/// One row of a line table: instructions from byte offset `pc` on come from `line:col`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineEntry {
    pub pc: u32,
    pub line: u32,
    pub col: u32,
}

/// Source positions for one prototype.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtoDebug {
    /// Index into `DebugInfo::files`.
    pub file: u32,
    /// Sorted by `pc`.
    pub lines: Vec<LineEntry>,
}

/// The optional debug section: file names (relative, as given to the compiler) and a
/// line table per prototype, in prototype order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebugInfo {
    pub files: Vec<String>,
    pub protos: Vec<ProtoDebug>,
}

/// A whole compiled program.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    /// Interned names; code and constants refer to them by index.
    pub symbols: Vec<String>,
    pub constants: Vec<Constant>,
    pub protos: Vec<Proto>,
    /// The top-level code: a prototype with no parameters and no captures.
    pub entry: ProtoIdx,
    pub debug: Option<DebugInfo>,
}

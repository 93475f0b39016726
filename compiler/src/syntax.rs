//! The reader's output: Sema data with source positions. Code is data, so this is
//! both the program text's tree and the literal data that `quote` returns.

use std::fmt;

/// A 1-based source position, in the file with index `file` (0 is the program's
/// main file; imported and loaded files follow in the order they are read).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub line: u32,
    pub col: u32,
    pub file: u32,
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One datum and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Syntax {
    pub kind: SyntaxKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SyntaxKind {
    Nil,
    Bool(bool),
    Int(i64),
    /// An integer outside i64, as decimal text with an optional leading `-`.
    BigInt(String),
    Float(f64),
    /// A reduced fraction with denominator > 1, as decimal text (sign on the numerator).
    Rational(String, String),
    /// A complex number: its real and imaginary parts, each `Int`, `BigInt`, `Float` or
    /// `Rational`; the imaginary part is never the exact zero.
    Complex(Box<SyntaxKind>, Box<SyntaxKind>),
    Str(String),
    Char(char),
    Symbol(String),
    Keyword(String),
    List(Vec<Syntax>),
    Vector(Vec<Syntax>),
    /// Key/value pairs in source order; duplicates are resolved when the map is built.
    Map(Vec<(Syntax, Syntax)>),
    Bytevector(Vec<u8>),
}

impl Syntax {
    pub fn new(kind: SyntaxKind, span: Span) -> Syntax {
        Syntax { kind, span }
    }

    /// The symbol's name, if this is a symbol.
    pub fn as_symbol(&self) -> Option<&str> {
        match &self.kind {
            SyntaxKind::Symbol(name) => Some(name),
            _ => None,
        }
    }

    /// Sets the file index of this datum and everything inside it.
    pub fn set_file(&mut self, file: u32) {
        let mut pending = vec![self];
        while let Some(syntax) = pending.pop() {
            syntax.span.file = file;
            match &mut syntax.kind {
                SyntaxKind::List(items) | SyntaxKind::Vector(items) => pending.extend(items.iter_mut()),
                SyntaxKind::Map(pairs) => {
                    for (k, v) in pairs.iter_mut() {
                        pending.push(k);
                        pending.push(v);
                    }
                }
                _ => {}
            }
        }
    }

    /// The elements, if this is a list.
    pub fn as_list(&self) -> Option<&[Syntax]> {
        match &self.kind {
            SyntaxKind::List(items) => Some(items),
            _ => None,
        }
    }
}

//! The intermediate representation: expressions with every variable resolved.
//!
//! Lowering turns syntax into this tree. Locals are numbered program-wide
//! ([`LocalId`]); each function lists the outer locals it captures. A local that is
//! both captured and assigned lives in a cell, so every closure sees one binding.

use std::fmt;

use crate::intrinsics::Intrinsic;
use crate::syntax::Span;

pub type LocalId = u32;
pub type FnId = u32;

/// Literal data (constants and quoted forms).
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Nil,
    Bool(bool),
    Int(i64),
    BigInt(String),
    Float(f64),
    Rational(String, String),
    /// Real and imaginary parts (see `SyntaxKind::Complex`).
    Complex(Box<Literal>, Box<Literal>),
    Str(String),
    Char(char),
    Symbol(String),
    Keyword(String),
    List(Vec<Literal>),
    Vector(Vec<Literal>),
    Map(Vec<(Literal, Literal)>),
    Bytevector(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Const(Literal),
    Local(LocalId),
    /// The running closure itself (a named function referring to its own name).
    SelfRef,
    Global(String),
    /// Assigns and yields the new value.
    SetLocal(LocalId, Box<Expr>),
    /// Assigns and yields the new value.
    SetGlobal(String, Box<Expr>),
    /// Defines and yields nil.
    DefineGlobal(String, Box<Expr>),
    /// Binds fresh locals to values (each initialiser sees only outer bindings), then
    /// evaluates the body.
    Let(Vec<(LocalId, Expr)>, Box<Expr>),
    /// Declares locals (nil until assigned) for internal defines, then the body.
    Declare(Vec<LocalId>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Seq(Vec<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    /// A `do` loop over already bound variables: until `test`, run `body` then assign
    /// all steps (computed from the old values); then `result`.
    Loop { steps: Vec<(LocalId, Expr)>, test: Box<Expr>, body: Box<Expr>, result: Box<Expr> },
    Lambda(FnId),
    Call(Box<Expr>, Vec<Expr>),
    CallGlobal(String, Vec<Expr>),
    Intrinsic(Intrinsic, Vec<Expr>),
    MakeList(Vec<Expr>),
    MakeVector(Vec<Expr>),
    MakeMap(Vec<(Expr, Expr)>),
    /// A named let whose loop function never escapes, inlined by `loops.rs`: binds
    /// `vars` to `inits`, then runs `body`, in which `Recur(id, ..)` starts the next
    /// iteration. Only ever in tail position of its function.
    NamedLoop { id: FnId, vars: Vec<LocalId>, inits: Vec<Expr>, body: Box<Expr> },
    /// The next iteration of the enclosing `NamedLoop` `id`, with new values for its
    /// variables; only in that loop's tail positions.
    Recur(FnId, Vec<Expr>),
    /// `(try body (catch var handler))`.
    Try(Box<Expr>, LocalId, Box<Expr>),
    Throw(Box<Expr>),
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }

    pub fn nil(span: Span) -> Expr {
        Expr::new(ExprKind::Const(Literal::Nil), span)
    }

    /// The direct subexpressions (not the bodies of lambdas, which are functions of
    /// their own).
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Const(_) | ExprKind::Local(_) | ExprKind::SelfRef | ExprKind::Global(_) | ExprKind::Lambda(_) => {
                Vec::new()
            }
            ExprKind::SetLocal(_, v)
            | ExprKind::SetGlobal(_, v)
            | ExprKind::DefineGlobal(_, v)
            | ExprKind::Throw(v) => vec![&**v],
            ExprKind::Let(bindings, body) => bindings.iter().map(|(_, init)| init).chain([&**body]).collect(),
            ExprKind::Declare(_, body) => vec![&**body],
            ExprKind::If(t, a, b) => vec![&**t, &**a, &**b],
            ExprKind::Seq(items) | ExprKind::And(items) | ExprKind::Or(items) => items.iter().collect(),
            ExprKind::Loop { steps, test, body, result } => {
                steps.iter().map(|(_, s)| s).chain([&**test, &**body, &**result]).collect()
            }
            ExprKind::Call(callee, args) => [&**callee].into_iter().chain(args).collect(),
            ExprKind::CallGlobal(_, args)
            | ExprKind::Intrinsic(_, args)
            | ExprKind::MakeList(args)
            | ExprKind::MakeVector(args)
            | ExprKind::Recur(_, args) => args.iter().collect(),
            ExprKind::MakeMap(pairs) => pairs.iter().flat_map(|(k, v)| [k, v]).collect(),
            ExprKind::Try(body, _, handler) => vec![&**body, &**handler],
            ExprKind::NamedLoop { inits, body, .. } => inits.iter().chain([&**body]).collect(),
        }
    }
}

/// A function after lowering.
#[derive(Clone, Debug)]
pub struct Function {
    pub name: Option<String>,
    pub params: Vec<LocalId>,
    pub rest: Option<LocalId>,
    /// Outer locals this function uses, in capture-index order.
    pub captures: Vec<LocalId>,
    pub body: Expr,
    pub span: Span,
}

/// What lowering learned about a local.
#[derive(Clone, Debug)]
pub struct LocalInfo {
    pub name: String,
    pub owner: FnId,
    pub captured: bool,
    pub assigned: bool,
}

impl LocalInfo {
    /// Captured and assigned: it must live in a cell shared by its closures.
    pub fn boxed(&self) -> bool {
        self.captured && self.assigned
    }
}

/// A whole lowered program; function 0 is the top level.
#[derive(Clone, Debug)]
pub struct Program {
    pub functions: Vec<Function>,
    pub locals: Vec<LocalInfo>,
    /// Problems that do not stop compilation (reported as warnings, diagnostics.rs).
    pub warnings: Vec<crate::error::CompileError>,
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seq = |f: &mut fmt::Formatter<'_>, open: &str, items: &[Literal], close: &str| {
            write!(f, "{open}")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    write!(f, " ")?;
                }
                write!(f, "{item}")?;
            }
            write!(f, "{close}")
        };
        match self {
            Literal::Nil => write!(f, "nil"),
            Literal::Bool(b) => write!(f, "{}", if *b { "#t" } else { "#f" }),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::BigInt(b) => write!(f, "{b}"),
            Literal::Float(x) => write!(f, "{x:?}"),
            Literal::Rational(n, d) => write!(f, "{n}/{d}"),
            Literal::Complex(re, im) => {
                let im = im.to_string();
                write!(f, "{re}{}{im}i", if im.starts_with('-') { "" } else { "+" })
            }
            Literal::Str(s) => write!(f, "{s:?}"),
            Literal::Char(c) => write!(f, "#\\{c}"),
            Literal::Symbol(s) => write!(f, "{s}"),
            Literal::Keyword(k) => write!(f, ":{k}"),
            Literal::List(items) => seq(f, "(", items, ")"),
            Literal::Vector(items) => seq(f, "[", items, "]"),
            Literal::Map(pairs) => {
                write!(f, "{{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        write!(f, " ")?;
                    }
                    write!(f, "{k} {v}")?;
                }
                write!(f, "}}")
            }
            Literal::Bytevector(bytes) => write!(f, "#u8{bytes:?}"),
        }
    }
}

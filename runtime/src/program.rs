//! Linking: turning a verified bundle into live values, in one place.
//!
//! Bundle symbols are interned and every symbol operand is rewritten to the runtime's
//! interned index (so `G[sym]` is a direct index into the globals table), constants
//! become values, and each prototype gets its per-instruction source positions.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use bundle_format::bundle::{Capture, Constant};
use bundle_format::opcodes::{Instr, SymIdx};
use bundle_format::VerifiedBundle;
use num_bigint::BigInt;
use num_rational::BigRational;

use crate::interner::Sym;
use crate::list::List;
use crate::num::{from_bigint, from_rational};
use crate::value::Value;

/// A function prototype ready to run.
pub struct FuncProto {
    pub name: Option<Sym>,
    /// The name stack traces show (`<lambda>` for an anonymous function), made once
    /// so that raising an error allocates no name.
    pub trace_name: Rc<String>,
    pub arity: u16,
    pub rest: bool,
    /// Registers of a frame (docs/vm2.md); every register operand is below it (V4).
    pub registers: u16,
    pub captures: Box<[Capture]>,
    /// Verified code; symbol operands index the interner, targets index `code`. The VM
    /// fetches from it without bounds checks (V4, V7), so it is not public: outside
    /// this crate a prototype comes only from `link`, which takes `VerifiedCode`.
    pub(crate) code: Box<[Instr]>,
    /// Source position of each instruction, when the bundle had debug info.
    pub positions: Option<Box<[(u32, u32)]>>,
    /// Index into `Unit::files`.
    pub file: Option<u32>,
    /// The constants and sibling prototypes its instructions index.
    pub unit: Rc<Unit>,
}

/// What the prototypes of one bundle share. Each prototype points at its unit, so a
/// VM can run code from several bundles (the compiler runs each macro as its own).
pub struct Unit {
    pub constants: Box<[Value]>,
    protos: OnceCell<Box<[Rc<FuncProto>]>>,
    pub files: Vec<Rc<String>>,
}

/// What a stack trace calls a function.
pub fn trace_name(name: Option<Sym>) -> Rc<String> {
    Rc::new(name.map(Sym::name).unwrap_or_else(|| "<lambda>".to_string()))
}

impl Unit {
    /// A unit with no constants and no prototypes, for code built by hand in tests.
    #[cfg(test)]
    pub(crate) fn empty() -> Rc<Unit> {
        Rc::new(Unit { constants: Box::new([]), protos: OnceCell::new(), files: Vec::new() })
    }

    /// The unit's prototypes, indexed by `ProtoIdx`.
    pub fn protos(&self) -> &[Rc<FuncProto>] {
        self.protos.get().map(|p| &p[..]).unwrap_or(&[])
    }
}

/// A linked program: its unit and the top-level function.
pub struct Program {
    pub unit: Rc<Unit>,
    pub entry: Rc<FuncProto>,
}

/// Links a verified bundle.
pub fn link(verified: VerifiedBundle) -> Program {
    let (bundle, code) = verified.into_parts();
    let symbols: Vec<Sym> = bundle.symbols.iter().map(|name| Sym::intern(name)).collect();
    // V4 (verify.rs): every symbol index in code and constants is in range.
    let sym = |idx: SymIdx| symbols[idx.0 as usize];
    let relink = |idx: SymIdx| SymIdx(sym(idx).index() as u32);

    let mut constants: Vec<Value> = Vec::with_capacity(bundle.constants.len());
    for constant in &bundle.constants {
        let value = {
            // V1: collection constants refer only to earlier, already linked ones.
            let earlier = |i: &bundle_format::bundle::ConstIdx| constants[i.0 as usize].clone();
            match constant {
                Constant::Nil => Value::Nil,
                Constant::Bool(b) => Value::Bool(*b),
                Constant::Int(i) => Value::Int(*i),
                Constant::BigInt(text) => from_bigint(parse_big(text)),
                Constant::Float(f) => Value::Float(*f),
                Constant::Rational(n, d) => from_rational(BigRational::new(parse_big(n), parse_big(d))),
                Constant::Str(s) => Value::str(s.clone()),
                Constant::Char(c) => Value::Char(char::from_u32(*c).unwrap_or('\u{fffd}')),
                Constant::Symbol(s) => Value::Symbol(sym(*s)),
                Constant::Keyword(s) => Value::Keyword(sym(*s)),
                Constant::List(items) => Value::List(List::from_iter_exact(items.iter().map(earlier))),
                Constant::Vector(items) => Value::vector(items.iter().map(earlier).collect()),
                Constant::Map(pairs) => {
                    let map: BTreeMap<Value, Value> = pairs.iter().map(|(k, v)| (earlier(k), earlier(v))).collect();
                    Value::Map(Rc::new(map))
                }
                Constant::Bytevector(bytes) => Value::Bytevector(Rc::new(bytes.clone())),
                // V1 also checks that both parts are real numbers.
                Constant::Complex(re, im) => crate::num::complex(earlier(re), earlier(im)),
            }
        };
        constants.push(value);
    }

    let debug = bundle.debug.as_ref();
    let files = debug.map(|d| d.files.iter().map(|f| Rc::new(f.clone())).collect()).unwrap_or_default();
    let unit = Rc::new(Unit { constants: constants.into_boxed_slice(), protos: OnceCell::new(), files });
    let protos: Vec<Rc<FuncProto>> = bundle
        .protos
        .iter()
        .zip(code)
        .enumerate()
        .map(|(index, (proto, verified))| {
            let instrs: Box<[Instr]> = verified.instrs.iter().map(|i| i.map_syms(&relink)).collect();
            let lines = debug.and_then(|d| d.protos.get(index));
            let positions = lines.map(|lines| {
                verified
                    .offsets
                    .iter()
                    .map(|&pc| {
                        let row = lines.lines.partition_point(|l| l.pc <= pc.0);
                        row.checked_sub(1).map(|r| (lines.lines[r].line, lines.lines[r].col)).unwrap_or((0, 0))
                    })
                    .collect()
            });
            let name = proto.name.map(sym);
            Rc::new(FuncProto {
                name,
                trace_name: trace_name(name),
                arity: proto.arity,
                rest: proto.rest,
                registers: proto.registers,
                captures: proto.captures.clone().into_boxed_slice(),
                code: instrs,
                positions,
                file: lines.map(|l| l.file),
                unit: unit.clone(),
            })
        })
        .collect();
    let entry = protos[bundle.entry.0 as usize].clone();
    // The unit now refers to its prototypes and they to it: a program lives as long
    // as the process that loaded it, so the cycle is never meant to be freed.
    let _ = unit.protos.set(protos.into_boxed_slice());
    Program { unit, entry }
}

fn parse_big(text: &str) -> BigInt {
    // V1: big number text is verified to be decimal.
    text.parse().unwrap_or_default()
}

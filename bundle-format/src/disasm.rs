//! The disassembler: a readable listing of a bundle, used by `semac --emit=asm` and
//! by tests that assert the exact code the compiler emits. It reads an unverified
//! bundle and prints what it cannot decode rather than failing.

use std::fmt::Write;

use crate::bundle::{Bundle, Capture, Constant};
use crate::opcodes::{ByteOffset, Instr, TypedOperand};

/// The whole listing: constants, then every function.
pub fn disassemble(bundle: &Bundle) -> String {
    let mut out = String::new();
    for (i, constant) in bundle.constants.iter().enumerate() {
        let _ = writeln!(out, "k{i} = {}", describe_constant(bundle, constant));
    }
    for index in 0..bundle.protos.len() {
        out.push_str(&disassemble_proto(bundle, index));
    }
    out
}

/// One function's listing: a header line, then `offset  line:col  mnemonic operands`.
pub fn disassemble_proto(bundle: &Bundle, index: usize) -> String {
    let mut out = String::new();
    let proto = &bundle.protos[index];
    let name = proto.name.map(|s| symbol(bundle, s.0)).unwrap_or_else(|| "<lambda>".to_string());
    let entry = if bundle.entry.0 as usize == index { " (entry)" } else { "" };
    let captures: Vec<String> = proto
        .captures
        .iter()
        .map(|c| match c {
            Capture::Local(s) => format!("r{}", s.0),
            Capture::Outer(c) => format!("c{}", c.0),
        })
        .collect();
    let _ = writeln!(
        out,
        "\nfunction f{index} {name}{entry}: arity {}{}, registers {}, captures [{}]",
        proto.arity,
        if proto.rest { "+rest" } else { "" },
        proto.registers,
        captures.join(" ")
    );
    let lines = bundle.debug.as_ref().and_then(|d| d.protos.get(index)).map(|p| &p.lines[..]).unwrap_or(&[]);
    let mut at = 0usize;
    while at < proto.code.len() {
        let position = lines
            .iter()
            .take_while(|l| l.pc as usize <= at)
            .last()
            .map(|l| format!("{}:{}", l.line, l.col))
            .unwrap_or_default();
        match Instr::decode(&proto.code[at..]) {
            Ok((instr, len)) => {
                let _ = writeln!(out, "  {at:04}  {position:>7}  {}", describe_instr(bundle, &instr));
                at += len;
            }
            Err(err) => {
                let _ = writeln!(out, "  {at:04}  {position:>7}  <{err}>");
                break;
            }
        }
    }
    out
}

fn describe_instr(bundle: &Bundle, instr: &Instr<ByteOffset>) -> String {
    let mut text = instr.mnemonic().to_string();
    for operand in instr.operands() {
        text.push(' ');
        text.push_str(&operand);
    }
    // A note after the operands names what an index operand refers to.
    instr.for_each_operand(|operand| {
        let note = match operand {
            TypedOperand::Const(idx) => bundle.constants.get(idx.0 as usize).map(|c| describe_constant(bundle, c)),
            TypedOperand::Sym(sym) => Some(symbol(bundle, sym.0)),
            _ => None,
        };
        if let Some(note) = note {
            text.push_str("  ; ");
            text.push_str(&note);
        }
    });
    text
}

fn symbol(bundle: &Bundle, index: u32) -> String {
    bundle.symbols.get(index as usize).cloned().unwrap_or_else(|| format!("<bad symbol {index}>"))
}

fn describe_constant(bundle: &Bundle, constant: &Constant) -> String {
    let refs = |items: &[crate::bundle::ConstIdx]| items.iter().map(|i| format!("k{}", i.0)).collect::<Vec<_>>().join(" ");
    match constant {
        Constant::Nil => "nil".into(),
        Constant::Bool(b) => if *b { "#t" } else { "#f" }.into(),
        Constant::Int(i) => i.to_string(),
        Constant::BigInt(text) => text.clone(),
        Constant::Float(f) => format!("{f:?}"),
        Constant::Rational(n, d) => format!("{n}/{d}"),
        Constant::Str(s) => format!("{s:?}"),
        Constant::Char(c) => format!("char {c:#x}"),
        Constant::Symbol(s) => format!("'{}", symbol(bundle, s.0)),
        Constant::Keyword(s) => format!(":{}", symbol(bundle, s.0)),
        Constant::List(items) => format!("({})", refs(items)),
        Constant::Vector(items) => format!("[{}]", refs(items)),
        Constant::Map(pairs) => {
            let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("k{} k{}", k.0, v.0)).collect();
            format!("{{{}}}", inner.join(" "))
        }
        Constant::Bytevector(bytes) => format!("#u8{bytes:?}"),
        Constant::Complex(re, im) => format!("complex(k{} k{})", re.0, im.0),
    }
}

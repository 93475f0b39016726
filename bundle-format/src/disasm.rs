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
    // The line rows in effect, found with one cursor moving forward (a table from an
    // unverified bundle may be long; rows out of order are passed over).
    let mut row = 0usize;
    let mut position = String::new();
    let mut at = 0usize;
    while at < proto.code.len() {
        while let Some(l) = lines.get(row).filter(|l| l.pc as usize <= at) {
            position = format!("{}:{}", l.line, l.col);
            row += 1;
        }
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
    bundle.symbols.get(index as usize).map(|name| printable(name)).unwrap_or_else(|| format!("<bad symbol {index}>"))
}

/// `text` with control characters escaped: a bundle from elsewhere must not write
/// terminal escape sequences through the listing.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c.is_control() {
            true => out.extend(c.escape_default()),
            false => out.push(c),
        }
    }
    out
}

fn describe_constant(bundle: &Bundle, constant: &Constant) -> String {
    let refs = |items: &[crate::bundle::ConstIdx]| items.iter().map(|i| format!("k{}", i.0)).collect::<Vec<_>>().join(" ");
    match constant {
        Constant::Nil => "nil".into(),
        Constant::Bool(b) => if *b { "#t" } else { "#f" }.into(),
        Constant::Int(i) => i.to_string(),
        Constant::BigInt(text) => printable(text),
        Constant::Float(f) => format!("{f:?}"),
        Constant::Rational(n, d) => format!("{}/{}", printable(n), printable(d)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::{DebugInfo, LineEntry, Proto, ProtoDebug, ProtoIdx, SymIdx};

    /// One function named `name` whose code is `LoadNil r0; Return r0`, with `lines`.
    fn bundle(name: &str, lines: Vec<LineEntry>) -> Bundle {
        let mut code = Vec::new();
        Instr::<ByteOffset>::LoadNil { dst: crate::opcodes::Slot(0) }.encode(&mut code);
        Instr::<ByteOffset>::Return { src: crate::opcodes::Slot(0), written: crate::opcodes::Written(1) }.encode(&mut code);
        Bundle {
            symbols: vec![name.to_string()],
            constants: Vec::new(),
            protos: vec![Proto { name: Some(SymIdx(0)), arity: 0, rest: false, registers: 1, captures: Vec::new(), code }],
            entry: ProtoIdx(0),
            debug: Some(DebugInfo { files: vec!["a.sema".to_string()], protos: vec![ProtoDebug { file: 0, lines }] }),
        }
    }

    #[test]
    fn names_with_control_characters_are_escaped() {
        let listing = disassemble(&bundle("evil\u{1b}[2Jname", Vec::new()));
        assert!(!listing.contains('\u{1b}'), "{listing:?}");
        assert!(listing.contains("function f0 evil\\u{1b}[2Jname (entry)"), "{listing}");
    }

    #[test]
    fn a_long_line_table_is_read_once() {
        // A million rows for pc 0 (an unverified bundle may have them): quadratic
        // work here took hours; one pass takes milliseconds.
        let rows = (0..1_000_000).map(|i| LineEntry { pc: 0, line: i + 1, col: 1 }).collect();
        let listing = disassemble(&bundle("f", rows));
        assert!(listing.contains("  0000  1000000:1  LoadNil r0"), "{listing}");
    }
}

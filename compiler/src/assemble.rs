//! The assembler: label-addressed code to encoded bytes and a line table.

use std::collections::HashMap;

use bundle_format::bundle::LineEntry;
use bundle_format::opcodes::{ByteOffset, Instr, InstrIndex};
use bundle_format::verify::check_flow;

use crate::codegen::{Asm, Label};
use crate::error::{error, Result};
use crate::syntax::Span;

pub struct Assembled {
    pub code: Vec<u8>,
    pub lines: Vec<LineEntry>,
}

/// Assembles one function. `span` locates errors.
pub fn assemble(asm: &[Asm], span: Span) -> Result<Assembled> {
    // Pass 1: instruction index and byte offset of every label.
    let mut label_index: HashMap<Label, InstrIndex> = HashMap::new();
    let mut label_offset: HashMap<Label, ByteOffset> = HashMap::new();
    let mut instrs = Vec::new();
    let mut offset = 0u32;
    for item in asm {
        match item {
            Asm::Label(label) => {
                label_index.insert(*label, InstrIndex(instrs.len() as u32));
                label_offset.insert(*label, ByteOffset(offset));
            }
            Asm::Op(instr, span) => {
                instrs.push((*instr, *span));
                offset = offset.saturating_add(instr.encoded_len() as u32);
            }
        }
    }
    if offset as usize > bundle_format::limits::MAX_CODE_LEN {
        let most = bundle_format::limits::MAX_CODE_LEN >> 20;
        return error(span, format!("function too large: {offset} bytes of code, over the {most} MiB a bundle allows; split it into smaller functions"));
    }
    let indexed: Vec<Instr> = instrs.iter().map(|(i, _)| i.retarget(|label| label_index[&label])).collect();
    // The verifier's flow check (V7, V8): a code generation bug reported here, where
    // the source position is known, rather than when the bundle is loaded.
    if let Err(e) = check_flow(&indexed) {
        return error(span, format!("internal compiler error: generated code is invalid: {}", e.message));
    }
    // Pass 2: encode with byte-offset targets; a line row whenever the position changes.
    let mut code = Vec::with_capacity(offset as usize);
    let mut lines: Vec<LineEntry> = Vec::new();
    for (instr, span) in &instrs {
        let pc = code.len() as u32;
        if lines.last().is_none_or(|l| (l.line, l.col) != (span.line, span.col)) {
            lines.push(LineEntry { pc, line: span.line, col: span.col });
        }
        instr.retarget(|label| label_offset[&label]).encode(&mut code);
    }
    Ok(Assembled { code, lines })
}

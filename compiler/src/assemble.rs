//! The assembler: label-addressed code to encoded bytes and a line table.

use std::collections::HashMap;

use bundle_format::bundle::LineEntry;
use bundle_format::opcodes::{ByteOffset, Flow, Instr, InstrIndex, TypedOperand, Written};
use bundle_format::verify::check_flow;

use crate::codegen::{Asm, Label};
use crate::error::{error, Result};
use crate::syntax::Span;

pub struct Assembled {
    pub code: Vec<u8>,
    pub lines: Vec<LineEntry>,
}

/// The frame of the function being assembled: what its returns reset depends on it.
pub struct FrameShape {
    /// Parameters, the rest list included: written by the caller.
    pub params: u16,
    pub registers: u16,
}

/// Assembles one function. `span` locates errors.
pub fn assemble(asm: &[Asm], span: Span, frame: FrameShape) -> Result<Assembled> {
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
    for (index, written) in written_bounds(&indexed, &frame) {
        if let (Instr::Return { written: bound, .. }, _) = &mut instrs[index] {
            *bound = written;
        }
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

/// The `written` bound of each `Return` (by instruction index): one above the highest
/// register named on any path from the entry to it, and never below the parameters.
/// The VM resets only those registers when the function returns: a register no
/// instruction on the way named was not written by this call. A callee's registers are
/// reset by the callee's own return, and a builtin's arguments by the call. A function
/// that installs a handler resets all its registers: an error unwinding to it can leave
/// in them what the frames it called held. `code` has passed `check_flow`, so every
/// successor is an instruction.
fn written_bounds(code: &[Instr], frame: &FrameShape) -> Vec<(usize, Written)> {
    let all = Written(frame.registers);
    let handles_errors = code.iter().any(|instr| matches!(instr, Instr::PushHandler { .. }));
    // The bound on entry to each instruction, once reached; it only grows, so the
    // search ends.
    let mut entry: Vec<Option<u16>> = vec![None; code.len()];
    entry[0] = Some(frame.params);
    let mut work = vec![0usize];
    while let Some(i) = work.pop() {
        let out = entry[i].unwrap_or(0).max(registers_named(&code[i]));
        let mut flow_to = |to: usize| {
            if entry[to].is_none_or(|bound| bound < out) {
                entry[to] = Some(out);
                work.push(to);
            }
        };
        match code[i].flow() {
            Flow::Next => flow_to(i + 1),
            Flow::Branch(target) | Flow::Handler(target) => {
                flow_to(i + 1);
                flow_to(target.0 as usize);
            }
            Flow::Jump(target) => flow_to(target.0 as usize),
            Flow::Exit => {}
        }
    }
    code.iter()
        .enumerate()
        .filter(|(_, instr)| matches!(instr, Instr::Return { .. }))
        .map(|(i, instr)| {
            let bound = match entry[i] {
                Some(bound) if !handles_errors => Written(bound.max(registers_named(instr)).min(all.0)),
                _ => all,
            };
            (i, bound)
        })
        .collect()
}

/// One above the highest register `instr` names (an operand or the end of a window).
fn registers_named(instr: &Instr) -> u16 {
    let mut bound = 0u32;
    instr.for_each_operand(|operand| match operand {
        TypedOperand::Slot(r) => bound = bound.max(r.0 as u32 + 1),
        TypedOperand::SmallSlot(r) => bound = bound.max(r.0 as u32 + 1),
        _ => {}
    });
    if let Some(window) = instr.window() {
        bound = bound.max(window.start.saturating_add(window.len));
    }
    bound.min(u16::MAX as u32) as u16
}

#[cfg(test)]
mod tests {
    use bundle_format::opcodes::{SmallInt, SmallSlot, Slot};

    use super::*;

    fn ret(src: u16) -> Instr {
        Instr::Return { src: Slot(src), written: Written(0) }
    }

    fn bounds(code: &[Instr], params: u16, registers: u16) -> Vec<(usize, u16)> {
        written_bounds(code, &FrameShape { params, registers }).into_iter().map(|(i, w)| (i, w.0)).collect()
    }

    #[test]
    fn a_base_case_return_resets_only_the_parameters() {
        // (if (< y x) (let ((t 1)) t) z) with its registers as tak has them.
        let code = [
            Instr::LtJumpIfTrue { a: SmallSlot(1), b: SmallSlot(0), target: InstrIndex(2) },
            ret(2),
            Instr::LoadInt { dst: Slot(7), value: SmallInt(1) },
            ret(7),
        ];
        assert_eq!(bounds(&code, 3, 10), [(1, 3), (3, 8)]);
    }

    #[test]
    fn a_loop_body_counts_for_the_return_after_the_loop() {
        // The return follows the loop test, which is reached again from the body.
        let code = [
            Instr::LoadInt { dst: Slot(1), value: SmallInt(0) },
            Instr::JumpIfTrue { src: Slot(1), target: InstrIndex(4) },
            Instr::LoadInt { dst: Slot(5), value: SmallInt(0) },
            Instr::Jump { target: InstrIndex(1) },
            ret(1),
        ];
        assert_eq!(bounds(&code, 1, 6), [(4, 6)]);
    }

    #[test]
    fn a_call_window_counts_to_its_end() {
        let code = [Instr::Call { a: Slot(2), argc: bundle_format::opcodes::Argc(3) }, ret(2)];
        assert_eq!(bounds(&code, 1, 6), [(1, 6)]);
    }

    #[test]
    fn a_function_with_a_handler_resets_every_register() {
        let code = [
            Instr::PushHandler { dst: Slot(1), target: InstrIndex(3) },
            Instr::PopHandler {},
            ret(0),
            ret(1),
        ];
        assert_eq!(bounds(&code, 1, 9), [(2, 9), (3, 9)]);
    }
}

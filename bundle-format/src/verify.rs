//! The verifier: the only way from a [`Bundle`] to something the VM runs.
//!
//! It proves, for every prototype: each opcode is known and each operand in range
//! (constants, symbols, prototypes, registers, captures), and each register window
//! (a call's callee and arguments, a collection's items) inside the frame; jump and
//! handler targets are instruction boundaries of the same function; every instruction
//! is reached with one handler count; control never falls off the end; `PopHandler`
//! only runs with a handler installed. It also checks the constant pool (collections refer only to
//! earlier constants, big numbers are decimal text, chars are scalar values), the
//! prototypes' arities and capture descriptors, and the entry function.
//! The VM's unchecked fast paths cite these rules by name (V1..V8 below).

use std::fmt;

use crate::bundle::{Bundle, Capture, Constant, Proto};
use crate::limits;
use crate::opcodes::{ByteOffset, CaptureIdx, Flow, Instr, InstrIndex, TypedOperand};

/// Why a bundle was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError {
    /// The prototype, when the problem is inside one.
    pub proto: Option<u32>,
    /// The byte offset in that prototype's code, when known.
    pub pc: Option<u32>,
    pub message: String,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid bundle: ")?;
        match (self.proto, self.pc) {
            (Some(p), Some(pc)) => write!(f, "function {p}, byte {pc}: ")?,
            (Some(p), None) => write!(f, "function {p}: ")?,
            _ => {}
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for VerifyError {}

/// A prototype's code after verification: decoded instructions whose targets are
/// instruction indices, and the byte offset each instruction had in the bundle.
#[derive(Clone, Debug)]
pub struct VerifiedCode {
    pub instrs: Vec<Instr<InstrIndex>>,
    pub offsets: Vec<ByteOffset>,
}

/// A bundle that passed every check. Its fields can be read but not changed, and it
/// can only be made by [`verify_bundle`].
#[derive(Clone, Debug)]
pub struct VerifiedBundle {
    bundle: Bundle,
    code: Vec<VerifiedCode>,
}

impl VerifiedBundle {
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// The decoded code of each prototype, in prototype order.
    pub fn code(&self) -> &[VerifiedCode] {
        &self.code
    }

    pub fn into_parts(self) -> (Bundle, Vec<VerifiedCode>) {
        (self.bundle, self.code)
    }
}

/// Checks everything the VM relies on.
pub fn verify_bundle(bundle: Bundle) -> Result<VerifiedBundle, VerifyError> {
    verify_constants(&bundle)?;
    verify_entry(&bundle)?;
    let mut code = Vec::with_capacity(bundle.protos.len());
    for (index, proto) in bundle.protos.iter().enumerate() {
        code.push(verify_proto(&bundle, index as u32, proto)?);
    }
    if let Some(debug) = &bundle.debug {
        if debug.protos.len() != bundle.protos.len() {
            return Err(error(None, None, "debug section does not cover every function".into()));
        }
        if debug.protos.iter().any(|p| p.file as usize >= debug.files.len()) {
            return Err(error(None, None, "debug section names a file it does not list".into()));
        }
    }
    Ok(VerifiedBundle { bundle, code })
}

fn error(proto: Option<u32>, pc: Option<u32>, message: String) -> VerifyError {
    VerifyError { proto, pc, message }
}

fn verify_constants(bundle: &Bundle) -> Result<(), VerifyError> {
    let symbols = bundle.symbols.len();
    for (index, constant) in bundle.constants.iter().enumerate() {
        let fail = |what: &str| error(None, None, format!("constant {index}: {what}"));
        // V1: a collection constant refers only to earlier constants, so linking them in
        // order never meets a missing or cyclic element.
        let earlier = |i: &crate::bundle::ConstIdx| (i.0 as usize) < index;
        let is_real_part = |i: &crate::bundle::ConstIdx| {
            earlier(i)
                && matches!(
                    bundle.constants[i.0 as usize],
                    Constant::Int(_) | Constant::BigInt(_) | Constant::Float(_) | Constant::Rational(..)
                )
        };
        match constant {
            Constant::Symbol(s) | Constant::Keyword(s) if s.0 as usize >= symbols => {
                return Err(fail("symbol index out of range"))
            }
            Constant::List(items) | Constant::Vector(items) if !items.iter().all(earlier) => {
                return Err(fail("element is not an earlier constant"))
            }
            Constant::Map(pairs) if !pairs.iter().all(|(k, v)| earlier(k) && earlier(v)) => {
                return Err(fail("map entry is not an earlier constant"))
            }
            Constant::BigInt(text) if !is_decimal(text, true) => {
                return Err(fail("big integer is not decimal text"))
            }
            Constant::Rational(num, den)
                if !is_decimal(num, true) || !is_decimal(den, false) || den.bytes().all(|b| b == b'0') =>
            {
                return Err(fail("rational is not a decimal fraction with a non-zero denominator"))
            }
            Constant::Complex(re, im) if !is_real_part(re) || !is_real_part(im) => {
                return Err(fail("complex part is not an earlier real number constant"))
            }
            Constant::Char(c) if char::from_u32(*c).is_none() => {
                return Err(fail("char is not a Unicode scalar value"))
            }
            _ => {}
        }
    }
    Ok(())
}

fn is_decimal(text: &str, signed: bool) -> bool {
    let digits = if signed { text.strip_prefix('-').unwrap_or(text) } else { text };
    !digits.is_empty() && digits.len() <= limits::MAX_BIGINT_DIGITS && digits.bytes().all(|b| b.is_ascii_digit())
}

fn verify_entry(bundle: &Bundle) -> Result<(), VerifyError> {
    // V2: the entry function exists and needs no arguments and no captures.
    let Some(entry) = bundle.protos.get(bundle.entry.0 as usize) else {
        return Err(error(None, None, "entry function missing".into()));
    };
    if entry.arity != 0 || entry.rest || !entry.captures.is_empty() {
        return Err(error(Some(bundle.entry.0), None, "entry function takes arguments or captures".into()));
    }
    Ok(())
}

fn verify_proto(bundle: &Bundle, index: u32, proto: &Proto) -> Result<VerifiedCode, VerifyError> {
    let fail = |pc: Option<u32>, message: String| error(Some(index), pc, message);
    if let Some(name) = proto.name {
        if name.0 as usize >= bundle.symbols.len() {
            return Err(fail(None, "name symbol out of range".into()));
        }
    }
    // V3: parameters (and the rest list) fit in the registers.
    let params = proto.arity as u32 + proto.rest as u32;
    if params > proto.registers as u32 {
        return Err(fail(None, "more parameters than registers".into()));
    }
    if proto.code.is_empty() || proto.code.len() > limits::MAX_CODE_LEN {
        return Err(fail(None, "code is empty or too long".into()));
    }

    // Decode, recording where each instruction starts.
    let mut encoded = Vec::new();
    let mut offsets = Vec::new();
    let mut at = 0usize;
    while at < proto.code.len() {
        let (instr, len) = Instr::decode(&proto.code[at..]).map_err(|e| fail(Some(at as u32), e.to_string()))?;
        offsets.push(ByteOffset(at as u32));
        encoded.push(instr);
        at += len;
    }

    // V4: every operand is in range, and targets become instruction indices.
    let mut instrs = Vec::with_capacity(encoded.len());
    for (instr, &pc) in encoded.iter().zip(&offsets) {
        check_operands(bundle, proto, instr).map_err(|m| fail(Some(pc.0), m))?;
        instrs.push(instr.map_target(|target| {
            offsets
                .binary_search(&target)
                .map(|i| InstrIndex(i as u32))
                .map_err(|_| fail(Some(pc.0), format!("jump target {} is not an instruction boundary", target.0)))
        })?);
    }

    check_flow(&instrs).map_err(|e| fail(Some(offsets[e.index].0), e.message))?;
    Ok(VerifiedCode { instrs, offsets })
}

fn check_operands(bundle: &Bundle, proto: &Proto, instr: &Instr<ByteOffset>) -> Result<(), String> {
    instr.try_for_each_operand(|operand| check_operand(bundle, proto, operand))?;
    // V4: a run of registers used as a whole (a call's window, a collection's items)
    // lies inside the frame.
    if let Some(window) = instr.window() {
        if window.start as u64 + window.len as u64 > proto.registers as u64 {
            return Err(format!(
                "{} uses registers {}..{}, beyond the frame's {}",
                instr.mnemonic(),
                window.start,
                window.start as u64 + window.len as u64,
                proto.registers
            ));
        }
    }
    Ok(())
}

/// The range check of one operand, by its kind, wherever it appears.
fn check_operand<T>(bundle: &Bundle, proto: &Proto, operand: TypedOperand<T>) -> Result<(), String> {
    let register = |index: u16| {
        if index < proto.registers { Ok(()) } else { Err(format!("register {index} out of range")) }
    };
    let capture = |idx: CaptureIdx| {
        if (idx.0 as usize) < proto.captures.len() {
            Ok(())
        } else {
            Err(format!("capture {} out of range", idx.0))
        }
    };
    match operand {
        TypedOperand::Const(idx) if idx.0 as usize >= bundle.constants.len() => {
            Err(format!("constant {} out of range", idx.0))
        }
        TypedOperand::Sym(sym) if sym.0 as usize >= bundle.symbols.len() => {
            Err(format!("symbol {} out of range", sym.0))
        }
        TypedOperand::Slot(slot) => register(slot.0),
        // A return resets the registers below the bound: all of them exist.
        TypedOperand::Written(w) if w.0 > proto.registers => {
            Err(format!("written-register bound {} out of range", w.0))
        }
        TypedOperand::Written(_) => Ok(()),
        TypedOperand::SmallSlot(slot) => register(slot.0 as u16),
        TypedOperand::Capture(idx) => capture(idx),
        TypedOperand::Proto(target) => {
            // V5: a closure's capture descriptors name slots and captures of the frame
            // that creates it.
            let Some(created) = bundle.protos.get(target.0 as usize) else {
                return Err(format!("function {} out of range", target.0));
            };
            for c in &created.captures {
                match *c {
                    Capture::Local(slot) => register(slot.0)?,
                    Capture::Outer(idx) => capture(idx)?,
                }
            }
            Ok(())
        }
        // In range. Jump targets are checked when they become instruction indices.
        TypedOperand::Const(_) | TypedOperand::Sym(_) | TypedOperand::Target(_) => Ok(()),
        // Counts and literals: any value is valid (windows bound the counts).
        TypedOperand::Argc(_)
        | TypedOperand::SmallArgc(_)
        | TypedOperand::Count(_)
        | TypedOperand::Int(_)
        | TypedOperand::ShortInt(_) => Ok(()),
    }
}

/// Why `check_flow` rejected code: the instruction index and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowError {
    pub index: usize,
    pub message: String,
}

/// V7: control never falls off the end. V8: every instruction is reached with one
/// handler count, and `PopHandler` has a handler to pop. A dataflow over code whose
/// targets are instruction indices.
pub fn check_flow(instrs: &[Instr<InstrIndex>]) -> Result<(), FlowError> {
    if instrs.is_empty() {
        return Err(FlowError { index: 0, message: "empty code".to_string() });
    }
    fn fail<T>(index: usize, message: String) -> Result<T, FlowError> {
        Err(FlowError { index, message })
    }
    // The handler count on entry to each instruction, once reached.
    let mut handlers: Vec<Option<u32>> = vec![None; instrs.len()];
    let mut work = vec![0usize];
    handlers[0] = Some(0);
    let flow_to = |handlers: &mut Vec<Option<u32>>, work: &mut Vec<usize>, from: usize, to: usize, count: u32| {
        if to >= instrs.len() {
            return fail(from, "control falls off the end of the function".to_string());
        }
        match handlers[to] {
            None => {
                handlers[to] = Some(count);
                work.push(to);
                Ok(())
            }
            Some(existing) if existing == count => Ok(()),
            Some(existing) => fail(to, format!("inconsistent handlers at join: {existing} vs {count}")),
        }
    };
    while let Some(i) = work.pop() {
        let here = handlers[i].expect("queued instructions have a handler count");
        let instr = instrs[i];
        let mut next = here;
        if let Instr::PopHandler {} = instr {
            if here == 0 {
                return fail(i, "PopHandler without a handler".to_string());
            }
            next -= 1;
        }
        match instr.flow() {
            Flow::Next => flow_to(&mut handlers, &mut work, i, i + 1, next)?,
            Flow::Branch(t) => {
                flow_to(&mut handlers, &mut work, i, i + 1, next)?;
                flow_to(&mut handlers, &mut work, i, t.0 as usize, next)?;
            }
            Flow::Jump(t) => flow_to(&mut handlers, &mut work, i, t.0 as usize, next)?,
            Flow::Handler(t) => {
                // No bound needed: joins agree, so the count is at most the number of
                // PushHandler instructions.
                flow_to(&mut handlers, &mut work, i, t.0 as usize, here)?;
                flow_to(&mut handlers, &mut work, i, i + 1, here + 1)?;
            }
            Flow::Exit => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::{ConstIdx, ProtoIdx, SymIdx};
    use crate::opcodes::{Argc, Count, Slot, SmallArgc, Written};

    /// A bundle whose entry runs `code`, with one constant, one symbol, four registers,
    /// no captures and one function.
    fn bundle(code: Vec<u8>) -> Bundle {
        let proto = Proto { name: None, arity: 0, rest: false, registers: 4, captures: Vec::new(), code };
        Bundle {
            symbols: vec!["x".to_string()],
            constants: vec![Constant::Nil],
            protos: vec![proto],
            entry: ProtoIdx(0),
            debug: None,
        }
    }

    fn encode(instrs: &[Instr<ByteOffset>]) -> Vec<u8> {
        let mut code = Vec::new();
        for instr in instrs {
            instr.encode(&mut code);
        }
        code
    }

    #[test]
    fn every_operand_kind_with_a_range_is_checked_in_every_instruction() {
        // Each opcode with every operand at its largest encoding: out of range for each
        // kind that indexes something. Counts and literals have no range; a kind added
        // to the table is expected to have one until it is listed here.
        let unranged = |operand: &TypedOperand<ByteOffset>| {
            matches!(
                operand,
                TypedOperand::Argc(_)
                    | TypedOperand::SmallArgc(_)
                    | TypedOperand::Count(_)
                    | TypedOperand::Int(_)
                    | TypedOperand::ShortInt(_)
            )
        };
        for &id in Instr::ALL_OPCODES {
            let mut bytes = vec![0xff; 16];
            bytes[0] = id;
            let (instr, len) = Instr::decode(&bytes).expect("every listed opcode decodes");
            let mut operands = Vec::new();
            instr.for_each_operand(|operand| operands.push(operand));
            if operands.iter().all(unranged) {
                continue;
            }
            let mut code = bytes[..len].to_vec();
            code.extend(encode(&[Instr::LoadNil { dst: Slot(0) }, Instr::Return { src: Slot(0), written: Written(0) }]));
            let rejected = verify_bundle(bundle(code)).expect_err(instr.mnemonic());
            assert_eq!(rejected.pc, Some(0), "{}: {}", instr.mnemonic(), rejected.message);
            assert!(
                rejected.message.contains("out of range") || rejected.message.contains("not an instruction boundary"),
                "{}: {}",
                instr.mnemonic(),
                rejected.message
            );
        }
    }

    #[test]
    fn in_range_operands_pass_the_range_checks() {
        let code = encode(&[
            Instr::LoadConst { dst: Slot(0), idx: ConstIdx(0) },
            Instr::StoreGlobal { sym: SymIdx(0), src: Slot(0) },
            Instr::Closure { dst: Slot(3), proto: ProtoIdx(0) },
            Instr::CallGlobal { sym: SymIdx(0), a: Slot(1), argc: SmallArgc(2) },
            Instr::Return { src: Slot(3), written: Written(0) },
        ]);
        assert!(verify_bundle(bundle(code)).is_ok());
    }

    #[test]
    fn a_register_window_must_fit_in_the_frame() {
        // Four registers: a call at r1 with two arguments uses r1..r3, with three r1..r4.
        for (instr, fits) in [
            (Instr::Call { a: Slot(1), argc: Argc(2) }, true),
            (Instr::Call { a: Slot(1), argc: Argc(3) }, false),
            (Instr::CallGlobal { sym: SymIdx(0), a: Slot(3), argc: SmallArgc(1) }, false),
            (Instr::MakeList { dst: Slot(0), count: Count(4) }, true),
            (Instr::MakeVector { dst: Slot(2), count: Count(u32::MAX) }, false),
            (Instr::MakeMap { dst: Slot(0), pairs: Count(3) }, false),
        ] {
            let code = encode(&[instr, Instr::Return { src: Slot(0), written: Written(0) }]);
            let verdict = verify_bundle(bundle(code));
            assert_eq!(verdict.is_ok(), fits, "{instr:?}: {verdict:?}");
            if let Err(err) = verdict {
                assert!(err.message.contains("beyond the frame"), "{}", err.message);
            }
        }
    }

    #[test]
    fn handler_counts_must_agree_at_joins() {
        // PushHandler is 7 bytes, LoadNil 3, PopHandler 1: the handler's target is the
        // Return, reached with no handler both ways.
        let code = encode(&[
            Instr::PushHandler { dst: Slot(0), target: ByteOffset(11) },
            Instr::LoadNil { dst: Slot(0) },
            Instr::PopHandler {},
            Instr::Return { src: Slot(0), written: Written(0) },
        ]);
        assert!(verify_bundle(bundle(code)).is_ok());
        // Without the PopHandler the fall-through reaches the Return with one handler.
        let joined = encode(&[
            Instr::PushHandler { dst: Slot(0), target: ByteOffset(10) },
            Instr::LoadNil { dst: Slot(0) },
            Instr::Return { src: Slot(0), written: Written(0) },
        ]);
        let err = verify_bundle(bundle(joined)).expect_err("a join with 0 and 1 handlers");
        assert!(err.message.contains("inconsistent handlers"), "{}", err.message);
        let unbalanced = encode(&[Instr::PopHandler {}, Instr::Return { src: Slot(0), written: Written(0) }]);
        let err = verify_bundle(bundle(unbalanced)).expect_err("PopHandler with none installed");
        assert!(err.message.contains("without a handler"), "{}", err.message);
    }
}

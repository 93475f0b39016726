//! Adversarial tests of reading and verifying: round trips, truncation at every
//! length, every header byte bumped, every payload byte flipped. Reading and verifying
//! must return an error value for every broken input, never panic.

use bundle_format::bundle::{
    Bundle, Capture, CaptureIdx, ConstIdx, Constant, DebugInfo, LineEntry, Proto, ProtoDebug, ProtoIdx, Slot, SymIdx,
};
use bundle_format::header::{HEADER_LEN, MAGIC};
use bundle_format::opcodes::{Argc, ByteOffset, Count, Instr, ShortInt, SmallArgc, SmallInt, SmallSlot, Written};
use bundle_format::{read_bundle, verify_bundle, write_bundle, ReadError};

fn code(instrs: &[Instr<ByteOffset>]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in instrs {
        i.encode(&mut out);
    }
    out
}

/// A small valid program: a top level that makes a closure over a register and calls it.
fn sample() -> Bundle {
    // r0 := 41; r2 := closure over r0; r2 := r2(); r3 := :k; r1 := println(r2, r3)
    let entry = code(&[
        Instr::LoadInt { dst: Slot(0), value: SmallInt(41) },
        Instr::Closure { dst: Slot(2), proto: ProtoIdx(1) },
        Instr::Call { a: Slot(2), argc: Argc(0) },
        Instr::LoadConst { dst: Slot(3), idx: ConstIdx(2) },
        Instr::CallGlobal { sym: SymIdx(0), a: Slot(1), argc: SmallArgc(2) },
        Instr::Return { src: Slot(1), written: Written(0) },
    ]);
    // if the captured value is below 100: return it + 1, else nil. Byte offsets: the
    // LoadCapture is 5 bytes, LoadInt 7, LtJumpIfFalse 7, AddInt 7, Return 5.
    let inner = code(&[
        Instr::LoadCapture { dst: Slot(0), idx: CaptureIdx(0) },
        Instr::LoadInt { dst: Slot(1), value: SmallInt(100) },
        Instr::LtJumpIfFalse { a: SmallSlot(0), b: SmallSlot(1), target: ByteOffset(31) },
        Instr::AddInt { dst: Slot(0), a: Slot(0), value: ShortInt(1) },
        Instr::Return { src: Slot(0), written: Written(0) },
        Instr::LoadNil { dst: Slot(0) },
        Instr::Return { src: Slot(0), written: Written(0) },
    ]);
    Bundle {
        symbols: vec!["println".into(), "k".into()],
        constants: vec![Constant::Int(1), Constant::Keyword(SymIdx(1)), Constant::List(vec![ConstIdx(0), ConstIdx(1)])],
        protos: vec![
            Proto { name: None, arity: 0, rest: false, registers: 4, captures: vec![], code: entry },
            Proto {
                name: Some(SymIdx(1)),
                arity: 0,
                rest: false,
                registers: 2,
                captures: vec![Capture::Local(Slot(0))],
                code: inner,
            },
        ],
        entry: ProtoIdx(0),
        debug: Some(DebugInfo {
            files: vec!["sample.sema".into()],
            protos: vec![
                ProtoDebug { file: 0, lines: vec![LineEntry { pc: 0, line: 1, col: 1 }] },
                ProtoDebug { file: 0, lines: vec![LineEntry { pc: 0, line: 2, col: 3 }] },
            ],
        }),
    }
}

fn load(bytes: &[u8]) -> Result<(), String> {
    let bundle = read_bundle(bytes).map_err(|e| e.to_string())?;
    verify_bundle(bundle).map(|_| ()).map_err(|e| e.to_string())
}

#[test]
fn a_written_bundle_reads_back_identically_and_verifies() {
    let bundle = sample();
    let bytes = write_bundle(&bundle);
    assert_eq!(read_bundle(&bytes).expect("reads"), bundle);
    verify_bundle(bundle).expect("verifies");
}

#[test]
fn truncation_at_every_length_is_reported_as_truncation() {
    let bytes = write_bundle(&sample());
    for len in 0..bytes.len() {
        match read_bundle(&bytes[..len]) {
            Err(ReadError::Truncated { expected, actual }) => {
                assert_eq!(actual, len as u64);
                assert!(expected > actual);
            }
            other => panic!("length {len}: expected a truncation error, got {other:?}"),
        }
    }
}

#[test]
fn every_header_byte_bumped_is_rejected_with_a_specific_error() {
    let bytes = write_bundle(&sample());
    for at in 0..HEADER_LEN {
        let mut broken = bytes.clone();
        broken[at] = broken[at].wrapping_add(1);
        let err = read_bundle(&broken).expect_err(&format!("byte {at} bumped must be rejected"));
        let ok = match at {
            0..=7 => matches!(err, ReadError::NotABundle | ReadError::TextMangled),
            8..=11 => matches!(err, ReadError::NewerVersion { .. } | ReadError::OlderVersion { .. }),
            // Bumping the debug flag to 2 announces a signature block that is not there.
            12 => matches!(err, ReadError::UnknownFlags { .. } | ReadError::Truncated { .. }),
            13..=15 => matches!(err, ReadError::UnknownFlags { .. }),
            16..=23 => matches!(err, ReadError::Truncated { .. } | ReadError::TrailingBytes { .. } | ReadError::Malformed { .. }),
            _ => matches!(err, ReadError::Corrupted { .. }),
        };
        assert!(ok, "byte {at}: unexpected error {err:?}");
    }
}

#[test]
fn every_payload_byte_flipped_is_caught_by_the_digest() {
    let bytes = write_bundle(&sample());
    for at in HEADER_LEN..bytes.len() {
        let mut broken = bytes.clone();
        broken[at] ^= 0x40;
        assert!(matches!(read_bundle(&broken), Err(ReadError::Corrupted { .. })), "byte {at}");
    }
}

/// Rewrites the digest so that a payload change reaches the section decoder and the
/// verifier, as a crafted file would.
fn with_fixed_digest(mut bytes: Vec<u8>) -> Vec<u8> {
    let digest = bundle_format::header::digest(&bytes[HEADER_LEN..]);
    bytes[24..32].copy_from_slice(&digest.to_le_bytes());
    bytes
}

#[test]
fn crafted_payloads_never_panic_the_reader_or_verifier() {
    let bytes = write_bundle(&sample());
    let mut outcomes = [0usize; 2];
    for at in HEADER_LEN..bytes.len() {
        for value in [0x00, 0x01, 0x7f, 0x80, 0xff] {
            let mut broken = bytes.clone();
            broken[at] = value;
            let broken = with_fixed_digest(broken);
            outcomes[load(&broken).is_ok() as usize] += 1;
        }
    }
    assert!(outcomes[0] > 0, "some crafted payloads must be rejected");
}

#[test]
fn text_mode_mangling_is_named() {
    let mut bytes = write_bundle(&sample());
    bytes.remove(4); // CR LF → LF
    assert_eq!(read_bundle(&bytes), Err(ReadError::TextMangled));
    let mut bytes = write_bundle(&sample());
    bytes[0] &= 0x7f; // high bit stripped
    assert_eq!(read_bundle(&bytes), Err(ReadError::TextMangled));
    assert_eq!(read_bundle(b"(println 1)\n"), Err(ReadError::NotABundle));
    assert_eq!(&MAGIC[..4], b"\x89SMB");
}

/// `sample()` with the closure's function replaced: `arity` parameters (and a rest list
/// if `rest`) in `registers` registers, running `instrs`.
fn with_function(arity: u16, rest: bool, registers: u16, instrs: &[Instr<ByteOffset>]) -> Bundle {
    let mut bundle = sample();
    let function = &mut bundle.protos[1];
    (function.arity, function.rest, function.registers, function.code) = (arity, rest, registers, code(instrs));
    bundle
}

fn rejection(bundle: Bundle) -> String {
    verify_bundle(bundle).map(|_| ()).expect_err("the verifier accepted it").message
}

#[test]
fn the_verifier_rejects_each_broken_rule() {
    let return_r0 = Instr::Return { src: Slot(0), written: Written(0) };
    let entry_runs = |instrs: Vec<Instr<ByteOffset>>| move |b: &mut Bundle| b.protos[0].code = code(&instrs);
    let cases: Vec<(&str, &str, Box<dyn Fn(&mut Bundle)>)> = vec![
        ("unknown opcode", "unknown opcode", Box::new(|b: &mut Bundle| b.protos[1].code[0] = 0xee)),
        (
            "constant out of range",
            "constant 99 out of range",
            Box::new(entry_runs(vec![Instr::LoadConst { dst: Slot(0), idx: ConstIdx(99) }, return_r0])),
        ),
        (
            "register out of range",
            "register 4 out of range",
            Box::new(entry_runs(vec![Instr::Move { dst: Slot(0), src: Slot(4) }, return_r0])),
        ),
        (
            "frame smaller than its code",
            "register 3 out of range",
            Box::new(|b: &mut Bundle| b.protos[0].registers = 3),
        ),
        (
            "more parameters than registers",
            "more parameters than registers",
            Box::new(|b: &mut Bundle| b.protos[1].arity = 3),
        ),
        (
            "rest list beyond the registers",
            "more parameters than registers",
            Box::new(|b: &mut Bundle| (b.protos[1].arity, b.protos[1].rest) = (2, true)),
        ),
        (
            "call window beyond the frame",
            "Call uses registers 2..5, beyond the frame's 4",
            Box::new(entry_runs(vec![Instr::Call { a: Slot(2), argc: Argc(2) }, return_r0])),
        ),
        ("falls off the end", "falls off the end", Box::new(entry_runs(vec![Instr::LoadNil { dst: Slot(0) }]))),
        (
            "jump into an instruction",
            "jump target 2 is not an instruction boundary",
            Box::new(entry_runs(vec![
                Instr::Jump { target: ByteOffset(2) },
                Instr::LoadNil { dst: Slot(0) },
                return_r0,
            ])),
        ),
        (
            "captured register out of range",
            "register 9 out of range",
            Box::new(|b: &mut Bundle| b.protos[1].captures = vec![Capture::Local(Slot(9))]),
        ),
        (
            "capture of a capture the creator lacks",
            "capture 0 out of range",
            Box::new(|b: &mut Bundle| b.protos[1].captures = vec![Capture::Outer(CaptureIdx(0))]),
        ),
        ("missing entry", "entry function missing", Box::new(|b: &mut Bundle| b.entry = ProtoIdx(7))),
        ("entry takes arguments", "entry function takes arguments", Box::new(|b: &mut Bundle| b.protos[0].arity = 1)),
        (
            "forward constant reference",
            "not an earlier constant",
            Box::new(|b: &mut Bundle| b.constants[0] = Constant::List(vec![ConstIdx(2)])),
        ),
        (
            "pop handler without handler",
            "PopHandler without a handler",
            Box::new(entry_runs(vec![Instr::PopHandler {}, Instr::LoadNil { dst: Slot(0) }, return_r0])),
        ),
        (
            // PushHandler is 7 bytes and LoadNil 3: the Return is reached with no handler
            // (the handler's target) and with one (the fall-through).
            "handler counts disagree at a join",
            "inconsistent handlers at join",
            Box::new(entry_runs(vec![
                Instr::PushHandler { dst: Slot(0), target: ByteOffset(10) },
                Instr::LoadNil { dst: Slot(0) },
                return_r0,
            ])),
        ),
        (
            "handler register out of range",
            "register 4 out of range",
            Box::new(entry_runs(vec![Instr::PushHandler { dst: Slot(4), target: ByteOffset(7) }, return_r0])),
        ),
    ];
    for (name, expected, break_it) in cases {
        let mut bundle = sample();
        break_it(&mut bundle);
        let message = rejection(bundle);
        assert!(message.contains(expected), "{name}: {message}");
    }
}

#[test]
fn every_register_operand_of_an_instruction_is_checked() {
    // The function has two registers: r2 is one past its frame.
    let add = |dst, a, b| Instr::Add { dst: Slot(dst), a: Slot(a), b: Slot(b) };
    // A fused compare-and-branch names its registers as SmallSlots; the branch goes
    // back to itself.
    let lt = |a, b| Instr::LtJumpIfTrue { a: SmallSlot(a), b: SmallSlot(b), target: ByteOffset(0) };
    for (instr, fits) in [
        (add(0, 1, 1), true),
        (add(2, 0, 1), false),
        (add(0, 2, 1), false),
        (add(0, 1, 2), false),
        (lt(0, 1), true),
        (lt(2, 1), false),
        (lt(1, 2), false),
    ] {
        let bundle = with_function(0, false, 2, &[instr, Instr::Return { src: Slot(0), written: Written(0) }]);
        if fits {
            verify_bundle(bundle).unwrap_or_else(|e| panic!("{instr:?}: {e}"));
        } else {
            let message = rejection(bundle);
            assert!(message.contains("register 2 out of range"), "{instr:?}: {message}");
        }
    }
}

#[test]
fn a_small_slot_reaches_the_last_register_it_can_name() {
    let compare = [
        Instr::NumEqJumpIfFalse { a: SmallSlot(255), b: SmallSlot(0), target: ByteOffset(7) },
        Instr::Return { src: Slot(0), written: Written(0) },
    ];
    verify_bundle(with_function(0, false, 256, &compare)).expect("r255 of 256 registers is accepted");
    let message = rejection(with_function(0, false, 255, &compare));
    assert!(message.contains("register 255 out of range"), "{message}");
}

#[test]
fn every_register_window_must_fit_in_the_frame() {
    // A function of arity 2 with four registers. Each instruction is built with its
    // window's first register; the window fits when it ends at the frame's end and is
    // rejected one register later, although that first register is still in range.
    let windows: Vec<(u16, Box<dyn Fn(u16) -> Instr<ByteOffset>>)> = vec![
        (3, Box::new(|a| Instr::Call { a: Slot(a), argc: Argc(2) })),
        (3, Box::new(|a| Instr::TailCall { a: Slot(a), argc: Argc(2) })),
        (3, Box::new(|a| Instr::CallGlobal { sym: SymIdx(0), a: Slot(a), argc: SmallArgc(2) })),
        (3, Box::new(|a| Instr::TailCallGlobal { sym: SymIdx(0), a: Slot(a), argc: SmallArgc(2) })),
        (3, Box::new(|a| Instr::CallSelf { a: Slot(a), argc: Argc(2) })),
        (3, Box::new(|dst| Instr::MakeList { dst: Slot(dst), count: Count(3) })),
        (3, Box::new(|dst| Instr::MakeVector { dst: Slot(dst), count: Count(3) })),
        (4, Box::new(|dst| Instr::MakeMap { dst: Slot(dst), pairs: Count(2) })),
    ];
    for (len, at) in windows {
        let fitting = at(4 - len);
        verify_bundle(with_function(2, false, 4, &[fitting, Instr::Return { src: Slot(0), written: Written(0) }]))
            .unwrap_or_else(|e| panic!("{fitting:?}: {e}"));
        let beyond = at(5 - len);
        let message = rejection(with_function(2, false, 4, &[beyond, Instr::Return { src: Slot(0), written: Written(0) }]));
        let expected = format!("{} uses registers {}..5, beyond the frame's 4", beyond.mnemonic(), 5 - len);
        assert!(message.contains(&expected), "{beyond:?}: {message}");
    }
    // The largest counts do not overflow the check.
    for huge in [
        Instr::Call { a: Slot(0), argc: Argc(u16::MAX) },
        Instr::MakeVector { dst: Slot(3), count: Count(u32::MAX) },
        Instr::MakeMap { dst: Slot(3), pairs: Count(u32::MAX) },
    ] {
        let message = rejection(with_function(2, false, 4, &[huge, Instr::Return { src: Slot(0), written: Written(0) }]));
        assert!(message.contains("beyond the frame"), "{huge:?}: {message}");
    }
}

#[test]
fn operands_without_a_range_take_every_value() {
    // Literals and argument counts have no range of their own (a window bounds a
    // count): their extreme values must survive writing, reading and decoding, and
    // verify. 256 registers hold the window of a 255-argument call at r0.
    let instrs = [
        Instr::LoadInt { dst: Slot(0), value: SmallInt(i32::MIN) },
        Instr::AddInt { dst: Slot(0), a: Slot(0), value: ShortInt(i16::MIN) },
        Instr::SubInt { dst: Slot(0), a: Slot(0), value: ShortInt(i16::MAX) },
        Instr::MakeList { dst: Slot(255), count: Count(0) },
        Instr::CallGlobal { sym: SymIdx(0), a: Slot(0), argc: SmallArgc(u8::MAX) },
        Instr::Return { src: Slot(0), written: Written(0) },
    ];
    let read = read_bundle(&write_bundle(&with_function(0, false, 256, &instrs))).expect("reads");
    let bytes = &read.protos[1].code;
    let mut decoded = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let (instr, len) = Instr::decode(&bytes[at..]).expect("decodes");
        decoded.push(instr);
        at += len;
    }
    assert_eq!(decoded, instrs);
    verify_bundle(read).expect("verifies");
    // One register fewer and the call's window is one past the frame.
    let message = rejection(with_function(0, false, 255, &instrs[4..]));
    assert!(message.contains("CallGlobal uses registers 0..256, beyond the frame's 255"), "{message}");
}


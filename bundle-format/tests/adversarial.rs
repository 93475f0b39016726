//! Adversarial tests of reading and verifying: round trips, truncation at every
//! length, every header byte bumped, every payload byte flipped. Reading and verifying
//! must return an error value for every broken input, never panic.

use bundle_format::bundle::{Bundle, Capture, ConstIdx, Constant, DebugInfo, LineEntry, Proto, ProtoDebug, ProtoIdx, Slot, SymIdx};
use bundle_format::header::{HEADER_LEN, MAGIC};
use bundle_format::opcodes::{Argc, ByteOffset, Instr, SmallInt};
use bundle_format::{read_bundle, verify_bundle, write_bundle, ReadError};

fn code(instrs: &[Instr<ByteOffset>]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in instrs {
        i.encode(&mut out);
    }
    out
}

/// A small valid program: a top level that makes a closure over a local and calls it.
fn sample() -> Bundle {
    let entry = code(&[
        Instr::Int { value: SmallInt(41) },
        Instr::StoreLocal { slot: Slot(0) },
        Instr::Closure { proto: ProtoIdx(1) },
        Instr::Call { argc: Argc(0) },
        Instr::Const { idx: ConstIdx(2) },
        Instr::CallGlobal { sym: SymIdx(0), argc: Argc(2) },
        Instr::Return {},
    ]);
    // if captured value is truthy: return it + 1, else nil
    let inner = code(&[
        Instr::LoadCapture { idx: bundle_format::bundle::CaptureIdx(0) },
        Instr::JumpIfFalse { target: ByteOffset(18) },
        Instr::LoadCapture { idx: bundle_format::bundle::CaptureIdx(0) },
        Instr::Int { value: SmallInt(1) },
        Instr::Add {},
        Instr::Return {},
        Instr::Nil {},
        Instr::Return {},
    ]);
    Bundle {
        symbols: vec!["println".into(), "k".into()],
        constants: vec![Constant::Int(1), Constant::Keyword(SymIdx(1)), Constant::List(vec![ConstIdx(0), ConstIdx(1)])],
        protos: vec![
            Proto { name: None, arity: 0, rest: false, locals: 1, max_stack: 2, captures: vec![], code: entry },
            Proto { name: Some(SymIdx(1)), arity: 0, rest: false, locals: 0, max_stack: 2, captures: vec![Capture::Local(Slot(0))], code: inner },
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

#[test]
fn the_verifier_rejects_each_broken_rule() {
    let cases: Vec<(&str, Box<dyn Fn(&mut Bundle)>)> = vec![
        ("unknown opcode", Box::new(|b: &mut Bundle| b.protos[1].code[0] = 0xee)),
        ("constant out of range", Box::new(|b: &mut Bundle| b.protos[0].code = code(&[Instr::Const { idx: ConstIdx(99) }, Instr::Return {}]))),
        ("local out of range", Box::new(|b: &mut Bundle| b.protos[0].code = code(&[Instr::LoadLocal { slot: Slot(5) }, Instr::Return {}]))),
        ("underflow", Box::new(|b: &mut Bundle| b.protos[0].code = code(&[Instr::Add {}, Instr::Return {}]))),
        ("falls off the end", Box::new(|b: &mut Bundle| b.protos[0].code = code(&[Instr::Nil {}]))),
        ("jump into an instruction", Box::new(|b: &mut Bundle| b.protos[0].code = code(&[Instr::Jump { target: ByteOffset(2) }, Instr::Nil {}, Instr::Return {}]))),
        ("over declared stack", Box::new(|b: &mut Bundle| b.protos[0].max_stack = 0)),
        ("capture out of range", Box::new(|b: &mut Bundle| b.protos[1].captures = vec![Capture::Local(Slot(9))])),
        ("missing entry", Box::new(|b: &mut Bundle| b.entry = ProtoIdx(7))),
        ("entry takes arguments", Box::new(|b: &mut Bundle| b.protos[0].arity = 1)),
        ("forward constant reference", Box::new(|b: &mut Bundle| b.constants[0] = Constant::List(vec![ConstIdx(2)]))),
        ("pop handler without handler", Box::new(|b: &mut Bundle| b.protos[0].code = code(&[Instr::PopHandler {}, Instr::Nil {}, Instr::Return {}]))),
    ];
    for (name, break_it) in cases {
        let mut bundle = sample();
        break_it(&mut bundle);
        assert!(verify_bundle(bundle).is_err(), "{name}: the verifier accepted it");
    }
}

#[test]
fn both_slots_of_a_paired_load_are_checked() {
    let with_pair = |a, b| {
        let mut bundle = sample();
        bundle.protos[0].locals = 1;
        bundle.protos[0].max_stack = 2;
        bundle.protos[0].code = code(&[Instr::LoadLocal2 { a: Slot(a), b: Slot(b) }, Instr::Add {}, Instr::Return {}]);
        bundle
    };
    verify_bundle(with_pair(0, 0)).expect("slots in range are accepted");
    assert!(verify_bundle(with_pair(1, 0)).is_err(), "first slot out of range accepted");
    assert!(verify_bundle(with_pair(0, 1)).is_err(), "second slot out of range accepted");
}

#[test]
fn a_self_tail_call_must_pass_exactly_the_parameters() {
    let mut bundle = sample();
    bundle.protos[1].code = code(&[Instr::TailCallSelf { argc: Argc(0) }]);
    verify_bundle(bundle.clone()).expect("argc equal to the arity is accepted");

    bundle.protos[1].code = code(&[Instr::Nil {}, Instr::TailCallSelf { argc: Argc(1) }]);
    let err = verify_bundle(bundle.clone()).expect_err("one argument to a function of arity 0");
    assert!(err.message.contains("self tail call with 1 arguments in a function of arity 0"), "{err}");

    bundle.protos[1].code = code(&[Instr::TailCallSelf { argc: Argc(0) }]);
    bundle.protos[1].rest = true;
    bundle.protos[1].locals = 1;
    let err = verify_bundle(bundle).expect_err("a function with a rest parameter");
    assert!(err.message.contains("and a rest parameter"), "{err}");
}

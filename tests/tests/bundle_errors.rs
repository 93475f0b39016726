//! `semarun`'s messages for bundles it cannot use: one test per case, each checking exit
//! status 2, an empty stdout, and the exact text on stderr
//! (`semarun: PATH: MESSAGE`, one line; the messages are `ReadError`'s and
//! `VerifyError`'s `Display` in `bundle-format`).

use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use bundle_format::header::{digest, FLAG_DEBUG, HEADER_LEN, MIN_FORMAT_VERSION};
use bundle_format::opcodes::{Argc, Slot, Written};
use bundle_format::{read_bundle, verify_bundle, write_bundle, FORMAT_VERSION};
use sema_e2e::{compile_bundle, run_with_timeout, tool, Outcome, TempDir};

const TIMEOUT: Duration = Duration::from_secs(30);
const FILE: &str = "app.semb";

/// A small program with functions, constants and debug info, compiled once.
fn good_bundle() -> &'static [u8] {
    static BUNDLE: OnceLock<Vec<u8>> = OnceLock::new();
    BUNDLE.get_or_init(|| {
        let dir = TempDir::new("bundle-errors-source");
        let source = dir.path().join("app.sema");
        fs::write(
            &source,
            "(define (square x) (* x x))\n(define xs '(1 2 3))\n(println \"squares:\" (map square xs))\n",
        )
        .expect("write source");
        compile_bundle(&source, &dir.path().join(FILE), &[], TIMEOUT).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// Runs `semarun ARG` in `dir`.
fn semarun(dir: &Path, arg: &str) -> Outcome {
    let mut cmd = Command::new(tool("semarun"));
    cmd.arg(arg).current_dir(dir);
    run_with_timeout(cmd, TIMEOUT).expect("cannot start semarun")
}

/// Writes `bytes` as `app.semb` in a fresh directory and runs it.
fn run_bytes(tag: &str, bytes: &[u8]) -> Outcome {
    let dir = TempDir::new(tag);
    fs::write(dir.path().join(FILE), bytes).expect("write bundle");
    semarun(dir.path(), FILE)
}

/// Exit status 2, nothing on stdout, and exactly `semarun: PATH: MESSAGE` on stderr.
fn assert_refused(outcome: &Outcome, path: &str, message: &str) {
    let stderr = outcome.stderr_text();
    assert_eq!(
        outcome.code(),
        Some(2),
        "expected exit status 2, got {}; stderr:\n{stderr}",
        outcome.describe_end()
    );
    assert!(
        outcome.stdout.is_empty(),
        "expected no stdout, got {:?}",
        String::from_utf8_lossy(&outcome.stdout)
    );
    assert_eq!(
        stderr,
        format!("semarun: {path}: {message}\n"),
        "stderr differs"
    );
}

fn with_u32(bytes: &[u8], at: usize, value: u32) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at..at + 4].copy_from_slice(&value.to_le_bytes());
    b
}

fn header_digest(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes[24..32].try_into().unwrap())
}

#[test]
fn the_unmodified_bundle_runs() {
    let outcome = run_bytes("good", good_bundle());
    assert_eq!(
        outcome.code(),
        Some(0),
        "{}\n{}",
        outcome.describe_end(),
        outcome.stderr_text()
    );
    assert_eq!(
        String::from_utf8_lossy(&outcome.stdout),
        "squares: (1 4 9)\n"
    );
}

#[test]
fn missing_file() {
    let dir = TempDir::new("missing");
    let outcome = semarun(dir.path(), "no-such-bundle.semb");
    // The OS's own wording, as `std::io::Error` displays it.
    let os_message = fs::read(dir.path().join("no-such-bundle.semb"))
        .unwrap_err()
        .to_string();
    if cfg!(target_os = "linux") {
        assert_eq!(os_message, "No such file or directory (os error 2)");
    }
    assert_refused(&outcome, "no-such-bundle.semb", &os_message);
}

#[test]
fn a_directory_instead_of_a_file() {
    let dir = TempDir::new("directory");
    fs::create_dir(dir.path().join("sub.semb")).unwrap();
    let outcome = semarun(dir.path(), "sub.semb");
    assert_refused(&outcome, "sub.semb", "is a directory");
}

#[test]
fn foreign_text_file() {
    let outcome = run_bytes("text", b"hello, world\n");
    assert_refused(
        &outcome,
        FILE,
        "not a Sema bundle (bad magic bytes at offset 0)",
    );
}

#[test]
fn source_file_given_instead_of_bundle() {
    // Refused, with a hint on how to run source (run_cli.rs has more cases).
    let dir = TempDir::new("source");
    fs::write(dir.path().join("app.sema"), "(println \"hi\")\n").unwrap();
    let outcome = semarun(dir.path(), "app.sema");
    let hint = "hint: this looks like Sema source, not a bundle: run it with `semac --run app.sema`, or compile it first with `semac app.sema`";
    assert_eq!(outcome.code(), Some(2));
    assert_eq!(
        outcome.stderr_text(),
        format!("semarun: app.sema: not a Sema bundle (bad magic bytes at offset 0)\n{hint}\n")
    );
}

#[test]
fn foreign_binary_file() {
    // semarun itself: an ELF (or PE / Mach-O) executable.
    let exe = tool("semarun");
    let outcome = semarun(exe.parent().unwrap(), &exe.display().to_string());
    assert_refused(
        &outcome,
        &exe.display().to_string(),
        "not a Sema bundle (bad magic bytes at offset 0)",
    );
}

#[test]
fn empty_file() {
    let outcome = run_bytes("empty", b"");
    assert_refused(
        &outcome,
        FILE,
        &format!("truncated bundle: expected {HEADER_LEN} bytes, the file has 0"),
    );
}

#[test]
fn truncated_in_the_header() {
    let good = good_bundle();
    let outcome = run_bytes("truncated-header", &good[..20]);
    assert_refused(
        &outcome,
        FILE,
        &format!("truncated bundle: expected {HEADER_LEN} bytes, the file has 20"),
    );
}

#[test]
fn truncated_in_half() {
    let good = good_bundle();
    let half = good.len() / 2;
    assert!(
        half > HEADER_LEN,
        "the test bundle is too small to cut in its payload"
    );
    let outcome = run_bytes("truncated", &good[..half]);
    assert_refused(
        &outcome,
        FILE,
        &format!(
            "truncated bundle: expected {} bytes, the file has {half}",
            good.len()
        ),
    );
}

#[test]
fn trailing_bytes() {
    let mut bytes = good_bundle().to_vec();
    bytes.extend_from_slice(b"\n\n");
    let outcome = run_bytes("trailing", &bytes);
    assert_refused(
        &outcome,
        FILE,
        &format!(
            "corrupted bundle: expected {} bytes, the file has {} (extra bytes after the payload)",
            bytes.len() - 2,
            bytes.len()
        ),
    );
}

#[test]
fn corrupted_payload_byte() {
    let mut bytes = good_bundle().to_vec();
    let at = HEADER_LEN + (bytes.len() - HEADER_LEN) / 2;
    bytes[at] ^= 0x10;
    let outcome = run_bytes("corrupted", &bytes);
    let stored = header_digest(&bytes);
    let actual = digest(&bytes[HEADER_LEN..]);
    assert_ne!(stored, actual);
    assert_refused(
        &outcome,
        FILE,
        &format!(
            "corrupted bundle: payload digest is {actual:016x}, the header says {stored:016x}"
        ),
    );
}

#[test]
fn newer_format_version() {
    let newer = FORMAT_VERSION + 1;
    let outcome = run_bytes("newer", &with_u32(good_bundle(), 8, newer));
    let message = format!(
        "bundle format version {newer} is newer than this semarun supports (version {FORMAT_VERSION}); upgrade semarun"
    );
    assert_refused(&outcome, FILE, &message);
    // Names both versions and says what to do.
    assert!(message.contains(&newer.to_string()) && message.contains(&FORMAT_VERSION.to_string()));
    assert!(message.ends_with("upgrade semarun"));
}

#[test]
fn much_newer_format_version() {
    let outcome = run_bytes("newest", &with_u32(good_bundle(), 8, u32::MAX));
    assert_refused(
        &outcome,
        FILE,
        &format!(
            "bundle format version {} is newer than this semarun supports (version {FORMAT_VERSION}); upgrade semarun",
            u32::MAX
        ),
    );
}

#[test]
fn older_incompatible_format_version() {
    const _: () = assert!(MIN_FORMAT_VERSION > 0, "version 0 would be accepted");
    let outcome = run_bytes("older", &with_u32(good_bundle(), 8, 0));
    assert_refused(
        &outcome,
        FILE,
        &format!(
            "bundle format version 0 is older than this semarun accepts (version {MIN_FORMAT_VERSION} or later); \
             recompile the program with a current semac"
        ),
    );
}

const TEXT_MANGLED: &str =
    "not a usable Sema bundle: its first bytes were altered by a text-mode transfer \
                            (newline or 8-bit conversion); copy the file in binary mode";

#[test]
fn text_mode_crlf_to_lf() {
    // A text-mode transfer turns the magic's CR LF into LF (and so shortens the file).
    let good = good_bundle();
    assert_eq!(&good[4..6], b"\r\n");
    let mut bytes = good.to_vec();
    bytes.remove(4);
    let outcome = run_bytes("crlf", &bytes);
    assert_refused(&outcome, FILE, TEXT_MANGLED);
}

#[test]
fn text_mode_lone_lf_to_crlf() {
    // A Unix-to-DOS conversion that leaves existing CR LF pairs alone turns the magic's
    // lone LF (byte 7) into CR LF: "\x89SMB\r\n\x1a\r\n". docs/bundle-format.md says
    // semarun recognises this mangling too.
    let good = good_bundle();
    let mut bytes = Vec::new();
    for (i, &b) in good.iter().enumerate() {
        if b == b'\n' && (i == 0 || good[i - 1] != b'\r') {
            bytes.push(b'\r');
        }
        bytes.push(b);
    }
    assert_eq!(&bytes[..9], b"\x89SMB\r\n\x1a\r\n");
    let outcome = run_bytes("lone-lf", &bytes);
    assert_refused(&outcome, FILE, TEXT_MANGLED);
}

#[test]
fn text_mode_every_lf_to_crlf() {
    // A naive conversion turns every LF into CR LF, the magic's CR LF into CR CR LF.
    let good = good_bundle();
    let mut bytes = Vec::new();
    for &b in good {
        if b == b'\n' {
            bytes.push(b'\r');
        }
        bytes.push(b);
    }
    assert_eq!(&bytes[..6], b"\x89SMB\r\r");
    let outcome = run_bytes("every-lf", &bytes);
    assert_refused(&outcome, FILE, TEXT_MANGLED);
}

#[test]
fn seven_bit_transfer() {
    let stripped: Vec<u8> = good_bundle().iter().map(|b| b & 0x7f).collect();
    let outcome = run_bytes("7bit", &stripped);
    assert_refused(&outcome, FILE, TEXT_MANGLED);
}

#[test]
fn unknown_flags() {
    let good = good_bundle();
    let flags = u32::from_le_bytes(good[12..16].try_into().unwrap());
    assert_eq!(flags, FLAG_DEBUG, "the test bundle should have debug info");
    let new_flags = flags | 0x4;
    let outcome = run_bytes("flags", &with_u32(good, 12, new_flags));
    assert_refused(
        &outcome,
        FILE,
        &format!("bundle header has unknown flags {new_flags:#x} at offset 12; it was written by a newer semac"),
    );
}

#[test]
fn malformed_section_with_a_valid_digest() {
    // A valid header over a payload whose first section declares more bytes than follow.
    let good = good_bundle();
    let payload = [0x05u8, 0x03, b'a'];
    let mut bytes = good[..HEADER_LEN].to_vec();
    bytes.extend_from_slice(&payload);
    bytes[16..24].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes[24..32].copy_from_slice(&digest(&payload).to_le_bytes());
    let expected = read_bundle(&bytes)
        .expect_err("a malformed payload")
        .to_string();
    assert!(
        expected.starts_with(&format!(
            "malformed bundle at offset {HEADER_LEN}: symbol table: "
        )),
        "unexpected reader message: {expected}"
    );
    let outcome = run_bytes("malformed", &bytes);
    assert_refused(&outcome, FILE, &expected);
}

#[test]
fn verifier_rejects_an_unknown_opcode() {
    let mut bundle = read_bundle(good_bundle()).expect("the test bundle reads");
    let entry = bundle.entry.0 as usize;
    bundle.protos[entry].code[0] = 0xff;
    let bytes = write_bundle(&bundle);
    let outcome = run_bytes("verify-opcode", &bytes);
    let message = format!("invalid bundle: function {entry}, byte 0: unknown opcode 0xff");
    assert_eq!(verify_bundle(bundle).unwrap_err().to_string(), message);
    assert_refused(&outcome, FILE, &message);
}

#[test]
fn verifier_rejects_an_out_of_range_constant() {
    let mut bundle = read_bundle(good_bundle()).expect("the test bundle reads");
    let entry = bundle.entry.0 as usize;
    let mut code = Vec::new();
    let too_far = bundle.constants.len() as u32;
    for instr in [
        bundle_format::Instr::LoadConst {
            dst: Slot(0),
            idx: bundle_format::bundle::ConstIdx(too_far),
        },
        bundle_format::Instr::Return { src: Slot(0), written: Written(0) },
    ] {
        instr.encode(&mut code);
    }
    bundle.protos[entry].code = code;
    bundle.protos[entry].registers = bundle.protos[entry].registers.max(1);
    let bytes = write_bundle(&bundle);
    let outcome = run_bytes("verify-const", &bytes);
    let message =
        format!("invalid bundle: function {entry}, byte 0: constant {too_far} out of range");
    assert_eq!(verify_bundle(bundle).unwrap_err().to_string(), message);
    assert_refused(&outcome, FILE, &message);
    assert!(message.starts_with("invalid bundle:"));
}

#[test]
fn verifier_rejects_a_call_window_beyond_the_frame() {
    let mut bundle = read_bundle(good_bundle()).expect("the test bundle reads");
    let entry = bundle.entry.0 as usize;
    let registers = bundle.protos[entry].registers.max(1);
    let mut code = Vec::new();
    // The callee in the last register, its one argument one past the frame.
    for instr in [
        bundle_format::Instr::Call {
            a: Slot(registers - 1),
            argc: Argc(1),
        },
        bundle_format::Instr::Return { src: Slot(0), written: Written(0) },
    ] {
        instr.encode(&mut code);
    }
    bundle.protos[entry].code = code;
    bundle.protos[entry].registers = registers;
    let bytes = write_bundle(&bundle);
    let outcome = run_bytes("verify-window", &bytes);
    let message = format!(
        "invalid bundle: function {entry}, byte 0: Call uses registers {}..{}, beyond the frame's {registers}",
        registers - 1,
        registers as u32 + 1
    );
    assert_eq!(verify_bundle(bundle).unwrap_err().to_string(), message);
    assert_refused(&outcome, FILE, &message);
}

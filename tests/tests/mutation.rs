//! Mutation test: `semarun` must survive any bundle.
//!
//! Every program in `examples/` and `examples/benchmarks/`, a few programs from
//! `tests/corpus/programs/` and one built-in program that uses every constant kind are
//! compiled with `semac`; then thousands of variants of those bundles are made
//! deterministically (a fixed seed and a tiny PRNG) and each is run with
//! `semarun --fuel 2000000` in a scratch directory, under a timeout and a memory cap.
//!
//! The mutation families:
//!
//! * truncation at every header field, at the header end, around every payload section
//!   boundary and at random offsets — both as is and with the header's length and digest
//!   recomputed, so the cut reaches the section decoder;
//! * header fields (version, flags, length, digest, magic) set to 0, the maximum,
//!   off-by-one values and text-mode manglings;
//! * single-bit flips, byte overwrites and multi-byte overwrites anywhere (the digest
//!   then rejects almost all of them);
//! * valid-looking headers on garbage payloads;
//! * payload mutations **with the digest recomputed** (bit flips, byte sets, overwrites,
//!   insertions and deletions, aimed at code, constants, prototype fields, symbols and the
//!   debug section), so they reach the section decoder, the verifier and the VM;
//! * structured mutations: the bundle is decoded, one thing is changed (an instruction
//!   replaced by another of the same size, an operand moved to a table boundary at its
//!   own width, a register window resized to end at or just past the frame, a
//!   prototype field such as `registers` set to 0, below the parameters or to what the
//!   code uses, a constant, a symbol, the entry, a line table) and re-serialised;
//! * semantic mutations the verifier accepts (same-shaped instructions swapped,
//!   operands moved to other valid entries) and crafted bundles, so the VM meets them.
//!
//! Every variant must end with status 0, 1 or 2 (or `n` after `(exit n)` in a program
//! that can call `exit`): never a signal, never a panic (status 101, or 70 when the
//! interpreter thread panicked, or "panicked" / "RUST_BACKTRACE" on stderr), never a
//! timeout. Each variant is also loaded in-process with `bundle_format`: a variant the
//! reader or verifier rejects must make `semarun` exit 2 with exactly that message, and
//! one they accept must not be refused by `semarun`.
//!
//! Failing variants are written to a kept directory named in the failure message
//! (`SEMA_MUTATION_KEEP_DIR` overrides it), each with a `.txt` saying which program,
//! which mutation and what happened; reproduce with `semarun --fuel 2000000 FILE`.
//!
//! Knobs: `SEMA_BIN_DIR`, `SEMA_MUTATION_JOBS` (default 2), `SEMA_MUTATION_TIMEOUT_SECS`
//! (default 10), `SEMA_MUTATION_SEED` (default fixed), `SEMA_MUTATION_SCALE` (multiplies
//! the random families, default 1), `SEMA_MUTATION_FILTER` (only programs whose name
//! contains it).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use bundle_format::bundle::{
    Bundle, Capture, CaptureIdx, ConstIdx, Constant, LineEntry, ProtoIdx, Slot, SymIdx,
};
use bundle_format::header::{digest, FLAG_DEBUG, FORMAT_VERSION, HEADER_LEN};
use bundle_format::limits;
use bundle_format::opcodes::{ByteOffset, Instr, TypedOperand};
use bundle_format::{read_bundle, verify_bundle, write_bundle};
use sema_e2e::{compile_bundle, limit_child_memory, run_with_timeout, tool, Outcome, TempDir};

const DEFAULT_SEED: u64 = 0x5E3A_0B1D_2026_0001;
const FUEL: u64 = 2_000_000;
/// Wall-clock budget given to semarun for each variant (well under the timeout).
const MAX_SECONDS: u64 = 3;
/// Address-space cap per `semarun` (it reserves a 1 GiB interpreter stack).
const MEMORY_LIMIT: u64 = 4 << 30;
const VARIANT_FILE: &str = "variant.semb";

/// A program with every constant kind, closures, cells, handlers and globals, so the
/// constant pool and capture mutations have something to work on.
const CONSTANTS_PROGRAM: &str = r#";; every constant kind, closures, handlers, globals
(define data '(1 -7 2.5 "str" #\a #\λ :kw sym [1 [2 3] "v"] {:a 1 :b (x y)}
               123456789012345678901234567890 -98765432109876543210987654321 1/3 -22/7 3+4i 1.5-1/2i
               #u8(1 2 255) nil #t #f ()))
(define (show x) (println x))
(for-each show data)
(define (make-counter)
  (let ((n 0))
    (lambda () (set! n (+ n 1)) n)))
(define c (make-counter))
(c) (c)
(println (c))
(define (safe-div a b)
  (try (/ a b) (catch e (str "caught: " (get e :message)))))
(println (safe-div 10 2) (safe-div 1 0))
(define (loop i acc) (if (= i 0) acc (loop (- i 1) (+ acc i))))
(println (loop 1000 0))
(println (map (lambda (x) (* x x)) [1 2 3]) (get {:a 1} :a) (nth '(4 5 6) 2))
(println (string-append "a" "b") (vector 1 2) (list->string (list #\x #\y)))
"#;

/// Programs from `tests/corpus/programs/` used as bases (skipped when absent).
const CORPUS_BASES: [&str; 10] = [
    "bignum",
    "closures",
    "brc-bytes",
    "sorting",
    "throw-catch-loop",
    "alist",
    "matrix",
    "queens",
    "higher-order",
    "wordfreq",
];

// ---------------------------------------------------------------------------------------
// PRNG

/// SplitMix64: tiny, fast, and good enough to spread mutations; fixed seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`; `n` must be positive.
    fn below(&mut self, n: usize) -> usize {
        assert!(n > 0);
        (self.next() % n as u64) as usize
    }

    fn in_range(&mut self, r: Range<usize>) -> usize {
        r.start + self.below(r.end - r.start)
    }

    fn byte(&mut self) -> u8 {
        self.next() as u8
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// FNV-1a, to derive a per-program seed from its name (adding a program does not shift
/// the mutations of the others).
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

// ---------------------------------------------------------------------------------------
// Bases and their layout

struct Base {
    name: String,
    bytes: Vec<u8>,
    bundle: Bundle,
    layout: Layout,
    /// Arguments after `--`.
    args: Vec<String>,
    /// Runs for a while (a benchmark): fewer variants that reach the VM.
    heavy: bool,
}

/// Where things are in the payload (offsets relative to the payload start).
struct Layout {
    sections: Vec<(&'static str, Range<usize>)>,
    constants: Vec<Range<usize>>,
    /// A prototype's fields before its code (name, arity, rest, registers, captures,
    /// code length).
    proto_heads: Vec<Range<usize>>,
    code: Vec<Range<usize>>,
}

macro_rules! encoded_len {
    ($value:expr) => {
        postcard::to_allocvec($value)
            .expect("postcard encoding into memory")
            .len()
    };
}

fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

fn layout_of(bundle: &Bundle, payload_len: usize) -> Layout {
    let mut sections = Vec::new();
    let mut at = 0usize;
    let mut section = |name: &'static str, len: usize, at: &mut usize| {
        sections.push((name, *at..*at + len));
        *at += len;
    };
    section("symbol table", encoded_len!(&bundle.symbols), &mut at);

    let constants_start = at;
    section("constant pool", encoded_len!(&bundle.constants), &mut at);
    let mut constants = Vec::new();
    let mut c = constants_start + varint_len(bundle.constants.len());
    for constant in &bundle.constants {
        let len = encoded_len!(constant);
        constants.push(c..c + len);
        c += len;
    }

    let protos_start = at;
    section("function prototypes", encoded_len!(&bundle.protos), &mut at);
    let mut proto_heads = Vec::new();
    let mut code = Vec::new();
    let mut p = protos_start + varint_len(bundle.protos.len());
    for proto in &bundle.protos {
        let len = encoded_len!(proto);
        let code_start = p + len - proto.code.len();
        proto_heads.push(p..code_start);
        code.push(code_start..p + len);
        p += len;
    }

    section("entry function", encoded_len!(&bundle.entry), &mut at);
    if let Some(debug) = &bundle.debug {
        section("debug section", encoded_len!(debug), &mut at);
    }
    assert_eq!(
        at, payload_len,
        "the mutation test's layout computation disagrees with the bundle writer; update layout_of"
    );
    Layout {
        sections,
        constants,
        proto_heads,
        code,
    }
}

impl Layout {
    /// Describes a payload offset: section, constant, function field or code byte.
    fn locate(&self, offset: usize) -> String {
        for (i, r) in self.code.iter().enumerate() {
            if r.contains(&offset) {
                return format!("code of function {i}, byte {}", offset - r.start);
            }
        }
        for (i, r) in self.proto_heads.iter().enumerate() {
            if r.contains(&offset) {
                return format!("fields of function {i}");
            }
        }
        for (i, r) in self.constants.iter().enumerate() {
            if r.contains(&offset) {
                return format!("constant {i}");
            }
        }
        for (name, r) in &self.sections {
            if r.contains(&offset) {
                return name.to_string();
            }
        }
        "end of payload".to_string()
    }

    fn boundaries(&self) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .sections
            .iter()
            .flat_map(|(_, r)| [r.start, r.end])
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    fn debug_range(&self) -> Option<Range<usize>> {
        self.sections
            .iter()
            .find(|(n, _)| *n == "debug section")
            .map(|(_, r)| r.clone())
    }

    fn symbols_range(&self) -> Range<usize> {
        self.sections[0].1.clone()
    }
}

/// Start offsets of the decodable instructions of `code`.
fn instruction_starts(code: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < code.len() {
        match Instr::decode(&code[at..]) {
            Ok((_, len)) => {
                out.push((at, len));
                at += len;
            }
            Err(_) => break,
        }
    }
    out
}

/// The decodable instructions of `code` with their byte offsets.
fn instructions(code: &[u8]) -> Vec<(usize, Instr<ByteOffset>)> {
    instruction_starts(code)
        .into_iter()
        .filter_map(|(at, _)| {
            Instr::decode(&code[at..])
                .ok()
                .map(|(instr, _)| (at, instr))
        })
        .collect()
}

/// Where each operand of `instr` is encoded: its offset from the opcode byte and its
/// width, in table order.
fn operand_spans(instr: &Instr<ByteOffset>) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut at = 1;
    instr.for_each_operand(|operand| {
        let width = match operand {
            TypedOperand::SmallSlot(_) | TypedOperand::SmallArgc(_) => 1,
            TypedOperand::Slot(_)
            | TypedOperand::Capture(_)
            | TypedOperand::Argc(_)
            | TypedOperand::ShortInt(_)
            | TypedOperand::Written(_) => 2,
            TypedOperand::Const(_)
            | TypedOperand::Sym(_)
            | TypedOperand::Proto(_)
            | TypedOperand::Count(_)
            | TypedOperand::Int(_)
            | TypedOperand::Target(_) => 4,
        };
        spans.push((at, width));
        at += width;
    });
    assert_eq!(
        at,
        instr.encoded_len(),
        "operand widths of {}: update operand_spans",
        instr.mnemonic()
    );
    spans
}

/// `value` truncated to an operand of `width` bytes.
fn fit(value: u32, width: usize) -> u32 {
    if width >= 4 {
        value
    } else {
        value & ((1 << (8 * width)) - 1)
    }
}

/// `instr` with its operand `k` set to `value`, or `None` when the value does not fit
/// the operand's width.
fn with_operand(instr: &Instr<ByteOffset>, k: usize, value: u32) -> Option<Instr<ByteOffset>> {
    let (at, width) = operand_spans(instr)[k];
    if fit(value, width) != value {
        return None;
    }
    let mut bytes = Vec::new();
    instr.encode(&mut bytes);
    bytes[at..at + width].copy_from_slice(&value.to_le_bytes()[..width]);
    Instr::decode(&bytes).ok().map(|(new, _)| new)
}

/// How many registers `code` uses: one more than its highest register operand, or the
/// end of its furthest register window.
fn registers_used(code: &[u8]) -> u32 {
    let mut used = 0;
    for (_, instr) in instructions(code) {
        instr.for_each_operand(|operand| match operand {
            TypedOperand::Slot(r) => used = used.max(r.0 as u32 + 1),
            TypedOperand::SmallSlot(r) => used = used.max(r.0 as u32 + 1),
            TypedOperand::Written(w) => used = used.max(w.0 as u32),
            _ => {}
        });
        if let Some(w) = instr.window() {
            used = used.max(w.start.saturating_add(w.len));
        }
    }
    used
}

// ---------------------------------------------------------------------------------------
// Variants

struct Variant {
    /// The base program, or `None` for a crafted bundle.
    base: Option<usize>,
    family: &'static str,
    what: String,
    bytes: Vec<u8>,
}

struct Sink<'a> {
    base: Option<usize>,
    name: &'a str,
    family: &'static str,
    out: Vec<Variant>,
}

impl Sink<'_> {
    fn push(&mut self, what: impl Into<String>, bytes: Vec<u8>) {
        self.out.push(Variant {
            base: self.base,
            family: self.family,
            what: format!("{}: {}", self.name, what.into()),
            bytes,
        });
    }
}

/// The mutation families, in report order.
const FAMILIES: [&str; 8] = [
    "truncation",
    "header",
    "raw-flip",
    "garbage",
    "payload",
    "structured",
    "semantic",
    "crafted",
];

fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn put_u64(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

fn get_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

fn get_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

/// Recomputes the header's length and digest for the payload that follows it.
fn refresh(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.len() >= HEADER_LEN {
        let len = (bytes.len() - HEADER_LEN) as u64;
        let d = digest(&bytes[HEADER_LEN..]);
        put_u64(&mut bytes, 16, len);
        put_u64(&mut bytes, 24, d);
    }
    bytes
}

/// A bundle with `header`'s magic, version and flags and a consistent length and digest.
fn with_payload(header: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut bytes = header[..HEADER_LEN].to_vec();
    bytes.extend_from_slice(payload);
    refresh(bytes)
}

fn with_flags(header: &[u8], flags: u32, payload: &[u8]) -> Vec<u8> {
    let mut bytes = with_payload(header, payload);
    put_u32(&mut bytes, 12, flags);
    bytes
}

/// How many variants of each random family a program gets.
struct Plan {
    random_truncations: usize,
    raw_flips: usize,
    garbage: usize,
    payload_mutations: usize,
    structured: usize,
    semantic: usize,
}

fn plan_for(base: &Base, scale: usize) -> Plan {
    if base.heavy {
        Plan {
            random_truncations: 4,
            raw_flips: 8,
            garbage: 4,
            payload_mutations: 14 * scale,
            structured: 14 * scale,
            semantic: 10 * scale,
        }
    } else {
        Plan {
            random_truncations: 8,
            raw_flips: 12,
            garbage: 10,
            payload_mutations: 44 * scale,
            structured: 34 * scale,
            semantic: 50 * scale,
        }
    }
}

fn generate(index: usize, base: &Base, seed: u64, scale: usize) -> Vec<Variant> {
    let mut rng = Rng::new(seed ^ name_hash(&base.name));
    let mut sink = Sink {
        base: Some(index),
        name: &base.name,
        family: "truncation",
        out: Vec::new(),
    };
    let plan = plan_for(base, scale);
    truncations(base, &mut rng, &plan, &mut sink);
    sink.family = "header";
    header_fields(base, &mut sink);
    sink.family = "raw-flip";
    raw_flips(base, &mut rng, &plan, &mut sink);
    sink.family = "garbage";
    garbage_payloads(base, &mut rng, &plan, &mut sink);
    sink.family = "payload";
    payload_mutations(base, &mut rng, &plan, &mut sink);
    sink.family = "structured";
    for _ in 0..plan.structured {
        structured(base, &mut rng, &mut sink);
    }
    sink.family = "semantic";
    for _ in 0..plan.semantic {
        semantic(base, &mut rng, &mut sink);
    }
    sink.out
}

fn truncations(base: &Base, rng: &mut Rng, plan: &Plan, sink: &mut Sink) {
    let bytes = &base.bytes;
    let len = bytes.len();
    // Raw cuts: inside every header field, at the header end, around section boundaries.
    let mut cuts: Vec<usize> = vec![
        0, 1, 3, 4, 5, 6, 7, 8, 9, 11, 12, 14, 16, 20, 23, 24, 28, 31, 32, 33,
    ];
    for b in base.layout.boundaries() {
        let at = HEADER_LEN + b;
        cuts.extend([at.saturating_sub(1), at, at + 1]);
    }
    cuts.push(len - 1);
    for _ in 0..plan.random_truncations {
        cuts.push(rng.in_range(HEADER_LEN..len));
    }
    cuts.sort_unstable();
    cuts.dedup();
    for &cut in cuts.iter().filter(|&&c| c < len) {
        sink.push(
            format!("truncated to {cut} of {len} bytes"),
            bytes[..cut].to_vec(),
        );
    }

    // Cuts with the header's length and digest recomputed: these reach the decoder.
    let mut fixed_cuts: Vec<(usize, String)> = Vec::new();
    for b in base.layout.boundaries() {
        for at in [b.saturating_sub(1), b, b + 1] {
            fixed_cuts.push((at, "near a section boundary".into()));
        }
    }
    for (name, r) in &base.layout.sections {
        if r.len() > 2 {
            fixed_cuts.push((r.start + r.len() / 2, format!("middle of the {name}")));
        }
    }
    for _ in 0..3 {
        let i = rng.below(base.layout.code.len());
        let r = &base.layout.code[i];
        fixed_cuts.push((
            rng.in_range(r.clone()),
            format!("inside the code of function {i}"),
        ));
    }
    for _ in 0..plan.random_truncations {
        let payload_len = len - HEADER_LEN;
        fixed_cuts.push((rng.below(payload_len), "random".into()));
    }
    let mut seen = HashSet::new();
    for (cut, why) in fixed_cuts {
        if cut >= len - HEADER_LEN || !seen.insert(cut) {
            continue;
        }
        sink.push(
            format!("payload truncated to {cut} bytes ({why}), length and digest recomputed"),
            refresh(bytes[..HEADER_LEN + cut].to_vec()),
        );
    }

    // Extra bytes after the payload, declared and undeclared.
    let mut appended = bytes.clone();
    appended.push(0);
    sink.push(
        "one zero byte appended (header unchanged)",
        appended.clone(),
    );
    sink.push(
        "one zero byte appended, length and digest recomputed",
        refresh(appended),
    );
    let mut doubled = bytes.clone();
    doubled.extend_from_slice(&bytes[HEADER_LEN..]);
    sink.push(
        "payload repeated twice, length and digest recomputed",
        refresh(doubled),
    );
    let mut whole = bytes.clone();
    whole.extend_from_slice(bytes);
    sink.push("whole bundle repeated twice (header unchanged)", whole);
}

fn header_fields(base: &Base, sink: &mut Sink) {
    let bytes = &base.bytes;
    let version = get_u32(bytes, 8);
    let flags = get_u32(bytes, 12);
    let length = get_u64(bytes, 16);
    let dig = get_u64(bytes, 24);
    let edit = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = bytes.clone();
        f(&mut b);
        b
    };

    let versions = [
        0,
        FORMAT_VERSION.wrapping_sub(1),
        FORMAT_VERSION + 1,
        FORMAT_VERSION + 2,
        0xff,
        0x100,
        0x0100_0000,
        u32::MAX - 1,
        u32::MAX,
    ];
    let mut seen = HashSet::new();
    for v in versions {
        if v != version && seen.insert(v) {
            sink.push(
                format!("header version {version} -> {v}"),
                edit(&|b| put_u32(b, 8, v)),
            );
        }
    }

    let flag_values = [
        0,
        1,
        2,
        3,
        4,
        0x100,
        0x8000_0000,
        0x8000_0001,
        u32::MAX,
        flags ^ FLAG_DEBUG,
    ];
    let mut seen = HashSet::new();
    for f in flag_values {
        if f != flags && seen.insert(f) {
            sink.push(
                format!("header flags {flags:#x} -> {f:#x}"),
                edit(&|b| put_u32(b, 12, f)),
            );
        }
    }
    // Flipping the debug flag with the digest still valid: the payload is then read with
    // or without a debug section that is (not) there.
    sink.push(
        format!(
            "header flags {flags:#x} -> {:#x} (digest still valid)",
            flags ^ FLAG_DEBUG
        ),
        edit(&|b| put_u32(b, 12, flags ^ FLAG_DEBUG)),
    );

    let lengths = [
        0,
        1,
        31,
        32,
        length - 1,
        length + 1,
        length * 2,
        limits::MAX_PAYLOAD,
        limits::MAX_PAYLOAD + 1,
        1 << 32,
        1 << 63,
        u64::MAX - HEADER_LEN as u64,
        u64::MAX - HEADER_LEN as u64 + 1,
        u64::MAX,
    ];
    let mut seen = HashSet::new();
    for l in lengths {
        if l != length && seen.insert(l) {
            sink.push(
                format!("header length {length} -> {l}"),
                edit(&|b| put_u64(b, 16, l)),
            );
        }
    }

    for d in [
        0,
        u64::MAX,
        dig ^ 1,
        dig ^ (1 << 63),
        dig.wrapping_add(1),
        dig.swap_bytes(),
    ] {
        if d != dig {
            sink.push(
                format!("header digest {dig:016x} -> {d:016x}"),
                edit(&|b| put_u64(b, 24, d)),
            );
        }
    }

    // The magic, byte by byte.
    for i in 0..8 {
        for (how, f) in [
            ("high bit flipped", (|x: u8| x ^ 0x80) as fn(u8) -> u8),
            ("set to 0", |_| 0),
            ("xor 0x20", |x| x ^ 0x20),
            ("plus one", |x| x.wrapping_add(1)),
        ] {
            let mut b = bytes.clone();
            b[i] = f(b[i]);
            sink.push(format!("magic byte {i} {how}"), b);
        }
    }
    // Text-mode manglings of the magic and of the whole file.
    let mut crlf_to_lf = bytes.clone();
    crlf_to_lf.remove(4);
    sink.push("magic CR LF -> LF (text-mode transfer)", crlf_to_lf);
    let mut lf_to_crlf = bytes.clone();
    lf_to_crlf.insert(7, b'\r');
    sink.push("magic final LF -> CR LF (text-mode transfer)", lf_to_crlf);
    let mut all_crlf = Vec::new();
    for &byte in bytes {
        if byte == b'\n' {
            all_crlf.push(b'\r');
        }
        all_crlf.push(byte);
    }
    sink.push("every LF -> CR LF (whole file)", all_crlf);
    let mut all_lf = Vec::new();
    for (i, &byte) in bytes.iter().enumerate() {
        if !(byte == b'\r' && bytes.get(i + 1) == Some(&b'\n')) {
            all_lf.push(byte);
        }
    }
    sink.push("every CR LF -> LF (whole file)", all_lf);
    sink.push(
        "high bit of every byte cleared (7-bit transfer)",
        bytes.iter().map(|b| b & 0x7f).collect(),
    );
    sink.push("empty file", Vec::new());
    sink.push(
        "header only, no payload (header unchanged)",
        bytes[..HEADER_LEN].to_vec(),
    );
    sink.push(
        "header only, length and digest recomputed",
        refresh(bytes[..HEADER_LEN].to_vec()),
    );
    sink.push("magic only", bytes[..8].to_vec());
    sink.push("32 zero bytes", vec![0; HEADER_LEN]);
    let mut zero_header = bytes.clone();
    zero_header[8..HEADER_LEN].fill(0);
    sink.push("header fields all zero", zero_header);
    let mut ff_header = bytes.clone();
    ff_header[8..HEADER_LEN].fill(0xff);
    sink.push("header fields all 0xff", ff_header);
}

fn raw_flips(base: &Base, rng: &mut Rng, plan: &Plan, sink: &mut Sink) {
    let bytes = &base.bytes;
    let len = bytes.len();
    for k in 0..plan.raw_flips {
        // Half in the header, half anywhere.
        let at = if k % 2 == 0 {
            rng.below(HEADER_LEN)
        } else {
            rng.below(len)
        };
        let bit = rng.below(8);
        let mut b = bytes.clone();
        b[at] ^= 1 << bit;
        sink.push(
            format!("bit {bit} of byte {at} flipped (header unchanged)"),
            b,
        );
    }
    for _ in 0..plan.raw_flips / 2 {
        let at = rng.below(len);
        let value = rng.byte();
        let mut b = bytes.clone();
        b[at] = value;
        sink.push(
            format!("byte {at} set to {value:#04x} (header unchanged)"),
            b,
        );
    }
    for _ in 0..plan.raw_flips / 4 {
        let n = rng.in_range(2..17).min(len);
        let at = rng.below(len - n + 1);
        let mut b = bytes.clone();
        let fill = rng.bytes(n);
        b[at..at + n].copy_from_slice(&fill);
        sink.push(
            format!("{n} random bytes written at {at} (header unchanged)"),
            b,
        );
    }
}

fn garbage_payloads(base: &Base, rng: &mut Rng, plan: &Plan, sink: &mut Sink) {
    let header = &base.bytes[..HEADER_LEN];
    let payload = &base.bytes[HEADER_LEN..];
    for flags in [0, FLAG_DEBUG] {
        sink.push(
            format!("valid header (flags {flags}) on an empty payload"),
            with_flags(header, flags, &[]),
        );
        sink.push(
            format!("valid header (flags {flags}) on 100 x 0xff"),
            with_flags(header, flags, &[0xff; 100]),
        );
        sink.push(
            format!("valid header (flags {flags}) on 100 x 0x80"),
            with_flags(header, flags, &[0x80; 100]),
        );
        sink.push(
            format!("valid header (flags {flags}) on 100 zero bytes"),
            with_flags(header, flags, &[0; 100]),
        );
    }
    // Vectors that declare enormous lengths.
    for (what, prefix) in [
        (
            "symbol count 2^63",
            vec![0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
        ),
        (
            "symbol count u64::MAX",
            vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        ),
        (
            "one symbol of length 2^40",
            vec![0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20],
        ),
        ("symbol count 2^22 + 1", vec![0x81, 0x80, 0x80, 0x02]),
        (
            "no symbols, 2^40 constants",
            vec![0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20],
        ),
        (
            "no symbols or constants, 2^40 prototypes",
            vec![0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20],
        ),
        (
            "one prototype whose code claims 2^40 bytes",
            vec![
                0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80,
                0x20,
            ],
        ),
    ] {
        let mut p = prefix.clone();
        p.extend(rng.bytes(16));
        sink.push(
            format!("valid header on a payload declaring {what}"),
            with_payload(header, &p),
        );
    }
    for k in 0..plan.garbage {
        let n = if k % 2 == 0 {
            rng.below(64)
        } else {
            rng.in_range(64..1024)
        };
        let bytes = rng.bytes(n);
        sink.push(
            format!("valid header on {n} random bytes"),
            with_payload(header, &bytes),
        );
        // Small values decode as short vectors and small indices far more often.
        let n = rng.in_range(1..300);
        let small: Vec<u8> = (0..n).map(|_| (rng.next() % 4) as u8).collect();
        sink.push(
            format!("valid header on {n} random bytes in 0..=3"),
            with_payload(header, &small),
        );
    }
    // A real payload with one section replaced by random bytes of the same size.
    for (name, r) in &base.layout.sections {
        let mut p = payload.to_vec();
        let fill = rng.bytes(r.len());
        p[r.clone()].copy_from_slice(&fill);
        sink.push(
            format!("{name} replaced by random bytes, digest recomputed"),
            with_payload(header, &p),
        );
    }
    // Sections in the wrong order or missing.
    let sections = &base.layout.sections;
    if sections.len() >= 4 {
        let mut swapped = Vec::new();
        swapped.extend_from_slice(&payload[sections[1].1.clone()]);
        swapped.extend_from_slice(&payload[sections[0].1.clone()]);
        swapped.extend_from_slice(&payload[sections[1].1.end..]);
        sink.push(
            "symbol table and constant pool swapped, digest recomputed",
            with_payload(header, &swapped),
        );
        for (i, (name, r)) in sections.iter().enumerate() {
            let mut p = payload[..r.start].to_vec();
            p.extend_from_slice(&payload[r.end..]);
            sink.push(
                format!("section {i} ({name}) removed, digest recomputed"),
                with_payload(header, &p),
            );
        }
        // Another program's sections mixed in would need a second base; a duplicated
        // section is close enough.
        let mut p = payload[..sections[2].1.end].to_vec();
        p.extend_from_slice(&payload[sections[2].1.clone()]);
        p.extend_from_slice(&payload[sections[2].1.end..]);
        sink.push(
            "function prototypes section duplicated, digest recomputed",
            with_payload(header, &p),
        );
    }
}

/// Picks a payload range to aim at: code, constants, prototype fields, symbols, debug.
fn target_range(base: &Base, rng: &mut Rng) -> (Range<usize>, String) {
    let layout = &base.layout;
    let payload_len = base.bytes.len() - HEADER_LEN;
    loop {
        match rng.below(10) {
            0..=3 => {
                let i = rng.below(layout.code.len());
                return (layout.code[i].clone(), format!("code of function {i}"));
            }
            4 if !layout.constants.is_empty() => {
                let i = rng.below(layout.constants.len());
                return (layout.constants[i].clone(), format!("constant {i}"));
            }
            5 => {
                let i = rng.below(layout.proto_heads.len());
                return (
                    layout.proto_heads[i].clone(),
                    format!("fields of function {i}"),
                );
            }
            6 if !layout.symbols_range().is_empty() => {
                return (layout.symbols_range(), "symbol table".into())
            }
            7 => {
                if let Some(r) = layout.debug_range() {
                    return (r, "debug section".into());
                }
            }
            8 | 9 => return (0..payload_len, "payload".into()),
            _ => {}
        }
    }
}

fn payload_mutations(base: &Base, rng: &mut Rng, plan: &Plan, sink: &mut Sink) {
    let header = &base.bytes[..HEADER_LEN];
    let payload = &base.bytes[HEADER_LEN..];
    let layout = &base.layout;
    for _ in 0..plan.payload_mutations {
        let (range, _) = target_range(base, rng);
        if range.is_empty() {
            continue;
        }
        let mut p = payload.to_vec();
        let at = rng.in_range(range.clone());
        let place = layout.locate(at);
        let what = match rng.below(9) {
            0..=2 => {
                let bit = rng.below(8);
                p[at] ^= 1 << bit;
                format!("bit {bit} flipped at payload byte {at} ({place})")
            }
            3 => {
                let value = *rng.pick(&[0x00, 0x01, 0x7f, 0x80, 0xff]);
                p[at] = value;
                format!("payload byte {at} ({place}) set to {value:#04x}")
            }
            4 => {
                let delta: u8 = if rng.chance(50) { 1 } else { 0xff };
                p[at] = p[at].wrapping_add(delta);
                format!(
                    "payload byte {at} ({place}) {}",
                    if delta == 1 { "plus one" } else { "minus one" }
                )
            }
            5 => {
                let value = rng.byte();
                p[at] = value;
                format!("payload byte {at} ({place}) set to {value:#04x}")
            }
            6 => {
                let n = rng.in_range(2..9).min(range.end - at);
                let fill = rng.bytes(n);
                p[at..at + n].copy_from_slice(&fill);
                format!("{n} random bytes written at payload byte {at} ({place})")
            }
            7 => {
                let n = rng.in_range(1..4);
                let fill = rng.bytes(n);
                for (k, b) in fill.into_iter().enumerate() {
                    p.insert(at + k, b);
                }
                format!("{n} random bytes inserted at payload byte {at} ({place})")
            }
            _ => {
                let n = rng.in_range(1..4).min(p.len() - at);
                p.drain(at..at + n);
                format!("{n} bytes deleted at payload byte {at} ({place})")
            }
        };
        sink.push(
            format!("{what}, digest recomputed"),
            with_payload(header, &p),
        );
    }
}

// ---------------------------------------------------------------------------------------
// Structured mutations: decode, change one thing, re-serialise.

/// Opcode ids grouped by encoded length (unknown ids excluded).
fn opcodes_by_len() -> Vec<(usize, Vec<u8>)> {
    let mut groups: Vec<(usize, Vec<u8>)> = Vec::new();
    for op in 0..=255u8 {
        let mut probe = vec![op];
        probe.extend([0u8; 16]);
        if let Ok((_, len)) = Instr::decode(&probe) {
            match groups.iter_mut().find(|(l, _)| *l == len) {
                Some((_, ops)) => ops.push(op),
                None => groups.push((len, vec![op])),
            }
        }
    }
    groups
}

/// An operand value near an interesting boundary of this bundle.
fn boundary_value(bundle: &Bundle, proto: usize, rng: &mut Rng) -> u32 {
    let p = &bundle.protos[proto];
    let sizes = [
        bundle.symbols.len() as u32,
        bundle.constants.len() as u32,
        bundle.protos.len() as u32,
        p.registers as u32,
        p.captures.len() as u32,
        p.code.len() as u32,
        0,
        // The registers a SmallSlot can name, the arguments a SmallArgc can count.
        u8::MAX as u32,
        u16::MAX as u32,
        u32::MAX,
    ];
    let base = *rng.pick(&sizes);
    match rng.below(3) {
        0 => base.wrapping_sub(1),
        1 => base,
        _ => base.wrapping_add(1),
    }
}

fn structured(base: &Base, rng: &mut Rng, sink: &mut Sink) {
    let mut b = base.bundle.clone();
    let what: String = match rng.below(20) {
        // Instructions.
        0..=3 => {
            let pi = rng.below(b.protos.len());
            let starts = instruction_starts(&b.protos[pi].code);
            let (at, len) = *rng.pick(&starts);
            let groups = opcodes_by_len();
            let same_len = &groups
                .iter()
                .find(|(l, _)| *l == len)
                .expect("own length")
                .1;
            let op = *rng.pick(same_len);
            let code = &mut b.protos[pi].code;
            code[at] = op;
            let (replaced, _) =
                Instr::decode(&code[at..]).expect("an opcode of the same length decodes");
            let mut operands = String::new();
            for (k, width) in operand_spans(&replaced) {
                let value = fit(
                    match rng.below(3) {
                        0 => rng.below(8) as u32,
                        1 => rng.next() as u32,
                        _ => boundary_value(&base.bundle, pi, rng),
                    },
                    width,
                );
                code[at + k..at + k + width].copy_from_slice(&value.to_le_bytes()[..width]);
                let _ = write!(operands, " {value}/{width}B");
            }
            format!("function {pi} byte {at}: instruction replaced by opcode {op}{operands}")
        }
        4 => {
            // A register window (a call's callee and arguments, a collection's items)
            // resized by its count, the last operand, to end exactly at the frame's end
            // (accepted) or just past it (rejected).
            let pi = rng.below(b.protos.len());
            let windowed: Vec<_> = instructions(&b.protos[pi].code)
                .into_iter()
                .filter(|(_, instr)| instr.window().is_some())
                .collect();
            if windowed.is_empty() {
                return;
            }
            let (at, old) = *rng.pick(&windowed);
            let count = operand_spans(&old).len() - 1;
            let window_len = |value| {
                with_operand(&old, count, value)
                    .and_then(|i| i.window())
                    .map(|w| w.len)
            };
            let (Some(len0), Some(len1)) = (window_len(0), window_len(1)) else {
                return;
            };
            let Some(step) = len1.checked_sub(len0).filter(|&step| step > 0) else {
                return;
            };
            let start = old.window().expect("windowed").start;
            let end = b.protos[pi].registers as u32 + rng.below(2) as u32;
            let Some(value) = end
                .checked_sub(start + len0)
                .map(|extra| extra.div_ceil(step))
            else {
                return;
            };
            let Some(new) = with_operand(&old, count, value) else {
                return;
            };
            let mut bytes = Vec::new();
            new.encode(&mut bytes);
            b.protos[pi].code[at..at + bytes.len()].copy_from_slice(&bytes);
            let w = new.window().expect("windowed");
            format!(
                "function {pi} byte {at}: {} count {value}, window r{}..r{} in {} registers",
                new.mnemonic(),
                w.start,
                w.start + w.len,
                b.protos[pi].registers
            )
        }
        5 | 6 => {
            // One operand, at its own width, moved by one, to a boundary or a bit flipped.
            let pi = rng.below(b.protos.len());
            let with_operands: Vec<_> = instructions(&b.protos[pi].code)
                .into_iter()
                .filter(|(_, instr)| !operand_spans(instr).is_empty())
                .collect();
            if with_operands.is_empty() {
                return;
            }
            let (at, instr) = *rng.pick(&with_operands);
            let spans = operand_spans(&instr);
            let k = rng.below(spans.len());
            let (offset, width) = spans[k];
            let code = &mut b.protos[pi].code;
            let mut raw = [0u8; 4];
            raw[..width].copy_from_slice(&code[at + offset..at + offset + width]);
            let old = u32::from_le_bytes(raw);
            let new = fit(
                match rng.below(4) {
                    0 => old.wrapping_add(1),
                    1 => old.wrapping_sub(1),
                    2 => boundary_value(&base.bundle, pi, rng),
                    _ => old ^ (1 << rng.below(width * 8)),
                },
                width,
            );
            code[at + offset..at + offset + width].copy_from_slice(&new.to_le_bytes()[..width]);
            format!(
                "function {pi} byte {at}: operand {k} of {} {old} -> {new}",
                instr.mnemonic()
            )
        }
        7 => {
            let pi = rng.below(b.protos.len());
            let starts = instruction_starts(&b.protos[pi].code);
            if starts.len() < 2 {
                return;
            }
            let i = rng.below(starts.len());
            let (at, len) = starts[i];
            if rng.chance(50) {
                b.protos[pi].code.drain(at..at + len);
                format!("function {pi}: instruction at byte {at} deleted")
            } else {
                let copy = b.protos[pi].code[at..at + len].to_vec();
                let dest = starts[rng.below(starts.len())].0;
                for (k, byte) in copy.into_iter().enumerate() {
                    b.protos[pi].code.insert(dest + k, byte);
                }
                format!("function {pi}: instruction at byte {at} duplicated at byte {dest}")
            }
        }
        8 => {
            let pi = rng.below(b.protos.len());
            let starts = instruction_starts(&b.protos[pi].code);
            if starts.len() < 2 {
                return;
            }
            let i = rng.below(starts.len() - 1);
            let ((a, alen), (c, clen)) = (starts[i], starts[i + 1]);
            let first = b.protos[pi].code[a..a + alen].to_vec();
            let second = b.protos[pi].code[c..c + clen].to_vec();
            let mut swapped = second;
            swapped.extend(first);
            b.protos[pi].code[a..c + clen].copy_from_slice(&swapped);
            format!("function {pi}: instructions at bytes {a} and {c} swapped")
        }
        // Prototype fields.
        9 | 10 => {
            let pi = rng.below(b.protos.len());
            let p = &mut b.protos[pi];
            match rng.below(10) {
                0 => {
                    let old = p.arity;
                    p.arity = *rng.pick(&[
                        0,
                        old.wrapping_add(1),
                        old.wrapping_sub(1),
                        p.registers,
                        u16::MAX,
                    ]);
                    format!("function {pi}: arity {old} -> {}", p.arity)
                }
                1 => {
                    p.rest = !p.rest;
                    format!("function {pi}: rest flag -> {}", p.rest)
                }
                2 | 3 => {
                    // Parameters are r0 .. r(params-1): a frame of params-1 registers
                    // lacks the last one.
                    let old = p.registers;
                    let params = p.arity.wrapping_add(p.rest as u16);
                    p.registers = *rng.pick(&[
                        0,
                        old.wrapping_add(1),
                        old.wrapping_sub(1),
                        u16::MAX,
                        params,
                        params.wrapping_sub(1),
                    ]);
                    format!("function {pi}: registers {old} -> {}", p.registers)
                }
                4 | 5 => {
                    // The frame cut to exactly what the code uses, or one register short.
                    let old = p.registers;
                    let used = registers_used(&p.code).min(u16::MAX as u32) as u16;
                    p.registers = used.saturating_sub(rng.below(2) as u16);
                    format!(
                        "function {pi}: registers {old} -> {} (the code uses {used})",
                        p.registers
                    )
                }
                6 => {
                    let old = p.name;
                    p.name = match rng.below(3) {
                        0 => None,
                        1 => Some(SymIdx(base.bundle.symbols.len() as u32)),
                        _ => Some(SymIdx(rng.below(base.bundle.symbols.len().max(1)) as u32)),
                    };
                    format!("function {pi}: name {old:?} -> {:?}", p.name)
                }
                7 => {
                    let c = match rng.below(4) {
                        0 => Capture::Local(Slot(0)),
                        1 => Capture::Outer(CaptureIdx(0)),
                        2 => Capture::Local(Slot(rng.below(4) as u16)),
                        _ => Capture::Outer(CaptureIdx(u16::MAX)),
                    };
                    p.captures.push(c);
                    format!("function {pi}: capture {c:?} appended")
                }
                8 => {
                    if p.captures.is_empty() {
                        p.code.clear();
                        format!("function {pi}: code emptied")
                    } else {
                        let i = rng.below(p.captures.len());
                        let old = p.captures[i];
                        p.captures[i] = match old {
                            Capture::Local(s) => {
                                if rng.chance(50) {
                                    Capture::Outer(CaptureIdx(s.0))
                                } else {
                                    Capture::Local(Slot(s.0.wrapping_add(1)))
                                }
                            }
                            Capture::Outer(c) => {
                                if rng.chance(50) {
                                    Capture::Local(Slot(c.0))
                                } else {
                                    Capture::Outer(CaptureIdx(c.0.wrapping_add(1)))
                                }
                            }
                        };
                        format!("function {pi}: capture {i} {old:?} -> {:?}", p.captures[i])
                    }
                }
                _ => {
                    let n = p.code.len();
                    p.code.truncate(n - 1);
                    format!("function {pi}: last code byte removed")
                }
            }
        }
        11 => {
            let old = b.entry.0;
            let n = b.protos.len() as u32;
            let some = rng.below(n as usize) as u32;
            b.entry = ProtoIdx(*rng.pick(&[some, n, n + 1, u32::MAX]));
            if rng.chance(30) && b.protos.len() > 1 {
                let last = b.protos.len() - 1;
                b.protos.swap(0, last);
                if let Some(d) = &mut b.debug {
                    let last = d.protos.len() - 1;
                    d.protos.swap(0, last);
                }
                format!(
                    "entry {old} -> {} and functions 0 and {} swapped",
                    b.entry.0,
                    n - 1
                )
            } else {
                format!("entry {old} -> {}", b.entry.0)
            }
        }
        // Constants.
        12..=14 => {
            if b.constants.is_empty() {
                b.constants.push(Constant::Int(i64::MIN));
                "constant Int(i64::MIN) added to an empty pool".to_string()
            } else {
                let i = rng.below(b.constants.len());
                let old = format!("{:?}", b.constants[i]);
                let old = if old.len() > 60 {
                    format!(
                        "{}…",
                        &old[..old.char_indices().nth(57).map_or(old.len(), |(k, _)| k)]
                    )
                } else {
                    old
                };
                let n = b.constants.len() as u32;
                let new =
                    mutate_constant(&b.constants[i], i as u32, n, b.symbols.len() as u32, rng);
                let shown = format!("{new:?}");
                let shown = if shown.len() > 60 {
                    format!(
                        "{} bytes of {:?}",
                        shown.len(),
                        std::mem::discriminant(&new)
                    )
                } else {
                    shown
                };
                b.constants[i] = new;
                format!("constant {i} {old} -> {shown}")
            }
        }
        15 => {
            if b.constants.len() < 2 {
                return;
            }
            let i = rng.below(b.constants.len());
            let j = rng.below(b.constants.len());
            b.constants.swap(i, j);
            format!("constants {i} and {j} swapped")
        }
        // Symbols.
        16 | 17 => {
            if b.symbols.is_empty() {
                return;
            }
            let i = rng.below(b.symbols.len());
            let old = b.symbols[i].clone();
            let new = match rng.below(7) {
                0 => String::new(),
                1 => b.symbols[rng.below(b.symbols.len())].clone(),
                2 => rng
                    .pick(&[
                        "car", "+", "println", "exit", "define", "lambda", "apply", "error", "nil",
                        "#t",
                    ])
                    .to_string(),
                3 => format!("{old}\u{0}x"),
                4 => "λ→🦀".repeat(rng.in_range(1..5)),
                5 => "s".repeat(limits::MAX_NAME_LEN + 1),
                _ => format!("{old}{old}"),
            };
            b.symbols[i] = new;
            let shown = if b.symbols[i].len() > 40 {
                format!("<{} bytes>", b.symbols[i].len())
            } else {
                format!("{:?}", b.symbols[i])
            };
            format!("symbol {i} {old:?} -> {shown}")
        }
        18 => match rng.below(3) {
            0 if !b.symbols.is_empty() => {
                b.symbols.pop();
                "last symbol removed".to_string()
            }
            1 if !b.constants.is_empty() => {
                b.constants.pop();
                "last constant removed".to_string()
            }
            _ => {
                if b.protos.len() > 1 {
                    b.protos.pop();
                    if let Some(d) = &mut b.debug {
                        d.protos.pop();
                    }
                    "last function removed".to_string()
                } else {
                    b.protos.push(b.protos[0].clone());
                    "function 0 duplicated at the end (debug not extended)".to_string()
                }
            }
        },
        // The debug section.
        _ => match &mut b.debug {
            None => {
                b.debug = Some(bundle_format::DebugInfo {
                    files: vec!["/abs/x.sema".into()],
                    protos: b
                        .protos
                        .iter()
                        .map(|p| bundle_format::ProtoDebug {
                            file: 0,
                            lines: vec![LineEntry {
                                pc: p.code.len() as u32 + 5,
                                line: 0,
                                col: u32::MAX,
                            }],
                        })
                        .collect(),
                });
                "debug section added with a line entry past the end of each function".to_string()
            }
            Some(d) => match rng.below(6) {
                0 => {
                    d.files.clear();
                    "debug: file list emptied".to_string()
                }
                1 => {
                    let i = rng.below(d.protos.len());
                    d.protos[i].file = *rng.pick(&[1, 2, u32::MAX]);
                    format!("debug: function {i} file index -> {}", d.protos[i].file)
                }
                2 => {
                    let i = rng.below(d.protos.len());
                    let pc = *rng.pick(&[
                        u32::MAX,
                        b.protos[i].code.len() as u32,
                        b.protos[i].code.len() as u32 + 1,
                    ]);
                    d.protos[i].lines.push(LineEntry {
                        pc,
                        line: u32::MAX,
                        col: 0,
                    });
                    format!("debug: function {i} line entry at pc {pc} appended")
                }
                3 => {
                    let i = rng.below(d.protos.len());
                    d.protos[i].lines.reverse();
                    d.protos[i].lines.push(LineEntry {
                        pc: 0,
                        line: 0,
                        col: 0,
                    });
                    format!("debug: function {i} line table reversed (unsorted)")
                }
                4 => {
                    let i = rng.below(d.protos.len());
                    d.protos[i].lines.clear();
                    format!("debug: function {i} line table emptied")
                }
                _ => {
                    if rng.chance(50) {
                        d.protos.pop();
                        "debug: last function's entry removed".to_string()
                    } else {
                        d.files.push("\u{0}\n../../etc/passwd".into());
                        let n = d.files.len() as u32 - 1;
                        for p in &mut d.protos {
                            p.file = n;
                        }
                        "debug: every function moved to an odd file name".to_string()
                    }
                }
            },
        },
    };
    sink.push(format!("{what} (re-serialised)"), write_bundle(&b));
}

/// Mutations the verifier accepts: an instruction replaced by another with the same
/// size, operand kinds, register window and control flow (`Add` -> `Lt`, `Car` ->
/// `Neg`, `Move` -> `LoadCell`, `LtJumpIfFalse` -> `GeJumpIfTrue`), or one operand moved
/// to another valid entry of its table (a constant, symbol, function, register or
/// capture) or an immediate integer changed. They reach the VM with values it does not
/// expect.
fn semantic(base: &Base, rng: &mut Rng, sink: &mut Sink) {
    let mut b = base.bundle.clone();
    let pi = rng.below(b.protos.len());
    let starts = instruction_starts(&b.protos[pi].code);
    let (at, len) = *rng.pick(&starts);
    let symbols = b.symbols.len().max(1);
    let constants = b.constants.len().max(1);
    let protos = b.protos.len();
    let registers = b.protos[pi].registers as u32;
    let captures = b.protos[pi].captures.len();
    let code = &mut b.protos[pi].code;
    let Ok((old, _)) = Instr::decode(&code[at..]) else {
        return;
    };
    let kinds = |instr: &Instr<ByteOffset>| {
        let mut kinds = Vec::new();
        instr.for_each_operand(|operand| kinds.push(std::mem::discriminant(&operand)));
        kinds
    };
    let new = if rng.chance(40) {
        // Same size, same operand kinds, same window, same flow.
        let mut candidates = Vec::new();
        for op in 0..=255u8 {
            if op == code[at] {
                continue;
            }
            let mut probe = code[at..at + len].to_vec();
            probe[0] = op;
            if let Ok((instr, l)) = Instr::decode(&probe) {
                if l == len
                    && kinds(&instr) == kinds(&old)
                    && instr.window() == old.window()
                    && instr.flow() == old.flow()
                {
                    candidates.push(instr);
                }
            }
        }
        if candidates.is_empty() {
            return;
        }
        *rng.pick(&candidates)
    } else {
        let mut operands = Vec::new();
        old.for_each_operand(|operand| operands.push(operand));
        if operands.is_empty() {
            return;
        }
        let k = rng.below(operands.len());
        let literal = |rng: &mut Rng, v: i32, min: i32, max: i32| {
            let random = rng.next() as i32;
            *rng.pick(&[
                0,
                1,
                -1,
                v.wrapping_add(1),
                v.wrapping_neg(),
                max,
                min,
                random,
            ])
        };
        let value = match operands[k] {
            TypedOperand::Const(_) => rng.below(constants) as u32,
            TypedOperand::Sym(_) => rng.below(symbols) as u32,
            TypedOperand::Proto(_) => rng.below(protos) as u32,
            TypedOperand::Slot(_) if registers > 0 => rng.below(registers as usize) as u32,
            TypedOperand::SmallSlot(_) if registers > 0 => {
                rng.below(registers.min(256) as usize) as u32
            }
            TypedOperand::Capture(_) if captures > 0 => rng.below(captures) as u32,
            TypedOperand::Written(_) => rng.below(registers as usize + 1) as u32,
            TypedOperand::Int(v) => literal(rng, v.0, i32::MIN, i32::MAX) as u32,
            // The low two bytes: an i16 in two's complement.
            TypedOperand::ShortInt(v) => {
                literal(rng, v.0 as i32, i16::MIN as i32, i16::MAX as i32) as u16 as u32
            }
            // Counts and targets change windows and flow: the structured family's.
            _ => return,
        };
        let Some(new) = with_operand(&old, k, value) else {
            return;
        };
        // A register moved under a window's start may push the window out of the frame.
        if new.window().is_some_and(|w| w.start + w.len > registers) {
            return;
        }
        new
    };
    if new == old {
        return;
    }
    let mut bytes = Vec::new();
    new.encode(&mut bytes);
    code[at..at + len].copy_from_slice(&bytes);
    sink.push(
        format!(
            "function {pi} byte {at}: {} {:?} -> {} {:?} (re-serialised)",
            old.mnemonic(),
            old.operands(),
            new.mnemonic(),
            new.operands()
        ),
        write_bundle(&b),
    );
}

// ---------------------------------------------------------------------------------------
// Crafted bundles: small hand-built programs the verifier accepts, aimed at what random
// mutation finds only by luck (loops and unwinding the fuel must bound, resource use).

fn encode_all(instrs: &[Instr<ByteOffset>]) -> Vec<u8> {
    let mut code = Vec::new();
    for i in instrs {
        i.encode(&mut code);
    }
    code
}

fn proto(
    arity: u16,
    registers: u16,
    captures: Vec<Capture>,
    instrs: &[Instr<ByteOffset>],
) -> bundle_format::Proto {
    bundle_format::Proto {
        name: None,
        arity,
        rest: false,
        registers,
        captures,
        code: encode_all(instrs),
    }
}

/// The crafted bundles, each with what it aims at. Byte offsets in the code: LoadNil,
/// LoadTrue, LoadFalse, LoadSelf and Throw are 3 bytes; Move, MoveOut, LoadCell,
/// LoadCellCapture, Jump, Call, TailCall, CallSelf and Return 5; CallGlobal 8; the rest 7.
fn crafted_bundles() -> Vec<(&'static str, Bundle)> {
    use bundle_format::opcodes::{Argc, Count, ShortInt, SmallArgc, SmallInt, SmallSlot, Written};
    use Instr::*;
    let one =
        |symbols: &[&str], constants: Vec<Constant>, protos: Vec<bundle_format::Proto>| Bundle {
            symbols: symbols.iter().map(|s| s.to_string()).collect(),
            constants,
            protos,
            entry: ProtoIdx(0),
            debug: None,
        };
    let entry = |registers: u16, instrs: &[Instr<ByteOffset>]| proto(0, registers, vec![], instrs);
    let r = Slot;
    let int = |dst, value| LoadInt {
        dst: Slot(dst),
        value: SmallInt(value),
    };
    let ret = |src| Return { src: Slot(src), written: Written(0) };
    let call_global = |sym, a, argc| CallGlobal {
        sym: SymIdx(sym),
        a: Slot(a),
        argc: SmallArgc(argc),
    };
    vec![
        (
            "unconditional backward Jump loop (fuel must stop it)",
            one(
                &[],
                vec![],
                vec![entry(
                    1,
                    &[
                        LoadNil { dst: r(0) },
                        Jump {
                            target: ByteOffset(0),
                        },
                    ],
                )],
            ),
        ),
        (
            "backward JumpIfTrue loop: LoadTrue r0; JumpIfTrue r0 @0",
            one(
                &[],
                vec![],
                vec![entry(
                    1,
                    &[
                        LoadTrue { dst: r(0) },
                        JumpIfTrue {
                            src: r(0),
                            target: ByteOffset(0),
                        },
                        ret(0),
                    ],
                )],
            ),
        ),
        (
            "backward JumpIfFalse loop: LoadFalse r0; JumpIfFalse r0 @0",
            one(
                &[],
                vec![],
                vec![entry(
                    1,
                    &[
                        LoadFalse { dst: r(0) },
                        JumpIfFalse {
                            src: r(0),
                            target: ByteOffset(0),
                        },
                        ret(0),
                    ],
                )],
            ),
        ),
        (
            "a branch to itself: LoadTrue r0; JumpIfTrue r0 @3",
            one(
                &[],
                vec![],
                vec![entry(
                    1,
                    &[
                        LoadTrue { dst: r(0) },
                        JumpIfTrue {
                            src: r(0),
                            target: ByteOffset(3),
                        },
                        ret(0),
                    ],
                )],
            ),
        ),
        (
            "a compare-and-branch to itself: r0 := 0; r1 := 1; LtJumpIfTrue r0 r1 @14",
            one(
                &[],
                vec![],
                vec![entry(
                    2,
                    &[
                        int(0, 0),
                        int(1, 1),
                        LtJumpIfTrue {
                            a: SmallSlot(0),
                            b: SmallSlot(1),
                            target: ByteOffset(14),
                        },
                        ret(0),
                    ],
                )],
            ),
        ),
        (
            "throw caught by its own PushHandler: LoadNil r0; PushHandler r0 @3; Throw r0",
            one(
                &[],
                vec![],
                vec![entry(
                    1,
                    &[
                        LoadNil { dst: r(0) },
                        PushHandler {
                            dst: r(0),
                            target: ByteOffset(3),
                        },
                        Throw { src: r(0) },
                    ],
                )],
            ),
        ),
        (
            "unbounded non-tail self recursion: LoadSelf r0; Call r0 #0; Return r0",
            one(
                &[],
                vec![],
                vec![
                    entry(
                        1,
                        &[
                            Closure {
                                dst: r(0),
                                proto: ProtoIdx(1),
                            },
                            Call {
                                a: r(0),
                                argc: Argc(0),
                            },
                            ret(0),
                        ],
                    ),
                    proto(
                        0,
                        1,
                        vec![],
                        &[
                            LoadSelf { dst: r(0) },
                            Call {
                                a: r(0),
                                argc: Argc(0),
                            },
                            ret(0),
                        ],
                    ),
                ],
            ),
        ),
        (
            "recursion through a builtin: (define (f x) (map f (list x)))",
            one(
                &["map", "list"],
                vec![],
                vec![
                    entry(
                        2,
                        &[
                            Closure {
                                dst: r(0),
                                proto: ProtoIdx(1),
                            },
                            LoadNil { dst: r(1) },
                            Call {
                                a: r(0),
                                argc: Argc(1),
                            },
                            ret(0),
                        ],
                    ),
                    proto(
                        1,
                        5,
                        vec![],
                        &[
                            LoadSelf { dst: r(2) },
                            Move {
                                dst: r(4),
                                src: r(0),
                            },
                            call_global(1, 3, 1),
                            call_global(0, 1, 2),
                            ret(1),
                        ],
                    ),
                ],
            ),
        ),
        (
            "a function returns with its handler still installed, then the caller throws",
            one(
                &[],
                vec![],
                vec![
                    entry(
                        1,
                        &[
                            Closure {
                                dst: r(0),
                                proto: ProtoIdx(1),
                            },
                            Call {
                                a: r(0),
                                argc: Argc(0),
                            },
                            LoadNil { dst: r(0) },
                            Throw { src: r(0) },
                        ],
                    ),
                    proto(
                        0,
                        1,
                        vec![],
                        &[
                            PushHandler {
                                dst: r(0),
                                target: ByteOffset(15),
                            },
                            LoadNil { dst: r(0) },
                            ret(0),
                            ret(0),
                        ],
                    ),
                ],
            ),
        ),
        (
            "a tail call with a handler installed, then the callee throws",
            one(
                &[],
                vec![],
                vec![
                    entry(
                        1,
                        &[
                            Closure {
                                dst: r(0),
                                proto: ProtoIdx(1),
                            },
                            Call {
                                a: r(0),
                                argc: Argc(0),
                            },
                            ret(0),
                        ],
                    ),
                    proto(
                        0,
                        1,
                        vec![],
                        &[
                            PushHandler {
                                dst: r(0),
                                target: ByteOffset(19),
                            },
                            Closure {
                                dst: r(0),
                                proto: ProtoIdx(2),
                            },
                            TailCall {
                                a: r(0),
                                argc: Argc(0),
                            },
                            ret(0),
                        ],
                    ),
                    proto(0, 1, vec![], &[LoadNil { dst: r(0) }, Throw { src: r(0) }]),
                ],
            ),
        ),
        (
            "a closure reads a captured register the creator never initialised, as a cell",
            one(
                &[],
                vec![],
                vec![
                    entry(
                        2,
                        &[
                            Closure {
                                dst: r(1),
                                proto: ProtoIdx(1),
                            },
                            Call {
                                a: r(1),
                                argc: Argc(0),
                            },
                            ret(1),
                        ],
                    ),
                    proto(
                        0,
                        1,
                        vec![Capture::Local(Slot(0))],
                        &[
                            LoadCellCapture {
                                dst: r(0),
                                idx: CaptureIdx(0),
                            },
                            ret(0),
                        ],
                    ),
                ],
            ),
        ),
        (
            "LoadCell of a register holding an integer",
            one(
                &[],
                vec![],
                vec![entry(
                    2,
                    &[
                        int(0, 5),
                        LoadCell {
                            dst: r(1),
                            cell: r(0),
                        },
                        ret(1),
                    ],
                )],
            ),
        ),
        (
            "StoreCell into a register holding nil",
            one(
                &[],
                vec![],
                vec![entry(
                    2,
                    &[
                        StoreCell {
                            cell: r(0),
                            src: r(1),
                        },
                        ret(0),
                    ],
                )],
            ),
        ),
        (
            "a register read after MoveOut left it nil: r1 := move r0; r0 := r0 + r1",
            one(
                &[],
                vec![],
                vec![entry(
                    2,
                    &[
                        int(0, 1),
                        MoveOut {
                            dst: r(1),
                            src: r(0),
                        },
                        Add {
                            dst: r(0),
                            a: r(0),
                            b: r(1),
                        },
                        ret(0),
                    ],
                )],
            ),
        ),
        (
            "the largest frame: 65535 registers, MakeList of all of them",
            one(
                &[],
                vec![],
                vec![entry(
                    u16::MAX,
                    &[
                        MakeList {
                            dst: r(0),
                            count: Count(65535),
                        },
                        ret(0),
                    ],
                )],
            ),
        ),
        (
            "the largest call window: list called with 65534 arguments",
            one(
                &["list"],
                vec![],
                vec![entry(
                    u16::MAX,
                    &[
                        LoadGlobal {
                            dst: r(0),
                            sym: SymIdx(0),
                        },
                        Call {
                            a: r(0),
                            argc: Argc(65534),
                        },
                        ret(0),
                    ],
                )],
            ),
        ),
        (
            "a tail call from a one-register frame into the largest frame",
            one(
                &[],
                vec![],
                vec![
                    entry(
                        1,
                        &[
                            Closure {
                                dst: r(0),
                                proto: ProtoIdx(1),
                            },
                            TailCall {
                                a: r(0),
                                argc: Argc(0),
                            },
                        ],
                    ),
                    proto(0, u16::MAX, vec![], &[int(65534, 7), ret(65534)]),
                ],
            ),
        ),
        (
            "unbounded self recursion: (define (f i) (+ 1 (f (+ i 1))))",
            one(
                &[],
                vec![],
                vec![
                    entry(
                        2,
                        &[
                            Closure {
                                dst: r(0),
                                proto: ProtoIdx(1),
                            },
                            int(1, 0),
                            Call {
                                a: r(0),
                                argc: Argc(1),
                            },
                            ret(0),
                        ],
                    ),
                    proto(
                        1,
                        3,
                        vec![],
                        &[
                            AddInt {
                                dst: r(2),
                                a: r(0),
                                value: ShortInt(1),
                            },
                            CallSelf {
                                a: r(1),
                                argc: Argc(1),
                            },
                            ret(1),
                        ],
                    ),
                ],
            ),
        ),
        (
            "(range 0 2^62): a huge allocation from one builtin call",
            one(
                &["range"],
                vec![Constant::Int(1 << 62)],
                vec![entry(
                    3,
                    &[
                        int(1, 0),
                        LoadConst {
                            dst: r(2),
                            idx: ConstIdx(0),
                        },
                        call_global(0, 0, 2),
                        ret(0),
                    ],
                )],
            ),
        ),
        (
            "closures called by a builtin: (let loop () (map id (range 0 1000000)) (loop))",
            one(
                &["range", "map"],
                vec![Constant::Int(1_000_000)],
                vec![
                    entry(
                        6,
                        &[
                            Closure {
                                dst: r(0),
                                proto: ProtoIdx(1),
                            },
                            Move {
                                dst: r(2),
                                src: r(0),
                            },
                            int(4, 0),
                            LoadConst {
                                dst: r(5),
                                idx: ConstIdx(0),
                            },
                            call_global(0, 3, 2),
                            call_global(1, 1, 2),
                            Jump {
                                target: ByteOffset(7),
                            },
                        ],
                    ),
                    proto(1, 1, vec![], &[ret(0)]),
                ],
            ),
        ),
        (
            "repeated squaring: r0 := r0 * r0 from 2 (bignum growth per fuel unit)",
            one(
                &[],
                vec![],
                vec![entry(
                    1,
                    &[
                        int(0, 2),
                        Mul {
                            dst: r(0),
                            a: r(0),
                            b: r(0),
                        },
                        Jump {
                            target: ByteOffset(7),
                        },
                    ],
                )],
            ),
        ),
    ]
}

fn crafted() -> Vec<Variant> {
    crafted_bundles()
        .into_iter()
        .map(|(what, bundle)| Variant {
            base: None,
            family: "crafted",
            what: format!("crafted: {what}"),
            bytes: write_bundle(&bundle),
        })
        .collect()
}

fn mutate_constant(
    old: &Constant,
    index: u32,
    count: u32,
    symbols: u32,
    rng: &mut Rng,
) -> Constant {
    let idx = |rng: &mut Rng| {
        ConstIdx(*rng.pick(&[index, index + 1, count, u32::MAX, index.saturating_sub(1)]))
    };
    match old {
        Constant::Int(v) => match rng.below(6) {
            0 => Constant::Int(*rng.pick(&[i64::MAX, i64::MIN, 0, -1, i64::MIN + 1])),
            1 => Constant::Int(v.wrapping_add(1)),
            2 => Constant::Int(rng.next() as i64),
            3 => Constant::BigInt(v.to_string()),
            4 => Constant::Float(*v as f64),
            _ => Constant::Str(v.to_string()),
        },
        Constant::Float(f) => Constant::Float(*rng.pick(&[
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            -*f,
        ])),
        Constant::BigInt(t) => Constant::BigInt(
            rng.pick(&[
                String::new(),
                "-".to_string(),
                "12a".to_string(),
                "-0".to_string(),
                "0000".to_string(),
                "5".to_string(),
                "9223372036854775807".to_string(),
                "-9223372036854775808".to_string(),
                "9".repeat(limits::MAX_BIGINT_DIGITS),
                "9".repeat(limits::MAX_BIGINT_DIGITS + 1),
                format!("{t}0"),
                format!("+{t}"),
            ])
            .clone(),
        ),
        Constant::Rational(n, d) => {
            let (n, d) = rng
                .pick(&[
                    ("1".to_string(), "0".to_string()),
                    ("4".to_string(), "2".to_string()),
                    ("1".to_string(), "1".to_string()),
                    ("0".to_string(), "5".to_string()),
                    ("1".to_string(), "-3".to_string()),
                    (n.clone(), "00".to_string()),
                    (d.clone(), n.clone()),
                    ("-9223372036854775808".to_string(), "1".to_string()),
                    ("1".to_string(), "9".repeat(limits::MAX_BIGINT_DIGITS)),
                    (String::new(), d.clone()),
                ])
                .clone();
            Constant::Rational(n, d)
        }
        Constant::Str(s) => Constant::Str(
            rng.pick(&[
                String::new(),
                format!("{s}\u{0}"),
                "\u{10FFFF}é\r\n".to_string(),
                "x".repeat(limits::MAX_NAME_LEN + 1),
                s.repeat(3),
            ])
            .clone(),
        ),
        Constant::Char(c) => Constant::Char(*rng.pick(&[
            0,
            0xD800,
            0xDFFF,
            0x10FFFF,
            0x110000,
            u32::MAX,
            c.wrapping_add(1),
        ])),
        Constant::Symbol(s) | Constant::Keyword(s) => {
            let new = SymIdx(*rng.pick(&[symbols, symbols.wrapping_sub(1), s.0 + 1, u32::MAX, 0]));
            if matches!(old, Constant::Symbol(_)) != rng.chance(20) {
                Constant::Symbol(new)
            } else {
                Constant::Keyword(new)
            }
        }
        Constant::List(items) | Constant::Vector(items) => {
            let mut items = items.clone();
            match rng.below(3) {
                0 => items.push(idx(rng)),
                1 => {
                    items.clear();
                }
                _ => items.reverse(),
            }
            if matches!(old, Constant::List(_)) != rng.chance(20) {
                Constant::List(items)
            } else {
                Constant::Vector(items)
            }
        }
        Constant::Map(pairs) => {
            let mut pairs = pairs.clone();
            match rng.below(3) {
                0 => pairs.push((idx(rng), ConstIdx(0))),
                1 => {
                    if let Some(first) = pairs.first().copied() {
                        pairs.push(first);
                    }
                }
                _ => pairs.reverse(),
            }
            Constant::Map(pairs)
        }
        Constant::Bytevector(v) => Constant::Bytevector(if v.is_empty() {
            vec![0; 1 << 16]
        } else {
            Vec::new()
        }),
        // A part that is later, missing or not a real number (the string or list at 0).
        Constant::Complex(re, im) => match rng.below(3) {
            0 => Constant::Complex(idx(rng), *im),
            1 => Constant::Complex(*re, idx(rng)),
            _ => Constant::Complex(ConstIdx(0), *re),
        },
        Constant::Nil | Constant::Bool(_) => match rng.below(4) {
            0 => Constant::List(vec![ConstIdx(index)]),
            1 => Constant::Symbol(SymIdx(symbols)),
            2 => Constant::Bool(rng.chance(50)),
            _ => Constant::Char(0xD800),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Running

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Verdict {
    Ran,
    RuntimeError,
    ProgramExit,
    RejectedByReader,
    RejectedByVerifier,
}

/// What the in-process reader and verifier say about a variant.
enum Oracle {
    Reader(String),
    Verifier(String),
    /// Loads; `may_exit` when the program can call `exit` (any status is then fine).
    Loads {
        may_exit: bool,
    },
}

fn oracle(bytes: &[u8]) -> Result<Oracle, String> {
    std::panic::catch_unwind(|| match read_bundle(bytes) {
        Err(e) => Oracle::Reader(e.to_string()),
        Ok(bundle) => {
            let may_exit = bundle.symbols.iter().any(|s| s == "exit");
            match verify_bundle(bundle) {
                Err(e) => Oracle::Verifier(e.to_string()),
                Ok(_) => Oracle::Loads { may_exit },
            }
        }
    })
    .map_err(|panic| {
        let msg = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("bundle_format::read_bundle/verify_bundle panicked in-process: {msg}")
    })
}

fn judge(bytes: &[u8], outcome: &Outcome) -> Result<Verdict, String> {
    let stderr = outcome.stderr_text();
    if outcome.timed_out {
        return Err(format!("HANG: {}", outcome.describe_end()));
    }
    let Some(code) = outcome.code() else {
        return Err(format!("SIGNAL: {}", outcome.describe_end()));
    };
    if code == 101 || code == 70 || stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE")
    {
        return Err(format!("PANIC: exit status {code}"));
    }
    let first_line = stderr.lines().next().unwrap_or("");
    let expected_reject = |msg: &str, verdict: Verdict| {
        let want = format!("semarun: {VARIANT_FILE}: {msg}");
        if code == 2 && first_line == want {
            Ok(verdict)
        } else {
            Err(format!(
                "MISMATCH: bundle_format rejects the variant, so semarun should exit 2 with\n    {want}\n  but it gave {} with first stderr line\n    {first_line}",
                outcome.describe_end()
            ))
        }
    };
    match oracle(bytes)? {
        Oracle::Reader(msg) => expected_reject(&msg, Verdict::RejectedByReader),
        Oracle::Verifier(msg) => expected_reject(&msg, Verdict::RejectedByVerifier),
        Oracle::Loads { may_exit } => match code {
            0 => Ok(Verdict::Ran),
            // An error, or a stop by --fuel or --max-seconds.
            1 | 124 => Ok(Verdict::RuntimeError),
            _ if first_line.starts_with("semarun: ") && code == 2 => Err(format!(
                "MISMATCH: bundle_format accepts the variant but semarun refused it: {first_line}"
            )),
            _ if may_exit => Ok(Verdict::ProgramExit),
            _ => Err(format!(
                "UNEXPECTED STATUS: {} (the program cannot call exit)",
                outcome.describe_end()
            )),
        },
    }
}

struct Failure {
    index: usize,
    what: String,
    problem: String,
    stderr: String,
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(default)
}

fn collect_bases(dir: &TempDir) -> Vec<Base> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf();
    let examples = root.join("examples");
    // (name, source, semac options, arguments after "--", heavy)
    type Source<'a> = (String, PathBuf, Vec<&'a str>, Vec<String>, bool);
    let mut sources: Vec<Source> = Vec::new();
    let list = |dir: &Path, prefix: &str, heavy: bool, sources: &mut Vec<_>| {
        let mut files: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "sema"))
            .collect();
        files.sort();
        for f in files {
            let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
            sources.push((format!("{prefix}{stem}"), f, Vec::new(), Vec::new(), heavy));
        }
    };
    list(&examples, "examples/", false, &mut sources);
    list(
        &examples.join("benchmarks"),
        "benchmarks/",
        true,
        &mut sources,
    );
    assert!(
        sources.len() >= 2,
        "expected programs in {}",
        examples.display()
    );
    // 1brc reads the measurements file named after "--"; give it the small sample.
    let sample = examples
        .join("benchmarks")
        .join("data")
        .join("1brc-sample.txt");
    for s in &mut sources {
        if s.0 == "benchmarks/1brc" && sample.is_file() {
            s.3 = vec![sample.display().to_string()];
            s.4 = false;
        }
    }
    let hello = examples.join("hello.sema");
    if hello.is_file() {
        sources.push((
            "examples/hello (--strip-debug)".into(),
            hello,
            vec!["--strip-debug"],
            Vec::new(),
            false,
        ));
    }
    for name in CORPUS_BASES {
        let path = root
            .join("tests")
            .join("corpus")
            .join("programs")
            .join(format!("{name}.sema"));
        if path.is_file() {
            sources.push((
                format!("corpus/{name}"),
                path,
                Vec::new(),
                Vec::new(),
                false,
            ));
        }
    }
    let constants = dir.path().join("constants.sema");
    fs::write(&constants, CONSTANTS_PROGRAM).expect("write constants program");
    sources.push(("constants".into(), constants, Vec::new(), Vec::new(), false));

    let filter = std::env::var("SEMA_MUTATION_FILTER").unwrap_or_default();
    sources
        .into_iter()
        .filter(|s| s.0.contains(&filter))
        .enumerate()
        .map(|(i, (name, path, semac_args, args, heavy))| {
            let out = dir.path().join(format!("base-{i}.semb"));
            let bytes = compile_bundle(&path, &out, &semac_args, Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("cannot compile base program {name}: {e}"));
            let bundle = read_bundle(&bytes)
                .unwrap_or_else(|e| panic!("{name}: semac wrote an unreadable bundle: {e}"));
            let layout = layout_of(&bundle, bytes.len() - HEADER_LEN);
            Base {
                name,
                bytes,
                bundle,
                layout,
                args,
                heavy,
            }
        })
        .collect()
}

fn keep_dir() -> PathBuf {
    match std::env::var_os("SEMA_MUTATION_KEEP_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => std::env::temp_dir().join(format!("sema-mutation-failures-{}", std::process::id())),
    }
}

fn excerpt(text: &str, lines: usize) -> String {
    let mut out: String = text
        .lines()
        .take(lines)
        .map(|l| format!("  | {l}\n"))
        .collect();
    if out.is_empty() {
        out.push_str("  (stderr empty)\n");
    }
    out
}

#[test]
fn crafted_bundles_pass_the_verifier_and_every_family_mutates_them() {
    // The crafted bundles are meant to reach the VM. Mutating them exercises every
    // family without semac; the semantic family is meant to stay mostly verifiable.
    let (mut semantic, mut accepted) = (0, 0);
    for (index, (what, bundle)) in crafted_bundles().into_iter().enumerate() {
        let bytes = write_bundle(&bundle);
        verify_bundle(bundle.clone()).unwrap_or_else(|e| panic!("crafted: {what}: {e}"));
        let base = Base {
            name: what.to_string(),
            layout: layout_of(&bundle, bytes.len() - HEADER_LEN),
            bytes,
            bundle,
            args: Vec::new(),
            heavy: false,
        };
        for v in generate(index, &base, DEFAULT_SEED, 1) {
            if let Err(problem) = oracle(&v.bytes) {
                panic!("{}: {problem}", v.what);
            }
            if v.family == "semantic" {
                semantic += 1;
                accepted += matches!(oracle(&v.bytes), Ok(Oracle::Loads { .. })) as usize;
            }
        }
    }
    assert!(
        accepted * 2 > semantic,
        "only {accepted} of {semantic} semantic variants verify"
    );
}

#[test]
fn mutated_bundles_never_crash_or_hang_semarun() {
    let started = Instant::now();
    let semarun = tool("semarun");
    let seed = env_number("SEMA_MUTATION_SEED", DEFAULT_SEED);
    let scale = env_number("SEMA_MUTATION_SCALE", 1).max(1) as usize;
    let jobs = env_number("SEMA_MUTATION_JOBS", 2).max(1) as usize;
    let timeout = Duration::from_secs(env_number("SEMA_MUTATION_TIMEOUT_SECS", 10).max(1));

    let work = TempDir::new("mutation-bases");
    let bases = collect_bases(&work);
    let filter = std::env::var("SEMA_MUTATION_FILTER").unwrap_or_default();
    let with_crafted = "crafted".contains(&filter);
    assert!(
        !bases.is_empty() || with_crafted,
        "no base programs (SEMA_MUTATION_FILTER excludes them all)"
    );

    let mut variants = Vec::new();
    let mut seen = HashSet::new();
    for (i, base) in bases.iter().enumerate() {
        for v in generate(i, base, seed, scale) {
            // Identical bytes from two mutations need running once.
            if v.bytes != base.bytes && seen.insert(v.bytes.clone()) {
                variants.push(v);
            }
        }
    }
    if with_crafted {
        variants.extend(crafted());
    }
    assert!(
        !filter.is_empty() || variants.len() >= 2000,
        "only {} distinct variants were generated",
        variants.len()
    );

    let total = variants.len();
    let next = AtomicUsize::new(0);
    let verdicts: Mutex<Vec<(&str, Verdict)>> = Mutex::new(Vec::with_capacity(total));
    let failures: Mutex<Vec<Failure>> = Mutex::new(Vec::new());
    let slowest: Mutex<(Duration, String)> = Mutex::new((Duration::ZERO, String::new()));
    thread::scope(|scope| {
        for worker in 0..jobs {
            let (variants, bases, next, verdicts, failures, slowest, semarun) = (
                &variants, &bases, &next, &verdicts, &failures, &slowest, &semarun,
            );
            scope.spawn(move || {
                let scratch = TempDir::new(&format!("mutation-worker-{worker}"));
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= total {
                        break;
                    }
                    let v: &Variant = &variants[i];
                    let path = scratch.path().join(VARIANT_FILE);
                    fs::write(&path, &v.bytes).expect("write variant");
                    let mut cmd = Command::new(semarun);
                    // --max-seconds bounds steps whose cost grows (bignum loops a
                    // mutation left unbounded); the harness timeout stays well above it.
                    cmd.arg("--fuel")
                        .arg(FUEL.to_string())
                        .arg("--max-seconds")
                        .arg(MAX_SECONDS.to_string())
                        .arg(VARIANT_FILE)
                        .arg("--")
                        .args(v.base.map_or(&[][..], |b| &bases[b].args[..]))
                        .current_dir(scratch.path());
                    limit_child_memory(&mut cmd, MEMORY_LIMIT);
                    let outcome = run_with_timeout(cmd, timeout).expect("cannot start semarun");
                    {
                        let mut s = slowest.lock().unwrap();
                        if outcome.elapsed > s.0 {
                            *s = (outcome.elapsed, v.what.clone());
                        }
                    }
                    match judge(&v.bytes, &outcome) {
                        Ok(verdict) => verdicts.lock().unwrap().push((v.family, verdict)),
                        Err(problem) => failures.lock().unwrap().push(Failure {
                            index: i,
                            what: v.what.clone(),
                            problem,
                            stderr: outcome.stderr_text(),
                        }),
                    }
                }
            });
        }
    });

    let verdicts = verdicts.into_inner().unwrap();
    let count = |v: Verdict| verdicts.iter().filter(|x| x.1 == v).count();
    let mut failures = failures.into_inner().unwrap();
    failures.sort_by_key(|f| f.index);
    let kind = |prefix: &str| {
        failures
            .iter()
            .filter(|f| f.problem.starts_with(prefix))
            .count()
    };
    let (ran, runtime, exits) = (
        count(Verdict::Ran),
        count(Verdict::RuntimeError),
        count(Verdict::ProgramExit),
    );
    let (by_reader, by_verifier) = (
        count(Verdict::RejectedByReader),
        count(Verdict::RejectedByVerifier),
    );
    let summary = format!(
        "mutation: {total} variants: {ran} loaded-and-ran, {runtime} runtime errors, {} rejected at load; \
         {} panics, {} signals, {} hangs",
        by_reader + by_verifier,
        kind("PANIC"),
        kind("SIGNAL"),
        kind("HANG"),
    );
    let (slow, slow_what) = slowest.into_inner().unwrap();
    println!("{summary}");
    println!(
        "mutation: {} programs; rejected at load: {by_reader} by the reader, {by_verifier} by the verifier; \
         {exits} ended through (exit n); {} other failures; slowest variant {:.2}s ({slow_what}); \
         total {:.1}s on {jobs} threads",
        bases.len(),
        kind("MISMATCH") + kind("UNEXPECTED"),
        slow.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );

    println!("mutation: family       variants    ran  rt-err  exit(n)  reader  verifier  FAILED");
    for family in FAMILIES {
        let of = |v: Verdict| {
            verdicts
                .iter()
                .filter(|x| x.0 == family && x.1 == v)
                .count()
        };
        let failed = failures
            .iter()
            .filter(|f| variants[f.index].family == family)
            .count();
        let n = variants.iter().filter(|v| v.family == family).count();
        println!(
            "mutation: {family:<12} {n:>8} {:>6} {:>7} {:>8} {:>7} {:>9} {failed:>7}",
            of(Verdict::Ran),
            of(Verdict::RuntimeError),
            of(Verdict::ProgramExit),
            of(Verdict::RejectedByReader),
            of(Verdict::RejectedByVerifier),
        );
    }

    if !failures.is_empty() {
        let keep = keep_dir();
        fs::create_dir_all(&keep)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", keep.display()));
        let mut report = String::new();
        for f in &failures {
            let v = &variants[f.index];
            let name = v.base.map_or("crafted", |b| bases[b].name.as_str());
            let stem = format!("{:04}-{}", f.index, name.replace(['/', ' ', '(', ')'], "_"));
            let file = keep.join(format!("{stem}.semb"));
            fs::write(&file, &v.bytes).expect("write failing variant");
            let mut args = String::new();
            for a in v.base.map_or(&[][..], |b| &bases[b].args[..]) {
                let _ = write!(args, " {a}");
            }
            let text = format!(
                "variant {}: {}\n{}\nreproduce: semarun --fuel {FUEL} {} --{args}\nstderr:\n{}",
                f.index,
                f.what,
                f.problem,
                file.display(),
                excerpt(&f.stderr, 40)
            );
            fs::write(keep.join(format!("{stem}.txt")), &text).expect("write failure report");
            if report.len() < 20_000 {
                let _ = writeln!(report, "=== FAIL {text}");
            }
        }
        panic!(
            "\n{report}\n{} failing variants written to {} (a .semb and a .txt each)\n{summary}",
            failures.len(),
            keep.display()
        );
    }
}

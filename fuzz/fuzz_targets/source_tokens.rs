//! Source programs built from tokens, through the whole compiler with its macros:
//! each input byte picks a token (brackets, special forms, macro forms, quasiquote,
//! literals, builtin names, a few variable names), so the fuzzer composes programs
//! that get past the reader and exercise expansion, lowering and code generation far
//! more often than random text does. `semac` must turn any of them into a bundle that
//! reads back and verifies, or into a diagnostic: never a panic, a hang, a stack
//! overflow or an abort.
//!
//! Macros run here as in `semac`, under small limits (the fuzzer's timeout is shorter
//! than `semac`'s defaults) and a policy that reads only an empty directory, so a
//! generated macro cannot touch the machine's files.
#![no_main]

use std::sync::Once;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use sema_compiler::macros::{self, MacroLimits};

const TOKENS: &[&str] = &[
    "(", "(", "(", ")", ")", ")", "[", "]", "{", "}", "'", "`", ",", ",@", "#(", "%", "%1",
    "define", "defmacro", "define-syntax", "syntax-rules", "lambda", "fn", "let", "let*", "letrec",
    "named-let", "loop", "if", "cond", "case", "when", "unless", "begin", "do", "set!", "quote",
    "quasiquote", "unquote", "and", "or", "not", "try", "catch", "throw", "delay", "force",
    "define-record-type", "match", "module", "export", "import", "load", "macroexpand", "gensym",
    "apply", "map", "filter", "foldl", "for-each", "list", "cons", "car", "cdr", "vector", "hash-map",
    "assoc", "get", "+", "-", "*", "/", "=", "<", "str", "println", "string-append", "length",
    "reverse", "append", "eval", "...", "_", "else", "=>", "x", "y", "f", "g", "m", "acc", "n",
    "0", "1", "2", "-1", "1.5", "1/3", "3+4i", "99999999999999999999999", "\"s\"", "#\\a", ":k",
    "#t", "#f", "nil", "()",
];

static SETUP: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    SETUP.call_once(|| {
        macros::set_limits(MacroLimits { fuel: 200_000, time: Duration::from_secs(2), memory: 256 << 20 });
        let empty = std::env::temp_dir().join(format!("sema-fuzz-empty-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&empty);
        macros::set_policy(sema_runtime::permissions::Policy::read_only_under(&empty));
    });
    let mut source = String::with_capacity(data.len() * 4);
    for &byte in data {
        source.push_str(TOKENS[byte as usize % TOKENS.len()]);
        source.push(' ');
    }
    let path = std::path::Path::new("fuzz.sema");
    let Ok(compiled) = sema_compiler::compile_file(path, &source, sema_compiler::Options::default()) else {
        return;
    };
    let bytes = bundle_format::write_bundle(&compiled.bundle);
    if bundle_format::limits::exceeded(&compiled.bundle).is_some() {
        return;
    }
    let read = bundle_format::read_bundle(&bytes).expect("semac's own bundle reads back");
    if let Err(err) = bundle_format::verify_bundle(read) {
        panic!("the verifier rejects semac's own bundle: {err}\n{source}");
    }
});

//! The standard library's parser-facing builtins must turn any text into a value or a
//! catchable error, never panic, hang or exhaust memory. The first input byte picks the
//! builtin; the rest, split at the first NUL, gives its string arguments (the text to
//! parse, and a second argument such as a pattern or a format), or is its one
//! bytevector argument (`BYTES` in the table), or is written to a temporary file whose
//! path is its one argument (`FILE`: the `pdf/*` builtins read files).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sema_runtime::builtins::{self, NativeFn};
use sema_runtime::value::Value;

/// Arity markers of the table: one bytevector argument, one file path argument.
const BYTES: usize = 0;
const FILE: usize = usize::MAX;

/// (builtin, how many string arguments it takes here, or `BYTES`/`FILE`).
const TARGETS: &[(&str, usize)] = &[
    ("json/decode", 1),
    ("toml/decode", 1),
    ("csv/parse", 1),
    ("csv/parse-maps", 1),
    ("base64/decode", 1),
    ("diff/parse", 1),
    ("diff/hunks", 1),
    ("markdown/to-html", 1),
    ("markdown/frontmatter", 1),
    ("markdown/headings", 1),
    ("html/text", 1),
    ("html/parse", 1),
    ("gzip/decompress", BYTES),
    ("string->number", 1),
    ("format/form", 1),
    ("secret/detect", 1),
    ("pii/detect", 1),
    ("regex/match?", 2),
    ("regex/find-all", 2),
    ("regex/split", 2),
    ("time/parse", 2),
    ("time/format", 2),
    ("diff/apply", 2),
    ("string/normalize", 2),
    ("html/select", 2),
    ("pdf/extract-text", FILE),
    ("pdf/extract-text-pages", FILE),
    ("pdf/page-count", FILE),
    ("pdf/metadata", FILE),
];

fuzz_target!(|data: &[u8]| {
    builtins::install_batteries();
    let Some((&selector, rest)) = data.split_first() else { return };
    let (name, arity) = TARGETS[selector as usize % TARGETS.len()];
    if arity == BYTES {
        call(name, vec![Value::bytes(rest.to_vec())]);
        return;
    }
    if arity == FILE {
        let path = std::env::temp_dir().join(format!("sema-fuzz-{}.pdf", std::process::id()));
        if std::fs::write(&path, rest).is_ok() {
            call(name, vec![Value::str(path.to_string_lossy())]);
        }
        return;
    }
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let mut parts = text.splitn(2, '\0');
    let args: Vec<Value> = (0..arity).map(|_| Value::str(parts.next().unwrap_or(""))).collect();
    // time/format takes a number of milliseconds, not text.
    let args = if name == "time/format" { vec![Value::int(text.len() as i64 * 86_400_000), args[1].clone()] } else { args };
    call(name, args);
});

fn call(name: &str, args: Vec<Value>) {
    let Some(builtin) = builtins::find(name) else { return };
    if builtin.check_arity(args.len()).is_err() {
        return;
    }
    let _ = match builtin.func {
        NativeFn::Pure(f) => f(&args),
        NativeFn::Owned(f) => f(&mut args.clone()),
        NativeFn::Vm(_) => return,
    };
}

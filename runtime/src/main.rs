//! `semarun`: loads a bundle and runs it.
//!
//! Exit status: 0 after a normal run, 1 after an uncaught error, `n` after `(exit n)`,
//! 2 when the bundle cannot be loaded (missing, foreign, corrupt, wrong version,
//! rejected by the verifier) or the command line is wrong.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sema_runtime::loader::load_file;

#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: sema_runtime::alloc::SemaAllocator = sema_runtime::alloc::SemaAllocator;

const USAGE: &str = "usage: semarun [--fuel N] [--max-seconds S] BUNDLE [--] [ARGS...]\n       semarun --info BUNDLE | --verify BUNDLE";

const HELP: &str = "Runs a bundle written by `semac`.

Arguments after the bundle reach the program through (sys/args) as
(\"semarun\" BUNDLE \"--\" ARGS...).

options:
  --fuel N         stop with an error after N calls and backward jumps
  --max-seconds S  stop with an error after S seconds of running (checked every 1024 steps)
  --info BUNDLE    describe the bundle (format version, digest, sizes, files) without running it
  --verify BUNDLE  check the bundle (header, digest, verifier) without running it
  -h, --help       print this help";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let mut rest = &argv[1..];
    let mut limits = sema_runtime::Limits::default();
    loop {
        match rest.first().map(String::as_str) {
            Some("-h" | "--help") => {
                println!("{USAGE}\n\n{HELP}");
                return ExitCode::SUCCESS;
            }
            Some(flag @ ("--info" | "--verify")) => {
                let Some(path) = rest.get(1) else {
                    eprintln!("semarun: {flag} needs a bundle path\n{USAGE}");
                    return ExitCode::from(2);
                };
                return inspect(flag == "--info", Path::new(path));
            }
            Some("--fuel") => match rest.get(1).and_then(|n| n.parse::<u64>().ok()).filter(|n| *n > 0) {
                Some(n) => {
                    limits.fuel = Some(n);
                    rest = &rest[2..];
                }
                None => {
                    eprintln!("semarun: --fuel needs a positive whole number\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            Some("--max-seconds") => match rest.get(1).and_then(|n| n.parse::<f64>().ok()).filter(|n| *n > 0.0 && n.is_finite()) {
                Some(seconds) => {
                    limits.max_seconds = Some(seconds);
                    rest = &rest[2..];
                }
                None => {
                    eprintln!("semarun: --max-seconds needs a positive number\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            Some(_) => break,
            None => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let bundle_arg = rest[0].clone();
    // §1.5: (sys/args) is argv[0], the program path, "--", then the user's arguments.
    let mut args = vec![argv[0].clone(), bundle_arg.clone(), "--".to_string()];
    let user_args = match rest.get(1) {
        Some(sep) if sep == "--" => &rest[2..],
        _ => &rest[1..],
    };
    args.extend(user_args.iter().cloned());
    let path = PathBuf::from(bundle_arg);
    sema_runtime::on_interpreter_thread(move || match load_file(&path) {
        Ok(program) => sema_runtime::run_program(program, args, limits),
        Err(err) => {
            eprintln!("semarun: {}: {err}", path.display());
            2
        }
    })
}

/// `--info` and `--verify`: read and verify the bundle without running it.
fn inspect(describe: bool, path: &Path) -> ExitCode {
    let fail = |message: String| {
        eprintln!("semarun: {}: {message}", path.display());
        ExitCode::from(2)
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => return fail(err.to_string()),
    };
    let header = match bundle_format::read::read_header(&bytes) {
        Ok(header) => header,
        Err(err) => return fail(err.to_string()),
    };
    let bundle = match bundle_format::read_bundle(&bytes) {
        Ok(bundle) => bundle,
        Err(err) => return fail(err.to_string()),
    };
    let verified = match bundle_format::verify_bundle(bundle) {
        Ok(verified) => verified,
        Err(err) => return fail(err.to_string()),
    };
    if !describe {
        println!("{}: ok (format version {}, verified)", path.display(), header.version);
        return ExitCode::SUCCESS;
    }
    let bundle = verified.bundle();
    let code_bytes: usize = bundle.protos.iter().map(|p| p.code.len()).sum();
    println!("file:           {}", path.display());
    println!("format version: {}", header.version);
    println!("digest:         {:016x} (XXH3-64 of the payload, matches)", header.digest);
    println!("size:           {} bytes ({} header + {} payload)", bytes.len(), bundle_format::header::HEADER_LEN, header.payload_len);
    println!("symbols:        {}", bundle.symbols.len());
    println!("constants:      {}", bundle.constants.len());
    println!("functions:      {} ({} bytes of code)", bundle.protos.len(), code_bytes);
    match &bundle.debug {
        Some(debug) => {
            println!("debug info:     yes");
            println!("source files:   {}", debug.files.join(", "));
        }
        None => println!("debug info:     no (compiled with --strip-debug)"),
    }
    ExitCode::SUCCESS
}

//! The `semarun` command line, shared by the full runtime (`semarun`) and the small
//! one without the battery builtins (`semarun-lite`, what `semac --exe` embeds for a
//! program that names none of them).
//!
//! Exit status: 0 after a normal run, 1 after an uncaught error, `n` after `(exit n)`,
//! 2 when the bundle cannot be loaded (missing, foreign, corrupt, wrong version,
//! rejected by the verifier) or the command line is wrong.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bundle_format::embed;

use crate::embedded::{self, Section};
use crate::loader::load_file;

const USAGE: &str = "usage: semarun [--fuel N] [--max-seconds S] BUNDLE [--] [ARGS...]\n       semarun --info FILE | --verify FILE";

const HELP: &str = "Runs a bundle written by `semac`.

Arguments after the bundle reach the program through (sys/args) as
(\"semarun\" BUNDLE \"--\" ARGS...).

options:
  --fuel N         stop with an error after N calls and backward jumps
  --max-seconds S  stop with an error after S seconds of running (checked every 1024 steps)
  --info FILE      describe a bundle or an executable built by `semac --exe` (format
                   version, digest, sizes, modules, assets, debug info) without running it
  --verify FILE    check a bundle or executable (header, digest, verifier) without running it
  -h, --help       print this help";

/// Runs the embedded program, or the command line.
pub fn main() -> ExitCode {
    if let Some(status) = crate::run_embedded_program(|| None) {
        return status;
    }
    let argv: Vec<String> = std::env::args().collect();
    let mut rest = &argv[1..];
    let mut limits = crate::Limits::default();
    loop {
        match rest.first().map(String::as_str) {
            Some("-h" | "--help") => {
                println!("{USAGE}\n\n{HELP}");
                return ExitCode::SUCCESS;
            }
            Some(flag @ ("--info" | "--verify")) => {
                let Some(path) = rest.get(1) else {
                    eprintln!("semarun: {flag} needs a file\n{USAGE}");
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
    crate::on_interpreter_thread(move || match load_file(&path) {
        Ok(program) => crate::run_program(program, args, limits),
        Err(err) => {
            eprintln!("semarun: {}: {err}", path.display());
            2
        }
    })
}

/// `--info` and `--verify`: read and verify a bundle, or the program embedded in an
/// executable, without running it.
fn inspect(describe: bool, path: &Path) -> ExitCode {
    let fail = |message: String| {
        eprintln!("semarun: {}: {message}", path.display());
        ExitCode::from(2)
    };
    let (file_bytes, embedded) = match read_inspected(path) {
        Ok(found) => found,
        Err(message) => return fail(message),
    };
    let (bundle_bytes, assets) = match &embedded {
        Some(section) => match embed::read_payload(section) {
            Ok(payload) => (payload.bundle, payload.assets),
            Err(err) => return fail(err.to_string()),
        },
        None => (&file_bytes[..], Vec::new()),
    };
    let header = match bundle_format::read::read_header(bundle_bytes) {
        Ok(header) => header,
        Err(err) => return fail(err.to_string()),
    };
    let verified = match bundle_format::read_bundle(bundle_bytes).map_err(|e| e.to_string()).and_then(|b| {
        bundle_format::verify_bundle(b).map_err(|e| e.to_string())
    }) {
        Ok(verified) => verified,
        Err(message) => return fail(message),
    };
    if !describe {
        let what = if embedded.is_some() { "embedded program" } else { "bundle" };
        println!("{}: ok ({what}, format version {}, verified)", path.display(), header.version);
        return ExitCode::SUCCESS;
    }
    let bundle = verified.bundle();
    let code_bytes: usize = bundle.protos.iter().map(|p| p.code.len()).sum();
    println!("file:           {}", path.display());
    match &embedded {
        Some(section) => println!(
            "kind:           executable ({} bytes: runtime and a {} byte payload)",
            std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            section.len()
        ),
        None => println!("kind:           bundle"),
    }
    println!("format version: {}", header.version);
    println!("digest:         {:016x} (XXH3-64 of the payload, matches)", header.digest);
    println!("bundle size:    {} bytes ({} header + {} payload)", bundle_bytes.len(), bundle_format::header::HEADER_LEN, header.payload_len);
    println!("symbols:        {}", bundle.symbols.len());
    println!("constants:      {}", bundle.constants.len());
    println!("functions:      {} ({} bytes of code)", bundle.protos.len(), code_bytes);
    match &bundle.debug {
        Some(debug) => {
            println!("debug info:     yes");
            println!("modules:        {}", debug.files.join(", "));
        }
        None => {
            println!("debug info:     no (compiled with --strip-debug)");
            println!("modules:        not recorded without debug info");
        }
    }
    if embedded.is_some() {
        let total: usize = assets.iter().map(|a| a.bytes.len()).sum();
        println!("assets:         {} ({total} bytes)", assets.len());
        for asset in &assets {
            println!("  {} ({} bytes)", asset.path, asset.bytes.len());
        }
    }
    ExitCode::SUCCESS
}

/// The file's bytes when it is a bundle, or its payload section when it is an
/// executable built by `semac --exe`.
fn read_inspected(path: &Path) -> Result<(Vec<u8>, Option<Vec<u8>>), String> {
    match embedded::read_section(path, embed::PAYLOAD_SECTION)? {
        Section::Found(section) => Ok((Vec::new(), Some(section))),
        Section::Absent => Err("an executable without an embedded Sema program".to_string()),
        Section::NotElf => Ok((std::fs::read(path).map_err(|e| e.to_string())?, None)),
    }
}

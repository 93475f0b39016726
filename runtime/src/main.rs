//! `semarun`: loads a bundle and runs it.
//!
//! Exit status: 0 after a normal run, 1 after an uncaught error, `n` after `(exit n)`,
//! 2 when the bundle cannot be loaded (missing, foreign, corrupt, wrong version,
//! rejected by the verifier) or the command line is wrong.

use std::path::PathBuf;
use std::process::ExitCode;

use sema_runtime::loader::load_file;

#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: sema_runtime::alloc::SemaAllocator = sema_runtime::alloc::SemaAllocator;

const USAGE: &str = "usage: semarun [--fuel N] BUNDLE [--] [ARGS...]";

const HELP: &str = "Runs a bundle written by `semac`.

Arguments after the bundle reach the program through (sys/args) as
(\"semarun\" BUNDLE \"--\" ARGS...).

options:
  --fuel N     stop with an error after N calls and backward jumps
  -h, --help   print this help";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let mut rest = &argv[1..];
    let mut fuel = None;
    loop {
        match rest.first().map(String::as_str) {
            Some("-h" | "--help") => {
                println!("{USAGE}\n\n{HELP}");
                return ExitCode::SUCCESS;
            }
            Some("--fuel") => match rest.get(1).and_then(|n| n.parse::<u64>().ok()).filter(|n| *n > 0) {
                Some(n) => {
                    fuel = Some(n);
                    rest = &rest[2..];
                }
                None => {
                    eprintln!("semarun: --fuel needs a positive whole number\n{USAGE}");
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
        Ok(program) => sema_runtime::run_program(program, args, fuel),
        Err(err) => {
            eprintln!("semarun: {}: {err}", path.display());
            2
        }
    })
}

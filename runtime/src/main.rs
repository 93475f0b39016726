//! `semarun`: loads a bundle and runs it.
//!
//! Exit status: 0 after a normal run, 1 after an uncaught error, `n` after `(exit n)`,
//! 2 when the bundle cannot be loaded (missing, foreign, corrupt, wrong version) or
//! the command line is wrong.

use std::path::PathBuf;
use std::process::ExitCode;

use sema_runtime::loader::load_file;


const USAGE: &str = "usage: semarun BUNDLE [--] [ARGS...]";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let Some(bundle_arg) = argv.get(1) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if bundle_arg == "--help" || bundle_arg == "-h" {
        println!("{USAGE}\n\nRuns a bundle written by `semac`. Arguments after the bundle reach the program\nthrough (sys/args) as (\"semarun\" BUNDLE \"--\" ARGS...).");
        return ExitCode::SUCCESS;
    }
    // §1.5: (sys/args) is argv[0], the program path, "--", then the user's arguments.
    let mut args = vec![argv[0].clone(), bundle_arg.clone(), "--".to_string()];
    let user_args = match argv.get(2) {
        Some(sep) if sep == "--" => &argv[3..],
        _ => &argv[2..],
    };
    args.extend(user_args.iter().cloned());
    let path = PathBuf::from(bundle_arg);
    sema_runtime::on_interpreter_thread(move || match load_file(&path) {
        Ok(program) => sema_runtime::run_program(program, args),
        Err(err) => {
            eprintln!("semarun: {}: {err}", path.display());
            2
        }
    })
}

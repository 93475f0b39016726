//! The Sema runtime: values, the interner, the VM, the builtins and the bundle
//! loader. It never depends on the compiler.

// Values are map keys. The ones with interior mutability (mutable arrays, cells,
// promises) hash and compare by identity, so mutating them never moves a key.
#![allow(clippy::mutable_key_type)]

#[cfg(unix)]
pub mod alloc;
pub mod builtins;
pub mod compare;
pub mod error;
pub mod interner;
pub mod list;
pub mod loader;
pub mod num;
pub mod number_syntax;
pub mod printer;
pub mod program;
pub mod value;
pub mod vm;

use std::process::ExitCode;

use error::Error;

/// Runs `body` on a thread with a large stack (builtins that call back into Sema
/// nest on it; the interner and output buffer are that thread's) and returns its
/// exit status.
pub fn on_interpreter_thread(body: impl FnOnce() -> u8 + Send + 'static) -> ExitCode {
    let worker = std::thread::Builder::new().stack_size(1 << 30).spawn(body);
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        _ => {
            eprintln!("semarun: internal error: the interpreter thread failed");
            ExitCode::from(70)
        }
    }
}

/// Runs a linked program to completion; returns the process exit status, having
/// reported an uncaught error on stderr (LANGUAGE.md §11.6).
pub fn run_program(program: program::Program, args: Vec<String>, limits: Limits) -> u8 {
    run_program_with(program, args, limits, None)
}

/// Budgets for running untrusted code (`semarun --fuel`, `--max-seconds`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    pub fuel: Option<u64>,
    pub max_seconds: Option<f64>,
}

/// `run_program`, with a compiler for `eval` and `read` when one is given.
pub fn run_program_with(
    program: program::Program,
    args: Vec<String>,
    limits: Limits,
    evaluator: Option<Box<dyn vm::Evaluator>>,
) -> u8 {
    let mut vm = vm::Vm::new(program, args);
    if let Some(steps) = limits.fuel {
        vm.set_fuel(steps);
    }
    if let Some(seconds) = limits.max_seconds {
        vm.set_deadline(std::time::Instant::now() + std::time::Duration::from_secs_f64(seconds));
    }
    if let Some(evaluator) = evaluator {
        vm.set_evaluator(evaluator);
    }
    let result = vm.run_program();
    builtins::io::flush_stdout();
    match result {
        Ok(_) => 0,
        Err(err) => {
            report_error(&err);
            1
        }
    }
}

/// Prints an uncaught error: the §11.6 first line, then the source location.
pub fn report_error(err: &Error) {
    eprintln!("Error: {}", err.report());
    if let Some(frame) = err.trace().first() {
        if let Some(file) = &frame.file {
            eprintln!("  --> {file}:{}:{}", frame.line, frame.col);
        }
    }
}

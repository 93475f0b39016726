//! `semarun`: loads a bundle and runs it, with every builtin (see `cli`).

use std::process::ExitCode;

#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: sema_runtime::alloc::SemaAllocator = sema_runtime::alloc::SemaAllocator;

fn main() -> ExitCode {
    sema_runtime::builtins::pdf::serve_worker_if_asked();
    sema_runtime::builtins::install_batteries();
    sema_runtime::cli::main()
}

//! `semarun-lite`: `semarun` without the battery builtins (data formats, regular
//! expressions, hashing, dates ...), so it links none of their crates. `semac --exe`
//! embeds it for a program that names none of them (docs/executables.md).

use std::process::ExitCode;

#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: sema_runtime::alloc::SemaAllocator = sema_runtime::alloc::SemaAllocator;

fn main() -> ExitCode {
    sema_runtime::cli::main()
}

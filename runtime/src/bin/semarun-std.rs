//! `semarun-std`: `semarun` with the standard battery builtins (data formats, regular
//! expressions, hashing, dates ...) but not the large ones (SQLite, archives, Markdown
//! and HTML, PDF). `semac --exe` embeds it for a program that needs nothing more
//! (docs/executables.md).

use std::process::ExitCode;

#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: sema_runtime::alloc::SemaAllocator = sema_runtime::alloc::SemaAllocator;

fn main() -> ExitCode {
    sema_runtime::builtins::install_standard_batteries();
    sema_runtime::cli::main()
}

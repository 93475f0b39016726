//! Any bytes through the loader (reader, verifier, linker) and, when they load, the VM
//! with a small fuel: an error or a result, never a panic, crash or hang.
//!
//! An input of at least 32 bytes gets its header's length and digest recomputed (the
//! magic, version and flags stay as the fuzzer made them), so mutations reach the
//! section decoder, the verifier and the VM instead of stopping at the digest check;
//! the length and digest checks themselves are covered by tests/tests/mutation.rs and
//! tests/tests/bundle_errors.rs.
//!
//! Programs that could leave the process, touch the world or wait a long time (`exit`,
//! stdin, files, processes, `shell`, the environment, signals, `sleep`...) are loaded
//! and verified but not run. Those that do run get the permission policy of
//! compile-time code, reading only under an empty directory, so a builtin the names
//! below miss (`stream/open-output` wrote files into the working directory) is
//! refused rather than run. The program runs on a thread with
//! a large stack, as under `semarun` (builtins that call back into Sema nest on it,
//! and the interner is per thread).
#![no_main]

use bundle_format::header::{digest, HEADER_LEN};
use libfuzzer_sys::fuzz_target;

/// Calls and backward jumps a run may make.
const FUEL: u64 = 20_000;

/// Builtins a fuzzed program must not run, by name and by module prefix.
const WORLDLY: &[&str] =
    &["exit", "read-line", "read-stdin", "shell", "sleep", "retry", "sys/set-env", "sys/on-signal"];
const WORLDLY_MODULES: &[&str] = &["file/", "io/", "proc/", "pty/", "fs/", "git/", "term/"];

fn has_side_effects(bytes: &[u8]) -> bool {
    match bundle_format::read_bundle(bytes) {
        Ok(bundle) => bundle
            .symbols
            .iter()
            .any(|s| WORLDLY.contains(&s.as_str()) || WORLDLY_MODULES.iter().any(|m| s.starts_with(m))),
        Err(_) => false,
    }
}

/// An empty directory, the only place a fuzzed program may read.
fn empty_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join("sema-fuzz-empty");
    std::fs::create_dir_all(&dir).expect("create the fuzz target's empty directory");
    dir
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = data.to_vec();
    if bytes.len() >= HEADER_LEN {
        let len = (bytes.len() - HEADER_LEN) as u64;
        let sum = digest(&bytes[HEADER_LEN..]);
        bytes[16..24].copy_from_slice(&len.to_le_bytes());
        bytes[24..32].copy_from_slice(&sum.to_le_bytes());
    }
    let runnable = !has_side_effects(&bytes);
    let worker = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let Ok(program) = sema_runtime::loader::load_bytes(&bytes) else {
                return;
            };
            if runnable {
                let mut vm = sema_runtime::vm::Vm::new(
                    program,
                    vec!["semarun".into(), "fuzz.semb".into(), "--".into()],
                );
                vm.restrict(sema_runtime::permissions::Policy::read_only_under(&empty_dir()));
                vm.set_fuel(FUEL);
                let _ = vm.run_program();
                sema_runtime::builtins::io::flush_stdout();
            }
        });
    // A panic on the worker aborts the process through libfuzzer-sys's panic hook.
    worker
        .expect("spawn the interpreter thread")
        .join()
        .expect("the interpreter thread panicked");
});

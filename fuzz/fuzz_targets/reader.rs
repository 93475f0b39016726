//! The source reader must turn any text into forms or a `ReadError`, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        let _ = sema_compiler::reader::read_program(source);
    }
});

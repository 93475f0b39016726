//! The whole compiler (reader, expander, lowering, folding, codegen, peephole,
//! assembler) must turn any text into a bundle or a `Diagnostic`, never panic; and a
//! bundle it writes must pass the verifier and read back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(bundle) = sema_compiler::compile(source, "fuzz.sema", sema_compiler::Options::default())
    else {
        return;
    };
    let bytes = bundle_format::write_bundle(&bundle);
    let read = bundle_format::read_bundle(&bytes).expect("semac's own bundle reads back");
    // Compared as bytes: a NaN constant is not equal to itself.
    assert!(
        bundle_format::write_bundle(&read) == bytes,
        "the bundle changed through write/read"
    );
    if let Err(err) = bundle_format::verify_bundle(read) {
        panic!("the verifier rejects semac's own bundle: {err}");
    }
});

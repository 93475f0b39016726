//! Golden IR and disassembly: each `golden/NAME.sema` shows one folding or code generation
//! rule (or one code shape such as a tail call); `NAME.ir` and `NAME.asm` hold what
//! `semac --emit=ir` / `--emit=asm` print for it. Run with `SEMA_BLESS=1` to rewrite
//! the expected files after an intended change, then review the diff.

use std::path::Path;

use sema_compiler::{compile, front_end, ir_print, Options};

fn check(expected_path: &Path, actual: &str, failures: &mut Vec<String>) {
    if std::env::var_os("SEMA_BLESS").is_some() {
        std::fs::write(expected_path, actual).expect("write golden file");
        return;
    }
    match std::fs::read_to_string(expected_path) {
        Ok(expected) if expected == actual => {}
        Ok(expected) => failures.push(format!(
            "{} differs.\n--- expected\n{expected}\n--- actual\n{actual}",
            expected_path.display()
        )),
        Err(_) => failures.push(format!("{} is missing (run with SEMA_BLESS=1)", expected_path.display())),
    }
}

#[test]
fn ir_and_disassembly_match_the_golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut sources: Vec<_> = std::fs::read_dir(&dir)
        .expect("golden dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sema"))
        .collect();
    sources.sort();
    assert!(!sources.is_empty(), "no golden programs found");
    let mut failures = Vec::new();
    for source_path in &sources {
        let source = std::fs::read_to_string(source_path).expect("read source");
        let name = source_path.file_name().unwrap().to_string_lossy().into_owned();
        let ir = front_end(&source, &name).map(|p| ir_print::print_program(&p)).unwrap_or_else(|d| d.to_string());
        check(&source_path.with_extension("ir"), &ir, &mut failures);
        let asm = compile(&source, &name, Options { debug_info: false })
            .map(|b| bundle_format::disasm::disassemble(&b))
            .unwrap_or_else(|d| d.to_string());
        check(&source_path.with_extension("asm"), &asm, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

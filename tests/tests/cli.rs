//! The `semac` command line: what `--emit` prints and how compile errors are reported.

use std::fs;
use std::process::Command;
use std::time::Duration;

use sema_e2e::{run_with_timeout, tool, Outcome, TempDir};

fn semac(dir: &std::path::Path, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(tool("semac"));
    cmd.current_dir(dir).args(args);
    run_with_timeout(cmd, Duration::from_secs(60)).unwrap()
}

fn stdout(out: &Outcome) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn emit_ir_and_asm_print_the_program_after_passes() {
    let dir = TempDir::new("cli-emit");
    fs::write(dir.path().join("app.sema"), "(define (inc i) (+ i 1))\n(println (* 6 7) (inc 1))\n").unwrap();
    let ir = semac(dir.path(), &["app.sema", "--emit", "ir"]);
    assert!(ir.success(), "{}", ir.stderr_text());
    // (* 6 7) is folded before the IR is printed.
    assert!(stdout(&ir).contains("(const 42)"), "{}", stdout(&ir));
    assert!(stdout(&ir).contains("fn1 inc (i#0)"), "{}", stdout(&ir));
    let asm = semac(dir.path(), &["app.sema", "--emit=asm"]);
    assert!(asm.success());
    let text = stdout(&asm);
    assert!(text.contains("function f1 inc: arity 1"), "{text}");
    assert!(text.contains("AddInt r1 r0 1"), "{text}");
    assert!(text.contains("LoadInt r1 42"), "{text}");
    assert!(!dir.path().join("app.semb").exists(), "--emit ir/asm must not write a bundle");
}

#[test]
fn what_a_macro_prints_while_compiling_reaches_stdout() {
    // stdout is a pipe here, so the output is buffered until semac flushes it.
    let dir = TempDir::new("cli-macro-output");
    fs::write(dir.path().join("app.sema"), "(defmacro noisy () (println \"expanding noisy\") 1)\n(println (noisy))\n").unwrap();
    let out = semac(dir.path(), &["app.sema", "-o", "app.semb"]);
    assert!(out.success(), "{}", out.stderr_text());
    assert_eq!(stdout(&out), "expanding noisy\n");
}

#[test]
fn compile_errors_name_file_line_and_column_and_write_nothing() {
    let dir = TempDir::new("cli-errors");
    fs::write(dir.path().join("app.sema"), "(println 1)\n(println \"oops)\n").unwrap();
    let out = semac(dir.path(), &["app.sema", "-o", "app.semb"]);
    assert_eq!(out.code(), Some(1));
    assert_eq!(out.stderr_text().trim_end(), "app.sema:2:10: unterminated string");
    assert!(!dir.path().join("app.semb").exists());

    fs::write(dir.path().join("shape.sema"), "(println 1)\n  (if)\n").unwrap();
    let out = semac(dir.path(), &["shape.sema", "-o", "shape.semb"]);
    assert_eq!(out.code(), Some(1));
    assert_eq!(out.stderr_text().trim_end(), "shape.sema:2:3: if expects 2 or 3 args");
}

#[test]
fn a_missing_source_is_a_usage_error() {
    let dir = TempDir::new("cli-missing");
    let out = semac(dir.path(), &["nope.sema"]);
    assert_eq!(out.code(), Some(2));
    assert!(out.stderr_text().starts_with("semac: cannot read nope.sema:"), "{}", out.stderr_text());
}

#[test]
fn the_output_never_overwrites_the_source() {
    let dir = TempDir::new("cli-overwrite");
    let program = "(println \"hi\")\n";
    for (source, args) in [("app", vec!["app", "--exe"]), ("prog.semb", vec!["prog.semb"]), ("x.sema", vec!["x.sema", "-o", "./x.sema"])] {
        fs::write(dir.path().join(source), program).unwrap();
        let out = semac(dir.path(), &args);
        assert_eq!(out.code(), Some(2), "{args:?}");
        assert!(out.stderr_text().contains("would overwrite the source file; name another with -o"), "{}", out.stderr_text());
        assert_eq!(fs::read_to_string(dir.path().join(source)).unwrap(), program, "{args:?} changed the source");
    }
}

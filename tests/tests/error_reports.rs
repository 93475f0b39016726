//! The report of an uncaught error: LANGUAGE.md §11.6's first line, where it was
//! raised and by which builtin, the source line when it can be found, and the call
//! stack with recursion folded (docs/decisions.md, "Uncaught errors").

use std::fs;
use std::time::Duration;

use sema_e2e::{compile_bundle, run_tool, write_file, TempDir};

const PROGRAM: &str = "(define (f x)\n  (car x))\n(define (g n)\n  (if (= n 0) (f 5) (+ 1 (g (- n 1)))))\n(println (g 50))\n";

const REPORT: &str = "Error: Type error: expected list or vector, got int\n\
                      \x20 --> app.sema:2:3\n\
                      \x20  |\n\
                      \x202 |   (car x))\n\
                      \x20  |   ^^^^^^^ car: expected list or vector, got 5\n\
                      call stack, innermost first:\n\
                      \x20 at f (app.sema:2:3)\n\
                      \x20 at g (app.sema:4:26)\n\
                      \x20 ... the frame above 49 more times\n\
                      \x20 at <lambda> (app.sema:5:10)\n";

fn compiled(tag: &str, source: &str, extra: &[&str]) -> TempDir {
    let dir = TempDir::new(tag);
    write_file(dir.path(), "app.sema", source);
    compile_bundle(&dir.path().join("app.sema"), &dir.path().join("app.semb"), extra, Duration::from_secs(60)).unwrap();
    dir
}

#[test]
fn a_runtime_error_shows_the_line_the_builtin_and_the_folded_stack() {
    let dir = compiled("report-full", PROGRAM, &[]);
    let out = run_tool("semarun", dir.path(), &["app.semb"]);
    assert_eq!(out.code(), Some(1));
    assert_eq!(out.stderr_text(), REPORT);
    // semac --run reports the same.
    let out = run_tool("semac", dir.path(), &["--run", "app.sema"]);
    assert_eq!(out.code(), Some(1));
    assert_eq!(out.stderr_text(), REPORT);
}

#[test]
fn without_the_source_or_debug_info_the_report_says_less_but_names_the_builtin() {
    let dir = compiled("report-no-source", PROGRAM, &[]);
    fs::remove_file(dir.path().join("app.sema")).unwrap();
    let out = run_tool("semarun", dir.path(), &["app.semb"]);
    let stderr = out.stderr_text();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines[..3], ["Error: Type error: expected list or vector, got int", "  --> app.sema:2:3", "   = car: expected list or vector, got 5"]);
    assert_eq!(lines[3], "call stack, innermost first:");

    let dir = compiled("report-stripped", PROGRAM, &["--strip-debug"]);
    let out = run_tool("semarun", dir.path(), &["app.semb"]);
    let stderr = out.stderr_text();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines[..4], ["Error: Type error: expected list or vector, got int", "   = car: expected list or vector, got 5", "call stack, innermost first:", "  at f"]);
}

#[test]
fn the_shown_source_line_cannot_carry_terminal_escapes() {
    let dir = compiled("report-escapes", "(println (car \"\x1b[2J\x1b[31mred\"))\n", &[]);
    let out = run_tool("semarun", dir.path(), &["app.semb"]);
    assert_eq!(out.code(), Some(1));
    let stderr = out.stderr_text();
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
    assert!(stderr.contains(" 1 | (println (car \"?[2J?[31mred\"))\n"), "{stderr}");
}

#[test]
fn the_stack_goes_on_through_a_builtin_s_callback() {
    let source = "(define (f x)\n  (car x))\n(define (main)\n  (map f '(1)))\n(main)\n(println \"unreached\")\n";
    let dir = compiled("report-callback", source, &[]);
    let out = run_tool("semarun", dir.path(), &["app.semb"]);
    let stderr = out.stderr_text();
    let stack: Vec<&str> = stderr.lines().skip_while(|l| !l.starts_with("call stack")).skip(1).collect();
    assert_eq!(stack, ["  at f (app.sema:2:3)", "  at main (app.sema:4:3)", "  at <lambda> (app.sema:5:1)"], "{stderr}");
}

#[test]
fn a_restricted_run_reads_no_source_and_names_from_debug_info_are_not_trusted() {
    // Under a sandbox the report opens no file the bundle names.
    let dir = compiled("report-sandboxed", PROGRAM, &[]);
    let out = run_tool("semarun", dir.path(), &["--sandbox=strict", "app.semb"]);
    let stderr = out.stderr_text();
    assert!(stderr.contains("   = car: expected list or vector, got 5") && !stderr.contains(" 2 |"), "{stderr}");
}

#[test]
fn the_caret_names_the_builtin_and_the_value_it_refused_in_brief() {
    let cases = [
        // Not a type error: the builtin only.
        ("(println (/ 1 0))\n".to_string(), "   |          ^^^^^^^ raised by /".to_string()),
        // Long values are described, not printed.
        (format!("(println (car \"{}\"))\n", "x".repeat(100)), format!("   |          {} car: expected list or vector, got \"{}...\" (100 characters)", "^".repeat(108), "x".repeat(24))),
        ("(println (string-length (range 1000)))\n".to_string(), "   |          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^ string-length: expected string, got a list of 1000 items".to_string()),
        ("(println (string-upcase [1 (list 2 3) \"x\"]))\n".to_string(), "   |          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ string-upcase: expected string, got [1 (2 3) \"x\"]".to_string()),
        // The builtin that refused it, not the one that called it.
        ("(println (map car '(1)))\n".to_string(), "   |          ^^^^^^^^^^^^^^ car: expected list or vector, got 1".to_string()),
        ("(println (nth [1 2] :k))\n".to_string(), "   |          ^^^^^^^^^^^^^^ nth: expected int, got :k".to_string()),
    ];
    for (source, caret_line) in cases {
        let dir = compiled("report-values", &source, &[]);
        let out = run_tool("semarun", dir.path(), &["app.semb"]);
        assert_eq!(out.code(), Some(1));
        let stderr = out.stderr_text();
        assert!(stderr.lines().any(|line| line == caret_line), "{source}\n{stderr}");
    }
}

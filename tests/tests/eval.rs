//! `eval` and `read` at run time: `semac --run` brings a compiler; a plain `semarun`
//! has none and says so (README: "eval and read").

use std::fs;
use std::process::Command;
use std::time::Duration;

use sema_e2e::{run_with_timeout, tool, TempDir};

const PROGRAM: &str = r#"(println (eval '(+ 1 2)) (eval (read "(* 2 3)")))
(eval '(define from-eval 42))
(println from-eval)
(define (double x) (* 2 x))
(println (eval '(double 21)))
(println (read "") (read "(a \"b\" [1 2])"))
(println (try (read "(1 2") (catch e (list (get e :type) (get e :message)))))
(eval '(defmacro twice (e) `(begin ,e ,e)))
(eval '(twice (display "x")))
(newline)
(println (cdr (cdr (sys/args))))
(println (read-many "(a b) 1 \"s\""))
"#;

#[test]
fn semac_run_gives_programs_eval_and_read() {
    let dir = TempDir::new("eval-run");
    fs::write(dir.path().join("prog.sema"), PROGRAM).unwrap();
    let mut cmd = Command::new(tool("semac"));
    cmd.current_dir(dir.path()).args(["--run", "prog.sema", "--", "a", "b"]);
    let out = run_with_timeout(cmd, Duration::from_secs(60)).unwrap();
    assert!(out.success(), "{}", out.stderr_text());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "3 6\n42\n42\nnil (a \"b\" [1 2])\n(:reader \"unterminated list at 1:1\")\nxx\n(\"--\" \"a\" \"b\")\n((a b) 1 \"s\")\n"
    );
}

#[test]
fn semarun_without_a_compiler_names_the_option() {
    let dir = TempDir::new("eval-bundle");
    fs::write(dir.path().join("prog.sema"), "(println \"before\")\n(eval '(+ 1 2))\n").unwrap();
    let mut compile = Command::new(tool("semac"));
    compile.current_dir(dir.path()).args(["prog.sema", "-o", "prog.semb"]);
    assert!(run_with_timeout(compile, Duration::from_secs(60)).unwrap().success());
    let mut run = Command::new(tool("semarun"));
    run.current_dir(dir.path()).arg("prog.semb");
    let out = run_with_timeout(run, Duration::from_secs(60)).unwrap();
    assert_eq!(out.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "before\n");
    assert_eq!(
        out.stderr_text().lines().next(),
        Some("Error: Eval error: eval needs the compiler, which semarun leaves out to stay small; run the program with `semac --run FILE`, or build it with `semac --exe --with-compiler`")
    );
}

#[test]
fn semac_run_evaluates_and_expands_with_the_programs_macros() {
    let dir = TempDir::new("eval-macros");
    let program = r#"(defmacro twice (e) `(begin ,e ,e))
(define-syntax my-inc (syntax-rules () ((_ x) (+ x 1))))
(define form (list 'my-inc 41))
(println (macroexpand form) (eval form))
(println (macroexpand (list 'twice (list 'f))))
(eval '(twice (display "x")))
(newline)
(println (macroexpand (list '-> 'x 'f)) (macroexpand (list 'if 1 2)))
"#;
    fs::write(dir.path().join("prog.sema"), program).unwrap();
    let mut cmd = Command::new(tool("semac"));
    cmd.current_dir(dir.path()).args(["--run", "prog.sema"]);
    let out = run_with_timeout(cmd, Duration::from_secs(60)).unwrap();
    assert!(out.success(), "{}", out.stderr_text());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "(+ 41 1) 42\n(begin (f) (f))\nxx\n(f x) (if 1 2)\n");
}

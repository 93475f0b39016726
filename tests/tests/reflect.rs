//! `read/string`, `read/all`, `sema/check-string` and `sema/check-file` under
//! `semac --run` (they need the compiler, like `eval`). The expected output is the
//! reference implementation's for the same program.

use std::fs;
use std::process::Command;
use std::time::Duration;

use sema_e2e::{run_with_timeout, tool, TempDir};

const PROGRAM: &str = r##"(define (msg thunk) (try (println (thunk)) (catch e (println (:type e) (:message e)))))
(msg (fn () (read/string "(+ 1 2) (foo)")))
(msg (fn () (read/string "")))
(msg (fn () (read/string "  ; just a comment")))
(msg (fn () (read/string "(+ 1")))
(msg (fn () (read/string ")")))
(msg (fn () (read/string 5)))
(msg (fn () (read/string "[1 {:a \"x\"} #t nil 'q `(a ,b) 1.5 #\\a]")))
(msg (fn () (read/all "(+ 1 2) (foo) bar")))
(msg (fn () (read/all "")))
(msg (fn () (read/all "(a) (b")))
(msg (fn () (read/all 'x)))
(msg (fn () (sema/check-string "(+ 1 2) (define (f x) (* x x)) (f 3)")))
(msg (fn () (sema/check-string "(+ 1 2")))
(msg (fn () (sema/check-string "\n  (foo))")))
(msg (fn () (sema/check-string "  [1 2")))
(msg (fn () (sema/check-string "{:a}")))
(msg (fn () (sema/check-string "#\\foobar")))
(msg (fn () (sema/check-string "(if)")))
(msg (fn () (sema/check-string "(let ((x 1)))")))
(msg (fn () (sema/check-string "(undefined-fn 1)")))
(msg (fn () (sema/check-string "")))
(msg (fn () (sema/check-string 5)))
(file/write "good.sema" "(define x 1)\n(println x)\n")
(file/write "bad.sema" "(define x 1\n")
(msg (fn () (sema/check-file "good.sema")))
(msg (fn () (sema/check-file "bad.sema")))
(msg (fn () (sema/check-file "no/such.sema")))
(msg (fn () (sema/check-file 5)))
"##;

const EXPECTED: &str = r##"(+ 1 2)
nil
nil
:reader unterminated list at 1:1
:reader unexpected closing `)` at 1:1
:type-error expected string, got int
[1 {:a "x"} #t nil (quote q) (quasiquote (a (unquote b))) 1.5 #\a]
((+ 1 2) (foo) bar)
()
:reader unterminated list at 1:5
:type-error expected string, got symbol
{:diagnostics () :ok #t}
{:diagnostics ({:code "syntax" :level :error :message "Reader error at 1:1: unterminated list" :span {:col 1 :end-col 2 :end-line 1 :line 1}}) :ok #f}
{:diagnostics ({:code "syntax" :level :error :message "Reader error at 2:8: unexpected closing `)`" :span {:col 8 :end-col 9 :end-line 2 :line 2}}) :ok #f}
{:diagnostics ({:code "syntax" :level :error :message "Reader error at 1:3: unterminated vector" :span {:col 3 :end-col 4 :end-line 1 :line 1}}) :ok #f}
{:diagnostics ({:code "syntax" :level :error :message "Reader error at 1:4: map literal must have even number of forms" :span {:col 4 :end-col 5 :end-line 1 :line 1}}) :ok #f}
{:diagnostics ({:code "syntax" :level :error :message "Reader error at 1:1: unknown character name: foobar" :span {:col 1 :end-col 1 :end-line 1 :line 1}}) :ok #f}
{:diagnostics ({:code "arity" :level :error :message "Arity error: if expects 2 or 3 args, got 0"}) :ok #f}
{:diagnostics ({:code "arity" :level :error :message "Arity error: let expects 2+ args, got 1"}) :ok #f}
{:diagnostics () :ok #t}
{:diagnostics () :ok #t}
:type-error expected string, got int
{:diagnostics () :ok #t}
{:diagnostics ({:code "syntax" :level :error :message "Reader error at 1:1: unterminated list" :span {:col 1 :end-col 2 :end-line 1 :line 1}}) :ok #f}
{:diagnostics ({:code "io" :level :error :message "no/such.sema: No such file or directory (os error 2)"}) :ok #f}
:type-error expected string, got int
"##;

#[test]
fn semac_run_reads_and_checks_source() {
    let dir = TempDir::new("reflect-run");
    fs::write(dir.path().join("prog.sema"), PROGRAM).unwrap();
    let mut cmd = Command::new(tool("semac"));
    cmd.current_dir(dir.path()).args(["--run", "prog.sema"]);
    let out = run_with_timeout(cmd, Duration::from_secs(60)).unwrap();
    assert!(out.success(), "{}", out.stderr_text());
    assert_eq!(String::from_utf8_lossy(&out.stdout), EXPECTED);
}

//! Multi-file programs: `import`/`load`/`module` are traced by semac at compile time
//! and every file is compiled into the one bundle (LANGUAGE.md §10).

use std::fs;
use std::path::Path;

use sema_e2e::write_file as write;
use sema_e2e::{diagnostics, first_diagnostic, run_tool, Outcome, TempDir};

fn semac(dir: &Path, args: &[&str]) -> Outcome {
    run_tool("semac", dir, args)
}

fn semarun(dir: &Path, bundle: &str) -> Outcome {
    run_tool("semarun", dir, &[bundle])
}

fn stdout(outcome: &Outcome) -> String {
    outcome.stdout_text()
}

#[test]
fn a_program_with_imports_loads_and_macros_runs_from_one_bundle_without_its_sources() {
    let project = TempDir::new("modules-src");
    let dir = project.path();
    write(dir, "app/main.sema", r#"
(import "lib/math.sema")
(import "lib/text.sema" shout)
(load "lib/plain.sema")
(defmacro unless2 (c . body) `(if ,c nil (begin ,@body)))
(println (square 7) (cube 2))
(println (shout "hi"))
(println (try (hidden 1) (catch e (get e :message))))
(println (try (whisper "x") (catch e (get e :message))))
(println plain-value (plus-one 3))
(import "lib/math.sema")
(unless2 #f (println "macro ok"))
"#);
    write(dir, "app/lib/math.sema", r#"
(module math (export square cube)
  (define (hidden x) (* x 100))
  (define (square x) (* x x))
  (define (cube x) (* x (square x)))
  (println "math runs once"))
"#);
    write(dir, "app/lib/text.sema", r#"
(module text (export shout whisper)
  (import "../lib/helpers.sema")
  (define (shout s) (bang s))
  (define (whisper s) s))
"#);
    write(dir, "app/lib/helpers.sema", r#"(define (bang s) (string-append s "!"))"#);
    write(dir, "app/lib/plain.sema", "(define plain-value 42)\n(define (plus-one x) (+ x 1))\n");
    let compiled = semac(&dir.join("app"), &["main.sema", "-o", "main.semb"]);
    assert!(compiled.success(), "semac failed: {}", compiled.stderr_text());

    // Run from another directory with every source deleted.
    let elsewhere = TempDir::new("modules-run");
    fs::copy(dir.join("app/main.semb"), elsewhere.path().join("main.semb")).unwrap();
    fs::remove_dir_all(dir.join("app")).unwrap();
    let run = semarun(elsewhere.path(), "main.semb");
    assert!(run.success(), "semarun failed: {}", run.stderr_text());
    assert_eq!(
        stdout(&run),
        "math runs once\n49 8\nhi!\nUnbound variable: hidden\nUnbound variable: whisper\n42 4\nmacro ok\n"
    );
}

#[test]
fn errors_inside_an_imported_file_name_that_file() {
    let project = TempDir::new("modules-trace");
    let dir = project.path();
    write(dir, "main.sema", "(import \"lib.sema\")\n(first-of 5)\n");
    write(dir, "lib.sema", "(module lib (export first-of)\n  (define (first-of x)\n    (car x)))\n");
    assert!(semac(dir, &["main.sema", "-o", "main.semb"]).success());
    let run = semarun(dir, "main.semb");
    assert_eq!(run.code(), Some(1));
    let stderr = run.stderr_text();
    assert!(stderr.starts_with("Error: Type error: expected list or vector, got int"), "{stderr}");
    assert!(stderr.contains("--> lib.sema:3:5"), "{stderr}");
}

/// A file that is missing at compile time may be one the program writes before it
/// imports it, so it is a warning, and the import happens when the program runs.
#[test]
fn a_missing_file_warns_at_compile_time_and_is_an_error_naming_it_when_run() {
    let project = TempDir::new("modules-missing");
    write(project.path(), "main.sema", "(println 1)\n(import \"nope.sema\")\n");
    let out = semac(project.path(), &["main.sema", "-o", "main.semb"]);
    assert!(out.success());
    assert!(first_diagnostic(&out.stderr_text()).unwrap_or_default().starts_with("main.sema:2:1: warning: nope.sema does not exist now"), "{}", out.stderr_text());
    let run = semac(project.path(), &["--run", "main.sema"]);
    assert_eq!(run.code(), Some(1));
    assert_eq!(stdout(&run), "1\n");
    assert!(run.stderr_text().contains("Error: IO error: load ") && run.stderr_text().contains("nope.sema: No such file"), "{}", run.stderr_text());
}

#[test]
fn an_import_cycle_is_reported_with_its_chain() {
    let project = TempDir::new("modules-cycle");
    let dir = project.path();
    write(dir, "main.sema", "(import \"a.sema\")\n");
    write(dir, "a.sema", "(import \"b.sema\")\n");
    write(dir, "b.sema", "(import \"a.sema\")\n");
    let out = semac(dir, &["main.sema", "-o", "main.semb"]);
    assert_eq!(out.code(), Some(1));
    assert_eq!(first_diagnostic(&out.stderr_text()).as_deref(), Some("b.sema:1:1: import cycle: a.sema -> b.sema -> a.sema"));
}

#[test]
fn a_computed_path_warns_at_compile_time_and_fails_clearly_when_run() {
    let project = TempDir::new("modules-dynamic");
    let dir = project.path();
    write(dir, "main.sema", "(define p \"x.sema\")\n(println \"before\")\n(load p)\n");
    let out = semac(dir, &["main.sema", "-o", "main.semb"]);
    assert!(out.success());
    assert!(first_diagnostic(&out.stderr_text()).unwrap_or_default().starts_with("main.sema:3:1: warning: the path is not a literal string"), "{}", out.stderr_text());
    assert!(out.stderr_text().contains("needs the compiler (semac --run)"), "{}", out.stderr_text());
    let run = semarun(dir, "main.semb");
    assert_eq!(run.code(), Some(1));
    assert_eq!(stdout(&run), "before\n");
    assert_eq!(
        run.stderr_text().lines().next(),
        Some(
            "Error: Eval error: cannot load \"x.sema\" at run time: only files named by a literal string and present \
             at compile time are compiled into the bundle; loading another needs the compiler, which semarun leaves out \
             to stay small; run the program with `semac --run FILE`, or build it with `semac --exe --with-compiler`"
        )
    );
}

/// A program that writes a module before importing it (the reference's
/// examples/modules-demo.sema does): the file is not there to compile in, so it is
/// loaded when the program runs. `semac --run` has the compiler for that, and an
/// import still sees only the module's exports; `semarun` says why it cannot.
const WRITES_ITS_MODULE: &str = r#"(file/write "gen.sema" "(module gen (export pub also) (define (pub) (list 'pub (helper))) (define (also) 'also) (define (helper) 'helper))")
(import "gen.sema")
(println (pub) (also))
(println (try (helper) (catch e (:type e))))
(file/write "sel.sema" "(module sel (export a b) (define a 1) (define b 2))")
(import "sel.sema" a)
(println a (try b (catch e (:type e))))
(file/write "plain.sema" "(define loaded 'yes)")
(load "plain.sema")
(println loaded)
"#;

#[test]
fn a_module_written_at_run_time_is_imported_by_semac_run() {
    let project = TempDir::new("modules-run-time");
    let dir = project.path();
    write(dir, "main.sema", WRITES_ITS_MODULE);
    let out = semac(dir, &["--run", "main.sema"]);
    assert!(out.success(), "{}", out.stderr_text());
    assert_eq!(stdout(&out), "(pub helper) also\n:unbound\n1 :unbound\nyes\n");
    let warnings = out.stderr_text();
    assert!(first_diagnostic(&warnings).unwrap_or_default().starts_with("main.sema:2:1: warning: gen.sema does not exist now"), "{warnings}");
    assert_eq!(diagnostics(&warnings).len(), 3, "{warnings}");
}

#[test]
fn a_module_written_at_run_time_is_refused_by_semarun_with_the_reason() {
    let project = TempDir::new("modules-run-time-semarun");
    let dir = project.path();
    write(dir, "main.sema", WRITES_ITS_MODULE);
    assert!(semac(dir, &["main.sema", "-o", "main.semb"]).success());
    let run = semarun(dir, "main.semb");
    assert_eq!(run.code(), Some(1));
    let first = run.stderr_text().lines().next().unwrap_or_default().to_string();
    assert!(first.contains("gen.sema\" at run time") && first.contains("semac --run"), "{first}");
}

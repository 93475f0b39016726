//! The `semac` command line: what `--emit` prints and how compile errors are reported.

use std::fs;
use std::process::Command;
use std::time::Duration;

use sema_e2e::{diagnostics, first_diagnostic, run_with_timeout, tool, Outcome, TempDir};

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
    assert_eq!(out.stderr_text(), "error: unterminated string\n --> app.sema:2:10\n  |\n2 | (println \"oops)\n  |          ^\n\n");
    assert!(!dir.path().join("app.semb").exists());

    fs::write(dir.path().join("shape.sema"), "(println 1)\n  (if)\n").unwrap();
    let out = semac(dir.path(), &["shape.sema", "-o", "shape.semb"]);
    assert_eq!(out.code(), Some(1));
    assert_eq!(out.stderr_text(), "error: if expects 2 or 3 args\n --> shape.sema:2:3\n  |\n2 |   (if)\n  |   ^^^^\n\n");
}

#[test]
fn every_error_of_a_program_is_reported_not_only_the_first() {
    let dir = TempDir::new("cli-many-errors");
    let source = "(define (f x)\n  (let ((a 1) b) a))\n(println \"fine\")\n(if)\n(define g (lambda))\n(f 5)\n";
    fs::write(dir.path().join("app.sema"), source).unwrap();
    let out = semac(dir.path(), &["--run", "app.sema"]);
    assert_eq!(out.code(), Some(1));
    assert_eq!(out.stdout_text(), "", "nothing runs");
    let stderr = out.stderr_text();
    assert_eq!(
        diagnostics(&stderr),
        [
            "app.sema:2:15: let: each binding must be a (name value) list",
            "app.sema:4:1: if expects 2 or 3 args",
            "app.sema:5:11: lambda expects a parameter list and a body",
            "aborting because of 3 errors",
        ]
    );
    assert!(stderr.ends_with("\nerror: aborting because of 3 errors\n"), "{stderr}");

    // After an error in a macro's definition the rest is not lowered: its uses would
    // report errors that are not theirs.
    fs::write(dir.path().join("macro.sema"), "(defmacro m (x) (if))\n(m 1)\n(if)\n").unwrap();
    let out = semac(dir.path(), &["macro.sema"]);
    assert_eq!(out.code(), Some(1));
    assert_eq!(diagnostics(&out.stderr_text()).len(), 1, "{}", out.stderr_text());
    assert!(out.stderr_text().starts_with("error: in macro m: if expects 2 or 3 args\n"), "{}", out.stderr_text());

    // Also inside a top-level begin.
    fs::write(dir.path().join("begin.sema"), "(begin (defmacro m (x) (if)) 1)\n(m (if))\n(if)\n").unwrap();
    let out = semac(dir.path(), &["begin.sema"]);
    assert_eq!(diagnostics(&out.stderr_text()), ["begin.sema:1:24: in macro m: if expects 2 or 3 args"]);

    // A flood of errors stops at twenty.
    fs::write(dir.path().join("flood.sema"), "(if)\n".repeat(500)).unwrap();
    let out = semac(dir.path(), &["flood.sema"]);
    assert_eq!(diagnostics(&out.stderr_text()).len(), 21);
    assert!(out.stderr_text().ends_with("error: aborting because of 20 errors\n"));
}

#[test]
fn colour_only_when_asked_for_or_on_a_terminal() {
    let dir = TempDir::new("cli-colour");
    fs::write(dir.path().join("app.sema"), "(if)\n").unwrap();
    // stderr is a pipe here: plain by default.
    let out = semac(dir.path(), &["app.sema"]);
    assert!(!out.stderr_text().contains('\x1b'), "{}", out.stderr_text());
    let out = semac(dir.path(), &["--color", "always", "app.sema"]);
    assert!(out.stderr_text().starts_with("\x1b["), "{:?}", out.stderr_text());
    assert_eq!(diagnostics(&strip_ansi(&out.stderr_text())), ["app.sema:1:1: if expects 2 or 3 args"]);
    let out = semac(dir.path(), &["--color", "never", "app.sema"]);
    assert!(!out.stderr_text().contains('\x1b'));
}

/// `text` without ANSI colour sequences (`ESC [ ... m`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|c| *c == 'm');
        } else {
            out.push(c);
        }
    }
    out
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

#[test]
fn emit_asm_disassembles_an_existing_bundle_or_executable() {
    let dir = TempDir::new("cli-emit-existing");
    fs::write(dir.path().join("app.sema"), "(define (inc i) (+ i 1))\n(println (inc 41))\n").unwrap();
    let from_source = semac(dir.path(), &["app.sema", "--emit", "asm"]);
    assert!(from_source.success(), "{}", from_source.stderr_text());
    assert!(semac(dir.path(), &["app.sema", "-o", "app.semb"]).success());
    assert!(semac(dir.path(), &["app.sema", "--exe", "-o", "app"]).success());
    for compiled in ["app.semb", "app"] {
        let out = semac(dir.path(), &[compiled, "--emit", "asm"]);
        assert!(out.success(), "{compiled}: {}", out.stderr_text());
        assert_eq!(stdout(&out), stdout(&from_source), "{compiled}");
    }
    // A damaged bundle is refused as semarun refuses it, not disassembled.
    let mut bytes = fs::read(dir.path().join("app.semb")).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    fs::write(dir.path().join("bad.semb"), bytes).unwrap();
    let out = semac(dir.path(), &["bad.semb", "--emit", "asm"]);
    assert_eq!(out.code(), Some(2));
    assert!(out.stderr_text().starts_with("semac: bad.semb: "), "{}", out.stderr_text());
    assert_eq!(stdout(&out), "");
}

#[test]
fn options_that_cannot_be_used_together_are_refused() {
    let dir = TempDir::new("cli-combinations");
    fs::write(dir.path().join("app.sema"), "(println 1)\n").unwrap();
    for (args, expected) in [
        (&["app.sema", "--emit", "ir", "--exe"][..], "semac: --emit ir prints to stdout; it cannot be combined with --exe"),
        (&["app.sema", "--emit", "asm", "--run"][..], "semac: --emit asm prints to stdout; it cannot be combined with --run"),
        (&["app.sema", "--emit", "asm", "-o", "x.semb"][..], "semac: --emit asm prints to stdout; it cannot be combined with -o"),
        (&["app.sema", "--run", "-o", "x.semb"][..], "semac: a program run with --run or -e is not written anywhere, so -o has nothing to do"),
        (&["-e", "1", "--sign", "k.key"][..], "semac: a program run with --run or -e is not written anywhere, so --sign has nothing to do"),
        (&["--keygen", "k", "--emit", "ir"][..], "semac: --keygen makes a key pair; it cannot be combined with --emit"),
    ] {
        let out = semac(dir.path(), args);
        assert_eq!(out.code(), Some(2), "{args:?}");
        assert_eq!(out.stderr_text().trim_end(), expected, "{args:?}");
    }
    // Program arguments are for --run only.
    let out = semac(dir.path(), &["app.sema", "--", "a", "b"]);
    assert_eq!(out.code(), Some(2));
    assert!(out.stderr_text().contains("--run"), "{}", out.stderr_text());
    assert!(!dir.path().join("app.semb").exists());
    let ran = semac(dir.path(), &["app.sema", "--run", "--", "a", "b"]);
    assert!(ran.success(), "{}", ran.stderr_text());
}

#[test]
fn e_runs_an_expression_with_arguments() {
    let dir = TempDir::new("cli-eval");
    let out = semac(dir.path(), &["-e", "(println (+ 1 2)) (println (cdr (sys/args)))", "--", "x", "y"]);
    assert!(out.success(), "{}", out.stderr_text());
    assert_eq!(stdout(&out), "3\n(\"-e\" \"--\" \"x\" \"y\")\n");
    // Its errors name it <expr>.
    let out = semac(dir.path(), &["-e", "(println 1"]);
    assert_eq!(out.code(), Some(1));
    assert_eq!(first_diagnostic(&out.stderr_text()).as_deref(), Some("<expr>:1:1: unterminated list"), "{}", out.stderr_text());
    let out = semac(dir.path(), &["-e", "(car 5)"]);
    assert_eq!(out.code(), Some(1));
    assert!(out.stderr_text().contains("<expr>:1:1"), "{}", out.stderr_text());
    // Printed rather than run with --emit.
    let out = semac(dir.path(), &["-e", "(+ 1 2)", "--emit", "asm"]);
    assert!(out.success() && stdout(&out).contains("LoadInt r0 3"), "{}", stdout(&out));
    assert!(fs::read_dir(dir.path()).unwrap().next().is_none(), "-e writes no file");
}

#[test]
fn a_program_read_from_stdin_runs_or_compiles_to_a_named_output() {
    let dir = TempDir::new("cli-stdin");
    let piped = |args: &[&str], input: &str| {
        use std::io::Write;
        let mut child = Command::new(tool("semac"))
            .current_dir(dir.path())
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = piped(&["--run", "-", "--", "a"], "(println \"from stdin\" (cdr (sys/args)))\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from stdin (\"-\" \"--\" \"a\")\n");
    let out = piped(&["--run", "-"], "(prinln 1)\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>:1:1"), "{}", String::from_utf8_lossy(&out.stderr));
    // Compiled, it needs an output name.
    let out = piped(&["-"], "(println 1)\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("name it with -o"));
    let out = piped(&["-", "-o", "app.semb"], "(println 1)\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ran = Command::new(tool("semarun")).arg(dir.path().join("app.semb")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "1\n");
}

#[test]
fn undefined_globals_and_wrong_argument_counts_are_warned_about_at_compile_time() {
    let dir = TempDir::new("cli-global-warnings");
    let source = "(define (inc i) (+ i 1))\n\
                  (define (later) (helper 1))\n\
                  (define (helper x) x)\n\
                  (prinltn (inc 1 2))\n\
                  (println (car '(1) '(2)) (string-lenght \"abc\") (v 1))\n";
    fs::write(dir.path().join("app.sema"), source).unwrap();
    let out = semac(dir.path(), &["app.sema", "-o", "app.semb"]);
    assert!(out.success(), "warnings do not stop compilation: {}", out.stderr_text());
    assert_eq!(
        out.stderr_text().split("warning: `car`").next().unwrap(),
        "warning: `prinltn` is not defined anywhere in the program\n \
         --> app.sema:4:1\n  \
         |\n\
         4 | (prinltn (inc 1 2))\n  \
         | ^^^^^^^^^^^^^^^^^^^\n  \
         |\n  \
         = help: did you mean `println`?\n\n\
         warning: `inc` takes 1 argument, but this call passes 2\n \
         --> app.sema:4:10\n  \
         |\n\
         4 | (prinltn (inc 1 2))\n  \
         |          ^^^^^^^^^\n\n"
    );
    assert_eq!(
        diagnostics(&out.stderr_text())[2..],
        [
            "app.sema:5:10: warning: `car` takes 1 argument, but this call passes 2",
            "app.sema:5:26: warning: `string-lenght` is not defined anywhere in the program",
            "app.sema:5:48: warning: `v` is not defined anywhere in the program",
        ]
    );
    assert!(out.stderr_text().contains("  = help: did you mean `string-length`?\n"));
    assert!(dir.path().join("app.semb").exists());

    // What the compiler cannot see stays quiet: a function defined twice or assigned
    // (which definition a call meets depends on the run), names `eval` may define.
    let quiet = [
        "(define (f x) x)\n(define (f x y) y)\n(println (f 1 2))\n",
        "(define (f x) x)\n(set! f (lambda (a b) b))\n(println (f 1 2))\n",
        "(eval '(define zz 1))\n(println zz)\n",
    ];
    for source in quiet {
        fs::write(dir.path().join("quiet.sema"), source).unwrap();
        let out = semac(dir.path(), &["quiet.sema", "-o", "quiet.semb"]);
        assert!(out.success(), "{source}: {}", out.stderr_text());
        assert_eq!(out.stderr_text(), "", "{source}");
    }
}

#[test]
fn a_flood_of_warnings_is_cut_short() {
    let dir = TempDir::new("cli-warning-flood");
    let calls: String = (0..1000).map(|i| format!("(undefined-{i} 1)\n")).collect();
    fs::write(dir.path().join("app.sema"), format!("{calls}(car 1 2)\n(car 1 2)\n")).unwrap();
    let out = semac(dir.path(), &["app.sema", "-o", "app.semb"]);
    assert!(out.success(), "{}", out.describe_end());
    let warnings = diagnostics(&out.stderr_text());
    assert_eq!(warnings.len(), 101, "{}", out.stderr_text());
    assert_eq!(warnings[0], "app.sema:1:1: warning: `undefined-0` is not defined anywhere in the program");
    assert_eq!(warnings[100], "warning: 902 more warnings like these not shown");
}

#[test]
fn a_flood_of_warnings_from_lowering_is_cut_short_too() {
    let dir = TempDir::new("cli-lowering-warning-flood");
    fs::write(dir.path().join("app.sema"), format!("(define p \"x.sema\")\n{}", "(load p)\n".repeat(150))).unwrap();
    let out = semac(dir.path(), &["app.sema", "-o", "app.semb"]);
    assert!(out.success(), "{}", out.describe_end());
    let warnings = diagnostics(&out.stderr_text());
    assert_eq!(warnings.len(), 101);
    assert_eq!(warnings[99], "app.sema:101:1: warning: the path is not a literal string, so the file cannot be compiled into the bundle");
    assert_eq!(warnings[100], "warning: 50 more warnings like these not shown");
}

#[test]
fn stdin_and_expressions_never_open_a_file_of_that_name() {
    // A bundle named `-e` or `-` in the working directory is not what -e or stdin means.
    let dir = TempDir::new("cli-dash-files");
    fs::write(dir.path().join("app.sema"), "(println \"the bundle\")\n").unwrap();
    assert!(semac(dir.path(), &["app.sema", "--output=-e"]).success());
    fs::copy(dir.path().join("-e"), dir.path().join("-")).unwrap();
    let out = semac(dir.path(), &["-e", "(+ 1 2)", "--emit", "asm"]);
    assert!(out.success(), "{}", out.stderr_text());
    assert!(stdout(&out).contains("LoadInt r0 3") && !stdout(&out).contains("the bundle"), "{}", stdout(&out));
    // A program from stdin compiled to an executable needs a name for it too.
    let out = semac(dir.path(), &["-", "--exe"]);
    assert_eq!(out.code(), Some(2));
    assert!(out.stderr_text().contains("name it with -o"), "{}", out.stderr_text());
}

#[test]
fn a_megabyte_long_unknown_name_gets_its_warning_without_a_search_for_a_suggestion() {
    let dir = TempDir::new("cli-long-name");
    let long = |c: char| std::iter::repeat_n(c, 1 << 20).collect::<String>();
    fs::write(dir.path().join("app.sema"), format!("(define {} 0)\n({} 1)\n", long('a'), long('b'))).unwrap();
    let out = semac(dir.path(), &["app.sema", "-o", "app.semb"]);
    assert!(out.success(), "{}", out.describe_end());
    let warning = first_diagnostic(&out.stderr_text()).unwrap_or_default();
    assert!(warning.starts_with("app.sema:2:1: warning: `bbbb"), "{}", &warning[..200]);
    assert!(warning.ends_with("b` is not defined anywhere in the program"), "{}", &warning[..200]);
}

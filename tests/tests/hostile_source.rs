//! Hostile input to the tools themselves (issue 11): sources that used to crash or hang
//! `semac`, and command lines and files that used to crash or exhaust `semarun`. Each is
//! now a clean error with a position where there is one; none ends in a signal.

use std::fs;
use std::process::Command;
use std::time::Duration;

use sema_e2e::{first_diagnostic, limit_child_memory, run_tool, run_with_timeout, tool, write_file, Outcome, TempDir};

/// Compiles `main.sema` (written with `source`) in a fresh directory with `args`.
fn semac(tag: &str, source: &str, args: &[&str]) -> (TempDir, Outcome) {
    let dir = TempDir::new(tag);
    write_file(dir.path(), "main.sema", source);
    let mut all = vec!["main.sema", "-o", "main.semb"];
    all.extend_from_slice(args);
    let out = run_tool("semac", dir.path(), &all);
    (dir, out)
}

/// A compile error: exit 1, first stderr line as given, and no bundle written.
fn assert_compile_error(dir: &TempDir, out: &Outcome, first_line: &str) {
    assert_eq!(out.code(), Some(1), "{}", out.describe_end());
    assert_eq!(first_diagnostic(&out.stderr_text()).as_deref(), Some(first_line), "{}", out.stderr_text());
    assert!(!dir.path().join("main.semb").exists(), "a bundle was written");
}

#[test]
fn a_file_that_loads_itself_is_a_load_cycle() {
    let (dir, out) = semac("self-load", "(println 1)\n(load \"main.sema\")\n", &[]);
    assert_compile_error(&dir, &out, "main.sema:2:1: load cycle: main.sema -> main.sema");
}

#[test]
fn a_cycle_through_two_files_and_a_symlink_is_found() {
    let dir = TempDir::new("load-cycle");
    write_file(dir.path(), "main.sema", "(load \"lib/a.sema\")\n");
    write_file(dir.path(), "lib/a.sema", "(load \"b.sema\")\n");
    write_file(dir.path(), "lib/b.sema", "(load \"link.sema\")\n");
    std::os::unix::fs::symlink("a.sema", dir.path().join("lib/link.sema")).unwrap();
    let out = run_tool("semac", dir.path(), &["main.sema"]);
    assert_eq!(out.code(), Some(1), "{}", out.describe_end());
    assert_eq!(
        first_diagnostic(&out.stderr_text()).as_deref(),
        Some("lib/b.sema:1:1: load cycle: lib/a.sema -> lib/b.sema -> lib/link.sema")
    );
}

#[test]
fn a_macro_whose_output_nests_a_million_deep_is_an_error() {
    let source = "(defmacro deep (n) (let loop ((i 0) (acc 0)) (if (= i n) acc (loop (+ i 1) (list 'list acc)))))\n\
                  (deep 1000000)\n";
    let (dir, out) = semac("deep-macro", source, &[]);
    assert_compile_error(&dir, &out, "main.sema:2:1: macro expansion nested more than 10000 levels deep");
}

#[test]
fn a_macro_that_loops_runs_out_of_fuel_or_time() {
    let source = "(defmacro spin () (let loop () (loop)))\n(spin)\n";
    let (dir, out) = semac("macro-fuel", source, &["--macro-fuel", "100000"]);
    assert_compile_error(
        &dir,
        &out,
        "main.sema:2:1: macro spin took more than 100000 steps (all macros of the program together; raise the limit with --macro-fuel)",
    );
    let (dir, out) = semac("macro-seconds", source, &["--macro-seconds", "0.3"]);
    assert_compile_error(
        &dir,
        &out,
        "main.sema:2:1: macro spin ran for more than 0.3 s (all macros of the program together; raise the limit with --macro-seconds)",
    );
}

#[test]
fn a_macro_that_allocates_without_end_is_stopped() {
    let growing = "(defmacro grow () (let loop ((acc '())) (loop (cons 1 acc))))\n(grow)\n";
    let (dir, out) = semac("macro-memory", growing, &["--macro-memory", "32m"]);
    assert_compile_error(
        &dir,
        &out,
        "main.sema:2:1: error expanding macro grow: Eval error: out of memory: more than the 32 MiB allowed (--macro-memory)",
    );
    // One builtin call far past the limit: no step is taken, so the allocator stops it.
    let one_call = "(defmacro big () (begin (string/repeat \"a\" 300000000) 1))\n(big)\n";
    let (dir, out) = semac("macro-ceiling", one_call, &["--macro-memory", "32m"]);
    assert_eq!(out.code(), Some(1), "{}", out.describe_end());
    let first_line = out.stderr_text().lines().next().map(str::to_string);
    assert_eq!(first_line.as_deref(), Some("semac: error: a macro expansion ran out of memory (over the --macro-memory limit)"));
    assert!(!dir.path().join("main.semb").exists(), "a bundle was written");
}

#[test]
fn a_define_nested_in_an_expression_does_not_reach_an_outer_function() {
    let source = "(define (f) (define (g) 0) (define (h) (list (define (g) 1))) (h) (g))\n(println (f))\n";
    let dir = TempDir::new("nested-define");
    write_file(dir.path(), "main.sema", source);
    let out = run_tool("semac", dir.path(), &["--run", "main.sema"]);
    assert_eq!(out.code(), Some(0), "{}", out.describe_end());
    // As the reference: the inner define does not change f's g.
    assert_eq!(out.stdout_text(), "0\n");
}

#[test]
fn an_integer_literal_too_long_for_a_bundle_has_a_position() {
    let source = format!("(println\n  {})\n", "9".repeat(65_537));
    let (dir, out) = semac("long-literal", &source, &[]);
    assert_compile_error(&dir, &out, "main.sema:2:3: number literal too long: 65537 digits (the most a bundle holds is 65536)");
}

#[test]
fn semac_does_not_write_a_bundle_semarun_would_refuse() {
    let source = format!("(println (quote {}))\n", "a".repeat(1_100_000));
    let (dir, out) = semac("long-symbol", &source, &[]);
    assert_compile_error(
        &dir,
        &out,
        "main.sema:1:1: program too large for a bundle: 1100000 bytes in the longest symbol name, and a bundle holds at most 1048576",
    );
}

#[test]
fn more_symbols_than_a_bundle_holds_is_a_compile_error() {
    // 4,200,000 distinct quoted symbols: over the format's 4,194,304. semac used to
    // write the bundle (exit 0) and semarun refused it.
    let mut source = String::with_capacity(40 << 20);
    source.push_str("(define x (quote (");
    for i in 0..4_200_000 {
        source.push_str(&format!("s{i} "));
    }
    source.push_str(")))\n");
    let (dir, out) = semac("many-symbols", &source, &[]);
    assert_compile_error(
        &dir,
        &out,
        "main.sema:1:1: program too large for a bundle: 4200001 distinct symbols, and a bundle holds at most 4194304",
    );
}

#[test]
fn a_function_over_16_mib_of_code_is_a_compile_error() {
    let source = format!("(define (f)\n{})\n", "(g 1 2)\n".repeat(3_000_000));
    let (_dir, out) = semac("big-function", &source, &[]);
    assert_eq!(out.code(), Some(1), "{}", out.describe_end());
    let first = first_diagnostic(&out.stderr_text()).unwrap_or_default();
    assert!(first.starts_with("main.sema:1:1: function too large: "), "{first}");
    assert!(first.ends_with("bytes of code, over the 16 MiB a bundle allows; split it into smaller functions"), "{first}");
}

#[test]
fn a_fifo_or_a_device_is_not_read_as_source() {
    let dir = TempDir::new("fifo-import");
    let fifo = dir.path().join("pipe.sema");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    write_file(dir.path(), "main.sema", "(import \"pipe.sema\")\n");
    let out = run_tool("semac", dir.path(), &["main.sema"]);
    assert_eq!(out.code(), Some(1), "{}", out.describe_end());
    assert_eq!(first_diagnostic(&out.stderr_text()).as_deref(), Some("main.sema:1:1: cannot read pipe.sema: not a regular file"));
    write_file(dir.path(), "main.sema", "(load \"/dev/zero\")\n");
    let out = run_tool("semac", dir.path(), &["main.sema"]);
    assert_eq!(first_diagnostic(&out.stderr_text()).as_deref(), Some("main.sema:1:1: cannot read /dev/zero: not a regular file"));
    let out = run_tool("semac", dir.path(), &["pipe.sema"]);
    assert_eq!(out.code(), Some(2), "{}", out.describe_end());
    assert_eq!(out.stderr_text().lines().next(), Some("semac: cannot read pipe.sema: not a regular file"));
}

#[test]
fn arguments_that_are_not_utf8_reach_the_program() {
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new("non-utf8");
    write_file(dir.path(), "main.sema", "(println (length (sys/args)) (last (sys/args)))\n");
    let bad = std::ffi::OsStr::from_bytes(b"x\xff");
    let mut cmd = Command::new(tool("semac"));
    cmd.current_dir(dir.path()).arg("--run").arg("main.sema").arg("--").arg(bad);
    let out = run_with_timeout(cmd, Duration::from_secs(60)).unwrap();
    assert_eq!(out.code(), Some(0), "{}", out.describe_end());
    assert_eq!(out.stdout_text(), "4 x\u{fffd}\n");
    assert!(run_tool("semac", dir.path(), &["main.sema"]).success());
    let mut cmd = Command::new(tool("semarun"));
    cmd.current_dir(dir.path()).arg("main.semb").arg(bad);
    let out = run_with_timeout(cmd, Duration::from_secs(60)).unwrap();
    assert_eq!(out.code(), Some(0), "{}", out.describe_end());
    assert_eq!(out.stdout_text(), "4 x\u{fffd}\n");
    // An executable: its argv is (sys/args) as it is, here the program and one argument.
    assert!(run_tool("semac", dir.path(), &["main.sema", "--exe", "-o", "app"]).success());
    let mut cmd = Command::new(dir.path().join("app"));
    cmd.current_dir(dir.path()).arg(bad);
    let out = run_with_timeout(cmd, Duration::from_secs(60)).unwrap();
    assert_eq!(out.code(), Some(0), "{}", out.describe_end());
    assert_eq!(out.stdout_text(), "2 x\u{fffd}\n");
}

/// Compiles `source` and runs the bundle with `semarun ARGS main.semb`.
fn run(tag: &str, source: &str, args: &[&str]) -> Outcome {
    let (dir, out) = semac(tag, source, &[]);
    assert!(out.success(), "{}", out.describe_end());
    let mut all = args.to_vec();
    all.push("main.semb");
    run_tool("semarun", dir.path(), &all)
}

#[test]
fn the_median_of_numbers_with_a_nan_does_not_panic() {
    let out = run("nan-median", "(println (list/median (cons (/ 0.0 0.0) (range 30))))\n", &[]);
    assert_eq!(out.code(), Some(0), "{}", out.describe_end());
    assert_eq!(out.stdout_text(), "15.0\n");
}

#[test]
fn option_values_out_of_range_are_usage_errors() {
    for (args, message) in [
        (["--max-seconds", "1e20"], "semarun: 1e20: the number of seconds must be above 0 and at most a year"),
        (["--max-seconds", "NaN"], "semarun: NaN: the number of seconds must be above 0 and at most a year"),
        (["--max-memory", "5"], "semarun: 5: a memory size must be between 1m and 1048576g"),
        (["--fuel", "-3"], "semarun: --fuel -3: needs a positive whole number"),
    ] {
        let out = run("bad-options", "(println 1)\n", &args);
        assert_eq!(out.code(), Some(2), "{args:?}: {}", out.describe_end());
        assert_eq!(out.stderr_text().lines().next(), Some(message), "{args:?}");
    }
    let out = run("bad-options", "(println 1)\n", &["--max-seconds=5"]);
    assert_eq!(out.stdout_text(), "1\n", "{}", out.describe_end());
}

#[test]
fn max_memory_is_a_catchable_error_and_output_survives_the_ceiling() {
    let source = "(println \"before\")\n\
                  (define (grow acc) (grow (cons 1 acc)))\n\
                  (println (try (grow '()) (catch e (:message e))))\n\
                  (println \"after\")\n\
                  (define s (string/repeat \"a\" 300000000))\n\
                  (println \"never\")\n";
    let out = run("max-memory", source, &["--max-memory", "64m"]);
    assert_eq!(out.code(), Some(1), "{}", out.describe_end());
    // stdout is a pipe here, so it is block-buffered: the allocator writes it out.
    assert_eq!(out.stdout_text(), "before\nout of memory: more than the 64 MiB allowed (--max-memory)\nafter\n");
    assert_eq!(out.stderr_text().lines().next(), Some("Error: Eval error: out of memory: far over the --max-memory limit"));
}

#[test]
fn a_bundle_path_that_is_a_device_a_fifo_or_huge_is_refused_before_reading() {
    let dir = TempDir::new("bundle-files");
    let fifo = dir.path().join("pipe.semb");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for (path, message) in [("/dev/zero", "semarun: /dev/zero: not a regular file"), ("pipe.semb", "semarun: pipe.semb: not a regular file")] {
        let out = run_tool("semarun", dir.path(), &[path]);
        assert_eq!(out.code(), Some(2), "{path}: {}", out.describe_end());
        assert_eq!(out.stderr_text().lines().next(), Some(message));
    }
    // A valid header declaring a 512 MiB payload in a sparse 3 GiB file: refused from
    // the header and the file's length, with far less memory than the file's size.
    let (compiled, out) = semac("huge-bundle", "(println 1)\n", &[]);
    assert!(out.success());
    let mut header = fs::read(compiled.path().join("main.semb")).unwrap()[..bundle_format::header::HEADER_LEN].to_vec();
    header[16..24].copy_from_slice(&(512u64 << 20).to_le_bytes());
    let huge = dir.path().join("huge.semb");
    fs::write(&huge, &header).unwrap();
    fs::File::options().write(true).open(&huge).unwrap().set_len(3 << 30).unwrap();
    let mut cmd = Command::new(tool("semarun"));
    cmd.arg(&huge);
    limit_child_memory(&mut cmd, 1536 << 20);
    let out = run_with_timeout(cmd, Duration::from_secs(60)).unwrap();
    assert_eq!(out.code(), Some(2), "{}", out.describe_end());
    let expected = format!("expected {} bytes, the file has {}", (512u64 << 20) + header.len() as u64, 3u64 << 30);
    assert!(out.stderr_text().contains(&expected), "{}", out.stderr_text());
}

#[test]
fn include_does_not_follow_a_symlink_out_of_the_program_directory() {
    let dir = TempDir::new("include-symlink");
    write_file(dir.path(), "app/main.sema", "(println (file/read \"data/ok.txt\"))\n");
    write_file(dir.path(), "app/data/ok.txt", "ok");
    write_file(dir.path(), "secret.txt", "secret");
    std::os::unix::fs::symlink("../../secret.txt", dir.path().join("app/data/leak.txt")).unwrap();
    let out = run_tool("semac", dir.path(), &["app/main.sema", "--exe", "-o", "app/main", "--include", "data"]);
    assert_eq!(out.code(), Some(2), "{}", out.describe_end());
    let message = out.stderr_text();
    assert!(message.starts_with("semac: app/data/leak.txt leads outside the program's directory (to "), "{message}");
    assert!(!dir.path().join("app/main").exists());
    // A link that stays inside is embedded as the file it names.
    fs::remove_file(dir.path().join("app/data/leak.txt")).unwrap();
    std::os::unix::fs::symlink("ok.txt", dir.path().join("app/data/alias.txt")).unwrap();
    let out = run_tool("semac", dir.path(), &["app/main.sema", "--exe", "-o", "app/main", "--include", "data"]);
    assert!(out.success(), "{}", out.describe_end());
}

#[test]
fn an_absolute_import_path_is_not_recorded_in_debug_info() {
    let dir = TempDir::new("absolute-import");
    write_file(dir.path(), "lib/helper.sema", "(define (helper) (car '()))\n");
    let absolute = dir.path().join("lib/helper.sema").canonicalize().unwrap();
    write_file(dir.path(), "app/main.sema", &format!("(load {:?})\n(helper)\n", absolute.to_str().unwrap()));
    let out = run_tool("semac", dir.path(), &["app/main.sema", "-o", "main.semb"]);
    assert!(out.success(), "{}", out.describe_end());
    let bytes = fs::read(dir.path().join("main.semb")).unwrap();
    let parent = absolute.parent().unwrap().to_str().unwrap().as_bytes().to_vec();
    assert!(!bytes.windows(parent.len()).any(|w| w == parent), "the bundle records an absolute path");
    let info = run_tool("semarun", dir.path(), &["--info", "main.semb"]).stdout_text();
    assert!(info.contains("modules:        main.sema, helper.sema\n"), "{info}");
}

#[test]
fn a_pdf_that_makes_the_parser_panic_is_a_catchable_error() {
    let dir = TempDir::new("pdf-panic");
    // A Type0 font without DescendantFonts: pdf-extract panics on it.
    let fixture = sema_e2e::corpus_dir().join("stdlib-pdf/fixtures/parser-panic.pdf");
    fs::copy(fixture, dir.path().join("bad.pdf")).unwrap();
    let source = "(println (pdf/page-count \"bad.pdf\"))\n\
                  (println (try (pdf/extract-text \"bad.pdf\") (catch e (list (:type e) (:message e)))))\n\
                  (println (try (pdf/extract-text-pages \"bad.pdf\") (catch e (:type e))))\n\
                  (println \"still running\")\n";
    write_file(dir.path(), "main.sema", source);
    assert!(run_tool("semac", dir.path(), &["main.sema"]).success());
    let out = run_tool("semarun", dir.path(), &["main.semb"]);
    assert_eq!(out.code(), Some(0), "{}", out.describe_end());
    assert_eq!(
        out.stdout_text(),
        "1\n(:eval \"Eval error: pdf/extract-text bad.pdf: malformed PDF (the PDF parser failed on it)\")\n:eval\nstill running\n"
    );
    assert_eq!(out.stderr_text(), "");
}

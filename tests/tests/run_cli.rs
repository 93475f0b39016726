//! The `semarun` command line as people use it: `--version`, a source file given by
//! mistake, a reader that stops early (`semarun x.semb | head -1`). Budgets' exit
//! status is in limits.rs.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sema_e2e::{compile_bundle, run_tool, tool, write_file, TempDir};

#[test]
fn version_names_the_tool_and_the_bundle_format_it_reads() {
    let dir = TempDir::new("run-version");
    for flag in ["--version", "-V"] {
        let out = run_tool("semarun", dir.path(), &[flag]);
        assert!(out.success(), "{flag}: {}", out.describe_end());
        let text = out.stdout_text();
        let format = bundle_format::header::FORMAT_VERSION;
        assert!(text.starts_with("semarun ") && text.trim_end().ends_with(&format!("(bundle format {format})")), "{text}");
    }
}

#[test]
fn help_lists_the_options_and_the_exit_statuses() {
    let dir = TempDir::new("run-help");
    for flag in ["--help", "-h"] {
        let out = run_tool("semarun", dir.path(), &[flag]);
        assert!(out.success(), "{flag}: {}", out.describe_end());
        let text = out.stdout_text();
        assert!(text.starts_with("usage: semarun [OPTIONS] BUNDLE"), "{text}");
        for option in ["--fuel N", "--max-seconds S", "--sandbox=VALUE", "--version", "124 stopped by --fuel"] {
            assert!(text.contains(option), "{flag} does not mention {option}:\n{text}");
        }
    }
}

#[test]
fn unknown_options_are_refused_not_taken_for_a_bundle() {
    let dir = TempDir::new("run-unknown-option");
    let out = run_tool("semarun", dir.path(), &["--frobnicate", "app.semb"]);
    assert_eq!(out.code(), Some(2));
    assert!(out.stderr_text().starts_with("semarun: unknown option --frobnicate\nusage: semarun"), "{}", out.stderr_text());
}

#[test]
fn source_text_given_to_semarun_gets_a_hint_to_use_semac() {
    let dir = TempDir::new("run-source-hint");
    write_file(dir.path(), "app.sema", "(println \"hi\")\n");
    write_file(dir.path(), "script", "; a script without the extension\n(println 1)\n");
    for name in ["app.sema", "script"] {
        let out = run_tool("semarun", dir.path(), &[name]);
        assert_eq!(out.code(), Some(2), "{name}");
        let stderr = out.stderr_text();
        let mut lines = stderr.lines();
        assert_eq!(lines.next(), Some(format!("semarun: {name}: not a Sema bundle (bad magic bytes at offset 0)").as_str()));
        assert_eq!(
            lines.next(),
            Some(format!("hint: this looks like Sema source, not a bundle: run it with `semac --run {name}`, or compile it first with `semac {name}`").as_str())
        );
    }
    // Bytes that are neither get no hint.
    std::fs::write(dir.path().join("noise.bin"), [0u8, 1, 2, 3, 4, 5, 6, 7, 8, 9]).unwrap();
    let out = run_tool("semarun", dir.path(), &["noise.bin"]);
    assert_eq!(out.code(), Some(2));
    assert!(!out.stderr_text().contains("hint:"), "{}", out.stderr_text());
}

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly_by_sigpipe() {
    let (_dir, mut child, first) = read_first_line_of("run-broken-pipe", "(let loop ((i 0)) (println \"line\" i) (loop (+ i 1)))\n");
    assert_eq!(first, "line 0\n");
    // The reader is gone (dropped with the BufReader); the program must end soon.
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("semarun kept running after its stdout closed");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.signal(), Some(SIGPIPE), "{status:?}; stderr: {stderr}");
    assert_eq!(stderr, "", "a closed pipe is not an error to report");
}

/// Compiles `source` and runs it with stdout piped; reads the first line printed,
/// then closes the reading end. The directory is the run's working directory.
fn read_first_line_of(tag: &str, source: &str) -> (TempDir, std::process::Child, String) {
    let dir = TempDir::new(tag);
    write_file(dir.path(), "app.sema", source);
    let bundle = dir.path().join("app.semb");
    compile_bundle(&dir.path().join("app.sema"), &bundle, &[], Duration::from_secs(60)).unwrap();
    let mut child = Command::new(tool("semarun"))
        .arg(&bundle)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    (dir, child, first)
}

/// SIGPIPE's number on the platforms the tests run on (Linux and macOS).
const SIGPIPE: i32 = 13;

#[test]
fn a_closed_pipe_the_program_caught_does_not_silence_a_later_error() {
    let source = "(define (spew i) (println \"line\" i) (spew (+ i 1)))\n\
                  (try (spew 0) (catch e nil))\n\
                  (file/read \"no-such-file.txt\")\n";
    let (_dir, child, _) = read_first_line_of("run-caught-pipe", source);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{:?}: {stderr}", out.status);
    assert!(stderr.starts_with("Error: IO error: "), "{stderr}");
}

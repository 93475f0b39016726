//! `semarun --fuel N` and `--max-seconds S` end a run cleanly: the error of
//! LANGUAGE.md §11.6, which no `try` can catch, and exit status 124 (as GNU `timeout`
//! ends a command), which tells a stopped run from a program's own error (1).

use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

use sema_e2e::{compile_bundle, run_with_timeout, tool, Outcome, TempDir};

fn run(name: &str, source: &str, limits: &[&str]) -> (Outcome, Duration) {
    let dir = TempDir::new(name);
    let path = dir.path().join(format!("{name}.sema"));
    fs::write(&path, source).unwrap();
    let bundle = dir.path().join(format!("{name}.semb"));
    compile_bundle(&path, &bundle, &[], Duration::from_secs(60)).unwrap();
    let mut cmd = Command::new(tool("semarun"));
    cmd.args(limits).arg(&bundle);
    let started = Instant::now();
    let out = run_with_timeout(cmd, Duration::from_secs(60)).unwrap();
    (out, started.elapsed())
}

const FOREVER: &str = "(define (spin i) (spin (+ i 1)))\n(println \"start\")\n(try (spin 0) (catch e (println \"caught\")))\n";

#[test]
fn fuel_ends_an_endless_loop_and_cannot_be_caught() {
    let (out, _) = run("fuel", FOREVER, &["--fuel", "100000"]);
    assert_eq!(out.code(), Some(124), "{}", out.describe_end());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "start\n");
    assert_eq!(out.stderr_text().lines().next(), Some("Error: Eval error: instruction budget exhausted (--fuel)"));
}

#[test]
fn max_seconds_ends_an_endless_loop() {
    let (out, elapsed) = run("seconds", FOREVER, &["--max-seconds", "0.5"]);
    assert_eq!(out.code(), Some(124), "{}", out.describe_end());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "start\n");
    assert_eq!(out.stderr_text().lines().next(), Some("Error: Eval error: time limit exceeded (--max-seconds)"));
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
}

#[test]
fn max_seconds_also_ends_a_single_builtin_that_runs_long() {
    // Two distinct 60-level DAGs of shared lists: `equal?` walks 2^60 paths inside one
    // builtin call, taking no VM step, so only the watchdog can stop it.
    // What it printed before is flushed by the watchdog, not lost with the buffer.
    let source = "(define (dag n) (if (= n 0) '(1) (let ((d (dag (- n 1)))) (list d d))))\n\
                  (println \"before\")\n\
                  (println (equal? (dag 60) (dag 60)))\n";
    let (out, elapsed) = run("watchdog", source, &["--max-seconds", "0.5"]);
    assert_eq!(out.code(), Some(124), "{}", out.describe_end());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "before\n");
    assert_eq!(out.stderr_text().lines().next(), Some("Error: Eval error: time limit exceeded (--max-seconds)"));
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
}

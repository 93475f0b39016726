//! Async tasks through the real binaries, beyond the corpus (tests/corpus/async/):
//! budgets still bound a run of tasks, many tasks and messages fit in bounded
//! memory, and what is not implemented yet (waiting inside a builtin's callback)
//! is a clear error.

use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

use sema_e2e::{compile_bundle, run_with_timeout, tool, Outcome, TempDir};

fn run(name: &str, source: &str, options: &[&str]) -> (Outcome, Duration) {
    let dir = TempDir::new(name);
    let path = dir.path().join("app.sema");
    fs::write(&path, source).unwrap();
    let bundle = dir.path().join("app.semb");
    compile_bundle(&path, &bundle, &[], Duration::from_secs(60)).unwrap();
    let mut cmd = Command::new(tool("semarun"));
    cmd.args(options).arg(&bundle);
    let started = Instant::now();
    let out = run_with_timeout(cmd, Duration::from_secs(120)).unwrap();
    (out, started.elapsed())
}

#[test]
fn fuel_and_max_seconds_bound_a_run_of_tasks() {
    // A task that never waits, and the top level waiting for it.
    let spinning = "(define t (async (let loop ((i 0)) (loop (+ i 1)))))\n(println \"spawned\")\n(await t)\n";
    let (out, _) = run("tasks-fuel", spinning, &["--fuel", "100000"]);
    assert_eq!(out.code(), Some(124), "{}", out.describe_end());
    assert_eq!(out.stdout_text(), "spawned\n");
    // The budget runs out in the top level while another task is ready: the run
    // ends there, it does not go on with that task.
    let both = "(async (let loop () (loop)))\n(let loop () (loop))\n";
    let (out, elapsed) = run("tasks-fuel-both", both, &["--fuel", "100000"]);
    assert_eq!(out.code(), Some(124), "{}", out.describe_end());
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
    // Tasks asleep for an hour: the time limit ends the run, not the sleep.
    let sleeping = "(define ts (map (fn (i) (async (async/sleep 3600000) i)) (range 3)))\n(println (async/all ts))\n";
    let (out, elapsed) = run("tasks-seconds", sleeping, &["--max-seconds", "0.5"]);
    assert_eq!(out.code(), Some(124), "{}", out.describe_end());
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
}

#[test]
fn a_hundred_thousand_tasks_and_a_million_messages_fit_in_bounded_memory() {
    let source = "(define tasks (map (fn (i) (async (async/sleep 0) (* 2 i))) (range 100000)))\n\
                  (println (length tasks) (foldl + 0 (async/all tasks)))\n\
                  (define ch (channel/new 16))\n\
                  (define consumers (map (fn (k) (async (let loop ((sum 0)) (let ((v (channel/recv ch))) (if (nil? v) sum (loop (+ sum v))))))) (range 4)))\n\
                  (let loop ((i 1)) (when (<= i 1000000) (channel/send ch i) (loop (+ i 1))))\n\
                  (channel/close ch)\n\
                  (println (foldl + 0 (async/all consumers)))\n";
    // --max-memory counts what the program allocates: all the tasks waiting at once
    // and the messages in flight stay under it.
    let (out, _) = run("tasks-many", source, &["--max-memory", "256m"]);
    assert!(out.success(), "{}", out.describe_end());
    assert_eq!(out.stdout_text(), "100000 9999900000\n500000500000\n");
}

#[test]
fn waiting_inside_a_builtins_callback_is_a_clear_error_for_now() {
    // Settled promises need no wait: awaiting them inside map works.
    let settled = "(println (map (fn (p) (await p)) (list (async/resolved 1) (async/resolved 2))))\n";
    let (out, _) = run("callback-settled", settled, &[]);
    assert_eq!(out.stdout_text(), "(1 2)\n", "{}", out.describe_end());
    let pending = "(define ps (map (fn (i) (async (async/sleep 1) i)) (range 3)))\n(println (map (fn (p) (await p)) ps))\n";
    let (out, _) = run("callback-pending", pending, &[]);
    assert_eq!(out.code(), Some(1));
    let first = out.stderr_text().lines().next().unwrap_or_default().to_string();
    assert_eq!(
        first,
        "Error: Eval error: a task cannot wait inside a function called by a builtin (map, for-each, apply ...) yet; \
         wait in the task's own code (docs/async.md)"
    );
}

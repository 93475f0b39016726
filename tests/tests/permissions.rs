//! Permissions (issue 11): `semarun --sandbox`, `--allowed-paths` and the Deno-style
//! `--allow-*` options, and what macros may do inside `semac`. A denied call raises a
//! catchable `:permission-denied` error naming the capability and the option that grants
//! it; paths are compared canonically, so neither `..` nor a symlink leads out.

use sema_e2e::{first_diagnostic, run_tool, write_file, Outcome, TempDir};

/// A program that tries each kind of access and prints what happened.
const PROBE: &str = r#"(define (probe label thunk)
  (println label (try (begin (thunk) "ok") (catch e (list (:type e) (:capability e) (:message e))))))
(probe "read-inside" (lambda () (file/read "data/inside.txt")))
(probe "read-outside" (lambda () (file/read "outside.txt")))
(probe "read-dotdot" (lambda () (file/read "data/../outside.txt")))
(probe "read-symlink" (lambda () (file/read "data/link.txt")))
(probe "write-inside" (lambda () (file/write "data/new.txt" "x")))
(probe "shell" (lambda () (shell "true")))
(probe "spawn" (lambda () (proc/wait (proc/spawn '("true")))))
(probe "env" (lambda () (env "HOME")))
(probe "environ" (lambda () (file/read "/proc/self/environ")))
"#;

/// Runs PROBE with `options` in a directory holding `data/inside.txt`, `outside.txt`
/// and `data/link.txt` -> `../outside.txt`.
fn probe(options: &[&str]) -> (TempDir, Outcome) {
    let dir = TempDir::new("permissions");
    write_file(dir.path(), "probe.sema", PROBE);
    write_file(dir.path(), "data/inside.txt", "inside");
    write_file(dir.path(), "outside.txt", "outside");
    std::os::unix::fs::symlink("../outside.txt", dir.path().join("data/link.txt")).unwrap();
    let out = run_tool("semac", dir.path(), &["probe.sema"]);
    assert!(out.success(), "{}", out.describe_end());
    let mut args = options.to_vec();
    args.push("probe.semb");
    let out = run_tool("semarun", dir.path(), &args);
    assert_eq!(out.code(), Some(0), "{}", out.describe_end());
    (dir, out)
}

/// The line of PROBE's output for `label`.
fn line<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines().find(|l| l.split(' ').next() == Some(label)).unwrap_or_else(|| panic!("no {label} in {out}"))
}

#[test]
fn by_default_everything_is_allowed() {
    let (_dir, out) = probe(&[]);
    let text = out.stdout_text();
    for label in ["read-inside", "read-outside", "read-dotdot", "read-symlink", "write-inside", "shell", "spawn", "env"] {
        assert_eq!(line(&text, label), format!("{label} ok"));
    }
}

#[test]
fn sandbox_all_denies_every_capability_with_the_option_that_grants_it() {
    let (_dir, out) = probe(&["--sandbox=all"]);
    let text = out.stdout_text();
    assert_eq!(
        line(&text, "read-inside"),
        r#"read-inside (:permission-denied "fs-read" "Permission denied: file/read requires 'fs-read' capability (grant it with --allow-read)")"#
    );
    assert_eq!(
        line(&text, "write-inside"),
        r#"write-inside (:permission-denied "fs-write" "Permission denied: file/write requires 'fs-write' capability (grant it with --allow-write)")"#
    );
    assert_eq!(
        line(&text, "shell"),
        r#"shell (:permission-denied "shell" "Permission denied: shell requires 'shell' capability (grant it with --allow-run)")"#
    );
    assert_eq!(
        line(&text, "spawn"),
        r#"spawn (:permission-denied "process" "Permission denied: proc/spawn requires 'process' capability (grant it with --allow-run)")"#
    );
    assert_eq!(
        line(&text, "env"),
        r#"env (:permission-denied "env-read" "Permission denied: env requires 'env-read' capability (grant it with --allow-env)")"#
    );
}

#[test]
fn sandbox_lists_and_strict_deny_what_they_name() {
    let (_dir, out) = probe(&["--sandbox", "no-shell,no-fs-write"]);
    let text = out.stdout_text();
    assert_eq!(line(&text, "read-outside"), "read-outside ok");
    assert!(line(&text, "write-inside").contains("(:permission-denied \"fs-write\""));
    assert!(line(&text, "shell").contains("(:permission-denied \"shell\""));
    assert_eq!(line(&text, "spawn"), "spawn ok");
    let (_dir, out) = probe(&["--sandbox=strict"]);
    let text = out.stdout_text();
    assert_eq!(line(&text, "read-outside"), "read-outside ok");
    assert_eq!(line(&text, "env"), "env ok");
    assert!(line(&text, "spawn").contains(":permission-denied"));
}

#[test]
fn allowed_paths_are_canonical_so_dotdot_and_symlinks_stay_inside() {
    for option in ["--allowed-paths=data", "--allow-read=data"] {
        let (dir, out) = probe(&[option]);
        let text = out.stdout_text();
        assert_eq!(line(&text, "read-inside"), "read-inside ok", "{option}");
        let outside = dir.path().canonicalize().unwrap().join("outside.txt");
        let denied = format!(
            "(:permission-denied \"fs-read\" \"Permission denied: file/read — path '{}' is outside allowed directories (grant it with --allow-read=DIR)\")",
            outside.display()
        );
        for label in ["read-outside", "read-dotdot", "read-symlink"] {
            assert_eq!(line(&text, label), format!("{label} {denied}"), "{option}");
        }
    }
}

#[test]
fn once_any_allow_option_is_given_the_rest_is_denied() {
    let (_dir, out) = probe(&["--allow-write=data", "--allow-read"]);
    let text = out.stdout_text();
    assert_eq!(line(&text, "read-outside"), "read-outside ok");
    assert_eq!(line(&text, "write-inside"), "write-inside ok");
    assert!(line(&text, "shell").contains(":permission-denied"));
    assert!(line(&text, "env").contains(":permission-denied"));
    // The environment is not readable as a file either without --allow-env.
    assert!(line(&text, "environ").contains("requires 'env-read' capability"), "{text}");
    let (_dir, out) = probe(&["--allow-run", "--allow-env=HOME"]);
    let text = out.stdout_text();
    assert_eq!(line(&text, "shell"), "shell ok");
    assert_eq!(line(&text, "spawn"), "spawn ok");
    assert_eq!(line(&text, "env"), "env ok");
    assert!(line(&text, "read-inside").contains(":permission-denied"));
}

#[test]
fn an_uncaught_denial_is_reported_and_exits_1() {
    let dir = TempDir::new("permission-uncaught");
    write_file(dir.path(), "main.sema", "(println \"start\")\n(shell \"true\")\n");
    assert!(run_tool("semac", dir.path(), &["main.sema"]).success());
    let out = run_tool("semarun", dir.path(), &["--sandbox=no-shell", "main.semb"]);
    assert_eq!(out.code(), Some(1), "{}", out.describe_end());
    assert_eq!(out.stdout_text(), "start\n");
    assert_eq!(
        out.stderr_text().lines().next(),
        Some("Error: Permission denied: shell requires 'shell' capability (grant it with --allow-run)")
    );
}

#[test]
fn bad_permission_options_are_usage_errors() {
    let dir = TempDir::new("permission-usage");
    write_file(dir.path(), "main.sema", "(println 1)\n");
    assert!(run_tool("semac", dir.path(), &["main.sema"]).success());
    for (args, message) in [
        (&["--sandbox=no-teleport", "main.semb"][..], "semarun: --sandbox: unknown capability: teleport"),
        (&["--allow-run=ls", "main.semb"][..], "semarun: --allow-run takes no value"),
    ] {
        let out = run_tool("semarun", dir.path(), args);
        assert_eq!(out.code(), Some(2), "{args:?}");
        assert_eq!(out.stderr_text().lines().next(), Some(message));
    }
}

#[test]
fn macros_read_only_under_the_program_directory_and_write_nothing() {
    let dir = TempDir::new("macro-io");
    write_file(dir.path(), "app/inside.txt", "inside");
    write_file(dir.path(), "secret.txt", "secret");
    let slurp = "(defmacro slurp (path) (file/read path))\n";
    write_file(dir.path(), "app/ok.sema", &format!("{slurp}(println (slurp \"app/inside.txt\"))\n"));
    let out = run_tool("semac", dir.path(), &["--run", "app/ok.sema"]);
    assert_eq!(out.stdout_text(), "inside\n", "{}", out.describe_end());

    write_file(dir.path(), "app/steal.sema", &format!("{slurp}(println (slurp \"secret.txt\"))\n"));
    let out = run_tool("semac", dir.path(), &["app/steal.sema"]);
    assert_eq!(out.code(), Some(1), "{}", out.describe_end());
    let first = first_diagnostic(&out.stderr_text()).unwrap_or_default();
    assert!(first.starts_with("steal.sema:2:10: error expanding macro slurp: Permission denied: file/read — path '"), "{first}");
    assert!(first.ends_with("(semac --macro-allow-io lifts this)"), "{first}");
    assert!(!dir.path().join("app/steal.semb").exists());
    let out = run_tool("semac", dir.path(), &["--macro-allow-io", "--run", "app/steal.sema"]);
    assert_eq!(out.stdout_text(), "secret\n", "{}", out.describe_end());

    let drop = "(defmacro drop () (begin (file/write \"app/dropped.txt\" \"x\") 1))\n(println (drop))\n";
    write_file(dir.path(), "app/drop.sema", drop);
    let out = run_tool("semac", dir.path(), &["app/drop.sema"]);
    assert_eq!(out.code(), Some(1), "{}", out.describe_end());
    assert!(out.stderr_text().contains("file/write requires 'fs-write' capability"), "{}", out.stderr_text());
    assert!(!dir.path().join("app/dropped.txt").exists());
}

#[test]
fn an_executable_carries_its_policy_and_limits_and_info_shows_them() {
    let dir = TempDir::new("baked-policy");
    write_file(dir.path(), "app.sema", PROBE);
    write_file(dir.path(), "data/inside.txt", "inside");
    write_file(dir.path(), "outside.txt", "outside");
    std::os::unix::fs::symlink("../outside.txt", dir.path().join("data/link.txt")).unwrap();
    let out = run_tool("semac", dir.path(), &["app.sema", "--exe", "-o", "app", "--sandbox=no-shell", "--allowed-paths=data", "--max-memory=64m"]);
    assert!(out.success(), "{}", out.describe_end());
    let mut cmd = std::process::Command::new(dir.path().join("app"));
    cmd.current_dir(dir.path());
    let out = sema_e2e::run_with_timeout(cmd, std::time::Duration::from_secs(60)).unwrap();
    let text = out.stdout_text();
    assert_eq!(line(&text, "read-inside"), "read-inside ok");
    assert!(line(&text, "read-symlink").contains("is outside allowed directories"), "{text}");
    assert!(line(&text, "shell").contains("(:permission-denied \"shell\""), "{text}");
    assert_eq!(line(&text, "spawn"), "spawn ok");
    let info = run_tool("semarun", dir.path(), &["--info", "app"]).stdout_text();
    assert!(info.contains("run options:    --sandbox=no-shell --allowed-paths=data --max-memory=64m\n"), "{info}");
    assert!(info.contains("permissions:    fs-read under "), "{info}");
    assert!(info.contains("; shell denied; process allowed;"), "{info}");
    // Options are checked when the executable is built.
    let out = run_tool("semac", dir.path(), &["app.sema", "--exe", "-o", "bad", "--sandbox=no-teleport"]);
    assert_eq!(out.code(), Some(2), "{}", out.describe_end());
    assert_eq!(out.stderr_text().lines().next(), Some("semac: --sandbox: unknown capability: teleport"));
}

#[test]
fn info_shows_what_a_program_can_reach_and_deny_early_refuses_before_it_starts() {
    let dir = TempDir::new("deny-early");
    write_file(dir.path(), "main.sema", "(println \"start\")\n(file/write \"out.txt\" \"x\")\n(println (shell \"true\"))\n");
    assert!(run_tool("semac", dir.path(), &["main.sema"]).success());
    let info = run_tool("semarun", dir.path(), &["--info", "main.semb"]).stdout_text();
    assert!(info.contains("reaches:        fs-write (file/write); shell (shell)\n"), "{info}");
    let out = run_tool("semarun", dir.path(), &["--sandbox=no-shell", "--deny-early", "main.semb"]);
    assert_eq!(out.code(), Some(2), "{}", out.describe_end());
    assert_eq!(out.stdout_text(), "", "the program started");
    assert_eq!(
        out.stderr_text().lines().next(),
        Some("semarun: main.semb: refusing to start (--deny-early): it needs shell (for shell; --allow-run), which the policy denies")
    );
    assert!(!dir.path().join("out.txt").exists());
    // Without --deny-early it starts and fails at the call.
    let out = run_tool("semarun", dir.path(), &["--sandbox=no-shell", "main.semb"]);
    assert_eq!((out.code(), out.stdout_text()), (Some(1), "start\n".to_string()));
    // Allowed: runs.
    assert_eq!(run_tool("semarun", dir.path(), &["--deny-early", "main.semb"]).code(), Some(0));
}

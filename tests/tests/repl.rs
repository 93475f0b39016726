//! The REPL through a pseudo-terminal, as a person uses it: a definition used on a
//! later line, an entry spread over several lines, an error that leaves the session
//! going, history kept across sessions, Ctrl-D to leave.

use std::process::Command;

use rexpect::session::spawn_command;
use sema_e2e::{tool, TempDir};

/// Milliseconds each expectation may wait.
const PATIENCE_MS: u64 = 30_000;

fn repl(dir: &TempDir, args: &[&str]) -> rexpect::session::PtySession {
    let mut command = Command::new(tool("semac"));
    command.args(args).current_dir(dir.path()).env("SEMA_HISTORY", dir.path().join("history")).env("NO_COLOR", "1");
    spawn_command(command, Some(PATIENCE_MS)).expect("semac starts on a pty")
}

#[test]
fn definitions_last_entries_span_lines_and_errors_keep_the_session() {
    let dir = TempDir::new("repl-session");
    let mut p = repl(&dir, &["--repl"]);
    p.exp_string("sema> ").unwrap();
    p.send_line("(define (square x) (* x x))").unwrap();
    p.exp_string("sema> ").unwrap();
    // A definition used on a later line.
    p.send_line("(square 12)").unwrap();
    p.exp_string("144").unwrap();
    p.exp_string("sema> ").unwrap();
    // An entry over three lines: continuation prompts until the form closes.
    p.send_line("(define total").unwrap();
    p.exp_string("  ... ").unwrap();
    p.send_line("  (+ (square 2)").unwrap();
    p.exp_string("  ... ").unwrap();
    p.send_line("     (square 3)))").unwrap();
    p.exp_string("sema> ").unwrap();
    p.send_line("total").unwrap();
    p.exp_string("13").unwrap();
    // An error is reported as an uncaught one, and the session goes on.
    p.send_line("(car total)").unwrap();
    p.exp_string("Error: Type error: expected list or vector, got int").unwrap();
    p.exp_string("car: expected list or vector, got 13").unwrap();
    p.exp_string("sema> ").unwrap();
    // A compile error too, with the entry's line.
    p.send_line("(if)").unwrap();
    p.exp_string("error: if expects 2 or 3 args").unwrap();
    p.exp_string("1 | (if)").unwrap();
    p.exp_string("sema> ").unwrap();
    p.send_line("(str \"still \" total)").unwrap();
    p.exp_string("\"still 13\"").unwrap();
    p.exp_string("sema> ").unwrap();
    // Ctrl-D leaves with status 0.
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
    let history = std::fs::read_to_string(dir.path().join("history")).unwrap();
    assert!(history.contains("(square 12)"), "{history}");
}

#[test]
fn semac_alone_on_a_terminal_starts_the_repl() {
    let dir = TempDir::new("repl-bare");
    let mut p = repl(&dir, &[]);
    p.exp_string("sema> ").unwrap();
    p.send_line("(+ 1 2)").unwrap();
    p.exp_string("3").unwrap();
    p.exp_string("sema> ").unwrap();
    p.send_line("(exit 3)").unwrap();
    p.exp_eof().unwrap();
    match p.process.wait().unwrap() {
        rexpect::process::wait::WaitStatus::Exited(_, code) => assert_eq!(code, 3),
        other => panic!("{other:?}"),
    }
}

#[test]
fn compile_errors_are_coloured_on_a_terminal_unless_no_color_is_set() {
    let dir = TempDir::new("repl-colour");
    std::fs::write(dir.path().join("bad.sema"), "(if)\n").unwrap();
    for (no_color, coloured) in [(None, true), (Some("1"), false)] {
        let mut command = Command::new(tool("semac"));
        command.arg("bad.sema").current_dir(dir.path()).env_remove("NO_COLOR");
        if let Some(value) = no_color {
            command.env("NO_COLOR", value);
        }
        let mut p = spawn_command(command, Some(PATIENCE_MS)).expect("semac starts on a pty");
        let shown = p.exp_eof().unwrap();
        assert!(shown.contains("if expects 2 or 3 args"), "{shown:?}");
        assert_eq!(shown.contains('\x1b'), coloured, "NO_COLOR={no_color:?}: {shown:?}");
    }
}

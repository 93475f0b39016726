//! `semarun --info` and `--verify` describe and check a bundle without running it.

use std::fs;
use std::process::Command;
use std::time::Duration;

use sema_e2e::{run_with_timeout, tool, TempDir};

fn semarun(dir: &std::path::Path, args: &[&str]) -> sema_e2e::Outcome {
    let mut cmd = Command::new(tool("semarun"));
    cmd.current_dir(dir).args(args);
    run_with_timeout(cmd, Duration::from_secs(60)).unwrap()
}

#[test]
fn info_and_verify_read_a_bundle_without_running_it() {
    let dir = TempDir::new("inspect");
    fs::write(dir.path().join("lib.sema"), "(define (f) 1)\n").unwrap();
    fs::write(dir.path().join("prog.sema"), "(import \"lib.sema\")\n(println \"ran\")\n").unwrap();
    let mut compile = Command::new(tool("semac"));
    compile.current_dir(dir.path()).args(["prog.sema", "-o", "prog.semb"]);
    assert!(run_with_timeout(compile, Duration::from_secs(60)).unwrap().success());

    let verify = semarun(dir.path(), &["--verify", "prog.semb"]);
    assert!(verify.success(), "{}", verify.stderr_text());
    assert_eq!(String::from_utf8_lossy(&verify.stdout), format!("prog.semb: ok (bundle, format version {}, verified)\n", bundle_format::FORMAT_VERSION));

    let info = semarun(dir.path(), &["--info", "prog.semb"]);
    assert!(info.success());
    let text = String::from_utf8_lossy(&info.stdout).into_owned();
    assert!(!text.contains("ran"), "--info must not run the program: {text}");
    for expected in [format!("format version: {}", bundle_format::FORMAT_VERSION).as_str(), "digest:", "functions:", "debug info:     yes", "kind:           bundle", "modules:        prog.sema, lib.sema"] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }

    fs::write(dir.path().join("text.semb"), "(println 1)\n").unwrap();
    let foreign = semarun(dir.path(), &["--verify", "text.semb"]);
    assert_eq!(foreign.code(), Some(2));
    assert_eq!(foreign.stderr_text().trim_end(), "semarun: text.semb: not a Sema bundle (bad magic bytes at offset 0)");
}

//! An executable for another target, built here from that target's `semarun`
//! (`semac --exe --runtime`), with no network and no cross compiler at build time:
//! an AArch64 program made on x86-64, run under qemu.
//!
//! Needs `SEMA_CROSS_RUNTIME` (a `semarun` built for aarch64-unknown-linux-gnu) and
//! `qemu-aarch64` with the AArch64 C library in `/usr/aarch64-linux-gnu`; `.ci/run`
//! sets them up. Without them the test says so and checks nothing.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use sema_e2e::{run_tool, run_with_timeout, write_file, TempDir};

#[test]
fn an_aarch64_executable_built_on_this_machine_runs_under_qemu() {
    let Some(runtime) = std::env::var_os("SEMA_CROSS_RUNTIME").filter(|r| !r.is_empty()) else {
        eprintln!("cross_target: SEMA_CROSS_RUNTIME is not set; skipped (see .ci/run)");
        return;
    };
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/benchmarks");
    let build = TempDir::new("cross-build");
    fs::copy(examples.join("1brc.sema"), build.path().join("1brc.sema")).unwrap();
    write_file(build.path(), "data/m.txt", &fs::read_to_string(examples.join("data/1brc-sample.txt")).unwrap());
    let runtime = runtime.to_string_lossy().into_owned();
    let out = run_tool("semac", build.path(), &["1brc.sema", "--exe", "--runtime", &runtime, "--include", "data", "-o", "app"]);
    assert!(out.success(), "{}", out.stderr_text());
    let exe = fs::read(build.path().join("app")).unwrap();
    const EM_AARCH64: u16 = 183;
    assert_eq!(u16::from_le_bytes([exe[0x12], exe[0x13]]), EM_AARCH64, "not an AArch64 executable");
    let verified = run_tool("semarun", build.path(), &["--verify", "app"]);
    assert_eq!(verified.stdout_text(), format!("app: ok (embedded program, format version {}, verified)\n", bundle_format::FORMAT_VERSION));

    let elsewhere = TempDir::new("cross-run");
    fs::rename(build.path().join("app"), elsewhere.path().join("app")).unwrap();
    drop(build);
    let mut qemu = Command::new("qemu-aarch64");
    qemu.current_dir(elsewhere.path()).args(["-L", "/usr/aarch64-linux-gnu", "./app", "--", "data/m.txt"]);
    let run = run_with_timeout(qemu, Duration::from_secs(120)).expect("qemu-aarch64");
    assert!(run.success(), "{}: {}", run.describe_end(), run.stderr_text());
    assert_eq!(run.stdout_text(), fs::read_to_string(examples.join("1brc.expected")).unwrap());
}

//! Every example program prints exactly its `.expected` output when compiled with
//! `semac` and run with `semarun` (the benchmark runner times them; this checks them).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sema_e2e::{compile_bundle, line_diff, run_with_timeout, tool, TempDir};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

#[test]
fn every_example_prints_its_expected_output() {
    let dir = examples_dir();
    let mut programs = vec![dir.join("hello.sema"), dir.join("log-report.sema")];
    let mut benchmarks: Vec<PathBuf> = std::fs::read_dir(dir.join("benchmarks"))
        .expect("examples/benchmarks")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sema"))
        .collect();
    benchmarks.sort();
    programs.extend(benchmarks);
    assert!(programs.len() >= 13, "expected hello, log-report and the eleven benchmark programs");

    let temp = TempDir::new("examples");
    let mut failures = Vec::new();
    for source in &programs {
        let name = source.file_stem().unwrap().to_string_lossy().into_owned();
        let bundle = temp.path().join(format!("{name}.semb"));
        if let Err(err) = compile_bundle(source, &bundle, &[], Duration::from_secs(60)) {
            failures.push(format!("{name}: does not compile: {err}"));
            continue;
        }
        let mut cmd = Command::new(tool("semarun"));
        cmd.arg(&bundle);
        if name == "1brc" {
            cmd.arg("--").arg(dir.join("benchmarks/data/1brc-sample.txt"));
        }
        let outcome = run_with_timeout(cmd, Duration::from_secs(120)).expect("run semarun");
        let expected = std::fs::read_to_string(source.with_extension("expected")).expect("expected output file");
        let actual = String::from_utf8_lossy(&outcome.stdout).into_owned();
        if !outcome.success() || actual != expected {
            failures.push(format!(
                "{name}: {}\n{}\n{}",
                outcome.describe_end(),
                line_diff(&expected, &actual, 20),
                outcome.stderr_text()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

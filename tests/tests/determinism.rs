//! `semac` must be deterministic: the bundle for a given source text must not depend on
//! the directory it is compiled in, nor on whether the source is named by a relative or
//! an absolute path.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sema_e2e::{copy_into, corpus_dir, run_with_timeout, tool, TempDir};

const TIMEOUT: Duration = Duration::from_secs(60);

fn hello_source() -> PathBuf {
    let p = corpus_dir().join("programs").join("hello.sema");
    assert!(p.is_file(), "missing {}", p.display());
    p
}

/// Runs `semac SOURCE -o OUTPUT` with `cwd` as working directory and returns the bundle.
fn compile(cwd: &Path, source: &Path, output: &str) -> Vec<u8> {
    let mut cmd = Command::new(tool("semac"));
    cmd.arg(source).arg("-o").arg(output).current_dir(cwd);
    let outcome = run_with_timeout(cmd, TIMEOUT).expect("cannot start semac");
    assert!(
        outcome.success(),
        "semac {} -o {} (in {}) failed: {}\n{}",
        source.display(),
        output,
        cwd.display(),
        outcome.describe_end(),
        outcome.stderr_text()
    );
    let bundle = cwd.join(output);
    fs::read(&bundle).unwrap_or_else(|e| panic!("cannot read bundle {}: {e}", bundle.display()))
}

fn assert_same(what: &str, a: &[u8], b: &[u8]) {
    if a == b {
        return;
    }
    let first_diff = a.iter().zip(b.iter()).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    panic!(
        "{what}: bundles differ (lengths {} and {}, first difference at byte offset {first_diff})",
        a.len(),
        b.len()
    );
}

#[test]
fn same_bundle_from_different_directories() {
    let src = hello_source();
    let dir_a = TempDir::new("determinism-a");
    // A second directory with a different (and longer) absolute path.
    let dir_b_root = TempDir::new("determinism-b-with-a-longer-name");
    let dir_b = dir_b_root.path().join("nested").join("deeper");
    fs::create_dir_all(&dir_b).unwrap();

    copy_into(&src, dir_a.path());
    copy_into(&src, &dir_b);
    let bundle_a = compile(dir_a.path(), Path::new("hello.sema"), "hello.semb");
    let bundle_b = compile(&dir_b, Path::new("hello.sema"), "hello.semb");
    assert!(!bundle_a.is_empty(), "empty bundle");
    assert_same("hello.sema compiled in two different directories", &bundle_a, &bundle_b);

    // Compiling twice in the same place is reproducible as well.
    let again = compile(dir_a.path(), Path::new("hello.sema"), "hello-again.semb");
    assert_same("hello.sema compiled twice in the same directory", &bundle_a, &again);
}

#[test]
fn same_bundle_for_absolute_and_relative_source_path() {
    let src = hello_source();
    let dir = TempDir::new("determinism-abs");
    let copied = copy_into(&src, dir.path());
    let absolute = fs::canonicalize(&copied).unwrap();
    assert!(absolute.is_absolute());

    let relative = compile(dir.path(), Path::new("hello.sema"), "relative.semb");
    let absolute_same_cwd = compile(dir.path(), &absolute, "absolute.semb");
    assert_same("relative vs absolute source path (same cwd)", &relative, &absolute_same_cwd);

    // Absolute source path while the working directory is somewhere else entirely.
    let elsewhere = TempDir::new("determinism-elsewhere");
    let absolute_other_cwd = compile(elsewhere.path(), &absolute, "hello.semb");
    assert_same("relative vs absolute source path (other cwd)", &relative, &absolute_other_cwd);
}

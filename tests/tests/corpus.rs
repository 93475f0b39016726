//! End-to-end conformance corpus: every `tests/corpus/**/NAME.sema` is compiled with
//! `semac` and run with `semarun`, and its behaviour is compared with the siblings
//!
//! * `NAME.out`    — exact expected stdout (required),
//! * `NAME.err`    — expected first lines of stderr, as many as the file has
//!   (optional): semac's when compilation fails, semarun's otherwise,
//! * `NAME.status` — expected exit status (optional, default 0),
//! * `NAME.args`   — command-line arguments, one per line (optional).
//!
//! Each program runs in its own fresh temporary working directory (programs may create
//! files with relative names there). The files of a `fixtures/` directory beside the
//! program are copied into `fixtures/` there, so the program reads them by the same
//! relative path as when it is run in its own directory. A program whose compilation fails must be an
//! expected compile error: non-zero `.status` and empty `.out` (and its `.err`, if
//! any, the start of what semac reports: `error: MESSAGE` and ` --> FILE:LINE:COL`).
//!
//! Environment knobs: `SEMA_BIN_DIR` (where `semac`/`semarun` live),
//! `SEMA_CORPUS_FILTER` (only programs whose relative path contains this substring),
//! `SEMA_CORPUS_JOBS` (parallelism, default 2), `SEMA_CORPUS_TIMEOUT_SECS` (per process,
//! default 60).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use sema_e2e::{corpus_dir, line_diff, run_with_timeout, tool, TempDir};

const SIBLING_EXTS: [&str; 4] = ["out", "err", "status", "args"];

struct Case {
    /// Path relative to the corpus root, with `/` separators (for reports).
    rel: String,
    source: PathBuf,
}

struct Expected {
    stdout: Vec<u8>,
    first_stderr_lines: Option<Vec<String>>,
    status: i32,
    args: Vec<String>,
}

fn collect(dir: &Path, root: &Path, cases: &mut Vec<Case>, siblings: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, root, cases, siblings);
            continue;
        }
        match path.extension().and_then(|e| e.to_str()) {
            Some("sema") => {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                cases.push(Case { rel, source: path });
            }
            Some(ext) if SIBLING_EXTS.contains(&ext) => siblings.push(path),
            _ => {}
        }
    }
}

fn read_expected(source: &Path) -> Result<Expected, String> {
    let sib = |ext: &str| source.with_extension(ext);
    let stdout = fs::read(sib("out")).map_err(|e| {
        format!("missing or unreadable expected-output file {}: {e}", sib("out").display())
    })?;
    let first_stderr_lines = match fs::read_to_string(sib("err")) {
        // An empty file: stderr's first line is empty (nothing written).
        Ok(text) if text.is_empty() => Some(vec![String::new()]),
        Ok(text) => Some(text.lines().map(|line| line.trim_end_matches('\r').to_string()).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {}: {e}", sib("err").display())),
    };
    let status = match fs::read_to_string(sib("status")) {
        Ok(text) => text
            .trim()
            .parse::<i32>()
            .map_err(|e| format!("bad status file {}: {e}", sib("status").display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(format!("cannot read {}: {e}", sib("status").display())),
    };
    let args = match fs::read_to_string(sib("args")) {
        Ok(text) => text.lines().map(|l| l.trim_end_matches('\r').to_string()).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", sib("args").display())),
    };
    Ok(Expected { stdout, first_stderr_lines, status, args })
}

/// How the first lines of `stderr` differ from the `.err` file, if they do.
fn stderr_start_differs(expected: &Expected, stderr: &str) -> Option<String> {
    let want = expected.first_stderr_lines.as_ref()?;
    // A line stderr does not have reads as empty.
    let got: Vec<&str> = stderr.lines().chain(std::iter::repeat("")).take(want.len()).map(|line| line.trim_end_matches('\r')).collect();
    (got != *want).then(|| format!("first stderr lines differ:\n  - {}\n  + {}", want.join("\n    "), got.join("\n    ")))
}

fn stderr_excerpt(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().take(8).collect();
    if lines.is_empty() {
        "  (stderr empty)\n".to_string()
    } else {
        lines.iter().map(|l| format!("  | {l}\n")).collect()
    }
}

/// Copies the files of the `fixtures/` directory beside `source`, if any, into
/// `work/fixtures/`.
fn copy_fixtures(source: &Path, work: &Path) -> Result<(), String> {
    let dir = source.parent().unwrap().join("fixtures");
    let Ok(entries) = fs::read_dir(&dir) else { return Ok(()) };
    fs::create_dir(work.join("fixtures")).map_err(|e| format!("cannot create fixtures/: {e}"))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?.path();
        if path.is_file() {
            fs::copy(&path, work.join("fixtures").join(path.file_name().unwrap()))
                .map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// Runs one case; `Ok(())` on success, `Err(report)` on failure.
fn run_case(case: &Case, semac: &Path, semarun: &Path, timeout: Duration) -> Result<(), String> {
    let expected = read_expected(&case.source)?;
    let stem = case.source.file_stem().unwrap().to_string_lossy().into_owned();
    let tmp = TempDir::new(&stem);
    let src_name = format!("{stem}.sema");
    let bundle_name = format!("{stem}.semb");
    fs::copy(&case.source, tmp.path().join(&src_name))
        .map_err(|e| format!("cannot copy source into temp dir: {e}"))?;
    copy_fixtures(&case.source, tmp.path())?;

    let mut compile = Command::new(semac);
    compile.arg(&src_name).arg("-o").arg(&bundle_name).current_dir(tmp.path());
    let compiled = run_with_timeout(compile, timeout).map_err(|e| format!("cannot start semac: {e}"))?;

    if !compiled.success() {
        // Only an expected compile error may fail here.
        let expects_compile_error = expected.status != 0 && expected.stdout.is_empty();
        if expects_compile_error && !compiled.timed_out {
            return match stderr_start_differs(&expected, &compiled.stderr_text()) {
                Some(problem) => Err(format!("{problem}\nsemac's stderr:\n{}", stderr_excerpt(&compiled.stderr))),
                None => Ok(()),
            };
        }
        return Err(format!(
            "semac failed ({}) but the program is not an expected compile error \
             (expected status {}, expected stdout {} bytes)\n{}",
            compiled.describe_end(),
            expected.status,
            expected.stdout.len(),
            stderr_excerpt(&compiled.stderr)
        ));
    }

    let mut run = Command::new(semarun);
    run.arg(&bundle_name).arg("--").args(&expected.args).current_dir(tmp.path());
    let ran = run_with_timeout(run, timeout).map_err(|e| format!("cannot start semarun: {e}"))?;

    let mut problems = Vec::new();
    if ran.timed_out {
        problems.push(format!("semarun {}", ran.describe_end()));
    }
    if ran.stdout != expected.stdout {
        let exp = String::from_utf8_lossy(&expected.stdout);
        let act = String::from_utf8_lossy(&ran.stdout);
        problems.push(format!(
            "stdout differs (- expected, + actual):\n{}",
            line_diff(&exp, &act, 60).trim_end()
        ));
    }
    if let Some(problem) = stderr_start_differs(&expected, &ran.stderr_text()) {
        problems.push(problem);
    }
    if !ran.timed_out && ran.code() != Some(expected.status) {
        problems.push(format!(
            "exit status: expected {}, got {}",
            expected.status,
            ran.describe_end()
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        let mut report = problems.join("\n");
        if expected.first_stderr_lines.is_none() || !ran.stderr.is_empty() {
            report.push_str("\nstderr:\n");
            report.push_str(&stderr_excerpt(&ran.stderr));
        }
        Err(report)
    }
}

#[test]
fn corpus() {
    let root = corpus_dir();
    let mut cases = Vec::new();
    let mut siblings = Vec::new();
    collect(&root, &root, &mut cases, &mut siblings);
    assert!(!cases.is_empty(), "no .sema programs found under {}", root.display());

    // Sibling files without a program are almost certainly typos in a file name.
    let sources: BTreeSet<PathBuf> = cases.iter().map(|c| c.source.with_extension("")).collect();
    let orphans: Vec<String> = siblings
        .iter()
        .filter(|p| !sources.contains(&p.with_extension("")))
        .map(|p| p.display().to_string())
        .collect();

    if let Ok(filter) = std::env::var("SEMA_CORPUS_FILTER") {
        if !filter.is_empty() {
            cases.retain(|c| c.rel.contains(&filter));
        }
    }
    let total = cases.len();

    let semac = tool("semac");
    let semarun = tool("semarun");
    let jobs = std::env::var("SEMA_CORPUS_JOBS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(2);
    let timeout = Duration::from_secs(
        std::env::var("SEMA_CORPUS_TIMEOUT_SECS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(60),
    );

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Result<(), String>)>> = Mutex::new(Vec::with_capacity(total));
    thread::scope(|scope| {
        for _ in 0..jobs.min(total.max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= total {
                    break;
                }
                let case = &cases[i];
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run_case(case, &semac, &semarun, timeout)
                }))
                .unwrap_or_else(|_| Err("harness panicked while running this case".to_string()));
                results.lock().unwrap().push((i, result));
            });
        }
    });

    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    let mut failures = Vec::new();
    for (i, result) in &results {
        if let Err(report) = result {
            failures.push(format!("=== FAIL {}\n{}\n", cases[*i].rel, report.trim_end()));
        }
    }
    for orphan in &orphans {
        failures.push(format!("=== FAIL {orphan}\nexpectation file without a matching .sema program\n"));
    }
    let passed = results.iter().filter(|(_, r)| r.is_ok()).count();
    let summary = format!(
        "corpus: {passed} passed, {} failed, {total} programs{}",
        total - passed,
        if orphans.is_empty() { String::new() } else { format!(", {} orphan expectation files", orphans.len()) }
    );
    println!("{summary}");
    if !failures.is_empty() {
        panic!("\n{}\n{summary}", failures.join("\n"));
    }
}

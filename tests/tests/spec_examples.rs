//! Conformance corpus from the language spec: every runnable `EXPR → RESULT` and
//! `EXPR → ERR :kind: message` example of `LANGUAGE.md`, extracted by
//! `tests/spec/extract.py` into `tests/spec/cases.tsv`, runs through the real `semac --run`
//! (so `eval`/`read` examples work).
//!
//! * `cases_follow_the_spec` re-runs the extractor on `../shared/LANGUAGE.md` (beside the
//!   repository) and fails when the committed `cases.tsv`/`skipped.tsv` differ from its
//!   output. Skipped, with a note, when the spec or `python3` is not there.
//! * `spec_examples` batches the cases into programs — a value case prints
//!   `(print EXPR)` (the repr, which is how the spec shows results), an error case prints
//!   `(list (get e :type) (get e :message))` of the caught error — each case wrapped in its
//!   own `try` and preceded by a marker line. A batch that does not run to its end (a
//!   compile error, a crash, a timeout) is re-run one program per case that did not
//!   finish. `tests/spec/known-failures.tsv` lists the ids expected to fail, each with a
//!   reason; the test fails on any other failing case (a regression) and on any listed
//!   case that now passes (remove it from the list), or a listed id that no longer exists.
//!
//! Environment knobs: `SEMA_BIN_DIR` (where `semac` lives), `SEMA_SPEC_PATH` (the spec;
//! default `../shared/LANGUAGE.md` relative to the repository root), `SEMA_SPEC_FILTER`
//! (only cases whose id or expression contains this substring; the known-failure list is
//! then only checked for the cases that ran), `SEMA_SPEC_JOBS` (parallel programs,
//! default: available cores), `SEMA_SPEC_BATCH` (cases per program, default 25),
//! `SEMA_SPEC_TIMEOUT_SECS` (per program, default 60), `SEMA_SPEC_VERBOSE=1` (also print
//! every known failure with its actual output).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use sema_e2e::{line_diff, run_with_timeout, tool, TempDir};

const CASE_MARK: &str = "\n@@sema-spec-case ";
const MARK_TAIL: &str = "@@\n";
const END_MARK: &str = "\n@@sema-spec-end@@\n";

fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("spec")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

fn spec_path() -> PathBuf {
    match std::env::var_os("SEMA_SPEC_PATH") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => repo_root().join("..").join("shared").join("LANGUAGE.md"),
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).filter(|&n| n > 0).unwrap_or(default)
}

fn regenerate_command() -> String {
    format!("python3 tests/spec/extract.py {}", spec_path().display())
}

// ---------------------------------------------------------------------------------------
// The extractor's output is current

#[test]
fn cases_follow_the_spec() {
    let spec = spec_path();
    if !spec.is_file() {
        println!("note: {} not found; skipping the check that tests/spec/cases.tsv follows the spec", spec.display());
        return;
    }
    let python_ok = Command::new("python3").arg("--version").output().map(|o| o.status.success()).unwrap_or(false);
    if !python_ok {
        println!("note: python3 not found; skipping the check that tests/spec/cases.tsv follows the spec");
        return;
    }
    let out = TempDir::new("spec-extract");
    let mut cmd = Command::new("python3");
    cmd.arg(spec_dir().join("extract.py")).arg(&spec).arg("--out-dir").arg(out.path());
    let run = run_with_timeout(cmd, Duration::from_secs(120)).expect("cannot start python3");
    assert!(run.success(), "tests/spec/extract.py failed ({}):\n{}", run.describe_end(), run.stderr_text());
    let mut stale = String::new();
    for name in ["cases.tsv", "skipped.tsv"] {
        let committed = fs::read_to_string(spec_dir().join(name)).unwrap_or_default();
        let fresh = fs::read_to_string(out.path().join(name))
            .unwrap_or_else(|e| panic!("extract.py did not write {name}: {e}"));
        if committed != fresh {
            stale.push_str(&format!(
                "tests/spec/{name} is out of date (- committed, + extracted now):\n{}\n",
                line_diff(&committed, &fresh, 60)
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "{stale}The spec changed since the corpus was extracted. Regenerate it from the repository root with\n  {}\nand review known-failures.tsv (ids are SECTION-ordinal and may have moved).",
        regenerate_command()
    );
}

// ---------------------------------------------------------------------------------------
// Running the cases

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Value,
    Error,
}

#[derive(Debug)]
struct Case {
    id: String,
    kind: Kind,
    expr: String,
    /// Value: the expected printed repr. Error: `:kind: message` or `:kind`.
    expected: String,
}

/// Reverses extract.py's escaping of tabs, newlines, CRs and backslashes.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn load_cases() -> Vec<Case> {
    let path = spec_dir().join("cases.tsv");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut cases = Vec::new();
    let mut seen = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        if n == 0 && line.starts_with("id\t") {
            continue;
        }
        if line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 5, "{}:{}: expected 5 tab-separated columns: {line}", path.display(), n + 1);
        let kind = match cols[2] {
            "value" => Kind::Value,
            "error" => Kind::Error,
            other => panic!("{}:{}: unknown kind {other:?}", path.display(), n + 1),
        };
        assert!(seen.insert(cols[0].to_string()), "{}: duplicate id {}", path.display(), cols[0]);
        cases.push(Case { id: cols[0].to_string(), kind, expr: unescape(cols[3]), expected: unescape(cols[4]) });
    }
    cases
}

/// `id<TAB>reason` lines; blank lines and `#` comments are ignored.
fn load_known_failures() -> BTreeMap<String, String> {
    let path = spec_dir().join("known-failures.tsv");
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(_) => return BTreeMap::new(),
    };
    let mut known = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (id, reason) = line.split_once('\t').unwrap_or((line, ""));
        assert!(
            !reason.trim().is_empty(),
            "{}:{}: known failure {id} needs a reason after a tab",
            path.display(),
            n + 1
        );
        assert!(
            known.insert(id.trim().to_string(), reason.trim().to_string()).is_none(),
            "{}:{}: duplicate id {id}",
            path.display(),
            n + 1
        );
    }
    known
}

/// The repr `print` gives a string (LANGUAGE.md §4.1).
fn string_repr(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What the case prints when it behaves as the spec says (for the report), and whether
/// `actual` matches.
fn check(case: &Case, actual: &str) -> (String, bool) {
    match case.kind {
        Kind::Value => (case.expected.clone(), actual == case.expected),
        Kind::Error => match case.expected.split_once(": ") {
            Some((kind, message)) => {
                let want = format!("({kind} {})", string_repr(message));
                let ok = actual == want;
                (want, ok)
            }
            None => {
                let kind = case.expected.trim();
                (format!("({kind} \"...\")"), actual.starts_with(&format!("({kind} \"")) && actual.ends_with("\")"))
            }
        },
    }
}

fn case_source(case: &Case) -> String {
    let mut s =
        format!("(display \"{}{}{}\")\n", CASE_MARK.replace('\n', "\\n"), case.id, MARK_TAIL.replace('\n', "\\n"));
    match case.kind {
        Kind::Value => s.push_str(&format!(
            "(try (print\n{}\n) (catch e (print (list 'raised (get e :type) (get e :message)))))\n",
            case.expr
        )),
        Kind::Error => s.push_str(&format!(
            "(try (print (list 'no-error\n{}\n)) (catch e (print (list (get e :type) (get e :message)))))\n",
            case.expr
        )),
    }
    s
}

fn program(cases: &[&Case]) -> String {
    let mut s = String::from(";; generated by tests/tests/spec_examples.rs from tests/spec/cases.tsv\n");
    for case in cases {
        s.push_str(&case_source(case));
    }
    s.push_str(&format!("(display \"{}\")\n", END_MARK.replace('\n', "\\n")));
    s
}

/// Splits a program's stdout into the output of each case. A case's output is complete
/// when another marker follows it.
fn split_output(stdout: &str) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut complete = BTreeMap::new();
    let mut partial = BTreeMap::new();
    let mut rest = match stdout.find(CASE_MARK) {
        Some(p) => &stdout[p..],
        None => return (complete, partial),
    };
    while let Some(tail) = rest.strip_prefix(CASE_MARK) {
        let Some(idend) = tail.find(MARK_TAIL) else { break };
        let id = tail[..idend].to_string();
        let body = &tail[idend + MARK_TAIL.len()..];
        let next = [body.find(CASE_MARK), body.find(END_MARK)].into_iter().flatten().min();
        match next {
            Some(n) => {
                complete.insert(id, body[..n].to_string());
                rest = &body[n..];
            }
            None => {
                partial.insert(id, body.to_string());
                break;
            }
        }
    }
    (complete, partial)
}

fn first_line(s: &str) -> &str {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or("")
}

/// Runs one program; returns the complete outputs per case id, and for the cases that did
/// not finish, what happened to them.
fn run_program(
    cases: &[&Case],
    semac: &Path,
    timeout: Duration,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let dir = TempDir::new("spec");
    let src = dir.path().join("spec_cases.sema");
    fs::write(&src, program(cases)).expect("write program");
    let mut cmd = Command::new(semac);
    cmd.current_dir(dir.path()).arg("--run").arg("spec_cases.sema");
    let out = match run_with_timeout(cmd, timeout) {
        Ok(o) => o,
        Err(e) => panic!("cannot start {}: {e}", semac.display()),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (complete, partial) = split_output(&stdout);
    let mut unfinished = BTreeMap::new();
    let how = format!("[{}: {}]", out.describe_end(), first_line(&out.stderr_text()));
    for case in cases {
        if complete.contains_key(&case.id) {
            continue;
        }
        let printed = partial.get(&case.id).cloned().unwrap_or_default();
        unfinished.insert(case.id.clone(), format!("{printed}{how}"));
    }
    if unfinished.is_empty() && !(out.success() && stdout.ends_with(END_MARK)) {
        // Every case finished but the program did not end normally: report it on the
        // last case so it is not lost.
        if let Some(last) = cases.last() {
            let printed = complete.get(&last.id).cloned().unwrap_or_default();
            let mut complete = complete;
            complete.remove(&last.id);
            unfinished.insert(last.id.clone(), format!("{printed}{how}"));
            return (complete, unfinished);
        }
    }
    (complete, unfinished)
}

#[test]
fn spec_examples() {
    let semac = tool("semac");
    let all = load_cases();
    let known = load_known_failures();
    let filter = std::env::var("SEMA_SPEC_FILTER").ok().filter(|f| !f.is_empty());
    let cases: Vec<&Case> = all
        .iter()
        .filter(|c| filter.as_ref().is_none_or(|f| c.id.contains(f.as_str()) || c.expr.contains(f.as_str())))
        .collect();
    let skipped_count = fs::read_to_string(spec_dir().join("skipped.tsv"))
        .map(|t| t.lines().skip(1).filter(|l| !l.is_empty()).count())
        .unwrap_or(0);
    let jobs = env_usize("SEMA_SPEC_JOBS", thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    let batch = env_usize("SEMA_SPEC_BATCH", 25);
    let timeout = Duration::from_secs(env_usize("SEMA_SPEC_TIMEOUT_SECS", 60) as u64);

    // Batches first; then, one program per case that did not finish in its batch.
    let batches: Vec<&[&Case]> = cases.chunks(batch).collect();
    let results: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());
    let retry: Mutex<Vec<&Case>> = Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    thread::scope(|scope| {
        for _ in 0..jobs.min(batches.len()).max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(b) = batches.get(i) else { break };
                let (done, unfinished) = run_program(b, &semac, timeout);
                results.lock().unwrap().extend(done);
                let mut r = retry.lock().unwrap();
                r.extend(b.iter().filter(|c| unfinished.contains_key(&c.id)).copied());
            });
        }
    });
    let retry = retry.into_inner().unwrap();
    let next = AtomicUsize::new(0);
    thread::scope(|scope| {
        for _ in 0..jobs.min(retry.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(case) = retry.get(i) else { break };
                let (done, unfinished) = run_program(&[*case], &semac, timeout);
                let mut r = results.lock().unwrap();
                r.extend(done);
                r.extend(unfinished);
            });
        }
    });
    let results = results.into_inner().unwrap();

    let mut passed = 0usize;
    let mut known_failed = 0usize;
    let mut regressions = Vec::new();
    let mut now_passing = Vec::new();
    let mut verbose = Vec::new();
    for case in &cases {
        let actual = results.get(&case.id).map(String::as_str).unwrap_or("[no output]");
        let (want, ok) = check(case, actual);
        let report = format!(
            "{} ({}): {}\n    expected: {}\n    actual:   {}",
            case.id,
            if case.kind == Kind::Value { "value" } else { "error" },
            case.expr.replace('\n', " "),
            want,
            actual.replace('\n', "\\n")
        );
        match (ok, known.get(&case.id)) {
            (true, None) => passed += 1,
            (true, Some(reason)) => {
                passed += 1;
                now_passing.push(format!(
                    "{} ({}) now passes — remove it from tests/spec/known-failures.tsv: {}",
                    case.id, reason, case.expr
                ));
            }
            (false, Some(reason)) => {
                known_failed += 1;
                verbose.push(format!("{report}\n    known failure: {reason}"));
            }
            (false, None) => regressions.push(report),
        }
    }
    let ids: BTreeSet<&str> = all.iter().map(|c| c.id.as_str()).collect();
    let stale: Vec<&String> =
        if filter.is_none() { known.keys().filter(|k| !ids.contains(k.as_str())).collect() } else { Vec::new() };

    if std::env::var("SEMA_SPEC_VERBOSE").is_ok_and(|v| !v.is_empty() && v != "0") {
        for v in &verbose {
            println!("{v}");
        }
    }
    println!(
        "spec examples: {} cases, {} passed, {} known failures, {} skipped by the extractor",
        cases.len(),
        passed,
        known_failed,
        skipped_count
    );
    let mut problems = String::new();
    if !regressions.is_empty() {
        problems.push_str(&format!(
            "{} spec example(s) fail and are not in tests/spec/known-failures.tsv:\n{}\n",
            regressions.len(),
            regressions.join("\n")
        ));
    }
    if !now_passing.is_empty() {
        problems.push_str(&format!("{}\n", now_passing.join("\n")));
    }
    if !stale.is_empty() {
        problems.push_str(&format!(
            "tests/spec/known-failures.tsv names ids that are not in cases.tsv (remove them, or the spec moved them): {}\n",
            stale.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    assert!(problems.is_empty(), "{problems}");
}

//! Shared helpers for the end-to-end tests in `tests/tests/`.
//!
//! The tests drive the real `semac` and `semarun` binaries. They are located in
//! `$SEMA_BIN_DIR` when that variable is set, otherwise in the cargo profile directory
//! that holds the test executable (`target/<profile>/deps/corpus-xxxx` →
//! `target/<profile>/`). This library deliberately depends on no other workspace crate
//! (only the mutation and bundle-error tests use `bundle-format`, as a dev-dependency),
//! so `cargo test -p sema-e2e` builds little beyond the tests themselves.

use std::ffi::OsStr;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Directory expected to contain `semac` and `semarun`.
pub fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SEMA_BIN_DIR") {
        if !dir.is_empty() {
            return PathBuf::from(dir);
        }
    }
    let exe = std::env::current_exe().expect("cannot determine the test executable path");
    // target/<profile>/deps/<test-binary>  →  target/<profile>/
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| panic!("unexpected test executable location: {}", exe.display()))
}

/// Absolute path of one of the toolchain binaries (`"semac"` or `"semarun"`).
/// Panics with instructions when it has not been built.
pub fn tool(name: &str) -> PathBuf {
    let dir = bin_dir();
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !path.is_file() {
        let profile = dir.file_name().and_then(OsStr::to_str).unwrap_or("");
        let build = match profile {
            "release" => "cargo build --release".to_string(),
            "debug" => "cargo build".to_string(),
            other => format!("cargo build --profile {other}"),
        };
        panic!(
            "`{name}` not found at {}.\n\
             Build the toolchain first, with the same profile and target directory as this \
             test run: `{build}` (e.g. `cargo build --release && cargo test --release -p \
             sema-e2e`, or `cargo build && cargo test -p sema-e2e`), or set SEMA_BIN_DIR to \
             the directory that holds `semac` and `semarun`.",
            path.display()
        );
    }
    path
}

/// `tests/corpus/` of this package.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// A fresh, uniquely named directory under the system temp dir; removed on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::temp_dir();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let tag: String = tag
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .collect();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::SeqCst);
            let path = base.join(format!("sema-e2e-{}-{}-{:x}-{}", std::process::id(), n, nanos, tag));
            match fs::create_dir(&path) {
                Ok(()) => return TempDir { path },
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("cannot create temp dir {}: {e}", path.display()),
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// What a finished (or killed) child process produced.
#[derive(Debug)]
pub struct Outcome {
    pub status: Option<ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub timed_out: bool,
    pub elapsed: Duration,
}

impl Outcome {
    /// The exit code, or `None` when the process was killed by a signal / timed out.
    pub fn code(&self) -> Option<i32> {
        if self.timed_out {
            return None;
        }
        self.status.and_then(|s| s.code())
    }

    pub fn success(&self) -> bool {
        self.code() == Some(0)
    }

    /// Human readable description of how the process ended.
    pub fn describe_end(&self) -> String {
        if self.timed_out {
            return format!("timed out after {:.1}s and was killed", self.elapsed.as_secs_f64());
        }
        match self.status {
            Some(s) => match s.code() {
                Some(c) => format!("exit status {c}"),
                None => format!("terminated abnormally ({s})"),
            },
            None => "no exit status".to_string(),
        }
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// The compile errors and warnings semac wrote in `stderr`, one string each:
/// `FILE:LINE:COL: MESSAGE` for an error, `FILE:LINE:COL: warning: MESSAGE` for a
/// warning, without their source lines and help. For tests about what is reported;
/// the layout itself is tested in cli.rs.
pub fn diagnostics(stderr: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut lines = stderr.lines().peekable();
    while let Some(line) = lines.next() {
        let (label, message) = if let Some(message) = line.strip_prefix("error: ") {
            ("", message)
        } else if let Some(message) = line.strip_prefix("warning: ") {
            ("warning: ", message)
        } else {
            continue;
        };
        match lines.peek().and_then(|next| next.trim_start().strip_prefix("--> ")) {
            Some(position) => found.push(format!("{position}: {label}{message}")),
            None => found.push(format!("{label}{message}")),
        }
    }
    found
}

/// The first of `diagnostics(stderr)`.
pub fn first_diagnostic(stderr: &str) -> Option<String> {
    diagnostics(stderr).into_iter().next()
}

/// Writes `text` to `dir/name`, creating the directories on the way.
pub fn write_file(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().expect("a file inside dir")).expect("create directories");
    fs::write(path, text).expect("write file");
}

/// Runs one of the toolchain binaries in `dir` with `args`, with a 60 s timeout.
pub fn run_tool(name: &str, dir: &Path, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(tool(name));
    cmd.current_dir(dir).args(args);
    run_with_timeout(cmd, Duration::from_secs(60)).unwrap_or_else(|e| panic!("cannot run {name}: {e}"))
}

/// Spawns `cmd`, retrying for a while when the kernel says the program file is busy.
/// A test that writes an executable and then runs it can meet ETXTBSY: another test
/// thread may fork while the file is still open for writing, and its child holds the
/// descriptor until it execs. The window is short, so a bounded retry ends it.
fn spawn_when_not_busy(cmd: &mut Command) -> io::Result<Child> {
    let mut attempts = 0;
    loop {
        match cmd.spawn() {
            Err(e) if e.kind() == io::ErrorKind::ExecutableFileBusy && attempts < 100 => {
                attempts += 1;
                thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Runs `cmd` with stdin closed and stdout/stderr captured, killing it after `timeout`.
pub fn run_with_timeout(mut cmd: Command, timeout: Duration) -> io::Result<Outcome> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = spawn_when_not_busy(&mut cmd)?;
    let mut out_pipe = child.stdout.take().expect("piped stdout");
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let (out_tx, out_rx) = mpsc::channel();
    let (err_tx, err_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        let _ = out_tx.send(buf);
    });
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        let _ = err_tx.send(buf);
    });
    let mut timed_out = false;
    let status = loop {
        match child.try_wait()? {
            Some(status) => break Some(status),
            None => {
                if start.elapsed() >= timeout {
                    timed_out = true;
                    let _ = child.kill();
                    break child.wait().ok();
                }
                thread::sleep(Duration::from_millis(5));
            }
        }
    };
    let elapsed = start.elapsed();
    // The pipes normally close when the child exits. A grandchild could keep them open,
    // so never wait for the readers for long after the child itself has gone.
    let grace = Duration::from_secs(if timed_out { 2 } else { 10 });
    let stdout = out_rx.recv_timeout(grace).unwrap_or_default();
    let stderr = err_rx.recv_timeout(grace).unwrap_or_default();
    Ok(Outcome { status, stdout, stderr, timed_out, elapsed })
}

/// A line-based diff of `expected` vs `actual`, unified-style (`-` expected, `+` actual,
/// two lines of context), capped to `max_lines` output lines.
pub fn line_diff(expected: &str, actual: &str, max_lines: usize) -> String {
    let a: Vec<&str> = split_lines_keep_last(expected);
    let b: Vec<&str> = split_lines_keep_last(actual);
    let ops = diff_ops(&a, &b);
    // Mark which ops are near a change (context of 2).
    let n = ops.len();
    let mut keep = vec![false; n];
    for (i, op) in ops.iter().enumerate() {
        if !matches!(op, Op::Same(_)) {
            let lo = i.saturating_sub(2);
            let hi = (i + 2).min(n.saturating_sub(1));
            for k in keep.iter_mut().take(hi + 1).skip(lo) {
                *k = true;
            }
        }
    }
    let mut out = String::new();
    if expected.ends_with('\n') != actual.ends_with('\n') && !(expected.is_empty() || actual.is_empty()) {
        out.push_str(&format!(
            "  (final newline: expected {}, actual {})\n",
            if expected.ends_with('\n') { "present" } else { "missing" },
            if actual.ends_with('\n') { "present" } else { "missing" }
        ));
    }
    let mut lines = 0usize;
    let mut skipped = false;
    for (i, op) in ops.iter().enumerate() {
        if !keep[i] {
            skipped = true;
            continue;
        }
        if skipped {
            out.push_str("   ...\n");
            skipped = false;
        }
        if lines >= max_lines {
            out.push_str("   ... (diff truncated)\n");
            return out;
        }
        let (mark, text) = match op {
            Op::Same(t) => (' ', *t),
            Op::Del(t) => ('-', *t),
            Op::Add(t) => ('+', *t),
        };
        out.push_str(&format!("  {mark} {}\n", visible(text)));
        lines += 1;
    }
    if skipped {
        out.push_str("   ...\n");
    }
    out
}

/// Splits on '\n' (a final newline does not start another line).
fn split_lines_keep_last(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut v: Vec<&str> = s.split('\n').collect();
    if s.ends_with('\n') {
        v.pop();
    }
    v
}

fn visible(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

enum Op<'a> {
    Same(&'a str),
    Del(&'a str),
    Add(&'a str),
}

fn diff_ops<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Op<'a>> {
    // Trim common prefix/suffix, then LCS on the middle (bounded size).
    let mut pre = 0;
    while pre < a.len() && pre < b.len() && a[pre] == b[pre] {
        pre += 1;
    }
    let mut suf = 0;
    while suf < a.len() - pre && suf < b.len() - pre && a[a.len() - 1 - suf] == b[b.len() - 1 - suf] {
        suf += 1;
    }
    let am = &a[pre..a.len() - suf];
    let bm = &b[pre..b.len() - suf];
    let mut ops: Vec<Op<'a>> = a[..pre].iter().copied().map(Op::Same).collect();
    if am.len().saturating_mul(bm.len()) <= 4_000_000 {
        let (n, m) = (am.len(), bm.len());
        let mut lcs = vec![vec![0u32; m + 1]; n + 1];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i][j] = if am[i] == bm[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n && j < m {
            if am[i] == bm[j] {
                ops.push(Op::Same(am[i]));
                i += 1;
                j += 1;
            } else if lcs[i + 1][j] >= lcs[i][j + 1] {
                ops.push(Op::Del(am[i]));
                i += 1;
            } else {
                ops.push(Op::Add(bm[j]));
                j += 1;
            }
        }
        ops.extend(am[i..].iter().copied().map(Op::Del));
        ops.extend(bm[j..].iter().copied().map(Op::Add));
    } else {
        ops.extend(am.iter().copied().map(Op::Del));
        ops.extend(bm.iter().copied().map(Op::Add));
    }
    ops.extend(a[a.len() - suf..].iter().copied().map(Op::Same));
    ops
}

/// Copies `src` into `dir` under its own file name and returns the new path.
pub fn copy_into(src: &Path, dir: &Path) -> PathBuf {
    let name = src.file_name().expect("source has a file name");
    let dst = dir.join(name);
    fs::copy(src, &dst).unwrap_or_else(|e| panic!("cannot copy {} to {}: {e}", src.display(), dst.display()));
    dst
}

/// Caps a child's address space at `bytes` and disables core dumps (Linux only; a no-op
/// elsewhere), so a test that runs untrusted bundles cannot exhaust the machine's
/// memory. `semarun` reserves a 1 GiB interpreter stack, so leave room above that.
pub fn limit_child_memory(cmd: &mut Command, bytes: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        #[repr(C)]
        struct RLimit {
            cur: u64,
            max: u64,
        }
        extern "C" {
            fn setrlimit(resource: i32, rlim: *const RLimit) -> i32;
        }
        const RLIMIT_CORE: i32 = 4;
        const RLIMIT_AS: i32 = 9;
        // SAFETY: the closure runs in the forked child before exec and only makes two
        // setrlimit system calls (async-signal-safe); it neither allocates nor locks.
        unsafe {
            cmd.pre_exec(move || {
                let core = RLimit { cur: 0, max: 0 };
                let memory = RLimit { cur: bytes, max: bytes };
                if setrlimit(RLIMIT_CORE, &core) != 0 || setrlimit(RLIMIT_AS, &memory) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (cmd, bytes);
    }
}

/// Compiles `source` with `semac` (plus `extra_args`) to `out`, returning the bundle's
/// bytes, or a report of why it failed.
pub fn compile_bundle(source: &Path, out: &Path, extra_args: &[&str], timeout: Duration) -> Result<Vec<u8>, String> {
    let mut cmd = Command::new(tool("semac"));
    cmd.arg(source).arg("-o").arg(out).args(extra_args);
    let outcome = run_with_timeout(cmd, timeout).map_err(|e| format!("cannot start semac: {e}"))?;
    if !outcome.success() {
        return Err(format!(
            "semac {} failed ({}):\n{}",
            source.display(),
            outcome.describe_end(),
            outcome.stderr_text()
        ));
    }
    fs::read(out).map_err(|e| format!("cannot read bundle {}: {e}", out.display()))
}

//! Facts about the git repository around the working directory (`git/*`), read by
//! running the `git` program. A failing command is an error carrying git's own message
//! (`git rev-parse --show-toplevel: fatal: not a git repository ...`).
//!
//! git's output is read up to 64 MiB per stream; past that the command's process
//! group is killed and the call fails, so a huge diff cannot exhaust memory.

use std::collections::HashSet;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("git/root", 0, Some(0), |_| Ok(Value::str(git(&["rev-parse", "--show-toplevel"])?.trim()))),
    pure("git/current-branch", 0, Some(0), |_| Ok(Value::str(git(&["rev-parse", "--abbrev-ref", "HEAD"])?.trim()))),
    pure("git/status", 0, Some(0), |_| status()),
    pure("git/changed-files", 0, Some(0), |_| {
        let paths = status_entries()?.into_iter().map(|(_, path)| path).filter(|p| !p.is_empty());
        Ok(Value::str_list(paths))
    }),
    pure("git/diff", 0, Some(1), diff),
    pure("git/diff-files", 0, Some(0), |_| {
        Ok(Value::str_list(git(&["diff", "--name-only"])?.lines().filter(|l| !l.is_empty())))
    }),
    pure("git/recent-files", 0, Some(1), recent_files),
    pure("git/ignore-matches?", 1, Some(1), |a| ignore_matches(a[0].expect_str()?)),
];

/// Most bytes kept from one stream of one git command.
const MAX_OUTPUT: u64 = 64 * 1024 * 1024;

struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `git ARGS` in its own process group; its exit code and output.
fn run(args: &[&str]) -> Result<Output> {
    let mut child = Command::new("git")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| Error::io(format!("git: failed to run `git` (is it installed and on PATH?): {e}")))?;
    let pid = child.id();
    let err_pipe = child.stderr.take();
    let stderr = std::thread::spawn(move || err_pipe.map(|p| read_capped(p, pid)).unwrap_or_default());
    let stdout = child.stdout.take().map(|p| read_capped(p, pid)).unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let too_long = stdout.len() as u64 > MAX_OUTPUT || stderr.len() as u64 > MAX_OUTPUT;
    let status = child.wait().map_err(|e| Error::io(format!("git: failed while waiting for `git`: {e}")))?;
    if too_long {
        return Err(Error::io(format!(
            "git: output exceeded the {MAX_OUTPUT}-byte limit; the process group was terminated"
        )));
    }
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    Ok(Output { code: status.code(), stdout: text(stdout), stderr: text(stderr) })
}

/// Up to one byte past the cap (so that going past it shows); past the cap the
/// command's process group is killed, so that it cannot block on the other stream.
fn read_capped(pipe: impl Read, pid: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    let _ = pipe.take(MAX_OUTPUT + 1).read_to_end(&mut bytes);
    if bytes.len() as u64 > MAX_OUTPUT {
        // SAFETY: a signal to the child's own process group.
        unsafe { libc::kill(-(pid as libc::pid_t), libc::SIGKILL) };
    }
    bytes
}

/// The stdout of a successful `git -c core.quotepath=false ARGS`.
fn git(args: &[&str]) -> Result<String> {
    let mut full = vec!["-c", "core.quotepath=false"];
    full.extend_from_slice(args);
    let out = run(&full)?;
    if out.code == Some(0) {
        Ok(out.stdout)
    } else {
        Err(Error::eval(format!("git {}: {}", args.join(" "), out.stderr.trim())))
    }
}

/// `(code, path)` per entry of `git status --porcelain=v1 -z`; a rename or copy lists
/// its new path (the old one follows it as a field of its own).
fn status_entries() -> Result<Vec<(String, String)>> {
    let out = git(&["status", "--porcelain=v1", "-z"])?;
    let mut entries = Vec::new();
    let mut fields = out.split('\0');
    while let Some(field) = fields.next() {
        let (Some(code), Some(path)) = (field.get(..2), field.get(3..)) else { continue };
        if code.contains(['R', 'C']) {
            fields.next();
        }
        entries.push((code.to_string(), path.to_string()));
    }
    Ok(entries)
}

/// `(git/status)`: `{:path :staged :status :untracked}` per changed path.
fn status() -> Result<Value> {
    let entries = status_entries()?.into_iter().map(|(code, path)| {
        let untracked = code == "??";
        let staged = !untracked && !code.starts_with(' ');
        Value::keyword_map([
            ("path", Value::str(path)),
            ("status", Value::str(code)),
            ("staged", Value::bool(staged)),
            ("untracked", Value::bool(untracked)),
        ])
    });
    Ok(Value::list(entries.collect()))
}

/// `(git/diff [path])`: the unstaged diff text.
fn diff(args: &[Value]) -> Result<Value> {
    let out = match args.first() {
        None => git(&["diff"])?,
        Some(path) => git(&["diff", "--", path.expect_str()?])?,
    };
    Ok(Value::str(out))
}

/// `(git/recent-files [n])`: the files the last n commits (default 20) touched, most
/// recent first, each once.
fn recent_files(args: &[Value]) -> Result<Value> {
    let n = match args.first() {
        None => 20,
        Some(n) => n.expect_int()?,
    };
    let out = git(&["log", "--name-only", "--pretty=format:", "-n", &n.to_string()])?;
    let mut seen = HashSet::new();
    Ok(Value::str_list(out.lines().filter(|l| !l.is_empty() && seen.insert(*l))))
}

/// `(git/ignore-matches? path)`: whether git ignores the path.
fn ignore_matches(path: &str) -> Result<Value> {
    let out = run(&["check-ignore", "-q", path])?;
    match out.code {
        Some(0) => Ok(Value::bool(true)),
        Some(1) => Ok(Value::bool(false)),
        code => {
            let code = code.map_or_else(|| "signal".to_string(), |c| c.to_string());
            Err(Error::eval(format!("git check-ignore {path}: exit {code}: {}", out.stderr.trim())))
        }
    }
}

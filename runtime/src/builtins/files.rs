//! Files and directories beyond whole-text reads (`file/read-bytes`, `file/list`,
//! `file/glob`, `file/info`, ...) and path arithmetic (`path/*`).
//!
//! File errors are `:io` errors `OP PATH: OS-ERROR` like those of system.rs; the two-path
//! operations name both paths (`file/copy a -> b: ...`). The `path/*` functions other
//! than `path/absolute`, `path/canonicalize` and `path/within?` never touch the file
//! system. Whole-file byte reads and writes refuse pipes, sockets and devices, whose
//! reads may never end.

use std::path::{Component, Path, PathBuf};

use super::system::io_error;
use super::{pure, Builtin};
use crate::assets;
use crate::error::{Error, Result};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("file/read-bytes", 1, Some(1), |a| read_bytes(&a[0])),
    pure("file/write-bytes", 2, Some(2), |a| write_bytes(&a[0], &a[1])),
    pure("file/copy", 2, Some(2), |a| copy(&a[0], &a[1])),
    pure("file/rename", 2, Some(2), |a| rename(&a[0], &a[1])),
    pure("file/mkdir", 1, Some(1), |a| mkdir(&a[0])),
    pure("file/list", 1, Some(1), |a| list(&a[0])),
    pure("file/info", 1, Some(1), |a| info(&a[0])),
    pure("file/is-directory?", 1, Some(1), |a| test_path(&a[0], Path::is_dir)),
    pure("file/is-file?", 1, Some(1), |a| test_path(&a[0], Path::is_file)),
    pure("file/is-symlink?", 1, Some(1), |a| test_path(&a[0], Path::is_symlink)),
    pure("path/join", 1, None, join),
    pure("path/dir", 1, Some(1), |a| component(&a[0], Path::parent)),
    pure("path/filename", 1, Some(1), |a| component(&a[0], |p| p.file_name().map(Path::new))),
    pure("path/extension", 1, Some(1), |a| component(&a[0], |p| p.extension().map(Path::new))),
    pure("path/stem", 1, Some(1), |a| component(&a[0], |p| p.file_stem().map(Path::new))),
    // The reference's older names, which its own examples still use.
    pure("path/dirname", 1, Some(1), |a| component(&a[0], Path::parent)),
    pure("path/basename", 1, Some(1), |a| component(&a[0], |p| p.file_name().map(Path::new))),
    pure("path/ext", 1, Some(1), |a| component(&a[0], |p| p.extension().map(Path::new))),
    pure("path/absolute?", 1, Some(1), |a| Ok(Value::bool(Path::new(a[0].expect_str()?).is_absolute()))),
    pure("path/absolute", 1, Some(1), |a| canonicalize("path/absolute", &a[0])),
    pure("path/canonicalize", 1, Some(1), |a| canonicalize("path/canonicalize", &a[0])),
    pure("path/relative-to", 2, Some(2), |a| relative_to(&a[0], &a[1])),
    pure("path/within?", 2, Some(2), |a| within(&a[0], &a[1])),
];

/// `file/glob` links a pattern matcher: a battery builtin (see `builtins::BATTERIES`).
pub static GLOB_BUILTINS: &[Builtin] = &[
    pure("file/glob", 1, Some(1), |a| glob(&a[0])),
];

fn text(path: &Path) -> Value {
    Value::str(path.to_string_lossy())
}

/// Refuses a path naming a FIFO, socket or device: reading one whole may never end and
/// writing one is not what a file write means. Missing paths pass (the OS reports them).
pub(super) fn admit_regular(op: &str, path: &str) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::metadata(path) else { return Ok(()) };
    let kind = meta.file_type();
    let what = if kind.is_fifo() {
        "named pipe (FIFO)"
    } else if kind.is_socket() {
        "socket"
    } else if kind.is_char_device() {
        "character device"
    } else if kind.is_block_device() {
        "block device"
    } else {
        return Ok(());
    };
    Err(Error::eval(format!("{op}: {path} is a {what}, not a regular file")))
}

fn read_bytes(path: &Value) -> Result<Value> {
    const OP: &str = "file/read-bytes";
    let path = path.expect_str()?;
    if let Some(bytes) = assets::file(path) {
        return Ok(Value::bytes(bytes.to_vec()));
    }
    admit_regular(OP, path)?;
    std::fs::read(path).map(Value::bytes).map_err(|e| io_error(OP, path, e))
}

fn write_bytes(path: &Value, bytes: &Value) -> Result<Value> {
    const OP: &str = "file/write-bytes";
    let path = path.expect_str()?;
    let bytes = bytes.expect_bytes()?;
    admit_regular(OP, path)?;
    std::fs::write(path, bytes).map_err(|e| io_error(OP, path, e))?;
    Ok(Value::Nil)
}

/// `file/copy` and `file/rename`: errors name both paths.
fn two_paths(op: &str, from: &Value, to: &Value, f: impl FnOnce(&str, &str) -> std::io::Result<()>) -> Result<Value> {
    let (from, to) = (from.expect_str()?, to.expect_str()?);
    f(from, to).map_err(|e| Error::io(format!("{op} {from} -> {to}: {e}")))?;
    Ok(Value::Nil)
}

fn copy(from: &Value, to: &Value) -> Result<Value> {
    two_paths("file/copy", from, to, |a, b| std::fs::copy(a, b).map(drop))
}

fn rename(from: &Value, to: &Value) -> Result<Value> {
    two_paths("file/rename", from, to, |a, b| std::fs::rename(a, b))
}

/// `(file/mkdir path)`: creates the directory and any missing parents.
fn mkdir(path: &Value) -> Result<Value> {
    let path = path.expect_str()?;
    std::fs::create_dir_all(path).map_err(|e| io_error("file/mkdir", path, e))?;
    Ok(Value::Nil)
}

/// `(file/list dir)`: the entry names, in the order the OS gives them.
fn list(path: &Value) -> Result<Value> {
    const OP: &str = "file/list";
    let path = path.expect_str()?;
    let mut names = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| io_error(OP, path, e))? {
        let entry = entry.map_err(|e| io_error(OP, path, e))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    Ok(Value::str_list(names))
}

/// `(file/glob pattern)`: the matching paths, sorted as the glob crate walks them.
fn glob(pattern: &Value) -> Result<Value> {
    let pattern = pattern.expect_str()?;
    let paths = glob::glob(pattern).map_err(|e| Error::eval(format!("file/glob: invalid pattern: {e}")))?;
    let mut found = Vec::new();
    for path in paths {
        let path = path.map_err(|e| Error::io(format!("file/glob: {e}")))?;
        found.push(text(&path));
    }
    Ok(Value::list(found))
}

/// `(file/info path)`: `{:is-dir :is-file :modified :size}`, following symlinks;
/// `:modified` is epoch milliseconds, absent where the OS has no such time.
fn info(path: &Value) -> Result<Value> {
    let path = path.expect_str()?;
    let meta = std::fs::metadata(path).map_err(|e| io_error("file/info", path, e))?;
    let mut entries = vec![
        ("size", Value::int(meta.len() as i64)),
        ("is-dir", Value::bool(meta.is_dir())),
        ("is-file", Value::bool(meta.is_file())),
    ];
    let modified = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    if let Some(since) = modified {
        entries.push(("modified", Value::int(since.as_millis() as i64)));
    }
    Ok(Value::keyword_map(entries))
}

fn test_path(path: &Value, test: fn(&Path) -> bool) -> Result<Value> {
    Ok(Value::bool(test(Path::new(path.expect_str()?))))
}

/// `(path/join a b ...)`: joined as the OS joins paths (an absolute part restarts).
fn join(parts: &[Value]) -> Result<Value> {
    let mut path = PathBuf::new();
    for part in parts {
        path.push(part.expect_str()?);
    }
    Ok(text(&path))
}

/// A component of a path, `""` when it has none.
fn component(path: &Value, part: impl for<'a> Fn(&'a Path) -> Option<&'a Path>) -> Result<Value> {
    Ok(part(Path::new(path.expect_str()?)).map_or_else(|| Value::str(""), text))
}

/// `path/absolute` and `path/canonicalize`: the real absolute path of an existing file.
fn canonicalize(op: &str, path: &Value) -> Result<Value> {
    let path = path.expect_str()?;
    std::fs::canonicalize(path).map(|p| text(&p)).map_err(|e| io_error(op, path, e))
}

/// The path made absolute against the working directory with `.` and `..` resolved by
/// name, without looking at the file system.
fn lexical_absolute(path: &Path) -> PathBuf {
    let mut out = if path.is_absolute() {
        PathBuf::new()
    } else {
        std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
    };
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `(path/relative-to base path)`: path as seen from base, by name only.
fn relative_to(base: &Value, path: &Value) -> Result<Value> {
    let base = lexical_absolute(Path::new(base.expect_str()?));
    let path = lexical_absolute(Path::new(path.expect_str()?));
    let base: Vec<Component> = base.components().collect();
    let path: Vec<Component> = path.components().collect();
    let common = base.iter().zip(&path).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in common..base.len() {
        relative.push("..");
    }
    for part in &path[common..] {
        relative.push(part.as_os_str());
    }
    if relative.as_os_str().is_empty() {
        relative.push(".");
    }
    Ok(text(&relative))
}

/// The real path of `path` if it exists; else its deepest existing ancestor's real path
/// with the rest appended, so a symlink in the existing part cannot hide an escape.
fn resolved(path: &str) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let absolute = lexical_absolute(Path::new(path));
    let mut ancestor = absolute.as_path();
    let mut tail = Vec::new();
    loop {
        if let Ok(mut real) = std::fs::canonicalize(ancestor) {
            real.extend(tail.iter().rev());
            return real;
        }
        match (ancestor.parent(), ancestor.file_name()) {
            (Some(parent), Some(name)) => {
                tail.push(name);
                ancestor = parent;
            }
            _ => return absolute.clone(),
        }
    }
}

/// `(path/within? base path)`: whether path, symlinks resolved, is base or inside it.
fn within(base: &Value, path: &Value) -> Result<Value> {
    let base = resolved(base.expect_str()?);
    Ok(Value::bool(resolved(path.expect_str()?).starts_with(base)))
}

#[cfg(test)]
mod tests {
    use crate::builtins::test_support::{call, int, s};

    #[test]
    fn paths_by_name() {
        assert_eq!(call("path/join", &[s("a"), s("b/c"), s("d.txt")]), r#""a/b/c/d.txt""#);
        assert_eq!(call("path/join", &[s("a"), s("/abs")]), r#""/abs""#);
        assert_eq!(call("path/dir", &[s("/a/b.txt")]), r#""/a""#);
        assert_eq!(call("path/dir", &[s("b.txt")]), r#""""#);
        assert_eq!(call("path/dir", &[s("/")]), r#""""#);
        assert_eq!(call("path/filename", &[s("/a/b.tar.gz")]), r#""b.tar.gz""#);
        assert_eq!(call("path/extension", &[s("/a/b.tar.gz")]), r#""gz""#);
        assert_eq!(call("path/stem", &[s("/a/b.tar.gz")]), r#""b.tar""#);
        assert_eq!(call("path/extension", &[s(".bashrc")]), r#""""#);
        assert_eq!(call("path/relative-to", &[s("/a/b"), s("/a/b/c/d")]), r#""c/d""#);
        assert_eq!(call("path/relative-to", &[s("/a/b/x"), s("/a/c")]), r#""../../c""#);
        assert_eq!(call("path/relative-to", &[s("/a"), s("/a/.")]), r#"".""#);
        assert_eq!(call("path/within?", &[s("/nonexistent/a"), s("/nonexistent/a/../b")]), "#f");
        assert_eq!(call("path/within?", &[s("/nonexistent/a"), s("/nonexistent/a/b/c")]), "#t");
        assert_eq!(call("path/join", &[s("a"), int(1)]), "ERR Type error: expected string, got int");
    }

    #[test]
    fn special_files_are_refused() {
        assert_eq!(
            call("file/read-bytes", &[s("/dev/zero")]),
            "ERR Eval error: file/read-bytes: /dev/zero is a character device, not a regular file"
        );
    }
}

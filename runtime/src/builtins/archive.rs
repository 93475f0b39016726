//! Archives and compression: `gzip/compress`, `gzip/decompress` (in memory),
//! `zip/create`, `zip/list`, `zip/extract`, `tar/create`, `tar/extract` (on files;
//! `.tar.gz`/`.tgz` names are gzipped, and gzip input is recognised by its magic).
//!
//! Archives are untrusted input. Reading is bounded (input, expanded output and entry
//! count), extraction never writes outside the destination (entries with `..` or an
//! absolute path are skipped, tar links are skipped, a zip symlink entry is written
//! as a plain file) and refuses two entries with one target. Archive members are stored under their file name only.
//!
//! Error texts follow the reference, which runs this work off the interpreter thread:
//! failures during the work carry its error kind in the message (`Eval error: ...`,
//! `IO error: ...`), checks made before it (argument types, regular-file and size
//! checks) do not; all are `:eval` errors except a non-list file argument.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("gzip/compress", 1, Some(1), |a| {
        let data = bytes_arg(&a[0], "gzip/compress")?;
        check_limit("gzip/compress", "input bytes", data.len() as u64, MAX_INPUT_BYTES)?;
        Ok(Value::bytes(gzip_compress(data)?))
    }),
    pure("gzip/decompress", 1, Some(1), |a| {
        let data = bytes_arg(&a[0], "gzip/decompress")?;
        check_limit("gzip/decompress", "input bytes", data.len() as u64, MAX_INPUT_BYTES)?;
        Ok(Value::bytes(gzip_decompress(data)?))
    }),
    pure("zip/create", 2, Some(2), |a| {
        let (out, files) = (a[0].expect_str()?, path_list(&a[1], "zip/create")?);
        preflight_inputs("zip/create", &files)?;
        zip_create(out, &files).map(Value::int)
    }),
    pure("zip/extract", 2, Some(2), |a| {
        let (archive, dest) = (a[0].expect_str()?, a[1].expect_str()?);
        preflight_archive("zip/extract", archive)?;
        zip_extract(archive, dest).map(Value::int)
    }),
    pure("zip/list", 1, Some(1), |a| {
        let archive = a[0].expect_str()?;
        preflight_archive("zip/list", archive)?;
        zip_list(&read_archive("zip/list", archive)?, archive)
    }),
    pure("tar/create", 2, Some(2), |a| {
        let (out, files) = (a[0].expect_str()?, path_list(&a[1], "tar/create")?);
        preflight_inputs("tar/create", &files)?;
        tar_create(out, &files).map(Value::int)
    }),
    pure("tar/extract", 2, Some(2), |a| {
        let (archive, dest) = (a[0].expect_str()?, a[1].expect_str()?);
        preflight_archive("tar/extract", archive)?;
        tar_extract(archive, dest).map(Value::int)
    }),
];

const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;
const MAX_OUTPUT_BYTES: u64 = 512 * 1024 * 1024;
const MAX_ENTRIES: u64 = 100_000;

pub(super) fn check_limit(op: &str, what: &str, actual: u64, limit: u64) -> Result<()> {
    if actual > limit {
        return Err(Error::eval(format!("{op}: {what} {actual} exceeds the quarantined limit {limit}")));
    }
    Ok(())
}

/// A failure during the work, reported as the reference reports it.
fn work_error(message: impl std::fmt::Display) -> Error {
    in_work(Error::eval(message.to_string()))
}

fn in_work(err: Error) -> Error {
    err.with_prefix("Eval error")
}

fn work_io_error(op: &str, path: impl std::fmt::Display, err: impl std::fmt::Display) -> Error {
    Error::eval(format!("IO error: {op} {path}: {err}"))
}

fn bytes_arg<'a>(value: &'a Value, op: &str) -> Result<&'a [u8]> {
    match value {
        Value::Str(s) => Ok(s.as_bytes()),
        Value::Bytevector(b) => Ok(b),
        other => Err(Error::eval(format!(
            "{op}: Type error: expected bytevector or string, got {}",
            other.type_name()
        ))),
    }
}

fn path_list(value: &Value, op: &str) -> Result<Vec<String>> {
    let list = value.expect_list()?;
    list.iter()
        .map(|v| match v.as_str() {
            Some(s) => Ok(s.to_string()),
            None => Err(Error::eval(format!("{op}: Type error: expected string, got {}", v.type_name()))),
        })
        .collect()
}

/// Inputs that exist must be regular files within the input budget; missing ones
/// fail later, when they are read.
fn preflight_inputs(op: &str, files: &[String]) -> Result<()> {
    check_limit(op, "entries", files.len() as u64, MAX_ENTRIES)?;
    let mut total = 0u64;
    for path in files {
        if let Ok(metadata) = std::fs::metadata(path) {
            if !metadata.is_file() {
                return Err(Error::eval(format!("{op}: archive input must be a regular file: {path}")));
            }
            total = total.saturating_add(metadata.len());
            check_limit(op, "input bytes", total, MAX_INPUT_BYTES)?;
        }
    }
    Ok(())
}

fn preflight_archive(op: &str, path: &str) -> Result<()> {
    preflight_inputs(op, std::slice::from_ref(&path.to_string()))
}

/// Reads a regular file of at most `limit` bytes.
fn read_bounded(op: &str, path: &str, limit: u64) -> Result<Vec<u8>> {
    let metadata = std::fs::metadata(path).map_err(|e| work_io_error(op, path, e))?;
    if !metadata.is_file() {
        return Err(work_error(format!("{op}: archive input must be a regular file: {path}")));
    }
    let file = std::fs::File::open(path).map_err(|e| work_io_error(op, path, e))?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| work_io_error(op, path, e))?;
    check_limit(op, "input bytes", bytes.len() as u64, limit).map_err(in_work)?;
    Ok(bytes)
}

fn read_archive(op: &str, path: &str) -> Result<Vec<u8>> {
    read_bounded(op, path, MAX_INPUT_BYTES)
}

/// A writer that fails instead of growing past `limit` bytes (decompression bombs).
struct LimitedWriter<W> {
    inner: W,
    written: u64,
    limit: u64,
}

impl<W> LimitedWriter<W> {
    fn new(inner: W, limit: u64) -> Self {
        LimitedWriter { inner, written: 0, limit }
    }
}

impl<W: Write> Write for LimitedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written.saturating_add(buf.len() as u64) > self.limit {
            return Err(std::io::Error::other(format!(
                "archive output exceeds the {}-byte quarantined limit",
                self.limit
            )));
        }
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W: std::io::Seek> std::io::Seek for LimitedWriter<W> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(to)
    }
}

fn gzip_compress(data: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(LimitedWriter::new(Vec::new(), MAX_OUTPUT_BYTES), Compression::default());
    encoder.write_all(data).map_err(|e| work_error(format!("gzip/compress: {e}")))?;
    encoder.finish().map(|w| w.inner).map_err(|e| work_error(format!("gzip/compress: {e}")))
}

/// Inflates gzip data, at most 512 MiB of it (a fuzzing entry point).
pub fn gzip_decompress(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = LimitedWriter::new(Vec::new(), MAX_OUTPUT_BYTES);
    std::io::copy(&mut GzDecoder::new(data), &mut out).map_err(|e| work_error(format!("gzip/decompress: {e}")))?;
    Ok(out.inner)
}

/// The member name of an input file: its last path component, once per archive.
fn member_name<'a>(op: &str, src: &'a str, seen: &mut HashSet<String>) -> Result<&'a str> {
    let name = Path::new(src)
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| work_error(format!("{op}: bad file path {src}")))?;
    if !seen.insert(name.to_string()) {
        return Err(work_error(format!("{op}: duplicate entry name {name:?} (from {src})")));
    }
    Ok(name)
}

/// An entry name as a path below the destination, or `None` when it would escape
/// it (`..`, absolute) or names nothing.
fn safe_relative(name: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in Path::new(name).components() {
        match part {
            Component::Normal(segment) => out.push(segment),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

fn duplicate_target(op: &str, rel: &Path) -> Error {
    work_error(format!("{op}: duplicate entry target {} — refusing to overwrite", rel.display()))
}

fn zip_create(out_path: &str, files: &[String]) -> Result<i64> {
    const OP: &str = "zip/create";
    let file = std::fs::File::create(out_path).map_err(|e| work_io_error(OP, out_path, e))?;
    let mut writer = zip::ZipWriter::new(LimitedWriter::new(file, MAX_OUTPUT_BYTES));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut seen = HashSet::new();
    let mut input_bytes = 0u64;
    for src in files {
        let name = member_name(OP, src, &mut seen)?;
        let data = read_bounded(OP, src, MAX_INPUT_BYTES - input_bytes)?;
        input_bytes += data.len() as u64;
        writer.start_file(name, options).map_err(|e| work_error(format!("{OP}: {e}")))?;
        writer.write_all(&data).map_err(|e| work_io_error(OP, src, e))?;
    }
    writer.finish().map_err(|e| work_error(format!("{OP}: {e}")))?;
    Ok(files.len() as i64)
}

fn open_zip<'a>(op: &str, bytes: &'a [u8], path: &str) -> Result<zip::ZipArchive<std::io::Cursor<&'a [u8]>>> {
    let archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| work_error(format!("{op} {path}: {e}")))?;
    check_limit(op, "entries", archive.len() as u64, MAX_ENTRIES).map_err(in_work)?;
    Ok(archive)
}

/// The member names of zip data, in archive order (a fuzzing entry point).
pub fn zip_list(bytes: &[u8], path: &str) -> Result<Value> {
    const OP: &str = "zip/list";
    let mut archive = open_zip(OP, bytes, path)?;
    let mut names = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| work_error(format!("{OP}: {e}")))?;
        names.push(Value::str(entry.name()));
    }
    Ok(Value::list(names))
}

fn zip_extract(zip_path: &str, dest: &str) -> Result<i64> {
    const OP: &str = "zip/extract";
    let bytes = read_archive(OP, zip_path)?;
    let mut archive = open_zip(OP, &bytes, zip_path)?;
    let root = Path::new(dest);
    std::fs::create_dir_all(root).map_err(|e| work_io_error(OP, dest, e))?;
    let mut count = 0;
    let mut declared = 0u64;
    let mut written = 0u64;
    let mut seen = HashSet::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| work_error(format!("{OP}: {e}")))?;
        let name = entry.name().to_string();
        let Some(rel) = safe_relative(&name) else { continue };
        let target = root.join(&rel);
        declared = declared.saturating_add(entry.size());
        check_limit(OP, "output bytes", declared, MAX_OUTPUT_BYTES).map_err(in_work)?;
        let io_error = |e: std::io::Error| work_io_error(OP, &name, e);
        if entry.is_dir() || name.ends_with('/') {
            std::fs::create_dir_all(&target).map_err(io_error)?;
        } else {
            if !seen.insert(rel.clone()) {
                return Err(duplicate_target(OP, &rel));
            }
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(io_error)?;
            }
            let file = std::fs::File::create(&target).map_err(io_error)?;
            let mut out = LimitedWriter::new(file, MAX_OUTPUT_BYTES - written);
            written += std::io::copy(&mut entry, &mut out).map_err(io_error)?;
        }
        count += 1;
    }
    Ok(count)
}

fn looks_gzipped(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".tar.gz") || lower.ends_with(".tgz")
}

fn tar_create(out_path: &str, files: &[String]) -> Result<i64> {
    const OP: &str = "tar/create";
    let file = std::fs::File::create(out_path).map_err(|e| work_io_error(OP, out_path, e))?;
    let out = LimitedWriter::new(file, MAX_OUTPUT_BYTES);
    let finished = |e: std::io::Error| work_io_error(OP, out_path, e);
    if looks_gzipped(out_path) {
        let mut builder = tar::Builder::new(GzEncoder::new(out, Compression::default()));
        tar_append(&mut builder, files)?;
        builder.into_inner().map_err(finished)?.finish().map_err(finished)?;
    } else {
        let mut builder = tar::Builder::new(out);
        tar_append(&mut builder, files)?;
        builder.finish().map_err(finished)?;
    }
    Ok(files.len() as i64)
}

/// Members get mode 0644 and no owner or time, so archives of equal files are equal.
fn tar_append<W: Write>(builder: &mut tar::Builder<W>, files: &[String]) -> Result<()> {
    const OP: &str = "tar/create";
    let mut seen = HashSet::new();
    let mut input_bytes = 0u64;
    for src in files {
        let name = member_name(OP, src, &mut seen)?;
        let data = read_bounded(OP, src, MAX_INPUT_BYTES - input_bytes)?;
        input_bytes += data.len() as u64;
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, &data[..]).map_err(|e| work_io_error(OP, src, e))?;
    }
    Ok(())
}

fn tar_extract(tar_path: &str, dest: &str) -> Result<i64> {
    const OP: &str = "tar/extract";
    let raw = read_archive(OP, tar_path)?;
    let root = Path::new(dest);
    std::fs::create_dir_all(root).map_err(|e| work_io_error(OP, dest, e))?;
    let bytes = if looks_gzipped(tar_path) || raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = LimitedWriter::new(Vec::new(), MAX_OUTPUT_BYTES);
        std::io::copy(&mut GzDecoder::new(&raw[..]), &mut out)
            .map_err(|e| work_error(format!("{OP} {tar_path}: {e}")))?;
        out.inner
    } else {
        raw
    };
    let mut archive = tar::Archive::new(&bytes[..]);
    let entries = archive.entries().map_err(|e| work_error(format!("{OP} {tar_path}: {e}")))?;
    let mut count = 0;
    let mut seen_entries = 0u64;
    let mut declared = 0u64;
    let mut seen = HashSet::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| work_error(format!("{OP}: {e}")))?;
        seen_entries += 1;
        check_limit(OP, "entries", seen_entries, MAX_ENTRIES).map_err(in_work)?;
        let size = entry.header().size().map_err(|e| work_error(format!("{OP}: {e}")))?;
        declared = declared.saturating_add(size);
        check_limit(OP, "output bytes", declared, MAX_OUTPUT_BYTES).map_err(in_work)?;
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            continue;
        }
        let name = entry.path().map_err(|e| work_error(format!("{OP}: {e}")))?.to_string_lossy().into_owned();
        let Some(rel) = safe_relative(&name) else { continue };
        let target = root.join(&rel);
        if !kind.is_dir() && !seen.insert(rel.clone()) {
            return Err(duplicate_target(OP, &rel));
        }
        let io_error = |e: std::io::Error| work_io_error(OP, &name, e);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io_error)?;
        }
        entry.unpack(&target).map_err(io_error)?;
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_round_trip_and_bad_data() {
        let packed = gzip_compress(b"hello hello hello").unwrap();
        assert_eq!(gzip_decompress(&packed).unwrap(), b"hello hello hello");
        assert!(gzip_decompress(b"\x1f\x8b junk").is_err());
    }

    #[test]
    fn entry_names_cannot_escape() {
        assert_eq!(safe_relative("a/./b"), Some(PathBuf::from("a/b")));
        assert_eq!(safe_relative("../x"), None);
        assert_eq!(safe_relative("/etc/passwd"), None);
        assert_eq!(safe_relative("."), None);
    }

    #[test]
    fn output_is_bounded() {
        let mut w = LimitedWriter::new(Vec::new(), 4);
        assert!(w.write_all(b"1234").is_ok());
        assert!(w.write_all(b"5").is_err());
    }
}

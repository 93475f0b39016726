//! Loading a bundle file: read, verify, link. The only path from bytes to a runnable
//! program.

use std::fmt;
use std::path::Path;

use bundle_format::header::HEADER_LEN;
use bundle_format::read::read_header_fields;
use bundle_format::sign::{SignError, Trust};
use bundle_format::{read_bundle, verify_bundle, ReadError, VerifyError};

use crate::program::{link, Program};

#[derive(Debug)]
pub enum LoadError {
    Io(std::io::Error),
    Read(ReadError),
    Verify(VerifyError),
    /// Its signature is valid (or absent) but not what `--verify-key` or
    /// `--require-signature` asks for.
    Untrusted(SignError),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io(err) => write!(f, "{err}"),
            LoadError::Read(err) => write!(f, "{err}"),
            LoadError::Verify(err) => write!(f, "{err}"),
            LoadError::Untrusted(err) => write!(f, "{err}"),
        }
    }
}

/// Reads, verifies and links bundle bytes (a signature, if present, is checked).
pub fn load_bytes(bytes: &[u8]) -> Result<Program, LoadError> {
    load_trusted_bytes(bytes, &Trust::default())
}

/// A bundle built in this process (a program `semac --run` compiled, a macro, an
/// `eval`), loaded through its bytes: exactly what `semarun` would load.
pub fn load_bundle(bundle: &bundle_format::Bundle) -> Result<Program, LoadError> {
    load_bytes(&bundle_format::write_bundle(bundle))
}

/// `load_bytes`, also requiring of the signature what `trust` says.
pub fn load_trusted_bytes(bytes: &[u8], trust: &Trust) -> Result<Program, LoadError> {
    let bundle = read_bundle(bytes).map_err(LoadError::Read)?;
    trust.accept(bundle_format::read::signed_by(bytes).as_ref()).map_err(LoadError::Untrusted)?;
    let verified = verify_bundle(bundle).map_err(LoadError::Verify)?;
    Ok(link(verified))
}

/// Reads, verifies and links a bundle file.
pub fn load_file(path: &Path, trust: &Trust) -> Result<Program, LoadError> {
    load_trusted_bytes(&read_bundle_file(path)?, trust)
}

/// Opens `path` for reading if it is a regular file: a FIFO or a device is refused
/// (opened without blocking, so a FIFO with no writer does not hang the open).
pub fn open_regular_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    if metadata.is_dir() {
        return Err(std::io::Error::other("is a directory"));
    }
    if !metadata.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(file)
}

/// The first `most` bytes of the file at `path` (fewer when it is shorter), when it
/// is a regular file: a FIFO or a device is never waited on.
pub fn read_file_start(path: &Path, most: usize) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut start = Vec::with_capacity(most);
    open_regular_file(path).ok()?.take(most as u64).read_to_end(&mut start).ok()?;
    Some(start)
}

/// A bundle file's bytes. The header is read and checked first, and the payload only
/// when the file is as long as the header says and within the format's limit: a huge
/// or endless file (`/dev/zero`) is refused before anything large is allocated, and a
/// FIFO is refused without waiting for a writer.
pub fn read_bundle_file(path: &Path) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let mut file = open_regular_file(path).map_err(LoadError::Io)?;
    let length = file.metadata().map_err(LoadError::Io)?;
    let mut bytes = Vec::with_capacity(HEADER_LEN);
    file.by_ref().take(HEADER_LEN as u64).read_to_end(&mut bytes).map_err(LoadError::Io)?;
    let header = read_header_fields(&bytes).map_err(LoadError::Read)?;
    let expected = bundle_format::read::file_len(&header);
    if length.len() != expected {
        // Checked again on the bytes; this only avoids reading a file that is wrong.
        let actual = length.len();
        let error = if actual < expected { ReadError::Truncated { expected, actual } } else { ReadError::TrailingBytes { expected, actual } };
        return Err(LoadError::Read(error));
    }
    let rest = expected - HEADER_LEN as u64;
    bytes.reserve_exact(rest as usize);
    file.take(rest + 1).read_to_end(&mut bytes).map_err(LoadError::Io)?;
    Ok(bytes)
}

//! Loading a bundle file: read, verify, link. The only path from bytes to a runnable
//! program.

use std::fmt;
use std::path::Path;

use bundle_format::{read_bundle, verify_bundle, ReadError, VerifyError};

use crate::program::{link, Program};

#[derive(Debug)]
pub enum LoadError {
    Io(std::io::Error),
    Read(ReadError),
    Verify(VerifyError),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io(err) => write!(f, "{err}"),
            LoadError::Read(err) => write!(f, "{err}"),
            LoadError::Verify(err) => write!(f, "{err}"),
        }
    }
}

/// Reads, verifies and links bundle bytes.
pub fn load_bytes(bytes: &[u8]) -> Result<Program, LoadError> {
    let bundle = read_bundle(bytes).map_err(LoadError::Read)?;
    let verified = verify_bundle(bundle).map_err(LoadError::Verify)?;
    Ok(link(verified))
}

/// Reads, verifies and links a bundle file.
pub fn load_file(path: &Path) -> Result<Program, LoadError> {
    let bytes = std::fs::read(path).map_err(LoadError::Io)?;
    load_bytes(&bytes)
}

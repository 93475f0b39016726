//! What a single-file executable carries (`semac --exe`): the payload section holding
//! the bundle and its read-only assets, and the identification section by which
//! `semac` recognises a `semarun` it may embed into. Layout: `docs/executables.md`.
//!
//! The payload is a small container of its own rather than a second postcard
//! structure, so that every error can name the byte offset and the field being read,
//! and so that nothing is allocated before its length has been checked against the
//! section's size.

use std::fmt;

use crate::header::digest;
use crate::sign::{SecretKey, SIGNATURE_LEN};
use crate::{FORMAT_VERSION, MIN_FORMAT_VERSION};

/// The ELF section holding the payload. Not loaded into memory: the runtime reads it
/// from its own file.
pub const PAYLOAD_SECTION: &str = ".sema_payload";
/// The ELF section identifying a runtime binary (see [`RuntimeId`]).
pub const RUNTIME_SECTION: &str = ".sema_runtime";

pub const PAYLOAD_MAGIC: [u8; 8] = *b"\x89SMX\r\n\x1a\n";
/// Version of the payload container (not of the bundle inside it). Version 2 added
/// the run options; version 1 payloads (none) are still read.
pub const PAYLOAD_VERSION: u32 = 2;

/// A read-only file embedded with `--include`, under its checked relative path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset<'a> {
    pub path: &'a str,
    pub bytes: &'a [u8],
}

/// A decoded payload, borrowing from the section's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload<'a> {
    /// A complete bundle file, header included (checked again by the bundle reader).
    pub bundle: &'a [u8],
    /// Options the runtime applies as if given on its command line (`--sandbox=all`,
    /// `--max-memory=64m`, ...): the policy and limits `semac --exe` baked in.
    pub run_options: Vec<&'a str>,
    /// The key whose signature over the whole payload verified, if it is signed.
    pub signed_by: Option<crate::sign::PublicKey>,
    /// Sorted by path, no duplicates.
    pub assets: Vec<Asset<'a>>,
}

/// Encodes a payload. `assets` must be sorted by path without duplicates, each path
/// accepted by [`check_asset_path`].
pub fn write_payload(bundle: &[u8], run_options: &[&str], assets: &[Asset<'_>], key: Option<&SecretKey>) -> Vec<u8> {
    let mut body = Vec::with_capacity(bundle.len() + assets.iter().map(|a| a.bytes.len() + a.path.len() + 12).sum::<usize>());
    body.extend_from_slice(&(bundle.len() as u64).to_le_bytes());
    body.extend_from_slice(bundle);
    body.extend_from_slice(&(run_options.len() as u32).to_le_bytes());
    for option in run_options {
        body.extend_from_slice(&(option.len() as u32).to_le_bytes());
        body.extend_from_slice(option.as_bytes());
    }
    for asset in assets {
        body.extend_from_slice(&(asset.path.len() as u32).to_le_bytes());
        body.extend_from_slice(asset.path.as_bytes());
        body.extend_from_slice(&(asset.bytes.len() as u64).to_le_bytes());
        body.extend_from_slice(asset.bytes);
    }
    let mut out = Vec::with_capacity(28 + body.len() + SIGNATURE_LEN);
    out.extend_from_slice(&PAYLOAD_MAGIC);
    out.extend_from_slice(&PAYLOAD_VERSION.to_le_bytes());
    out.extend_from_slice(&(if key.is_some() { PAYLOAD_SIGNED } else { 0 }).to_le_bytes());
    out.extend_from_slice(&(assets.len() as u32).to_le_bytes());
    out.extend_from_slice(&digest(&body).to_le_bytes());
    out.extend_from_slice(&body);
    if let Some(key) = key {
        let block = key.sign(&out);
        out.extend_from_slice(&block);
    }
    out
}

/// Container flag (version 2): a signature block over everything before it ends the
/// payload (`sign.rs`).
pub const PAYLOAD_SIGNED: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    NotAPayload,
    Truncated { offset: usize, reading: &'static str },
    Corrupted { expected: u64, actual: u64 },
    NewerVersion { found: u32 },
    OlderVersion { found: u32 },
    BadAsset { offset: usize, problem: String },
    TrailingBytes { offset: usize },
    BadSignature(crate::sign::SignError),
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadError::NotAPayload => write!(f, "the embedded payload does not start with the Sema payload magic bytes"),
            PayloadError::Truncated { offset, reading } => {
                write!(f, "the embedded payload is truncated: it ends at byte {offset} while reading {reading}")
            }
            PayloadError::Corrupted { expected, actual } => write!(
                f,
                "the embedded payload is corrupted: its digest is {actual:016x} but the header records {expected:016x}"
            ),
            PayloadError::NewerVersion { found } => write!(
                f,
                "the embedded payload has container version {found}, newer than this runtime's {PAYLOAD_VERSION}; rebuild the executable with a matching semac"
            ),
            PayloadError::OlderVersion { found } => {
                write!(f, "the embedded payload has container version {found}, which this runtime no longer reads; rebuild the executable")
            }
            PayloadError::BadAsset { offset, problem } => write!(f, "the embedded asset at byte {offset} is invalid: {problem}"),
            PayloadError::TrailingBytes { offset } => write!(f, "the embedded payload has unexpected bytes after its end, at byte {offset}"),
            PayloadError::BadSignature(err) => write!(f, "the embedded payload has a bad signature: {err}"),
        }
    }
}

impl std::error::Error for PayloadError {}

/// Decodes and checks a payload section: magic, version, digest, then every length
/// against the bytes that remain.
pub fn read_payload(bytes: &[u8]) -> Result<Payload<'_>, PayloadError> {
    if bytes.len() < PAYLOAD_MAGIC.len() || bytes[..PAYLOAD_MAGIC.len()] != PAYLOAD_MAGIC {
        return Err(PayloadError::NotAPayload);
    }
    let mut cursor = Cursor { bytes, at: PAYLOAD_MAGIC.len() };
    let version = cursor.u32("the container version")?;
    if version > PAYLOAD_VERSION {
        return Err(PayloadError::NewerVersion { found: version });
    }
    if version < 1 {
        return Err(PayloadError::OlderVersion { found: version });
    }
    let flags = if version >= 2 { cursor.u32("the container flags")? } else { 0 };
    if flags & !PAYLOAD_SIGNED != 0 {
        return Err(PayloadError::NewerVersion { found: version });
    }
    let mut signed_by = None;
    let bytes = if flags & PAYLOAD_SIGNED != 0 {
        let Some(end) = bytes.len().checked_sub(SIGNATURE_LEN).filter(|&end| end >= cursor.at) else {
            return Err(PayloadError::Truncated { offset: bytes.len(), reading: "the signature" });
        };
        let key = crate::sign::verify(&bytes[..end], &bytes[end..]).map_err(PayloadError::BadSignature)?;
        signed_by = Some(key);
        &bytes[..end]
    } else {
        bytes
    };
    cursor.bytes = bytes;
    let asset_count = cursor.u32("the asset count")?;
    let expected = cursor.u64("the digest")?;
    let actual = digest(&bytes[cursor.at..]);
    if expected != actual {
        return Err(PayloadError::Corrupted { expected, actual });
    }
    let bundle_len = cursor.u64("the bundle length")?;
    let bundle = cursor.take(bundle_len, "the bundle")?;
    let mut run_options = Vec::new();
    if version >= 2 {
        let count = cursor.u32("the run option count")?;
        for _ in 0..count {
            let start = cursor.at;
            let len = cursor.u32("a run option's length")?;
            let option = std::str::from_utf8(cursor.take(u64::from(len), "a run option")?)
                .map_err(|_| PayloadError::BadAsset { offset: start, problem: "a run option is not UTF-8".to_string() })?;
            run_options.push(option);
        }
    }
    // Each asset needs at least 12 bytes, so the count cannot ask for more room than is left.
    let mut assets = Vec::with_capacity((asset_count as usize).min(cursor.remaining() / 12));
    let mut previous: Option<&str> = None;
    for _ in 0..asset_count {
        let start = cursor.at;
        let path_len = cursor.u32("an asset's path length")?;
        let path = cursor.take(u64::from(path_len), "an asset's path")?;
        let path = std::str::from_utf8(path)
            .map_err(|_| PayloadError::BadAsset { offset: start, problem: "its path is not UTF-8".to_string() })?;
        check_asset_path(path).map_err(|problem| PayloadError::BadAsset { offset: start, problem })?;
        if previous.is_some_and(|p| p >= path) {
            return Err(PayloadError::BadAsset { offset: start, problem: "assets are not sorted by path".to_string() });
        }
        previous = Some(path);
        let data_len = cursor.u64("an asset's length")?;
        let data = cursor.take(data_len, "an asset's bytes")?;
        assets.push(Asset { path, bytes: data });
    }
    if cursor.remaining() != 0 {
        return Err(PayloadError::TrailingBytes { offset: cursor.at });
    }
    Ok(Payload { bundle, run_options, signed_by, assets })
}

/// Checks an asset path as given to `--include` (or found in a payload) and returns
/// its canonical form: relative, `/`-separated, without `.` or empty components.
/// Absolute paths, `..`, NUL and backslashes are refused: an asset can only name a
/// file beside or below the program.
pub fn check_asset_path(path: &str) -> Result<String, String> {
    if path.contains('\0') {
        return Err("the path contains a NUL byte".to_string());
    }
    if path.contains('\\') {
        return Err(format!("`{path}` contains a backslash; use `/` between directories"));
    }
    if path.starts_with('/') {
        return Err(format!("`{path}` is absolute; assets are named relative to the program"));
    }
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(format!("`{path}` goes up with `..`; assets must lie beside or below the program")),
            part => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Err(format!("`{path}` names no file"));
    }
    Ok(parts.join("/"))
}

/// The contents of a runtime's identification section: which bundle format versions
/// and which payload container version it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuntimeId {
    pub min_format: u32,
    pub max_format: u32,
    pub payload_version: u32,
}

pub const RUNTIME_ID_MAGIC: [u8; 8] = *b"SEMARUN\0";
pub const RUNTIME_ID_LEN: usize = 20;

impl RuntimeId {
    /// The identity of a runtime built from this version of the crate.
    pub const CURRENT: RuntimeId =
        RuntimeId { min_format: MIN_FORMAT_VERSION, max_format: FORMAT_VERSION, payload_version: PAYLOAD_VERSION };

    pub const fn encode(&self) -> [u8; RUNTIME_ID_LEN] {
        let mut out = [0u8; RUNTIME_ID_LEN];
        let mut i = 0;
        while i < 8 {
            out[i] = RUNTIME_ID_MAGIC[i];
            i += 1;
        }
        let fields = [self.min_format, self.max_format, self.payload_version];
        let mut f = 0;
        while f < 3 {
            let le = fields[f].to_le_bytes();
            let mut b = 0;
            while b < 4 {
                out[8 + 4 * f + b] = le[b];
                b += 1;
            }
            f += 1;
        }
        out
    }

    /// `None` when the bytes are not a runtime identification.
    pub fn decode(bytes: &[u8]) -> Option<RuntimeId> {
        if bytes.len() < RUNTIME_ID_LEN || bytes[..8] != RUNTIME_ID_MAGIC {
            return None;
        }
        let field = |i: usize| u32::from_le_bytes(bytes[8 + 4 * i..12 + 4 * i].try_into().expect("four bytes"));
        Some(RuntimeId { min_format: field(0), max_format: field(1), payload_version: field(2) })
    }

    /// Whether a runtime with this identity runs what this crate writes.
    pub fn runs_current_output(&self) -> bool {
        let format = FORMAT_VERSION;
        self.min_format <= format && format <= self.max_format && self.payload_version == PAYLOAD_VERSION
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn take(&mut self, len: u64, reading: &'static str) -> Result<&'a [u8], PayloadError> {
        if len > self.remaining() as u64 {
            return Err(PayloadError::Truncated { offset: self.bytes.len(), reading });
        }
        let slice = &self.bytes[self.at..self.at + len as usize];
        self.at += len as usize;
        Ok(slice)
    }

    fn u32(&mut self, reading: &'static str) -> Result<u32, PayloadError> {
        Ok(u32::from_le_bytes(self.take(4, reading)?.try_into().expect("four bytes")))
    }

    fn u64(&mut self, reading: &'static str) -> Result<u64, PayloadError> {
        Ok(u64::from_le_bytes(self.take(8, reading)?.try_into().expect("eight bytes")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let assets = [Asset { path: "data/a.txt", bytes: b"alpha\n" }, Asset { path: "data/b.txt", bytes: b"" }];
        write_payload(b"BUNDLE", &["--sandbox=all", "--max-memory=64m"], &assets, None)
    }

    #[test]
    fn round_trips() {
        let bytes = sample();
        let payload = read_payload(&bytes).unwrap();
        assert_eq!(payload.bundle, b"BUNDLE");
        assert_eq!(payload.run_options, ["--sandbox=all", "--max-memory=64m"]);
        assert_eq!(payload.assets.len(), 2);
        assert_eq!(payload.assets[0], Asset { path: "data/a.txt", bytes: b"alpha\n" });
        assert_eq!(payload.assets[1].bytes, b"");
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = sample();
        for len in 0..bytes.len() {
            assert!(read_payload(&bytes[..len]).is_err(), "prefix of {len} bytes accepted");
        }
    }

    #[test]
    fn a_flipped_byte_is_caught_by_the_digest() {
        let mut bytes = sample();
        let last = bytes.len() - 3;
        bytes[last] ^= 1;
        assert!(matches!(read_payload(&bytes), Err(PayloadError::Corrupted { .. })));
    }

    #[test]
    fn versions_are_named() {
        let mut bytes = sample();
        bytes[8] = 9;
        assert_eq!(read_payload(&bytes), Err(PayloadError::NewerVersion { found: 9 }));
        bytes[8] = 0;
        assert_eq!(read_payload(&bytes), Err(PayloadError::OlderVersion { found: 0 }));
        assert_eq!(read_payload(b"\x7fELF and more"), Err(PayloadError::NotAPayload));
    }

    #[test]
    fn a_signed_payload_verifies_and_any_change_breaks_it() {
        let key = SecretKey::generate([7; 32]);
        let bytes = write_payload(b"BUNDLE", &["--sandbox=all"], &[Asset { path: "a", bytes: b"x" }], Some(&key));
        assert_eq!(read_payload(&bytes).unwrap().signed_by, Some(key.public()));
        for i in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[i] ^= 0x01;
            assert!(read_payload(&changed).is_err(), "byte {i} changed and still read");
        }
        assert_eq!(read_payload(&sample()).unwrap().signed_by, None);
    }

    #[test]
    fn a_version_1_payload_has_no_run_options() {
        // Version 1: the bundle, then the assets, no run options.
        let mut body = Vec::new();
        body.extend_from_slice(&1u64.to_le_bytes());
        body.push(b'B');
        let mut bytes = PAYLOAD_MAGIC.to_vec();
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes.extend_from_slice(&digest(&body).to_le_bytes());
        bytes.extend_from_slice(&body);
        let payload = read_payload(&bytes).unwrap();
        assert_eq!((payload.bundle, payload.run_options.len(), payload.assets.len()), (&b"B"[..], 0, 0));
    }

    #[test]
    fn a_huge_asset_count_allocates_nothing_up_front() {
        let mut bytes = write_payload(b"B", &[], &[], None);
        bytes[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        // Digest still matches (it covers only the body), so the count is what fails.
        assert!(matches!(read_payload(&bytes), Err(PayloadError::Truncated { .. })));
    }

    #[test]
    fn asset_paths_are_checked_and_normalised() {
        assert_eq!(check_asset_path("./data//a.txt"), Ok("data/a.txt".to_string()));
        assert!(check_asset_path("/etc/passwd").unwrap_err().contains("absolute"));
        assert!(check_asset_path("data/../../x").unwrap_err().contains(".."));
        assert!(check_asset_path("a\0b").unwrap_err().contains("NUL"));
        assert!(check_asset_path("a\\b").unwrap_err().contains("backslash"));
        assert!(check_asset_path("./").is_err());
    }

    #[test]
    fn runtime_id_round_trips_and_checks_versions() {
        let bytes = RuntimeId::CURRENT.encode();
        assert_eq!(RuntimeId::decode(&bytes), Some(RuntimeId::CURRENT));
        assert!(RuntimeId::CURRENT.runs_current_output());
        let future = RuntimeId { min_format: FORMAT_VERSION + 1, ..RuntimeId::CURRENT };
        assert!(!future.runs_current_output());
        assert_eq!(RuntimeId::decode(b"not an id at all, no"), None);
    }
}

//! Reading a bundle from bytes; mirrors `write.rs`. Total: every failure is a
//! [`ReadError`] naming the byte offset and what was being read, never a panic.
//! Allocation is bounded by the input: postcard grows vectors as elements arrive, and
//! the limits in `limits.rs` cap what a payload may declare.

use std::fmt;

use crate::bundle::{Bundle, Constant, DebugInfo, Proto};
use crate::header::{
    digest, Header, FLAG_DEBUG, FLAG_SIGNED, FORMAT_VERSION, HEADER_LEN, KNOWN_FLAGS, MAGIC, MIN_FORMAT_VERSION,
};
use crate::limits;
use crate::opcodes::ProtoIdx;

/// Why bytes are not a readable bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The bytes do not start with the bundle magic.
    NotABundle,
    /// The magic was altered the way text-mode transfers alter files.
    TextMangled,
    /// The file ends before the header or payload does.
    Truncated { expected: u64, actual: u64 },
    /// More bytes follow the payload than the header declares.
    TrailingBytes { expected: u64, actual: u64 },
    /// The payload does not match the header's digest.
    Corrupted { expected: u64, actual: u64 },
    /// Written by a newer format version than this reader knows.
    NewerVersion { found: u32, supported: u32 },
    /// Written by an older format version this reader no longer accepts.
    OlderVersion { found: u32, minimum: u32 },
    /// Header flags this version does not know.
    UnknownFlags { flags: u32 },
    /// A section did not decode or broke a limit.
    Malformed { offset: u64, section: &'static str, detail: String },
    /// The signature block does not match what it signs.
    BadSignature(crate::sign::SignError),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotABundle => write!(f, "not a Sema bundle (bad magic bytes at offset 0)"),
            ReadError::TextMangled => write!(
                f,
                "not a usable Sema bundle: its first bytes were altered by a text-mode transfer \
                 (newline or 8-bit conversion); copy the file in binary mode"
            ),
            ReadError::Truncated { expected, actual } => write!(
                f,
                "truncated bundle: expected {expected} bytes, the file has {actual}"
            ),
            ReadError::TrailingBytes { expected, actual } => write!(
                f,
                "corrupted bundle: expected {expected} bytes, the file has {actual} (extra bytes after the payload)"
            ),
            ReadError::Corrupted { expected, actual } => write!(
                f,
                "corrupted bundle: payload digest is {actual:016x}, the header says {expected:016x}"
            ),
            ReadError::NewerVersion { found, supported } => write!(
                f,
                "bundle format version {found} is newer than this semarun supports (version {supported}); upgrade semarun"
            ),
            ReadError::OlderVersion { found, minimum } => write!(
                f,
                "bundle format version {found} is older than this semarun accepts (version {minimum} or later); recompile the program with a current semac"
            ),
            ReadError::UnknownFlags { flags } => write!(
                f,
                "bundle header has unknown flags {flags:#x} at offset 12; it was written by a newer semac"
            ),
            ReadError::Malformed { offset, section, detail } => {
                write!(f, "malformed bundle at offset {offset}: {section}: {detail}")
            }
            ReadError::BadSignature(err) => write!(f, "bad signature: {err}"),
        }
    }
}

impl std::error::Error for ReadError {}

/// Checks the header and digest and decodes the payload.
pub fn read_bundle(bytes: &[u8]) -> Result<Bundle, ReadError> {
    let header = read_header(bytes)?;
    let payload_end = HEADER_LEN + header.payload_len as usize;
    if header.flags & FLAG_SIGNED != 0 {
        crate::sign::verify(&bytes[..payload_end], &bytes[payload_end..]).map_err(ReadError::BadSignature)?;
    }
    let payload = &bytes[HEADER_LEN..payload_end];
    let mut reader = SectionReader { payload, offset: 0 };
    let symbols: Vec<String> = reader.section("symbol table")?;
    if symbols.len() > limits::MAX_SYMBOLS {
        return Err(reader.limit("symbol table", "too many symbols"));
    }
    if symbols.iter().any(|s| s.len() > limits::MAX_NAME_LEN) {
        return Err(reader.limit("symbol table", "symbol name too long"));
    }
    let constants: Vec<Constant> = reader.section("constant pool")?;
    if constants.len() > limits::MAX_CONSTANTS {
        return Err(reader.limit("constant pool", "too many constants"));
    }
    let protos: Vec<Proto> = reader.section("function prototypes")?;
    if protos.len() > limits::MAX_PROTOS {
        return Err(reader.limit("function prototypes", "too many prototypes"));
    }
    let entry: ProtoIdx = reader.section("entry function")?;
    let debug: Option<DebugInfo> =
        if header.flags & FLAG_DEBUG != 0 { Some(reader.section("debug section")?) } else { None };
    if reader.offset != payload.len() {
        return Err(reader.limit("payload", "bytes left over after the last section"));
    }
    Ok(Bundle { symbols, constants, protos, entry, debug })
}

/// Checks magic, version, flags, length and digest; returns the header.
pub fn read_header(bytes: &[u8]) -> Result<Header, ReadError> {
    let header = read_header_fields(bytes)?;
    let actual = bytes.len() as u64;
    let expected = file_len(&header);
    if actual < expected {
        return Err(ReadError::Truncated { expected, actual });
    }
    if actual > expected {
        return Err(ReadError::TrailingBytes { expected, actual });
    }
    let found = digest(&bytes[HEADER_LEN..HEADER_LEN + header.payload_len as usize]);
    if found != header.digest {
        return Err(ReadError::Corrupted { expected: header.digest, actual: found });
    }
    Ok(header)
}

/// The length of the bundle file `header` describes: header, payload and, when the
/// bundle is signed, the signature block.
pub fn file_len(header: &Header) -> u64 {
    let signature = if header.flags & FLAG_SIGNED != 0 { crate::sign::SIGNATURE_LEN as u64 } else { 0 };
    (HEADER_LEN as u64).saturating_add(header.payload_len).saturating_add(signature)
}

/// The key whose signature a bundle read by `read_bundle` carries (checked there).
pub fn signed_by(bytes: &[u8]) -> Option<crate::sign::PublicKey> {
    let header = read_header_fields(bytes).ok()?;
    if header.flags & FLAG_SIGNED == 0 {
        return None;
    }
    crate::sign::signing_key(bytes.get(HEADER_LEN + header.payload_len as usize..)?)
}

/// Checks what the fixed header alone shows (magic, version, flags, the payload
/// length against its limit) from the first `HEADER_LEN` bytes, so a reader can
/// refuse a file before reading its payload.
pub fn read_header_fields(bytes: &[u8]) -> Result<Header, ReadError> {
    check_magic(bytes)?;
    let Some(fixed) = bytes.get(..HEADER_LEN) else {
        return Err(ReadError::Truncated { expected: HEADER_LEN as u64, actual: bytes.len() as u64 });
    };
    let header = Header::decode_fields(fixed.try_into().map_err(|_| ReadError::NotABundle)?);
    if header.version > FORMAT_VERSION {
        return Err(ReadError::NewerVersion { found: header.version, supported: FORMAT_VERSION });
    }
    if header.version < MIN_FORMAT_VERSION {
        return Err(ReadError::OlderVersion { found: header.version, minimum: MIN_FORMAT_VERSION });
    }
    if header.flags & !KNOWN_FLAGS != 0 {
        return Err(ReadError::UnknownFlags { flags: header.flags });
    }
    if header.payload_len > limits::MAX_PAYLOAD {
        return Err(ReadError::Malformed {
            offset: 16,
            section: "header",
            detail: format!("payload length {} exceeds the limit", header.payload_len),
        });
    }
    Ok(header)
}

fn check_magic(bytes: &[u8]) -> Result<(), ReadError> {
    let n = bytes.len().min(MAGIC.len());
    if bytes[..n] == MAGIC[..n] {
        return if n == MAGIC.len() {
            Ok(())
        } else {
            Err(ReadError::Truncated { expected: HEADER_LEN as u64, actual: bytes.len() as u64 })
        };
    }
    // "\x89SMB" followed by anything but the magic's CR LF SUB LF: a newline
    // translation (either direction) or a stripped high bit.
    let mangled_newline = bytes.len() >= 5 && bytes[..4] == MAGIC[..4];
    let stripped_high_bit = bytes.len() >= 4 && bytes[0] == 0x09 && bytes[1..4] == MAGIC[1..4];
    if mangled_newline || stripped_high_bit {
        Err(ReadError::TextMangled)
    } else {
        Err(ReadError::NotABundle)
    }
}

struct SectionReader<'a> {
    payload: &'a [u8],
    offset: usize,
}

impl SectionReader<'_> {
    fn section<T: serde::de::DeserializeOwned>(&mut self, section: &'static str) -> Result<T, ReadError> {
        let rest = &self.payload[self.offset..];
        match postcard::take_from_bytes::<T>(rest) {
            Ok((value, remaining)) => {
                self.offset = self.payload.len() - remaining.len();
                Ok(value)
            }
            Err(err) => Err(ReadError::Malformed {
                offset: (HEADER_LEN + self.offset) as u64,
                section,
                detail: err.to_string(),
            }),
        }
    }

    fn limit(&self, section: &'static str, detail: &str) -> ReadError {
        ReadError::Malformed { offset: (HEADER_LEN + self.offset) as u64, section, detail: detail.to_string() }
    }
}

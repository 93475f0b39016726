//! The fixed 32-byte header that starts every bundle.
//!
//! ```text
//! offset size field
//!      0    8 magic      89 53 4D 42 0D 0A 1A 0A  ("\x89SMB\r\n\x1a\n")
//!      8    4 version    u32 little-endian, the format version
//!     12    4 flags      u32 little-endian; bit 0: a debug section is present;
//!                        bit 1: a signature block follows the payload (`sign.rs`)
//!     16    8 length     u64 little-endian, payload bytes after the header
//!     24    8 digest     u64 little-endian, XXH3-64 of the payload
//! ```
//!
//! The magic's high byte catches 7-bit transfers, its CR LF and lone LF catch newline
//! translation, and the length catches truncation before any payload is parsed.

/// The first eight bytes of every bundle.
pub const MAGIC: [u8; 8] = [0x89, b'S', b'M', b'B', b'\r', b'\n', 0x1a, b'\n'];
/// Size of the header in bytes.
pub const HEADER_LEN: usize = 32;
/// The version this crate writes.
pub const FORMAT_VERSION: u32 = 5;
/// The oldest version this crate still reads.
pub const MIN_FORMAT_VERSION: u32 = 5;
/// Flag bit: the payload ends with a debug section.
pub const FLAG_DEBUG: u32 = 1;
/// Flag bit: a 104-byte Ed25519 signature block follows the payload. Older readers
/// refuse such a bundle (an unknown flag) rather than run it unchecked.
pub const FLAG_SIGNED: u32 = 2;
/// Every flag bit this version knows.
pub const KNOWN_FLAGS: u32 = FLAG_DEBUG | FLAG_SIGNED;

/// The decoded header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub version: u32,
    pub flags: u32,
    pub payload_len: u64,
    pub digest: u64,
}

impl Header {
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..8].copy_from_slice(&MAGIC);
        out[8..12].copy_from_slice(&self.version.to_le_bytes());
        out[12..16].copy_from_slice(&self.flags.to_le_bytes());
        out[16..24].copy_from_slice(&self.payload_len.to_le_bytes());
        out[24..32].copy_from_slice(&self.digest.to_le_bytes());
        out
    }

    /// Reads the fields of a header whose magic has already been checked.
    pub(crate) fn decode_fields(bytes: &[u8; HEADER_LEN]) -> Header {
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or([0; 4]));
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8]));
        Header { version: u32_at(8), flags: u32_at(12), payload_len: u64_at(16), digest: u64_at(24) }
    }
}

/// The digest stored in the header.
pub fn digest(payload: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(payload)
}

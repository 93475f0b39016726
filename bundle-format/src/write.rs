//! Serialising a bundle. `read.rs` mirrors this file section by section.
//!
//! Payload sections, each postcard-encoded, in this order: symbols, constants,
//! prototypes, entry, and (when the header's debug flag is set) the debug section.
//! The output depends only on the `Bundle` value: no timestamps, no paths beyond what
//! the compiler put into the debug section, no hash-map iteration.

use crate::bundle::Bundle;
use crate::header::{digest, Header, FLAG_DEBUG, FORMAT_VERSION};

/// Encodes a bundle: header, then payload.
pub fn write_bundle(bundle: &Bundle) -> Vec<u8> {
    let mut payload = Vec::new();
    write_section(&mut payload, &bundle.symbols);
    write_section(&mut payload, &bundle.constants);
    write_section(&mut payload, &bundle.protos);
    write_section(&mut payload, &bundle.entry);
    let mut flags = 0;
    if let Some(debug) = &bundle.debug {
        write_section(&mut payload, debug);
        flags |= FLAG_DEBUG;
    }
    let header = Header {
        version: FORMAT_VERSION,
        flags,
        payload_len: payload.len() as u64,
        digest: digest(&payload),
    };
    let mut out = header.encode().to_vec();
    out.extend_from_slice(&payload);
    out
}

/// Signs a bundle written by `write_bundle`: sets the signed flag in its header and
/// appends the signature block over header and payload.
pub fn sign_bundle(mut bytes: Vec<u8>, key: &crate::sign::SecretKey) -> Vec<u8> {
    let flags = u32::from_le_bytes(bytes[12..16].try_into().expect("a written header")) | crate::header::FLAG_SIGNED;
    bytes[12..16].copy_from_slice(&flags.to_le_bytes());
    let block = key.sign(&bytes);
    bytes.extend_from_slice(&block);
    bytes
}

fn write_section<T: serde::Serialize>(payload: &mut Vec<u8>, value: &T) {
    // Serialising plain data into a Vec cannot fail.
    let bytes = postcard::to_allocvec(value).expect("postcard serialisation into memory");
    payload.extend_from_slice(&bytes);
}

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

fn write_section<T: serde::Serialize>(payload: &mut Vec<u8>, value: &T) {
    // Serialising plain data into a Vec cannot fail.
    let bytes = postcard::to_allocvec(value).expect("postcard serialisation into memory");
    payload.extend_from_slice(&bytes);
}

//! Hashes (`hash/sha256`, `hash/md5`, `hash/hmac-sha256`), base64 (standard alphabet,
//! padded) and random `uuid/v4`. Digests are lowercase hex strings.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("uuid/v4", 0, Some(0), |_| Ok(Value::str(uuid::Uuid::new_v4().to_string()))),
    pure("base64/encode", 1, Some(1), |a| Ok(Value::str(STANDARD.encode(a[0].expect_str()?)))),
    pure("base64/decode", 1, Some(1), |a| {
        let bytes = base64_decode(a[0].expect_str()?, "base64/decode")?;
        let text = String::from_utf8(bytes).map_err(|e| Error::eval(format!("base64/decode: invalid UTF-8: {e}")))?;
        Ok(Value::str(text))
    }),
    pure("base64/encode-bytes", 1, Some(1), |a| Ok(Value::str(STANDARD.encode(a[0].expect_bytes()?)))),
    pure("base64/decode-bytes", 1, Some(1), |a| {
        Ok(Value::bytes(base64_decode(a[0].expect_str()?, "base64/decode-bytes")?))
    }),
    pure("hash/md5", 1, Some(1), |a| Ok(Value::str(hex(&md5::compute(a[0].expect_str()?)[..])))),
    pure("hash/sha256", 1, Some(1), |a| Ok(Value::str(sha256_hex(a[0].expect_str()?.as_bytes())))),
    pure("hash/hmac-sha256", 2, Some(2), |a| {
        let (key, message) = (a[0].expect_str()?, a[1].expect_str()?);
        // HMAC takes keys of any length (long ones are hashed first): this cannot fail.
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).map_err(|e| Error::eval(e.to_string()))?;
        mac.update(message.as_bytes());
        Ok(Value::str(hex(&mac.finalize().into_bytes())))
    }),
];

/// Decodes standard padded base64 (the fuzzing entry point for base64 text).
pub fn base64_decode(text: &str, name: &str) -> Result<Vec<u8>> {
    STANDARD.decode(text).map_err(|e| Error::eval(format!("{name}: {e}")))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(hex(&md5::compute("abc")[..]), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(base64_decode("aGVsbG8=", "t").unwrap(), b"hello");
        assert!(base64_decode("a", "t").is_err());
    }
}

//! Signed bundles and executables (issue 11): `semac --keygen`, `semac --sign KEY`,
//! `semarun --verify-key PUB`, `--require-signature`. The XXH3 digest only catches
//! accidents; a signature catches someone who edits the program and recomputes the
//! digest. Includes the mutation test for signed bundles: no change to any byte of a
//! signed bundle runs under `--verify-key`.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use bundle_format::header::{digest, FLAG_SIGNED, HEADER_LEN};
use bundle_format::sign::SIGNATURE_LEN;
use sema_e2e::{run_tool, run_with_timeout, write_file, Outcome, TempDir};

const PROGRAM: &str = "(println \"the original message\")\n";

/// A directory with keys `a` and `b`, `main.sema`, and `signed.semb` (signed by a)
/// and `plain.semb` (unsigned).
fn setup(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    write_file(dir.path(), "main.sema", PROGRAM);
    for name in ["a", "b"] {
        let out = run_tool("semac", dir.path(), &["--keygen", name]);
        assert!(out.success(), "{}", out.describe_end());
    }
    assert!(run_tool("semac", dir.path(), &["main.sema", "-o", "signed.semb", "--sign", "a.key"]).success());
    assert!(run_tool("semac", dir.path(), &["main.sema", "-o", "plain.semb"]).success());
    dir
}

fn semarun(dir: &Path, args: &[&str]) -> Outcome {
    run_tool("semarun", dir, args)
}

fn assert_refused(out: &Outcome, message: &str) {
    assert_eq!(out.code(), Some(2), "{}", out.describe_end());
    assert_eq!(out.stdout_text(), "", "a refused program ran");
    assert_eq!(out.stderr_text().lines().next(), Some(message), "{}", out.stderr_text());
}

#[test]
fn keygen_writes_a_private_secret_key_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let dir = setup("keygen");
    let mode = fs::metadata(dir.path().join("a.key")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let public = fs::read_to_string(dir.path().join("a.pub")).unwrap();
    assert!(public.starts_with("untrusted comment: sema public key "), "{public}");
    let before = fs::read(dir.path().join("a.key")).unwrap();
    let out = run_tool("semac", dir.path(), &["--keygen", "a"]);
    assert_eq!(out.code(), Some(2));
    assert!(out.stderr_text().starts_with("semac: cannot write a.key: "), "{}", out.stderr_text());
    assert_eq!(fs::read(dir.path().join("a.key")).unwrap(), before);
    let out = run_tool("semac", dir.path(), &["main.sema", "--sign", "a.pub"]);
    assert_eq!(out.code(), Some(2));
    assert_eq!(out.stderr_text().lines().next(), Some("semac: --sign a.pub: not a sema secret key file (made by semac --keygen)"));
}

#[test]
fn a_signed_bundle_runs_with_its_key_and_is_refused_with_another() {
    let dir = setup("verify-key");
    let out = semarun(dir.path(), &["--verify-key", "a.pub", "signed.semb"]);
    assert_eq!(out.stdout_text(), "the original message\n", "{}", out.describe_end());
    // A signature present is checked even without options.
    assert_eq!(semarun(dir.path(), &["signed.semb"]).stdout_text(), "the original message\n");
    let id_b = fs::read_to_string(dir.path().join("b.pub")).unwrap();
    let id_a = fs::read_to_string(dir.path().join("a.pub")).unwrap();
    let id_a = id_a.lines().next().unwrap().rsplit(' ').next().unwrap();
    assert!(!id_b.contains(id_a));
    let out = semarun(dir.path(), &["--verify-key", "b.pub", "signed.semb"]);
    assert_refused(
        &out,
        &format!("semarun: signed.semb: the program is signed by key {id_a}, which is not among the trusted keys (--verify-key)"),
    );
    let out = semarun(dir.path(), &["--verify-key", "b.pub", "--verify-key", "a.pub", "signed.semb"]);
    assert_eq!(out.stdout_text(), "the original message\n");
}

#[test]
fn unsigned_bundles_are_refused_when_a_signature_is_required() {
    let dir = setup("require");
    for args in [&["--require-signature", "plain.semb"][..], &["--verify-key", "a.pub", "plain.semb"][..]] {
        assert_refused(&semarun(dir.path(), args), "semarun: plain.semb: the program is not signed, and a signature is required");
    }
    assert_eq!(semarun(dir.path(), &["plain.semb"]).stdout_text(), "the original message\n");
    assert_eq!(semarun(dir.path(), &["--require-signature", "signed.semb"]).stdout_text(), "the original message\n");
}

/// `bytes` with the header's digest recomputed over its (possibly changed) payload.
fn with_fresh_digest(mut bytes: Vec<u8>) -> Vec<u8> {
    let len = u64::from_le_bytes(bytes[16..24].try_into().unwrap()) as usize;
    let end = (HEADER_LEN + len).min(bytes.len());
    let fresh = digest(&bytes[HEADER_LEN..end]);
    bytes[24..32].copy_from_slice(&fresh.to_le_bytes());
    bytes
}

#[test]
fn an_edited_string_with_a_recomputed_digest_is_caught() {
    let dir = setup("tamper");
    let bytes = fs::read(dir.path().join("signed.semb")).unwrap();
    let at = bytes.windows(8).position(|w| w == b"original").expect("the string constant");
    let mut edited = bytes.clone();
    edited[at..at + 8].copy_from_slice(b"tampered");
    fs::write(dir.path().join("edited.semb"), with_fresh_digest(edited)).unwrap();
    let out = semarun(dir.path(), &["edited.semb"]);
    assert_eq!(out.code(), Some(2), "{}", out.describe_end());
    assert!(out.stderr_text().contains("does not match: the program was changed after it was signed"), "{}", out.stderr_text());
    let out = semarun(dir.path(), &["--verify", "edited.semb"]);
    assert_eq!(out.code(), Some(2));
    // Removing the signature gives a valid unsigned bundle: it runs, but not where a
    // signature is required.
    let mut stripped = bytes[..bytes.len() - SIGNATURE_LEN].to_vec();
    let flags = u32::from_le_bytes(stripped[12..16].try_into().unwrap()) & !FLAG_SIGNED;
    stripped[12..16].copy_from_slice(&flags.to_le_bytes());
    stripped[at..at + 8].copy_from_slice(b"tampered");
    fs::write(dir.path().join("stripped.semb"), with_fresh_digest(stripped)).unwrap();
    assert_eq!(semarun(dir.path(), &["stripped.semb"]).stdout_text(), "the tampered message\n");
    assert_refused(
        &semarun(dir.path(), &["--verify-key", "a.pub", "stripped.semb"]),
        "semarun: stripped.semb: the program is not signed, and a signature is required",
    );
}

#[test]
fn info_and_verify_name_the_signing_key() {
    let dir = setup("info");
    let id_a = fs::read_to_string(dir.path().join("a.pub")).unwrap();
    let id_a = id_a.lines().next().unwrap().rsplit(' ').next().unwrap().to_string();
    let info = semarun(dir.path(), &["--info", "signed.semb"]).stdout_text();
    assert!(info.contains(&format!("signature:      Ed25519 by key {id_a} (valid)\n")), "{info}");
    assert!(semarun(dir.path(), &["--info", "plain.semb"]).stdout_text().contains("signature:      none\n"));
    let out = semarun(dir.path(), &["--verify-key", "a.pub", "--verify", "signed.semb"]);
    assert_eq!(out.stdout_text(), format!("signed.semb: ok (bundle, format version {}, verified, signed by key {id_a})\n", bundle_format::FORMAT_VERSION));
    let out = semarun(dir.path(), &["--verify-key", "b.pub", "--verify", "signed.semb"]);
    assert_eq!(out.code(), Some(2));
}

#[test]
fn a_signed_executable_covers_its_baked_run_options() {
    use std::os::unix::fs::PermissionsExt;
    let dir = setup("signed-exe");
    write_file(dir.path(), "data/asset.txt", "asset text");
    let out = run_tool(
        "semac",
        dir.path(),
        &["main.sema", "--exe", "-o", "app", "--sign", "a.key", "--sandbox=all", "--include", "data"],
    );
    assert!(out.success(), "{}", out.describe_end());
    let run = |name: &str| {
        let mut cmd = Command::new(dir.path().join(name));
        cmd.current_dir(dir.path());
        run_with_timeout(cmd, Duration::from_secs(60)).unwrap()
    };
    assert_eq!(run("app").stdout_text(), "the original message\n");
    let out = semarun(dir.path(), &["--verify-key", "a.pub", "--verify", "app"]);
    assert!(out.success(), "{}", out.describe_end());
    assert_eq!(semarun(dir.path(), &["--verify-key", "b.pub", "--verify", "app"]).code(), Some(2));
    // Loosen the baked policy and recompute the payload's digest: the signature fails.
    let bytes = fs::read(dir.path().join("app")).unwrap();
    let at = bytes.windows(13).position(|w| w == b"--sandbox=all").expect("the baked option");
    let mut edited = bytes.clone();
    edited[at..at + 13].copy_from_slice(b"--sandbox=lla");
    // Payload container: magic, version, flags, asset count, digest (at +20), body.
    let (magic, size) = section_range(&bytes, ".sema_payload").expect("a payload section");
    assert_eq!(bytes[magic..magic + 8], bundle_format::embed::PAYLOAD_MAGIC);
    let body_end = magic + size - SIGNATURE_LEN;
    let fresh = digest(&edited[magic + 28..body_end]);
    edited[magic + 20..magic + 28].copy_from_slice(&fresh.to_le_bytes());
    fs::write(dir.path().join("edited-app"), &edited).unwrap();
    fs::set_permissions(dir.path().join("edited-app"), fs::Permissions::from_mode(0o755)).unwrap();
    let out = run("edited-app");
    assert_eq!(out.code(), Some(2), "{}", out.describe_end());
    assert_eq!(out.stdout_text(), "");
    assert!(out.stderr_text().contains("the embedded payload has a bad signature"), "{}", out.stderr_text());
}

/// (offset, size) of the named ELF64 little-endian section.
fn section_range(bytes: &[u8], name: &str) -> Option<(usize, usize)> {
    let u16_at = |at: usize| u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap()) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
    let (shoff, shentsize, shnum, shstrndx) = (u64_at(0x28), u16_at(0x3a), u16_at(0x3c), u16_at(0x3e));
    let strtab = u64_at(shoff + shstrndx * shentsize + 0x18);
    (0..shnum).map(|i| shoff + i * shentsize).find_map(|header| {
        let name_at = strtab + u32_at(header);
        let found = bytes[name_at..].split(|&b| b == 0).next()? == name.as_bytes();
        found.then(|| (u64_at(header + 0x18), u64_at(header + 0x20)))
    })
}

/// The mutation test for signed bundles: single-bit flips at every byte, byte
/// overwrites, and changes to the payload with the digest recomputed. None may run
/// under `--verify-key` (each must be refused with status 2), and none may crash.
#[test]
fn no_mutation_of_a_signed_bundle_runs_under_verify_key() {
    let dir = setup("signed-mutation");
    let bytes = fs::read(dir.path().join("signed.semb")).unwrap();
    let mut variants: Vec<(String, Vec<u8>)> = Vec::new();
    for at in 0..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[at] ^= 1 << (at % 8);
        variants.push((format!("bit flip at {at}"), flipped.clone()));
        if (HEADER_LEN..bytes.len() - SIGNATURE_LEN).contains(&at) {
            variants.push((format!("bit flip at {at}, digest recomputed"), with_fresh_digest(flipped)));
        }
    }
    for cut in [HEADER_LEN, bytes.len() - SIGNATURE_LEN, bytes.len() - 1] {
        variants.push((format!("cut at {cut}"), bytes[..cut].to_vec()));
    }
    let mut extended = bytes.clone();
    extended.push(0);
    variants.push(("a byte appended".to_string(), extended));
    for (i, (what, variant)) in variants.iter().enumerate() {
        let name = format!("v{i}.semb");
        fs::write(dir.path().join(&name), variant).unwrap();
        let out = semarun(dir.path(), &["--verify-key", "a.pub", &name]);
        assert_eq!(out.code(), Some(2), "{what}: {}", out.describe_end());
        assert_eq!(out.stdout_text(), "", "{what}: the variant ran");
        fs::remove_file(dir.path().join(&name)).unwrap();
    }
}

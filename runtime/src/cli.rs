//! The `semarun` command line, shared by the full runtime (`semarun`) and the small
//! one without the battery builtins (`semarun-lite`, what `semac --exe` embeds for a
//! program that names none of them).
//!
//! Exit status: 0 after a normal run, 1 after an uncaught error, `n` after `(exit n)`,
//! 2 when the bundle cannot be loaded (missing, foreign, corrupt, wrong version,
//! rejected by the verifier) or the command line is wrong, 124 when `--fuel` or
//! `--max-seconds` stopped the run; a run whose stdout reader went away ends by
//! SIGPIPE, quietly.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bundle_format::embed;
use bundle_format::sign::{PublicKey, Trust};

use crate::embedded::{self, Section};

const USAGE: &str = "usage: semarun [OPTIONS] BUNDLE [--] [ARGS...]\n       semarun --info FILE | --verify FILE | --version";

const HELP: &str = "Runs a bundle written by `semac`.

Arguments after the bundle reach the program through (sys/args) as
(\"semarun\" BUNDLE \"--\" ARGS...).

options:
  --fuel N         stop with an error after N calls and backward jumps
  --max-seconds S  stop with an error after S seconds of running (checked every 1024 steps)
  --max-memory SIZE
                   raise a catchable error when the program has more than SIZE allocated
                   (bytes, or 64m, 2g ...; checked every 1024 steps); end the run at
                   once past SIZE and a quarter more
  --info FILE      describe a bundle or an executable built by `semac --exe` (format
                   version, digest, sizes, modules, assets, debug info) without running it
  --verify FILE    check a bundle or executable (header, digest, signature, verifier) without running it
  --verify-key PUB run (or --verify) only what is signed by this key (a file made by
                   `semac --keygen`; repeatable: any of the keys)
  --require-signature
                   refuse an unsigned bundle (a signature present is always checked)

permissions (docs/security.md; a denied call raises a catchable :permission-denied error):
  --sandbox=VALUE  deny capabilities: `strict` (all but fs-read and env-read), `all`, or a
                   list such as no-fs-write,no-shell (fs-read, fs-write, shell, process,
                   env-read, env-write, network)
  --allowed-paths=DIR,...   file access only under these directories
  --allow-read[=PATH,...]   once any --allow-* is given, everything not allowed is
  --allow-write[=PATH,...]  denied; with paths, only under them
  --allow-env[=NAME,...]    the environment, or only these variables
  --allow-run               shell and subprocesses
  --allow-net               the network
  --deny-early              refuse to start a program whose code names a builtin the
                            policy denies (what it can reach: --info), listing them
  -h, --help       print this help
  -V, --version    print the version and the bundle format versions this runtime reads

exit status: 0 done, 1 uncaught error, n after (exit n), 2 bad command line or a bundle
that cannot be loaded, 124 stopped by --fuel or --max-seconds";

/// What the command line asks for.
enum Command {
    Help,
    Version,
    /// `--info` (`describe`) or `--verify` of a file.
    Inspect { describe: bool, path: PathBuf },
    /// Run the bundle; `args` are the program's (a leading `--` removed).
    Run { bundle: String, args: Vec<String> },
}

/// Parses the options (lexopt) up to the bundle; everything after the bundle is
/// the program's. Fills `run_options` and `trust` on the way.
fn parse(argv: &[String], run_options: &mut RunOptions, trust: &mut Trust) -> Result<Command, String> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(argv);
    let text = |value: std::ffi::OsString| value.to_string_lossy().into_owned();
    while let Some(arg) = parser.next().map_err(explain)? {
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            Long(flag @ ("info" | "verify")) => {
                let describe = flag == "info";
                return Ok(Command::Inspect { describe, path: parser.value().map_err(explain)?.into() });
            }
            Long("verify-key") => trust.keys.push(read_public_key(Path::new(&parser.value().map_err(explain)?))?),
            Long("require-signature") => trust.require_signature = true,
            // Their value may follow as the next argument.
            Long(flag @ ("fuel" | "max-seconds" | "max-memory" | "sandbox" | "allowed-paths")) => {
                let flag = format!("--{flag}");
                let value = text(parser.value().map_err(explain)?);
                run_options.take(&flag, Some(&value))?;
            }
            // `--allow-*` take a value only after `=`; `--deny-early` none.
            Long(flag) => {
                let flag = format!("--{flag}");
                let value = parser.optional_value().map(text);
                run_options.take(&flag, value.as_deref())?;
            }
            Value(bundle) => {
                let mut args: Vec<String> = parser.raw_args().map_err(explain)?.map(text).collect();
                if args.first().is_some_and(|a| a == "--") {
                    args.remove(0);
                }
                return Ok(Command::Run { bundle: text(bundle), args });
            }
            Short(c) => return Err(format!("unknown option -{c}")),
        }
    }
    Err("no bundle given".to_string())
}

/// A lexopt error in this command's words.
fn explain(err: lexopt::Error) -> String {
    match err {
        lexopt::Error::MissingValue { option: Some(option) } => format!("{option} needs a value"),
        other => other.to_string(),
    }
}

/// Runs the embedded program, or the command line.
pub fn main() -> ExitCode {
    if let Some(status) = crate::run_embedded_program(|| None) {
        return status;
    }
    let argv = crate::process_args();
    let mut run_options = RunOptions::default();
    let mut trust = Trust::default();
    let (bundle_arg, user_args) = match parse(&argv[1..], &mut run_options, &mut trust) {
        Ok(Command::Help) => {
            println!("{USAGE}\n\n{HELP}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("{}", version());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Inspect { describe, path }) => return inspect(describe, &path, &trust),
        Ok(Command::Run { bundle, args }) => (bundle, args),
        Err(message) => {
            eprintln!("semarun: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let limits = run_options.limits();
    // §1.5: (sys/args) is argv[0], the program path, "--", then the user's arguments.
    let mut args = vec![argv[0].clone(), bundle_arg.clone(), "--".to_string()];
    args.extend(user_args);
    let path = PathBuf::from(bundle_arg);
    // An error report shows source lines found beside the bundle, unless the run is
    // restricted: then the bundle (whose debug info names the files) gets no reads.
    if limits.policy.is_unrestricted() {
        crate::report::look_for_sources_in(path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")));
    }
    crate::on_interpreter_thread(move || match load_checked(&path, &trust, &limits) {
        Ok(program) => crate::run_program(program, args, limits),
        Err(err) => {
            eprintln!("semarun: {}: {err}", path.display());
            if let Some(hint) = source_hint(&path) {
                eprintln!("{hint}");
            }
            2
        }
    })
}

/// `semarun --version`: the tool's version and the bundle format versions it loads.
fn version() -> String {
    use bundle_format::header::{FORMAT_VERSION, MIN_FORMAT_VERSION};
    let formats = match MIN_FORMAT_VERSION == FORMAT_VERSION {
        true => format!("{FORMAT_VERSION}"),
        false => format!("{MIN_FORMAT_VERSION} to {FORMAT_VERSION}"),
    };
    format!("semarun {} (bundle format {formats})", env!("CARGO_PKG_VERSION"))
}

/// For a file `semarun` could not load that looks like Sema source rather than a
/// bundle: how to run it.
fn source_hint(path: &Path) -> Option<String> {
    let head = crate::loader::read_file_start(path, 256)?;
    if head.starts_with(&bundle_format::header::MAGIC) {
        return None;
    }
    let text = String::from_utf8_lossy(&head);
    let first = text.trim_start().chars().next();
    let named_as_source = path.extension().is_some_and(|e| e == "sema");
    if !named_as_source && !matches!(first, Some('(' | ';' | '[' | '{')) {
        return None;
    }
    let shown = path.display();
    Some(format!("hint: this looks like Sema source, not a bundle: run it with `semac --run {shown}`, or compile it first with `semac {shown}`"))
}

/// Reads, checks and links the bundle at `path` (with `--deny-early`, first refusing
/// one that can reach what the policy denies).
fn load_checked(path: &Path, trust: &Trust, limits: &crate::Limits) -> Result<crate::program::Program, String> {
    let bytes = crate::loader::read_bundle_file(path).map_err(|e| e.to_string())?;
    crate::check_deny_early(&bytes, limits)?;
    crate::loader::load_trusted_bytes(&bytes, trust).map_err(|e| e.to_string())
}

/// `--info` and `--verify`: read and verify a bundle, or the program embedded in an
/// executable, without running it.
fn inspect(describe: bool, path: &Path, trust: &Trust) -> ExitCode {
    let fail = |message: String| {
        eprintln!("semarun: {}: {message}", path.display());
        ExitCode::from(2)
    };
    let (file_bytes, embedded) = match read_inspected(path) {
        Ok(found) => found,
        Err(message) => return fail(message),
    };
    let (bundle_bytes, run_options, assets, payload_signer) = match &embedded {
        Some(section) => match embed::read_payload(section) {
            Ok(payload) => (payload.bundle, payload.run_options, payload.assets, payload.signed_by),
            Err(err) => return fail(err.to_string()),
        },
        None => (&file_bytes[..], Vec::new(), Vec::new(), None),
    };
    let header = match bundle_format::read::read_header(bundle_bytes) {
        Ok(header) => header,
        Err(err) => return fail(err.to_string()),
    };
    let verified = match bundle_format::read_bundle(bundle_bytes).map_err(|e| e.to_string()).and_then(|b| {
        bundle_format::verify_bundle(b).map_err(|e| e.to_string())
    }) {
        Ok(verified) => verified,
        Err(message) => return fail(message),
    };
    // An executable is signed as a whole (payload container); a bundle by itself.
    let signed_by = match &embedded {
        Some(_) => payload_signer,
        None => bundle_format::read::signed_by(bundle_bytes),
    };
    if let Err(err) = trust.accept(signed_by.as_ref()) {
        return fail(err.to_string());
    }
    if !describe {
        let what = if embedded.is_some() { "embedded program" } else { "bundle" };
        let signature = signed_by.as_ref().map_or(String::new(), |key| format!(", signed by key {}", key.id));
        println!("{}: ok ({what}, format version {}, verified{signature})", path.display(), header.version);
        return ExitCode::SUCCESS;
    }
    let bundle = verified.bundle();
    let code_bytes: usize = bundle.protos.iter().map(|p| p.code.len()).sum();
    println!("file:           {}", path.display());
    match &embedded {
        Some(section) => println!(
            "kind:           executable ({} bytes: runtime and a {} byte payload)",
            std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            section.len()
        ),
        None => println!("kind:           bundle"),
    }
    println!("format version: {}", header.version);
    match &signed_by {
        Some(key) => println!("signature:      Ed25519 by key {} (valid)", key.id),
        None => println!("signature:      none"),
    }
    println!("digest:         {:016x} (XXH3-64 of the payload, matches)", header.digest);
    println!("bundle size:    {} bytes ({} header + {} payload)", bundle_bytes.len(), bundle_format::header::HEADER_LEN, header.payload_len);
    println!("symbols:        {}", bundle.symbols.len());
    println!("constants:      {}", bundle.constants.len());
    println!("functions:      {} ({} bytes of code)", bundle.protos.len(), code_bytes);
    println!("reaches:        {}", crate::permissions::Reach::of(&bundle.symbols).describe());
    match &bundle.debug {
        Some(debug) => {
            println!("debug info:     yes");
            println!("modules:        {}", debug.files.join(", "));
        }
        None => {
            println!("debug info:     no (compiled with --strip-debug)");
            println!("modules:        not recorded without debug info");
        }
    }
    if embedded.is_some() {
        match RunOptions::parse(&run_options) {
            Ok(options) if run_options.is_empty() => println!("run options:    none ({})", options.limits().policy.describe()),
            Ok(options) => {
                println!("run options:    {}", run_options.join(" "));
                println!("permissions:    {}", options.limits().policy.describe());
            }
            Err(message) => println!("run options:    invalid: {message}"),
        }
        let total: usize = assets.iter().map(|a| a.bytes.len()).sum();
        println!("assets:         {} ({total} bytes)", assets.len());
        for asset in &assets {
            println!("  {} ({} bytes)", asset.path, asset.bytes.len());
        }
    }
    ExitCode::SUCCESS
}

/// A public key file for `--verify-key`.
fn read_public_key(path: &Path) -> Result<PublicKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("--verify-key {}: {e}", path.display()))?;
    PublicKey::from_file(&text).map_err(|e| format!("--verify-key {}: {e}", path.display()))
}

/// The bundle in the file at `path`: the file itself, or the program embedded in an
/// executable built by `semac --exe`; read and verified, not run.
pub fn read_verified_bundle(path: &Path) -> Result<bundle_format::VerifiedBundle, String> {
    let (file_bytes, embedded) = read_inspected(path)?;
    let bundle_bytes = match &embedded {
        Some(section) => embed::read_payload(section).map_err(|e| e.to_string())?.bundle,
        None => &file_bytes[..],
    };
    let bundle = bundle_format::read_bundle(bundle_bytes).map_err(|e| e.to_string())?;
    bundle_format::verify_bundle(bundle).map_err(|e| e.to_string())
}

/// The file's bytes when it is a bundle, or its payload section when it is an
/// executable built by `semac --exe`.
fn read_inspected(path: &Path) -> Result<(Vec<u8>, Option<Vec<u8>>), String> {
    match embedded::read_section(path, embed::PAYLOAD_SECTION)? {
        Section::Found(section) => Ok((Vec::new(), Some(section))),
        Section::Absent => Err("an executable without an embedded Sema program".to_string()),
        Section::NotElf => Ok((crate::loader::read_bundle_file(path).map_err(|e| e.to_string())?, None)),
    }
}

/// The options that bound a run (limits and permissions), from the command line or
/// baked into an executable by `semac --exe`.
#[derive(Default)]
pub struct RunOptions {
    limits: crate::Limits,
    permissions: crate::permissions::PolicyOptions,
}

impl RunOptions {
    /// Takes one option with its value, if it has one.
    pub fn take(&mut self, flag: &str, value: Option<&str>) -> Result<(), String> {
        let needs = |v: Option<&str>| v.map(str::to_string).ok_or_else(|| format!("{flag} needs a value"));
        match flag {
            "--fuel" => {
                let v = needs(value)?;
                match v.parse::<u64>() {
                    Ok(n) if n > 0 => self.limits.fuel = Some(n),
                    _ => return Err(format!("--fuel {v}: needs a positive whole number")),
                }
            }
            "--max-seconds" => self.limits.max_seconds = Some(parse_seconds(&needs(value)?)?),
            "--max-memory" => self.limits.max_memory = Some(parse_size(&needs(value)?)?),
            "--deny-early" if value.is_some() => return Err("--deny-early takes no value".to_string()),
            "--deny-early" => self.limits.deny_early = true,
            _ if self.permissions.take(flag, value)? => {}
            _ => return Err(format!("unknown option {flag}")),
        }
        Ok(())
    }

    /// Options as `--flag` or `--flag=value` words (as an executable carries them).
    pub fn parse(words: &[impl AsRef<str>]) -> Result<RunOptions, String> {
        let mut options = RunOptions::default();
        for word in words {
            let (flag, value) = match word.as_ref().split_once('=') {
                Some((flag, value)) => (flag, Some(value)),
                None => (word.as_ref(), None),
            };
            options.take(flag, value)?;
        }
        Ok(options)
    }

    pub fn limits(self) -> crate::Limits {
        crate::Limits { policy: self.permissions.policy(), ..self.limits }
    }
}

/// A memory size: bytes, or a number with a `k`, `m` or `g` suffix (powers of 1024,
/// an optional trailing `b` or `ib`), at least 1 MiB and at most 1 PiB.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let lower = text.trim().to_ascii_lowercase();
    let number = lower.trim_end_matches("ib").trim_end_matches('b');
    let (digits, unit) = match number.char_indices().last() {
        Some((i, 'k')) => (&number[..i], 1u64 << 10),
        Some((i, 'm')) => (&number[..i], 1 << 20),
        Some((i, 'g')) => (&number[..i], 1 << 30),
        _ => (number, 1),
    };
    let bytes = digits.parse::<u64>().ok().and_then(|n| n.checked_mul(unit));
    match bytes {
        Some(bytes) if (1 << 20..=1 << 50).contains(&bytes) => Ok(bytes as usize),
        Some(_) => Err(format!("{text}: a memory size must be between 1m and 1048576g")),
        None => Err(format!("{text}: not a memory size (bytes, or a number with k, m or g)")),
    }
}

/// A duration in seconds: a positive number of at most a year.
pub fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    let seconds = text.trim().parse::<f64>().map_err(|_| format!("{text}: not a number of seconds"))?;
    if !(seconds > 0.0 && seconds <= 366.0 * 24.0 * 3600.0) {
        return Err(format!("{text}: the number of seconds must be above 0 and at most a year"));
    }
    std::time::Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_suffixes_and_refuse_nonsense() {
        assert_eq!(parse_size("64m"), Ok(64 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert!(parse_size("1k").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999999999999g").is_err());
    }

    #[test]
    fn seconds_are_positive_finite_and_bounded() {
        assert_eq!(parse_seconds("1.5"), Ok(std::time::Duration::from_millis(1500)));
        for bad in ["0", "-1", "1e20", "inf", "NaN", "x"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }
}

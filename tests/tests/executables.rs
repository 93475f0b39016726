//! Single-file executables (`semac --exe`): built from the examples, run from another
//! directory with the sources deleted, with and without `--include`d assets; `strip`
//! leaves them working; building twice gives the same bytes; a damaged payload or a
//! wrong runtime gets a clear message.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sema_e2e::{run_tool, run_with_timeout, tool, Outcome, TempDir};
use sema_e2e::write_file as write;

const TIMEOUT: Duration = Duration::from_secs(60);

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}


fn semac(dir: &Path, args: &[&str]) -> Outcome {
    run_tool("semac", dir, args)
}

/// Runs `./name args…` in `dir`, so argv[0] is `./name`.
fn run_exe(dir: &Path, name: &str, args: &[&str]) -> Outcome {
    // A file just written can be briefly "busy" (ETXTBSY): a test on another thread may
    // have forked while it was open for writing, and the child holds it until its exec.
    for _ in 0..100 {
        let mut cmd = Command::new(dir.join(name));
        cmd.current_dir(dir).arg0(format!("./{name}")).args(args);
        match run_with_timeout(cmd, TIMEOUT) {
            Err(err) if err.raw_os_error() == Some(26) => std::thread::sleep(Duration::from_millis(10)),
            result => return result.expect("run the executable"),
        }
    }
    panic!("./{name} stayed busy (ETXTBSY) for a second");
}

fn stdout(outcome: &Outcome) -> String {
    outcome.stdout_text()
}

fn built(outcome: &Outcome) {
    assert!(outcome.success(), "semac failed: {}", outcome.stderr_text());
}

/// Copies an example program into `dir` and returns its file name.
fn copy_example(dir: &Path, relative: &str) -> String {
    let source = examples_dir().join(relative);
    let name = source.file_name().unwrap().to_string_lossy().into_owned();
    fs::copy(&source, dir.join(&name)).unwrap();
    name
}

#[test]
fn hello_runs_as_an_executable_from_elsewhere_with_its_source_deleted() {
    let build = TempDir::new("exe-hello-build");
    let name = copy_example(build.path(), "hello.sema");
    built(&semac(build.path(), &[&name, "--exe", "-o", "hello"]));
    fs::remove_file(build.path().join(&name)).unwrap();

    let elsewhere = TempDir::new("exe-hello-run");
    fs::rename(build.path().join("hello"), elsewhere.path().join("hello")).unwrap();
    let out = run_exe(elsewhere.path(), "hello", &[]);
    assert!(out.success(), "{}", out.describe_end());
    let expected = fs::read_to_string(examples_dir().join("hello.expected")).unwrap();
    assert_eq!(stdout(&out), expected);
}

/// `semac --exe` embeds the smallest runtime beside it that has every builtin the
/// program names: the executable is that runtime plus a small payload, so the runtime
/// nearest to it in size is the one it got; and each runs its program.
#[test]
fn an_executable_gets_the_smallest_runtime_that_has_its_builtins() {
    let dir = TempDir::new("exe-runtime-choice");
    let programs = [
        ("core", "(println (string-upcase \"core\") (+ 1 2))\n", "CORE 3\n", "semarun-lite"),
        ("standard", "(println (json/encode {:a (regex/match? \"b+\" \"abba\")}))\n", "{\"a\":true}\n", "semarun-std"),
        ("large", "(println (markdown/to-html \"*x*\"))\n", "<p><em>x</em></p>\n\n", "semarun"),
    ];
    for (name, source, expected, runtime) in programs {
        write(dir.path(), &format!("{name}.sema"), source);
        built(&semac(dir.path(), &[&format!("{name}.sema"), "--exe", "-o", name]));
        let out = run_exe(dir.path(), name, &[]);
        assert!(out.success(), "{name}: {}", out.describe_end());
        assert_eq!(stdout(&out), expected, "{name}");
        let size = |path: &Path| fs::metadata(path).unwrap().len();
        let exe = size(&dir.path().join(name));
        let nearest = ["semarun-lite", "semarun-std", "semarun"]
            .into_iter()
            .min_by_key(|candidate| size(&tool(candidate)).abs_diff(exe))
            .unwrap();
        assert_eq!(nearest, runtime, "{name}: the executable has {exe} bytes");
    }
}

#[test]
fn sys_args_is_the_process_argv() {
    let dir = TempDir::new("exe-args");
    write(dir.path(), "args.sema", "(println (sys/args))\n");
    built(&semac(dir.path(), &["args.sema", "--exe", "-o", "app"]));
    let out = run_exe(dir.path(), "app", &["a", "b c", "--", "--fuel"]);
    assert_eq!(stdout(&out), "(\"./app\" \"a\" \"b c\" \"--\" \"--fuel\")\n");
}

#[test]
fn included_assets_are_read_first_and_the_file_system_second() {
    let build = TempDir::new("exe-assets-build");
    let dir = build.path();
    let name = copy_example(dir, "benchmarks/1brc.sema");
    fs::create_dir_all(dir.join("data")).unwrap();
    fs::copy(examples_dir().join("benchmarks/data/1brc-sample.txt"), dir.join("data/1brc-sample.txt")).unwrap();
    built(&semac(dir, &[&name, "--exe", "-o", "1brc", "--include", "data/1brc-sample.txt"]));

    write(dir, "reader/main.sema", r#"
(println (file/read "notes/a.txt"))
(println (file/read-lines "./notes/deeper/b.txt"))
(println (file/fold-lines "notes/a.txt" (fn (n line) (+ n 1)) 0))
(file/for-each-line "notes/a.txt" (fn (line) (println "line:" line)))
(println (file/exists? "notes") (file/exists? "notes/a.txt") (file/exists? "notes/missing.txt"))
(println (file/read "outside.txt"))
(println (try (file/read "notes/absent.txt") (catch e (get e :type))))
"#);
    write(dir, "reader/notes/a.txt", "first\nsecond\n");
    write(dir, "reader/notes/deeper/b.txt", "deep");
    built(&semac(dir, &["reader/main.sema", "--exe", "-o", "reader-app", "--include", "notes"]));

    let elsewhere = TempDir::new("exe-assets-run");
    let run_dir = elsewhere.path();
    for exe in ["1brc", "reader-app"] {
        fs::rename(dir.join(exe), run_dir.join(exe)).unwrap();
    }
    drop(build);

    let out = run_exe(run_dir, "1brc", &["--", "data/1brc-sample.txt"]);
    assert!(out.success(), "{}", out.describe_end());
    let expected = fs::read_to_string(examples_dir().join("benchmarks/1brc.expected")).unwrap();
    assert_eq!(stdout(&out), expected);

    write(run_dir, "outside.txt", "from the file system");
    let out = run_exe(run_dir, "reader-app", &[]);
    assert!(out.success(), "{}", out.describe_end());
    assert_eq!(
        stdout(&out),
        "first\nsecond\n\n(\"deep\")\n2\nline: first\nline: second\n#t #t #f\nfrom the file system\n:io\n"
    );
}

#[test]
fn strip_leaves_the_executable_working() {
    let dir = TempDir::new("exe-strip");
    write(dir.path(), "prog.sema", "(println (map (fn (x) (* x x)) '(1 2 3)))\n(println (file/read \"d/x.txt\"))\n");
    write(dir.path(), "d/x.txt", "asset");
    built(&semac(dir.path(), &["prog.sema", "--exe", "-o", "prog", "--include", "d"]));
    let before = fs::metadata(dir.path().join("prog")).unwrap().len();
    let mut strip = Command::new("strip");
    strip.arg(dir.path().join("prog"));
    let stripped = run_with_timeout(strip, TIMEOUT).expect("`strip` (binutils) is needed for this test");
    assert!(stripped.success(), "strip failed: {}", stripped.stderr_text());
    assert!(fs::metadata(dir.path().join("prog")).unwrap().len() <= before);
    let out = run_exe(dir.path(), "prog", &[]);
    assert!(out.success(), "{}", out.describe_end());
    assert_eq!(stdout(&out), "(1 4 9)\nasset\n");
}

#[test]
fn building_twice_from_different_directories_gives_identical_bytes() {
    let one = TempDir::new("exe-repro-1");
    let two = TempDir::new("exe-repro-2");
    for dir in [one.path(), two.path()] {
        write(dir, "app/prog.sema", "(import \"lib.sema\")\n(println (twice 21) (file/read \"res/r.txt\"))\n");
        write(dir, "app/lib.sema", "(define (twice x) (* 2 x))\n");
        write(dir, "app/res/r.txt", "r");
        write(dir, "app/res/s.txt", "s");
    }
    built(&semac(one.path(), &["app/prog.sema", "--exe", "-o", "out", "--include", "res"]));
    built(&semac(&two.path().join("app"), &["prog.sema", "--exe", "-o", "../out", "--include", "res"]));
    let first = fs::read(one.path().join("out")).unwrap();
    let second = fs::read(two.path().join("out")).unwrap();
    assert!(first == second, "the two executables differ ({} and {} bytes)", first.len(), second.len());
    assert_eq!(stdout(&run_exe(one.path(), "out", &[])), "42 r\n");
}

/// File offset and size of the payload section, from the 64-bit little-endian ELF
/// section table (parsed here so the test does not share the runtime's reader).
fn payload_range(exe: &[u8]) -> (usize, usize) {
    let u16_at = |at: usize| u16::from_le_bytes(exe[at..at + 2].try_into().unwrap()) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(exe[at..at + 4].try_into().unwrap()) as usize;
    let u64_at = |at: usize| u64::from_le_bytes(exe[at..at + 8].try_into().unwrap()) as usize;
    assert_eq!(&exe[..5], b"\x7fELF\x02", "these tests expect a 64-bit ELF host");
    let (shoff, shentsize, shnum, shstrndx) = (u64_at(0x28), u16_at(0x3a), u16_at(0x3c), u16_at(0x3e));
    let header = |i: usize| shoff + i * shentsize;
    let names = u64_at(header(shstrndx) + 0x18);
    (0..shnum)
        .find_map(|i| {
            let name_at = names + u32_at(header(i));
            exe[name_at..].starts_with(b".sema_payload\0").then(|| (u64_at(header(i) + 0x18), u64_at(header(i) + 0x20)))
        })
        .expect("a .sema_payload section")
}

#[test]
fn a_damaged_payload_is_reported_not_run() {
    let dir = TempDir::new("exe-damaged");
    write(dir.path(), "prog.sema", "(println \"should not run\")\n");
    built(&semac(dir.path(), &["prog.sema", "--exe", "-o", "good"]));
    let good = fs::read(dir.path().join("good")).unwrap();
    let (offset, size) = payload_range(&good);

    let save = |name: &str, bytes: &[u8]| {
        fs::write(dir.path().join(name), bytes).unwrap();
        fs::set_permissions(dir.path().join(name), fs::Permissions::from_mode(0o755)).unwrap();
    };
    let mut flipped = good.clone();
    flipped[offset + size - 2] ^= 0x40;
    save("flipped", &flipped);
    let mut foreign = good.clone();
    foreign[offset] = b'X';
    save("foreign", &foreign);
    save("truncated", &good[..offset + size / 2]);

    for (name, message) in [
        ("flipped", "the embedded payload is corrupted"),
        ("foreign", "does not start with the Sema payload magic bytes"),
        ("truncated", "damaged or truncated"),
    ] {
        let out = run_exe(dir.path(), name, &[]);
        assert_eq!(out.code(), Some(2), "{name}: {}", out.describe_end());
        assert!(stdout(&out).is_empty(), "{name} ran: {}", stdout(&out));
        let err = out.stderr_text();
        assert!(err.starts_with(&format!("./{name}: cannot run the embedded program: ")), "{name}: {err}");
        assert!(err.contains(message), "{name}: {err}");
        let mut verify = Command::new(tool("semarun"));
        verify.arg("--verify").arg(dir.path().join(name));
        let checked = run_with_timeout(verify, TIMEOUT).unwrap();
        assert_eq!(checked.code(), Some(2), "--verify {name}");
    }
}

#[test]
fn info_and_verify_describe_an_executable() {
    let dir = TempDir::new("exe-info");
    write(dir.path(), "prog.sema", "(println 1)\n");
    write(dir.path(), "assets/one.txt", "12345");
    write(dir.path(), "assets/two/three.txt", "xyz");
    built(&semac(dir.path(), &["prog.sema", "--exe", "-o", "prog", "--include", "assets"]));
    let mut info = Command::new(tool("semarun"));
    info.current_dir(dir.path()).args(["--info", "prog"]);
    let out = run_with_timeout(info, TIMEOUT).unwrap();
    assert!(out.success(), "{}", out.describe_end());
    let text = stdout(&out);
    for line in ["kind:           executable", format!("format version: {}", bundle_format::FORMAT_VERSION).as_str(), "debug info:     yes", "modules:        prog.sema", "assets:         2 (8 bytes)", "  assets/one.txt (5 bytes)", "  assets/two/three.txt (3 bytes)"] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    let mut verify = Command::new(tool("semarun"));
    verify.current_dir(dir.path()).args(["--verify", "prog"]);
    let out = run_with_timeout(verify, TIMEOUT).unwrap();
    assert_eq!(stdout(&out), format!("prog: ok (embedded program, format version {}, verified)\n", bundle_format::FORMAT_VERSION));
    let mut plain = Command::new(tool("semarun"));
    plain.args(["--info"]).arg(tool("semarun"));
    let out = run_with_timeout(plain, TIMEOUT).unwrap();
    assert_eq!(out.code(), Some(2));
    assert!(out.stderr_text().contains("an executable without an embedded Sema program"), "{}", out.stderr_text());
}

#[test]
fn the_runtime_is_checked() {
    let dir = TempDir::new("exe-runtime");
    write(dir.path(), "prog.sema", "(println 1)\n");
    built(&semac(dir.path(), &["prog.sema", "--exe", "-o", "first"]));
    let this_test = std::env::current_exe().unwrap();
    let semarun = tool("semarun");
    let cases: [(&str, &str); 4] = [
        ("prog.sema", "prog.sema is not an ELF executable"),
        (this_test.to_str().unwrap(), "is not a semarun runtime (it has no .sema_runtime section)"),
        ("first", "first already carries an embedded program"),
        ("no-such-runtime", "cannot read the runtime no-such-runtime"),
    ];
    for (runtime, message) in cases {
        let out = semac(dir.path(), &["prog.sema", "--exe", "-o", "second", "--runtime", runtime]);
        assert_eq!(out.code(), Some(2), "--runtime {runtime}");
        assert!(out.stderr_text().contains(message), "--runtime {runtime}: {}", out.stderr_text());
        assert!(!dir.path().join("second").exists());
    }
    built(&semac(dir.path(), &["prog.sema", "--exe", "-o", "second", "--runtime", semarun.to_str().unwrap()]));
    assert_eq!(stdout(&run_exe(dir.path(), "second", &[])), "1\n");
}

#[test]
fn include_paths_are_checked_at_build_time() {
    let dir = TempDir::new("exe-include");
    write(dir.path(), "prog.sema", "(println 1)\n");
    for (path, message) in [
        ("../x", "goes up with `..`"),
        ("/etc", "is absolute"),
        ("missing", "cannot read"),
        ("a\\b", "backslash"),
    ] {
        let out = semac(dir.path(), &["prog.sema", "--exe", "--include", path]);
        assert_eq!(out.code(), Some(2), "--include {path}");
        assert!(out.stderr_text().contains(message), "--include {path}: {}", out.stderr_text());
    }
}

#[test]
fn with_compiler_the_executable_can_eval() {
    let dir = TempDir::new("exe-eval");
    write(dir.path(), "prog.sema", "(println (eval (read \"(* 6 7)\")))\n");
    built(&semac(dir.path(), &["prog.sema", "--exe", "-o", "small"]));
    built(&semac(dir.path(), &["prog.sema", "--exe", "--with-compiler", "-o", "full"]));
    let small = run_exe(dir.path(), "small", &[]);
    assert_eq!(small.code(), Some(1));
    assert!(small.stderr_text().contains("semac --exe --with-compiler"), "{}", small.stderr_text());
    assert_eq!(stdout(&run_exe(dir.path(), "full", &[])), "42\n");
}

#[test]
fn every_byte_of_the_payload_is_checked() {
    let dir = TempDir::new("exe-flips");
    write(dir.path(), "prog.sema", "(println (file/read \"a.txt\"))\n");
    write(dir.path(), "a.txt", "asset text");
    built(&semac(dir.path(), &["prog.sema", "--exe", "-o", "good", "--include", "a.txt"]));
    let good = fs::read(dir.path().join("good")).unwrap();
    let (offset, size) = payload_range(&good);
    let variant = dir.path().join("variant");
    for at in offset..offset + size {
        let mut bytes = good.clone();
        bytes[at] ^= 0x55;
        fs::write(&variant, &bytes).unwrap();
        fs::set_permissions(&variant, fs::Permissions::from_mode(0o755)).unwrap();
        let out = run_exe(dir.path(), "variant", &[]);
        assert_eq!(out.code(), Some(2), "byte {} of the payload flipped: {}", at - offset, out.describe_end());
        assert!(out.stdout.is_empty(), "byte {} flipped: the program ran", at - offset);
        assert!(out.stderr_text().contains("cannot run the embedded program"), "{}", out.stderr_text());
    }
}

#[test]
fn a_runtime_built_for_another_machine_is_accepted() {
    // A semarun relabelled as an AArch64 binary stands in for one cross-compiled for
    // that target: semac needs only its ELF structure and .sema_runtime section.
    let dir = TempDir::new("exe-cross");
    write(dir.path(), "prog.sema", "(println \"hi\")\n");
    let mut runtime = fs::read(tool("semarun")).unwrap();
    const EM_AARCH64: u16 = 183;
    runtime[0x12..0x14].copy_from_slice(&EM_AARCH64.to_le_bytes());
    fs::write(dir.path().join("semarun-aarch64"), &runtime).unwrap();
    built(&semac(dir.path(), &["prog.sema", "--exe", "-o", "prog-aarch64", "--runtime", "semarun-aarch64"]));
    let exe = fs::read(dir.path().join("prog-aarch64")).unwrap();
    assert_eq!(u16::from_le_bytes([exe[0x12], exe[0x13]]), EM_AARCH64);
    let mut verify = Command::new(tool("semarun"));
    verify.current_dir(dir.path()).args(["--verify", "prog-aarch64"]);
    let out = run_with_timeout(verify, TIMEOUT).unwrap();
    assert_eq!(stdout(&out), format!("prog-aarch64: ok (embedded program, format version {}, verified)\n", bundle_format::FORMAT_VERSION));
}

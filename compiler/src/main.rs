//! `semac`: compiles a Sema program to a bundle or a single-file executable.
//!
//! Exit status: 0 on success, 1 on a compile error in the program (reported as
//! `error: message` and ` --> file:line:col`, diagnostics.rs), 2 on a usage or I/O
//! problem.
//!
//! An executable built with `--with-compiler` is a copy of `semac` itself carrying the
//! program; at start `semac` looks for such a payload first and, when there is one,
//! runs it instead of compiling.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use sema_compiler::evaluator::CompilerEvaluator;
use bundle_format::sign::SecretKey;
use sema_compiler::macros::{self, MacroLimits};
use sema_compiler::{compile_file, exe, front_end, ir_print, Options};
use sema_runtime::cli::{parse_seconds, parse_size};

#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: sema_runtime::alloc::SemaAllocator = sema_runtime::alloc::SemaAllocator;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Emit {
    /// The bundle (default).
    Bundle,
    /// The IR after passes, on stdout.
    Ir,
    /// The disassembled bundle, on stdout.
    Asm,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Color {
    /// On a terminal, unless NO_COLOR is set to something.
    Auto,
    Always,
    Never,
}

/// Compile a Sema program to a bundle that `semarun` runs.
#[derive(Parser, Debug)]
#[command(name = "semac", version)]
struct Cli {
    /// The program's source file; `-` reads it from stdin. Without one (and without
    /// -e or --keygen), semac on a terminal starts the REPL.
    source: Option<PathBuf>,
    /// Start the REPL: read, compile and run forms one entry at a time on one VM.
    #[arg(long, conflicts_with_all = ["source", "expr", "keygen", "exe", "run", "output"])]
    repl: bool,
    /// Run the program EXPR (one or more forms) instead of a file, as `--run` does.
    #[arg(short = 'e', long = "eval", value_name = "EXPR", conflicts_with_all = ["source", "keygen", "exe", "output"])]
    expr: Option<String>,
    /// Sign the bundle or executable with this secret key file (made by --keygen).
    #[arg(long, value_name = "KEY")]
    sign: Option<PathBuf>,
    /// Make a new signing key pair: NAME.key (secret, mode 0600) and NAME.pub.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["source", "expr", "run", "exe", "sign", "output", "strip_debug"])]
    keygen: Option<PathBuf>,
    /// Where to write the bundle (default: the source path with `.semb`).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// What to produce.
    #[arg(long, value_enum, default_value = "bundle")]
    emit: Emit,
    /// Colour in errors and warnings.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    color: Color,
    /// Leave out the debug section (source positions in error reports).
    #[arg(long)]
    strip_debug: bool,
    /// Compile and run at once, with a compiler for `eval` and `read` (which a
    /// plain `semarun` does not have). Arguments after `--` reach the program.
    #[arg(long)]
    run: bool,
    /// Write a single-file executable (a runtime with the program embedded) instead
    /// of a bundle; the output defaults to the source path without its extension.
    #[arg(long, conflicts_with = "run")]
    exe: bool,
    /// The runtime to embed the program into (default: the semarun beside semac),
    /// e.g. a semarun built for another target.
    #[arg(long, value_name = "PATH", requires = "exe", conflicts_with = "with_compiler")]
    runtime: Option<PathBuf>,
    /// Embed a read-only file or directory, named relative to the program's directory
    /// (repeatable); the file-reading builtins find it there before the file system.
    #[arg(long = "include", value_name = "PATH", requires = "exe")]
    includes: Vec<String>,
    /// Embed into a runtime that has the compiler (semac itself), so that `eval` and
    /// `read` work in the executable; it is larger.
    #[arg(long, requires = "exe")]
    with_compiler: bool,
    /// With --exe: deny capabilities in the executable, as `semarun --sandbox`.
    #[arg(long, value_name = "VALUE", requires = "exe", help_heading = "Baked into the executable (as semarun's options)")]
    sandbox: Option<String>,
    /// With --exe: file access only under these directories.
    #[arg(long, value_name = "DIR,...", requires = "exe", help_heading = "Baked into the executable (as semarun's options)")]
    allowed_paths: Option<String>,
    /// With --exe: allow reading files (only under PATHS, if given); any --allow-* denies the rest.
    #[arg(long, value_name = "PATHS", num_args = 0..=1, require_equals = true, requires = "exe", help_heading = "Baked into the executable (as semarun's options)")]
    allow_read: Option<Option<String>>,
    /// With --exe: allow writing files (only under PATHS, if given).
    #[arg(long, value_name = "PATHS", num_args = 0..=1, require_equals = true, requires = "exe", help_heading = "Baked into the executable (as semarun's options)")]
    allow_write: Option<Option<String>>,
    /// With --exe: allow the environment (only these variables, if given).
    #[arg(long, value_name = "NAMES", num_args = 0..=1, require_equals = true, requires = "exe", help_heading = "Baked into the executable (as semarun's options)")]
    allow_env: Option<Option<String>>,
    /// With --exe: allow shell commands and subprocesses.
    #[arg(long, requires = "exe", help_heading = "Baked into the executable (as semarun's options)")]
    allow_run: bool,
    /// With --exe: allow the network.
    #[arg(long, requires = "exe", help_heading = "Baked into the executable (as semarun's options)")]
    allow_net: bool,
    /// With --exe: stop after N calls and backward jumps.
    #[arg(long, value_name = "N", requires = "exe", help_heading = "Baked into the executable (as semarun's options)")]
    fuel: Option<String>,
    /// With --exe: stop after S seconds.
    #[arg(long, value_name = "S", requires = "exe", help_heading = "Baked into the executable (as semarun's options)")]
    max_seconds: Option<String>,
    /// With --exe: a catchable error past SIZE allocated.
    #[arg(long, value_name = "SIZE", requires = "exe", help_heading = "Baked into the executable (as semarun's options)")]
    max_memory: Option<String>,
    /// Most calls and backward jumps the program's macros may take, all together.
    #[arg(long, value_name = "N", default_value_t = MacroLimits::default().fuel, value_parser = clap::value_parser!(u64).range(1..))]
    macro_fuel: u64,
    /// Most seconds the program's macros may run, all together.
    #[arg(long, value_name = "S", default_value = "60", value_parser = parse_seconds)]
    macro_seconds: std::time::Duration,
    /// Most memory one macro expansion may allocate (bytes, or with a k/m/g suffix).
    #[arg(long, value_name = "SIZE", default_value = "1g", value_parser = parse_size)]
    macro_memory: usize,
    /// Let the program's macros do at compile time whatever the user running semac
    /// may do (by default they may only read files under the program's directory).
    #[arg(long)]
    macro_allow_io: bool,
    /// The program's arguments (with --run).
    #[arg(last = true)]
    args: Vec<std::ffi::OsString>,
}

impl Cli {
    /// Whether errors and warnings are written in colour.
    fn colored(&self) -> bool {
        match self.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => sema_compiler::diagnostics::stderr_wants_color(),
        }
    }

    /// The source file as named on the command line: `-` for stdin, `-e` for an
    /// expression (clap checks that one of them, or `--keygen`, is given).
    fn source(&self) -> &Path {
        match (&self.source, &self.expr) {
            (Some(path), _) => path,
            (None, Some(_)) => Path::new("-e"),
            (None, None) => Path::new(""),
        }
    }

    /// Whether the program runs now: `--run`, or `-e` unless it is only printed.
    fn runs(&self) -> bool {
        self.run || (self.expr.is_some() && matches!(self.emit, Emit::Bundle))
    }

    /// The program as read (`ProgramText`).
    fn read_program(&self) -> Result<ProgramText, String> {
        let unnamed = |text: String, name: &str| ProgramText { text, name: name.to_string(), path: PathBuf::from(name) };
        if let Some(expr) = &self.expr {
            return Ok(unnamed(expr.clone(), "<expr>"));
        }
        let path = self.source();
        if path == Path::new("-") {
            let text = sema_compiler::modules::read_source_from(std::io::stdin().lock()).map_err(|e| format!("cannot read the program from stdin: {e}"))?;
            return Ok(unnamed(text, "<stdin>"));
        }
        let text = sema_compiler::modules::read_source(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        // Only the file name is recorded, so a bundle does not depend on where it was built.
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(ProgramText { text, name, path: path.to_path_buf() })
    }
}

/// A program's source as read: its text, the name diagnostics and the debug info give
/// it (`<stdin>`, `<expr>` or the file's name), and the path its modules resolve
/// against (a program from stdin or `-e` has no directory: the current one).
struct ProgramText {
    text: String,
    name: String,
    path: PathBuf,
}

fn main() -> ExitCode {
    sema_runtime::builtins::pdf::serve_worker_if_asked();
    sema_runtime::builtins::install_batteries();
    if let Some(status) = sema_runtime::run_embedded_program(|| Some(Box::new(CompilerEvaluator::new()))) {
        return status;
    }
    let cli = Cli::parse();
    sema_runtime::report_internal_errors("semac");
    if let Some(name) = &cli.keygen {
        if !matches!(cli.emit, Emit::Bundle) {
            eprintln!("semac: --keygen makes a key pair; it cannot be combined with --emit");
            return ExitCode::from(2);
        }
        return keygen(name);
    }
    macros::set_limits(MacroLimits { fuel: cli.macro_fuel, time: cli.macro_seconds, memory: cli.macro_memory });
    if !cli.macro_allow_io {
        let dir = cli.source().parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        macros::set_policy(sema_runtime::permissions::Policy::read_only_under(dir));
    }
    // Lowering and code generation recurse over the program's nesting; the reader caps
    // nesting at 10,000 levels, which this stack holds with room to spare.
    let worker = std::thread::Builder::new().stack_size(1 << 29).spawn(move || {
        let code = run(cli);
        // What the program's macros printed while it compiled.
        sema_runtime::builtins::io::flush_stdout();
        code
    });
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("semac: internal error: the compiler thread failed");
            ExitCode::from(70)
        }
    }
}

fn run(cli: Cli) -> ExitCode {
    if cli.source.is_none() && cli.expr.is_none() {
        use std::io::IsTerminal;
        if cli.repl || std::io::stdin().is_terminal() {
            let argv0 = sema_runtime::process_args().into_iter().next().unwrap_or_else(|| "semac".to_string());
            return sema_compiler::repl::run(argv0, cli.colored());
        }
        eprintln!("semac: no source file given (name one, `-` to read stdin, or -e EXPR; --repl starts the REPL)");
        return ExitCode::from(2);
    }
    if let Err(message) = check_combinations(&cli) {
        eprintln!("semac: {message}");
        return ExitCode::from(2);
    }
    if let (Emit::Asm, Some(path)) = (cli.emit, cli.source.as_deref().filter(|p| *p != Path::new("-"))) {
        if let Some(status) = disassemble_existing(path) {
            return status;
        }
    }
    let ProgramText { text: source, name: file, path } = match cli.read_program() {
        Ok(read) => read,
        Err(message) => {
            eprintln!("semac: {message}");
            return ExitCode::from(2);
        }
    };
    match cli.emit {
        Emit::Ir => match front_end(&source, &file) {
            Ok(program) => {
                print!("{}", ir_print::print_program(&program));
                ExitCode::SUCCESS
            }
            Err(diag) => fail(&diag, cli.colored()),
        },
        Emit::Asm | Emit::Bundle => {
            let options = Options { debug_info: !cli.strip_debug };
            let (bundle, macros) = match compile_file(&path, &source, options) {
                Ok(compiled) => {
                    for warning in &compiled.warnings {
                        eprint!("{}", warning.render(cli.colored()));
                    }
                    (compiled.bundle, compiled.macros)
                }
                Err(diag) => return fail(&diag, cli.colored()),
            };
            if cli.runs() {
                // An error report shows the program's lines (and its modules' beside it).
                sema_runtime::report::remember_source(&file, &source);
                let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                sema_runtime::report::look_for_sources_in(dir);
                return run_now(&cli, &bundle, macros);
            }
            if let Emit::Asm = cli.emit {
                print!("{}", bundle_format::disasm::disassemble(&bundle));
                return ExitCode::SUCCESS;
            }
            let signing_key = match cli.sign.as_deref().map(read_secret_key).transpose() {
                Ok(key) => key,
                Err(message) => {
                    eprintln!("semac: {message}");
                    return ExitCode::from(2);
                }
            };
            let bytes = match bundle_bytes(&bundle, signing_key.as_ref()) {
                Ok(bytes) => bytes,
                Err((message, status)) => {
                    eprintln!("semac: {message}");
                    return ExitCode::from(status);
                }
            };
            if cli.exe {
                return write_exe(&cli, &bundle, &bytes, signing_key.as_ref());
            }
            let output = cli.output.clone().unwrap_or_else(|| default_output(cli.source()));
            if let Err(message) = not_the_source(&output, cli.source()) {
                eprintln!("semac: {message}");
                return ExitCode::from(2);
            }
            if let Err(err) = std::fs::write(&output, &bytes) {
                eprintln!("semac: cannot write {}: {err}", output.display());
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
    }
}

/// Refuses what clap cannot: program arguments without a run, and `--emit ir` or
/// `--emit asm` (which print) with an option that runs or writes something (clap
/// cannot tell `--emit bundle` given from the default).
fn check_combinations(cli: &Cli) -> Result<(), String> {
    if !cli.args.is_empty() && !cli.runs() {
        return Err("the arguments after `--` are the program's, for --run or -e; nothing runs it here".to_string());
    }
    if cli.runs() {
        let writing = [("-o", cli.output.is_some()), ("--sign", cli.sign.is_some())];
        if let Some((option, _)) = writing.iter().find(|(_, given)| *given) {
            return Err(format!("a program run with --run or -e is not written anywhere, so {option} has nothing to do"));
        }
    }
    let from_stdin = cli.source.as_deref() == Some(Path::new("-"));
    if from_stdin && cli.output.is_none() && !cli.runs() && matches!(cli.emit, Emit::Bundle) {
        return Err("a program read from stdin has no file name to derive the output's from: name it with -o, or run the program with --run".to_string());
    }
    let emit = match cli.emit {
        Emit::Bundle => return Ok(()),
        Emit::Ir => "--emit ir",
        Emit::Asm => "--emit asm",
    };
    let writing = [("--run", cli.run), ("--exe", cli.exe), ("--sign", cli.sign.is_some()), ("-o", cli.output.is_some())];
    match writing.iter().find(|(_, given)| *given) {
        Some((option, _)) => Err(format!("{emit} prints to stdout; it cannot be combined with {option}")),
        None => Ok(()),
    }
}

/// `--emit asm` of a file that is already a bundle, or an executable built by
/// `semac --exe`: its program disassembled (after the checks `semarun` makes), or
/// `None` when the file is something else (source text, compiled as usual).
fn disassemble_existing(path: &Path) -> Option<ExitCode> {
    // Only a regular file is looked into (a FIFO must not block); semac refuses the rest.
    let head = sema_runtime::loader::read_file_start(path, bundle_format::header::MAGIC.len())?;
    if head != bundle_format::header::MAGIC && !head.starts_with(b"\x7fELF") {
        return None;
    }
    Some(match sema_runtime::cli::read_verified_bundle(path) {
        Ok(verified) => {
            print!("{}", bundle_format::disasm::disassemble(verified.bundle()));
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("semac: {}: {message}", path.display());
            ExitCode::from(2)
        }
    })
}

/// The bundle's bytes, after checking everything `semarun` checks (header limits,
/// decoding, the verifier), so that semac never writes a bundle semarun refuses.
/// The error carries the exit status: 1 when the program is too large, 70 for a
/// compiler bug.
fn bundle_bytes(bundle: &bundle_format::Bundle, key: Option<&SecretKey>) -> Result<Vec<u8>, (String, u8)> {
    let bytes = bundle_format::write_bundle(bundle);
    let payload = (bytes.len() - bundle_format::header::HEADER_LEN) as u64;
    if payload > bundle_format::limits::MAX_PAYLOAD {
        let most = bundle_format::limits::MAX_PAYLOAD >> 20;
        return Err((format!("program too large for a bundle: {payload} bytes, over the {most} MiB limit"), 1));
    }
    let internal = |err: String| (format!("internal compiler error: the generated bundle would be refused: {err}"), 70);
    let read = bundle_format::read_bundle(&bytes).map_err(|e| internal(e.to_string()))?;
    bundle_format::verify_bundle(read).map_err(|e| internal(e.to_string()))?;
    Ok(match key {
        Some(key) => bundle_format::sign_bundle(bytes, key),
        None => bytes,
    })
}

/// `--sign KEY`: the secret key file.
fn read_secret_key(path: &Path) -> Result<SecretKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("--sign {}: {e}", path.display()))?;
    SecretKey::from_file(&text).map_err(|e| format!("--sign {}: {e}", path.display()))
}

/// `--keygen NAME`: writes NAME.key (readable by its owner only) and NAME.pub, never
/// over an existing file.
fn keygen(name: &Path) -> ExitCode {
    let made = (|| {
        let mut random = [0u8; 32];
        getrandom::fill(&mut random).map_err(|e| format!("no random numbers from the system: {e}"))?;
        let key = SecretKey::generate(random);
        let secret_path = name.with_extension("key");
        let public_path = name.with_extension("pub");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let write = |options: &std::fs::OpenOptions, path: &Path, text: String| {
            use std::io::Write;
            options
                .open(path)
                .and_then(|mut file| file.write_all(text.as_bytes()))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))
        };
        write(&options, &secret_path, key.to_file())?;
        let mut public_options = std::fs::OpenOptions::new();
        public_options.write(true).create_new(true);
        write(&public_options, &public_path, key.public().to_file())?;
        Ok::<_, String>((key.id, secret_path, public_path))
    })();
    match made {
        Ok((id, secret, public)) => {
            println!("key {id}: secret key {} (keep it private), public key {}", secret.display(), public.display());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("semac: {message}");
            ExitCode::from(2)
        }
    }
}

/// `--run`: loads the bundle just compiled and runs it with `eval` and `read`.
fn run_now(cli: &Cli, bundle: &bundle_format::Bundle, macros: sema_compiler::macros::MacroEngine) -> ExitCode {
    let program = match sema_runtime::loader::load_bundle(bundle) {
        Ok(program) => program,
        Err(err) => {
            eprintln!("semac: internal error: the compiled bundle did not load: {err}");
            return ExitCode::from(70);
        }
    };
    let argv0 = sema_runtime::process_args().into_iter().next().unwrap_or_else(|| "semac".to_string());
    let mut args = vec![argv0, cli.source().display().to_string(), "--".to_string()];
    args.extend(cli.args.iter().map(|arg| arg.to_string_lossy().into_owned()));
    let evaluator = Box::new(CompilerEvaluator::with_macros(macros));
    ExitCode::from(sema_runtime::run_program_with(program, args, sema_runtime::Limits::default(), Some(evaluator)))
}

/// The run options to bake into an executable, as `--flag[=value]` words, checked by
/// the runtime's own parser.
fn baked_run_options(cli: &Cli) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let valued = [
        ("--sandbox", &cli.sandbox),
        ("--allowed-paths", &cli.allowed_paths),
        ("--fuel", &cli.fuel),
        ("--max-seconds", &cli.max_seconds),
        ("--max-memory", &cli.max_memory),
    ];
    for (flag, value) in valued {
        if let Some(value) = value {
            words.push(format!("{flag}={value}"));
        }
    }
    for (flag, value) in [("--allow-read", &cli.allow_read), ("--allow-write", &cli.allow_write), ("--allow-env", &cli.allow_env)] {
        match value {
            Some(Some(value)) => words.push(format!("{flag}={value}")),
            Some(None) => words.push(flag.to_string()),
            None => {}
        }
    }
    for (flag, given) in [("--allow-run", cli.allow_run), ("--allow-net", cli.allow_net)] {
        if given {
            words.push(flag.to_string());
        }
    }
    sema_runtime::cli::RunOptions::parse(&words)?;
    Ok(words)
}

/// `--exe`: the runtime, the bundle and the assets into one executable file.
fn write_exe(cli: &Cli, bundle: &bundle_format::Bundle, bundle_bytes: &[u8], key: Option<&SecretKey>) -> ExitCode {
    let built = (|| {
        let runtime = match (&cli.runtime, cli.with_compiler) {
            (Some(path), _) => path.clone(),
            (None, true) => std::env::current_exe().map_err(|e| format!("cannot locate semac itself: {e}"))?,
            (None, false) => exe::default_runtime(exe::library_needed(bundle))?,
        };
        let runtime_bytes =
            std::fs::read(&runtime).map_err(|e| format!("cannot read the runtime {}: {e}", runtime.display()))?;
        let program_dir = cli.source().parent().unwrap_or(Path::new(""));
        let assets = exe::collect_assets(program_dir, &cli.includes)?;
        let run_options = baked_run_options(cli)?;
        let run_options: Vec<&str> = run_options.iter().map(String::as_str).collect();
        let executable =
            exe::build_executable(&runtime_bytes, &runtime.display().to_string(), bundle_bytes, &run_options, &assets, key)?;
        let output = cli.output.clone().unwrap_or_else(|| cli.source().with_extension(""));
        not_the_source(&output, cli.source())?;
        exe::write_executable(&output, &executable)
    })();
    match built {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("semac: {message}");
            ExitCode::from(2)
        }
    }
}

/// Reports the errors of a compilation that failed.
fn fail(diag: &sema_compiler::Diagnostic, color: bool) -> ExitCode {
    for error in diag.all() {
        eprint!("{}", error.render(color));
    }
    let count = diag.all().count();
    if count > 1 {
        eprintln!("error: aborting because of {count} errors");
    }
    ExitCode::from(1)
}

/// Refuses an output path that names the source file itself (`semac app --exe` with
/// a source called `app`, or an explicit `-o`).
fn not_the_source(output: &Path, source: &Path) -> Result<(), String> {
    let same = match (std::fs::canonicalize(output), std::fs::canonicalize(source)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(format!("the output {} would overwrite the source file; name another with -o", output.display()));
    }
    Ok(())
}

fn default_output(source: &Path) -> PathBuf {
    source.with_extension("semb")
}

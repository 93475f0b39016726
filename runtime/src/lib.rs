//! The Sema runtime: values, the interner, the VM, the builtins and the bundle
//! loader. It never depends on the compiler.

// Values are map keys. The ones with interior mutability (mutable arrays, cells,
// promises) hash and compare by identity, so mutating them never moves a key.
#![allow(clippy::mutable_key_type)]

#[cfg(unix)]
pub mod alloc;
mod access;
pub mod assets;
pub mod builtins;
pub mod cli;
pub mod compare;
pub mod embedded;
pub mod error;
pub mod hashmap;
pub mod interner;
pub mod list;
pub mod loader;
pub mod num;
pub mod permissions;
pub mod number_syntax;
pub mod printer;
pub mod program;
pub mod quarantine;
pub mod report;
mod small_blocks;
pub mod text;
pub mod value;
pub mod vm;

use std::process::ExitCode;

use error::Error;

/// Runs `body` on a thread with a large stack (builtins that call back into Sema
/// nest on it; the interner and output buffer are that thread's) and returns its
/// exit status.
pub fn on_interpreter_thread(body: impl FnOnce() -> u8 + Send + 'static) -> ExitCode {
    #[cfg(unix)]
    alloc::use_one_malloc_arena();
    report_internal_errors("semarun");
    let worker = std::thread::Builder::new().stack_size(1 << 30).spawn(body);
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        _ => {
            eprintln!("semarun: internal error: the interpreter thread failed");
            ExitCode::from(70)
        }
    }
}

/// Makes a panic (a bug in the tool, never a program's error) end the process with
/// `TOOL: internal error: ...` and exit status 70. Release builds abort on panic
/// (`panic = "abort"`: no unwinding paths in the dispatch loop, 3-11 % faster), so the
/// thread-join check below would never see one; the hook runs first either way.
pub fn report_internal_errors(tool: &'static str) {
    std::panic::set_hook(Box::new(move |info| {
        builtins::io::flush_stdout_within(std::time::Duration::from_millis(200));
        eprintln!("{tool}: internal error: {info}");
        std::process::exit(70);
    }));
}

/// Runs `f`, turning a panic in it into `Err(panic message)`, for a dependency known
/// to panic on some malformed input. The panic hook stays silent for it. A build
/// that aborts on panic (release: `panic = "abort"`) cannot recover: there the hook
/// reports the panic as usual and the process ends.
pub fn catch_panic<R>(f: impl FnOnce() -> R) -> std::result::Result<R, String> {
    #[cfg(panic = "unwind")]
    {
        use std::cell::Cell;
        thread_local!(static QUIET: Cell<bool> = const { Cell::new(false) });
        static WRAP_HOOK: std::sync::Once = std::sync::Once::new();
        WRAP_HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if !QUIET.with(Cell::get) {
                    previous(info);
                }
            }));
        });
        let was_quiet = QUIET.with(|q| q.replace(true));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        QUIET.with(|q| q.set(was_quiet));
        result.map_err(|payload| match payload.downcast::<String>() {
            Ok(message) => *message,
            Err(payload) => payload.downcast_ref::<&str>().map_or("unknown panic", |s| s).to_string(),
        })
    }
    #[cfg(not(panic = "unwind"))]
    Ok(f())
}

/// Runs a linked program to completion; returns the process exit status, having
/// reported an uncaught error on stderr (LANGUAGE.md §11.6).
pub fn run_program(program: program::Program, args: Vec<String>, limits: Limits) -> u8 {
    run_program_with(program, args, limits, None)
}

/// Budgets for running untrusted code (`semarun --fuel`, `--max-seconds`).
#[derive(Clone, Debug, Default)]
pub struct Limits {
    pub fuel: Option<u64>,
    pub max_seconds: Option<std::time::Duration>,
    /// Bytes the program may have allocated (`--max-memory`).
    pub max_memory: Option<usize>,
    /// What the program may reach outside (`--sandbox`, `--allow-*`).
    pub policy: permissions::Policy,
    /// Refuse to start a program that can reach what the policy denies (`--deny-early`).
    pub deny_early: bool,
}

/// `--deny-early`: an error listing what the bundle `bytes` can reach and the policy
/// denies, so the run fails before it starts rather than halfway.
pub fn check_deny_early(bytes: &[u8], limits: &Limits) -> Result<(), String> {
    if !limits.deny_early {
        return Ok(());
    }
    let bundle = bundle_format::read_bundle(bytes).map_err(|e| e.to_string())?;
    match permissions::Reach::of(&bundle.symbols).denied_by(&limits.policy) {
        Some(problem) => Err(format!("refusing to start (--deny-early): {problem}")),
        None => Ok(()),
    }
}

/// The memory limit's owner in a run.
static RUN_MEMORY: alloc::LimitOwner = alloc::LimitOwner {
    flag: "--max-memory",
    ceiling_report: "Error: Eval error: out of memory: far over the --max-memory limit\n",
};

/// `run_program`, with a compiler for `eval` and `read` when one is given.
pub fn run_program_with(
    program: program::Program,
    args: Vec<String>,
    limits: Limits,
    evaluator: Option<Box<dyn vm::Evaluator>>,
) -> u8 {
    let mut vm = vm::Vm::new(program, args);
    vm.restrict(limits.policy);
    if let Some(steps) = limits.fuel {
        vm.set_fuel(steps);
    }
    if let Some(limit) = limits.max_seconds {
        vm.set_deadline(std::time::Instant::now() + limit);
        start_watchdog(limit);
    }
    if let Some(bytes) = limits.max_memory {
        alloc::set_memory_limit(Some(bytes), &RUN_MEMORY);
    }
    if let Some(evaluator) = evaluator {
        vm.set_evaluator(evaluator);
    }
    let result = vm.run_program();
    builtins::io::flush_stdout();
    match result {
        Ok(_) => 0,
        Err(err) => uncaught(&err),
    }
}

/// Exit status of a run stopped by `--fuel` or `--max-seconds`: 124, as GNU
/// `timeout` exits when its limit ends a command.
pub const EXIT_LIMIT_REACHED: u8 = 124;

/// Reports the error a run ended with and returns the exit status: 1, or
/// `EXIT_LIMIT_REACHED` for a budget. A write to a stdout whose reader has gone
/// (`semarun x.semb | head -1`) ends the process quietly instead, as coreutils and
/// `lua` end: by SIGPIPE.
fn uncaught(err: &Error) -> u8 {
    if err.is_stdout_closed() {
        end_by_sigpipe();
    }
    report::report_error(err);
    match err.kind() {
        error::ErrorKind::OutOfFuel => EXIT_LIMIT_REACHED,
        _ => 1,
    }
}

/// Ends the process as a write to a closed pipe ends a program that does not
/// ignore SIGPIPE (Rust programs do, to see the error instead).
fn end_by_sigpipe() -> ! {
    #[cfg(unix)]
    // SAFETY: restoring a signal's default action and raising it have no memory
    // effects; the default action for SIGPIPE ends the process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    std::process::exit(128 + 13)
}

/// Runs the program embedded in this executable (`semac --exe`), if it has one, with
/// the process's own argv as `(sys/args)`. `None` when there is no payload, so the
/// caller goes on as a plain command. `evaluator` makes the compiler for `eval`, in
/// executables whose runtime has one.
pub fn run_embedded_program(evaluator: fn() -> Option<Box<dyn vm::Evaluator>>) -> Option<ExitCode> {
    let argv = process_args();
    let me = argv.first().cloned().unwrap_or_else(|| "semarun".to_string());
    let damaged = |message: String| {
        eprintln!("{me}: cannot run the embedded program: {message}");
        Some(ExitCode::from(2))
    };
    let bytes: &'static [u8] = match embedded::own_payload() {
        Ok(None) => return None,
        Ok(Some(bytes)) => bytes.leak(),
        Err(message) => return damaged(message),
    };
    let payload = match bundle_format::embed::read_payload(bytes) {
        Ok(payload) => payload,
        Err(err) => return damaged(err.to_string()),
    };
    let limits = match cli::RunOptions::parse(&payload.run_options) {
        Ok(options) => options.limits(),
        Err(message) => return damaged(format!("its baked-in run options are invalid: {message}")),
    };
    assets::install(payload.assets.iter().map(|a| (a.path.to_string(), a.bytes)));
    let bundle = payload.bundle;
    if let Err(message) = check_deny_early(bundle, &limits) {
        eprintln!("{me}: {message}");
        return Some(ExitCode::from(2));
    }
    Some(on_interpreter_thread(move || match loader::load_bytes(bundle) {
        Ok(program) => run_program_with(program, argv, limits, evaluator()),
        Err(err) => {
            eprintln!("{me}: cannot run the embedded program: {err}");
            2
        }
    }))
}

/// The process's arguments as text. An argument that is not valid UTF-8 (a file name
/// in another encoding, say) is converted with U+FFFD for what does not decode,
/// rather than ending the process as `std::env::args` would.
pub fn process_args() -> Vec<String> {
    std::env::args_os().map(|arg| arg.to_string_lossy().into_owned()).collect()
}

/// Ends the process a little after the `--max-seconds` deadline in case the VM does not
/// get there itself: the VM looks at the clock between steps, and a single builtin
/// can run long (comparing deeply shared structures, say) without taking a step.
fn start_watchdog(limit: std::time::Duration) {
    let grace = std::time::Duration::from_millis(250).max(limit / 10);
    let spawned = std::thread::Builder::new().name("max-seconds".to_string()).spawn(move || {
        std::thread::sleep(limit + grace);
        // What the program printed so far still reaches stdout (the program's thread
        // is stuck in one long builtin, which does not hold the writer).
        builtins::io::flush_stdout_within(std::time::Duration::from_millis(200));
        report::report_error(&Error::out_of_time());
        std::process::exit(EXIT_LIMIT_REACHED.into());
    });
    // Without the thread the in-VM check still bounds every run that takes steps.
    drop(spawned);
}


#[cfg(test)]
mod tests {
    #[test]
    fn catch_panic_turns_a_panic_into_its_message() {
        assert_eq!(super::catch_panic(|| 7), Ok(7));
        assert_eq!(super::catch_panic(|| -> u8 { panic!("bad {}", "input") }), Err("bad input".to_string()));
        assert_eq!(super::catch_panic(|| -> u8 { panic!("static") }), Err("static".to_string()));
    }
}

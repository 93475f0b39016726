//! The process's surroundings: environment variables, host and user facts, the
//! terminal's size, signal callbacks, running shell commands (`shell`), and the
//! collector statistics (`gc/*`).
//!
//! Signals: `sys/on-signal` installs a handler that only counts arrivals; the program
//! runs its callbacks when it calls `sys/check-signals`, between its own steps, so a
//! callback never interrupts running code.

use std::cell::RefCell;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{pure, with_vm, Builtin};
use crate::error::{Error, Result};
use crate::interner::{sym_from_index, Sym};
use crate::value::Value;
use crate::vm::Vm;

pub static BUILTINS: &[Builtin] = &[
    pure("env", 1, Some(1), |a| Ok(std::env::var(a[0].expect_str()?).map_or(Value::Nil, Value::str))),
    pure("sys/set-env", 2, Some(2), set_env),
    pure("sys/env-all", 0, Some(0), |_| Ok(env_all())),
    pure("sys/cwd", 0, Some(0), |_| cwd()),
    pure("sys/home-dir", 0, Some(0), |_| Ok(home().map_or(Value::Nil, Value::str))),
    pure("sys/config-dir", 0, Some(0), |_| Ok(path_value(&config_dir()))),
    pure("sys/sema-home", 0, Some(0), |_| Ok(path_value(&sema_home()))),
    pure("sys/temp-dir", 0, Some(0), |_| Ok(path_value(&std::env::temp_dir()))),
    pure("sys/user", 0, Some(0), |_| Ok(env_either("USER", "USERNAME").map_or(Value::Nil, Value::str))),
    pure("sys/hostname", 0, Some(0), |_| Ok(hostname().map_or(Value::Nil, Value::str))),
    pure("sys/pid", 0, Some(0), |_| Ok(Value::int(i64::from(std::process::id())))),
    pure("sys/arch", 0, Some(0), |_| Ok(Value::str(std::env::consts::ARCH))),
    pure("sys/os", 0, Some(0), |_| Ok(Value::str(std::env::consts::OS))),
    pure("sys/platform", 0, Some(0), |_| Ok(Value::str(platform()))),
    pure("sys/interactive?", 0, Some(0), |_| Ok(Value::bool(std::io::stdin().is_terminal()))),
    pure("sys/tty", 0, Some(0), |_| Ok(tty_name().map_or(Value::Nil, Value::str))),
    pure("sys/term-size", 0, Some(0), |_| Ok(term_size())),
    pure("sys/which", 1, Some(1), |a| Ok(which(a[0].expect_str()?).map_or(Value::Nil, |p| path_value(&p)))),
    pure("sys/interner-stats", 0, Some(0), |_| Ok(interner_stats())),
    pure("sys/on-signal", 2, Some(2), on_signal),
    with_vm("sys/check-signals", 0, Some(0), check_signals),
    pure("shell", 1, None, shell),
    pure("shell/quote", 1, Some(1), |a| Ok(Value::str(shell_quote(a[0].expect_str()?)))),
    pure("gc/collect", 0, Some(0), |_| Ok(gc_stats(false))),
    pure("gc/stats", 0, Some(0), |_| Ok(gc_stats(true))),
];

fn path_value(path: &Path) -> Value {
    Value::str(path.to_string_lossy())
}

fn env_either(first: &str, second: &str) -> Option<String> {
    std::env::var(first).or_else(|_| std::env::var(second)).ok()
}

fn home() -> Option<String> {
    env_either("HOME", "USERPROFILE")
}

fn set_env(args: &[Value]) -> Result<Value> {
    let (name, value) = (args[0].expect_str()?, args[1].expect_str()?);
    // set_var panics on these; a program gets an error instead.
    if name.is_empty() || name.contains(['=', '\0']) || value.contains('\0') {
        return Err(Error::eval(format!("sys/set-env: invalid variable name or value: {name:?}")));
    }
    std::env::set_var(name, value);
    Ok(Value::Nil)
}

/// Every variable as `{:NAME "value"}`; names and values that are not UTF-8 are
/// converted lossily rather than dropped.
fn env_all() -> Value {
    let entry = |(k, v): (std::ffi::OsString, std::ffi::OsString)| {
        (Value::keyword(&k.to_string_lossy()), Value::str(v.to_string_lossy()))
    };
    Value::map(std::env::vars_os().map(entry))
}

fn cwd() -> Result<Value> {
    std::env::current_dir().map(|p| path_value(&p)).map_err(|e| Error::io(format!("sys/cwd: {e}")))
}

/// `$XDG_CONFIG_HOME`, else `~/.config` (`~/Library/Application Support` on macOS).
fn config_dir() -> PathBuf {
    let home = PathBuf::from(home().unwrap_or_default());
    if cfg!(target_os = "macos") {
        return home.join("Library").join("Application Support");
    }
    std::env::var("XDG_CONFIG_HOME").map(PathBuf::from).unwrap_or_else(|_| home.join(".config"))
}

/// `$SEMA_HOME`, else `~/.sema`, else `.sema`.
fn sema_home() -> PathBuf {
    if let Ok(dir) = std::env::var("SEMA_HOME") {
        return PathBuf::from(dir);
    }
    home().map_or_else(|| PathBuf::from(".sema"), |h| PathBuf::from(h).join(".sema"))
}

fn platform() -> &'static str {
    match std::env::consts::OS {
        os @ ("macos" | "linux" | "windows") => os,
        _ => "unknown",
    }
}

fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is writable for its whole length, which is what we pass.
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Some(String::from_utf8_lossy(&buf[..end]).into_owned())
}

/// The device name of the terminal on stdin, if stdin is one.
fn tty_name() -> Option<String> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is writable for its whole length, which is what we pass.
    if unsafe { libc::ttyname_r(libc::STDIN_FILENO, buf.as_mut_ptr().cast(), buf.len()) } != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0)?;
    Some(String::from_utf8_lossy(&buf[..end]).into_owned())
}

/// `{:cols :rows}` of the terminal on stdout, stderr or stdin (the first that is
/// one); nil when none is.
fn term_size() -> Value {
    for fd in [libc::STDOUT_FILENO, libc::STDERR_FILENO, libc::STDIN_FILENO] {
        // SAFETY: winsize is plain data; TIOCGWINSZ writes one into the pointer.
        let mut size: libc::winsize = unsafe { std::mem::zeroed() };
        let ok = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut size) } == 0;
        if ok && size.ws_row > 0 && size.ws_col > 0 {
            return Value::keyword_map([
                ("rows", Value::int(i64::from(size.ws_row))),
                ("cols", Value::int(i64::from(size.ws_col))),
            ]);
        }
    }
    Value::Nil
}

/// The first executable file called `name` in a `$PATH` directory.
fn which(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| {
        candidate.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// `{:bytes :count}`: the number of interned names and the bytes of their text.
fn interner_stats() -> Value {
    let count = Sym::count();
    let bytes: usize = (0..count).filter_map(sym_from_index).map(|s| s.with_name(str::len)).sum();
    Value::keyword_map([("count", Value::int(count as i64)), ("bytes", Value::int(bytes as i64))])
}

/// Values are reference-counted and freed as soon as they are unreachable; there is
/// no separate collector, so a collection finds nothing to do.
fn gc_stats(with_registry: bool) -> Value {
    let mut entries = vec![("candidates", Value::int(0)), ("traced", Value::int(0))];
    entries.extend([("collected", Value::int(0)), ("pruned", Value::int(0))]);
    if with_registry {
        entries.push(("registry-size", Value::int(0)));
    }
    Value::keyword_map(entries)
}

// ---------------------------------------------------------------------------------------
// Signals

/// The signals a program may watch, by keyword.
const SIGNALS: [(&str, libc::c_int); 3] = [("winch", libc::SIGWINCH), ("int", libc::SIGINT), ("term", libc::SIGTERM)];

/// Arrivals per signal since start; the handler only increments these.
static ARRIVALS: [AtomicUsize; 3] = [AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0)];

extern "C" fn count_arrival(signal: libc::c_int) {
    if let Some(i) = SIGNALS.iter().position(|&(_, s)| s == signal) {
        ARRIVALS[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// Per watched signal: the arrivals already handled and the callbacks, in order.
struct Watch {
    seen: usize,
    callbacks: Vec<Value>,
}

thread_local! {
    static WATCHES: RefCell<[Option<Watch>; 3]> = const { RefCell::new([None, None, None]) };
}

/// `(sys/on-signal :winch|:int|:term f)`: runs `(f)` at the next `sys/check-signals`
/// after the signal arrives.
fn on_signal(args: &[Value]) -> Result<Value> {
    let name = args[0].expect_keyword()?.name();
    let Some(index) = SIGNALS.iter().position(|&(n, _)| n == name) else {
        return Err(Error::eval(format!("sys/on-signal: unknown signal :{name}; use :winch, :int, or :term")));
    };
    let installed = WATCHES.with_borrow(|w| w[index].is_some());
    if !installed {
        install_handler(SIGNALS[index].1)?;
    }
    WATCHES.with_borrow_mut(|watches| {
        let seen = ARRIVALS[index].load(Ordering::Relaxed);
        watches[index].get_or_insert_with(|| Watch { seen, callbacks: Vec::new() }).callbacks.push(args[1].clone());
    });
    Ok(Value::Nil)
}

fn install_handler(signal: libc::c_int) -> Result<()> {
    // SAFETY: a zeroed sigaction is valid; the handler is an extern "C" fn of the
    // signature sa_sigaction expects and only touches an atomic.
    let ok = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = count_arrival as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask) == 0 && libc::sigaction(signal, &action, std::ptr::null_mut()) == 0
    };
    if ok {
        Ok(())
    } else {
        let os_error = std::io::Error::last_os_error();
        Err(Error::eval(format!("sys/on-signal: failed to install signal handler: {os_error}")))
    }
}

/// `(sys/check-signals)`: runs the callbacks of each watched signal that arrived since
/// the last check (several arrivals count once); returns nil.
fn check_signals(vm: &mut Vm, _: &[Value]) -> Result<Value> {
    let due: Vec<Value> = WATCHES.with_borrow_mut(|watches| {
        let mut due = Vec::new();
        for (i, watch) in watches.iter_mut().enumerate() {
            let Some(watch) = watch else { continue };
            let now = ARRIVALS[i].load(Ordering::Relaxed);
            if now != watch.seen {
                watch.seen = now;
                due.extend(watch.callbacks.iter().cloned());
            }
        }
        due
    });
    for callback in &due {
        vm.call(callback, &[])?;
    }
    Ok(Value::Nil)
}

// ---------------------------------------------------------------------------------------
// Shell commands

/// `(shell cmd)` runs `sh -c cmd`; `(shell prog arg ...)` runs prog with those
/// arguments; a final map gives `:cwd` and `:env`. Returns `{:exit-code :stderr
/// :stdout}`; exit code -1 when a signal ended the command.
fn shell(args: &[Value]) -> Result<Value> {
    let cmd = args[0].expect_str()?;
    let rest = &args[1..];
    let (argv, opts) = match rest.split_last() {
        Some((last, init)) if last.map_entries().is_some() => (init, Some(last)),
        _ => (rest, None),
    };
    let argv = argv.iter().map(|a| a.expect_str()).collect::<Result<Vec<&str>>>()?;
    let mut command = if argv.is_empty() {
        let mut c = Command::new("sh");
        c.arg("-c").arg(cmd);
        c
    } else {
        let mut c = Command::new(cmd);
        c.args(&argv);
        c
    };
    if let Some(opts) = opts {
        apply_command_options(&mut command, opts);
    }
    super::io::flush_stdout();
    let output = command.output().map_err(|e| Error::io(format!("shell: {e}")))?;
    Ok(Value::keyword_map([
        ("stdout", Value::str(String::from_utf8_lossy(&output.stdout))),
        ("stderr", Value::str(String::from_utf8_lossy(&output.stderr))),
        ("exit-code", Value::int(i64::from(output.status.code().unwrap_or(-1)))),
    ]))
}

/// The `{:cwd "dir" :env {"NAME" "value"}}` options of `shell` and `proc/spawn`;
/// entries that are not strings are ignored.
pub fn apply_command_options(command: &mut Command, opts: &Value) {
    if let Some(dir) = opts.option("cwd").and_then(Value::as_str) {
        command.current_dir(dir);
    }
    for (name, value) in opts.option("env").and_then(Value::map_entries).unwrap_or_default() {
        if let (Some(name), Some(value)) = (name.as_str(), value.as_str()) {
            command.env(name, value);
        }
    }
}

/// POSIX single-quoting: `'...'`, each `'` written as `'\''`; `''` for "".
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use crate::builtins::test_support::{call, int, kw, s};

    #[test]
    fn quoting_and_shell() {
        assert_eq!(call("shell/quote", &[s("")]), r#""''""#);
        assert_eq!(call("shell/quote", &[s("it's")]), r#""'it'\\''s'""#);
        assert_eq!(call("shell", &[s("echo hi; exit 3")]), r#"{:exit-code 3 :stderr "" :stdout "hi\n"}"#);
        assert_eq!(call("shell", &[s("echo"), s("a b")]), r#"{:exit-code 0 :stderr "" :stdout "a b\n"}"#);
        assert_eq!(call("shell", &[s("echo"), int(1)]), "ERR Type error: expected string, got int");
    }

    #[test]
    fn environment() {
        assert_eq!(call("sys/set-env", &[s("SEMA_SYSINFO_TEST"), s("v")]), "nil");
        assert_eq!(call("env", &[s("SEMA_SYSINFO_TEST")]), r#""v""#);
        assert_eq!(call("env", &[s("SEMA_SYSINFO_TEST_UNSET")]), "nil");
        assert!(call("sys/set-env", &[s("A=B"), s("v")]).starts_with("ERR Eval error: sys/set-env"));
        assert_eq!(
            call("sys/on-signal", &[kw("hup"), s("f")]),
            "ERR Eval error: sys/on-signal: unknown signal :hup; use :winch, :int, or :term"
        );
    }
}

//! Children on a pseudo-terminal (`pty/*`): like `proc/*`, but the child's stdin,
//! stdout and stderr are one terminal, so programs that check for a terminal (shells,
//! editors, anything with colour or line editing) behave as they would for a person.
//! What the child writes is collected by a thread; `pty/read` takes what has arrived.
//!
//! As in the reference, a child without `:cwd` starts in the home directory, gets
//! `SHELL` in its environment, and an exit by a signal reads as exit code 1.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus};
use std::thread::JoinHandle;

use super::process::{collect, drain, forget_group, kill_and_reap, track_group, Collected};
use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("pty/spawn", 1, Some(2), spawn),
    pure("pty/read", 1, Some(1), |a| with_pty("pty/read", &a[0], |p| Ok(drain(&p.output)))),
    pure("pty/write", 2, Some(2), write),
    pure("pty/resize", 3, Some(3), resize),
    pure("pty/wait", 1, Some(1), |a| with_pty("pty/wait", &a[0], wait)),
    pure("pty/exit-code", 1, Some(1), |a| {
        with_pty("pty/exit-code", &a[0], |p| Ok(exit_status("pty/exit-code", p)?.map_or(Value::Nil, Value::int)))
    }),
    pure("pty/running?", 1, Some(1), |a| {
        with_pty("pty/running?", &a[0], |p| Ok(Value::bool(exit_status("pty/running?", p)?.is_none())))
    }),
    pure("pty/kill", 1, Some(1), |a| {
        with_pty("pty/kill", &a[0], |p| {
            // Killing a child that has already exited is not an error.
            let _ = p.child.kill();
            Ok(Value::Nil)
        })
    }),
    pure("pty/close", 1, Some(1), close),
];

struct Pty {
    child: Child,
    /// The terminal's master side: what the program writes goes to the child.
    master: File,
    output: Collected,
    reader: Option<JoinHandle<()>>,
}

thread_local! {
    static PTYS: RefCell<HashMap<i64, Pty>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<i64> = const { Cell::new(1) };
}

fn handle(v: &Value) -> Result<i64> {
    v.as_int().ok_or_else(|| Error::type_error("integer (pty handle)", v))
}

fn with_pty(op: &str, id: &Value, f: impl FnOnce(&mut Pty) -> Result<Value>) -> Result<Value> {
    let id = handle(id)?;
    PTYS.with_borrow_mut(|ptys| match ptys.get_mut(&id) {
        Some(p) => f(p),
        None => Err(Error::eval(format!("{op}: no such handle {id}"))),
    })
}

/// A row or column count in 1..=65535.
fn dimension(v: &Value) -> Result<u16> {
    let n = v.as_int().ok_or_else(|| Error::type_error("integer", v))?;
    Ok(n.clamp(1, i64::from(u16::MAX)) as u16)
}

fn window(rows: u16, cols: u16) -> libc::winsize {
    libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 }
}

/// A new terminal pair `(master, slave)`, neither inherited by child programs.
fn open_pty(size: &libc::winsize) -> std::io::Result<(OwnedFd, OwnedFd)> {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two descriptors; the name buffer and termios may be null.
    let opened = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), size) };
    if opened != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: openpty succeeded, so both are open descriptors that nothing else owns.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    for fd in [&master, &slave] {
        use std::os::fd::AsRawFd;
        // SAFETY: sets the close-on-exec flag of a descriptor we own.
        unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok((master, slave))
}

fn home_dir() -> String {
    std::env::var("HOME").unwrap_or_else(|_| "/".to_string())
}

/// `(pty/spawn ["prog" "arg" ...] [{:rows 24 :cols 80 :cwd :env}])`: the handle.
fn spawn(args: &[Value]) -> Result<Value> {
    let argv = args[0].seq_items().filter(|_| !args[0].is_nil());
    let argv = argv.ok_or_else(|| Error::type_error("list of strings (argv)", &args[0]))?;
    if argv.is_empty() {
        return Err(Error::eval("pty/spawn: argv must be non-empty"));
    }
    let argv = argv.iter().map(|a| a.expect_str()).collect::<Result<Vec<&str>>>()?;
    let opts = args.get(1);
    let option = |name| opts.and_then(|o| o.option(name));
    let rows = option("rows").and_then(Value::as_int).map_or(24, |n| n.clamp(1, 65535) as u16);
    let cols = option("cols").and_then(Value::as_int).map_or(80, |n| n.clamp(1, 65535) as u16);
    let failed = |e: std::io::Error| Error::eval(format!("pty/spawn: {e}"));
    let (master, slave) = open_pty(&window(rows, cols)).map_err(failed)?;

    let cwd = option("cwd").and_then(Value::as_str).filter(|d| std::path::Path::new(d).is_dir());
    let mut command = Command::new(argv[0]);
    command.args(&argv[1..]).current_dir(cwd.map_or_else(home_dir, str::to_string));
    if std::env::var_os("SHELL").is_none() {
        command.env("SHELL", "/bin/sh");
    }
    for (name, value) in option("env").and_then(Value::map_entries).unwrap_or_default() {
        if let (Some(name), Some(value)) = (name.as_str(), value.as_str()) {
            command.env(name, value);
        }
    }
    command.stdin(slave.try_clone().map_err(failed)?);
    command.stdout(slave.try_clone().map_err(failed)?);
    command.stderr(slave);
    // SAFETY: between fork and exec only async-signal-safe calls: default signal
    // handling and mask, a new session, and the terminal as its controlling one.
    unsafe {
        command.pre_exec(|| {
            for signal in [libc::SIGCHLD, libc::SIGHUP, libc::SIGINT, libc::SIGQUIT, libc::SIGTERM, libc::SIGALRM] {
                libc::signal(signal, libc::SIG_DFL);
            }
            let mut empty: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut empty);
            libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
            if libc::setsid() == -1 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command.spawn().map_err(|e| Error::eval(format!("pty/spawn {}: {e}", argv[0])))?;
    // The slave's copies went to the child (and the command, dropped here), so reading
    // the master ends once the child and its descendants close the terminal.
    drop(command);
    track_group(child.id());
    let master = File::from(master);
    let output = Collected::default();
    let reader = collect(master.try_clone().map_err(failed)?, Collected::clone(&output));
    let id = NEXT_ID.get();
    NEXT_ID.set(id + 1);
    PTYS.with_borrow_mut(|ptys| ptys.insert(id, Pty { child, master, output, reader: Some(reader) }));
    Ok(Value::int(id))
}

/// `(pty/write h text)`: types the text into the child's terminal.
fn write(args: &[Value]) -> Result<Value> {
    let text = args[1].expect_str()?;
    with_pty("pty/write", &args[0], |p| {
        let written = p.master.write_all(text.as_bytes()).and_then(|_| p.master.flush());
        written.map_err(|e| Error::io(format!("pty/write: {e}")))?;
        Ok(Value::Nil)
    })
}

/// `(pty/resize h rows cols)`: the child gets SIGWINCH.
fn resize(args: &[Value]) -> Result<Value> {
    let (rows, cols) = (dimension(&args[1])?, dimension(&args[2])?);
    with_pty("pty/resize", &args[0], |p| {
        use std::os::fd::AsRawFd;
        // SAFETY: TIOCSWINSZ reads one winsize from the pointer.
        if unsafe { libc::ioctl(p.master.as_raw_fd(), libc::TIOCSWINSZ, &window(rows, cols)) } != 0 {
            return Err(Error::eval(format!("pty/resize: {}", std::io::Error::last_os_error())));
        }
        Ok(Value::Nil)
    })
}

/// The exit code; 1 for an end by a signal.
fn code(status: ExitStatus) -> i64 {
    i64::from(status.code().unwrap_or(if status.signal().is_some() { 1 } else { -1 }))
}

fn exit_status(op: &str, p: &mut Pty) -> Result<Option<i64>> {
    let status = p.child.try_wait().map_err(|e| Error::io(format!("{op}: {e}")))?;
    if status.is_some() {
        forget_group(p.child.id());
    }
    Ok(status.map(code))
}

/// `(pty/wait h)`: waits for the child to end and for its output to be collected.
fn wait(p: &mut Pty) -> Result<Value> {
    let status = p.child.wait().map_err(|e| Error::io(format!("pty/wait: {e}")))?;
    forget_group(p.child.id());
    if let Some(reader) = p.reader.take() {
        let _ = reader.join();
    }
    Ok(Value::int(code(status)))
}

/// `(pty/close h)`: kills the child's process group if the child still runs and
/// forgets the handle; an unknown handle is ignored.
fn close(args: &[Value]) -> Result<Value> {
    let id = handle(&args[0])?;
    if let Some(mut p) = PTYS.with_borrow_mut(|ptys| ptys.remove(&id)) {
        kill_and_reap(&mut p.child);
    }
    Ok(Value::Nil)
}

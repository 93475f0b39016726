//! Child processes a program drives step by step (`proc/*`): spawned with piped
//! stdin, stdout and stderr, named by integer handles from 1.
//!
//! A thread per output stream collects what the child writes, so a child never
//! blocks on a full pipe while the program is busy; `proc/read-stdout` takes what has
//! arrived so far. Each child leads its own process group; children still running
//! when the program exits are killed with their groups.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, Once};
use std::thread::JoinHandle;

use super::sysinfo::apply_command_options;
use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("proc/spawn", 1, Some(2), spawn),
    pure("proc/read-stdout", 1, Some(1), |a| with_proc("proc/read-stdout", &a[0], |p| Ok(drain(&p.stdout)))),
    pure("proc/read-stderr", 1, Some(1), |a| with_proc("proc/read-stderr", &a[0], |p| Ok(drain(&p.stderr)))),
    pure("proc/write-stdin", 2, Some(2), write_stdin),
    pure("proc/close-stdin", 1, Some(1), |a| {
        with_proc("proc/close-stdin", &a[0], |p| {
            p.stdin = None;
            Ok(Value::Nil)
        })
    }),
    pure("proc/wait", 1, Some(1), |a| with_proc("proc/wait", &a[0], wait)),
    pure("proc/exit-code", 1, Some(1), |a| {
        with_proc("proc/exit-code", &a[0], |p| Ok(exit_status("proc/exit-code", p)?.map_or(Value::Nil, Value::int)))
    }),
    pure("proc/running?", 1, Some(1), |a| {
        with_proc("proc/running?", &a[0], |p| Ok(Value::bool(exit_status("proc/running?", p)?.is_none())))
    }),
    pure("proc/kill", 1, Some(1), |a| {
        with_proc("proc/kill", &a[0], |p| {
            // Killing a child that has already exited is not an error.
            let _ = p.child.kill();
            Ok(Value::Nil)
        })
    }),
    pure("proc/close", 1, Some(1), close),
];

pub(super) type Collected = Arc<Mutex<Vec<u8>>>;

struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Collected,
    stderr: Collected,
    readers: Vec<JoinHandle<()>>,
}

thread_local! {
    static PROCS: RefCell<HashMap<i64, Proc>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<i64> = const { Cell::new(1) };
}

/// Process groups of children not yet reaped, for the kill at exit. A reaped child's
/// group is forgotten: its number may then be reused by an unrelated process.
static LIVE_GROUPS: Mutex<Vec<u32>> = Mutex::new(Vec::new());
static KILL_AT_EXIT: Once = Once::new();

extern "C" fn kill_live_groups() {
    for &pid in LIVE_GROUPS.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        // SAFETY: a signal to the child's own process group.
        unsafe { libc::kill(-(pid as libc::pid_t), libc::SIGKILL) };
    }
}

/// Records a child leading its own process group, to be killed at exit if still
/// there.
pub(super) fn track_group(pid: u32) {
    KILL_AT_EXIT.call_once(|| {
        // SAFETY: registers a handler with the C signature atexit expects.
        unsafe { libc::atexit(kill_live_groups) };
    });
    LIVE_GROUPS.lock().unwrap_or_else(|e| e.into_inner()).push(pid);
}

/// The child has been reaped: its group is not to be killed any more.
pub(super) fn forget_group(pid: u32) {
    LIVE_GROUPS.lock().unwrap_or_else(|e| e.into_inner()).retain(|&p| p != pid);
}

fn handle(v: &Value) -> Result<i64> {
    v.as_int().ok_or_else(|| Error::type_error("integer (proc handle)", v))
}

fn with_proc(op: &str, id: &Value, f: impl FnOnce(&mut Proc) -> Result<Value>) -> Result<Value> {
    let id = handle(id)?;
    PROCS.with_borrow_mut(|procs| match procs.get_mut(&id) {
        Some(p) => f(p),
        None => Err(Error::eval(format!("{op}: no such handle {id}"))),
    })
}

/// A thread appending everything the stream yields to `into`.
pub(super) fn collect(mut from: impl Read + Send + 'static, into: Collected) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n @ 1..) = from.read(&mut chunk) {
            into.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(&chunk[..n]);
        }
    })
}

/// What has arrived since the last read, as text (invalid UTF-8 replaced).
pub(super) fn drain(collected: &Collected) -> Value {
    let bytes = std::mem::take(&mut *collected.lock().unwrap_or_else(|e| e.into_inner()));
    Value::str(String::from_utf8_lossy(&bytes))
}

/// `(proc/spawn ["prog" "arg" ...] [{:cwd :env}])`: the new child's handle.
fn spawn(args: &[Value]) -> Result<Value> {
    let argv = args[0].seq_items().filter(|_| !args[0].is_nil());
    let argv = argv.ok_or_else(|| Error::type_error("list of strings (argv)", &args[0]))?;
    if argv.is_empty() {
        return Err(Error::eval("proc/spawn: argv must be non-empty"));
    }
    let argv = argv.iter().map(|a| a.expect_str()).collect::<Result<Vec<&str>>>()?;
    let mut command = Command::new(argv[0]);
    command.args(&argv[1..]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    if let Some(opts) = args.get(1) {
        apply_command_options(&mut command, opts);
    }
    let mut child = command.spawn().map_err(|e| Error::eval(format!("proc/spawn {}: {e}", argv[0])))?;
    track_group(child.id());
    let (stdout, stderr) = (Collected::default(), Collected::default());
    let mut readers = Vec::new();
    readers.extend(child.stdout.take().map(|s| collect(s, Arc::clone(&stdout))));
    readers.extend(child.stderr.take().map(|s| collect(s, Arc::clone(&stderr))));
    let stdin = child.stdin.take();
    let id = NEXT_ID.get();
    NEXT_ID.set(id + 1);
    PROCS.with_borrow_mut(|procs| procs.insert(id, Proc { child, stdin, stdout, stderr, readers }));
    Ok(Value::int(id))
}

fn write_stdin(args: &[Value]) -> Result<Value> {
    let text = args[1].expect_str()?;
    with_proc("proc/write-stdin", &args[0], |p| {
        let Some(stdin) = p.stdin.as_mut() else { return Err(Error::io("proc/write-stdin: stdin already closed")) };
        let written = stdin.write_all(text.as_bytes()).and_then(|_| stdin.flush());
        written.map_err(|e| Error::io(format!("proc/write-stdin: {e}")))?;
        Ok(Value::Nil)
    })
}

/// The exit code once the child has ended (-1 for a signal), without waiting.
fn exit_status(op: &str, p: &mut Proc) -> Result<Option<i64>> {
    let status = p.child.try_wait().map_err(|e| Error::io(format!("{op}: {e}")))?;
    if status.is_some() {
        forget_group(p.child.id());
    }
    Ok(status.map(|s| i64::from(s.code().unwrap_or(-1))))
}

/// `(proc/wait h)`: waits for the child to end and for its output to be collected;
/// its exit code (-1 when a signal ended it). Its stdin is closed first: nothing
/// could be written to it during the wait.
fn wait(p: &mut Proc) -> Result<Value> {
    p.stdin = None;
    let status = p.child.wait().map_err(|e| Error::io(format!("proc/wait: {e}")))?;
    forget_group(p.child.id());
    for reader in p.readers.drain(..) {
        let _ = reader.join();
    }
    Ok(Value::int(i64::from(status.code().unwrap_or(-1))))
}

/// `(proc/close h)`: kills the child's process group if the child still runs and
/// forgets the handle; an unknown handle is ignored.
fn close(args: &[Value]) -> Result<Value> {
    let id = handle(&args[0])?;
    if let Some(mut p) = PROCS.with_borrow_mut(|procs| procs.remove(&id)) {
        kill_and_reap(&mut p.child);
    }
    Ok(Value::Nil)
}

/// Kills a child leading its own process group, with the group, unless it has already
/// been reaped, and reaps it. The output threads are left to end with the pipes.
pub(super) fn kill_and_reap(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        // SAFETY: a signal to the group of a child not yet reaped, so still ours.
        unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL) };
    }
    let _ = child.wait();
    forget_group(child.id());
}

#[cfg(test)]
mod tests {
    use crate::builtins::test_support::{call, int, s};
    use crate::value::Value;

    #[test]
    fn spawn_write_wait_read() {
        let h = call("proc/spawn", &[Value::str_list(["sh", "-c", "cat; printf oops >&2; exit 4"])]);
        let id: i64 = h.parse().unwrap();
        let h = Value::int(id);
        assert_eq!(call("proc/write-stdin", &[h.clone(), s("ping\n")]), "nil");
        assert_eq!(call("proc/close-stdin", &[h.clone()]), "nil");
        assert_eq!(call("proc/wait", &[h.clone()]), "4");
        assert_eq!(call("proc/exit-code", &[h.clone()]), "4");
        assert_eq!(call("proc/running?", &[h.clone()]), "#f");
        assert_eq!(call("proc/read-stdout", &[h.clone()]), r#""ping\n""#);
        assert_eq!(call("proc/read-stderr", &[h.clone()]), r#""oops""#);
        assert_eq!(call("proc/close", &[h.clone()]), "nil");
        assert_eq!(call("proc/wait", &[h]), format!("ERR Eval error: proc/wait: no such handle {id}"));
        assert_eq!(call("proc/spawn", &[Value::list(vec![])]), "ERR Eval error: proc/spawn: argv must be non-empty");
        assert_eq!(call("proc/kill", &[s("x")]), "ERR Type error: expected integer (proc handle), got string");
        assert_eq!(call("proc/kill", &[int(999)]), "ERR Eval error: proc/kill: no such handle 999");
    }
}

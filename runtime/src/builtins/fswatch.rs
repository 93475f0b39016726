//! Watching files and directories for changes (`fs/watch`), with Linux inotify.
//!
//! A watch is registered before `fs/watch` returns, so every change after the call is
//! seen; a thread per watch turns inotify records into events `{:kind :create|:modify
//! |:remove|:access|:other :paths (...)}` (the kinds of the reference's notify crate)
//! and queues up to 1024 of them; past that they are counted and reported as one
//! `{:kind :overflow :dropped N :paths ()}`. A recursive watch also covers the
//! subdirectories, including ones created later; symbolic links are not followed.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::{CString, OsStr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("fs/watch", 1, Some(2), watch),
    pure("fs/watch-events", 1, Some(1), events),
    pure("fs/unwatch", 1, Some(1), |a| {
        let id = handle(&a[0])?;
        WATCHES.with_borrow_mut(|w| w.remove(&id));
        Ok(Value::Nil)
    }),
];

const MAX_WATCHES: usize = 64;
const QUEUE: usize = 1024;
/// How often a watch thread looks whether its watch was dropped.
const STOP_CHECK: Duration = Duration::from_millis(100);

/// An event as the watch thread sends it (values cannot cross threads).
struct Event {
    kind: &'static str,
    paths: Vec<PathBuf>,
}

struct Watch {
    events: Receiver<Event>,
    dropped: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

thread_local! {
    static WATCHES: RefCell<HashMap<i64, Watch>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<i64> = const { Cell::new(1) };
}

fn handle(v: &Value) -> Result<i64> {
    v.as_int().ok_or_else(|| Error::type_error("integer (watcher handle)", v))
}

/// `(fs/watch path [{:recursive #t}])`: a watcher handle for `fs/watch-events`.
fn watch(args: &[Value]) -> Result<Value> {
    let path = args[0].expect_str()?;
    let recursive = args.get(1).and_then(|o| o.option("recursive")).is_none_or(Value::truthy);
    if !Path::new(path).exists() {
        return Err(Error::io(format!("fs/watch {path}: no such file or directory")));
    }
    if WATCHES.with_borrow(HashMap::len) >= MAX_WATCHES {
        return Err(Error::eval(format!("fs/watch: too many live watcher handles (limit {MAX_WATCHES})")));
    }
    let failed = |e: std::io::Error| Error::io(format!("fs/watch {path}: failed to start watcher: {e}"));
    // SAFETY: plain system call; the descriptor is checked before use.
    let fd = unsafe { libc::inotify_init1(libc::IN_CLOEXEC | libc::IN_NONBLOCK) };
    if fd < 0 {
        return Err(failed(std::io::Error::last_os_error()));
    }
    // SAFETY: a fresh descriptor nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let root = std::env::current_dir().map_err(failed)?.join(path);
    let (sender, events) = sync_channel(QUEUE);
    let mut watcher = Watcher { fd, dirs: HashMap::new(), recursive, sink: sender, dropped: Arc::default() };
    watcher.add(&root, true).map_err(failed)?;
    let stop = Arc::new(AtomicBool::new(false));
    let dropped = Arc::clone(&watcher.dropped);
    let stopped = Arc::clone(&stop);
    std::thread::Builder::new().name("sema-fs-watch".to_string()).spawn(move || watcher.run(&stopped)).map_err(failed)?;
    let id = NEXT_ID.get();
    NEXT_ID.set(id + 1);
    WATCHES.with_borrow_mut(|w| w.insert(id, Watch { events, dropped, stop }));
    Ok(Value::int(id))
}

/// `(fs/watch-events h)`: the events since the last call, oldest first.
fn events(args: &[Value]) -> Result<Value> {
    let id = handle(&args[0])?;
    WATCHES.with_borrow(|watches| {
        let watch = watches.get(&id).ok_or_else(|| Error::eval(format!("fs/watch-events: no such watcher {id}")))?;
        let mut out: Vec<Value> = watch
            .events
            .try_iter()
            .take(QUEUE)
            .map(|e| {
                let paths = e.paths.iter().map(|p| Value::str(p.to_string_lossy())).collect();
                Value::keyword_map([("kind", Value::keyword(e.kind)), ("paths", Value::list(paths))])
            })
            .collect();
        let dropped = watch.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            out.push(Value::keyword_map([
                ("kind", Value::keyword("overflow")),
                ("paths", Value::list(Vec::new())),
                ("dropped", Value::int(dropped as i64)),
            ]));
        }
        Ok(Value::list(out))
    })
}

/// One watch's inotify instance and the directories (or file) it covers, by watch
/// descriptor.
struct Watcher {
    fd: OwnedFd,
    dirs: HashMap<i32, PathBuf>,
    recursive: bool,
    sink: SyncSender<Event>,
    dropped: Arc<AtomicUsize>,
}

/// The changes notify reports for inotify (IN_OPEN and IN_CLOSE_NOWRITE are not asked for).
const MASK: u32 = libc::IN_ATTRIB
    | libc::IN_CREATE
    | libc::IN_DELETE
    | libc::IN_CLOSE_WRITE
    | libc::IN_MODIFY
    | libc::IN_MOVED_FROM
    | libc::IN_MOVED_TO;

impl Watcher {
    /// Watches `path` and, when recursive, the directories below it.
    fn add(&mut self, path: &Path, is_root: bool) -> std::io::Result<()> {
        // The path given is followed if it is a link; directories found below are
        // taken as they are (a link put in place of one is not followed).
        let mask = if is_root {
            MASK | libc::IN_DELETE_SELF | libc::IN_MOVE_SELF
        } else {
            MASK | libc::IN_DONT_FOLLOW | libc::IN_ONLYDIR
        };
        let name = CString::new(path.as_os_str().as_bytes())?;
        // SAFETY: a valid descriptor and a NUL-terminated path.
        let wd = unsafe { libc::inotify_add_watch(self.fd.as_raw_fd(), name.as_ptr(), mask) };
        if wd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        self.dirs.insert(wd, path.to_path_buf());
        if self.recursive && path.is_dir() {
            for entry in std::fs::read_dir(path)?.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    // A directory that vanished or is unreadable is skipped, not fatal.
                    let _ = self.add(&entry.path(), false);
                }
            }
        }
        Ok(())
    }

    fn send(&self, kind: &'static str, paths: Vec<PathBuf>) {
        if let Err(TrySendError::Full(_)) = self.sink.try_send(Event { kind, paths }) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn run(mut self, stop: &AtomicBool) {
        let mut buf = vec![0u8; 64 * 1024];
        let mut moved_from: Option<(u32, PathBuf)> = None;
        while !stop.load(Ordering::Relaxed) {
            let mut poll = libc::pollfd { fd: self.fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
            // SAFETY: one valid pollfd, count 1.
            if unsafe { libc::poll(&mut poll, 1, STOP_CHECK.as_millis() as i32) } <= 0 {
                continue;
            }
            // SAFETY: reads at most the buffer's length into it.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                continue;
            }
            let mut at = 0;
            let n = n as usize;
            while at + 16 <= n {
                let field = |i: usize| u32::from_ne_bytes(buf[at + i..at + i + 4].try_into().unwrap_or_default());
                let (wd, mask, cookie, len) = (field(0) as i32, field(4), field(8), field(12) as usize);
                let name = &buf[(at + 16).min(n)..(at + 16 + len).min(n)];
                let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
                at += 16 + len;
                self.record(wd, mask, cookie, name, &mut moved_from);
            }
        }
    }

    /// Sends the events of one inotify record, in notify's order.
    fn record(&mut self, wd: i32, mask: u32, cookie: u32, name: &[u8], moved_from: &mut Option<(u32, PathBuf)>) {
        if mask & libc::IN_Q_OVERFLOW != 0 {
            self.send("other", Vec::new());
        }
        let Some(dir) = self.dirs.get(&wd) else { return };
        let path = if name.is_empty() { dir.clone() } else { dir.join(OsStr::from_bytes(name)) };
        if mask & libc::IN_IGNORED != 0 {
            self.dirs.remove(&wd);
            return;
        }
        let is_dir = mask & libc::IN_ISDIR != 0;
        if mask & libc::IN_MOVED_FROM != 0 {
            self.send("modify", vec![path.clone()]);
            *moved_from = Some((cookie, path.clone()));
        } else if mask & libc::IN_MOVED_TO != 0 {
            self.send("modify", vec![path.clone()]);
            if let Some((_, from)) = moved_from.take_if(|(c, _)| *c == cookie) {
                self.send("modify", vec![from, path.clone()]);
            }
            if self.recursive && is_dir {
                let _ = self.add(&path, false);
            }
        }
        if mask & libc::IN_MOVE_SELF != 0 {
            self.send("modify", vec![path.clone()]);
        }
        if mask & libc::IN_CREATE != 0 {
            self.send("create", vec![path.clone()]);
            if self.recursive && is_dir {
                let _ = self.add(&path, false);
            }
        }
        if mask & (libc::IN_DELETE | libc::IN_DELETE_SELF) != 0 {
            self.send("remove", vec![path.clone()]);
        }
        if mask & libc::IN_MODIFY != 0 {
            self.send("modify", vec![path.clone()]);
        }
        if mask & libc::IN_CLOSE_WRITE != 0 {
            self.send("access", vec![path.clone()]);
        }
        if mask & libc::IN_ATTRIB != 0 {
            self.send("modify", vec![path]);
        }
    }
}

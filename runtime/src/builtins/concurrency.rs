//! Channels and async promises (LANGUAGE.md has no section on them; upstream's
//! behaviour, docs/async.md): the values and the operations on them. An operation
//! that has to wait describes its wait (`Wait`) to the scheduler (vm/tasks.rs), which
//! resumes the task with the wait's result; whether a wait can finish now is decided
//! here (`Wait::try_finish`).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use super::{pure, with_vm, Builtin};
use crate::error::{Error, Result};
use crate::value::{Resource, Value};

pub static BUILTINS: &[Builtin] = &[
    with_vm("channel/new", 0, Some(1), |vm, a| {
        let channel = channel_new(a)?;
        vm.give_way(Ok(channel))
    }),
    pure("channel?", 1, Some(1), |a| Ok(Value::Bool(as_channel(&a[0]).is_some()))),
    with_vm("channel/send", 2, Some(2), |vm, a| {
        channel(&a[0])?;
        // Completes in place when it can (no turn given up), else waits.
        match Wait::Send(a[0].clone(), a[1].clone()).try_finish() {
            Some(result) => {
                vm.notify(&a[0]);
                result
            }
            None => vm.wait(Wait::Send(a[0].clone(), a[1].clone())),
        }
    }),
    with_vm("channel/recv", 1, Some(1), |vm, a| {
        channel(&a[0])?;
        match Wait::Recv(a[0].clone()).try_finish() {
            Some(result) => {
                vm.notify(&a[0]);
                result
            }
            None => vm.wait(Wait::Recv(a[0].clone())),
        }
    }),
    with_vm("channel/try-recv", 1, Some(1), |vm, a| {
        let value = channel(&a[0])?.take();
        if value.is_some() {
            vm.notify(&a[0]);
        }
        vm.give_way(Ok(value.unwrap_or(Value::Nil)))
    }),
    with_vm("channel/close", 1, Some(1), |vm, a| {
        channel(&a[0])?.close();
        vm.notify(&a[0]);
        vm.give_way(Ok(Value::Nil))
    }),
    with_vm("channel/closed?", 1, Some(1), |vm, a| {
        let closed = channel(&a[0])?.state.borrow().closed;
        vm.give_way(Ok(Value::Bool(closed)))
    }),
    with_vm("channel/count", 1, Some(1), |vm, a| {
        let count = channel(&a[0])?.state.borrow().buffer.len();
        vm.give_way(Ok(Value::Int(count as i64)))
    }),
    with_vm("channel/empty?", 1, Some(1), |vm, a| {
        let empty = channel(&a[0])?.state.borrow().buffer.is_empty();
        vm.give_way(Ok(Value::Bool(empty)))
    }),
    with_vm("channel/full?", 1, Some(1), |vm, a| {
        let full = channel(&a[0])?.is_full();
        vm.give_way(Ok(Value::Bool(full)))
    }),
    with_vm("async/resolved", 1, Some(1), |vm, a| vm.give_way(Ok(settled_promise(Outcome::Resolved(a[0].clone()))))),
    with_vm("async/rejected", 1, Some(1), |vm, a| {
        let message = a[0].as_str().ok_or_else(|| Error::type_error("string", &a[0]))?;
        vm.give_way(Ok(settled_promise(Outcome::Rejected(Error::eval(message)))))
    }),
    pure("async/promise?", 1, Some(1), |a| Ok(Value::Bool(as_promise(&a[0]).is_some()))),
    with_vm("async/pending?", 1, Some(1), |vm, a| {
        let promise = promise(&a[0])?;
        let pending = promise.is_pending() && !promise.cancelling.get();
        vm.give_way(Ok(Value::Bool(pending)))
    }),
    with_vm("async/resolved?", 1, Some(1), |vm, a| {
        let resolved = matches!(*promise(&a[0])?.outcome.borrow(), Outcome::Resolved(_));
        vm.give_way(Ok(Value::Bool(resolved)))
    }),
    with_vm("async/rejected?", 1, Some(1), |vm, a| {
        let rejected = matches!(*promise(&a[0])?.outcome.borrow(), Outcome::Rejected(_));
        vm.give_way(Ok(Value::Bool(rejected)))
    }),
    with_vm("async/cancelled?", 1, Some(1), |vm, a| {
        let cancelled = matches!(*promise(&a[0])?.outcome.borrow(), Outcome::Cancelled);
        vm.give_way(Ok(Value::Bool(cancelled)))
    }),
    // Anything but a promise is its own value, as upstream's await.
    with_vm("async/await", 1, Some(1), |vm, a| match as_promise(&a[0]) {
        Some(_) => vm.wait(Wait::Await(a[0].clone())),
        None => vm.give_way(Ok(a[0].clone())),
    }),
    with_vm("async/all", 1, Some(1), |vm, a| {
        let promises = promises(&a[0])?;
        let pending = promises.iter().filter_map(as_promise).filter(|p| p.is_pending()).count();
        vm.wait(Wait::All(promises, Cell::new(pending)))
    }),
    with_vm("async/race", 1, Some(1), |vm, a| {
        let promises = promises(&a[0])?;
        if promises.is_empty() {
            return Err(Error::eval("async/race: requires at least one promise"));
        }
        vm.wait(Wait::Race(promises))
    }),
    with_vm("async/timeout", 2, Some(2), |vm, a| {
        let ms = milliseconds("async/timeout", &a[0])?;
        promise(&a[1])?;
        vm.wait(Wait::Timeout { promise: a[1].clone(), ms })
    }),
    with_vm("async/sleep", 1, Some(1), |vm, a| {
        let ms = milliseconds("async/sleep", &a[0])?;
        vm.wait(Wait::Sleep(ms))
    }),
    with_vm("async/cancel", 1, Some(1), |vm, a| {
        promise(&a[0])?;
        let cancelled = vm.cancel(&a[0]);
        vm.give_way(Ok(Value::Bool(cancelled)))
    }),
    with_vm("async/run", 0, Some(0), |vm, _| vm.wait(Wait::Others)),
    with_vm("async/spawn", 1, Some(1), |vm, a| {
        if !matches!(a[0], Value::Closure(_)) {
            return Err(Error::eval("async/spawn: argument must be a function (compiled VM closure)"));
        }
        vm.spawn(a[0].clone())
    }),
];

/// Largest capacity of a channel (upstream's).
const MOST_CAPACITY: i64 = 16_777_216;
/// Longest sleep or timeout: a day (upstream's).
const MOST_MILLISECONDS: f64 = 86_400_000.0;

/// A FIFO of values with a capacity (`channel/new`).
pub struct Channel {
    state: RefCell<ChannelState>,
    /// Tasks waiting to send or receive, in the order they came (vm/tasks.rs).
    pub(crate) waiters: RefCell<VecDeque<Waiter>>,
}

/// A task waiting, and which of its waits (stale ones are skipped: vm/tasks.rs).
pub(crate) type Waiter = (usize, u64);

struct ChannelState {
    buffer: VecDeque<Value>,
    capacity: usize,
    closed: bool,
}

impl Channel {
    fn is_full(&self) -> bool {
        let state = self.state.borrow();
        state.buffer.len() >= state.capacity
    }

    fn take(&self) -> Option<Value> {
        self.state.borrow_mut().buffer.pop_front()
    }

    fn close(&self) {
        self.state.borrow_mut().closed = true;
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state.borrow().closed
    }
}

impl Resource for Channel {
    fn type_name(&self) -> &'static str {
        "channel"
    }

    fn repr(&self) -> String {
        "<channel>".to_string()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The result a promise holds, or will.
pub(crate) enum Outcome {
    Pending,
    Resolved(Value),
    Rejected(Error),
    Cancelled,
}

/// What `async`, `async/spawn`, `async/resolved` and `async/rejected` give.
pub struct AsyncPromise {
    outcome: RefCell<Outcome>,
    /// When it settled, counted over the run: `async/all` raises the failure that
    /// settled first and `async/race` takes the first promise to settle.
    settled_at: Cell<u64>,
    /// The spawned task that settles it (`async/cancel`), while it runs.
    pub(crate) task: Cell<Option<usize>>,
    /// Tasks waiting for it to settle, in the order they came.
    pub(crate) waiters: RefCell<VecDeque<Waiter>>,
    /// Its task is to be cancelled (its spawner was): no longer pending.
    pub(crate) cancelling: Cell<bool>,
}

impl AsyncPromise {
    /// Its value, or its error raised again; `None` while pending.
    fn result(&self) -> Option<Result<Value>> {
        match &*self.outcome.borrow() {
            Outcome::Pending => None,
            Outcome::Resolved(value) => Some(Ok(value.clone())),
            Outcome::Rejected(err) => Some(Err(err.clone())),
            Outcome::Cancelled => Some(Err(cancelled())),
        }
    }

    fn is_pending(&self) -> bool {
        matches!(*self.outcome.borrow(), Outcome::Pending)
    }

    pub(crate) fn is_resolved(&self) -> bool {
        matches!(*self.outcome.borrow(), Outcome::Resolved(_))
    }

    /// Settles a pending promise (a settled one stays as it is).
    pub(crate) fn settle(&self, outcome: Outcome) {
        if self.is_pending() {
            *self.outcome.borrow_mut() = outcome;
            self.settled_at.set(next_settlement());
            self.task.set(None);
        }
    }
}

impl Resource for AsyncPromise {
    fn type_name(&self) -> &'static str {
        "async-promise"
    }

    fn repr(&self) -> String {
        "<async-promise>".to_string()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The next number in the order promises settle.
fn next_settlement() -> u64 {
    thread_local! {
        static SETTLEMENTS: Cell<u64> = const { Cell::new(0) };
    }
    SETTLEMENTS.with(|count| {
        count.set(count.get() + 1);
        count.get()
    })
}

fn settled_promise(outcome: Outcome) -> Value {
    let promise = AsyncPromise { outcome: RefCell::new(outcome), settled_at: Cell::new(next_settlement()), task: Cell::new(None), waiters: RefCell::default(), cancelling: Cell::new(false) };
    Value::Resource(Rc::new(Box::new(promise)))
}

/// The promise of a task about to be spawned.
pub(crate) fn pending_promise(task: usize) -> Value {
    let promise = AsyncPromise { outcome: RefCell::new(Outcome::Pending), settled_at: Cell::new(0), task: Cell::new(Some(task)), waiters: RefCell::default(), cancelling: Cell::new(false) };
    Value::Resource(Rc::new(Box::new(promise)))
}

/// What awaiting a cancelled task raises.
fn cancelled() -> Error {
    let message = "async/await: awaited task was cancelled";
    let map = Value::keyword_map([
        ("type", Value::keyword("cancelled")),
        ("message", Value::str(message)),
        ("reason", Value::keyword("explicit")),
    ]);
    Error::condition(map, message.to_string())
}

/// What `async/timeout` raises when the deadline comes first.
pub(crate) fn timed_out(ms: u64) -> Error {
    let message = format!("async/timeout: operation timed out after {ms} ms");
    let map = Value::keyword_map([
        ("type", Value::keyword("timeout")),
        ("message", Value::str(message.as_str())),
        ("operation", Value::str("async/timeout")),
        ("duration-ms", Value::Int(ms as i64)),
    ]);
    Error::condition(map, message)
}

/// What a task waits for (module comment).
pub(crate) enum Wait {
    /// Nothing: the task gives way to the others and goes on with this result.
    Turn(Result<Value>),
    Await(Value),
    /// With how many of its promises were still pending when last counted: each one
    /// that resolves takes one off, and only the last (or a failure) looks at all.
    All(Vec<Value>, Cell<usize>),
    Race(Vec<Value>),
    /// A promise, or the deadline (milliseconds from the call), whichever is first.
    Timeout { promise: Value, ms: u64 },
    Sleep(u64),
    Recv(Value),
    Send(Value, Value),
    /// Every other task that can go on by itself (`async/run`).
    Others,
}

impl Wait {
    /// The wait's result when it can finish now (a receive or a send also does its
    /// part: takes or puts the value).
    pub(crate) fn try_finish(&self) -> Option<Result<Value>> {
        match self {
            Wait::Turn(result) => Some(result.clone()),
            Wait::Await(p) | Wait::Timeout { promise: p, .. } => as_promise(p)?.result(),
            Wait::All(promises, _) => {
                let promises: Vec<&AsyncPromise> = promises.iter().filter_map(as_promise).collect();
                // A failure raises the one that settled first, wherever it is in the list.
                let failed = promises
                    .iter()
                    .filter(|p| !p.is_pending() && !matches!(*p.outcome.borrow(), Outcome::Resolved(_)))
                    .min_by_key(|p| p.settled_at.get());
                if let Some(failed) = failed {
                    return failed.result();
                }
                if promises.iter().any(|p| p.is_pending()) {
                    return None;
                }
                Some(promises.iter().map(|p| p.result().expect("settled")).collect::<Result<Vec<_>>>().map(Value::list))
            }
            Wait::Race(promises) => {
                let first = promises.iter().filter_map(as_promise).filter(|p| !p.is_pending()).min_by_key(|p| p.settled_at.get());
                first?.result()
            }
            Wait::Sleep(_) | Wait::Others => None,
            Wait::Recv(ch) => {
                let channel = as_channel(ch)?;
                if let Some(value) = channel.take() {
                    return Some(Ok(value));
                }
                channel.state.borrow().closed.then_some(Ok(Value::Nil))
            }
            Wait::Send(ch, value) => {
                let channel = as_channel(ch)?;
                let mut state = channel.state.borrow_mut();
                if state.closed {
                    let dropped = crate::printer::repr(value);
                    return Some(Err(Error::eval(format!("channel/send: channel is closed; value {dropped} was dropped"))));
                }
                if state.buffer.len() >= state.capacity {
                    return None;
                }
                state.buffer.push_back(value.clone());
                Some(Ok(Value::Nil))
            }
        }
    }

    /// The promises whose settling may finish the wait.
    pub(crate) fn promises(&self) -> &[Value] {
        match self {
            Wait::Await(p) | Wait::Timeout { promise: p, .. } => std::slice::from_ref(p),
            Wait::All(promises, _) | Wait::Race(promises) => promises,
            _ => &[],
        }
    }

    /// The channel whose change may finish the wait.
    pub(crate) fn channel_waited_on(&self) -> Option<&Value> {
        match self {
            Wait::Recv(ch) | Wait::Send(ch, _) => Some(ch),
            _ => None,
        }
    }

    /// The error of a wait that nothing can ever finish (the program's deadlock).
    pub(crate) fn deadlock(&self) -> Error {
        match self {
            Wait::Recv(_) => Error::eval("channel/recv: channel is empty"),
            Wait::Send(..) => Error::eval("channel/send: channel is full"),
            _ => Error::eval("async scheduler: all tasks blocked (deadlock detected)"),
        }
    }
}

pub(crate) fn as_channel(value: &Value) -> Option<&Channel> {
    match value {
        Value::Resource(r) => r.as_any().downcast_ref::<Channel>(),
        _ => None,
    }
}

fn channel(value: &Value) -> Result<&Channel> {
    as_channel(value).ok_or_else(|| Error::type_error_showing("channel", value))
}

pub(crate) fn as_promise(value: &Value) -> Option<&AsyncPromise> {
    match value {
        Value::Resource(r) => r.as_any().downcast_ref::<AsyncPromise>(),
        _ => None,
    }
}

fn promise(value: &Value) -> Result<&AsyncPromise> {
    as_promise(value).ok_or_else(|| Error::type_error_showing("async-promise", value))
}

fn channel_new(args: &[Value]) -> Result<Value> {
    let capacity = match args.first() {
        None => 1,
        Some(value) => value.as_int().ok_or_else(|| Error::type_error("int", value))?,
    };
    if capacity < 1 {
        return Err(Error::eval("channel/new: capacity must be at least 1"));
    }
    if capacity > MOST_CAPACITY {
        return Err(Error::eval(format!("channel/new: capacity {capacity} exceeds maximum {MOST_CAPACITY}")));
    }
    let state = ChannelState { buffer: VecDeque::new(), capacity: capacity as usize, closed: false };
    Ok(Value::Resource(Rc::new(Box::new(Channel { state: RefCell::new(state), waiters: RefCell::default() }))))
}

/// The promises of `async/all`'s or `async/race`'s list or vector, checked.
fn promises(list: &Value) -> Result<Vec<Value>> {
    let items: Vec<Value> = match list {
        Value::List(items) => items.iter().cloned().collect(),
        Value::Vector(items) => items.iter().cloned().collect(),
        other => return Err(Error::type_error("list or vector", other)),
    };
    for item in &items {
        promise(item)?;
    }
    Ok(items)
}

/// A duration in milliseconds: an int, or a float rounded to the nearest.
fn milliseconds(name: &str, value: &Value) -> Result<u64> {
    let ms = match value {
        Value::Int(ms) => *ms as f64,
        Value::Float(ms) => *ms,
        other => return Err(Error::type_error("number", other)),
    };
    if !ms.is_finite() {
        return Err(Error::eval(format!("{name}: duration must be a finite number")));
    }
    if ms < 0.0 {
        return Err(Error::eval(format!("{name}: duration must be non-negative")));
    }
    let ms = ms.round();
    if ms > MOST_MILLISECONDS {
        return Err(Error::eval(format!("{name}: duration {ms} ms exceeds maximum {MOST_MILLISECONDS} ms (1 day)")));
    }
    Ok(ms as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a call gave: the written value, or `error: MESSAGE`.
    fn shown(result: Result<Value>) -> String {
        match result {
            Ok(value) => crate::printer::repr(&value),
            Err(err) => format!("error: {}", err.message()),
        }
    }

    #[test]
    fn a_channel_is_a_bounded_fifo_that_keeps_its_values_after_close() {
        let ch = channel_new(&[Value::Int(2)]).unwrap();
        let send = |v: i64| Wait::Send(ch.clone(), Value::Int(v)).try_finish();
        assert_eq!(send(1).map(shown).as_deref(), Some("nil"));
        assert_eq!(send(2).map(shown).as_deref(), Some("nil"));
        assert!(send(3).is_none(), "a full channel makes the sender wait");
        channel(&ch).unwrap().close();
        assert_eq!(send(3).map(shown).as_deref(), Some("error: channel/send: channel is closed; value 3 was dropped"));
        let received: Vec<String> = (0..3).filter_map(|_| Wait::Recv(ch.clone()).try_finish()).map(shown).collect();
        assert_eq!(received, ["1", "2", "nil"]);
    }

    #[test]
    fn all_raises_the_failure_that_settled_first_and_race_takes_the_first_settled() {
        let early_failure = settled_promise(Outcome::Rejected(Error::eval("first")));
        let ok = settled_promise(Outcome::Resolved(Value::Int(1)));
        let later_failure = settled_promise(Outcome::Rejected(Error::eval("second")));
        let all = |ps: Vec<Value>| Wait::All(ps, Cell::new(0)).try_finish().map(shown);
        let race = |ps: Vec<Value>| Wait::Race(ps).try_finish().map(shown);
        let list = vec![ok.clone(), later_failure.clone(), early_failure];
        assert_eq!(all(list.clone()).as_deref(), Some("error: first"));
        assert_eq!(race(list).as_deref(), Some("error: first"));
        assert_eq!(race(vec![ok.clone(), later_failure]).as_deref(), Some("1"));
        assert_eq!(all(vec![ok.clone(), ok.clone()]).as_deref(), Some("(1 1)"));
        // A pending promise keeps all waiting, not race when another has settled.
        let pending = pending_promise(7);
        assert!(all(vec![ok.clone(), pending.clone()]).is_none());
        assert_eq!(race(vec![pending, ok]).as_deref(), Some("1"));
    }
}

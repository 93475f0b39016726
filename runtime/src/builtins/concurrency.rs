//! Channels and async promises (LANGUAGE.md has no section on them; upstream's
//! behaviour, docs/async.md): the values and every operation on them that needs no
//! other task. Tasks (`async`, `async/spawn`) are not implemented yet: spawning raises
//! an error that says so. Without tasks nothing else can run, so every promise is
//! settled, a channel operation that would wait for another task fails at once with
//! upstream's message for that deadlock, and `async/sleep` sleeps.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::value::{Resource, Value};

pub static BUILTINS: &[Builtin] = &[
    pure("channel/new", 0, Some(1), channel_new),
    pure("channel?", 1, Some(1), |a| Ok(Value::Bool(as_channel(&a[0]).is_some()))),
    pure("channel/send", 2, Some(2), channel_send),
    pure("channel/recv", 1, Some(1), channel_recv),
    pure("channel/try-recv", 1, Some(1), |a| Ok(channel(&a[0])?.take().unwrap_or(Value::Nil))),
    pure("channel/close", 1, Some(1), |a| {
        channel(&a[0])?.state.borrow_mut().closed = true;
        Ok(Value::Nil)
    }),
    pure("channel/closed?", 1, Some(1), |a| Ok(Value::Bool(channel(&a[0])?.state.borrow().closed))),
    pure("channel/count", 1, Some(1), |a| Ok(Value::Int(channel(&a[0])?.state.borrow().buffer.len() as i64))),
    pure("channel/empty?", 1, Some(1), |a| Ok(Value::Bool(channel(&a[0])?.state.borrow().buffer.is_empty()))),
    pure("channel/full?", 1, Some(1), |a| Ok(Value::Bool(channel(&a[0])?.is_full()))),
    pure("async/resolved", 1, Some(1), |a| Ok(settled_promise(Outcome::Resolved(a[0].clone())))),
    pure("async/rejected", 1, Some(1), |a| {
        let message = a[0].as_str().ok_or_else(|| Error::type_error("string", &a[0]))?;
        Ok(settled_promise(Outcome::Rejected(Error::eval(message))))
    }),
    pure("async/promise?", 1, Some(1), |a| Ok(Value::Bool(as_promise(&a[0]).is_some()))),
    // Every promise is settled while there are no tasks.
    pure("async/pending?", 1, Some(1), |a| promise(&a[0]).map(|_| Value::Bool(false))),
    pure("async/resolved?", 1, Some(1), |a| Ok(Value::Bool(matches!(*promise(&a[0])?.outcome.borrow(), Outcome::Resolved(_))))),
    pure("async/rejected?", 1, Some(1), |a| Ok(Value::Bool(matches!(*promise(&a[0])?.outcome.borrow(), Outcome::Rejected(_))))),
    pure("async/cancelled?", 1, Some(1), |a| promise(&a[0]).map(|_| Value::Bool(false))),
    pure("async/await", 1, Some(1), |a| match as_promise(&a[0]) {
        Some(p) => p.result(),
        // Anything else is its own value, as upstream's await.
        None => Ok(a[0].clone()),
    }),
    pure("async/all", 1, Some(1), all),
    pure("async/race", 1, Some(1), race),
    pure("async/timeout", 2, Some(2), timeout),
    pure("async/sleep", 1, Some(1), sleep),
    // Only a spawned task can be cancelled, and none can be spawned yet.
    pure("async/cancel", 1, Some(1), |a| promise(&a[0]).map(|_| Value::Bool(false))),
    // Waits for the other tasks; there are none.
    pure("async/run", 0, Some(0), |_| Ok(Value::Nil)),
    pure("async/spawn", 1, Some(1), spawn),
];

/// Largest capacity of a channel (upstream's).
const MOST_CAPACITY: i64 = 16_777_216;
/// Longest sleep or timeout: a day (upstream's).
const MOST_MILLISECONDS: f64 = 86_400_000.0;

/// A FIFO of values with a capacity (`channel/new`).
pub struct Channel {
    state: RefCell<ChannelState>,
}

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

/// The result a promise holds. (A task's promise will also be pending or
/// cancelled.)
enum Outcome {
    Resolved(Value),
    Rejected(Error),
}

/// What `async`, `async/spawn`, `async/resolved` and `async/rejected` give.
pub struct AsyncPromise {
    outcome: RefCell<Outcome>,
    /// When it settled, counted over the run: `async/all` raises the failure that
    /// settled first and `async/race` takes the first promise to settle.
    settled_at: Cell<u64>,
}

impl AsyncPromise {
    /// Its value, or its error raised again.
    fn result(&self) -> Result<Value> {
        match &*self.outcome.borrow() {
            Outcome::Resolved(value) => Ok(value.clone()),
            Outcome::Rejected(err) => Err(err.clone()),
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

fn settled_promise(outcome: Outcome) -> Value {
    thread_local! {
        static SETTLEMENTS: Cell<u64> = const { Cell::new(0) };
    }
    let settled_at = SETTLEMENTS.with(|count| {
        count.set(count.get() + 1);
        count.get()
    });
    let promise = AsyncPromise { outcome: RefCell::new(outcome), settled_at: Cell::new(settled_at) };
    Value::Resource(Rc::new(Box::new(promise)))
}

fn as_channel(value: &Value) -> Option<&Channel> {
    match value {
        Value::Resource(r) => r.as_any().downcast_ref::<Channel>(),
        _ => None,
    }
}

fn channel(value: &Value) -> Result<&Channel> {
    as_channel(value).ok_or_else(|| Error::type_error_showing("channel", value))
}

fn as_promise(value: &Value) -> Option<&AsyncPromise> {
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
    Ok(Value::Resource(Rc::new(Box::new(Channel { state: RefCell::new(state) }))))
}

fn channel_send(args: &[Value]) -> Result<Value> {
    let channel = channel(&args[0])?;
    let mut state = channel.state.borrow_mut();
    if state.closed {
        let dropped = crate::printer::repr(&args[1]);
        return Err(Error::eval(format!("channel/send: channel is closed; value {dropped} was dropped")));
    }
    if state.buffer.len() >= state.capacity {
        // Only another task could make room.
        return Err(Error::eval("channel/send: channel is full"));
    }
    state.buffer.push_back(args[1].clone());
    Ok(Value::Nil)
}

fn channel_recv(args: &[Value]) -> Result<Value> {
    let channel = channel(&args[0])?;
    if let Some(value) = channel.take() {
        return Ok(value);
    }
    if channel.state.borrow().closed {
        return Ok(Value::Nil);
    }
    // Only another task could send.
    Err(Error::eval("channel/recv: channel is empty"))
}

/// The promises of `async/all`'s or `async/race`'s list or vector.
fn promises(list: &Value) -> Result<Vec<&AsyncPromise>> {
    let items: Vec<&Value> = match list {
        Value::List(items) => items.iter().collect(),
        Value::Vector(items) => items.iter().collect(),
        other => return Err(Error::type_error("list or vector", other)),
    };
    items.into_iter().map(promise).collect()
}

fn all(args: &[Value]) -> Result<Value> {
    let promises = promises(&args[0])?;
    // A failure raises the one that settled first, wherever it is in the list.
    let failed = promises.iter().filter(|p| !matches!(*p.outcome.borrow(), Outcome::Resolved(_))).min_by_key(|p| p.settled_at.get());
    if let Some(failed) = failed {
        return failed.result();
    }
    Ok(Value::list(promises.iter().map(|p| p.result()).collect::<Result<Vec<_>>>()?))
}

fn race(args: &[Value]) -> Result<Value> {
    let promises = promises(&args[0])?;
    match promises.iter().min_by_key(|p| p.settled_at.get()) {
        Some(first) => first.result(),
        None => Err(Error::eval("async/race: requires at least one promise")),
    }
}

fn timeout(args: &[Value]) -> Result<Value> {
    milliseconds("async/timeout", &args[0])?;
    // A settled promise answers before any deadline.
    promise(&args[1])?.result()
}

fn sleep(args: &[Value]) -> Result<Value> {
    let ms = milliseconds("async/sleep", &args[0])?;
    std::thread::sleep(Duration::from_millis(ms));
    Ok(Value::Nil)
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

fn spawn(args: &[Value]) -> Result<Value> {
    if !matches!(args[0], Value::Closure(_)) {
        return Err(Error::eval("async/spawn: argument must be a function (compiled VM closure)"));
    }
    Err(Error::eval("async/spawn: tasks are not implemented yet (see docs/async.md)"))
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
        assert_eq!(shown(channel_send(&[ch.clone(), Value::Int(1)])), "nil");
        assert_eq!(shown(channel_send(&[ch.clone(), Value::Int(2)])), "nil");
        assert_eq!(shown(channel_send(&[ch.clone(), Value::Int(3)])), "error: channel/send: channel is full");
        channel(&ch).unwrap().state.borrow_mut().closed = true;
        let received: Vec<String> = (0..3).map(|_| shown(channel_recv(std::slice::from_ref(&ch)))).collect();
        assert_eq!(received, ["1", "2", "nil"]);
    }

    #[test]
    fn all_raises_the_failure_that_settled_first_and_race_takes_the_first_settled() {
        let early_failure = settled_promise(Outcome::Rejected(Error::eval("first")));
        let ok = settled_promise(Outcome::Resolved(Value::Int(1)));
        let later_failure = settled_promise(Outcome::Rejected(Error::eval("second")));
        let list = Value::list(vec![ok.clone(), later_failure.clone(), early_failure]);
        assert_eq!(shown(all(std::slice::from_ref(&list))), "error: first");
        assert_eq!(shown(race(&[list])), "error: first");
        assert_eq!(shown(race(&[Value::list(vec![ok.clone(), later_failure])])), "1");
        assert_eq!(shown(all(&[Value::list(vec![ok.clone(), ok])])), "(1 1)");
    }
}

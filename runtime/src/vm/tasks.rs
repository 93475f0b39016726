//! Async tasks on the one VM (docs/async.md): a FIFO ready queue, timers, and the
//! waits of tasks on promises and channels, in upstream's order.
//!
//! A task is a VM context: its own register stack, frames and handlers; globals and
//! the heap are shared. The program's top level is the first task. A task waits by
//! having the operation it called (a builtin such as `async/await`, called from the
//! task's own bytecode) return the `Park` error after describing its wait
//! (`Vm::wait`): `run` hands that error up without unwinding, so the task's frames
//! stay as they are, and the driver (`Vm::drive`) puts the context aside. When the
//! wait finishes, the task is resumed where the call returns: the result goes into
//! the call's register (or is returned from the frame, for a tail call), or the
//! error is raised there.
//!
//! A task cannot wait inside a function that a builtin calls (`map`'s callback):
//! the builtin's Rust frames would have to be kept too. There a wait that cannot
//! finish at once is an error that says so, and giving way (which every async
//! operation does) is skipped.

use std::cmp::Reverse;
use std::cell::RefCell;
use std::collections::{BinaryHeap, VecDeque};
use std::time::{Duration, Instant};

use bundle_format::opcodes::Instr;

use super::{overwrite, Frames, Handler, Vm};
use crate::builtins::concurrency::{as_channel, as_promise, pending_promise, timed_out, Outcome, Wait, Waiter};
use crate::error::{Error, Result};
use crate::value::Value;

type TaskId = usize;

/// The program's top level.
const ROOT: TaskId = 0;

/// A task's VM state while another task runs.
pub(super) struct Context {
    stack: Vec<Value>,
    frames: Frames,
    handlers: Vec<Handler>,
}

impl Context {
    fn empty() -> Context {
        Context { stack: Vec::new(), frames: Frames::with_capacity(4), handlers: Vec::new() }
    }
}

enum State {
    /// Spawned, not started: the function it runs.
    New(Value),
    /// In the ready queue.
    Ready,
    Waiting(Wait),
    Running,
    Done,
}

struct Task {
    state: State,
    /// Its VM state while it waits or is ready to go on.
    context: Option<Context>,
    /// What the operation it waits in returns (or raises) when it goes on.
    resume: Option<Result<Value>>,
    /// Its promise (none for the top level).
    promise: Option<Value>,
    /// The task that spawned it (and that task's generation): cancelling that
    /// cancels this one.
    parent: (TaskId, u64),
    /// Counts the tasks that had its slot: a queue entry of an earlier one is stale.
    generation: u64,
    /// Counts its waits (and its slot's earlier tasks'): a wake-up or a timer of an
    /// earlier wait is stale.
    epoch: u64,
    cancel_requested: bool,
    /// Whether it spawned a task (cancelling it looks for them only then).
    spawned_any: bool,
}

pub(super) struct Scheduler {
    /// The tasks by slot; a finished task's slot is reused (`free`), so a long run
    /// that spawns millions of tasks one after another stays small.
    tasks: Vec<Task>,
    free: Vec<TaskId>,
    /// Tasks and the generation of their slot.
    ready: VecDeque<(TaskId, u64)>,
    /// Deadline, then the order timers were set: equal deadlines fire in that order.
    timers: BinaryHeap<Reverse<(Instant, u64, TaskId, u64)>>,
    timers_set: u64,
    current: TaskId,
    /// The wait the running task asked for, taken by the driver.
    asked: Option<Wait>,
    /// Tasks spawned by the running task since it last gave way: they go into the
    /// ready queue right behind it.
    spawned: Vec<TaskId>,
    /// An empty context, kept for the next task to start in.
    spare: Option<Context>,
}

impl Scheduler {
    fn new() -> Scheduler {
        let root = Task {
            state: State::Running,
            context: None,
            resume: None,
            promise: None,
            parent: (ROOT, 0),
            generation: 0,
            epoch: 0,
            cancel_requested: false,
            spawned_any: false,
        };
        Scheduler {
            tasks: vec![root],
            free: Vec::new(),
            ready: VecDeque::new(),
            timers: BinaryHeap::new(),
            timers_set: 0,
            current: ROOT,
            asked: None,
            spawned: Vec::new(),
            spare: None,
        }
    }

    fn set_timer(&mut self, ms: u64, task: TaskId) {
        // Timers of waits that ended another way stay until they would fire: drop
        // them whenever the heap has doubled.
        if self.timers.len() >= 64 && self.timers.len().is_power_of_two() {
            let tasks = &self.tasks;
            self.timers.retain(|Reverse((_, _, task, epoch))| {
                let entry = &tasks[*task];
                matches!(entry.state, State::Waiting(_)) && entry.epoch == *epoch
            });
        }
        self.timers_set += 1;
        let deadline = Instant::now() + Duration::from_millis(ms);
        self.timers.push(Reverse((deadline, self.timers_set, task, self.tasks[task].epoch)));
    }

    /// Whether `waiter` is still the wait its task is in.
    fn is_current(&self, (task, epoch): Waiter) -> bool {
        let task = &self.tasks[task];
        matches!(task.state, State::Waiting(_)) && task.epoch == epoch
    }

    /// Whether `waiter`'s wait finishes now that `subject` changed: `None` while it
    /// goes on waiting, `Some(None)` for a stale entry (to drop), else its result.
    fn try_finish(&self, waiter: Waiter, subject: &Value) -> Option<Option<Result<Value>>> {
        if !self.is_current(waiter) {
            return Some(None);
        }
        let State::Waiting(wait) = &self.tasks[waiter.0].state else { return Some(None) };
        // `async/all` of many promises: only the last to resolve looks at them all.
        if let Wait::All(_, pending) = wait {
            if as_promise(subject).is_some_and(|p| p.is_resolved()) && pending.get() > 1 {
                pending.set(pending.get() - 1);
                return None;
            }
        }
        wait.try_finish().map(Some)
    }

    /// Adds `waiter` to a channel's or a promise's list, first dropping the stale
    /// entries whenever the list has doubled (a promise raced against again and
    /// again would otherwise collect them without end).
    fn add_waiter(&self, list: &RefCell<VecDeque<Waiter>>, waiter: Waiter) {
        let mut list = list.borrow_mut();
        if list.len() >= 64 && list.len().is_power_of_two() {
            list.retain(|&w| self.is_current(w));
        }
        list.push_back(waiter);
    }

    /// Ends `task`'s wait with `result`: to the back of the ready queue.
    fn make_ready(&mut self, task: TaskId, result: Result<Value>) {
        let entry = &mut self.tasks[task];
        entry.state = State::Ready;
        entry.resume = Some(result);
        self.ready.push_back((task, entry.generation));
    }
}

impl Vm {
    /// Whether the builtin being called may make its task wait: it was called from
    /// the bytecode of a task (not from a builtin), at the level the driver runs
    /// tasks at.
    fn may_wait(&self) -> bool {
        self.called_from_bytecode && self.task_nesting == Some(self.nesting)
    }

    fn scheduler(&mut self) -> &mut Scheduler {
        self.scheduler.get_or_insert_with(|| Box::new(Scheduler::new()))
    }

    /// Makes the running task wait (module comment); the builtin returns what this
    /// returns. Where a task cannot wait, a wait that can finish at once does, a
    /// sleep sleeps, and any other is an error.
    pub(crate) fn wait(&mut self, wait: Wait) -> Result<Value> {
        if self.may_wait() {
            self.scheduler().asked = Some(wait);
            return Err(Error::park());
        }
        if let Some(result) = wait.try_finish() {
            if let Some(channel) = wait.channel_waited_on() {
                self.notify(channel);
            }
            return result;
        }
        match wait {
            Wait::Sleep(ms) => {
                std::thread::sleep(Duration::from_millis(ms));
                Ok(Value::Nil)
            }
            Wait::Others => Ok(Value::Nil),
            _ if self.task_nesting.is_none() => Err(wait.deadlock()),
            _ => Err(Error::eval(
                "a task cannot wait inside a function called by a builtin (map, for-each, apply ...) yet; \
                 wait in the task's own code (docs/async.md)",
            )),
        }
    }

    /// Gives way to the other ready tasks, then goes on with `result` (what every
    /// async operation does, as upstream's).
    pub(crate) fn give_way(&mut self, result: Result<Value>) -> Result<Value> {
        self.wait(Wait::Turn(result))
    }

    /// Spawns a task running `thunk` and returns its promise. It goes into the ready
    /// queue behind its spawner, which gives way.
    pub(crate) fn spawn(&mut self, thunk: Value) -> Result<Value> {
        if self.task_nesting.is_none() {
            return Err(Error::eval("async/spawn: tasks run only in a program's run (semarun, semac --run), not here"));
        }
        let may_wait = self.may_wait();
        let scheduler = self.scheduler();
        let current = scheduler.current;
        let parent = (current, scheduler.tasks[current].generation);
        let (id, generation, epoch) = match scheduler.free.pop() {
            Some(id) => (id, scheduler.tasks[id].generation + 1, scheduler.tasks[id].epoch + 1),
            None => (scheduler.tasks.len(), 0, 0),
        };
        let promise = pending_promise(id);
        let task = Task {
            state: State::New(thunk),
            context: None,
            resume: None,
            promise: Some(promise.clone()),
            parent,
            generation,
            epoch,
            cancel_requested: false,
            spawned_any: false,
        };
        scheduler.tasks[current].spawned_any = true;
        if id == scheduler.tasks.len() {
            scheduler.tasks.push(task);
        } else {
            scheduler.tasks[id] = task;
        }
        if may_wait {
            scheduler.spawned.push(id);
            self.give_way(Ok(promise))
        } else {
            scheduler.ready.push_back((id, generation));
            Ok(promise)
        }
    }

    /// Cancels the task of `promise`; false when it is not a pending spawned task or
    /// was cancelled before. It settles at once (or, if it is the one running, when
    /// it next gives way); the tasks it spawned are cancelled when the scheduler next
    /// comes to them, as upstream's are.
    pub(crate) fn cancel(&mut self, promise: &Value) -> bool {
        let Some(task) = as_promise(promise).and_then(|p| p.task.get()) else { return false };
        let Some(scheduler) = self.scheduler.as_mut() else { return false };
        let entry = &mut scheduler.tasks[task];
        if entry.cancel_requested || matches!(entry.state, State::Done) {
            return false;
        }
        entry.cancel_requested = true;
        if !matches!(entry.state, State::Running) {
            self.finish_task(task, None);
        }
        true
    }

    /// Marks the tasks `task` spawned for cancelling: no longer pending, cancelled
    /// when they come out of the ready queue.
    fn cancel_children(&mut self, task: TaskId, generation: u64) {
        let scheduler = self.scheduler();
        if !scheduler.tasks[task].spawned_any {
            return;
        }
        for child in 0..scheduler.tasks.len() {
            let entry = &mut scheduler.tasks[child];
            if child == task || entry.parent != (task, generation) || entry.cancel_requested || matches!(entry.state, State::Done) {
                continue;
            }
            entry.cancel_requested = true;
            if let Some(p) = entry.promise.as_ref().and_then(as_promise) {
                p.cancelling.set(true);
            }
            if !matches!(entry.state, State::Running | State::Ready | State::New(_)) {
                entry.state = State::Ready;
                scheduler.ready.push_back((child, entry.generation));
            }
        }
    }

    /// Finishes the waits that a change of `subject` (a channel or a promise) lets
    /// finish, in the order the tasks came.
    pub(crate) fn notify(&mut self, subject: &Value) {
        let channel = as_channel(subject);
        let waiters = match (channel, as_promise(subject)) {
            (Some(channel), _) => &channel.waiters,
            (_, Some(promise)) => &promise.waiters,
            _ => return,
        };
        if waiters.borrow().is_empty() {
            return;
        }
        let Some(scheduler) = self.scheduler.as_mut() else { return };
        if channel.is_some_and(|c| !c.is_closed()) {
            // An open channel's live waiters are all senders (it is full) or all
            // receivers (it is empty): first come, first served, and the first that
            // cannot finish ends the round.
            loop {
                let Some(&waiter) = waiters.borrow().front() else { break };
                if let Some(result) = scheduler.try_finish(waiter, subject) {
                    waiters.borrow_mut().pop_front();
                    if let Some(result) = result {
                        scheduler.make_ready(waiter.0, result);
                    }
                } else {
                    break;
                }
            }
            return;
        }
        // A settled promise or a closed channel ends every wait on it (a closed
        // channel's senders first, as upstream's).
        let mut pending: Vec<Waiter> = std::mem::take(&mut *waiters.borrow_mut()).into();
        if channel.is_some() {
            let is_send = |&(task, _): &Waiter| matches!(scheduler.tasks[task].state, State::Waiting(Wait::Send(..)));
            let (senders, receivers): (Vec<Waiter>, Vec<Waiter>) = pending.iter().partition(|w| is_send(w));
            pending = senders.into_iter().chain(receivers).collect();
        }
        let mut kept = VecDeque::new();
        for waiter in pending {
            match scheduler.try_finish(waiter, subject) {
                Some(Some(result)) => scheduler.make_ready(waiter.0, result),
                Some(None) => {}
                None => kept.push_back(waiter),
            }
        }
        let mut list = waiters.borrow_mut();
        let arrived_meanwhile = std::mem::replace(&mut *list, kept);
        list.extend(arrived_meanwhile);
    }

    /// Runs the program's tasks from the top level's first step (`run_program`)
    /// until the top level ends and no task is ready; the top level's result.
    pub(super) fn drive(&mut self, mut step: Result<Value>) -> Result<Value> {
        if self.scheduler.is_none() && !step.as_ref().is_err_and(Error::is_park) {
            return step;
        }
        let mut root_result = None;
        loop {
            // A budget (--fuel, --max-seconds) ends the whole run, in whichever task.
            if step.as_ref().is_err_and(|err| !err.is_park() && !err.catchable()) {
                return step;
            }
            self.after_step(step, &mut root_result);
            let next = loop {
                let scheduler = self.scheduler();
                if let Some((task, generation)) = scheduler.ready.pop_front() {
                    let entry = &scheduler.tasks[task];
                    if entry.generation != generation || !matches!(entry.state, State::Ready | State::New(_)) {
                        continue;
                    }
                    if entry.cancel_requested {
                        self.finish_task(task, None);
                        continue;
                    }
                    break task;
                }
                if let Some(result) = root_result.take() {
                    return result;
                }
                if self.fire_timer() {
                    continue;
                }
                let scheduler = self.scheduler();
                // `async/run` waits for the tasks that can go on by themselves: none can.
                let running_others = (0..scheduler.tasks.len())
                    .rev()
                    .find(|&t| matches!(scheduler.tasks[t].state, State::Waiting(Wait::Others)));
                if let Some(task) = running_others {
                    scheduler.make_ready(task, Ok(Value::Nil));
                    continue;
                }
                // Nothing can end the top level's wait.
                let State::Waiting(wait) = &scheduler.tasks[ROOT].state else {
                    unreachable!("the top level waits while it has not ended")
                };
                let deadlock = wait.deadlock();
                scheduler.make_ready(ROOT, Err(deadlock));
            };
            step = self.resume(next);
        }
    }

    /// Records how the running task's step ended: it waits (its context is put
    /// aside), or it ended (its promise settles; the top level's result is kept).
    fn after_step(&mut self, step: Result<Value>, root_result: &mut Option<Result<Value>>) {
        let scheduler = self.scheduler();
        let task = scheduler.current;
        if step.as_ref().is_err_and(Error::is_park) {
            let wait = scheduler.asked.take().expect("a parked task asked for a wait");
            let spare = scheduler.spare.take().unwrap_or_else(Context::empty);
            let context = self.swap_context(spare);
            let scheduler = self.scheduler();
            let entry = &mut scheduler.tasks[task];
            entry.context = Some(context);
            entry.epoch += 1;
            if entry.cancel_requested {
                self.finish_task(task, None);
            } else {
                self.start_wait(task, wait);
            }
        } else if task == ROOT {
            scheduler.tasks[ROOT].state = State::Done;
            *root_result = Some(step);
        } else {
            self.finish_task(task, Some(step));
        }
        let scheduler = self.scheduler();
        for child in std::mem::take(&mut scheduler.spawned) {
            let entry = &scheduler.tasks[child];
            if matches!(entry.state, State::New(_)) {
                scheduler.ready.push_back((child, entry.generation));
            }
        }
    }

    /// Starts `task`'s wait: finished at once (to the back of the ready queue), or
    /// registered with what can finish it.
    fn start_wait(&mut self, task: TaskId, wait: Wait) {
        if let Some(result) = wait.try_finish() {
            if let Some(channel) = wait.channel_waited_on() {
                let channel = channel.clone();
                self.scheduler().make_ready(task, result);
                self.notify(&channel);
            } else {
                self.scheduler().make_ready(task, result);
            }
            return;
        }
        let scheduler = self.scheduler();
        let waiter = (task, scheduler.tasks[task].epoch);
        for promise in wait.promises() {
            if let Some(promise) = as_promise(promise) {
                scheduler.add_waiter(&promise.waiters, waiter);
            }
        }
        if let Some(channel) = wait.channel_waited_on().and_then(as_channel) {
            scheduler.add_waiter(&channel.waiters, waiter);
        }
        match wait {
            Wait::Sleep(ms) | Wait::Timeout { ms, .. } => scheduler.set_timer(ms, task),
            _ => {}
        }
        scheduler.tasks[task].state = State::Waiting(wait);
    }

    /// Ends `task`: its promise settles with `step` (a cancelled task's with
    /// cancellation, `None`), its waiters are woken, its context is dropped and its
    /// slot freed.
    fn finish_task(&mut self, task: TaskId, step: Option<Result<Value>>) {
        let scheduler = self.scheduler();
        let entry = &mut scheduler.tasks[task];
        entry.state = State::Done;
        entry.context = None;
        entry.resume = None;
        let generation = entry.generation;
        let Some(promise) = entry.promise.take() else { return };
        scheduler.free.push(task);
        let outcome = match step {
            _ if entry.cancel_requested => Outcome::Cancelled,
            Some(Ok(value)) => Outcome::Resolved(value),
            Some(Err(err)) => Outcome::Rejected(err),
            None => Outcome::Cancelled,
        };
        let cancelled = matches!(outcome, Outcome::Cancelled);
        if let Some(p) = as_promise(&promise) {
            p.settle(outcome);
        }
        self.notify(&promise);
        if cancelled {
            self.cancel_children(task, generation);
        }
    }

    /// Fires the earliest timer that is not stale, after sleeping until its
    /// deadline; false when there is none.
    fn fire_timer(&mut self) -> bool {
        let scheduler = self.scheduler();
        while let Some(Reverse((deadline, _, task, epoch))) = scheduler.timers.pop() {
            if !scheduler.is_current((task, epoch)) {
                continue;
            }
            let now = Instant::now();
            if deadline > now {
                std::thread::sleep(deadline - now);
            }
            let result = match &scheduler.tasks[task].state {
                State::Waiting(Wait::Timeout { ms, .. }) => Err(timed_out(*ms)),
                _ => Ok(Value::Nil),
            };
            scheduler.make_ready(task, result);
            return true;
        }
        false
    }

    /// Runs `task`'s next step: from its start, or from where it waits.
    fn resume(&mut self, task: TaskId) -> Result<Value> {
        let scheduler = self.scheduler();
        scheduler.current = task;
        let entry = &mut scheduler.tasks[task];
        match std::mem::replace(&mut entry.state, State::Running) {
            State::New(thunk) => self.call(&thunk, &[]),
            _ => {
                let result = entry.resume.take().unwrap_or(Ok(Value::Nil));
                let context = entry.context.take().expect("a waiting task keeps its context");
                let empty = self.swap_context(context);
                self.scheduler().spare = Some(empty);
                self.nesting += 1;
                let step = self.go_on(result);
                self.nesting -= 1;
                // An error unwound the task's frames: drop what its registers held.
                if step.as_ref().is_err_and(|err| !err.is_park()) {
                    self.truncate_stack(0);
                }
                step
            }
        }
    }

    /// Goes on from the call a task waited in, with what the call returns or raises.
    fn go_on(&mut self, result: Result<Value>) -> Result<Value> {
        let value = match result {
            Ok(value) => value,
            Err(err) => return self.run_raising(0, err),
        };
        let frame = self.frames.last().expect("a waiting task has a frame");
        let call = frame.closure.proto.code[frame.pc - 1];
        match call {
            Instr::Call { a, .. } | Instr::CallGlobal { a, .. } => {
                let at = frame.base + a.0 as usize;
                overwrite(&mut self.stack[at], value);
                self.run(0)
            }
            // A tail call: the value is the frame's.
            _ => match self.return_from_frame(value, 0) {
                Some(value) => Ok(value),
                None => self.run(0),
            },
        }
    }

    /// Puts `context` in place of the running one, which it returns.
    fn swap_context(&mut self, context: Context) -> Context {
        Context {
            stack: std::mem::replace(&mut self.stack, context.stack),
            frames: std::mem::replace(&mut self.frames, context.frames),
            handlers: std::mem::replace(&mut self.handlers, context.handlers),
        }
    }
}

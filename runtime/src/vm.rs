//! The virtual machine: one dispatch loop over verified register instructions.
//!
//! All frames share one value stack. A frame's registers are `stack[base ..
//! base + registers]` and, while the frame runs, the stack reaches at least that far
//! (docs/vm2.md). A call's arguments already sit where the callee's parameters go, so a
//! Sema-to-Sema call copies nothing and never recurses on the Rust stack; only builtins
//! that call back into Sema (`map`, `foldl`, ...) re-enter `run`, and that nesting is
//! bounded by `MAX_NESTING`.
//!
//! Error handling: `PushHandler` records the frame, the register that receives the
//! error and the handler address. A raised error unwinds to the innermost handler of
//! the current `run` invocation, or leaves `run` so an outer invocation (or the top
//! level) sees it.

use std::cell::RefCell;
use std::rc::Rc;

use bundle_format::bundle::Capture;
use bundle_format::opcodes::Instr;

use crate::builtins::{self, Builtin, NativeFn};
use crate::error::{Error, Result, TraceFrame};
use crate::interner::Sym;
use crate::list::List;
use crate::program::{FuncProto, Program};
use crate::value::{Captures, Closure, SortedMap, Value};

mod tasks;

/// Most frames live at once (non-tail recursion depth).
pub const MAX_FRAMES: usize = 100_000;
/// Most nested re-entries of `run` from builtins that call functions.
pub const MAX_NESTING: usize = 10_000;
/// Most values on the stack: every frame's registers together. A hostile bundle's
/// frames may each declare 65,535 registers; this bounds what its calls can take.
const MAX_STACK_VALUES: usize = 1 << 24;

struct Frame {
    closure: Rc<Closure>,
    /// The next instruction, saved while another frame runs.
    pc: usize,
    /// Stack index of register 0.
    base: usize,
}

/// The call frames. Slots above `len` are kept and rewritten field by field on the
/// next call at that depth: building a `Frame` and moving it into a `Vec` cost a
/// store-forwarding stall on every call (the 32-byte temporary was reloaded right
/// after being written). A kept slot still holds the last closure that ran at its
/// depth until the next call there replaces it.
struct Frames {
    slots: Vec<Frame>,
    len: usize,
}

impl Frames {
    fn new() -> Frames {
        Frames::with_capacity(64)
    }

    fn with_capacity(capacity: usize) -> Frames {
        Frames { slots: Vec::with_capacity(capacity), len: 0 }
    }

    fn len(&self) -> usize {
        self.len
    }

    /// Pushes a frame; more than `MAX_FRAMES` is a stack overflow. Only a depth never
    /// reached before needs that check: the kept slots are never more than
    /// `MAX_FRAMES`, so a call that reuses one is within it.
    #[inline(always)]
    fn push(&mut self, closure: Rc<Closure>, base: usize) -> Result<()> {
        match self.reuse_slot(base) {
            Some(slot) => slot.closure = closure,
            None => self.grow(Frame { closure, pc: 0, base })?,
        }
        Ok(())
    }

    /// Like `push`, for a closure the caller keeps: a kept slot that already holds it
    /// (a recursion at this depth) takes no new reference.
    #[inline(always)]
    fn push_shared(&mut self, closure: &Rc<Closure>, base: usize) -> Result<()> {
        match self.reuse_slot(base) {
            Some(slot) if Rc::ptr_eq(&slot.closure, closure) => {}
            Some(slot) => slot.closure = closure.clone(),
            None => self.grow(Frame { closure: closure.clone(), pc: 0, base })?,
        }
        Ok(())
    }

    /// `push` at a new depth: a new slot, or a stack overflow (the count `reuse_slot`
    /// took back).
    #[inline(never)]
    fn grow(&mut self, frame: Frame) -> Result<()> {
        if self.slots.len() >= MAX_FRAMES {
            self.len -= 1;
            return Err(stack_overflow());
        }
        self.slots.push(frame);
        Ok(())
    }

    /// Counts one more frame and returns its kept slot with everything but the
    /// closure rewritten; `None` at a depth never reached before, where the caller
    /// pushes a whole `Frame`.
    #[inline(always)]
    fn reuse_slot(&mut self, base: usize) -> Option<&mut Frame> {
        let index = self.len;
        self.len += 1;
        let slot = self.slots.get_mut(index)?;
        slot.pc = 0;
        slot.base = base;
        Some(slot)
    }

    /// Removes the top frame and returns its base.
    #[inline(always)]
    fn pop(&mut self) -> Option<usize> {
        self.len = self.len.checked_sub(1)?;
        Some(self.slots[self.len].base)
    }

    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    // The top frame is read by index, one bounds check: `live().last()` checked `len`
    // against the slots and then against zero, on every call and return.
    #[inline(always)]
    fn last(&self) -> Option<&Frame> {
        self.slots.get(self.len.wrapping_sub(1))
    }

    #[inline(always)]
    fn last_mut(&mut self) -> Option<&mut Frame> {
        self.slots.get_mut(self.len.wrapping_sub(1))
    }

    fn live(&self) -> &[Frame] {
        &self.slots[..self.len]
    }

    fn at_mut(&mut self, index: usize) -> &mut Frame {
        let len = self.len;
        &mut self.slots[..len][index]
    }
}

struct Handler {
    frame: usize,
    /// The frame's register that receives the error map.
    dst: usize,
    target: usize,
}

/// The interpreter state.
pub struct Vm {
    stack: Vec<Value>,
    frames: Frames,
    handlers: Vec<Handler>,
    /// Indexed by `Sym::index`; `None` is unbound.
    globals: Vec<Option<Value>>,
    program: Rc<Program>,
    nesting: usize,
    /// Calls and backward jumps left before the run stops (`--fuel`); effectively
    /// unlimited by default.
    fuel: u64,
    /// What `sys/args` returns.
    pub args: Vec<String>,
    /// `eval` and `read` (a compiler); `semarun` has none.
    evaluator: Option<Box<dyn Evaluator>>,
    /// When the run must stop (`--max-seconds`).
    deadline: Option<std::time::Instant>,
    /// What the program may reach outside (checked by gated builtins only).
    policy: std::rc::Rc<crate::permissions::Policy>,
    /// The program's async tasks, once one waits or is spawned (vm/tasks.rs).
    scheduler: Option<Box<tasks::Scheduler>>,
    /// The `nesting` at which tasks' own code runs, while `run_program` drives them.
    task_nesting: Option<usize>,
    /// Whether the builtin being called was called from bytecode (not from another
    /// builtin): only then can it make its task wait.
    called_from_bytecode: bool,
}

/// How many units of fuel pass between two looks at the clock.
const DEADLINE_CHECK_INTERVAL: u64 = 1024;

/// What `eval` and `read` need: a reader and a compiler. The runtime does not
/// contain one; `semac --run` installs its own.
pub trait Evaluator {
    /// Compiles `form` and runs it in `vm`'s global environment.
    fn eval(&mut self, vm: &mut Vm, form: &Value) -> Result<Value>;
    /// Reads the first form of `text` (`nil` when there is none).
    fn read(&mut self, text: &str) -> Result<Value>;
    /// Reads every form of `text` into a list.
    fn read_many(&mut self, text: &str) -> Result<Value>;
    /// Expands `form` while it is a macro call (`macroexpand` with a computed form).
    fn macroexpand(&mut self, form: &Value) -> Result<Value>;
    /// Reads and compiles `text` without running it: its first problem, if any.
    fn check(&mut self, text: &str) -> Option<Problem>;
}

/// What `Evaluator::check` found wrong with a source text (`sema/check-string`).
pub struct Problem {
    /// `"syntax"` for a reader error, `"arity"` or `"error"` for a compile error.
    pub code: &'static str,
    pub message: String,
    /// For a reader error: line, column, end line, end column.
    pub span: Option<[u32; 4]>,
}

const NO_COMPILER: &str = "needs the compiler, which semarun leaves out to stay small; run the program with `semac --run FILE`, or build it with `semac --exe --with-compiler`";

/// For `(module NAME (export e...) body...)`, the form that runs the body in its own
/// scope and defines only the exported names wanted (all when `wanted` is empty):
/// `(define-values (e...) (let () body... (values e...)))`. `None` for other forms.
fn module_exports_only(module: &Value, wanted: &[Value], path: &str) -> Result<Option<Value>> {
    let items = match module.seq_items() {
        Some(items) if matches!(items.first(), Some(Value::Symbol(s)) if s.with_name(|n| n == "module")) => items,
        _ => return Ok(None),
    };
    let exports = match items.get(2).and_then(Value::seq_items) {
        Some(export) if matches!(export.first(), Some(Value::Symbol(s)) if s.with_name(|n| n == "export")) => export[1..].to_vec(),
        _ => return Err(Error::eval(format!("import {path}: module expects a name, (export ...) and a body"))),
    };
    for name in wanted {
        if !exports.contains(name) {
            return Err(Error::eval(format!("import: {} is not exported by {path}", crate::printer::repr(name))));
        }
    }
    let names = if wanted.is_empty() { exports } else { wanted.to_vec() };
    let values = std::iter::once(Value::symbol("values")).chain(names.iter().cloned());
    let mut body = vec![Value::symbol("let"), Value::list(Vec::new())];
    body.extend(items[3..].iter().cloned());
    body.push(Value::list(values.collect()));
    Ok(Some(Value::list(vec![Value::symbol("define-values"), Value::list(names), Value::list(body)])))
}

fn stack_overflow() -> Error {
    Error::eval("stack overflow: maximum call depth exceeded")
}

pub(crate) fn not_callable(value: &Value) -> Error {
    Error::eval(format!("not callable: {} ({})", crate::printer::repr(value), value.type_name()))
}

fn closure_arity_error(proto: &FuncProto, got: usize) -> Error {
    let name = proto.name.map(Sym::name).unwrap_or_else(|| "<lambda>".to_string());
    let expected = if proto.rest { format!("{}+", proto.arity) } else { proto.arity.to_string() };
    Error::arity(&name, &expected, got)
}

/// Looks a key up in a map or hashmap (keyword calls and `get`).
pub fn map_get(map: &Value, key: &Value) -> Result<Value> {
    Ok(map_lookup(map, key)?.cloned().unwrap_or(Value::Nil))
}

/// The value of `key` in a map or hashmap, if it has one.
fn map_lookup<'a>(map: &'a Value, key: &Value) -> Result<Option<&'a Value>> {
    match map {
        Value::Map(m) => Ok(m.get(key)),
        Value::HashMap(m) => Ok(m.get(key)),
        other => Err(Error::type_error("map or hashmap", other)),
    }
}

impl Vm {
    pub fn new(program: Program, args: Vec<String>) -> Vm {
        builtins::system::start_clock();
        let program = Rc::new(program);
        let mut vm = Vm {
            stack: Vec::with_capacity(1024),
            frames: Frames::new(),
            handlers: Vec::new(),
            globals: Vec::new(),
            program,
            nesting: 0,
            fuel: u64::MAX,
            args,
            evaluator: None,
            deadline: None,
            policy: std::rc::Rc::default(),
            scheduler: None,
            task_nesting: None,
            called_from_bytecode: false,
        };
        for builtin in builtins::all() {
            vm.define_global(Sym::intern(builtin.name), Value::Native(builtin));
        }
        for (name, value) in builtins::constants() {
            vm.define_global(Sym::intern(name), value);
        }
        vm
    }

    /// Gives `eval` and `read` a compiler.
    pub fn set_evaluator(&mut self, evaluator: Box<dyn Evaluator>) {
        self.evaluator = Some(evaluator);
    }

    /// `(eval form)`.
    pub fn eval(&mut self, form: &Value) -> Result<Value> {
        let Some(mut evaluator) = self.evaluator.take() else {
            return Err(Error::eval(format!("eval {NO_COMPILER}")));
        };
        let result = evaluator.eval(self, form);
        self.evaluator = Some(evaluator);
        result
    }

    /// A `load` or `import` of a file that is not in the bundle (its path was computed,
    /// or the file did not exist at compile time): read, compiled and run now, form by
    /// form in the global environment, when this VM has a compiler. An import of a
    /// `(module NAME (export ...) body...)` file defines only the exports (or the
    /// `import_names` asked for among them), as a compiled import does.
    pub fn load_at_run_time(&mut self, path: &str, import_names: Option<Vec<Value>>) -> Result<Value> {
        let what = format!("cannot load {path:?} at run time: only files named by a literal string and present at compile time are compiled into the bundle; loading another");
        self.compiler(&what)?;
        let text = std::fs::read_to_string(path).map_err(|err| Error::io(format!("load {path}: {err}")))?;
        let forms = self.read_many(&text)?.seq_items().unwrap_or_default();
        if let (Some(wanted), [module]) = (import_names, &forms[..]) {
            if let Some(form) = module_exports_only(module, &wanted, path)? {
                self.eval(&form)?;
                return Ok(Value::Nil);
            }
        }
        let mut result = Value::Nil;
        for form in forms {
            result = self.eval(&form)?;
        }
        Ok(result)
    }

    /// `(read text)`.
    pub fn read(&mut self, text: &str) -> Result<Value> {
        self.compiler("read")?.read(text)
    }

    /// `(read-many text)`.
    pub fn read_many(&mut self, text: &str) -> Result<Value> {
        self.compiler("read-many")?.read_many(text)
    }

    /// `(macroexpand form)` when the compiler could not expand it ahead of time.
    pub fn macroexpand(&mut self, form: &Value) -> Result<Value> {
        self.compiler("macroexpand of a form computed at run time")?.macroexpand(form)
    }

    /// The compiler behind `eval` and `read`, or the error saying that `op` needs one.
    pub fn compiler(&mut self, op: &str) -> Result<&mut dyn Evaluator> {
        match &mut self.evaluator {
            Some(evaluator) => Ok(evaluator.as_mut()),
            None => Err(Error::eval(format!("{op} {NO_COMPILER}"))),
        }
    }

    /// Limits the run to `steps` calls and backward jumps; past that it stops with an
    /// uncatchable error. Used to bound untrusted or mutated bundles.
    pub fn set_fuel(&mut self, steps: u64) {
        self.fuel = steps;
    }

    /// Limits the run's wall-clock time; checked every `DEADLINE_CHECK_INTERVAL`
    /// units of fuel, so a step whose cost grows (bignum arithmetic) is bounded too.
    pub fn set_deadline(&mut self, deadline: std::time::Instant) {
        self.deadline = Some(deadline);
    }

    /// Charges one unit of fuel (a call or a backward transfer).
    #[inline]
    fn burn_fuel(&mut self) -> Result<()> {
        self.fuel -= 1;
        if self.fuel == 0 {
            return Err(Error::out_of_fuel());
        }
        if self.fuel.is_multiple_of(DEADLINE_CHECK_INTERVAL) {
            if let Some(deadline) = self.deadline {
                if std::time::Instant::now() >= deadline {
                    return Err(Error::out_of_time());
                }
            }
            if crate::alloc::over_memory_limit() {
                return Err(Error::out_of_memory());
            }
        }
        Ok(())
    }

    pub fn define_global(&mut self, sym: Sym, value: Value) {
        let index = sym.index();
        if index >= self.globals.len() {
            self.globals.resize(Sym::count().max(index + 1), None);
        }
        self.globals[index] = Some(value);
    }

    /// Runs the top-level code of another program in this VM (its globals are this
    /// VM's); returns the value of its last form.
    pub fn run_unit(&mut self, program: &Program) -> Result<Value> {
        if self.globals.len() < Sym::count() {
            self.globals.resize(Sym::count(), None);
        }
        let entry = Closure { proto: program.entry.clone(), captures: Captures::NONE };
        self.call(&Value::Closure(Rc::new(entry)), &[])
    }

    /// Runs the program's top-level code.
    pub fn run_program(&mut self) -> Result<Value> {
        // The linker interned every symbol the code names; make the table cover them.
        if self.globals.len() < Sym::count() {
            self.globals.resize(Sym::count(), None);
        }
        let entry = Rc::new(Closure { proto: self.program.entry.clone(), captures: Captures::NONE });
        // The top level is the first task: it and the tasks it spawns run here.
        let outer = self.task_nesting.replace(self.nesting + 1);
        let first_step = self.call(&Value::Closure(entry), &[]);
        let result = self.drive(first_step);
        self.task_nesting = outer;
        result
    }

    /// Calls any callable value with `args` and returns its result. Builtins that take
    /// functions use this.
    pub fn call(&mut self, callee: &Value, args: &[Value]) -> Result<Value> {
        // Builtins that loop over calls (map, foldl, sort...) pay per call.
        self.burn_fuel()?;
        match callee {
            Value::Closure(closure) => {
                let at = self.place_arguments(args.iter().cloned());
                self.run_closure(closure, args.len(), at)
            }
            Value::Native(builtin) => self.call_builtin_with(builtin, args),
            Value::Keyword(k) => keyword_call(*k, args),
            Value::Multimethod(_) => {
                let handler = builtins::multimethods::resolve(self, callee.clone(), args)?;
                self.call(&handler, args)
            }
            // A builtin handed a non-function reports a type error, as upstream's do.
            other => Err(Error::type_error("callable", other)),
        }
    }

    /// Like `call`, but moves the arguments: an accumulator handed to a closure this
    /// way keeps reference count 1, so the closure's updates stay in place.
    pub fn call_owned<const N: usize>(&mut self, callee: &Value, args: [Value; N]) -> Result<Value> {
        self.burn_fuel()?;
        match callee {
            Value::Closure(closure) => {
                let at = self.place_arguments(args.into_iter());
                self.run_closure(closure, N, at)
            }
            Value::Native(builtin) if matches!(builtin.func, NativeFn::Owned(_)) => {
                builtin.check_arity(N)?;
                self.check_gates(builtin, &args)?;
                let NativeFn::Owned(f) = builtin.func else { unreachable!("matched above") };
                let mut args = args;
                f(&mut args)
            }
            other => self.call(other, &args),
        }
    }

    /// Puts the arguments of a call from a builtin into Sema in the registers just
    /// above the top frame's (from stack index 0 when no frame runs), after a
    /// placeholder for the callee, and returns the placeholder's index. Everything from
    /// there up owns nothing: each frame resets the registers it wrote when it returns,
    /// and a call that fails is cut off (`run_closure`). So the same slots serve call
    /// after call (a fold's thousands), where extending the stack for each call and
    /// cutting it back afterwards had cost map and foldl about a tenth of their time.
    fn place_arguments(&mut self, args: impl ExactSizeIterator<Item = Value>) -> usize {
        let at = self.frames.last().map_or(0, |frame| frame.base + frame.closure.proto.registers as usize);
        let end = at + 1 + args.len();
        extend_nil(&mut self.stack, end);
        for (slot, arg) in self.stack[at + 1..end].iter_mut().zip(args) {
            overwrite(slot, arg);
        }
        at
    }

    /// How far the value stack reaches (tests: calls into Sema reuse its slots).
    #[cfg(test)]
    pub(crate) fn stack_len(&self) -> usize {
        self.stack.len()
    }

    /// Runs `closure` to completion on the `argc` arguments above the placeholder at
    /// stack index `at` (`place_arguments`). A failed call leaves the stack at `at`.
    fn run_closure(&mut self, closure: &Rc<Closure>, argc: usize, at: usize) -> Result<Value> {
        if self.nesting >= MAX_NESTING {
            self.truncate_stack(at);
            return Err(stack_overflow());
        }
        let depth = self.frames.len();
        let base = at + 1;
        if let Err(err) = self.enter(closure.clone(), base, argc) {
            self.truncate_stack(at);
            return Err(err);
        }
        self.nesting += 1;
        let result = self.run(depth);
        self.nesting -= 1;
        // A returning frame reset its registers; an unwound one did not. A waiting
        // task keeps everything (vm/tasks.rs).
        if result.as_ref().is_err_and(|err| !err.is_park()) {
            self.truncate_stack(at);
        }
        result
    }

    fn call_builtin_with(&mut self, builtin: &'static Builtin, args: &[Value]) -> Result<Value> {
        builtin.check_arity(args.len())?;
        self.check_gates(builtin, args)?;
        let result = match builtin.func {
            NativeFn::Pure(f) => f(args),
            NativeFn::Vm(f) => {
                self.called_from_bytecode = false;
                f(self, args)
            }
            NativeFn::Owned(f) => f(&mut args.to_vec()),
        };
        result.map_err(|err| blamed(err, builtin))
    }

    /// Calls the builtin on the `argc` arguments in the stack from `start` (a call's
    /// window), then resets those registers to nil: an argument left there would stay
    /// shared and defeat copy-on-write.
    fn call_builtin_at(&mut self, builtin: &'static Builtin, start: usize, argc: usize) -> Result<Value> {
        builtin.check_arity(argc)?;
        let args = start..start + argc;
        self.check_gates(builtin, &self.stack[args.clone()])?;
        let result = match builtin.func {
            NativeFn::Pure(f) => f(&self.stack[args.clone()]),
            NativeFn::Vm(f) => {
                let taken: Vec<Value> = self.stack[args.clone()].iter_mut().map(std::mem::take).collect();
                self.called_from_bytecode = true;
                f(self, &taken)
            }
            NativeFn::Owned(f) => f(&mut self.stack[args.clone()]),
        };
        clear_values(&mut self.stack[args]);
        result.map_err(|err| blamed(err, builtin))
    }

    /// The permission checks of a gated builtin (only a restricted VM installs any).
    #[inline(always)]
    fn check_gates(&self, builtin: &Builtin, args: &[Value]) -> Result<()> {
        if builtin.gates.is_empty() {
            return Ok(());
        }
        self.policy.check(builtin.name, builtin.gates, args)
    }

    /// Restricts what this VM's program may do: the builtins of `permissions::GATES`
    /// are replaced by copies that check `policy` before each call. Call it before
    /// the program runs (it replaces globals by name).
    pub fn restrict(&mut self, policy: crate::permissions::Policy) {
        if policy.is_unrestricted() {
            return;
        }
        for &(original, gated) in builtins::gated() {
            let sym = Sym::intern(gated.name);
            if let Some(Some(Value::Native(builtin))) = self.globals.get(sym.index()) {
                if std::ptr::eq(*builtin, original) {
                    self.define_global(sym, Value::Native(gated));
                }
            }
        }
        self.policy = std::rc::Rc::new(policy);
    }

    /// Pushes a frame for `closure` whose `argc` arguments are in the stack from `base`.
    #[inline(always)]
    fn enter(&mut self, closure: Rc<Closure>, base: usize, argc: usize) -> Result<()> {
        prepare_frame(&mut self.stack, &closure.proto, base, argc)?;
        self.frames.push(closure, base)
    }

    /// Runs until the frame at index `stop_depth` returns, handling errors raised
    /// inside this invocation.
    fn run(&mut self, stop_depth: usize) -> Result<Value> {
        loop {
            match self.execute(stop_depth) {
                Ok(value) => return Ok(value),
                Err(err) => {
                    if let Some(end) = self.unwind(err, stop_depth) {
                        return end;
                    }
                }
            }
        }
    }

    /// `run`, raising `err` first where the top frame stands (a task resumed with
    /// the error of what it waited for).
    fn run_raising(&mut self, stop_depth: usize, err: Error) -> Result<Value> {
        match self.unwind(err, stop_depth) {
            Some(end) => end,
            None => self.run(stop_depth),
        }
    }

    /// Handles an error raised in this invocation of `run`: a handler catches it
    /// (`None`: the run goes on there), or it ends the run.
    #[inline(never)]
    fn unwind(&mut self, mut err: Error, stop_depth: usize) -> Option<Result<Value>> {
        // The task waits: its frames stay (vm/tasks.rs).
        if err.is_park() {
            return Some(Err(err));
        }
        // This invocation's frames, below those of a nested invocation
        // (a builtin's callback) the error came up through.
        self.record_trace(&mut err, stop_depth);
        match self.handlers.last() {
            Some(handler) if handler.frame >= stop_depth && err.catchable() => {
                // Entering a handler pays fuel: a handler can loop back
                // through a throw without any jump.
                if let Err(err) = self.burn_fuel() {
                    self.frames.truncate(stop_depth);
                    self.drop_handlers_above(stop_depth);
                    return Some(Err(err));
                }
                let handler = self.handlers.pop().expect("checked above");
                self.frames.truncate(handler.frame + 1);
                let frame = self.frames.at_mut(handler.frame);
                frame.pc = handler.target;
                let (base, end) = (frame.base, frame.base + frame.closure.proto.registers as usize);
                // What the unwound frames held is dropped; the stack keeps its
                // length, which callers' frames may reach beyond `end`.
                extend_nil(&mut self.stack, end);
                clear_values(&mut self.stack[end..]);
                self.stack[base + handler.dst] = err.to_map();
                None
            }
            _ => {
                self.frames.truncate(stop_depth);
                self.drop_handlers_above(stop_depth);
                Some(Err(err))
            }
        }
    }

    fn drop_handlers_above(&mut self, depth: usize) {
        while self.handlers.last().is_some_and(|h| h.frame >= depth) {
            self.handlers.pop();
        }
    }

    /// Appends the frames of this `run` invocation (from `stop_depth`) to the error's
    /// trace, innermost first; the first to record also notes the failing instruction.
    fn record_trace(&self, err: &mut Error, stop_depth: usize) {
        let frames = &self.frames.live()[stop_depth..];
        if err.trace().is_empty() {
            if let Some(innermost) = frames.last() {
                if let Some(&instr) = innermost.closure.proto.code.get(innermost.pc.wrapping_sub(1)) {
                    err.set_raised_at(instr);
                }
            }
        }
        err.reserve_trace(frames.len());
        for frame in frames.iter().rev() {
            let proto = &frame.closure.proto;
            let at = frame.pc.saturating_sub(1);
            let (line, col) = proto.positions.as_ref().and_then(|p| p.get(at).copied()).unwrap_or((0, 0));
            err.push_trace(TraceFrame {
                function: proto.trace_name.clone(),
                file: proto.file.and_then(|f| proto.unit.files.get(f as usize).cloned()),
                line,
                col,
            });
        }
    }

    fn global(&self, sym: bundle_format::opcodes::SymIdx) -> Result<Value> {
        match self.globals.get(sym.0 as usize) {
            Some(Some(value)) => Ok(value.clone()),
            _ => Err(self.unbound(sym)),
        }
    }

    fn unbound(&self, sym: bundle_format::opcodes::SymIdx) -> Error {
        Error::unbound(&self.symbol_name(sym.0 as usize))
    }

    fn symbol_name(&self, index: usize) -> String {
        // Relinked symbol operands are interner indices (program.rs).
        crate::interner::sym_from_index(index).map(Sym::name).unwrap_or_default()
    }

    /// Executes instructions of the top frame until `stop_depth` is reached or an
    /// error is raised. The current frame's pc is saved before anything can fail.
    fn execute(&mut self, stop_depth: usize) -> Result<Value> {
        let frame = self.frames.last().expect("execute needs a frame");
        let mut closure = frame.closure.clone();
        let mut pc = frame.pc;
        // The running function's instructions. Always `closure.proto.code`, which the
        // local `closure` keeps alive; the two change together (`reload!`). Fetching
        // through the slice took four dependent loads per instruction.
        let mut code: *const Instr = closure.proto.code.as_ptr();
        // The running frame's register 0: `self.stack.as_mut_ptr() + base`, kept so
        // that a register access is one add, not a reload of the stack and the base.
        // `locate!` recomputes it after anything that may move the stack (a call, a
        // builtin) or reaches it by reference, and wherever the frame changes. The base
        // itself is not kept: `base!` derives it, which leaves the loop one value
        // fewer to keep in a register.
        let mut regs: *mut Value = self.stack.as_mut_ptr().wrapping_add(frame.base);

        macro_rules! save_pc {
            () => {
                self.frames.last_mut().expect("running frame").pc = pc
            };
        }
        macro_rules! tri {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(err) => {
                        save_pc!();
                        return Err(err);
                    }
                }
            };
        }
        // Register `$r` of the running frame, shared (`reg!`) or to write (`reg_mut!`).
        // SAFETY: in bounds: the operand is below the frame's registers (V4), and the
        // stack reaches the frame's last register while it runs (it only ever shrinks
        // back to where a failed call from a builtin into Sema began, above every
        // suspended frame: `run_closure`). The references live within one instruction,
        // during which nothing grows the stack: the builtins called there get operands,
        // not the VM.
        // `regs` is register 0 of the running frame: `locate!` ran since the stack last
        // moved or was borrowed (checked in debug builds).
        macro_rules! reg {
            ($r:expr) => {{
                debug_assert!(base!() + ($r.0 as usize) < self.stack.len(), "register outside the stack");
                unsafe { &*regs.add($r.0 as usize) }
            }};
        }
        macro_rules! reg_mut {
            ($r:expr) => {{
                debug_assert!(base!() + ($r.0 as usize) < self.stack.len(), "register outside the stack");
                unsafe { &mut *regs.add($r.0 as usize) }
            }};
        }
        // The running frame's base, from `regs` (checked in debug builds against the
        // frame's own record: `regs` is current wherever it is read).
        macro_rules! base {
            () => {{
                let base = (regs as usize - self.stack.as_ptr() as usize) / std::mem::size_of::<Value>();
                debug_assert_eq!(base, self.frames.last().expect("a running frame").base, "registers not located");
                base
            }};
        }
        // Points `regs` at the frame whose register 0 is stack index `$base`.
        macro_rules! locate {
            ($base:expr) => {
                regs = self.stack.as_mut_ptr().wrapping_add($base)
            };
        }
        // Stores `$value` (evaluated first) into register `$r` (`overwrite`).
        macro_rules! set {
            ($r:expr, $value:expr) => {{
                let value = $value;
                overwrite(reg_mut!($r), value);
            }};
        }
        // Two fixnums or two floats take the fast path; anything else (overflow,
        // mixed types, strings, errors) goes through the builtin's own definition.
        macro_rules! arith {
            ($dst:expr, $a:expr, $b:expr, $int:expr, $float:expr, $slow:path) => {{
                let (x, y) = (reg!($a), reg!($b));
                // Each path stores its own result: merged into one `Value` first, the
                // fast results were stored with the slow path's padding bytes.
                match (x, y) {
                    (Value::Int(i), Value::Int(j)) => match $int(*i, *j) {
                        Some(result) => set!($dst, result),
                        None => set!($dst, tri!($slow(x, y))),
                    },
                    (Value::Float(i), Value::Float(j)) => set!($dst, $float(*i, *j)),
                    _ => set!($dst, tri!($slow(x, y))),
                }
            }};
        }
        // A comparison's fast path as in `arith!`, then the branch, with no boolean
        // materialised in between.
        macro_rules! compare_branch {
            ($a:expr, $b:expr, $int:expr, $float:expr, $slow:path, $jump_when:expr, $target:expr) => {{
                let (x, y) = (reg!($a), reg!($b));
                let holds = match (x, y) {
                    (Value::Int(x), Value::Int(y)) => $int(x, y),
                    (Value::Float(x), Value::Float(y)) => $float(x, y),
                    _ => tri!($slow(x, y)).truthy(),
                };
                if holds == $jump_when {
                    jump_to!($target);
                }
            }};
        }
        // `(+ r k)` / `(- r k)`: fixnum fast path, else the builtin's own two-argument
        // definition (overflow, floats, errors).
        macro_rules! int_arith {
            ($dst:expr, $a:expr, $value:expr, $checked:ident, $slow:path) => {{
                let x = reg!($a);
                let k = $value.0 as i64;
                // The fast path stores on its own, as in `arith!`.
                match x {
                    Value::Int(n) => match n.$checked(k) {
                        Some(n) => set!($dst, Value::Int(n)),
                        None => set!($dst, tri!($slow(x, &Value::Int(k)))),
                    },
                    _ => set!($dst, tri!($slow(x, &Value::Int(k)))),
                }
            }};
        }
        // Charged on every call and backward jump, so every loop and recursion pays.
        macro_rules! burn_fuel {
            () => {
                if let Err(err) = self.burn_fuel() {
                    save_pc!();
                    return Err(err);
                }
            };
        }
        // Every backward transfer pays fuel, so no loop escapes the budget.
        macro_rules! jump_to {
            ($target:expr) => {{
                let target = $target.0 as usize;
                if target < pc {
                    burn_fuel!();
                }
                pc = target;
            }};
        }
        // Continues in the frame just pushed at `$base`, running `$next` (`None`: the
        // running closure again). What `reload!` would read back from the frame is
        // known here.
        macro_rules! enter_new_frame {
            ($next:expr, $base:expr) => {{
                if let Some(next) = $next {
                    closure = next;
                    code = closure.proto.code.as_ptr();
                }
                pc = 0;
                locate!($base);
            }};
        }
        macro_rules! reload {
            () => {{
                let frame = self.frames.last().expect("a frame to resume");
                // A recursive call or its return resumes the same closure: keep it
                // and skip the reference-count traffic.
                if !Rc::ptr_eq(&closure, &frame.closure) {
                    closure = frame.closure.clone();
                    code = closure.proto.code.as_ptr();
                }
                pc = frame.pc;
                locate!(frame.base);
            }};
        }

        loop {
            // SAFETY: `code` points at `closure.proto.code` (see above), and `pc` is
            // in bounds: the verifier proved that every jump and handler target is an
            // instruction of the function (V4) and that control never runs off its
            // end (V7), so the instruction after a non-final one exists; a frame's
            // saved pc is one of those. Code reaches a `FuncProto` only verified
            // (program.rs links `VerifiedCode`).
            let instr = unsafe { *code.add(pc) };
            pc += 1;
            match instr {
                Instr::LoadNil { dst } => set!(dst, Value::Nil),
                Instr::LoadTrue { dst } => set!(dst, Value::Bool(true)),
                Instr::LoadFalse { dst } => set!(dst, Value::Bool(false)),
                Instr::LoadInt { dst, value } => set!(dst, Value::Int(value.0 as i64)),
                Instr::LoadConst { dst, idx } => set!(dst, share(&closure.proto.unit.constants[idx.0 as usize])),
                Instr::Move { dst, src } => set!(dst, share(reg!(src))),
                Instr::MoveOut { dst, src } => set!(dst, std::mem::take(reg_mut!(src))),
                Instr::LoadCapture { dst, idx } => set!(dst, share(&closure.captures[idx.0 as usize])),
                Instr::MakeCell { reg } => {
                    let v = std::mem::take(reg_mut!(reg));
                    *reg_mut!(reg) = Value::Cell(Rc::new(RefCell::new(v)));
                }
                Instr::LoadCell { dst, cell } => set!(dst, tri!(cell_get(reg!(cell)))),
                Instr::StoreCell { cell, src } => {
                    let v = share(reg!(src));
                    tri!(cell_set(reg!(cell), v));
                }
                // A counter or accumulator a closure keeps.
                Instr::LoadCellCapture { dst, idx } => match &closure.captures[idx.0 as usize] {
                    Value::Cell(cell) => set!(dst, share(&cell.borrow())),
                    _ => {
                        save_pc!();
                        return Err(not_a_cell_load());
                    }
                },
                Instr::StoreCellCapture { idx, src } => {
                    let v = share(reg!(src));
                    tri!(cell_set(&closure.captures[idx.0 as usize], v));
                }
                Instr::LoadGlobal { dst, sym } => match self.globals.get(sym.0 as usize) {
                    Some(Some(value)) => set!(dst, share(value)),
                    _ => {
                        let err = self.unbound(sym);
                        save_pc!();
                        return Err(err);
                    }
                },
                Instr::StoreGlobal { sym, src } => {
                    let v = share(reg!(src));
                    let index = sym.0 as usize;
                    if index >= self.globals.len() {
                        self.globals.resize(index + 1, None);
                    }
                    self.globals[index] = Some(v);
                }
                Instr::LoadSelf { dst } => set!(dst, Value::Closure(closure.clone())),
                Instr::Jump { target } => jump_to!(target),
                Instr::JumpIfFalse { src, target } => {
                    if !reg!(src).truthy() {
                        jump_to!(target);
                    }
                }
                Instr::JumpIfTrue { src, target } => {
                    if reg!(src).truthy() {
                        jump_to!(target);
                    }
                }
                Instr::JumpIfNull { src, target } => {
                    if is_null(reg!(src)) {
                        jump_to!(target);
                    }
                }
                Instr::JumpIfNotNull { src, target } => {
                    if !is_null(reg!(src)) {
                        jump_to!(target);
                    }
                }
                Instr::JumpIfNil { src, target } => {
                    if reg!(src).is_nil() {
                        jump_to!(target);
                    }
                }
                Instr::JumpIfNotNil { src, target } => {
                    if !reg!(src).is_nil() {
                        jump_to!(target);
                    }
                }
                Instr::Call { a, argc } | Instr::TailCall { a, argc } => {
                    burn_fuel!();
                    let base = base!();
                    let at = base + a.0 as usize;
                    let callee = std::mem::take(reg_mut!(a));
                    let tail = matches!(instr, Instr::TailCall { .. });
                    save_pc!();
                    // The common case, a closure called (not in tail position), skips
                    // `invoke`: its `Rc` goes straight into the new frame.
                    let callee = match callee {
                        Value::Closure(callee) if !tail => {
                            let next = (!Rc::ptr_eq(&closure, &callee)).then(|| callee.clone());
                            tri!(self.enter(callee, at + 1, argc.0 as usize));
                            enter_new_frame!(next, at + 1);
                            continue;
                        }
                        other => other,
                    };
                    match tri!(self.invoke(callee, at, argc.0 as usize, tail, stop_depth)) {
                        Invoked::Frame => reload!(),
                        Invoked::Value(v) => {
                            locate!(base);
                            set!(a, v)
                        }
                        Invoked::Returned(v) => return Ok(v),
                    }
                }
                Instr::CallGlobal { sym, a, argc } | Instr::TailCallGlobal { sym, a, argc } => {
                    burn_fuel!();
                    let base = base!();
                    let at = base + a.0 as usize;
                    let argc = argc.0 as usize;
                    let tail = matches!(instr, Instr::TailCallGlobal { .. });
                    save_pc!();
                    // The common cases, non-tail calls of a global function or builtin,
                    // skip `invoke`: a closure's `Rc` goes straight into the new frame.
                    if tail {
                        // Self-recursion in tail position (tak's last call) restarts
                        // the frame without touching the closure's reference count.
                        if let Some(Some(Value::Closure(callee))) = self.globals.get(sym.0 as usize) {
                            let proto = &closure.proto;
                            if Rc::ptr_eq(callee, &closure) && !proto.rest && argc == proto.arity as usize {
                                self.restart_frame(base, at + 1, argc, proto.registers as usize);
                                locate!(base);
                                pc = 0;
                                continue;
                            }
                        }
                    } else {
                        match self.globals.get(sym.0 as usize) {
                            Some(Some(Value::Closure(callee))) => {
                                tri!(prepare_frame(&mut self.stack, &callee.proto, at + 1, argc));
                                tri!(self.frames.push_shared(callee, at + 1));
                                let next = (!Rc::ptr_eq(&closure, callee)).then(|| callee.clone());
                                enter_new_frame!(next, at + 1);
                                continue;
                            }
                            Some(Some(Value::Native(builtin))) => {
                                let builtin = *builtin;
                                let result = tri!(self.call_builtin_at(builtin, at + 1, argc));
                                locate!(base);
                                set!(a, result);
                                continue;
                            }
                            _ => {}
                        }
                    }
                    let callee = tri!(self.global(sym));
                    match tri!(self.invoke(callee, at, argc, tail, stop_depth)) {
                        Invoked::Frame => reload!(),
                        Invoked::Value(v) => {
                            locate!(base);
                            set!(a, v)
                        }
                        Invoked::Returned(v) => return Ok(v),
                    }
                }
                Instr::CallSelf { a, argc } => {
                    burn_fuel!();
                    save_pc!();
                    let at = base!() + a.0 as usize + 1;
                    tri!(prepare_frame(&mut self.stack, &closure.proto, at, argc.0 as usize));
                    // The same closure runs on: no reference count, no reload.
                    tri!(self.frames.push_shared(&closure, at));
                    locate!(at);
                    pc = 0;
                }
                Instr::Return { src, written } => {
                    // A number is read as its tag and payload, as it was written: a
                    // whole-value move of it stalls on store forwarding.
                    let result = match *reg!(src) {
                        Value::Int(n) => Value::Int(n),
                        Value::Float(x) => Value::Float(x),
                        _ => std::mem::take(reg_mut!(src)),
                    };
                    // Only the registers this call may have written own anything
                    // (the compiler's bound, which V4 keeps inside the frame).
                    let base = base!();
                    clear_values(&mut self.stack[base..base + written.0 as usize]);
                    match self.pop_frame(result, stop_depth) {
                        Some(v) => return Ok(v),
                        None => reload!(),
                    }
                }
                Instr::Closure { dst, proto } => set!(dst, self.make_closure(&closure, proto.0 as usize, base!())),
                Instr::MakeList { dst, count } => {
                    // Consed straight from the registers: no vector in between.
                    let base = base!();
                    let start = base + dst.0 as usize;
                    let items = self.stack[start..start + count.0 as usize].iter_mut().map(std::mem::take);
                    let list = Value::List(List::from_iter_exact(items));
                    locate!(base);
                    set!(dst, list);
                }
                Instr::MakeVector { dst, count } => {
                    let base = base!();
                    let items = self.take_registers(base + dst.0 as usize, count.0 as usize);
                    locate!(base);
                    set!(dst, Value::vector(items));
                }
                Instr::MakeMap { dst, pairs } => {
                    let base = base!();
                    let items = self.take_registers(base + dst.0 as usize, 2 * pairs.0 as usize);
                    locate!(base);
                    set!(dst, make_map(items));
                }
                Instr::PushHandler { dst, target } => self.handlers.push(Handler {
                    frame: self.frames.len() - 1,
                    dst: dst.0 as usize,
                    target: target.0 as usize,
                }),
                Instr::PopHandler {} => {
                    self.handlers.pop();
                }
                Instr::Throw { src } => {
                    let v = share(reg!(src));
                    save_pc!();
                    return Err(Error::thrown(v));
                }
                Instr::Add { dst, a, b } => arith!(dst, a, b, |x: i64, y: i64| x.checked_add(y).map(Value::Int), |x: f64, y: f64| Value::Float(x + y), builtins::numbers::add2),
                Instr::AddNum { dst, a, b } => arith!(dst, a, b, |x: i64, y: i64| x.checked_add(y).map(Value::Int), |x: f64, y: f64| Value::Float(x + y), crate::num::add),
                Instr::Sub { dst, a, b } => arith!(dst, a, b, |x: i64, y: i64| x.checked_sub(y).map(Value::Int), |x: f64, y: f64| Value::Float(x - y), builtins::numbers::sub2),
                Instr::Mul { dst, a, b } => arith!(dst, a, b, |x: i64, y: i64| x.checked_mul(y).map(Value::Int), |x: f64, y: f64| Value::Float(x * y), builtins::numbers::mul2),
                Instr::Div { dst, a, b } => arith!(dst, a, b, |_: i64, _: i64| None, |x: f64, y: f64| Value::Float(x / y), builtins::numbers::div2),
                Instr::Mod { dst, a, b } => arith!(dst, a, b, |x: i64, y: i64| crate::num::fixnum_modulo(x, y).map(Value::Int), |x: f64, y: f64| Value::Float(x % y), builtins::numbers::mod2),
                Instr::Lt { dst, a, b } => arith!(dst, a, b, |x: i64, y: i64| Some(Value::Bool(x < y)), |x: f64, y: f64| Value::Bool(x < y), builtins::numbers::lt2),
                Instr::Gt { dst, a, b } => arith!(dst, a, b, |x: i64, y: i64| Some(Value::Bool(x > y)), |x: f64, y: f64| Value::Bool(x > y), builtins::numbers::gt2),
                Instr::Le { dst, a, b } => arith!(dst, a, b, |x: i64, y: i64| Some(Value::Bool(x <= y)), |x: f64, y: f64| Value::Bool(x <= y), builtins::numbers::le2),
                Instr::Ge { dst, a, b } => arith!(dst, a, b, |x: i64, y: i64| Some(Value::Bool(x >= y)), |x: f64, y: f64| Value::Bool(x >= y), builtins::numbers::ge2),
                Instr::NumEq { dst, a, b } => arith!(dst, a, b, |x: i64, y: i64| Some(Value::Bool(x == y)), |x: f64, y: f64| Value::Bool(x == y), builtins::numbers::eq2),
                Instr::LtJumpIfFalse { a, b, target } => compare_branch!(a, b, i64::lt, f64::lt, builtins::numbers::lt2, false, target),
                Instr::LtJumpIfTrue { a, b, target } => compare_branch!(a, b, i64::lt, f64::lt, builtins::numbers::lt2, true, target),
                Instr::GtJumpIfFalse { a, b, target } => compare_branch!(a, b, i64::gt, f64::gt, builtins::numbers::gt2, false, target),
                Instr::GtJumpIfTrue { a, b, target } => compare_branch!(a, b, i64::gt, f64::gt, builtins::numbers::gt2, true, target),
                Instr::LeJumpIfFalse { a, b, target } => compare_branch!(a, b, i64::le, f64::le, builtins::numbers::le2, false, target),
                Instr::LeJumpIfTrue { a, b, target } => compare_branch!(a, b, i64::le, f64::le, builtins::numbers::le2, true, target),
                Instr::GeJumpIfFalse { a, b, target } => compare_branch!(a, b, i64::ge, f64::ge, builtins::numbers::ge2, false, target),
                Instr::GeJumpIfTrue { a, b, target } => compare_branch!(a, b, i64::ge, f64::ge, builtins::numbers::ge2, true, target),
                Instr::NumEqJumpIfFalse { a, b, target } => compare_branch!(a, b, i64::eq, f64::eq, builtins::numbers::eq2, false, target),
                Instr::NumEqJumpIfTrue { a, b, target } => compare_branch!(a, b, i64::eq, f64::eq, builtins::numbers::eq2, true, target),
                Instr::AddInt { dst, a, value } => int_arith!(dst, a, value, checked_add, builtins::numbers::add2),
                Instr::SubInt { dst, a, value } => int_arith!(dst, a, value, checked_sub, builtins::numbers::sub2),
                Instr::Not { dst, src } => set!(dst, Value::Bool(!reg!(src).truthy())),
                Instr::Neg { dst, src } => set!(dst, tri!(crate::num::negate(reg!(src)))),
                Instr::Car { dst, src } => {
                    let head = match reg!(src) {
                        Value::List(list) => list.first().map_or(Value::Nil, share),
                        other => tri!(builtins::lists::car1(other)),
                    };
                    set!(dst, head);
                }
                Instr::Cdr { dst, src } => set!(dst, tri!(builtins::lists::cdr1(reg!(src)))),
                Instr::IsNull { dst, src } => set!(dst, Value::Bool(is_null(reg!(src)))),
                Instr::Min { dst, a, b } => set!(dst, tri!(builtins::numbers::min2(reg!(a), reg!(b)))),
                Instr::Max { dst, a, b } => set!(dst, tri!(builtins::numbers::max2(reg!(a), reg!(b)))),
                Instr::IsNil { dst, src } => set!(dst, Value::Bool(reg!(src).is_nil())),
                Instr::IsPair { dst, src } => set!(dst, Value::Bool(matches!(reg!(src), Value::List(l) if !l.is_empty()))),
                Instr::Cons { dst, a, b } => set!(dst, builtins::lists::cons2(share(reg!(a)), share(reg!(b)))),
                Instr::Get { dst, a, b } => set!(dst, tri!(map_lookup(reg!(a), reg!(b))).map_or(Value::Nil, share)),
                Instr::Equal { dst, a, b } => set!(dst, Value::Bool(reg!(a) == reg!(b))),
                Instr::Nth { dst, a, b } => {
                    // A vector element in range is shared in place; everything else
                    // (lists, arrays, errors) goes through the builtin.
                    let item = match (reg!(a), reg!(b)) {
                        (Value::Vector(items), Value::Int(i)) if (*i as u64) < items.len() as u64 => share(&items[*i as usize]),
                        (seq, index) => tri!(builtins::lists::nth2(seq, index)),
                    };
                    set!(dst, item);
                }
            }
        }
    }

    // The constructors below run out of line: they allocate anyway, and keeping them
    // out of `execute` leaves the dispatch loop smaller.

    /// `Closure`: a closure of prototype `index` of the running closure's unit,
    /// capturing from the frame at `base` and from the running closure.
    #[inline(never)]
    fn make_closure(&self, running: &Closure, index: usize, base: usize) -> Value {
        let proto = running.proto.unit.protos()[index].clone();
        let captures = Captures::from_exact(proto.captures.iter().map(|c| match *c {
            Capture::Local(slot) => self.stack[base + slot.0 as usize].clone(),
            Capture::Outer(idx) => running.captures[idx.0 as usize].clone(),
        }));
        Value::Closure(Rc::new(Closure { proto, captures }))
    }

    /// The `count` values of the registers from stack index `start` (a collection's
    /// items), leaving nil behind.
    #[inline(never)]
    fn take_registers(&mut self, start: usize, count: usize) -> Vec<Value> {
        self.stack[start..start + count].iter_mut().map(std::mem::take).collect()
    }

    /// Drops the values above `len`. Most registers of a returning frame hold
    /// numbers, which own nothing: then the stack is only shortened, where
    /// `Vec::truncate` would call the out-of-line drop glue on every value.
    #[inline(always)]
    fn truncate_stack(&mut self, len: usize) {
        if self.stack.get(len..).is_some_and(|above| above.iter().all(owns_nothing)) {
            // SAFETY: shortening never exposes uninitialised values, and the values
            // cut off own nothing, so skipping their drop leaks nothing.
            unsafe { self.stack.set_len(len) }
        } else {
            self.stack.truncate(len);
        }
    }

    /// Calls `callee` with the `argc` arguments in the registers above stack index
    /// `at` (its window). For a tail call the current frame is replaced (or, for a
    /// builtin, returned from).
    fn invoke(&mut self, callee: Value, at: usize, argc: usize, tail: bool, stop_depth: usize) -> Result<Invoked> {
        match callee {
            Value::Closure(closure) => {
                if tail {
                    // The arguments become the running frame's parameters; the callee is
                    // checked against them and, unless it is the running closure, installed.
                    let frame = self.frames.last().expect("a running frame");
                    let (base, registers) = (frame.base, frame.closure.proto.registers as usize);
                    self.restart_frame(base, at + 1, argc, registers);
                    prepare_frame(&mut self.stack, &closure.proto, base, argc)?;
                    let frame = self.frames.last_mut().expect("a running frame");
                    if !Rc::ptr_eq(&frame.closure, &closure) {
                        frame.closure = closure;
                    }
                    frame.pc = 0;
                } else {
                    self.enter(closure, at + 1, argc)?;
                }
                Ok(Invoked::Frame)
            }
            Value::Native(builtin) => {
                let result = self.call_builtin_at(builtin, at + 1, argc)?;
                self.finish_call(result, tail, stop_depth)
            }
            Value::Keyword(k) => {
                let result = keyword_call(k, &self.stack[at + 1..at + 1 + argc]);
                self.finish_call(result?, tail, stop_depth)
            }
            Value::Multimethod(_) => {
                // The handler runs on the same arguments, still in place, as if called
                // here directly (a tail call stays one).
                let args = self.stack[at + 1..at + 1 + argc].to_vec();
                let handler = builtins::multimethods::resolve(self, callee, &args)?;
                self.invoke(handler, at, argc, tail, stop_depth)
            }
            other => Err(not_callable(&other)),
        }
    }

    /// Restarts the running frame (whose register 0 is at `base`) on the `argc`
    /// arguments at stack index `args`: they become its parameters, its other
    /// registers are reset to nil and the handlers it installed are dropped. The
    /// caller resets the pc.
    #[inline(always)]
    fn restart_frame(&mut self, base: usize, args: usize, argc: usize, registers: usize) {
        move_arguments(&mut self.stack, base, args, argc);
        clear_values(&mut self.stack[base + argc..base + registers]);
        self.drop_handlers_above(self.frames.len() - 1);
    }

    fn finish_call(&mut self, result: Value, tail: bool, stop_depth: usize) -> Result<Invoked> {
        if !tail {
            return Ok(Invoked::Value(result));
        }
        Ok(match self.return_from_frame(result, stop_depth) {
            Some(v) => Invoked::Returned(v),
            None => Invoked::Frame,
        })
    }

    /// Pops the current frame, handing `result` to its caller: into the register just
    /// below the frame (the caller's call window). The frame's registers are reset to
    /// nil, so nothing it held stays shared. Returns the value when the popped frame
    /// was the one this `run` invocation was started for.
    fn return_from_frame(&mut self, result: Value, stop_depth: usize) -> Option<Value> {
        let frame = self.frames.last().expect("a frame to return from");
        let (base, registers) = (frame.base, frame.closure.proto.registers as usize);
        clear_values(&mut self.stack[base..base + registers]);
        self.pop_frame(result, stop_depth)
    }

    /// `return_from_frame` once the frame's registers are reset.
    #[inline(always)]
    fn pop_frame(&mut self, result: Value, stop_depth: usize) -> Option<Value> {
        let base = self.frames.pop().expect("a frame to return from");
        self.drop_handlers_above(self.frames.len());
        if self.frames.len() == stop_depth {
            return Some(result);
        }
        overwrite(&mut self.stack[base - 1], result);
        None
    }
}

/// `err` on its way out of `builtin` (`Error::blame_builtin`).
#[cold]
fn blamed(mut err: Error, builtin: &'static Builtin) -> Error {
    err.blame_builtin(builtin.name);
    err
}

/// `null?`: nil or the empty list.
#[inline(always)]
fn is_null(value: &Value) -> bool {
    matches!(value, Value::Nil) || matches!(value, Value::List(l) if l.is_empty())
}

/// Whether dropping `value` would free nothing: the common immediates, whose drop the
/// hot paths skip (the drop glue is an out-of-line call).
#[inline(always)]
fn owns_nothing(value: &Value) -> bool {
    matches!(value, Value::Nil | Value::Bool(_) | Value::Int(_) | Value::Float(_))
}

/// Stores `value` into `place`. A number there is overwritten without running the
/// out-of-line drop glue.
#[inline(always)]
fn overwrite(place: &mut Value, value: Value) {
    if owns_nothing(place) {
        std::mem::forget(std::mem::replace(place, value));
    } else {
        *place = value;
    }
}

/// A clone of `value`, read as one 16-byte copy. `Value::clone` (out of line) writes
/// its result as a tag byte and a word, and storing that result reloads it as 16
/// bytes: a store-forwarding stall. Here the clone only takes the extra reference and
/// is forgotten; the value itself is copied bit for bit.
#[inline(always)]
fn share(value: &Value) -> Value {
    // Numbers (most registers) are copied without the out-of-line clone.
    if !owns_nothing(value) {
        std::mem::forget(value.clone());
    }
    // SAFETY: cloning any `Value` is a bitwise copy plus, for the variants that own
    // something, one more strong count on an `Rc` (value.rs: every variant is an
    // immediate, a `&'static` or an `Rc`-based handle, never a `Box` or a `Vec`).
    // The forgotten clone took that count, so the bitwise copy owns it; a value that
    // owns nothing is its bits.
    unsafe { std::ptr::read(value) }
}

/// Adds nils until the stack ends at `len` (a frame's registers beyond its
/// parameters start as nil): one capacity check, then plain writes.
#[inline(always)]
fn extend_nil(stack: &mut Vec<Value>, len: usize) {
    if stack.len() < len {
        stack.resize_with(len, || Value::Nil);
    }
}

/// Moves the `argc` values at stack index `args` down to `base` (a tail call's
/// arguments becoming the parameters); what was at `base` ends up above them.
#[inline(always)]
fn move_arguments(stack: &mut [Value], base: usize, args: usize, argc: usize) {
    for i in 0..argc {
        stack.swap(base + i, args + i);
    }
}

/// Checks a call of `proto` with the `argc` arguments in the stack from `base`
/// (arity, room), collects a rest list, and makes sure the stack reaches the new
/// frame's last register. The stack never shrinks on a call: registers beyond the
/// parameters hold nil or what dead registers of the caller held, and code writes a
/// register before reading it. A free function so that a caller can hold a global
/// while it runs.
#[inline(always)]
fn prepare_frame(stack: &mut Vec<Value>, proto: &FuncProto, base: usize, argc: usize) -> Result<()> {
    // The common case inline: exact arity, and the stack already long enough.
    if !proto.rest && argc == proto.arity as usize && base + proto.registers as usize <= stack.len() {
        return Ok(());
    }
    prepare_frame_fully(stack, proto, base, argc)
}

/// `prepare_frame`'s other cases: an arity error, a rest list, a stack to extend.
#[inline(never)]
fn prepare_frame_fully(stack: &mut Vec<Value>, proto: &FuncProto, base: usize, argc: usize) -> Result<()> {
    let arity = proto.arity as usize;
    if proto.rest {
        if argc < arity {
            return Err(closure_arity_error(proto, argc));
        }
    } else if argc != arity {
        return Err(closure_arity_error(proto, argc));
    }
    let end = base + proto.registers as usize;
    if end > MAX_STACK_VALUES {
        return Err(stack_overflow());
    }
    extend_nil(stack, end.max(base + argc));
    if proto.rest {
        // The extra arguments become a list in the register after the parameters
        // (V3: it is one of the frame's).
        let extra = List::from_iter_exact(stack[base + arity..base + argc].iter_mut().map(std::mem::take));
        stack[base + arity] = Value::List(extra);
    }
    Ok(())
}

/// Resets registers to nil, skipping the ones that own nothing.
#[inline(always)]
fn clear_values(registers: &mut [Value]) {
    for register in registers {
        if !owns_nothing(register) {
            *register = Value::Nil;
        }
    }
}

/// `MakeMap`: alternating keys and values become a sorted map (later keys win).
fn make_map(items: Vec<Value>) -> Value {
    let mut map = SortedMap::new();
    let mut items = items.into_iter();
    while let (Some(k), Some(v)) = (items.next(), items.next()) {
        map.insert(k, v);
    }
    Value::Map(Rc::new(map))
}

enum Invoked {
    /// A new frame is on top; resume there.
    Frame,
    /// The call produced a value for the current frame.
    Value(Value),
    /// The current `run` invocation finished with this value.
    Returned(Value),
}

fn keyword_call(k: Sym, args: &[Value]) -> Result<Value> {
    if args.len() != 1 {
        return Err(Error::arity(&k.name(), "1", args.len()));
    }
    map_get(&args[0], &Value::Keyword(k))
}

fn cell_get(value: &Value) -> Result<Value> {
    match value {
        Value::Cell(cell) => Ok(cell.borrow().clone()),
        _ => Err(not_a_cell_load()),
    }
}

fn not_a_cell_load() -> Error {
    Error::eval("bundle error: boxed variable access on a value that is not a cell")
}

fn cell_set(target: &Value, value: Value) -> Result<()> {
    match target {
        Value::Cell(cell) => {
            *cell.borrow_mut() = value;
            Ok(())
        }
        _ => Err(Error::eval("bundle error: boxed variable store on a value that is not a cell")),
    }
}

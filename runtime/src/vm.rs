//! The virtual machine: one dispatch loop over verified instructions.
//!
//! All frames share one value stack. A frame's locals start at `base`; its operand
//! stack sits above them. Sema-to-Sema calls push a `Frame` and never recurse on the
//! Rust stack; only builtins that call back into Sema (`map`, `foldl`, ...) re-enter
//! `run`, and that nesting is bounded by `MAX_NESTING`.
//!
//! Error handling: `PushHandler` records the frame, the stack height and the handler
//! address. A raised error unwinds to the innermost handler of the current `run`
//! invocation, or leaves `run` so an outer invocation (or the top level) sees it.

use std::cell::RefCell;
use std::rc::Rc;

use bundle_format::bundle::Capture;
use bundle_format::opcodes::Instr;

use crate::builtins::{self, Builtin, NativeFn};
use crate::error::{Error, Result, TraceFrame};
use crate::interner::Sym;
use crate::list::List;
use crate::program::{FuncProto, Program};
use crate::value::{Closure, SortedMap, Value};

/// Most frames live at once (non-tail recursion depth).
pub const MAX_FRAMES: usize = 100_000;
/// Most nested re-entries of `run` from builtins that call functions.
pub const MAX_NESTING: usize = 10_000;

struct Frame {
    closure: Rc<Closure>,
    /// The next instruction, saved while another frame runs.
    pc: usize,
    /// Stack index of local slot 0.
    base: usize,
    /// Stack height to restore when the frame returns.
    ret_to: usize,
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
        Frames { slots: Vec::with_capacity(64), len: 0 }
    }

    fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    fn push(&mut self, closure: Rc<Closure>, base: usize, ret_to: usize) {
        match self.reuse_slot(base, ret_to) {
            Some(slot) => slot.closure = closure,
            None => self.slots.push(Frame { closure, pc: 0, base, ret_to }),
        }
    }

    /// Like `push`, for a closure the caller keeps: a kept slot that already holds it
    /// (a recursion at this depth) takes no new reference.
    #[inline(always)]
    fn push_shared(&mut self, closure: &Rc<Closure>, base: usize, ret_to: usize) {
        match self.reuse_slot(base, ret_to) {
            Some(slot) if Rc::ptr_eq(&slot.closure, closure) => {}
            Some(slot) => slot.closure = closure.clone(),
            None => self.slots.push(Frame { closure: closure.clone(), pc: 0, base, ret_to }),
        }
    }

    /// Counts one more frame and returns its kept slot with everything but the
    /// closure rewritten; `None` at a depth never reached before, where the caller
    /// pushes a whole `Frame`.
    #[inline(always)]
    fn reuse_slot(&mut self, base: usize, ret_to: usize) -> Option<&mut Frame> {
        let index = self.len;
        self.len += 1;
        let slot = self.slots.get_mut(index)?;
        slot.pc = 0;
        slot.base = base;
        slot.ret_to = ret_to;
        Some(slot)
    }

    /// Removes the top frame and returns its `(base, ret_to)`.
    #[inline(always)]
    fn pop(&mut self) -> Option<(usize, usize)> {
        self.len = self.len.checked_sub(1)?;
        let frame = &self.slots[self.len];
        Some((frame.base, frame.ret_to))
    }

    /// Puts back the frame `pop` just removed (its slot is untouched).
    fn unpop(&mut self) {
        self.len += 1;
    }

    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    fn last(&self) -> Option<&Frame> {
        self.live().last()
    }

    fn last_mut(&mut self) -> Option<&mut Frame> {
        let len = self.len;
        self.slots[..len].last_mut()
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
    stack_len: usize,
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
        let entry = Closure { proto: program.entry.clone(), captures: Box::new([]) };
        self.call(&Value::Closure(Rc::new(entry)), &[])
    }

    /// Runs the program's top-level code.
    pub fn run_program(&mut self) -> Result<Value> {
        // The linker interned every symbol the code names; make the table cover them.
        if self.globals.len() < Sym::count() {
            self.globals.resize(Sym::count(), None);
        }
        let entry = Rc::new(Closure { proto: self.program.entry.clone(), captures: Box::new([]) });
        let ret_to = self.stack.len();
        self.push_frame(entry, 0, ret_to)?;
        self.run(0)
    }

    /// Calls any callable value with `args` and returns its result. Builtins that take
    /// functions use this.
    pub fn call(&mut self, callee: &Value, args: &[Value]) -> Result<Value> {
        // Builtins that loop over calls (map, foldl, sort...) pay per call.
        self.burn_fuel()?;
        match callee {
            Value::Closure(closure) => {
                let ret_to = self.stack.len();
                self.stack.extend_from_slice(args);
                self.run_closure(closure, args.len(), ret_to)
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
                let ret_to = self.stack.len();
                self.stack.extend(args);
                self.run_closure(closure, N, ret_to)
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

    /// Runs `closure` on the `argc` arguments on top of the stack to completion.
    fn run_closure(&mut self, closure: &Rc<Closure>, argc: usize, ret_to: usize) -> Result<Value> {
        if self.nesting >= MAX_NESTING {
            self.stack.truncate(ret_to);
            return Err(stack_overflow());
        }
        let depth = self.frames.len();
        if let Err(err) = self.push_frame(closure.clone(), argc, ret_to) {
            self.stack.truncate(ret_to);
            return Err(err);
        }
        self.nesting += 1;
        let result = self.run(depth);
        self.nesting -= 1;
        if result.is_err() {
            self.stack.truncate(ret_to);
        }
        result
    }

    fn call_builtin_with(&mut self, builtin: &'static Builtin, args: &[Value]) -> Result<Value> {
        builtin.check_arity(args.len())?;
        self.check_gates(builtin, args)?;
        match builtin.func {
            NativeFn::Pure(f) => f(args),
            NativeFn::Vm(f) => f(self, args),
            NativeFn::Owned(f) => f(&mut args.to_vec()),
        }
    }

    /// Calls the builtin whose `argc` arguments are the top of the stack, leaving the
    /// stack at `ret_to` and returning the result.
    fn call_builtin_on_stack(&mut self, builtin: &'static Builtin, argc: usize, ret_to: usize) -> Result<Value> {
        builtin.check_arity(argc)?;
        let start = self.stack.len() - argc;
        if let Err(err) = self.check_gates(builtin, &self.stack[start..]) {
            self.stack.truncate(ret_to);
            return Err(err);
        }
        let result = match builtin.func {
            NativeFn::Pure(f) => f(&self.stack[start..]),
            NativeFn::Vm(f) => {
                let args: Vec<Value> = self.stack.drain(start..).collect();
                f(self, &args)
            }
            NativeFn::Owned(f) => f(&mut self.stack[start..]),
        };
        self.stack.truncate(ret_to);
        result
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

    /// Pushes a frame for `closure`, whose `argc` arguments are the top of the stack.
    #[inline(always)]
    fn push_frame(&mut self, closure: Rc<Closure>, argc: usize, ret_to: usize) -> Result<()> {
        let base = prepare_frame(&mut self.stack, &self.frames, &closure.proto, argc)?;
        self.frames.push(closure, base, ret_to);
        Ok(())
    }

    /// Runs until the frame at index `stop_depth` returns, handling errors raised
    /// inside this invocation.
    fn run(&mut self, stop_depth: usize) -> Result<Value> {
        loop {
            match self.execute(stop_depth) {
                Ok(value) => return Ok(value),
                Err(mut err) => {
                    if err.trace().is_empty() {
                        self.record_trace(&mut err, stop_depth);
                    }
                    match self.handlers.last() {
                        Some(handler) if handler.frame >= stop_depth && err.catchable() => {
                            // Entering a handler pays fuel: a handler can loop back
                            // through a throw without any jump.
                            if let Err(err) = self.burn_fuel() {
                                self.frames.truncate(stop_depth);
                                self.drop_handlers_above(stop_depth);
                                return Err(err);
                            }
                            let handler = self.handlers.pop().expect("checked above");
                            self.frames.truncate(handler.frame + 1);
                            // resize, not truncate: the handler's code relies on the
                            // height it was installed at (V6), whatever unwound.
                            self.stack.resize(handler.stack_len, Value::Nil);
                            self.stack.push(err.to_map());
                            self.frames.at_mut(handler.frame).pc = handler.target;
                        }
                        _ => {
                            self.frames.truncate(stop_depth);
                            self.drop_handlers_above(stop_depth);
                            return Err(err);
                        }
                    }
                }
            }
        }
    }

    fn drop_handlers_above(&mut self, depth: usize) {
        while self.handlers.last().is_some_and(|h| h.frame >= depth) {
            self.handlers.pop();
        }
    }

    fn record_trace(&self, err: &mut Error, stop_depth: usize) {
        let frames = &self.frames.live()[stop_depth..];
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
        let mut base = frame.base;
        // The running function's instructions. Always `closure.proto.code`, which the
        // local `closure` keeps alive; the two change together (`reload!`). Fetching
        // through the slice took four dependent loads per instruction.
        let mut code: *const Instr = closure.proto.code.as_ptr();

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
        macro_rules! pop {
            () => {
                self.stack.pop().expect("verified stack depth (V6)")
            };
        }
        macro_rules! top {
            () => {
                self.stack.last_mut().expect("verified stack depth (V6)")
            };
        }
        // Two fixnums or two floats take the fast path; anything else (overflow,
        // mixed types, strings, errors) goes through the builtin's own definition.
        // The fast path reads both operands in place and overwrites the left one
        // without running drop glue: numbers own nothing, so forgetting them frees
        // nothing (and skips an out-of-line `drop_in_place` call per operation).
        macro_rules! binary {
            ($fast:expr, $float:expr, $slow:path) => {{
                let fast = match self.stack.as_slice() {
                    [.., Value::Int(x), Value::Int(y)] => $fast(*x, *y),
                    [.., Value::Float(x), Value::Float(y)] => Some($float(*x, *y)),
                    _ => None,
                };
                match fast {
                    Some(result) => {
                        std::mem::forget(self.stack.pop());
                        std::mem::forget(std::mem::replace(top!(), result));
                    }
                    None => {
                        let b = pop!();
                        let a = top!();
                        *a = tri!($slow(a, &b));
                    }
                }
            }};
        }
        // `Lt; JumpIfFalse` and the like: the comparison's fast path as in `binary!`,
        // then the branch, with no boolean pushed and popped in between.
        macro_rules! compare_branch {
            ($int:expr, $float:expr, $slow:path, $jump_when:expr, $target:expr) => {{
                let fast = match self.stack.as_slice() {
                    [.., Value::Int(x), Value::Int(y)] => Some($int(x, y)),
                    [.., Value::Float(x), Value::Float(y)] => Some($float(x, y)),
                    _ => None,
                };
                let holds = match fast {
                    Some(holds) => {
                        std::mem::forget(self.stack.pop());
                        std::mem::forget(self.stack.pop());
                        holds
                    }
                    None => {
                        let b = pop!();
                        let a = pop!();
                        tri!($slow(&a, &b)).truthy()
                    }
                };
                if holds == $jump_when {
                    jump_to!($target);
                }
            }};
        }
        // `(+ local k)` / `(- local k)` pushed: fixnum fast path, else the builtin's own
        // two-argument definition (overflow, floats, errors).
        macro_rules! local_int {
            ($slot:expr, $value:expr, $checked:ident, $slow:path) => {{
                let local = &self.stack[base + $slot.0 as usize];
                let k = $value.0 as i64;
                let fast = match local {
                    Value::Int(x) => x.$checked(k),
                    _ => None,
                };
                match fast {
                    Some(n) => push_fresh!(Value::Int(n)),
                    None => {
                        let result = tri!($slow(local, &Value::Int(k)));
                        self.stack.push(result);
                    }
                }
            }};
        }
        // Pushes a value built by `$value` (a plain constructor such as
        // `Value::Int(n)`; it is evaluated inside the `unsafe` block), evaluated only
        // once there is room.
        // `Vec::push(Value::Int(n))` builds the value before its growth check, so it
        // must survive the growth call: it goes to a temporary as a tag byte and a
        // word and is copied in as 16 bytes, and that reload stalls store forwarding
        // (11 % of tak's time was one such push). Built after the check, it is
        // written in place.
        macro_rules! push_fresh {
            ($value:expr) => {{
                if self.stack.len() == self.stack.capacity() {
                    grow_stack(&mut self.stack);
                }
                let len = self.stack.len();
                // SAFETY: `len < capacity` (ensured just above), so the element at
                // `len` is allocated; the write initialises it before `set_len`
                // makes it part of the vector.
                unsafe {
                    self.stack.as_mut_ptr().add(len).write($value);
                    self.stack.set_len(len + 1);
                }
            }};
        }
        // Pushes a copy of the value at `$place`: fixnums and floats through
        // `push_fresh!`, anything else cloned (out of line) and pushed.
        macro_rules! push_copy {
            ($place:expr) => {
                match *$place {
                    Value::Int(n) => push_fresh!(Value::Int(n)),
                    Value::Float(x) => push_fresh!(Value::Float(x)),
                    ref other => {
                        let v = share(other);
                        self.stack.push(v);
                    }
                }
            };
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
                base = frame.base;
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
                Instr::Nil {} => push_fresh!(Value::Nil),
                Instr::True {} => push_fresh!(Value::Bool(true)),
                Instr::False {} => push_fresh!(Value::Bool(false)),
                Instr::Int { value } => push_fresh!(Value::Int(value.0 as i64)),
                Instr::Const { idx } => push_copy!(&closure.proto.unit.constants[idx.0 as usize]),
                Instr::Pop {} => self.discard_top(),
                Instr::Dup {} => {
                    let v = top!().clone();
                    self.stack.push(v);
                }
                Instr::LoadLocal { slot } => push_copy!(&self.stack[base + slot.0 as usize]),
                Instr::LoadLocal2 { a, b } => {
                    push_copy!(&self.stack[base + a.0 as usize]);
                    push_copy!(&self.stack[base + b.0 as usize]);
                }
                Instr::MoveLocal { slot } => {
                    let v = std::mem::take(&mut self.stack[base + slot.0 as usize]);
                    self.stack.push(v);
                }
                Instr::StoreLocal { slot } => {
                    let v = pop!();
                    let local = &mut self.stack[base + slot.0 as usize];
                    // Most locals hold numbers: overwrite them without the
                    // out-of-line drop glue.
                    if owns_nothing(local) {
                        std::mem::forget(std::mem::replace(local, v));
                    } else {
                        *local = v;
                    }
                }
                Instr::LoadCapture { idx } => push_copy!(&closure.captures[idx.0 as usize]),
                Instr::MakeCell { slot } => {
                    let slot = &mut self.stack[base + slot.0 as usize];
                    let v = std::mem::take(slot);
                    *slot = Value::Cell(Rc::new(RefCell::new(v)));
                }
                Instr::LoadCellLocal { slot } => {
                    let v = tri!(cell_get(&self.stack[base + slot.0 as usize]));
                    self.stack.push(v);
                }
                Instr::StoreCellLocal { slot } => {
                    let v = pop!();
                    tri!(cell_set(&self.stack[base + slot.0 as usize], v));
                }
                // A counter or accumulator a closure keeps: copied as `LoadLocal` does.
                Instr::LoadCellCapture { idx } => match &closure.captures[idx.0 as usize] {
                    Value::Cell(cell) => push_copy!(&*cell.borrow()),
                    _ => {
                        save_pc!();
                        return Err(not_a_cell_load());
                    }
                },
                Instr::StoreCellCapture { idx } => {
                    let v = pop!();
                    tri!(cell_set(&closure.captures[idx.0 as usize], v));
                }
                Instr::LoadGlobal { sym } => match self.globals.get(sym.0 as usize) {
                    Some(Some(value)) => push_copy!(value),
                    _ => {
                        let err = self.unbound(sym);
                        save_pc!();
                        return Err(err);
                    }
                },
                Instr::StoreGlobal { sym } => {
                    let v = pop!();
                    let index = sym.0 as usize;
                    if index >= self.globals.len() {
                        self.globals.resize(index + 1, None);
                    }
                    self.globals[index] = Some(v);
                }
                Instr::Jump { target } => jump_to!(target),
                Instr::JumpIfFalse { target } => {
                    let truthy = top!().truthy();
                    self.discard_top();
                    if !truthy {
                        jump_to!(target);
                    }
                }
                Instr::JumpIfTrue { target } => {
                    let truthy = top!().truthy();
                    self.discard_top();
                    if truthy {
                        jump_to!(target);
                    }
                }
                Instr::JumpIfFalseOrPop { target } => {
                    if top!().truthy() {
                        pop!();
                    } else {
                        jump_to!(target);
                    }
                }
                Instr::JumpIfTrueOrPop { target } => {
                    if top!().truthy() {
                        jump_to!(target);
                    } else {
                        pop!();
                    }
                }
                Instr::Call { argc } | Instr::TailCall { argc } => {
                    burn_fuel!();
                    let argc = argc.0 as usize;
                    let callee_at = self.stack.len() - argc - 1;
                    let callee = std::mem::take(&mut self.stack[callee_at]);
                    let tail = matches!(instr, Instr::TailCall { .. });
                    save_pc!();
                    match tri!(self.invoke(callee, argc, callee_at, tail, stop_depth)) {
                        Invoked::Frame => reload!(),
                        Invoked::Value(v) => self.stack.push(v),
                        Invoked::Returned(v) => return Ok(v),
                    }
                }
                Instr::CallGlobal { sym, argc } | Instr::TailCallGlobal { sym, argc } => {
                    burn_fuel!();
                    let argc = argc.0 as usize;
                    let ret_to = self.stack.len() - argc;
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
                                self.restart_frame(base, argc, proto.locals as usize);
                                pc = 0;
                                continue;
                            }
                        }
                    } else {
                        match self.globals.get(sym.0 as usize) {
                            Some(Some(Value::Closure(callee))) => {
                                let base = tri!(prepare_frame(&mut self.stack, &self.frames, &callee.proto, argc));
                                self.frames.push_shared(callee, base, ret_to);
                                reload!();
                                continue;
                            }
                            Some(Some(Value::Native(builtin))) => {
                                let builtin = *builtin;
                                let result = tri!(self.call_builtin_on_stack(builtin, argc, ret_to));
                                self.stack.push(result);
                                continue;
                            }
                            _ => {}
                        }
                    }
                    let callee = tri!(self.global(sym));
                    match tri!(self.invoke(callee, argc, ret_to, tail, stop_depth)) {
                        Invoked::Frame => reload!(),
                        Invoked::Value(v) => self.stack.push(v),
                        Invoked::Returned(v) => return Ok(v),
                    }
                }
                Instr::TailCallSelf { argc } => {
                    burn_fuel!();
                    // V9: argc is the arity and there is no rest parameter, so the
                    // arguments become the parameters as they are.
                    self.restart_frame(base, argc.0 as usize, closure.proto.locals as usize);
                    pc = 0;
                }
                Instr::Return {} => {
                    let result = pop!();
                    match self.return_from_frame(result, stop_depth) {
                        Some(v) => return Ok(v),
                        None => reload!(),
                    }
                }
                Instr::Closure { proto } => self.make_closure(&closure, proto.0 as usize, base),
                Instr::MakeList { count } => self.make_list(count.0 as usize),
                Instr::MakeVector { count } => self.make_vector(count.0 as usize),
                Instr::MakeMap { pairs } => self.make_map(pairs.0 as usize),
                Instr::PushHandler { target } => self.handlers.push(Handler {
                    frame: self.frames.len() - 1,
                    stack_len: self.stack.len(),
                    target: target.0 as usize,
                }),
                Instr::PopHandler {} => {
                    self.handlers.pop();
                }
                Instr::Throw {} => {
                    let v = pop!();
                    save_pc!();
                    return Err(Error::thrown(v));
                }
                Instr::Add {} => binary!(|x: i64, y: i64| x.checked_add(y).map(Value::Int), |x: f64, y: f64| Value::Float(x + y), builtins::numbers::add2),
                Instr::AddNum {} => binary!(|x: i64, y: i64| x.checked_add(y).map(Value::Int), |x: f64, y: f64| Value::Float(x + y), crate::num::add),
                Instr::Sub {} => binary!(|x: i64, y: i64| x.checked_sub(y).map(Value::Int), |x: f64, y: f64| Value::Float(x - y), builtins::numbers::sub2),
                Instr::Mul {} => binary!(|x: i64, y: i64| x.checked_mul(y).map(Value::Int), |x: f64, y: f64| Value::Float(x * y), builtins::numbers::mul2),
                Instr::Div {} => binary!(|_: i64, _: i64| None, |x: f64, y: f64| Value::Float(x / y), builtins::numbers::div2),
                Instr::Lt {} => binary!(|x: i64, y: i64| Some(Value::Bool(x < y)), |x: f64, y: f64| Value::Bool(x < y), builtins::numbers::lt2),
                Instr::Gt {} => binary!(|x: i64, y: i64| Some(Value::Bool(x > y)), |x: f64, y: f64| Value::Bool(x > y), builtins::numbers::gt2),
                Instr::Le {} => binary!(|x: i64, y: i64| Some(Value::Bool(x <= y)), |x: f64, y: f64| Value::Bool(x <= y), builtins::numbers::le2),
                Instr::Ge {} => binary!(|x: i64, y: i64| Some(Value::Bool(x >= y)), |x: f64, y: f64| Value::Bool(x >= y), builtins::numbers::ge2),
                Instr::NumEq {} => binary!(|x: i64, y: i64| Some(Value::Bool(x == y)), |x: f64, y: f64| Value::Bool(x == y), builtins::numbers::eq2),
                Instr::Mod {} => binary!(|x: i64, y: i64| crate::num::fixnum_modulo(x, y).map(Value::Int), |x: f64, y: f64| Value::Float(x % y), builtins::numbers::mod2),
                Instr::LtJumpIfFalse { target } => compare_branch!(i64::lt, f64::lt, builtins::numbers::lt2, false, target),
                Instr::LtJumpIfTrue { target } => compare_branch!(i64::lt, f64::lt, builtins::numbers::lt2, true, target),
                Instr::GtJumpIfFalse { target } => compare_branch!(i64::gt, f64::gt, builtins::numbers::gt2, false, target),
                Instr::GtJumpIfTrue { target } => compare_branch!(i64::gt, f64::gt, builtins::numbers::gt2, true, target),
                Instr::LeJumpIfFalse { target } => compare_branch!(i64::le, f64::le, builtins::numbers::le2, false, target),
                Instr::LeJumpIfTrue { target } => compare_branch!(i64::le, f64::le, builtins::numbers::le2, true, target),
                Instr::GeJumpIfFalse { target } => compare_branch!(i64::ge, f64::ge, builtins::numbers::ge2, false, target),
                Instr::GeJumpIfTrue { target } => compare_branch!(i64::ge, f64::ge, builtins::numbers::ge2, true, target),
                Instr::NumEqJumpIfFalse { target } => compare_branch!(i64::eq, f64::eq, builtins::numbers::eq2, false, target),
                Instr::NumEqJumpIfTrue { target } => compare_branch!(i64::eq, f64::eq, builtins::numbers::eq2, true, target),
                Instr::Not {} => {
                    let t = top!();
                    *t = Value::Bool(!t.truthy());
                }
                Instr::Neg {} => {
                    let t = top!();
                    *t = tri!(crate::num::negate(t));
                }
                Instr::Car {} => {
                    let t = top!();
                    let head = match &*t {
                        Value::List(list) => list.first().map_or(Value::Nil, share),
                        other => tri!(builtins::lists::car1(other)),
                    };
                    *t = head;
                }
                Instr::Cdr {} => {
                    let t = top!();
                    *t = tri!(builtins::lists::cdr1(t));
                }
                Instr::Cons {} => {
                    let tail = pop!();
                    let head = std::mem::take(top!());
                    *top!() = builtins::lists::cons2(head, tail);
                }
                Instr::IsNull {} => {
                    let t = top!();
                    *t = Value::Bool(matches!(t, Value::Nil) || matches!(t, Value::List(l) if l.is_empty()));
                }
                Instr::IsPair {} => {
                    let t = top!();
                    *t = Value::Bool(matches!(t, Value::List(l) if !l.is_empty()));
                }
                Instr::AddLocalInt { slot, value } => local_int!(slot, value, checked_add, builtins::numbers::add2),
                Instr::SubLocalInt { slot, value } => local_int!(slot, value, checked_sub, builtins::numbers::sub2),
                Instr::Get {} => {
                    let key = pop!();
                    let t = top!();
                    let found = tri!(map_lookup(t, &key)).map_or(Value::Nil, share);
                    *t = found;
                }
                Instr::Equal {} => {
                    let b = pop!();
                    let t = top!();
                    *t = Value::Bool(*t == b);
                }
                Instr::LoadSelf {} => self.stack.push(Value::Closure(closure.clone())),
                Instr::Nth {} => {
                    let index = pop!();
                    let t = top!();
                    // A vector element in range is shared in place; everything else
                    // (lists, arrays, errors) goes through the builtin.
                    let item = match (&*t, &index) {
                        (Value::Vector(items), Value::Int(i)) if (*i as u64) < items.len() as u64 => share(&items[*i as usize]),
                        (seq, index) => tri!(builtins::lists::nth2(seq, index)),
                    };
                    *t = item;
                }
            }
        }
    }

    // The constructors below run out of line: they allocate anyway, and keeping them
    // out of `execute` leaves the dispatch loop smaller.

    /// `Closure`: a closure of prototype `index` of the running closure's unit,
    /// capturing from the frame at `base` and from the running closure.
    #[inline(never)]
    fn make_closure(&mut self, running: &Closure, index: usize, base: usize) {
        let proto = running.proto.unit.protos()[index].clone();
        let captures: Box<[Value]> = proto
            .captures
            .iter()
            .map(|c| match *c {
                Capture::Local(slot) => self.stack[base + slot.0 as usize].clone(),
                Capture::Outer(idx) => running.captures[idx.0 as usize].clone(),
            })
            .collect();
        self.stack.push(Value::Closure(Rc::new(Closure { proto, captures })));
    }

    /// `MakeList`: the top `count` values become a list.
    #[inline(never)]
    fn make_list(&mut self, count: usize) {
        let start = self.stack.len() - count;
        let list = List::from_iter_exact(self.stack.drain(start..));
        self.stack.push(Value::List(list));
    }

    /// `MakeVector`: the top `count` values become a vector.
    #[inline(never)]
    fn make_vector(&mut self, count: usize) {
        let start = self.stack.len() - count;
        let items: Vec<Value> = self.stack.drain(start..).collect();
        self.stack.push(Value::vector(items));
    }

    /// `MakeMap`: the top `pairs` key/value pairs become a sorted map.
    #[inline(never)]
    fn make_map(&mut self, pairs: usize) {
        let start = self.stack.len() - 2 * pairs;
        let mut map = SortedMap::new();
        let mut items = self.stack.drain(start..);
        while let (Some(k), Some(v)) = (items.next(), items.next()) {
            map.insert(k, v);
        }
        drop(items);
        self.stack.push(Value::Map(Rc::new(map)));
    }

    /// Pops the top value. Immediates (the usual operands of a branch) are forgotten
    /// rather than dropped: they own nothing, and moving them out only to run drop
    /// glue costs a store-forwarding stall on the value just written.
    #[inline(always)]
    fn discard_top(&mut self) {
        match self.stack.last() {
            Some(top) if owns_nothing(top) => std::mem::forget(self.stack.pop()),
            _ => drop(self.stack.pop()),
        }
    }

    /// Drops the values above `len`. Most locals of a returning frame are numbers,
    /// which own nothing: then the stack is only shortened, where `Vec::truncate`
    /// would call the out-of-line drop glue on every value.
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

    /// Calls `callee` with the `argc` values on top of the stack. For a tail call the
    /// current frame is replaced (or, for a builtin, returned from).
    fn invoke(&mut self, callee: Value, argc: usize, ret_to: usize, tail: bool, stop_depth: usize) -> Result<Invoked> {
        match callee {
            Value::Closure(closure) => {
                if tail && self.restart_if_self_call(&closure, argc) {
                    return Ok(Invoked::Frame);
                }
                if tail {
                    let (base, ret_to) = self.frames.pop().expect("a running frame");
                    let args_start = self.stack.len() - argc;
                    self.stack.drain(base..args_start);
                    self.drop_handlers_above(self.frames.len());
                    if let Err(err) = self.push_frame(closure, argc, ret_to) {
                        self.frames.unpop();
                        return Err(err);
                    }
                } else {
                    self.push_frame(closure, argc, ret_to)?;
                }
                Ok(Invoked::Frame)
            }
            Value::Native(builtin) => {
                let result = self.call_builtin_on_stack(builtin, argc, ret_to)?;
                self.finish_call(result, tail, stop_depth)
            }
            Value::Keyword(k) => {
                let start = self.stack.len() - argc;
                let result = keyword_call(k, &self.stack[start..]);
                self.stack.truncate(ret_to);
                self.finish_call(result?, tail, stop_depth)
            }
            Value::Multimethod(_) => {
                // The handler runs on the same arguments, still on the stack, as if
                // called here directly (a tail call stays one).
                let args = self.stack[self.stack.len() - argc..].to_vec();
                let handler = builtins::multimethods::resolve(self, callee, &args)?;
                self.invoke(handler, argc, ret_to, tail, stop_depth)
            }
            other => Err(not_callable(&other)),
        }
    }

    /// A tail call of the running closure with its exact arity (a named-let loop's
    /// next iteration) reuses the frame in place: arguments move into the parameter
    /// slots, the other locals are reset, and execution restarts at pc 0.
    fn restart_if_self_call(&mut self, closure: &Rc<Closure>, argc: usize) -> bool {
        let frame = self.frames.last_mut().expect("a running frame");
        let proto = &closure.proto;
        if !Rc::ptr_eq(&frame.closure, closure) || proto.rest || argc != proto.arity as usize {
            return false;
        }
        let base = frame.base;
        frame.pc = 0;
        self.restart_frame(base, argc, proto.locals as usize);
        true
    }

    /// Restarts the running frame (whose slot 0 is at `base`) on the `argc` arguments
    /// on top of the stack: they become its parameters, its other `locals` are reset
    /// to nil and the handlers it installed are dropped. The caller resets the pc.
    #[inline(always)]
    fn restart_frame(&mut self, base: usize, argc: usize, locals: usize) {
        let args_start = self.stack.len() - argc;
        // The arguments trade places with the old parameters, which are then dropped
        // with everything else above them.
        for i in 0..argc {
            self.stack.swap(base + i, args_start + i);
        }
        self.truncate_stack(base + argc);
        if argc < locals {
            self.stack.resize(base + locals, Value::Nil);
        }
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

    /// Pops the current frame, handing `result` to its caller. Returns the value when
    /// the popped frame was the one this `run` invocation was started for.
    fn return_from_frame(&mut self, result: Value, stop_depth: usize) -> Option<Value> {
        let (_, ret_to) = self.frames.pop().expect("a frame to return from");
        self.truncate_stack(ret_to);
        self.drop_handlers_above(self.frames.len());
        if self.frames.len() == stop_depth {
            return Some(result);
        }
        self.stack.push(result);
        None
    }
}

/// Whether dropping `value` would free nothing: the common immediates, whose drop the
/// hot paths skip (the drop glue is an out-of-line call).
#[inline(always)]
fn owns_nothing(value: &Value) -> bool {
    matches!(value, Value::Nil | Value::Bool(_) | Value::Int(_) | Value::Float(_))
}

/// A clone of `value`, read as one 16-byte copy. `Value::clone` (out of line) writes
/// its result as a tag byte and a word, and pushing that result reloads it as 16
/// bytes: a store-forwarding stall on every load of a list or string local (14 % of
/// nqueens). Here the clone only takes the extra reference and is forgotten; the
/// value itself is copied bit for bit.
#[inline(always)]
fn share(value: &Value) -> Value {
    std::mem::forget(value.clone());
    // SAFETY: cloning any `Value` is a bitwise copy plus, for the variants that own
    // something, one more strong count on an `Rc` (value.rs: every variant is an
    // immediate, a `&'static` or an `Rc`-based handle, never a `Box` or a `Vec`).
    // The forgotten clone took that count, so the bitwise copy owns it.
    unsafe { std::ptr::read(value) }
}

/// Checks a call of `proto` with the `argc` arguments on top of `stack` (arity, rest
/// list, depth) and gives the new frame its locals and operand room; returns the
/// frame's base. A free function so that a caller can hold a global while it runs.
#[inline(always)]
fn prepare_frame(stack: &mut Vec<Value>, frames: &Frames, proto: &FuncProto, argc: usize) -> Result<usize> {
    let arity = proto.arity as usize;
    let base = stack.len() - argc;
    if proto.rest {
        if argc < arity {
            return Err(closure_arity_error(proto, argc));
        }
        let extra = List::from_iter_exact(stack.drain(base + arity..));
        stack.push(Value::List(extra));
    } else if argc != arity {
        return Err(closure_arity_error(proto, argc));
    }
    if frames.len() >= MAX_FRAMES {
        return Err(stack_overflow());
    }
    // `resize` is an out-of-line call even when the parameters are all the locals.
    let locals_end = base + proto.locals as usize;
    if stack.len() < locals_end {
        stack.resize(locals_end, Value::Nil);
    }
    stack.reserve(proto.max_stack as usize);
    Ok(base)
}

/// Makes room for one more value (the rare case of `push_fresh!`).
#[cold]
#[inline(never)]
fn grow_stack(stack: &mut Vec<Value>) {
    stack.reserve(1);
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

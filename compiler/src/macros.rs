//! User macros (`defmacro`), expanded ahead of time on the runtime's own VM.
//!
//! A `defmacro` is compiled by this compiler, as a one-function program, into a
//! bundle; the bundle is verified, linked and run on the same VM `semarun` uses, which
//! yields the transformer closure. Expanding a use converts the argument forms to
//! runtime values, calls the closure there, and converts the result back to syntax.
//! There is no second evaluator: macros see exactly the builtins and semantics that
//! programs see.
//!
//! `define-syntax` macros live here too, so every compilation that sees one kind
//! sees the other; they expand by rewriting alone (`syntax_rules.rs`).

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use num_bigint::BigInt;
use num_rational::BigRational;
use sema_runtime::builtins::meta::fresh_name;
use sema_runtime::error::{Error, ErrorKind};
use sema_runtime::permissions::Policy;
use sema_runtime::list::List;
use sema_runtime::loader::load_bundle;
use sema_runtime::num::{complex, from_bigint, from_rational};
use sema_runtime::printer::repr;
use sema_runtime::value::Value;
use sema_runtime::vm::Vm;

use crate::error::{error, CompileError, Result};
use crate::reader::MAX_NESTING_DEPTH;
use crate::syntax::{Span, Syntax, SyntaxKind};
use crate::syntax_rules::SyntaxRules;

/// The compile-time VM and the macros defined so far, in source order.
pub struct MacroEngine {
    vm: Vm,
    macros: HashMap<String, Macro>,
    limits: MacroLimits,
    /// Time spent running macros so far: the time limit is for all of them together.
    spent: Duration,
}

/// What compile-time code may use (`semac --macro-fuel`, `--macro-seconds`,
/// `--macro-memory`): a macro that loops or allocates without end is a compile error,
/// not a hang. The defaults are far beyond what any real macro needs.
#[derive(Clone, Copy, Debug)]
pub struct MacroLimits {
    /// Calls and backward jumps, all expansions together.
    pub fuel: u64,
    /// Wall-clock time, all expansions together.
    pub time: Duration,
    /// Memory one expansion may allocate and keep.
    pub memory: usize,
}

impl Default for MacroLimits {
    fn default() -> MacroLimits {
        MacroLimits { fuel: 1_000_000_000, time: Duration::from_secs(60), memory: 1 << 30 }
    }
}

static LIMITS: OnceLock<MacroLimits> = OnceLock::new();
static POLICY: OnceLock<Policy> = OnceLock::new();

/// Sets the limits of every macro engine made after this (once, from the command line).
pub fn set_limits(limits: MacroLimits) {
    let _ = LIMITS.set(limits);
}

/// Sets what the macros of every engine made after this may reach outside (once, from
/// the command line: by default reading files under the program's directory only).
/// Without it, macros may do anything, as the compiler used as a library always could.
pub fn set_policy(policy: Policy) {
    let _ = POLICY.set(policy);
}

/// The memory limit's owner while a macro runs.
static MACRO_MEMORY: sema_runtime::alloc::LimitOwner = sema_runtime::alloc::LimitOwner {
    flag: "--macro-memory",
    ceiling_report: "semac: error: a macro expansion ran out of memory (over the --macro-memory limit)\n",
};

/// A macro: a `defmacro` transformer closure, or `syntax-rules` from `define-syntax`.
enum Macro {
    Procedure(Value),
    Rules(SyntaxRules),
}

impl MacroEngine {
    pub fn new() -> MacroEngine {
        let program = crate::empty_program("<macros>");
        let limits = LIMITS.get().copied().unwrap_or_default();
        let mut vm = Vm::new(program, vec!["semac".to_string()]);
        vm.set_fuel(limits.fuel);
        vm.restrict(POLICY.get().cloned().unwrap_or_default());
        MacroEngine { vm, macros: HashMap::new(), limits, spent: Duration::ZERO }
    }

    pub fn is_macro(&self, name: &str) -> bool {
        self.macros.contains_key(name)
    }

    /// Compiles `(fn params body...)` and runs it to get the transformer.
    pub fn define(&mut self, name: &str, params: &Syntax, body: &[Syntax], span: Span) -> Result<()> {
        let mut lambda = vec![Syntax::new(SyntaxKind::Symbol("fn".into()), span), params.clone()];
        lambda.extend(body.iter().cloned());
        let form = Syntax::new(SyntaxKind::List(lambda), span);
        let bundle = crate::compile_forms(std::slice::from_ref(&form), "<macro>", crate::Options { debug_info: false }, Some(self))
            .map_err(|d| {
                let at = Span { line: d.line, col: d.col, file: span.file };
                CompileError::new(at, format!("in macro {name}: {}", d.message))
            })?;
        let program = match load_bundle(&bundle) {
            Ok(program) => program,
            Err(err) => return error(span, format!("internal compiler error: macro {name} did not load: {err}")),
        };
        let transformer = match self.vm.run_unit(&program) {
            Ok(value) => value,
            Err(err) => return error(span, format!("defmacro {name}: {}", err.report())),
        };
        self.macros.insert(name.to_string(), Macro::Procedure(transformer));
        Ok(())
    }

    /// Defines (or redefines) a `define-syntax` macro.
    pub fn define_rules(&mut self, name: &str, rules: SyntaxRules) {
        self.macros.insert(name.to_string(), Macro::Rules(rules));
    }

    /// `(macroexpand 'form)` (LANGUAGE.md §6.13): while `form` is a call of a macro
    /// (user or prelude) whose name `shadowed` does not exclude, replaces it by its
    /// expansion. Only the form itself is expanded, not its parts, so a special
    /// form comes back unchanged.
    pub fn macroexpand(&mut self, form: &Syntax, shadowed: &dyn Fn(&str) -> bool) -> Result<Syntax> {
        let mut form = form.clone();
        for _ in 0..MAX_MACROEXPAND_STEPS {
            let Some((name, args)) = macro_call(&form) else { return Ok(form) };
            if shadowed(name) {
                return Ok(form);
            }
            form = if self.is_macro(name) {
                self.expand(name, args, form.span)?
            } else if crate::prelude::is_prelude_macro(name) {
                crate::prelude::expand(name, args, form.span)?
            } else {
                return Ok(form);
            };
        }
        error(form.span, format!("macroexpand: still a macro call after {MAX_MACROEXPAND_STEPS} expansions (does a macro expand into itself?)"))
    }

    /// Expands one use of macro `name`.
    pub fn expand(&mut self, name: &str, args: &[Syntax], span: Span) -> Result<Syntax> {
        let transformer = match self.macros.get(name) {
            Some(Macro::Procedure(transformer)) => transformer.clone(),
            Some(Macro::Rules(rules)) => return rules.expand(args, span, &mut fresh_name),
            None => return error(span, format!("internal compiler error: {name} is not a macro")),
        };
        let args: Vec<Value> = args.iter().map(to_value).collect();
        let started = Instant::now();
        let deadline = started + self.limits.time.saturating_sub(self.spent);
        self.vm.set_deadline(deadline);
        sema_runtime::alloc::set_memory_limit(Some(self.limits.memory), &MACRO_MEMORY);
        let result = self.vm.call(&transformer, &args);
        sema_runtime::alloc::set_memory_limit(None, &MACRO_MEMORY);
        self.spent += started.elapsed();
        match result {
            Ok(result) => from_value(&result, span),
            Err(err) if !err.catchable() => {
                let (what, flag) = if Instant::now() >= deadline {
                    (format!("ran for more than {} s", self.limits.time.as_secs_f64()), "--macro-seconds")
                } else {
                    (format!("took more than {} steps", self.limits.fuel), "--macro-fuel")
                };
                error(span, format!("macro {name} {what} (all macros of the program together; raise the limit with {flag})"))
            }
            Err(err) if matches!(err.kind(), ErrorKind::PermissionDenied { .. }) => error(
                span,
                format!(
                    "error expanding macro {name}: {}; at compile time macros may only read files under the \
                     program's directory (semac --macro-allow-io lifts this)",
                    err.message()
                ),
            ),
            Err(err) => error(span, format!("error expanding macro {name}: {}", describe(&err))),
        }
    }
}

/// Most expansions one `macroexpand` performs.
const MAX_MACROEXPAND_STEPS: usize = 1000;

/// The head symbol and arguments of a call form.
fn macro_call(form: &Syntax) -> Option<(&str, &[Syntax])> {
    let (head, args) = form.as_list()?.split_first()?;
    Some((head.as_symbol()?, args))
}

impl Default for MacroEngine {
    fn default() -> MacroEngine {
        MacroEngine::new()
    }
}

fn describe(err: &Error) -> String {
    err.report()
}

/// Syntax as the data a macro receives.
pub fn to_value(form: &Syntax) -> Value {
    match &form.kind {
        SyntaxKind::Nil => Value::Nil,
        SyntaxKind::Bool(b) => Value::Bool(*b),
        SyntaxKind::Int(i) => Value::Int(*i),
        SyntaxKind::BigInt(text) => from_bigint(text.parse::<BigInt>().unwrap_or_default()),
        SyntaxKind::Float(f) => Value::Float(*f),
        SyntaxKind::Rational(n, d) => from_rational(BigRational::new(
            n.parse().unwrap_or_default(),
            d.parse().unwrap_or_else(|_| BigInt::from(1)),
        )),
        SyntaxKind::Complex(re, im) => {
            let part = |kind: &SyntaxKind| to_value(&Syntax::new(kind.clone(), form.span));
            complex(part(re), part(im))
        }
        SyntaxKind::Str(s) => Value::str(s.clone()),
        SyntaxKind::Char(c) => Value::Char(*c),
        SyntaxKind::Symbol(s) => Value::symbol(s),
        SyntaxKind::Keyword(k) => Value::keyword(k),
        SyntaxKind::List(items) => Value::List(List::from_iter_exact(items.iter().map(to_value))),
        SyntaxKind::Vector(items) => Value::vector(items.iter().map(to_value).collect()),
        SyntaxKind::Map(pairs) => {
            // Keys here are data read from source: never mutable values.
            #[allow(clippy::mutable_key_type)]
            let map: BTreeMap<Value, Value> = pairs.iter().map(|(k, v)| (to_value(k), to_value(v))).collect();
            Value::Map(Rc::new(map))
        }
        SyntaxKind::Bytevector(bytes) => Value::Bytevector(Rc::new(bytes.clone())),
    }
}

/// A macro's result as syntax; every node gets the span of the macro use. Nesting
/// is capped as the reader caps it, so a result nested a million deep is an error,
/// not a stack overflow here or in lowering.
pub fn from_value(value: &Value, span: Span) -> Result<Syntax> {
    syntax_of(value, span, 0)
}

fn syntax_of(value: &Value, span: Span, depth: usize) -> Result<Syntax> {
    if depth > MAX_NESTING_DEPTH {
        return error(span, format!("macro expansion nested more than {MAX_NESTING_DEPTH} levels deep"));
    }
    let from_value = |value: &Value, span: Span| syntax_of(value, span, depth + 1);
    let kind = match value {
        Value::Nil => SyntaxKind::Nil,
        Value::Bool(b) => SyntaxKind::Bool(*b),
        Value::Int(i) => SyntaxKind::Int(*i),
        Value::BigInt(b) => SyntaxKind::BigInt(b.to_string()),
        Value::Float(f) => SyntaxKind::Float(*f),
        Value::Rational(r) => SyntaxKind::Rational(r.numer().to_string(), r.denom().to_string()),
        Value::Complex(c) => {
            SyntaxKind::Complex(Box::new(from_value(&c.re, span)?.kind), Box::new(from_value(&c.im, span)?.kind))
        }
        Value::Str(s) => SyntaxKind::Str(s.to_string()),
        Value::Char(c) => SyntaxKind::Char(*c),
        Value::Symbol(s) => SyntaxKind::Symbol(s.name()),
        Value::Keyword(k) => SyntaxKind::Keyword(k.name()),
        Value::List(items) => SyntaxKind::List(items.iter().map(|v| from_value(v, span)).collect::<Result<_>>()?),
        Value::Vector(items) => SyntaxKind::Vector(items.iter().map(|v| from_value(v, span)).collect::<Result<_>>()?),
        Value::Map(map) => SyntaxKind::Map(
            map.iter().map(|(k, v)| Ok((from_value(k, span)?, from_value(v, span)?))).collect::<Result<_>>()?,
        ),
        Value::Bytevector(bytes) => SyntaxKind::Bytevector((**bytes).clone()),
        other => {
            return error(
                span,
                format!("macro expansion produced a {} that cannot appear in code: {}", other.type_name(), repr(other)),
            )
        }
    };
    Ok(Syntax::new(kind, span))
}

//! Lowering: syntax to IR, resolving every variable.
//!
//! Special forms are recognised by name (even where a local shadows the name, as
//! LANGUAGE.md §5.1 says). Prelude macros are rewritten here as source-to-source
//! rules (`prelude.rs`); they, unlike special forms, give way to a local or program
//! definition of the same name. Names resolve to locals (innermost first), to the
//! running function itself (`SelfRef`, for named lets and internal function defines,
//! so a loop calling itself needs no cell), or to globals.

use std::collections::{HashMap, HashSet};

use crate::error::{error, CompileError, Result};
use crate::macros::MacroEngine;
use crate::multimethods;
use crate::multiple_values;
use crate::modules::{Exports, Modules};
use crate::intrinsics::Intrinsic;
use crate::ir::{Expr, ExprKind, FnId, Function, Literal, LocalId, LocalInfo, Program};
use crate::patterns;
use crate::prelude;
use crate::syntax::{Span, Syntax, SyntaxKind};
use crate::syntax_rules::SyntaxRules;

struct Binding {
    name: String,
    local: LocalId,
    /// Inside this function the name means the function itself.
    self_fn: Option<FnId>,
}

struct Scope {
    bindings: Vec<Binding>,
}

struct FnState {
    parent: Option<FnId>,
    captures: Vec<LocalId>,
}

pub struct Lowerer<'a> {
    functions: Vec<Option<Function>>,
    fn_states: Vec<FnState>,
    locals: Vec<LocalInfo>,
    scopes: Vec<Scope>,
    current_fn: FnId,
    /// Globals the program defines or assigns: never inlined, never macro-expanded.
    program_globals: HashSet<String>,
    /// The caller's macro engine (when lowering a macro body), else one made on the
    /// first `defmacro`.
    shared_macros: Option<&'a mut MacroEngine>,
    own_macros: Option<MacroEngine>,
    /// Auto-gensym names (`tmp#`) of the quasiquote being lowered, and their locals.
    auto_gensyms: Vec<(String, LocalId)>,
    /// The program's files and what each import exports.
    modules: &'a mut Modules,
    /// While a module body is lowered: its own globals and the hidden names they get.
    renames: Vec<HashMap<String, String>>,
    warnings: Vec<CompileError>,
    match_temps: patterns::Temps,
    /// How many macro expansions enclose the form being lowered.
    expansion_depth: usize,
}

/// Most macro expansions lowered one inside another.
const MAX_EXPANSION_DEPTH: usize = 1000;

fn too_deep<T>(span: Span) -> Result<T> {
    error(span, format!("macro expansion nested more than {MAX_EXPANSION_DEPTH} levels deep (does a macro expand into itself?)"))
}

/// Most errors one compilation reports (lower_program).
const MOST_ERRORS: usize = 20;

/// Top-level forms after whose error the rest of the program is not lowered: the
/// macros or modules they define would be missing, and later forms would report
/// errors that are not theirs.
const STOPS_RECOVERY: &[&str] = &["defmacro", "define-syntax", "import", "load", "module"];

/// Part of the message of every macro that stops for the program's shared macro
/// budget (macros.rs): every later macro would stop the same way.
const MACRO_BUDGET_SPENT: &str = "all macros of the program together";

/// Whether an error in top-level `form` ends recovery (`STOPS_RECOVERY`), also
/// inside a top-level `begin`.
fn stops_recovery(form: &Syntax) -> bool {
    let Some(items) = form.as_list() else { return false };
    match items.first().and_then(Syntax::as_symbol) {
        Some("begin") => items[1..].iter().any(stops_recovery),
        Some(head) => STOPS_RECOVERY.contains(&head),
        None => false,
    }
}

/// Lowers a whole program (its top-level forms, in order). An error in one
/// top-level form does not stop the others from being lowered, so that one
/// compilation reports every error it can (at most `MOST_ERRORS`), in order.
pub fn lower_program(
    forms: &[Syntax],
    macros: Option<&mut MacroEngine>,
    modules: &mut Modules,
) -> std::result::Result<Program, Vec<CompileError>> {
    let mut lowerer = Lowerer {
        shared_macros: macros,
        own_macros: None,
        auto_gensyms: Vec::new(),
        modules,
        renames: Vec::new(),
        warnings: Vec::new(),
        match_temps: patterns::Temps::new(),
        expansion_depth: 0,
        functions: vec![None],
        fn_states: vec![FnState { parent: None, captures: Vec::new() }],
        locals: Vec::new(),
        scopes: Vec::new(),
        current_fn: 0,
        program_globals: HashSet::new(),
    };
    for form in forms {
        collect_program_globals(form, &mut lowerer.program_globals);
    }
    let span = forms.first().map(|f| f.span).unwrap_or_default();
    let mut exprs = Vec::with_capacity(forms.len());
    let mut errors = Vec::new();
    let nesting = lowerer.modules.nesting();
    for form in forms {
        match lowerer.lower(form) {
            Ok(expr) => exprs.push(expr),
            Err(err) => {
                let stop = errors.len() + 1 == MOST_ERRORS || stops_recovery(form) || err.message.contains(MACRO_BUDGET_SPENT);
                errors.push(err);
                if stop {
                    break;
                }
                lowerer.back_to_top_level(nesting);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let body = match exprs.len() {
        0 => Expr::nil(span),
        1 => exprs.pop().expect("one element"),
        _ => Expr::new(ExprKind::Seq(exprs), span),
    };
    lowerer.functions[0] = Some(Function {
        name: None,
        params: Vec::new(),
        rest: None,
        captures: Vec::new(),
        body,
        span,
    });
    let functions = lowerer.functions.into_iter().map(|f| f.expect("every function lowered")).collect();
    Ok(Program { functions, locals: lowerer.locals, warnings: lowerer.warnings })
}

/// The help of a warning about a file that cannot be compiled in.
const RUN_TIME_LOAD: &str = "it is loaded when the program runs, which needs the compiler (semac --run)";

const DEFINE_FORMS: &[&str] = &["define", "def", "defun", "defn"];

/// Every special form `lower_special` handles: recognised by name even where a local
/// or a macro has the name (§5.1).
const SPECIAL_FORMS: &[&str] = &[
    "quote", "quasiquote", "unquote", "unquote-splicing", "if", "define", "def", "defun", "defn", "set!", "lambda",
    "fn", "begin", "progn", "let", "let*", "letrec", "cond", "case", "when", "unless", "and", "or", "do", "while",
    "try", "throw", "delay", "defmacro", "load", "import", "module", "define-record-type", "match", "match*",
    "let-values", "let*-values", "define-values", "defmulti", "defmethod", "define-syntax",
];

/// The names a defining form (`define` and its aliases, destructuring `define`,
/// `define-values`, `defmulti`, `define-record-type`) defines, added to `out`.
fn defined_names(form: &Syntax, out: &mut Vec<String>) {
    let Some(items) = form.as_list() else { return };
    let (Some(head), Some(target)) = (items.first().and_then(Syntax::as_symbol), items.get(1)) else { return };
    let mut add = |name: &str| {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    };
    match (head, &target.kind) {
        ("define-record-type", _) => {
            if let Ok(expanded) = expand_record_type(&items[1..], form.span) {
                if let Some(defines) = expanded.as_list() {
                    defines.iter().for_each(|d| defined_names(d, out));
                }
            }
        }
        ("defmulti", SyntaxKind::Symbol(name)) => add(name),
        ("define-values", SyntaxKind::Symbol(name)) => add(name),
        ("define-values", SyntaxKind::List(formals)) => {
            formals.iter().filter_map(Syntax::as_symbol).filter(|n| !matches!(*n, "." | "&")).for_each(add)
        }
        (_, _) if !DEFINE_FORMS.contains(&head) => {}
        (_, SyntaxKind::Symbol(name)) => add(name),
        ("define" | "def", SyntaxKind::List(signature)) => {
            if let Some(name) = signature.first().and_then(Syntax::as_symbol) {
                add(name);
            }
        }
        ("define" | "def", SyntaxKind::Vector(_) | SyntaxKind::Map(_)) => patterns::pattern_variables(target, out),
        _ => {}
    }
}

/// The names the program defines as globals or assigns anywhere (`set!`, which may be
/// of a global). Such a name shadows a builtin's intrinsic and a macro of that name
/// everywhere. A `define` is a global unless it stands at the top level of a body inside
/// a function or `let` (where `lower_body` makes it a local of that body); one in an `if`
/// branch, a `try` body or an argument is a global even inside a function, as
/// `lower_define` compiles it, and so is one anywhere in a macro's template.
fn collect_program_globals(form: &Syntax, names: &mut HashSet<String>) {
    collect_globals(form, names, Position { in_scope: false, body_level: false });
}

/// Where a form stands, for `collect_globals`.
#[derive(Clone, Copy)]
struct Position {
    /// Inside a function or a `let`-like scope (not the program's top level).
    in_scope: bool,
    /// An item of a body (or of a `begin` that is one).
    body_level: bool,
}

fn collect_globals(form: &Syntax, names: &mut HashSet<String>, at: Position) {
    let Some(items) = form.as_list() else { return };
    if !(at.in_scope && at.body_level) {
        let mut defined = Vec::new();
        defined_names(form, &mut defined);
        names.extend(defined);
    }
    let head = items.first().and_then(Syntax::as_symbol);
    match head {
        Some("set!") => {
            if let Some(name) = items.get(1).and_then(Syntax::as_symbol) {
                names.insert(name.to_string());
            }
        }
        Some("quote" | "define-record-type") => return,
        _ => {}
    }
    let body = |opens_scope: bool| Position { in_scope: at.in_scope || opens_scope, body_level: true };
    let inner = Position { in_scope: at.in_scope, body_level: false };
    let (scoped, from) = body_start(head, items);
    for (index, item) in items.iter().enumerate() {
        let position = match from {
            // A `begin`'s items stand where the `begin` stands.
            Some(_) if matches!(head, Some("begin" | "progn")) => at,
            Some(start) if index >= start => body(scoped),
            // Clauses whose items after the first are a body.
            _ if matches!(head, Some("cond" | "case")) && index >= 1 => {
                clause_body(item, names, body(false), inner);
                continue;
            }
            _ if head == Some("try") && index + 1 == items.len() && index > 0 => {
                clause_body(item, names, body(true), inner);
                continue;
            }
            _ => Position { in_scope: at.in_scope || scoped, body_level: false },
        };
        collect_globals(item, names, position);
    }
}

/// For a form with this head: whether it opens a scope, and the index of its first
/// body item, if it has a body.
fn body_start(head: Option<&str>, items: &[Syntax]) -> (bool, Option<usize>) {
    let second_is_symbol = items.get(1).is_some_and(|s| s.as_symbol().is_some());
    match head {
        Some("fn" | "lambda" | "let*" | "letrec" | "let-values" | "let*-values") => (true, Some(2)),
        Some("let") => (true, Some(if second_is_symbol { 3 } else { 2 })),
        Some("define" | "def") if items.get(1).is_some_and(|t| matches!(t.kind, SyntaxKind::List(_))) => (true, Some(2)),
        Some("defun" | "defn") => (true, Some(3)),
        Some("do") => (true, Some(3)),
        Some("when" | "unless") => (false, Some(2)),
        Some("begin" | "progn") => (false, Some(1)),
        _ => (false, None),
    }
}

/// A `cond`/`case` clause or a `catch` clause: its first item (a test, datums or
/// `catch`) stands inside the form, the rest is a body (for `catch`, after the
/// variable).
fn clause_body(clause: &Syntax, names: &mut HashSet<String>, body: Position, inner: Position) {
    let Some(parts) = clause.as_list() else { return collect_globals(clause, names, inner) };
    let start = if parts.first().and_then(Syntax::as_symbol) == Some("catch") { 2 } else { 1 };
    for (index, part) in parts.iter().enumerate() {
        collect_globals(part, names, if index >= start { body } else { inner });
    }
}

fn sym(name: &str, span: Span) -> Syntax {
    Syntax::new(SyntaxKind::Symbol(name.to_string()), span)
}

fn list(items: Vec<Syntax>, span: Span) -> Syntax {
    Syntax::new(SyntaxKind::List(items), span)
}

impl Lowerer<'_> {
    fn macro_engine(&mut self) -> &mut MacroEngine {
        match &mut self.shared_macros {
            Some(engine) => engine,
            None => self.own_macros.get_or_insert_with(MacroEngine::new),
        }
    }

    /// A user macro visible here: defined, and not shadowed by a local or a global.
    fn is_user_macro(&self, name: &str) -> bool {
        let defined = match &self.shared_macros {
            Some(engine) => engine.is_macro(name),
            None => self.own_macros.as_ref().is_some_and(|e| e.is_macro(name)),
        };
        defined && !self.is_local(name) && !self.program_globals.contains(name)
    }

    fn new_local(&mut self, name: &str) -> LocalId {
        let id = self.locals.len() as LocalId;
        self.locals.push(LocalInfo { name: name.to_string(), owner: self.current_fn, captured: false, assigned: false });
        id
    }

    fn push_scope(&mut self, bindings: Vec<(String, LocalId)>) {
        let bindings = bindings.into_iter().map(|(name, local)| Binding { name, local, self_fn: None }).collect();
        self.scopes.push(Scope { bindings });
    }

    fn pop_scope(&mut self) {
        self.scopes.pop();
    }

    fn is_local(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.bindings.iter().any(|b| b.name == name))
    }

    /// Resolves a variable reference.
    fn resolve(&mut self, name: &str, span: Span) -> Expr {
        let mut found = None;
        'scopes: for scope in self.scopes.iter().rev() {
            for binding in scope.bindings.iter().rev() {
                if binding.name == name {
                    found = Some((binding.local, binding.self_fn));
                    break 'scopes;
                }
            }
        }
        match found {
            Some((_, Some(f))) if f == self.current_fn => Expr::new(ExprKind::SelfRef, span),
            Some((local, _)) => {
                self.note_use(local);
                Expr::new(ExprKind::Local(local), span)
            }
            None => Expr::new(ExprKind::Global(self.global_name(name)), span),
        }
    }

    /// The global a top-level name means here: inside a module body, the module's own
    /// definitions are hidden under another name.
    fn global_name(&self, name: &str) -> String {
        self.renames.last().and_then(|r| r.get(name)).cloned().unwrap_or_else(|| name.to_string())
    }

    /// Records that the running function uses `local`, capturing it through every
    /// function between here and its owner.
    fn note_use(&mut self, local: LocalId) {
        let owner = self.locals[local as usize].owner;
        let mut f = self.current_fn;
        while f != owner {
            self.locals[local as usize].captured = true;
            let state = &mut self.fn_states[f as usize];
            if !state.captures.contains(&local) {
                state.captures.push(local);
            }
            match state.parent {
                Some(parent) => f = parent,
                None => break,
            }
        }
    }

    fn is_macro(&self, name: &str) -> bool {
        prelude::is_prelude_macro(name) && !self.is_local(name) && !self.program_globals.contains(name)
    }

    /// After an error in a top-level form: the state lowering the next one starts
    /// from, whatever the error left half done.
    fn back_to_top_level(&mut self, module_nesting: usize) {
        self.scopes.clear();
        self.current_fn = 0;
        self.renames.clear();
        self.auto_gensyms.clear();
        self.expansion_depth = 0;
        self.modules.unwind_to(module_nesting);
    }

    /// Lowers forms in order; the value is the last one's (nil when empty).
    fn lower_sequence(&mut self, forms: &[Syntax], span: Span) -> Result<Expr> {
        let mut exprs = Vec::with_capacity(forms.len());
        for form in forms {
            exprs.push(self.lower(form)?);
        }
        Ok(match exprs.len() {
            0 => Expr::nil(span),
            1 => exprs.pop().expect("one element"),
            _ => Expr::new(ExprKind::Seq(exprs), span),
        })
    }

    /// Lowers a body: internal defines at its top level become locals visible in the
    /// whole body (letrec*). At the program's top level they stay globals.
    fn lower_body(&mut self, forms: &[Syntax], span: Span) -> Result<Expr> {
        if self.scopes.is_empty() {
            return self.lower_sequence(forms, span);
        }
        // The names the body defines itself shadow macros of those names in it.
        let mut defined_here = Vec::new();
        collect_body_defines(forms, &mut defined_here);
        let expanded;
        let forms = if forms.iter().any(|f| self.is_body_macro_call(f, &defined_here)) {
            expanded = self.expand_body_macros(forms, &defined_here)?;
            &expanded[..]
        } else {
            forms
        };
        let mut names = Vec::new();
        collect_body_defines(forms, &mut names);
        if names.is_empty() {
            return self.lower_sequence(forms, span);
        }
        let mut declared = Vec::new();
        let mut bindings = Vec::new();
        for name in names {
            let local = self.new_local(&name);
            // Initialised after the scope opens, so closures made before the define
            // must share a cell with it.
            self.locals[local as usize].assigned = true;
            declared.push(local);
            bindings.push((name, local));
        }
        self.push_scope(bindings);
        let body = self.lower_sequence(forms, span);
        self.pop_scope();
        Ok(Expr::new(ExprKind::Declare(declared, Box::new(body?)), span))
    }

    /// A macro call at a body's top level (or in a `begin` there), which may expand
    /// into definitions the body must declare. `shadowed`: the names the body
    /// defines, which are not macros in it.
    fn is_body_macro_call(&self, form: &Syntax, shadowed: &[String]) -> bool {
        let Some((name, args)) = form.as_list().and_then(<[Syntax]>::split_first) else { return false };
        match name.as_symbol() {
            Some("begin" | "progn") => args.iter().any(|f| self.is_body_macro_call(f, shadowed)),
            Some(name) if SPECIAL_FORMS.contains(&name) || shadowed.iter().any(|n| n == name) => false,
            Some(name) => self.is_user_macro(name) || self.is_macro(name),
            None => false,
        }
    }

    /// A body's forms with its top-level macro calls expanded until they are not
    /// macro calls, so the definitions they produce are found. A name in `shadowed`
    /// (one the body defines itself) is not a macro there: the body's own `define`
    /// shadows it, as everywhere else in the body once its scope is open.
    fn expand_body_macros(&mut self, forms: &[Syntax], shadowed: &[String]) -> Result<Vec<Syntax>> {
        forms.iter().map(|form| self.expand_body_form(form, shadowed)).collect()
    }

    fn expand_body_form(&mut self, form: &Syntax, shadowed: &[String]) -> Result<Syntax> {
        let mut form = form.clone();
        for _ in 0..MAX_EXPANSION_DEPTH {
            let Some((head, args)) = form.as_list().and_then(<[Syntax]>::split_first) else { return Ok(form) };
            let Some(name) = head.as_symbol() else { return Ok(form) };
            if matches!(name, "begin" | "progn") {
                let mut items = vec![head.clone()];
                for item in args {
                    items.push(self.expand_body_form(item, shadowed)?);
                }
                return Ok(list(items, form.span));
            }
            if SPECIAL_FORMS.contains(&name) || shadowed.iter().any(|n| n == name) {
                return Ok(form);
            }
            match self.expand_macro_call(name, args, form.span)? {
                Some(expanded) => form = expanded,
                None => return Ok(form),
            }
        }
        too_deep(form.span)
    }

    /// The expansion of `(name args...)` when `name` is a macro here (the program's
    /// own, or a prelude macro the program does not shadow); `None` otherwise.
    fn expand_macro_call(&mut self, name: &str, args: &[Syntax], span: Span) -> Result<Option<Syntax>> {
        if self.is_user_macro(name) {
            return self.macro_engine().expand(name, args, span).map(Some);
        }
        if self.is_macro(name) {
            return prelude::expand(name, args, span).map(Some);
        }
        Ok(None)
    }

    pub fn lower(&mut self, form: &Syntax) -> Result<Expr> {
        let span = form.span;
        let literal = |lit| Ok(Expr::new(ExprKind::Const(lit), span));
        match &form.kind {
            SyntaxKind::Symbol(name) => Ok(self.resolve(name, span)),
            SyntaxKind::List(items) if items.is_empty() => literal(Literal::Nil),
            SyntaxKind::List(items) => self.lower_list(items, span),
            SyntaxKind::Vector(items) => {
                let exprs = items.iter().map(|i| self.lower(i)).collect::<Result<Vec<_>>>()?;
                Ok(constant_or(exprs, span, Literal::Vector, ExprKind::MakeVector))
            }
            SyntaxKind::Map(pairs) => {
                let mut exprs = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    exprs.push((self.lower(k)?, self.lower(v)?));
                }
                if exprs.iter().all(|(k, v)| is_const(k) && is_const(v)) {
                    let lits = exprs.into_iter().map(|(k, v)| (const_of(k), const_of(v))).collect();
                    return literal(Literal::Map(lits));
                }
                Ok(Expr::new(ExprKind::MakeMap(exprs), span))
            }
            _ => literal(quote_literal(form)),
        }
    }

    fn lower_list(&mut self, items: &[Syntax], span: Span) -> Result<Expr> {
        let head = &items[0];
        let args = &items[1..];
        if let Some(name) = head.as_symbol() {
            if let Some(expr) = self.lower_special(name, args, span)? {
                return Ok(expr);
            }
            if let Some(expanded) = self.expand_macro_call(name, args, span)? {
                return self.lower_expansion(&expanded, span);
            }
            if name == "macroexpand" && !self.is_local(name) && !self.program_globals.contains(name) {
                if let Some(expr) = self.lower_macroexpand(args, span)? {
                    return Ok(expr);
                }
            }
            let lowered_args = args.iter().map(|a| self.lower(a)).collect::<Result<Vec<_>>>()?;
            return Ok(match self.resolve(name, head.span) {
                // `(vector a b)` and `(list a b)` build what `[a b]` and `'(a b)` with
                // computed items build: one instruction, no builtin call.
                Expr { kind: ExprKind::Global(name), .. }
                    if (name == "vector" || name == "list") && !self.program_globals.contains(&name) =>
                {
                    let kind = if name == "vector" { ExprKind::MakeVector(lowered_args) } else { ExprKind::MakeList(lowered_args) };
                    Expr::new(kind, span)
                }
                Expr { kind: ExprKind::Global(name), .. } => {
                    match Intrinsic::lookup(&name, lowered_args.len()) {
                        Some(op) if !self.program_globals.contains(&name) => {
                            Expr::new(ExprKind::Intrinsic(op, lowered_args), span)
                        }
                        _ if !self.program_globals.contains(&name) => left_fold(&name, lowered_args, span),
                        _ => Expr::new(ExprKind::CallGlobal(name, lowered_args), span),
                    }
                }
                callee => Expr::new(ExprKind::Call(Box::new(callee), lowered_args), span),
            });
        }
        let callee = self.lower(head)?;
        let lowered_args = args.iter().map(|a| self.lower(a)).collect::<Result<Vec<_>>>()?;
        Ok(Expr::new(ExprKind::Call(Box::new(callee), lowered_args), span))
    }

    /// Lowers a macro's expansion. Expansions lowered inside expansions nest on the
    /// stack, so a macro that keeps expanding into itself must stop with an error.
    fn lower_expansion(&mut self, expanded: &Syntax, span: Span) -> Result<Expr> {
        if self.expansion_depth >= MAX_EXPANSION_DEPTH {
            return too_deep(span);
        }
        self.expansion_depth += 1;
        let lowered = self.lower(expanded);
        self.expansion_depth -= 1;
        lowered
    }

    /// `(macroexpand 'form)` with a quoted literal: expanded now, with the macros
    /// defined so far, into a constant, so it works under `semarun` too. `None` for
    /// any other argument, which the `macroexpand` builtin handles at run time
    /// (docs/decisions.md).
    fn lower_macroexpand(&mut self, args: &[Syntax], span: Span) -> Result<Option<Expr>> {
        let [quoted] = args else { return Ok(None) };
        let Some([quote, datum]) = quoted.as_list() else { return Ok(None) };
        if quote.as_symbol() != Some("quote") {
            return Ok(None);
        }
        let globals = &self.program_globals;
        let engine = match &mut self.shared_macros {
            Some(engine) => &mut **engine,
            None => self.own_macros.get_or_insert_with(MacroEngine::new),
        };
        let expanded = engine.macroexpand(datum, &|name| globals.contains(name))?;
        Ok(Some(Expr::new(ExprKind::Const(quote_literal(&expanded)), span)))
    }

    /// Lowers a special form; `None` when `name` is not one.
    fn lower_special(&mut self, name: &str, args: &[Syntax], span: Span) -> Result<Option<Expr>> {
        if !SPECIAL_FORMS.contains(&name) {
            return Ok(None);
        }
        let expr = match name {
            "quote" => {
                let [datum] = args else { return error(span, "quote expects 1 arg") };
                Expr::new(ExprKind::Const(quote_literal(datum)), span)
            }
            "quasiquote" => {
                let [template] = args else { return error(span, "quasiquote expects 1 arg") };
                // Each evaluation gives every `name#` in the template one fresh symbol.
                let mut names = Vec::new();
                collect_auto_gensyms(template, &mut names);
                let saved = std::mem::take(&mut self.auto_gensyms);
                let mut bindings = Vec::new();
                for name in names {
                    let local = self.new_local(&name);
                    let prefix = Expr::new(ExprKind::Const(Literal::Str(name[..name.len() - 1].to_string())), span);
                    bindings.push((local, Expr::new(ExprKind::CallGlobal("%gensym".into(), vec![prefix]), span)));
                    self.auto_gensyms.push((name, local));
                }
                let built = self.lower_quasi(template);
                self.auto_gensyms = saved;
                let built = built?;
                if bindings.is_empty() {
                    built
                } else {
                    Expr::new(ExprKind::Let(bindings, Box::new(built)), span)
                }
            }
            "unquote" | "unquote-splicing" => return error(span, format!("{name} outside quasiquote")),
            "if" => {
                if !(2..=3).contains(&args.len()) {
                    return error(span, "if expects 2 or 3 args");
                }
                let test = self.lower(&args[0])?;
                let then = self.lower(&args[1])?;
                let otherwise = match args.get(2) {
                    Some(e) => self.lower(e)?,
                    None => Expr::nil(span),
                };
                Expr::new(ExprKind::If(Box::new(test), Box::new(then), Box::new(otherwise)), span)
            }
            "define" | "def" | "defun" | "defn" => self.lower_define(name, args, span)?,
            "set!" => {
                let [target, value] = args else { return error(span, "set! expects 2 args") };
                let Some(target_name) = target.as_symbol() else {
                    return error(target.span, "set!: expected a symbol");
                };
                let value = Box::new(self.lower(value)?);
                match self.resolve(target_name, target.span).kind {
                    ExprKind::Local(local) => {
                        self.locals[local as usize].assigned = true;
                        Expr::new(ExprKind::SetLocal(local, value), span)
                    }
                    _ => Expr::new(ExprKind::SetGlobal(self.global_name(target_name), value), span),
                }
            }
            "lambda" | "fn" => {
                let Some((params, body)) = args.split_first() else {
                    return error(span, format!("{name} expects a parameter list and a body"));
                };
                if body.is_empty() {
                    return error(span, format!("{name}: empty body"));
                }
                let f = self.lower_function(None, params, body, span, None)?;
                Expr::new(ExprKind::Lambda(f), span)
            }
            "begin" | "progn" => self.lower_sequence(args, span)?,
            "let" => self.lower_let(args, span)?,
            "let*" => self.lower_let_star(args, span)?,
            "letrec" => self.lower_letrec(args, span)?,
            "cond" => self.lower_cond(args, span)?,
            "case" => self.lower_case(args, span)?,
            "when" | "unless" => {
                let Some((test, body)) = args.split_first() else {
                    return error(span, format!("{name} expects a test and a body"));
                };
                if body.is_empty() {
                    return error(span, format!("{name}: empty body"));
                }
                let test = self.lower(test)?;
                let body = self.lower_body(body, span)?;
                let (then, otherwise) =
                    if name == "when" { (body, Expr::nil(span)) } else { (Expr::nil(span), body) };
                Expr::new(ExprKind::If(Box::new(test), Box::new(then), Box::new(otherwise)), span)
            }
            "and" | "or" => {
                let exprs = args.iter().map(|a| self.lower(a)).collect::<Result<Vec<_>>>()?;
                match (name, exprs.len()) {
                    ("and", 0) => Expr::new(ExprKind::Const(Literal::Bool(true)), span),
                    ("or", 0) => Expr::new(ExprKind::Const(Literal::Bool(false)), span),
                    (_, 1) => exprs.into_iter().next().expect("one element"),
                    ("and", _) => Expr::new(ExprKind::And(exprs), span),
                    _ => Expr::new(ExprKind::Or(exprs), span),
                }
            }
            "do" => self.lower_do(args, span)?,
            "while" => {
                let Some((test, body)) = args.split_first() else {
                    return error(span, "while expects a test");
                };
                let test = self.lower(test)?;
                let body = self.lower_sequence(body, span)?;
                Expr::new(
                    ExprKind::Loop {
                        steps: Vec::new(),
                        test: Box::new(Expr::new(ExprKind::Intrinsic(Intrinsic::Not, vec![test]), span)),
                        body: Box::new(body),
                        result: Box::new(Expr::nil(span)),
                    },
                    span,
                )
            }
            "try" => self.lower_try(args, span)?,
            "throw" => {
                let [value] = args else { return error(span, "throw expects 1 arg") };
                Expr::new(ExprKind::Throw(Box::new(self.lower(value)?)), span)
            }
            "delay" => {
                let [body] = args else { return error(span, "delay expects 1 arg") };
                let thunk = self.lower_function(None, &list(vec![], span), std::slice::from_ref(body), span, None)?;
                Expr::new(
                    ExprKind::CallGlobal("%make-promise".into(), vec![Expr::new(ExprKind::Lambda(thunk), span)]),
                    span,
                )
            }
            "defmacro" => {
                if !self.scopes.is_empty() {
                    return error(span, "defmacro must be at top level");
                }
                let [name, params, body @ ..] = args else {
                    return error(span, "defmacro expects a name, a parameter list and a body");
                };
                let Some(name) = name.as_symbol() else { return error(name.span, "defmacro: expected a symbol") };
                if body.is_empty() {
                    return error(span, "defmacro: empty body");
                }
                self.macro_engine().define(name, params, body, span)?;
                Expr::nil(span)
            }
            "load" => {
                let [path] = args else { return error(span, "load expects 1 arg") };
                match path.kind {
                    SyntaxKind::Str(ref text) => match self.missing_module(text, None, span) {
                        Some(expr) => expr,
                        None => self.lower_load(text, span)?,
                    },
                    _ => self.dynamic_module("load", path, span)?,
                }
            }
            "import" => {
                let Some((path, names)) = args.split_first() else { return error(span, "import expects a path") };
                match path.kind {
                    SyntaxKind::Str(ref text) => match self.missing_module(text, Some(names), span) {
                        Some(expr) => expr,
                        None => self.lower_import(text, names, span)?,
                    },
                    _ => self.dynamic_module("import", path, span)?,
                }
            }
            "module" => {
                // A module form outside an import: its body runs at top level.
                let [_name, _exports, body @ ..] = args else {
                    return error(span, "module expects a name, (export ...) and a body");
                };
                self.lower_sequence(body, span)?
            }
            "define-record-type" => {
                let expanded = expand_record_type(args, span)?;
                self.lower(&expanded)?
            }
            "match" | "match*" => {
                let expanded = patterns::expand_match(args, name == "match", &mut self.match_temps, span)?;
                self.lower(&expanded)?
            }
            "let-values" | "let*-values" => {
                let expanded = multiple_values::expand_let_values(name, args, span)?;
                self.lower(&expanded)?
            }
            "define-values" => {
                let expanded = multiple_values::expand_define_values(args, span)?;
                self.lower(&expanded)?
            }
            "defmulti" => {
                let expanded = multimethods::expand_defmulti(args, span)?;
                self.lower(&expanded)?
            }
            "defmethod" => {
                let expanded = multimethods::expand_defmethod(args, span)?;
                self.lower(&expanded)?
            }
            "define-syntax" => {
                if !self.scopes.is_empty() {
                    return error(span, "define-syntax must be at top level");
                }
                let [name, transformer] = args else {
                    return error(span, "define-syntax expects a name and a (syntax-rules ...) form");
                };
                let Some(name) = name.as_symbol() else { return error(name.span, "define-syntax: expected a symbol") };
                let rules = SyntaxRules::parse(name, transformer)?;
                self.macro_engine().define_rules(name, rules);
                Expr::nil(span)
            }
            _ => return Ok(None),
        };
        Ok(Some(expr))
    }

    /// `(load "path")`: the file's forms run here, in the global environment, every
    /// time the load runs.
    fn lower_load(&mut self, path: &str, span: Span) -> Result<Expr> {
        let resolved = self.modules.resolve(span.file, path);
        self.modules.start("load", &resolved, span)?;
        let body = self.modules.read(&resolved, span).and_then(|(file, forms)| {
            let saved = std::mem::take(&mut self.renames);
            let body = self.lower_file_body(&forms, Span { line: 1, col: 1, file });
            self.renames = saved;
            body
        });
        self.modules.finish();
        body
    }

    /// `(import "path" name...)`: the file runs once; a `module` file exposes only its
    /// exports (or the listed subset), a plain file all its definitions.
    fn lower_import(&mut self, path: &str, names: &[Syntax], span: Span) -> Result<Expr> {
        let resolved = self.modules.resolve(span.file, path);
        let mut exprs = Vec::new();
        let exports = match self.modules.exports_of(&resolved) {
            Some(exports) => exports.clone(),
            None => {
                self.modules.start("import", &resolved, span)?;
                let compiled = self.compile_import(&resolved, span);
                self.modules.finish();
                let (run, exports) = compiled?;
                self.modules.record_exports(resolved.clone(), exports.clone());
                exprs.push(run);
                exports
            }
        };
        let wanted: Vec<&str> = names.iter().filter_map(Syntax::as_symbol).collect();
        if wanted.len() != names.len() {
            return error(span, "import: names to import must be symbols");
        }
        for name in &wanted {
            if !exports.iter().any(|(public, _)| public == name) {
                return error(span, format!("import: {name} is not exported by {path}"));
            }
        }
        for (public, global) in &exports {
            if public != global && (wanted.is_empty() || wanted.contains(&public.as_str())) {
                let value = Expr::new(ExprKind::Global(global.clone()), span);
                exprs.push(Expr::new(ExprKind::DefineGlobal(self.global_name(public), Box::new(value)), span));
            }
        }
        exprs.push(Expr::nil(span));
        Ok(Expr::new(ExprKind::Seq(exprs), span))
    }

    fn compile_import(&mut self, path: &std::path::Path, span: Span) -> Result<(Expr, Exports)> {
        let (file, forms) = self.modules.read(path, span)?;
        let file_span = Span { line: 1, col: 1, file };
        let module = match &forms[..] {
            [form] => form.as_list().filter(|items| items.first().and_then(Syntax::as_symbol) == Some("module")),
            _ => None,
        };
        let saved = std::mem::take(&mut self.renames);
        let result = match module {
            Some(items) => self.compile_module(items, file, file_span),
            None => {
                let mut defined = Vec::new();
                collect_body_defines(&forms, &mut defined);
                let exports = defined.into_iter().map(|n| (n.clone(), n)).collect();
                self.lower_file_body(&forms, file_span).map(|run| (run, exports))
            }
        };
        self.renames = saved;
        result
    }

    /// A `(module name (export sym...) body...)` file: its definitions get hidden
    /// global names (`name@FILE`), and only the exports are bound under their own names.
    fn compile_module(&mut self, items: &[Syntax], file: u32, span: Span) -> Result<(Expr, Exports)> {
        let [_, _name, exports, body @ ..] = items else {
            return error(span, "module expects a name, (export ...) and a body");
        };
        let export_names: Vec<String> = match exports.as_list() {
            Some([head, names @ ..]) if head.as_symbol() == Some("export") => {
                names.iter().filter_map(|n| n.as_symbol().map(str::to_string)).collect()
            }
            _ => return error(exports.span, "module: expected (export name...)"),
        };
        let mut defined = Vec::new();
        collect_body_defines(body, &mut defined);
        let renames: HashMap<String, String> =
            defined.iter().map(|n| (n.clone(), format!("{n}@{file}"))).collect();
        let exports = export_names
            .iter()
            .map(|n| (n.clone(), renames.get(n).cloned().unwrap_or_else(|| n.clone())))
            .collect();
        self.renames.push(renames);
        let run = self.lower_file_body(body, span);
        self.renames.pop();
        Ok((run?, exports))
    }

    /// A file's top level as its own zero-argument function, called in place: its
    /// defines are globals and its code has its own file in the debug section.
    fn lower_file_body(&mut self, forms: &[Syntax], span: Span) -> Result<Expr> {
        let id = self.functions.len() as FnId;
        self.functions.push(None);
        self.fn_states.push(FnState { parent: Some(self.current_fn), captures: Vec::new() });
        let outer_fn = std::mem::replace(&mut self.current_fn, id);
        let outer_scopes = std::mem::take(&mut self.scopes);
        let mut global_defines = HashSet::new();
        for form in forms {
            collect_program_globals(form, &mut global_defines);
        }
        self.program_globals.extend(global_defines);
        let body = self.lower_sequence(forms, span);
        self.scopes = outer_scopes;
        self.current_fn = outer_fn;
        let body = body?;
        self.functions[id as usize] =
            Some(Function { name: None, params: Vec::new(), rest: None, captures: Vec::new(), body, span });
        let callee = Expr::new(ExprKind::Lambda(id), span);
        Ok(Expr::new(ExprKind::Call(Box::new(callee), Vec::new()), span))
    }

    /// A load or import whose path is computed at run time: it cannot be compiled in.
    fn dynamic_module(&mut self, form: &str, path: &Syntax, span: Span) -> Result<Expr> {
        self.warnings.push(
            CompileError::new(span, "the path is not a literal string, so the file cannot be compiled into the bundle")
                .with_help(RUN_TIME_LOAD),
        );
        let path = self.lower(path)?;
        let import_names = (form == "import").then(|| Expr::new(ExprKind::Const(Literal::List(Vec::new())), span));
        Ok(Self::load_at_run_time(path, import_names, span))
    }

    /// A load or import of a literal path whose file does not exist yet (a program
    /// that writes the file before it imports it): loaded when the program runs. An
    /// import passes the names it asks for (all exports when none).
    fn missing_module(&mut self, path: &str, import: Option<&[Syntax]>, span: Span) -> Option<Expr> {
        let resolved = self.modules.resolve(span.file, path);
        if resolved.exists() {
            return None;
        }
        self.warnings.push(
            CompileError::new(span, format!("{path} does not exist now, so it cannot be compiled into the bundle"))
                .with_help(RUN_TIME_LOAD),
        );
        let path = Expr::new(ExprKind::Const(Literal::Str(resolved.display().to_string())), span);
        let names = import.map(|names| {
            let names = names.iter().filter_map(Syntax::as_symbol).map(|n| Literal::Symbol(n.to_string())).collect();
            Expr::new(ExprKind::Const(Literal::List(names)), span)
        });
        Some(Self::load_at_run_time(path, names, span))
    }

    /// `(%load-at-run-time path)` for a load, `(%load-at-run-time path names)` for
    /// an import.
    fn load_at_run_time(path: Expr, import_names: Option<Expr>, span: Span) -> Expr {
        let args = std::iter::once(path).chain(import_names).collect();
        Expr::new(ExprKind::CallGlobal("%load-at-run-time".into(), args), span)
    }

    fn lower_define(&mut self, form: &str, args: &[Syntax], span: Span) -> Result<Expr> {
        let Some(target) = args.first() else { return error(span, format!("{form} expects a name")) };
        let (name, value) = match (&target.kind, form) {
            (SyntaxKind::Symbol(name), "defun" | "defn") => {
                let Some((params, body)) = args[1..].split_first() else {
                    return error(span, format!("{form} expects a parameter list and a body"));
                };
                if body.is_empty() {
                    return error(span, format!("{form}: empty body"));
                }
                (name.clone(), FunctionOrExpr::Function(params, body))
            }
            (SyntaxKind::Symbol(name), _) => match args.len() {
                1 => (name.clone(), FunctionOrExpr::Expr(None)),
                2 => (name.clone(), FunctionOrExpr::Expr(Some(&args[1]))),
                _ => return error(span, format!("{form} expects a name and one value")),
            },
            (SyntaxKind::List(signature), "define" | "def") if !signature.is_empty() => {
                let Some(name) = signature[0].as_symbol() else {
                    return error(signature[0].span, "define: expected a symbol");
                };
                let body = &args[1..];
                if body.is_empty() {
                    return error(span, "define: empty function body");
                }
                for param in &signature[1..] {
                    if param.as_symbol().is_none() {
                        return error(param.span, "define: expected a symbol");
                    }
                }
                (name.to_string(), FunctionOrExpr::Signature(signature, body))
            }
            (SyntaxKind::Vector(_) | SyntaxKind::Map(_), "define" | "def") => {
                let [_, value] = args else { return error(span, format!("{form} expects a pattern and one value")) };
                return self.lower_destructuring_define(target, value, span);
            }
            _ => return error(target.span, format!("{form}: expected a symbol")),
        };
        // An internal define assigns the local its body declared; a top-level one
        // defines a global.
        let local = self.resolve_in_innermost_scope(&name);
        let self_fn = Some(self.functions.len() as FnId);
        let value = match value {
            FunctionOrExpr::Expr(None) => Expr::nil(span),
            FunctionOrExpr::Expr(Some(e)) => self.lower(e)?,
            FunctionOrExpr::Function(params, body) => {
                self.mark_self(&name, local, self_fn);
                let f = self.lower_function(Some(&name), params, body, span, None)?;
                Expr::new(ExprKind::Lambda(f), span)
            }
            FunctionOrExpr::Signature(signature, body) => {
                let params = params_from_signature(signature, span);
                self.mark_self(&name, local, self_fn);
                let f = self.lower_function(Some(&name), &params, body, span, None)?;
                Expr::new(ExprKind::Lambda(f), span)
            }
        };
        Ok(match local {
            Some(local) => Expr::new(
                ExprKind::Seq(vec![
                    Expr::new(ExprKind::SetLocal(local, Box::new(value)), span),
                    Expr::nil(span),
                ]),
                span,
            ),
            None => Expr::new(ExprKind::DefineGlobal(self.global_name(&name), Box::new(value)), span),
        })
    }

    /// `(define PATTERN value)` (§8). At top level every variable (and temporary)
    /// becomes a global; in a body the pattern's variables are the locals the body
    /// declared, assigned in order, while the temporaries stay local to the form.
    fn lower_destructuring_define(&mut self, pattern: &Syntax, value: &Syntax, span: Span) -> Result<Expr> {
        let mut bindings = Vec::new();
        patterns::destructure(pattern, value.clone(), &mut self.match_temps, &mut bindings)?;
        if self.scopes.is_empty() {
            let mut forms = vec![sym("begin", span)];
            for (name, value) in bindings {
                forms.push(list(vec![sym("define", span), sym(&name, span), value], span));
            }
            forms.push(Syntax::new(SyntaxKind::Nil, span));
            return self.lower(&list(forms, span));
        }
        let mut variables = Vec::new();
        patterns::pattern_variables(pattern, &mut variables);
        let mut form = Syntax::new(SyntaxKind::Nil, span);
        for (name, value) in bindings.into_iter().rev() {
            form = if variables.contains(&name) {
                let assign = list(vec![sym("set!", span), sym(&name, span), value], span);
                list(vec![sym("begin", span), assign, form], span)
            } else {
                list(vec![sym("let", span), list(vec![list(vec![sym(&name, span), value], span)], span), form], span)
            };
        }
        self.lower(&form)
    }

    /// An internal define's local, declared by the body that contains it.
    /// The local an internal `define` of `name` assigns: one the running function's
    /// body declared. A define nested in an expression (`(list (define (g) 1))`) never
    /// reaches into an enclosing function's variables; it defines a global.
    fn resolve_in_innermost_scope(&self, name: &str) -> Option<LocalId> {
        let binding = self.scopes.iter().rev().find_map(|scope| scope.bindings.iter().rev().find(|b| b.name == name))?;
        (self.locals[binding.local as usize].owner == self.current_fn).then_some(binding.local)
    }

    fn mark_self(&mut self, name: &str, local: Option<LocalId>, self_fn: Option<FnId>) {
        let Some(local) = local else { return };
        for scope in self.scopes.iter_mut().rev() {
            if let Some(b) = scope.bindings.iter_mut().rev().find(|b| b.name == name && b.local == local) {
                b.self_fn = self_fn;
                return;
            }
        }
    }

    /// Lowers a function; returns its id. `self_binding` names a local that refers to
    /// the function itself inside its body.
    fn lower_function(
        &mut self,
        name: Option<&str>,
        params: &Syntax,
        body: &[Syntax],
        span: Span,
        self_binding: Option<LocalId>,
    ) -> Result<FnId> {
        let items: &[Syntax] = match &params.kind {
            SyntaxKind::List(items) | SyntaxKind::Vector(items) => items,
            other => {
                let got = match other {
                    SyntaxKind::Symbol(_) => "symbol",
                    _ => "a non-list",
                };
                return error(params.span, format!("expected list or vector, got {got}"));
            }
        };
        if items.iter().any(patterns::is_pattern) {
            // Pattern parameters: plain temporaries, destructured at the top of the body.
            let mut plain = Vec::with_capacity(items.len());
            let mut bindings = Vec::new();
            for item in items {
                if patterns::is_pattern(item) {
                    let temp = patterns::temp(&mut self.match_temps, "param");
                    patterns::destructure(item, sym(&temp, item.span), &mut self.match_temps, &mut bindings)?;
                    plain.push(sym(&temp, item.span));
                } else {
                    plain.push(item.clone());
                }
            }
            let body = patterns::let_star(bindings, body, span);
            return self.lower_function(name, &list(plain, params.span), &[body], span, self_binding);
        }
        let id = self.functions.len() as FnId;
        self.functions.push(None);
        self.fn_states.push(FnState { parent: Some(self.current_fn), captures: Vec::new() });
        let outer_fn = self.current_fn;
        self.current_fn = id;
        if let Some(local) = self_binding {
            self.mark_self_local(local, id);
        }

        let mut param_ids = Vec::new();
        let mut rest = None;
        let mut bindings = Vec::new();
        let mut i = 0;
        while i < items.len() {
            let item = &items[i];
            match item.as_symbol() {
                Some(".") | Some("&") => {
                    let Some(rest_name) = items.get(i + 1).and_then(Syntax::as_symbol) else {
                        self.current_fn = outer_fn;
                        return error(item.span, "expected a symbol after `.` in a parameter list");
                    };
                    if i + 2 != items.len() {
                        self.current_fn = outer_fn;
                        return error(item.span, "only one parameter may follow `.`");
                    }
                    let local = self.new_local(rest_name);
                    rest = Some(local);
                    bindings.push((rest_name.to_string(), local));
                    break;
                }
                Some(param) => {
                    let local = self.new_local(param);
                    param_ids.push(local);
                    bindings.push((param.to_string(), local));
                }
                None => {
                    self.current_fn = outer_fn;
                    return error(item.span, "a parameter must be a symbol or a vector or map pattern");
                }
            }
            i += 1;
        }
        self.push_scope(bindings);
        let saved_scopes_len = self.scopes.len();
        let body = self.lower_body(body, span);
        debug_assert_eq!(self.scopes.len(), saved_scopes_len);
        self.pop_scope();
        self.current_fn = outer_fn;
        let body = body?;
        let captures = std::mem::take(&mut self.fn_states[id as usize].captures);
        self.functions[id as usize] = Some(Function {
            name: name.map(str::to_string),
            params: param_ids,
            rest,
            captures,
            body,
            span,
        });
        Ok(id)
    }

    fn mark_self_local(&mut self, local: LocalId, f: FnId) {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(b) = scope.bindings.iter_mut().find(|b| b.local == local) {
                b.self_fn = Some(f);
                return;
            }
        }
    }

    /// The (target, init) pairs of a binding list when some target is a pattern.
    fn pattern_bindings<'s>(&self, bindings: &'s Syntax) -> Option<Vec<(&'s Syntax, &'s Syntax)>> {
        let (SyntaxKind::List(items) | SyntaxKind::Vector(items)) = &bindings.kind else { return None };
        let pairs: Vec<(&Syntax, &Syntax)> = items
            .iter()
            .filter_map(|b| match &b.kind {
                SyntaxKind::List(p) | SyntaxKind::Vector(p) if p.len() == 2 => Some((&p[0], &p[1])),
                _ => None,
            })
            .collect();
        (pairs.len() == items.len() && pairs.iter().any(|(t, _)| patterns::is_pattern(t))).then_some(pairs)
    }

    /// `(let ((PAT init) ...) body)`: every init runs first in the outer scope (bound
    /// to a temporary), then the patterns destructure in order (§8).
    fn destructuring_let(&mut self, args: &[Syntax], span: Span) -> Result<Option<Syntax>> {
        let Some(pairs) = self.pattern_bindings(&args[0]) else { return Ok(None) };
        let mut outer = Vec::new();
        let mut inner = Vec::new();
        for (target, init) in pairs {
            if patterns::is_pattern(target) {
                let temp = patterns::temp(&mut self.match_temps, "init");
                outer.push((temp.clone(), init.clone()));
                patterns::destructure(target, sym(&temp, target.span), &mut self.match_temps, &mut inner)?;
            } else if let Some(name) = target.as_symbol() {
                outer.push((name.to_string(), init.clone()));
            } else {
                return error(target.span, "let: a binding name must be a symbol or a pattern");
            }
        }
        let body = patterns::let_star(inner, &args[1..], span);
        let outer_pairs = outer.into_iter().map(|(n, v)| list(vec![sym(&n, span), v], span)).collect();
        Ok(Some(list(vec![sym("let", span), list(outer_pairs, span), body], span)))
    }

    /// `(let* ((PAT init) ...) body)`: each pattern destructures in turn.
    fn destructuring_let_star(&mut self, args: &[Syntax], span: Span) -> Result<Option<Syntax>> {
        let Some(pairs) = self.pattern_bindings(&args[0]) else { return Ok(None) };
        let mut bindings = Vec::new();
        for (target, init) in pairs {
            patterns::destructure(target, init.clone(), &mut self.match_temps, &mut bindings)?;
        }
        Ok(Some(patterns::let_star(bindings, &args[1..], span)))
    }

    /// `(name init)` pairs of a binding list.
    fn binding_pairs<'a>(&self, bindings: &'a Syntax, form: &str) -> Result<Vec<(&'a str, &'a Syntax, Span)>> {
        let items = match &bindings.kind {
            SyntaxKind::List(items) | SyntaxKind::Vector(items) => items,
            _ => return error(bindings.span, format!("{form}: expected a list of bindings")),
        };
        let mut pairs = Vec::new();
        for binding in items {
            let parts = match &binding.kind {
                SyntaxKind::List(parts) | SyntaxKind::Vector(parts) => parts,
                _ => return error(binding.span, format!("{form}: each binding must be a (name value) list")),
            };
            let [name, init] = &parts[..] else {
                return error(binding.span, format!("{form}: each binding must have exactly 2 elements"));
            };
            let Some(name) = name.as_symbol() else {
                let allowed = if form == "named let" { "a symbol" } else { "a symbol or a vector or map pattern" };
                return error(name.span, format!("{form}: a binding name must be {allowed}"));
            };
            pairs.push((name, init, binding.span));
        }
        Ok(pairs)
    }

    fn lower_let(&mut self, args: &[Syntax], span: Span) -> Result<Expr> {
        if let Some(loop_name) = args.first().and_then(Syntax::as_symbol) {
            return self.lower_named_let(loop_name, &args[1..], span);
        }
        if args.len() < 2 {
            return error(span, "let expects 2+ args");
        }
        if let Some(rewritten) = self.destructuring_let(args, span)? {
            return self.lower(&rewritten);
        }
        let pairs = self.binding_pairs(&args[0], "let")?;
        let mut inits = Vec::new();
        for (_, init, _) in &pairs {
            inits.push(self.lower(init)?);
        }
        let mut bound = Vec::new();
        let mut scope = Vec::new();
        for ((name, _, _), init) in pairs.iter().zip(inits) {
            let local = self.new_local(name);
            bound.push((local, init));
            scope.push((name.to_string(), local));
        }
        self.push_scope(scope);
        let body = self.lower_body(&args[1..], span);
        self.pop_scope();
        Ok(Expr::new(ExprKind::Let(bound, Box::new(body?)), span))
    }

    fn lower_named_let(&mut self, loop_name: &str, args: &[Syntax], span: Span) -> Result<Expr> {
        if args.len() < 2 {
            return error(span, "named let expects bindings and a body");
        }
        let pairs = self.binding_pairs(&args[0], "named let")?;
        // Initial values are computed outside the loop function's scope.
        let mut temps = Vec::new();
        let mut temp_refs = Vec::new();
        for (name, init, bspan) in &pairs {
            let init = self.lower(init)?;
            let temp = self.new_local(name);
            temps.push((temp, init));
            temp_refs.push(Expr::new(ExprKind::Local(temp), *bspan));
        }
        let loop_local = self.new_local(loop_name);
        // Assigned once the closure exists: a closure nested in the loop body that
        // captures the name must share a cell with it.
        self.locals[loop_local as usize].assigned = true;
        self.push_scope(vec![(loop_name.to_string(), loop_local)]);
        let params = list(pairs.iter().map(|(name, _, bspan)| sym(name, *bspan)).collect(), span);
        let f = self.lower_function(Some(loop_name), &params, &args[1..], span, Some(loop_local));
        self.pop_scope();
        let f = f?;
        let lambda = Expr::new(ExprKind::Lambda(f), span);
        let call = Expr::new(ExprKind::Call(Box::new(Expr::new(ExprKind::Local(loop_local), span)), temp_refs), span);
        let inner = Expr::new(
            ExprKind::Declare(
                vec![loop_local],
                Box::new(Expr::new(
                    ExprKind::Seq(vec![Expr::new(ExprKind::SetLocal(loop_local, Box::new(lambda)), span), call]),
                    span,
                )),
            ),
            span,
        );
        Ok(Expr::new(ExprKind::Let(temps, Box::new(inner)), span))
    }

    fn lower_let_star(&mut self, args: &[Syntax], span: Span) -> Result<Expr> {
        if args.len() < 2 {
            return error(span, "let* expects 2+ args");
        }
        if let Some(rewritten) = self.destructuring_let_star(args, span)? {
            return self.lower(&rewritten);
        }
        let pairs = self.binding_pairs(&args[0], "let*")?;
        let mut bound = Vec::new();
        let mut opened = 0;
        let mut result = Ok(());
        for (name, init, _) in &pairs {
            match self.lower(init) {
                Ok(init) => {
                    let local = self.new_local(name);
                    bound.push((local, init));
                    self.push_scope(vec![(name.to_string(), local)]);
                    opened += 1;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        let body = result.and_then(|_| self.lower_body(&args[1..], span));
        for _ in 0..opened {
            self.pop_scope();
        }
        let mut expr = body?;
        for binding in bound.into_iter().rev() {
            expr = Expr::new(ExprKind::Let(vec![binding], Box::new(expr)), span);
        }
        Ok(expr)
    }

    fn lower_letrec(&mut self, args: &[Syntax], span: Span) -> Result<Expr> {
        if args.len() < 2 {
            return error(span, "letrec expects 2+ args");
        }
        if let Some(pairs) = self.pattern_bindings(&args[0]) {
            // With patterns: `(let () (define PAT init) ... body...)`, the internal
            // defines giving the same letrec* scope (§8).
            let mut forms = vec![sym("let", span), list(Vec::new(), span)];
            forms.extend(pairs.into_iter().map(|(target, init)| list(vec![sym("define", span), target.clone(), init.clone()], span)));
            forms.extend(args[1..].iter().cloned());
            return self.lower(&list(forms, span));
        }
        let pairs = self.binding_pairs(&args[0], "letrec")?;
        let mut declared = Vec::new();
        let mut scope = Vec::new();
        for (name, _, _) in &pairs {
            let local = self.new_local(name);
            self.locals[local as usize].assigned = true;
            declared.push(local);
            scope.push((name.to_string(), local));
        }
        self.push_scope(scope);
        let result = (|| {
            let mut exprs = Vec::new();
            for ((_, init, bspan), local) in pairs.iter().zip(&declared) {
                let init = self.lower(init)?;
                exprs.push(Expr::new(ExprKind::SetLocal(*local, Box::new(init)), *bspan));
            }
            exprs.push(self.lower_body(&args[1..], span)?);
            Ok(Expr::new(ExprKind::Seq(exprs), span))
        })();
        self.pop_scope();
        Ok(Expr::new(ExprKind::Declare(declared, Box::new(result?)), span))
    }

    fn lower_cond(&mut self, clauses: &[Syntax], span: Span) -> Result<Expr> {
        let Some((clause, rest)) = clauses.split_first() else { return Ok(Expr::nil(span)) };
        let Some(parts) = clause.as_list().filter(|p| !p.is_empty()) else {
            return error(clause.span, "cond: each clause must be a non-empty list");
        };
        let body = &parts[1..];
        if parts[0].as_symbol() == Some("else") {
            return self.lower_body(body, clause.span);
        }
        let test = self.lower(&parts[0])?;
        let then = if body.is_empty() {
            Expr::new(ExprKind::Const(Literal::Bool(true)), clause.span)
        } else {
            self.lower_body(body, clause.span)?
        };
        let otherwise = self.lower_cond(rest, span)?;
        Ok(Expr::new(ExprKind::If(Box::new(test), Box::new(then), Box::new(otherwise)), clause.span))
    }

    fn lower_case(&mut self, args: &[Syntax], span: Span) -> Result<Expr> {
        let Some((key, clauses)) = args.split_first() else { return error(span, "case expects a key") };
        let key = self.lower(key)?;
        let key_local = self.new_local("case-key");
        let key_ref = || Expr::new(ExprKind::Local(key_local), span);
        let mut chain = Expr::nil(span);
        for clause in clauses.iter().rev() {
            let Some(parts) = clause.as_list().filter(|p| !p.is_empty()) else {
                return error(clause.span, "case: each clause must be a non-empty list");
            };
            let body = self.lower_body(&parts[1..], clause.span)?;
            if parts[0].as_symbol() == Some("else") {
                chain = body;
                continue;
            }
            let data: &[Syntax] = match &parts[0].kind {
                SyntaxKind::List(items) => items,
                _ => std::slice::from_ref(&parts[0]),
            };
            let tests = data
                .iter()
                .map(|d| {
                    let datum = Expr::new(ExprKind::Const(quote_literal(d)), d.span);
                    Expr::new(ExprKind::Intrinsic(Intrinsic::NumEq, vec![key_ref(), datum]), d.span)
                })
                .collect::<Vec<_>>();
            let test = if tests.len() == 1 {
                tests.into_iter().next().expect("one test")
            } else {
                Expr::new(ExprKind::Or(tests), clause.span)
            };
            chain = Expr::new(ExprKind::If(Box::new(test), Box::new(body), Box::new(chain)), clause.span);
        }
        Ok(Expr::new(ExprKind::Let(vec![(key_local, key)], Box::new(chain)), span))
    }

    fn lower_do(&mut self, args: &[Syntax], span: Span) -> Result<Expr> {
        if args.len() < 2 {
            return error(span, "do expects variable specs and a test clause");
        }
        let specs: &[Syntax] = match &args[0].kind {
            SyntaxKind::List(items) | SyntaxKind::Vector(items) => items,
            _ => return error(args[0].span, "do: expected a list of variable specs"),
        };
        let mut vars = Vec::new();
        for spec in specs {
            let Some(parts) = spec.as_list() else { return error(spec.span, "do: bad variable spec") };
            let (Some(name), Some(init)) = (parts.first().and_then(Syntax::as_symbol), parts.get(1)) else {
                return error(spec.span, "do: each variable spec is (name init [step])");
            };
            if parts.len() > 3 {
                return error(spec.span, "do: each variable spec is (name init [step])");
            }
            vars.push((name, init, parts.get(2)));
        }
        let Some(test_clause) = args[1].as_list().filter(|p| !p.is_empty()) else {
            return error(args[1].span, "do: expected a (test result...) clause");
        };
        let mut inits = Vec::new();
        for (_, init, _) in &vars {
            inits.push(self.lower(init)?);
        }
        let mut bound = Vec::new();
        let mut scope = Vec::new();
        for ((name, _, _), init) in vars.iter().zip(inits) {
            let local = self.new_local(name);
            bound.push((local, init));
            scope.push((name.to_string(), local));
        }
        self.push_scope(scope);
        let result = (|| {
            let mut steps = Vec::new();
            for ((_, _, step), (local, _)) in vars.iter().zip(&bound) {
                if let Some(step) = step {
                    self.locals[*local as usize].assigned = true;
                    steps.push((*local, self.lower(step)?));
                }
            }
            let test = self.lower(&test_clause[0])?;
            let result = self.lower_sequence(&test_clause[1..], args[1].span)?;
            let body = self.lower_body(&args[2..], span)?;
            Ok(Expr::new(
                ExprKind::Loop { steps, test: Box::new(test), body: Box::new(body), result: Box::new(result) },
                span,
            ))
        })();
        self.pop_scope();
        Ok(Expr::new(ExprKind::Let(bound, Box::new(result?)), span))
    }

    fn lower_try(&mut self, args: &[Syntax], span: Span) -> Result<Expr> {
        let shape_error = || error(span, "try: last argument must be (catch var handler...)");
        let Some((catch, body)) = args.split_last() else { return shape_error() };
        let Some(parts) = catch.as_list() else { return shape_error() };
        if parts.len() < 3 || parts[0].as_symbol() != Some("catch") {
            return shape_error();
        }
        let Some(var) = parts[1].as_symbol() else { return shape_error() };
        let body = self.lower_sequence(body, span)?;
        let local = self.new_local(var);
        self.push_scope(vec![(var.to_string(), local)]);
        let handler = self.lower_body(&parts[2..], catch.span);
        self.pop_scope();
        Ok(Expr::new(ExprKind::Try(Box::new(body), local, Box::new(handler?)), span))
    }

    /// Quasiquote: lists and vectors are built from segments, spliced parts joined
    /// with the internal `%append-splice` builtin; maps are built key by key.
    fn lower_quasi(&mut self, template: &Syntax) -> Result<Expr> {
        let span = template.span;
        match &template.kind {
            SyntaxKind::List(items) if items.len() == 2 && items[0].as_symbol() == Some("unquote") => {
                self.lower(&items[1])
            }
            SyntaxKind::List(items) if items.len() == 2 && items[0].as_symbol() == Some("unquote-splicing") => {
                error(span, "unquote-splicing outside a list or vector")
            }
            SyntaxKind::List(items) | SyntaxKind::Vector(items) => {
                let is_vector = matches!(template.kind, SyntaxKind::Vector(_));
                let mut segments: Vec<Expr> = Vec::new();
                let mut current: Vec<Expr> = Vec::new();
                let mut spliced = false;
                for item in items {
                    match item.as_list() {
                        Some([head, inner]) if head.as_symbol() == Some("unquote-splicing") => {
                            spliced = true;
                            if !current.is_empty() {
                                segments.push(Expr::new(ExprKind::MakeList(std::mem::take(&mut current)), span));
                            }
                            segments.push(self.lower(inner)?);
                        }
                        _ => current.push(self.lower_quasi(item)?),
                    }
                }
                if !spliced {
                    let kind = if is_vector { ExprKind::MakeVector(current) } else { ExprKind::MakeList(current) };
                    return Ok(fold_constant_collection(Expr::new(kind, span)));
                }
                if !current.is_empty() {
                    segments.push(Expr::new(ExprKind::MakeList(current), span));
                }
                let joined = Expr::new(ExprKind::CallGlobal("%append-splice".into(), segments), span);
                Ok(if is_vector {
                    Expr::new(ExprKind::CallGlobal("%list->vector".into(), vec![joined]), span)
                } else {
                    joined
                })
            }
            SyntaxKind::Map(pairs) => {
                let mut exprs = Vec::new();
                for (k, v) in pairs {
                    for part in [k, v] {
                        if let Some([head, _]) = part.as_list() {
                            if head.as_symbol() == Some("unquote-splicing") {
                                return error(part.span, "unquote-splicing is not allowed in a map");
                            }
                        }
                    }
                    exprs.push((self.lower_quasi(k)?, self.lower_quasi(v)?));
                }
                Ok(Expr::new(ExprKind::MakeMap(exprs), span))
            }
            SyntaxKind::Symbol(name) if is_auto_gensym(name) => {
                let local = self.auto_gensyms.iter().find(|(n, _)| n == name).map(|(_, l)| *l);
                match local {
                    Some(local) => Ok(Expr::new(ExprKind::Local(local), span)),
                    None => Ok(Expr::new(ExprKind::Const(quote_literal(template)), span)),
                }
            }
            _ => Ok(Expr::new(ExprKind::Const(quote_literal(template)), span)),
        }
    }
}

/// `(define-record-type name (ctor field...) pred? (field accessor [modifier])...)` as
/// defines over the record builtins (§6.11). Modifiers are ignored: records are
/// immutable. Constructor arity errors come from the constructor being a function of
/// exactly its fields.
fn expand_record_type(args: &[Syntax], span: Span) -> Result<Syntax> {
    let shape = || error(span, "define-record-type expects a name, (constructor field...), a predicate and field specs");
    let [name, ctor, pred, specs @ ..] = args else { return shape() };
    let Some(type_name) = name.as_symbol() else { return shape() };
    let Some(ctor) = ctor.as_list().filter(|c| !c.is_empty()) else { return shape() };
    if ctor.iter().any(|c| c.as_symbol().is_none()) || pred.as_symbol().is_none() {
        return shape();
    }
    let mut fields = Vec::new();
    let mut accessors = Vec::new();
    for spec in specs {
        let Some([field, accessor, ..]) = spec.as_list() else { return shape() };
        let (Some(field), Some(_)) = (field.as_symbol(), accessor.as_symbol()) else { return shape() };
        accessors.push((fields.len() as i64, accessor.clone()));
        fields.push(field.to_string());
    }
    let quoted_type = list(vec![sym("quote", span), sym(type_name, span)], span);
    let mut make = vec![sym("%make-record", span), quoted_type.clone()];
    for field in &fields {
        let given = ctor[1..].iter().any(|p| p.as_symbol() == Some(field.as_str()));
        make.push(if given { sym(field, span) } else { Syntax::new(SyntaxKind::Nil, span) });
    }
    let define = |signature: Vec<Syntax>, body: Syntax| list(vec![sym("define", span), list(signature, span), body], span);
    let mut forms = vec![sym("begin", span)];
    forms.push(define(ctor.to_vec(), list(make, span)));
    forms.push(define(
        vec![pred.clone(), sym("v", span)],
        list(vec![sym("%record-of?", span), quoted_type.clone(), sym("v", span)], span),
    ));
    for (index, accessor) in accessors {
        let get = vec![sym("%record-get", span), quoted_type.clone(), Syntax::new(SyntaxKind::Int(index), span), sym("r", span)];
        forms.push(define(vec![accessor, sym("r", span)], list(get, span)));
    }
    Ok(list(forms, span))
}

/// A call with three or more arguments whose builtin is exactly a left fold of an
/// intrinsic (`(+ a b c)`, `(* a b c)`, `(- a b c)`; see `nary_step` in the table) as
/// nested two-argument intrinsics; anything else stays a call.
fn left_fold(name: &str, args: Vec<Expr>, span: Span) -> Expr {
    let Some(op) = Intrinsic::nary_step(name).filter(|_| args.len() >= 3) else {
        return Expr::new(ExprKind::CallGlobal(name.to_string(), args), span);
    };
    let mut items = args.into_iter();
    let first = items.next().expect("three or more arguments");
    items.fold(first, |acc, next| Expr::new(ExprKind::Intrinsic(op, vec![acc, next]), span))
}

/// `tmp#` (one trailing `#`, not `##`).
fn is_auto_gensym(name: &str) -> bool {
    name.len() > 1 && name.ends_with('#') && !name.ends_with("##")
}

/// The auto-gensym names of a quasiquote template, outside its unquoted parts.
fn collect_auto_gensyms(template: &Syntax, names: &mut Vec<String>) {
    match &template.kind {
        SyntaxKind::Symbol(name) if is_auto_gensym(name) && !names.contains(name) => names.push(name.clone()),
        SyntaxKind::List(items) => {
            if let Some(head) = items.first().and_then(Syntax::as_symbol) {
                if matches!(head, "unquote" | "unquote-splicing") {
                    return;
                }
            }
            items.iter().for_each(|i| collect_auto_gensyms(i, names));
        }
        SyntaxKind::Vector(items) => items.iter().for_each(|i| collect_auto_gensyms(i, names)),
        SyntaxKind::Map(pairs) => pairs.iter().for_each(|(k, v)| {
            collect_auto_gensyms(k, names);
            collect_auto_gensyms(v, names);
        }),
        _ => {}
    }
}

enum FunctionOrExpr<'a> {
    Expr(Option<&'a Syntax>),
    Function(&'a Syntax, &'a [Syntax]),
    Signature(&'a [Syntax], &'a [Syntax]),
}

fn params_from_signature(signature: &[Syntax], span: Span) -> Syntax {
    list(signature[1..].to_vec(), span)
}

/// Names defined by defining forms at a body's top level (inside `begin` too).
fn collect_body_defines(forms: &[Syntax], names: &mut Vec<String>) {
    for form in forms {
        match form.as_list() {
            Some([head, rest @ ..]) if matches!(head.as_symbol(), Some("begin" | "progn")) => {
                collect_body_defines(rest, names)
            }
            _ => defined_names(form, names),
        }
    }
}

fn is_const(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Const(_))
}

fn const_of(e: Expr) -> Literal {
    match e.kind {
        ExprKind::Const(lit) => lit,
        _ => unreachable!("checked by is_const"),
    }
}

fn constant_or(exprs: Vec<Expr>, span: Span, lit: fn(Vec<Literal>) -> Literal, build: fn(Vec<Expr>) -> ExprKind) -> Expr {
    if exprs.iter().all(is_const) {
        return Expr::new(ExprKind::Const(lit(exprs.into_iter().map(const_of).collect())), span);
    }
    Expr::new(build(exprs), span)
}

/// A list or vector built only from constants becomes one constant.
fn fold_constant_collection(expr: Expr) -> Expr {
    let span = expr.span;
    match expr.kind {
        ExprKind::MakeList(items) => constant_or(items, span, Literal::List, ExprKind::MakeList),
        ExprKind::MakeVector(items) => constant_or(items, span, Literal::Vector, ExprKind::MakeVector),
        other => Expr::new(other, span),
    }
}

/// The literal a quoted datum denotes.
pub fn quote_literal(form: &Syntax) -> Literal {
    match &form.kind {
        SyntaxKind::Nil => Literal::Nil,
        SyntaxKind::Bool(b) => Literal::Bool(*b),
        SyntaxKind::Int(i) => Literal::Int(*i),
        SyntaxKind::BigInt(b) => Literal::BigInt(b.clone()),
        SyntaxKind::Float(f) => Literal::Float(*f),
        SyntaxKind::Rational(n, d) => Literal::Rational(n.clone(), d.clone()),
        SyntaxKind::Complex(re, im) => {
            let part = |kind: &SyntaxKind| Box::new(quote_literal(&Syntax::new(kind.clone(), form.span)));
            Literal::Complex(part(re), part(im))
        }
        SyntaxKind::Str(s) => Literal::Str(s.clone()),
        SyntaxKind::Char(c) => Literal::Char(*c),
        SyntaxKind::Symbol(s) => Literal::Symbol(s.clone()),
        SyntaxKind::Keyword(k) => Literal::Keyword(k.clone()),
        SyntaxKind::List(items) => Literal::List(items.iter().map(quote_literal).collect()),
        SyntaxKind::Vector(items) => Literal::Vector(items.iter().map(quote_literal).collect()),
        SyntaxKind::Map(pairs) => Literal::Map(pairs.iter().map(|(k, v)| (quote_literal(k), quote_literal(v))).collect()),
        SyntaxKind::Bytevector(bytes) => Literal::Bytevector(bytes.clone()),
    }
}

//! Prelude macros as source-to-source rewrites (LANGUAGE.md §6.7, §6.14). Lowering
//! applies them only where the name is neither a local nor defined by the program.

use crate::lower::{error, Result};
use crate::syntax::{Span, Syntax, SyntaxKind};

const MACROS: &[&str] = &[
    "dotimes",
    "for-range",
    "->",
    "->>",
    "as->",
    "some->",
    "when-let",
    "if-let",
    "guard",
    "make-parameter",
    "parameterize",
    "term/with-alt-screen",
    "term/with-mouse",
    "term/with-bracketed-paste",
    "term/with-focus-events",
    "term/with-kitty-keys",
    "io/with-raw-mode",
];

pub fn is_prelude_macro(name: &str) -> bool {
    MACROS.contains(&name)
}

fn sym(name: &str, span: Span) -> Syntax {
    Syntax::new(SyntaxKind::Symbol(name.to_string()), span)
}

fn list(items: Vec<Syntax>, span: Span) -> Syntax {
    Syntax::new(SyntaxKind::List(items), span)
}

fn int(value: i64, span: Span) -> Syntax {
    Syntax::new(SyntaxKind::Int(value), span)
}

/// Expands one use of a prelude macro.
pub fn expand(name: &str, args: &[Syntax], span: Span) -> Result<Syntax> {
    match name {
        "dotimes" => dotimes(args, span),
        "for-range" => for_range(args, span),
        "->" => thread(args, span, false),
        "->>" => thread(args, span, true),
        "as->" => as_thread(args, span),
        "some->" => some_thread(args, span),
        "guard" => guard(args, span),
        "when-let" | "if-let" => when_let(name, args, span),
        "make-parameter" => make_parameter(args, span),
        "parameterize" => parameterize(args, span),
        "term/with-alt-screen" => {
            let setup = ["term/enter-alt-screen", "term/hide-cursor"];
            Ok(guarded(&setup, &["term/show-cursor", "term/leave-alt-screen"], args, span))
        }
        "term/with-mouse" => Ok(guarded(&["term/enable-mouse"], &["term/disable-mouse"], args, span)),
        "term/with-bracketed-paste" => {
            Ok(guarded(&["term/enable-bracketed-paste"], &["term/disable-bracketed-paste"], args, span))
        }
        "term/with-focus-events" => {
            Ok(guarded(&["term/enable-focus-events"], &["term/disable-focus-events"], args, span))
        }
        "term/with-kitty-keys" => Ok(guarded(&["term/enable-kitty-keys!"], &["term/disable-kitty-keys!"], args, span)),
        "io/with-raw-mode" => Ok(with_raw_mode(args, span)),
        _ => error(span, format!("unknown macro {name}")),
    }
}

/// `(dotimes (i n) body...)` → `(do ((i 0 (+ i 1))) ((= i n)) body...)`.
fn dotimes(args: &[Syntax], span: Span) -> Result<Syntax> {
    let Some((spec, body)) = args.split_first() else { return error(span, "dotimes expects (var count) and a body") };
    let Some([var, count]) = spec.as_list() else { return error(spec.span, "dotimes expects (var count)") };
    let step = list(vec![sym("+", span), var.clone(), int(1, span)], span);
    let vars = list(vec![list(vec![var.clone(), int(0, span), step], span)], span);
    let test = list(vec![list(vec![sym("=", span), var.clone(), count.clone()], span)], span);
    let mut form = vec![sym("do", span), vars, test];
    form.extend(body.iter().cloned());
    Ok(list(form, span))
}

/// `(for-range (i start end [step]) body...)`, end exclusive.
fn for_range(args: &[Syntax], span: Span) -> Result<Syntax> {
    let Some((spec, body)) = args.split_first() else { return error(span, "for-range expects (var start end) and a body") };
    let (var, start, end, step) = match spec.as_list() {
        Some([var, start, end]) => (var, start, end, int(1, span)),
        Some([var, start, end, step]) => (var, start, end, step.clone()),
        _ => return error(spec.span, "for-range expects (var start end [step])"),
    };
    let next = list(vec![sym("+", span), var.clone(), step], span);
    let vars = list(vec![list(vec![var.clone(), start.clone(), next], span)], span);
    let test = list(vec![list(vec![sym(">=", span), var.clone(), end.clone()], span)], span);
    let mut form = vec![sym("do", span), vars, test];
    form.extend(body.iter().cloned());
    Ok(list(form, span))
}

/// `->` puts the value first among a step's arguments, `->>` last.
fn thread(args: &[Syntax], span: Span, last: bool) -> Result<Syntax> {
    let Some((value, steps)) = args.split_first() else { return error(span, "threading macro expects a value") };
    let mut acc = value.clone();
    for step in steps {
        acc = match step.as_list() {
            Some(items) if !items.is_empty() => {
                let mut call = items.to_vec();
                if last {
                    call.push(acc);
                } else {
                    call.insert(1, acc);
                }
                list(call, step.span)
            }
            _ => list(vec![step.clone(), acc], step.span),
        };
    }
    Ok(acc)
}

/// `(some-> x step...)`: like `->`, but the first nil result ends the chain with nil.
fn some_thread(args: &[Syntax], span: Span) -> Result<Syntax> {
    let Some((value, steps)) = args.split_first() else { return error(span, "some-> expects a value") };
    const VALUE: &str = "%some-value";
    let mut body = sym(VALUE, span);
    for step in steps.iter().rev() {
        let next = thread(&[sym(VALUE, span), step.clone()], span, false)?;
        body = let_unless_nil(VALUE, next, body, span);
    }
    Ok(let_unless_nil(VALUE, value.clone(), body, span))
}

/// `(let ((name value)) (if (nil? name) nil body))`, by an internal test.
fn let_unless_nil(name: &str, value: Syntax, body: Syntax, span: Span) -> Syntax {
    let is_nil = list(vec![sym("%match-equal?", span), sym(name, span), Syntax::new(SyntaxKind::Nil, span)], span);
    let test = list(vec![sym("if", span), is_nil, Syntax::new(SyntaxKind::Nil, span), body], span);
    let binding = list(vec![list(vec![sym(name, span), value], span)], span);
    list(vec![sym("let", span), binding, test], span)
}

/// `(guard (var clause...) body...)` (§6.10): on an error, `var` is the thrown value
/// for `throw`/`raise`, else the error map; the clauses are `cond` clauses, and when
/// none applies the error is raised again unchanged.
fn guard(args: &[Syntax], span: Span) -> Result<Syntax> {
    let Some((spec, body)) = args.split_first() else { return error(span, "guard expects (var clause...) and a body") };
    let Some([var, clauses @ ..]) = spec.as_list() else { return error(spec.span, "guard expects (var clause...)") };
    const ERROR: &str = "%guard-error";
    let field = |key: &str| {
        list(vec![sym("%match-get", span), sym(ERROR, span), Syntax::new(SyntaxKind::Keyword(key.into()), span)], span)
    };
    let user = list(vec![sym("%match-equal?", span), field("type"), Syntax::new(SyntaxKind::Keyword("user".into()), span)], span);
    let value = list(vec![sym("if", span), user, field("value"), sym(ERROR, span)], span);
    let mut cond = vec![sym("cond", span)];
    cond.extend(clauses.iter().cloned());
    cond.push(list(vec![sym("else", span), list(vec![sym("throw", span), sym(ERROR, span)], span)], span));
    let handler = list(
        vec![sym("let", span), list(vec![list(vec![var.clone(), value], span)], span), list(cond, span)],
        span,
    );
    let mut protected = vec![sym("begin", span)];
    protected.extend(body.iter().cloned());
    let catch = list(vec![sym("catch", span), sym(ERROR, span), handler], span);
    Ok(list(vec![sym("try", span), list(protected, span), catch], span))
}

/// `(as-> x name form...)` → nested lets rebinding `name`.
fn as_thread(args: &[Syntax], span: Span) -> Result<Syntax> {
    let [value, name, forms @ ..] = args else { return error(span, "as-> expects a value and a name") };
    let mut body = name.clone();
    for form in forms.iter().rev() {
        let binding = list(vec![list(vec![name.clone(), form.clone()], span)], span);
        body = list(vec![sym("let", span), binding, body], span);
    }
    let binding = list(vec![list(vec![name.clone(), value.clone()], span)], span);
    Ok(list(vec![sym("let", span), binding, body], span))
}

/// `(when-let (v e) body...)` and `(if-let (v e) then else)`: the body runs when `v`
/// is not nil (`#f` still counts as a value).
fn when_let(name: &str, args: &[Syntax], span: Span) -> Result<Syntax> {
    let Some((spec, body)) = args.split_first() else { return error(span, format!("{name} expects (var expr)")) };
    let Some([var, expr]) = spec.as_list() else { return error(spec.span, format!("{name} expects (var expr)")) };
    if name == "if-let" && body.len() != 2 {
        return error(span, "if-let expects 3 args");
    }
    let test = list(vec![sym("not", span), list(vec![sym("nil?", span), var.clone()], span)], span);
    let branch = if name == "if-let" {
        list(vec![sym("if", span), test, body[0].clone(), body[1].clone()], span)
    } else {
        let mut when = vec![sym("when", span), test];
        when.extend(body.iter().cloned());
        list(when, span)
    };
    let binding = list(vec![list(vec![var.clone(), expr.clone()], span)], span);
    Ok(list(vec![sym("let", span), binding, branch], span))
}

/// `(make-parameter init [converter])` → a closure over the parameter's state
/// (runtime/src/builtins/parameters.rs): `(p)` is the current value.
fn make_parameter(args: &[Syntax], span: Span) -> Result<Syntax> {
    if !(1..=2).contains(&args.len()) {
        return error(span, "make-parameter expects 1 or 2 args");
    }
    const STATE: &str = "%parameter";
    const ARGS: &str = "%parameter-args";
    let mut make = vec![sym("%make-parameter", span)];
    make.extend(args.iter().cloned());
    let params = list(vec![sym(".", span), sym(ARGS, span)], span);
    let body = list(vec![sym("%parameter-ref", span), sym(STATE, span), sym(ARGS, span)], span);
    let closure = list(vec![sym("fn", span), params, body], span);
    let binding = list(vec![list(vec![sym(STATE, span), list(make, span)], span)], span);
    Ok(list(vec![sym("let", span), binding, closure], span))
}

/// `(parameterize ((p v) ...) body...)` → `(%parameterize p v ... (fn () body...))`: the
/// runtime sets the values, runs the body and restores them even when it raises.
fn parameterize(args: &[Syntax], span: Span) -> Result<Syntax> {
    let Some((bindings, body)) = args.split_first() else { return error(span, "parameterize expects bindings and a body") };
    if body.is_empty() {
        return error(span, "parameterize: empty body");
    }
    let Some(bindings) = bindings.as_list() else {
        return error(bindings.span, "parameterize: expected a list of (parameter value) bindings");
    };
    let mut call = vec![sym("%parameterize", span)];
    for binding in bindings {
        let Some([parameter, value]) = binding.as_list() else {
            return error(binding.span, "parameterize: each binding must be (parameter value)");
        };
        call.push(parameter.clone());
        call.push(value.clone());
    }
    let mut thunk = vec![sym("fn", span), list(Vec::new(), span)];
    thunk.extend(body.iter().cloned());
    call.push(list(thunk, span));
    Ok(list(call, span))
}

/// `(try (begin body...) (catch %guard-error cleanup... (throw %guard-error)))`: the
/// body's value, the cleanup run and the error raised again when it raises.
fn protect(body: &[Syntax], cleanup: Vec<Syntax>, span: Span) -> Syntax {
    const ERROR: &str = "%guard-error";
    let mut protected = vec![sym("begin", span)];
    protected.extend(body.iter().cloned());
    if body.is_empty() {
        protected.push(Syntax::new(SyntaxKind::Nil, span));
    }
    let mut catch = vec![sym("catch", span), sym(ERROR, span)];
    catch.extend(cleanup);
    catch.push(list(vec![sym("throw", span), sym(ERROR, span)], span));
    list(vec![sym("try", span), list(protected, span), list(catch, span)], span)
}

/// `(let ((%guard-result protected)) cleanup... %guard-result)`.
fn then_cleanup(protected: Syntax, cleanup: Vec<Syntax>, span: Span) -> Syntax {
    const RESULT: &str = "%guard-result";
    let binding = list(vec![list(vec![sym(RESULT, span), protected], span)], span);
    let mut form = vec![sym("let", span), binding];
    form.extend(cleanup);
    form.push(sym(RESULT, span));
    list(form, span)
}

/// The terminal mode guards (`term/with-mouse` ...): the setup calls, then the body,
/// then the cleanup calls, which also run when the body raises.
fn guarded(setup: &[&str], cleanup: &[&str], body: &[Syntax], span: Span) -> Syntax {
    let calls = |names: &[&str]| names.iter().map(|n| list(vec![sym(n, span)], span)).collect::<Vec<_>>();
    let mut form = vec![sym("begin", span)];
    form.extend(calls(setup));
    form.push(then_cleanup(protect(body, calls(cleanup), span), calls(cleanup), span));
    list(form, span)
}

/// `(io/with-raw-mode body...)`: raw mode around the body, restored even when it
/// raises (`io/tty-raw!` gives nil, and nothing is restored, off a terminal).
fn with_raw_mode(body: &[Syntax], span: Span) -> Syntax {
    const TOKEN: &str = "%raw-token";
    let restore = || {
        let call = list(vec![sym("io/tty-restore!", span), sym(TOKEN, span)], span);
        vec![list(vec![sym("when", span), sym(TOKEN, span), call], span)]
    };
    let inner = then_cleanup(protect(body, restore(), span), restore(), span);
    let binding = list(vec![list(vec![sym(TOKEN, span), list(vec![sym("io/tty-raw!", span)], span)], span)], span);
    list(vec![sym("let", span), binding, inner], span)
}

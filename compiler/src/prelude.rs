//! Prelude macros as source-to-source rewrites (LANGUAGE.md §6.7, §6.14). Lowering
//! applies them only where the name is neither a local nor defined by the program.

use crate::error::{error, Result};
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
    "for/list",
    "for/filter",
    "for/map",
    "for/fold",
    "with-stream",
    "with-open",
    "message",
    "async",
    "await",
    "async/map",
    "async/spawn-all",
    "settled/ok?",
    "settled/err?",
    "settled-partition",
    "async/pool-map",
    "parallel",
    "parallel-settled",
    "pipeline",
    "pipeline-settled",
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
        "for/list" | "for/filter" | "for/map" => comprehension(name, args, span),
        "for/fold" => for_fold(args, span),
        "with-stream" | "with-open" => with_stream(name, args, span),
        "message" => message(args, span),
        "async" => async_body(args, span),
        "async/map" => from_template(name, ASYNC_MAP, &["%f", "%items"], args, span),
        "async/spawn-all" => from_template(name, ASYNC_SPAWN_ALL, &["%thunks"], args, span),
        "settled/ok?" => from_template(name, "(contains? %r :ok)", &["%r"], args, span),
        "settled/err?" => from_template(name, "(contains? %r :err)", &["%r"], args, span),
        "settled-partition" => from_template(name, SETTLED_PARTITION, &["%results"], args, span),
        "async/pool-map" => from_template(name, POOL_MAP, &["%f", "%items", "%n"], args, span),
        "parallel" | "parallel-settled" => {
            let (thunks, n) = match args {
                [thunks] => (thunks.clone(), int(8, span)),
                [thunks, n] => (thunks.clone(), n.clone()),
                _ => return error(span, format!("{name} expects 1-2 args, got {}", args.len())),
            };
            let call_thunk = read_template("(fn (%th) (%th))", span);
            settled_results(name, fan_out(call_thunk, thunks, n, span)?, span)
        }
        "pipeline" | "pipeline-settled" => {
            let Some((items, stages)) = args.split_first() else { return error(span, format!("{name} expects 1+ args, got 0")) };
            let mut stage_list = vec![sym("list", span)];
            stage_list.extend(stages.iter().cloned());
            let through_stages = "(fn (%it) (foldl (fn (%acc %st) (%st %acc)) %it %stages))";
            let worker = from_template(name, through_stages, &["%stages"], &[list(stage_list, span)], span)?;
            settled_results(name, fan_out(worker, items.clone(), int(8, span), span)?, span)
        }
        "await" => match args {
            [promise] => Ok(list(vec![sym("async/await", span), promise.clone()], span)),
            _ => error(span, format!("await expects 1 args, got {}", args.len())),
        },
        _ => error(span, format!("unknown macro {name}")),
    }
}

/// `(async/map f items)`: a task per item computing `(f item)`, spawned in order from
/// the caller's own code (a loop, not `map`: spawning gives way, which a builtin's
/// callback cannot), then their values in order. The tasks are the call's: the first
/// failure cancels the others before it is raised again (upstream's "owned" fan-out).
const ASYNC_MAP: &str = "(let ((%am-f %f))
  (%owned-all
    (let %am-loop ((%am-xs %items) (%am-ps '()))
      (if (null? %am-xs)
        (reverse %am-ps)
        (let ((%am-x (car %am-xs)))
          (%am-loop (cdr %am-xs) (cons (async/spawn (fn () (%am-f %am-x))) %am-ps)))))))";

/// `(async/spawn-all thunks)`: a task per thunk, as `async/map`.
const ASYNC_SPAWN_ALL: &str = "(%owned-all
  (let %sa-loop ((%sa-ts %thunks) (%sa-ps '()))
    (if (null? %sa-ts)
      (reverse %sa-ps)
      (%sa-loop (cdr %sa-ts) (cons (async/spawn (car %sa-ts)) %sa-ps)))))";

/// `(settled-partition results)`: the `{:ok v}` and `{:err e}` results apart.
const SETTLED_PARTITION: &str = "(let ((%sp-rs %results))
  {:ok (map (fn (%sp-r) (:ok %sp-r)) (filter (fn (%sp-r) (contains? %sp-r :ok)) %sp-rs))
   :err (map (fn (%sp-r) (:err %sp-r)) (filter (fn (%sp-r) (contains? %sp-r :err)) %sp-rs))})";

/// `(async/pool-map f items n)`: `async/map` with at most `n` of its tasks running
/// `f` at once (a channel of `n` tokens: a task takes one before and gives it back
/// after, failed or not).
const POOL_MAP: &str = "(let ((%pm-f %f) (%pm-items %items) (%pm-n %n))
  (if (<= %pm-n 0)
    (error \"async/pool-map: concurrency must be a positive integer\")
    (let ((%pm-sem (channel/new %pm-n)))
      (let %pm-fill ((%pm-k %pm-n))
        (when (> %pm-k 0) (channel/send %pm-sem #t) (%pm-fill (- %pm-k 1))))
      (%owned-all
        (let %pm-loop ((%pm-xs %pm-items) (%pm-ps '()))
          (if (null? %pm-xs)
            (reverse %pm-ps)
            (let ((%pm-x (car %pm-xs)))
              (%pm-loop (cdr %pm-xs)
                (cons (async/spawn
                        (fn ()
                          (channel/recv %pm-sem)
                          (let ((%pm-r (try {:ok (%pm-f %pm-x)} (catch %pm-e {:err %pm-e}))))
                            (channel/send %pm-sem #t)
                            (if (contains? %pm-r :err) (throw (:err %pm-r)) (:ok %pm-r)))))
                      %pm-ps)))))))))";

/// A task per item running `(wf item)`, at most `n` at once, each giving `{:ok v}`
/// or `{:err e}`: their results in order (upstream's fan-out behind `parallel` and
/// `pipeline`; the tasks are not cancelled when one fails).
const FAN_OUT: &str = "(let ((%fo-wf %wf) (%fo-items %items) (%fo-sem (channel/new %n)))
  (let %fo-fill ((%fo-k %n))
    (when (> %fo-k 0) (channel/send %fo-sem #t) (%fo-fill (- %fo-k 1))))
  (async/all
    (let %fo-loop ((%fo-xs %fo-items) (%fo-ps '()))
      (if (null? %fo-xs)
        (reverse %fo-ps)
        (let ((%fo-x (car %fo-xs)))
          (%fo-loop (cdr %fo-xs)
            (cons (async/spawn
                    (fn ()
                      (channel/recv %fo-sem)
                      (let ((%fo-r (try {:ok (%fo-wf %fo-x)} (catch %fo-e {:err %fo-e}))))
                        (channel/send %fo-sem #t)
                        %fo-r)))
                  %fo-ps)))))))";

fn fan_out(worker: Syntax, items: Syntax, n: Syntax, span: Span) -> Result<Syntax> {
    from_template("fan-out", FAN_OUT, &["%wf", "%items", "%n"], &[worker, items, n], span)
}

/// `parallel` and `pipeline` give each result's value (nil for a failure); their
/// `-settled` forms the `{:ok v}`/`{:err e}` results themselves.
fn settled_results(name: &str, results: Syntax, span: Span) -> Result<Syntax> {
    if name.ends_with("-settled") {
        return Ok(results);
    }
    let values = "(map (fn (%pr) (if (contains? %pr :err) nil (:ok %pr))) %results)";
    from_template(name, values, &["%results"], &[results], span)
}

/// A template's text read, every form at `span`.
fn read_template(text: &str, span: Span) -> Syntax {
    let mut form = crate::reader::read_program(text).expect("a prelude template reads").remove(0);
    set_span(&mut form, span);
    form
}

/// The values of the spawned tasks' promises `%ps`, in order; on the first failure
/// the others are cancelled and it is raised again (used by the templates above).
const OWNED_ALL: &str = "(let ((%oa-ps %ps))
  (if (null? %oa-ps)
    '()
    (try (async/all %oa-ps)
      (catch %oa-e
        (let %oa-loop ((%oa-rest %oa-ps))
          (when (not (null? %oa-rest))
            (async/cancel (car %oa-rest))
            (%oa-loop (cdr %oa-rest))))
        (throw %oa-e)))))";

/// A rewrite written as Sema text: the template read, `(%owned-all ps)` replaced by
/// `OWNED_ALL`, and each placeholder symbol by the argument in its place (the call's
/// arguments, in order). Template names start with `%`, as the runtime's internal
/// builtins do: programs do not use such names.
fn from_template(name: &str, template: &str, placeholders: &[&str], args: &[Syntax], span: Span) -> Result<Syntax> {
    if args.len() != placeholders.len() {
        return error(span, format!("{name} expects {} args, got {}", placeholders.len(), args.len()));
    }
    // The template's own forms take the call's position; the arguments keep theirs.
    let mut form = read_template(template, span);
    expand_owned_all(&mut form, &read_template(OWNED_ALL, span));
    substitute(&mut form, &|symbol| placeholders.iter().position(|p| *p == symbol).map(|i| args[i].clone()));
    Ok(form)
}

/// Replaces each symbol for which `replacement` gives a form.
fn substitute(form: &mut Syntax, replacement: &dyn Fn(&str) -> Option<Syntax>) {
    match &mut form.kind {
        SyntaxKind::Symbol(symbol) => {
            if let Some(new) = replacement(symbol) {
                *form = new;
            }
        }
        SyntaxKind::List(items) | SyntaxKind::Vector(items) => items.iter_mut().for_each(|item| substitute(item, replacement)),
        SyntaxKind::Map(pairs) => pairs.iter_mut().for_each(|(k, v)| {
            substitute(k, replacement);
            substitute(v, replacement);
        }),
        _ => {}
    }
}

/// Replaces `(%owned-all ps)` by `owned_all` with `ps` in place of its `%ps`.
fn expand_owned_all(form: &mut Syntax, owned_all: &Syntax) {
    if let SyntaxKind::List(items) = &mut form.kind {
        if let [head, promises] = &mut items[..] {
            if head.as_symbol() == Some("%owned-all") {
                let promises = promises.clone();
                let mut expanded = owned_all.clone();
                substitute(&mut expanded, &|symbol| (symbol == "%ps").then(|| promises.clone()));
                *form = expanded;
                return;
            }
        }
        items.iter_mut().for_each(|item| expand_owned_all(item, owned_all));
    }
}

/// Gives every form in `form` the position `span`.
fn set_span(form: &mut Syntax, span: Span) {
    form.span = span;
    match &mut form.kind {
        SyntaxKind::List(items) | SyntaxKind::Vector(items) => items.iter_mut().for_each(|item| set_span(item, span)),
        SyntaxKind::Map(pairs) => pairs.iter_mut().for_each(|(k, v)| {
            set_span(k, span);
            set_span(v, span);
        }),
        _ => {}
    }
}

/// `(async body...)` → `(async/spawn (fn () body...))`: the body runs as a task.
fn async_body(args: &[Syntax], span: Span) -> Result<Syntax> {
    if args.is_empty() {
        return error(span, "async expects 1+ args, got 0");
    }
    let mut thunk = vec![sym("fn", span), list(Vec::new(), span)];
    thunk.extend(args.iter().cloned());
    Ok(list(vec![sym("async/spawn", span), list(thunk, span)], span))
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

/// `(quasiquote ((unquote x)))`: a one-element list built without naming `list`,
/// which the program may redefine.
fn singleton(x: Syntax, span: Span) -> Syntax {
    let unquote = list(vec![sym("unquote", span), x], span);
    list(vec![sym("quasiquote", span), list(vec![unquote], span)], span)
}

fn body_form(body: &[Syntax], span: Span) -> Syntax {
    match body {
        [one] => one.clone(),
        _ => {
            let mut form = vec![sym("begin", span)];
            form.extend(body.iter().cloned());
            list(form, span)
        }
    }
}

/// The clauses of a comprehension: `(var sequence)` bindings, the rightmost varying
/// fastest, and `(:when test)` filters applying to the bindings left of them. A var
/// is a symbol or a destructuring pattern; each binding's element is also bound to
/// `%for-N` (N counting bindings from 0). `each` is the internal builtin walking one
/// sequence; the innermost form is `inner`.
fn nest_clauses(name: &str, clauses: &Syntax, each: &str, inner: Syntax) -> Result<Syntax> {
    let Some(items) = clauses.as_list() else {
        return error(clauses.span, format!("{name}: expected a list of (var sequence) clauses"));
    };
    let mut level = binding_count(items);
    let mut form = inner;
    for clause in items.iter().rev() {
        let span = clause.span;
        form = match clause.as_list() {
            Some([head, test]) if is_when(head) => {
                list(vec![sym("if", span), test.clone(), form, Syntax::new(SyntaxKind::Nil, span)], span)
            }
            Some([var, seq]) if is_var(var) => {
                level -= 1;
                let item = sym(&format!("%for-{level}"), span);
                let bind = list(vec![sym("let", span), list(vec![list(vec![var.clone(), item.clone()], span)], span), form], span);
                let step = list(vec![sym("fn", span), list(vec![item], span), bind], span);
                let what = Syntax::new(SyntaxKind::Str(name.to_string()), span);
                list(vec![sym(each, span), step, seq.clone(), what], span)
            }
            _ => return error(span, format!("{name}: each clause must be (var sequence) or (:when test)")),
        };
    }
    Ok(form)
}

fn is_when(head: &Syntax) -> bool {
    matches!(&head.kind, SyntaxKind::Keyword(k) if k == "when")
}

fn is_var(var: &Syntax) -> bool {
    matches!(var.kind, SyntaxKind::Symbol(_) | SyntaxKind::Vector(_) | SyntaxKind::Map(_))
}

fn binding_count(clauses: &[Syntax]) -> usize {
    clauses.iter().filter(|c| matches!(c.as_list(), Some([var, _]) if is_var(var))).count()
}

/// `for/list`, `for/filter` and `for/map`: each step contributes a list of results
/// (empty when a `:when` test fails) and `%for-append` joins them in order.
fn comprehension(name: &str, args: &[Syntax], span: Span) -> Result<Syntax> {
    let Some((clauses, body)) = args.split_first() else { return error(span, format!("{name} expects clauses and a body")) };
    if body.is_empty() {
        return error(span, format!("{name}: empty body"));
    }
    let body = body_form(body, span);
    let inner = if name == "for/filter" {
        // The element kept: the bound element, or the list of them with several bindings.
        let count = binding_count(clauses.as_list().unwrap_or_default());
        let items: Vec<Syntax> = (0..count).map(|i| sym(&format!("%for-{i}"), span)).collect();
        let kept = match items.as_slice() {
            [one] => one.clone(),
            _ => singleton_list(items, span),
        };
        list(vec![sym("if", span), body, singleton(kept, span), Syntax::new(SyntaxKind::Nil, span)], span)
    } else {
        singleton(body, span)
    };
    let form = nest_clauses(name, clauses, "%for-append", inner)?;
    Ok(if name == "for/map" { list(vec![sym("%for-map", span), form], span) } else { form })
}

/// `(quasiquote ((unquote a) (unquote b) ...))`.
fn singleton_list(items: Vec<Syntax>, span: Span) -> Syntax {
    let items = items.into_iter().map(|x| list(vec![sym("unquote", span), x], span)).collect();
    list(vec![sym("quasiquote", span), list(items, span)], span)
}

/// `(for/fold ((acc init)...) (clause...) body...)`: the accumulators are locals the
/// body's value (one value per accumulator, `values` for several) is assigned to at
/// each step; the result is the final accumulator, or their `values`.
fn for_fold(args: &[Syntax], span: Span) -> Result<Syntax> {
    let [accs, clauses, body @ ..] = args else { return error(span, "for/fold expects accumulators, clauses and a body") };
    if body.is_empty() {
        return error(span, "for/fold: empty body");
    }
    let shape = || error(accs.span, "for/fold: accumulators must be ((name init) ...)");
    let Some(acc_items) = accs.as_list() else { return shape() };
    let mut names = Vec::with_capacity(acc_items.len());
    for acc in acc_items {
        match acc.as_list() {
            Some([name, _]) if name.as_symbol().is_some() => names.push(name.clone()),
            _ => return shape(),
        }
    }
    let body = body_form(body, span);
    let set = |name: &Syntax, value: Syntax| list(vec![sym("set!", span), name.clone(), value], span);
    let (step, result) = match names.as_slice() {
        [one] => (set(one, body), one.clone()),
        _ => {
            const VALUES: &str = "%for-values";
            let count = int(names.len() as i64, span);
            let form = Syntax::new(SyntaxKind::Str("for/fold".into()), span);
            let spread = list(vec![sym("%values-list", span), body, count, Syntax::new(SyntaxKind::Bool(false), span), form], span);
            let mut assign = vec![sym("let", span), list(vec![list(vec![sym(VALUES, span), spread], span)], span)];
            for (i, name) in names.iter().enumerate() {
                let item = list(vec![sym("%match-ref", span), sym(VALUES, span), int(i as i64, span)], span);
                assign.push(set(name, item));
            }
            let mut values = vec![sym("values", span)];
            values.extend(names.iter().cloned());
            (list(assign, span), list(values, span))
        }
    };
    let walk = nest_clauses("for/fold", clauses, "%for-each", step)?;
    Ok(list(vec![sym("let", span), accs.clone(), walk, result], span))
}

/// `(with-stream (var expr) body...)`: the body's value, with the stream closed after
/// it, also when the body raises (the error then goes on unchanged).
fn with_stream(name: &str, args: &[Syntax], span: Span) -> Result<Syntax> {
    let Some((spec, body)) = args.split_first() else { return error(span, format!("{name} expects (var expr) and a body")) };
    let Some([var, expr]) = spec.as_list() else { return error(spec.span, format!("{name} expects (var expr)")) };
    const RESULT: &str = "%with-result";
    const ERROR: &str = "%with-error";
    let close = list(vec![sym("stream/close", span), var.clone()], span);
    let rethrow = list(vec![sym("throw", span), sym(ERROR, span)], span);
    let catch = list(vec![sym("catch", span), sym(ERROR, span), close.clone(), rethrow], span);
    let protected = list(vec![sym("try", span), body_form_or_nil(body, span), catch], span);
    let inner = list(
        vec![sym("let", span), list(vec![list(vec![sym(RESULT, span), protected], span)], span), close, sym(RESULT, span)],
        span,
    );
    Ok(list(vec![sym("let", span), list(vec![list(vec![var.clone(), expr.clone()], span)], span), inner], span))
}

fn body_form_or_nil(body: &[Syntax], span: Span) -> Syntax {
    if body.is_empty() { Syntax::new(SyntaxKind::Nil, span) } else { body_form(body, span) }
}

/// `(message role part...)` → `(%message role (list part...))`: a chat message whose
/// text is the parts joined.
fn message(args: &[Syntax], span: Span) -> Result<Syntax> {
    let [role, parts @ ..] = args else { return error(span, "message expects 2+ args") };
    if parts.is_empty() {
        return error(span, "message expects 2+ args");
    }
    Ok(list(vec![sym("%message", span), role.clone(), singleton_list(parts.to_vec(), span)], span))
}

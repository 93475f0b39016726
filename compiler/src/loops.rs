//! Named lets as loops.
//!
//! Lowering turns `(let loop ((v init) ...) body)` into a closure `loop` over the
//! variables and a call of it, which is what the language means in general: the name
//! is a function value that can escape or be called anywhere. Most named lets only
//! ever call `loop` in tail position of its own body. This pass compiles those in
//! place instead: the variables become locals of the enclosing function, the loop
//! call stores the new values and jumps back (`NamedLoop`/`Recur`), and no closure is
//! made and no frame pushed per iteration. A loop in tail position of its function
//! returns from it; anywhere else (`(define total (let loop ...))`, an argument) its
//! body's tail positions leave the loop with its value (code generation).
//!
//! What stays the same: every iteration still binds fresh variables (a variable that
//! is captured and assigned gets a new cell at the top of each iteration, as the
//! function's entry did), inits are evaluated once in the outer scope, and
//! backward jumps pay fuel like calls. What changes: an error raised inside the loop
//! names the enclosing function in its stack trace rather than the loop.
//!
//! A named let qualifies when its name is used only as the callee of calls in tail
//! position of its body, each with exactly as many arguments as variables (no closure
//! captures the name, it is never passed as a value). An inner named let whose body
//! calls the outer loop
//! refers to it from another function (as lowered), which counts as a capture: the
//! outer loop then stays a closure.

use crate::ir::{Expr, ExprKind, FnId, Function, Program};

/// Inlines every qualifying named let of the program.
pub fn inline_named_lets(program: &mut Program) {
    // A loop function always has a higher id than the function it appears in, so an
    // inner loop's body has been moved into its host before the host's turn ends.
    for id in 0..program.functions.len() {
        let span = program.functions[id].span;
        let mut body = std::mem::replace(&mut program.functions[id].body, Expr::nil(span));
        rewrite(program, id as FnId, &mut body);
        program.functions[id].body = body;
    }
}

/// Inlines the qualifying named lets in `e`, an expression of function `host`.
fn rewrite(program: &mut Program, host: FnId, e: &mut Expr) {
    if let Some((loop_fn, args)) = qualifying_named_let(program, e) {
        let looped = inline(program, host, loop_fn, args);
        let ExprKind::Let(_, inner) = &mut e.kind else { unreachable!("matched a Let") };
        **inner = looped;
        start_with_the_inits(e);
    }
    for child in children_mut(e) {
        rewrite(program, host, child);
    }
}

/// `e` is the shape lowering gives a named let,
/// `(let (temps) (declare (loop) (seq (set-local loop (lambda f)) (call loop args))))`,
/// and `f` may be inlined: returns `f` and the call's arguments.
fn qualifying_named_let(program: &Program, e: &Expr) -> Option<(FnId, Vec<Expr>)> {
    let ExprKind::Let(_, inner) = &e.kind else { return None };
    let ExprKind::Declare(declared, seq) = &inner.kind else { return None };
    let ([loop_local], ExprKind::Seq(items)) = (&declared[..], &seq.kind) else { return None };
    let [set, call] = &items[..] else { return None };
    let ExprKind::SetLocal(set_local, lambda) = &set.kind else { return None };
    let ExprKind::Lambda(loop_fn) = lambda.kind else { return None };
    let ExprKind::Call(callee, args) = &call.kind else { return None };
    let ExprKind::Local(called) = callee.kind else { return None };
    if set_local != loop_local || called != *loop_local || program.locals[*loop_local as usize].captured {
        return None;
    }
    let function = &program.functions[loop_fn as usize];
    if function.rest.is_some() || args.len() != function.params.len() {
        return None;
    }
    only_tail_self_calls(&function.body, args.len(), true).then(|| (loop_fn, args.clone()))
}

/// Whether every reference to the running function (`SelfRef`) in `e` is the callee
/// of a call in tail position with `arity` arguments.
fn only_tail_self_calls(e: &Expr, arity: usize, tail: bool) -> bool {
    let ok = |e: &Expr, tail: bool| only_tail_self_calls(e, arity, tail);
    let all_but_last = |items: &[Expr], tail: bool| match items.split_last() {
        Some((last, rest)) => rest.iter().all(|i| ok(i, false)) && ok(last, tail),
        None => true,
    };
    match &e.kind {
        ExprKind::SelfRef => false,
        ExprKind::Call(callee, args) if matches!(callee.kind, ExprKind::SelfRef) => {
            tail && args.len() == arity && args.iter().all(|a| ok(a, false))
        }
        ExprKind::Const(_) | ExprKind::Local(_) | ExprKind::Global(_) | ExprKind::Lambda(_) => true,
        ExprKind::SetLocal(_, v) | ExprKind::SetGlobal(_, v) | ExprKind::DefineGlobal(_, v) | ExprKind::Throw(v) => {
            ok(v, false)
        }
        ExprKind::Let(bindings, body) => bindings.iter().all(|(_, init)| ok(init, false)) && ok(body, tail),
        ExprKind::Declare(_, body) => ok(body, tail),
        ExprKind::If(test, then, otherwise) => ok(test, false) && ok(then, tail) && ok(otherwise, tail),
        ExprKind::Seq(items) | ExprKind::And(items) | ExprKind::Or(items) => all_but_last(items, tail),
        ExprKind::Loop { steps, test, body, result } => {
            steps.iter().all(|(_, s)| ok(s, false)) && ok(test, false) && ok(body, false) && ok(result, tail)
        }
        ExprKind::Call(callee, args) => ok(callee, false) && args.iter().all(|a| ok(a, false)),
        ExprKind::CallGlobal(_, args)
        | ExprKind::Intrinsic(_, args)
        | ExprKind::MakeList(args)
        | ExprKind::MakeVector(args)
        | ExprKind::Recur(_, args) => args.iter().all(|a| ok(a, false)),
        ExprKind::MakeMap(pairs) => pairs.iter().all(|(k, v)| ok(k, false) && ok(v, false)),
        ExprKind::Try(body, _, handler) => ok(body, false) && ok(handler, tail),
        ExprKind::NamedLoop { inits, body, .. } => inits.iter().all(|i| ok(i, false)) && ok(body, tail),
    }
}

/// Moves loop function `loop_fn` into `host` as a `NamedLoop` started with `args`,
/// leaving an empty function in its place (its prototype is never instantiated).
fn inline(program: &mut Program, host: FnId, loop_fn: FnId, args: Vec<Expr>) -> Expr {
    let span = program.functions[loop_fn as usize].span;
    let stub = Function { name: None, params: Vec::new(), rest: None, captures: Vec::new(), body: Expr::nil(span), span };
    let function = std::mem::replace(&mut program.functions[loop_fn as usize], stub);
    for info in program.locals.iter_mut().filter(|info| info.owner == loop_fn) {
        info.owner = host;
    }
    let mut body = function.body;
    self_calls_to_recur(&mut body, loop_fn);
    // The caller goes on into the loop's body, where inner loops now belong to `host`.
    Expr::new(ExprKind::NamedLoop { id: loop_fn, vars: function.params, inits: args, body: Box::new(body) }, span)
}

/// `(let ((t init) ...) (named-loop (v ...) (t ...) body))` → `(named-loop (v ...) (init
/// ...) body)`. Lowering binds each initial value to a temporary so that the call of the
/// loop function sees them all; the inlined loop evaluates its inits in order before
/// it sets any variable, so it can take the init expressions themselves (the
/// temporaries are invisible to the program, so nothing else refers to them).
fn start_with_the_inits(e: &mut Expr) {
    let ExprKind::Let(temps, inner) = &mut e.kind else { return };
    let ExprKind::NamedLoop { inits, .. } = &mut inner.kind else { return };
    let passes_temps = inits.len() == temps.len()
        && inits.iter().zip(temps.iter()).all(|(init, (temp, _))| matches!(init.kind, ExprKind::Local(l) if l == *temp));
    if !passes_temps {
        return;
    }
    for (init, (_, value)) in inits.iter_mut().zip(temps.drain(..)) {
        *init = value;
    }
    let span = inner.span;
    *e = std::mem::replace(&mut **inner, Expr::nil(span));
}

/// Replaces the loop function's calls of itself (all in tail position) with `Recur`.
fn self_calls_to_recur(e: &mut Expr, id: FnId) {
    if let ExprKind::Call(callee, args) = &mut e.kind {
        if matches!(callee.kind, ExprKind::SelfRef) {
            e.kind = ExprKind::Recur(id, std::mem::take(args));
        }
    }
    for child in children_mut(e) {
        self_calls_to_recur(child, id);
    }
}

fn children_mut(e: &mut Expr) -> Vec<&mut Expr> {
    match &mut e.kind {
        ExprKind::Const(_) | ExprKind::Local(_) | ExprKind::SelfRef | ExprKind::Global(_) | ExprKind::Lambda(_) => Vec::new(),
        ExprKind::SetLocal(_, v) | ExprKind::SetGlobal(_, v) | ExprKind::DefineGlobal(_, v) | ExprKind::Throw(v) => vec![&mut **v],
        ExprKind::Let(bindings, body) => {
            let mut out: Vec<&mut Expr> = bindings.iter_mut().map(|(_, init)| init).collect();
            out.push(body);
            out
        }
        ExprKind::Declare(_, body) => vec![&mut **body],
        ExprKind::If(t, a, b) => vec![&mut **t, &mut **a, &mut **b],
        ExprKind::Seq(items) | ExprKind::And(items) | ExprKind::Or(items) => items.iter_mut().collect(),
        ExprKind::Loop { steps, test, body, result } => {
            let mut out: Vec<&mut Expr> = steps.iter_mut().map(|(_, s)| s).collect();
            out.extend([&mut **test, &mut **body, &mut **result]);
            out
        }
        ExprKind::Call(callee, args) => {
            let mut out = vec![&mut **callee];
            out.extend(args.iter_mut());
            out
        }
        ExprKind::CallGlobal(_, args)
        | ExprKind::Intrinsic(_, args)
        | ExprKind::MakeList(args)
        | ExprKind::MakeVector(args)
        | ExprKind::Recur(_, args) => args.iter_mut().collect(),
        ExprKind::MakeMap(pairs) => pairs.iter_mut().flat_map(|(k, v)| [k, v]).collect(),
        ExprKind::Try(body, _, handler) => vec![&mut **body, &mut **handler],
        ExprKind::NamedLoop { inits, body, .. } => {
            let mut out: Vec<&mut Expr> = inits.iter_mut().collect();
            out.push(body);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{front_end, ir_print};

    /// The IR of `source` as `--emit ir` prints it.
    fn ir(source: &str) -> String {
        ir_print::print_program(&front_end(source, "t.sema").expect("compiles"))
    }

    /// How many named lets of `source` became loops.
    fn loops(source: &str) -> usize {
        ir(source).matches("(named-loop ").count()
    }

    #[test]
    fn a_tail_named_let_with_tail_self_calls_becomes_a_loop() {
        assert_eq!(loops("(define (f n) (let loop ((i 0) (acc 0)) (if (= i n) acc (loop (+ i 1) (+ acc i)))))"), 1);
        // Nested loops are inlined one inside the other, the inner one here where its
        // value is the outer loop's next `i`.
        assert_eq!(loops("(define (f) (let a ((i 0)) (if (= i 3) i (a (let b ((j 0)) (if (= j i) (+ i 1) (b (+ j 1))))))))"), 2);
        assert_eq!(loops("(define (f n) (let a ((i 0)) (if (= i n) i (let b ((j 0)) (if (= j 3) j (b (+ j 1)))))))"), 2);
        // An inner loop that calls the outer one captures its name (lowered as a
        // function of its own at the time), so only the inner loop is inlined.
        assert_eq!(loops("(define (f) (let a ((i 0)) (if (= i 3) i (let b ((j 0)) (if (= j 3) (a (+ i 1)) (b (+ j 1)))))))"), 1);
    }

    #[test]
    fn a_named_let_whose_value_is_used_becomes_a_loop_too() {
        assert_eq!(loops("(define (f) (+ 1 (let loop ((i 0)) (if (= i 3) i (loop (+ i 1))))))"), 1);
        assert_eq!(loops("(define total (let loop ((i 0) (acc 0)) (if (= i 3) acc (loop (+ i 1) (+ acc i)))))"), 1);
    }

    #[test]
    fn an_inlined_loop_starts_from_its_init_expressions() {
        let ir = ir("(define (f xs) (let loop ((i 0) (ys xs)) (if (null? ys) i (loop (+ i 1) (cdr ys)))))");
        let body = &ir[ir.find("fn1 f").expect("f is printed")..];
        // No let of temporaries in front: the loop's inits are the constant and `xs`.
        assert!(body.lines().nth(1).is_some_and(|l| l.trim_start().starts_with("(named-loop")), "{body}");
        assert!(body.contains("(const 0)") && body.contains("(local xs#0)"), "{body}");
    }

    #[test]
    fn loops_that_escape_or_recurse_stay_closures() {
        // A non-tail self call.
        assert_eq!(loops("(define (f) (let count ((n 3)) (if (= n 0) 0 (+ 1 (count (- n 1))))))"), 0);
        // The name escapes as a value, or into a closure.
        assert_eq!(loops("(define (f) (let loop ((i 0)) (if (= i 3) loop (loop (+ i 1)))))"), 0);
        assert_eq!(loops("(define (f) (let loop ((i 0)) (if (= i 3) (fn () (loop 0)) (loop (+ i 1)))))"), 0);
        // A call with the wrong number of arguments keeps its run-time arity error.
        assert_eq!(loops("(define (f) (let loop ((i 0)) (if (= i 3) i (loop))))"), 0);
    }
}

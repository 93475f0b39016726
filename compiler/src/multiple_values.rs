//! `let-values`, `let*-values` and `define-values` (LANGUAGE.md §6.16) as rewrites to
//! destructuring `let`, `let*` and `define` (§8).
//!
//! Each init is passed through the internal `%values-list`, which spreads a `values`
//! bundle (a single value counts as one) into a list after checking that the count
//! fits the formals, so a mismatch names the form: `let-values: expected 2 values,
//! got 3`. Formals are R7RS-style: `(a b)`, `(a b . rest)` or one symbol for all.

use crate::error::{error, Result};
use crate::syntax::{Span, Syntax, SyntaxKind};

fn sym(name: &str, span: Span) -> Syntax {
    Syntax::new(SyntaxKind::Symbol(name.to_string()), span)
}

fn list(items: Vec<Syntax>, span: Span) -> Syntax {
    Syntax::new(SyntaxKind::List(items), span)
}

/// What formals bind, and the pattern that binds it from the list of values.
struct Formals {
    pattern: Syntax,
    fixed: usize,
    rest: bool,
}

fn parse_formals(formals: &Syntax, form: &str) -> Result<Formals> {
    let span = formals.span;
    if formals.as_symbol().is_some() {
        return Ok(Formals { pattern: formals.clone(), fixed: 0, rest: true });
    }
    let shape = || error(span, format!("{form}: formals must be a symbol or a list of symbols (a b . rest)"));
    let Some(items) = formals.as_list() else { return shape() };
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        match item.as_symbol() {
            Some(name) if !names.contains(&name) || name == "_" => names.push(name),
            Some(name) => return error(item.span, format!("{form}: duplicate name {name} in formals")),
            None => return shape(),
        }
    }
    let rest_at = names.iter().position(|n| matches!(*n, "." | "&"));
    if let Some(at) = rest_at {
        if at + 2 != names.len() || matches!(names[at + 1], "." | "&") {
            return error(items[at].span, format!("{form}: `.` must be followed by exactly one name"));
        }
    }
    let pattern_items = names
        .iter()
        .zip(items)
        .map(|(name, item)| if matches!(*name, "." | "&") { sym("&", item.span) } else { item.clone() })
        .collect();
    Ok(Formals {
        pattern: Syntax::new(SyntaxKind::Vector(pattern_items), span),
        fixed: rest_at.unwrap_or(names.len()),
        rest: rest_at.is_some(),
    })
}

/// `(%values-list init fixed rest? "form")`: the init's values as a list, checked.
fn values_list(init: &Syntax, formals: &Formals, form: &str) -> Syntax {
    let span = init.span;
    list(
        vec![
            sym("%values-list", span),
            init.clone(),
            Syntax::new(SyntaxKind::Int(formals.fixed as i64), span),
            Syntax::new(SyntaxKind::Bool(formals.rest), span),
            Syntax::new(SyntaxKind::Str(form.to_string()), span),
        ],
        span,
    )
}

/// `(let-values (((a b) init) ...) body...)` → `(let (([a b] (%values-list ...)) ...) body...)`;
/// `let*-values` becomes `let*` the same way.
pub fn expand_let_values(form: &str, args: &[Syntax], span: Span) -> Result<Syntax> {
    let [bindings, body @ ..] = args else { return error(span, format!("{form} expects bindings and a body")) };
    if body.is_empty() {
        return error(span, format!("{form}: empty body"));
    }
    let Some(bindings) = bindings.as_list() else {
        return error(bindings.span, format!("{form}: expected a list of (formals init) bindings"));
    };
    let mut rewritten = Vec::with_capacity(bindings.len());
    for binding in bindings {
        let Some([formals, init]) = binding.as_list() else {
            return error(binding.span, format!("{form}: each binding must be (formals init)"));
        };
        let formals = parse_formals(formals, form)?;
        let values = values_list(init, &formals, form);
        rewritten.push(list(vec![formals.pattern, values], binding.span));
    }
    let head = if form == "let*-values" { "let*" } else { "let" };
    let mut items = vec![sym(head, span), list(rewritten, span)];
    items.extend(body.iter().cloned());
    Ok(list(items, span))
}

/// `(define-values (a b) init)` → `(define [a b] (%values-list ...))`.
pub fn expand_define_values(args: &[Syntax], span: Span) -> Result<Syntax> {
    let [formals, init] = args else { return error(span, "define-values expects formals and one expression") };
    let formals = parse_formals(formals, "define-values")?;
    let values = values_list(init, &formals, "define-values");
    Ok(list(vec![sym("define", span), formals.pattern, values], span))
}

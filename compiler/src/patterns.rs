//! `match` and `match*` (LANGUAGE.md §6.15) as source rewrites.
//!
//! Each clause becomes a test of its pattern against the value that binds the
//! pattern's variables around the guard and body; a failed test (or guard) calls the
//! next clause, which is a zero-argument function bound before it, so no clause's code
//! is copied. Tests use internal builtins (`%match-...`), so a program that redefines
//! `equal?` or `get` does not change what its patterns mean.

use crate::error::{error, Result};
use crate::syntax::{Span, Syntax, SyntaxKind};

fn sym(name: &str, span: Span) -> Syntax {
    Syntax::new(SyntaxKind::Symbol(name.to_string()), span)
}

fn list(items: Vec<Syntax>, span: Span) -> Syntax {
    Syntax::new(SyntaxKind::List(items), span)
}

fn call(name: &str, args: Vec<Syntax>, span: Span) -> Syntax {
    let mut items = vec![sym(name, span)];
    items.extend(args);
    list(items, span)
}

fn quote(datum: Syntax) -> Syntax {
    let span = datum.span;
    list(vec![sym("quote", span), datum], span)
}

fn let1(name: &str, value: Syntax, body: Syntax, span: Span) -> Syntax {
    list(vec![sym("let", span), list(vec![list(vec![sym(name, span), value], span)], span), body], span)
}

/// Fresh names for the rewrite's temporaries; `%` cannot start a name a program
/// would collide with by accident.
pub struct Temps(u32);

impl Temps {
    pub fn new() -> Temps {
        Temps(0)
    }

    fn next(&mut self, what: &str) -> String {
        self.0 += 1;
        format!("%{what}{}", self.0)
    }
}

impl Default for Temps {
    fn default() -> Temps {
        Temps::new()
    }
}

/// Rewrites `(match value clause...)`; `strict` raises when nothing matches
/// (`match`), otherwise the result is nil (`match*`).
pub fn expand_match(args: &[Syntax], strict: bool, temps: &mut Temps, span: Span) -> Result<Syntax> {
    let Some((value, clauses)) = args.split_first() else { return error(span, "match expects a value") };
    let subject = temps.next("subject");
    let no_match = if strict { call("%match-fail", vec![sym(&subject, span)], span) } else { Syntax::new(SyntaxKind::Nil, span) };
    let mut chain = no_match;
    for clause in clauses.iter().rev() {
        let Some(parts) = clause.as_list().filter(|p| !p.is_empty()) else {
            return error(clause.span, "match: each clause is (pattern body...)");
        };
        let (guard, body) = match parts.get(1).and_then(Syntax::as_symbol) {
            Some("when") if parts.len() >= 3 => (Some(parts[2].clone()), &parts[3..]),
            _ => (None, &parts[1..]),
        };
        let next = temps.next("next");
        let fail = list(vec![sym(&next, clause.span)], clause.span);
        let mut body_forms = vec![sym("begin", clause.span)];
        body_forms.extend(body.iter().cloned());
        let mut success = list(body_forms, clause.span);
        if let Some(guard) = guard {
            success = list(vec![sym("if", clause.span), guard, success, fail.clone()], clause.span);
        }
        let test = compile_pattern(&parts[0], &subject, success, &fail, temps)?;
        let thunk = list(vec![sym("fn", clause.span), list(vec![], clause.span), chain], clause.span);
        chain = let1(&next, thunk, test, clause.span);
    }
    Ok(let1(&subject, value.clone(), chain, span))
}

/// Code that tests the value named `subject` against `pattern`, running `success`
/// with the pattern's variables bound, or `fail`.
fn compile_pattern(pattern: &Syntax, subject: &str, success: Syntax, fail: &Syntax, temps: &mut Temps) -> Result<Syntax> {
    let span = pattern.span;
    let subject_ref = sym(subject, span);
    let if_else = |test: Syntax, then: Syntax| list(vec![sym("if", span), test, then, fail.clone()], span);
    match &pattern.kind {
        SyntaxKind::Symbol(name) if name == "_" => Ok(success),
        SyntaxKind::Symbol(name) => Ok(let1(name, subject_ref, success, span)),
        SyntaxKind::List(items) if items.len() == 2 && items[0].as_symbol() == Some("quote") => {
            Ok(if_else(call("%match-equal?", vec![subject_ref, pattern.clone()], span), success))
        }
        SyntaxKind::Vector(items) => {
            let rest_at = items.iter().position(|p| p.as_symbol() == Some("&"));
            let fixed = &items[..rest_at.unwrap_or(items.len())];
            let rest = match rest_at {
                Some(at) if at + 2 == items.len() => Some(&items[at + 1]),
                Some(_) => return error(span, "match: `&` must be followed by exactly one pattern"),
                None => None,
            };
            // Bind from the inside out: the rest, then the elements in reverse.
            let mut inner = success;
            if let Some(rest) = rest {
                let temp = temps.next("rest");
                inner = compile_pattern(rest, &temp, inner, fail, temps)?;
                let drop = call("%match-drop", vec![sym(subject, span), int(fixed.len(), span)], span);
                inner = let1(&temp, drop, inner, span);
            }
            for (i, element) in fixed.iter().enumerate().rev() {
                let temp = temps.next("item");
                inner = compile_pattern(element, &temp, inner, fail, temps)?;
                inner = let1(&temp, call("%match-ref", vec![sym(subject, span), int(i, span)], span), inner, span);
            }
            let shape = call(
                "%match-seq?",
                vec![subject_ref, int(fixed.len(), span), Syntax::new(SyntaxKind::Bool(rest.is_some()), span)],
                span,
            );
            Ok(if_else(shape, inner))
        }
        SyntaxKind::Map(pairs) => {
            let mut keys = Vec::new();
            let mut inner = success;
            for (key, value) in pairs.iter().rev() {
                if key.kind == SyntaxKind::Keyword("keys".into()) {
                    let Some(names) = (match &value.kind {
                        SyntaxKind::Vector(names) | SyntaxKind::List(names) => Some(names),
                        _ => None,
                    }) else {
                        return error(value.span, "match: {:keys [...]} needs a vector of names");
                    };
                    for name in names.iter().rev() {
                        let Some(n) = name.as_symbol() else { return error(name.span, "match: :keys names must be symbols") };
                        let get = call("%match-get", vec![sym(subject, span), Syntax::new(SyntaxKind::Keyword(n.into()), span)], span);
                        inner = let1(n, get, inner, span);
                    }
                    continue;
                }
                keys.push(key.clone());
                let temp = temps.next("field");
                inner = compile_pattern(value, &temp, inner, fail, temps)?;
                inner = let1(&temp, call("%match-get", vec![sym(subject, span), quote(key.clone())], span), inner, span);
            }
            let has = call("%match-map?", vec![subject_ref, quote(list(keys, span))], span);
            Ok(if_else(has, inner))
        }
        SyntaxKind::List(_) => error(span, "match: list patterns are not supported; use a vector pattern [a b & rest]"),
        // Literals: numbers, strings, chars, keywords, booleans, nil.
        _ => Ok(if_else(call("%match-equal?", vec![subject_ref, pattern.clone()], span), success)),
    }
}

fn int(value: usize, span: Span) -> Syntax {
    Syntax::new(SyntaxKind::Int(value as i64), span)
}

/// Destructuring (LANGUAGE.md §8): the `(name value)` bindings, in order, that bind
/// `pattern`'s variables to the parts of `value`. A shape mismatch raises when the
/// bindings run (`destructure: expected 3 elements, got 2`).
pub fn destructure(pattern: &Syntax, value: Syntax, temps: &mut Temps, out: &mut Vec<(String, Syntax)>) -> Result<()> {
    let span = pattern.span;
    match &pattern.kind {
        SyntaxKind::Symbol(name) if name == "_" => out.push((temps.next("ignored"), value)),
        SyntaxKind::Symbol(name) => out.push((name.clone(), value)),
        SyntaxKind::Vector(items) => {
            let rest_at = items.iter().position(|p| p.as_symbol() == Some("&"));
            let fixed = &items[..rest_at.unwrap_or(items.len())];
            let rest = match rest_at {
                Some(at) if at + 2 == items.len() => Some(&items[at + 1]),
                Some(_) => return error(span, "destructure: `&` must be followed by exactly one pattern"),
                None => None,
            };
            let temp = temps.next("seq");
            let checked = call(
                "%destructure-seq",
                vec![value, int(fixed.len(), span), Syntax::new(SyntaxKind::Bool(rest.is_some()), span)],
                span,
            );
            out.push((temp.clone(), checked));
            for (i, element) in fixed.iter().enumerate() {
                destructure(element, call("%match-ref", vec![sym(&temp, span), int(i, span)], span), temps, out)?;
            }
            if let Some(rest) = rest {
                destructure(rest, call("%match-drop", vec![sym(&temp, span), int(fixed.len(), span)], span), temps, out)?;
            }
        }
        SyntaxKind::Map(pairs) => {
            let temp = temps.next("map");
            out.push((temp.clone(), call("%destructure-map", vec![value], span)));
            for (key, target) in pairs {
                if key.kind == SyntaxKind::Keyword("keys".into()) {
                    let (SyntaxKind::Vector(names) | SyntaxKind::List(names)) = &target.kind else {
                        return error(target.span, "destructure: {:keys [...]} needs a vector of names");
                    };
                    for name in names {
                        let Some(n) = name.as_symbol() else { return error(name.span, "destructure: :keys names must be symbols") };
                        let key = Syntax::new(SyntaxKind::Keyword(n.to_string()), name.span);
                        out.push((n.to_string(), call("%match-get", vec![sym(&temp, span), key], span)));
                    }
                } else if matches!(key.kind, SyntaxKind::Symbol(_)) {
                    return error(key.span, "destructure: map patterns go from key to pattern ({:k pat}), not {pat :k}");
                } else {
                    destructure(target, call("%match-get", vec![sym(&temp, span), quote(key.clone())], span), temps, out)?;
                }
            }
        }
        _ => return error(span, "destructure: a pattern is a symbol, a vector pattern or a map pattern"),
    }
    Ok(())
}

/// The variables a destructuring pattern binds, in order (`_` and `&` bind nothing).
pub fn pattern_variables(pattern: &Syntax, out: &mut Vec<String>) {
    match &pattern.kind {
        SyntaxKind::Symbol(name) if name == "_" || name == "&" => {}
        SyntaxKind::Symbol(name) if !out.contains(name) => out.push(name.clone()),
        SyntaxKind::Vector(items) => items.iter().for_each(|item| pattern_variables(item, out)),
        SyntaxKind::Map(pairs) => {
            for (key, target) in pairs {
                match (&key.kind, &target.kind) {
                    (SyntaxKind::Keyword(k), SyntaxKind::Vector(names) | SyntaxKind::List(names)) if k == "keys" => {
                        names.iter().for_each(|name| pattern_variables(name, out))
                    }
                    _ => pattern_variables(target, out),
                }
            }
        }
        _ => {}
    }
}

/// Whether a binding target is a destructuring pattern rather than a name.
pub fn is_pattern(target: &Syntax) -> bool {
    matches!(target.kind, SyntaxKind::Vector(_) | SyntaxKind::Map(_))
}

/// `(let* ((name value)...) body...)` from destructuring bindings.
pub fn let_star(bindings: Vec<(String, Syntax)>, body: &[Syntax], span: Span) -> Syntax {
    let pairs = bindings.into_iter().map(|(name, value)| list(vec![sym(&name, span), value], span)).collect();
    let mut form = vec![sym("let*", span), list(pairs, span)];
    form.extend(body.iter().cloned());
    list(form, span)
}

/// A fresh name for a temporary (a parameter or binding that gets destructured).
pub fn temp(temps: &mut Temps, what: &str) -> String {
    temps.next(what)
}

//! Warnings about globals that a whole program shows at compile time: a name used but
//! defined nowhere (a misspelt `prinltn` would otherwise compile and fail only when
//! that line runs), with the closest known name as a suggestion; and a call with the
//! wrong number of arguments of a builtin or of a function the program defines once
//! at top level.
//!
//! A program that can define globals the compiler does not see (`eval`, a module
//! loaded at run time) gets no unbound-name warnings: they could be false.

use std::collections::{HashMap, HashSet};

use crate::error::CompileError;
use crate::ir::{Expr, ExprKind, FnId, Program};
use crate::syntax::Span;

/// Globals whose use can define globals the compiler cannot see. (`load` and
/// `import` of a literal path are special forms, compiled in; these names appear
/// when they are passed as values or run at run time.)
const DEFINES_UNSEEN: &[&str] = &["eval", "load", "import", "%load-at-run-time"];

/// Letters of a misspelt name per edit allowed between it and the suggestion: none
/// for a name of one or two letters, where every short builtin would be one edit away.
const LETTERS_PER_EDIT: usize = 3;

/// Most warnings reported; past it, one more says how many were left out.
const MOST_WARNINGS: usize = 100;

/// The warnings for `program` (module comment), in source order: one per undefined
/// name (at its first use) and one per call with a wrong count.
pub fn check(program: &Program) -> Vec<CompileError> {
    let mut seen = Seen::default();
    for function in &program.functions {
        seen.walk(&function.body);
    }
    seen.uses.sort_by_key(|u| (u.span.file, u.span.line, u.span.col));
    let builtins: HashMap<&str, &sema_runtime::builtins::Builtin> = sema_runtime::builtins::all().map(|b| (b.name, b)).collect();
    let constants: HashSet<&str> = sema_runtime::builtins::constants().map(|(name, _)| name).collect();
    let known = |name: &str| seen.defined.contains_key(name) || seen.assigned.contains(name) || builtins.contains_key(name) || constants.contains(name);
    let dynamic = seen.uses.iter().any(|u| DEFINES_UNSEEN.contains(&u.name.as_str()));
    let mut uses_of_unknown: HashMap<&str, usize> = HashMap::new();
    for used in seen.uses.iter().filter(|u| !known(&u.name)) {
        *uses_of_unknown.entry(&used.name).or_default() += 1;
    }
    let mut warnings = Vec::new();
    let mut left_out = 0;
    for used in &seen.uses {
        if !known(&used.name) {
            // Reported once, at the first use.
            let Some(uses) = uses_of_unknown.remove(used.name.as_str()).filter(|_| !dynamic) else { continue };
            if warnings.len() == MOST_WARNINGS {
                left_out += 1;
                continue;
            }
            let names = seen.defined.keys().map(String::as_str).chain(builtins.keys().copied()).chain(constants.iter().copied());
            let hint = closest(&used.name, names).map(|name| format!("did you mean `{name}`?"));
            let others = match uses - 1 {
                0 => String::new(),
                more => format!(" (and {more} more {})", if more == 1 { "use" } else { "uses" }),
            };
            let message = format!("`{}` is not defined anywhere in the program{others}", shown(&used.name));
            let warning = CompileError::new(used.span, message);
            warnings.push(match hint {
                Some(hint) => warning.with_help(hint),
                None => warning,
            });
            continue;
        }
        // `eval` may define the function again with another arity.
        let Some(argc) = used.argc.filter(|_| !dynamic) else { continue };
        let arity = match seen.defined.get(&used.name) {
            // Defined once, never assigned: the function every call reaches.
            Some(Definitions::Once(Some(function))) if !seen.assigned.contains(&used.name) => {
                let f = &program.functions[*function as usize];
                Some((f.params.len(), f.rest.is_none().then_some(f.params.len())))
            }
            Some(_) => None,
            None if seen.assigned.contains(&used.name) => None,
            None => builtins.get(used.name.as_str()).map(|b| (b.min as usize, b.max.map(usize::from))),
        };
        if let Some((min, max)) = arity {
            if argc < min || max.is_some_and(|max| argc > max) {
                if warnings.len() == MOST_WARNINGS {
                    left_out += 1;
                    continue;
                }
                let expected = match max {
                    Some(max) if max == min => count(min, "argument"),
                    Some(max) => format!("{min} to {max} arguments"),
                    None => format!("at least {}", count(min, "argument")),
                };
                let message = format!("`{}` takes {expected}, but this call passes {argc}", shown(&used.name));
                warnings.push(CompileError::new(used.span, message));
            }
        }
    }
    if left_out > 0 {
        // About the program, not a place in it.
        let nowhere = Span { line: 0, col: 0, file: 0 };
        warnings.push(CompileError::new(nowhere, format!("{left_out} more warnings like these not shown")));
    }
    warnings
}

/// A global's name as the program wrote it: a module's private names are
/// `name@N` inside the compiler (lower.rs).
fn shown(name: &str) -> &str {
    name.split('@').next().unwrap_or(name)
}

/// `n` and the noun, plural unless `n` is 1.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Longest name a suggestion is looked for: the distance costs the product of two
/// names' lengths, and a hostile source's names may be a megabyte long.
const MOST_SUGGESTED_LEN: usize = 64;

/// The name in `names` nearest to `misspelt`, if one is near enough. Module-private
/// names (`name@N`) are never suggested.
fn closest<'a>(misspelt: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let len = misspelt.chars().count();
    let most = len / LETTERS_PER_EDIT;
    if most == 0 || len > MOST_SUGGESTED_LEN {
        return None;
    }
    names
        // A length that differs by more than `most` is more than `most` edits away.
        .filter(|name| name.len().abs_diff(misspelt.len()) <= most * 4 && name.chars().count().abs_diff(len) <= most)
        .filter(|name| !name.contains('@'))
        .map(|name| (strsim::osa_distance(misspelt, name), name))
        .filter(|&(distance, _)| distance <= most)
        .min()
        .map(|(_, name)| name)
}

/// How a global is defined: once (with the function, when its value is a lambda), or
/// more than once.
enum Definitions {
    Once(Option<FnId>),
    Many,
}

/// One use of a global: read, or called with `argc` arguments.
struct Use {
    name: String,
    span: Span,
    argc: Option<usize>,
}

#[derive(Default)]
struct Seen {
    defined: HashMap<String, Definitions>,
    assigned: HashSet<String>,
    uses: Vec<Use>,
}

impl Seen {
    fn walk(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Global(name) => self.uses.push(Use { name: name.clone(), span: e.span, argc: None }),
            ExprKind::CallGlobal(name, args) => self.uses.push(Use { name: name.clone(), span: e.span, argc: Some(args.len()) }),
            ExprKind::DefineGlobal(name, value) => {
                let function = match value.kind {
                    ExprKind::Lambda(id) => Some(id),
                    _ => None,
                };
                self.defined
                    .entry(name.clone())
                    .and_modify(|d| *d = Definitions::Many)
                    .or_insert(Definitions::Once(function));
            }
            ExprKind::SetGlobal(name, _) => {
                self.assigned.insert(name.clone());
            }
            _ => {}
        }
        for child in e.children() {
            self.walk(child);
        }
    }
}

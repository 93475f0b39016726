//! `define-syntax` / `syntax-rules` (LANGUAGE.md §6.19): R7RS pattern macros,
//! expanded at compile time by matching and rewriting syntax (no evaluator needed).
//!
//! A transformer is checked once, where it is defined: patterns (literals, `_`,
//! `...` after a subpattern, at most one per list level, a `. rest` tail, nested
//! lists and vectors) and templates (every `...` must follow a subtemplate holding
//! a pattern variable that repeats that deep, and every pattern variable must be
//! used under at least as many `...` as in its pattern). Expansion tries the rules in
//! order. Nested ellipses work at any depth; `(... ...)` escapes an ellipsis.
//!
//! Hygiene is binder renaming: a symbol the template itself introduces in a binding
//! position (the names of `let`/`let*`/`letrec`/`letrec*`/named `let`, the
//! parameters of `fn`/`lambda`, the names of `define` and its aliases, `do`
//! variables) is renamed to a fresh symbol throughout that expansion, so it can
//! neither capture nor be captured by the user's variables. Every other template
//! symbol (globals, builtins, special forms) is kept as written.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::error::{error, Result};
use crate::lower::quote_literal;
use crate::syntax::{Span, Syntax, SyntaxKind};

/// A checked `syntax-rules` transformer.
pub struct SyntaxRules {
    name: String,
    /// The ellipsis symbol (`...` unless given); `None` when it is also a literal.
    ellipsis: Option<String>,
    literals: Vec<String>,
    rules: Vec<Rule>,
}

struct Rule {
    /// The pattern's elements after the macro keyword.
    pattern: Vec<Syntax>,
    template: Syntax,
    /// The symbols the template binds, renamed in each expansion (sorted, so fresh
    /// names are given in a fixed order).
    binders: Vec<String>,
}

/// What a pattern variable matched: one form, or one binding per repetition.
/// Shared, so the bindings of each repetition are cheap to make.
#[derive(Clone)]
enum Binding {
    One(Rc<Syntax>),
    Many(Rc<Vec<Binding>>),
}

type Bindings = HashMap<String, Binding>;

const SHAPE: &str = "define-syntax: the transformer must be (syntax-rules (literal...) (pattern template)...)";

impl SyntaxRules {
    /// Checks `(syntax-rules [ellipsis] (literal...) (pattern template)...)`.
    pub fn parse(name: &str, spec: &Syntax) -> Result<SyntaxRules> {
        let Some([head, rest @ ..]) = spec.as_list() else { return error(spec.span, SHAPE) };
        if head.as_symbol() != Some("syntax-rules") {
            return error(spec.span, SHAPE);
        }
        let (ellipsis, rest) = match rest {
            [custom, rest @ ..] if custom.as_symbol().is_some() => (custom.as_symbol().unwrap_or("..."), rest),
            _ => ("...", rest),
        };
        let Some((literals, rules)) = rest.split_first() else { return error(spec.span, SHAPE) };
        let Some(literal_items) = literals.as_list() else {
            return error(literals.span, "syntax-rules: expected a list of literal symbols");
        };
        let mut names = Vec::with_capacity(literal_items.len());
        for literal in literal_items {
            match literal.as_symbol() {
                Some(name) => names.push(name.to_string()),
                None => return error(literal.span, "syntax-rules: literals must be symbols"),
            }
        }
        let ellipsis = (!names.iter().any(|n| n == ellipsis)).then(|| ellipsis.to_string());
        let mut transformer = SyntaxRules { name: name.to_string(), ellipsis, literals: names, rules: Vec::new() };
        for rule in rules {
            let parsed = transformer.parse_rule(rule)?;
            transformer.rules.push(parsed);
        }
        Ok(transformer)
    }

    fn parse_rule(&self, rule: &Syntax) -> Result<Rule> {
        let Some([pattern, template]) = rule.as_list() else {
            return error(rule.span, "syntax-rules: each rule must be (pattern template)");
        };
        let Some([_keyword, pattern @ ..]) = pattern.as_list() else {
            return error(pattern.span, "syntax-rules: a pattern must be a list starting with the macro keyword");
        };
        let mut depths = HashMap::new();
        self.check_sequence(pattern, 0, &mut depths)?;
        self.check_template(template, 0, &depths, false)?;
        let mut binders = HashSet::new();
        self.collect_binders(template, &depths, &mut binders);
        let mut binders: Vec<String> = binders.into_iter().collect();
        binders.sort();
        Ok(Rule { pattern: pattern.to_vec(), template: template.clone(), binders })
    }

    fn is_ellipsis(&self, form: &Syntax) -> bool {
        matches!((&self.ellipsis, form.as_symbol()), (Some(e), Some(s)) if e == s)
    }

    /// Whether a pattern symbol binds (is not `_`, a literal or the ellipsis).
    fn is_variable(&self, name: &str) -> bool {
        name != "_" && !self.literals.iter().any(|l| l == name) && self.ellipsis.as_deref() != Some(name)
    }

    // ---- checking patterns ----

    fn check_pattern(&self, pattern: &Syntax, depth: usize, depths: &mut HashMap<String, usize>) -> Result<()> {
        match &pattern.kind {
            SyntaxKind::Symbol(name) if self.is_ellipsis(pattern) => {
                error(pattern.span, format!("syntax-rules: {name} must follow a subpattern"))
            }
            SyntaxKind::Symbol(name) if self.is_variable(name) => {
                if depths.insert(name.clone(), depth).is_some() {
                    return error(pattern.span, format!("syntax-rules: pattern variable {name} appears twice"));
                }
                Ok(())
            }
            SyntaxKind::List(items) | SyntaxKind::Vector(items) => {
                self.check_sequence(items, depth, depths)
            }
            _ => Ok(()),
        }
    }

    fn check_sequence(&self, items: &[Syntax], depth: usize, depths: &mut HashMap<String, usize>) -> Result<()> {
        let layout = self.layout(items)?;
        for (i, item) in items.iter().enumerate() {
            if Some(i) == layout.ellipsis || Some(i) == layout.dot {
                continue;
            }
            let repeated = layout.ellipsis == Some(i + 1);
            self.check_pattern(item, if repeated { depth + 1 } else { depth }, depths)?;
        }
        Ok(())
    }

    /// Where a pattern list's ellipsis and `.` are, checked.
    fn layout(&self, items: &[Syntax]) -> Result<Layout> {
        let mut layout = Layout { ellipsis: None, dot: None };
        for (i, item) in items.iter().enumerate() {
            if self.is_ellipsis(item) {
                if i == 0 || layout.dot.is_some() {
                    return error(item.span, "syntax-rules: ... must follow a subpattern");
                }
                if layout.ellipsis.is_some() {
                    return error(item.span, "syntax-rules: only one ... is allowed in a pattern list");
                }
                layout.ellipsis = Some(i);
            } else if item.as_symbol() == Some(".") {
                if i + 2 != items.len() {
                    return error(item.span, "syntax-rules: `.` must be followed by exactly one pattern");
                }
                layout.dot = Some(i);
            }
        }
        Ok(layout)
    }

    // ---- checking templates ----

    /// `depth` is how many ellipses the template is under; `escaped` inside `(... t)`.
    fn check_template(&self, template: &Syntax, depth: usize, depths: &HashMap<String, usize>, escaped: bool) -> Result<()> {
        match &template.kind {
            SyntaxKind::Symbol(name) => match depths.get(name) {
                Some(&needed) if depth < needed => error(
                    template.span,
                    format!("syntax-rules: pattern variable {name} must be followed by {needed} ... in the template"),
                ),
                _ => Ok(()),
            },
            SyntaxKind::List(items) if !escaped && items.len() == 2 && self.is_ellipsis(&items[0]) => {
                self.check_template(&items[1], depth, depths, true)
            }
            SyntaxKind::List(items) | SyntaxKind::Vector(items) => {
                let mut i = 0;
                while i < items.len() {
                    let item = &items[i];
                    if !escaped && self.is_ellipsis(item) {
                        return error(item.span, "syntax-rules: ... must follow a subtemplate");
                    }
                    let mut count = 0;
                    while !escaped && items.get(i + 1 + count).is_some_and(|e| self.is_ellipsis(e)) {
                        count += 1;
                    }
                    for level in 0..count {
                        if !self.repeats_deeper(item, depth + level, depths) {
                            return error(
                                item.span,
                                "syntax-rules: ... follows a subtemplate with no pattern variable that repeats here",
                            );
                        }
                    }
                    self.check_template(item, depth + count, depths, escaped)?;
                    i += 1 + count;
                }
                Ok(())
            }
            SyntaxKind::Map(pairs) => {
                pairs.iter().try_for_each(|(k, v)| {
                    self.check_template(k, depth, depths, escaped)?;
                    self.check_template(v, depth, depths, escaped)
                })
            }
            _ => Ok(()),
        }
    }

    /// Whether `template` uses a pattern variable bound under more than `depth` ellipses.
    fn repeats_deeper(&self, template: &Syntax, depth: usize, depths: &HashMap<String, usize>) -> bool {
        match &template.kind {
            SyntaxKind::Symbol(name) => depths.get(name).is_some_and(|&d| d > depth),
            SyntaxKind::List(items) | SyntaxKind::Vector(items) => {
                items.iter().any(|i| self.repeats_deeper(i, depth, depths))
            }
            SyntaxKind::Map(pairs) => {
                pairs.iter().any(|(k, v)| self.repeats_deeper(k, depth, depths) || self.repeats_deeper(v, depth, depths))
            }
            _ => false,
        }
    }

    // ---- expansion ----

    /// Expands a use `(name args...)` at `span`; `fresh` makes a new symbol name
    /// from a template binder's name.
    pub fn expand(&self, args: &[Syntax], span: Span, fresh: &mut dyn FnMut(&str) -> String) -> Result<Syntax> {
        for rule in &self.rules {
            let mut bindings = Bindings::new();
            if self.match_sequence(&rule.pattern, args, &mut bindings) {
                let renames: HashMap<String, String> =
                    rule.binders.iter().map(|b| (b.clone(), fresh(b))).collect();
                let expander = Expander { rules: self, renames: &renames, span };
                return expander.instantiate(&rule.template, &bindings, false);
            }
        }
        let mut form = vec![Syntax::new(SyntaxKind::Symbol(self.name.clone()), span)];
        form.extend(args.iter().cloned());
        let shown = crate::macros::to_value(&Syntax::new(SyntaxKind::List(form), span));
        error(
            span,
            format!("no syntax-rules pattern of {} matches {}", self.name, sema_runtime::printer::repr(&shown)),
        )
    }

    fn match_pattern(&self, pattern: &Syntax, form: &Syntax, bindings: &mut Bindings) -> bool {
        match (&pattern.kind, &form.kind) {
            (SyntaxKind::Symbol(name), _) if name == "_" => true,
            (SyntaxKind::Symbol(name), _) if self.is_variable(name) => {
                bindings.insert(name.clone(), Binding::One(Rc::new(form.clone())));
                true
            }
            (SyntaxKind::Symbol(name), _) => form.as_symbol() == Some(name),
            (SyntaxKind::List(items), SyntaxKind::List(forms)) => self.match_sequence(items, forms, bindings),
            (SyntaxKind::Vector(items), SyntaxKind::Vector(forms)) => self.match_sequence(items, forms, bindings),
            (SyntaxKind::List(_) | SyntaxKind::Vector(_), _) => false,
            _ => quote_literal(pattern) == quote_literal(form),
        }
    }

    /// Matches a (checked) pattern list against forms.
    fn match_sequence(&self, items: &[Syntax], forms: &[Syntax], bindings: &mut Bindings) -> bool {
        let Ok(layout) = self.layout(items) else { return false };
        let (fixed, tail) = match layout.dot {
            Some(d) => (&items[..d], items.get(d + 1)),
            None => (items, None),
        };
        let Some(e) = layout.ellipsis else {
            if forms.len() < fixed.len() || (tail.is_none() && forms.len() != fixed.len()) {
                return false;
            }
            let matched = fixed.iter().zip(forms).all(|(p, f)| self.match_pattern(p, f, bindings));
            return matched && tail.is_none_or(|t| self.match_rest(t, &forms[fixed.len()..], bindings));
        };
        let (before, repeated, after) = (&fixed[..e - 1], &fixed[e - 1], &fixed[e + 1..]);
        if forms.len() < before.len() + after.len() {
            return false;
        }
        let middle_end = forms.len() - after.len();
        if !before.iter().zip(forms).all(|(p, f)| self.match_pattern(p, f, bindings)) {
            return false;
        }
        let mut variables = Vec::new();
        self.pattern_variables(repeated, &mut variables);
        let mut runs: Vec<Vec<Binding>> = vec![Vec::new(); variables.len()];
        for form in &forms[before.len()..middle_end] {
            let mut one = Bindings::new();
            if !self.match_pattern(repeated, form, &mut one) {
                return false;
            }
            for (run, name) in runs.iter_mut().zip(&variables) {
                run.push(one.remove(name).unwrap_or(Binding::Many(Rc::new(Vec::new()))));
            }
        }
        for (name, run) in variables.into_iter().zip(runs) {
            bindings.insert(name, Binding::Many(Rc::new(run)));
        }
        let matched = after.iter().zip(&forms[middle_end..]).all(|(p, f)| self.match_pattern(p, f, bindings));
        matched && tail.is_none_or(|t| self.match_rest(t, &[], bindings))
    }

    /// A `. tail` pattern matches the remaining forms as a list.
    fn match_rest(&self, tail: &Syntax, forms: &[Syntax], bindings: &mut Bindings) -> bool {
        let span = forms.first().map(|f| f.span).unwrap_or(tail.span);
        self.match_pattern(tail, &Syntax::new(SyntaxKind::List(forms.to_vec()), span), bindings)
    }

    fn pattern_variables(&self, pattern: &Syntax, out: &mut Vec<String>) {
        match &pattern.kind {
            SyntaxKind::Symbol(name) if self.is_variable(name) && name != "." => out.push(name.clone()),
            SyntaxKind::List(items) | SyntaxKind::Vector(items) => {
                items.iter().for_each(|i| self.pattern_variables(i, out))
            }
            _ => {}
        }
    }

    // ---- hygiene ----

    /// The symbols `template` introduces in binding positions (see the module doc).
    fn collect_binders(&self, template: &Syntax, depths: &HashMap<String, usize>, out: &mut HashSet<String>) {
        let items = match &template.kind {
            SyntaxKind::List(items) => items,
            SyntaxKind::Vector(items) => {
                items.iter().for_each(|i| self.collect_binders(i, depths, out));
                return;
            }
            _ => return,
        };
        let mut note = |form: &Syntax| self.note_binders(form, depths, out);
        match (items.first().and_then(Syntax::as_symbol), items.get(1)) {
            (Some("let" | "let*" | "letrec" | "letrec*"), Some(second)) => {
                let bindings = if second.as_symbol().is_some() {
                    note(second);
                    items.get(2)
                } else {
                    Some(second)
                };
                if let Some(SyntaxKind::List(pairs) | SyntaxKind::Vector(pairs)) = bindings.map(|b| &b.kind) {
                    for pair in pairs {
                        if let Some(first) = pair.as_list().and_then(<[Syntax]>::first) {
                            note(first);
                        }
                    }
                }
            }
            (Some("fn" | "lambda" | "define" | "def"), Some(second)) => note(second),
            (Some("defun" | "defn"), Some(second)) => {
                note(second);
                if let Some(params) = items.get(2) {
                    note(params);
                }
            }
            (Some("do"), Some(specs)) => {
                for spec in specs.as_list().unwrap_or_default() {
                    if let Some(first) = spec.as_list().and_then(<[Syntax]>::first) {
                        note(first);
                    }
                }
            }
            _ => {}
        }
        items.iter().for_each(|i| self.collect_binders(i, depths, out));
    }

    /// Every template symbol in a binding target (a name, a parameter list, a
    /// destructuring pattern), except pattern variables and structural markers.
    fn note_binders(&self, target: &Syntax, depths: &HashMap<String, usize>, out: &mut HashSet<String>) {
        match &target.kind {
            SyntaxKind::Symbol(name) => {
                let marker = matches!(name.as_str(), "." | "&" | "_") || self.is_ellipsis(target);
                if !marker && !depths.contains_key(name) {
                    out.insert(name.clone());
                }
            }
            SyntaxKind::List(items) | SyntaxKind::Vector(items) => {
                items.iter().for_each(|i| self.note_binders(i, depths, out))
            }
            SyntaxKind::Map(pairs) => pairs.iter().for_each(|(_, v)| self.note_binders(v, depths, out)),
            _ => {}
        }
    }
}

struct Layout {
    ellipsis: Option<usize>,
    dot: Option<usize>,
}

/// One expansion: the renamed binders and the use site's span for new syntax.
struct Expander<'a> {
    rules: &'a SyntaxRules,
    renames: &'a HashMap<String, String>,
    span: Span,
}

impl Expander<'_> {
    fn instantiate(&self, template: &Syntax, bindings: &Bindings, escaped: bool) -> Result<Syntax> {
        let kind = match &template.kind {
            SyntaxKind::Symbol(name) => match bindings.get(name) {
                Some(Binding::One(form)) => return Ok((**form).clone()),
                Some(Binding::Many(_)) => {
                    return error(self.span, format!("syntax-rules: pattern variable {name} is used without ..."))
                }
                None => SyntaxKind::Symbol(self.renames.get(name).cloned().unwrap_or_else(|| name.clone())),
            },
            SyntaxKind::List(items) if !escaped && items.len() == 2 && self.rules.is_ellipsis(&items[0]) => {
                return self.instantiate(&items[1], bindings, true);
            }
            SyntaxKind::List(items) => SyntaxKind::List(self.instantiate_sequence(items, bindings, escaped)?),
            SyntaxKind::Vector(items) => SyntaxKind::Vector(self.instantiate_sequence(items, bindings, escaped)?),
            SyntaxKind::Map(pairs) => SyntaxKind::Map(
                pairs
                    .iter()
                    .map(|(k, v)| Ok((self.instantiate(k, bindings, escaped)?, self.instantiate(v, bindings, escaped)?)))
                    .collect::<Result<_>>()?,
            ),
            other => other.clone(),
        };
        Ok(Syntax::new(kind, self.span))
    }

    fn instantiate_sequence(&self, items: &[Syntax], bindings: &Bindings, escaped: bool) -> Result<Vec<Syntax>> {
        let mut out = Vec::with_capacity(items.len());
        let mut i = 0;
        while i < items.len() {
            let mut count = 0;
            while !escaped && items.get(i + 1 + count).is_some_and(|e| self.rules.is_ellipsis(e)) {
                count += 1;
            }
            if count == 0 {
                out.push(self.instantiate(&items[i], bindings, escaped)?);
            } else {
                self.repeat(&items[i], bindings, count, &mut out)?;
            }
            i += 1 + count;
        }
        Ok(out)
    }

    /// `sub` followed by `levels` ellipses: one instance per repetition of the
    /// pattern variables in `sub` that still repeat, flattened `levels` deep.
    fn repeat(&self, sub: &Syntax, bindings: &Bindings, levels: usize, out: &mut Vec<Syntax>) -> Result<()> {
        let mut names = Vec::new();
        self.repeating_variables(sub, bindings, &mut names);
        let mut count = None;
        for name in &names {
            let Some(Binding::Many(runs)) = bindings.get(name) else { continue };
            match count {
                None => count = Some(runs.len()),
                Some(n) if n != runs.len() => {
                    return error(
                        self.span,
                        format!("syntax-rules: pattern variables under one ... matched different numbers of forms ({} vs {})", n, runs.len()),
                    )
                }
                Some(_) => {}
            }
        }
        let Some(count) = count else {
            return error(self.span, "syntax-rules: ... follows a subtemplate with no pattern variable that repeats here");
        };
        for index in 0..count {
            let mut inner = bindings.clone();
            for name in &names {
                if let Some(Binding::Many(runs)) = bindings.get(name) {
                    inner.insert(name.clone(), runs[index].clone());
                }
            }
            if levels == 1 {
                out.push(self.instantiate(sub, &inner, false)?);
            } else {
                self.repeat(sub, &inner, levels - 1, out)?;
            }
        }
        Ok(())
    }

    fn repeating_variables(&self, template: &Syntax, bindings: &Bindings, out: &mut Vec<String>) {
        match &template.kind {
            SyntaxKind::Symbol(name) if matches!(bindings.get(name), Some(Binding::Many(_))) && !out.contains(name) => {
                out.push(name.clone())
            }
            SyntaxKind::List(items) | SyntaxKind::Vector(items) => {
                items.iter().for_each(|i| self.repeating_variables(i, bindings, out))
            }
            SyntaxKind::Map(pairs) => pairs.iter().for_each(|(k, v)| {
                self.repeating_variables(k, bindings, out);
                self.repeating_variables(v, bindings, out);
            }),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::read_first;

    fn read(text: &str) -> Syntax {
        read_first(text).expect("reads").expect("one form")
    }

    /// Defines `name` from `spec` and expands `use_` (a whole call form); binders are
    /// renamed to `NAME%`.
    fn expand(spec: &str, use_: &str) -> String {
        let form = read(use_);
        let items = form.as_list().expect("a call");
        let name = items[0].as_symbol().expect("a name");
        let result = SyntaxRules::parse(name, &read(spec))
            .and_then(|rules| rules.expand(&items[1..], form.span, &mut |b| format!("{b}%")));
        match result {
            Ok(syntax) => sema_runtime::printer::repr(&crate::macros::to_value(&syntax)),
            Err(e) => format!("ERR {}", e.message),
        }
    }

    #[test]
    fn binders_the_template_introduces_are_renamed_and_nothing_else() {
        let swap = "(syntax-rules () ((_ a b) (let ((tmp a)) (set! a b) (set! b tmp))))";
        assert_eq!(expand(swap, "(swap! tmp y)"), "(let ((tmp% tmp)) (set! tmp y) (set! y tmp%))");
        let lambda = "(syntax-rules () ((_ e) (fn (x . rest) (list x e))))";
        assert_eq!(expand(lambda, "(m x)"), "(fn (x% . rest%) (list x% x))");
        let named_let = "(syntax-rules () ((_ n) (let loop ((i 0)) (if (< i n) (loop (+ i 1)) i))))";
        assert_eq!(expand(named_let, "(m 3)"), "(let loop% ((i% 0)) (if (< i% 3) (loop% (+ i% 1)) i%))");
    }

    #[test]
    fn ellipses_match_and_repeat_at_any_depth() {
        let nested = "(syntax-rules () ((_ (h i ...) ...) '((h ...) (i ... ...) ((h i ...) ...))))";
        assert_eq!(expand(nested, "(m (a 1 2) (b))"), "(quote ((a b) (1 2) ((a 1 2) (b))))");
        let middle = "(syntax-rules () ((_ a ... z) '(z a ...)))";
        assert_eq!(expand(middle, "(m 1 2 3)"), "(quote (3 1 2))");
        assert_eq!(expand(middle, "(m)"), "ERR no syntax-rules pattern of m matches (m)");
        let custom = "(syntax-rules etc () ((_ x etc) (list x etc '...)))";
        assert_eq!(expand(custom, "(m 1 2)"), "(list 1 2 (quote ...))");
    }

    #[test]
    fn literals_and_data_match_exactly() {
        let spec = "(syntax-rules (=>) ((_ a => b) (b a)) ((_ 1 x) 'one) ((_ \"s\" x) 'string))";
        assert_eq!(expand(spec, "(m 5 => f)"), "(f 5)");
        assert_eq!(expand(spec, "(m 1 2)"), "(quote one)");
        assert_eq!(expand(spec, "(m \"s\" 2)"), "(quote string)");
        assert_eq!(expand(spec, "(m 5 -> f)"), "ERR no syntax-rules pattern of m matches (m 5 -> f)");
    }

    #[test]
    fn malformed_transformers_are_errors() {
        let parse = |spec: &str| SyntaxRules::parse("m", &read(spec)).err().map(|e| e.message).unwrap_or_default();
        assert_eq!(parse("(syntax-rules () ((_ x x) x))"), "syntax-rules: pattern variable x appears twice");
        assert_eq!(parse("(syntax-rules () ((_ a ... b ...) a))"), "syntax-rules: only one ... is allowed in a pattern list");
        assert_eq!(
            parse("(syntax-rules () ((_ a) (a ...)))"),
            "syntax-rules: ... follows a subtemplate with no pattern variable that repeats here"
        );
        assert_eq!(parse("(syntax-rules () ((_ (a ...)) a))"), "syntax-rules: pattern variable a must be followed by 1 ... in the template");
        assert_eq!(parse("(syntax-rules () ((_ a . b c) a))"), "syntax-rules: `.` must be followed by exactly one pattern");
        assert_eq!(parse("(syntax-rules (1) ((_ a) a))"), "syntax-rules: literals must be symbols");
        assert_eq!(parse("(er-macro-transformer f)"), SHAPE);
    }
}

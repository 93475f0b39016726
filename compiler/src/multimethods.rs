//! `defmulti` and `defmethod` (LANGUAGE.md §6.18) as rewrites to calls of the
//! runtime's multimethod builtins (runtime/src/builtins/multimethods.rs).

use crate::error::{error, Result};
use crate::syntax::{Span, Syntax, SyntaxKind};

fn sym(name: &str, span: Span) -> Syntax {
    Syntax::new(SyntaxKind::Symbol(name.to_string()), span)
}

fn list(items: Vec<Syntax>, span: Span) -> Syntax {
    Syntax::new(SyntaxKind::List(items), span)
}

/// `(defmulti name dispatch-fn)` → `(define name (%make-multimethod 'name dispatch-fn))`.
pub fn expand_defmulti(args: &[Syntax], span: Span) -> Result<Syntax> {
    let [name, dispatch] = args else { return error(span, "defmulti expects a name and a dispatch function") };
    if name.as_symbol().is_none() {
        return error(name.span, "defmulti: expected a symbol");
    }
    let quoted = list(vec![sym("quote", name.span), name.clone()], name.span);
    let make = list(vec![sym("%make-multimethod", span), quoted, dispatch.clone()], span);
    Ok(list(vec![sym("define", span), name.clone(), make], span))
}

/// `(defmethod name dispatch-value handler-fn)` → `(%defmethod name dispatch-value
/// handler-fn)`; all three are evaluated (a keyword or literal dispatch value
/// evaluates to itself).
pub fn expand_defmethod(args: &[Syntax], span: Span) -> Result<Syntax> {
    let [name, value, handler] = args else {
        return error(span, "defmethod expects a multimethod name, a dispatch value and a handler function");
    };
    Ok(list(vec![sym("%defmethod", span), name.clone(), value.clone(), handler.clone()], span))
}

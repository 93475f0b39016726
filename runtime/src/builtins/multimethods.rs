//! Multimethods (LANGUAGE.md §6.18): what `defmulti` and `defmethod` compile to, and
//! the dispatch the VM performs when one is called.

use std::cell::RefCell;
use std::rc::Rc;

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::printer::repr;
use crate::value::{Multimethod, SortedMap, Value};
use crate::vm::Vm;

pub static BUILTINS: &[Builtin] = &[
    // (%make-multimethod 'name dispatch-fn)
    pure("%make-multimethod", 2, Some(2), make_multimethod),
    // (%defmethod multimethod dispatch-value handler)
    pure("%defmethod", 3, Some(3), defmethod),
];

fn make_multimethod(args: &[Value]) -> Result<Value> {
    let Value::Symbol(name) = args[0] else { return Err(Error::type_error("symbol", &args[0])) };
    let methods = RefCell::new(SortedMap::new());
    Ok(Value::Multimethod(Rc::new(Multimethod { name, dispatch: args[1].clone(), methods })))
}

/// Registers (or replaces) the handler for one dispatch value; the value is nil.
fn defmethod(args: &[Value]) -> Result<Value> {
    let Value::Multimethod(m) = &args[0] else { return Err(Error::type_error("multimethod", &args[0])) };
    m.methods.borrow_mut().insert(args[1].clone(), args[2].clone());
    Ok(Value::Nil)
}

/// What a call of `callee` with `args` runs: `callee` itself, or for a multimethod
/// the handler its dispatch value selects (followed through handlers that are
/// multimethods themselves, so the result is never one).
pub fn resolve(vm: &mut Vm, callee: Value, args: &[Value]) -> Result<Value> {
    let mut callee = callee;
    while let Value::Multimethod(m) = &callee {
        let dispatch_value = vm.call(&m.dispatch, args)?;
        let methods = m.methods.borrow();
        let handler = methods.get(&dispatch_value).or_else(|| methods.get(&Value::keyword("default")));
        let Some(handler) = handler.cloned() else {
            let name = m.name.name();
            return Err(Error::eval(format!(
                "no method in multimethod '{name}' for dispatch value: {}",
                repr(&dispatch_value)
            )));
        };
        drop(methods);
        callee = handler;
    }
    Ok(callee)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::hof::tests::vm;

    fn native(name: &str) -> Value {
        Value::Native(crate::builtins::find(name).unwrap())
    }

    fn resolved(vm: &mut Vm, callee: &Value, args: &[Value]) -> String {
        match resolve(vm, callee.clone(), args) {
            Ok(v) => repr(&v),
            Err(e) => e.report(),
        }
    }

    #[test]
    fn dispatch_picks_the_equal_handler_then_the_default() {
        let mut vm = vm();
        let m = make_multimethod(&[Value::symbol("kind"), native("type")]).unwrap();
        assert_eq!(repr(&m), "<multimethod kind>");
        defmethod(&[m.clone(), Value::keyword("int"), native("abs")]).unwrap();
        assert_eq!(resolved(&mut vm, &m, &[Value::Int(-2)]), "<native-fn abs>");
        assert_eq!(
            resolved(&mut vm, &m, &[Value::str("x")]),
            "Eval error: no method in multimethod 'kind' for dispatch value: :string"
        );
        defmethod(&[m.clone(), Value::keyword("default"), native("list")]).unwrap();
        assert_eq!(resolved(&mut vm, &m, &[Value::str("x")]), "<native-fn list>");
        // A later defmethod for the same value replaces the handler.
        defmethod(&[m.clone(), Value::keyword("int"), native("vector")]).unwrap();
        assert_eq!(resolved(&mut vm, &m, &[Value::Int(1)]), "<native-fn vector>");
    }

    #[test]
    fn a_handler_that_is_a_multimethod_is_followed() {
        let mut vm = vm();
        let inner = make_multimethod(&[Value::symbol("inner"), native("length")]).unwrap();
        defmethod(&[inner.clone(), Value::Int(1), native("first")]).unwrap();
        let outer = make_multimethod(&[Value::symbol("outer"), native("type")]).unwrap();
        defmethod(&[outer.clone(), Value::keyword("list"), inner]).unwrap();
        assert_eq!(resolved(&mut vm, &outer, &[Value::list(vec![Value::Int(5)])]), "<native-fn first>");
        assert_eq!(resolved(&mut vm, &native("car"), &[]), "<native-fn car>");
    }

    #[test]
    fn misuse_is_a_type_error() {
        assert!(make_multimethod(&[Value::Int(1), native("type")]).is_err());
        let report = defmethod(&[Value::Int(1), Value::Nil, Value::Nil]).err().map(|e| e.report());
        assert_eq!(report.as_deref(), Some("Type error: expected multimethod, got int"));
    }
}

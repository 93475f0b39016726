//! R7RS parameters (LANGUAGE.md §6.14): what the prelude macros `make-parameter` and
//! `parameterize` compile to.
//!
//! A parameter is a closure the compiler builds around a state record:
//! `(fn (. args) (%parameter-ref state args))`. Called with no arguments it returns
//! the current value. `parameterize` reaches the state by calling the closure with
//! the `%parameter-ref` builtin itself as the only argument, a value no program
//! passes by accident. It sets the new values, runs the body as a thunk and restores
//! the old values whether the body returns or raises (§11.5).

use std::cell::RefCell;
use std::rc::Rc;

use super::{pure, with_vm, Builtin};
use crate::error::{Error, Result};
use crate::interner::Sym;
use crate::printer::repr;
use crate::value::{Record, Value};
use crate::vm::Vm;

pub static BUILTINS: &[Builtin] = &[
    // (%make-parameter init [converter]) → the state record.
    with_vm("%make-parameter", 1, Some(2), make_parameter),
    // (%parameter-ref state args): the body of every parameter closure.
    pure("%parameter-ref", 2, Some(2), parameter_ref),
    // (%parameterize p1 v1 p2 v2 ... thunk).
    with_vm("%parameterize", 1, None, parameterize),
];

/// The record type of a parameter's state: fields `[cell, converter-or-nil]`, the
/// cell a one-element mutable array holding the current value.
const PARAMETER: &str = "%parameter%";

fn make_parameter(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let converter = args.get(1).cloned().unwrap_or(Value::Nil);
    let value = convert(vm, &converter, args[0].clone())?;
    let cell = Value::MutableArray(Rc::new(RefCell::new(vec![value])));
    let state = Record { type_name: Sym::intern(PARAMETER), fields: Box::new([cell, converter]) };
    Ok(Value::Record(Rc::new(state)))
}

fn convert(vm: &mut Vm, converter: &Value, value: Value) -> Result<Value> {
    match converter {
        Value::Nil => Ok(value),
        f => vm.call(f, &[value]),
    }
}

/// The state's value cell and converter, if `v` is a parameter state.
fn state_parts(v: &Value) -> Option<(&RefCell<Vec<Value>>, &Value)> {
    let Value::Record(record) = v else { return None };
    if !record.type_name.with_name(|name| name == PARAMETER) {
        return None;
    }
    match &record.fields[..] {
        [Value::MutableArray(cell), converter] => Some((cell, converter)),
        _ => None,
    }
}

/// The builtin `parameterize` passes to a parameter to get its state.
const STATE_KEY: &str = "%parameter-ref";

fn state_key() -> Value {
    Value::Native(BUILTINS.iter().find(|b| b.name == STATE_KEY).expect("%parameter-ref is in BUILTINS"))
}

/// Puts `value` in the cell and returns what was there.
fn swap_cell(cell: &RefCell<Vec<Value>>, value: Value) -> Value {
    let mut slots = cell.borrow_mut();
    match slots.first_mut() {
        Some(slot) => std::mem::replace(slot, value),
        None => {
            slots.push(value);
            Value::Nil
        }
    }
}

fn parameter_ref(args: &[Value]) -> Result<Value> {
    let Some((cell, _)) = state_parts(&args[0]) else { return Err(Error::type_error("parameter", &args[0])) };
    let Value::List(call_args) = &args[1] else { return Err(Error::type_error("list", &args[1])) };
    match call_args.len() {
        0 => Ok(cell.borrow().first().cloned().unwrap_or(Value::Nil)),
        1 if matches!(call_args.first(), Some(Value::Native(b)) if b.name == STATE_KEY) => Ok(args[0].clone()),
        n => Err(Error::arity("parameter", "0", n)),
    }
}

/// The state of parameter `p`; an error naming `p` when it is not a parameter.
fn state_of(vm: &mut Vm, p: &Value) -> Result<Value> {
    let not_parameter = || Error::eval(format!("parameterize: not a parameter: {}", repr(p)));
    if !matches!(p, Value::Closure(_)) {
        return Err(not_parameter());
    }
    match vm.call(p, &[state_key()]) {
        Ok(state) if state_parts(&state).is_some() => Ok(state),
        Err(err) if !err.catchable() => Err(err),
        _ => Err(not_parameter()),
    }
}

fn parameterize(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let (thunk, pairs) = args.split_last().expect("arity is at least 1");
    if pairs.len() % 2 != 0 {
        return Err(Error::eval("parameterize: expected parameter/value pairs"));
    }
    // Every state and converted value first: a failure here changes nothing.
    let mut bound = Vec::with_capacity(pairs.len() / 2);
    for pair in pairs.chunks(2) {
        let state = state_of(vm, &pair[0])?;
        let converter = state_parts(&state).map(|(_, c)| c.clone()).unwrap_or(Value::Nil);
        let value = convert(vm, &converter, pair[1].clone())?;
        bound.push((state, value));
    }
    let mut saved = Vec::with_capacity(bound.len());
    for (state, value) in &bound {
        let (cell, _) = state_parts(state).expect("checked by state_of");
        saved.push(swap_cell(cell, value.clone()));
    }
    let result = vm.call(thunk, &[]);
    for ((state, _), old) in bound.iter().zip(saved).rev() {
        let (cell, _) = state_parts(state).expect("checked by state_of");
        swap_cell(cell, old);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::hof::tests::vm;

    fn native(name: &str) -> Value {
        Value::Native(crate::builtins::find(name).unwrap())
    }

    fn reference(state: &Value, args: Vec<Value>) -> String {
        match parameter_ref(&[state.clone(), Value::list(args)]) {
            Ok(v) => repr(&v),
            Err(e) => e.report(),
        }
    }

    #[test]
    fn state_holds_the_converted_value() {
        let mut vm = vm();
        let plain = make_parameter(&mut vm, &[Value::Int(-3)]).unwrap();
        assert_eq!(reference(&plain, vec![]), "-3");
        let converted = make_parameter(&mut vm, &[Value::Int(-3), native("abs")]).unwrap();
        assert_eq!(reference(&converted, vec![]), "3");
        assert!(make_parameter(&mut vm, &[Value::Int(1), Value::Int(2)]).is_err());
    }

    #[test]
    fn the_key_reaches_the_state_and_other_arguments_are_an_arity_error() {
        let mut vm = vm();
        let state = make_parameter(&mut vm, &[Value::Int(1)]).unwrap();
        assert_eq!(reference(&state, vec![state_key()]), repr(&state));
        assert_eq!(reference(&state, vec![Value::Int(5)]), "Arity error: parameter expects 0 args, got 1");
        assert_eq!(reference(&Value::Int(1), vec![]), "Type error: expected parameter, got int");
    }

    #[test]
    fn parameterize_refuses_what_is_not_a_parameter() {
        let mut vm = vm();
        let report = |r: Result<Value>| r.err().map(|e| e.report()).unwrap_or_default();
        let err = report(parameterize(&mut vm, &[native("car"), Value::Int(1), native("list")]));
        assert_eq!(err, "Eval error: parameterize: not a parameter: <native-fn car>");
        let err = report(parameterize(&mut vm, &[native("car"), native("list")]));
        assert_eq!(err, "Eval error: parameterize: expected parameter/value pairs");
        // No parameters: just the body.
        assert_eq!(repr(&parameterize(&mut vm, &[native("list")]).unwrap()), "()");
    }

    #[test]
    fn swapping_an_emptied_cell_does_not_panic() {
        let cell = RefCell::new(Vec::new());
        assert_eq!(repr(&swap_cell(&cell, Value::Int(1))), "nil");
        assert_eq!(repr(&swap_cell(&cell, Value::Int(2))), "1");
    }
}

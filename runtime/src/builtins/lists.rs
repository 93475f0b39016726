//! Lists and sequences (LANGUAGE.md §9, §12.1).



use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::list::List;
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("list", 0, None, |a| Ok(Value::List(List::from_iter_exact(a.iter().cloned())))),
    pure("cons", 2, Some(2), |a| Ok(cons2(a[0].clone(), a[1].clone()))),
    pure("car", 1, Some(1), |a| car1(&a[0])),
    pure("first", 1, Some(1), |a| car1(&a[0])).alias_of("car"),
    pure("cdr", 1, Some(1), |a| cdr1(&a[0])),
    pure("rest", 1, Some(1), |a| cdr1(&a[0])).alias_of("cdr"),
    pure("nth", 2, Some(2), |a| nth2(&a[0], &a[1])),
    pure("null?", 1, Some(1), |a| Ok(Value::Bool(is_null(&a[0])))),
    pure("pair?", 1, Some(1), |a| Ok(Value::Bool(matches!(&a[0], Value::List(l) if !l.is_empty())))),
    pure("list?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::List(_))))),
    pure("nil?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::Nil)))),
    pure("not", 1, Some(1), |a| Ok(Value::Bool(!a[0].truthy()))),
    pure("equal?", 2, Some(2), |a| Ok(Value::Bool(a[0] == a[1]))),
    pure("eq?", 2, Some(2), |a| Ok(Value::Bool(a[0] == a[1]))),
];

fn is_null(v: &Value) -> bool {
    match v {
        Value::Nil => true,
        Value::List(l) => l.is_empty(),
        _ => false,
    }
}

/// `car`/`first`: the first element of a list or vector; nil when empty.
pub fn car1(v: &Value) -> Result<Value> {
    match v {
        Value::List(l) => Ok(l.first().cloned().unwrap_or(Value::Nil)),
        Value::Vector(items) => Ok(items.first().cloned().unwrap_or(Value::Nil)),
        other => Err(Error::type_error("list or vector", other)),
    }
}

/// `cdr`/`rest`: all but the first element; a vector stays a vector.
pub fn cdr1(v: &Value) -> Result<Value> {
    match v {
        Value::List(l) => Ok(Value::List(l.rest())),
        Value::Vector(items) => Ok(Value::vector(items.iter().skip(1).cloned().collect())),
        other => Err(Error::type_error("list or vector", other)),
    }
}

/// `cons`: a new list; a non-list tail becomes the last element (`(cons 1 2)` → `(1 2)`).
pub fn cons2(head: Value, tail: Value) -> Value {
    match tail {
        Value::List(l) => Value::List(List::cons(head, l)),
        Value::Nil => Value::List(List::cons(head, List::EMPTY)),
        other => Value::List(List::cons(head, List::cons(other, List::EMPTY))),
    }
}

/// `nth` on a list, vector or mutable array.
pub fn nth2(seq: &Value, index: &Value) -> Result<Value> {
    let i = match index {
        Value::Int(i) if *i < 0 => return Err(Error::eval(format!("nth: index must be non-negative, got {i}"))),
        Value::Int(i) => *i as usize,
        other => return Err(Error::type_error("int", other)),
    };
    let (item, len) = match seq {
        Value::List(l) => (l.get(i).cloned(), l.len()),
        Value::Vector(v) => (v.get(i).cloned(), v.len()),
        Value::MutableArray(a) => {
            let a = a.borrow();
            (a.get(i).cloned(), a.len())
        }
        other => return Err(Error::type_error("list, vector, or mutable-array", other)),
    };
    item.ok_or_else(|| Error::eval(format!("index {i} out of bounds (length {len})")))
}

/// The elements of a list, vector or mutable array, for functions that accept any
/// sequence. `what` names the caller in the type error.
pub fn seq_items(v: &Value, what: &str) -> Result<Vec<Value>> {
    match v {
        Value::List(l) => Ok(l.to_vec()),
        Value::Vector(items) => Ok((**items).clone()),
        Value::MutableArray(a) => Ok(a.borrow().clone()),
        other => Err(Error::type_error_named(
            "list, vector, or mutable-array",
            &format!("{} in {what}", other.type_name()),
        )),
    }
}


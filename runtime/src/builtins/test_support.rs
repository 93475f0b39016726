//! Helpers shared by the builtins' unit tests.

use crate::builtins::{find, NativeFn};
use crate::printer::repr;
use crate::value::Value;

/// Calls a builtin that needs no VM; the result's repr, or `ERR <report>`.
pub fn call(name: &str, args: &[Value]) -> String {
    crate::builtins::install_batteries();
    let builtin = find(name).unwrap_or_else(|| panic!("no builtin {name}"));
    let result = builtin.check_arity(args.len()).and_then(|_| match builtin.func {
        NativeFn::Pure(f) => f(args),
        NativeFn::Owned(f) => f(&mut args.to_vec()),
        NativeFn::Vm(_) => panic!("{name} needs a VM"),
    });
    match result {
        Ok(v) => repr(&v),
        Err(e) => format!("ERR {}", e.report()),
    }
}

pub fn int(i: i64) -> Value {
    Value::Int(i)
}

pub fn ints(xs: &[i64]) -> Value {
    Value::list(xs.iter().map(|x| Value::Int(*x)).collect())
}

pub fn vector(xs: &[i64]) -> Value {
    Value::vector(xs.iter().map(|x| Value::Int(*x)).collect())
}

pub fn kw(name: &str) -> Value {
    Value::keyword(name)
}

pub fn s(text: &str) -> Value {
    Value::str(text)
}

pub fn sym(name: &str) -> Value {
    Value::symbol(name)
}

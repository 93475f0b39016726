//! Meta builtins: `gensym` (LANGUAGE.md §6.13) and the record operations that
//! `define-record-type` (§6.11) expands to.

use std::cell::Cell;

use super::{pure, with_vm, Builtin};
use crate::error::{Error, Result};
use crate::value::{Record, Value};

pub static BUILTINS: &[Builtin] = &[
    with_vm("eval", 1, Some(1), |vm, a| vm.eval(&a[0])),
    with_vm("read", 1, Some(1), |vm, a| match &a[0] {
        Value::Str(text) => vm.read(text),
        other => Err(Error::type_error("string", other)),
    }),
    with_vm("read-many", 1, Some(1), |vm, a| match &a[0] {
        Value::Str(text) => vm.read_many(text),
        other => Err(Error::type_error("string", other)),
    }),
    with_vm("io/read-many", 1, Some(1), |vm, a| match &a[0] {
        Value::Str(text) => vm.read_many(text),
        other => Err(Error::type_error("string", other)),
    }),
    // `(macroexpand 'form)` is expanded by the compiler; this is for computed forms.
    with_vm("macroexpand", 1, Some(1), |vm, a| vm.macroexpand(&a[0])),
    pure("gensym", 0, Some(1), gensym),
    // What the compiler calls for auto-gensym (`foo#`), whatever `gensym` is bound to.
    pure("%gensym", 0, Some(1), gensym),
    pure("record?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::Record(_))))),
    // What define-record-type expands to: (%make-record 'type field...),
    // (%record-of? 'type v), (%record-get 'type index v).
    pure("%make-record", 1, None, make_record),
    pure("%record-of?", 2, Some(2), |a| Ok(Value::Bool(record_of(&a[0], &a[1]).is_some()))),
    pure("%record-get", 3, Some(3), record_get),
    // What match patterns compile to (LANGUAGE.md §6.15; compiler/src/patterns.rs).
    // Literal patterns match by structural equality (`equal?`): 0.0 does not match 0.
    pure("%match-equal?", 2, Some(2), |a| Ok(Value::Bool(a[0] == a[1]))),
    pure("%match-seq?", 3, Some(3), match_seq),
    pure("%match-ref", 2, Some(2), |a| match_items(&a[0]).and_then(|items| match &a[1] {
        Value::Int(i) => Ok(items.get(*i as usize).cloned().unwrap_or(Value::Nil)),
        other => Err(Error::type_error("int", other)),
    })),
    pure("%match-drop", 2, Some(2), |a| match_items(&a[0]).map(|items| match &a[1] {
        Value::Int(i) => Value::list(items.into_iter().skip(*i as usize).collect()),
        _ => Value::list(Vec::new()),
    })),
    pure("%match-map?", 2, Some(2), |a| {
        let keys = match &a[1] {
            Value::List(keys) => keys.to_vec(),
            _ => Vec::new(),
        };
        Ok(Value::Bool(match &a[0] {
            Value::Map(m) => keys.iter().all(|k| m.contains_key(k)),
            Value::HashMap(m) => keys.iter().all(|k| m.contains_key(k)),
            _ => false,
        }))
    }),
    pure("%match-get", 2, Some(2), |a| match &a[0] {
        Value::Map(_) | Value::HashMap(_) => crate::vm::map_get(&a[0], &a[1]),
        _ => Ok(Value::Nil),
    }),
    // What destructuring (§8) compiles to: shape checks that raise the spec's errors.
    pure("%destructure-seq", 3, Some(3), destructure_seq),
    pure("%destructure-map", 1, Some(1), |a| match &a[0] {
        Value::Map(_) | Value::HashMap(_) | Value::Nil => Ok(a[0].clone()),
        other => Err(Error::type_error("map or hashmap", other)),
    }),
    pure("%match-fail", 1, Some(1), |a| {
        Err(Error::eval(format!("match: no clause matched value: {}", crate::printer::repr(&a[0]))))
    }),
    // What a load/import of a file outside the bundle compiles to (LANGUAGE.md §10).
    with_vm("%load-at-run-time", 1, Some(2), |vm, a| {
        let import_names = a.get(1).map(Value::expect_seq).transpose()?;
        vm.load_at_run_time(a[0].expect_str()?, import_names)
    }),
];

/// The elements of a list or vector a sequence pattern looks into.
fn match_items(v: &Value) -> Result<Vec<Value>> {
    match v {
        Value::List(items) => Ok(items.to_vec()),
        Value::Vector(items) => Ok((**items).clone()),
        other => Err(Error::type_error("list or vector", other)),
    }
}

/// `(%match-seq? v n rest?)`: a list or vector of exactly n elements (at least n
/// with a rest pattern).
fn match_seq(args: &[Value]) -> Result<Value> {
    let len = match &args[0] {
        Value::List(items) => items.len(),
        Value::Vector(items) => items.len(),
        _ => return Ok(Value::Bool(false)),
    };
    let Value::Int(n) = args[1] else { return Err(Error::type_error("int", &args[1])) };
    let n = n.max(0) as usize;
    Ok(Value::Bool(if args[2].truthy() { len >= n } else { len == n }))
}

/// `(%destructure-seq v n rest?)`: v itself when it is a list or vector of n
/// elements (at least n with a rest pattern).
fn destructure_seq(args: &[Value]) -> Result<Value> {
    let len = match &args[0] {
        Value::List(items) => items.len(),
        Value::Vector(items) => items.len(),
        other => return Err(Error::type_error("list or vector", other)),
    };
    let Value::Int(n) = args[1] else { return Err(Error::type_error("int", &args[1])) };
    let n = n.max(0) as usize;
    let rest = args[2].truthy();
    if (rest && len < n) || (!rest && len != n) {
        let at_least = if rest { "at least " } else { "" };
        return Err(Error::eval(format!("destructure: expected {at_least}{n} elements, got {len}")));
    }
    Ok(args[0].clone())
}

fn type_symbol(v: &Value) -> Result<crate::interner::Sym> {
    match v {
        Value::Symbol(s) => Ok(*s),
        other => Err(Error::type_error("symbol", other)),
    }
}

fn make_record(args: &[Value]) -> Result<Value> {
    let type_name = type_symbol(&args[0])?;
    let fields = args[1..].to_vec().into_boxed_slice();
    Ok(Value::Record(std::rc::Rc::new(Record { type_name, fields })))
}

fn record_of<'a>(type_name: &Value, v: &'a Value) -> Option<&'a Record> {
    match (type_name, v) {
        (Value::Symbol(t), Value::Record(r)) if r.type_name == *t => Some(r),
        _ => None,
    }
}

/// A field of a record of the given type; `expected TYPE, got T` otherwise.
fn record_get(args: &[Value]) -> Result<Value> {
    let type_name = type_symbol(&args[0])?;
    let Some(record) = record_of(&args[0], &args[2]) else {
        return Err(type_name.with_name(|name| Error::type_error(name, &args[2])));
    };
    match &args[1] {
        Value::Int(i) => record.fields.get(*i as usize).cloned().ok_or_else(|| Error::eval("record field out of range")),
        other => Err(Error::type_error("int", other)),
    }
}

thread_local! {
    /// One counter for the process, shared with auto-gensym (`foo#`).
    static NEXT_GENSYM: Cell<u64> = const { Cell::new(0) };
}

/// A fresh symbol `PREFIX__N` (`g__N` without a prefix).
fn gensym(args: &[Value]) -> Result<Value> {
    let prefix = match args.first() {
        None => "g".to_string(),
        Some(Value::Str(s)) => s.to_string(),
        Some(Value::Symbol(s)) => s.name(),
        Some(other) => return Err(Error::type_error("string", other)),
    };
    Ok(Value::symbol(&fresh_name(&prefix)))
}

/// `PREFIX__N` with the next N of the counter `gensym` uses (the compiler names the
/// binders `syntax-rules` renames with it too).
pub fn fresh_name(prefix: &str) -> String {
    let n = NEXT_GENSYM.with(|next| {
        let n = next.get();
        next.set(n + 1);
        n
    });
    format!("{prefix}__{n}")
}

//! Sequences, association lists, maps, hashmaps and bytevectors (LANGUAGE.md §9,
//! §12.1, §12.3, §12.4, §12.7, §12.11). The functions that call back into Sema are
//! in `hof.rs`.
//!
//! Map updaters (`assoc`, `dissoc`, `hashmap/assoc`, `assoc-in`, `merge`) are
//! `Owned` builtins: they take their arguments by value and update a map whose only
//! reference is the argument in place (`Rc::make_mut`), copying it otherwise.

// Values are map keys by design; the interior mutability clippy sees is in
// reference types (mutable arrays, cells, promises) that compare by identity.
#![allow(clippy::mutable_key_type)]

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use super::lists::{car1, cdr1, seq_items};
use super::{owned, pure, Builtin};
use crate::error::{Error, Result};
use crate::list::List;
use crate::num;
use crate::value::{HashMap, SortedMap, Value};

pub static BUILTINS: &[Builtin] = &[
    // §12.1 lists and sequences
    pure("length", 1, Some(1), |a| length(&a[0])),
    pure("count", 1, Some(1), |a| count(&a[0])),
    pure("empty?", 1, Some(1), |a| empty(&a[0])),
    pure("append", 0, None, append),
    pure("reverse", 1, Some(1), |a| reverse(&a[0])),
    pure("last", 1, Some(1), |a| last(&a[0])),
    pure("range", 1, Some(3), range),
    pure("iota", 1, Some(3), iota),
    pure("take", 2, Some(2), |a| take(&a[0], &a[1])),
    pure("drop", 2, Some(2), |a| drop_n(&a[0], &a[1])),
    pure("list/take-last", 2, Some(2), |a| take_last(&a[0], &a[1])),
    pure("list/drop-last", 2, Some(2), |a| drop_last(&a[0], &a[1])),
    pure("list->vector", 1, Some(1), |a| list_to_vector(&a[0])),
    pure("vector->list", 1, Some(1), |a| vector_to_list(&a[0])),
    // Owned: the arguments move into the vector instead of being cloned.
    owned("vector", 0, None, |a| Ok(Value::vector(a.iter_mut().map(std::mem::take).collect()))),
    pure("vector?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::Vector(_))))),
    pure("map?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::Map(_))))),
    pure("hash-map?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::Map(_))))).alias_of("map?"),
    pure("promise?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::Promise(_))))),
    pure("caar", 1, Some(1), |a| car1(&car1(&a[0])?)).alias_of("car"),
    pure("cadr", 1, Some(1), |a| match &a[0] {
        // The second element directly, without building the rest of the list.
        Value::List(l) if !l.is_empty() => Ok(l.get(1).cloned().unwrap_or(Value::Nil)),
        other => car1(&cdr1(other)?),
    })
    .alias_of("cdr"),
    pure("cdar", 1, Some(1), |a| cdr1(&car1(&a[0])?)).alias_of("car"),
    pure("cddr", 1, Some(1), |a| cdr1(&cdr1(&a[0])?)).alias_of("cdr"),
    pure("caaar", 1, Some(1), |a| car1(&car1(&car1(&a[0])?)?)).alias_of("car"),
    pure("caadr", 1, Some(1), |a| car1(&car1(&cdr1(&a[0])?)?)).alias_of("cdr"),
    pure("cadar", 1, Some(1), |a| car1(&cdr1(&car1(&a[0])?)?)).alias_of("car"),
    pure("caddr", 1, Some(1), |a| car1(&cdr1(&cdr1(&a[0])?)?)),
    pure("cdaar", 1, Some(1), |a| cdr1(&car1(&car1(&a[0])?)?)).alias_of("car"),
    pure("cdadr", 1, Some(1), |a| cdr1(&car1(&cdr1(&a[0])?)?)).alias_of("cdr"),
    pure("cddar", 1, Some(1), |a| cdr1(&cdr1(&car1(&a[0])?)?)).alias_of("car"),
    pure("cdddr", 1, Some(1), |a| cdr1(&cdr1(&cdr1(&a[0])?)?)).alias_of("cdr"),
    pure("member", 2, Some(2), |a| member(&a[0], &a[1])),
    pure("list/index-of", 2, Some(2), |a| index_of(&a[0], &a[1])),
    pure("list/contains?", 2, Some(2), |a| {
        Ok(Value::Bool(seq_items(&a[0], "list/contains?")?.iter().any(|x| *x == a[1])))
    }),
    pure("list/nth-or", 3, Some(3), |a| {
        let items = seq_items(&a[0], "list/nth-or")?;
        let i = index_arg(&a[1], "list/nth-or")?;
        Ok(items.get(i).cloned().unwrap_or_else(|| a[2].clone()))
    }),
    pure("flatten", 1, Some(1), |a| flatten(&a[0])),
    pure("flatten-deep", 1, Some(1), |a| {
        let mut out = Vec::new();
        flatten_deep(&a[0], &mut out);
        Ok(Value::list(out))
    }),
    pure("zip", 2, None, zip),
    pure("list/interleave", 2, None, interleave),
    pure("interpose", 2, Some(2), |a| interpose(&a[0], &a[1])),
    pure("frequencies", 1, Some(1), |a| frequencies(&a[0])),
    pure("enumerate", 1, Some(1), |a| {
        let items = seq_items(&a[0], "enumerate")?;
        let pairs = items.into_iter().enumerate().map(|(i, x)| Value::list(vec![Value::Int(i as i64), x]));
        Ok(Value::list(pairs.collect()))
    }),
    pure("make-list", 2, Some(2), |a| repeat(&a[0], &a[1])).alias_of("list/repeat"),
    pure("list/repeat", 2, Some(2), |a| repeat(&a[0], &a[1])),
    pure("list/sum", 1, Some(1), |a| list_sum(&a[0])),
    pure("list/avg", 1, Some(1), |a| list_avg(&a[0])),
    pure("list/min", 1, Some(1), |a| list_extreme(&a[0], "list/min", std::cmp::Ordering::Less)),
    pure("list/max", 1, Some(1), |a| list_extreme(&a[0], "list/max", std::cmp::Ordering::Greater)),
    pure("list/median", 1, Some(1), |a| list_median(&a[0])),
    pure("list/mode", 1, Some(1), |a| list_mode(&a[0])),
    pure("list/unique", 1, Some(1), |a| list_unique(&a[0])),
    pure("list/dedupe", 1, Some(1), |a| list_dedupe(&a[0])),
    pure("list/duplicates", 1, Some(1), |a| list_duplicates(&a[0])),
    pure("list/chunk", 2, Some(2), |a| list_chunk(&a[0], &a[1])),
    pure("list/sliding", 2, Some(3), list_sliding),
    pure("list/split-at", 2, Some(2), |a| list_split_at(&a[0], &a[1])),
    pure("list/cross-join", 2, Some(2), |a| cross_join(&a[0], &a[1])),
    pure("list/diff", 2, Some(2), |a| set_filter(&a[0], &a[1], "list/diff", false)),
    pure("list/intersect", 2, Some(2), |a| set_filter(&a[0], &a[1], "list/intersect", true)),
    pure("list/pad", 3, Some(3), |a| {
        let mut items = seq_items(&a[0], "list/pad")?;
        let n = index_arg(&a[1], "list/pad")?;
        if items.len() < n {
            items.resize(n, a[2].clone());
        }
        Ok(Value::list(items))
    }),
    pure("list/page", 3, Some(3), list_page),
    pure("list/pluck", 2, Some(2), |a| {
        let items = seq_items(&a[1], "list/pluck")?;
        let plucked = items.iter().map(|m| match m {
            Value::Map(m) => m.get(&a[0]).cloned().unwrap_or(Value::Nil),
            Value::HashMap(m) => m.get(&a[0]).cloned().unwrap_or(Value::Nil),
            _ => Value::Nil,
        });
        Ok(Value::list(plucked.collect()))
    }),
    pure("list/join", 2, Some(3), list_join),
    // §12.3 association lists
    owned("assoc", 0, None, assoc),
    pure("assq", 2, Some(2), |a| alist_lookup(&a[0], &a[1], "assq")),
    pure("assv", 2, Some(2), |a| alist_lookup(&a[0], &a[1], "assv")),
    // §12.4 maps and hashmaps
    pure("get", 2, Some(3), |a| get(&a[0], &a[1], a.get(2))),
    pure("hash-ref", 2, Some(3), |a| get(&a[0], &a[1], a.get(2))).alias_of("get"),
    owned("dissoc", 2, None, dissoc),
    pure("keys", 1, Some(1), |a| keys(&a[0])),
    pure("vals", 1, Some(1), |a| vals(&a[0])),
    pure("contains?", 2, Some(2), |a| contains(&a[0], &a[1])),
    owned("merge", 0, None, merge),
    pure("deep-merge", 0, None, deep_merge),
    pure("map/deep-merge", 0, None, deep_merge),
    pure("map/new", 0, None, |a| sorted_map_from_pairs(a, "hash-map")),
    pure("hash-map", 0, None, |a| sorted_map_from_pairs(a, "hash-map")),
    pure("map/entries", 1, Some(1), |a| map_entries(&a[0])),
    pure("map/from-entries", 1, Some(1), |a| map_from_entries(&a[0])),
    pure("map/select-keys", 2, Some(2), |a| select_keys(&a[0], &a[1])),
    pure("map/except", 2, Some(2), |a| map_except(&a[0], &a[1])),
    pure("map/get-in", 2, Some(3), |a| get_in(&a[0], &a[1], a.get(2))).alias_of("get-in"),
    pure("get-in", 2, Some(3), |a| get_in(&a[0], &a[1], a.get(2))),
    owned("map/assoc-in", 3, Some(3), assoc_in).alias_of("assoc-in"),
    owned("assoc-in", 3, Some(3), assoc_in),
    pure("map/sort-keys", 1, Some(1), |a| match &a[0] {
        Value::Map(_) => Ok(a[0].clone()),
        Value::HashMap(m) => Ok(Value::Map(Rc::new(m.entries().collect()))),
        other => Err(Error::type_error("map or hashmap", other)),
    }),
    pure("map/zip", 2, Some(2), |a| map_zip(&a[0], &a[1])),
    pure("hashmap/new", 0, None, hashmap_new),
    pure("hashmap/to-map", 1, Some(1), |a| match &a[0] {
        Value::HashMap(m) => Ok(Value::Map(Rc::new(m.entries().collect()))),
        other => Err(Error::type_error("hashmap", other)),
    }),
    pure("hashmap/get", 2, Some(3), |a| match &a[0] {
        Value::Map(_) | Value::HashMap(_) => get(&a[0], &a[1], a.get(2)),
        other => Err(Error::type_error("hashmap", other)),
    }),
    owned("hashmap/assoc", 0, None, hashmap_assoc),
    pure("hashmap/contains?", 2, Some(2), |a| match &a[0] {
        Value::HashMap(m) => Ok(Value::Bool(m.contains_key(&a[1]))),
        other => Err(Error::type_error("hashmap", other)),
    }),
    pure("hashmap/keys", 1, Some(1), |a| match &a[0] {
        Value::HashMap(m) => Ok(Value::list(m.keys().collect())),
        other => Err(Error::type_error("hashmap", other)),
    }),
    // §12.11 bytevectors and byte utilities
    pure("bytevector", 0, None, bytevector),
    pure("bytevector?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::Bytevector(_))))),
    pure("bytevector/new", 1, Some(2), make_bytevector).alias_of("make-bytevector"),
    pure("make-bytevector", 1, Some(2), make_bytevector),
    pure("bytevector/make", 1, Some(2), make_bytevector).alias_of("make-bytevector"),
    pure("bytevector/length", 1, Some(1), |a| Ok(Value::Int(bytes_arg(&a[0])?.len() as i64)))
    .alias_of("bytevector-length"),
    pure("bytevector-length", 1, Some(1), |a| Ok(Value::Int(bytes_arg(&a[0])?.len() as i64))),
    pure("bytevector/ref", 2, Some(2), |a| bytevector_ref(&a[0], &a[1])).alias_of("bytevector-u8-ref"),
    pure("bytevector-u8-ref", 2, Some(2), |a| bytevector_ref(&a[0], &a[1])),
    pure("bytevector/u8-ref", 2, Some(2), |a| bytevector_ref(&a[0], &a[1])).alias_of("bytevector-u8-ref"),
    pure("bytevector/set!", 3, Some(3), |a| bytevector_set(&a[0], &a[1], &a[2])).alias_of("bytevector-u8-set!"),
    pure("bytevector-u8-set!", 3, Some(3), |a| bytevector_set(&a[0], &a[1], &a[2])),
    pure("bytevector/u8-set!", 3, Some(3), |a| bytevector_set(&a[0], &a[1], &a[2])).alias_of("bytevector-u8-set!"),
    pure("bytevector/append", 0, None, bytevector_append),
    pure("bytevector-append", 0, None, bytevector_append),
    pure("bytevector/copy", 1, Some(3), bytevector_copy).alias_of("bytevector-copy"),
    pure("bytevector-copy", 1, Some(3), bytevector_copy),
    pure("bytevector/to-list", 1, Some(1), |a| bytevector_to_list(&a[0])).alias_of("bytevector->list"),
    pure("bytevector->list", 1, Some(1), |a| bytevector_to_list(&a[0])),
    pure("list->bytevector", 1, Some(1), |a| list_to_bytevector(&a[0])),
    pure("list/to-bytevector", 1, Some(1), |a| list_to_bytevector(&a[0])).alias_of("list->bytevector"),
    pure("bytevector/from-list", 1, Some(1), |a| list_to_bytevector(&a[0])).alias_of("list->bytevector"),
    pure("bytes/length", 1, Some(1), |a| Ok(Value::Int(bytes_arg(&a[0])?.len() as i64))),
    pure("bytes/ref", 2, Some(2), |a| {
        let bytes = bytes_arg(&a[0])?;
        let i = index_arg(&a[1], "bytes/ref")?;
        bytes
            .get(i)
            .map(|b| Value::Int(*b as i64))
            .ok_or_else(|| Error::eval(format!("bytes/ref: index {i} out of bounds (length {})", bytes.len())))
    }),
    pure("bytes/slice", 2, Some(3), |a| {
        let bytes = bytes_arg(&a[0])?;
        let (start, end) = byte_range(a, bytes.len(), "bytes/slice")?;
        Ok(Value::Bytevector(Rc::new(bytes[start..end].to_vec())))
    }),
    pure("bytes/find", 2, Some(3), bytes_find),
    pure("bytes/->string", 1, Some(3), |a| {
        let bytes = bytes_arg(&a[0])?;
        let (start, end) = byte_range(a, bytes.len(), "bytes/->string")?;
        match std::str::from_utf8(&bytes[start..end]) {
            Ok(text) => Ok(Value::str(text)),
            Err(e) => Err(Error::eval(format!("bytes/->string: invalid UTF-8: {e}"))),
        }
    }),
    pure("bytes/parse-int10", 1, Some(3), |a| {
        let bytes = bytes_arg(&a[0])?;
        let (start, end) = byte_range(a, bytes.len(), "bytes/parse-int10")?;
        parse_int10(&bytes[start..end])
            .map(Value::Int)
            .map_err(|e| Error::eval(format!("bytes/parse-int10: {e}")))
    }),
];

// ---------------------------------------------------------------------------
// Argument helpers shared with hof.rs and arrays.rs

/// A non-negative integer count or index: `NAME: expected a non-negative integer,
/// got -1` when negative, a type error when not an integer.
pub fn index_arg(v: &Value, name: &str) -> Result<usize> {
    match v {
        Value::Int(n) if *n < 0 => Err(Error::eval(format!("{name}: expected a non-negative integer, got {n}"))),
        Value::Int(n) => Ok(*n as usize),
        other => Err(Error::type_error("int", other)),
    }
}

/// A fixnum argument (`expected int, got float` otherwise).
pub fn int_arg(v: &Value) -> Result<i64> {
    match v {
        Value::Int(n) => Ok(*n),
        other => Err(Error::type_error("int", other)),
    }
}

fn bytes_arg(v: &Value) -> Result<&[u8]> {
    match v {
        Value::Bytevector(b) => Ok(b),
        other => Err(Error::type_error("bytevector", other)),
    }
}

fn list_or_vector(v: &Value) -> Result<Vec<Value>> {
    match v {
        Value::List(l) => Ok(l.to_vec()),
        Value::Vector(items) => Ok((**items).clone()),
        other => Err(Error::type_error("list or vector", other)),
    }
}

// ---------------------------------------------------------------------------
// Lists and sequences

fn length(v: &Value) -> Result<Value> {
    let n = match v {
        Value::List(l) => l.len(),
        Value::Vector(items) => items.len(),
        Value::Str(s) => s.chars().count(),
        Value::Map(m) => m.len(),
        Value::HashMap(m) => m.len(),
        Value::Bytevector(b) => b.len(),
        Value::I64Array(a) => a.len(),
        Value::F64Array(a) => a.len(),
        Value::MutableArray(a) => a.borrow().len(),
        other => {
            return Err(Error::type_error(
                "list, vector, string, map, hashmap, bytevector, typed array, or mutable-array",
                other,
            ))
        }
    };
    Ok(Value::Int(n as i64))
}

fn count(v: &Value) -> Result<Value> {
    let n = match v {
        Value::Map(m) => m.len(),
        Value::HashMap(m) => m.len(),
        Value::List(l) => l.len(),
        Value::Vector(items) => items.len(),
        Value::Str(s) => s.chars().count(),
        Value::Nil => 0,
        other => return Err(Error::type_error("collection", other)),
    };
    Ok(Value::Int(n as i64))
}

fn empty(v: &Value) -> Result<Value> {
    let empty = match v {
        Value::Map(m) => m.is_empty(),
        Value::HashMap(m) => m.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Vector(items) => items.is_empty(),
        Value::Str(s) => s.is_empty(),
        Value::Nil => true,
        other => return Err(Error::type_error("collection", other)),
    };
    Ok(Value::Bool(empty))
}

/// `append`: a list of all elements; the last argument's cells are shared when it
/// is a list.
fn append(args: &[Value]) -> Result<Value> {
    for arg in args {
        if !matches!(arg, Value::List(_) | Value::Vector(_)) {
            return Err(Error::type_error("list or vector", arg));
        }
    }
    let Some((last, init)) = args.split_last() else { return Ok(Value::List(List::EMPTY)) };
    let mut result = match last {
        Value::List(l) => l.clone(),
        Value::Vector(items) => List::from_iter_exact(items.iter().cloned()),
        _ => unreachable!("checked above"),
    };
    for arg in init.iter().rev() {
        match arg {
            Value::List(l) => {
                for item in l.to_vec().into_iter().rev() {
                    result = List::cons(item, result);
                }
            }
            Value::Vector(items) => {
                for item in items.iter().rev() {
                    result = List::cons(item.clone(), result);
                }
            }
            _ => unreachable!("checked above"),
        }
    }
    Ok(Value::List(result))
}

fn reverse(v: &Value) -> Result<Value> {
    match v {
        Value::List(l) => {
            let mut result = List::EMPTY;
            for item in l.iter() {
                result = List::cons(item.clone(), result);
            }
            Ok(Value::List(result))
        }
        Value::Vector(items) => Ok(Value::vector(items.iter().rev().cloned().collect())),
        other => Err(Error::type_error("list or vector", other)),
    }
}

fn last(v: &Value) -> Result<Value> {
    match v {
        Value::List(l) => Ok(l.iter().last().cloned().unwrap_or(Value::Nil)),
        Value::Vector(items) => Ok(items.last().cloned().unwrap_or(Value::Nil)),
        Value::MutableArray(a) => Ok(a.borrow().last().cloned().unwrap_or(Value::Nil)),
        other => Err(seq_error(other, "last")),
    }
}

/// `expected list, vector, or mutable-array, got T in NAME`.
pub fn seq_error(v: &Value, name: &str) -> Error {
    Error::type_error_named("list, vector, or mutable-array", &format!("{} in {name}", v.type_name()))
}

fn range(args: &[Value]) -> Result<Value> {
    let (start, end, step) = match args {
        [end] => (0, int_arg(end)?, 1),
        [start, end] => (int_arg(start)?, int_arg(end)?, 1),
        [start, end, step] => (int_arg(start)?, int_arg(end)?, int_arg(step)?),
        _ => unreachable!("arity checked"),
    };
    if step == 0 {
        return Err(Error::eval("range: step cannot be 0"));
    }
    let mut items = Vec::new();
    let mut i = start;
    while (step > 0 && i < end) || (step < 0 && i > end) {
        items.push(Value::Int(i));
        match i.checked_add(step) {
            Some(next) => i = next,
            None => break,
        }
    }
    Ok(Value::list(items))
}

fn iota(args: &[Value]) -> Result<Value> {
    let count = int_arg(&args[0])?;
    let start = args.get(1).map(int_arg).transpose()?.unwrap_or(0);
    let step = args.get(2).map(int_arg).transpose()?.unwrap_or(1);
    let mut items = Vec::with_capacity(count.clamp(0, 1 << 20) as usize);
    let mut x = Value::Int(start);
    for _ in 0..count.max(0) {
        let next = num::add(&x, &Value::Int(step))?;
        items.push(std::mem::replace(&mut x, next));
    }
    Ok(Value::list(items))
}

fn take(n: &Value, seq: &Value) -> Result<Value> {
    let n = index_arg(n, "take")?;
    match seq {
        Value::List(l) => Ok(Value::list(l.iter().take(n).cloned().collect())),
        other => {
            let items = seq_items(other, "take")?;
            Ok(Value::list(items.into_iter().take(n).collect()))
        }
    }
}

fn drop_n(n: &Value, seq: &Value) -> Result<Value> {
    let n = index_arg(n, "drop")?;
    match seq {
        Value::List(l) => {
            let mut rest = l.clone();
            for _ in 0..n {
                if rest.is_empty() {
                    break;
                }
                rest = rest.rest();
            }
            Ok(Value::List(rest))
        }
        other => {
            let items = seq_items(other, "drop")?;
            Ok(Value::list(items.into_iter().skip(n).collect()))
        }
    }
}

fn take_last(n: &Value, seq: &Value) -> Result<Value> {
    let n = index_arg(n, "list/take-last")?;
    let items = seq_items(seq, "list/take-last")?;
    let start = items.len().saturating_sub(n);
    Ok(Value::list(items[start..].to_vec()))
}

fn drop_last(n: &Value, seq: &Value) -> Result<Value> {
    let n = index_arg(n, "list/drop-last")?;
    let mut items = seq_items(seq, "list/drop-last")?;
    items.truncate(items.len().saturating_sub(n));
    Ok(Value::list(items))
}

fn list_to_vector(v: &Value) -> Result<Value> {
    match v {
        Value::List(l) => Ok(Value::vector(l.to_vec())),
        other => Err(Error::type_error("list", other)),
    }
}

fn vector_to_list(v: &Value) -> Result<Value> {
    match v {
        Value::Vector(items) => Ok(Value::list((**items).clone())),
        other => Err(Error::type_error("vector", other)),
    }
}

/// `(member x seq)`: the tail starting at the first element equal to `x`, else #f.
fn member(x: &Value, seq: &Value) -> Result<Value> {
    if let Value::List(l) = seq {
        let mut rest = l.clone();
        while let Some(item) = rest.first() {
            if item == x {
                return Ok(Value::List(rest));
            }
            rest = rest.rest();
        }
        return Ok(Value::Bool(false));
    }
    let items = seq_items(seq, "member")?;
    match items.iter().position(|item| item == x) {
        Some(i) => Ok(Value::list(items[i..].to_vec())),
        None => Ok(Value::Bool(false)),
    }
}

fn index_of(seq: &Value, x: &Value) -> Result<Value> {
    let items = seq_items(seq, "list/index-of")?;
    Ok(items.iter().position(|item| item == x).map_or(Value::Nil, |i| Value::Int(i as i64)))
}

/// One level: elements that are lists or vectors are spliced in.
fn flatten(v: &Value) -> Result<Value> {
    let mut out = Vec::new();
    for item in seq_items(v, "flatten")? {
        match &item {
            Value::List(l) => out.extend(l.iter().cloned()),
            Value::Vector(items) => out.extend(items.iter().cloned()),
            _ => out.push(item),
        }
    }
    Ok(Value::list(out))
}

fn flatten_deep(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::List(l) => l.iter().for_each(|x| flatten_deep(x, out)),
        Value::Vector(items) => items.iter().for_each(|x| flatten_deep(x, out)),
        other => out.push(other.clone()),
    }
}

fn zip(args: &[Value]) -> Result<Value> {
    let seqs = args.iter().map(|a| seq_items(a, "zip")).collect::<Result<Vec<_>>>()?;
    let n = seqs.iter().map(Vec::len).min().unwrap_or(0);
    let tuples = (0..n).map(|i| Value::list(seqs.iter().map(|s| s[i].clone()).collect()));
    Ok(Value::list(tuples.collect()))
}

fn interleave(args: &[Value]) -> Result<Value> {
    let seqs = args.iter().map(|a| seq_items(a, "list/interleave")).collect::<Result<Vec<_>>>()?;
    let n = seqs.iter().map(Vec::len).min().unwrap_or(0);
    let mut out = Vec::with_capacity(n * seqs.len());
    for i in 0..n {
        out.extend(seqs.iter().map(|s| s[i].clone()));
    }
    Ok(Value::list(out))
}

fn interpose(sep: &Value, seq: &Value) -> Result<Value> {
    let items = seq_items(seq, "interpose")?;
    let mut out = Vec::with_capacity(items.len() * 2);
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(sep.clone());
        }
        out.push(item);
    }
    Ok(Value::list(out))
}

fn frequencies(seq: &Value) -> Result<Value> {
    let mut counts: SortedMap = BTreeMap::new();
    for item in seq_items(seq, "frequencies")? {
        let slot = counts.entry(item).or_insert(Value::Int(0));
        if let Value::Int(n) = slot {
            *n += 1;
        }
    }
    Ok(Value::Map(Rc::new(counts)))
}

fn repeat(n: &Value, x: &Value) -> Result<Value> {
    let n = index_arg(n, "list/repeat")?;
    super::ensure_allocatable(n, std::mem::size_of::<Value>(), "list/repeat")?;
    Ok(Value::list(vec![x.clone(); n]))
}

fn list_sum(seq: &Value) -> Result<Value> {
    let items = seq_items(seq, "list/sum")?;
    for item in &items {
        // Real numbers only, as upstream (a complex one is a type error).
        if !item.is_real() {
            return Err(Error::type_error("number", item));
        }
    }
    if items.iter().any(|x| matches!(x, Value::Float(_))) {
        let total: f64 = items.iter().map(|x| num::to_f64(x).unwrap_or(f64::NAN)).fold(0.0, |a, b| a + b);
        return Ok(Value::Float(total));
    }
    items.iter().try_fold(Value::Int(0), |acc, x| num::add(&acc, x))
}

fn list_avg(seq: &Value) -> Result<Value> {
    let items = seq_items(seq, "list/avg")?;
    if items.is_empty() {
        return Err(Error::eval("list/avg: empty list"));
    }
    let mut total = 0.0;
    for item in &items {
        total += num::to_f64(item).ok_or_else(|| Error::type_error("number", item))?;
    }
    Ok(Value::Float(total / items.len() as f64))
}

fn list_extreme(seq: &Value, name: &str, want: std::cmp::Ordering) -> Result<Value> {
    let items = seq_items(seq, name)?;
    let Some(first) = items.first() else { return Err(Error::eval(format!("{name}: empty list"))) };
    let mut best = first;
    if !best.is_number() {
        return Err(Error::type_error("number", best));
    }
    for item in &items[1..] {
        if !item.is_number() {
            return Err(Error::type_error("number", item));
        }
        if num::compare(item, best)? == Some(want) {
            best = item;
        }
    }
    Ok(best.clone())
}

fn list_median(seq: &Value) -> Result<Value> {
    let items = seq_items(seq, "list/median")?;
    if items.is_empty() {
        return Err(Error::eval("list/median: empty list"));
    }
    let mut xs = items
        .iter()
        .map(|x| num::to_f64(x).ok_or_else(|| Error::type_error("number", x)))
        .collect::<Result<Vec<f64>>>()?;
    // NaN last whatever its sign bit (0.0/0.0 has it set on x86), the rest in order.
    xs.sort_by(|a, b| a.is_nan().cmp(&b.is_nan()).then(a.total_cmp(b)));
    let mid = xs.len() / 2;
    Ok(Value::Float(if xs.len() % 2 == 0 { (xs[mid - 1] + xs[mid]) / 2.0 } else { xs[mid] }))
}

fn list_mode(seq: &Value) -> Result<Value> {
    let items = seq_items(seq, "list/mode")?;
    if items.is_empty() {
        return Err(Error::eval("list/mode: empty list"));
    }
    let mut counts: BTreeMap<Value, usize> = BTreeMap::new();
    for item in items {
        *counts.entry(item).or_insert(0) += 1;
    }
    let top = counts.values().copied().max().unwrap_or(0);
    let mut modes: Vec<Value> = counts.into_iter().filter(|(_, c)| *c == top).map(|(v, _)| v).collect();
    if modes.len() == 1 {
        return Ok(modes.pop().unwrap_or(Value::Nil));
    }
    Ok(Value::list(modes))
}

fn list_unique(seq: &Value) -> Result<Value> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for item in seq_items(seq, "list/unique")? {
        if seen.insert(item.clone()) {
            out.push(item);
        }
    }
    Ok(Value::list(out))
}

fn list_dedupe(seq: &Value) -> Result<Value> {
    let mut out: Vec<Value> = Vec::new();
    for item in seq_items(seq, "list/dedupe")? {
        if out.last() != Some(&item) {
            out.push(item);
        }
    }
    Ok(Value::list(out))
}

/// Values occurring more than once, in the total order (as upstream collects them).
fn list_duplicates(seq: &Value) -> Result<Value> {
    let mut seen = BTreeSet::new();
    let mut dupes = BTreeSet::new();
    for item in seq_items(seq, "list/duplicates")? {
        if !seen.insert(item.clone()) {
            dupes.insert(item);
        }
    }
    Ok(Value::list(dupes.into_iter().collect()))
}

fn list_chunk(n: &Value, seq: &Value) -> Result<Value> {
    let n = index_arg(n, "list/chunk")?;
    if n == 0 {
        return Err(Error::eval("list/chunk: chunk size must be positive"));
    }
    let items = seq_items(seq, "list/chunk")?;
    Ok(Value::list(items.chunks(n).map(|c| Value::list(c.to_vec())).collect()))
}

fn list_sliding(args: &[Value]) -> Result<Value> {
    let items = seq_items(&args[0], "list/sliding")?;
    let size = index_arg(&args[1], "list/sliding")?;
    let step = args.get(2).map(|s| index_arg(s, "list/sliding")).transpose()?.unwrap_or(1);
    if size == 0 {
        return Err(Error::eval("list/sliding: size must be positive"));
    }
    if step == 0 {
        return Err(Error::eval("list/sliding: step must be positive"));
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i + size <= items.len() {
        out.push(Value::list(items[i..i + size].to_vec()));
        i += step;
    }
    Ok(Value::list(out))
}

fn list_split_at(seq: &Value, n: &Value) -> Result<Value> {
    let mut items = seq_items(seq, "list/split-at")?;
    let n = index_arg(n, "list/split-at")?.min(items.len());
    let right = items.split_off(n);
    Ok(Value::list(vec![Value::list(items), Value::list(right)]))
}

fn cross_join(a: &Value, b: &Value) -> Result<Value> {
    let xs = seq_items(a, "list/cross-join")?;
    let ys = seq_items(b, "list/cross-join")?;
    let mut out = Vec::with_capacity(xs.len() * ys.len());
    for x in &xs {
        for y in &ys {
            out.push(Value::list(vec![x.clone(), y.clone()]));
        }
    }
    Ok(Value::list(out))
}

fn set_filter(a: &Value, b: &Value, name: &str, keep_common: bool) -> Result<Value> {
    let xs = seq_items(a, name)?;
    let set: BTreeSet<Value> = seq_items(b, name)?.into_iter().collect();
    Ok(Value::list(xs.into_iter().filter(|x| set.contains(x) == keep_common).collect()))
}

fn list_page(args: &[Value]) -> Result<Value> {
    let items = seq_items(&args[0], "list/page")?;
    let page = int_arg(&args[1])?;
    let per_page = index_arg(&args[2], "list/page")?;
    if page < 1 {
        return Err(Error::eval("list/page: page must be >= 1"));
    }
    let start = ((page - 1) as usize).saturating_mul(per_page);
    if start >= items.len() {
        return Ok(Value::List(List::EMPTY));
    }
    let end = start.saturating_add(per_page).min(items.len());
    Ok(Value::list(items[start..end].to_vec()))
}

fn list_join(args: &[Value]) -> Result<Value> {
    let items = seq_items(&args[0], "list/join")?;
    let sep = args[1].as_str().ok_or_else(|| Error::type_error("string", &args[1]))?;
    let final_sep = match args.get(2) {
        Some(v) => v.as_str().ok_or_else(|| Error::type_error("string", v))?,
        None => sep,
    };
    let mut out = String::new();
    let last = items.len().saturating_sub(1);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(if i == last { final_sep } else { sep });
        }
        crate::printer::write_display(&mut out, item);
    }
    Ok(Value::str(out))
}

// ---------------------------------------------------------------------------
// Association lists

/// The first element of `alist` that is a non-empty list whose car equals `key`,
/// else #f.
fn alist_find(key: &Value, items: impl Iterator<Item = Value>) -> Value {
    for pair in items {
        if let Value::List(p) = &pair {
            if p.first() == Some(key) {
                return pair;
            }
        }
    }
    Value::Bool(false)
}

fn alist_lookup(key: &Value, alist: &Value, name: &str) -> Result<Value> {
    match alist {
        Value::List(l) => Ok(alist_find(key, l.iter().cloned())),
        other => Ok(alist_find(key, seq_items(other, name)?.into_iter())),
    }
}

/// `(assoc key alist)` or `(assoc map k v ...)`.
fn assoc(args: &mut [Value]) -> Result<Value> {
    if let [key, Value::List(l)] = &*args {
        return Ok(alist_find(key, l.iter().cloned()));
    }
    if args.len() < 3 || args.len().is_multiple_of(2) {
        return Err(Error::eval("assoc: requires (key alist) or (map key val ...)"));
    }
    let mut args = args.iter_mut().map(std::mem::take);
    let target = args.next().unwrap_or_default();
    match target {
        Value::Map(mut m) => {
            let map = Rc::make_mut(&mut m);
            while let (Some(k), Some(v)) = (args.next(), args.next()) {
                map.insert(k, v);
            }
            Ok(Value::Map(m))
        }
        Value::HashMap(mut m) => {
            let map = Rc::make_mut(&mut m);
            while let (Some(k), Some(v)) = (args.next(), args.next()) {
                map.insert(k, v);
            }
            Ok(Value::HashMap(m))
        }
        other => Err(Error::type_error("map or hashmap", &other)),
    }
}

fn hashmap_assoc(args: &mut [Value]) -> Result<Value> {
    if args.len() < 3 || args.len().is_multiple_of(2) {
        return Err(Error::eval("hashmap/assoc: requires hashmap and even number of key-value pairs"));
    }
    let mut args = args.iter_mut().map(std::mem::take);
    match args.next().unwrap_or_default() {
        Value::HashMap(mut m) => {
            let map = Rc::make_mut(&mut m);
            while let (Some(k), Some(v)) = (args.next(), args.next()) {
                map.insert(k, v);
            }
            Ok(Value::HashMap(m))
        }
        other => Err(Error::type_error("hashmap", &other)),
    }
}

// ---------------------------------------------------------------------------
// Maps

/// `(get m k [default])`; `vm::map_get` is the two-argument case.
fn get(m: &Value, key: &Value, default: Option<&Value>) -> Result<Value> {
    let found = match m {
        Value::Map(m) => m.get(key),
        Value::HashMap(m) => m.get(key),
        other => return Err(Error::type_error("map or hashmap", other)),
    };
    Ok(found.or(default).cloned().unwrap_or(Value::Nil))
}

fn dissoc(args: &mut [Value]) -> Result<Value> {
    let mut args = args.iter_mut().map(std::mem::take);
    match args.next().unwrap_or_default() {
        Value::Map(mut m) => {
            if args.len() > 0 {
                let map = Rc::make_mut(&mut m);
                args.for_each(|k| {
                    map.remove(&k);
                });
            }
            Ok(Value::Map(m))
        }
        Value::HashMap(mut m) => {
            if args.len() > 0 {
                let map = Rc::make_mut(&mut m);
                args.for_each(|k| {
                    map.remove(&k);
                });
            }
            Ok(Value::HashMap(m))
        }
        other => Err(Error::type_error("map or hashmap", &other)),
    }
}

fn keys(m: &Value) -> Result<Value> {
    match m {
        Value::Map(m) => Ok(Value::list(m.keys().cloned().collect())),
        Value::HashMap(m) => Ok(Value::list(m.keys().collect())),
        other => Err(Error::type_error("map or hashmap", other)),
    }
}

fn vals(m: &Value) -> Result<Value> {
    match m {
        Value::Map(m) => Ok(Value::list(m.values().cloned().collect())),
        Value::HashMap(m) => Ok(Value::list(m.values().cloned().collect())),
        other => Err(Error::type_error("map or hashmap", other)),
    }
}

fn contains(m: &Value, key: &Value) -> Result<Value> {
    match m {
        Value::Map(m) => Ok(Value::Bool(m.contains_key(key))),
        Value::HashMap(m) => Ok(Value::Bool(m.contains_key(key))),
        other => Err(Error::type_error("map or hashmap", other)),
    }
}

/// The entries of a map or hashmap, in no particular order for a hashmap.
fn entries(v: &Value) -> Result<Vec<(Value, Value)>> {
    match v {
        Value::Map(m) => Ok(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        Value::HashMap(m) => Ok(m.entries().collect()),
        other => Err(Error::type_error("map or hashmap", other)),
    }
}

/// Left to right, later keys win; the result has the first argument's kind.
/// `(deep-merge m ...)`: later maps win, and a key whose old and new values are both
/// maps gets the two merged recursively. Merging always gives a sorted map; a non-map
/// argument replaces what came before it.
fn deep_merge(args: &[Value]) -> Result<Value> {
    fn merge_two(base: &Value, overlay: &Value) -> Value {
        let (Some(base), Some(overlay)) = (base.map_entries(), overlay.map_entries()) else {
            return overlay.clone();
        };
        let mut out: SortedMap = base.into_iter().collect();
        for (k, v) in overlay {
            let merged = match out.get(&k) {
                Some(old) if old.map_entries().is_some() && v.map_entries().is_some() => merge_two(old, &v),
                _ => v,
            };
            out.insert(k, merged);
        }
        Value::Map(Rc::new(out))
    }
    let Some((first, rest)) = args.split_first() else { return Ok(Value::map([])) };
    Ok(rest.iter().fold(first.clone(), |acc, m| merge_two(&acc, m)))
}

fn merge(args: &mut [Value]) -> Result<Value> {
    for arg in args.iter() {
        if !matches!(arg, Value::Map(_) | Value::HashMap(_)) {
            return Err(Error::type_error("map or hashmap", arg));
        }
    }
    let mut args = args.iter_mut().map(std::mem::take);
    match args.next() {
        None => Ok(Value::Map(Rc::new(SortedMap::new()))),
        Some(Value::Map(mut m)) => {
            if args.len() > 0 {
                let map = Rc::make_mut(&mut m);
                for other in args {
                    map.extend(entries(&other)?);
                }
            }
            Ok(Value::Map(m))
        }
        Some(Value::HashMap(mut m)) => {
            if args.len() > 0 {
                let map = Rc::make_mut(&mut m);
                for other in args {
                    map.extend(entries(&other)?);
                }
            }
            Ok(Value::HashMap(m))
        }
        Some(_) => unreachable!("checked above"),
    }
}

fn sorted_map_from_pairs(args: &[Value], name: &str) -> Result<Value> {
    if !args.len().is_multiple_of(2) {
        return Err(Error::eval(format!("{name}: requires even number of arguments")));
    }
    let map: SortedMap = args.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
    Ok(Value::Map(Rc::new(map)))
}

fn hashmap_new(args: &[Value]) -> Result<Value> {
    if !args.len().is_multiple_of(2) {
        return Err(Error::eval("hashmap/new: requires even number of arguments"));
    }
    let mut map = HashMap::with_capacity(args.len() / 2);
    for pair in args.chunks(2) {
        map.insert(pair[0].clone(), pair[1].clone());
    }
    Ok(Value::HashMap(Rc::new(map)))
}

/// `((k v) ...)`, in key order for both kinds.
fn map_entries(m: &Value) -> Result<Value> {
    let mut pairs = entries(m)?;
    if matches!(m, Value::HashMap(_)) {
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
    }
    Ok(Value::list(pairs.into_iter().map(|(k, v)| Value::list(vec![k, v])).collect()))
}

fn map_from_entries(v: &Value) -> Result<Value> {
    let mut map = SortedMap::new();
    for entry in list_or_vector(v)? {
        let pair = list_or_vector(&entry)?;
        let [k, v] = <[Value; 2]>::try_from(pair)
            .map_err(|_| Error::eval("map/from-entries: each entry must be a pair (key value)"))?;
        map.insert(k, v);
    }
    Ok(Value::Map(Rc::new(map)))
}

fn select_keys(m: &Value, keys: &Value) -> Result<Value> {
    let keys = match keys {
        Value::List(l) => l.to_vec(),
        Value::Vector(items) => (**items).clone(),
        other => return Err(Error::type_error("list", other)),
    };
    match m {
        Value::Map(map) => {
            let picked = keys.into_iter().filter_map(|k| map.get(&k).cloned().map(|v| (k, v)));
            Ok(Value::Map(Rc::new(picked.collect())))
        }
        Value::HashMap(map) => {
            let picked = keys.into_iter().filter_map(|k| map.get(&k).cloned().map(|v| (k, v)));
            Ok(Value::HashMap(Rc::new(picked.collect())))
        }
        other => Err(Error::type_error("map or hashmap", other)),
    }
}

fn map_except(m: &Value, keys: &Value) -> Result<Value> {
    let drop: BTreeSet<Value> = list_or_vector(keys)?.into_iter().collect();
    match m {
        Value::Map(map) => {
            let kept = map.iter().filter(|(k, _)| !drop.contains(*k)).map(|(k, v)| (k.clone(), v.clone()));
            Ok(Value::Map(Rc::new(kept.collect())))
        }
        Value::HashMap(map) => {
            let kept = map.entries().filter(|(k, _)| !drop.contains(k));
            Ok(Value::HashMap(Rc::new(kept.collect())))
        }
        other => Err(Error::type_error("map or hashmap", other)),
    }
}

/// Walks `path`; a missing key (or a non-map on the way) gives the default, a key
/// present with a nil value gives nil.
fn get_in(m: &Value, path: &Value, default: Option<&Value>) -> Result<Value> {
    let path = list_or_vector(path)?;
    let mut current = m.clone();
    for key in &path {
        let next = match &current {
            Value::Map(map) => map.get(key).cloned(),
            Value::HashMap(map) => map.get(key).cloned(),
            _ => None,
        };
        match next {
            Some(v) => current = v,
            None => return Ok(default.cloned().unwrap_or(Value::Nil)),
        }
    }
    Ok(current)
}

/// Replaces the value at `path` inside `m` with `leaf(old)` (old is nil when
/// absent), creating sorted maps for missing or non-map levels. Maps held only by
/// `m` are updated in place. `path` must not be empty.
pub fn update_path(m: Value, path: &[Value], leaf: &mut dyn FnMut(Value) -> Result<Value>) -> Result<Value> {
    let (key, rest) = path.split_first().expect("a non-empty path");
    let step = |old: Value, leaf: &mut dyn FnMut(Value) -> Result<Value>| -> Result<Value> {
        if rest.is_empty() {
            leaf(old)
        } else {
            let nested = if matches!(old, Value::Map(_) | Value::HashMap(_)) { old } else { Value::Map(Rc::default()) };
            update_path(nested, rest, leaf)
        }
    };
    match m {
        Value::Map(mut rc) => {
            let map = Rc::make_mut(&mut rc);
            let old = map.get_mut(key).map(std::mem::take).unwrap_or(Value::Nil);
            let new = step(old, leaf)?;
            map.insert(key.clone(), new);
            Ok(Value::Map(rc))
        }
        Value::HashMap(mut rc) => {
            let map = Rc::make_mut(&mut rc);
            let old = map.get_mut(key).map(std::mem::take).unwrap_or(Value::Nil);
            let new = step(old, leaf)?;
            map.insert(key.clone(), new);
            Ok(Value::HashMap(rc))
        }
        _ => {
            let new = step(Value::Nil, leaf)?;
            let mut map = SortedMap::new();
            map.insert(key.clone(), new);
            Ok(Value::Map(Rc::new(map)))
        }
    }
}

fn assoc_in(args: &mut [Value]) -> Result<Value> {
    let [m, path, value] = args else { return Err(Error::eval("assoc-in: expected 3 arguments")) };
    let (m, path, value) = (std::mem::take(m), std::mem::take(path), std::mem::take(value));
    let path = list_or_vector(&path)?;
    if path.is_empty() {
        return Ok(value);
    }
    let mut value = Some(value);
    update_path(m, &path, &mut |_| Ok(value.take().unwrap_or_default()))
}

fn map_zip(ks: &Value, vs: &Value) -> Result<Value> {
    let ks = list_or_vector(ks)?;
    let vs = list_or_vector(vs)?;
    Ok(Value::Map(Rc::new(ks.into_iter().zip(vs).collect())))
}

// ---------------------------------------------------------------------------
// Bytevectors

fn byte_value(v: &Value, what: impl FnOnce(i64) -> String) -> Result<u8> {
    let n = int_arg(v)?;
    u8::try_from(n).map_err(|_| Error::eval(what(n)))
}

fn bytevector(args: &[Value]) -> Result<Value> {
    let bytes = args
        .iter()
        .enumerate()
        .map(|(i, v)| byte_value(v, |n| format!("bytevector: byte value {n} at index {i} out of range 0..255")))
        .collect::<Result<Vec<u8>>>()?;
    Ok(Value::Bytevector(Rc::new(bytes)))
}

fn make_bytevector(args: &[Value]) -> Result<Value> {
    let size = int_arg(&args[0])?;
    if size < 0 {
        return Err(Error::eval(format!("make-bytevector: size must be non-negative, got {size}")));
    }
    let fill = match args.get(1) {
        Some(f) => byte_value(f, |n| format!("make-bytevector: fill value {n} out of range 0..255"))?,
        None => 0,
    };
    super::ensure_allocatable(size as usize, 1, "make-bytevector")?;
    Ok(Value::Bytevector(Rc::new(vec![fill; size as usize])))
}

fn bytevector_ref(bv: &Value, index: &Value) -> Result<Value> {
    let bytes = bytes_arg(bv)?;
    let i = int_arg(index)?;
    match usize::try_from(i).ok().and_then(|i| bytes.get(i)) {
        Some(b) => Ok(Value::Int(*b as i64)),
        None => Err(Error::eval(format!(
            "bytevector-u8-ref: index {i} out of range for bytevector of length {}",
            bytes.len()
        ))),
    }
}

/// Returns a modified copy; the argument is unchanged.
fn bytevector_set(bv: &Value, index: &Value, byte: &Value) -> Result<Value> {
    let bytes = bytes_arg(bv)?;
    let i = int_arg(index)?;
    let b = int_arg(byte)?;
    let Some(slot) = usize::try_from(i).ok().filter(|i| *i < bytes.len()) else {
        return Err(Error::eval(format!(
            "bytevector-u8-set!: index {i} out of range for bytevector of length {}",
            bytes.len()
        )));
    };
    let b = u8::try_from(b).map_err(|_| Error::eval(format!("bytevector-u8-set!: byte value {b} out of range 0..255")))?;
    let mut copy = bytes.to_vec();
    copy[slot] = b;
    Ok(Value::Bytevector(Rc::new(copy)))
}

fn bytevector_append(args: &[Value]) -> Result<Value> {
    let mut out = Vec::new();
    for arg in args {
        out.extend_from_slice(bytes_arg(arg)?);
    }
    Ok(Value::Bytevector(Rc::new(out)))
}

fn bytevector_copy(args: &[Value]) -> Result<Value> {
    let bytes = bytes_arg(&args[0])?;
    let start = args.get(1).map(int_arg).transpose()?.unwrap_or(0);
    let end = args.get(2).map(int_arg).transpose()?.unwrap_or(bytes.len() as i64);
    if start < 0 || start > end || end > bytes.len() as i64 {
        return Err(Error::eval(format!(
            "bytevector-copy: range {start}..{end} out of bounds for bytevector of length {}",
            bytes.len()
        )));
    }
    Ok(Value::Bytevector(Rc::new(bytes[start as usize..end as usize].to_vec())))
}

fn bytevector_to_list(bv: &Value) -> Result<Value> {
    let bytes = bytes_arg(bv)?;
    Ok(Value::list(bytes.iter().map(|b| Value::Int(*b as i64)).collect()))
}

fn list_to_bytevector(v: &Value) -> Result<Value> {
    let items = match v {
        Value::List(l) => l.to_vec(),
        Value::Vector(items) => (**items).clone(),
        other => return Err(Error::type_error("list", other)),
    };
    let bytes = items
        .iter()
        .map(|x| byte_value(x, |n| format!("list->bytevector: byte value {n} out of range 0..255")))
        .collect::<Result<Vec<u8>>>()?;
    Ok(Value::Bytevector(Rc::new(bytes)))
}

/// The optional `[start [end]]` arguments after the bytevector, checked against
/// its length: `NAME: range 3..1 out of bounds for 4 bytes`.
fn byte_range(args: &[Value], len: usize, name: &str) -> Result<(usize, usize)> {
    let start = args.get(1).map(|v| index_arg(v, name)).transpose()?.unwrap_or(0);
    let end = args.get(2).map(|v| index_arg(v, name)).transpose()?.unwrap_or(len);
    if start > end || end > len {
        return Err(Error::eval(format!("{name}: range {start}..{end} out of bounds for {len} bytes")));
    }
    Ok((start, end))
}

/// `(bytes/find bv needle [start])`: the index of the first match at or after
/// `start`, or nil. An empty needle matches at `start`.
fn bytes_find(args: &[Value]) -> Result<Value> {
    let hay = bytes_arg(&args[0])?;
    let start = args.get(2).map(|v| index_arg(v, "bytes/find")).transpose()?.unwrap_or(0);
    if start > hay.len() {
        return Ok(Value::Nil);
    }
    let rest = &hay[start..];
    let found = match &args[1] {
        Value::Int(b) => {
            let b = u8::try_from(*b).map_err(|_| Error::eval(format!("bytes/find: byte value {b} out of range 0..255")))?;
            memchr::memchr(b, rest)
        }
        Value::Bytevector(needle) => memchr::memmem::find(rest, needle),
        Value::Str(needle) => memchr::memmem::find(rest, needle.as_bytes()),
        other => return Err(Error::type_error("int, bytevector, or string", other)),
    };
    Ok(found.map_or(Value::Nil, |i| Value::Int((start + i) as i64)))
}

/// ASCII `-?digits(.digit)?` as an integer scaled by 10: `"-12.3"` → -123.
fn parse_int10(bytes: &[u8]) -> std::result::Result<i64, String> {
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    let overflow = || "value overflows an int".to_string();
    let mut n: i64 = 0;
    let mut i = 0;
    while i < digits.len() && digits[i] != b'.' {
        let b = digits[i];
        if !b.is_ascii_digit() {
            return Err(format!("invalid digit {:?} at byte {i}", b as char));
        }
        n = n.checked_mul(10).and_then(|n| n.checked_add((b - b'0') as i64)).ok_or_else(overflow)?;
        i += 1;
    }
    if i == 0 {
        return Err("expected at least one digit".to_string());
    }
    let tenths = if i < digits.len() {
        if i + 2 != digits.len() || !digits[i + 1].is_ascii_digit() {
            return Err("expected exactly one digit after '.'".to_string());
        }
        (digits[i + 1] - b'0') as i64
    } else {
        0
    };
    n = n.checked_mul(10).and_then(|n| n.checked_add(tenths)).ok_or_else(overflow)?;
    Ok(if negative { -n } else { n })
}

#[cfg(test)]
mod tests {
    use crate::builtins::test_support::*;
    use super::*;
    use crate::printer::repr;


    fn map(pairs: &[(Value, Value)]) -> Value {
        Value::Map(Rc::new(pairs.iter().cloned().collect()))
    }
    fn bv(bytes: &[u8]) -> Value {
        Value::Bytevector(Rc::new(bytes.to_vec()))
    }

    #[test]
    fn length_count_and_empty() {
        assert_eq!(call("length", &[ints(&[1, 2, 3])]), "3");
        assert_eq!(call("length", &[s("héllo")]), "5");
        assert_eq!(call("length", &[map(&[(kw("a"), int(1))])]), "1");
        assert_eq!(call("length", &[bv(&[1, 2])]), "2");
        assert_eq!(
            call("length", &[Value::Nil]),
            "ERR Type error: expected list, vector, string, map, hashmap, bytevector, typed array, or mutable-array, got nil"
        );
        assert_eq!(call("count", &[Value::Nil]), "0");
        assert_eq!(call("count", &[int(5)]), "ERR Type error: expected collection, got int");
        assert_eq!(call("empty?", &[Value::Nil]), "#t");
        assert_eq!(call("empty?", &[s("")]), "#t");
        assert_eq!(call("empty?", &[vector(&[1])]), "#f");
        assert_eq!(call("empty?", &[int(0)]), "ERR Type error: expected collection, got int");
    }

    #[test]
    fn append_reverse_last() {
        assert_eq!(call("append", &[]), "()");
        assert_eq!(call("append", &[ints(&[1]), vector(&[2])]), "(1 2)");
        assert_eq!(call("append", &[vector(&[1, 2]), ints(&[3]), ints(&[]), vector(&[4])]), "(1 2 3 4)");
        assert_eq!(call("append", &[ints(&[1]), int(2)]), "ERR Type error: expected list or vector, got int");
        assert_eq!(call("append", &[ints(&[1]), s("x")]), "ERR Type error: expected list or vector, got string");
        assert_eq!(call("reverse", &[ints(&[1, 2, 3])]), "(3 2 1)");
        assert_eq!(call("reverse", &[vector(&[1, 2, 3])]), "[3 2 1]");
        assert_eq!(call("reverse", &[Value::Nil]), "ERR Type error: expected list or vector, got nil");
        assert_eq!(call("last", &[ints(&[1, 2, 3])]), "3");
        assert_eq!(call("last", &[ints(&[])]), "nil");
        assert_eq!(call("last", &[s("ab")]), "ERR Type error: expected list, vector, or mutable-array, got string in last");
    }

    #[test]
    fn ranges() {
        assert_eq!(call("range", &[int(5)]), "(0 1 2 3 4)");
        assert_eq!(call("range", &[int(2), int(5)]), "(2 3 4)");
        assert_eq!(call("range", &[int(5), int(0), int(-1)]), "(5 4 3 2 1)");
        assert_eq!(call("range", &[int(0), int(10), int(3)]), "(0 3 6 9)");
        assert_eq!(call("range", &[int(5), int(2)]), "()");
        assert_eq!(call("range", &[int(0), int(5), int(0)]), "ERR Eval error: range: step cannot be 0");
        assert_eq!(call("range", &[Value::Float(1.0), int(3)]), "ERR Type error: expected int, got float");
        assert_eq!(call("iota", &[int(4), int(0), int(2)]), "(0 2 4 6)");
        assert_eq!(call("iota", &[int(3)]), "(0 1 2)");
        assert_eq!(call("iota", &[int(3), int(1)]), "(1 2 3)");
    }

    #[test]
    fn take_drop_and_friends() {
        assert_eq!(call("take", &[int(2), ints(&[1, 2, 3])]), "(1 2)");
        assert_eq!(call("take", &[int(9), vector(&[1, 2, 3])]), "(1 2 3)");
        assert_eq!(call("take", &[int(-1), ints(&[1])]), "ERR Eval error: take: expected a non-negative integer, got -1");
        assert_eq!(call("drop", &[int(2), ints(&[1, 2, 3])]), "(3)");
        assert_eq!(call("drop", &[int(5), vector(&[1, 2, 3])]), "()");
        assert_eq!(call("drop", &[int(-1), ints(&[1])]), "ERR Eval error: drop: expected a non-negative integer, got -1");
        assert_eq!(call("list/take-last", &[int(2), ints(&[1, 2, 3])]), "(2 3)");
        assert_eq!(call("list/drop-last", &[int(2), ints(&[1, 2, 3])]), "(1)");
        assert_eq!(call("list/split-at", &[ints(&[1, 2, 3]), int(1)]), "((1) (2 3))");
        assert_eq!(call("list/chunk", &[int(2), ints(&[1, 2, 3])]), "((1 2) (3))");
        assert_eq!(call("list->vector", &[ints(&[1, 2])]), "[1 2]");
        assert_eq!(call("list->vector", &[vector(&[1])]), "ERR Type error: expected list, got vector");
        assert_eq!(call("vector->list", &[vector(&[1, 2])]), "(1 2)");
        assert_eq!(call("vector->list", &[ints(&[1])]), "ERR Type error: expected vector, got list");
        assert_eq!(call("vector", &[int(1), s("a")]), "[1 \"a\"]");
    }

    #[test]
    fn car_cdr_compositions() {
        let nested = Value::list(vec![ints(&[1, 2]), int(3), int(4)]);
        assert_eq!(call("caar", &[nested.clone()]), "1");
        assert_eq!(call("cadr", &[nested.clone()]), "3");
        assert_eq!(call("cdar", &[nested.clone()]), "(2)");
        assert_eq!(call("cddr", &[nested.clone()]), "(4)");
        assert_eq!(call("caddr", &[nested.clone()]), "4");
        assert_eq!(call("cdddr", &[nested.clone()]), "()");
        assert_eq!(call("caddr", &[ints(&[1, 2])]), "nil");
        assert_eq!(call("caaar", &[Value::list(vec![Value::list(vec![ints(&[7])])])]), "7");
        assert_eq!(call("cadr", &[Value::Nil]), "ERR Type error: expected list or vector, got nil");
    }

    #[test]
    fn searching_and_reshaping() {
        assert_eq!(call("member", &[int(2), ints(&[1, 2, 3])]), "(2 3)");
        assert_eq!(call("member", &[int(9), ints(&[1, 2, 3])]), "#f");
        assert_eq!(call("list/index-of", &[ints(&[1, 2, 3]), int(3)]), "2");
        assert_eq!(call("list/index-of", &[ints(&[1, 2, 3]), int(7)]), "nil");
        assert_eq!(call("list/contains?", &[ints(&[1, 2]), int(2)]), "#t");
        let nested = Value::list(vec![int(1), Value::list(vec![int(2), ints(&[3])]), vector(&[4, 5])]);
        assert_eq!(call("flatten", &[nested.clone()]), "(1 2 (3) 4 5)");
        assert_eq!(call("flatten-deep", &[nested]), "(1 2 3 4 5)");
        assert_eq!(call("zip", &[ints(&[1, 2, 3]), Value::list(vec![sym("a"), sym("b")])]), "((1 a) (2 b))");
        assert_eq!(call("interpose", &[int(0), ints(&[1, 2, 3])]), "(1 0 2 0 3)");
        assert_eq!(call("frequencies", &[Value::list(vec![sym("a"), sym("b"), sym("a")])]), "{a 2 b 1}");
        assert_eq!(
            call("frequencies", &[s("aba")]),
            "ERR Type error: expected list, vector, or mutable-array, got string in frequencies"
        );
        assert_eq!(call("enumerate", &[Value::list(vec![sym("a"), sym("b")])]), "((0 a) (1 b))");
        assert_eq!(call("make-list", &[int(3), kw("x")]), "(:x :x :x)");
        assert_eq!(call("list/repeat", &[int(2), int(0)]), "(0 0)");
        assert_eq!(call("list/unique", &[ints(&[3, 1, 3, 2, 1])]), "(3 1 2)");
        assert_eq!(call("list/dedupe", &[ints(&[1, 1, 2, 1, 1])]), "(1 2 1)");
        assert_eq!(call("list/duplicates", &[ints(&[3, 1, 3, 2, 1])]), "(1 3)");
        assert_eq!(call("list/sliding", &[ints(&[1, 2, 3, 4]), int(2)]), "((1 2) (2 3) (3 4))");
        assert_eq!(call("list/interleave", &[ints(&[1, 2]), Value::list(vec![sym("a"), sym("b")])]), "(1 a 2 b)");
        assert_eq!(call("list/cross-join", &[ints(&[1, 2]), ints(&[3])]), "((1 3) (2 3))");
        assert_eq!(call("list/diff", &[ints(&[1, 2, 3]), ints(&[2])]), "(1 3)");
        assert_eq!(call("list/intersect", &[ints(&[1, 2, 3]), ints(&[3, 2])]), "(2 3)");
        assert_eq!(call("list/pad", &[ints(&[1]), int(3), int(0)]), "(1 0 0)");
        assert_eq!(call("list/page", &[ints(&[1, 2, 3, 4, 5]), int(2), int(2)]), "(3 4)");
        assert_eq!(call("list/join", &[Value::list(vec![int(1), s("b"), kw("c")]), s(", "), s(" and ")]), "\"1, b and :c\"");
    }

    #[test]
    fn numeric_list_functions() {
        assert_eq!(call("list/sum", &[ints(&[])]), "0");
        assert_eq!(call("list/sum", &[ints(&[1, 2, 3])]), "6");
        assert_eq!(call("list/sum", &[Value::list(vec![int(1), Value::Float(0.5)])]), "1.5");
        assert_eq!(call("list/avg", &[ints(&[1, 2])]), "1.5");
        assert_eq!(call("list/avg", &[ints(&[])]), "ERR Eval error: list/avg: empty list");
        assert_eq!(call("list/min", &[ints(&[3, 1, 2])]), "1");
        assert_eq!(call("list/max", &[Value::list(vec![int(3), Value::Float(4.5), int(2)])]), "4.5");
        assert_eq!(call("list/min", &[ints(&[])]), "ERR Eval error: list/min: empty list");
        assert_eq!(call("list/max", &[ints(&[])]), "ERR Eval error: list/max: empty list");
        assert_eq!(call("list/median", &[ints(&[3, 1, 2, 4])]), "2.5");
        assert_eq!(call("list/mode", &[ints(&[1, 2, 2, 3])]), "2");
        assert_eq!(call("list/mode", &[ints(&[1, 2])]), "(1 2)");
    }

    #[test]
    fn alists() {
        let alist = Value::list(vec![
            Value::list(vec![sym("city"), s("Oslo")]),
            Value::list(vec![sym("age"), int(30)]),
        ]);
        assert_eq!(call("assoc", &[sym("age"), alist.clone()]), "(age 30)");
        assert_eq!(call("assoc", &[sym("zzz"), alist.clone()]), "#f");
        assert_eq!(call("assq", &[sym("city"), alist.clone()]), "(city \"Oslo\")");
        assert_eq!(call("assv", &[sym("nope"), alist]), "#f");
        assert_eq!(call("assoc", &[int(1), vector(&[1])]), "ERR Eval error: assoc: requires (key alist) or (map key val ...)");
        assert_eq!(call("assoc", &[map(&[]), kw("a")]), "ERR Eval error: assoc: requires (key alist) or (map key val ...)");
        assert_eq!(call("assoc", &[map(&[]), kw("a"), int(1), kw("b")]), "ERR Eval error: assoc: requires (key alist) or (map key val ...)");
    }

    #[test]
    fn map_updates_and_lookups() {
        let m = map(&[(kw("name"), s("Ada")), (kw("age"), int(36))]);
        assert_eq!(call("assoc", &[m.clone(), kw("age"), int(37), kw("lang"), s("Sema")]), "{:age 37 :lang \"Sema\" :name \"Ada\"}");
        assert_eq!(repr(&m), "{:age 36 :name \"Ada\"}", "the shared original is unchanged");
        assert_eq!(call("assoc", &[Value::Nil, kw("a"), int(1)]), "ERR Type error: expected map or hashmap, got nil");
        assert_eq!(call("dissoc", &[m.clone(), kw("age"), kw("zzz")]), "{:name \"Ada\"}");
        assert_eq!(call("dissoc", &[vector(&[]), kw("a")]), "ERR Type error: expected map or hashmap, got vector");
        assert_eq!(call("get", &[m.clone(), kw("name")]), "\"Ada\"");
        assert_eq!(call("get", &[m.clone(), kw("x")]), "nil");
        assert_eq!(call("get", &[m.clone(), kw("x"), int(0)]), "0");
        assert_eq!(call("get", &[map(&[(kw("x"), Value::Nil)]), kw("x"), int(0)]), "nil");
        assert_eq!(call("get", &[vector(&[1]), int(0)]), "ERR Type error: expected map or hashmap, got vector");
        assert_eq!(call("get", &[map(&[(int(1), kw("one"))]), Value::Float(1.0)]), "nil");
        assert_eq!(call("keys", &[m.clone()]), "(:age :name)");
        assert_eq!(call("vals", &[m.clone()]), "(36 \"Ada\")");
        assert_eq!(call("contains?", &[map(&[(kw("a"), Value::Nil)]), kw("a")]), "#t");
        assert_eq!(call("contains?", &[ints(&[]), kw("a")]), "ERR Type error: expected map or hashmap, got list");
        assert_eq!(call("merge", &[]), "{}");
        assert_eq!(call("merge", &[m.clone(), map(&[(kw("age"), int(1))]), map(&[(kw("z"), int(2))])]), "{:age 1 :name \"Ada\" :z 2}");
        assert_eq!(call("merge", &[m.clone(), Value::Nil]), "ERR Type error: expected map or hashmap, got nil");
        assert_eq!(call("map/new", &[kw("b"), int(2), kw("a"), int(1)]), "{:a 1 :b 2}");
        assert_eq!(call("hash-map", &[kw("b")]), "ERR Eval error: hash-map: requires even number of arguments");
        assert_eq!(call("map/new", &[Value::Float(1.5), kw("x"), int(5), kw("y")]), "{5 :y 1.5 :x}");
        assert_eq!(call("map/entries", &[m.clone()]), "((:age 36) (:name \"Ada\"))");
        assert_eq!(
            call("map/from-entries", &[Value::list(vec![Value::list(vec![kw("a"), int(1)]), Value::vector(vec![kw("b"), int(2)])])]),
            "{:a 1 :b 2}"
        );
        assert_eq!(call("map/select-keys", &[m.clone(), Value::list(vec![kw("name"), kw("zz")])]), "{:name \"Ada\"}");
        assert_eq!(call("map/except", &[m.clone(), Value::vector(vec![kw("name")])]), "{:age 36}");
        assert_eq!(call("map/zip", &[Value::list(vec![kw("a"), kw("b")]), ints(&[1, 2, 3])]), "{:a 1 :b 2}");
        assert_eq!(call("map/sort-keys", &[m.clone()]), "{:age 36 :name \"Ada\"}");
    }

    #[test]
    fn nested_paths() {
        let inner = map(&[(kw("b"), int(1))]);
        let m = map(&[(kw("a"), inner)]);
        let path = |ks: &[&str]| Value::vector(ks.iter().map(|k| kw(k)).collect());
        assert_eq!(call("get-in", &[m.clone(), path(&["a", "b"])]), "1");
        assert_eq!(call("map/get-in", &[m.clone(), path(&["a", "z"]), kw("d")]), ":d");
        assert_eq!(call("get-in", &[m.clone(), path(&[])]), "{:a {:b 1}}");
        assert_eq!(call("assoc-in", &[m.clone(), path(&["a", "c"]), int(2)]), "{:a {:b 1 :c 2}}");
        assert_eq!(call("map/assoc-in", &[m.clone(), path(&["x", "y"]), int(3)]), "{:a {:b 1} :x {:y 3}}");
        assert_eq!(call("assoc-in", &[Value::Nil, path(&["k"]), int(3)]), "{:k 3}");
        assert_eq!(repr(&m), "{:a {:b 1}}");
    }

    #[test]
    fn hashmaps() {
        let h = hashmap_new(&[kw("b"), int(2), kw("a"), int(1)]).unwrap();
        assert_eq!(repr(&h), "{:a 1 :b 2}");
        assert_eq!(call("hashmap/new", &[kw("a")]), "ERR Eval error: hashmap/new: requires even number of arguments");
        assert_eq!(call("hashmap/to-map", &[h.clone()]), "{:a 1 :b 2}");
        assert_eq!(call("map?", &[h.clone()]), "#f");
        assert_eq!(call("hashmap/get", &[h.clone(), kw("a")]), "1");
        assert_eq!(call("hashmap/get", &[h.clone(), kw("q"), int(0)]), "0");
        assert_eq!(call("hashmap/contains?", &[h.clone(), kw("b")]), "#t");
        assert_eq!(call("hashmap/assoc", &[h.clone(), kw("c"), int(3)]), "{:a 1 :b 2 :c 3}");
        assert_eq!(call("assoc", &[h.clone(), kw("c"), int(3)]), "{:a 1 :b 2 :c 3}");
        let merged = merge(&mut [h.clone(), map(&[(kw("z"), int(0))])]).unwrap();
        assert!(matches!(merged, Value::HashMap(_)), "merge keeps the first argument's kind");
        assert_eq!(call("map/entries", &[h.clone()]), "((:a 1) (:b 2))");
        assert_eq!(call("hashmap/keys", &[map(&[])]), "ERR Type error: expected hashmap, got map");
        assert_eq!(call("length", &[h]), "2");
    }

    #[test]
    fn assoc_updates_in_place_when_unshared() {
        // Count 1: the map the call receives is the map it returns.
        let m = Value::Map(Rc::new(SortedMap::new()));
        let Value::Map(rc) = &m else { unreachable!() };
        let before = Rc::as_ptr(rc);
        let out = assoc(&mut [m, kw("a"), int(1)]).unwrap();
        let Value::Map(after) = &out else { panic!("not a map") };
        assert!(std::ptr::eq(before, Rc::as_ptr(after)), "assoc copied an unshared map");

        // Count 2: the caller's map is copied and stays unchanged.
        let kept = out.clone();
        let out2 = assoc(&mut [out, kw("b"), int(2)]).unwrap();
        let (Value::Map(a), Value::Map(b)) = (&kept, &out2) else { panic!() };
        assert!(!Rc::ptr_eq(a, b));
        assert_eq!(repr(&kept), "{:a 1}");
        assert_eq!(repr(&out2), "{:a 1 :b 2}");

        // The same holds for hashmaps and dissoc.
        let h = hashmap_new(&[kw("a"), int(1)]).unwrap();
        let Value::HashMap(rc) = &h else { unreachable!() };
        let before = Rc::as_ptr(rc);
        let out = dissoc(&mut [h, kw("a")]).unwrap();
        let Value::HashMap(after) = &out else { panic!() };
        assert!(std::ptr::eq(before, Rc::as_ptr(after)));
        let out = hashmap_assoc(&mut [out, kw("z"), int(26)]).unwrap();
        let Value::HashMap(after) = &out else { panic!() };
        assert!(std::ptr::eq(before, Rc::as_ptr(after)));
    }

    #[test]
    fn bytevectors() {
        assert_eq!(call("bytevector", &[int(1), int(2), int(255)]), "#u8(1 2 255)");
        assert_eq!(call("bytevector", &[int(1), int(300)]), "ERR Eval error: bytevector: byte value 300 at index 1 out of range 0..255");
        assert_eq!(call("bytevector/new", &[int(3), int(7)]), "#u8(7 7 7)");
        assert_eq!(call("make-bytevector", &[int(2)]), "#u8(0 0)");
        assert_eq!(call("bytevector-length", &[bv(&[1, 2, 3])]), "3");
        assert_eq!(call("bytevector/ref", &[bv(&[1, 2, 3]), int(1)]), "2");
        assert_eq!(
            call("bytevector-u8-ref", &[bv(&[1]), int(4)]),
            "ERR Eval error: bytevector-u8-ref: index 4 out of range for bytevector of length 1"
        );
        let b = bv(&[1, 2]);
        assert_eq!(call("bytevector-u8-set!", &[b.clone(), int(0), int(9)]), "#u8(9 2)");
        assert_eq!(repr(&b), "#u8(1 2)");
        assert_eq!(call("bytevector/append", &[bv(&[1]), bv(&[]), bv(&[2, 3])]), "#u8(1 2 3)");
        assert_eq!(call("bytevector/copy", &[bv(&[1, 2, 3, 4]), int(1), int(3)]), "#u8(2 3)");
        assert_eq!(call("bytevector->list", &[bv(&[1, 2])]), "(1 2)");
        assert_eq!(call("list->bytevector", &[ints(&[4, 5])]), "#u8(4 5)");
        assert_eq!(call("list/to-bytevector", &[ints(&[256])]), "ERR Eval error: list->bytevector: byte value 256 out of range 0..255");
        assert_eq!(call("bytevector?", &[bv(&[])]), "#t");
        assert_eq!(call("bytevector-length", &[ints(&[])]), "ERR Type error: expected bytevector, got list");
    }

    #[test]
    fn byte_utilities() {
        let line = bv(b"Berlin;12.3");
        assert_eq!(call("bytes/find", &[line.clone(), int(b';' as i64)]), "6");
        assert_eq!(call("bytes/find", &[line.clone(), s("12")]), "7");
        assert_eq!(call("bytes/find", &[line.clone(), bv(b"x")]), "nil");
        assert_eq!(call("bytes/find", &[line.clone(), int(b'n' as i64), int(2)]), "5");
        assert_eq!(call("bytes/find", &[line.clone(), int(b'B' as i64), int(1)]), "nil");
        assert_eq!(call("bytes/find", &[line.clone(), int(b'B' as i64), int(99)]), "nil");
        assert_eq!(call("bytes/find", &[line.clone(), int(300)]), "ERR Eval error: bytes/find: byte value 300 out of range 0..255");
        assert_eq!(call("bytes/->string", &[line.clone(), int(0), int(6)]), "\"Berlin\"");
        assert_eq!(call("bytes/->string", &[line.clone()]), "\"Berlin;12.3\"");
        assert_eq!(call("bytes/->string", &[bv(b"abcd"), int(3), int(1)]), "ERR Eval error: bytes/->string: range 3..1 out of bounds for 4 bytes");
        assert_eq!(call("bytes/parse-int10", &[line.clone(), int(7)]), "123");
        assert_eq!(call("bytes/parse-int10", &[bv(b"-12.3")]), "-123");
        assert_eq!(call("bytes/parse-int10", &[bv(b"45")]), "450");
        assert_eq!(call("bytes/parse-int10", &[bv(b"4.55")]), "ERR Eval error: bytes/parse-int10: expected exactly one digit after '.'");
        assert_eq!(call("bytes/parse-int10", &[bv(b"x1")]), "ERR Eval error: bytes/parse-int10: invalid digit 'x' at byte 0");
        assert_eq!(call("bytes/parse-int10", &[bv(b"-")]), "ERR Eval error: bytes/parse-int10: expected at least one digit");
        assert_eq!(call("bytes/length", &[line.clone()]), "11");
        assert_eq!(call("bytes/ref", &[line.clone(), int(0)]), "66");
        assert_eq!(call("bytes/slice", &[line, int(7)]), "#u8(49 50 46 51)");
    }
}

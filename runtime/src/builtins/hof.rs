//! Higher-order functions and promises (LANGUAGE.md §6.12, §12.1, §12.2, §12.4), plus
//! the internal builtins the compiler emits for `delay` and quasiquote splicing.
//!
//! Sequence arguments are lists, vectors or mutable arrays (a mutable array is
//! snapshotted first, so a callback may mutate it); results are lists.

// Values are map keys by design (see collections.rs).
#![allow(clippy::mutable_key_type)]

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::collections::{index_arg, seq_error, update_path};
use super::{pure, with_vm, Builtin};
use crate::error::{Error, Result};
use crate::list::{List, ListIter};
use crate::num;
use crate::value::{HashMap, Promise, SortedMap, Value};
use crate::vm::Vm;

pub static BUILTINS: &[Builtin] = &[
    with_vm("map", 2, None, map),
    with_vm("mapcar", 2, None, map).alias_of("map"),
    with_vm("filter", 2, Some(2), |vm, a| select(vm, a, "filter", true)),
    with_vm("list/reject", 2, Some(2), |vm, a| select(vm, a, "list/reject", false)),
    with_vm("foldl", 3, Some(3), foldl),
    with_vm("fold", 3, Some(3), foldl).alias_of("foldl"),
    with_vm("foldr", 3, Some(3), foldr),
    with_vm("reduce", 2, Some(2), reduce),
    with_vm("for-each", 2, Some(2), for_each),
    with_vm("any", 2, Some(2), |vm, a| any_every(vm, a, "any", true)),
    with_vm("every", 2, Some(2), |vm, a| any_every(vm, a, "every", false)),
    with_vm("any?", 2, Some(2), |vm, a| any_every(vm, a, "any", true)).alias_of("any"),
    with_vm("some?", 2, Some(2), |vm, a| any_every(vm, a, "any", true)).alias_of("any"),
    with_vm("every?", 2, Some(2), |vm, a| any_every(vm, a, "every", false)).alias_of("every"),
    with_vm("flat-map", 2, Some(2), flat_map),
    with_vm("map-indexed", 2, Some(2), map_indexed),
    with_vm("sort", 1, Some(2), sort),
    with_vm("sort-by", 2, Some(2), sort_by),
    with_vm("apply", 2, None, apply),
    with_vm("tap", 2, Some(2), |vm, a| {
        vm.call(&a[1], std::slice::from_ref(&a[0]))?;
        Ok(a[0].clone())
    }),
    with_vm("list/find", 2, Some(2), list_find),
    with_vm("list/sole", 2, Some(2), list_sole),
    with_vm("partition", 2, Some(2), partition),
    with_vm("take-while", 2, Some(2), |vm, a| take_while(vm, a, "take-while")),
    with_vm("list/take-while", 2, Some(2), |vm, a| take_while(vm, a, "list/take-while")),
    with_vm("drop-while", 2, Some(2), |vm, a| drop_while(vm, a, "drop-while")),
    with_vm("list/drop-while", 2, Some(2), |vm, a| drop_while(vm, a, "list/drop-while")),
    with_vm("list/group-by", 2, Some(2), group_by),
    with_vm("list/key-by", 2, Some(2), key_by),
    with_vm("list/times", 2, Some(2), list_times),
    with_vm("map/map-vals", 2, Some(2), |vm, a| map_traverse(vm, a, Traverse::Vals)),
    with_vm("map/map-keys", 2, Some(2), |vm, a| map_traverse(vm, a, Traverse::Keys)),
    with_vm("map/filter", 2, Some(2), |vm, a| map_traverse(vm, a, Traverse::Filter)),
    with_vm("map/update", 3, Some(3), map_update),
    with_vm("update-in", 3, Some(3), update_in),
    with_vm("map/update-in", 3, Some(3), update_in).alias_of("update-in"),
    with_vm("force", 1, Some(1), |vm, a| force(vm, &a[0])),
    pure("promise-forced?", 1, Some(1), |a| match &a[0] {
        Value::Promise(p) => Ok(Value::Bool(matches!(&*p.borrow(), Promise::Forced(_)))),
        other => Err(Error::type_error("promise", other)),
    }),
    pure("%make-promise", 1, Some(1), |a| Ok(Value::Promise(Rc::new(RefCell::new(Promise::Pending(a[0].clone())))))),
    pure("%append-splice", 0, None, append_splice),
    pure("%list->vector", 1, Some(1), |a| match &a[0] {
        Value::List(l) => Ok(Value::vector(l.to_vec())),
        Value::Vector(_) => Ok(a[0].clone()),
        other => Err(Error::type_error("list", other)),
    }),
];

// ---------------------------------------------------------------------------
// Sequences held while callbacks run

/// A sequence argument: lists and vectors are shared, a mutable array is copied.
pub enum Seq {
    List(List),
    Vector(Rc<Vec<Value>>),
    Snapshot(Vec<Value>),
}

pub enum SeqIter<'a> {
    List(ListIter<'a>),
    Slice(std::slice::Iter<'a, Value>),
}

impl<'a> Iterator for SeqIter<'a> {
    type Item = &'a Value;

    fn next(&mut self) -> Option<&'a Value> {
        match self {
            SeqIter::List(it) => it.next(),
            SeqIter::Slice(it) => it.next(),
        }
    }
}

impl Seq {
    /// `what` names the caller in the type error
    /// (`expected list, vector, or mutable-array, got string in map`).
    pub fn new(v: &Value, what: &str) -> Result<Seq> {
        match v {
            Value::List(l) => Ok(Seq::List(l.clone())),
            Value::Vector(items) => Ok(Seq::Vector(items.clone())),
            Value::MutableArray(a) => Ok(Seq::Snapshot(a.borrow().clone())),
            other => Err(seq_error(other, what)),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Seq::List(l) => l.len(),
            Seq::Vector(items) => items.len(),
            Seq::Snapshot(items) => items.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> SeqIter<'_> {
        match self {
            Seq::List(l) => SeqIter::List(l.iter()),
            Seq::Vector(items) => SeqIter::Slice(items.iter()),
            Seq::Snapshot(items) => SeqIter::Slice(items.iter()),
        }
    }

    pub fn into_vec(self) -> Vec<Value> {
        match self {
            Seq::List(l) => l.to_vec(),
            Seq::Vector(items) => Rc::try_unwrap(items).unwrap_or_else(|items| (*items).clone()),
            Seq::Snapshot(items) => items,
        }
    }
}

fn call1(vm: &mut Vm, f: &Value, x: &Value) -> Result<Value> {
    vm.call(f, std::slice::from_ref(x))
}

// ---------------------------------------------------------------------------
// Mapping, filtering, folding

fn map(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let f = &args[0];
    if let [_, seq] = args {
        let seq = Seq::new(seq, "map")?;
        let mut out = Vec::with_capacity(seq.len());
        for item in seq.iter() {
            out.push(call1(vm, f, item)?);
        }
        return Ok(Value::list(out));
    }
    let seqs = args[1..].iter().map(|s| Seq::new(s, "map")).collect::<Result<Vec<_>>>()?;
    let n = seqs.iter().map(Seq::len).min().unwrap_or(0);
    let mut iters: Vec<SeqIter> = seqs.iter().map(Seq::iter).collect();
    let mut out = Vec::with_capacity(n);
    let mut call_args = Vec::with_capacity(iters.len());
    for _ in 0..n {
        call_args.clear();
        call_args.extend(iters.iter_mut().map(|it| it.next().cloned().unwrap_or_default()));
        out.push(vm.call(f, &call_args)?);
    }
    Ok(Value::list(out))
}

/// `filter` (keep = true) and `list/reject` (keep = false).
fn select(vm: &mut Vm, args: &[Value], name: &str, keep: bool) -> Result<Value> {
    let seq = Seq::new(&args[1], name)?;
    let mut out = Vec::new();
    for item in seq.iter() {
        if call1(vm, &args[0], item)?.truthy() == keep {
            out.push(item.clone());
        }
    }
    Ok(Value::list(out))
}

/// `(foldl f init seq)`: `(f acc elem)` left to right. The accumulator is moved
/// into each call, so an unshared map accumulator stays unshared.
fn foldl(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let f = &args[0];
    let seq = Seq::new(&args[2], "foldl")?;
    let mut acc = args[1].clone();
    for item in seq.iter() {
        acc = vm.call_owned(f, [std::mem::take(&mut acc), item.clone()])?;
    }
    Ok(acc)
}

/// `(foldr f init seq)`: `(f elem acc)` from the right.
fn foldr(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let f = &args[0];
    let items = Seq::new(&args[2], "foldr")?.into_vec();
    let mut acc = args[1].clone();
    for item in items.into_iter().rev() {
        acc = vm.call_owned(f, [item, std::mem::take(&mut acc)])?;
    }
    Ok(acc)
}

fn reduce(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let f = &args[0];
    let seq = Seq::new(&args[1], "reduce")?;
    let mut items = seq.iter();
    let Some(first) = items.next() else { return Err(Error::eval("reduce: empty list")) };
    let mut acc = first.clone();
    for item in items {
        acc = vm.call_owned(f, [std::mem::take(&mut acc), item.clone()])?;
    }
    Ok(acc)
}

fn for_each(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let seq = Seq::new(&args[1], "for-each")?;
    for item in seq.iter() {
        call1(vm, &args[0], item)?;
    }
    Ok(Value::Nil)
}

/// `any` (want = true) stops at the first truthy result; `every` at the first falsy.
fn any_every(vm: &mut Vm, args: &[Value], name: &str, want: bool) -> Result<Value> {
    let seq = Seq::new(&args[1], name)?;
    for item in seq.iter() {
        if call1(vm, &args[0], item)?.truthy() == want {
            return Ok(Value::Bool(want));
        }
    }
    Ok(Value::Bool(!want))
}

/// Map, then splice results that are lists or vectors (other results are kept).
fn flat_map(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let seq = Seq::new(&args[1], "flat-map")?;
    let mut out = Vec::new();
    for item in seq.iter() {
        match call1(vm, &args[0], item)? {
            Value::List(l) => out.extend(l.iter().cloned()),
            Value::Vector(items) => out.extend(items.iter().cloned()),
            other => out.push(other),
        }
    }
    Ok(Value::list(out))
}

fn map_indexed(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let seq = Seq::new(&args[1], "map-indexed")?;
    let mut out = Vec::with_capacity(seq.len());
    for (i, item) in seq.iter().enumerate() {
        out.push(vm.call(&args[0], &[Value::Int(i as i64), item.clone()])?);
    }
    Ok(Value::list(out))
}

fn apply(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let (last, init) = args[1..].split_last().expect("arity 2+");
    let spread = Seq::new(last, "apply")?;
    let mut call_args = Vec::with_capacity(init.len() + spread.len());
    call_args.extend_from_slice(init);
    call_args.extend(spread.iter().cloned());
    vm.call(&args[0], &call_args)
}

fn list_find(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let seq = Seq::new(&args[1], "list/find")?;
    for item in seq.iter() {
        if call1(vm, &args[0], item)?.truthy() {
            return Ok(item.clone());
        }
    }
    Ok(Value::Nil)
}

fn list_sole(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let seq = Seq::new(&args[1], "list/sole")?;
    let mut found = None;
    for item in seq.iter() {
        if call1(vm, &args[0], item)?.truthy() {
            if found.is_some() {
                return Err(Error::eval("list/sole: more than one matching item"));
            }
            found = Some(item.clone());
        }
    }
    found.ok_or_else(|| Error::eval("list/sole: no matching item"))
}

fn partition(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let seq = Seq::new(&args[1], "partition")?;
    let (mut yes, mut no) = (Vec::new(), Vec::new());
    for item in seq.iter() {
        if call1(vm, &args[0], item)?.truthy() {
            yes.push(item.clone());
        } else {
            no.push(item.clone());
        }
    }
    Ok(Value::list(vec![Value::list(yes), Value::list(no)]))
}

fn take_while(vm: &mut Vm, args: &[Value], name: &str) -> Result<Value> {
    let seq = Seq::new(&args[1], name)?;
    let mut out = Vec::new();
    for item in seq.iter() {
        if !call1(vm, &args[0], item)?.truthy() {
            break;
        }
        out.push(item.clone());
    }
    Ok(Value::list(out))
}

fn drop_while(vm: &mut Vm, args: &[Value], name: &str) -> Result<Value> {
    let seq = Seq::new(&args[1], name)?;
    let mut items = seq.iter();
    let mut out = Vec::new();
    for item in items.by_ref() {
        if !call1(vm, &args[0], item)?.truthy() {
            out.push(item.clone());
            break;
        }
    }
    out.extend(items.cloned());
    Ok(Value::list(out))
}

/// `(list/group-by f seq)`: sorted map from key to the elements with that key, in
/// their original order.
fn group_by(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let seq = Seq::new(&args[1], "list/group-by")?;
    let mut groups: BTreeMap<Value, Vec<Value>> = BTreeMap::new();
    for item in seq.iter() {
        let key = call1(vm, &args[0], item)?;
        groups.entry(key).or_default().push(item.clone());
    }
    Ok(Value::Map(Rc::new(groups.into_iter().map(|(k, items)| (k, Value::list(items))).collect())))
}

/// `(list/key-by f seq)`: sorted map from key to element (later elements win).
fn key_by(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let seq = Seq::new(&args[1], "list/key-by")?;
    let mut map = SortedMap::new();
    for item in seq.iter() {
        let key = call1(vm, &args[0], item)?;
        map.insert(key, item.clone());
    }
    Ok(Value::Map(Rc::new(map)))
}

fn list_times(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let n = index_arg(&args[0], "list/times")?;
    let mut out = Vec::with_capacity(n.min(1 << 20));
    for i in 0..n {
        out.push(call1(vm, &args[1], &Value::Int(i as i64))?);
    }
    Ok(Value::list(out))
}

// ---------------------------------------------------------------------------
// Sorting

/// A stable merge sort driven by a fallible "a sorts before b" test. It only asks
/// `less(later, earlier)`, so for any comparator that is a strict weak order the
/// result is the unique stable order (what every stable sort produces), and an
/// inconsistent comparator can never make it panic.
pub fn stable_sort<T: Default>(mut v: Vec<T>, less: &mut dyn FnMut(&T, &T) -> Result<bool>) -> Result<Vec<T>> {
    const RUN: usize = 16;
    let n = v.len();
    let mut start = 0;
    while start < n {
        let end = (start + RUN).min(n);
        for i in start + 1..end {
            let mut j = i;
            while j > start && less(&v[j], &v[j - 1])? {
                v.swap(j, j - 1);
                j -= 1;
            }
        }
        start = end;
    }
    let mut width = RUN;
    let mut buf: Vec<T> = Vec::with_capacity(n);
    while width < n {
        let mut lo = 0;
        while lo < n {
            let mid = (lo + width).min(n);
            let hi = (lo + 2 * width).min(n);
            let (mut i, mut j) = (lo, mid);
            while i < mid && j < hi {
                if less(&v[j], &v[i])? {
                    buf.push(std::mem::take(&mut v[j]));
                    j += 1;
                } else {
                    buf.push(std::mem::take(&mut v[i]));
                    i += 1;
                }
            }
            buf.extend(v[i..mid].iter_mut().map(std::mem::take));
            buf.extend(v[j..hi].iter_mut().map(std::mem::take));
            lo = hi;
        }
        std::mem::swap(&mut v, &mut buf);
        buf.clear();
        width *= 2;
    }
    Ok(v)
}

/// Numeric order across the tower; NaN after every other number.
fn numeric_cmp(a: &Value, b: &Value) -> Ordering {
    match num::compare(a, b) {
        Ok(Some(order)) => order,
        _ => {
            let nan = |v: &Value| matches!(v, Value::Float(f) if f.is_nan());
            nan(a).cmp(&nan(b))
        }
    }
}

/// The order of a one-argument `sort`: real numbers by value, anything else (complex
/// numbers too) by the total order, all elements of one kind (`expected int, got string`).
fn default_sort(items: Vec<Value>) -> Result<Vec<Value>> {
    let Some(first) = items.first() else { return Ok(items) };
    let numeric = first.is_real();
    if let Some(bad) = items.iter().find(|v| if numeric { !v.is_real() } else { v.type_name() != first.type_name() }) {
        return Err(Error::type_error(first.type_name(), bad));
    }
    if numeric {
        stable_sort(items, &mut |a, b| Ok(numeric_cmp(a, b) == Ordering::Less))
    } else {
        stable_sort(items, &mut |a, b| Ok(a < b))
    }
}

/// How a comparator's result orders `a` and `b`: an integer by its sign, `#t`
/// = a first, `#f` = b first, anything else = equal.
fn comparator_order(result: &Value) -> Ordering {
    match result {
        Value::Int(n) => n.cmp(&0),
        Value::BigInt(b) => {
            if num_traits::Signed::is_negative(&**b) {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        Value::Bool(true) => Ordering::Less,
        Value::Bool(false) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

fn sort(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let items = Seq::new(&args[0], "sort")?.into_vec();
    let sorted = match args.get(1) {
        None => default_sort(items)?,
        Some(cmp) => stable_sort(items, &mut |a, b| {
            let result = vm.call(cmp, &[a.clone(), b.clone()])?;
            Ok(comparator_order(&result) == Ordering::Less)
        })?,
    };
    Ok(Value::list(sorted))
}

/// `(sort-by key-fn seq)`: stable, ascending by key in the total order.
fn sort_by(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let seq = Seq::new(&args[1], "sort-by")?;
    let mut keyed = Vec::with_capacity(seq.len());
    for item in seq.iter() {
        keyed.push((call1(vm, &args[0], item)?, item.clone()));
    }
    let sorted = stable_sort(keyed, &mut |a, b| Ok(a.0 < b.0))?;
    Ok(Value::list(sorted.into_iter().map(|(_, item)| item).collect()))
}

// ---------------------------------------------------------------------------
// Maps

#[derive(Clone, Copy)]
enum Traverse {
    Vals,
    Keys,
    Filter,
}

/// `map/map-vals`, `map/map-keys`, `map/filter`: `(fn m)`; the result has the
/// argument's kind.
fn map_traverse(vm: &mut Vm, args: &[Value], mode: Traverse) -> Result<Value> {
    let f = &args[0];
    let entries: Vec<(Value, Value)> = match &args[1] {
        Value::Map(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Value::HashMap(m) => m.entries().collect(),
        other => return Err(Error::type_error("map or hashmap", other)),
    };
    let mut out = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        match mode {
            Traverse::Vals => {
                let v = call1(vm, f, &v)?;
                out.push((k, v));
            }
            Traverse::Keys => {
                let k = call1(vm, f, &k)?;
                out.push((k, v));
            }
            Traverse::Filter => {
                if vm.call(f, &[k.clone(), v.clone()])?.truthy() {
                    out.push((k, v));
                }
            }
        }
    }
    Ok(match &args[1] {
        Value::HashMap(_) => Value::HashMap(Rc::new(out.into_iter().collect::<HashMap>())),
        _ => Value::Map(Rc::new(out.into_iter().collect::<SortedMap>())),
    })
}

/// `(map/update m k f)`: k set to `(f old)`, old being nil when absent.
fn map_update(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    if !matches!(args[0], Value::Map(_) | Value::HashMap(_)) {
        return Err(Error::type_error("map or hashmap", &args[0]));
    }
    let f = &args[2];
    update_path(args[0].clone(), std::slice::from_ref(&args[1]), &mut |old| vm.call_owned(f, [old]))
}

/// `(update-in m path f)`: like `assoc-in` with `(f old)`; an empty path gives `(f m)`.
fn update_in(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let path = match &args[1] {
        Value::List(l) => l.to_vec(),
        Value::Vector(items) => (**items).clone(),
        other => return Err(Error::type_error("list or vector", other)),
    };
    let f = &args[2];
    if path.is_empty() {
        return call1(vm, f, &args[0]);
    }
    update_path(args[0].clone(), &path, &mut |old| vm.call_owned(f, [old]))
}

// ---------------------------------------------------------------------------
// Promises and compiler support

/// Forces a promise once and memoises its value. A zero-argument function is also
/// accepted and simply called.
fn force(vm: &mut Vm, v: &Value) -> Result<Value> {
    let promise = match v {
        Value::Promise(p) => p.clone(),
        Value::Closure(_) => return vm.call(v, &[]),
        other => return Err(Error::type_error("thunk", other)),
    };
    let thunk = match &*promise.borrow() {
        Promise::Forced(value) => return Ok(value.clone()),
        Promise::Pending(thunk) => thunk.clone(),
    };
    let value = vm.call(&thunk, &[])?;
    let mut state = promise.borrow_mut();
    // A re-entrant force of the same promise may have finished first; its value wins.
    if let Promise::Forced(first) = &*state {
        return Ok(first.clone());
    }
    *state = Promise::Forced(value.clone());
    Ok(value)
}

/// `%append-splice`: the quasiquote segments (lists, vectors, mutable arrays; nil
/// counts as empty) joined into one list, sharing the last list's cells.
fn append_splice(args: &[Value]) -> Result<Value> {
    for arg in args {
        if !matches!(arg, Value::List(_) | Value::Vector(_) | Value::MutableArray(_) | Value::Nil) {
            return Err(Error::type_error("list or vector", arg));
        }
    }
    let mut result = List::EMPTY;
    for (i, arg) in args.iter().enumerate().rev() {
        let items: Vec<Value> = match arg {
            Value::List(l) if i + 1 == args.len() => {
                result = l.clone();
                continue;
            }
            Value::List(l) => l.to_vec(),
            Value::Vector(items) => (**items).clone(),
            Value::MutableArray(a) => a.borrow().clone(),
            _ => Vec::new(),
        };
        for item in items.into_iter().rev() {
            result = List::cons(item, result);
        }
    }
    Ok(Value::List(result))
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::builtins::test_support::*;
    use super::*;
    use crate::interner::Sym;
    use crate::printer::repr;
    use crate::program::{FuncProto, Program};
    use crate::value::{Captures, Closure};
    use bundle_format::opcodes::{Count, Instr, Slot, SmallArgc, SmallInt, SymIdx, Written};

    pub(crate) fn vm() -> Vm {
        let entry = proto(0, vec![Instr::LoadNil { dst: Slot(0) }, ret(Slot(0))]);
        let program = Program { unit: entry.unit.clone(), entry };
        Vm::new(program, Vec::new())
    }

    fn proto(arity: u16, code: Vec<Instr>) -> Rc<FuncProto> {
        proto_with(arity, arity + 4, code)
    }

    /// A return that resets every register of its frame (`proto_with` bounds it).
    fn ret(src: Slot) -> Instr {
        Instr::Return { src, written: Written(u16::MAX) }
    }

    fn proto_with(arity: u16, registers: u16, code: Vec<Instr>) -> Rc<FuncProto> {
        let code: Vec<Instr> = code
            .into_iter()
            .map(|instr| match instr {
                Instr::Return { src, written } => Instr::Return { src, written: Written(written.0.min(registers)) },
                other => other,
            })
            .collect();
        Rc::new(FuncProto {
            name: None,
            trace_name: crate::program::trace_name(None),
            arity,
            rest: false,
            registers,
            captures: Box::new([]),
            code: code.into_boxed_slice(),
            positions: None,
            file: None,
            unit: crate::program::Unit::empty(),
        })
    }

    /// A closure running `code` with `arity` parameters in registers 0.. and four
    /// more registers.
    pub(crate) fn closure(arity: u16, code: Vec<Instr>) -> Value {
        Value::Closure(Rc::new(Closure { proto: proto(arity, code), captures: Captures::NONE }))
    }

    /// A three-address instruction: destination, then two operand registers.
    type Op = fn(Slot, Slot, Slot) -> Instr;

    fn r(i: u16) -> Slot {
        Slot(i)
    }

    /// `(fn (a b) (OP a b))`.
    fn binary(op: Op) -> Value {
        closure(2, vec![op(r(2), r(0), r(1)), ret(r(2))])
    }

    /// `(fn (x) (OP x k))`.
    fn with_int(op: Op, k: i32) -> Value {
        closure(1, vec![Instr::LoadInt { dst: r(1), value: SmallInt(k) }, op(r(2), r(0), r(1)), ret(r(2))])
    }

    /// `(fn (args...) (NAME args...))` calling a global builtin: the arguments are
    /// copied into the call's window above them.
    fn global_call(name: &str, arity: u16) -> Value {
        let mut code: Vec<Instr> = (0..arity).map(|i| Instr::Move { dst: r(arity + 1 + i), src: r(i) }).collect();
        let sym = SymIdx(Sym::intern(name).index() as u32);
        code.push(Instr::CallGlobal { sym, a: r(arity), argc: SmallArgc(arity as u8) });
        code.push(ret(r(arity)));
        Value::Closure(Rc::new(Closure { proto: proto_with(arity, 2 * arity + 1, code), captures: Captures::NONE }))
    }

    pub(crate) fn native(name: &str) -> Value {
        Value::Native(crate::builtins::find(name).unwrap_or_else(|| panic!("no builtin {name}")))
    }

    pub(crate) fn call(vm: &mut Vm, name: &str, args: &[Value]) -> String {
        match vm.call(&native(name), args) {
            Ok(v) => repr(&v),
            Err(e) => format!("ERR {}", e.report()),
        }
    }


    #[test]
    fn map_filter_fold() {
        let mut vm = vm();
        let square = closure(1, vec![Instr::Mul { dst: r(1), a: r(0), b: r(0) }, ret(r(1))]);
        assert_eq!(call(&mut vm, "map", &[square.clone(), ints(&[1, 2, 3])]), "(1 4 9)");
        assert_eq!(call(&mut vm, "map", &[square.clone(), vector(&[4])]), "(16)");
        assert_eq!(call(&mut vm, "map", &[native("+"), ints(&[1, 2, 3]), vector(&[10, 20])]), "(11 22)");
        assert_eq!(call(&mut vm, "map", &[native("list"), ints(&[1]), ints(&[2]), ints(&[3])]), "((1 2 3))");
        assert_eq!(
            call(&mut vm, "map", &[square.clone(), s("ab")]),
            "ERR Type error: expected list, vector, or mutable-array, got string in map"
        );
        assert_eq!(call(&mut vm, "map", &[kw("a"), Value::list(vec![])]), "()");
        let even = native("even?");
        assert_eq!(call(&mut vm, "filter", &[even.clone(), ints(&[1, 2, 3, 4])]), "(2 4)");
        assert_eq!(call(&mut vm, "list/reject", &[even.clone(), vector(&[1, 2, 3, 4])]), "(1 3)");
        assert_eq!(call(&mut vm, "foldl", &[native("-"), int(0), vector(&[1, 2, 3])]), "-6");
        assert_eq!(call(&mut vm, "foldl", &[binary(|dst, a, b| Instr::Add { dst, a, b }), int(0), ints(&[])]), "0");
        assert_eq!(call(&mut vm, "foldr", &[native("-"), int(0), ints(&[1, 2, 3])]), "2");
        assert_eq!(call(&mut vm, "foldr", &[native("cons"), ints(&[]), ints(&[1, 2, 3])]), "(1 2 3)");
        assert_eq!(call(&mut vm, "reduce", &[native("+"), ints(&[1, 2, 3])]), "6");
        assert_eq!(call(&mut vm, "reduce", &[native("+"), ints(&[])]), "ERR Eval error: reduce: empty list");
        assert_eq!(call(&mut vm, "reduce", &[native("+"), int(0), ints(&[])]), "ERR Arity error: reduce expects 2 args, got 3");
        assert_eq!(call(&mut vm, "for-each", &[square, ints(&[1])]), "nil");
    }

    #[test]
    fn calls_into_sema_reuse_the_registers_above_the_calling_frame() {
        let mut vm = vm();
        let square = closure(1, vec![Instr::Mul { dst: r(1), a: r(0), b: r(0) }, ret(r(1))]);
        let add = binary(|dst, a, b| Instr::Add { dst, a, b });
        assert_eq!(call(&mut vm, "map", &[square.clone(), ints(&[1, 2])]), "(1 4)");
        assert_eq!(call(&mut vm, "foldl", &[add.clone(), int(0), ints(&[1, 2])]), "3");
        let reached = vm.stack_len();
        assert_eq!(reached, 7, "kept for the next call: the placeholder and add's six registers");
        let many: Vec<i64> = (0..1000).collect();
        assert_eq!(call(&mut vm, "foldl", &[add, int(0), ints(&many)]), "499500");
        assert_eq!(call(&mut vm, "map", &[square.clone(), ints(&many)]).len(), repr(&Value::list(many.iter().map(|n| int(n * n)).collect())).len());
        assert_eq!(vm.stack_len(), reached, "a thousand calls take the same registers");
        // A failing call is cut back; the next ones run in the same place.
        assert!(call(&mut vm, "map", &[square.clone(), Value::list(vec![int(2), s("x")])]).starts_with("ERR"));
        assert_eq!(call(&mut vm, "map", &[square, ints(&[5])]), "(25)");
        assert!(vm.stack_len() <= reached);
    }

    #[test]
    fn foldl_hands_the_accumulator_over_by_move() {
        let mut vm = vm();
        // `dissoc` owns its arguments: called through `call_owned` with the only
        // reference, it must return the very same map.
        let m = Value::Map(Rc::new([(kw("a"), int(1)), (kw("b"), int(2))].into_iter().collect()));
        let Value::Map(rc) = &m else { unreachable!() };
        let before = Rc::as_ptr(rc);
        let out = vm.call_owned(&native("dissoc"), [m, kw("a")]).unwrap();
        let Value::Map(after) = &out else { panic!() };
        assert!(std::ptr::eq(before, Rc::as_ptr(after)));
        // And through foldl, which moves the accumulator into each call.
        let keys = Value::list(vec![kw("a"), kw("b")]);
        assert_eq!(repr(&foldl(&mut vm, &[native("dissoc"), out.clone(), keys]).unwrap()), "{}");
        assert_eq!(repr(&out), "{:b 2}", "the caller's map is not modified");
        // A closure accumulator: (foldl (fn (acc x) (assoc acc x 1)) {} '(:a :b)).
        let step = closure(
            2,
            vec![
                Instr::MoveOut { dst: r(3), src: r(0) },
                Instr::MoveOut { dst: r(4), src: r(1) },
                Instr::LoadInt { dst: r(5), value: SmallInt(1) },
                Instr::CallGlobal { sym: SymIdx(Sym::intern("assoc").index() as u32), a: r(2), argc: SmallArgc(3) },
                ret(r(2)),
            ],
        );
        let empty = Value::Map(Rc::new(SortedMap::new()));
        let keys = Value::vector(vec![kw("a"), kw("b")]);
        assert_eq!(call(&mut vm, "foldl", &[step, empty.clone(), keys]), "{:a 1 :b 1}");
        assert_eq!(repr(&empty), "{}");
    }

    #[test]
    fn predicates_and_slicing() {
        let mut vm = vm();
        let even = native("even?");
        assert_eq!(call(&mut vm, "any", &[even.clone(), ints(&[1, 3, 4])]), "#t");
        assert_eq!(call(&mut vm, "any", &[even.clone(), ints(&[])]), "#f");
        assert_eq!(call(&mut vm, "every", &[even.clone(), ints(&[])]), "#t");
        assert_eq!(call(&mut vm, "every", &[even.clone(), ints(&[2, 3])]), "#f");
        assert_eq!(call(&mut vm, "list/find", &[even.clone(), ints(&[1, 6, 8])]), "6");
        assert_eq!(call(&mut vm, "list/find", &[even.clone(), ints(&[1])]), "nil");
        assert_eq!(call(&mut vm, "partition", &[even.clone(), ints(&[1, 2, 3, 4])]), "((2 4) (1 3))");
        assert_eq!(call(&mut vm, "take-while", &[even.clone(), ints(&[2, 4, 5, 6])]), "(2 4)");
        assert_eq!(call(&mut vm, "drop-while", &[even.clone(), ints(&[2, 4, 5, 6])]), "(5 6)");
        assert_eq!(call(&mut vm, "list/take-while", &[even.clone(), ints(&[1])]), "()");
        assert_eq!(call(&mut vm, "list/drop-while", &[even.clone(), ints(&[2])]), "()");
        assert_eq!(call(&mut vm, "list/sole", &[even.clone(), ints(&[1, 2])]), "2");
        assert_eq!(call(&mut vm, "list/sole", &[even.clone(), ints(&[2, 4])]), "ERR Eval error: list/sole: more than one matching item");
        let pair = closure(
            1,
            vec![
                Instr::Move { dst: r(1), src: r(0) },
                Instr::Move { dst: r(2), src: r(0) },
                Instr::MakeList { dst: r(1), count: Count(2) },
                ret(r(1)),
            ],
        );
        assert_eq!(call(&mut vm, "flat-map", &[pair, ints(&[1, 2])]), "(1 1 2 2)");
        assert_eq!(call(&mut vm, "map-indexed", &[native("list"), Value::list(vec![kw("a"), kw("b")])]), "((0 :a) (1 :b))");
        assert_eq!(call(&mut vm, "list/times", &[int(3), with_int(|dst, a, b| Instr::Mul { dst, a, b }, 10)]), "(0 10 20)");
        assert_eq!(call(&mut vm, "tap", &[int(5), native("even?")]), "5");
    }

    #[test]
    fn apply_spreads_the_last_argument() {
        let mut vm = vm();
        assert_eq!(call(&mut vm, "apply", &[native("+"), int(1), int(2), ints(&[3, 4])]), "10");
        assert_eq!(call(&mut vm, "apply", &[native("+"), vector(&[1, 2])]), "3");
        assert_eq!(
            call(&mut vm, "apply", &[native("+"), int(1)]),
            "ERR Type error: expected list, vector, or mutable-array, got int in apply"
        );
        assert_eq!(call(&mut vm, "apply", &[global_call("list", 2), ints(&[1, 2])]), "(1 2)");
    }

    #[test]
    fn sorting() {
        let mut vm = vm();
        let mixed = Value::list(vec![int(3), Value::Float(1.5), int(1), Value::Float(1.0), int(2)]);
        assert_eq!(call(&mut vm, "sort", &[mixed]), "(1 1.0 1.5 2 3)");
        assert_eq!(call(&mut vm, "sort", &[Value::list(vec![int(1), Value::Float(1.0), Value::Float(0.5)])]), "(0.5 1 1.0)");
        assert_eq!(call(&mut vm, "sort", &[Value::list(vec![s("b"), s("C"), s("a")])]), "(\"C\" \"a\" \"b\")");
        assert_eq!(call(&mut vm, "sort", &[Value::list(vec![int(1), s("a")])]), "ERR Type error: expected int, got string");
        assert_eq!(call(&mut vm, "sort", &[vector(&[3, 1, 2])]), "(1 2 3)");
        assert_eq!(call(&mut vm, "sort", &[Value::Nil]), "ERR Type error: expected list, vector, or mutable-array, got nil in sort");
        assert_eq!(call(&mut vm, "sort", &[ints(&[3, 1, 2]), native(">")]), "(3 2 1)");
        assert_eq!(call(&mut vm, "sort", &[ints(&[3, 1, 2]), binary(|dst, a, b| Instr::Sub { dst, a, b })]), "(1 2 3)");
        // Inconsistent comparators never panic; `<=` is not a strict order.
        let many: Vec<i64> = (0..200).map(|i| (i * 37) % 11).collect();
        let sorted = call(&mut vm, "sort", &[ints(&many), native("<=")]);
        let mut expected = many.clone();
        expected.sort();
        assert_eq!(sorted, repr(&ints(&expected)));
        // Stable with a comparator: equal keys keep their order.
        let pairs = Value::list(
            (0..40).map(|i| Value::list(vec![int(i % 3), int(i)])).collect(),
        );
        let by_first = closure(
            2,
            vec![
                Instr::Car { dst: r(2), src: r(0) },
                Instr::Car { dst: r(3), src: r(1) },
                Instr::Lt { dst: r(2), a: r(2), b: r(3) },
                ret(r(2)),
            ],
        );
        let out = vm.call(&native("sort"), &[pairs, by_first]).unwrap();
        let Value::List(out) = out else { panic!() };
        let seconds: Vec<String> = out.iter().map(|p| repr(&crate::builtins::lists::cdr1(p).unwrap())).collect();
        let expected: Vec<String> = [0, 1, 2]
            .iter()
            .flat_map(|k| (0..40).filter(move |i| i % 3 == *k).map(|i| format!("({i})")))
            .collect();
        assert_eq!(seconds, expected);
        // Errors from the comparator propagate; the first comparison is (cmp 2 1).
        let boom = closure(2, vec![Instr::Throw { src: r(0) }]);
        assert_eq!(call(&mut vm, "sort", &[ints(&[1, 2]), boom]), "ERR User exception: 2");
        let strings = Value::list(vec![s("bb"), s("a"), s("ccc")]);
        assert_eq!(call(&mut vm, "sort-by", &[native("length"), strings]), "(\"a\" \"bb\" \"ccc\")");
        assert_eq!(call(&mut vm, "sort-by", &[native("-"), ints(&[1, 3, 2])]), "(3 2 1)");
    }

    #[test]
    fn grouping() {
        let mut vm = vm();
        let mod3 = with_int(|dst, a, b| Instr::Mod { dst, a, b }, 3);
        assert_eq!(call(&mut vm, "list/group-by", &[mod3.clone(), ints(&[1, 2, 3, 4, 5, 6])]), "{0 (3 6) 1 (1 4) 2 (2 5)}");
        assert_eq!(call(&mut vm, "list/key-by", &[mod3, ints(&[1, 2, 4])]), "{1 4 2 2}");
    }

    #[test]
    fn map_functions() {
        let mut vm = vm();
        let m = Value::Map(Rc::new([(kw("a"), int(1)), (kw("b"), int(2))].into_iter().collect()));
        let inc = with_int(|dst, a, b| Instr::Add { dst, a, b }, 1);
        assert_eq!(call(&mut vm, "map/map-vals", &[inc.clone(), m.clone()]), "{:a 2 :b 3}");
        assert_eq!(call(&mut vm, "map/map-keys", &[native("keyword/to-string"), m.clone()]), "{\"a\" 1 \"b\" 2}");
        let big_val = closure(
            2,
            vec![
                Instr::LoadInt { dst: r(2), value: SmallInt(1) },
                Instr::Gt { dst: r(2), a: r(1), b: r(2) },
                ret(r(2)),
            ],
        );
        assert_eq!(call(&mut vm, "map/filter", &[big_val, m.clone()]), "{:b 2}");
        assert_eq!(call(&mut vm, "map/update", &[m.clone(), kw("a"), inc.clone()]), "{:a 2 :b 2}");
        assert_eq!(call(&mut vm, "map/update", &[m.clone(), kw("z"), native("nil?")]), "{:a 1 :b 2 :z #t}");
        assert_eq!(call(&mut vm, "map/update", &[Value::Nil, kw("z"), inc.clone()]), "ERR Type error: expected map or hashmap, got nil");
        let nested = Value::Map(Rc::new([(kw("x"), m.clone())].into_iter().collect()));
        let path = Value::vector(vec![kw("x"), kw("b")]);
        assert_eq!(call(&mut vm, "update-in", &[nested.clone(), path, inc.clone()]), "{:x {:a 1 :b 3}}");
        assert_eq!(repr(&nested), "{:x {:a 1 :b 2}}");
        assert_eq!(call(&mut vm, "map/map-vals", &[inc, ints(&[])]), "ERR Type error: expected map or hashmap, got list");
    }

    #[test]
    fn promises() {
        let mut vm = vm();
        let thunk = closure(0, vec![Instr::LoadInt { dst: r(0), value: SmallInt(42) }, ret(r(0))]);
        let p = vm.call(&native("%make-promise"), &[thunk]).unwrap();
        assert_eq!(repr(&p), "<promise>");
        assert_eq!(call(&mut vm, "promise?", &[p.clone()]), "#t");
        assert_eq!(call(&mut vm, "promise-forced?", &[p.clone()]), "#f");
        assert_eq!(call(&mut vm, "force", &[p.clone()]), "42");
        assert_eq!(repr(&p), "<promise (forced)>");
        assert_eq!(call(&mut vm, "promise-forced?", &[p.clone()]), "#t");
        assert_eq!(call(&mut vm, "force", &[p]), "42");
        assert_eq!(call(&mut vm, "force", &[int(7)]), "ERR Type error: expected thunk, got int");
        // The thunk runs once: each run of this one makes a new array.
        let thunk = native("mutable-array/new");
        let p = vm.call(&native("%make-promise"), &[thunk]).unwrap();
        let first = vm.call(&native("force"), &[p.clone()]).unwrap();
        let second = vm.call(&native("force"), &[p]).unwrap();
        let (Value::MutableArray(a), Value::MutableArray(b)) = (&first, &second) else { panic!() };
        assert!(Rc::ptr_eq(a, b), "forcing twice must not run the thunk again");
    }

    #[test]
    fn quasiquote_support() {
        let mut vm = vm();
        assert_eq!(call(&mut vm, "%append-splice", &[]), "()");
        assert_eq!(call(&mut vm, "%append-splice", &[ints(&[1]), vector(&[2, 3]), Value::Nil, ints(&[4])]), "(1 2 3 4)");
        assert_eq!(call(&mut vm, "%append-splice", &[ints(&[1]), int(2)]), "ERR Type error: expected list or vector, got int");
        assert_eq!(call(&mut vm, "%list->vector", &[ints(&[1, 2])]), "[1 2]");
    }
}

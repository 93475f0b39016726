//! Mutable arrays and cells (reference types, shared not copied) and the typed
//! numeric arrays (LANGUAGE.md §12.12, §12.13).
//!
//! A mutable cell is a `Value::Cell`, the same box the VM uses for captured,
//! assigned variables.

use std::cell::RefCell;
use std::rc::Rc;

use super::collections::index_arg;
use super::{owned, pure, with_vm, Builtin};
use crate::error::{Error, Result};
use crate::num;
use crate::value::Value;
use crate::vm::Vm;

pub static BUILTINS: &[Builtin] = &[
    pure("mutable-array/new", 0, Some(2), array_new),
    pure("mutable-array/get", 2, Some(3), |a| array_get(&a[0], &a[1], a.get(2))),
    pure("mutable-array/set!", 3, Some(3), |a| array_set(&a[0], &a[1], &a[2])),
    pure("mutable-array/push!", 2, Some(2), |a| {
        array_arg(&a[0])?.borrow_mut().push(a[1].clone());
        Ok(a[0].clone())
    }),
    pure("mutable-array/length", 1, Some(1), |a| Ok(Value::Int(array_arg(&a[0])?.borrow().len() as i64))),
    pure("mutable-array/->vector", 1, Some(1), |a| Ok(Value::vector(array_arg(&a[0])?.borrow().clone()))),
    pure("mutable-cell/new", 1, Some(1), |a| Ok(Value::Cell(Rc::new(RefCell::new(a[0].clone()))))),
    pure("mutable-cell/get", 1, Some(1), |a| Ok(cell_arg(&a[0])?.borrow().clone())),
    pure("mutable-cell/set!", 2, Some(2), |a| {
        *cell_arg(&a[0])?.borrow_mut() = a[1].clone();
        Ok(a[0].clone())
    }),
    pure("i64-array", 0, None, |a| Ok(Value::I64Array(Rc::new(a.iter().map(i64_arg).collect::<Result<_>>()?)))),
    pure("f64-array", 0, None, |a| Ok(Value::F64Array(Rc::new(a.iter().map(f64_arg).collect::<Result<_>>()?)))),
    pure("i64-array/make", 1, Some(2), |a| {
        let n = typed_length(&a[0], "i64-array/make")?;
        super::ensure_allocatable(n, 8, "i64-array/make")?;
        let fill = a.get(1).map(i64_arg).transpose()?.unwrap_or(0);
        Ok(Value::I64Array(Rc::new(vec![fill; n])))
    }),
    pure("f64-array/make", 1, Some(2), |a| {
        let n = typed_length(&a[0], "f64-array/make")?;
        super::ensure_allocatable(n, 8, "f64-array/make")?;
        let fill = a.get(1).map(f64_arg).transpose()?.unwrap_or(0.0);
        Ok(Value::F64Array(Rc::new(vec![fill; n])))
    }),
    pure("i64-array/range", 2, Some(3), i64_range),
    pure("f64-array/range", 2, Some(3), f64_range),
    pure("i64-array/sum", 1, Some(1), |a| {
        let items = i64s(&a[0])?;
        match items.iter().try_fold(0i64, |acc, x| acc.checked_add(*x)) {
            Some(total) => Ok(Value::Int(total)),
            None => items.iter().try_fold(Value::Int(0), |acc, x| num::add(&acc, &Value::Int(*x))),
        }
    }),
    pure("f64-array/sum", 1, Some(1), |a| Ok(Value::Float(f64s(&a[0])?.iter().sum()))),
    pure("i64-array/ref", 2, Some(2), |a| {
        let items = i64s(&a[0])?;
        let i = typed_index(&a[1])?;
        items.get(i).map(|x| Value::Int(*x)).ok_or_else(|| out_of_bounds(i, items.len()))
    }),
    pure("f64-array/ref", 2, Some(2), |a| {
        let items = f64s(&a[0])?;
        let i = typed_index(&a[1])?;
        items.get(i).map(|x| Value::Float(*x)).ok_or_else(|| out_of_bounds(i, items.len()))
    }),
    pure("i64-array/length", 1, Some(1), |a| Ok(Value::Int(i64s(&a[0])?.len() as i64))),
    pure("f64-array/length", 1, Some(1), |a| Ok(Value::Int(f64s(&a[0])?.len() as i64))),
    pure("f64-array/dot", 2, Some(2), |a| {
        let (x, y) = (f64s(&a[0])?, f64s(&a[1])?);
        if x.len() != y.len() {
            return Err(Error::eval(format!("f64-array/dot: length mismatch ({} vs {})", x.len(), y.len())));
        }
        Ok(Value::Float(x.iter().zip(y.iter()).map(|(p, q)| p * q).sum()))
    }),
    pure("i64-array/from-list", 1, Some(1), |a| {
        Ok(Value::I64Array(Rc::new(a[0].expect_list()?.iter().map(i64_arg).collect::<Result<_>>()?)))
    }),
    pure("f64-array/from-list", 1, Some(1), |a| {
        Ok(Value::F64Array(Rc::new(a[0].expect_list()?.iter().map(f64_arg).collect::<Result<_>>()?)))
    }),
    owned("f64-array/set!", 3, Some(3), f64_set),
    with_vm("f64-array/map", 2, Some(2), f64_map),
    with_vm("f64-array/fold", 3, Some(3), |vm, a| {
        let items = f64s(&a[2])?;
        items.iter().try_fold(a[1].clone(), |acc, x| vm.call(&a[0], &[acc, Value::float(*x)]))
    }),
    // Embedding vectors: bytevectors packing f64s little-endian.
    pure("vector/dot-product", 2, Some(2), |a| {
        let (x, y) = embedding_pair(a, "vector/dot-product")?;
        Ok(Value::float(x.iter().zip(&y).map(|(p, q)| p * q).sum()))
    }),
    pure("vector/distance", 2, Some(2), |a| {
        let (x, y) = embedding_pair(a, "vector/distance")?;
        Ok(Value::float(x.iter().zip(&y).map(|(p, q)| (p - q) * (p - q)).sum::<f64>().sqrt()))
    }),
    pure("vector/cosine-similarity", 2, Some(2), |a| {
        let (x, y) = embedding_pair(a, "vector/cosine-similarity")?;
        let dot: f64 = x.iter().zip(&y).map(|(p, q)| p * q).sum();
        let (nx, ny) = (x.iter().map(|p| p * p).sum::<f64>(), y.iter().map(|q| q * q).sum::<f64>());
        Ok(Value::float(if nx == 0.0 || ny == 0.0 { 0.0 } else { dot / (nx.sqrt() * ny.sqrt()) }))
    }),
    pure("vector/normalize", 1, Some(1), |a| {
        let bytes = a[0].expect_bytes()?;
        if bytes.is_empty() || bytes.len() % 8 != 0 {
            return Err(Error::eval("vector/normalize: invalid bytevector"));
        }
        let x = unpack_f64s(bytes);
        let norm = x.iter().map(|p| p * p).sum::<f64>().sqrt();
        let scaled = x.iter().map(|p| if norm == 0.0 { 0.0 } else { p / norm });
        Ok(Value::bytes(scaled.flat_map(f64::to_le_bytes).collect()))
    }),
    pure("i64-array?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::I64Array(_))))),
    pure("f64-array?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::F64Array(_))))),
];

/// `(f64-array/set! arr i x)`: the array with slot `i` replaced, updated in place only
/// when nothing else holds it (so the result is a new array as far as a program sees).
fn f64_set(args: &mut [Value]) -> Result<Value> {
    f64s(&args[0])?;
    let i = typed_index(&args[1])?;
    let x = f64_arg(&args[2])?;
    match std::mem::take(&mut args[0]) {
        Value::F64Array(mut items) => {
            let len = items.len();
            let slot = Rc::make_mut(&mut items).get_mut(i).ok_or_else(|| out_of_bounds(i, len))?;
            *slot = x;
            Ok(Value::F64Array(items))
        }
        _ => unreachable!("checked above"),
    }
}

fn f64_map(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let items = f64s(&args[1])?;
    let mut out = Vec::with_capacity(items.len());
    for x in items {
        let y = vm.call(&args[0], &[Value::float(*x)])?;
        out.push(match y {
            Value::Float(f) => f,
            Value::Int(n) => n as f64,
            other => return Err(Error::type_error("number (f64-array/map callback must return number)", &other)),
        });
    }
    Ok(Value::F64Array(Rc::new(out)))
}

fn unpack_f64s(bytes: &[u8]) -> Vec<f64> {
    bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8-byte chunk"))).collect()
}

/// Two embeddings of the same, non-zero length.
fn embedding_pair(args: &[Value], name: &str) -> Result<(Vec<f64>, Vec<f64>)> {
    let (x, y) = (args[0].expect_bytes()?, args[1].expect_bytes()?);
    if x.len() != y.len() {
        return Err(Error::eval(format!("{name}: length mismatch ({} vs {})", x.len() / 8, y.len() / 8)));
    }
    if x.is_empty() || x.len() % 8 != 0 {
        return Err(Error::eval(format!("{name}: invalid bytevector length {}", x.len())));
    }
    Ok((unpack_f64s(x), unpack_f64s(y)))
}

fn array_arg(v: &Value) -> Result<&RefCell<Vec<Value>>> {
    match v {
        Value::MutableArray(a) => Ok(a),
        other => Err(Error::type_error("mutable-array", other)),
    }
}

fn cell_arg(v: &Value) -> Result<&RefCell<Value>> {
    match v {
        Value::Cell(c) => Ok(c),
        other => Err(Error::type_error("mutable-cell", other)),
    }
}

/// `(mutable-array/new)` and `(mutable-array/new n)` are empty (n is a capacity
/// hint); `(mutable-array/new n fill)` holds n copies of fill.
fn array_new(args: &[Value]) -> Result<Value> {
    let items = match args {
        [] => Vec::new(),
        [n] => Vec::with_capacity(index_arg(n, "mutable-array/new")?.min(1 << 20)),
        [n, fill] => {
            let n = index_arg(n, "mutable-array/new")?;
            super::ensure_allocatable(n, std::mem::size_of::<Value>(), "mutable-array/new")?;
            vec![fill.clone(); n]
        }
        _ => unreachable!("arity checked"),
    };
    Ok(Value::MutableArray(Rc::new(RefCell::new(items))))
}

fn array_get(array: &Value, index: &Value, default: Option<&Value>) -> Result<Value> {
    let items = array_arg(array)?;
    let i = index_arg(index, "mutable-array/get")?;
    let items = items.borrow();
    match (items.get(i), default) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(d)) => Ok(d.clone()),
        (None, None) => Err(Error::eval(format!("mutable-array/get: index {i} out of bounds (length {})", items.len()))),
    }
}

/// Sets the slot in place and returns the array itself.
fn array_set(array: &Value, index: &Value, value: &Value) -> Result<Value> {
    let items = array_arg(array)?;
    let i = index_arg(index, "mutable-array/set!")?;
    let mut items = items.borrow_mut();
    let len = items.len();
    match items.get_mut(i) {
        Some(slot) => *slot = value.clone(),
        None => return Err(Error::eval(format!("mutable-array/set!: index {i} out of bounds (length {len})"))),
    }
    Ok(array.clone())
}

fn i64_arg(v: &Value) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(Error::type_error("integer", other)),
    }
}

fn f64_arg(v: &Value) -> Result<f64> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        other => Err(Error::type_error("number", other)),
    }
}

fn i64s(v: &Value) -> Result<&[i64]> {
    match v {
        Value::I64Array(a) => Ok(a),
        other => Err(Error::type_error("i64-array", other)),
    }
}

fn f64s(v: &Value) -> Result<&[f64]> {
    match v {
        Value::F64Array(a) => Ok(a),
        other => Err(Error::type_error("f64-array", other)),
    }
}

/// A typed-array index; a negative one is reported as out of bounds like upstream
/// (which converts it to an unsigned index first).
fn typed_index(v: &Value) -> Result<usize> {
    Ok(i64_arg(v)? as usize)
}

fn out_of_bounds(i: usize, len: usize) -> Error {
    Error::eval(format!("index {i} out of bounds (len {len})"))
}

fn typed_length(v: &Value, name: &str) -> Result<usize> {
    let n = i64_arg(v)?;
    if n < 0 {
        return Err(Error::eval(format!("{name}: length must be non-negative, got {n}")));
    }
    Ok(n as usize)
}

/// `(i64-array/range start end [step])`, end exclusive.
fn i64_range(args: &[Value]) -> Result<Value> {
    let start = i64_arg(&args[0])?;
    let end = i64_arg(&args[1])?;
    let step = args.get(2).map(i64_arg).transpose()?.unwrap_or(1);
    if step == 0 {
        return Err(Error::eval("i64-array/range: step cannot be zero"));
    }
    let mut items = Vec::new();
    let mut x = start;
    while (step > 0 && x < end) || (step < 0 && x > end) {
        items.push(x);
        match x.checked_add(step) {
            Some(next) => x = next,
            None => break,
        }
    }
    Ok(Value::I64Array(Rc::new(items)))
}

/// `(f64-array/range start end [step])`, end exclusive, by repeated addition.
fn f64_range(args: &[Value]) -> Result<Value> {
    let start = f64_arg(&args[0])?;
    let end = f64_arg(&args[1])?;
    let step = args.get(2).map(f64_arg).transpose()?.unwrap_or(1.0);
    if step == 0.0 {
        return Err(Error::eval("f64-array/range: step cannot be zero"));
    }
    let mut items = Vec::new();
    let mut x = start;
    while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
        items.push(x);
        x += step;
    }
    Ok(Value::F64Array(Rc::new(items)))
}

#[cfg(test)]
mod tests {
    use crate::builtins::test_support::*;
    use super::*;
    use crate::builtins::hof::tests::{call, native, vm};
    use crate::printer::repr;


    #[test]
    fn mutable_arrays() {
        let mut vm = vm();
        let empty = vm.call(&native("mutable-array/new"), &[int(10)]).unwrap();
        assert_eq!(repr(&empty), "<mutable-array 0>");
        let a = vm.call(&native("mutable-array/new"), &[int(3), int(0)]).unwrap();
        assert_eq!(repr(&a), "<mutable-array 3>");
        let same = vm.call(&native("mutable-array/set!"), &[a.clone(), int(1), int(7)]).unwrap();
        let (Value::MutableArray(x), Value::MutableArray(y)) = (&a, &same) else { panic!() };
        assert!(Rc::ptr_eq(x, y), "set! returns the array itself");
        assert_eq!(call(&mut vm, "mutable-array/get", &[a.clone(), int(1)]), "7");
        assert_eq!(call(&mut vm, "nth", &[a.clone(), int(1)]), "7");
        assert_eq!(call(&mut vm, "mutable-array/get", &[a.clone(), int(5), Value::Nil]), "nil");
        assert_eq!(
            call(&mut vm, "mutable-array/get", &[a.clone(), int(5)]),
            "ERR Eval error: mutable-array/get: index 5 out of bounds (length 3)"
        );
        assert_eq!(
            call(&mut vm, "mutable-array/set!", &[a.clone(), int(5), int(1)]),
            "ERR Eval error: mutable-array/set!: index 5 out of bounds (length 3)"
        );
        assert_eq!(
            call(&mut vm, "mutable-array/set!", &[Value::Nil, int(0), int(1)]),
            "ERR Type error: expected mutable-array, got nil"
        );
        vm.call(&native("mutable-array/push!"), &[a.clone(), int(9)]).unwrap();
        assert_eq!(call(&mut vm, "mutable-array/length", &[a.clone()]), "4");
        assert_eq!(call(&mut vm, "length", &[a.clone()]), "4");
        assert_eq!(call(&mut vm, "mutable-array/->vector", &[a.clone()]), "[0 7 0 9]");
        assert_eq!(call(&mut vm, "map", &[native("-"), a.clone()]), "(0 -7 0 -9)");
        assert_eq!(call(&mut vm, "filter", &[native("odd?"), a.clone()]), "(7 9)");
        assert_eq!(call(&mut vm, "foldl", &[native("+"), int(0), a.clone()]), "16");
        assert_eq!(call(&mut vm, "apply", &[native("+"), a.clone()]), "16");
        // Stored in a map, later mutation is visible through the map.
        let m = vm.call(&native("hashmap/new"), &[Value::keyword("k"), a.clone()]).unwrap();
        vm.call(&native("mutable-array/set!"), &[a, int(0), int(5)]).unwrap();
        let inner = vm.call(&native("get"), &[m, Value::keyword("k")]).unwrap();
        assert_eq!(call(&mut vm, "mutable-array/get", &[inner, int(0)]), "5");
    }

    #[test]
    fn mutable_cells() {
        let mut vm = vm();
        let c = vm.call(&native("mutable-cell/new"), &[int(1)]).unwrap();
        assert_eq!(repr(&c), "<mutable-cell>");
        vm.call(&native("mutable-cell/set!"), &[c.clone(), int(2)]).unwrap();
        assert_eq!(call(&mut vm, "mutable-cell/get", &[c]), "2");
        assert_eq!(call(&mut vm, "mutable-cell/get", &[int(1)]), "ERR Type error: expected mutable-cell, got int");
    }

    #[test]
    fn typed_arrays() {
        let mut vm = vm();
        assert_eq!(call(&mut vm, "i64-array/range", &[int(0), int(5)]), "#i64(0 1 2 3 4)");
        assert_eq!(call(&mut vm, "i64-array/range", &[int(10), int(0), int(-3)]), "#i64(10 7 4 1)");
        let r = vm.call(&native("i64-array/range"), &[int(0), int(5)]).unwrap();
        assert_eq!(call(&mut vm, "i64-array/sum", &[r.clone()]), "10");
        assert_eq!(call(&mut vm, "i64-array/ref", &[r.clone(), int(2)]), "2");
        assert_eq!(call(&mut vm, "i64-array/ref", &[r.clone(), int(9)]), "ERR Eval error: index 9 out of bounds (len 5)");
        assert_eq!(call(&mut vm, "length", &[r]), "5");
        assert_eq!(call(&mut vm, "f64-array/range", &[int(0), int(3)]), "#f64(0 1 2)");
        assert_eq!(call(&mut vm, "f64-array/range", &[Value::Float(0.0), int(1), Value::Float(0.25)]), "#f64(0 0.25 0.5 0.75)");
        let f = vm.call(&native("f64-array"), &[int(1), Value::Float(2.5)]).unwrap();
        assert_eq!(repr(&f), "#f64(1 2.5)");
        assert_eq!(call(&mut vm, "f64-array/dot", &[f.clone(), f]), "7.25");
        assert_eq!(call(&mut vm, "i64-array", &[int(1), Value::Float(1.0)]), "ERR Type error: expected integer, got float");
        let big = vm.call(&native("i64-array"), &[int(i64::MAX), int(1)]).unwrap();
        assert_eq!(call(&mut vm, "i64-array/sum", &[big]), "9223372036854775808");
    }
}

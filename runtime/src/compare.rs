//! Equality, the total order and hashing of values.
//!
//! `equal?` is deep structural equality without numeric coercion (`1` ≠ `1.0`).
//! The total order (LANGUAGE.md §3.3) sorts map keys and mixed `sort`s: first by a
//! type rank, then within the type. `-0.0` and `0.0` are one key; NaN equals NaN
//! and sorts above every other float, so the order is total.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use num_bigint::BigInt;

use crate::value::Value;

fn rank(value: &Value) -> u8 {
    match value {
        Value::Nil => 0,
        Value::Bool(_) => 1,
        Value::Int(_) | Value::BigInt(_) => 2,
        Value::Float(_) => 3,
        Value::Char(_) => 4,
        Value::Str(_) => 5,
        Value::Symbol(_) => 6,
        Value::Keyword(_) => 7,
        Value::List(_) => 8,
        Value::Vector(_) => 9,
        Value::Map(_) => 10,
        Value::HashMap(_) => 11,
        Value::Bytevector(_) => 13,
        Value::F64Array(_) => 14,
        Value::I64Array(_) => 15,
        Value::Closure(_) | Value::Native(_) | Value::Promise(_) | Value::Multimethod(_) | Value::Resource(_) => 16,
        Value::Rational(_) => 17,
        Value::Complex(_) => 18,
        Value::MutableArray(_) => 19,
        Value::Cell(_) => 20,
        Value::Record(_) => 12,
    }
}

fn float_cmp(a: f64, b: f64) -> Ordering {
    match a.partial_cmp(&b) {
        Some(order) => order,
        None => a.is_nan().cmp(&b.is_nan()),
    }
}

fn identity(value: &Value) -> usize {
    match value {
        Value::Closure(c) => Rc::as_ptr(c) as *const u8 as usize,
        Value::Native(b) => *b as *const _ as *const u8 as usize,
        Value::Promise(p) => Rc::as_ptr(p) as *const u8 as usize,
        Value::MutableArray(a) => Rc::as_ptr(a) as *const u8 as usize,
        Value::Cell(c) => Rc::as_ptr(c) as *const u8 as usize,
        Value::Multimethod(m) => Rc::as_ptr(m) as *const u8 as usize,
        Value::Resource(r) => Rc::as_ptr(r) as *const u8 as usize,
        _ => 0,
    }
}

fn big(value: &Value) -> BigInt {
    match value {
        Value::Int(i) => BigInt::from(*i),
        Value::BigInt(b) => (**b).clone(),
        _ => BigInt::from(0),
    }
}

/// Element-wise comparison; a proper prefix sorts first.
fn lexicographic<T>(mut a: impl Iterator<Item = T>, mut b: impl Iterator<Item = T>, cmp: impl Fn(T, T) -> Ordering) -> Ordering {
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => match cmp(x, y) {
                Ordering::Equal => {}
                other => return other,
            },
        }
    }
}

/// Orders the parts of complex numbers: integers, then fractions, then floats, then
/// by value within a kind (as upstream does).
fn part_cmp(a: &Value, b: &Value) -> Ordering {
    let kind = |v: &Value| match v {
        Value::Rational(_) => 1,
        Value::Float(_) => 2,
        _ => 0,
    };
    kind(a).cmp(&kind(b)).then_with(|| total_cmp(a, b))
}

/// The total order of §3.3.
pub fn total_cmp(a: &Value, b: &Value) -> Ordering {
    let (ra, rb) = (rank(a), rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    match (a, b) {
        (Value::Nil, Value::Nil) => Ordering::Equal,
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Int(_) | Value::BigInt(_), Value::Int(_) | Value::BigInt(_)) => big(a).cmp(&big(b)),
        (Value::Float(x), Value::Float(y)) => float_cmp(*x, *y),
        (Value::Char(x), Value::Char(y)) => x.cmp(y),
        (Value::Str(x), Value::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Symbol(x), Value::Symbol(y)) | (Value::Keyword(x), Value::Keyword(y)) => {
            if x == y {
                Ordering::Equal
            } else {
                x.with_name(|x| y.with_name(|y| x.cmp(y)))
            }
        }
        // The same object is equal to itself: without this, comparing structures that
        // share parts (a map holding earlier versions of itself) walks every path
        // through the sharing, which can be exponential in their size.
        (Value::List(x), Value::List(y)) if x.same_cells(y) => Ordering::Equal,
        (Value::Vector(x), Value::Vector(y)) if Rc::ptr_eq(x, y) => Ordering::Equal,
        (Value::Map(x), Value::Map(y)) if Rc::ptr_eq(x, y) => Ordering::Equal,
        (Value::HashMap(x), Value::HashMap(y)) if Rc::ptr_eq(x, y) => Ordering::Equal,
        (Value::Record(x), Value::Record(y)) if Rc::ptr_eq(x, y) => Ordering::Equal,
        (Value::List(x), Value::List(y)) => lexicographic(x.iter(), y.iter(), total_cmp),
        (Value::Vector(x), Value::Vector(y)) => lexicographic(x.iter(), y.iter(), total_cmp),
        (Value::Map(x), Value::Map(y)) => {
            lexicographic(x.iter(), y.iter(), |(k1, v1), (k2, v2)| total_cmp(k1, k2).then_with(|| total_cmp(v1, v2)))
        }
        (Value::HashMap(x), Value::HashMap(y)) => {
            lexicographic(x.sorted_entries().into_iter(), y.sorted_entries().into_iter(), |(k1, v1), (k2, v2)| {
                total_cmp(&k1, &k2).then_with(|| total_cmp(v1, v2))
            })
        }
        (Value::Rational(x), Value::Rational(y)) => x.cmp(y),
        (Value::Complex(x), Value::Complex(y)) => part_cmp(&x.re, &y.re).then_with(|| part_cmp(&x.im, &y.im)),
        (Value::Record(x), Value::Record(y)) => {
            let by_name = if x.type_name == y.type_name {
                Ordering::Equal
            } else {
                x.type_name.with_name(|a| y.type_name.with_name(|b| a.cmp(b)))
            };
            by_name.then_with(|| lexicographic(x.fields.iter(), y.fields.iter(), total_cmp))
        }
        (Value::Bytevector(x), Value::Bytevector(y)) => x.cmp(y),
        (Value::I64Array(x), Value::I64Array(y)) => x.cmp(y),
        (Value::F64Array(x), Value::F64Array(y)) => lexicographic(x.iter(), y.iter(), |a, b| float_cmp(*a, *b)),
        _ => identity(a).cmp(&identity(b)),
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Str(x), Value::Str(y)) => x == y,
            (Value::Symbol(x), Value::Symbol(y)) | (Value::Keyword(x), Value::Keyword(y)) => x == y,
            (Value::List(x), Value::List(y)) => x.same_cells(y) || (x.len() == y.len() && x.iter().eq(y.iter())),
            (Value::Vector(x), Value::Vector(y)) => Rc::ptr_eq(x, y) || x == y,
            (Value::Map(x), Value::Map(y)) => Rc::ptr_eq(x, y) || x == y,
            (Value::HashMap(x), Value::HashMap(y)) => Rc::ptr_eq(x, y) || x == y,
            _ => total_cmp(self, other) == Ordering::Equal,
        }
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Value) -> Ordering {
        total_cmp(self, other)
    }
}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        rank(self).hash(state);
        match self {
            Value::Nil => {}
            Value::Bool(b) => b.hash(state),
            Value::Int(i) => i.hash(state),
            Value::BigInt(b) => b.hash(state),
            Value::Float(f) => {
                let canonical = if *f == 0.0 { 0.0f64 } else if f.is_nan() { f64::NAN } else { *f };
                canonical.to_bits().hash(state)
            }
            Value::Char(c) => c.hash(state),
            Value::Str(s) => s.hash(state),
            Value::Symbol(s) | Value::Keyword(s) => s.hash(state),
            Value::List(l) => {
                l.len().hash(state);
                l.iter().for_each(|v| v.hash(state));
            }
            Value::Vector(v) => v.iter().for_each(|v| v.hash(state)),
            Value::Map(m) => m.iter().for_each(|(k, v)| {
                k.hash(state);
                v.hash(state)
            }),
            // Unordered: the length is all that is order-independent and cheap.
            Value::HashMap(m) => m.len().hash(state),
            Value::Rational(r) => r.hash(state),
            Value::Complex(c) => {
                c.re.hash(state);
                c.im.hash(state);
            }
            Value::Record(r) => {
                r.type_name.hash(state);
                r.fields.iter().for_each(|v| v.hash(state));
            }
            Value::Bytevector(b) => b.hash(state),
            Value::I64Array(a) => a.hash(state),
            Value::F64Array(a) => a.len().hash(state),
            _ => identity(self).hash(state),
        }
    }
}

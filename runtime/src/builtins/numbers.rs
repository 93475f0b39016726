//! Arithmetic, comparison and numeric predicates (LANGUAGE.md §7).
//!
//! Two-argument calls follow the inline rules of §3.4 in every call path: `+` also
//! joins two strings, `=` falls back to structural equality for non-numbers, and
//! `< > <= >=` also order two strings. The `*2` functions are those rules; the VM's
//! arithmetic opcodes call them off their fixnum fast path.

use std::cmp::Ordering;

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::num;
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("+", 0, None, add),
    pure("-", 1, None, sub),
    pure("*", 0, None, mul),
    pure("/", 2, None, div),
    pure("=", 1, None, num_eq),
    pure("<", 1, None, |a| chain(a, lt2)),
    pure(">", 1, None, |a| chain(a, gt2)),
    pure("<=", 1, None, |a| chain(a, le2)),
    pure(">=", 1, None, |a| chain(a, ge2)),
    pure("mod", 2, Some(2), |a| mod2(&a[0], &a[1])),
    pure("modulo", 2, Some(2), |a| mod2(&a[0], &a[1])).alias_of("mod"),
    pure("quotient", 2, Some(2), |a| num::quotient(&a[0], &a[1])),
    pure("math/quotient", 2, Some(2), |a| num::quotient(&a[0], &a[1])).alias_of("quotient"),
    pure("remainder", 2, Some(2), |a| num::remainder(&a[0], &a[1])),
    pure("math/remainder", 2, Some(2), |a| num::remainder(&a[0], &a[1])).alias_of("remainder"),
    pure("abs", 1, Some(1), |a| num::abs(&a[0])),
    pure("round", 1, Some(1), |a| num::round(&a[0])),
    pure("max", 1, None, |a| extreme(a, Ordering::Greater)),
    pure("min", 1, None, |a| extreme(a, Ordering::Less)),
    pure("even?", 1, Some(1), |a| parity(&a[0], 0)),
    pure("odd?", 1, Some(1), |a| parity(&a[0], 1)),
    pure("number?", 1, Some(1), |a| Ok(Value::Bool(a[0].is_number()))),
];

fn expect_number(v: &Value) -> Result<&Value> {
    if v.is_number() {
        Ok(v)
    } else {
        Err(Error::type_error("number", v))
    }
}

/// Two-argument `+`: numbers, or two strings joined.
pub fn add2(a: &Value, b: &Value) -> Result<Value> {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Ok(Value::str(format!("{x}{y}"))),
        _ if a.is_number() && b.is_number() => num::add(a, b),
        _ => Err(Error::type_error_named(
            "number or string",
            &format!("{} and {}", a.type_name(), b.type_name()),
        )),
    }
}

pub fn sub2(a: &Value, b: &Value) -> Result<Value> {
    num::sub(a, b)
}

pub fn mul2(a: &Value, b: &Value) -> Result<Value> {
    num::mul(a, b)
}

pub fn div2(a: &Value, b: &Value) -> Result<Value> {
    num::div(a, b)
}

pub fn mod2(a: &Value, b: &Value) -> Result<Value> {
    num::modulo(a, b)
}

/// Two-argument `=`: numeric across the tower, structural for anything else.
pub fn eq2(a: &Value, b: &Value) -> Result<Value> {
    if a.is_number() && b.is_number() {
        num::num_eq(a, b).map(Value::Bool)
    } else {
        Ok(Value::Bool(a == b))
    }
}

fn order2(a: &Value, b: &Value, test: fn(Ordering) -> bool) -> Result<Value> {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Ok(Value::Bool(test(x.as_bytes().cmp(y.as_bytes())))),
        _ if a.is_number() && b.is_number() => Ok(Value::Bool(num::compare(a, b)?.is_some_and(test))),
        _ => Err(Error::type_error_named(
            "comparable values",
            &format!("{} and {}", a.type_name(), b.type_name()),
        )),
    }
}

pub fn lt2(a: &Value, b: &Value) -> Result<Value> {
    order2(a, b, |o| o == Ordering::Less)
}

pub fn gt2(a: &Value, b: &Value) -> Result<Value> {
    order2(a, b, |o| o == Ordering::Greater)
}

pub fn le2(a: &Value, b: &Value) -> Result<Value> {
    order2(a, b, |o| o != Ordering::Greater)
}

pub fn ge2(a: &Value, b: &Value) -> Result<Value> {
    order2(a, b, |o| o != Ordering::Less)
}

fn add(args: &[Value]) -> Result<Value> {
    match args {
        [] => Ok(Value::Int(0)),
        [a] => expect_number(a).cloned(),
        [a, b] => add2(a, b),
        [first, rest @ ..] => rest.iter().try_fold(expect_number(first)?.clone(), |acc, x| num::add(&acc, x)),
    }
}

fn sub(args: &[Value]) -> Result<Value> {
    match args {
        [a] => num::negate(a),
        [first, rest @ ..] => rest.iter().try_fold(first.clone(), |acc, x| num::sub(&acc, x)),
        [] => Err(Error::arity("-", "1+", 0)),
    }
}

fn mul(args: &[Value]) -> Result<Value> {
    match args {
        [] => Ok(Value::Int(1)),
        [a] => expect_number(a).cloned(),
        [first, rest @ ..] => rest.iter().try_fold(first.clone(), |acc, x| num::mul(&acc, x)),
    }
}

fn div(args: &[Value]) -> Result<Value> {
    match args {
        [a, b] => div2(a, b),
        [first, rest @ ..] => rest
            .iter()
            .try_fold(first.clone(), |acc, x| num::div(&acc, x))
            .map_err(|e| if e.message() == "division by zero" { e.with_prefix("/") } else { e }),
        [] => Err(Error::arity("/", "2+", 0)),
    }
}

fn num_eq(args: &[Value]) -> Result<Value> {
    for pair in args.windows(2) {
        if !eq2(&pair[0], &pair[1])?.truthy() {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

fn chain(args: &[Value], test: fn(&Value, &Value) -> Result<Value>) -> Result<Value> {
    for pair in args.windows(2) {
        if !test(&pair[0], &pair[1])?.truthy() {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

/// Two-argument `min`: the builtin's and the `Min` instruction's (and folding's).
#[inline]
pub fn min2(a: &Value, b: &Value) -> Result<Value> {
    extreme_of_two(a, b, Ordering::Less).map_or_else(|| extreme(&[a.clone(), b.clone()], Ordering::Less), Ok)
}

/// Two-argument `max`.
#[inline]
pub fn max2(a: &Value, b: &Value) -> Result<Value> {
    extreme_of_two(a, b, Ordering::Greater).map_or_else(|| extreme(&[a.clone(), b.clone()], Ordering::Greater), Ok)
}

/// Two numbers of one kind (1brc's min and max of floats), without clones; the result
/// is the same as the general loop's (the first argument wins ties and NaN). `None`
/// for any other pair.
#[inline(always)]
fn extreme_of_two(a: &Value, b: &Value, want: Ordering) -> Option<Value> {
    match (a, b) {
        (Value::Float(a), Value::Float(b)) => Some(Value::Float(if b.partial_cmp(a) == Some(want) { *b } else { *a })),
        (Value::Int(a), Value::Int(b)) => Some(Value::Int(if b.cmp(a) == want { *b } else { *a })),
        _ => None,
    }
}

/// `max`/`min`: the extreme value, as a float when any argument is a float.
fn extreme(args: &[Value], want: Ordering) -> Result<Value> {
    if let [a, b] = args {
        if let Some(v) = extreme_of_two(a, b, want) {
            return Ok(v);
        }
    }
    let mut best = expect_number(&args[0])?.clone();
    let mut any_float = matches!(best, Value::Float(_));
    for x in &args[1..] {
        expect_number(x)?;
        if !x.is_real() || !best.is_real() {
            let name = if want == Ordering::Greater { "max" } else { "min" };
            return Err(Error::eval(format!("{name}: cannot order these numbers")));
        }
        any_float |= matches!(x, Value::Float(_));
        if num::compare(x, &best)? == Some(want) {
            best = x.clone();
        }
    }
    if any_float {
        return Ok(Value::Float(num::to_f64(&best).unwrap_or(f64::NAN)));
    }
    Ok(best)
}

fn parity(v: &Value, remainder: i64) -> Result<Value> {
    match v {
        Value::Int(i) => Ok(Value::Bool(i.rem_euclid(2) == remainder)),
        Value::BigInt(b) => Ok(Value::Bool((b.bit(0) as i64) == remainder)),
        other => Err(Error::type_error("integer", other)),
    }
}

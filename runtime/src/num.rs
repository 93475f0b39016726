//! The numeric tower: fixnums promoting to bignums, exact rationals, floats, and
//! complex numbers whose two parts are any of those.
//!
//! These functions are the one definition of Sema arithmetic: the VM's opcodes fall
//! back to them off the fixnum fast path, the builtins call them, and the compiler's
//! constant folder calls them too, so folding can never disagree with running.

use std::cmp::Ordering;
use std::rc::Rc;

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive, Zero};

use crate::error::{Error, Result};
use crate::value::{Complex, Value};

/// A number viewed for arithmetic, from the most to the least exact.
enum Num {
    Int(BigInt),
    Rat(BigRational),
    Float(f64),
}

fn view(value: &Value) -> Option<Num> {
    Some(match value {
        Value::Int(i) => Num::Int(BigInt::from(*i)),
        Value::BigInt(b) => Num::Int((**b).clone()),
        Value::Rational(r) => Num::Rat((**r).clone()),
        Value::Float(f) => Num::Float(*f),
        _ => return None,
    })
}

/// The float value of any number.
pub fn to_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Int(i) => Some(*i as f64),
        Value::BigInt(b) => Some(b.to_f64().unwrap_or(f64::NAN)),
        Value::Rational(r) => Some(r.to_f64().unwrap_or(f64::NAN)),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// A bignum result, normalised to a fixnum when it fits.
pub fn from_bigint(b: BigInt) -> Value {
    match b.to_i64() {
        Some(i) => Value::Int(i),
        None => Value::BigInt(Rc::new(b)),
    }
}

/// A rational result, normalised to an integer when the denominator is 1.
pub fn from_rational(r: BigRational) -> Value {
    if r.denom() == &BigInt::from(1) {
        from_bigint(r.numer().clone())
    } else {
        Value::Rational(Rc::new(r))
    }
}

/// A complex number from two real parts; an exact zero imaginary part gives `re`.
pub fn complex(re: Value, im: Value) -> Value {
    if matches!(im, Value::Int(0)) {
        re
    } else {
        Value::Complex(Rc::new(Complex { re, im }))
    }
}

/// The real and imaginary parts of a number (a real one's imaginary part is exact 0).
fn parts(v: &Value) -> (Value, Value) {
    match v {
        Value::Complex(c) => (c.re.clone(), c.im.clone()),
        real => (real.clone(), Value::Int(0)),
    }
}

fn either_complex(a: &Value, b: &Value) -> bool {
    matches!(a, Value::Complex(_)) || matches!(b, Value::Complex(_))
}

/// `x - y` as `x + (-y)`, which differs from it on signed zeros: `-0.0 - 0` is `-0.0`
/// but `-0.0 + (-0)` is `0.0`. Complex arithmetic subtracts this way, as upstream does.
fn add_negated(x: &Value, y: &Value) -> Result<Value> {
    add(x, &negate(y)?)
}

/// `+ - *` with a complex operand, part by part on the real tower (a real operand has
/// an exact zero imaginary part, so `(* 2 +i)` stays exact and `(+ 0.5 +i)` is `0.5+1i`).
fn complex_arith(op: Op, a: &Value, b: &Value) -> Result<Value> {
    let ((ar, ai), (br, bi)) = (parts(a), parts(b));
    Ok(match op {
        Op::Add => complex(add(&ar, &br)?, add(&ai, &bi)?),
        Op::Sub => complex(add_negated(&ar, &br)?, add_negated(&ai, &bi)?),
        Op::Mul => complex(add_negated(&mul(&ar, &br)?, &mul(&ai, &bi)?)?, add(&mul(&ar, &bi)?, &mul(&ai, &br)?)?),
    })
}

/// `a / b` with a complex operand: `a·conj(b) / |b|²`, part by part.
fn complex_div(a: &Value, b: &Value) -> Result<Value> {
    if matches!(b, Value::Int(0)) {
        return Err(Error::eval("division by zero"));
    }
    let ((ar, ai), (br, bi)) = (parts(a), parts(b));
    let denom = add(&mul(&br, &br)?, &mul(&bi, &bi)?)?;
    let conj_im = negate(&bi)?;
    let re = add_negated(&mul(&ar, &br)?, &mul(&ai, &conj_im)?)?;
    let im = add(&mul(&ar, &conj_im)?, &mul(&ai, &br)?)?;
    if matches!(im, Value::Int(0)) {
        return div(&re, &denom);
    }
    Ok(complex(div(&re, &denom)?, div(&im, &denom)?))
}

fn to_rational(n: Num) -> BigRational {
    match n {
        Num::Int(i) => BigRational::from_integer(i),
        Num::Rat(r) => r,
        Num::Float(_) => unreachable!("floats are handled before exact arithmetic"),
    }
}

/// The type error for operands of a real-only operation: names a non-number first,
/// else a complex number.
fn number_error(a: &Value, b: &Value) -> Error {
    let bad = [a, b].into_iter().find(|v| !v.is_number()).or_else(|| [a, b].into_iter().find(|v| !v.is_real()));
    Error::type_error("number", bad.unwrap_or(b))
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
}

fn arith(op: Op, a: &Value, b: &Value) -> Result<Value> {
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        let fast = match op {
            Op::Add => x.checked_add(*y),
            Op::Sub => x.checked_sub(*y),
            Op::Mul => x.checked_mul(*y),
        };
        if let Some(r) = fast {
            return Ok(Value::Int(r));
        }
    }
    if either_complex(a, b) && a.is_number() && b.is_number() {
        return complex_arith(op, a, b);
    }
    let (Some(x), Some(y)) = (view(a), view(b)) else { return Err(number_error(a, b)) };
    Ok(match (x, y) {
        (Num::Float(_), _) | (_, Num::Float(_)) => {
            let (x, y) = (to_f64(a).unwrap_or(0.0), to_f64(b).unwrap_or(0.0));
            Value::Float(match op {
                Op::Add => x + y,
                Op::Sub => x - y,
                Op::Mul => x * y,
            })
        }
        (Num::Int(x), Num::Int(y)) => from_bigint(match op {
            Op::Add => x + y,
            Op::Sub => x - y,
            Op::Mul => x * y,
        }),
        (x, y) => {
            let (x, y) = (to_rational(x), to_rational(y));
            from_rational(match op {
                Op::Add => x + y,
                Op::Sub => x - y,
                Op::Mul => x * y,
            })
        }
    })
}

pub fn add(a: &Value, b: &Value) -> Result<Value> {
    arith(Op::Add, a, b)
}

pub fn sub(a: &Value, b: &Value) -> Result<Value> {
    arith(Op::Sub, a, b)
}

pub fn mul(a: &Value, b: &Value) -> Result<Value> {
    arith(Op::Mul, a, b)
}

/// `a / b`: exact when both are exact (a rational when not whole); an exact zero
/// divisor raises `division by zero`, a float one follows IEEE.
pub fn div(a: &Value, b: &Value) -> Result<Value> {
    if either_complex(a, b) && a.is_number() && b.is_number() {
        return complex_div(a, b);
    }
    let (Some(x), Some(y)) = (view(a), view(b)) else { return Err(number_error(a, b)) };
    match (x, y) {
        (Num::Float(_), _) | (_, Num::Float(_)) => {
            Ok(Value::Float(to_f64(a).unwrap_or(0.0) / to_f64(b).unwrap_or(0.0)))
        }
        (x, y) => {
            let (x, y) = (to_rational(x), to_rational(y));
            if y.is_zero() {
                return Err(Error::eval("division by zero"));
            }
            Ok(from_rational(x / y))
        }
    }
}

pub fn negate(a: &Value) -> Result<Value> {
    if let Value::Complex(c) = a {
        return Ok(complex(negate(&c.re)?, negate(&c.im)?));
    }
    sub(&Value::Int(0), a).map(|v| match (a, v) {
        // 0 - 0.0 is 0.0, but the negation of 0.0 is -0.0.
        (Value::Float(x), _) => Value::Float(-x),
        (_, v) => v,
    })
}

/// Numeric comparison across the tower; `None` when a NaN is involved. Complex
/// numbers have no order.
pub fn compare(a: &Value, b: &Value) -> Result<Option<Ordering>> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => return Ok(Some(x.cmp(y))),
        (Value::Float(x), Value::Float(y)) => return Ok(x.partial_cmp(y)),
        _ => {}
    }
    if either_complex(a, b) && a.is_number() && b.is_number() {
        return Err(Error::eval("cannot order complex numbers"));
    }
    let (Some(x), Some(y)) = (view(a), view(b)) else { return Err(number_error(a, b)) };
    Ok(match (x, y) {
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Float(x), exact) => compare_float_exact(x, exact),
        (exact, Num::Float(y)) => compare_float_exact(y, exact).map(Ordering::reverse),
        (x, y) => Some(to_rational(x).cmp(&to_rational(y))),
    })
}

/// Compares a float with an exact number exactly (not by rounding the exact one).
fn compare_float_exact(x: f64, exact: Num) -> Option<Ordering> {
    if x.is_nan() {
        return None;
    }
    if x.is_infinite() {
        return Some(if x > 0.0 { Ordering::Greater } else { Ordering::Less });
    }
    let x = BigRational::from_float(x)?;
    Some(x.cmp(&to_rational(exact)))
}

/// Numeric `=`: a complex number equals only a complex number with equal parts.
pub fn num_eq(a: &Value, b: &Value) -> Result<bool> {
    if either_complex(a, b) && a.is_number() && b.is_number() {
        return Ok(match (a, b) {
            (Value::Complex(x), Value::Complex(y)) => num_eq(&x.re, &y.re)? && num_eq(&x.im, &y.im)?,
            _ => false,
        });
    }
    Ok(compare(a, b)? == Some(Ordering::Equal))
}

fn integer_arg(value: &Value) -> Result<BigInt> {
    match value {
        Value::Int(i) => Ok(BigInt::from(*i)),
        Value::BigInt(b) => Ok((**b).clone()),
        other => Err(Error::type_error("integer", other)),
    }
}

/// Floored modulo of two fixnums (the divisor's sign), or `None` when it needs the
/// general path: a zero divisor (an error) or `i64::MIN mod -1` (overflow).
#[inline(always)]
pub fn fixnum_modulo(x: i64, y: i64) -> Option<i64> {
    if y == 0 {
        return None;
    }
    // rem_euclid is never negative; floored modulo takes the divisor's sign.
    let r = x.checked_rem_euclid(y)?;
    Some(if r != 0 && y < 0 { r + y } else { r })
}

/// Floored modulo (result has the divisor's sign); IEEE remainder for floats.
pub fn modulo(a: &Value, b: &Value) -> Result<Value> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => {
            if let Some(r) = fixnum_modulo(*x, *y) {
                return Ok(Value::Int(r));
            }
        }
        // A complex operand goes on to the integer check (`expected integer`).
        (Value::Float(_), _) | (_, Value::Float(_)) if !either_complex(a, b) => {
            let (Some(x), Some(y)) = (to_f64(a), to_f64(b)) else { return Err(number_error(a, b)) };
            return Ok(Value::Float(x % y));
        }
        _ => {}
    }
    let (x, y) = (integer_arg(a)?, integer_arg(b)?);
    if y.is_zero() {
        return Err(Error::eval("modulo by zero"));
    }
    Ok(from_bigint(x.mod_floor(&y)))
}

/// Truncating integer division.
pub fn quotient(a: &Value, b: &Value) -> Result<Value> {
    let (x, y) = (integer_arg(a)?, integer_arg(b)?);
    if y.is_zero() {
        return Err(Error::eval("quotient: division by zero"));
    }
    Ok(from_bigint(&x / &y))
}

/// Truncated remainder (sign of the dividend).
pub fn remainder(a: &Value, b: &Value) -> Result<Value> {
    let (x, y) = (integer_arg(a)?, integer_arg(b)?);
    if y.is_zero() {
        return Err(Error::eval("remainder: division by zero"));
    }
    Ok(from_bigint(&x % &y))
}

/// `abs`. A fixnum or a float is answered inline; the rest out of line, so the call
/// from the builtin's wrapper stays small.
#[inline]
pub fn abs(a: &Value) -> Result<Value> {
    match a {
        Value::Int(i) if *i != i64::MIN => Ok(Value::Int(i.abs())),
        Value::Float(f) => Ok(Value::Float(f.abs())),
        _ => abs_in_general(a),
    }
}

#[inline(never)]
fn abs_in_general(a: &Value) -> Result<Value> {
    Ok(match a {
        Value::Int(i) => match i.checked_abs() {
            Some(r) => Value::Int(r),
            None => from_bigint(BigInt::from(*i).abs()),
        },
        Value::BigInt(b) => from_bigint(b.abs()),
        Value::Rational(r) => from_rational(r.abs()),
        Value::Float(f) => Value::Float(f.abs()),
        Value::Complex(c) => Value::Float(magnitude(c)),
        other => return Err(Error::type_error("number", other)),
    })
}

/// The (float) magnitude of a complex number.
pub fn magnitude(c: &Complex) -> f64 {
    let part = |v: &Value| to_f64(v).unwrap_or(f64::NAN);
    part(&c.re).hypot(part(&c.im))
}

/// Banker's rounding; floats stay floats, exact numbers stay exact.
pub fn round(a: &Value) -> Result<Value> {
    Ok(match a {
        Value::Int(_) | Value::BigInt(_) => a.clone(),
        Value::Float(f) => Value::Float(f.round_ties_even()),
        Value::Rational(r) => {
            let floor = r.floor();
            let diff = &**r - &floor;
            let half = BigRational::new(BigInt::from(1), BigInt::from(2));
            let floor_int = floor.to_integer();
            let rounded = match diff.cmp(&half) {
                Ordering::Less => floor_int,
                Ordering::Greater => floor_int + 1,
                Ordering::Equal if floor_int.is_even() => floor_int,
                Ordering::Equal => floor_int + 1,
            };
            from_bigint(rounded)
        }
        Value::Complex(_) => return Err(Error::type_error("real number", a)),
        other => return Err(Error::type_error("number", other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::repr;

    fn show(r: Result<Value>) -> String {
        match r {
            Ok(v) => repr(&v),
            Err(e) => format!("ERR {}", e.message()),
        }
    }

    #[test]
    fn overflow_promotes_and_division_is_exact() {
        assert_eq!(show(add(&Value::Int(i64::MAX), &Value::Int(1))), "9223372036854775808");
        assert_eq!(show(div(&Value::Int(1), &Value::Int(2))), "1/2");
        assert_eq!(show(div(&Value::Int(6), &Value::Int(3))), "2");
        assert_eq!(show(div(&Value::Int(1), &Value::Int(0))), "ERR division by zero");
        assert_eq!(show(div(&Value::Float(1.0), &Value::Int(0))), "inf");
        assert_eq!(show(negate(&Value::Float(0.0))), "-0.0");
    }

    #[test]
    fn modulo_follows_the_divisor_sign() {
        assert_eq!(show(modulo(&Value::Int(-7), &Value::Int(2))), "1");
        assert_eq!(show(modulo(&Value::Int(7), &Value::Int(-2))), "-1");
        assert_eq!(show(modulo(&Value::Float(7.5), &Value::Int(2))), "1.5");
        assert_eq!(show(modulo(&Value::Int(1), &Value::Int(0))), "ERR modulo by zero");
    }

    #[test]
    fn complex_parts_keep_their_own_exactness() {
        let c = |re: Value, im: Value| complex(re, im);
        let (one_two, half) = (c(Value::Int(1), Value::Int(2)), Value::Float(0.5));
        assert_eq!(show(add(&one_two, &half)), "1.5+2i");
        assert_eq!(show(mul(&one_two, &c(Value::Int(3), Value::Int(4)))), "-5+10i");
        assert_eq!(show(div(&one_two, &c(Value::Int(3), Value::Int(4)))), "11/25+2/25i");
        assert_eq!(show(sub(&one_two, &one_two)), "0");
        assert_eq!(show(mul(&Value::Float(-1.0), &c(Value::Int(0), Value::Int(1)))), "0.0-1.0i");
        assert_eq!(show(div(&one_two, &Value::Int(0))), "ERR division by zero");
        assert_eq!(show(compare(&one_two, &Value::Int(1)).map(|_| Value::Nil)), "ERR cannot order complex numbers");
        assert!(!num_eq(&one_two, &Value::Int(1)).unwrap());
        assert!(num_eq(&one_two, &c(Value::Int(1), Value::Float(2.0))).unwrap());
        assert_eq!(show(abs(&c(Value::Int(3), Value::Int(-4)))), "5.0");
        assert_eq!(show(negate(&c(Value::Int(0), Value::Float(0.0)))), "0-0.0i");
    }

    #[test]
    fn rounding_is_bankers() {
        assert_eq!(show(round(&Value::Float(2.5))), "2.0");
        assert_eq!(show(round(&Value::Float(-0.5))), "-0.0");
        assert_eq!(show(round(&Value::Float(3.5))), "4.0");
    }
}

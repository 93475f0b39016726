//! The rest of the numeric library (LANGUAGE.md §7.1–§7.3): rounding, roots and
//! powers, transcendental functions, gcd/lcm, exactness conversions, bit operations,
//! the numeric predicates, the constants `pi` `e` `math/infinity` `math/nan`, and
//! `list/shuffle`/`list/pick` (on the generator behind `math/random-int`). Complex
//! numbers' own functions are in complex.rs; `sqrt` and `expt` reach them here.
//!
//! Exact arithmetic is `crate::num`; this file only adds what `num` does not do.

use std::cmp::Ordering;
use std::rc::Rc;

use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

use super::{pure, Builtin, NativeFn};
use crate::error::{Error, Result};
use crate::num;
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    // Rounding (round itself is in numbers.rs).
    pure("floor", 1, Some(1), |a| rounding(&a[0], f64::floor, BigRational::floor)),
    pure("ceiling", 1, Some(1), |a| rounding(&a[0], f64::ceil, BigRational::ceil)).alias_of("ceil"),
    pure("ceil", 1, Some(1), |a| rounding(&a[0], f64::ceil, BigRational::ceil)),
    pure("truncate", 1, Some(1), |a| rounding(&a[0], f64::trunc, BigRational::trunc)),
    // Roots, powers, logarithms.
    pure("sqrt", 1, Some(1), |a| sqrt(&a[0])),
    pure("expt", 2, Some(2), |a| expt(&a[0], &a[1])).alias_of("pow"),
    pure("pow", 2, Some(2), |a| expt(&a[0], &a[1])),
    pure("math/pow", 2, Some(2), |a| expt(&a[0], &a[1])).alias_of("pow"),
    pure("log", 1, Some(1), |a| log(&a[0])),
    pure("math/exp", 1, Some(1), |a| float_fn(&a[0], f64::exp)),
    pure("math/log10", 1, Some(1), |a| float_fn(&a[0], f64::log10)),
    pure("math/log2", 1, Some(1), |a| float_fn(&a[0], f64::log2)),
    // Trigonometry.
    pure("sin", 1, Some(1), |a| float_fn(&a[0], f64::sin)),
    pure("cos", 1, Some(1), |a| float_fn(&a[0], f64::cos)),
    pure("math/tan", 1, Some(1), |a| float_fn(&a[0], f64::tan)),
    pure("math/asin", 1, Some(1), |a| float_fn(&a[0], f64::asin)),
    pure("math/acos", 1, Some(1), |a| float_fn(&a[0], f64::acos)),
    pure("math/atan", 1, Some(1), |a| float_fn(&a[0], f64::atan)),
    pure("math/atan2", 2, Some(2), |a| Ok(Value::Float(float_arg(&a[0])?.atan2(float_arg(&a[1])?)))),
    pure("math/sinh", 1, Some(1), |a| float_fn(&a[0], f64::sinh)),
    pure("math/cosh", 1, Some(1), |a| float_fn(&a[0], f64::cosh)),
    pure("math/tanh", 1, Some(1), |a| float_fn(&a[0], f64::tanh)),
    pure("math/degrees->radians", 1, Some(1), |a| float_fn(&a[0], f64::to_radians)),
    pure("math/radians->degrees", 1, Some(1), |a| float_fn(&a[0], f64::to_degrees)),
    // Integer functions.
    pure("gcd", 0, None, |a| gcd_lcm(a, false)),
    pure("math/gcd", 0, None, |a| gcd_lcm(a, false)),
    pure("lcm", 0, None, |a| gcd_lcm(a, true)),
    pure("math/lcm", 0, None, |a| gcd_lcm(a, true)),
    pure("exact-integer-sqrt", 1, Some(1), |a| exact_integer_sqrt(&a[0])),
    pure("rationalize", 2, Some(2), |a| rationalize(&a[0], &a[1])),
    // Helpers on the real line.
    pure("math/clamp", 3, Some(3), |a| clamp(&a[0], &a[1], &a[2])),
    pure("math/sign", 1, Some(1), |a| sign(&a[0])),
    pure("math/lerp", 3, Some(3), lerp),
    pure("math/round-to", 2, Some(2), |a| {
        let (x, places) = (plain_float(&a[0])?, places_arg(&a[1])?);
        let factor = 10f64.powi(places.clamp(i32::MIN as i64, i32::MAX as i64) as i32);
        Ok(Value::float((x * factor).round() / factor))
    }),
    pure("math/format-fixed", 2, Some(2), |a| {
        let (x, places) = (plain_float(&a[0])?, places_arg(&a[1])?.max(0));
        if places > u16::MAX as i64 {
            return Err(Error::eval(format!("math/format-fixed: {places} decimal places is too many")));
        }
        Ok(Value::str(format!("{x:.0$}", places as usize)))
    }),
    pure("math/map-range", 5, Some(5), map_range),
    // Anything but a float is neither infinite nor NaN.
    pure("math/infinite?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::Float(f) if f.is_infinite())))),
    pure("math/nan?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::Float(f) if f.is_nan())))),
    // Fractions and exactness.
    pure("numerator", 1, Some(1), |a| fraction_part(&a[0], true)),
    pure("denominator", 1, Some(1), |a| fraction_part(&a[0], false)),
    pure("exact", 1, Some(1), |a| exact(&a[0], "exact")),
    pure("inexact->exact", 1, Some(1), |a| exact(&a[0], "inexact->exact")).alias_of("exact"),
    pure("inexact", 1, Some(1), |a| inexact(&a[0])),
    pure("exact->inexact", 1, Some(1), |a| inexact(&a[0])).alias_of("inexact"),
    pure("float", 1, Some(1), |a| to_float(&a[0])),
    pure("int", 1, Some(1), |a| to_int(&a[0])),
    // Bits.
    pure("bit/and", 2, Some(2), |a| bitwise(&a[0], &a[1], |x, y| x & y, |x, y| x & y)),
    pure("bit/or", 2, Some(2), |a| bitwise(&a[0], &a[1], |x, y| x | y, |x, y| x | y)),
    pure("bit/xor", 2, Some(2), |a| bitwise(&a[0], &a[1], |x, y| x ^ y, |x, y| x ^ y)),
    pure("bit/not", 1, Some(1), |a| bit_not(&a[0])),
    pure("bit/shift-left", 2, Some(2), |a| shift(&a[0], &a[1], true, "bit/shift-left")),
    pure("bit/shift-right", 2, Some(2), |a| shift(&a[0], &a[1], false, "bit/shift-right")),
    // Numeric predicates (number?, even?, odd? are in numbers.rs).
    pure("zero?", 1, Some(1), |a| signum_test(&a[0], |o| o == Ordering::Equal)),
    pure("positive?", 1, Some(1), |a| signum_test(&a[0], |o| o == Ordering::Greater)),
    pure("negative?", 1, Some(1), |a| signum_test(&a[0], |o| o == Ordering::Less)),
    pure("integer?", 1, Some(1), |a| Ok(Value::Bool(is_integer(&a[0])))),
    pure("float?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::Float(_))))),
    pure("rational?", 1, Some(1), |a| Ok(Value::Bool(a[0].is_real() && is_exact(&a[0])))),
    pure("exact?", 1, Some(1), |a| Ok(Value::Bool(is_exact(&a[0])))),
    pure("inexact?", 1, Some(1), |a| Ok(Value::Bool(a[0].is_number() && !is_exact(&a[0])))),
    // Random choice, on the generator of system.rs.
    pure("list/shuffle", 1, Some(1), |a| shuffle(&a[0])),
    pure("list/pick", 1, Some(1), |a| pick(&a[0])),
];

/// The global constants of §7.2: plain values, not functions.
pub static CONSTANTS: &[(&str, f64)] = &[
    ("pi", std::f64::consts::PI),
    ("e", std::f64::consts::E),
    ("math/infinity", f64::INFINITY),
    ("math/nan", f64::NAN),
];

/// The largest result, in bits, that `expt` and `bit/shift-left` will build (8 MiB of
/// digits); past it they raise instead of exhausting memory or time.
pub(super) const MAX_RESULT_BITS: u64 = 1 << 26;

// ---------------------------------------------------------------------------------------
// Argument helpers

fn number_arg(v: &Value) -> Result<&Value> {
    if v.is_number() {
        Ok(v)
    } else {
        Err(Error::type_error("number", v))
    }
}

/// Any real number as a float.
fn float_arg(v: &Value) -> Result<f64> {
    match v {
        Value::Complex(_) => Err(Error::type_error("real number", v)),
        _ => num::to_f64(v).ok_or_else(|| Error::type_error("number", v)),
    }
}

/// An integer (fixnum or bignum) as a bignum.
fn integer_arg(v: &Value) -> Result<BigInt> {
    match v {
        Value::Int(i) => Ok(BigInt::from(*i)),
        Value::BigInt(b) => Ok((**b).clone()),
        other => Err(Error::type_error("integer", other)),
    }
}

fn float_fn(v: &Value, f: fn(f64) -> f64) -> Result<Value> {
    Ok(Value::Float(f(float_arg(v)?)))
}

/// An exact number as a fraction (`None` for floats and non-numbers).
fn exact_rational(v: &Value) -> Option<BigRational> {
    match v {
        Value::Int(i) => Some(BigRational::from_integer(BigInt::from(*i))),
        Value::BigInt(b) => Some(BigRational::from_integer((**b).clone())),
        Value::Rational(r) => Some((**r).clone()),
        _ => None,
    }
}

/// An exact real number, or a complex one with two exact parts.
fn is_exact(v: &Value) -> bool {
    match v {
        Value::Complex(c) => is_exact(&c.re) && is_exact(&c.im),
        _ => matches!(v, Value::Int(_) | Value::BigInt(_) | Value::Rational(_)),
    }
}

fn is_integer(v: &Value) -> bool {
    match v {
        Value::Int(_) | Value::BigInt(_) => true,
        Value::Float(f) => f.is_finite() && f.fract() == 0.0,
        _ => false,
    }
}

/// The sign of a number (`None` for NaN).
fn signum(v: &Value) -> Result<Option<Ordering>> {
    num::compare(number_arg(v)?, &Value::Int(0))
}

/// `zero?` and the like: false for a complex number, which has no sign.
fn signum_test(v: &Value, test: fn(Ordering) -> bool) -> Result<Value> {
    if let Value::Complex(_) = v {
        return Ok(Value::Bool(false));
    }
    Ok(Value::Bool(signum(v)?.is_some_and(test)))
}

// ---------------------------------------------------------------------------------------
// Rounding, roots, powers, logarithms

/// `floor`/`ceiling`/`truncate`: floats stay floats, integers are unchanged, a
/// fraction becomes an integer.
fn rounding(v: &Value, float_op: fn(f64) -> f64, rational_op: fn(&BigRational) -> BigRational) -> Result<Value> {
    Ok(match v {
        Value::Int(_) | Value::BigInt(_) => v.clone(),
        Value::Float(f) => Value::Float(float_op(*f)),
        Value::Rational(r) => num::from_rational(rational_op(r)),
        Value::Complex(_) => return Err(Error::type_error("real number", v)),
        other => return Err(Error::type_error("number", other)),
    })
}

/// The exact square root of a non-negative integer, if it is a perfect square.
fn exact_isqrt(n: &BigInt) -> Option<BigInt> {
    let root = n.sqrt();
    (&root * &root == *n).then_some(root)
}

/// `(exact-integer-sqrt n)`: the list `(s r)` with `s` the integer square root of `n`
/// and `r = n - s²`.
fn exact_integer_sqrt(v: &Value) -> Result<Value> {
    let n = match v {
        Value::Int(_) | Value::BigInt(_) => integer_arg(v)?,
        other => return Err(Error::type_error("exact integer", other)),
    };
    if n.is_negative() {
        return Err(Error::eval("exact-integer-sqrt: argument must be non-negative"));
    }
    let s = n.sqrt();
    let r = &n - &s * &s;
    Ok(Value::list(vec![num::from_bigint(s), num::from_bigint(r)]))
}

/// `(rationalize x tol)`: the simplest rational within `tol` of `x`; inexact when
/// either argument is. An infinite or NaN `x`, or a NaN `tol`, gives `x` back; an
/// infinite `tol` gives 0.
fn rationalize(x: &Value, tol: &Value) -> Result<Value> {
    let exact_of = |v: &Value| match v {
        Value::Float(f) => Ok(BigRational::from_float(*f)),
        other => exact_rational(other).map(Some).ok_or_else(|| Error::type_error("real", other)),
    };
    let (xr, tr) = (exact_of(x)?, exact_of(tol)?);
    let inexact = matches!(x, Value::Float(_)) || matches!(tol, Value::Float(_));
    let finish = |r: BigRational| if inexact { Value::float(r.to_f64().unwrap_or(f64::NAN)) } else { num::from_rational(r) };
    let Some(xr) = xr else { return Ok(x.clone()) };
    let Some(tr) = tr.map(|t| t.abs()) else {
        let infinite = matches!(tol, Value::Float(f) if f.is_infinite());
        return Ok(if infinite { finish(BigRational::zero()) } else { x.clone() });
    };
    Ok(finish(simplest_between(&xr - &tr, &xr + &tr)))
}

/// The rational with the smallest denominator (then numerator) in `[lo, hi]`.
fn simplest_between(lo: BigRational, hi: BigRational) -> BigRational {
    if lo.is_positive() {
        simplest_positive(lo, hi)
    } else if hi.is_negative() {
        -simplest_positive(-hi, -lo)
    } else {
        BigRational::zero()
    }
}

/// Continued-fraction descent for `0 < lo <= hi`.
fn simplest_positive(lo: BigRational, hi: BigRational) -> BigRational {
    let whole = lo.floor();
    if whole == lo {
        whole
    } else if whole < hi.floor() {
        whole + BigRational::one()
    } else {
        let inner = simplest_positive((&hi - &whole).recip(), (&lo - &whole).recip());
        whole + inner.recip()
    }
}

/// An int or a float (not a bignum or fraction), as upstream's rounding helpers take.
fn plain_float(v: &Value) -> Result<f64> {
    match v {
        Value::Int(n) => Ok(*n as f64),
        Value::Float(f) => Ok(*f),
        other => Err(Error::type_error("number", other)),
    }
}

fn places_arg(v: &Value) -> Result<i64> {
    match v {
        Value::Int(n) => Ok(*n),
        other => Err(Error::type_error("integer", other)),
    }
}

/// `sqrt`: exact for exact perfect squares (integers and fractions), a float
/// otherwise. A negative number's root is imaginary, `(sqrt -4)` → `0+2i` (exact parts
/// as for its magnitude); a complex number's is the principal root, in floats.
fn sqrt(v: &Value) -> Result<Value> {
    if let Value::Complex(c) = v {
        return Ok(super::complex::principal_sqrt(c));
    }
    if signum(v)? == Some(Ordering::Less) {
        return Ok(num::complex(Value::Int(0), sqrt(&num::negate(v)?)?));
    }
    match v {
        Value::Int(_) | Value::BigInt(_) => {
            let n = integer_arg(v)?;
            if let Some(root) = exact_isqrt(&n) {
                return Ok(num::from_bigint(root));
            }
            let f = float_arg(v)?;
            if f.is_infinite() {
                // Too big for a float, but its integer root is not.
                return Ok(Value::Float(n.sqrt().to_f64().unwrap_or(f64::INFINITY)));
            }
            Ok(Value::Float(f.sqrt()))
        }
        Value::Rational(r) => {
            if let (Some(n), Some(d)) = (exact_isqrt(r.numer()), exact_isqrt(r.denom())) {
                return Ok(num::from_rational(BigRational::new(n, d)));
            }
            Ok(Value::Float(float_arg(v)?.sqrt()))
        }
        _ => Ok(Value::Float(float_arg(v)?.sqrt())),
    }
}

/// `expt`: exact for an exact base and an integer exponent (a fraction when the
/// exponent is negative); a float as soon as either is a float or the exponent is a
/// fraction.
fn expt(base: &Value, exponent: &Value) -> Result<Value> {
    number_arg(base)?;
    number_arg(exponent)?;
    if matches!(base, Value::Complex(_)) || matches!(exponent, Value::Complex(_)) {
        return super::complex::expt(base, exponent);
    }
    let exact_base = exact_rational(base);
    let int_exponent = match exponent {
        Value::Int(_) | Value::BigInt(_) => integer_arg(exponent).ok(),
        _ => None,
    };
    let (Some(b), Some(e)) = (exact_base, int_exponent) else {
        return Ok(Value::Float(float_arg(base)?.powf(float_arg(exponent)?)));
    };
    if let (Value::Int(x), Some(e)) = (base, e.to_u32()) {
        if let Some(r) = x.checked_pow(e) {
            return Ok(Value::Int(r));
        }
    }
    let magnitude = exact_pow(&b, &e.abs())?;
    if e.is_negative() {
        if magnitude.is_zero() {
            return Err(Error::eval("division by zero"));
        }
        return Ok(num::from_rational(magnitude.recip()));
    }
    Ok(num::from_rational(magnitude))
}

/// `b^e` for an exact `b` and `e >= 0`.
fn exact_pow(b: &BigRational, e: &BigInt) -> Result<BigRational> {
    if e.is_zero() || b.is_one() {
        return Ok(BigRational::one());
    }
    if b.is_zero() {
        return Ok(BigRational::zero());
    }
    if *b == -BigRational::one() {
        return Ok(if e.is_even() { BigRational::one() } else { b.clone() });
    }
    let bits = b.numer().bits().max(b.denom().bits());
    let e = match e.to_u64() {
        Some(e) if bits.saturating_mul(e) <= MAX_RESULT_BITS => e as u32,
        _ => return Err(Error::eval("expt: result too large")),
    };
    Ok(BigRational::new(b.numer().pow(e), b.denom().pow(e)))
}

/// Natural logarithm, always a float (`(log 0)` → -inf, negative → NaN).
fn log(v: &Value) -> Result<Value> {
    let f = float_arg(v)?;
    if let (true, Value::BigInt(b)) = (f.is_infinite(), v) {
        // ln(n) = ln(n / 2^k) + k ln 2 for an integer beyond the float range.
        if b.is_positive() {
            let k = b.bits() - 64;
            let top = (&**b >> k).to_f64().unwrap_or(f64::NAN);
            return Ok(Value::Float(top.ln() + k as f64 * std::f64::consts::LN_2));
        }
    }
    Ok(Value::Float(f.ln()))
}

// ---------------------------------------------------------------------------------------
// Integer functions and helpers on the real line

/// `gcd`/`lcm` of any number of integers: 0 and 1 are the empty cases.
fn gcd_lcm(args: &[Value], lcm: bool) -> Result<Value> {
    let mut acc = if lcm { BigInt::one() } else { BigInt::zero() };
    for arg in args {
        let n = integer_arg(arg)?;
        acc = if lcm { acc.lcm(&n) } else { acc.gcd(&n) };
    }
    Ok(num::from_bigint(acc.abs()))
}

/// `(math/clamp x lo hi)`: whichever of the three is returned, unchanged.
fn clamp(x: &Value, lo: &Value, hi: &Value) -> Result<Value> {
    for v in [x, lo, hi] {
        if !v.is_real() {
            return Err(Error::type_error("number", v));
        }
    }
    if num::compare(x, lo)? == Some(Ordering::Less) {
        return Ok(lo.clone());
    }
    if num::compare(x, hi)? == Some(Ordering::Greater) {
        return Ok(hi.clone());
    }
    Ok(x.clone())
}

/// -1, 0 or 1 as an integer, for any real number (NaN gives 0).
fn sign(v: &Value) -> Result<Value> {
    if let Value::Complex(_) = v {
        return Err(Error::type_error("number", v));
    }
    Ok(Value::Int(match signum(v)? {
        Some(Ordering::Less) => -1,
        Some(Ordering::Greater) => 1,
        _ => 0,
    }))
}

/// `(math/lerp a b t)` = a + (b - a) t, as a float.
fn lerp(args: &[Value]) -> Result<Value> {
    let (a, b, t) = (plain_float(&args[0])?, plain_float(&args[1])?, plain_float(&args[2])?);
    Ok(Value::Float(a + (b - a) * t))
}

/// `(math/map-range v in-lo in-hi out-lo out-hi)`, as a float.
fn map_range(args: &[Value]) -> Result<Value> {
    let mut f = [0.0; 5];
    for (slot, v) in f.iter_mut().zip(args) {
        *slot = plain_float(v)?;
    }
    let [v, in_lo, in_hi, out_lo, out_hi] = f;
    Ok(Value::Float(out_lo + (v - in_lo) * (out_hi - out_lo) / (in_hi - in_lo)))
}

// ---------------------------------------------------------------------------------------
// Fractions and exactness

/// The exact value of a finite float (`None` for inf and NaN).
fn float_to_exact(f: f64) -> Option<Value> {
    BigRational::from_float(f).map(num::from_rational)
}

/// `numerator`/`denominator` of an exact number.
fn fraction_part(v: &Value, numerator: bool) -> Result<Value> {
    let r = exact_rational(v).ok_or_else(|| Error::type_error("rational", v))?;
    Ok(num::from_bigint(if numerator { r.numer().clone() } else { r.denom().clone() }))
}

fn exact(v: &Value, name: &str) -> Result<Value> {
    match v {
        Value::Complex(c) => Ok(num::complex(exact(&c.re, name)?, exact(&c.im, name)?)),
        Value::Float(f) => {
            let mut shown = String::new();
            crate::printer::format_float(&mut shown, *f);
            float_to_exact(*f).ok_or_else(|| Error::eval(format!("{name}: cannot convert {shown} to an exact number")))
        }
        other => number_arg(other).cloned(),
    }
}

fn inexact(v: &Value) -> Result<Value> {
    match v {
        Value::Complex(c) => Ok(num::complex(inexact(&c.re)?, inexact(&c.im)?)),
        _ => Ok(Value::Float(float_arg(v)?)),
    }
}

/// `(float x)`: any number, or the text of one (Rust float syntax, nothing around it).
fn to_float(v: &Value) -> Result<Value> {
    match v {
        Value::Str(s) => {
            crate::number_syntax::parse_rust_float(s).map(Value::Float).ok_or_else(|| Error::eval(format!("cannot convert '{s}' to float")))
        }
        Value::Complex(_) => Err(Error::type_error("real number", v)),
        other => match num::to_f64(other) {
            Some(f) => Ok(Value::Float(f)),
            None => Err(Error::type_error("number or string", other)),
        },
    }
}

/// `(int x)`: integers unchanged, floats and fractions truncated toward zero, strings
/// parsed as decimal fixnums (nothing around the digits).
fn to_int(v: &Value) -> Result<Value> {
    match v {
        Value::Int(_) | Value::BigInt(_) => Ok(v.clone()),
        Value::Rational(r) => Ok(num::from_rational(r.trunc())),
        Value::Float(f) => {
            let whole = f.trunc();
            // 2^63 is the first float past i64::MAX; i64::MIN is exact.
            if whole.is_finite() && (i64::MIN as f64..9_223_372_036_854_775_808.0).contains(&whole) {
                Ok(Value::Int(whole as i64))
            } else {
                Err(Error::eval(format!("int: cannot convert {whole} to an integer (not finite or out of i64 range)")))
            }
        }
        Value::Str(s) => s.parse::<i64>().map(Value::Int).map_err(|_| Error::eval(format!("cannot convert '{s}' to int"))),
        other => Err(Error::type_error("number or string", other)),
    }
}

// ---------------------------------------------------------------------------------------
// Bits: two's complement on integers of any size.

/// An integer operand of the bit operations (their type error says `int`).
fn bit_arg(v: &Value) -> Result<BigInt> {
    match v {
        Value::Int(_) | Value::BigInt(_) => integer_arg(v),
        other => Err(Error::type_error("int", other)),
    }
}

fn bitwise(a: &Value, b: &Value, small: fn(i64, i64) -> i64, big: fn(&BigInt, &BigInt) -> BigInt) -> Result<Value> {
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        return Ok(Value::Int(small(*x, *y)));
    }
    let (x, y) = (bit_arg(a)?, bit_arg(b)?);
    Ok(num::from_bigint(big(&x, &y)))
}

fn bit_not(v: &Value) -> Result<Value> {
    match v {
        Value::Int(i) => Ok(Value::Int(!i)),
        other => Ok(num::from_bigint(-bit_arg(other)? - 1)),
    }
}

/// Arithmetic shifts; a negative amount shifts the other way. A left shift that
/// leaves i64 promotes to a bignum.
fn shift(v: &Value, amount: &Value, left: bool, name: &str) -> Result<Value> {
    let n = bit_arg(v)?;
    let k = bit_arg(amount)?;
    let left = left != k.is_negative();
    let k = k.abs().to_u64().unwrap_or(u64::MAX);
    if n.is_zero() {
        return Ok(Value::Int(0));
    }
    if left {
        if n.bits().saturating_add(k) > MAX_RESULT_BITS {
            return Err(Error::eval(format!("{name}: result too large")));
        }
        return Ok(num::from_bigint(n << k as usize));
    }
    if k > n.bits() {
        return Ok(Value::Int(if n.sign() == Sign::Minus { -1 } else { 0 }));
    }
    // `>>` on a negative BigInt rounds toward negative infinity: an arithmetic shift.
    Ok(num::from_bigint(n >> k as usize))
}

// ---------------------------------------------------------------------------------------
// Random choice

/// A uniform index below `len` (> 0), drawn by `math/random-int`, so there is one
/// generator for the whole runtime.
fn random_index(len: usize) -> Result<usize> {
    let random_int = super::system::BUILTINS
        .iter()
        .find(|b| b.name == "math/random-int")
        .expect("system.rs defines math/random-int");
    let NativeFn::Pure(f) = random_int.func else { unreachable!("math/random-int is pure") };
    match f(&[Value::Int(0), Value::Int(len as i64 - 1)])? {
        Value::Int(i) => Ok(i as usize),
        _ => unreachable!("math/random-int returns an int"),
    }
}

fn seq_elements(v: &Value) -> Result<Vec<Value>> {
    match v {
        Value::List(l) => Ok(l.to_vec()),
        Value::Vector(items) => Ok((**items).clone()),
        other => Err(Error::type_error("list or vector", other)),
    }
}

/// A random permutation (Fisher–Yates), of the same kind as the argument.
fn shuffle(v: &Value) -> Result<Value> {
    let mut items = seq_elements(v)?;
    for i in (1..items.len()).rev() {
        let j = random_index(i + 1)?;
        items.swap(i, j);
    }
    Ok(match v {
        Value::Vector(_) => Value::Vector(Rc::new(items)),
        _ => Value::list(items),
    })
}

/// A random element; nil for an empty sequence.
fn pick(v: &Value) -> Result<Value> {
    let items = seq_elements(v)?;
    if items.is_empty() {
        return Ok(Value::Nil);
    }
    let i = random_index(items.len())?;
    Ok(items[i].clone())
}

#[cfg(test)]
mod tests {
    use crate::builtins::test_support::*;
    use super::*;
    use crate::printer::repr;



    fn fl(f: f64) -> Value {
        Value::Float(f)
    }

    fn rat(n: i64, d: i64) -> Value {
        num::div(&int(n), &int(d)).unwrap()
    }

    fn big(text: &str) -> Value {
        num::from_bigint(text.parse().unwrap())
    }

    #[test]
    fn floor_ceiling_truncate() {
        assert_eq!(call("floor", &[fl(2.7)]), "2.0");
        assert_eq!(call("floor", &[fl(-2.5)]), "-3.0");
        assert_eq!(call("ceiling", &[fl(2.1)]), "3.0");
        assert_eq!(call("ceil", &[fl(2.1)]), "3.0");
        assert_eq!(call("truncate", &[fl(-2.7)]), "-2.0");
        assert_eq!(call("floor", &[int(5)]), "5");
        assert_eq!(call("floor", &[rat(-7, 2)]), "-4");
        assert_eq!(call("ceiling", &[rat(-7, 2)]), "-3");
        assert_eq!(call("truncate", &[rat(-7, 2)]), "-3");
        assert_eq!(call("floor", &[Value::str("x")]), "ERR Type error: expected number, got string");
    }

    #[test]
    fn sqrt_is_exact_for_perfect_squares() {
        assert_eq!(call("sqrt", &[int(16)]), "4");
        assert_eq!(call("sqrt", &[rat(1, 4)]), "1/2");
        assert_eq!(call("sqrt", &[int(0)]), "0");
        assert_eq!(call("sqrt", &[int(2)]), "1.4142135623730951");
        assert_eq!(call("sqrt", &[fl(16.0)]), "4.0");
        assert_eq!(call("sqrt", &[big("340282366920938463463374607431768211456")]), "18446744073709551616");
        assert_eq!(call("sqrt", &[int(-4)]), "0+2i");
        assert_eq!(call("sqrt", &[fl(-4.0)]), "0+2.0i");
        assert_eq!(call("sqrt", &[rat(-1, 4)]), "0+1/2i");
        assert_eq!(call("sqrt", &[int(-2)]), "0+1.4142135623730951i");
    }

    #[test]
    fn expt_exactness() {
        assert_eq!(call("expt", &[int(2), int(10)]), "1024");
        assert_eq!(call("expt", &[int(0), int(0)]), "1");
        assert_eq!(call("expt", &[int(2), int(-1)]), "1/2");
        assert_eq!(call("expt", &[fl(2.0), int(3)]), "8.0");
        assert_eq!(call("expt", &[int(2), fl(0.5)]), "1.4142135623730951");
        assert_eq!(call("expt", &[int(9), rat(1, 2)]), "3.0");
        assert_eq!(call("expt", &[int(2), int(100)]), "1267650600228229401496703205376");
        assert_eq!(call("pow", &[rat(2, 3), int(2)]), "4/9");
        assert_eq!(call("math/pow", &[rat(2, 3), int(-2)]), "9/4");
        assert_eq!(call("expt", &[int(0), int(-1)]), "ERR Eval error: division by zero");
        assert_eq!(call("expt", &[int(-1), big("100000000000000000001")]), "-1");
        assert_eq!(call("expt", &[int(2), int(1 << 40)]), "ERR Eval error: expt: result too large");
    }

    #[test]
    fn transcendental_functions_return_floats() {
        assert_eq!(call("log", &[int(1)]), "0.0");
        assert_eq!(call("log", &[int(1), int(2)]), "ERR Arity error: log expects 1 args, got 2");
        assert_eq!(call("sin", &[int(0)]), "0.0");
        assert_eq!(call("cos", &[int(0)]), "1.0");
        assert_eq!(call("math/log10", &[int(1000)]), "3.0");
        assert_eq!(call("math/exp", &[int(1)]), "2.718281828459045");
        assert_eq!(call("math/log2", &[int(8)]), "3.0");
        assert_eq!(call("math/atan2", &[int(0), int(1)]), "0.0");
        assert_eq!(call("math/degrees->radians", &[int(180)]), "3.141592653589793");
        assert_eq!(call("math/radians->degrees", &[fl(std::f64::consts::PI)]), "180.0");
        // ln(10^400) is beyond a float's range for the argument, not for the result.
        let Value::Float(l) = log(&num::from_bigint(BigInt::from(10).pow(400))).unwrap() else { panic!() };
        assert!((l - 400.0 * 10f64.ln()).abs() < 1e-9);
    }

    #[test]
    fn gcd_lcm_and_real_line_helpers() {
        assert_eq!(call("gcd", &[int(12), int(18)]), "6");
        assert_eq!(call("math/gcd", &[int(-12), int(18)]), "6");
        assert_eq!(call("lcm", &[int(4), int(6)]), "12");
        assert_eq!(call("math/lcm", &[int(-4), int(6)]), "12");
        assert_eq!(call("gcd", &[fl(1.0), int(2)]), "ERR Type error: expected integer, got float");
        assert_eq!(call("math/clamp", &[int(5), int(0), int(3)]), "3");
        assert_eq!(call("math/clamp", &[int(-1), int(0), int(3)]), "0");
        assert_eq!(call("math/clamp", &[rat(1, 2), int(0), int(3)]), "1/2");
        assert_eq!(call("math/sign", &[fl(-2.5)]), "-1");
        assert_eq!(call("math/sign", &[int(0)]), "0");
        assert_eq!(call("math/sign", &[rat(1, 3)]), "1");
        assert_eq!(call("math/lerp", &[int(0), int(10), fl(0.5)]), "5.0");
        assert_eq!(call("math/map-range", &[int(5), int(0), int(10), int(0), int(100)]), "50.0");
        assert_eq!(call("math/infinite?", &[fl(f64::INFINITY)]), "#t");
        assert_eq!(call("math/infinite?", &[int(1)]), "#f");
        assert_eq!(call("math/nan?", &[fl(f64::NAN)]), "#t");
        assert_eq!(call("math/nan?", &[Value::Nil]), "#f");
        assert_eq!(call("gcd", &[]), "0");
        assert_eq!(call("lcm", &[int(2), int(3), int(4)]), "12");
    }

    #[test]
    fn exactness_conversions() {
        assert_eq!(call("numerator", &[rat(6, 4)]), "3");
        assert_eq!(call("denominator", &[rat(6, 4)]), "2");
        assert_eq!(call("denominator", &[int(5)]), "1");
        assert_eq!(call("denominator", &[fl(0.5)]), "ERR Type error: expected rational, got float");
        assert_eq!(call("exact", &[fl(2.5)]), "5/2");
        assert_eq!(call("exact", &[fl(0.1)]), "3602879701896397/36028797018963968");
        assert_eq!(call("inexact->exact", &[fl(3.0)]), "3");
        assert_eq!(call("exact", &[fl(f64::INFINITY)]), "ERR Eval error: exact: cannot convert inf to an exact number");
        assert_eq!(call("inexact", &[rat(1, 3)]), "0.3333333333333333");
        assert_eq!(call("exact->inexact", &[int(2)]), "2.0");
        assert_eq!(call("float", &[int(5)]), "5.0");
        assert_eq!(call("float", &[Value::str("3.5")]), "3.5");
        assert_eq!(call("float", &[Value::str("x")]), "ERR Eval error: cannot convert 'x' to float");
        assert_eq!(call("int", &[fl(-2.7)]), "-2");
        assert_eq!(call("int", &[fl(3.9)]), "3");
        assert_eq!(call("int", &[Value::str("5")]), "5");
        assert_eq!(call("int", &[Value::str(" 5")]), "ERR Eval error: cannot convert ' 5' to int");
        assert_eq!(call("int", &[Value::str("3.5")]), "ERR Eval error: cannot convert '3.5' to int");
        assert_eq!(call("float", &[Value::str(" 1e3 ")]), "ERR Eval error: cannot convert ' 1e3 ' to float");
        assert_eq!(call("int", &[Value::str("nope")]), "ERR Eval error: cannot convert 'nope' to int");
        assert_eq!(call("int", &[Value::str("99999999999999999999")]), "ERR Eval error: cannot convert '99999999999999999999' to int");
        assert_eq!(call("int", &[rat(-7, 2)]), "-3");
        let too_big = "ERR Eval error: int: cannot convert 100000000000000000000 to an integer (not finite or out of i64 range)";
        assert_eq!(call("int", &[fl(1e20)]), too_big);
        assert_eq!(call("int", &[fl(f64::NAN)]), "ERR Eval error: int: cannot convert NaN to an integer (not finite or out of i64 range)");
    }

    #[test]
    fn bit_operations() {
        assert_eq!(call("bit/and", &[int(12), int(10)]), "8");
        assert_eq!(call("bit/or", &[int(12), int(10)]), "14");
        assert_eq!(call("bit/xor", &[int(12), int(10)]), "6");
        assert_eq!(call("bit/not", &[int(0)]), "-1");
        assert_eq!(call("bit/shift-left", &[int(1), int(4)]), "16");
        assert_eq!(call("bit/shift-right", &[int(-16), int(2)]), "-4");
        assert_eq!(call("bit/shift-right", &[int(-1), int(100)]), "-1");
        assert_eq!(call("bit/shift-right", &[int(5), int(100)]), "0");
        assert_eq!(call("bit/shift-left", &[int(1), int(64)]), "18446744073709551616");
        assert_eq!(call("bit/shift-left", &[int(16), int(-2)]), "4");
        assert_eq!(call("bit/and", &[fl(1.0), int(1)]), "ERR Type error: expected int, got float");
    }

    #[test]
    fn numeric_predicates() {
        assert_eq!(call("zero?", &[int(0)]), "#t");
        assert_eq!(call("zero?", &[fl(-0.0)]), "#t");
        assert_eq!(call("positive?", &[int(0)]), "#f");
        assert_eq!(call("negative?", &[rat(-1, 2)]), "#t");
        assert_eq!(call("zero?", &[Value::str("0")]), "ERR Type error: expected number, got string");
        assert_eq!(call("integer?", &[fl(2.0)]), "#t");
        assert_eq!(call("integer?", &[rat(1, 2)]), "#f");
        assert_eq!(call("integer?", &[fl(f64::INFINITY)]), "#f");
        assert_eq!(call("float?", &[int(1)]), "#f");
        assert_eq!(call("rational?", &[rat(1, 2)]), "#t");
        assert_eq!(call("exact?", &[fl(1.0)]), "#f");
        assert_eq!(call("inexact?", &[fl(1.0)]), "#t");
        assert_eq!(call("integer?", &[Value::str("1")]), "#f");
    }

    #[test]
    fn shuffle_and_pick() {
        let items: Vec<Value> = (0..20).map(int).collect();
        let list = Value::list(items.clone());
        let Value::List(shuffled) = shuffle(&list).unwrap() else { panic!() };
        let mut sorted = shuffled.to_vec();
        sorted.sort();
        assert_eq!(repr(&Value::list(sorted)), repr(&list));
        assert!(matches!(shuffle(&Value::vector(vec![int(1)])).unwrap(), Value::Vector(_)));
        assert_eq!(call("list/pick", &[Value::list(vec![])]), "nil");
        assert_eq!(call("list/pick", &[Value::list(vec![int(7)])]), "7");
        assert_eq!(call("list/shuffle", &[int(1)]), "ERR Type error: expected list or vector, got int");
    }
}

//! Complex numbers' own functions (R7RS §6.2.6): `make-rectangular`, `make-polar`,
//! `real-part`, `imag-part`, `magnitude`, `angle`, and the complex cases of `sqrt` and
//! `expt` (math.rs hands them over). Arithmetic on them is `crate::num`.

use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive};

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::num;
use crate::value::{Complex, Value};

pub static BUILTINS: &[Builtin] = &[
    pure("make-rectangular", 2, Some(2), |a| Ok(num::complex(real_arg(&a[0])?.clone(), real_arg(&a[1])?.clone()))),
    pure("make-polar", 2, Some(2), |a| make_polar(&a[0], &a[1])),
    pure("real-part", 1, Some(1), |a| match &a[0] {
        Value::Complex(c) => Ok(c.re.clone()),
        other => number_arg(other).cloned(),
    }),
    pure("imag-part", 1, Some(1), |a| match &a[0] {
        Value::Complex(c) => Ok(c.im.clone()),
        other => number_arg(other).map(|_| Value::Int(0)),
    }),
    pure("magnitude", 1, Some(1), |a| num::abs(&a[0])),
    pure("angle", 1, Some(1), |a| angle(&a[0])),
];

/// A real number (the type error says `real`).
fn real_arg(v: &Value) -> Result<&Value> {
    if v.is_real() {
        Ok(v)
    } else {
        Err(Error::type_error("real", v))
    }
}

fn number_arg(v: &Value) -> Result<&Value> {
    if v.is_number() {
        Ok(v)
    } else {
        Err(Error::type_error("number", v))
    }
}

/// A real part as a float.
fn part(v: &Value) -> f64 {
    num::to_f64(v).unwrap_or(f64::NAN)
}

/// `(make-polar magnitude angle)`, always with float parts.
fn make_polar(magnitude: &Value, angle: &Value) -> Result<Value> {
    let (m, a) = (part(real_arg(magnitude)?), part(real_arg(angle)?));
    Ok(num::complex(Value::Float(m * a.cos()), Value::Float(m * a.sin())))
}

/// The argument in radians, a float: π for a negative real, 0 for any other.
fn angle(v: &Value) -> Result<Value> {
    Ok(Value::Float(match v {
        Value::Complex(c) => part(&c.im).atan2(part(&c.re)),
        real if part(number_arg(real)?) < 0.0 => std::f64::consts::PI,
        _ => 0.0,
    }))
}

/// The principal square root `√r·e^(iθ/2)`, in floats.
pub fn principal_sqrt(c: &Complex) -> Value {
    let (re, im) = (part(&c.re), part(&c.im));
    let r = re.hypot(im).sqrt();
    let half = im.atan2(re) / 2.0;
    num::complex(Value::Float(r * half.cos()), Value::Float(r * half.sin()))
}

/// `expt` with a complex base or exponent: exact by repeated squaring for an exact base
/// and an integer exponent (`(expt 1+i 2)` → `0+2i`); otherwise, as upstream, the float
/// power with NaN standing for the complex operand.
pub fn expt(base: &Value, exponent: &Value) -> Result<Value> {
    let exact_base = match base {
        Value::Complex(c) => !matches!(c.re, Value::Float(_)) && !matches!(c.im, Value::Float(_)),
        other => !matches!(other, Value::Float(_)),
    };
    let power = match exponent {
        Value::Int(e) => Some(BigInt::from(*e)),
        Value::BigInt(e) => Some((**e).clone()),
        _ => None,
    };
    let Some(power) = power.filter(|_| exact_base) else {
        let float = |v: &Value| match v {
            Value::Complex(_) => f64::NAN,
            real => part(real),
        };
        return Ok(Value::Float(float(base).powf(float(exponent))));
    };
    let size = match base {
        Value::Complex(c) => bits(&c.re).max(bits(&c.im)) + 1,
        real => bits(real),
    };
    let steps = match power.abs().to_u64() {
        Some(e) if size.saturating_mul(e) <= super::math::MAX_RESULT_BITS => e,
        _ => return Err(Error::eval("expt: result too large")),
    };
    let (mut result, mut square, mut e) = (Value::Int(1), base.clone(), steps);
    while e > 0 {
        if e & 1 == 1 {
            result = num::mul(&result, &square)?;
        }
        e >>= 1;
        if e > 0 {
            square = num::mul(&square, &square)?;
        }
    }
    if power.is_negative() {
        return num::div(&Value::Int(1), &result);
    }
    Ok(result)
}

/// The size in bits of an exact real number (the larger of a fraction's two parts).
fn bits(v: &Value) -> u64 {
    match v {
        Value::Int(i) => 64 - i.unsigned_abs().leading_zeros() as u64,
        Value::BigInt(b) => b.bits(),
        Value::Rational(r) => r.numer().bits().max(r.denom().bits()),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::repr;

    fn c(re: i64, im: i64) -> Value {
        num::complex(Value::Int(re), Value::Int(im))
    }

    fn show(r: Result<Value>) -> String {
        match r {
            Ok(v) => repr(&v),
            Err(e) => format!("ERR {}", e.message()),
        }
    }

    #[test]
    fn exact_powers_and_float_fallback() {
        assert_eq!(show(expt(&c(1, 1), &Value::Int(3))), "-2+2i");
        assert_eq!(show(expt(&c(1, 1), &Value::Int(-1))), "1/2-1/2i");
        assert_eq!(show(expt(&c(0, 1), &Value::Int(2))), "-1");
        assert_eq!(show(expt(&c(1, 1), &Value::Int(0))), "1");
        assert_eq!(show(expt(&c(1, 1), &Value::Float(0.5))), "NaN");
        assert_eq!(show(expt(&c(2, 1), &Value::Int(1 << 40))), "ERR expt: result too large");
    }

    #[test]
    fn polar_parts() {
        assert_eq!(show(angle(&Value::Int(-1))), "3.141592653589793");
        assert_eq!(show(angle(&c(0, 1))), "1.5707963267948966");
        assert_eq!(show(make_polar(&Value::Int(2), &Value::Int(0))), "2.0+0.0i");
        let Value::Complex(z) = c(3, 4) else { panic!("complex") };
        assert_eq!(repr(&principal_sqrt(&z)), "2.0+1.0i");
    }
}

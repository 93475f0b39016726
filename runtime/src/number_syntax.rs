//! The reader's number syntax (LANGUAGE.md §2.5), shared by the compiler's reader and
//! the runtime's `string->number` (§7.4), so that both accept exactly the same text.
//!
//! This module owns: recognising a number token (and where it ends inside longer text,
//! for the reader's "`123abc` splits" rule), converting it to a [`NumberLit`]
//! (fixnum, bignum, float, reduced rational, complex), radix/exactness prefixes, and the
//! `string->number` entry point. It depends only on std and `num-bigint`,
//! `num-integer`, `num-traits`.
//!
//! Grammar (ASCII only; `sign` is `-`, or `-`/`+` after a prefix):
//!
//! ```text
//! number    := prefix* body         at most one radix and one exactness prefix, any order
//! prefix    := "#x" | "#o" | "#b" | "#d" | "#e" | "#i"    (either letter case)
//! decimal   := sign? digit+ ("." digit+)? ([eE] [+-]? digit+)?    float if "." or exponent
//!            | sign? digit+ "/" digit+                            rational, reduced
//! radix     := sign? rdigit+ ("/" rdigit+)?                       for #x #o #b (exact only)
//! complex   := [+-] ureal? "i" | real "i" | real [+-] ureal? "i"   followed by a delimiter
//! ```
//!
//! In a complex literal `real` is an integer or a float (`1/2+3i` is `1/2` then `+3i`)
//! and `ureal` (unsigned) may also be a fraction; a `-` followed by a digit starts a
//! `real` (`-1/2i` is `-1/2` then `i`). A missing `ureal` is 1; an exact zero imaginary
//! part gives the real part alone (`1+0i` is `1`). These follow upstream's reader.
//!
//! The special float spellings of §2.3 (`inf`, `-inf`, `+Infinity`, `nan`, `NaN`, ...)
//! are accepted by [`parse_number`] (the reader reads them as floats too, so
//! `string->number` accepts them), but [`number_token_len`] does not report them: the
//! reader sees them as symbol tokens and maps them itself.

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};

/// A number literal as the reader produces it.
#[derive(Clone, Debug, PartialEq)]
pub enum NumberLit {
    Int(i64),
    /// decimal text, optional leading '-', outside i64 range
    BigInt(String),
    Float(f64),
    /// reduced, denominator > 1, sign on numerator, decimal text
    Rational(String, String),
    /// real and imaginary parts, each one of the real kinds above; the imaginary part
    /// is never the exact zero
    Complex(Box<NumberLit>, Box<NumberLit>),
}

/// The error for a rational literal whose denominator is zero (`1/0`).
pub const ZERO_DENOMINATOR: &str = "zero denominator in rational literal";

/// Characters that end a token (§2.2): whitespace (space, tab, CR, LF), brackets of the
/// three kinds, `"`, `;`, `'`, backquote and `,`.
pub fn is_delimiter(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\r' | '\n' | '(' | ')' | '[' | ']' | '{' | '}' | '"' | ';' | '\'' | '`' | ','
    )
}

/// The special float spellings of §2.3: `inf` `+inf` `Inf` `Infinity` `+Infinity` → +∞,
/// `-inf` `-Infinity` → −∞, `nan` `NaN` `NAN` `+nan` `-nan` → NaN.
pub fn special_float(text: &str) -> Option<f64> {
    match text {
        "inf" | "+inf" | "Inf" | "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-inf" | "-Infinity" => Some(f64::NEG_INFINITY),
        "nan" | "NaN" | "NAN" | "+nan" | "-nan" => Some(f64::NAN),
        _ => None,
    }
}

/// Length in bytes of the number token at the start of `text`, following the reader's
/// rules for where a number ends (§2.5): `123abc` → 3, `1e` → 1, `1.` → 1, `1/x` → 1,
/// `-5)` → 2. A complex literal counts only when a delimiter (or the end) follows its `i`.
/// With a `#x`/`#o`/`#b` prefix the whole alphanumeric run counts, so bad digits are
/// reported rather than split off (`#b102` → 5, and [`parse_number`] rejects it).
/// Returns 0 when `text` does not start with a number: `+5`, `.5`, `abc`, `-`, `#t`,
/// `#x` (no digits), `#x#x1` (repeated prefix).
///
/// Whenever this returns `n > 0`, `parse_number(&text[..n])` is `Ok(Some(_))`, `Err(_)`
/// (zero denominator, `#e` of an infinite float) or `Ok(None)` (bad radix digits).
pub fn number_token_len(text: &str) -> usize {
    let b = text.as_bytes();
    let prefixes = if b.first() == Some(&b'#') {
        match scan_prefixes(b) {
            Some(p) => p,
            None => return 0,
        }
    } else {
        Prefixes::NONE
    };
    let allow_plus = prefixes.end > 0;
    let end = if prefixes.radix == 10 {
        scan_decimal(b, prefixes.end, allow_plus).map(|(end, _)| end)
    } else {
        scan_radix(b, prefixes.end, allow_plus).map(|(end, _)| end)
    };
    end.unwrap_or(0)
}

/// Parses a whole token as a number per LANGUAGE.md §2.5 (int, bignum, float, rational n/d
/// reduced — `4/2` is Int(2), `-4/6` is Rational("-2","3"); radix/exactness prefixes #x #o
/// #b #d #e #i in any combination: `#xFF` → 255, `#e1.5` → 3/2, `#i1/2` → 0.5). Returns
/// None if the text is not exactly one number. Zero denominator → Err. Complex literals
/// (`3+4i`, `2i`, `-i`) give [`NumberLit::Complex`].
///
/// Also accepts the special float spellings (`inf`, `-nan`, ...; see [`special_float`]).
/// `#e` of a float converts the float's exact binary value (`#e0.5` → 1/2, `#e0.1` →
/// 3602879701896397/36028797018963968, like `(exact 0.1)`); `#e` of an infinite float
/// (`#e1e400`) is an Err.
pub fn parse_number(text: &str) -> Result<Option<NumberLit>, String> {
    if let Some(f) = short_decimal(text.as_bytes()) {
        return Ok(Some(NumberLit::Float(f)));
    }
    if let Some(f) = special_float(text) {
        return Ok(Some(NumberLit::Float(f)));
    }
    let b = text.as_bytes();
    let prefixes = if b.first() == Some(&b'#') {
        match scan_prefixes(b) {
            Some(p) => p,
            None => return Ok(None),
        }
    } else {
        Prefixes::NONE
    };
    let allow_plus = prefixes.end > 0;
    let value = if prefixes.radix == 10 {
        let Some((end, shape)) = scan_decimal(b, prefixes.end, allow_plus) else {
            return Ok(None);
        };
        if end != b.len() {
            return Ok(None);
        }
        match shape {
            Shape::Complex { im_start } => {
                let re = match im_start > prefixes.end {
                    true => real_value(&text[prefixes.end..im_start])?,
                    false => Some(Value::Int(BigInt::zero())),
                };
                let im = match &text[im_start..end - 1] {
                    "+" => Some(Value::Int(BigInt::one())),
                    "-" => Some(Value::Int(-BigInt::one())),
                    im => real_value(im)?,
                };
                let (Some(re), Some(im)) = (re, im) else { return Ok(None) };
                Value::Complex(Box::new(re), Box::new(im))
            }
            _ => match real_value(&text[prefixes.end..])? {
                Some(v) => v,
                None => return Ok(None),
            },
        }
    } else {
        match parse_radix_body(text, prefixes.end, prefixes.radix, allow_plus)? {
            Some(v) => v,
            None => return Ok(None),
        }
    };
    let value = match prefixes.exact {
        None => value,
        Some(exact) => match with_exactness(value, exact) {
            Some(v) => v,
            None => return Err(format!("no exact representation for {text}")),
        },
    };
    Ok(Some(value.into_lit()))
}

/// A real number's text (sign, then an integer, float or fraction): Ok(None) when it is
/// not one, Err for a zero denominator.
fn real_value(text: &str) -> Result<Option<Value>, String> {
    let b = text.as_bytes();
    let Some((end, shape)) = scan_decimal_real(b, 0, true) else { return Ok(None) };
    if end != b.len() {
        return Ok(None);
    }
    Ok(match shape {
        Shape::Float => text.parse::<f64>().ok().map(Value::Float),
        Shape::Ratio { slash } => {
            let (Some(n), Some(d)) = (parse_int(&text[..slash], 10), parse_int(&text[slash + 1..], 10)) else {
                return Ok(None);
            };
            Some(make_ratio(n, d)?)
        }
        _ => parse_int(text, 10).map(Value::Int),
    })
}

/// `#e` (exact = true) or `#i` applied to a value, part by part for a complex one; None
/// for `#e` of an infinite or NaN float.
fn with_exactness(value: Value, exact: bool) -> Option<Value> {
    Some(match (value, exact) {
        (Value::Float(f), true) => exact_from_f64(f)?,
        (Value::Int(n), false) => Value::Float(ratio_to_f64(&n, &BigInt::one())),
        (Value::Ratio(n, d), false) => Value::Float(ratio_to_f64(&n, &d)),
        (Value::Complex(re, im), exact) => {
            Value::Complex(Box::new(with_exactness(*re, exact)?), Box::new(with_exactness(*im, exact)?))
        }
        (same, _) => same,
    })
}

/// `-?DIGITS.DIGITS` with at most 15 digits in all (measurements, prices, 1brc's
/// temperatures), without the general scanner: the digits as an integer below 10^15
/// and a power of ten up to 10^15 are both exact doubles, so one division rounds
/// correctly, as the full parser would.
fn short_decimal(b: &[u8]) -> Option<f64> {
    const MAX_DIGITS: usize = 15;
    let (negative, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    if digits.len() > MAX_DIGITS + 1 {
        return None;
    }
    let point = digits.iter().position(|&c| c == b'.')?;
    let (whole, fraction) = (&digits[..point], &digits[point + 1..]);
    if whole.is_empty() || fraction.is_empty() {
        return None;
    }
    let mut mantissa: u64 = 0;
    for &c in whole.iter().chain(fraction) {
        if !c.is_ascii_digit() {
            return None;
        }
        mantissa = mantissa * 10 + u64::from(c - b'0');
    }
    let value = mantissa as f64 / 10f64.powi(fraction.len() as i32);
    Some(if negative { -value } else { value })
}

/// Rust's float syntax (what `string/to-float` and `float` accept), with the common
/// short decimals read without the general parser (a fifth of the work per 1brc row
/// went into it).
pub fn parse_rust_float(text: &str) -> Option<f64> {
    short_decimal(text.as_bytes()).or_else(|| text.parse::<f64>().ok())
}

/// string->number semantics (§7.4): trims surrounding space/tab/CR/LF, then parse_number;
/// None when not a number (including "+5", "1.", ".5", "0x10", "1_000", ""). Errors of
/// [`parse_number`] (zero denominator, complex) are None here. (Radixes other than 10
/// are the builtin's business: a bare signed integer, see `builtins::strings`.)
pub fn string_to_number(text: &str) -> Option<NumberLit> {
    let text = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
    parse_number(text).ok().flatten()
}

// ---------------------------------------------------------------------------------------
// Scanning

/// What a scanned decimal body looks like.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    Integer,
    Float,
    /// `slash` is the byte index of the `/`.
    Ratio {
        slash: usize,
    },
    /// `im_start` is the byte index where the imaginary part (with its sign) starts; the
    /// real part is before it (nothing for `2i` and `-i`), the `i` is the last byte.
    Complex {
        im_start: usize,
    },
}

#[derive(Clone, Copy, Debug)]
struct Prefixes {
    /// Byte index just after the last prefix.
    end: usize,
    radix: u32,
    /// Some(true) for `#e`, Some(false) for `#i`.
    exact: Option<bool>,
}

impl Prefixes {
    const NONE: Prefixes = Prefixes {
        end: 0,
        radix: 10,
        exact: None,
    };
}

/// Reads the `#x#e...` prefix chain at the start of `b`. None on an unknown prefix letter,
/// a `#` at the end, or a repeated radix/exactness prefix.
fn scan_prefixes(b: &[u8]) -> Option<Prefixes> {
    let mut i = 0;
    let mut radix = None;
    let mut exact = None;
    while i < b.len() && b[i] == b'#' {
        let letter = b.get(i + 1)?.to_ascii_lowercase();
        match letter {
            b'x' | b'o' | b'b' | b'd' => {
                if radix.is_some() {
                    return None;
                }
                radix = Some(match letter {
                    b'x' => 16,
                    b'o' => 8,
                    b'b' => 2,
                    _ => 10,
                });
            }
            b'e' | b'i' => {
                if exact.is_some() {
                    return None;
                }
                exact = Some(letter == b'e');
            }
            _ => return None,
        }
        i += 2;
    }
    Some(Prefixes {
        end: i,
        radix: radix.unwrap_or(10),
        exact,
    })
}

/// True at the end of `b` or when `b[i]` is a delimiter.
fn delimiter_at(b: &[u8], i: usize) -> bool {
    match b.get(i) {
        None => true,
        Some(&c) => c.is_ascii() && is_delimiter(c as char),
    }
}

fn digit_at(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(|c| c.is_ascii_digit())
}

fn skip_digits(b: &[u8], mut i: usize) -> usize {
    while digit_at(b, i) {
        i += 1;
    }
    i
}

/// A real decimal number starting at `i`: integer, float or rational (never complex).
/// Returns the end index and the shape.
fn scan_decimal_real(b: &[u8], i: usize, allow_plus: bool) -> Option<(usize, Shape)> {
    let mut j = i;
    match b.get(j) {
        Some(b'-') => j += 1,
        Some(b'+') if allow_plus => j += 1,
        _ => {}
    }
    let digits_start = j;
    j = skip_digits(b, j);
    if j == digits_start {
        return None;
    }
    let mut float = false;
    // Fraction: a dot followed by at least one digit (`1.` leaves the dot alone).
    if b.get(j) == Some(&b'.') && digit_at(b, j + 1) {
        j = skip_digits(b, j + 1);
        float = true;
    }
    // Exponent: only when at least one digit follows (`1e`, `1e+` leave the `e` alone).
    if matches!(b.get(j), Some(b'e' | b'E')) {
        let mut k = j + 1;
        if matches!(b.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        if digit_at(b, k) {
            j = skip_digits(b, k);
            float = true;
        }
    }
    if float {
        return Some((j, Shape::Float));
    }
    // Rational: a slash immediately followed by a digit.
    if b.get(j) == Some(&b'/') && digit_at(b, j + 1) {
        let slash = j;
        return Some((skip_digits(b, j + 1), Shape::Ratio { slash }));
    }
    Some((j, Shape::Integer))
}

/// The end of an imaginary tail starting at the sign at `i`: `[+-] ureal? "i"` and then
/// a delimiter (`+i`, `-4i`, `+1/2i`, `-2.5e3i`).
fn scan_imaginary(b: &[u8], i: usize) -> Option<usize> {
    if !matches!(b.get(i), Some(b'+' | b'-')) {
        return None;
    }
    // The magnitude has no sign of its own (`1+-2i` is not a number).
    let end = match digit_at(b, i + 1) {
        true => scan_decimal_real(b, i + 1, false).map_or(i + 1, |(end, _)| end),
        false => i + 1,
    };
    (b.get(end) == Some(&b'i') && delimiter_at(b, end + 1)).then_some(end + 1)
}

/// A decimal number (possibly a complex literal) starting at `i`.
fn scan_decimal(b: &[u8], i: usize, allow_plus: bool) -> Option<(usize, Shape)> {
    // `+i`, `-i`, `+2i`: a sign not followed by a digit (or a `+` where it cannot
    // start a real) only starts an imaginary number.
    let real_starts = match b.get(i) {
        Some(b'+') => allow_plus && digit_at(b, i + 1),
        Some(b'-') => digit_at(b, i + 1),
        _ => true,
    };
    if !real_starts {
        return scan_imaginary(b, i).map(|end| (end, Shape::Complex { im_start: i }));
    }
    let (end, shape) = scan_decimal_real(b, i, allow_plus)?;
    if let Shape::Ratio { .. } = shape {
        return Some((end, shape));
    }
    // `2i`, `-1.5i`
    if b.get(end) == Some(&b'i') && delimiter_at(b, end + 1) {
        return Some((end + 1, Shape::Complex { im_start: i }));
    }
    // `3+4i`, `1.5-2i`, `3+i`, `3+1/2i`
    if let Some(im_end) = scan_imaginary(b, end) {
        return Some((im_end, Shape::Complex { im_start: end }));
    }
    Some((end, shape))
}

/// A radix-prefixed body: `sign? alnum+ ("/" alnum+)?`. The digits are validated later.
/// Returns the end index and the index of the `/`, if any.
fn scan_radix(b: &[u8], i: usize, allow_plus: bool) -> Option<(usize, Option<usize>)> {
    let alnum_at = |k: usize| b.get(k).is_some_and(|c| c.is_ascii_alphanumeric());
    let mut j = i;
    match b.get(j) {
        Some(b'-') => j += 1,
        Some(b'+') if allow_plus => j += 1,
        _ => {}
    }
    let digits_start = j;
    while alnum_at(j) {
        j += 1;
    }
    if j == digits_start {
        return None;
    }
    if b.get(j) == Some(&b'/') && alnum_at(j + 1) {
        let slash = j;
        j += 1;
        while alnum_at(j) {
            j += 1;
        }
        return Some((j, Some(slash)));
    }
    Some((j, None))
}

// ---------------------------------------------------------------------------------------
// Values

/// An exact or inexact value before it is turned into a [`NumberLit`].
enum Value {
    Int(BigInt),
    /// Reduced, denominator > 1.
    Ratio(BigInt, BigInt),
    Float(f64),
    /// Two real parts.
    Complex(Box<Value>, Box<Value>),
}

impl Value {
    fn into_lit(self) -> NumberLit {
        match self {
            Value::Int(n) => match n.to_i64() {
                Some(v) => NumberLit::Int(v),
                None => NumberLit::BigInt(n.to_string()),
            },
            Value::Ratio(n, d) => NumberLit::Rational(n.to_string(), d.to_string()),
            Value::Float(f) => NumberLit::Float(f),
            Value::Complex(re, im) => match *im {
                Value::Int(n) if n.is_zero() => re.into_lit(),
                im => NumberLit::Complex(Box::new(re.into_lit()), Box::new(im.into_lit())),
            },
        }
    }
}

/// Parses `sign? digits` in `radix` (2..=36). None if empty or a digit is invalid.
fn parse_int(text: &str, radix: u32) -> Option<BigInt> {
    if let Ok(v) = i64::from_str_radix(text, radix) {
        return Some(BigInt::from(v));
    }
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    // BigUint::parse_bytes would also accept `_` separators: check the digits first.
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = BigUint::parse_bytes(digits.as_bytes(), radix)?;
    let sign = if negative { Sign::Minus } else { Sign::Plus };
    Some(BigInt::from_biguint(sign, magnitude))
}

/// Parses a whole radix body (`text[start..]`) as an exact integer or rational.
/// Ok(None) when it is not exactly one such number.
fn parse_radix_body(
    text: &str,
    start: usize,
    radix: u32,
    allow_plus: bool,
) -> Result<Option<Value>, String> {
    let b = text.as_bytes();
    let Some((end, slash)) = scan_radix(b, start, allow_plus) else {
        return Ok(None);
    };
    if end != b.len() {
        return Ok(None);
    }
    match slash {
        None => Ok(parse_int(&text[start..], radix).map(Value::Int)),
        Some(slash) => {
            let (Some(n), Some(d)) = (
                parse_int(&text[start..slash], radix),
                parse_int(&text[slash + 1..], radix),
            ) else {
                return Ok(None);
            };
            make_ratio(n, d).map(Some)
        }
    }
}

/// n/d reduced; an integer when the denominator becomes 1.
fn make_ratio(n: BigInt, d: BigInt) -> Result<Value, String> {
    if d.is_zero() {
        return Err(ZERO_DENOMINATOR.to_string());
    }
    let g = n.gcd(&d);
    let (mut n, mut d) = (n / &g, d / &g);
    if d.is_negative() {
        n = -n;
        d = -d;
    }
    if d.is_one() {
        Ok(Value::Int(n))
    } else {
        Ok(Value::Ratio(n, d))
    }
}

/// The exact value of a finite float (None for inf/NaN).
fn exact_from_f64(f: f64) -> Option<Value> {
    if !f.is_finite() {
        return None;
    }
    let bits = f.to_bits();
    let negative = bits >> 63 == 1;
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mut mantissa, mut exponent) = if biased == 0 {
        (fraction, -1074i64)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    };
    if mantissa == 0 {
        return Some(Value::Int(BigInt::zero()));
    }
    let sign = if negative { Sign::Minus } else { Sign::Plus };
    if exponent >= 0 {
        let n = BigInt::from_biguint(sign, BigUint::from(mantissa) << (exponent as usize));
        return Some(Value::Int(n));
    }
    // mantissa * 2^exponent with exponent < 0: cancel common factors of two.
    let shift = (mantissa.trailing_zeros() as i64).min(-exponent);
    mantissa >>= shift;
    exponent += shift;
    let n = BigInt::from_biguint(sign, BigUint::from(mantissa));
    if exponent == 0 {
        Some(Value::Int(n))
    } else {
        Some(Value::Ratio(n, BigInt::one() << ((-exponent) as usize)))
    }
}

/// n/d (d > 0) as the nearest float (ties to even, except possibly for results in the
/// subnormal range).
fn ratio_to_f64(n: &BigInt, d: &BigInt) -> f64 {
    if n.is_zero() {
        return 0.0;
    }
    let negative = n.is_negative();
    let n = n.magnitude();
    let d = d.magnitude();
    // Scale so that the integer quotient has 65 or 66 bits, keep a sticky bit for the
    // remainder, convert (Rust's u128 → f64 cast rounds to nearest, ties to even), and
    // scale back.
    let shift = 65 - (n.bits() as i64 - d.bits() as i64);
    let (num, den) = if shift >= 0 {
        (n << (shift as usize), d.clone())
    } else {
        (n.clone(), d << ((-shift) as usize))
    };
    let (q, r) = num.div_rem(&den);
    let mut q = q.to_u128().unwrap_or(u128::MAX);
    if !r.is_zero() {
        q |= 1;
    }
    let magnitude = scale_by_power_of_two(q as f64, -shift);
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// x · 2^k without intermediate overflow/underflow for moderate results.
fn scale_by_power_of_two(mut x: f64, mut k: i64) -> f64 {
    while k > 1000 {
        x *= 2f64.powi(1000);
        k -= 1000;
        if x.is_infinite() {
            return x;
        }
    }
    while k < -1000 {
        x *= 2f64.powi(-1000);
        k += 1000;
        if x == 0.0 {
            return x;
        }
    }
    x * 2f64.powi(k as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(v: i64) -> Option<NumberLit> {
        Some(NumberLit::Int(v))
    }
    fn big(s: &str) -> Option<NumberLit> {
        Some(NumberLit::BigInt(s.to_string()))
    }
    fn float(v: f64) -> Option<NumberLit> {
        Some(NumberLit::Float(v))
    }
    fn ratio(n: &str, d: &str) -> Option<NumberLit> {
        Some(NumberLit::Rational(n.to_string(), d.to_string()))
    }
    fn p(text: &str) -> Option<NumberLit> {
        parse_number(text).unwrap_or_else(|e| panic!("{text}: unexpected error {e}"))
    }
    fn s2n(text: &str) -> Option<NumberLit> {
        string_to_number(text)
    }

    // §2.5 integers
    #[test]
    fn integers() {
        assert_eq!(p("0"), int(0));
        assert_eq!(p("42"), int(42));
        assert_eq!(p("-42"), int(-42));
        assert_eq!(p("-0"), int(0));
        assert_eq!(p("007"), int(7));
        assert_eq!(p("9223372036854775807"), int(i64::MAX));
        assert_eq!(p("-9223372036854775808"), int(i64::MIN));
        assert_eq!(p("9223372036854775808"), big("9223372036854775808"));
        assert_eq!(p("-9223372036854775809"), big("-9223372036854775809"));
        assert_eq!(p("18446744073709551616"), big("18446744073709551616"));
        assert_eq!(p("000000000000000000000000000000001"), int(1));
        assert_eq!(p("-00000000000000000000000000000000"), int(0));
        assert_eq!(
            p("1267650600228229401496703205376"),
            big("1267650600228229401496703205376")
        );
    }

    // §2.5 floats
    #[test]
    #[allow(clippy::approx_constant)] // 3.14 is the spec's example
    fn floats() {
        assert_eq!(p("3.14"), float(3.14));
        assert_eq!(p("-0.5"), float(-0.5));
        assert_eq!(p("1e-9"), float(1e-9));
        assert_eq!(p("-2.5E6"), float(-2.5e6));
        assert_eq!(p("6.022e23"), float(6.022e23));
        assert_eq!(p("1e3"), float(1000.0));
        assert_eq!(p("1E+3"), float(1000.0));
        assert_eq!(p("12.30"), float(12.3));
        assert_eq!(p("1e400"), float(f64::INFINITY));
        assert_eq!(p("-1e400"), float(f64::NEG_INFINITY));
        assert_eq!(p("1e-400"), float(0.0));
        match p("-0.0") {
            Some(NumberLit::Float(f)) => assert!(f == 0.0 && f.is_sign_negative()),
            other => panic!("{other:?}"),
        }
        // Not floats: no digit after the dot / exponent, no digit before the dot.
        assert_eq!(p("1."), None);
        assert_eq!(p(".5"), None);
        assert_eq!(p("1e"), None);
        assert_eq!(p("1e+"), None);
        assert_eq!(p("1.e5"), None);
        assert_eq!(p("1.5.5"), None);
    }

    // §2.3 special spellings
    #[test]
    fn special_spellings() {
        for s in ["inf", "+inf", "Inf", "Infinity", "+Infinity"] {
            assert_eq!(p(s), float(f64::INFINITY), "{s}");
        }
        for s in ["-inf", "-Infinity"] {
            assert_eq!(p(s), float(f64::NEG_INFINITY), "{s}");
        }
        for s in ["nan", "NaN", "NAN", "+nan", "-nan"] {
            match p(s) {
                Some(NumberLit::Float(f)) => assert!(f.is_nan(), "{s}"),
                other => panic!("{s}: {other:?}"),
            }
        }
        assert_eq!(p("INF"), None);
        assert_eq!(p("infinity"), None);
        assert_eq!(number_token_len("inf"), 0);
        assert_eq!(number_token_len("-inf"), 0);
    }

    // §2.5 rationals
    #[test]
    fn rationals() {
        assert_eq!(p("1/3"), ratio("1", "3"));
        assert_eq!(p("-4/6"), ratio("-2", "3"));
        assert_eq!(p("4/2"), int(2));
        assert_eq!(p("-4/2"), int(-2));
        assert_eq!(p("0/5"), int(0));
        assert_eq!(p("1/2"), ratio("1", "2"));
        assert_eq!(p("10/3"), ratio("10", "3"));
        assert_eq!(p("6/4"), ratio("3", "2"));
        assert_eq!(
            p("100000000000000000000/3"),
            ratio("100000000000000000000", "3")
        );
        assert_eq!(p("100000000000000000000/5"), big("20000000000000000000"));
        assert_eq!(
            p("1/100000000000000000000"),
            ratio("1", "100000000000000000000")
        );
        assert_eq!(parse_number("1/0"), Err(ZERO_DENOMINATOR.to_string()));
        assert_eq!(parse_number("0/0"), Err(ZERO_DENOMINATOR.to_string()));
        assert_eq!(parse_number("-5/000"), Err(ZERO_DENOMINATOR.to_string()));
        assert_eq!(p("1/-2"), None);
        assert_eq!(p("1/"), None);
        assert_eq!(p("/2"), None);
        assert_eq!(p("1.5/2"), None);
        assert_eq!(p("1/2/3"), None);
        assert_eq!(p("1/2.5"), None);
    }

    fn complex(re: NumberLit, im: NumberLit) -> Option<NumberLit> {
        Some(NumberLit::Complex(Box::new(re), Box::new(im)))
    }

    // §2.5 complex literals, with upstream's reading of the cases the spec leaves open
    #[test]
    fn complex_literals() {
        let n = |v: i64| int(v).unwrap();
        assert_eq!(p("3+4i"), complex(n(3), n(4)));
        assert_eq!(p("1.5-2i"), complex(NumberLit::Float(1.5), n(-2)));
        assert_eq!(p("2i"), complex(n(0), n(2)));
        assert_eq!(p("-2.5i"), complex(n(0), NumberLit::Float(-2.5)));
        assert_eq!(p("+i"), complex(n(0), n(1)));
        assert_eq!(p("-i"), complex(n(0), n(-1)));
        assert_eq!(p("+2i"), complex(n(0), n(2)));
        assert_eq!(p("+1/2i"), complex(n(0), ratio("1", "2").unwrap()));
        assert_eq!(p("3-1/2i"), complex(n(3), ratio("-1", "2").unwrap()));
        assert_eq!(p("1e3+1e2i"), complex(NumberLit::Float(1000.0), NumberLit::Float(100.0)));
        assert_eq!(p("1+0i"), int(1));
        assert_eq!(p("1-0.0i"), complex(n(1), NumberLit::Float(-0.0)));
        assert_eq!(p("#e1.5+2.5i"), complex(ratio("3", "2").unwrap(), ratio("5", "2").unwrap()));
        assert_eq!(p("#i3+4i"), complex(NumberLit::Float(3.0), NumberLit::Float(4.0)));
        assert_eq!(parse_number("3+1/0i"), Err(ZERO_DENOMINATOR.to_string()));
        for bad in ["3+4ix", "i", "1/2+3i", "-1/2i", "+1+2i", "1++2i", "1+-2i", "2.i", "#x1+2i", "1+2"] {
            assert_eq!(p(bad), None, "{bad}");
        }
        assert_eq!(s2n(" 3+4i "), complex(n(3), n(4)));
    }

    // §2.5 prefixes
    #[test]
    fn prefixes() {
        assert_eq!(p("#xFF"), int(255));
        assert_eq!(p("#xff"), int(255));
        assert_eq!(p("#XfF"), int(255));
        assert_eq!(p("#x-ff"), int(-255));
        assert_eq!(p("#x+ff"), int(255));
        assert_eq!(p("#o17"), int(15));
        assert_eq!(p("#b101"), int(5));
        assert_eq!(p("#b-101"), int(-5));
        assert_eq!(p("#d10"), int(10));
        assert_eq!(p("#d1.5"), float(1.5));
        assert_eq!(p("#d1/2"), ratio("1", "2"));
        assert_eq!(p("#e1.5"), ratio("3", "2"));
        assert_eq!(p("#e-1.5"), ratio("-3", "2"));
        assert_eq!(p("#e1.0"), int(1));
        assert_eq!(p("#e1e3"), int(1000));
        assert_eq!(p("#e5"), int(5));
        assert_eq!(p("#e1/2"), ratio("1", "2"));
        assert_eq!(p("#e0.1"), ratio("3602879701896397", "36028797018963968"));
        assert_eq!(p("#e1e20"), big("100000000000000000000"));
        assert_eq!(p("#i1/2"), float(0.5));
        assert_eq!(p("#i1/3"), float(1.0 / 3.0));
        assert_eq!(p("#i-2/3"), float(-2.0 / 3.0));
        assert_eq!(p("#i5"), float(5.0));
        assert_eq!(p("#i1.5"), float(1.5));
        assert_eq!(p("#i100000000000000000000"), float(1e20));
        assert_eq!(p("#i#xff"), float(255.0));
        assert_eq!(p("#x#iff"), float(255.0));
        assert_eq!(p("#e#x10"), int(16));
        assert_eq!(p("#x#e10"), int(16));
        assert_eq!(p("#x1/2"), ratio("1", "2"));
        assert_eq!(p("#xA/F"), ratio("2", "3"));
        assert_eq!(p("#xFFFFFFFFFFFFFFFFFF"), big("4722366482869645213695"));
        assert_eq!(p("#x"), None);
        assert_eq!(p("#e"), None);
        assert_eq!(p("#"), None);
        assert_eq!(p("#xg"), None);
        assert_eq!(p("#b102"), None);
        assert_eq!(p("#o8"), None);
        assert_eq!(p("#x#x1"), None);
        assert_eq!(p("#e#i1"), None);
        assert_eq!(p("#q1"), None);
        assert_eq!(p("#x1.5"), None);
        assert_eq!(p("#t"), None);
        assert_eq!(parse_number("#x1/0"), Err(ZERO_DENOMINATOR.to_string()));
        assert_eq!(
            parse_number("#e1e400"),
            Err("no exact representation for #e1e400".to_string())
        );
    }

    #[test]
    fn ratio_to_float_rounding() {
        let r = |n: &str, d: &str| {
            ratio_to_f64(&n.parse::<BigInt>().unwrap(), &d.parse::<BigInt>().unwrap())
        };
        assert_eq!(r("1", "3"), 1.0 / 3.0);
        assert_eq!(r("2", "3"), 2.0 / 3.0);
        assert_eq!(r("1", "10"), 0.1);
        assert_eq!(r("-7", "2"), -3.5);
        assert_eq!(r("3602879701896397", "36028797018963968"), 0.1);
        let huge = "1".to_string() + &"0".repeat(400);
        assert_eq!(r(&huge, &(huge.clone() + "0")), 0.1);
        assert_eq!(r(&huge, "1"), f64::INFINITY);
        assert_eq!(r("1", &huge), 0.0);
        assert_eq!(r("9007199254740993", "1"), 9007199254740992.0); // tie → even
        assert_eq!(r("9007199254740995", "1"), 9007199254740996.0);
    }

    #[test]
    fn token_lengths() {
        assert_eq!(number_token_len("123abc"), 3);
        assert_eq!(number_token_len("1e"), 1);
        assert_eq!(number_token_len("1e+"), 1);
        assert_eq!(number_token_len("1."), 1);
        assert_eq!(number_token_len("1.x"), 1);
        assert_eq!(number_token_len("1.5.5"), 3);
        assert_eq!(number_token_len("-5)"), 2);
        assert_eq!(number_token_len("-5abc"), 2);
        assert_eq!(number_token_len("1/x"), 1);
        assert_eq!(number_token_len("1/2/3"), 3);
        assert_eq!(number_token_len("12#t"), 2);
        assert_eq!(number_token_len("0x10"), 1);
        assert_eq!(number_token_len("1_000"), 1);
        assert_eq!(number_token_len("6.022e23)"), 8);
        assert_eq!(number_token_len("2i"), 2);
        assert_eq!(number_token_len("2i)"), 2);
        assert_eq!(number_token_len("2in"), 1);
        assert_eq!(number_token_len("3+4i "), 4);
        assert_eq!(number_token_len("3+4ix"), 1);
        assert_eq!(number_token_len("+i"), 2);
        assert_eq!(number_token_len("-i;"), 2);
        assert_eq!(number_token_len("-in"), 0);
        assert_eq!(number_token_len("+5"), 0);
        assert_eq!(number_token_len("+5i)"), 3);
        assert_eq!(number_token_len("1/2+3i"), 3);
        assert_eq!(number_token_len("-1/2i"), 4);
        assert_eq!(number_token_len(".5"), 0);
        assert_eq!(number_token_len("-"), 0);
        assert_eq!(number_token_len("abc"), 0);
        assert_eq!(number_token_len(""), 0);
        assert_eq!(number_token_len("#xFFzz"), 6);
        assert_eq!(number_token_len("#b102)"), 5);
        assert_eq!(number_token_len("#e1.5abc"), 5);
        assert_eq!(number_token_len("#x"), 0);
        assert_eq!(number_token_len("#x)"), 0);
        assert_eq!(number_token_len("#x#x1"), 0);
        assert_eq!(number_token_len("#t"), 0);
        assert_eq!(number_token_len("1λ"), 1);
    }

    // §7.4 examples
    #[test]
    fn short_decimals_parse_as_the_general_parser_does() {
        let general = |text: &str| text.parse::<f64>().expect("a float");
        for text in ["0.0", "-0.0", "12.3", "-99.9", "0.1", "123456789.012345", "-1.00000000000005", "9999999.99999999"] {
            let fast = short_decimal(text.as_bytes()).expect("short decimal");
            assert_eq!(fast.to_bits(), general(text).to_bits(), "{text}");
        }
        // Many more, from a fixed-seed generator: up to 15 digits, any split.
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let digits = 2 + (seed >> 60) as usize % 14;
            let mantissa = (seed >> 8) % 10u64.pow(digits as u32);
            let text = format!("{mantissa:0digits$}");
            let point = 1 + (seed as usize >> 3) % (digits - 1);
            let text = format!("{}{}.{}", if seed & 1 == 1 { "-" } else { "" }, &text[..point], &text[point..]);
            let fast = short_decimal(text.as_bytes()).expect("short decimal");
            assert_eq!(fast.to_bits(), general(&text).to_bits(), "{text}");
        }
        for text in ["1.", ".5", "-", "1.2.3", "1e5", "+1.5", "1234567890.1234567", "١.٢", "1_0.5", "-.5"] {
            assert!(short_decimal(text.as_bytes()).is_none(), "{text}");
        }
    }

    #[test]
    fn rust_float_syntax_is_the_general_parsers() {
        for text in ["12.3", "-0.0", "+1.5", ".5", "5.", "1e5", "-2.5E-3", "inf", "-infinity", "NaN", "12", "1234567890.1234567"] {
            let general = text.parse::<f64>().expect("a float");
            let ours = parse_rust_float(text).expect("a float");
            assert!(ours.to_bits() == general.to_bits() || (ours.is_nan() && general.is_nan()), "{text}");
        }
        for text in ["", "-", "1.2.3", "abc", " 1.5", "1_0.5", "0x10"] {
            assert_eq!(parse_rust_float(text), None, "{text}");
        }
    }

    #[test]
    fn string_to_number_examples() {
        assert_eq!(s2n("42"), int(42));
        assert_eq!(s2n("-3.5"), float(-3.5));
        assert_eq!(s2n("12.30"), float(12.3));
        assert_eq!(s2n("1e3"), float(1000.0));
        assert_eq!(s2n("1/2"), ratio("1", "2"));
        assert_eq!(s2n("#xff"), int(255));
        assert_eq!(s2n(" 12 "), int(12));
        assert_eq!(s2n("\t\r\n12\n"), int(12));
        for bad in [
            "abc", "", "   ", "+5", "1.", ".5", "0x10", "1_000", "1 2", "12a", "\u{a0}12", "1/0",
        ] {
            assert_eq!(s2n(bad), None, "{bad:?}");
        }
        assert_eq!(s2n("inf"), float(f64::INFINITY));
        assert_eq!(s2n("9223372036854775808"), big("9223372036854775808"));
    }
}

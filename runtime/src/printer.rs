//! The printer: one canonical written form ("repr", LANGUAGE.md §4.1) and the display
//! rule (a top-level string is written raw; everything else, including strings nested
//! in collections, in repr).

use std::fmt::Write;

use crate::value::{Promise, Value};

/// The written form of a value.
pub fn repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, value);
    out
}

/// The display form: strings raw, everything else as `repr`.
pub fn display(value: &Value) -> String {
    match value {
        Value::Str(s) => s.to_string(),
        other => repr(other),
    }
}

/// Appends the display form to `out`.
pub fn write_display(out: &mut String, value: &Value) {
    match value {
        Value::Str(s) => out.push_str(s),
        other => write_repr(out, other),
    }
}

/// §4.2: integral finite floats with one decimal, others shortest round-trip, never
/// with an exponent.
pub fn format_float(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("NaN");
    } else if x.is_infinite() {
        out.push_str(if x > 0.0 { "inf" } else { "-inf" });
    } else if x.fract() == 0.0 {
        let _ = write!(out, "{x:.1}");
    } else {
        let _ = write!(out, "{x}");
    }
}

fn write_string_repr(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            other => out.push(other),
        }
    }
    out.push('"');
}

fn write_seq<'a>(out: &mut String, open: &str, items: impl Iterator<Item = &'a Value>, close: char) {
    out.push_str(open);
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_repr(out, item);
    }
    out.push(close);
}

fn write_entries<'a>(out: &mut String, entries: impl Iterator<Item = (&'a Value, &'a Value)>) {
    out.push('{');
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_repr(out, k);
        out.push(' ');
        write_repr(out, v);
    }
    out.push('}');
}

/// Appends the written form of `value` to `out`.
pub fn write_repr(out: &mut String, value: &Value) {
    match value {
        Value::Nil => out.push_str("nil"),
        Value::Bool(true) => out.push_str("#t"),
        Value::Bool(false) => out.push_str("#f"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::BigInt(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Rational(r) => {
            let _ = write!(out, "{}/{}", r.numer(), r.denom());
        }
        Value::Float(x) => format_float(out, *x),
        Value::Complex(c) => {
            write_repr(out, &c.re);
            // The sign, then the magnitude, so that `0-1i` and `1-0.0i` read back.
            let negative = match &c.im {
                Value::Int(i) => *i < 0,
                Value::BigInt(b) => b.sign() == num_bigint::Sign::Minus,
                Value::Rational(r) => r.numer().sign() == num_bigint::Sign::Minus,
                Value::Float(x) => x.is_sign_negative(),
                _ => false,
            };
            if negative {
                out.push('-');
                write_repr(out, &crate::num::negate(&c.im).unwrap_or_default());
            } else {
                out.push('+');
                write_repr(out, &c.im);
            }
            out.push('i');
        }
        Value::Str(s) => write_string_repr(out, s),
        Value::Char(c) => {
            out.push_str("#\\");
            match c {
                ' ' => out.push_str("space"),
                '\n' => out.push_str("newline"),
                '\t' => out.push_str("tab"),
                '\r' => out.push_str("return"),
                '\0' => out.push_str("nul"),
                other => out.push(*other),
            }
        }
        Value::Symbol(s) => s.with_name(|name| out.push_str(name)),
        Value::Keyword(s) => {
            out.push(':');
            s.with_name(|name| out.push_str(name));
        }
        Value::List(list) => write_seq(out, "(", list.iter(), ')'),
        Value::Vector(items) => write_seq(out, "[", items.iter(), ']'),
        Value::Map(map) => write_entries(out, map.iter()),
        Value::HashMap(map) => write_entries(out, map.sorted_entries().iter().map(|(k, v)| (k, *v))),
        Value::Closure(closure) => match closure.proto.name {
            Some(name) => {
                out.push_str("<native-fn ");
                name.with_name(|n| out.push_str(n));
                out.push('>');
            }
            None => out.push_str("<native-fn <vm-closure>>"),
        },
        Value::Native(builtin) => {
            let _ = write!(out, "<native-fn {}>", builtin.name);
        }
        Value::Promise(p) => out.push_str(match &*p.borrow() {
            Promise::Pending(_) => "<promise>",
            Promise::Forced(_) => "<promise (forced)>",
        }),
        Value::Bytevector(bytes) => {
            out.push_str("#u8(");
            for (i, b) in bytes.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                let _ = write!(out, "{b}");
            }
            out.push(')');
        }
        Value::I64Array(items) => {
            out.push_str("#i64(");
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                let _ = write!(out, "{x}");
            }
            out.push(')');
        }
        Value::F64Array(items) => {
            out.push_str("#f64(");
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                let _ = write!(out, "{x}");
            }
            out.push(')');
        }
        Value::MutableArray(items) => {
            let _ = write!(out, "<mutable-array {}>", items.borrow().len());
        }
        Value::Cell(_) => out.push_str("<mutable-cell>"),
        Value::Record(record) => {
            out.push_str("#<record ");
            record.type_name.with_name(|name| out.push_str(name));
            for field in record.fields.iter() {
                out.push(' ');
                write_repr(out, field);
            }
            out.push('>');
        }
        Value::Multimethod(m) => {
            out.push_str("<multimethod ");
            m.name.with_name(|name| out.push_str(name));
            out.push('>');
        }
        Value::Resource(r) => out.push_str(&r.repr()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(x: f64) -> String {
        let mut s = String::new();
        format_float(&mut s, x);
        s
    }

    #[test]
    fn floats_print_as_the_spec_says() {
        assert_eq!(float(3.0), "3.0");
        assert_eq!(float(0.1), "0.1");
        assert_eq!(float(-0.0), "-0.0");
        assert_eq!(float(1e21), "1000000000000000000000.0");
        assert_eq!(float(1.5e-10), "0.00000000015");
        assert_eq!(float(f64::INFINITY), "inf");
        assert_eq!(float(f64::NAN), "NaN");
    }

    #[test]
    fn strings_are_escaped_in_repr_only() {
        let v = Value::str("a\"b\n");
        assert_eq!(repr(&v), "\"a\\\"b\\n\"");
        assert_eq!(display(&v), "a\"b\n");
    }
}

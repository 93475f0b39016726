//! JSON: `json/encode`, `json/encode-pretty`, `json/decode`.
//!
//! Values go through `serde_json::Value` so key order (sorted by key text), number
//! printing (shortest round-trip floats, `1.0` not `1`) and escaping are serde_json's.
//! Its `arbitrary_precision` feature keeps integer digits beyond i64 exact both ways.
//! Objects decode to sorted maps with keyword keys, arrays to lists.

use serde_json::{Map, Number, Value as Json};

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::num;
use crate::printer::{display, repr};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("json/encode", 1, Some(1), |a| encode(&a[0], false, "json/encode")),
    pure("json/encode-pretty", 1, Some(1), |a| encode(&a[0], true, "json/encode-pretty")),
    pure("json/decode", 1, Some(1), |a| decode(a[0].expect_str()?)),
];

/// Deeper values are refused rather than risking the native stack (the interpreter
/// thread's is large, but serde_json serializes and drops its tree recursively).
const MAX_ENCODE_DEPTH: usize = 10_000;

fn encode(value: &Value, pretty: bool, name: &str) -> Result<Value> {
    // The reference reports a conversion failure with its error's kind spelled out.
    let json = to_json(value, 0).map_err(|e| e.with_prefix(&format!("{name}: Eval error")))?;
    let text = if pretty { serde_json::to_string_pretty(&json) } else { serde_json::to_string(&json) };
    text.map(Value::str).map_err(|e| Error::eval(format!("{name}: {e}")))
}

/// Parses JSON text into a value (the fuzzing entry point for `json/decode`).
pub fn decode(text: &str) -> Result<Value> {
    let json: Json = serde_json::from_str(text).map_err(|e| {
        Error::eval(format!("json/decode: parse error at line {} column {}: {e}", e.line(), e.column()))
    })?;
    Ok(from_json(json))
}

/// The JSON form of a value: rationals as their written form (`"1/3"`), keywords and
/// symbols as their names; functions and other non-data values are refused.
pub fn to_json(value: &Value, depth: usize) -> Result<Json> {
    if depth > MAX_ENCODE_DEPTH {
        return Err(Error::eval(format!("nesting deeper than {MAX_ENCODE_DEPTH} levels")));
    }
    Ok(match value {
        Value::Nil => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(n) => Json::Number((*n).into()),
        Value::Float(x) => {
            Json::Number(Number::from_f64(*x).ok_or_else(|| Error::eval("cannot encode NaN/Infinity as JSON"))?)
        }
        Value::BigInt(n) => Json::Number(
            n.to_string().parse::<Number>().map_err(|e| Error::eval(format!("cannot encode bignum as JSON: {e}")))?,
        ),
        Value::Rational(_) | Value::Complex(_) => Json::String(repr(value)),
        Value::Str(s) => Json::String(s.to_string()),
        Value::Keyword(_) | Value::Symbol(_) => Json::String(display_name(value)),
        Value::List(_) | Value::Vector(_) => Json::Array(
            value.seq_items().unwrap_or_default().iter().map(|v| to_json(v, depth + 1)).collect::<Result<_>>()?,
        ),
        Value::Map(_) | Value::HashMap(_) => {
            let mut object = Map::new();
            for (k, v) in value.map_entries().unwrap_or_default() {
                object.insert(key_text(&k), to_json(&v, depth + 1)?);
            }
            Json::Object(object)
        }
        other => return Err(Error::eval(format!("cannot encode {} as JSON", other.type_name()))),
    })
}

fn display_name(value: &Value) -> String {
    value.with_text(str::to_string).unwrap_or_default()
}

/// A map key as object-key text: strings, keywords and symbols by their name, any
/// other key by its printed form.
pub fn key_text(key: &Value) -> String {
    key.with_text(str::to_string).unwrap_or_else(|| display(key))
}

/// Numbers: integers that fit i64 as ints, longer integer literals as bignums,
/// anything with a fraction or exponent as a float.
pub fn from_json(json: Json) -> Value {
    match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::bool(b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                return Value::int(i);
            }
            let digits = n.as_str();
            if !digits.contains(['.', 'e', 'E']) {
                if let Ok(big) = digits.parse::<num_bigint::BigInt>() {
                    return num::from_bigint(big);
                }
            }
            n.as_f64().map_or(Value::Nil, Value::float)
        }
        Json::String(s) => Value::str(s),
        Json::Array(items) => Value::list(items.into_iter().map(from_json).collect()),
        Json::Object(object) => Value::map(object.into_iter().map(|(k, v)| (Value::keyword(&k), from_json(v)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_numbers_exactly() {
        let v = decode(r#"{"b": [1, 2.5, 123456789012345678901234567890], "a": null}"#).unwrap();
        assert_eq!(repr(&v), "{:a nil :b (1 2.5 123456789012345678901234567890)}");
        let text = encode(&v, false, "json/encode").unwrap();
        assert_eq!(text.as_str(), Some(r#"{"a":null,"b":[1,2.5,123456789012345678901234567890]}"#));
    }

    #[test]
    fn refuses_bad_text_and_deep_values() {
        assert!(decode("{'a': 1}").err().unwrap().message().starts_with("json/decode: parse error at line 1 column 2"));
        assert!(to_json(&Value::list(vec![Value::Nil]), MAX_ENCODE_DEPTH - 1).is_ok());
        assert!(to_json(&Value::list(vec![Value::Nil]), MAX_ENCODE_DEPTH).is_err());
    }
}

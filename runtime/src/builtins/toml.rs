//! TOML through the `toml` crate: `toml/decode` gives a sorted map with keyword keys
//! (datetimes as their TOML text), `toml/encode` takes a map and writes a document.

use super::{pure, Builtin};
use crate::builtins::json::key_text;
use crate::error::{Error, Result};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("toml/decode", 1, Some(1), |a| decode(a[0].expect_str()?)),
    pure("toml/encode", 1, Some(1), |a| encode(&a[0])),
];

/// Parses a TOML document (the fuzzing entry point for `toml/decode`).
pub fn decode(text: &str) -> Result<Value> {
    let table: toml::Table = text.parse().map_err(|e| Error::eval(format!("toml/decode: parse error: {e}")))?;
    Ok(from_table(table))
}

fn from_table(table: toml::Table) -> Value {
    Value::map(table.into_iter().map(|(k, v)| (Value::keyword(&k), from_toml(v))))
}

fn from_toml(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::str(s),
        toml::Value::Integer(n) => Value::int(n),
        toml::Value::Float(x) => Value::float(x),
        toml::Value::Boolean(b) => Value::bool(b),
        toml::Value::Datetime(dt) => Value::str(dt.to_string()),
        toml::Value::Array(items) => Value::list(items.into_iter().map(from_toml).collect()),
        toml::Value::Table(table) => from_table(table),
    }
}

fn encode(value: &Value) -> Result<Value> {
    let toml::Value::Table(table) = to_toml(value, 0)? else {
        return Err(Error::eval("toml/encode: top-level value must be a map"));
    };
    toml::to_string(&table).map(Value::str).map_err(|e| Error::eval(format!("toml/encode: {e}")))
}

/// Deeper values are refused before the recursive conversion and writer could exhaust
/// the native stack.
const MAX_DEPTH: usize = 10_000;

fn to_toml(value: &Value, depth: usize) -> Result<toml::Value> {
    if depth > MAX_DEPTH {
        return Err(Error::eval(format!("toml/encode: nesting deeper than {MAX_DEPTH} levels")));
    }
    Ok(match value {
        Value::Nil => return Err(Error::eval("toml/encode: cannot encode nil")),
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Int(n) => toml::Value::Integer(*n),
        Value::Float(x) => toml::Value::Float(*x),
        Value::Str(s) => toml::Value::String(s.to_string()),
        Value::Keyword(_) | Value::Symbol(_) => toml::Value::String(key_text(value)),
        Value::List(_) | Value::Vector(_) => toml::Value::Array(
            value.seq_items().unwrap_or_default().iter().map(|v| to_toml(v, depth + 1)).collect::<Result<_>>()?,
        ),
        Value::Map(_) | Value::HashMap(_) => {
            let mut table = toml::Table::new();
            for (k, v) in value.map_entries().unwrap_or_default() {
                table.insert(key_text(&k), to_toml(&v, depth + 1)?);
            }
            toml::Value::Table(table)
        }
        other => return Err(Error::eval(format!("toml/encode: cannot encode {}", other.type_name()))),
    })
}

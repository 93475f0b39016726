//! The accessor API builtins use instead of `Value`'s layout: typed getters that
//! return the §11 type error a program sees (`expected string, got int`), and
//! constructors. The value representation is due to change (an 8-byte value, the
//! VM 2.0 issue); code written against these functions does not have to.

use std::rc::Rc;

use crate::error::{Error, Result};
use crate::interner::Sym;
use crate::list::List;
use crate::num;
use crate::text::Text;
use crate::value::{HashMap, SortedMap, Value};

// ---------------------------------------------------------------------------------------
// Constructors

impl Value {
    pub fn int(n: i64) -> Value {
        Value::Int(n)
    }

    pub fn float(x: f64) -> Value {
        Value::Float(x)
    }

    pub fn bool(b: bool) -> Value {
        Value::Bool(b)
    }

    pub fn char(c: char) -> Value {
        Value::Char(c)
    }

    pub fn bytes(bytes: Vec<u8>) -> Value {
        Value::Bytevector(Rc::new(bytes))
    }

    /// A list of strings.
    pub fn str_list<S: Into<Text>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::list(items.into_iter().map(Value::str).collect())
    }

    /// A sorted map (`{...}`, LANGUAGE.md §3.8) from its entries.
    pub fn map(entries: impl IntoIterator<Item = (Value, Value)>) -> Value {
        Value::Map(Rc::new(entries.into_iter().collect::<SortedMap>()))
    }

    /// A sorted map whose keys are keywords.
    pub fn keyword_map<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
        Value::map(entries.into_iter().map(|(k, v)| (Value::keyword(k), v)))
    }

    /// An unordered hash map (`hash-map`, §3.9).
    pub fn hash_map(entries: impl IntoIterator<Item = (Value, Value)>) -> Value {
        let mut map = HashMap::new();
        for (k, v) in entries {
            map.insert(k, v);
        }
        Value::HashMap(Rc::new(map))
    }
}

// ---------------------------------------------------------------------------------------
// Getters: `Option` when the caller decides what a mismatch means, `Result` with the
// type error otherwise.

impl Value {
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// Any real number as a float (ints, bignums and rationals converted).
    pub fn as_f64(&self) -> Option<f64> {
        num::to_f64(self)
    }

    /// The text of a string, symbol or keyword (a keyword without its colon).
    pub fn with_text<R>(&self, f: impl FnOnce(&str) -> R) -> Option<R> {
        match self {
            Value::Str(s) => Some(f(s)),
            Value::Symbol(s) | Value::Keyword(s) => Some(s.with_name(f)),
            _ => None,
        }
    }

    /// The elements of a list or a vector, in order; `None` for anything else.
    pub fn seq_items(&self) -> Option<Vec<Value>> {
        match self {
            Value::List(l) => Some(l.to_vec()),
            Value::Vector(v) => Some(v.as_ref().clone()),
            Value::Nil => Some(Vec::new()),
            _ => None,
        }
    }

    pub fn expect_str(&self) -> Result<&str> {
        self.as_str().ok_or_else(|| Error::type_error("string", self))
    }

    pub fn expect_int(&self) -> Result<i64> {
        self.as_int().ok_or_else(|| Error::type_error("int", self))
    }

    /// A non-negative fixnum, for counts, widths and indexes.
    pub fn expect_count(&self, name: &str) -> Result<usize> {
        match self.expect_int()? {
            n if n < 0 => Err(Error::eval(format!("{name}: expected a non-negative integer, got {n}"))),
            n => Ok(n as usize),
        }
    }

    pub fn expect_f64(&self) -> Result<f64> {
        self.as_f64().ok_or_else(|| Error::type_error("number", self))
    }

    pub fn expect_char(&self) -> Result<char> {
        match self {
            Value::Char(c) => Ok(*c),
            other => Err(Error::type_error("char", other)),
        }
    }

    pub fn expect_keyword(&self) -> Result<Sym> {
        match self {
            Value::Keyword(k) => Ok(*k),
            other => Err(Error::type_error("keyword", other)),
        }
    }

    pub fn expect_bytes(&self) -> Result<&[u8]> {
        match self {
            Value::Bytevector(b) => Ok(b),
            other => Err(Error::type_error("bytevector", other)),
        }
    }

    pub fn expect_list(&self) -> Result<&List> {
        match self {
            Value::List(l) => Ok(l),
            other => Err(Error::type_error("list", other)),
        }
    }

    /// The elements of a list or vector (`expected list or vector, got ...`).
    pub fn expect_seq(&self) -> Result<Vec<Value>> {
        self.seq_items().ok_or_else(|| Error::type_error("list or vector", self))
    }

    /// The entries of a sorted map or a hash map, in key order.
    pub fn map_entries(&self) -> Option<Vec<(Value, Value)>> {
        match self {
            Value::Map(m) => Some(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            Value::HashMap(m) => Some(m.sorted_entries().into_iter().map(|(k, v)| (k, v.clone())).collect()),
            _ => None,
        }
    }

    pub fn expect_map_entries(&self) -> Result<Vec<(Value, Value)>> {
        self.map_entries().ok_or_else(|| Error::type_error("map", self))
    }

    /// The value under `key` in a sorted or hash map; `None` when absent or not a map.
    pub fn map_get(&self, key: &Value) -> Option<&Value> {
        match self {
            Value::Map(m) => m.get(key),
            Value::HashMap(m) => m.get(key),
            _ => None,
        }
    }

    /// The value under the keyword `:name` of an options map.
    pub fn option(&self, name: &str) -> Option<&Value> {
        self.map_get(&Value::keyword(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getters_give_the_type_error_a_program_sees() {
        let err = Value::int(5).expect_str().err().unwrap();
        assert_eq!(err.message(), "expected string, got int");
        assert_eq!(Value::str("a").expect_str().unwrap(), "a");
        assert_eq!(Value::float(1.5).expect_int().err().unwrap().message(), "expected int, got float");
        assert_eq!(Value::int(-1).expect_count("f").err().unwrap().message(), "f: expected a non-negative integer, got -1");
        assert_eq!(Value::int(3).expect_f64().unwrap(), 3.0);
    }

    #[test]
    fn maps_read_alike_sorted_or_hashed() {
        let sorted = Value::keyword_map([("b", Value::int(2)), ("a", Value::int(1))]);
        let hashed = Value::hash_map([(Value::keyword("b"), Value::int(2)), (Value::keyword("a"), Value::int(1))]);
        for m in [&sorted, &hashed] {
            let keys: Vec<String> = m.map_entries().unwrap().iter().map(|(k, _)| crate::printer::repr(k)).collect();
            assert_eq!(keys, [":a", ":b"]);
            assert_eq!(m.option("a").and_then(Value::as_int), Some(1));
        }
    }
}

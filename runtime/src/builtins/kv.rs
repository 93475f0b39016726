//! Named key-value stores (`kv/*`), each a JSON object in a file, as in the
//! reference: `kv/open` loads it (a missing file is an empty store), every `kv/set`
//! and `kv/delete` writes the whole store back before returning, keys are strings.

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::{Map, Number, Value as Json};

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::printer::repr;
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("kv/open", 2, Some(2), open),
    pure("kv/get", 2, Some(2), |a| {
        let key = a[1].expect_str()?;
        with_store(&a[0], |store| Ok(store.data.get(key).cloned().map(super::json::from_json).unwrap_or(Value::Nil)))
    }),
    pure("kv/set", 3, Some(3), |a| {
        let key = a[1].expect_str()?;
        with_store(&a[0], |store| {
            store.data.insert(key.to_string(), to_json(&a[2]));
            store.save()?;
            Ok(a[2].clone())
        })
    }),
    pure("kv/delete", 2, Some(2), |a| {
        let key = a[1].expect_str()?;
        with_store(&a[0], |store| {
            let existed = store.data.remove(key).is_some();
            store.save()?;
            Ok(Value::Bool(existed))
        })
    }),
    pure("kv/keys", 1, Some(1), |a| with_store(&a[0], |store| Ok(Value::str_list(store.data.keys())))),
    // Writes the store out once more; closing a store that is not open does nothing.
    pure("kv/close", 1, Some(1), |a| {
        let name = a[0].expect_str()?;
        if let Some(store) = STORES.with(|s| s.borrow_mut().remove(name)) {
            let _ = store.save();
        }
        Ok(Value::Nil)
    }),
];

struct Store {
    path: String,
    data: Map<String, Json>,
}

impl Store {
    fn save(&self) -> Result<()> {
        let text = serde_json::to_string_pretty(&self.data).map_err(|e| Error::io(format!("kv/flush: {e}")))?;
        std::fs::write(&self.path, text).map_err(|e| Error::io(format!("kv/flush: {e}")))
    }
}

thread_local! {
    static STORES: RefCell<HashMap<String, Store>> = RefCell::new(HashMap::new());
}

/// `(kv/open name path)`: the name.
fn open(args: &[Value]) -> Result<Value> {
    let name = args[0].expect_str()?;
    let path = args[1].expect_str()?;
    // The reference's message repeats the error's kind here; programs may match on it.
    let data = match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str::<Map<String, Json>>(&text)
            .map_err(|e| Error::io(format!("IO error: kv/open: malformed JSON in {path}: {e}")))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
        Err(e) => return Err(Error::io(format!("IO error: kv/open: {e}"))),
    };
    STORES.with(|s| s.borrow_mut().insert(name.to_string(), Store { path: path.to_string(), data }));
    Ok(args[0].clone())
}

fn with_store(name: &Value, f: impl FnOnce(&mut Store) -> Result<Value>) -> Result<Value> {
    let name = name.expect_str()?;
    STORES.with(|s| match s.borrow_mut().get_mut(name) {
        Some(store) => f(store),
        None => Err(Error::eval(format!("kv store '{name}' not open"))),
    })
}

/// A stored value: JSON's own types; keywords and symbols as their names, maps as
/// objects keyed by their keys' names (or printed forms), anything else printed.
fn to_json(v: &Value) -> Json {
    let key = |k: &Value| k.with_text(str::to_string).unwrap_or_else(|| repr(k));
    match v {
        Value::Nil => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Number((*i).into()),
        Value::Float(x) => Number::from_f64(*x).map(Json::Number).unwrap_or(Json::Null),
        Value::BigInt(n) => n.to_string().parse::<Number>().map(Json::Number).unwrap_or(Json::Null),
        Value::Str(s) => Json::String(s.to_string()),
        Value::Keyword(_) | Value::Symbol(_) => Json::String(key(v)),
        Value::List(_) | Value::Vector(_) => Json::Array(v.seq_items().unwrap_or_default().iter().map(to_json).collect()),
        Value::Map(_) | Value::HashMap(_) => {
            Json::Object(v.map_entries().unwrap_or_default().iter().map(|(k, v)| (key(k), to_json(v))).collect())
        }
        other => Json::String(repr(other)),
    }
}

//! SQLite databases (`db/*`), through rusqlite with SQLite built in. As in the
//! reference, a connection is named by a string handle (the path, or a name given to
//! `db/open`/`db/open-memory`) in a per-thread registry; rows come back as maps from
//! column keywords to values.

use std::cell::RefCell;
use std::collections::HashMap;

use rusqlite::types::Value as Sql;
use rusqlite::{params_from_iter, Connection};

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::printer::repr;
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("db/open", 1, Some(2), open),
    pure("db/open-memory", 0, Some(1), open_memory),
    pure("db/exec", 2, None, |a| {
        let sql = a[1].expect_str()?;
        let params = sql_params(&a[2..]);
        with_conn("db/exec", &a[0], |c| c.execute(sql, params_from_iter(params)).map(|n| Value::Int(n as i64)))
    }),
    pure("db/exec-batch", 2, Some(2), |a| {
        let sql = a[1].expect_str()?;
        with_conn("db/exec-batch", &a[0], |c| c.execute_batch(sql).map(|_| Value::Nil))
    }),
    pure("db/query", 2, None, |a| query(a, "db/query", None)),
    pure("db/query-one", 2, None, |a| {
        let rows = query(a, "db/query-one", Some(1))?;
        Ok(rows.seq_items().and_then(|rows| rows.into_iter().next()).unwrap_or(Value::Nil))
    }),
    pure("db/last-insert-id", 1, Some(1), |a| {
        with_conn("db/last-insert-id", &a[0], |c| Ok(Value::Int(c.last_insert_rowid())))
    }),
    pure("db/tables", 1, Some(1), |a| {
        const SQL: &str = "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
        with_conn("db/tables", &a[0], |c| {
            let mut stmt = c.prepare(SQL)?;
            let names = stmt.query_map([], |row| row.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Value::str_list(names))
        })
    }),
    // Closing a handle that is not open does nothing.
    pure("db/close", 1, Some(1), |a| {
        let handle = a[0].expect_str()?;
        CONNECTIONS.with(|c| c.borrow_mut().remove(handle));
        Ok(Value::Nil)
    }),
];

thread_local! {
    static CONNECTIONS: RefCell<HashMap<String, Connection>> = RefCell::new(HashMap::new());
}

/// An SQLite failure. The reference reports these as `:io` errors whose message
/// repeats a kind (`Eval error: db/exec: ...`); programs may match on it, so it is kept.
fn sql_error(op: &str, e: rusqlite::Error) -> Error {
    Error::io(format!("Eval error: {op}: {e}"))
}

fn register(op: &str, handle: String, conn: Connection, pragmas: &str) -> Result<Value> {
    conn.execute_batch(pragmas).map_err(|e| sql_error(op, e))?;
    CONNECTIONS.with(|c| c.borrow_mut().insert(handle.clone(), conn));
    Ok(Value::str(handle))
}

/// `(db/open path)` or `(db/open name path)`: the handle.
fn open(args: &[Value]) -> Result<Value> {
    let (handle, path) = match args {
        [path] => (path.expect_str()?, path.expect_str()?),
        [name, path] => (name.expect_str()?, path.expect_str()?),
        _ => unreachable!("arity checked"),
    };
    let conn = Connection::open(path).map_err(|e| sql_error("db/open", e))?;
    register("db/open", handle.to_string(), conn, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;")
}

fn open_memory(args: &[Value]) -> Result<Value> {
    let handle = match args.first() {
        Some(name) => name.expect_str()?.to_string(),
        None => ":memory:".to_string(),
    };
    let conn = Connection::open_in_memory().map_err(|e| sql_error("db/open-memory", e))?;
    register("db/open-memory", handle, conn, "PRAGMA foreign_keys=ON;")
}

/// Runs `f` on the connection named by `handle`.
fn with_conn(op: &str, handle: &Value, f: impl FnOnce(&Connection) -> rusqlite::Result<Value>) -> Result<Value> {
    let handle = handle.expect_str()?;
    CONNECTIONS.with(|c| match c.borrow().get(handle) {
        Some(conn) => f(conn).map_err(|e| sql_error(op, e)),
        None => Err(Error::eval(format!("{op}: no open database '{handle}'"))),
    })
}

/// Statement parameters: nil is NULL, booleans 0/1, numbers and strings as they are,
/// bytevectors as blobs, anything else as its printed form.
fn sql_params(args: &[Value]) -> Vec<Sql> {
    args.iter()
        .map(|v| match v {
            Value::Nil => Sql::Null,
            Value::Bool(b) => Sql::Integer(*b as i64),
            Value::Int(i) => Sql::Integer(*i),
            Value::Float(x) => Sql::Real(*x),
            Value::Str(s) => Sql::Text(s.to_string()),
            Value::Bytevector(b) => Sql::Blob(b.to_vec()),
            other => Sql::Text(repr(other)),
        })
        .collect()
}

fn from_sql(v: Sql) -> Value {
    match v {
        Sql::Null => Value::Nil,
        Sql::Integer(i) => Value::Int(i),
        Sql::Real(x) => Value::Float(x),
        Sql::Text(s) => Value::str(s),
        Sql::Blob(b) => Value::bytes(b),
    }
}

/// The rows of `(OP handle sql params...)` as maps, at most `limit` of them (later
/// rows are not even computed).
fn query(args: &[Value], op: &str, limit: Option<usize>) -> Result<Value> {
    let sql = args[1].expect_str()?;
    let params = sql_params(&args[2..]);
    with_conn(op, &args[0], |c| {
        let mut stmt = c.prepare(sql)?;
        let names: Vec<Value> = stmt.column_names().iter().map(|n| Value::keyword(n)).collect();
        let mut rows = stmt.query(params_from_iter(params))?;
        let mut out = Vec::new();
        while limit.is_none_or(|n| out.len() < n) {
            let Some(row) = rows.next()? else { break };
            let mut entries = Vec::with_capacity(names.len());
            for (i, name) in names.iter().enumerate() {
                entries.push((name.clone(), from_sql(row.get(i)?)));
            }
            out.push(Value::map(entries));
        }
        Ok(Value::list(out))
    })
}

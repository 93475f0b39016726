//! Meta builtins: `gensym` (LANGUAGE.md §6.13).

use std::cell::Cell;

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("gensym", 0, Some(1), gensym),
    // What the compiler calls for auto-gensym (`foo#`), whatever `gensym` is bound to.
    pure("%gensym", 0, Some(1), gensym),
];

thread_local! {
    /// One counter for the process, shared with auto-gensym (`foo#`).
    static NEXT_GENSYM: Cell<u64> = const { Cell::new(0) };
}

/// A fresh symbol `PREFIX__N` (`g__N` without a prefix).
fn gensym(args: &[Value]) -> Result<Value> {
    let prefix = match args.first() {
        None => "g".to_string(),
        Some(Value::Str(s)) => s.to_string(),
        Some(Value::Symbol(s)) => s.name(),
        Some(other) => return Err(Error::type_error("string", other)),
    };
    let n = NEXT_GENSYM.with(|next| {
        let n = next.get();
        next.set(n + 1);
        n
    });
    Ok(Value::symbol(&format!("{prefix}__{n}")))
}

//! `event/select` over timer sources made by `time/tick`: the first source ready, or
//! nil when the timeout passes first. Key (`{:type :key}`) and process sources are
//! accepted but never become ready here: this runtime has no terminal key reader or
//! subprocess handles for them to watch.

use std::time::Duration;

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("time/tick", 1, Some(1), |a| {
        let Some(ms) = a[0].as_int() else { return Err(Error::type_error("integer", &a[0])) };
        Ok(Value::keyword_map([("type", Value::keyword("timer")), ("ms", Value::Int(ms.max(0)))]))
    }),
    pure("event/select", 1, Some(2), select),
];

/// Timeout when neither a timeout nor a timer source is given.
const DEFAULT_TIMEOUT_MS: i64 = 10_000;

fn select(args: &[Value]) -> Result<Value> {
    let sources = args[0].seq_items().ok_or_else(|| Error::type_error("list of source maps", &args[0]))?;
    // A timer is ready once its milliseconds have passed; a timer without a whole
    // number of them is ready at once.
    let timer = |s: &Value| match s {
        Value::Map(m) if m.get(&Value::keyword("type")) == Some(&Value::keyword("timer")) => {
            Some(m.get(&Value::keyword("ms")).and_then(Value::as_int).unwrap_or(0).max(0))
        }
        _ => None,
    };
    // The earliest timer; among equal ones the first listed.
    let first = sources.iter().filter_map(|s| Some((timer(s)?, s))).min_by_key(|(ms, _)| *ms);
    let timeout = match args.get(1).and_then(Value::as_int) {
        Some(ms) => ms,
        None => first.map(|(ms, _)| ms).unwrap_or(DEFAULT_TIMEOUT_MS),
    }
    .max(0);
    match first {
        Some((ms, source)) if ms <= timeout => {
            std::thread::sleep(Duration::from_millis(ms as u64));
            let fired = [("source", source.clone()), ("type", Value::keyword("timer"))];
            Ok(Value::keyword_map(fired))
        }
        _ => {
            std::thread::sleep(Duration::from_millis(timeout as u64));
            Ok(Value::Nil)
        }
    }
}

//! Regular expressions (`regex/*`), in the `regex` crate's syntax: no look-around or
//! backreferences, so every match runs in time linear in the text.
//!
//! Patterns arrive as strings on every call; compiled forms are kept in a small
//! per-thread cache so a pattern used in a loop is compiled once.

use std::cell::RefCell;
use std::rc::Rc;

use hashbrown::HashMap;
use regex::Regex;

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("regex/match?", 2, Some(2), |a| {
        let (pattern, text) = (a[0].expect_str()?, a[1].expect_str()?);
        Ok(Value::bool(compiled(pattern)?.is_match(text)))
    }),
    pure("regex/match", 2, Some(2), |a| first_match(a[0].expect_str()?, a[1].expect_str()?)),
    pure("regex/find-all", 2, Some(2), |a| {
        let (pattern, text) = (a[0].expect_str()?, a[1].expect_str()?);
        Ok(Value::str_list(compiled(pattern)?.find_iter(text).map(|m| m.as_str())))
    }),
    pure("regex/replace", 3, Some(3), |a| {
        let (pattern, with, text) = (a[0].expect_str()?, a[1].expect_str()?, a[2].expect_str()?);
        Ok(Value::str(compiled(pattern)?.replace(text, with).into_owned()))
    }),
    pure("regex/replace-all", 3, Some(3), |a| {
        let (pattern, with, text) = (a[0].expect_str()?, a[1].expect_str()?, a[2].expect_str()?);
        Ok(Value::str(compiled(pattern)?.replace_all(text, with).into_owned()))
    }),
    pure("regex/split", 2, Some(2), |a| {
        let (pattern, text) = (a[0].expect_str()?, a[1].expect_str()?);
        Ok(Value::str_list(compiled(pattern)?.split(text)))
    }),
];

/// Past this many distinct patterns the cache starts over (programs that build
/// patterns from data would otherwise grow it without bound).
const CACHE_LIMIT: usize = 64;

thread_local! {
    static CACHE: RefCell<HashMap<String, Rc<Regex>>> = RefCell::new(HashMap::new());
}

fn compiled(pattern: &str) -> Result<Rc<Regex>> {
    if let Some(re) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(re);
    }
    let re = Rc::new(compile(pattern)?);
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(pattern.to_string(), re.clone());
    });
    Ok(re)
}

/// Compiles a pattern (the fuzzing entry point for regex syntax).
pub fn compile(pattern: &str) -> Result<Regex> {
    Regex::new(pattern).map_err(|e| Error::eval(format!("invalid regex pattern: {e}")))
}

/// `{:match :groups :start :end}` of the leftmost match; offsets are byte offsets into
/// the UTF-8 text, unmatched optional groups are nil.
fn first_match(pattern: &str, text: &str) -> Result<Value> {
    let re = compiled(pattern)?;
    let Some(caps) = re.captures(text) else { return Ok(Value::Nil) };
    let whole = caps.get_match();
    let groups = caps.iter().skip(1).map(|g| g.map_or(Value::Nil, |m| Value::str(m.as_str()))).collect();
    Ok(Value::keyword_map([
        ("match", Value::str(whole.as_str())),
        ("groups", Value::list(groups)),
        ("start", Value::int(whole.start() as i64)),
        ("end", Value::int(whole.end() as i64)),
    ]))
}

//! The builtin functions, one module per area, and the registry the VM installs as
//! globals at start-up.
//!
//! A builtin is `Pure` (it gets its arguments as a slice of the VM stack, no
//! copying), `Vm` (it can call functions back through the VM) or `Owned` (it takes
//! its arguments by value, to update an unshared collection in place). Arity is
//! checked once, centrally, from `min`/`max`.

use crate::error::{Error, Result};
use crate::value::Value;
use crate::vm::Vm;

pub mod archive;
pub mod arrays;
pub mod collections;
pub mod crypto;
pub mod csv;
pub mod diff;
pub mod hof;
pub mod io;
pub mod json;
pub mod lists;
pub mod markup;
pub mod math;
pub mod meta;
pub mod multimethods;
pub mod numbers;
pub mod parameters;
pub mod predicates;
pub mod regex;
pub mod secret;
pub mod strings;
pub mod system;
pub mod toml;
#[cfg(test)]
mod test_support;

#[derive(Clone, Copy)]
pub enum NativeFn {
    Pure(fn(&[Value]) -> Result<Value>),
    Vm(fn(&mut Vm, &[Value]) -> Result<Value>),
    /// May take its arguments out of the slice (they are the caller's to drop), so a
    /// collection whose only reference is the argument can be updated in place
    /// (copy-on-write: `assoc`, `dissoc`, ...). The VM passes its own stack slots: no
    /// argument vector is allocated.
    Owned(fn(&mut [Value]) -> Result<Value>),
}

pub struct Builtin {
    pub name: &'static str,
    pub min: u16,
    /// `None`: any number of arguments from `min` on.
    pub max: Option<u16>,
    pub func: NativeFn,
}

impl Builtin {
    /// Inlined into every builtin call; the error is built out of line.
    #[inline]
    pub fn check_arity(&self, got: usize) -> Result<()> {
        let ok = got >= self.min as usize && self.max.is_none_or(|max| got <= max as usize);
        if ok { Ok(()) } else { Err(self.arity_error(got)) }
    }

    #[cold]
    fn arity_error(&self, got: usize) -> Error {
        let expected = match self.max {
            None => format!("{}+", self.min),
            Some(max) if max == self.min => max.to_string(),
            Some(max) => format!("{}-{}", self.min, max),
        };
        Error::arity(self.name, &expected, got)
    }
}

/// A pure builtin taking exactly `n` arguments.
pub const fn pure(name: &'static str, min: u16, max: Option<u16>, f: fn(&[Value]) -> Result<Value>) -> Builtin {
    Builtin { name, min, max, func: NativeFn::Pure(f) }
}

/// A builtin that calls back into the VM.
pub const fn with_vm(name: &'static str, min: u16, max: Option<u16>, f: fn(&mut Vm, &[Value]) -> Result<Value>) -> Builtin {
    Builtin { name, min, max, func: NativeFn::Vm(f) }
}

/// A builtin that owns its arguments (see `NativeFn::Owned`).
pub const fn owned(name: &'static str, min: u16, max: Option<u16>, f: fn(&mut [Value]) -> Result<Value>) -> Builtin {
    Builtin { name, min, max, func: NativeFn::Owned(f) }
}

/// Refuses a requested size that no allocation could hold, before `vec![x; n]` or
/// `str::repeat` would panic on it; sizes that merely exceed the memory available end
/// in the allocator's clean out-of-memory report instead.
pub fn ensure_allocatable(count: usize, elem_size: usize, what: &str) -> Result<()> {
    match count.checked_mul(elem_size) {
        Some(bytes) if bytes <= isize::MAX as usize => Ok(()),
        _ => Err(Error::eval(format!("{what}: size {count} is too large to allocate"))),
    }
}

/// Every builtin, in registration order.
pub fn all() -> impl Iterator<Item = &'static Builtin> {
    [io::BUILTINS, lists::BUILTINS, collections::BUILTINS, hof::BUILTINS, arrays::BUILTINS, numbers::BUILTINS, strings::BUILTINS, system::BUILTINS, meta::BUILTINS, math::BUILTINS, predicates::BUILTINS, parameters::BUILTINS, multimethods::BUILTINS, json::BUILTINS, regex::BUILTINS, crypto::BUILTINS, csv::BUILTINS, toml::BUILTINS, diff::BUILTINS, secret::BUILTINS, archive::BUILTINS, markup::BUILTINS].into_iter().flatten()
}

/// The global constants (`pi`, `e`, ...): plain values the VM defines next to the
/// builtins.
pub fn constants() -> impl Iterator<Item = (&'static str, Value)> {
    math::CONSTANTS.iter().map(|&(name, x)| (name, Value::Float(x)))
}

/// The builtin with this name, if any (the compiler uses this to decide what it may
/// inline).
pub fn find(name: &str) -> Option<&'static Builtin> {
    all().find(|b| b.name == name)
}

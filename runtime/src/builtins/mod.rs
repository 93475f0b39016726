//! The builtin functions, one module per area, and the registry the VM installs as
//! globals at start-up.
//!
//! A builtin is `Pure` (it gets its arguments as a slice of the VM stack, no
//! copying), `Vm` (it can call functions back through the VM) or `Owned` (it takes
//! its arguments by value, to update an unshared collection in place). Arity is
//! checked once, centrally, from `min`/`max`.

use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::value::Value;
use crate::vm::Vm;

pub mod archive;
pub mod arrays;
pub mod collections;
pub mod complex;
pub mod comprehensions;
pub mod concurrency;
pub mod console;
pub mod crypto;
pub mod csv;
pub mod datetime;
pub mod diagnostics;
pub mod diff;
pub mod events;
pub mod files;
pub mod fswatch;
pub mod git;
pub mod hof;
pub mod io;
pub mod json;
pub mod kv;
pub mod lists;
pub mod markup;
pub mod math;
pub mod messages;
pub mod meta;
pub mod multimethods;
pub mod numbers;
pub mod parameters;
pub mod pdf;
pub mod predicates;
pub mod process;
pub mod pty;
pub mod reflect;
pub mod regex;
pub mod secret;
pub mod sqlite;
pub mod streams;
pub mod strings;
pub mod sysinfo;
pub mod system;
pub mod terminal;
pub mod text;
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

#[derive(Clone, Copy)]
pub struct Builtin {
    pub name: &'static str,
    pub min: u16,
    /// `None`: any number of arguments from `min` on.
    pub max: Option<u16>,
    pub func: NativeFn,
    /// The name arity errors give: an alias reports the builtin it stands for, as
    /// upstream's aliases (the same function under a second name) do.
    pub error_name: &'static str,
    /// Permission checks before each call: empty, except in the copies a restricted
    /// VM installs (`crate::permissions`).
    pub gates: &'static [crate::permissions::Gate],
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
        Error::arity(self.error_name, &expected, got)
    }

    /// This builtin as an alias of `canonical` in its arity errors.
    pub const fn alias_of(self, canonical: &'static str) -> Builtin {
        Builtin { error_name: canonical, ..self }
    }
}

/// A pure builtin taking exactly `n` arguments.
pub const fn pure(name: &'static str, min: u16, max: Option<u16>, f: fn(&[Value]) -> Result<Value>) -> Builtin {
    Builtin { name, min, max, func: NativeFn::Pure(f), error_name: name, gates: &[] }
}

/// A builtin that calls back into the VM.
pub const fn with_vm(name: &'static str, min: u16, max: Option<u16>, f: fn(&mut Vm, &[Value]) -> Result<Value>) -> Builtin {
    Builtin { name, min, max, func: NativeFn::Vm(f), error_name: name, gates: &[] }
}

/// A builtin that owns its arguments (see `NativeFn::Owned`).
pub const fn owned(name: &'static str, min: u16, max: Option<u16>, f: fn(&mut [Value]) -> Result<Value>) -> Builtin {
    Builtin { name, min, max, func: NativeFn::Owned(f), error_name: name, gates: &[] }
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

/// The builtins every runtime has: the language and the dependency-free library.
static CORE: &[&[Builtin]] = &[
    io::BUILTINS,
    lists::BUILTINS,
    collections::BUILTINS,
    hof::BUILTINS,
    arrays::BUILTINS,
    numbers::BUILTINS,
    strings::BUILTINS,
    system::BUILTINS,
    meta::BUILTINS,
    math::BUILTINS,
    complex::BUILTINS,
    predicates::BUILTINS,
    parameters::BUILTINS,
    multimethods::BUILTINS,
    text::BUILTINS,
    console::BUILTINS,
    diagnostics::BUILTINS,
    files::BUILTINS,
    git::BUILTINS,
    process::BUILTINS,
    terminal::BUILTINS,
    sysinfo::BUILTINS,
    comprehensions::BUILTINS,
    streams::BUILTINS,
    reflect::BUILTINS,
    events::BUILTINS,
    messages::BUILTINS,
    pty::BUILTINS,
    fswatch::BUILTINS,
    concurrency::BUILTINS,
];

/// The library areas built on other crates, in two tiers so that an executable carries
/// only what its program names (docs/executables.md). Only a binary that installs a
/// tier links its crates: `semarun-lite` has neither, `semarun-std` the standard
/// tier, `semarun` and `semac` both.
///
/// The standard tier: data formats, regular expressions, hashing, dates, diffs,
/// Unicode folding and normalization, globbing, key-value files.
static STANDARD_BATTERIES: &[&[Builtin]] = &[
    json::BUILTINS,
    regex::BUILTINS,
    crypto::BUILTINS,
    csv::BUILTINS,
    toml::BUILTINS,
    diff::BUILTINS,
    secret::BUILTINS,
    datetime::BUILTINS,
    strings::UNICODE_BUILTINS,
    files::GLOB_BUILTINS,
    kv::BUILTINS,
];

/// The large tier: SQLite, archives, Markdown and HTML, PDF (each crate is megabytes).
static LARGE_BATTERIES: &[&[Builtin]] = &[sqlite::BUILTINS, archive::BUILTINS, markup::BUILTINS, pdf::BUILTINS];

/// What a runtime carries, smallest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Library {
    /// The language and the dependency-free library (`semarun-lite`).
    Core,
    /// And the standard batteries (`semarun-std`).
    Standard,
    /// Everything (`semarun`).
    Full,
}

static INSTALLED: OnceLock<[&'static [&'static [Builtin]]; 2]> = OnceLock::new();

/// Makes the standard battery builtins part of [`all`] (`semarun-std`); call once,
/// at start, before any VM exists.
pub fn install_standard_batteries() {
    INSTALLED.get_or_init(|| [STANDARD_BATTERIES, &[]]);
}

/// Makes every battery builtin part of [`all`] (`semarun`, `semac`).
pub fn install_batteries() {
    INSTALLED.get_or_init(|| [STANDARD_BATTERIES, LARGE_BATTERIES]);
}

/// Every builtin of this binary, in registration order.
pub fn all() -> impl Iterator<Item = &'static Builtin> {
    let [standard, large] = INSTALLED.get().copied().unwrap_or([&[], &[]]);
    CORE.iter().chain(standard).chain(large).copied().flatten()
}

/// The builtins of `permissions::GATES` as copies that carry their gates, which a
/// restricted VM installs instead of the originals. Made once per process (builtins
/// are `&'static` values, so the copies live for the process's lifetime).
/// Pairs of (original, gated copy).
pub fn gated() -> &'static [(&'static Builtin, &'static Builtin)] {
    static GATED: OnceLock<Vec<(&'static Builtin, &'static Builtin)>> = OnceLock::new();
    GATED.get_or_init(|| {
        all()
            .filter_map(|builtin| {
                let gates = crate::permissions::gates_of(builtin.name);
                (!gates.is_empty()).then(|| (builtin, &*Box::leak(Box::new(Builtin { gates, ..*builtin }))))
            })
            .collect()
    })
}

/// The smallest runtime that defines `name` as a builtin (`Core` for a name no
/// battery defines). The compiler asks this to choose an executable's runtime.
pub fn library_of(name: &str) -> Library {
    let defines = |tier: &[&[Builtin]]| tier.iter().copied().flatten().any(|b| b.name == name);
    if defines(STANDARD_BATTERIES) {
        Library::Standard
    } else if defines(LARGE_BATTERIES) {
        Library::Full
    } else {
        Library::Core
    }
}

/// The global constants (`pi`, `e`, ...): plain values the VM defines next to the
/// builtins.
pub fn constants() -> impl Iterator<Item = (&'static str, Value)> {
    math::CONSTANTS.iter().map(|&(name, x)| (name, Value::Float(x))).chain(streams::constants())
}

/// The builtin with this name, if any (the compiler uses this to decide what it may
/// inline).
pub fn find(name: &str) -> Option<&'static Builtin> {
    all().find(|b| b.name == name)
}

//! Symbol and keyword names, interned once per process with `lasso`.
//!
//! The runtime is single-threaded, so the interner is a thread-local: printing a
//! symbol anywhere needs no context argument. A bundle's symbol table is mapped to
//! interned keys once, at load.

use std::cell::RefCell;

use lasso::{Key, Rodeo, Spur};

/// An interned name. Equality is a `u32` compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sym(Spur);

thread_local! {
    static NAMES: RefCell<Rodeo> = RefCell::new(Rodeo::new());
}

impl Sym {
    /// Interns `name`, returning the existing key when it is already known.
    pub fn intern(name: &str) -> Sym {
        NAMES.with(|names| Sym(names.borrow_mut().get_or_intern(name)))
    }

    /// Calls `f` with the name, without allocating.
    pub fn with_name<R>(self, f: impl FnOnce(&str) -> R) -> R {
        NAMES.with(|names| f(names.borrow().resolve(&self.0)))
    }

    pub fn name(self) -> String {
        self.with_name(str::to_string)
    }

    /// A dense index, usable to address per-symbol tables such as the globals.
    pub fn index(self) -> usize {
        self.0.into_usize()
    }

    /// How many names are interned; every `Sym::index` is below it.
    pub fn count() -> usize {
        NAMES.with(|names| names.borrow().len())
    }
}

/// The symbol with this dense index, if one is interned.
pub fn sym_from_index(index: usize) -> Option<Sym> {
    let key = Spur::try_from_usize(index)?;
    NAMES.with(|names| names.borrow().contains_key(&key).then_some(Sym(key)))
}

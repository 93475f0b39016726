//! Internal builtins behind the `for/list`, `for/filter`, `for/map` and `for/fold`
//! prelude forms (compiler/src/prelude.rs): walking one sequence clause with the
//! step function the compiler built for it.

use crate::error::{Error, Result};
use crate::printer::display;
use crate::value::Value;

use super::hof::Seq;
use super::predicates::spread;
use super::{with_vm, pure, Builtin};

pub static BUILTINS: &[Builtin] = &[
    // (%for-each step seq "form"): the step's results are dropped (for/fold assigns).
    with_vm("%for-each", 3, Some(3), |vm, a| {
        let seq = Seq::new(&a[1], &display(&a[2]))?;
        for item in seq.iter() {
            vm.call(&a[0], std::slice::from_ref(item))?;
        }
        Ok(Value::Nil)
    }),
    // (%for-append step seq "form"): the lists the step returns, joined (nil: none).
    with_vm("%for-append", 3, Some(3), |vm, a| {
        let seq = Seq::new(&a[1], &display(&a[2]))?;
        let mut out = Vec::new();
        for item in seq.iter() {
            match vm.call(&a[0], std::slice::from_ref(item))? {
                Value::List(l) => out.extend(l.iter().cloned()),
                Value::Nil => {}
                other => return Err(Error::type_error("list", &other)),
            }
        }
        Ok(Value::list(out))
    }),
    pure("%for-map", 1, Some(1), for_map),
];

/// The map `for/map` builds from its bodies' results: each a key and a value, as
/// `(values k v)` or a two-element list or vector; a later key replaces an earlier one.
fn for_map(args: &[Value]) -> Result<Value> {
    let items = args[0].expect_seq()?;
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        let pair = match spread(item.clone()) {
            values if values.len() > 1 => values,
            _ => item.seq_items().unwrap_or_default(),
        };
        match <[Value; 2]>::try_from(pair) {
            Ok([k, v]) => entries.push((k, v)),
            Err(_) => {
                return Err(Error::eval(format!(
                    "for/map: the body must give a key and a value, got {}",
                    crate::printer::repr(&item)
                )))
            }
        }
    }
    Ok(Value::map(entries))
}

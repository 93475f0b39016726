//! Type predicates not covered elsewhere (LANGUAGE.md §12.7), raising errors
//! (`error`, `raise`, `assert`: §11.2), multiple values (§6.16) and the UTF-8
//! conversions between strings and bytevectors (§12.11).

use std::rc::Rc;

use super::{pure, with_vm, Builtin};
use crate::error::{Error, Result};
use crate::interner::Sym;
use crate::printer::display;
use crate::value::{Record, Value};
use crate::vm::Vm;

pub static BUILTINS: &[Builtin] = &[
    pure("boolean?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::Bool(_))))).alias_of("bool?"),
    pure("bool?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::Bool(_))))),
    pure("fn?", 1, Some(1), |a| Ok(Value::Bool(is_procedure(&a[0])))),
    pure("procedure?", 1, Some(1), |a| Ok(Value::Bool(is_procedure(&a[0])))).alias_of("fn?"),
    // Every number is complex (the top of the R7RS tower); real? is false only for
    // non-real complex numbers.
    pure("complex?", 1, Some(1), |a| Ok(Value::bool(a[0].is_number()))),
    pure("real?", 1, Some(1), |a| Ok(Value::bool(a[0].is_real()))),
    pure("exact-integer?", 1, Some(1), |a| Ok(Value::bool(matches!(a[0], Value::Int(_) | Value::BigInt(_))))),
    // Raising.
    pure("error", 0, None, error),
    pure("raise", 1, Some(1), |a| Err(Error::thrown(a[0].clone()))),
    pure("assert", 1, Some(2), assert),
    // Multiple values.
    pure("values", 0, None, values),
    with_vm("call-with-values", 2, Some(2), call_with_values),
    // What let-values, let*-values and define-values compile to:
    // (%values-list v fixed rest? "form").
    pure("%values-list", 4, Some(4), values_list),
    // UTF-8.
    pure("string->utf8", 1, Some(1), |a| to_utf8(&a[0])),
    pure("string/to-utf8", 1, Some(1), |a| to_utf8(&a[0])).alias_of("string->utf8"),
    pure("utf8->string", 1, Some(1), |a| from_utf8(&a[0], "utf8->string")),
    pure("utf8/to-string", 1, Some(1), |a| from_utf8(&a[0], "utf8/to-string")).alias_of("utf8->string"),
];

/// The record type name of a `values` bundle.
const MULTIPLE_VALUES: &str = "%multiple-values%";

fn is_procedure(v: &Value) -> bool {
    matches!(v, Value::Closure(_) | Value::Native(_) | Value::Multimethod(_))
}

/// `(error msg arg...)`: an `:eval` error whose message is `msg` (a string as is,
/// anything else in repr); further arguments are ignored.
fn error(args: &[Value]) -> Result<Value> {
    Err(match args.first() {
        None => Error::eval("error called with no message"),
        Some(msg) => Error::eval(display(msg)),
    })
}

/// `(assert cond [msg])`: #t when `cond` is truthy.
fn assert(args: &[Value]) -> Result<Value> {
    if args[0].truthy() {
        return Ok(Value::Bool(true));
    }
    Err(match args.get(1) {
        Some(msg) => Error::eval(display(msg)),
        None => Error::eval("assertion failed"),
    })
}

/// `(values x)` is `x`; any other count makes a bundle, a `%multiple-values%` record.
fn values(args: &[Value]) -> Result<Value> {
    if let [single] = args {
        return Ok(single.clone());
    }
    let bundle = Record { type_name: Sym::intern(MULTIPLE_VALUES), fields: args.to_vec().into_boxed_slice() };
    Ok(Value::Record(Rc::new(bundle)))
}

/// The values a producer returned: a bundle's fields, or the single value.
pub(crate) fn spread(v: Value) -> Vec<Value> {
    match v {
        Value::Record(r) if r.type_name.with_name(|name| name == MULTIPLE_VALUES) => r.fields.to_vec(),
        single => vec![single],
    }
}

/// `(call-with-values producer consumer)`: calls the consumer with the producer's values.
fn call_with_values(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    // Upstream calls the producer as a direct call would, with its error.
    if !is_procedure(&args[0]) && !matches!(args[0], Value::Keyword(_)) {
        return Err(crate::vm::not_callable(&args[0]));
    }
    let produced = vm.call(&args[0], &[])?;
    vm.call(&args[1], &spread(produced))
}

/// The values of `args[0]` as a list, when their count fits formals with `args[1]`
/// fixed names (and a rest name when `args[2]` is true); else an error naming the
/// form `args[3]`.
fn values_list(args: &[Value]) -> Result<Value> {
    let Value::Int(fixed) = args[1] else { return Err(Error::type_error("int", &args[1])) };
    let fixed = fixed.max(0) as usize;
    let rest = args[2].truthy();
    let values = spread(args[0].clone());
    if values.len() == fixed || (rest && values.len() > fixed) {
        return Ok(Value::list(values));
    }
    let at_least = if rest { "at least " } else { "" };
    let noun = if fixed == 1 { "value" } else { "values" };
    Err(Error::eval(format!("{}: expected {at_least}{fixed} {noun}, got {}", display(&args[3]), values.len())))
}

fn to_utf8(v: &Value) -> Result<Value> {
    match v {
        Value::Str(s) => Ok(Value::Bytevector(Rc::new(s.as_bytes().to_vec()))),
        other => Err(Error::type_error("string", other)),
    }
}

fn from_utf8(v: &Value, name: &str) -> Result<Value> {
    match v {
        Value::Bytevector(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Value::str(text)),
            Err(e) => Err(Error::eval(format!("{name}: invalid UTF-8: {e}"))),
        },
        other => Err(Error::type_error("bytevector", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::NativeFn;
    use crate::error::ErrorKind;
    use crate::printer::repr;

    fn run(name: &str, args: &[Value]) -> Result<Value> {
        let b = BUILTINS.iter().find(|b| b.name == name).unwrap_or_else(|| panic!("no builtin {name}"));
        b.check_arity(args.len())?;
        match b.func {
            NativeFn::Pure(f) => f(args),
            _ => unreachable!("tests call pure builtins only"),
        }
    }

    fn call(name: &str, args: &[Value]) -> String {
        match run(name, args) {
            Ok(v) => repr(&v),
            Err(e) => format!("ERR {}", e.report()),
        }
    }

    fn native(name: &str) -> Value {
        Value::Native(crate::builtins::find(name).unwrap())
    }

    #[test]
    fn type_predicates() {
        assert_eq!(call("boolean?", &[Value::Bool(false)]), "#t");
        assert_eq!(call("bool?", &[Value::Nil]), "#f");
        assert_eq!(call("fn?", &[native("car")]), "#t");
        assert_eq!(call("procedure?", &[Value::keyword("a")]), "#f");
        assert_eq!(call("fn?", &[Value::Int(1)]), "#f");
    }

    #[test]
    fn raising() {
        assert_eq!(call("error", &[Value::str("bad"), Value::Int(1)]), "ERR Eval error: bad");
        assert_eq!(call("error", &[Value::keyword("oops")]), "ERR Eval error: :oops");
        assert_eq!(call("error", &[]), "ERR Eval error: error called with no message");
        assert_eq!(call("raise", &[Value::symbol("oops")]), "ERR User exception: oops");
        let Err(e) = run("raise", &[Value::Int(42)]) else { panic!() };
        assert!(matches!(e.kind(), ErrorKind::User { value: Value::Int(42) }));
        assert_eq!(call("assert", &[Value::Int(0)]), "#t");
        assert_eq!(call("assert", &[Value::Bool(false)]), "ERR Eval error: assertion failed");
        assert_eq!(call("assert", &[Value::Nil, Value::str("x must be set")]), "ERR Eval error: x must be set");
        assert_eq!(call("assert", &[]), "ERR Arity error: assert expects 1-2 args, got 0");
    }

    #[test]
    fn values_bundle() {
        assert_eq!(call("values", &[Value::Int(1)]), "1");
        assert_eq!(call("values", &[Value::Int(1), Value::Int(2)]), "#<record %multiple-values% 1 2>");
        assert_eq!(call("values", &[]), "#<record %multiple-values%>");
        let bundle = run("values", &[Value::Int(1), Value::str("a")]).unwrap();
        assert_eq!(repr(&Value::list(spread(bundle))), "(1 \"a\")");
        assert_eq!(repr(&Value::list(spread(Value::Int(3)))), "(3)");
    }

    #[test]
    fn values_list_checks_the_count() {
        let two = run("values", &[Value::Int(1), Value::Int(2)]).unwrap();
        let form = Value::str("let-values");
        let check = |v: &Value, fixed: i64, rest: bool| call("%values-list", &[v.clone(), Value::Int(fixed), Value::Bool(rest), form.clone()]);
        assert_eq!(check(&two, 2, false), "(1 2)");
        assert_eq!(check(&two, 1, true), "(1 2)");
        assert_eq!(check(&two, 0, true), "(1 2)");
        assert_eq!(check(&Value::Int(7), 1, false), "(7)");
        assert_eq!(check(&two, 3, false), "ERR Eval error: let-values: expected 3 values, got 2");
        assert_eq!(check(&two, 1, false), "ERR Eval error: let-values: expected 1 value, got 2");
        assert_eq!(check(&Value::Int(7), 2, true), "ERR Eval error: let-values: expected at least 2 values, got 1");
    }

    #[test]
    fn call_with_values_spreads_a_bundle() {
        let mut vm = crate::builtins::hof::tests::vm();
        // (call-with-values values list): no values at all.
        let r = call_with_values(&mut vm, &[native("values"), native("list")]).unwrap();
        assert_eq!(repr(&r), "()");
        // A producer returning one plain value.
        let r = call_with_values(&mut vm, &[native("time-ms"), native("integer?")]).unwrap();
        assert_eq!(repr(&r), "#t");
        let r = call_with_values(&mut vm, &[native("values"), Value::Int(1)]);
        assert_eq!(r.err().unwrap().report(), "Type error: expected callable, got int");
        let r = call_with_values(&mut vm, &[Value::Int(1), native("list")]);
        assert_eq!(r.err().unwrap().report(), "Eval error: not callable: 1 (int)");
    }

    #[test]
    fn utf8_round_trip() {
        assert_eq!(call("string->utf8", &[Value::str("aé")]), "#u8(97 195 169)");
        assert_eq!(call("string/to-utf8", &[Value::str("")]), "#u8()");
        let bv = Value::Bytevector(Rc::new(vec![104, 105]));
        assert_eq!(call("utf8/to-string", &[Value::Bytevector(Rc::new(vec![104, 105]))]), "\"hi\"");
        assert_eq!(call("utf8->string", &[bv]), "\"hi\"");
        let bad = Value::Bytevector(Rc::new(vec![0xff]));
        assert_eq!(
            call("utf8->string", &[bad]),
            "ERR Eval error: utf8->string: invalid UTF-8: invalid utf-8 sequence of 1 bytes from index 0"
        );
        assert_eq!(call("string->utf8", &[Value::Int(1)]), "ERR Type error: expected string, got int");
    }
}

//! Sema source as data: `read/string`, `read/all`, `sema/check-string`,
//! `sema/check-file` (which need the compiler: `semac --run`, like `eval` and `read`)
//! and `format/form`.

use super::{with_vm, Builtin};
use crate::error::Result;
use crate::value::Value;
use crate::vm::{Problem, Vm};

pub static BUILTINS: &[Builtin] = &[
    with_vm("read/string", 1, Some(1), |vm, a| {
        let text = a[0].expect_str()?;
        vm.compiler("read/string")?.read(text)
    }),
    with_vm("read/all", 1, Some(1), |vm, a| {
        let text = a[0].expect_str()?;
        vm.compiler("read/all")?.read_many(text)
    }),
    with_vm("sema/check-string", 1, Some(1), |vm, a| {
        let text = a[0].expect_str()?;
        check(vm, "sema/check-string", text)
    }),
    with_vm("sema/check-file", 1, Some(1), |vm, a| {
        let path = a[0].expect_str()?;
        match std::fs::read_to_string(path) {
            Ok(text) => check(vm, "sema/check-file", &text),
            Err(e) => {
                let problem = Value::keyword_map([
                    ("level", Value::keyword("error")),
                    ("code", Value::str("io")),
                    ("message", Value::str(format!("{path}: {e}"))),
                ]);
                Ok(report(vec![problem]))
            }
        }
    }),
];

/// `{:ok bool :diagnostics (...)}`.
fn report(diagnostics: Vec<Value>) -> Value {
    Value::keyword_map([("ok", Value::Bool(diagnostics.is_empty())), ("diagnostics", Value::list(diagnostics))])
}

fn check(vm: &mut Vm, op: &str, text: &str) -> Result<Value> {
    let Some(Problem { code, message, span }) = vm.compiler(op)?.check(text) else { return Ok(report(Vec::new())) };
    let mut fields = vec![("level", Value::keyword("error")), ("code", Value::str(code)), ("message", Value::str(message))];
    if let Some([line, col, end_line, end_col]) = span {
        let at = |n: u32| Value::Int(n as i64);
        let span = [("line", at(line)), ("col", at(col)), ("end-line", at(end_line)), ("end-col", at(end_col))];
        fields.push(("span", Value::keyword_map(span)));
    }
    Ok(report(vec![Value::keyword_map(fields)]))
}

//! `eval`, `read` and `macroexpand` of computed forms for programs run by
//! `semac --run`: the runtime's `Evaluator` hook, backed by this compiler. `semarun`
//! has no compiler, so there they raise an error that names this option.

use sema_runtime::error::{Error, Result};
use sema_runtime::loader::load_bytes;
use sema_runtime::value::Value;
use sema_runtime::vm::{Evaluator, Vm};

use crate::macros::{from_value, to_value, MacroEngine};
use crate::syntax::Span;
use crate::{compile_forms, reader, Options};

pub struct CompilerEvaluator {
    /// Macros defined by evaluated code stay defined for later `eval`s.
    macros: MacroEngine,
}

impl CompilerEvaluator {
    pub fn new() -> CompilerEvaluator {
        CompilerEvaluator { macros: MacroEngine::new() }
    }
}

impl CompilerEvaluator {
    /// An evaluator that knows the macros the program defined.
    pub fn with_macros(macros: MacroEngine) -> CompilerEvaluator {
        CompilerEvaluator { macros }
    }
}

impl Default for CompilerEvaluator {
    fn default() -> CompilerEvaluator {
        CompilerEvaluator::new()
    }
}

impl Evaluator for CompilerEvaluator {
    fn eval(&mut self, vm: &mut Vm, form: &Value) -> Result<Value> {
        let syntax = from_value(form, Span::default()).map_err(|e| Error::eval(format!("eval: {}", e.message)))?;
        let bundle = compile_forms(&[syntax], "<eval>", Options { debug_info: false }, Some(&mut self.macros))
            .map_err(|d| Error::eval(format!("eval: {}", d.message)))?;
        let program = load_bytes(&bundle_format::write_bundle(&bundle))
            .map_err(|e| Error::eval(format!("eval: internal compiler error: {e}")))?;
        vm.run_unit(&program)
    }

    fn macroexpand(&mut self, form: &Value) -> Result<Value> {
        let syntax = from_value(form, Span::default()).map_err(|e| Error::eval(format!("macroexpand: {}", e.message)))?;
        let expanded = self.macros.macroexpand(&syntax, &|_| false).map_err(|e| Error::eval(e.message))?;
        Ok(to_value(&expanded))
    }

    fn read(&mut self, text: &str) -> Result<Value> {
        match reader::read_first(text) {
            Ok(Some(form)) => Ok(to_value(&form)),
            Ok(None) => Ok(Value::Nil),
            Err(e) => Err(reader_error(&e)),
        }
    }

    fn read_many(&mut self, text: &str) -> Result<Value> {
        match reader::read_program(text) {
            Ok(forms) => Ok(Value::list(forms.iter().map(to_value).collect())),
            Err(e) => Err(reader_error(&e)),
        }
    }
}

fn reader_error(e: &reader::ReadError) -> Error {
    Error::reader(format!("{} at {}:{}", e.message, e.span.line, e.span.col))
}

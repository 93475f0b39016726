//! `eval`, `read` and `macroexpand` of computed forms for programs run by
//! `semac --run`: the runtime's `Evaluator` hook, backed by this compiler. `semarun`
//! has no compiler, so there they raise an error that names this option.

use sema_runtime::error::{Error, Result};
use sema_runtime::loader::load_bundle;
use sema_runtime::value::Value;
use sema_runtime::vm::{Evaluator, Problem, Vm};

use crate::macros::{from_value, to_value, MacroEngine};
use crate::syntax::{Span, Syntax};
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
        let program = load_bundle(&bundle)
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

    fn check(&mut self, text: &str) -> Option<Problem> {
        let forms = match reader::read_program(text) {
            Ok(forms) => forms,
            Err(e) => {
                let (line, col) = (e.span.line, e.span.col);
                // The reference's span ends after the offending token: one delimiter
                // for these messages, the start itself otherwise.
                let delimiter = ["unterminated list", "unterminated vector", "unterminated map", "unexpected closing", "map literal"]
                    .iter()
                    .any(|m| e.message.starts_with(m));
                let end = if delimiter { col + 1 } else { col };
                let message = format!("Reader error at {line}:{col}: {}", e.message);
                return Some(Problem { code: "syntax", message, span: Some([line, col, line, end]) });
            }
        };
        let d = compile_forms(&forms, "<check>", Options { debug_info: false }, None).err()?;
        // Compile errors carry no kind; `NAME expects N args` is the arity family,
        // reported like a run-time arity error with the count of the form at fault.
        let arity = d.message.split_once(" expects ").filter(|(name, rest)| {
            !name.contains(' ') && (rest.ends_with(" args") || rest.ends_with(" arg"))
        });
        Some(if let Some((name, _)) = arity {
            let got = form_at(&forms, d.line, d.col, name).map(|n| format!(", got {n}")).unwrap_or_default();
            Problem { code: "arity", message: format!("Arity error: {}{got}", d.message), span: None }
        } else {
            Problem { code: "error", message: format!("Eval error: {}", d.message), span: None }
        })
    }
}

/// The argument count of the `(name ...)` form starting at `line:col`, if any.
fn form_at(forms: &[Syntax], line: u32, col: u32, name: &str) -> Option<usize> {
    forms.iter().find_map(|form| {
        let items = form.as_list()?;
        if form.span.line == line && form.span.col == col && items.first()?.as_symbol() == Some(name) {
            return Some(items.len() - 1);
        }
        form_at(items, line, col, name)
    })
}

fn reader_error(e: &reader::ReadError) -> Error {
    Error::reader(format!("{} at {}:{}", e.message, e.span.line, e.span.col))
}

//! The REPL (`semac --repl`, or `semac` alone on a terminal): each entry is read,
//! compiled and run on one VM, so definitions (and macros) stay for later entries.
//! An entry may span lines: while the reader finds it unterminated, a continuation
//! prompt asks for more. A value other than nil is printed as `repr` prints it; an
//! error is reported as an uncaught one would be, and the session goes on.

use std::path::PathBuf;
use std::process::ExitCode;

use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;
use sema_runtime::builtins::io::{flush_stdout, write_stdout};
use sema_runtime::vm::Vm;

use crate::evaluator::CompilerEvaluator;
use crate::macros::MacroEngine;
use crate::{compile_forms, empty_program, reader, Diagnostic, Options};

const PROMPT: &str = "sema> ";
const CONTINUATION: &str = "  ... ";
/// The name diagnostics and error reports give an entry.
const ENTRY_NAME: &str = "<repl>";

/// Runs the REPL until end of input (Ctrl-D) or `(exit)`.
pub fn run(argv0: String, color: bool) -> ExitCode {
    let mut editor = match DefaultEditor::new() {
        Ok(editor) => editor,
        Err(err) => {
            eprintln!("semac: cannot start the REPL: {err}");
            return ExitCode::from(2);
        }
    };
    let history = history_file();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    let mut vm = match new_vm(argv0) {
        Ok(vm) => vm,
        Err(message) => {
            eprintln!("semac: internal error: {message}");
            return ExitCode::from(70);
        }
    };
    let mut macros = MacroEngine::new();
    let mut entry = String::new();
    loop {
        let prompt = if entry.is_empty() { PROMPT } else { CONTINUATION };
        match editor.readline(prompt) {
            Ok(line) => {
                entry.push_str(&line);
                entry.push('\n');
                if unfinished(&entry) {
                    continue;
                }
                if !entry.trim().is_empty() {
                    let _ = editor.add_history_entry(entry.trim_end());
                    run_entry(&mut vm, &mut macros, &entry, color);
                }
                entry.clear();
            }
            // Ctrl-C drops the entry being typed.
            Err(ReadlineError::Interrupted) => entry.clear(),
            Err(ReadlineError::Eof) => break,
            Err(err) => {
                eprintln!("semac: {err}");
                break;
            }
        }
    }
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    ExitCode::SUCCESS
}

/// Whether `text` stops inside a form (more lines may finish it).
fn unfinished(text: &str) -> bool {
    matches!(reader::read_program(text), Err(e) if e.message.starts_with("unterminated"))
}

/// A VM with the builtins, an empty program run, and a compiler for `eval`.
fn new_vm(argv0: String) -> Result<Vm, String> {
    let mut vm = Vm::new(empty_program(ENTRY_NAME), vec![argv0, "--repl".to_string(), "--".to_string()]);
    vm.set_evaluator(Box::new(CompilerEvaluator::new()));
    vm.run_program().map_err(|e| e.report())?;
    Ok(vm)
}

/// Compiles and runs one entry, printing its value or its error.
fn run_entry(vm: &mut Vm, macros: &mut MacroEngine, text: &str, color: bool) {
    sema_runtime::report::remember_source(ENTRY_NAME, text);
    let forms = match reader::read_program(text) {
        Ok(forms) => forms,
        Err(e) => {
            let diagnostic = Diagnostic::error(ENTRY_NAME, e.span.line, e.span.col, e.message).with_source(text);
            eprint!("{}", diagnostic.render(color));
            return;
        }
    };
    let bundle = match compile_forms(&forms, ENTRY_NAME, Options { debug_info: true }, Some(macros)) {
        Ok(bundle) => bundle,
        Err(diagnostic) => {
            for error in diagnostic.all() {
                // The entry's own lines (a macro's errors name other places).
                let shown = if error.file == ENTRY_NAME { error.clone().with_source(text) } else { error.clone() };
                eprint!("{}", shown.render(color));
            }
            return;
        }
    };
    let result = sema_runtime::loader::load_bundle(&bundle)
        .map_err(|e| sema_runtime::error::Error::eval(format!("internal compiler error: {e}")))
        .and_then(|program| vm.run_unit(&program));
    match result {
        Ok(sema_runtime::value::Value::Nil) => flush_stdout(),
        Ok(value) => {
            let _ = write_stdout(&format!("{}\n", sema_runtime::printer::repr(&value)));
            flush_stdout();
        }
        Err(err) => {
            flush_stdout();
            sema_runtime::report::report_error(&err);
        }
    }
}

/// Where the history is kept: `$SEMA_HISTORY`, else `~/.sema_history`.
fn history_file() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SEMA_HISTORY") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".sema_history"))
}

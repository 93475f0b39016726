//! The Sema compiler: reader, prelude-macro expansion, lowering to IR, constant
//! folding, code generation, assembly and bundle writing.

pub mod assemble;
pub mod back_edges;
pub mod codegen;
pub mod diagnostics;
pub mod error;
pub mod evaluator;
pub mod exe;
pub mod fold;
pub mod global_checks;
pub mod intrinsics;
pub mod ir;
pub mod ir_print;
pub mod liveness;
pub mod loops;
pub mod lower;
pub mod macros;
pub mod modules;
pub mod multimethods;
pub mod multiple_values;
pub mod patterns;
pub mod prelude;
pub mod reader;
pub mod repl;
pub mod syntax;
pub mod syntax_rules;

use bundle_format::bundle::{Bundle, DebugInfo, Proto, ProtoDebug, ProtoIdx};

pub use diagnostics::{Diagnostic, Severity};

/// Options that change what is written.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Include the debug section (file names, line tables).
    pub debug_info: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { debug_info: true }
    }
}

fn read(source: &str, file: &str) -> Result<Vec<syntax::Syntax>, Diagnostic> {
    reader::read_program(source).map_err(|e| Diagnostic::error(file, e.span.line, e.span.col, e.message).with_source(source))
}

/// A compile error or warning located in one of the program's files.
fn diagnostic(modules: &modules::Modules, e: error::CompileError, severity: Severity) -> Diagnostic {
    let file = modules.files.get(e.span.file as usize).cloned().unwrap_or_default();
    let mut d = Diagnostic::error(&file, e.span.line, e.span.col, e.message).with_line(modules.line(e.span.file, e.span.line));
    d.severity = severity;
    d.help = e.help.map(String::into_boxed_str);
    d
}

/// The first error of several, with the others after it.
fn diagnostics(modules: &modules::Modules, errors: Vec<error::CompileError>) -> Diagnostic {
    let mut errors = errors.into_iter().map(|e| diagnostic(modules, e, Severity::Error));
    let mut first = errors.next().expect("at least one error");
    first.further = errors.collect();
    first
}

fn lower_forms(
    forms: &[syntax::Syntax],
    modules: &mut modules::Modules,
    macros: Option<&mut macros::MacroEngine>,
) -> Result<ir::Program, Diagnostic> {
    let mut program = lower::lower_program(forms, macros, modules).map_err(|errors| diagnostics(modules, errors))?;
    fold::fold_program(&mut program);
    loops::inline_named_lets(&mut program);
    Ok(program)
}

/// Reads, lowers and folds a source file: the IR `--emit=ir` shows.
pub fn front_end(source: &str, file: &str) -> Result<ir::Program, Diagnostic> {
    let mut modules = modules::Modules::new(file, std::path::Path::new("."));
    modules.set_main_text(source);
    lower_forms(&read(source, file)?, &mut modules, None)
}

/// Compiles source text to a bundle. `file` is the name recorded in the debug
/// section and in diagnostics; imports resolve against the working directory.
pub fn compile(source: &str, file: &str, options: Options) -> Result<Bundle, Diagnostic> {
    let mut modules = modules::Modules::new(file, std::path::Path::new("."));
    modules.set_main_text(source);
    compile_forms_in(&read(source, file)?, &mut modules, options, None, WholeProgram::No).map(|(bundle, _)| bundle)
}

/// A linked program with no code of its own: what a VM that runs compiled pieces one
/// at a time (macros, the REPL's entries) starts from.
pub fn empty_program(file: &str) -> sema_runtime::program::Program {
    let empty = compile_forms(&[], file, Options { debug_info: false }, None).expect("an empty program compiles");
    sema_runtime::loader::load_bundle(&empty).expect("an empty program loads")
}

/// A compiled program and the warnings met on the way.
pub struct Compiled {
    pub bundle: Bundle,
    pub warnings: Vec<Diagnostic>,
    /// The program's macros, for `eval` and `macroexpand` when it runs at once
    /// (`semac --run`).
    pub macros: macros::MacroEngine,
}

/// Compiles the program whose main file is `path`, with every file it loads or
/// imports, into one bundle.
pub fn compile_file(path: &std::path::Path, source: &str, options: Options) -> Result<Compiled, Diagnostic> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = path.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
    let mut modules = modules::Modules::new(&name, &dir);
    modules.set_main_text(source);
    let forms = read(source, &name)?;
    let mut macros = macros::MacroEngine::new();
    let (bundle, warnings) = compile_forms_in(&forms, &mut modules, options, Some(&mut macros), WholeProgram::Yes)?;
    Ok(Compiled { bundle, warnings, macros })
}

/// Compiles forms to a bundle, expanding macros with `macros` when given (a macro
/// body compiled inside another compilation sees the macros defined before it).
pub fn compile_forms(
    forms: &[syntax::Syntax],
    file: &str,
    options: Options,
    macros: Option<&mut macros::MacroEngine>,
) -> Result<Bundle, Diagnostic> {
    let mut modules = modules::Modules::new(file, std::path::Path::new("."));
    compile_forms_in(forms, &mut modules, options, macros, WholeProgram::No).map(|(bundle, _)| bundle)
}

/// Whether the forms are a whole program, whose globals can be checked together
/// (`global_checks`), or a part (a macro's body, a form given to `eval`).
#[derive(PartialEq)]
enum WholeProgram {
    Yes,
    No,
}

/// Most warnings from lowering reported (global_checks bounds its own).
const MOST_LOWERING_WARNINGS: usize = 100;

/// The warnings lowering found, at most `MOST_LOWERING_WARNINGS` and then how many
/// more there were.
fn lowering_warnings<'a>(program: &'a ir::Program, modules: &'a modules::Modules) -> impl Iterator<Item = Diagnostic> + 'a {
    let shown = program.warnings.iter().take(MOST_LOWERING_WARNINGS).cloned().map(|w| diagnostic(modules, w, Severity::Warning));
    let left_out = program.warnings.len().saturating_sub(MOST_LOWERING_WARNINGS);
    let summary = (left_out > 0).then(|| {
        let mut summary = Diagnostic::error("", 0, 0, format!("{left_out} more warnings like these not shown"));
        summary.severity = Severity::Warning;
        summary
    });
    shown.chain(summary)
}

fn compile_forms_in(
    forms: &[syntax::Syntax],
    modules: &mut modules::Modules,
    options: Options,
    macros: Option<&mut macros::MacroEngine>,
    whole: WholeProgram,
) -> Result<(Bundle, Vec<Diagnostic>), Diagnostic> {
    let program = lower_forms(forms, modules, macros)?;
    let global_warnings = match whole {
        WholeProgram::Yes => global_checks::check(&program),
        WholeProgram::No => Vec::new(),
    };
    let warnings = lowering_warnings(&program, modules).chain(global_warnings.into_iter().map(|w| diagnostic(modules, w, Severity::Warning))).collect();
    let at = |e: error::CompileError| diagnostic(modules, e, Severity::Error);
    let mut tables = codegen::Tables::default();
    let codes = codegen::drop_unused(codegen::generate(&program, &mut tables).map_err(at)?);
    let mut protos = Vec::with_capacity(codes.len());
    let mut debug = Vec::with_capacity(codes.len());
    for (id, mut code) in codes {
        let function = &program.functions[id as usize];
        back_edges::copy_tests_to_back_edges(&mut code.asm);
        let frame = assemble::FrameShape { params: code.arity + code.rest as u16, registers: code.registers };
        let assembled = assemble::assemble(&code.asm, function.span, frame).map_err(at)?;
        protos.push(Proto {
            name: code.name,
            arity: code.arity,
            rest: code.rest,
            registers: code.registers,
            captures: code.captures,
            code: assembled.code,
        });
        debug.push(ProtoDebug { file: function.span.file, lines: assembled.lines });
    }
    let debug = options.debug_info.then(|| DebugInfo { files: modules.files.clone(), protos: debug });
    let bundle = Bundle { symbols: tables.symbols, constants: tables.constants, protos, entry: ProtoIdx(0), debug };
    if let Some(problem) = bundle_format::limits::exceeded(&bundle) {
        let file = modules.files.first().cloned().unwrap_or_default();
        return Err(Diagnostic::error(&file, 1, 1, format!("program too large for a bundle: {problem}")));
    }
    Ok((bundle, warnings))
}

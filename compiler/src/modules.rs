//! The files of a program: the main file, and every file it `load`s or `import`s,
//! found and read at compile time so that all of them end up in one bundle.
//!
//! A relative path is resolved against the directory of the file that names it.
//! Each file gets an index (`Span::file`); the debug section records its name
//! relative to the main file's directory, never an absolute path.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::lower::{error, Result};
use crate::reader::read_program;
use crate::syntax::{Span, Syntax};

/// What an import makes visible: (name the importer sees, global holding the value).
pub type Exports = Vec<(String, String)>;

pub struct Modules {
    /// Display name of each file, by index.
    pub files: Vec<String>,
    /// Directory of each file, by index, for resolving the paths it names.
    dirs: Vec<PathBuf>,
    /// The main file's directory: names are recorded relative to it.
    root: PathBuf,
    /// Files already imported (canonical path) and what they export.
    imported: HashMap<PathBuf, Exports>,
    /// Imports being compiled, outermost first, to report cycles.
    in_progress: Vec<(PathBuf, String)>,
}

impl Modules {
    /// The modules of a program whose main file is `name` in directory `dir`.
    pub fn new(name: &str, dir: &Path) -> Modules {
        Modules {
            files: vec![name.to_string()],
            dirs: vec![dir.to_path_buf()],
            root: dir.to_path_buf(),
            imported: HashMap::new(),
            in_progress: Vec::new(),
        }
    }

    /// The path a `load`/`import` in `file` means by `path`.
    pub fn resolve(&self, file: u32, path: &str) -> PathBuf {
        let base = self.dirs.get(file as usize).cloned().unwrap_or_default();
        normalise(&base.join(path))
    }

    /// Reads and parses `path`, giving its forms the new file's index.
    pub fn read(&mut self, path: &Path, span: Span) -> Result<(u32, Vec<Syntax>)> {
        let source = match std::fs::read_to_string(path) {
            Ok(source) => source,
            Err(err) => return error(span, format!("cannot read {}: {err}", self.display_name(path))),
        };
        let index = self.files.len() as u32;
        self.files.push(self.display_name(path));
        self.dirs.push(path.parent().map(Path::to_path_buf).unwrap_or_default());
        let mut forms = match read_program(&source) {
            Ok(forms) => forms,
            Err(err) => {
                let at = Span { line: err.span.line, col: err.span.col, file: index };
                return error(at, err.message);
            }
        };
        for form in &mut forms {
            form.set_file(index);
        }
        Ok((index, forms))
    }

    fn display_name(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap_or(path).to_string_lossy().into_owned()
    }

    pub fn exports_of(&self, path: &Path) -> Option<&Exports> {
        self.imported.get(path)
    }

    pub fn finish_import(&mut self, path: PathBuf, exports: Exports) {
        self.in_progress.retain(|(p, _)| *p != path);
        self.imported.insert(path, exports);
    }

    /// Marks `path` as being imported; an error naming the chain if that is a cycle.
    pub fn start_import(&mut self, path: &Path, span: Span) -> Result<()> {
        let name = self.display_name(path);
        if let Some(start) = self.in_progress.iter().position(|(p, _)| p == path) {
            let mut chain: Vec<&str> = self.in_progress[start..].iter().map(|(_, n)| n.as_str()).collect();
            chain.push(&name);
            return error(span, format!("import cycle: {}", chain.join(" -> ")));
        }
        self.in_progress.push((path.to_path_buf(), name));
        Ok(())
    }

    /// Abandons an import that failed to compile.
    pub fn abandon_import(&mut self, path: &Path) {
        self.in_progress.retain(|(p, _)| p != path);
    }
}

/// `a/./b/../c` → `a/c`, without touching the file system (so names stay relative).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

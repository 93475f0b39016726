//! The files of a program: the main file, and every file it `load`s or `import`s,
//! found and read at compile time so that all of them end up in one bundle.
//!
//! A relative path is resolved against the directory of the file that names it.
//! Each file gets an index (`Span::file`); the debug section records its name
//! relative to the main file's directory, never an absolute path.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::error::{error, Result};
use crate::reader::read_program;
use crate::syntax::{Span, Syntax};

/// What an import makes visible: (name the importer sees, global holding the value).
pub type Exports = Vec<(String, String)>;

pub struct Modules {
    /// Display name of each file, by index.
    pub files: Vec<String>,
    /// Directory of each file, by index, for resolving the paths it names.
    dirs: Vec<PathBuf>,
    /// Text of each file, by index, for the source lines of diagnostics.
    texts: Vec<Option<Lines>>,
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
            texts: vec![None],
            root: dir.to_path_buf(),
            imported: HashMap::new(),
            // The main file is being compiled: loading it again is a cycle too.
            in_progress: vec![(canonical(&dir.join(name)), name.to_string())],
        }
    }

    /// The path a `load`/`import` in `file` means by `path`.
    pub fn resolve(&self, file: u32, path: &str) -> PathBuf {
        let base = self.dirs.get(file as usize).cloned().unwrap_or_default();
        normalise(&base.join(path))
    }

    /// Keeps the main file's text for diagnostics.
    pub fn set_main_text(&mut self, text: &str) {
        self.texts[0] = Some(Lines::new(text.to_string()));
    }

    /// Line `line` (1-based) of the file with index `file`, when its text is at hand.
    pub fn line(&self, file: u32, line: u32) -> Option<&str> {
        self.texts.get(file as usize)?.as_ref()?.line(line)
    }

    /// Reads and parses `path`, giving its forms the new file's index.
    pub fn read(&mut self, path: &Path, span: Span) -> Result<(u32, Vec<Syntax>)> {
        if self.in_progress.len() >= MAX_FILE_NESTING {
            return error(span, format!("files nested more than {MAX_FILE_NESTING} deep (load and import)"));
        }
        let source = match read_source(path) {
            Ok(source) => source,
            Err(err) => return error(span, format!("cannot read {}: {err}", self.display_name(path))),
        };
        let index = self.files.len() as u32;
        self.files.push(self.recorded_name(path));
        self.dirs.push(path.parent().map(Path::to_path_buf).unwrap_or_default());
        let read = read_program(&source);
        self.texts.push(Some(Lines::new(source)));
        let mut forms = match read {
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

    /// The name messages give a file: relative to the main file's directory when it
    /// is under it.
    fn display_name(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap_or(path).to_string_lossy().into_owned()
    }

    /// The name the debug section records: the display name, except that a file
    /// elsewhere, named by an absolute path, is recorded by its file name only, so a
    /// bundle never carries an absolute path of the build machine.
    fn recorded_name(&self, path: &Path) -> String {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        let shown = if relative.is_absolute() { relative.file_name().map(Path::new).unwrap_or(relative) } else { relative };
        shown.to_string_lossy().into_owned()
    }

    pub fn exports_of(&self, path: &Path) -> Option<&Exports> {
        self.imported.get(path)
    }

    pub fn record_exports(&mut self, path: PathBuf, exports: Exports) {
        self.imported.insert(path, exports);
    }

    /// How many loads and imports are being compiled, one inside another.
    pub fn nesting(&self) -> usize {
        self.in_progress.len()
    }

    /// Forgets the loads and imports an error left unfinished, back to `nesting`.
    pub fn unwind_to(&mut self, nesting: usize) {
        self.in_progress.truncate(nesting);
    }

    /// Marks `path` as being loaded or imported (`form`); an error naming the chain
    /// if that is a cycle, which would otherwise inline the file into itself forever.
    /// Files are compared by their canonical path, so a symlink does not hide a cycle.
    pub fn start(&mut self, form: &str, path: &Path, span: Span) -> Result<()> {
        let name = self.display_name(path);
        let key = canonical(path);
        if let Some(start) = self.in_progress.iter().position(|(p, _)| *p == key) {
            let mut chain: Vec<&str> = self.in_progress[start..].iter().map(|(_, n)| n.as_str()).collect();
            chain.push(&name);
            return error(span, format!("{form} cycle: {}", chain.join(" -> ")));
        }
        self.in_progress.push((key, name));
        Ok(())
    }

    /// Ends the innermost load or import, compiled or abandoned.
    pub fn finish(&mut self) {
        self.in_progress.pop();
    }
}

/// The file's identity: its canonical path when it exists, so that a symlink or a
/// second spelling does not hide a cycle.
/// A file's text with where each line starts: a diagnostic finds its line at once,
/// however many there are.
struct Lines {
    text: String,
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: String) -> Lines {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(at, _)| at + 1)).collect();
        Lines { text, starts }
    }

    fn line(&self, line: u32) -> Option<&str> {
        let index = (line as usize).checked_sub(1)?;
        let start = *self.starts.get(index)?;
        let end = self.starts.get(index + 1).map_or(self.text.len(), |next| next - 1);
        let line = &self.text[start..end];
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Most loads and imports open one inside another.
const MAX_FILE_NESTING: usize = 200;

/// Largest source file the compiler reads.
const MAX_SOURCE_BYTES: u64 = 64 << 20;

/// Reads a source file as text: a regular file (a FIFO or a device could block
/// forever or never end) of at most `MAX_SOURCE_BYTES`.
pub fn read_source(path: &Path) -> std::result::Result<String, String> {
    let file = sema_runtime::loader::open_regular_file(path).map_err(|e| e.to_string())?;
    let metadata = file.metadata().map_err(|e| e.to_string())?;
    if metadata.len() > MAX_SOURCE_BYTES {
        return Err(format!("{} bytes, over the {} MiB a source file may have", metadata.len(), MAX_SOURCE_BYTES >> 20));
    }
    read_source_from(file)
}

/// A program's text from `reader` (stdin, say), within the size a source file may have.
pub fn read_source_from(reader: impl std::io::Read) -> std::result::Result<String, String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    reader.take(MAX_SOURCE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(format!("over the {} MiB a source file may have", MAX_SOURCE_BYTES >> 20));
    }
    String::from_utf8(bytes).map_err(|_| "stream did not contain valid UTF-8".to_string())
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

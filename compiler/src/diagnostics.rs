//! Compile errors and warnings as the user sees them, rendered by annotate-snippets
//! in rustc's layout: `error: message`, ` --> file:line:col`, the source line with
//! the datum at fault underlined, and a `help:` line where one helps. Colour only
//! when asked for (`semac --color`, a terminal without `NO_COLOR`).
//!
//! A run-time error report (runtime/src/report.rs) has the same layout, rendered by
//! hand: the runtime does not carry this crate (semarun stays small).

use std::fmt;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use sema_runtime::report::printable;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A compile error or warning located in one of the program's files.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: String,
    /// 1-based; 0 for a diagnostic about the program rather than a place in it.
    pub line: u32,
    pub col: u32,
    pub message: String,
    pub help: Option<Box<str>>,
    /// The text of the line the position is on, when the file's text is at hand.
    pub source_line: Option<Box<str>>,
    /// Errors found after this one (recovery at the next top-level form); empty for a
    /// warning.
    pub further: Vec<Diagnostic>,
}

/// The default for colour: only when stderr is a terminal and `NO_COLOR` is unset
/// or empty (no-color.org).
pub fn stderr_wants_color() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Longest source line shown; past it the line is left out (the position stays).
const MOST_LINE_CHARS: usize = 400;

impl Diagnostic {
    /// An error at `line:col` of `file`, with no source line (yet).
    pub fn error(file: &str, line: u32, col: u32, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            file: file.to_string(),
            line,
            col,
            message: message.into(),
            help: None,
            source_line: None,
            further: Vec::new(),
        }
    }

    /// Shows `line`, the text of the line the position is on.
    pub fn with_line(mut self, line: Option<&str>) -> Diagnostic {
        self.source_line = line.filter(|line| line.chars().count() <= MOST_LINE_CHARS).map(Box::from);
        self
    }

    /// Shows the line the position is on, taken from the whole text of its file.
    pub fn with_source(self, text: &str) -> Diagnostic {
        let line = (self.line as usize).checked_sub(1).and_then(|index| text.lines().nth(index));
        self.with_line(line)
    }

    /// This diagnostic and the ones found after it, in order.
    pub fn all(&self) -> impl Iterator<Item = &Diagnostic> {
        std::iter::once(self).chain(&self.further)
    }

    /// The diagnostic (this one only, not `further`) as text, ending in a newline,
    /// with ANSI colours when `color`.
    pub fn render(&self, color: bool) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let message = printable(&self.message);
        let title = level.primary_title(message.as_str());
        let mut group = match self.source_line.as_deref().map(printable) {
            Some(line) if (self.col as usize) <= line.chars().count() + 1 => {
                let start = byte_at_char(&line, self.col.max(1) as usize - 1);
                let width = sema_runtime::report::datum_width(&line, self.col.max(1) as usize);
                let end = byte_at_char(&line, self.col.max(1) as usize - 1 + width);
                let snippet = Snippet::source(line)
                    .line_start(self.line as usize)
                    .path(printable(&self.file))
                    .annotation(AnnotationKind::Primary.span(start..end));
                title.element(snippet)
            }
            // Line 0: about the program, not a place in it.
            _ if self.line == 0 => Group::with_title(title),
            _ => title.element(Origin::path(printable(&self.file)).line(self.line as usize).char_column(self.col as usize)),
        };
        if let Some(help) = &self.help {
            group = group.element(Level::HELP.message(printable(help)));
        }
        let renderer = if color { Renderer::styled() } else { Renderer::plain() };
        // A blank line between diagnostics, as rustc leaves.
        format!("{}\n\n", renderer.render(&[group]))
    }
}

/// The plain rendering.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// The byte offset of the `n`th character of `text` (its length past the end).
fn byte_at_char(text: &str, n: usize) -> usize {
    text.char_indices().nth(n).map_or(text.len(), |(at, _)| at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_shows_its_line_and_underlines_the_form() {
        let d = Diagnostic::error("app.sema", 2, 3, "let: each binding must be a (name value) list")
            .with_source("(define (f)\n  (let (x) x))\n");
        assert_eq!(
            d.to_string(),
            "error: let: each binding must be a (name value) list\n --> app.sema:2:3\n  |\n2 |   (let (x) x))\n  |   ^^^^^^^^^^^\n\n"
        );
    }

    #[test]
    fn without_its_line_an_error_still_gives_the_position_and_escapes_are_made_harmless() {
        let mut d = Diagnostic::error("a\x1b[31m.sema", 7, 4, "bad \x1b[2J thing\nerror: fake");
        d.help = Some("try this".into());
        assert_eq!(d.to_string(), "error: bad ?[2J thing?error: fake\n--> a?[31m.sema:7:4\n = help: try this\n\n");
    }
}

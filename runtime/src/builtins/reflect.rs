//! Sema source as data: `read/string`, `read/all`, `sema/check-string`,
//! `sema/check-file` (which need the compiler: `semac --run`, like `eval` and `read`)
//! and `format/form`.

use super::{pure, with_vm, Builtin};
use crate::error::Result;
use crate::printer::repr;
use crate::value::Value;
use crate::vm::{Problem, Vm};

pub static BUILTINS: &[Builtin] = &[
    pure("format/form", 1, Some(1), |a| {
        let mut f = Formatter { out: String::new() };
        f.node(&a[0], 0);
        Ok(Value::str(f.out.trim_end()))
    }),
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

// ---------------------------------------------------------------------------
// format/form: the reference formatter's layout (sema fmt, width 80, indent 2) for a
// value read as code. A form is printed flat when it fits and nothing forces it onto
// several lines; otherwise its head decides the layout.

const WIDTH: usize = 80;
const INDENT: usize = 2;

#[derive(Clone, Copy, PartialEq)]
enum Layout {
    Body,
    Binding,
    Clause,
    Threading,
    If,
    Import,
    Call,
}

fn head_symbol(items: &[Value]) -> Option<String> {
    match items.first() {
        Some(Value::Symbol(s)) => Some(s.name()),
        _ => None,
    }
}

fn layout(head: &str) -> Layout {
    match head {
        "define" | "def" | "defn" | "defun" | "defmacro" | "fn" | "lambda" | "do" | "begin" | "progn" | "async"
        | "when" | "unless" | "guard" | "module" | "defagent" | "deftool" | "defmulti" | "defmethod" | "prompt"
        | "message" | "export" | "for" | "for-each" | "for-range" | "for-list" | "for-map" | "for-filter"
        | "for-fold" | "dotimes" | "while" | "with-open-file" | "with-exception-handler" | "define-values"
        | "define-record-type" | "define-syntax" | "syntax-rules" | "try" => Layout::Body,
        "let" | "let*" | "letrec" | "let-values" | "let*-values" | "when-let" | "if-let" | "parameterize" => {
            Layout::Binding
        }
        "cond" | "case" | "match" | "match*" => Layout::Clause,
        "->" | "->>" | "as->" | "some->" => Layout::Threading,
        "if" => Layout::If,
        "import" | "load" | "require" => Layout::Import,
        _ => Layout::Call,
    }
}

/// How many elements of a body form stay on its first line (head included).
fn first_line_count(head: &str, items: &[Value]) -> usize {
    let n = items.len();
    match head {
        "define" | "def" if n > 1 && matches!(items[1], Value::List(_)) => 2,
        "define" | "def" => n.min(3),
        "defn" | "defun" | "defmacro" | "defmulti" | "for-fold" => n.min(3),
        "define-record-type" | "defmethod" => n.min(4),
        "fn" | "lambda" if n > 1 => 2,
        "define-syntax" | "deftool" | "defagent" | "when" | "unless" | "while" | "guard" | "define-values"
        | "dotimes" | "for" | "for-range" | "for-list" | "for-map" | "for-filter" | "module" | "with-open-file"
        | "with-exception-handler" => n.min(2),
        _ => 1,
    }
}

/// `(let name (bindings) body...)`.
fn named_let(items: &[Value]) -> bool {
    items.len() >= 3
        && head_symbol(items).as_deref() == Some("let")
        && matches!(items[1], Value::Symbol(_))
        && matches!(items[2], Value::List(_) | Value::Vector(_))
}

/// Forms laid out on several lines even when they would fit on one: a body form
/// with two or more body expressions, a binding form with two or more bindings.
fn forced_multiline(kind: Layout, head: &str, items: &[Value]) -> bool {
    match kind {
        Layout::Body if head != "try" => items.len() > first_line_count(head, items) + 1,
        Layout::Binding => {
            let at = if named_let(items) { 2 } else { 1 };
            items.get(at).and_then(Value::seq_items).is_some_and(|bindings| {
                bindings.iter().filter(|b| matches!(b, Value::List(_) | Value::Vector(_))).count() >= 2
            })
        }
        _ => false,
    }
}

struct Formatter {
    out: String,
}

impl Formatter {
    fn col(&self) -> usize {
        match self.out.rfind('\n') {
            Some(at) => self.out.len() - at - 1,
            None => self.out.len(),
        }
    }

    fn newline(&mut self, indent: usize) {
        self.out.push('\n');
        self.out.extend(std::iter::repeat_n(' ', indent));
    }

    /// Appends ` item` formatted at `indent` if it stays on this line; else undoes it.
    fn try_inline(&mut self, item: &Value, indent: usize) -> bool {
        let mark = self.out.len();
        self.out.push(' ');
        self.node(item, indent);
        if self.out[mark..].contains('\n') {
            self.out.truncate(mark);
            return false;
        }
        true
    }

    /// Each item on its own line at `indent`.
    fn lines(&mut self, items: &[Value], indent: usize) {
        for item in items {
            self.newline(indent);
            self.node(item, indent);
        }
    }

    fn node(&mut self, v: &Value, indent: usize) {
        match v {
            Value::List(l) if !l.is_empty() => self.list(&l.to_vec(), indent),
            Value::Vector(items) if !items.is_empty() => self.collection(items, indent, "[", "]"),
            Value::Bytevector(bytes) if indent + repr(v).len() > WIDTH => self.bytes(bytes, indent),
            Value::Map(m) if !m.is_empty() => {
                let items: Vec<Value> = m.iter().flat_map(|(k, v)| [k.clone(), v.clone()]).collect();
                self.map(&items, indent, &repr(v))
            }
            other => self.out.push_str(&repr(other)),
        }
    }

    fn list(&mut self, items: &[Value], indent: usize) {
        let head = head_symbol(items).unwrap_or_default();
        let kind = if head.is_empty() { Layout::Call } else { layout(&head) };
        let flat = repr(&Value::list(items.to_vec()));
        if !forced_multiline(kind, &head, items) && indent + flat.len() <= WIDTH {
            self.out.push_str(&flat);
            return;
        }
        self.out.push('(');
        self.node(&items[0], indent + 1);
        let body = indent + INDENT;
        match kind {
            Layout::Body => {
                let count = if head == "try" { 1 } else { first_line_count(&head, items) };
                let mut emitted = 1;
                for item in &items[1..count.min(items.len())] {
                    if self.col() + 1 + repr(item).len() > WIDTH || !self.try_inline(item, body) {
                        break;
                    }
                    emitted += 1;
                }
                self.lines(&items[emitted..], body);
            }
            Layout::Binding if items.len() >= 2 => {
                // The bindings hang after the head (and a named let's name), their
                // column reckoned from this form's indent.
                let at = if named_let(items) { 2 } else { 1 };
                let mut col = indent + 1 + repr(&items[0]).len() + 1;
                for item in &items[1..at] {
                    self.out.push(' ');
                    self.node(item, col);
                    col += repr(item).len() + 1;
                }
                self.out.push(' ');
                match &items[at] {
                    Value::List(l) => self.collection(&l.to_vec(), col, "(", ")"),
                    other => self.node(other, col),
                }
                self.lines(&items[at + 1..], body);
            }
            Layout::Clause | Layout::Threading | Layout::If => {
                let subjects = match kind {
                    Layout::Clause if head == "cond" => 0,
                    _ => 1,
                };
                let subjects = subjects.min(items.len() - 1);
                for item in &items[1..1 + subjects] {
                    self.out.push(' ');
                    self.node(item, body);
                }
                self.lines(&items[1 + subjects..], body);
            }
            Layout::Import => self.lines(&items[1..], body),
            Layout::Binding | Layout::Call if head == "hash-map" || head == "assoc" => self.pairs(items, &head, body),
            Layout::Binding | Layout::Call => {
                if items.len() > 1 {
                    let first_col = indent + 1 + repr(&items[0]).len() + 1;
                    if first_col + repr(&items[1]).len() <= WIDTH && self.try_inline(&items[1], body) {
                        self.lines(&items[2..], body);
                    } else {
                        self.lines(&items[1..], body);
                    }
                }
            }
        }
        self.out.push(')');
    }

    /// `(hash-map k v ...)` and `(assoc m k v ...)`: a pair per line.
    fn pairs(&mut self, items: &[Value], head: &str, indent: usize) {
        let start = if head == "assoc" { 2 } else { 1 };
        if head == "assoc" && items.len() > 1 {
            self.out.push(' ');
            self.node(&items[1], indent);
        }
        for (i, item) in items.iter().enumerate().skip(start) {
            if (i - start) % 2 == 0 {
                self.newline(indent);
                self.node(item, indent);
            } else if self.col() + 1 + repr(item).len() > WIDTH || !self.try_inline(item, indent) {
                self.newline(indent + INDENT);
                self.node(item, indent + INDENT);
            }
        }
    }

    /// Vectors and binding lists: one line, or one element per line under the first.
    fn collection(&mut self, items: &[Value], indent: usize, open: &str, close: &str) {
        let flat = match open {
            "[" => repr(&Value::vector(items.to_vec())),
            _ => repr(&Value::list(items.to_vec())),
        };
        if items.is_empty() || indent + flat.len() <= WIDTH {
            self.out.push_str(&flat);
            return;
        }
        self.out.push_str(open);
        let inner = indent + open.len();
        self.node(&items[0], inner);
        self.lines(&items[1..], inner);
        self.out.push_str(close);
    }

    /// A long bytevector: as many bytes per line as fit, lines aligned after `#u8(`.
    fn bytes(&mut self, bytes: &[u8], indent: usize) {
        let inner = indent + "#u8(".len();
        self.out.push_str("#u8(");
        let mut col = inner;
        for (i, byte) in bytes.iter().enumerate() {
            let cell = byte.to_string();
            if i > 0 && col + 1 + cell.len() > WIDTH {
                self.newline(inner);
                col = inner;
            } else if i > 0 {
                self.out.push(' ');
                col += 1;
            }
            col += cell.len();
            self.out.push_str(&cell);
        }
        self.out.push(')');
    }

    /// Maps: one line, or one key and value per line under the first key.
    fn map(&mut self, items: &[Value], indent: usize, flat: &str) {
        if indent + flat.len() <= WIDTH {
            self.out.push_str(flat);
            return;
        }
        self.out.push('{');
        let inner = indent + 1;
        for (i, pair) in items.chunks(2).enumerate() {
            if i > 0 {
                self.newline(inner);
            }
            self.node(&pair[0], inner);
            if let Some(value) = pair.get(1) {
                self.out.push(' ');
                self.node(value, inner);
            }
        }
        self.out.push('}');
    }
}

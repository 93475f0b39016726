//! The reader: source text → [`Syntax`] data (LANGUAGE.md §2).
//!
//! The parser is iterative (an explicit stack of open brackets and pending sugar), so it
//! uses constant Rust stack whatever the input; nesting deeper than
//! [`MAX_NESTING_DEPTH`] is an error (`nesting too deep`). Partly built trees are taken
//! apart iteratively when an error is reported, so reading never recurses. (A caller that
//! walks or drops a very deep *result* recursively needs stack for it: in a debug build
//! the drop glue of a 10,000-deep list fits a 2 MB thread, derived `Clone`/`PartialEq`/
//! `Debug` of Syntax overflow it from about 2,000 levels.)
//!
//! Number tokens are delegated to `sema_runtime::number_syntax`, shared with
//! `string->number`.
//!
//! Where §2 is silent, this reader decides:
//! * The dot token is the symbol `.` wherever it appears; nothing checks that exactly one
//!   datum follows it (`(a . b c)` reads as 5 elements). Later passes judge it.
//! * An f-string interpolation is read in place: exactly one datum, then `}`
//!   (`${a b}` is an error). Literal pieces get the span of their first character; the
//!   `str` symbol and the list get the span of the `f`.
//! * A short lambda's `%N` counts when N is digits without a leading zero, at most 255;
//!   the whole body is scanned (quoted data too) except nested `(fn ...)`/`(lambda ...)`
//!   forms (which include inner `#(...)`). The lambda, its head and parameters have the
//!   span of `#`; the body list that of `(`.
//! * In a regex literal a backslash always takes the next character (`#"\\"` is two
//!   backslashes); only `\"` loses its backslash.
//! * Radix and exactness prefix letters may be upper case; `#x1/2` is a rational.
//! * Messages §2.10 does not spell: ``unexpected closing `)` ``,
//!   `expected keyword name after ':'`, `expected an expression after '` (also `` ` ``,
//!   `,`, `,@`, `@`), `unterminated vector` / `map` / `short lambda` / `bytevector`,
//!   `unterminated string` (also for f-strings and regex literals),
//!   `empty ${} in f-string`, `unterminated ${ in f-string`,
//!   ``expected `}` to close `${` in f-string``, `invalid number literal: TEXT`,
//!   `zero denominator in rational literal`,
//!   `no exact representation for #e1e400`,
//!   `bytevector element must be an integer literal 0..255`,
//!   `malformed \x escape: ...` (and `\u`, `\U`), `invalid unicode scalar value: \uD800`,
//!   `unknown character name: foo` (§2.7), `unexpected end of input after #` (and `#\`),
//!   `short lambda parameter %256 is too large (maximum %255)`, `nesting too deep`.
//! * Positions: errors about a bracketed form that never ends are at its opening
//!   bracket; bad escapes at their backslash; mismatched or stray closers at the closer;
//!   everything else at the start of the token or sugar.

use std::fmt;

use crate::syntax::{Span, Syntax, SyntaxKind};
use sema_runtime::number_syntax::{
    is_delimiter, number_token_len, parse_number, special_float, NumberLit,
};

/// How many brackets / sugar forms may be open at once.
pub const MAX_NESTING_DEPTH: usize = 10_000;

/// The highest short-lambda parameter `%N` (bounds the parameter list built).
const MAX_SHORT_LAMBDA_PARAM: usize = 255;

/// A reader error: where and what. `Display` is `LINE:COL: MESSAGE`; the program-level
/// report is `Reader error at {error}` and `(read ...)` uses `{message} at {span}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    pub span: Span,
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.span.line, self.span.col, self.message)
    }
}

impl std::error::Error for ReadError {}

/// Reads every form of a program.
pub fn read_program(source: &str) -> Result<Vec<Syntax>, ReadError> {
    let mut reader = Reader::new(source);
    let mut forms = Vec::new();
    loop {
        reader.skip_atmosphere();
        if reader.peek().is_none() {
            return Ok(forms);
        }
        match reader.read_datum() {
            Ok(form) => forms.push(form),
            Err(e) => {
                dispose(forms);
                return Err(e);
            }
        }
    }
}

/// reads exactly the first form (for later `read` support); Ok(None) on empty input
pub fn read_first(source: &str) -> Result<Option<Syntax>, ReadError> {
    let mut reader = Reader::new(source);
    reader.skip_atmosphere();
    if reader.peek().is_none() {
        return Ok(None);
    }
    reader.read_datum().map(Some)
}

// ---------------------------------------------------------------------------------------
// Characters

/// Symbol start characters (§2.3): Unicode alphabetic or one of `+-*/!?<>=_&%^~.`.
fn is_symbol_start(c: char) -> bool {
    c.is_alphabetic()
        || matches!(
            c,
            '+' | '-' | '*' | '/' | '!' | '?' | '<' | '>' | '=' | '_' | '&' | '%' | '^' | '~' | '.'
        )
}

/// Symbol continuation characters: the start characters, ASCII digits and `#`.
fn is_symbol_char(c: char) -> bool {
    is_symbol_start(c) || c.is_ascii_digit() || c == '#'
}

fn is_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// A character as shown inside `'...'` in messages (control characters escaped).
fn show_char(c: char) -> String {
    if c.is_control() {
        c.escape_debug().to_string()
    } else {
        c.to_string()
    }
}

// ---------------------------------------------------------------------------------------
// Parser state

#[derive(Clone, Copy, Debug, PartialEq)]
enum SeqKind {
    List,
    Vector,
    Map,
    ShortLambda,
}

impl SeqKind {
    fn closer(self) -> char {
        match self {
            SeqKind::List | SeqKind::ShortLambda => ')',
            SeqKind::Vector => ']',
            SeqKind::Map => '}',
        }
    }

    fn opener(self) -> &'static str {
        match self {
            SeqKind::List => "(",
            SeqKind::Vector => "[",
            SeqKind::Map => "{",
            SeqKind::ShortLambda => "#(",
        }
    }

    fn unterminated(self) -> &'static str {
        match self {
            SeqKind::List => "unterminated list",
            SeqKind::Vector => "unterminated vector",
            SeqKind::Map => "unterminated map",
            SeqKind::ShortLambda => "unterminated short lambda",
        }
    }
}

/// Something open, waiting for more data.
enum Frame {
    /// An open bracket collecting elements.
    Seq {
        kind: SeqKind,
        open: Span,
        items: Vec<Syntax>,
    },
    /// `'` `` ` `` `,` `,@` `@` waiting for its datum.
    Prefix {
        symbol: &'static str,
        sugar: &'static str,
        span: Span,
    },
    /// An f-string inside a `${`: `parts` are the `str` arguments so far, `dollar` is where
    /// the current `${` starts.
    FString {
        start: Span,
        parts: Vec<Syntax>,
        dollar: Span,
    },
}

/// Where an f-string's literal text stopped.
enum FStringStop {
    /// At the closing quote (consumed).
    End,
    /// At a `${` (consumed) starting at this position.
    Interpolation(Span),
}

struct Reader<'a> {
    src: &'a str,
    /// Byte offset of the next character.
    pos: usize,
    line: u32,
    col: u32,
}

fn err<T>(span: Span, message: impl Into<String>) -> Result<T, ReadError> {
    Err(ReadError {
        span,
        message: message.into(),
    })
}

impl<'a> Reader<'a> {
    fn new(src: &'a str) -> Reader<'a> {
        Reader {
            src,
            pos: 0,
            line: 1,
            col: 1,
        }
    }

    fn here(&self) -> Span {
        Span {
            line: self.line,
            col: self.col,
            file: 0,
        }
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek2(&self) -> Option<char> {
        let mut chars = self.rest().chars();
        chars.next();
        chars.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.col = 1;
        } else {
            self.col = self.col.saturating_add(1);
        }
        Some(c)
    }

    /// Advances to byte offset `end` (a char boundary at or after `pos`).
    fn bump_to(&mut self, end: usize) {
        while self.pos < end && self.bump().is_some() {}
    }

    /// The run of characters satisfying `pred` starting here (consumed).
    fn take_while(&mut self, pred: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if !pred(c) {
                break;
            }
            self.bump();
        }
        &self.src[start..self.pos]
    }

    /// Skips whitespace, `;` comments and a `#!` line at 1:1.
    fn skip_atmosphere(&mut self) {
        loop {
            match self.peek() {
                Some(c) if is_whitespace(c) => {
                    self.bump();
                }
                Some(';') => {
                    self.take_while(|c| c != '\n');
                }
                Some('#') if self.pos == 0 && self.peek2() == Some('!') => {
                    self.take_while(|c| c != '\n');
                }
                _ => return,
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // The datum loop

    /// Reads one datum; the caller has checked that input remains.
    fn read_datum(&mut self) -> Result<Syntax, ReadError> {
        let mut stack = Vec::new();
        let result = self.read_datum_with(&mut stack);
        if result.is_err() {
            for frame in stack {
                match frame {
                    Frame::Seq { items, .. } => dispose(items),
                    Frame::FString { parts, .. } => dispose(parts),
                    Frame::Prefix { .. } => {}
                }
            }
        }
        result
    }

    fn push_frame(&self, stack: &mut Vec<Frame>, frame: Frame, at: Span) -> Result<(), ReadError> {
        if stack.len() >= MAX_NESTING_DEPTH {
            return err(at, "nesting too deep");
        }
        stack.push(frame);
        Ok(())
    }

    fn read_datum_with(&mut self, stack: &mut Vec<Frame>) -> Result<Syntax, ReadError> {
        'next_datum: loop {
            self.skip_atmosphere();
            let start = self.here();
            let Some(c) = self.peek() else {
                return Err(eof_error(stack, start));
            };
            let mut done = match c {
                '(' | '[' | '{' => {
                    self.bump();
                    let kind = match c {
                        '(' => SeqKind::List,
                        '[' => SeqKind::Vector,
                        _ => SeqKind::Map,
                    };
                    self.push_frame(
                        stack,
                        Frame::Seq {
                            kind,
                            open: start,
                            items: Vec::new(),
                        },
                        start,
                    )?;
                    continue 'next_datum;
                }
                ')' | ']' | '}' => {
                    self.bump();
                    close(stack, c, start)?
                }
                '\'' | '`' | ',' | '@' => {
                    self.bump();
                    let (symbol, sugar) = match c {
                        '\'' => ("quote", "'"),
                        '`' => ("quasiquote", "`"),
                        '@' => ("deref", "@"),
                        _ if self.peek() == Some('@') => {
                            self.bump();
                            ("unquote-splicing", ",@")
                        }
                        _ => ("unquote", ","),
                    };
                    self.push_frame(
                        stack,
                        Frame::Prefix {
                            symbol,
                            sugar,
                            span: start,
                        },
                        start,
                    )?;
                    continue 'next_datum;
                }
                '"' => {
                    self.bump();
                    let text = self.read_string(start)?;
                    Syntax::new(SyntaxKind::Str(text), start)
                }
                'f' if self.peek2() == Some('"') => {
                    self.bump();
                    self.bump();
                    let mut parts = Vec::new();
                    match self.read_fstring_text(&mut parts, start) {
                        Ok(FStringStop::End) => fstring_form(start, parts),
                        Ok(FStringStop::Interpolation(dollar)) => {
                            let frame = Frame::FString {
                                start,
                                parts,
                                dollar,
                            };
                            self.push_frame(stack, frame, dollar)?;
                            continue 'next_datum;
                        }
                        Err(e) => {
                            dispose(parts);
                            return Err(e);
                        }
                    }
                }
                '#' => match self.read_hash(start)? {
                    Some(datum) => datum,
                    None => {
                        // `#(`: a short lambda opens.
                        let frame = Frame::Seq {
                            kind: SeqKind::ShortLambda,
                            open: start,
                            items: Vec::new(),
                        };
                        self.push_frame(stack, frame, start)?;
                        continue 'next_datum;
                    }
                },
                ':' => {
                    self.bump();
                    let name = self.take_while(is_symbol_char);
                    if name.is_empty() {
                        return err(start, "expected keyword name after ':'");
                    }
                    Syntax::new(SyntaxKind::Keyword(name.to_string()), start)
                }
                _ => self.read_atom(c, start)?,
            };
            // Hand the finished datum to whatever is waiting for it.
            loop {
                match stack.last_mut() {
                    None => return Ok(done),
                    Some(Frame::Seq { items, .. }) => {
                        items.push(done);
                        continue 'next_datum;
                    }
                    Some(Frame::Prefix { symbol, span, .. }) => {
                        let (symbol, span) = (*symbol, *span);
                        stack.pop();
                        let head = Syntax::new(SyntaxKind::Symbol(symbol.to_string()), span);
                        done = Syntax::new(SyntaxKind::List(vec![head, done]), span);
                    }
                    Some(Frame::FString {
                        start,
                        parts,
                        dollar,
                    }) => {
                        let fstart = *start;
                        parts.push(done);
                        self.skip_atmosphere();
                        match self.peek() {
                            Some('}') => {
                                self.bump();
                            }
                            None => return err(*dollar, "unterminated ${ in f-string"),
                            Some(_) => {
                                return err(self.here(), "expected `}` to close `${` in f-string")
                            }
                        }
                        match self.read_fstring_text(parts, fstart)? {
                            FStringStop::Interpolation(next) => {
                                *dollar = next;
                                continue 'next_datum;
                            }
                            FStringStop::End => {
                                let Some(Frame::FString { start, parts, .. }) = stack.pop() else {
                                    unreachable!("the top frame is the f-string");
                                };
                                done = fstring_form(start, parts);
                            }
                        }
                    }
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Atoms

    /// A number, symbol, or one of the special spellings, starting with `c`.
    fn read_atom(&mut self, c: char, start: Span) -> Result<Syntax, ReadError> {
        let len = number_token_len(self.rest());
        if len > 0 {
            return self.read_number(self.pos, len, start);
        }
        if !is_symbol_start(c) {
            return err(start, format!("unexpected character: '{}'", show_char(c)));
        }
        let name = self.take_while(is_symbol_char);
        let kind = match name {
            "true" => SyntaxKind::Bool(true),
            "false" => SyntaxKind::Bool(false),
            "nil" => SyntaxKind::Nil,
            _ => match special_float(name) {
                Some(f) => SyntaxKind::Float(f),
                None => SyntaxKind::Symbol(name.to_string()),
            },
        };
        Ok(Syntax::new(kind, start))
    }

    /// The number token `src[from..from + len]` (possibly with `#` prefixes), which starts
    /// at `start`; `from` is the current position or, after a `#`, the `#`.
    fn read_number(&mut self, from: usize, len: usize, start: Span) -> Result<Syntax, ReadError> {
        let text = &self.src[from..from + len];
        self.bump_to(from + len);
        // A bundle holds exact integers of at most this many digits; a longer literal
        // is refused here, where it has a position, rather than by the verifier.
        let digits = text.bytes().filter(u8::is_ascii_digit).count();
        if digits > bundle_format::limits::MAX_BIGINT_DIGITS {
            let most = bundle_format::limits::MAX_BIGINT_DIGITS;
            return err(start, format!("number literal too long: {digits} digits (the most a bundle holds is {most})"));
        }
        match parse_number(text) {
            Ok(Some(lit)) => Ok(Syntax::new(number_kind(lit), start)),
            Ok(None) => err(start, format!("invalid number literal: {text}")),
            Err(message) => err(start, message),
        }
    }

    /// After `#` (not yet consumed). Ok(None) means `#(` was consumed and a short lambda
    /// opens.
    fn read_hash(&mut self, start: Span) -> Result<Option<Syntax>, ReadError> {
        let hash_pos = self.pos;
        self.bump();
        let Some(c) = self.peek() else {
            return err(start, "unexpected end of input after #");
        };
        let kind = match c {
            't' | 'f' => {
                self.bump();
                SyntaxKind::Bool(c == 't')
            }
            '\\' => {
                self.bump();
                SyntaxKind::Char(self.read_char_name(start)?)
            }
            '(' => {
                self.bump();
                return Ok(None);
            }
            '"' => {
                self.bump();
                SyntaxKind::Str(self.read_regex(start)?)
            }
            'u' if self.rest().starts_with("u8(") => {
                self.bump_to(self.pos + 3);
                SyntaxKind::Bytevector(self.read_bytevector(start)?)
            }
            'x' | 'o' | 'b' | 'd' | 'e' | 'i' | 'X' | 'O' | 'B' | 'D' | 'E' | 'I' => {
                // The prefixes are part of the number text, from the `#`.
                let len = number_token_len(&self.src[hash_pos..]);
                if len == 0 {
                    // Report the text up to the next delimiter.
                    let end = self.src[hash_pos..]
                        .char_indices()
                        .find(|&(_, c)| is_delimiter(c))
                        .map_or(self.src.len(), |(i, _)| hash_pos + i);
                    return err(
                        start,
                        format!("invalid number literal: {}", &self.src[hash_pos..end]),
                    );
                }
                return self.read_number(hash_pos, len, start).map(Some);
            }
            _ => {
                return err(
                    start,
                    format!("unexpected character after #: '{}'", show_char(c)),
                )
            }
        };
        Ok(Some(Syntax::new(kind, start)))
    }

    /// After `#\`.
    fn read_char_name(&mut self, start: Span) -> Result<char, ReadError> {
        let Some(c) = self.peek() else {
            return err(start, "unexpected end of input after #\\");
        };
        if !c.is_alphabetic() {
            self.bump();
            return Ok(c);
        }
        let name = self.take_while(is_symbol_char);
        let mut chars = name.chars();
        if let (Some(only), None) = (chars.next(), chars.next()) {
            return Ok(only);
        }
        match name {
            "space" => Ok(' '),
            "newline" => Ok('\n'),
            "tab" => Ok('\t'),
            "return" => Ok('\r'),
            "nul" => Ok('\0'),
            _ => err(start, format!("unknown character name: {name}")),
        }
    }

    /// After the opening `"`; `start` is the string's first character.
    fn read_string(&mut self, start: Span) -> Result<String, ReadError> {
        let mut text = String::new();
        loop {
            let at = self.here();
            match self.bump() {
                None => return err(start, "unterminated string"),
                Some('"') => return Ok(text),
                Some('\\') => self.read_escape(&mut text, start, at)?,
                Some(c) => text.push(c),
            }
        }
    }

    /// After a backslash at `backslash` inside a string starting at `start`.
    fn read_escape(
        &mut self,
        out: &mut String,
        start: Span,
        backslash: Span,
    ) -> Result<(), ReadError> {
        let Some(c) = self.bump() else {
            return err(start, "unterminated string");
        };
        match c {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            '0' => out.push('\0'),
            '$' => out.push('$'),
            'x' => {
                let digits = self.take_while(|c| c.is_ascii_hexdigit());
                if digits.is_empty() || self.peek() != Some(';') {
                    return err(
                        backslash,
                        "malformed \\x escape: expected hex digits and ';'",
                    );
                }
                self.bump();
                let value = u32::from_str_radix(digits, 16)
                    .ok()
                    .and_then(char::from_u32);
                match value {
                    Some(ch) => out.push(ch),
                    None => {
                        return err(
                            backslash,
                            format!("invalid unicode scalar value: \\x{digits};"),
                        )
                    }
                }
            }
            'u' | 'U' => {
                let count = if c == 'u' { 4 } else { 8 };
                let digits_start = self.pos;
                for _ in 0..count {
                    match self.peek() {
                        Some(d) if d.is_ascii_hexdigit() => {
                            self.bump();
                        }
                        _ => {
                            return err(
                                backslash,
                                format!(
                                    "malformed \\{c} escape: expected exactly {count} hex digits"
                                ),
                            )
                        }
                    }
                }
                let digits = &self.src[digits_start..self.pos];
                match u32::from_str_radix(digits, 16)
                    .ok()
                    .and_then(char::from_u32)
                {
                    Some(ch) => out.push(ch),
                    None => {
                        return err(
                            backslash,
                            format!("invalid unicode scalar value: \\{c}{digits}"),
                        )
                    }
                }
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
        Ok(())
    }

    /// F-string literal text up to the closing quote or the next `${`; non-empty literal
    /// pieces are pushed to `parts` as strings. `start` is the f-string's `f`.
    fn read_fstring_text(
        &mut self,
        parts: &mut Vec<Syntax>,
        start: Span,
    ) -> Result<FStringStop, ReadError> {
        let mut text = String::new();
        let mut piece_start = self.here();
        let flush = |text: &mut String, piece_start: Span, parts: &mut Vec<Syntax>| {
            if !text.is_empty() {
                parts.push(Syntax::new(
                    SyntaxKind::Str(std::mem::take(text)),
                    piece_start,
                ));
            }
        };
        loop {
            let at = self.here();
            if text.is_empty() {
                piece_start = at;
            }
            match self.peek() {
                None => return err(start, "unterminated string"),
                Some('"') => {
                    self.bump();
                    flush(&mut text, piece_start, parts);
                    return Ok(FStringStop::End);
                }
                Some('$') if self.peek2() == Some('{') => {
                    self.bump();
                    self.bump();
                    flush(&mut text, piece_start, parts);
                    return Ok(FStringStop::Interpolation(at));
                }
                Some('\\') => {
                    self.bump();
                    self.read_escape(&mut text, start, at)?;
                }
                Some(c) => {
                    self.bump();
                    text.push(c);
                }
            }
        }
    }

    /// After `#"`: a regex literal. A backslash keeps the character after it, both
    /// characters verbatim except that `\"` gives `"`.
    fn read_regex(&mut self, start: Span) -> Result<String, ReadError> {
        let mut text = String::new();
        loop {
            match self.bump() {
                None => return err(start, "unterminated string"),
                Some('"') => return Ok(text),
                Some('\\') => match self.bump() {
                    None => return err(start, "unterminated string"),
                    Some('"') => text.push('"'),
                    Some(c) => {
                        text.push('\\');
                        text.push(c);
                    }
                },
                Some(c) => text.push(c),
            }
        }
    }

    /// After `#u8(`: integer literals 0..255 up to `)`.
    fn read_bytevector(&mut self, start: Span) -> Result<Vec<u8>, ReadError> {
        let mut bytes = Vec::new();
        loop {
            self.skip_atmosphere();
            let at = self.here();
            match self.peek() {
                None => return err(start, "unterminated bytevector"),
                Some(')') => {
                    self.bump();
                    return Ok(bytes);
                }
                Some(c @ (']' | '}')) => {
                    return err(
                        at,
                        format!("mismatched bracket: expected `)` to close `#u8(`, found `{c}`"),
                    )
                }
                Some(_) => {}
            }
            let len = number_token_len(self.rest());
            let byte = if len > 0 {
                let text = &self.rest()[..len];
                match parse_number(text) {
                    Ok(Some(NumberLit::Int(n))) => u8::try_from(n).ok(),
                    _ => None,
                }
            } else {
                None
            };
            match byte {
                Some(b) => {
                    bytes.push(b);
                    self.bump_to(self.pos + len);
                }
                None => return err(at, "bytevector element must be an integer literal 0..255"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Building forms

fn number_kind(lit: NumberLit) -> SyntaxKind {
    match lit {
        NumberLit::Int(n) => SyntaxKind::Int(n),
        NumberLit::BigInt(text) => SyntaxKind::BigInt(text),
        NumberLit::Float(f) => SyntaxKind::Float(f),
        NumberLit::Rational(n, d) => SyntaxKind::Rational(n, d),
        NumberLit::Complex(re, im) => SyntaxKind::Complex(Box::new(number_kind(*re)), Box::new(number_kind(*im))),
    }
}

fn symbol(name: &str, span: Span) -> Syntax {
    Syntax::new(SyntaxKind::Symbol(name.to_string()), span)
}

/// `(str part ...)` at the f-string's `f`.
fn fstring_form(start: Span, parts: Vec<Syntax>) -> Syntax {
    let mut items = Vec::with_capacity(parts.len() + 1);
    items.push(symbol("str", start));
    items.extend(parts);
    Syntax::new(SyntaxKind::List(items), start)
}

/// The error for running out of input with `stack` open.
fn eof_error(stack: &[Frame], at: Span) -> ReadError {
    let (span, message) = match stack.last() {
        None => (at, "unexpected end of input".to_string()),
        Some(Frame::Seq { kind, open, .. }) => (*open, kind.unterminated().to_string()),
        Some(Frame::Prefix { sugar, span, .. }) => {
            (*span, format!("expected an expression after {sugar}"))
        }
        Some(Frame::FString { dollar, .. }) => (*dollar, "unterminated ${ in f-string".to_string()),
    };
    ReadError { span, message }
}

/// A closing bracket `c` (consumed) at `at`.
fn close(stack: &mut Vec<Frame>, c: char, at: Span) -> Result<Syntax, ReadError> {
    match stack.last() {
        None => return err(at, format!("unexpected closing `{c}`")),
        Some(Frame::Prefix { sugar, span, .. }) => {
            return err(*span, format!("expected an expression after {sugar}"))
        }
        Some(Frame::FString { dollar, .. }) => {
            return if c == '}' {
                err(*dollar, "empty ${} in f-string")
            } else {
                err(
                    at,
                    format!("mismatched bracket: expected `}}` to close `${{`, found `{c}`"),
                )
            };
        }
        Some(Frame::Seq { kind, .. }) if kind.closer() != c => {
            return err(
                at,
                format!(
                    "mismatched bracket: expected `{}` to close `{}`, found `{c}`",
                    kind.closer(),
                    kind.opener()
                ),
            );
        }
        Some(Frame::Seq { .. }) => {}
    }
    let Some(Frame::Seq { kind, open, items }) = stack.pop() else {
        unreachable!("checked above");
    };
    match kind {
        SeqKind::List => Ok(Syntax::new(SyntaxKind::List(items), open)),
        SeqKind::Vector => Ok(Syntax::new(SyntaxKind::Vector(items), open)),
        SeqKind::Map => {
            if items.len() % 2 != 0 {
                dispose(items);
                return err(at, "map literal must have even number of forms");
            }
            let mut pairs = Vec::with_capacity(items.len() / 2);
            let mut items = items.into_iter();
            while let (Some(k), Some(v)) = (items.next(), items.next()) {
                pairs.push((k, v));
            }
            Ok(Syntax::new(SyntaxKind::Map(pairs), open))
        }
        SeqKind::ShortLambda => short_lambda(open, items),
    }
}

/// `#(items...)` at `open` → `(lambda (%1 .. %N) (items...))`.
fn short_lambda(open: Span, items: Vec<Syntax>) -> Result<Syntax, ReadError> {
    let body_span = Span {
        line: open.line,
        col: open.col.saturating_add(1),
        file: open.file,
    };
    let mut body = Syntax::new(SyntaxKind::List(items), body_span);
    let max = match rename_percent(&mut body) {
        Ok(max) => max,
        Err(e) => {
            dispose(vec![body]);
            return Err(e);
        }
    };
    let params = (1..=max).map(|i| symbol(&format!("%{i}"), open)).collect();
    let items = vec![
        symbol("lambda", open),
        Syntax::new(SyntaxKind::List(params), open),
        body,
    ];
    Ok(Syntax::new(SyntaxKind::List(items), open))
}

/// Renames bare `%` to `%1` in a short-lambda body and returns the highest parameter
/// index used, leaving alone any nested `(fn ...)` / `(lambda ...)` (which includes inner
/// short lambdas, already expanded). Iterative.
fn rename_percent(body: &mut Syntax) -> Result<usize, ReadError> {
    let mut max = 0;
    let mut pending: Vec<&mut Syntax> = vec![body];
    while let Some(node) = pending.pop() {
        let span = node.span;
        match &mut node.kind {
            SyntaxKind::Symbol(name) => {
                if name == "%" {
                    *name = "%1".to_string();
                    max = max.max(1);
                } else if let Some(digits) = name.strip_prefix('%') {
                    // `%N` counts when N is decimal digits without a leading zero.
                    if !digits.is_empty()
                        && digits.bytes().all(|b| b.is_ascii_digit())
                        && !digits.starts_with('0')
                    {
                        match digits.parse::<usize>() {
                            Ok(n) if n <= MAX_SHORT_LAMBDA_PARAM => max = max.max(n),
                            _ => {
                                return err(
                                    span,
                                    format!(
                                        "short lambda parameter {name} is too large \
                                         (maximum %{MAX_SHORT_LAMBDA_PARAM})"
                                    ),
                                )
                            }
                        }
                    }
                }
            }
            SyntaxKind::List(items) => {
                let head = items.first().and_then(Syntax::as_symbol);
                if !matches!(head, Some("fn" | "lambda")) {
                    pending.extend(items.iter_mut());
                }
            }
            SyntaxKind::Vector(items) => pending.extend(items.iter_mut()),
            SyntaxKind::Map(pairs) => {
                for (k, v) in pairs.iter_mut() {
                    pending.push(k);
                    pending.push(v);
                }
            }
            _ => {}
        }
    }
    Ok(max)
}

/// Drops syntax trees without recursion (for partly read input on the error path).
fn dispose(mut pending: Vec<Syntax>) {
    while let Some(node) = pending.pop() {
        match node.kind {
            SyntaxKind::List(items) | SyntaxKind::Vector(items) => pending.extend(items),
            SyntaxKind::Map(pairs) => {
                for (k, v) in pairs {
                    pending.push(k);
                    pending.push(v);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ----- helpers ---------------------------------------------------------------------

    fn sp(line: u32, col: u32) -> Span {
        Span { line, col, file: 0 }
    }
    fn at(kind: SyntaxKind, line: u32, col: u32) -> Syntax {
        Syntax::new(kind, sp(line, col))
    }
    fn no(kind: SyntaxKind) -> Syntax {
        Syntax::new(kind, Span::default())
    }
    fn sym(name: &str) -> Syntax {
        no(SyntaxKind::Symbol(name.to_string()))
    }
    fn kw(name: &str) -> Syntax {
        no(SyntaxKind::Keyword(name.to_string()))
    }
    fn int(n: i64) -> Syntax {
        no(SyntaxKind::Int(n))
    }
    fn flt(f: f64) -> Syntax {
        no(SyntaxKind::Float(f))
    }
    fn st(text: &str) -> Syntax {
        no(SyntaxKind::Str(text.to_string()))
    }
    fn ch(c: char) -> Syntax {
        no(SyntaxKind::Char(c))
    }
    fn boolean(b: bool) -> Syntax {
        no(SyntaxKind::Bool(b))
    }
    fn nil() -> Syntax {
        no(SyntaxKind::Nil)
    }
    fn l(items: Vec<Syntax>) -> Syntax {
        no(SyntaxKind::List(items))
    }
    fn v(items: Vec<Syntax>) -> Syntax {
        no(SyntaxKind::Vector(items))
    }
    fn m(pairs: Vec<(Syntax, Syntax)>) -> Syntax {
        no(SyntaxKind::Map(pairs))
    }
    fn bytes(b: &[u8]) -> Syntax {
        no(SyntaxKind::Bytevector(b.to_vec()))
    }

    /// The same tree with every span set to the default (small trees only).
    fn strip(s: Syntax) -> Syntax {
        let kind = match s.kind {
            SyntaxKind::List(items) => SyntaxKind::List(items.into_iter().map(strip).collect()),
            SyntaxKind::Vector(items) => SyntaxKind::Vector(items.into_iter().map(strip).collect()),
            SyntaxKind::Map(pairs) => SyntaxKind::Map(
                pairs
                    .into_iter()
                    .map(|(k, v)| (strip(k), strip(v)))
                    .collect(),
            ),
            other => other,
        };
        no(kind)
    }

    /// All forms, spans stripped.
    fn r(src: &str) -> Vec<Syntax> {
        match read_program(src) {
            Ok(forms) => forms.into_iter().map(strip).collect(),
            Err(e) => panic!("{src:?}: unexpected error {e}"),
        }
    }

    /// The only form, spans stripped.
    fn r1(src: &str) -> Syntax {
        let mut forms = r(src);
        assert_eq!(forms.len(), 1, "{src:?} read as {forms:?}");
        forms.pop().unwrap()
    }

    /// The error as (line, col, message).
    fn e(src: &str) -> (u32, u32, String) {
        match read_program(src) {
            Ok(forms) => panic!("{src:?}: expected an error, read {forms:?}"),
            Err(err) => (err.span.line, err.span.col, err.message),
        }
    }

    fn msg(line: u32, col: u32, text: &str) -> (u32, u32, String) {
        (line, col, text.to_string())
    }

    // ----- §2.1 whitespace, comments, shebang ------------------------------------------

    #[test]
    fn whitespace_and_comments() {
        let forms = read_program("  ; comment\n 1 ; x\n\t2\r\n;end").unwrap();
        assert_eq!(
            forms,
            vec![at(SyntaxKind::Int(1), 2, 2), at(SyntaxKind::Int(2), 3, 2)]
        );
        assert_eq!(r(""), vec![]);
        assert_eq!(r(" \t\r\n ; only a comment"), vec![]);
        assert_eq!(r("a;comment\nb"), vec![sym("a"), sym("b")]);
        assert_eq!(r("(a;c)\n)"), vec![l(vec![sym("a")])]);
        // Other Unicode whitespace is not whitespace.
        assert_eq!(e("\u{a0}1"), msg(1, 1, "unexpected character: '\u{a0}'"));
        assert_eq!(e("1\u{c}"), msg(1, 2, "unexpected character: '\\u{c}'"));
    }

    #[test]
    fn shebang() {
        let forms = read_program("#!/usr/bin/env sema\n(x)").unwrap();
        assert_eq!(
            forms,
            vec![at(
                SyntaxKind::List(vec![at(SyntaxKind::Symbol("x".into()), 2, 2)]),
                2,
                1
            )]
        );
        assert_eq!(r("#!"), vec![]);
        assert_eq!(e(" #!x"), msg(1, 2, "unexpected character after #: '!'"));
        assert_eq!(e("1\n#!x"), msg(2, 1, "unexpected character after #: '!'"));
        assert_eq!(e("1 #!x"), msg(1, 3, "unexpected character after #: '!'"));
    }

    #[test]
    fn comma_is_unquote_not_whitespace() {
        assert_eq!(
            r1("{:a 1, :b 2}"),
            m(vec![
                (kw("a"), int(1)),
                (l(vec![sym("unquote"), kw("b")]), int(2))
            ])
        );
        assert_eq!(r("a,b"), vec![sym("a"), l(vec![sym("unquote"), sym("b")])]);
        assert_eq!(
            r1("(1,2)"),
            l(vec![int(1), l(vec![sym("unquote"), int(2)])])
        );
    }

    // ----- §2.2 / §2.3 symbols and special spellings -----------------------------------

    #[test]
    fn symbols() {
        for name in [
            "a.b",
            "a/b",
            "->x",
            "<=>",
            "x#",
            "string/to-number",
            "nil?",
            "+",
            "-",
            "*",
            "/",
            "...",
            "λx",
            "_",
            "%",
            "%1",
            "^",
            "~a",
            "&rest",
            "!x",
            "?",
            "a1",
            "a-1",
            "é",
            "+5",
            ".5",
            "+-",
            "--5",
            "-x",
            "-.5",
            "set!",
            "x#y",
            "=",
            ">=",
            "+infinity",
            "INF",
            "True",
            "nil#",
            "e",
            "E10",
            "i",
        ] {
            assert_eq!(r1(name), sym(name), "{name}");
        }
        assert_eq!(r1("."), sym("."));
        assert_eq!(r("a:b"), vec![sym("a"), kw("b")]);
        assert_eq!(r("a'b"), vec![sym("a"), l(vec![sym("quote"), sym("b")])]);
        assert_eq!(r("a\"s\""), vec![sym("a"), st("s")]);
        assert_eq!(r("a@b"), vec![sym("a"), l(vec![sym("deref"), sym("b")])]);
        assert_eq!(e("|a|"), msg(1, 1, "unexpected character: '|'"));
        assert_eq!(e("a|b"), msg(1, 2, "unexpected character: '|'"));
        assert_eq!(e("$x"), msg(1, 1, "unexpected character: '$'"));
        assert_eq!(e("\\x"), msg(1, 1, "unexpected character: '\\'"));
        assert_eq!(e("٣"), msg(1, 1, "unexpected character: '٣'"));
    }

    #[test]
    fn special_spellings() {
        assert_eq!(r1("true"), boolean(true));
        assert_eq!(r1("false"), boolean(false));
        assert_eq!(r1("nil"), nil());
        for s in ["inf", "+inf", "Inf", "Infinity", "+Infinity"] {
            assert_eq!(r1(s), flt(f64::INFINITY), "{s}");
        }
        for s in ["-inf", "-Infinity"] {
            assert_eq!(r1(s), flt(f64::NEG_INFINITY), "{s}");
        }
        for s in ["nan", "NaN", "NAN", "+nan", "-nan"] {
            match r1(s).kind {
                SyntaxKind::Float(f) => assert!(f.is_nan(), "{s}"),
                other => panic!("{s}: {other:?}"),
            }
        }
        assert_eq!(r("(nil true)"), vec![l(vec![nil(), boolean(true)])]);
        assert_eq!(r1("truex"), sym("truex"));
        assert_eq!(r1("nil?"), sym("nil?"));
    }

    // ----- §2.4 keywords -----------------------------------------------------------------

    #[test]
    fn keywords() {
        assert_eq!(r1(":name"), kw("name"));
        assert_eq!(r1(":a/b"), kw("a/b"));
        assert_eq!(r1(":1"), kw("1"));
        assert_eq!(r1(":-"), kw("-"));
        assert_eq!(r1(":a#"), kw("a#"));
        assert_eq!(r1(":nil"), kw("nil"));
        assert_eq!(r(":a:b"), vec![kw("a"), kw("b")]);
        assert_eq!(r1("(:k)"), l(vec![kw("k")]));
        assert_eq!(e(":"), msg(1, 1, "expected keyword name after ':'"));
        assert_eq!(e("(a : b)"), msg(1, 4, "expected keyword name after ':'"));
        assert_eq!(e("::a"), msg(1, 1, "expected keyword name after ':'"));
        assert_eq!(e(":)"), msg(1, 1, "expected keyword name after ':'"));
    }

    // ----- §2.5 numbers ------------------------------------------------------------------

    #[test]
    #[allow(clippy::approx_constant)] // 3.14 is the spec's example
    fn numbers() {
        assert_eq!(r1("42"), int(42));
        assert_eq!(r1("-5"), int(-5));
        assert_eq!(r1("-0"), int(0));
        assert_eq!(r1("9223372036854775807"), int(i64::MAX));
        assert_eq!(
            r1("9223372036854775808"),
            no(SyntaxKind::BigInt("9223372036854775808".into()))
        );
        assert_eq!(
            r1("-9223372036854775809"),
            no(SyntaxKind::BigInt("-9223372036854775809".into()))
        );
        assert_eq!(r1("3.14"), flt(3.14));
        assert_eq!(r1("-0.5"), flt(-0.5));
        assert_eq!(r1("1e-9"), flt(1e-9));
        assert_eq!(r1("-2.5E6"), flt(-2.5e6));
        assert_eq!(r1("6.022e23"), flt(6.022e23));
        assert_eq!(r1("1e400"), flt(f64::INFINITY));
        assert_eq!(r1("1/3"), no(SyntaxKind::Rational("1".into(), "3".into())));
        assert_eq!(
            r1("-4/6"),
            no(SyntaxKind::Rational("-2".into(), "3".into()))
        );
        assert_eq!(r1("4/2"), int(2));
        let complex = |re: SyntaxKind, im: SyntaxKind| no(SyntaxKind::Complex(Box::new(re), Box::new(im)));
        assert_eq!(r1("3+4i"), complex(SyntaxKind::Int(3), SyntaxKind::Int(4)));
        assert_eq!(r1("1.5-2i"), complex(SyntaxKind::Float(1.5), SyntaxKind::Int(-2)));
        assert_eq!(r1("-i"), complex(SyntaxKind::Int(0), SyntaxKind::Int(-1)));
        assert_eq!(r1("3+0i"), int(3));
        assert_eq!(r1("#xFF"), int(255));
        assert_eq!(r1("#x-ff"), int(-255));
        assert_eq!(r1("#b101"), int(5));
        assert_eq!(r1("#o17"), int(15));
        assert_eq!(r1("#d10"), int(10));
        assert_eq!(
            r1("#e1.5"),
            no(SyntaxKind::Rational("3".into(), "2".into()))
        );
        assert_eq!(r1("#i1/2"), flt(0.5));
        assert_eq!(r1("#e#x10"), int(16));
        assert_eq!(r1("#X#I10"), flt(16.0));
        assert_eq!(r1("(- 5)"), l(vec![sym("-"), int(5)]));
        assert_eq!(r1("(-5)"), l(vec![int(-5)]));
    }

    #[test]
    fn number_splitting() {
        assert_eq!(r("123abc"), vec![int(123), sym("abc")]);
        assert_eq!(r("1e"), vec![int(1), sym("e")]);
        assert_eq!(r("1e+"), vec![int(1), sym("e+")]);
        assert_eq!(r("1."), vec![int(1), sym(".")]);
        assert_eq!(r("(1 . 2)"), vec![l(vec![int(1), sym("."), int(2)])]);
        assert_eq!(r(".5"), vec![sym(".5")]);
        assert_eq!(r("+5"), vec![sym("+5")]);
        assert_eq!(r("-5abc"), vec![int(-5), sym("abc")]);
        assert_eq!(r("1.5.5"), vec![flt(1.5), sym(".5")]);
        assert_eq!(r("0x10"), vec![int(0), sym("x10")]);
        assert_eq!(r("1_000"), vec![int(1), sym("_000")]);
        assert_eq!(r("1/x"), vec![int(1), sym("/x")]);
        assert_eq!(r("1+"), vec![int(1), sym("+")]);
        assert_eq!(r("1-2"), vec![int(1), int(-2)]);
        assert_eq!(r("12#t"), vec![int(12), boolean(true)]);
        assert_eq!(r("2in"), vec![int(2), sym("in")]);
        assert_eq!(r("3+4ix"), vec![int(3), sym("+4ix")]);
        let three_i = SyntaxKind::Complex(Box::new(SyntaxKind::Int(0)), Box::new(SyntaxKind::Int(3)));
        assert_eq!(r("1/2+3i"), vec![no(SyntaxKind::Rational("1".into(), "2".into())), no(three_i)]);
        assert_eq!(
            r("#e1.5abc"),
            vec![no(SyntaxKind::Rational("3".into(), "2".into())), sym("abc")]
        );
        assert_eq!(r("1λ"), vec![int(1), sym("λ")]);
        let forms = read_program("123abc").unwrap();
        assert_eq!(forms[1].span, sp(1, 4));
    }

    #[test]
    fn number_errors() {
        assert_eq!(e("1/0"), msg(1, 1, "zero denominator in rational literal"));
        assert_eq!(
            e("(a -3/00)"),
            msg(1, 4, "zero denominator in rational literal")
        );
        assert_eq!(
            e("#x1/0"),
            msg(1, 1, "zero denominator in rational literal")
        );
        assert_eq!(e("(3+1/0i)"), msg(1, 2, "zero denominator in rational literal"));
        assert_eq!(e("#x"), msg(1, 1, "invalid number literal: #x"));
        assert_eq!(e("(#x)"), msg(1, 2, "invalid number literal: #x"));
        assert_eq!(e("#xg"), msg(1, 1, "invalid number literal: #xg"));
        assert_eq!(e("#b102 x"), msg(1, 1, "invalid number literal: #b102"));
        assert_eq!(e("#xFFzz"), msg(1, 1, "invalid number literal: #xFFzz"));
        assert_eq!(e("#x#x1"), msg(1, 1, "invalid number literal: #x#x1"));
        assert_eq!(e("#e"), msg(1, 1, "invalid number literal: #e"));
        assert_eq!(
            e("#e1e400"),
            msg(1, 1, "no exact representation for #e1e400")
        );
    }

    // ----- §2.6 strings ------------------------------------------------------------------

    #[test]
    fn strings() {
        assert_eq!(r1(r#""hello""#), st("hello"));
        assert_eq!(r1(r#""""#), st(""));
        assert_eq!(r1("\"a\nb\""), st("a\nb"));
        assert_eq!(r1(r#""\n\t\r\\\"\0\$""#), st("\n\t\r\\\"\0$"));
        assert_eq!(r1(r#""\x41;""#), st("A"));
        assert_eq!(r1(r#""\x3bb;x""#), st("λx"));
        assert_eq!(r1(r#""\x1F600;""#), st("😀"));
        assert_eq!(r1(r#""\x0000000041;""#), st("A"));
        assert_eq!(r1(r#""\u00e9""#), st("é"));
        assert_eq!(r1(r#""\u00E9f""#), st("éf"));
        assert_eq!(r1(r#""\U0001F600""#), st("😀"));
        assert_eq!(r1(r#""\q""#), st("\\q"));
        assert_eq!(r1(r#""\q""#).kind, SyntaxKind::Str("\\q".into()));
        assert_eq!(r1(r#""\{\a""#), st("\\{\\a"));
        assert_eq!(r1("\"\\\nx\""), st("\\\nx"));
        assert_eq!(r1(r#""λ""#), st("λ"));
        assert_eq!(r1(r#""$x ${y}""#), st("$x ${y}"));
        assert_eq!(r(r#""a"b"#), vec![st("a"), sym("b")]);
    }

    #[test]
    fn string_errors() {
        assert_eq!(e(r#""abc"#), msg(1, 1, "unterminated string"));
        assert_eq!(e("(x \"abc\n\n"), msg(1, 4, "unterminated string"));
        assert_eq!(e(r#""abc\"#), msg(1, 1, "unterminated string"));
        assert_eq!(
            e(r#""ab\x41""#),
            msg(1, 4, "malformed \\x escape: expected hex digits and ';'")
        );
        assert_eq!(
            e(r#""\x;""#),
            msg(1, 2, "malformed \\x escape: expected hex digits and ';'")
        );
        assert_eq!(
            e(r#""\xZ;""#),
            msg(1, 2, "malformed \\x escape: expected hex digits and ';'")
        );
        assert_eq!(
            e(r#""\x110000;""#),
            msg(1, 2, "invalid unicode scalar value: \\x110000;")
        );
        assert_eq!(
            e(r#""\xD800;""#),
            msg(1, 2, "invalid unicode scalar value: \\xD800;")
        );
        assert_eq!(
            e(r#""\xFFFFFFFFFFFF;""#),
            msg(1, 2, "invalid unicode scalar value: \\xFFFFFFFFFFFF;")
        );
        assert_eq!(
            e(r#""\u00e""#),
            msg(1, 2, "malformed \\u escape: expected exactly 4 hex digits")
        );
        assert_eq!(
            e(r#""\u""#),
            msg(1, 2, "malformed \\u escape: expected exactly 4 hex digits")
        );
        assert_eq!(
            e(r#""\uD800""#),
            msg(1, 2, "invalid unicode scalar value: \\uD800")
        );
        assert_eq!(
            e(r#""\U0001F60""#),
            msg(1, 2, "malformed \\U escape: expected exactly 8 hex digits")
        );
        assert_eq!(
            e(r#""\U00110000""#),
            msg(1, 2, "invalid unicode scalar value: \\U00110000")
        );
        assert_eq!(
            e("\"\\u12"),
            msg(1, 2, "malformed \\u escape: expected exactly 4 hex digits")
        );
    }

    // ----- §2.7 characters ---------------------------------------------------------------

    #[test]
    fn characters() {
        assert_eq!(r1("#\\a"), ch('a'));
        assert_eq!(r1("#\\λ"), ch('λ'));
        assert_eq!(r1("#\\("), ch('('));
        assert_eq!(r1("#\\;"), ch(';'));
        assert_eq!(r1("#\\\""), ch('"'));
        assert_eq!(r1("#\\\\"), ch('\\'));
        assert_eq!(r1("#\\space"), ch(' '));
        assert_eq!(r1("#\\newline"), ch('\n'));
        assert_eq!(r1("#\\tab"), ch('\t'));
        assert_eq!(r1("#\\return"), ch('\r'));
        assert_eq!(r1("#\\nul"), ch('\0'));
        assert_eq!(r1("#\\ "), ch(' '));
        assert_eq!(r1("#\\A"), ch('A'));
        assert_eq!(r1("#\\)"), ch(')'));
        assert_eq!(r("#\\1a"), vec![ch('1'), sym("a")]);
        assert_eq!(r("#\\((x)"), vec![ch('('), l(vec![sym("x")])]);
        assert_eq!(r1("(#\\a #\\b)"), l(vec![ch('a'), ch('b')]));
        assert_eq!(r1("(#\\))"), l(vec![ch(')')]));
        assert_eq!(e("#\\foo"), msg(1, 1, "unknown character name: foo"));
        assert_eq!(
            e("(x #\\Space)"),
            msg(1, 4, "unknown character name: Space")
        );
        assert_eq!(e("#\\a1"), msg(1, 1, "unknown character name: a1"));
        assert_eq!(e("#\\x41"), msg(1, 1, "unknown character name: x41"));
        assert_eq!(e("#\\"), msg(1, 1, "unexpected end of input after #\\"));
    }

    // ----- §2.8 lists, dotted pairs, vectors, maps, bytevectors --------------------------

    #[test]
    fn lists_vectors_maps() {
        assert_eq!(r1("()"), l(vec![]));
        assert_eq!(r1("(a b c)"), l(vec![sym("a"), sym("b"), sym("c")]));
        assert_eq!(r1("(a . b)"), l(vec![sym("a"), sym("."), sym("b")]));
        assert_eq!(
            r1("(a b . c)"),
            l(vec![sym("a"), sym("b"), sym("."), sym("c")])
        );
        assert_eq!(r1("(. args)"), l(vec![sym("."), sym("args")]));
        assert_eq!(r1("[]"), v(vec![]));
        assert_eq!(
            r1("[1 [2] (3)]"),
            v(vec![int(1), v(vec![int(2)]), l(vec![int(3)])])
        );
        assert_eq!(r1("{}"), m(vec![]));
        assert_eq!(
            r1("{:b 2 :a 1}"),
            m(vec![(kw("b"), int(2)), (kw("a"), int(1))])
        );
        assert_eq!(
            r1("{:a 1 :a 2}"),
            m(vec![(kw("a"), int(1)), (kw("a"), int(2))])
        );
        assert_eq!(
            r1("{[1] {:x (y)}}"),
            m(vec![(
                v(vec![int(1)]),
                m(vec![(kw("x"), l(vec![sym("y")]))])
            )])
        );
        assert_eq!(
            e("{:a}"),
            msg(1, 4, "map literal must have even number of forms")
        );
        assert_eq!(
            e("{:a 1\n :b}"),
            msg(2, 4, "map literal must have even number of forms")
        );
    }

    #[test]
    fn bytevectors() {
        assert_eq!(r1("#u8(1 2 255)"), bytes(&[1, 2, 255]));
        assert_eq!(r1("#u8()"), bytes(&[]));
        assert_eq!(r1("#u8( 0 ; c\n 7 )"), bytes(&[0, 7]));
        assert_eq!(r1("#u8(#xff 0)"), bytes(&[255, 0]));
        assert_eq!(r1("(#u8(1))"), l(vec![bytes(&[1])]));
        let msg_bad = "bytevector element must be an integer literal 0..255";
        assert_eq!(e("#u8(256)"), msg(1, 5, msg_bad));
        assert_eq!(e("#u8(1 -1)"), msg(1, 7, msg_bad));
        assert_eq!(e("#u8(1.0)"), msg(1, 5, msg_bad));
        assert_eq!(e("#u8(a)"), msg(1, 5, msg_bad));
        assert_eq!(e("#u8((1))"), msg(1, 5, msg_bad));
        assert_eq!(e("#u8(1/2)"), msg(1, 5, msg_bad));
        assert_eq!(e("#u8(1"), msg(1, 1, "unterminated bytevector"));
        assert_eq!(
            e("#u8(1]"),
            msg(
                1,
                6,
                "mismatched bracket: expected `)` to close `#u8(`, found `]`"
            )
        );
        assert_eq!(e("#u8[1]"), msg(1, 1, "unexpected character after #: 'u'"));
        assert_eq!(e("#u(1)"), msg(1, 1, "unexpected character after #: 'u'"));
        assert_eq!(r("#u8(1)2"), vec![bytes(&[1]), int(2)]);
    }

    #[test]
    fn bracket_errors() {
        assert_eq!(
            e("(1 2]"),
            msg(
                1,
                5,
                "mismatched bracket: expected `)` to close `(`, found `]`"
            )
        );
        assert_eq!(
            e("[1 2)"),
            msg(
                1,
                5,
                "mismatched bracket: expected `]` to close `[`, found `)`"
            )
        );
        assert_eq!(
            e("{1 2)"),
            msg(
                1,
                5,
                "mismatched bracket: expected `}` to close `{`, found `)`"
            )
        );
        assert_eq!(
            e("(a [b})"),
            msg(
                1,
                6,
                "mismatched bracket: expected `]` to close `[`, found `}`"
            )
        );
        assert_eq!(
            e("#(x]"),
            msg(
                1,
                4,
                "mismatched bracket: expected `)` to close `#(`, found `]`"
            )
        );
        assert_eq!(e("(1 2"), msg(1, 1, "unterminated list"));
        assert_eq!(e("  [1"), msg(1, 3, "unterminated vector"));
        assert_eq!(e("x\n  {:a"), msg(2, 3, "unterminated map"));
        assert_eq!(e("(a (b"), msg(1, 4, "unterminated list"));
        assert_eq!(e("(a (b)"), msg(1, 1, "unterminated list"));
        assert_eq!(e("#(+ 1"), msg(1, 1, "unterminated short lambda"));
        assert_eq!(e(")"), msg(1, 1, "unexpected closing `)`"));
        assert_eq!(e("(a) ]"), msg(1, 5, "unexpected closing `]`"));
        assert_eq!(e("}"), msg(1, 1, "unexpected closing `}`"));
    }

    // ----- §2.9 quote family and sugar ---------------------------------------------------

    #[test]
    fn quote_family() {
        assert_eq!(r1("'x"), l(vec![sym("quote"), sym("x")]));
        assert_eq!(r1("`x"), l(vec![sym("quasiquote"), sym("x")]));
        assert_eq!(r1(",x"), l(vec![sym("unquote"), sym("x")]));
        assert_eq!(r1(",@x"), l(vec![sym("unquote-splicing"), sym("x")]));
        assert_eq!(r1("@x"), l(vec![sym("deref"), sym("x")]));
        assert_eq!(
            r1(", @x"),
            l(vec![sym("unquote"), l(vec![sym("deref"), sym("x")])])
        );
        assert_eq!(r1("'(1 2)"), l(vec![sym("quote"), l(vec![int(1), int(2)])]));
        assert_eq!(
            r1("''x"),
            l(vec![sym("quote"), l(vec![sym("quote"), sym("x")])])
        );
        assert_eq!(r1("' ; c\n x"), l(vec![sym("quote"), sym("x")]));
        assert_eq!(
            r1("`(a ,b ,@c)"),
            l(vec![
                sym("quasiquote"),
                l(vec![
                    sym("a"),
                    l(vec![sym("unquote"), sym("b")]),
                    l(vec![sym("unquote-splicing"), sym("c")])
                ])
            ])
        );
        // Spans: the quote character, for the list and its head symbol.
        let forms = read_program(" 'x").unwrap();
        assert_eq!(
            forms,
            vec![at(
                SyntaxKind::List(vec![
                    at(SyntaxKind::Symbol("quote".into()), 1, 2),
                    at(SyntaxKind::Symbol("x".into()), 1, 3)
                ]),
                1,
                2
            )]
        );
        assert_eq!(e("'"), msg(1, 1, "expected an expression after '"));
        assert_eq!(e("(a ')"), msg(1, 4, "expected an expression after '"));
        assert_eq!(e("(a ,@)"), msg(1, 4, "expected an expression after ,@"));
        assert_eq!(e("`"), msg(1, 1, "expected an expression after `"));
        assert_eq!(e("x @"), msg(1, 3, "expected an expression after @"));
        assert_eq!(e("[,]"), msg(1, 2, "expected an expression after ,"));
    }

    #[test]
    fn short_lambda() {
        let lambda = |params: &[&str], body: Syntax| {
            l(vec![
                sym("lambda"),
                l(params.iter().map(|p| sym(p)).collect()),
                body,
            ])
        };
        assert_eq!(
            r1("#(+ % 1)"),
            lambda(&["%1"], l(vec![sym("+"), sym("%1"), int(1)]))
        );
        assert_eq!(
            r1("#(+ %1 %2)"),
            lambda(&["%1", "%2"], l(vec![sym("+"), sym("%1"), sym("%2")]))
        );
        assert_eq!(
            r1("#(list %1 %3)"),
            lambda(
                &["%1", "%2", "%3"],
                l(vec![sym("list"), sym("%1"), sym("%3")])
            )
        );
        assert_eq!(r1("#(foo)"), lambda(&[], l(vec![sym("foo")])));
        assert_eq!(r1("#()"), lambda(&[], l(vec![])));
        assert_eq!(
            r1("#(+ % %)"),
            lambda(&["%1"], l(vec![sym("+"), sym("%1"), sym("%1")]))
        );
        assert_eq!(
            r1("#(vector-ref % [%2 {:k %3}])"),
            lambda(
                &["%1", "%2", "%3"],
                l(vec![
                    sym("vector-ref"),
                    sym("%1"),
                    v(vec![sym("%2"), m(vec![(kw("k"), sym("%3"))])])
                ])
            )
        );
        // `%` inside a nested fn / lambda / #( belongs to the inner function.
        assert_eq!(
            r1("#(map (fn [x] (+ x %)) %2)"),
            lambda(
                &["%1", "%2"],
                l(vec![
                    sym("map"),
                    l(vec![
                        sym("fn"),
                        v(vec![sym("x")]),
                        l(vec![sym("+"), sym("x"), sym("%")])
                    ]),
                    sym("%2")
                ])
            )
        );
        assert_eq!(
            r1("#(map (lambda (x) %3) %)"),
            lambda(
                &["%1"],
                l(vec![
                    sym("map"),
                    l(vec![sym("lambda"), l(vec![sym("x")]), sym("%3")]),
                    sym("%1")
                ])
            )
        );
        assert_eq!(
            r1("#(map #(* % 2) %)"),
            lambda(
                &["%1"],
                l(vec![
                    sym("map"),
                    lambda(&["%1"], l(vec![sym("*"), sym("%1"), int(2)])),
                    sym("%1")
                ])
            )
        );
        assert_eq!(
            r1("#(fn [] %)"),
            lambda(&[], l(vec![sym("fn"), v(vec![]), sym("%")]))
        );
        // Not parameters: %0, leading zeros, other %-symbols.
        assert_eq!(
            r1("#(f %0 %01 %a %&)"),
            lambda(
                &[],
                l(vec![sym("f"), sym("%0"), sym("%01"), sym("%a"), sym("%&")])
            )
        );
        // Quoted data is scanned too.
        assert_eq!(
            r1("#(f '%)"),
            lambda(&["%1"], l(vec![sym("f"), l(vec![sym("quote"), sym("%1")])]))
        );
        assert_eq!(
            r1("#(f %255)").as_list().unwrap()[1]
                .as_list()
                .unwrap()
                .len(),
            255
        );
        assert_eq!(
            e("(x #(f %256))"),
            msg(
                1,
                8,
                "short lambda parameter %256 is too large (maximum %255)"
            )
        );
        assert_eq!(
            e("#(f %99999999999999999999999)"),
            msg(
                1,
                5,
                "short lambda parameter %99999999999999999999999 is too large (maximum %255)"
            )
        );
        // Spans: the lambda form, its head and parameters at `#`; the body at `(`.
        let form = read_program("x #(g %)").unwrap().pop().unwrap();
        assert_eq!(form.span, sp(1, 3));
        let items = form.as_list().unwrap();
        assert_eq!(items[0], at(SyntaxKind::Symbol("lambda".into()), 1, 3));
        assert_eq!(
            items[1],
            at(
                SyntaxKind::List(vec![at(SyntaxKind::Symbol("%1".into()), 1, 3)]),
                1,
                3
            )
        );
        assert_eq!(
            items[2],
            at(
                SyntaxKind::List(vec![
                    at(SyntaxKind::Symbol("g".into()), 1, 5),
                    at(SyntaxKind::Symbol("%1".into()), 1, 7)
                ]),
                1,
                4
            )
        );
    }

    #[test]
    fn fstrings() {
        let strf = |parts: Vec<Syntax>| {
            let mut items = vec![sym("str")];
            items.extend(parts);
            l(items)
        };
        assert_eq!(
            r1(r#"f"a ${e} b""#),
            strf(vec![st("a "), sym("e"), st(" b")])
        );
        assert_eq!(r1(r#"f"${x}""#), strf(vec![sym("x")]));
        assert_eq!(r1(r#"f"""#), strf(vec![]));
        assert_eq!(r1(r#"f"abc""#), strf(vec![st("abc")]));
        assert_eq!(r1(r#"f"${a}${b}""#), strf(vec![sym("a"), sym("b")]));
        assert_eq!(r1(r#"f"${ a }""#), strf(vec![sym("a")]));
        assert_eq!(
            r1(r#"f"x=${(+ 1 2)} k=${:k} s=${"s"} l=${'(1 "a")}""#),
            strf(vec![
                st("x="),
                l(vec![sym("+"), int(1), int(2)]),
                st(" k="),
                kw("k"),
                st(" s="),
                st("s"),
                st(" l="),
                l(vec![sym("quote"), l(vec![int(1), st("a")])]),
            ])
        );
        assert_eq!(r1(r#"f"${nil}""#), strf(vec![nil()]));
        // Braces nest.
        assert_eq!(
            r1(r#"f"m=${(get {:a {:b 1}} :a)}!""#),
            strf(vec![
                st("m="),
                l(vec![
                    sym("get"),
                    m(vec![(kw("a"), m(vec![(kw("b"), int(1))]))]),
                    kw("a")
                ]),
                st("!")
            ])
        );
        assert_eq!(r1(r#"f"${"}"}""#), strf(vec![st("}")]));
        assert_eq!(r1(r#"f"${#\}}""#), strf(vec![ch('}')]));
        // Escapes; `\$` and a `$` without `{` are literal.
        assert_eq!(r1(r#"f"\${x}""#), strf(vec![st("${x}")]));
        assert_eq!(r1(r#"f"$x $ {y}""#), strf(vec![st("$x $ {y}")]));
        assert_eq!(r1(r#"f"a\n\x41;\q\"""#), strf(vec![st("a\nA\\q\"")]));
        assert_eq!(r1(r#"f"${x}}""#), strf(vec![sym("x"), st("}")]));
        // Nested f-strings.
        assert_eq!(
            r1(r#"f"a ${f"b ${c}"} d""#),
            strf(vec![st("a "), strf(vec![st("b "), sym("c")]), st(" d")])
        );
        // Spans: `str` and the list at `f`, literal pieces at their first char, embedded
        // forms where they are.
        let form = read_program("x f\"a\n${y}b\"").unwrap().pop().unwrap();
        assert_eq!(
            form,
            at(
                SyntaxKind::List(vec![
                    at(SyntaxKind::Symbol("str".into()), 1, 3),
                    at(SyntaxKind::Str("a\n".into()), 1, 5),
                    at(SyntaxKind::Symbol("y".into()), 2, 3),
                    at(SyntaxKind::Str("b".into()), 2, 5),
                ]),
                1,
                3
            )
        );
        // `f` not at the start of a token is not an f-string.
        assert_eq!(r(r#"elf"x""#), vec![sym("elf"), st("x")]);
        assert_eq!(r("f \"x\""), vec![sym("f"), st("x")]);
    }

    #[test]
    fn fstring_errors() {
        assert_eq!(e(r#"f"a ${} b""#), msg(1, 5, "empty ${} in f-string"));
        assert_eq!(e(r#"f"${ }""#), msg(1, 3, "empty ${} in f-string"));
        assert_eq!(e(r#"f"a ${x"#), msg(1, 5, "unterminated ${ in f-string"));
        assert_eq!(e(r#"f"a ${"#), msg(1, 5, "unterminated ${ in f-string"));
        assert_eq!(
            e(r#"f"a ${x b}""#),
            msg(1, 9, "expected `}` to close `${` in f-string")
        );
        assert_eq!(
            e(r#"f"a ${x" b"#),
            msg(1, 8, "expected `}` to close `${` in f-string")
        );
        assert_eq!(
            e(r#"f"${)}""#),
            msg(
                1,
                5,
                "mismatched bracket: expected `}` to close `${`, found `)`"
            )
        );
        assert_eq!(
            e(r#"f"${(a}""#),
            msg(
                1,
                7,
                "mismatched bracket: expected `)` to close `(`, found `}`"
            )
        );
        assert_eq!(e(r#"(f"abc"#), msg(1, 2, "unterminated string"));
        assert_eq!(e(r#"f"${x}abc"#), msg(1, 1, "unterminated string"));
        assert_eq!(
            e(r#"f"\u12""#),
            msg(1, 3, "malformed \\u escape: expected exactly 4 hex digits")
        );
    }

    #[test]
    fn regex_literals() {
        assert_eq!(r1(r#"#"\d+""#), st("\\d+"));
        assert_eq!(r1(r#"#"a\"b""#), st("a\"b"));
        assert_eq!(r1(r#"#"\\""#), st("\\\\"));
        assert_eq!(r1(r#"#"\n\x41;""#), st("\\n\\x41;"));
        assert_eq!(r1(r#"#"${x}""#), st("${x}"));
        assert_eq!(r1("#\"a\nb\""), st("a\nb"));
        assert_eq!(e(r#"#"abc"#), msg(1, 1, "unterminated string"));
        assert_eq!(e(r#"x #"abc\"#), msg(1, 3, "unterminated string"));
    }

    #[test]
    fn hash_dispatch() {
        assert_eq!(r1("#t"), boolean(true));
        assert_eq!(r1("#f"), boolean(false));
        assert_eq!(r("#true"), vec![boolean(true), sym("rue")]);
        assert_eq!(r("#false"), vec![boolean(false), sym("alse")]);
        assert_eq!(r("#t#f"), vec![boolean(true), boolean(false)]);
        assert_eq!(r("(#t)"), vec![l(vec![boolean(true)])]);
        assert_eq!(e("#|a|#"), msg(1, 1, "unexpected character after #: '|'"));
        assert_eq!(e("(a #;b)"), msg(1, 4, "unexpected character after #: ';'"));
        assert_eq!(e("#q"), msg(1, 1, "unexpected character after #: 'q'"));
        assert_eq!(e("#T"), msg(1, 1, "unexpected character after #: 'T'"));
        assert_eq!(e("# t"), msg(1, 1, "unexpected character after #: ' '"));
        assert_eq!(e("#\n"), msg(1, 1, "unexpected character after #: '\\n'"));
        assert_eq!(e("#{}"), msg(1, 1, "unexpected character after #: '{'"));
        assert_eq!(e("#"), msg(1, 1, "unexpected end of input after #"));
    }

    // ----- positions -----------------------------------------------------------------------

    #[test]
    fn spans() {
        let forms = read_program("(a\n  [b \"λλ\" c])").unwrap();
        assert_eq!(
            forms,
            vec![at(
                SyntaxKind::List(vec![
                    at(SyntaxKind::Symbol("a".into()), 1, 2),
                    at(
                        SyntaxKind::Vector(vec![
                            at(SyntaxKind::Symbol("b".into()), 2, 4),
                            at(SyntaxKind::Str("λλ".into()), 2, 6),
                            at(SyntaxKind::Symbol("c".into()), 2, 11),
                        ]),
                        2,
                        3
                    ),
                ]),
                1,
                1
            )]
        );
        // A multi-line string moves the position on.
        let forms = read_program("\"a\nbc\" x").unwrap();
        assert_eq!(forms[1].span, sp(2, 5));
        // Maps keep each key's and value's own span.
        let forms = read_program("{:a 1}").unwrap();
        assert_eq!(
            forms[0],
            at(
                SyntaxKind::Map(vec![(
                    at(SyntaxKind::Keyword("a".into()), 1, 2),
                    at(SyntaxKind::Int(1), 1, 5)
                )]),
                1,
                1
            )
        );
        // Tabs and CR count as one column each.
        let forms = read_program("\t\rx").unwrap();
        assert_eq!(forms[0].span, sp(1, 3));
        assert_eq!(e("λλλ |"), msg(1, 5, "unexpected character: '|'"));
    }

    #[test]
    fn read_first_reads_one_form() {
        assert_eq!(read_first(""), Ok(None));
        assert_eq!(read_first("  ; nothing\n"), Ok(None));
        assert_eq!(read_first("#!/bin/sema\n"), Ok(None));
        assert_eq!(read_first("1 2").map(|f| f.map(strip)), Ok(Some(int(1))));
        assert_eq!(
            read_first(" (a) )").map(|f| f.map(strip)),
            Ok(Some(l(vec![sym("a")])))
        );
        assert_eq!(read_first(" x").unwrap().unwrap().span, sp(1, 2));
        let error = read_first("(1 2").unwrap_err();
        assert_eq!(
            error,
            ReadError {
                span: sp(1, 1),
                message: "unterminated list".into()
            }
        );
        assert_eq!(error.to_string(), "1:1: unterminated list");
        assert_eq!(
            read_first(")").unwrap_err().message,
            "unexpected closing `)`"
        );
    }

    #[test]
    fn error_display() {
        let error = read_program("(a\n  (b c]").unwrap_err();
        assert_eq!(
            error.to_string(),
            "2:7: mismatched bracket: expected `)` to close `(`, found `]`"
        );
        assert_eq!(
            read_program("(x").unwrap_err().to_string(),
            "1:1: unterminated list"
        );
    }

    // ----- depth and robustness ------------------------------------------------------------

    /// Runs `f` on a thread with the default 2 MB test stack.
    fn on_small_stack(f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap();
    }

    fn nested(depth: usize, open: &str, close: &str) -> String {
        format!("{}x{}", open.repeat(depth), close.repeat(depth))
    }

    /// Depth of a chain of single-element lists, walked iteratively.
    fn list_depth(mut s: &Syntax) -> usize {
        let mut depth = 0;
        while let Some(items) = s.as_list() {
            depth += 1;
            match items.last() {
                Some(last) => s = last,
                None => break,
            }
        }
        depth
    }

    #[test]
    fn deep_nesting_within_limit() {
        on_small_stack(|| {
            let forms = read_program(&nested(MAX_NESTING_DEPTH, "(", ")")).unwrap();
            assert_eq!(list_depth(&forms[0]), MAX_NESTING_DEPTH);
            dispose(forms);
            let forms = read_program(&nested(MAX_NESTING_DEPTH, "[", "]")).unwrap();
            dispose(forms);
            let forms = read_program(&format!("{}x", "'".repeat(MAX_NESTING_DEPTH))).unwrap();
            assert_eq!(list_depth(&forms[0]), MAX_NESTING_DEPTH);
            dispose(forms);
            let forms = read_program(&nested(MAX_NESTING_DEPTH, "#(", ")")).unwrap();
            dispose(forms);
        });
    }

    #[test]
    fn too_deep_is_an_error() {
        on_small_stack(|| {
            let limit = MAX_NESTING_DEPTH as u32;
            assert_eq!(
                e(&nested(MAX_NESTING_DEPTH + 1, "(", ")")),
                msg(1, limit + 1, "nesting too deep")
            );
            assert_eq!(
                e(&nested(100_000, "(", ")")),
                msg(1, limit + 1, "nesting too deep")
            );
            assert_eq!(
                e(&"(".repeat(100_000)),
                msg(1, limit + 1, "nesting too deep")
            );
            assert_eq!(
                e(&"[{".repeat(100_000)),
                msg(1, limit + 1, "nesting too deep")
            );
            assert_eq!(
                e(&format!("{}x", "'".repeat(100_000))),
                msg(1, limit + 1, "nesting too deep")
            );
            assert_eq!(
                e(&"#(".repeat(100_000)),
                msg(1, 2 * limit + 1, "nesting too deep")
            );
            assert_eq!(
                e(&"f\"${".repeat(100_000)),
                msg(1, 4 * limit + 3, "nesting too deep")
            );
        });
    }

    #[test]
    fn deep_errors_do_not_overflow() {
        on_small_stack(|| {
            // A complete 10,000-deep form, then an error: the read forms are dropped.
            let src = format!("{} )", nested(MAX_NESTING_DEPTH, "(", ")"));
            assert_eq!(e(&src).2, "unexpected closing `)`");
            // An error with deep finished children inside open frames.
            let src = format!("({} ]", nested(MAX_NESTING_DEPTH - 1, "[", "]"));
            assert_eq!(
                e(&src).2,
                "mismatched bracket: expected `)` to close `(`, found `]`"
            );
            let src = format!("{{:a 1 {}}}", nested(MAX_NESTING_DEPTH - 1, "(", ")"));
            assert_eq!(e(&src).2, "map literal must have even number of forms");
            let src = format!("#({} %256)", nested(MAX_NESTING_DEPTH - 1, "(", ")"));
            assert_eq!(
                e(&src).2,
                "short lambda parameter %256 is too large (maximum %255)"
            );
            // A deep short-lambda body is renamed without recursion.
            let src = nested(MAX_NESTING_DEPTH - 1, "#(", ")").replace('x', "%");
            dispose(read_program(&src).unwrap());
        });
    }

    /// Never panics: a deterministic pseudo-random soup of reader-relevant characters.
    #[test]
    fn no_panics_on_junk() {
        const ALPHABET: &[&str] = &[
            "(", ")", "[", "]", "{", "}", "\"", "'", "`", ",", ",@", "@", ";", "\n", " ", "#",
            "#\\", "#(", "#u8(", "#x", "#e", "#i", "f\"", "${", "}", "$", "\\", "\\x", "\\u",
            "\\U", ";", ":", ".", "1", "-", "+", "/", "e", "i", "λ", "%", "%2", "a", "0", "9", "F",
            "#!", "\r", "\t", "|", "é", "😀", "nil", "inf",
        ];
        let mut seed: u64 = 0x5eed;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for _ in 0..20_000 {
            let len = next() % 24;
            let src: String = (0..len)
                .map(|_| ALPHABET[next() % ALPHABET.len()])
                .collect();
            if let Ok(forms) = read_program(&src) {
                dispose(forms);
            }
            let _ = read_first(&src);
        }
        // Every prefix of a realistic program.
        let program = "#!/x\n(define (f x . r) `(,x ,@r 'q @d))\n{:a [1 2.5 -3/4 #xff] :b f\"v=${(f 1)}\\n\"}\n#(+ % %2) #u8(1 2) #\\space #\"\\d\" ; end";
        let chars: Vec<char> = program.chars().collect();
        for i in 0..=chars.len() {
            let prefix: String = chars[..i].iter().collect();
            let _ = read_program(&prefix);
        }
        assert_eq!(read_program(program).unwrap().len(), 6);
    }
}

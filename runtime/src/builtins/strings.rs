//! Strings, characters, symbols and keywords as text, number ↔ string conversion and
//! `type` (LANGUAGE.md §3.1, §7.4, §12.5, §12.6, §12.7).
//!
//! Strings are indexed by Unicode scalar value, never by byte: every index a program
//! passes or receives is a char index. `string/split` is on the 1BRC hot path and
//! searches with `memchr`.

use memchr::memmem;
use num_bigint::{BigInt, BigUint};
use num_rational::BigRational;

use super::{pure, with_vm, Builtin};
use crate::error::{Error, Result};
use crate::list::List;
use crate::num;
use crate::number_syntax::{parse_rust_float, string_to_number, NumberLit};
use crate::printer::{repr, write_display};
use crate::value::Value;
use crate::vm::Vm;

pub static BUILTINS: &[Builtin] = &[
    // Length, indexing, slicing.
    pure("string/length", 1, Some(1), |a| length(&a[0])).alias_of("string-length"),
    pure("string-length", 1, Some(1), |a| length(&a[0])),
    pure("string/ref", 2, Some(2), |a| char_at(&a[0], &a[1])).alias_of("string-ref"),
    pure("string-ref", 2, Some(2), |a| char_at(&a[0], &a[1])),
    pure("substring", 2, Some(3), slice),
    pure("string/slice", 2, Some(3), slice).alias_of("substring"),
    pure("string/byte-length", 1, Some(1), |a| Ok(Value::Int(a[0].expect_str()?.len() as i64))),
    pure("string/empty?", 1, Some(1), |a| Ok(Value::Bool(a[0].expect_str()?.is_empty()))),
    // Splitting and joining.
    pure("string/split", 2, Some(2), |a| split(&a[0], &a[1])),
    pure("string-split", 2, Some(2), |a| split(&a[0], &a[1])),
    pure("string/join", 2, Some(2), |a| join(&a[0], &a[1])),
    pure("string-join", 2, Some(2), |a| join(&a[0], &a[1])),
    pure("string/lines", 1, Some(1), |a| Ok(str_list(a[0].expect_str()?.lines()))),
    pure("string/words", 1, Some(1), |a| Ok(Value::str_list(identifier_words(a[0].expect_str()?)))),
    // Trimming, case, padding.
    pure("string/trim", 1, Some(1), |a| trimmed(&a[0], str::trim)),
    pure("string-trim", 1, Some(1), |a| trimmed(&a[0], str::trim)),
    pure("string/trim-left", 1, Some(1), |a| trimmed(&a[0], str::trim_start)),
    pure("string/trim-right", 1, Some(1), |a| trimmed(&a[0], str::trim_end)),
    pure("string/upper", 1, Some(1), |a| Ok(Value::str(a[0].expect_str()?.to_uppercase()))),
    pure("string-upcase", 1, Some(1), |a| Ok(Value::str(a[0].expect_str()?.to_uppercase()))),
    pure("string/lower", 1, Some(1), |a| Ok(Value::str(a[0].expect_str()?.to_lowercase()))),
    pure("string/capitalize", 1, Some(1), |a| Ok(Value::str(capitalize(a[0].expect_str()?)))),
    pure("string/title-case", 1, Some(1), |a| Ok(Value::str(title_case(a[0].expect_str()?)))),
    pure("string/repeat", 2, Some(2), |a| repeat(&a[0], &a[1])),
    pure("make-string", 2, Some(2), |a| repeat(&a[0], &a[1])).alias_of("string/repeat"),
    // Identifier case conversion.
    pure("string/snake-case", 1, Some(1), |a| Ok(Value::str(joined_lower(a[0].expect_str()?, "_")))),
    pure("string/kebab-case", 1, Some(1), |a| Ok(Value::str(joined_lower(a[0].expect_str()?, "-")))),
    pure("string/camel-case", 1, Some(1), |a| Ok(Value::str(camel_case(a[0].expect_str()?, false)))),
    pure("string/pascal-case", 1, Some(1), |a| Ok(Value::str(camel_case(a[0].expect_str()?, true)))),
    pure("string/headline", 1, Some(1), |a| {
        let words: Vec<String> = identifier_words(a[0].expect_str()?).iter().map(|w| title_word(w)).collect();
        Ok(Value::str(words.join(" ")))
    }),
    pure("string/reverse", 1, Some(1), |a| Ok(Value::str(a[0].expect_str()?.chars().rev().collect::<String>()))),
    // Searching and replacing.
    pure("string/contains?", 2, Some(2), |a| Ok(Value::Bool(a[0].expect_str()?.contains(a[1].expect_str()?)))),
    pure("string/starts-with?", 2, Some(2), |a| Ok(Value::Bool(a[0].expect_str()?.starts_with(a[1].expect_str()?)))),
    pure("string/ends-with?", 2, Some(2), |a| Ok(Value::Bool(a[0].expect_str()?.ends_with(a[1].expect_str()?)))),
    pure("string/index-of", 2, Some(2), |a| index_of(&a[0], &a[1], false)),
    pure("string/last-index-of", 2, Some(2), |a| index_of(&a[0], &a[1], true)),
    pure("string/replace", 3, Some(3), replace),
    pure("string/replace-first", 3, Some(3), |a| replace_one(a, false)),
    pure("string/replace-last", 3, Some(3), |a| replace_one(a, true)),
    pure("string/remove", 2, Some(2), |a| Ok(Value::str(a[0].expect_str()?.replace(a[1].expect_str()?, "")))),
    pure("string/after", 2, Some(2), |a| around(a, Side::After, false)),
    pure("string/after-last", 2, Some(2), |a| around(a, Side::After, true)),
    pure("string/before", 2, Some(2), |a| around(a, Side::Before, false)),
    pure("string/before-last", 2, Some(2), |a| around(a, Side::Before, true)),
    pure("string/between", 3, Some(3), between),
    pure("string/chop-start", 2, Some(2), |a| {
        let s = a[0].expect_str()?;
        Ok(Value::str(s.strip_prefix(a[1].expect_str()?).unwrap_or(s)))
    }),
    pure("string/chop-end", 2, Some(2), |a| {
        let s = a[0].expect_str()?;
        Ok(Value::str(s.strip_suffix(a[1].expect_str()?).unwrap_or(s)))
    }),
    pure("string/ensure-start", 2, Some(2), |a| {
        let (s, prefix) = (a[0].expect_str()?, a[1].expect_str()?);
        Ok(if s.starts_with(prefix) { a[0].clone() } else { Value::str(format!("{prefix}{s}")) })
    }),
    pure("string/ensure-end", 2, Some(2), |a| {
        let (s, suffix) = (a[0].expect_str()?, a[1].expect_str()?);
        Ok(if s.ends_with(suffix) { a[0].clone() } else { Value::str(format!("{s}{suffix}")) })
    }),
    pure("string/wrap", 2, Some(3), |a| {
        let (s, left) = (a[0].expect_str()?, a[1].expect_str()?);
        let right = match a.get(2) { Some(r) => r.expect_str()?, None => left };
        Ok(Value::str(format!("{left}{s}{right}")))
    }),
    pure("string/unwrap", 2, Some(3), unwrap),
    pure("string/take", 2, Some(2), take),
    // Strings are compared by value, so an interned string is just the string.
    pure("string/intern", 1, Some(1), |a| a[0].expect_str().map(|_| a[0].clone())),
    // Strings as chars and code points.
    pure("string/chars", 1, Some(1), |a| chars(&a[0])),
    pure("string/to-list", 1, Some(1), |a| chars(&a[0])).alias_of("string->list"),
    pure("list->string", 1, Some(1), |a| list_to_string(&a[0])),
    pure("string/codepoints", 1, Some(1), |a| {
        Ok(Value::list(a[0].expect_str()?.chars().map(|c| Value::Int(c as i64)).collect()))
    }),
    pure("string/from-codepoints", 1, Some(1), |a| from_codepoints(&a[0])),
    pure("string/to-char", 1, Some(1), |a| to_char(&a[0])).alias_of("string->char"),
    with_vm("string/map", 2, Some(2), string_map),
    // Numbers.
    pure("string/to-float", 1, Some(1), |a| to_float(&a[0])),
    pure("string->float", 1, Some(1), |a| to_float(&a[0])),
    pure("string->number", 1, Some(2), to_number),
    pure("string/to-number", 1, Some(2), to_number).alias_of("string->number"),
    pure("string/number?", 1, Some(1), |a| {
        let s = a[0].expect_str()?;
        Ok(Value::Bool(s.parse::<i64>().is_ok() || s.parse::<f64>().is_ok()))
    }),
    pure("number->string", 1, Some(2), number_to_string),
    pure("number/to-string", 1, Some(2), number_to_string).alias_of("number->string"),
    // Symbols and keywords.
    pure("string/to-symbol", 1, Some(1), |a| Ok(Value::symbol(a[0].expect_str()?))).alias_of("string->symbol"),
    pure("string->symbol", 1, Some(1), |a| Ok(Value::symbol(a[0].expect_str()?))),
    pure("string/to-keyword", 1, Some(1), |a| Ok(Value::keyword(a[0].expect_str()?))).alias_of("string->keyword"),
    pure("string->keyword", 1, Some(1), |a| Ok(Value::keyword(a[0].expect_str()?))),
    pure("symbol/to-string", 1, Some(1), |a| symbol_name(&a[0])).alias_of("symbol->string"),
    pure("symbol->string", 1, Some(1), |a| symbol_name(&a[0])),
    pure("keyword/to-string", 1, Some(1), |a| keyword_name(&a[0])).alias_of("keyword->string"),
    pure("keyword->string", 1, Some(1), |a| keyword_name(&a[0])),
    // Predicates and `type`.
    pure("string?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::Str(_))))),
    pure("symbol?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::Symbol(_))))),
    pure("keyword?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::Keyword(_))))),
    pure("char?", 1, Some(1), |a| Ok(Value::Bool(matches!(a[0], Value::Char(_))))),
    pure("type", 1, Some(1), |a| Ok(type_keyword(&a[0]))),
    pure("type-of", 1, Some(1), |a| Ok(type_keyword(&a[0]))).alias_of("type"),
    // Characters.
    pure("char/to-integer", 1, Some(1), |a| Ok(Value::Int(a[0].expect_char()? as i64))).alias_of("char->integer"),
    pure("char->integer", 1, Some(1), |a| Ok(Value::Int(a[0].expect_char()? as i64))),
    pure("integer/to-char", 1, Some(1), |a| integer_to_char(&a[0])).alias_of("integer->char"),
    pure("integer->char", 1, Some(1), |a| integer_to_char(&a[0])),
    pure("char/upcase", 1, Some(1), |a| Ok(Value::Char(upcase(a[0].expect_char()?)))).alias_of("char-upcase"),
    pure("char-upcase", 1, Some(1), |a| Ok(Value::Char(upcase(a[0].expect_char()?)))),
    pure("char/downcase", 1, Some(1), |a| Ok(Value::Char(downcase(a[0].expect_char()?)))).alias_of("char-downcase"),
    pure("char/alphabetic?", 1, Some(1), |a| Ok(Value::Bool(a[0].expect_char()?.is_alphabetic())))
    .alias_of("char-alphabetic?"),
    pure("char/numeric?", 1, Some(1), |a| Ok(Value::Bool(a[0].expect_char()?.is_numeric()))).alias_of("char-numeric?"),
    pure("char/whitespace?", 1, Some(1), |a| Ok(Value::Bool(a[0].expect_char()?.is_whitespace())))
    .alias_of("char-whitespace?"),
    pure("char/upper-case?", 1, Some(1), |a| Ok(Value::Bool(a[0].expect_char()?.is_uppercase())))
    .alias_of("char-upper-case?"),
    pure("char/lower-case?", 1, Some(1), |a| Ok(Value::Bool(a[0].expect_char()?.is_lowercase()))),
    pure("char-lower-case?", 1, Some(1), |a| Ok(Value::Bool(a[0].expect_char()?.is_lowercase()))),
    pure("char/to-string", 1, Some(1), |a| Ok(Value::str(a[0].expect_char()?.to_string()))).alias_of("char->string"),
    pure("char=?", 2, Some(2), |a| compare_chars(a, |x, y| x == y)),
    pure("char<?", 2, Some(2), |a| compare_chars(a, |x, y| x < y)),
    pure("char>?", 2, Some(2), |a| compare_chars(a, |x, y| x > y)),
    pure("char<=?", 2, Some(2), |a| compare_chars(a, |x, y| x <= y)),
    pure("char>=?", 2, Some(2), |a| compare_chars(a, |x, y| x >= y)),
    pure("char-ci=?", 2, Some(2), |a| compare_chars(a, |x, y| downcase(x) == downcase(y))),
    pure("char-ci<?", 2, Some(2), |a| compare_chars(a, |x, y| downcase(x) < downcase(y))),
    pure("char-ci>?", 2, Some(2), |a| compare_chars(a, |x, y| downcase(x) > downcase(y))),
    pure("char-ci<=?", 2, Some(2), |a| compare_chars(a, |x, y| downcase(x) <= downcase(y))),
    pure("char-ci>=?", 2, Some(2), |a| compare_chars(a, |x, y| downcase(x) >= downcase(y))),
];

/// Full case folding and normalization forms: their Unicode tables are large, so they
/// are battery builtins (see `builtins::BATTERIES`).
pub static UNICODE_BUILTINS: &[Builtin] = &[
    pure("string/foldcase", 1, Some(1), |a| Ok(Value::str(caseless::default_case_fold_str(a[0].expect_str()?)))),
    pure("string/normalize", 2, Some(2), normalize),
    pure("string-ci=?", 2, Some(2), |a| {
        Ok(Value::Bool(caseless::default_caseless_match_str(a[0].expect_str()?, a[1].expect_str()?)))
    }),
];

// ---------------------------------------------------------------------------------------
// Argument helpers




/// The elements of a list or vector.
fn list_or_vector<'a>(v: &'a Value, expected: &str) -> Result<Box<dyn Iterator<Item = &'a Value> + 'a>> {
    match v {
        Value::List(l) => Ok(Box::new(l.iter())),
        Value::Vector(items) => Ok(Box::new(items.iter())),
        other => Err(Error::type_error(expected, other)),
    }
}

fn str_list<'a>(parts: impl Iterator<Item = &'a str>) -> Value {
    Value::list(parts.map(Value::str).collect())
}

/// The byte offset of char index `index` in `s`; `index == char count` gives `s.len()`.
fn byte_offset(s: &str, index: usize) -> Option<usize> {
    if s.is_ascii() {
        return (index <= s.len()).then_some(index);
    }
    s.char_indices().map(|(i, _)| i).chain(std::iter::once(s.len())).nth(index)
}

// ---------------------------------------------------------------------------------------
// Length, indexing, slicing

fn length(v: &Value) -> Result<Value> {
    Ok(Value::Int(v.expect_str()?.chars().count() as i64))
}

/// `string-ref`/`string/ref`; both report under the name `string-ref`.
fn char_at(s: &Value, index: &Value) -> Result<Value> {
    let s = s.expect_str()?;
    let i = index.expect_int()?;
    if i < 0 {
        return Err(Error::eval(format!("string-ref: index {i} must be non-negative")));
    }
    let found = if s.is_ascii() { s.as_bytes().get(i as usize).map(|&b| b as char) } else { s.chars().nth(i as usize) };
    found.map(Value::Char).ok_or_else(|| {
        Error::eval(format!("string-ref: index {i} out of bounds (string length {})", s.chars().count()))
    })
}

/// `substring`/`string/slice`: `(s start [end])`, char indices, end exclusive.
fn slice(args: &[Value]) -> Result<Value> {
    let s = args[0].expect_str()?;
    let start = args[1].expect_int()?;
    if start < 0 {
        return Err(Error::eval(format!("substring: start index {start} must be non-negative")));
    }
    let end = match args.get(2) {
        None => None,
        Some(end) => {
            let end = end.expect_int()?;
            if end < 0 {
                return Err(Error::eval(format!("substring: end index {end} must be non-negative")));
            }
            Some(end as usize)
        }
    };
    let out_of_bounds = || Error::eval("substring: index out of bounds");
    let start_byte = byte_offset(s, start as usize).ok_or_else(out_of_bounds)?;
    let end_byte = match end {
        None => s.len(),
        Some(end) if end < start as usize => return Err(out_of_bounds()),
        Some(end) => byte_offset(s, end).ok_or_else(out_of_bounds)?,
    };
    Ok(Value::str(&s[start_byte..end_byte]))
}

// ---------------------------------------------------------------------------------------
// Splitting and joining

/// `string/split`: every field between literal separators, empty fields kept. An empty
/// separator splits between chars, with an empty field at each end.
fn split(s: &Value, sep: &Value) -> Result<Value> {
    let s = s.expect_str()?;
    let sep = sep.expect_str()?;
    if let [byte] = sep.as_bytes() {
        return Ok(Value::List(split_at_byte(s, *byte)));
    }
    Ok(Value::list(split_fields(s, sep)))
}

/// The fields of `s` between occurrences of `byte`, consed from the last: the list is
/// the only allocation besides the fields themselves.
fn split_at_byte(s: &str, byte: u8) -> List {
    let mut fields = List::EMPTY;
    let mut end = s.len();
    let mut cons_field = |at: usize| {
        fields = List::cons(Value::str(&s[at + 1..end]), std::mem::take(&mut fields));
        end = at;
    };
    // memchr's vector search costs more to set up than a short line takes to scan.
    if s.len() <= SHORT_SCAN {
        for (at, _) in s.bytes().enumerate().rev().filter(|&(_, b)| b == byte) {
            cons_field(at);
        }
    } else {
        memchr::memchr_iter(byte, s.as_bytes()).rev().for_each(cons_field);
    }
    List::cons(Value::str(&s[..end]), fields)
}

/// Strings up to this many bytes are scanned byte by byte rather than with memchr.
const SHORT_SCAN: usize = 32;

fn split_fields(s: &str, sep: &str) -> Vec<Value> {
    let mut fields = Vec::new();
    let mut start = 0;
    match sep.as_bytes() {
        [] => {
            fields.push(Value::str(""));
            fields.extend(s.char_indices().map(|(i, c)| Value::str(&s[i..i + c.len_utf8()])));
            fields.push(Value::str(""));
            return fields;
        }
        needle => {
            for at in memmem::find_iter(s.as_bytes(), needle) {
                fields.push(Value::str(&s[start..at]));
                start = at + needle.len();
            }
        }
    }
    fields.push(Value::str(&s[start..]));
    fields
}

/// `string/join`: `(string/join seq sep)`, strings raw and everything else in repr.
fn join(seq: &Value, sep: &Value) -> Result<Value> {
    let sep = sep.expect_str()?;
    let items = list_or_vector(seq, "list or vector")?;
    let mut out = String::new();
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        write_display(&mut out, item);
    }
    Ok(Value::str(out))
}

// ---------------------------------------------------------------------------------------
// Trimming, case, padding

/// Applies a trim; an untouched string is returned without copying.
fn trimmed(v: &Value, trim: fn(&str) -> &str) -> Result<Value> {
    let s = v.expect_str()?;
    let t = trim(s);
    Ok(if t.len() == s.len() { v.clone() } else { Value::str(t) })
}

/// First char upper case, the rest lower case.
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    let mut out = String::with_capacity(s.len());
    if let Some(first) = chars.next() {
        out.extend(first.to_uppercase());
        for c in chars {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Each whitespace-separated word capitalized, words joined by one space.
fn title_case(s: &str) -> String {
    s.split_whitespace().map(capitalize).collect::<Vec<_>>().join(" ")
}

fn repeat(s: &Value, count: &Value) -> Result<Value> {
    let s = s.expect_str()?;
    let n = count.expect_int()?;
    if n < 0 {
        return Err(Error::eval(format!("string/repeat: expected a non-negative integer, got {n}")));
    }
    if s.len().checked_mul(n as usize).is_none_or(|total| total > isize::MAX as usize) {
        return Err(Error::eval("string/repeat: result length overflows usize"));
    }
    Ok(Value::str(s.repeat(n as usize)))
}

fn upcase(c: char) -> char {
    c.to_uppercase().next().unwrap_or(c)
}

fn downcase(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

// ---------------------------------------------------------------------------------------
// Searching and replacing

/// The char index of the first (or last) occurrence of the needle, or nil.
fn index_of(s: &Value, needle: &Value, last: bool) -> Result<Value> {
    let s = s.expect_str()?;
    let needle = needle.expect_str()?;
    let found = if last { s.rfind(needle) } else { s.find(needle) };
    Ok(match found {
        Some(byte) => Value::Int(s[..byte].chars().count() as i64),
        None => Value::Nil,
    })
}

/// `(string/replace s from to)`: every occurrence; an empty `from` inserts `to` between
/// all chars and at both ends.
fn replace(args: &[Value]) -> Result<Value> {
    let s = args[0].expect_str()?;
    let from = args[1].expect_str()?;
    let to = args[2].expect_str()?;
    Ok(Value::str(s.replace(from, to)))
}

/// `string/replace-first`/`string/replace-last`: one occurrence, the string unchanged
/// when there is none.
fn replace_one(args: &[Value], last: bool) -> Result<Value> {
    let s = args[0].expect_str()?;
    let (from, to) = (args[1].expect_str()?, args[2].expect_str()?);
    let found = if last { s.rfind(from) } else { s.find(from) };
    Ok(match found {
        Some(at) => Value::str(format!("{}{to}{}", &s[..at], &s[at + from.len()..])),
        None => args[0].clone(),
    })
}

enum Side {
    Before,
    After,
}

/// `string/after`, `string/before` and their `-last` forms: the text on one side of
/// the first (or last) occurrence of the needle; the whole string when there is none.
fn around(args: &[Value], side: Side, last: bool) -> Result<Value> {
    let (s, needle) = (args[0].expect_str()?, args[1].expect_str()?);
    let found = if last { s.rfind(needle) } else { s.find(needle) };
    Ok(match (found, side) {
        (None, _) => args[0].clone(),
        (Some(at), Side::Before) => Value::str(&s[..at]),
        (Some(at), Side::After) => Value::str(&s[at + needle.len()..]),
    })
}

/// `(string/between s left right)`: the text after the first `left` up to the next
/// `right` (to the end without one); empty when `left` is absent.
fn between(args: &[Value]) -> Result<Value> {
    let s = args[0].expect_str()?;
    let (left, right) = (args[1].expect_str()?, args[2].expect_str()?);
    let Some(at) = s.find(left) else { return Ok(Value::str("")) };
    let rest = &s[at + left.len()..];
    Ok(Value::str(rest.find(right).map_or(rest, |end| &rest[..end])))
}

/// `(string/unwrap s left [right])`: drops both delimiters when both are there (and do
/// not overlap); otherwise the string unchanged.
fn unwrap(args: &[Value]) -> Result<Value> {
    let (s, left) = (args[0].expect_str()?, args[1].expect_str()?);
    let right = match args.get(2) {
        Some(r) => r.expect_str()?,
        None => left,
    };
    if s.len() >= left.len() + right.len() && s.starts_with(left) && s.ends_with(right) {
        Ok(Value::str(&s[left.len()..s.len() - right.len()]))
    } else {
        Ok(args[0].clone())
    }
}

/// `(string/take s n)`: the first `n` chars, or the last `-n` when `n` is negative.
fn take(args: &[Value]) -> Result<Value> {
    let s = args[0].expect_str()?;
    let n = args[1].expect_int()?;
    let count = n.unsigned_abs().min(usize::MAX as u64) as usize;
    Ok(Value::str(if n >= 0 {
        s.chars().take(count).collect::<String>()
    } else {
        let skip = s.chars().count().saturating_sub(count);
        s.chars().skip(skip).collect::<String>()
    }))
}

/// `(string/normalize s form)`: one of the Unicode normalization forms, named by a
/// string or keyword in any case.
fn normalize(args: &[Value]) -> Result<Value> {
    use unicode_normalization::UnicodeNormalization;
    let s = args[0].expect_str()?;
    let form = match &args[1] {
        Value::Symbol(_) => None,
        other => other.with_text(str::to_string),
    };
    let form = form.ok_or_else(|| Error::type_error("string or keyword", &args[1]))?;
    Ok(Value::str(match form.to_lowercase().as_str() {
        "nfc" => s.nfc().collect::<String>(),
        "nfd" => s.nfd().collect(),
        "nfkc" => s.nfkc().collect(),
        "nfkd" => s.nfkd().collect(),
        _ => return Err(Error::eval(format!("string/normalize: unknown form {form:?}"))),
    }))
}

// ---------------------------------------------------------------------------------------
// Identifier words and case conversion

/// Splits an identifier into words: at `_`, `-`, `.` and spaces, before an upper-case
/// letter that follows a non-upper-case one, and before the last capital of an
/// upper-case run followed by a lower-case letter (`HTMLParser` → `HTML`, `Parser`).
fn identifier_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev_upper = false;
    for c in s.chars() {
        if matches!(c, '_' | '-' | ' ' | '.') {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            prev_upper = false;
        } else if c.is_uppercase() {
            if !word.is_empty() && !prev_upper {
                words.push(std::mem::take(&mut word));
            }
            word.push(c);
            prev_upper = true;
        } else {
            if c.is_lowercase() && prev_upper && word.chars().count() > 1 {
                let capital = word.pop().expect("word has two chars");
                words.push(std::mem::take(&mut word));
                word.push(capital);
            }
            word.push(c);
            prev_upper = false;
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

fn joined_lower(s: &str, sep: &str) -> String {
    identifier_words(s).iter().map(|w| w.to_lowercase()).collect::<Vec<_>>().join(sep)
}

/// A word's first char upper-cased, the rest lower-cased as a whole (so a final sigma
/// stays final).
fn title_word(word: &str) -> String {
    let mut chars = word.chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
    out.push_str(&chars.as_str().to_lowercase());
    out
}

fn camel_case(s: &str, pascal: bool) -> String {
    let words = identifier_words(s);
    let mut out = String::with_capacity(s.len());
    for (i, word) in words.iter().enumerate() {
        if i == 0 && !pascal {
            out.push_str(&word.to_lowercase());
        } else {
            out.push_str(&title_word(word));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Chars and code points

fn chars(v: &Value) -> Result<Value> {
    Ok(Value::list(v.expect_str()?.chars().map(Value::Char).collect()))
}

fn list_to_string(v: &Value) -> Result<Value> {
    let mut out = String::new();
    for item in v.expect_list()?.iter() {
        out.push(item.expect_char()?);
    }
    Ok(Value::str(out))
}

fn from_codepoints(v: &Value) -> Result<Value> {
    let mut out = String::new();
    for item in list_or_vector(v, "list or vector")? {
        let n = match item {
            Value::Int(n) => *n,
            other => return Err(Error::type_error("integer", other)),
        };
        let c = u32::try_from(n)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| Error::eval(format!("string/from-codepoints: invalid codepoint {n}")))?;
        out.push(c);
    }
    Ok(Value::str(out))
}

fn to_char(v: &Value) -> Result<Value> {
    let mut chars = v.expect_str()?.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(Value::Char(c)),
        (None, _) => Err(Error::eval("string->char: empty string")),
        (Some(_), Some(_)) => Err(Error::eval("string->char: string must have exactly one character")),
    }
}

fn integer_to_char(v: &Value) -> Result<Value> {
    let n = v.expect_int()?;
    u32::try_from(n)
        .ok()
        .and_then(char::from_u32)
        .map(Value::Char)
        .ok_or_else(|| Error::eval(format!("integer->char: invalid codepoint {n}")))
}

fn compare_chars(args: &[Value], test: fn(char, char) -> bool) -> Result<Value> {
    Ok(Value::Bool(test(args[0].expect_char()?, args[1].expect_char()?)))
}

/// `(string/map f s)`: `f` gets each char and returns a char or a string.
fn string_map(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let s = args[1].expect_str()?;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match vm.call(&args[0], &[Value::Char(c)])? {
            Value::Char(m) => out.push(m),
            Value::Str(m) => out.push_str(&m),
            other => return Err(Error::type_error("char or string", &other)),
        }
    }
    Ok(Value::str(out))
}

// ---------------------------------------------------------------------------------------
// Numbers

/// Rust's `f64` grammar over the whole text, no trimming.
/// `string->float`/`string/to-float`: a number passes through as a float.
fn to_float(v: &Value) -> Result<Value> {
    match v {
        Value::Int(n) => Ok(Value::float(*n as f64)),
        Value::Float(_) => Ok(v.clone()),
        Value::Str(s) => {
            parse_rust_float(s).map(Value::float).ok_or_else(|| Error::eval(format!("cannot parse '{s}' as float")))
        }
        other => Err(Error::type_error("string or number", other)),
    }
}

/// A radix argument: an int, and one of 2, 8, 10 and 16.
fn radix_arg(name: &str, v: Option<&Value>) -> Result<u32> {
    let Some(v) = v else { return Ok(10) };
    match v {
        Value::Int(r @ (2 | 8 | 10 | 16)) => Ok(*r as u32),
        Value::Int(r) => Err(Error::eval(format!("{name}: unsupported radix {r} (expected 2, 8, 10, or 16)"))),
        other => Err(Error::type_error("integer", other)),
    }
}

/// `string->number`: the reader's number syntax; `#f` when the text is not exactly one
/// number. In radix 2, 8 or 16, a signed integer and nothing else.
fn to_number(args: &[Value]) -> Result<Value> {
    let s = args[0].expect_str()?;
    let radix = radix_arg("string->number", args.get(1))?;
    if radix != 10 {
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let parsed = BigUint::parse_bytes(digits.as_bytes(), radix).filter(|_| !digits.is_empty());
        return Ok(match parsed {
            Some(n) => num::from_bigint(if negative { -BigInt::from(n) } else { BigInt::from(n) }),
            None => Value::Bool(false),
        });
    }
    Ok(match string_to_number(s) {
        Some(lit) => number_value(lit),
        None => Value::Bool(false),
    })
}

fn number_value(lit: NumberLit) -> Value {
    let big = |text: &str| text.parse::<BigInt>().expect("number_syntax gives decimal digits");
    match lit {
        NumberLit::Int(i) => Value::Int(i),
        NumberLit::Float(f) => Value::Float(f),
        NumberLit::BigInt(text) => num::from_bigint(big(&text)),
        NumberLit::Rational(n, d) => num::from_rational(BigRational::new(big(&n), big(&d))),
        NumberLit::Complex(re, im) => num::complex(number_value(*re), number_value(*im)),
    }
}

/// `number->string`: the repr; in radix 2, 8 or 16, integers only.
fn number_to_string(args: &[Value]) -> Result<Value> {
    let n = &args[0];
    let radix = radix_arg("number->string", args.get(1))?;
    if radix == 10 {
        return if n.is_number() { Ok(Value::str(repr(n))) } else { Err(Error::type_error("number", n)) };
    }
    match n {
        Value::Int(i) => Ok(Value::str(BigInt::from(*i).to_str_radix(radix))),
        Value::BigInt(b) => Ok(Value::str(b.to_str_radix(radix))),
        other => Err(Error::type_error("exact integer", other)),
    }
}

// ---------------------------------------------------------------------------------------
// Symbols and keywords

/// `type`: a record's type name, otherwise the value's type as a keyword.
fn type_keyword(v: &Value) -> Value {
    match v {
        Value::Record(r) => Value::Keyword(r.type_name),
        other => Value::keyword(other.type_name()),
    }
}

fn symbol_name(v: &Value) -> Result<Value> {
    match v {
        Value::Symbol(s) => Ok(Value::str(s.name())),
        other => Err(Error::type_error("symbol", other)),
    }
}

fn keyword_name(v: &Value) -> Result<Value> {
    match v {
        Value::Keyword(k) => Ok(Value::str(k.name())),
        other => Err(Error::type_error("keyword", other)),
    }
}

#[cfg(test)]
mod tests {
    use crate::builtins::test_support::*;
    use super::*;




    fn chars_list(text: &str) -> Value {
        Value::list(text.chars().map(Value::Char).collect())
    }

    #[test]
    fn split_keeps_empty_fields() {
        assert_eq!(call("string/split", &[s("a,b,,c"), s(",")]), r#"("a" "b" "" "c")"#);
        assert_eq!(call("string/split", &[s(""), s(",")]), r#"("")"#);
        assert_eq!(call("string/split", &[s("abc"), s("")]), r#"("" "a" "b" "c" "")"#);
        assert_eq!(call("string/split", &[s(""), s("")]), r#"("" "")"#);
        assert_eq!(call("string/split", &[s("Berlin;12.3"), s(";")]), r#"("Berlin" "12.3")"#);
        assert_eq!(call("string/split", &[s(",a,"), s(",")]), r#"("" "a" "")"#);
        assert_eq!(call("string/split", &[s("a::b::::c"), s("::")]), r#"("a" "b" "" "c")"#);
        assert_eq!(call("string/split", &[s("aaa"), s("aa")]), r#"("" "a")"#);
        assert_eq!(call("string/split", &[s("é→λ→"), s("→")]), r#"("é" "λ" "")"#);
        assert_eq!(call("string/split", &[s("héλ"), s("")]), r#"("" "h" "é" "λ" "")"#);
        assert_eq!(call("string-split", &[s("a b"), s(" ")]), r#"("a" "b")"#);
        assert_eq!(call("string/split", &[int(1), s(",")]), "ERR Type error: expected string, got int");
        assert_eq!(call("string/split", &[s("a")]), "ERR Arity error: string/split expects 2 args, got 1");
    }

    #[test]
    fn join_writes_strings_raw_and_the_rest_in_repr() {
        let items = Value::list(vec![int(1), s("b"), Value::keyword("c")]);
        assert_eq!(call("string/join", &[items, s("-")]), r#""1-b-:c""#);
        let items = Value::vector(vec![Value::Nil, s("x"), Value::Char('c'), Value::Float(2.0)]);
        assert_eq!(call("string/join", &[items, s(", ")]), r#""nil, x, #\\c, 2.0""#);
        assert_eq!(call("string/join", &[Value::list(vec![]), s(",")]), r#""""#);
        assert_eq!(call("string/join", &[s("abc"), s(",")]), "ERR Type error: expected list or vector, got string");
        assert_eq!(call("string-join", &[Value::list(vec![s("a"), s("b")]), s("")]), r#""ab""#);
    }

    #[test]
    fn indexing_is_by_char() {
        assert_eq!(call("string/length", &[s("héllo")]), "5");
        assert_eq!(call("string-length", &[s("")]), "0");
        assert_eq!(call("string/byte-length", &[s("héllo")]), "6");
        assert_eq!(call("string/ref", &[s("héllo"), int(1)]), r"#\é");
        assert_eq!(call("string-ref", &[s("abc"), int(0)]), r"#\a");
        assert_eq!(
            call("string/ref", &[s("abc"), int(5)]),
            "ERR Eval error: string-ref: index 5 out of bounds (string length 3)"
        );
        assert_eq!(
            call("string/ref", &[s("λλλ"), int(3)]),
            "ERR Eval error: string-ref: index 3 out of bounds (string length 3)"
        );
        assert_eq!(call("string/ref", &[s("abc"), Value::Float(1.0)]), "ERR Type error: expected int, got float");
    }

    #[test]
    fn slicing_uses_char_indices() {
        assert_eq!(call("substring", &[s("hello"), int(1), int(3)]), r#""el""#);
        assert_eq!(call("string/slice", &[s("héllo"), int(1)]), r#""éllo""#);
        assert_eq!(call("string/slice", &[s("héllo"), int(5)]), r#""""#);
        assert_eq!(call("string/slice", &[s("héllo"), int(2), int(2)]), r#""""#);
        assert_eq!(call("string/slice", &[s("abc"), int(2), int(1)]), "ERR Eval error: substring: index out of bounds");
        assert_eq!(call("substring", &[s("abc"), int(1), int(4)]), "ERR Eval error: substring: index out of bounds");
        assert_eq!(call("substring", &[s("abc"), int(4)]), "ERR Eval error: substring: index out of bounds");
    }

    #[test]
    fn trimming_case_and_padding() {
        assert_eq!(call("string/trim", &[s(" \t a b \n")]), r#""a b""#);
        assert_eq!(call("string-trim", &[s("\u{3000}x\u{a0}")]), r#""x""#);
        assert_eq!(call("string/trim-left", &[s("  a  ")]), r#""a  ""#);
        assert_eq!(call("string/trim-right", &[s("  a  ")]), r#""  a""#);
        assert_eq!(call("string/upper", &[s("straße")]), r#""STRASSE""#);
        assert_eq!(call("string-upcase", &[s("abc")]), r#""ABC""#);
        assert_eq!(call("string/lower", &[s("ÀB")]), r#""àb""#);
        assert_eq!(call("string/capitalize", &[s("hELLO wORLD")]), r#""Hello world""#);
        assert_eq!(call("string/capitalize", &[s("")]), r#""""#);
        assert_eq!(call("string/title-case", &[s("hello  big wORLD")]), r#""Hello Big World""#);
        assert_eq!(call("string/pad-left", &[s("5"), int(3), s("0")]), r#""005""#);
        assert_eq!(call("string/pad-left", &[s("5"), int(3)]), r#""  5""#);
        assert_eq!(call("string/pad-right", &[s("ab"), int(4), s("*-")]), r#""ab**""#);
        assert_eq!(call("string/pad-right", &[s("abcdef"), int(3)]), r#""abcdef""#);
        assert_eq!(call("string/pad-left", &[s("é"), int(2)]), r#"" é""#);
        assert_eq!(call("string/repeat", &[s("ab"), int(3)]), r#""ababab""#);
        assert_eq!(call("string/repeat", &[s("ab"), int(0)]), r#""""#);
        assert_eq!(call("string/reverse", &[s("héllo")]), r#""olléh""#);
        assert_eq!(call("string/empty?", &[s("")]), "#t");
        assert_eq!(call("string/empty?", &[s(" ")]), "#f");
    }

    #[test]
    fn searching_and_replacing() {
        assert_eq!(call("string/contains?", &[s("hello"), s("ell")]), "#t");
        assert_eq!(call("string/starts-with?", &[s("hello"), s("he")]), "#t");
        assert_eq!(call("string/ends-with?", &[s("hello"), s("he")]), "#f");
        assert_eq!(call("string/index-of", &[s("héllo"), s("l")]), "2");
        assert_eq!(call("string/last-index-of", &[s("héllo"), s("l")]), "3");
        assert_eq!(call("string/index-of", &[s("abc"), s("z")]), "nil");
        assert_eq!(call("string/replace", &[s("a-b-c"), s("-"), s("+")]), r#""a+b+c""#);
        assert_eq!(call("string/replace", &[s("hello"), s(""), s("-")]), r#""-h-e-l-l-o-""#);
        assert_eq!(call("string-ci=?", &[s("Straße"), s("STRASSE")]), "#t");
        assert_eq!(call("string-ci=?", &[s("abc"), s("ABD")]), "#f");
        assert_eq!(call("string/lines", &[s("a\nb\r\n\nc\n")]), r#"("a" "b" "" "c")"#);
        // Identifier words: separators `_ - . space`, case changes; tabs are not separators.
        assert_eq!(call("string/words", &[s("  a  b\tc\n")]), r#"("a" "b\tc\n")"#);
        assert_eq!(call("string/words", &[s("parseHTMLDocument_v2.x")]), r#"("parse" "HTML" "Document" "v2" "x")"#);
    }

    #[test]
    fn slicing_around_needles() {
        assert_eq!(call("string/after", &[s("a.b.c"), s(".")]), r#""b.c""#);
        assert_eq!(call("string/after-last", &[s("a.b.c"), s(".")]), r#""c""#);
        assert_eq!(call("string/before", &[s("a.b.c"), s(".")]), r#""a""#);
        assert_eq!(call("string/before-last", &[s("a.b.c"), s(".")]), r#""a.b""#);
        assert_eq!(call("string/after", &[s("abc"), s("z")]), r#""abc""#);
        assert_eq!(call("string/between", &[s("x[é]y"), s("["), s("]")]), r#""é""#);
        assert_eq!(call("string/between", &[s("x[ab"), s("["), s("]")]), r#""ab""#);
        assert_eq!(call("string/between", &[s("xab"), s("["), s("]")]), r#""""#);
        assert_eq!(call("string/replace-first", &[s("aXbXc"), s("X"), s("-")]), r#""a-bXc""#);
        assert_eq!(call("string/replace-last", &[s("aXbXc"), s("X"), s("-")]), r#""aXb-c""#);
        assert_eq!(call("string/take", &[s("héllo"), int(-2)]), r#""lo""#);
        assert_eq!(call("string/take", &[s("héllo"), int(9)]), r#""héllo""#);
        assert_eq!(call("string/unwrap", &[s("\"\""), s("\"")]), r#""""#);
        assert_eq!(call("string/unwrap", &[s("\""), s("\"")]), r#""\"""#);
        assert_eq!(call("string/wrap", &[s("x"), s("<"), s(">")]), r#""<x>""#);
        assert_eq!(call("string/after", &[s("abc"), int(1)]), "ERR Type error: expected string, got int");
    }

    #[test]
    fn case_conversion_and_folding() {
        assert_eq!(call("string/snake-case", &[s("HTMLParser-v2")]), r#""html_parser_v2""#);
        assert_eq!(call("string/kebab-case", &[s("helloWorld")]), r#""hello-world""#);
        assert_eq!(call("string/camel-case", &[s("Hello_big world")]), r#""helloBigWorld""#);
        assert_eq!(call("string/pascal-case", &[s("hello-world")]), r#""HelloWorld""#);
        assert_eq!(call("string/headline", &[s("user_id.count")]), r#""User Id Count""#);
        assert_eq!(call("string/foldcase", &[s("Straße")]), r#""strasse""#);
        assert_eq!(call("string/normalize", &[s("e\u{301}"), kw("NFC")]), r#""é""#);
        assert_eq!(call("string/normalize", &[s("é"), s("nfd")]), "\"e\u{301}\"");
        assert_eq!(call("string/normalize", &[s("x"), s("nfx")]), r#"ERR Eval error: string/normalize: unknown form "nfx""#);
        assert_eq!(call("string/normalize", &[s("x"), sym("nfc")]), "ERR Type error: expected string or keyword, got symbol");
        assert_eq!(call("char-ci<?", &[Value::Char('a'), Value::Char('B')]), "#t");
        assert_eq!(call("char-ci>=?", &[Value::Char('a'), Value::Char('A')]), "#t");
        assert_eq!(call("make-string", &[s("ab"), int(2)]), r#""abab""#);
        assert_eq!(call("string->float", &[int(2)]), "2.0");
        assert_eq!(call("string->float", &[kw("a")]), "ERR Type error: expected string or number, got keyword");
    }

    #[test]
    fn chars_and_codepoints() {
        assert_eq!(call("string/to-list", &[s("aλ")]), r"(#\a #\λ)");
        assert_eq!(call("string/chars", &[s("")]), "()");
        assert_eq!(call("list->string", &[chars_list("hé")]), r#""hé""#);
        assert_eq!(
            call("list->string", &[Value::list(vec![Value::Char('a'), s("b")])]),
            "ERR Type error: expected char, got string"
        );
        assert_eq!(call("string/codepoints", &[s("Aé")]), "(65 233)");
        assert_eq!(call("string/from-codepoints", &[Value::list(vec![int(72), int(105)])]), r#""Hi""#);
        assert_eq!(
            call("string/from-codepoints", &[Value::list(vec![int(0xD800)])]),
            "ERR Eval error: string/from-codepoints: invalid codepoint 55296"
        );
        assert_eq!(call("string/to-char", &[s("x")]), r"#\x");
        assert_eq!(call("string/to-char", &[s("")]), "ERR Eval error: string->char: empty string");
    }

    #[test]
    fn string_to_float_is_strict() {
        assert_eq!(call("string/to-float", &[s("12")]), "12.0");
        assert_eq!(call("string/to-float", &[s("12.3")]), "12.3");
        assert_eq!(call("string/to-float", &[s("-0.5")]), "-0.5");
        assert_eq!(call("string/to-float", &[s("1e2")]), "100.0");
        assert_eq!(call("string/to-float", &[s("inf")]), "inf");
        assert_eq!(call("string/to-float", &[s(" 1.5")]), "ERR Eval error: cannot parse ' 1.5' as float");
        assert_eq!(call("string/to-float", &[s("abc")]), "ERR Eval error: cannot parse 'abc' as float");
    }

    #[test]
    fn string_to_number_uses_the_reader_syntax() {
        let cases = [
            ("42", "42"),
            ("-3.5", "-3.5"),
            ("12.30", "12.3"),
            ("1e3", "1000.0"),
            ("1/2", "1/2"),
            ("4/2", "2"),
            ("#xff", "255"),
            (" 12 ", "12"),
            ("99999999999999999999", "99999999999999999999"),
            ("abc", "#f"),
            ("", "#f"),
            ("+5", "#f"),
            ("1.", "#f"),
            (".5", "#f"),
            ("0x10", "#f"),
            ("1_000", "#f"),
        ];
        for (text, want) in cases {
            assert_eq!(call("string->number", &[s(text)]), want, "string->number {text:?}");
            assert_eq!(call("string/to-number", &[s(text)]), want, "string/to-number {text:?}");
        }
        assert_eq!(call("string->number", &[s("ff"), int(16)]), "255");
        assert_eq!(call("string->number", &[int(1)]), "ERR Type error: expected string, got int");
    }

    #[test]
    fn number_to_string_is_the_repr() {
        assert_eq!(call("number/to-string", &[Value::Float(3.0)]), r#""3.0""#);
        assert_eq!(call("number->string", &[int(42)]), r#""42""#);
        let third = num::div(&int(1), &int(3)).unwrap();
        assert_eq!(call("number->string", &[third]), r#""1/3""#);
        assert_eq!(call("number->string", &[int(255), int(16)]), r#""ff""#);
        assert_eq!(call("number->string", &[int(-255), int(16)]), r#""-ff""#);
        assert_eq!(call("number->string", &[int(i64::MIN), int(2)]).len(), 2 + 1 + 64);
        assert_eq!(call("number->string", &[s("1")]), "ERR Type error: expected number, got string");
        assert_eq!(
            call("number->string", &[Value::Float(1.5), int(16)]),
            "ERR Type error: expected exact integer, got float"
        );
    }

    #[test]
    fn symbols_keywords_and_type() {
        assert_eq!(call("string/to-symbol", &[s("a b")]), "a b");
        assert_eq!(call("string->symbol", &[s("x")]), "x");
        assert_eq!(call("string/to-keyword", &[s("k")]), ":k");
        assert_eq!(call("symbol/to-string", &[Value::symbol("foo")]), r#""foo""#);
        assert_eq!(call("keyword/to-string", &[Value::keyword("foo")]), r#""foo""#);
        assert_eq!(call("symbol->string", &[s("foo")]), "ERR Type error: expected symbol, got string");
        assert_eq!(call("type", &[int(1)]), ":int");
        assert_eq!(call("type", &[Value::list(vec![])]), ":list");
        assert_eq!(call("type", &[Value::Nil]), ":nil");
        assert_eq!(call("string?", &[s("")]), "#t");
        assert_eq!(call("symbol?", &[Value::keyword("a")]), "#f");
        assert_eq!(call("keyword?", &[Value::keyword("a")]), "#t");
        assert_eq!(call("char?", &[Value::Char('a')]), "#t");
        assert_eq!(call("string/number?", &[s("3.14")]), "#t");
        assert_eq!(call("string/number?", &[s("1/2")]), "#f");
        assert_eq!(call("string/number?", &[s("abc")]), "#f");
    }

    #[test]
    fn characters() {
        let c = Value::Char;
        assert_eq!(call("char/to-integer", &[c('A')]), "65");
        assert_eq!(call("char->integer", &[c('λ')]), "955");
        assert_eq!(call("integer->char", &[int(97)]), r"#\a");
        assert_eq!(call("integer/to-char", &[int(-1)]), "ERR Eval error: integer->char: invalid codepoint -1");
        assert_eq!(call("char/upcase", &[c('a')]), r"#\A");
        assert_eq!(call("char-upcase", &[c('é')]), r"#\É");
        assert_eq!(call("char/downcase", &[c('A')]), r"#\a");
        assert_eq!(call("char/upcase", &[s("a")]), "ERR Type error: expected char, got string");
        assert_eq!(call("char/alphabetic?", &[c('λ')]), "#t");
        assert_eq!(call("char/alphabetic?", &[c('1')]), "#f");
        assert_eq!(call("char/numeric?", &[c('7')]), "#t");
        assert_eq!(call("char/whitespace?", &[c('\n')]), "#t");
        assert_eq!(call("char/upper-case?", &[c('A')]), "#t");
        assert_eq!(call("char/lower-case?", &[c('A')]), "#f");
        assert_eq!(call("char/to-string", &[c('a')]), r#""a""#);
        assert_eq!(call("char<?", &[c('a'), c('b')]), "#t");
        assert_eq!(call("char>=?", &[c('a'), c('b')]), "#f");
        assert_eq!(call("char=?", &[c('a'), c('a')]), "#t");
        assert_eq!(call("char-ci=?", &[c('a'), c('A')]), "#t");
        assert_eq!(call("char=?", &[c('a')]), "ERR Arity error: char=? expects 2 args, got 1");
    }
}

#!/usr/bin/env python3
"""Extract the inline examples of LANGUAGE.md into a conformance corpus.

Usage:
    python3 tests/spec/extract.py [SPEC] [--out-dir DIR] [--check]

SPEC defaults to ../shared/LANGUAGE.md relative to the repository root (the directory
above tests/). The script writes DIR/cases.tsv and DIR/skipped.tsv (DIR defaults to the
directory of this script). With --check it writes nothing and exits with status 1 when
the files in DIR differ from what it would write.

Every `→` outside code spans, every `EXPR` raises `:kind` ... sentence, every `ERR ...`
code span and every `EXPR ; RESULT` line of a fenced code block is one *example*. An
example becomes a case (kind `value`: the expected repr printed by `print`; kind
`error`: the expected `:type` and, when the spec gives one, `:message`) or a row of
skipped.tsv with the reason it cannot run as a self-contained expression. Ids are
`SECTION-NNN`, NNN counting every example of the section (cases and skipped alike) in
document order, so a changed skip decision does not renumber the others.

Only the Python 3 standard library is used; the output is deterministic.
"""

import argparse
import os
import re
import sys

ARROW = "\u2192"  # →

# Error kinds of LANGUAGE.md §11.1.
ERROR_KINDS = {":eval", ":type-error", ":arity", ":unbound", ":user", ":io", ":reader"}

# Special forms and built-in macros (§6). They never count as unknown names.
SPECIAL_FORMS = set(
    """quote quasiquote unquote unquote-splicing define defun defn def fn lambda let let*
    letrec if cond case when unless and or begin progn do while set! try catch throw delay
    force defmacro define-record-type match match* else dotimes for-range -> ->> as-> some->
    when-let if-let guard parameterize make-parameter values let-values let*-values
    define-values defmulti defmethod define-syntax syntax-rules load import module eval read
    macroexpand deref""".split()
)

# Global constants of §7.2 ("Constants"): bare symbols that evaluate to values.
CONSTANTS = {"pi", "e", "math/infinity", "math/nan"}

# §2.3 special spellings: symbols the reader turns into values.
SPECIAL_SPELLINGS = set(
    "true false nil inf +inf Inf Infinity +Infinity -inf -Infinity nan NaN NAN +nan -nan".split()
)

# Functions that write to stdout: an arrow after such a call describes output, not a value.
OUTPUT_FUNCTIONS = {"print", "println", "display", "newline"}

# Calls that always raise: an arrow after them gives the error's message.
RAISING = {"throw", "raise", "error"}

# Words that, right before an example's left side, make it part of a prose phrase
# ("`car`/`first` of `()` or `[]` → nil" is not "`[]` → nil").
PROSE_JOINERS = {"of", "or", "and"}

# Words that, right after a result, make the result conditional ("→ `#t` if no args").
QUALIFIERS = {"if", "then", "while", "unless", "when", "except", "only"}

# Per-example decisions the general rules cannot make. Keyed by (section, expression as
# written in the spec). Actions:
#   ("skip", reason)            record in skipped.tsv with this reason
#   ("expect", result)          the spec describes the value in words; use this repr
#   ("rewrite", expr)           run this expression instead (the spec's is schematic)
# An override that matches nothing is reported on stderr (the spec changed).
OVERRIDES = {
    # §2.3 "`inf` `+inf` `Inf` `Infinity` `+Infinity` → +∞ float; `-inf` `-Infinity` → −∞":
    # the result is described in words; §4.2 says +∞ prints `inf` and −∞ `-inf`.
    ("2.3", "inf"): ("expect", "inf"),
    ("2.3", "+inf"): ("expect", "inf"),
    ("2.3", "Inf"): ("expect", "inf"),
    ("2.3", "Infinity"): ("expect", "inf"),
    ("2.3", "+Infinity"): ("expect", "inf"),
    ("2.3", "-inf"): ("expect", "-inf"),
    ("2.3", "-Infinity"): ("expect", "-inf"),
    # §2.3 "`nil` → the nil value": it prints `nil` (§4.1).
    ("2.3", "nil"): ("expect", "nil"),
    # §6.13: N is a process-wide counter, a placeholder in the result.
    ("6.13", '(gensym "tmp")'): ("skip", "result has a placeholder: the gensym counter N"),
    ("6.13", "foo#"): ("skip", "auto-gensym inside a quasiquote template, not an expression; result has a placeholder N"),
    # §8: the `...` is the let body, which the destructuring error never reaches.
    ("8", "(let (([a b c] '(1 2))) ...)"): ("rewrite", "(let (([a b c] '(1 2))) (list a b c))"),
    # §11.3 "Examples (with `:stack-trace` removed)": the `...` handler shows the map
    # without its :stack-trace key.
    ("11.3", "(try (car 5) (catch e ...))"): ("rewrite", "(try (car 5) (catch e (dissoc e :stack-trace)))"),
    ("11.3", "(try (undefined-fn 1) (catch e ...))"): ("rewrite", "(try (undefined-fn 1) (catch e (dissoc e :stack-trace)))"),
    ("11.3", "(try ((fn (x) x)) (catch e ...))"): ("rewrite", "(try ((fn (x) x)) (catch e (dissoc e :stack-trace)))"),
    ("11.3", '(try (throw "x") (catch e ...))'): ("rewrite", '(try (throw "x") (catch e (dissoc e :stack-trace)))'),
    ("11.3", "(try (/ 1 0) (catch e ...))"): ("rewrite", "(try (/ 1 0) (catch e (dissoc e :stack-trace)))"),
    # §12.5 "`"a b"` → symbol printing `a b`" (string/to-symbol): the printed symbol.
    ("12.5", '(string->symbol "a b")'): ("expect", "a b"),
    # §12.11 bytes/parse-int10 parses a byte range of a bytevector; the spec shows the
    # bytes as text.
    ("12.11", '(bytes/parse-int10 "-12.3")'): ("skip", "argument shorthand: bytes/parse-int10 takes a bytevector, the spec shows its bytes as text"),
    ("12.11", '(bytes/parse-int10 "45")'): ("skip", "argument shorthand: bytes/parse-int10 takes a bytevector, the spec shows its bytes as text"),
    ("12.11", '(bytes/parse-int10 "4.55")'): ("skip", "argument shorthand: bytes/parse-int10 takes a bytevector, the spec shows its bytes as text"),
}


# ---------------------------------------------------------------------------------------
# A small reader for Sema text: enough to tell a complete expression from prose, find the
# head of a call, and compute the free names of an expression.


class ParseError(Exception):
    pass


DELIMS = set(" \t\r\n()[]{}\";'`,")
_REAL = r"\d+(\.\d+)?([eE][-+]?\d+)?|\d+[eE][-+]?\d+|\d+/\d+"
_DECIMAL_RE = re.compile(r"^-?(%s)$" % _REAL)
_COMPLEX_RE = re.compile(r"^[-+]?((%s)?[-+](%s)?|(%s))i$" % (_REAL, _REAL, _REAL))
_HEX_RE = re.compile(r"^[-+]?[0-9a-fA-F]+$")


def is_number(tok):
    """Whether `tok` is a number literal (§2.5), prefixes included."""
    m = re.match(r"^((?:#[xobdeiXOBDEI])*)(.+)$", tok)
    prefixes, body = m.group(1).lower(), m.group(2)
    if "#x" in prefixes:
        return bool(_HEX_RE.match(body))
    return bool(_DECIMAL_RE.match(body) or _COMPLEX_RE.match(body))


# Characters that may start a symbol besides Unicode letters (§2.3).
SYMBOL_START = set("+-*/!?<>=_&%^~.")


class Sym:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


class Lit:
    """A self-evaluating atom: number, string, char, keyword, boolean."""

    __slots__ = ("kind", "value")

    def __init__(self, kind, value):
        self.kind = kind
        self.value = value


class Seq:
    """A list (`(`), vector (`[`), map (`{`), bytevector (`#u8(`) or short lambda (`#(`)."""

    __slots__ = ("kind", "items")

    def __init__(self, kind, items):
        self.kind = kind
        self.items = items


class FStr:
    __slots__ = ("parts",)

    def __init__(self, parts):
        self.parts = parts


def skip_space(s, i):
    while i < len(s):
        if s[i] in " \t\r\n":
            i += 1
        elif s[i] == ";":
            while i < len(s) and s[i] != "\n":
                i += 1
        else:
            break
    return i


def read_string_body(s, i):
    """s[i] is just after the opening quote. Returns (value, index after closing quote)."""
    out = []
    while True:
        if i >= len(s):
            raise ParseError("unterminated string")
        c = s[i]
        if c == '"':
            return "".join(out), i + 1
        if c == "\\":
            if i + 1 >= len(s):
                raise ParseError("unterminated string")
            e = s[i + 1]
            simple = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "0": "\0", "$": "$"}
            if e in simple:
                out.append(simple[e])
                i += 2
            elif e == "x":
                end = s.find(";", i + 2)
                if end < 0:
                    raise ParseError("bad \\x escape")
                out.append(chr(int(s[i + 2 : end], 16)))
                i = end + 1
            elif e == "u":
                out.append(chr(int(s[i + 2 : i + 6], 16)))
                i += 6
            elif e == "U":
                out.append(chr(int(s[i + 2 : i + 10], 16)))
                i += 10
            else:
                out.append("\\" + e)
                i += 2
        else:
            out.append(c)
            i += 1


def read_fstring(s, i):
    """s[i] is just after `f"`. Returns (FStr, index after the closing quote)."""
    parts = []
    while True:
        if i >= len(s):
            raise ParseError("unterminated f-string")
        c = s[i]
        if c == '"':
            return FStr(parts), i + 1
        if c == "\\":
            i += 2
        elif c == "$" and s.startswith("${", i):
            depth = 1
            j = i + 2
            while depth:
                if j >= len(s):
                    raise ParseError("unterminated ${")
                if s[j] == '"':
                    _, j = read_string_body(s, j + 1)
                    continue
                if s[j] == "{":
                    depth += 1
                elif s[j] == "}":
                    depth -= 1
                j += 1
            inner = parse_all(s[i + 2 : j - 1])
            if len(inner) != 1:
                raise ParseError("${} must hold one form")
            parts.append(inner[0])
            i = j
        else:
            i += 1


def read_token(s, i):
    j = i
    while j < len(s) and s[j] not in DELIMS:
        j += 1
    return s[i:j], j


def read_seq(s, i, close, kind):
    items = []
    while True:
        i = skip_space(s, i)
        if i >= len(s):
            raise ParseError("unterminated " + kind)
        if s[i] == close:
            return Seq(kind, items), i + 1
        if s[i] in ")]}":
            raise ParseError("mismatched bracket")
        d, i = read_form(s, i)
        items.append(d)


def read_form(s, i):
    c = s[i]
    if c == "(":
        return read_seq(s, i + 1, ")", "list")
    if c == "[":
        return read_seq(s, i + 1, "]", "vector")
    if c == "{":
        return read_seq(s, i + 1, "}", "map")
    if c in ")]}":
        raise ParseError("unexpected closer")
    if c == '"':
        v, j = read_string_body(s, i + 1)
        return Lit("string", v), j
    quotes = {"'": "quote", "`": "quasiquote", "@": "deref"}
    if c in quotes or c == ",":
        if c == ",":
            name, j = ("unquote-splicing", i + 2) if s.startswith(",@", i) else ("unquote", i + 1)
        else:
            name, j = quotes[c], i + 1
        j = skip_space(s, j)
        if j >= len(s):
            raise ParseError("nothing after quote")
        d, j = read_form(s, j)
        return Seq("list", [Sym(name), d]), j
    if c == "f" and s.startswith('f"', i):
        return read_fstring(s, i + 2)
    if c == "#":
        n = s[i + 1 : i + 2]
        if n == "\\":
            j = i + 2
            if j >= len(s):
                raise ParseError("bad char")
            if s[j].isalpha():
                tok, k = read_token(s, j)
                if len(tok) > 1 and tok not in ("space", "newline", "tab", "return", "nul"):
                    raise ParseError("unknown character name: " + tok)
                return Lit("char", tok), k
            return Lit("char", s[j]), j + 1
        if n == "(":
            return read_seq(s, i + 2, ")", "short-lambda")
        if s.startswith("#u8(", i):
            return read_seq(s, i + 4, ")", "bytevector")
        if n == '"':
            j = i + 2
            while j < len(s) and s[j] != '"':
                j += 2 if s[j] == "\\" else 1
            if j >= len(s):
                raise ParseError("unterminated regex")
            return Lit("string", s[i + 2 : j]), j + 1
        if n in ("t", "f"):
            return Lit("bool", n), i + 2
        tok, j = read_token(s, i)
        if is_number(tok):
            return Lit("number", tok), j
        raise ParseError("unexpected character after #")
    tok, j = read_token(s, i)
    if not tok:
        raise ParseError("unexpected character " + c)
    if tok.startswith(":"):
        if len(tok) == 1:
            raise ParseError("lone :")
        return Lit("keyword", tok), j
    if is_number(tok) and not re.match(r"^\+\d", tok):
        return Lit("number", tok), j
    if re.match(r"^-?\d", tok):
        return Lit("number", tok), j  # e.g. 123abc: the reader splits it; close enough
    if not (tok[0].isalpha() or tok[0] in SYMBOL_START):
        raise ParseError("unexpected character: " + tok[0])
    return Sym(tok), j


def parse_all(s):
    items = []
    i = skip_space(s, 0)
    while i < len(s):
        d, i = read_form(s, i)
        items.append(d)
        i = skip_space(s, i)
    return items


def parse_one(s):
    """The single form of `s`, or None when `s` is not exactly one complete form."""
    try:
        items = parse_all(s)
    except (ParseError, ValueError, IndexError):
        return None
    return items[0] if len(items) == 1 else None


def is_call(d):
    return isinstance(d, Seq) and d.kind == "list" and d.items and isinstance(d.items[0], Sym)


def head_name(d):
    return d.items[0].name if is_call(d) else None


def pattern_names(p, out):
    """Names bound by a parameter list / destructuring pattern."""
    if isinstance(p, Sym):
        out.add(p.name)
    elif isinstance(p, Seq):
        for x in p.items:
            pattern_names(x, out)


def all_symbols(d, out):
    if isinstance(d, Sym):
        out.add(d.name)
    elif isinstance(d, Seq):
        for x in d.items:
            all_symbols(x, out)
    elif isinstance(d, FStr):
        for x in d.parts:
            all_symbols(x, out)


def free_names(d, bound, out):
    """Adds to `out` the names `d` refers to that it does not bind itself."""
    if isinstance(d, Sym):
        if d.name not in bound and d.name not in (".", "&", "_"):
            out.add(d.name)
        return
    if isinstance(d, FStr):
        for x in d.parts:
            free_names(x, bound, out)
        return
    if not isinstance(d, Seq):
        return
    items = d.items
    if d.kind == "short-lambda":
        inner = bound | {"%"} | {"%%%d" % k for k in range(1, 10)}
        for x in items:
            free_names(x, inner, out)
        return
    if d.kind != "list" or not items or not isinstance(items[0], Sym):
        for x in items:
            free_names(x, bound, out)
        return
    head = items[0].name
    if head == "quote":
        return
    if head == "quasiquote":
        quasi_free(items[1:], bound, out)
        return
    if head in ("fn", "lambda") and len(items) >= 2:
        inner = set(bound)
        pattern_names(items[1], inner)
        for x in items[2:]:
            free_names(x, inner, out)
        return
    if head in ("let", "let*", "letrec") and len(items) >= 2:
        rest = items[1:]
        inner = set(bound)
        if isinstance(rest[0], Sym):  # named let
            inner.add(rest[0].name)
            rest = rest[1:]
        if not rest or not isinstance(rest[0], Seq):
            return
        for b in rest[0].items:
            if isinstance(b, Seq) and b.items:
                pattern_names(b.items[0], inner)
        for b in rest[0].items:
            if isinstance(b, Seq):
                for x in b.items[1:]:
                    free_names(x, inner, out)
        for x in rest[1:]:
            free_names(x, inner, out)
        return
    if head == "do" and len(items) >= 3:
        inner = set(bound)
        if isinstance(items[1], Seq):
            for spec in items[1].items:
                if isinstance(spec, Seq) and spec.items:
                    pattern_names(spec.items[0], inner)
            for spec in items[1].items:
                if isinstance(spec, Seq):
                    for x in spec.items[1:]:
                        free_names(x, inner, out)
        for x in items[2:]:
            free_names(x, inner, out)
        return
    if head == "catch" and len(items) >= 2:
        inner = set(bound)
        pattern_names(items[1], inner)
        for x in items[2:]:
            free_names(x, inner, out)
        return
    if head in ("match", "match*") and len(items) >= 2:
        free_names(items[1], bound, out)
        for clause in items[2:]:
            if isinstance(clause, Seq) and clause.items:
                inner = set(bound)
                pattern_names(clause.items[0], inner)
                for x in clause.items[1:]:
                    free_names(x, inner, out)
        return
    for x in items:
        free_names(x, bound, out)


def quasi_free(items, bound, out):
    for x in items:
        if isinstance(x, Seq):
            if x.kind == "list" and x.items and isinstance(x.items[0], Sym) and x.items[0].name in (
                "unquote",
                "unquote-splicing",
            ):
                for y in x.items[1:]:
                    free_names(y, bound, out)
            else:
                quasi_free(x.items, bound, out)


def string_value(text):
    """The value of `text` when it is exactly one string literal, else None."""
    d = parse_one(text)
    if isinstance(d, Lit) and d.kind == "string" and text.strip().startswith('"'):
        return d.value
    return None


# ---------------------------------------------------------------------------------------
# Markdown: units (paragraph, list item, table row, fenced block) and code spans.


def section_of(title):
    m = re.match(r"^(\d+(?:\.\d+)*)\.?\s", title)
    if m:
        return m.group(1)
    m = re.match(r"^Appendix ([A-Z])\b", title)
    if m:
        return m.group(1)
    return None


def units(text):
    """Yields (kind, section, text) with kind in paragraph/item/row/code."""
    section = "intro"
    cur = []
    fence = None
    out = []

    def flush():
        if cur:
            kind = "item" if re.match(r"^(\*|-|\d+\.)\s", cur[0]) else "paragraph"
            out.append((kind, section, " ".join(x.strip() for x in cur)))
            cur.clear()

    for line in text.split("\n"):
        if fence is not None:
            if line.startswith("```"):
                out.append(("code", section, "\n".join(fence)))
                fence = None
            else:
                fence.append(line)
            continue
        if line.startswith("```"):
            flush()
            fence = []
            continue
        m = re.match(r"^#{1,6}\s+(.*)$", line)
        if m:
            flush()
            s = section_of(m.group(1))
            if s is not None:
                section = s
            continue
        if not line.strip():
            flush()
            continue
        if line.startswith("|"):
            flush()
            out.append(("row", section, line.strip()))
            continue
        if re.match(r"^(\*|-|\d+\.)\s", line):
            flush()
        cur.append(line)
    flush()
    return out


def segments(text):
    """Splits markdown text into [("text", s) | ("code", s)] (CommonMark code spans)."""
    segs = []
    buf = []
    i = 0
    while i < len(text):
        if text[i] == "`":
            j = i
            while j < len(text) and text[j] == "`":
                j += 1
            ticks = text[i:j]
            k = j
            close = -1
            while True:
                k = text.find(ticks, k)
                if k < 0:
                    break
                end = k + len(ticks)
                if (end < len(text) and text[end] == "`") or text[k - 1] == "`":
                    k = end
                    while k < len(text) and text[k] == "`":
                        k += 1
                    continue
                close = k
                break
            if close < 0:
                buf.append(ticks)
                i = j
                continue
            content = text[j:close]
            if len(content) >= 2 and content[0] == " " and content[-1] == " " and content.strip():
                content = content[1:-1]
            segs.append(("text", "".join(buf)))
            buf = []
            segs.append(("code", content))
            i = close + len(ticks)
        else:
            buf.append(text[i])
            i += 1
    segs.append(("text", "".join(buf)))
    return segs


def known_names(all_units):
    """Builtin names the spec mentions as such (tier lists, catalog entries, table rows)."""
    names = set(SPECIAL_FORMS) | CONSTANTS | SPECIAL_SPELLINGS
    for kind, section, text in all_units:
        if kind == "code":
            continue
        segs = segments(text)
        if section == "C":
            for k, s in segs:
                if k == "code":
                    names.update(s.split())
        if section.split(".")[0] in ("3", "4", "7", "12") or section in ("C",):
            for k, s in segs:
                if k == "text":
                    for b in re.findall(r"\*\*([^*`\s]+)\*\*", s):
                        names.add(b)
        if kind == "row" and (section.startswith("7.") or section in ("4.3", "4.4")):
            for k, s in first_cell(segs):
                if k == "code":
                    names.update(s.split())
    return {n for n in names if re.match(r"^[^\s()\[\]{}\"]+$", n)}


def first_cell(segs):
    """The segments of a table row's first cell."""
    out = []
    started = False
    for k, s in segs:
        if k == "text":
            body = s
            if not started:
                body = body.lstrip()
                if body.startswith("|"):
                    body = body[1:]
                started = True
            if "|" in body:
                out.append((k, body[: body.index("|")]))
                return out
            out.append((k, body))
        else:
            started = True
            out.append((k, s))
    return out


# ---------------------------------------------------------------------------------------
# Examples


def esc(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


VALUE_TOKEN = re.compile(r"^(#t|#f|nil|[-+]?inf|NaN|-?\d[\w./+\-]*)$")


def classify_rhs(segs, i, off, unit_kinds):
    """The result after the arrow at segs[i][1][off:]. Returns (result, consumed code
    span indexes). result is ("value", text) | ("error", kind, message or None) |
    ("message", text) | ("prose", text) | ("reader-error", text)."""
    post = segs[i][1][off:]
    nxt = segs[i + 1][1] if i + 1 < len(segs) and segs[i + 1][0] == "code" else None
    after = segs[i + 2][1] if i + 2 < len(segs) else ""
    if not post.strip() and nxt is not None:
        m = re.match(r"^ERR\s+(:[\w-]+)(?::\s*(.*))?$", nxt, re.S)
        if m:
            return ("error", m.group(1), m.group(2)), {i + 1}
        w = re.match(r"^\s+([A-Za-z]+)", after)
        if w and w.group(1) in QUALIFIERS:
            return ("prose", "`%s`%s" % (nxt, after.split(".")[0].rstrip())), {i + 1}
        if parse_one(nxt) is not None:
            return ("value", nxt), {i + 1}
        if re.match(r"^expected .+, got .+$", nxt):
            # §11.1: `expected EXPECTED, got GOT` is the :type-error message shape.
            return ("error", ":type-error", nxt), {i + 1}
        return ("prose", "`%s`" % nxt), {i + 1}
    s = post.strip()
    m = re.match(r"^(arity error|type error|reader error|error|message)$", s)
    if m and nxt is not None:
        phrase = m.group(1)
        if phrase == "message":
            v = string_value(nxt)
            return ("message", nxt if v is None else v), {i + 1}
        if phrase == "reader error":
            return ("reader-error", "reader error `%s`" % nxt), {i + 1}
        kind = {"arity error": ":arity", "type error": ":type-error"}.get(phrase)
        if kind is None:
            return ("prose", "error `%s` (kind not given)" % nxt), {i + 1}
        return ("error", kind, nxt), {i + 1}
    if re.match(r"^(arity error|type error)\b", s):
        kind = ":arity" if s.startswith("arity") else ":type-error"
        return ("error", kind, None), set()
    tok = re.match(r"^[^\s,;|)]+", s)
    if tok:
        t = tok.group(0)
        rest = s[len(t) :]
        if t.endswith(".") and len(t) > 1:
            t = t[:-1]
        w = re.match(r"^\s+([A-Za-z]+)", rest)
        if VALUE_TOKEN.match(t) and not (w and w.group(1) in QUALIFIERS):
            return ("value", t), set()
    desc = s.split(";")[0].split(". ")[0].strip()
    if not desc and nxt is not None:
        desc = "`%s`" % nxt
    elif nxt is not None and s == desc:
        desc = "%s `%s`" % (desc, nxt)
    return ("prose", desc), set()


def prose_tail(text):
    """The end of a prose fragment, for the skipped list."""
    t = re.split(r"[(;:|\u2014]|, |\. ", text)[-1].strip()
    return t if t else text.strip()


class Extractor:
    def __init__(self, spec_text):
        self.units = units(spec_text)
        self.known = known_names(self.units)
        self.counters = {}
        self.cases = []
        self.skipped = []
        self.used_overrides = set()

    def next_id(self, section):
        n = self.counters.get(section, 0) + 1
        self.counters[section] = n
        return "%s-%03d" % (section, n)

    def skip(self, section, expr, reason):
        self.skipped.append((self.next_id(section), expr, reason))

    def run(self):
        for kind, section, text in self.units:
            if kind == "code":
                self.code_block(section, text)
            else:
                self.text_unit(kind, section, text)
        for key in sorted(set(OVERRIDES) - self.used_overrides):
            sys.stderr.write("extract.py: warning: override %r matched no example\n" % (key,))

    # -- one example ---------------------------------------------------------------------

    def example(self, section, lhs, result, unit_fn=None, unit_kinds=()):
        """Decides about one `lhs → result` example."""
        expr = lhs.strip()
        d = parse_one(expr)
        if d is None:
            return self.skip(section, expr, "left side is not a complete Sema expression")
        if unit_fn and not is_call(d) and not isinstance(d, Sym):
            # "`"42"` → 42" in the row / entry of string->number: an argument shorthand.
            arg = expr if isinstance(d, (Lit, FStr)) or (isinstance(d, Seq) and d.kind != "list") else "'" + expr
            expr = "(%s %s)" % (unit_fn, arg)
            d = parse_one(expr)
        override = OVERRIDES.get((section, expr))
        if override:
            self.used_overrides.add((section, expr))
            if override[0] == "skip":
                return self.skip(section, expr, override[1])
            if override[0] == "expect":
                result = ("value", override[1])
            elif override[0] == "rewrite":
                expr = override[1]
                d = parse_one(expr)
        h = head_name(d)
        if h in OUTPUT_FUNCTIONS:
            return self.skip(section, expr, "describes printed output, not a value")
        syms = set()
        all_symbols(d, syms)
        if any(s.endswith("...") for s in syms):
            return self.skip(section, expr, "schematic form (`...` placeholder)")
        if (
            isinstance(d, Sym)
            and d.name in self.known
            and d.name not in CONSTANTS | SPECIAL_FORMS | SPECIAL_SPELLINGS
        ):
            return self.skip(section, expr, "names a function; the result describes its calls")
        free = set()
        free_names(d, set(), free)
        unknown = sorted(n for n in free if n not in self.known and not re.match(r"^%\d*$", n))
        if isinstance(d, Sym) and d.name in SPECIAL_SPELLINGS:
            unknown = []
        if result[0] == "message" and h in RAISING:
            kinds = sorted(k for k in unit_kinds if k in ERROR_KINDS)
            if len(kinds) != 1:
                return self.skip(section, expr, "error message given without its kind")
            result = ("error", kinds[0], result[1])
        if result[0] == "value" and h in RAISING:
            v = string_value(result[1])
            kinds = sorted(k for k in unit_kinds if k in ERROR_KINDS)
            if v is not None and len(kinds) == 1:
                result = ("error", kinds[0], v)
        if unknown:
            # A name the example means to be unbound is fine: the result says so.
            expected_text = result[2] if result[0] == "error" else result[1]
            if not all("Unbound variable: " + n in (expected_text or "") for n in unknown):
                return self.skip(
                    section,
                    expr,
                    "uses %s, which only the surrounding text defines" % ", ".join("`%s`" % n for n in unknown),
                )
        if result[0] == "prose":
            return self.skip(section, expr, "result described in prose: " + result[1])
        if result[0] == "reader-error":
            return self.skip(section, expr, "a reader error in program text, not a run-time result: " + result[1])
        if result[0] == "message":
            return self.skip(section, expr, "error message given without its kind")
        cid = self.next_id(section)
        if result[0] == "value":
            self.cases.append((cid, section, "value", expr, result[1]))
        else:
            kind, msg = result[1], result[2]
            self.cases.append((cid, section, "error", expr, kind if msg is None else "%s: %s" % (kind, msg)))

    # -- units ---------------------------------------------------------------------------

    def text_unit(self, kind, section, text):
        segs = segments(text)
        if not any(k == "text" and (ARROW in s or "raises" in s) for k, s in segs) and not any(
            k == "code" and s.startswith("ERR :") for k, s in segs
        ):
            return
        unit_kinds = {s for k, s in segs if k == "code"}
        row_fn = None
        if kind == "row" and (section.startswith("7.") or section in ("4.3", "4.4")):
            for k, s in first_cell(segs):
                if k == "code" and s in self.known and s not in SPECIAL_FORMS:
                    row_fn = s
                    break
        consumed = set()
        events = []  # (seg index, offset, kind)
        for i, (k, s) in enumerate(segs):
            if k == "text":
                for m in re.finditer(ARROW, s):
                    events.append((i, m.start(), "arrow"))
                for m in re.finditer(r"\braises\s*$", s):
                    if i + 1 < len(segs) and (
                        segs[i + 1][1].startswith("ERR ") or segs[i + 1][1] in ERROR_KINDS
                    ):
                        events.append((i, m.start(), "raises"))
            elif s.startswith("ERR :"):
                events.append((i, 0, "err"))
        events.sort()
        for i, off, ev in events:
            if ev == "err":
                if i not in consumed:
                    self.skip(section, segs[i][1], "ERR with no expression (describes a class of calls)")
                continue
            k_end = off + (len(ARROW) if ev == "arrow" else len("raises"))
            if ev == "raises":
                result, used = self.raises_result(segs, i)
            else:
                result, used = classify_rhs(segs, i, k_end, unit_kinds)
            consumed |= used
            pre = segs[i][1][:off]
            lhs_ok = not pre.strip() and i > 0 and segs[i - 1][0] == "code"
            group = []
            if lhs_ok:
                j = i - 1
                group = [j]
                while j >= 2 and re.match(r"^\s*/?\s*$", segs[j - 1][1]) and segs[j - 1][1] and segs[j - 2][0] == "code":
                    j -= 2
                    group.insert(0, j)
                before = segs[group[0] - 1][1] if group[0] >= 1 else ""
                w = re.search(r"\b([A-Za-z]+)\s*$", before)
                if w and w.group(1) in PROSE_JOINERS:
                    lhs_ok = False
                    pre = before + "`" + segs[group[0]][1] + "` "
            if not lhs_ok:
                frag = prose_tail(pre) if pre.strip() else "(nothing)"
                self.skip(section, frag + " " + ("raises" if ev == "raises" else ARROW) + " ...",
                          "not an example: the left side is prose, not an expression")
                continue
            for j in group:
                fn = row_fn
                if kind == "item":
                    # The catalog entry (`**name** (arity)` / `**name** [T2]`) the
                    # example belongs to: the nearest one before it.
                    fn = None
                    before = "".join(s if k == "text" else "`" for k, s in segs[:j])
                    for m in re.finditer(r"\*\*([^*`\s]+)\*\*(?=\s*(\(|\[T|,|/))", before):
                        if m.group(1) in self.known and m.group(1) not in SPECIAL_FORMS:
                            fn = m.group(1)
                self.example(section, segs[j][1], result, fn, unit_kinds)

    def raises_result(self, segs, i):
        c = segs[i + 1][1]
        m = re.match(r"^ERR\s+(:[\w-]+)(?::\s*(.*))?$", c, re.S)
        if m:
            return ("error", m.group(1), m.group(2)), {i + 1}
        after = segs[i + 2][1] if i + 2 < len(segs) else ""
        if re.match(r"^\s*with message\s*$", after) and i + 3 < len(segs) and segs[i + 3][0] == "code":
            return ("error", c, segs[i + 3][1]), {i + 1, i + 3}
        return ("error", c, None), {i + 1}

    def code_block(self, section, text):
        # `EXPR   ; RESULT` lines: the comment gives the result.
        for line in text.split("\n"):
            m = re.match(r"^(\(.*?\))\s+;\s*(.+)$", line)
            if not m:
                continue
            expr, res = m.group(1).strip(), m.group(2).strip()
            if parse_one(expr) is None:
                # The non-greedy match may have stopped early; take the longest prefix
                # that is one form.
                cut = line.rfind(";")
                expr = line[:cut].strip()
                res = line[cut + 1 :].strip()
            if parse_one(res) is None:
                self.skip(section, expr, "result in the comment is not a printed value: " + res)
                continue
            self.example(section, expr, ("value", res))


def render(ex):
    cases = ["id\tsection\tkind\texpr\texpected"]
    for cid, section, kind, expr, expected in ex.cases:
        cases.append("\t".join([cid, section, kind, esc(expr), esc(expected)]))
    skipped = ["id\texpr\treason"]
    for sid, expr, reason in ex.skipped:
        skipped.append("\t".join([sid, esc(expr), esc(reason)]))
    return "\n".join(cases) + "\n", "\n".join(skipped) + "\n"


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("spec", nargs="?", default=os.path.join(repo, "..", "shared", "LANGUAGE.md"))
    ap.add_argument("--out-dir", default=here)
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args(argv)
    with open(args.spec, encoding="utf-8") as f:
        spec = f.read()
    ex = Extractor(spec)
    ex.run()
    cases, skipped = render(ex)
    files = {"cases.tsv": cases, "skipped.tsv": skipped}
    if args.check:
        stale = []
        for name, content in files.items():
            path = os.path.join(args.out_dir, name)
            try:
                with open(path, encoding="utf-8", newline="") as f:
                    old = f.read()
            except OSError:
                old = None
            if old != content:
                stale.append(path)
        if stale:
            sys.stderr.write("out of date: %s\nregenerate: python3 %s %s\n" % (", ".join(stale), __file__, args.spec))
            return 1
        return 0
    os.makedirs(args.out_dir, exist_ok=True)
    for name, content in files.items():
        with open(os.path.join(args.out_dir, name), "w", encoding="utf-8", newline="") as f:
            f.write(content)
    sys.stderr.write(
        "extract.py: %d cases, %d skipped -> %s\n" % (len(ex.cases), len(ex.skipped), args.out_dir)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

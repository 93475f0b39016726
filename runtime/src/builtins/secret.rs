//! Finding and redacting credentials and personal data in text: `secret/detect`,
//! `secret/redact`, `pii/detect`, `redact/spans`, and `hash/digest` (SHA-256 hex).
//!
//! Detection is a fixed list of patterns tried in priority order; a later match that
//! overlaps an earlier one is dropped. Generic `key = value` assignments and long
//! token-like runs only count when their Shannon entropy reaches 3.5 bits per char,
//! so ordinary words do not trip them. Offsets are byte offsets into the UTF-8 text.
//! The patterns are compiled on first use.

use std::sync::OnceLock;

use regex::Regex;

use super::{pure, Builtin};
use crate::builtins::crypto::sha256_hex;
use crate::error::Result;
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("secret/detect", 1, Some(1), |a| Ok(secret_detect(a[0].expect_str()?))),
    pure("secret/redact", 1, Some(1), |a| {
        let text = a[0].expect_str()?;
        let spans = detect_secrets(text).into_iter().map(|f| (f.start, f.end, Some(f.kind.to_string())));
        Ok(Value::str(redact(text, spans.collect())))
    }),
    pure("pii/detect", 1, Some(1), |a| Ok(pii_detect(a[0].expect_str()?))),
    pure("redact/spans", 2, Some(2), |a| redact_spans(a[0].expect_str()?, &a[1])),
    pure("hash/digest", 1, Some(1), |a| Ok(Value::str(sha256_hex(a[0].expect_str()?.as_bytes())))),
];

struct Finding {
    kind: &'static str,
    start: usize,
    end: usize,
}

/// Bits per character at or above which a token-like string counts as random.
const ENTROPY_THRESHOLD: f64 = 3.5;

fn entropy(text: &str) -> f64 {
    let mut counts: hashbrown::HashMap<char, usize> = hashbrown::HashMap::new();
    for c in text.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let total = text.chars().count() as f64;
    // Summed in char order so the result does not depend on hash iteration order.
    let mut counts: Vec<(char, usize)> = counts.into_iter().collect();
    counts.sort_unstable();
    counts.iter().map(|&(_, n)| n as f64 / total).map(|p| -p * p.log2()).sum()
}

/// How a pattern's matches are accepted.
#[derive(Clone, Copy)]
enum Gate {
    Always,
    /// The whole match must look random.
    Entropy,
    /// Capture group 2 (the assigned value) must look random.
    ValueEntropy,
}

struct Pattern {
    kind: &'static str,
    source: &'static str,
    gate: Gate,
}

const SECRET_PATTERNS: &[Pattern] = &[
    Pattern { kind: "aws-access-key", source: r"AKIA[0-9A-Z]{16}", gate: Gate::Always },
    Pattern { kind: "private-key", source: r"-----BEGIN [A-Z ]*PRIVATE KEY-----", gate: Gate::Always },
    Pattern { kind: "jwt", source: r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", gate: Gate::Always },
    Pattern { kind: "slack-token", source: r"xox[baprs]-[A-Za-z0-9-]+", gate: Gate::Always },
    Pattern { kind: "github-token", source: r"gh[pousr]_[A-Za-z0-9]{36,}", gate: Gate::Always },
    Pattern {
        kind: "api-key",
        source: r#"(?i)(api[_-]?key|secret|token|password)\s*[:=]\s*['"]?([A-Za-z0-9_\-]{16,})"#,
        gate: Gate::ValueEntropy,
    },
    Pattern { kind: "high-entropy", source: r"[A-Za-z0-9+/=_\-]{32,}", gate: Gate::Entropy },
];

const PII_PATTERNS: &[Pattern] = &[
    Pattern { kind: "email", source: r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}", gate: Gate::Always },
    Pattern {
        kind: "ipv4",
        source: concat!(
            r"\b(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}",
            r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\b"
        ),
        gate: Gate::Always,
    },
    Pattern { kind: "phone", source: r"(?:\+?1[\s.\-]?)?\(?\d{3}\)?[\s.\-]?\d{3}[\s.\-]?\d{4}", gate: Gate::Always },
];

fn compiled(patterns: &'static [Pattern], cell: &'static OnceLock<Vec<Regex>>) -> &'static [Regex] {
    // The sources are constants checked by the unit tests: compiling cannot fail.
    cell.get_or_init(|| patterns.iter().map(|p| Regex::new(p.source).expect("valid built-in pattern")).collect())
}

fn detect(text: &str, patterns: &'static [Pattern], cell: &'static OnceLock<Vec<Regex>>) -> Vec<Finding> {
    let mut findings: Vec<Finding> = Vec::new();
    for (pattern, re) in patterns.iter().zip(compiled(patterns, cell)) {
        for caps in re.captures_iter(text) {
            let whole = caps.get_match();
            let accepted = match pattern.gate {
                Gate::Always => true,
                Gate::Entropy => entropy(whole.as_str()) >= ENTROPY_THRESHOLD,
                Gate::ValueEntropy => caps.get(2).is_some_and(|v| entropy(v.as_str()) >= ENTROPY_THRESHOLD),
            };
            let (start, end) = (whole.start(), whole.end());
            if accepted && !findings.iter().any(|f| start < f.end && f.start < end) {
                findings.push(Finding { kind: pattern.kind, start, end });
            }
        }
    }
    findings.sort_by_key(|f| f.start);
    findings
}

/// The credentials found in text as finding maps (a fuzzing entry point).
pub fn secret_detect(text: &str) -> Value {
    findings_value(text, &detect_secrets(text))
}

/// Personal data found in text as finding maps (a fuzzing entry point).
pub fn pii_detect(text: &str) -> Value {
    findings_value(text, &detect_pii(text))
}

fn detect_secrets(text: &str) -> Vec<Finding> {
    static COMPILED: OnceLock<Vec<Regex>> = OnceLock::new();
    detect(text, SECRET_PATTERNS, &COMPILED)
}

fn detect_pii(text: &str) -> Vec<Finding> {
    static COMPILED: OnceLock<Vec<Regex>> = OnceLock::new();
    detect(text, PII_PATTERNS, &COMPILED)
}

/// `({:type :match :start :end})`, the type a string such as `"email"`.
fn findings_value(text: &str, findings: &[Finding]) -> Value {
    let item = |f: &Finding| {
        Value::keyword_map([
            ("type", Value::str(f.kind)),
            ("match", Value::str(&text[f.start..f.end])),
            ("start", Value::int(f.start as i64)),
            ("end", Value::int(f.end as i64)),
        ])
    };
    Value::list(findings.iter().map(item).collect())
}

/// Replaces each `(start, end, label)` span with `«redacted:LABEL»` (`«redacted»`
/// without a label). Spans are taken in start order; one overlapping an earlier
/// accepted span is skipped.
fn redact(text: &str, mut spans: Vec<(usize, usize, Option<String>)>) -> String {
    spans.sort_by_key(|&(start, _, _)| start);
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for (start, end, label) in spans {
        if start < done {
            continue;
        }
        out.push_str(&text[done..start]);
        match label {
            Some(label) => out.push_str(&format!("\u{ab}redacted:{label}\u{bb}")),
            None => out.push_str("\u{ab}redacted\u{bb}"),
        }
        done = end;
    }
    out.push_str(&text[done..]);
    out
}

/// Spans are maps with `:start` and `:end` byte offsets and an optional string
/// `:label`; entries that are not maps, lack offsets, are empty after clamping to the
/// text, or cut a UTF-8 character are ignored.
fn redact_spans(text: &str, spans: &Value) -> Result<Value> {
    let spans = spans.expect_list()?;
    let offset = |span: &Value, key: &str| span.option(key).and_then(Value::as_int).filter(|&n| n >= 0);
    let mut edits = Vec::new();
    for span in spans.iter() {
        if !matches!(span, Value::Map(_)) {
            continue;
        }
        let (Some(start), Some(end)) = (offset(span, "start"), offset(span, "end")) else { continue };
        let start = (start as u64).min(text.len() as u64) as usize;
        let end = (end as u64).min(text.len() as u64) as usize;
        if start >= end || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        let label = span.option("label").and_then(Value::as_str).map(str::to_string);
        edits.push((start, end, label));
    }
    Ok(Value::str(redact(text, edits)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_patterns_compile_and_find() {
        let found = detect_secrets("key AKIAIOSFODNN7EXAMPLE and -----BEGIN RSA PRIVATE KEY-----");
        let kinds: Vec<&str> = found.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, ["aws-access-key", "private-key"]);
        assert_eq!(detect_pii("mail a@b.io from 10.0.0.1").len(), 2);
        assert!(entropy("aaaa") < 0.001);
    }
}

//! Line diffs and patches: `diff/unified` (the `similar` crate, headers `old`/`new`),
//! reading unified diffs (`diff/hunks`, `diff/parse`, `diff/stat`) and applying them
//! (`diff/apply` to a string, `patch/apply-file` to a file in place).
//!
//! Reading is lenient as the reference's is: lines that are not hunk headers or hunk
//! body lines (` `, `+`, `-`, `\`) are skipped, and a hunk whose header does not
//! parse is dropped. Applying matches each hunk's context at its stated line, or up to
//! three lines before or after it.

use similar::TextDiff;

use super::{pure, Builtin};
use crate::builtins::system::io_error;
use crate::error::{Error, Result};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("diff/unified", 2, Some(3), unified),
    pure("diff/stat", 1, Some(1), |a| Ok(stat(a[0].expect_str()?))),
    pure("diff/hunks", 1, Some(1), |a| Ok(Value::list(hunks(a[0].expect_str()?).iter().map(Hunk::to_value).collect()))),
    pure("diff/parse", 1, Some(1), |a| Ok(parse(a[0].expect_str()?))),
    pure("diff/apply", 2, Some(2), |a| {
        Ok(Value::str(apply_patch(a[0].expect_str()?, a[1].expect_str()?)?))
    }),
    pure("patch/apply-file", 2, Some(2), |a| apply_file(a[0].expect_str()?, a[1].expect_str()?)),
];

fn unified(args: &[Value]) -> Result<Value> {
    let (old, new) = (args[0].expect_str()?, args[1].expect_str()?);
    let context = match args.get(2) {
        None => 3,
        Some(n) => usize::try_from(n.expect_int()?).map_err(|_| Error::eval("diff/unified: context must be >= 0"))?,
    };
    let diff = TextDiff::from_lines(old, new);
    Ok(Value::str(diff.unified_diff().context_radius(context).header("old", "new").to_string()))
}

/// Counts `+` and `-` lines inside hunks; file headers and preambles are not counted.
fn stat(patch: &str) -> Value {
    let (mut added, mut removed, mut hunk_count) = (0, 0, 0);
    let mut in_hunk = false;
    for line in patch.lines() {
        if line.starts_with("diff ") {
            in_hunk = false;
        } else if line.starts_with("@@") {
            hunk_count += 1;
            in_hunk = true;
        } else if in_hunk && line.starts_with('+') {
            added += 1;
        } else if in_hunk && line.starts_with('-') {
            removed += 1;
        }
    }
    let count = Value::int;
    Value::keyword_map([("added", count(added)), ("removed", count(removed)), ("hunks", count(hunk_count))])
}

struct Hunk {
    /// The header up to and including its closing `@@` (any section text dropped).
    header: String,
    old_start: i64,
    old_count: i64,
    new_start: i64,
    new_count: i64,
    lines: Vec<String>,
}

impl Hunk {
    /// `@@ -OLD[,COUNT] +NEW[,COUNT] @@...`; a missing count is 1.
    fn from_header(line: &str) -> Option<Hunk> {
        let ranges_end = line.strip_prefix("@@ ")?.find(" @@")? + 3;
        let mut ranges = line[3..ranges_end].split(' ');
        let (old_start, old_count) = range(ranges.next()?.strip_prefix('-')?)?;
        let (new_start, new_count) = range(ranges.next()?.strip_prefix('+')?)?;
        let header = line[..ranges_end + 3].to_string();
        Some(Hunk { header, old_start, old_count, new_start, new_count, lines: Vec::new() })
    }

    fn to_value(&self) -> Value {
        Value::keyword_map([
            ("header", Value::str(self.header.as_str())),
            ("old-start", Value::int(self.old_start)),
            ("old-count", Value::int(self.old_count)),
            ("new-start", Value::int(self.new_start)),
            ("new-count", Value::int(self.new_count)),
            ("lines", Value::str_list(self.lines.iter().map(String::as_str))),
        ])
    }
}

fn range(text: &str) -> Option<(i64, i64)> {
    let (start, count) = match text.split_once(',') {
        Some((start, count)) => (start.parse().ok()?, count.parse().ok()?),
        None => (text.parse().ok()?, 1),
    };
    (start >= 0 && count >= 0).then_some((start, count))
}

fn is_body_line(line: &str) -> bool {
    line.starts_with([' ', '+', '-', '\\'])
}

/// The hunks of a patch in order, across all its files.
fn hunks(patch: &str) -> Vec<Hunk> {
    let mut hunks: Vec<Hunk> = Vec::new();
    for line in patch.lines() {
        if line.starts_with("@@") {
            hunks.extend(Hunk::from_header(line));
        } else if let Some(hunk) = hunks.last_mut().filter(|_| is_body_line(line)) {
            hunk.lines.push(line.to_string());
        }
    }
    hunks
}

/// `{:files ({:old-path :new-path :hunks})}` (a fuzzing entry point); paths keep their `a/`/`b/` prefixes and
/// lose any tab-separated timestamp.
pub fn parse(patch: &str) -> Value {
    struct File {
        old_path: Option<String>,
        new_path: Option<String>,
        hunks: Vec<Hunk>,
    }
    let path = |rest: &str| rest.split('\t').next().unwrap_or(rest).to_string();
    let mut files: Vec<File> = Vec::new();
    for line in patch.lines() {
        if let Some(rest) = line.strip_prefix("--- ") {
            files.push(File { old_path: Some(path(rest)), new_path: None, hunks: Vec::new() });
        } else if let Some(rest) = line.strip_prefix("+++ ") {
            match files.last_mut() {
                Some(file) => file.new_path = Some(path(rest)),
                None => files.push(File { old_path: None, new_path: Some(path(rest)), hunks: Vec::new() }),
            }
        } else if line.starts_with("@@") {
            if let Some(hunk) = Hunk::from_header(line) {
                match files.last_mut() {
                    Some(file) => file.hunks.push(hunk),
                    None => files.push(File { old_path: None, new_path: None, hunks: vec![hunk] }),
                }
            }
        } else if is_body_line(line) {
            if let Some(hunk) = files.last_mut().and_then(|f| f.hunks.last_mut()) {
                hunk.lines.push(line.to_string());
            }
        }
    }
    let optional = |p: &Option<String>| p.as_deref().map_or(Value::Nil, Value::str);
    let files = files.iter().map(|f| {
        Value::keyword_map([
            ("old-path", optional(&f.old_path)),
            ("new-path", optional(&f.new_path)),
            ("hunks", Value::list(f.hunks.iter().map(Hunk::to_value).collect())),
        ])
    });
    Value::keyword_map([("files", Value::list(files.collect()))])
}

/// Applies a unified diff to text (a fuzzing entry point).
pub fn apply_patch(content: &str, patch: &str) -> Result<String> {
    apply(content, &hunks(patch))
}

/// How far from its stated line a hunk's context may be found.
const MAX_DRIFT: i64 = 3;

/// Applies hunks in order; each later hunk's stated line is shifted by the lines the
/// earlier ones added or removed and by where their context was actually found.
fn apply(content: &str, hunks: &[Hunk]) -> Result<String> {
    let trailing_newline = content.ends_with('\n');
    let body = if trailing_newline { &content[..content.len() - 1] } else { content };
    let mut lines: Vec<&str> = if content.is_empty() { Vec::new() } else { body.split('\n').collect() };
    let mut offset: i64 = 0;
    for hunk in hunks {
        let mut expected = Vec::new();
        let mut replacement = Vec::new();
        for line in &hunk.lines {
            let text = &line[1..];
            match line.as_bytes()[0] {
                b' ' => {
                    expected.push(text);
                    replacement.push(text);
                }
                b'-' => expected.push(text),
                b'+' => replacement.push(text),
                _ => {}
            }
        }
        // Saturating: stated lines and counts are untrusted and may be near i64::MAX.
        let nominal = hunk.old_start.saturating_add(offset).saturating_sub(i64::from(hunk.old_count != 0));
        let matches_at = |start: i64| {
            start >= 0
                && (start as usize).checked_add(expected.len()).is_some_and(|end| end <= lines.len())
                && lines[start as usize..].iter().zip(&expected).all(|(have, want)| have == want)
        };
        let at = if expected.is_empty() {
            nominal.clamp(0, lines.len() as i64)
        } else {
            let found = std::iter::once(nominal)
                .chain((1..=MAX_DRIFT).flat_map(|d| [nominal.saturating_sub(d), nominal.saturating_add(d)]))
                .find(|&start| matches_at(start))
                .ok_or_else(|| {
                    Error::eval(format!(
                        "diff/apply: hunk does not apply (context mismatch near old line {})",
                        hunk.old_start
                    ))
                })?;
            offset = offset.saturating_add(found - nominal);
            found
        } as usize;
        lines.splice(at..at + expected.len(), replacement);
        offset = offset.saturating_add(hunk.new_count.saturating_sub(hunk.old_count));
    }
    let mut result = lines.join("\n");
    if trailing_newline && !result.is_empty() {
        result.push('\n');
    }
    Ok(result)
}

/// Patches a regular file in place; the number of hunks applied.
fn apply_file(path: &str, patch: &str) -> Result<Value> {
    const OP: &str = "patch/apply-file";
    let metadata = std::fs::metadata(path).map_err(|e| io_error(OP, path, e))?;
    if !metadata.is_file() {
        return Err(Error::eval(format!("{OP}: target must be a regular file: {path}")));
    }
    let content = std::fs::read_to_string(path).map_err(|e| io_error(OP, path, e))?;
    let hunks = hunks(patch);
    // The reference applies off the interpreter thread and reports failures with
    // their kind spelled out.
    let patched = apply(&content, &hunks).map_err(|e| e.with_prefix("Eval error"))?;
    std::fs::write(path, patched).map_err(|e| io_error(OP, path, e))?;
    Ok(Value::int(hunks.len() as i64))
}

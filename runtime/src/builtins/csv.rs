//! CSV (RFC 4180 through the `csv` crate): `csv/parse` to a list of rows of strings,
//! `csv/parse-maps` to a list of maps keyed by the header row's keywords, and
//! `csv/encode` from a list of rows. Rows must all have the same number of fields.
//! Parse errors carry the reference's `Eval error: ` lead, which programs can see.

use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::printer::display;
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("csv/parse", 1, Some(1), |a| parse(a[0].expect_str()?)),
    pure("csv/parse-maps", 1, Some(1), |a| parse_maps(a[0].expect_str()?)),
    pure("csv/encode", 1, Some(1), |a| encode(&a[0])),
];

fn reader(text: &str, headers: bool) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(headers).from_reader(text.as_bytes())
}

/// Parses CSV text into rows of strings (the fuzzing entry point for `csv/parse`).
pub fn parse(text: &str) -> Result<Value> {
    let mut rows = Vec::new();
    for record in reader(text, false).records() {
        let record = record.map_err(|e| Error::eval(format!("Eval error: csv/parse: parse error: {e}")))?;
        rows.push(Value::str_list(record.iter()));
    }
    Ok(Value::list(rows))
}

/// Parses CSV text with a header row into maps (the fuzzing entry point for
/// `csv/parse-maps`).
pub fn parse_maps(text: &str) -> Result<Value> {
    let failed = |e: csv::Error| Error::eval(format!("Eval error: csv/parse-maps: parse error: {e}"));
    let mut reader = reader(text, true);
    let headers: Vec<Value> = reader.headers().map_err(failed)?.iter().map(Value::keyword).collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(failed)?;
        rows.push(Value::map(headers.iter().cloned().zip(record.iter().map(Value::str))));
    }
    Ok(Value::list(rows))
}

/// Fields that are not strings are written in their display form.
fn encode(rows: &Value) -> Result<Value> {
    let rows = rows.expect_list()?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows.iter() {
        let fields = row.seq_items().filter(|_| !row.is_nil()).ok_or_else(|| Error::type_error("list", row))?;
        writer
            .write_record(fields.iter().map(display))
            .map_err(|e| Error::eval(format!("csv/encode: {e}")))?;
    }
    let bytes = writer.into_inner().map_err(|e| Error::eval(format!("csv/encode: {e}")))?;
    String::from_utf8(bytes).map(Value::str).map_err(|e| Error::eval(format!("csv/encode: {e}")))
}

//! Wall-clock time as epoch seconds (floats), formatted and parsed in UTC with chrono's
//! strftime directives (`time/*`), and `sleep`.

use std::fmt::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Datelike, NaiveDateTime, TimeZone, Timelike, Utc};

use super::io::flush_stdout;
use super::system::epoch_millis;
use super::{pure, Builtin};
use crate::error::{Error, Result};
use crate::value::Value;

pub static BUILTINS: &[Builtin] = &[
    pure("time/now", 0, Some(0), |_| Ok(Value::float(now()))),
    // The reference's other name for `time-ms`.
    pure("time/now-ms", 0, Some(0), |_| Ok(Value::int(epoch_millis()))),
    pure("time/format", 2, Some(2), |a| format(&a[0], &a[1])),
    pure("time/parse", 2, Some(2), |a| parse(&a[0], &a[1])),
    pure("time/date-parts", 1, Some(1), |a| date_parts(&a[0])),
    pure("time/add", 2, Some(2), |a| Ok(Value::float(a[0].expect_f64()? + a[1].expect_f64()?))),
    pure("time/diff", 2, Some(2), |a| Ok(Value::float(a[0].expect_f64()? - a[1].expect_f64()?))),
    pure("sleep", 1, Some(1), |a| sleep(&a[0])),
];

/// Seconds since the epoch, to the millisecond.
fn now() -> f64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    since.as_secs() as f64 + f64::from(since.subsec_millis()) / 1000.0
}

/// The UTC date-time of epoch seconds; a fraction below zero counts back from the
/// whole second before (-0.5 is 23:59:59.5 on 1969-12-31).
fn datetime(seconds: &Value) -> Result<DateTime<Utc>> {
    let ts = seconds.expect_f64()?;
    let invalid = || Error::eval("time: invalid timestamp");
    if !ts.is_finite() {
        return Err(invalid());
    }
    let whole = ts.floor();
    let nanos = ((ts - whole) * 1e9) as u32;
    Utc.timestamp_opt(whole as i64, nanos).single().ok_or_else(invalid)
}

/// `(time/format ts "%Y-%m-%d")`.
fn format(ts: &Value, pattern: &Value) -> Result<Value> {
    let dt = datetime(ts)?;
    let pattern = pattern.expect_str()?;
    let mut out = String::new();
    // An unknown directive surfaces as a formatting error, not a panic, when written
    // through fmt::Write.
    write!(out, "{}", dt.format(pattern))
        .map_err(|_| Error::eval(format!("time/format: invalid format string: {pattern:?}")))?;
    Ok(Value::str(out))
}

/// `(time/parse text pattern)`: epoch seconds of a date and time read as UTC.
fn parse(text: &Value, pattern: &Value) -> Result<Value> {
    let (text, pattern) = (text.expect_str()?, pattern.expect_str()?);
    let naive = NaiveDateTime::parse_from_str(text, pattern)
        .map_err(|e| Error::eval(format!("time/parse: parse error: {e}")))?;
    Ok(Value::float(naive.and_utc().timestamp() as f64))
}

/// `{:day :hour :minute :month :second :weekday :year}` in UTC.
fn date_parts(ts: &Value) -> Result<Value> {
    let dt = datetime(ts)?;
    Ok(Value::keyword_map([
        ("year", Value::int(i64::from(dt.year()))),
        ("month", Value::int(i64::from(dt.month()))),
        ("day", Value::int(i64::from(dt.day()))),
        ("hour", Value::int(i64::from(dt.hour()))),
        ("minute", Value::int(i64::from(dt.minute()))),
        ("second", Value::int(i64::from(dt.second()))),
        ("weekday", Value::str(dt.format("%A").to_string())),
    ]))
}

/// Longest single sleep: a day.
const MAX_SLEEP_MS: u64 = 86_400_000;

/// `(sleep ms)`: a negative duration does not sleep.
fn sleep(ms: &Value) -> Result<Value> {
    let ms = ms.expect_int()?.max(0) as u64;
    flush_stdout();
    std::thread::sleep(Duration::from_millis(ms.min(MAX_SLEEP_MS)));
    Ok(Value::Nil)
}

#[cfg(test)]
mod tests {
    use crate::builtins::test_support::{call, int, s};
    use crate::value::Value;

    #[test]
    fn formats_and_parses_in_utc() {
        let ts = Value::float(1_705_314_645.25);
        assert_eq!(call("time/format", &[ts.clone(), s("%Y-%m-%d %H:%M:%S %A")]), r#""2024-01-15 10:30:45 Monday""#);
        assert_eq!(
            call("time/date-parts", &[ts]),
            r#"{:day 15 :hour 10 :minute 30 :month 1 :second 45 :weekday "Monday" :year 2024}"#
        );
        assert_eq!(call("time/format", &[Value::float(-0.5), s("%Y-%m-%d %H:%M:%S")]), r#""1969-12-31 23:59:59""#);
        assert_eq!(call("time/parse", &[s("2024-01-15 10:30:45"), s("%Y-%m-%d %H:%M:%S")]), "1705314645.0");
        let bad = r#"ERR Eval error: time/format: invalid format string: "%Q""#;
        assert_eq!(call("time/format", &[int(0), s("%Q")]), bad);
        assert_eq!(call("time/format", &[Value::float(f64::NAN), s("%Y")]), "ERR Eval error: time: invalid timestamp");
        assert!(call("time/parse", &[s("x"), s("%Y")]).starts_with("ERR Eval error: time/parse: parse error: "));
    }
}

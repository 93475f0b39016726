//! Debugging and robustness helpers: `assert=`, `spy`, timing a thunk (`time`,
//! `time/ms`) and retrying one with exponential backoff (`retry`).

use std::time::{Duration, Instant};

use super::console::write_stderr;
use super::{pure, with_vm, Builtin};
use crate::error::{Error, Result};
use crate::printer::repr;
use crate::value::Value;
use crate::vm::Vm;

pub static BUILTINS: &[Builtin] = &[
    pure("assert=", 2, Some(2), assert_equal),
    pure("spy", 2, Some(2), |a| {
        write_stderr(&format!("[{}] {}\n", a[0].expect_str()?, repr(&a[1])))?;
        Ok(a[1].clone())
    }),
    with_vm("time", 1, Some(1), |vm, a| {
        let (value, ms) = timed(vm, &a[0])?;
        write_stderr(&format!("Elapsed: {ms:.3}ms\n"))?;
        Ok(value)
    }),
    with_vm("time/ms", 1, Some(1), |vm, a| Ok(Value::float(timed(vm, &a[0])?.1))),
    with_vm("retry", 1, Some(2), retry),
];

/// `(assert= expected actual)`: #t, or an error showing both.
fn assert_equal(args: &[Value]) -> Result<Value> {
    if args[0] != args[1] {
        return Err(Error::eval(format!("assertion failed: expected {}, got {}", repr(&args[0]), repr(&args[1]))));
    }
    Ok(Value::bool(true))
}

/// Calls the thunk; its value and the milliseconds it took.
fn timed(vm: &mut Vm, thunk: &Value) -> Result<(Value, f64)> {
    if !matches!(thunk, Value::Closure(_) | Value::Native(_) | Value::Keyword(_) | Value::Multimethod(_)) {
        return Err(Error::type_error("callable", thunk));
    }
    let start = Instant::now();
    let value = vm.call(thunk, &[])?;
    Ok((value, start.elapsed().as_secs_f64() * 1000.0))
}

/// `(retry thunk [{:max-attempts 3 :base-delay-ms 100 :backoff 2.0}])`: calls the
/// thunk until it returns, sleeping `base * backoff^n` ms after the n-th failure
/// (from 0); after the last attempt its error is raised again.
fn retry(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let thunk = &args[0];
    if !matches!(thunk, Value::Closure(_) | Value::Native(_)) {
        return Err(Error::type_error("function", thunk));
    }
    let opts = args.get(1);
    let option = |name| opts.and_then(|o| o.option(name));
    let attempts = option("max-attempts").and_then(Value::as_int).map_or(3, |n| n.max(1));
    let base_ms = option("base-delay-ms").and_then(Value::as_int).map_or(100, |n| n.max(0)) as f64;
    let backoff = option("backoff").and_then(Value::as_f64).unwrap_or(2.0);
    let mut attempt = 0;
    loop {
        match vm.call(thunk, &[]) {
            Err(e) if e.catchable() && attempt + 1 < attempts => {
                let delay = base_ms * backoff.powi(attempt.min(i32::MAX as i64) as i32);
                if delay >= 1.0 {
                    // A day at most: what `sleep` allows.
                    std::thread::sleep(Duration::from_millis(delay.min(86_400_000.0) as u64));
                }
                attempt += 1;
            }
            result => return result,
        }
    }
}

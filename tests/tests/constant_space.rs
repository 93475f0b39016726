//! Tail calls run in constant space (LANGUAGE.md §5.3): 10,000,000 iterations of each
//! kind of tail loop under an address-space cap only 48 MiB above the interpreter's
//! 1 GiB stack reservation. A loop that kept a frame, a closure or a boxed value per
//! iteration would need hundreds of MiB and die with `out of memory`.

use std::fs;
use std::process::Command;
use std::time::Duration;

use sema_e2e::{compile_bundle, limit_child_memory, run_with_timeout, tool, TempDir};

const CAP: u64 = (1 << 30) + (48 << 20);

#[test]
fn ten_million_tail_calls_fit_in_a_fixed_address_space() {
    let programs = [
        // A named let in tail position: compiled to a jump inside the function.
        ("inlined-named-let", "(define (f n) (let loop ((i 0) (acc '())) (if (= i n) i (loop (+ i 1) (cons i '())))))\n(println (f 10000000))\n", "10000000"),
        // A named let as an argument: a closure whose self tail call reuses its frame.
        ("named-let-closure", "(println (let loop ((i 0)) (if (< i 10000000) (loop (+ i 1)) i)))\n", "10000000"),
        // A global function calling itself in tail position.
        ("self-tail-call", "(define (count i n) (if (= i n) i (count (+ i 1) n)))\n(println (count 0 10000000))\n", "10000000"),
        // Two functions calling each other in tail position.
        ("mutual", "(define (ev? n) (if (= n 0) #t (od? (- n 1))))\n(define (od? n) (if (= n 0) #f (ev? (- n 1))))\n(println (ev? 10000000))\n", "#t"),
        // A tail call of a function passed as a value.
        ("tail-call-of-a-value", "(define (step f i) (if (= i 0) 'done (f f (- i 1))))\n(println (step step 10000000))\n", "done"),
        // A captured, assigned loop variable: a fresh cell each iteration, freed each time.
        ("boxed-variable", "(define (f n) (let loop ((i 0) (g nil)) (if (= i n) (g) (loop (+ i 1) (fn () (set! i i) i)))))\n(println (f 10000000))\n", "9999999"),
    ];
    let dir = TempDir::new("constant-space");
    for (name, source, expected) in programs {
        let path = dir.path().join(format!("{name}.sema"));
        fs::write(&path, source).unwrap();
        let bundle = dir.path().join(format!("{name}.semb"));
        compile_bundle(&path, &bundle, &[], Duration::from_secs(60)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut cmd = Command::new(tool("semarun"));
        cmd.arg(&bundle);
        limit_child_memory(&mut cmd, CAP);
        let out = run_with_timeout(cmd, Duration::from_secs(120)).unwrap();
        assert!(out.success(), "{name}: {}", out.describe_end());
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), expected, "{name}");
    }
}

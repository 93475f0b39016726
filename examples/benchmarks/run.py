#!/usr/bin/env python3
"""Benchmark runner for the Sema toolchain.

Compiles every examples/benchmarks/*.sema with `semac`, runs the bundle with
`semarun` several times, and prints wall time (median and minimum), peak
memory and whether the output matched the program's `.expected` file.

    python3 examples/benchmarks/run.py [--bin-dir target/release] [--runs N]
                                       [--only NAME[,NAME...]] [--rows N]
                                       [--lua PATH | --no-lua] [--no-extras]
                                       [--markdown]

1brc reads a generated measurements file (gen-1brc.py, --rows lines, cached
between invocations); its timed runs are not compared with anything, but the
program is also run once on data/1brc-sample.txt and that output must match
1brc.expected.

Side by side with Lua: when `lua5.4` is on PATH (or --lua PATH is given, and
--no-lua is not), every benchmark also runs its Lua 5.4 port
lua/NAME.lua, alternating with semarun (--runs runs of each), and the table
shows both medians, the ratio semarun/lua, both peak memories and the
geometric mean of the ratios.  Lua's output is checked like semarun's (for
1brc: the sample run must match 1brc.expected and each timed run must print
what semarun printed on the same data).  Unless --no-extras, three more
figures follow: start-up (semarun on hello.semb, the hello executable built
with `semac --exe`, and `lua5.4 -e 'print(1)'`, median of 20 runs each), the
size of that executable (and of a stripped copy), the compile time of a large generated program and
the load time of a bundle that only defines its functions.

Exit status: 0 when every program ran and printed what was expected; 1 when
any program failed to compile, failed at run time, timed out or printed
something else; 2 for usage errors and missing binaries.

Python 3.11 standard library only; Linux or macOS (posix_spawn + wait4).
"""

import argparse
import difflib
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent.parent
GENERATOR = BENCH_DIR / "gen-1brc.py"
ONEBRC = "1brc"
ONEBRC_SAMPLE = BENCH_DIR / "data" / "1brc-sample.txt"
LUA_DIR = BENCH_DIR / "lua"
HELLO = REPO_ROOT / "examples" / "hello.sema"
# A program that uses JSON and regular expressions: its executable embeds
# semarun-std, where hello's embeds semarun-lite (docs/executables.md).
BATTERIES_EXAMPLE = REPO_ROOT / "examples" / "log-report.sema"
STARTUP_RUNS = 20
LARGE_FUNCTIONS = 5000          # definitions in the generated compile/load program


@dataclass
class Run:
    seconds: float
    max_rss_kib: int
    status: int            # exit status, or -signal when killed by a signal
    timed_out: bool
    stdout: bytes
    stderr: bytes


@dataclass
class Result:
    name: str
    times: list = field(default_factory=list)     # seconds per successful run
    rss_kib: list = field(default_factory=list)   # ru_maxrss of each timed run
    peak_kib: int = None                          # from the GNU time run, when there is one
    verdict: str = "ok"                           # ok, MISMATCH, FAILED, ...
    details: list = field(default_factory=list)   # lines explaining a failure

    def fail(self, verdict, *lines):
        # Keep the first (most fundamental) verdict, collect every detail.
        if self.verdict == "ok":
            self.verdict = verdict
        self.details.extend(lines)


def progress(msg):
    print(msg, file=sys.stderr, flush=True)


def run_process(argv, workdir, timeout):
    """Run argv with stdout/stderr going to files; return a Run.

    The child is started with posix_spawn and reaped with wait4, which gives the
    resource usage (peak RSS) of exactly that process.  Output goes to files
    rather than pipes so reading it does not interfere with the timing.
    """
    out_path = os.path.join(workdir, "stdout")
    err_path = os.path.join(workdir, "stderr")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, out_path, flags, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, err_path, flags, 0o644),
    ]
    state = {"done": False, "timed_out": False}
    lock = threading.Lock()

    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)

    def on_timeout():
        with lock:
            if not state["done"]:
                state["timed_out"] = True
                os.kill(pid, 9)

    timer = threading.Timer(timeout, on_timeout)
    timer.daemon = True
    timer.start()
    try:
        while True:
            try:
                _, wait_status, usage = os.wait4(pid, 0)
                break
            except InterruptedError:
                continue
    finally:
        with lock:
            state["done"] = True
        timer.cancel()
    seconds = time.perf_counter() - start

    rss = usage.ru_maxrss
    if sys.platform == "darwin":          # bytes on macOS, KiB on Linux
        rss //= 1024
    with open(out_path, "rb") as f:
        stdout = f.read()
    with open(err_path, "rb") as f:
        stderr = f.read()
    return Run(seconds, rss, os.waitstatus_to_exitcode(wait_status),
               state["timed_out"], stdout, stderr)


# GNU time, when installed: it forks the program from its own small process and
# reports that child's ru_maxrss.  Needed on Linux because exec records the
# old address space's high-water mark in the new program's ru_maxrss, and a
# child spawned by this runner starts from the runner's address space: read
# directly, every figure would be at least the runner's own peak (~15 MiB).
GNU_TIME = None


def find_gnu_time():
    path = shutil.which("time")
    if path is None or sys.platform == "darwin":
        return None
    probe = subprocess.run([path, "-f", "%M", "true"], capture_output=True, text=True)
    lines = probe.stderr.split()
    return path if probe.returncode == 0 and lines and lines[-1].isdigit() else None


def peak_rss_kib(argv, workdir, timeout):
    """Peak resident memory (KiB) of one untimed run of argv under GNU time, or None."""
    if GNU_TIME is None:
        return None
    rss_file = os.path.join(workdir, "maxrss")
    run = run_process([GNU_TIME, "-f", "%M", "-o", rss_file] + list(argv), workdir, timeout)
    if run.status != 0 or run.timed_out:
        return None
    try:
        return int(Path(rss_file).read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def peak_mib(r):
    """Peak memory of a Result or Extra as table text."""
    if r.peak_kib is not None:
        return f"{r.peak_kib / 1024:.1f}"
    return f"{max(r.rss_kib) / 1024:.1f}" if r.rss_kib else "-"


def memory_note():
    if GNU_TIME is not None:
        return "peak MiB: one extra untimed run under GNU time"
    return "peak MiB: ru_maxrss of the timed runs (on Linux at least the runner's own peak)"


def describe_exit(run):
    if run.timed_out:
        return "TIMEOUT", "killed after the time limit"
    if run.status < 0:
        return "FAILED", f"killed by signal {-run.status}"
    return "FAILED", f"exit status {run.status}"


def tail(data, lines=8):
    text = data.decode("utf-8", errors="replace").rstrip("\n")
    rows = text.split("\n")[-lines:] if text else []
    return ["    " + r for r in rows]


def output_diff(expected, actual, limit=20):
    exp = expected.decode("utf-8", errors="replace").splitlines(keepends=True)
    act = actual.decode("utf-8", errors="replace").splitlines(keepends=True)
    diff = list(difflib.unified_diff(exp, act, "expected", "actual"))
    shown = ["    " + line.rstrip("\n") for line in diff[:limit]]
    if len(diff) > limit:
        shown.append(f"    ... ({len(diff) - limit} more diff lines)")
    if not diff:  # differs only in bytes that decode the same, e.g. a missing final newline
        shown.append(f"    expected {len(expected)} bytes, got {len(actual)} bytes")
    return shown


def ensure_1brc_data(rows, data_dir):
    """Path of a generated file with `rows` lines, generating it if needed."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"measurements-{rows}.txt"
    if path.exists() and path.stat().st_mtime >= GENERATOR.stat().st_mtime:
        return path
    progress(f"generating {rows} rows of 1brc data into {path} ...")
    partial = path.with_suffix(f".tmp{os.getpid()}")
    try:
        subprocess.run([sys.executable, str(GENERATOR), str(rows), str(partial)], check=True)
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    return path


class Contender:
    """One program run the timed way: the bundle under semarun, or the Lua port."""

    def __init__(self, label, name, argv):
        self.label = label
        self.argv = argv               # None when there is nothing to run
        self.result = Result(name)
        self.stopped = False           # a timed run failed or printed something wrong
        self.last_stdout = None

    def active(self):
        return self.argv is not None and not self.stopped

    def sample_run(self, expected, args, workdir):
        """1brc: run once on the sample file; the output must be `expected`."""
        sample = run_process(self.argv + ["--", str(ONEBRC_SAMPLE)], workdir, args.timeout)
        if sample.status != 0 or sample.timed_out:
            verdict, why = describe_exit(sample)
            self.result.fail(verdict, f"  sample run: {why}", *tail(sample.stderr))
        elif sample.stdout != expected:
            self.result.fail("MISMATCH", "  sample run output differs:",
                             *output_diff(expected, sample.stdout))

    def timed_run(self, i, args, workdir, expected, check_each_run):
        """Run once more, record time and memory, check the output."""
        result = self.result
        run = run_process(self.argv, workdir, args.timeout)
        if run.status != 0 or run.timed_out:
            verdict, why = describe_exit(run)
            result.fail(verdict, f"  run {i + 1}: {why}", *tail(run.stderr))
            self.stopped = True
            return
        result.times.append(run.seconds)
        result.rss_kib.append(run.max_rss_kib)
        self.last_stdout = run.stdout
        who = "" if self.label == "semarun" else f" ({self.label})"
        memory = "" if GNU_TIME else f", {run.max_rss_kib / 1024:.1f} MiB"
        progress(f"{result.name}{who}: run {i + 1}/{args.runs}: {run.seconds * 1000:.0f} ms"
                 f"{memory}")
        if check_each_run:
            if expected is not None and run.stdout != expected:
                result.fail("MISMATCH", f"  run {i + 1} output differs:",
                            *output_diff(expected, run.stdout))
                self.stopped = True
        else:
            text = run.stdout.decode("utf-8", errors="replace")
            if not (text.startswith("{") and text.endswith("}\n") and text.count("\n") == 1):
                result.fail("MISMATCH", f"  run {i + 1}: expected one line {{...}}, got:",
                            *tail(run.stdout, 3))
                self.stopped = True


def benchmark(name, semac, semarun, lua, args, workdir):
    """Compile and time one program; with `lua`, time its Lua port alternately.

    Returns (semarun Result, Lua Result or None)."""
    source = BENCH_DIR / f"{name}.sema"
    bundle = os.path.join(workdir, f"{name}.semb")
    expected_path = BENCH_DIR / f"{name}.expected"

    sema = Contender("semarun", name, [str(semarun), bundle])
    contenders = [sema]
    if lua is not None:
        port = LUA_DIR / f"{name}.lua"
        ported = Contender("lua", name, [str(lua), str(port)] if port.exists() else None)
        if not port.exists():
            ported.result.fail("NO LUA PORT", f"  missing {port.relative_to(REPO_ROOT)}")
        contenders.append(ported)

    progress(f"{name}: compiling")
    compiled = subprocess.run([str(semac), str(source), "-o", bundle], capture_output=True)
    if compiled.returncode != 0:
        sema.result.fail("COMPILE ERROR", f"  semac exited with status {compiled.returncode}",
                         *tail(compiled.stderr))
        sema.argv = None
        if lua is None:
            return sema.result, None

    expected = expected_path.read_bytes() if expected_path.exists() else None
    if expected is None:
        for c in contenders:
            c.result.fail("NO .expected", f"  missing {expected_path.relative_to(REPO_ROOT)}")

    check_each_run = True
    if name == ONEBRC:
        # The timed runs use generated data; the sample run is what is checked.
        check_each_run = False
        data = str(ensure_1brc_data(args.rows, args.data_dir))
        for c in contenders:
            if c.active() and expected is not None:
                c.sample_run(expected, args, workdir)
            if c.argv is not None:
                c.argv = c.argv + ["--", data]

    # One untimed run each for the peak memory (also warms the file cache).
    for c in contenders:
        if c.active():
            c.result.peak_kib = peak_rss_kib(c.argv, workdir, args.timeout)

    # Alternate semarun and Lua so that both see the same machine conditions.
    for i in range(args.runs):
        for c in contenders:
            if c.active():
                c.timed_run(i, args, workdir, expected, check_each_run)
        if (name == ONEBRC and len(contenders) == 2 and all(c.active() for c in contenders)
                and sema.last_stdout != contenders[1].last_stdout):
            contenders[1].result.fail("MISMATCH", f"  run {i + 1}: Lua printed something other "
                                      "than semarun on the generated data:",
                                      *output_diff(sema.last_stdout, contenders[1].last_stdout))
            contenders[1].stopped = True
    return sema.result, (contenders[1].result if lua is not None else None)


def print_rows(header, rows, right, markdown):
    """Print a table as aligned text columns, or as a Markdown table."""
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---:" if r else "---" for r in right) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]

    def line(cells):
        return "  ".join(c.rjust(w) if r else c.ljust(w)
                         for c, w, r in zip(cells, widths, right)).rstrip()

    print(line(header))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


def print_table(results, args):
    header = ["benchmark", "median ms", "min ms", "peak MiB", "output"]
    rows = []
    for r in results:
        if r.times:
            median = f"{statistics.median(r.times) * 1000:.1f}"
            best = f"{min(r.times) * 1000:.1f}"
            peak = peak_mib(r)
        else:
            median = best = peak = "-"
        verdict = r.verdict
        if r.name == ONEBRC and verdict == "ok":
            verdict = "ok (sample)"
        rows.append([r.name, median, best, peak, verdict])
    print(f"runs per benchmark: {args.runs}; 1brc rows: {args.rows}; binaries: {args.bin_dir}; "
          f"{memory_note()}")
    print_rows(header, rows, [False, True, True, True, False], args.markdown)
    for r in results:
        if r.details:
            print(f"\n{r.name}: {r.verdict}")
            for d in r.details:
                print(d)


def median_ms(times):
    return statistics.median(times) * 1000


def print_side_by_side(pairs, args, lua):
    """The semarun-vs-Lua table; returns the geometric mean of the ratios."""
    header = ["benchmark", "semarun ms", "lua ms", "ratio", "semarun MiB", "lua MiB", "output"]
    rows, ratios = [], []
    for sema, port in pairs:
        cells = [sema.name]
        for r in (sema, port):
            cells.append(f"{median_ms(r.times):.1f}" if r.times else "-")
        if sema.times and port.times:
            ratio = statistics.median(sema.times) / statistics.median(port.times)
            cells.append(f"{ratio:.2f}")
            if sema.verdict == "ok" and port.verdict == "ok":
                ratios.append(ratio)
        else:
            cells.append("-")
        for r in (sema, port):
            cells.append(peak_mib(r))
        if sema.verdict == "ok" and port.verdict == "ok":
            verdict = "ok (sample, same)" if sema.name == ONEBRC else "ok"
        elif sema.verdict == "ok" and port.verdict == "NO LUA PORT":
            verdict = "ok (no Lua port)"
        else:
            verdict = f"semarun {sema.verdict}, lua {port.verdict}"
        cells.append(verdict)
        rows.append(cells)
    print(f"runs per benchmark: {args.runs} each, alternating; 1brc rows: {args.rows}; "
          f"binaries: {args.bin_dir}; lua: {lua}; {memory_note()}")
    print_rows(header, rows, [False, True, True, True, True, True, False], args.markdown)
    geomean = math.exp(sum(math.log(r) for r in ratios) / len(ratios)) if ratios else None
    print()
    if geomean is None:
        print("geometric mean of the ratios: - (no benchmark ran correctly under both)")
    else:
        plural = "" if len(ratios) == 1 else "s"
        print(f"geometric mean of the ratios (semarun/lua) over {len(ratios)} benchmark{plural}: "
              f"{geomean:.2f}")
    for sema, port in pairs:
        for label, r in (("semarun", sema), ("lua", port)):
            if r.details:
                print(f"\n{r.name} ({label}): {r.verdict}")
                for d in r.details:
                    print(d)
    return geomean


def large_program(functions, with_calls):
    """Sema source of `functions` small definitions in 8 shapes (arithmetic,
    `if`, named-let loops, map/filter/foldl with closures, strings, maps and
    keywords, `cond` with `let*`, calls to earlier definitions), a few lines
    each; with_calls adds one top-level call of each function, summed into a
    global and printed."""
    out = [";; Generated by examples/benchmarks/run.py for the compile/load measurement.\n"]
    calls = []
    for i in range(functions):
        f = f"f{i}"
        kind = i % 8 if i >= 8 else i % 7       # shape 7 calls f(i-7), f(i-6), f(i-5)
        if kind == 0:
            out.append(f"(define ({f} a b)\n  (+ (* a {i % 17 + 2})\n     (- b {i})))\n")
            calls.append(f"({f} {i % 5} {i % 7})")
        elif kind == 1:
            out.append(f"(define ({f} x)\n  (if (< x {i % 50})\n      (* x 2)\n"
                       f"      (- x {i % 9})))\n")
            calls.append(f"({f} {i % 60})")
        elif kind == 2:
            out.append(f"(define ({f} n)\n  (let loop ((i 0) (acc {i % 3}))\n"
                       f"    (if (= i n)\n        acc\n        (loop (+ i 1) (+ acc i)))))\n")
            calls.append(f"({f} {i % 10})")
        elif kind == 3:
            out.append(f"(define ({f} xs)\n  (foldl + 0\n"
                       f"         (map (fn (x) (* x {i % 5 + 1}))\n"
                       f"              (filter (fn (x) (> x {i % 4})) xs))))\n")
            calls.append(f"({f} (list 1 2 3 4 5))")
        elif kind == 4:
            out.append(f"(define ({f} s)\n  (let ((t (string-append s \"-{i}\")))\n"
                       f"    (length (str t \":\" (string/join (list s t) \",\")))))\n")
            calls.append(f"({f} \"w{i % 13}\")")
        elif kind == 5:
            out.append(f"(define ({f} m)\n  (let ((m2 (assoc m :k{i} {i})))\n"
                       f"    (+ (get m2 :k{i} 0)\n       (get m2 :missing {i % 11}))))\n")
            calls.append(f"({f} {{:a 1 :b 2}})")
        elif kind == 6:
            out.append(f"(define ({f} x)\n  (cond ((= x 0) {i % 23})\n"
                       f"        ((< x 0) (- {i % 19} x))\n"
                       f"        (else (let* ((y (* x x)) (z (+ y {i % 29}))) (- z x)))))\n")
            calls.append(f"({f} {i % 7 - 3})")
        else:
            out.append(f"(define ({f} x)\n  (+ (f{i - 7} x {i % 3})\n     (f{i - 6} x)\n"
                       f"     (f{i - 5} {i % 4})))\n")
            calls.append(f"({f} {i % 6})")
    if with_calls:
        out.append("\n(define checksum 0)\n")
        out.extend(f"(set! checksum (+ checksum {c}))\n" for c in calls)
        out.append("(println \"checksum:\" checksum)\n")
    return "".join(out)


def brief(stderr):
    """The end of a stderr on one line."""
    return " / ".join(line.strip() for line in tail(stderr, 3))


@dataclass
class Extra:
    what: str
    times: list = field(default_factory=list)
    rss_kib: list = field(default_factory=list)
    peak_kib: int = None
    problem: str = ""

    def add(self, run, ok, why):
        if run.status != 0 or run.timed_out:
            self.problem = self.problem or f"{describe_exit(run)[1]}: {brief(run.stderr)}"
        elif not ok:
            self.problem = self.problem or why
        else:
            self.times.append(run.seconds)
            self.rss_kib.append(run.max_rss_kib)


def extras(semac, semarun, lua, args, workdir):
    """Start-up, compile and load figures; returns (list of Extra, notes)."""
    hello = os.path.join(workdir, "hello.semb")
    built = subprocess.run([str(semac), str(HELLO), "-o", hello], capture_output=True)
    hello_expected = HELLO.with_suffix(".expected").read_bytes()
    hello_exe = os.path.join(workdir, "hello")
    built_exe = subprocess.run([str(semac), str(HELLO), "--exe", "-o", hello_exe], capture_output=True)
    batteries_exe = os.path.join(workdir, "log-report")
    subprocess.run([str(semac), str(BATTERIES_EXAMPLE), "--exe", "-o", batteries_exe], capture_output=True)
    sema_start = Extra("start-up: `semarun hello.semb`")
    exe_start = Extra("start-up: `./hello` (semac --exe)")
    lua_start = Extra("start-up: `lua5.4 -e 'print(1)'`")
    sema_start.peak_kib = peak_rss_kib([str(semarun), hello], workdir, args.timeout)
    exe_start.peak_kib = peak_rss_kib([hello_exe], workdir, args.timeout)
    lua_start.peak_kib = peak_rss_kib([str(lua), "-e", "print(1)"], workdir, args.timeout)
    if built.returncode != 0:
        sema_start.problem = f"semac {HELLO.name} failed: {brief(built.stderr)}"
    if built_exe.returncode != 0:
        exe_start.problem = f"semac --exe {HELLO.name} failed: {brief(built_exe.stderr)}"
    progress(f"start-up: {STARTUP_RUNS} runs each")
    for _ in range(STARTUP_RUNS):
        run = run_process([str(semarun), hello], workdir, args.timeout)
        sema_start.add(run, run.stdout == hello_expected, "output differs from hello.expected")
        run = run_process([hello_exe], workdir, args.timeout)
        exe_start.add(run, run.stdout == hello_expected, "output differs from hello.expected")
        run = run_process([str(lua), "-e", "print(1)"], workdir, args.timeout)
        lua_start.add(run, run.stdout == b"1\n", "did not print 1")

    full_src = os.path.join(workdir, "large.sema")
    defs_src = os.path.join(workdir, "large-defs.sema")
    full_bundle = os.path.join(workdir, "large.semb")
    defs_bundle = os.path.join(workdir, "large-defs.semb")
    full_text = large_program(LARGE_FUNCTIONS, with_calls=True)
    defs_text = large_program(LARGE_FUNCTIONS, with_calls=False)
    Path(full_src).write_text(full_text)
    Path(defs_src).write_text(defs_text)
    full_lines, defs_lines = full_text.count("\n"), defs_text.count("\n")
    built = subprocess.run([str(semac), defs_src, "-o", defs_bundle], capture_output=True)
    compile_ = Extra(f"compile: `semac` on a generated {full_lines:,}-line program")
    load = Extra(f"load: `semarun` on the bundle of its {LARGE_FUNCTIONS:,} definitions "
                 f"({defs_lines:,} lines) alone")
    compile_.peak_kib = peak_rss_kib([str(semac), full_src, "-o", full_bundle], workdir,
                                     args.timeout)
    load.peak_kib = peak_rss_kib([str(semarun), defs_bundle], workdir, args.timeout)
    verify = Extra("of which read + verify: `semarun --verify` on that bundle")
    verify.peak_kib = peak_rss_kib([str(semarun), "--verify", defs_bundle], workdir, args.timeout)
    if built.returncode != 0:
        load.problem = f"semac on the definitions failed: {brief(built.stderr)}"
    progress(f"compile/load: {full_lines} lines, {STARTUP_RUNS} runs each")
    for _ in range(STARTUP_RUNS):
        run = run_process([str(semac), full_src, "-o", full_bundle], workdir, args.timeout)
        compile_.add(run, True, "")
        run = run_process([str(semarun), defs_bundle], workdir, args.timeout)
        load.add(run, run.stdout == b"", "printed something")
        run = run_process([str(semarun), "--verify", defs_bundle], workdir, args.timeout)
        verify.add(run, True, "")
    check = run_process([str(semarun), full_bundle], workdir, args.timeout)
    if check.status != 0 or not check.stdout.startswith(b"checksum: "):
        compile_.problem = compile_.problem or "the compiled program did not run correctly"
    notes = {
        "exe_bytes": os.path.getsize(hello_exe) if os.path.exists(hello_exe) else 0,
        "stripped_exe_bytes": stripped_size(hello_exe, workdir),
        "batteries_exe_bytes": os.path.getsize(batteries_exe) if os.path.exists(batteries_exe) else 0,
        "full_kib": os.path.getsize(full_bundle) / 1024 if os.path.exists(full_bundle) else 0,
        "defs_kib": os.path.getsize(defs_bundle) / 1024 if os.path.exists(defs_bundle) else 0,
    }
    return [sema_start, exe_start, lua_start, compile_, load, verify], notes


def stripped_size(exe, workdir):
    """Size of a stripped copy of the executable; None without `strip` or on failure."""
    if not os.path.exists(exe) or shutil.which("strip") is None:
        return None
    copy = os.path.join(workdir, "hello-stripped")
    shutil.copyfile(exe, copy)
    if subprocess.run(["strip", copy], capture_output=True).returncode != 0:
        return None
    return os.path.getsize(copy)


def print_extras(items, notes, args):
    header = ["measurement", f"median ms ({STARTUP_RUNS} runs)", "min ms", "peak MiB"]
    rows = []
    for e in items:
        if e.times:
            rows.append([e.what, f"{median_ms(e.times):.2f}", f"{min(e.times) * 1000:.2f}",
                         peak_mib(e)])
        else:
            rows.append([e.what, "-", "-", "-"])
    print()
    print_rows(header, rows, [False, True, True, True], args.markdown)
    sema_start, exe_start, lua_start, compile_, load, _ = items
    print()
    if sema_start.times and lua_start.times:
        print(f"start-up ratio (semarun/lua): "
              f"{statistics.median(sema_start.times) / statistics.median(lua_start.times):.2f}")
    if exe_start.times and lua_start.times:
        print(f"start-up ratio (executable/lua): "
              f"{statistics.median(exe_start.times) / statistics.median(lua_start.times):.2f}")
    if notes["exe_bytes"]:
        stripped = notes["stripped_exe_bytes"]
        after = f", {stripped:,} bytes after strip" if stripped else ""
        print(f"hello executable: {notes['exe_bytes']:,} bytes{after}")
    if notes["batteries_exe_bytes"]:
        print(f"{BATTERIES_EXAMPLE.stem} executable (json and regex): {notes['batteries_exe_bytes']:,} bytes")
    if compile_.times and load.times:
        print(f"compile/load ratio: "
              f"{statistics.median(compile_.times) / statistics.median(load.times):.1f} "
              f"(bundles: {notes['full_kib']:.0f} KiB with the calls, "
              f"{notes['defs_kib']:.0f} KiB definitions only)")
    problems = [e for e in items if e.problem]
    for e in problems:
        print(f"{e.what}: FAILED: {e.problem}")
    return not problems


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main():
    parser = argparse.ArgumentParser(
        description="Compile and time the programs in examples/benchmarks/.")
    parser.add_argument("--bin-dir", default=str(REPO_ROOT / "target" / "release"),
                        help="directory holding semac and semarun (default: target/release)")
    parser.add_argument("--runs", type=positive_int, default=3,
                        help="timed runs per benchmark (default 3)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this benchmark (repeatable, or comma-separated)")
    parser.add_argument("--rows", type=positive_int, default=1_000_000,
                        help="rows of generated data for 1brc (default 1000000)")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "sema-bench-data",
                        help="where generated 1brc data is cached (default: $TMPDIR/sema-bench-data)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds before a single run is killed (default 600)")
    parser.add_argument("--lua", metavar="PATH",
                        help="Lua 5.4 interpreter to compare with (default: lua5.4 on PATH)")
    parser.add_argument("--no-lua", action="store_true",
                        help="time semarun alone even when lua5.4 is on PATH")
    parser.add_argument("--no-extras", action="store_true",
                        help="with Lua: skip the start-up and compile/load measurements")
    parser.add_argument("--markdown", action="store_true",
                        help="print the tables as Markdown")
    args = parser.parse_args()

    bin_dir = Path(args.bin_dir)
    semac, semarun = bin_dir / "semac", bin_dir / "semarun"
    missing = [p for p in (semac, semarun) if not (p.is_file() and os.access(p, os.X_OK))]
    if missing:
        names = " and ".join(p.name for p in missing)
        print(f"error: {names} not found in {bin_dir}\n"
              f"Build the toolchain first:  cargo build --release\n"
              f"(or pass --bin-dir DIR, the directory that holds semac and semarun)",
              file=sys.stderr)
        return 2
    semac, semarun = semac.resolve(), semarun.resolve()
    global GNU_TIME
    GNU_TIME = find_gnu_time()

    lua = None
    if args.lua and not args.no_lua:
        found = shutil.which(args.lua)
        if found is None:
            print(f"error: --lua {args.lua}: not an executable", file=sys.stderr)
            return 2
        lua = Path(found).resolve()
    elif not args.no_lua and shutil.which("lua5.4"):
        lua = Path(shutil.which("lua5.4")).resolve()

    available = sorted(p.stem for p in BENCH_DIR.glob("*.sema"))
    wanted = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in available]
    if unknown:
        print(f"error: no such benchmark: {', '.join(unknown)}\n"
              f"available: {', '.join(available)}", file=sys.stderr)
        return 2
    names = [n for n in available if not wanted or n in wanted]

    pairs = []
    extras_ok = True
    with tempfile.TemporaryDirectory(prefix="sema-bench-") as workdir:
        for name in names:
            pairs.append(benchmark(name, semac, semarun, lua, args, workdir))
        if lua is None:
            results = [sema for sema, _ in pairs]
            print_table(results, args)
            return 0 if all(r.verdict == "ok" for r in results) else 1
        print_side_by_side(pairs, args, lua)
        if not args.no_extras:
            items, notes = extras(semac, semarun, lua, args, workdir)
            extras_ok = print_extras(items, notes, args)
    ok = all(s.verdict == "ok" and l.verdict in ("ok", "NO LUA PORT") for s, l in pairs)
    return 0 if ok and extras_ok else 1


if __name__ == "__main__":
    sys.exit(main())

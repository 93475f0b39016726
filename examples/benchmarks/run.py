#!/usr/bin/env python3
"""Benchmark runner for the Sema toolchain.

Compiles every examples/benchmarks/*.sema with `semac`, runs the bundle with
`semarun` several times, and prints wall time (median and minimum), peak
memory and whether the output matched the program's `.expected` file.

    python3 examples/benchmarks/run.py [--bin-dir target/release] [--runs N]
                                       [--only PATTERN[,PATTERN...]] [--rows N]
                                       [--lua PATH | --no-lua]
                                       [--luajit PATH | --no-luajit]
                                       [--upstream DIR] [--no-extras] [--markdown]
    python3 examples/benchmarks/run.py --upstream DIR --write-expected ORACLE
    python3 examples/benchmarks/run.py --instructions [--against DIR] [--only ...]

1brc reads a generated measurements file (gen-1brc.py, --rows lines, cached
between invocations); its timed runs are only checked for their shape, but the
program is also run once on data/1brc-sample.txt and that output must match
1brc.expected.

Suites: the programs above are the suite "ours".  With --upstream DIR (a
checkout of sema-lisp/sema, the reference implementation) a second suite,
"upstream", runs the reference's own benchmark programs
DIR/examples/benchmarks/NAME.sema unchanged (UPSTREAM_PROGRAMS below) through
the same semac and semarun.  They print timing lines, so both sides of every
comparison are normalised first: each number directly followed by "ms" or
" ms" becomes <T> (TIMING below).  Their expected outputs are
upstream/NAME.expected, written by --write-expected ORACLE (the reference's
`sema` binary run on each program, normalised).  The upstream 1brc reads data
made by the reference's seeded generator DIR/benchmarks/1brc/
generate-test-data.py (random.Random(42)): --rows rows for the timed runs and
10,000 rows for the sample run that must match upstream/1brc.expected.  Each
suite has its own table and geometric means.  --only takes program names or
SUITE/NAME, with shell-style wildcards (`tak`, `upstream/tak`, 'upstream/*').

Instruction counts: --instructions runs each program once under valgrind's
callgrind instead of timing it (no Lua, no extras) and prints the instructions
semarun executed; with --against DIR (another build's semac and semarun) a
before column and the change beside it.  Counts do not move with the machine's
load, so they are the figure for one change; use a small --rows for 1brc.

Side by side with Lua: when `lua5.4` is on PATH (or --lua PATH is given, and
--no-lua is not), every benchmark also runs its Lua 5.4 port
lua/NAME.lua (upstream: lua/upstream/NAME.lua), and when `luajit` is on PATH
(or --luajit PATH, and not --no-luajit) the same port under `luajit -joff`
(LuaJIT's interpreter, JIT off).  Runs alternate semarun, lua, luajit in every
round (--runs rounds; each round starts with the next of them); the table shows
the medians, the ratios semarun/lua and semarun/luajit, the peak memories and the geometric mean of each ratio.  The
ports' output is checked like semarun's (for 1brc: the sample run must match
the expected file and each timed run must print what semarun printed on the
same data).  Unless --no-extras (and only with Lua), more figures follow:
start-up (semarun on hello.semb, the hello executable built with
`semac --exe`, and `lua5.4 -e 'print(1)'`, median of 20 runs each), the size
of that executable (and of a stripped copy), the compile time of a large
generated program and the load time of a bundle that only defines its
functions.

Exit status: 0 when every program ran and printed what was expected; 1 when
any program failed to compile, failed at run time, timed out or printed
something else; 2 for usage errors and missing binaries.

Python 3.11 standard library only; Linux or macOS (posix_spawn + wait4).
"""

import argparse
import difflib
import fnmatch
import math
import os
import re
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

# The reference implementation's benchmark programs (DIR/examples/benchmarks/)
# run by --upstream; examples/README.md says why the others there are left out.
UPSTREAM_PROGRAMS = ("mandelbrot", "higher-order-fold", "upvalue-counter", "nqueens", "1brc",
                     "tak", "closure-storm", "throw-catch", "deriv", "hashmap-bench",
                     "string-pipeline", "recursive-closure-churn")
UPSTREAM_SOURCES = Path("examples") / "benchmarks"
UPSTREAM_GENERATOR = Path("benchmarks") / "1brc" / "generate-test-data.py"   # seed 42
UPSTREAM_SAMPLE_ROWS = 10_000
UPSTREAM_EXPECTED = BENCH_DIR / "upstream"
# A port whose header has this line is not run under LuaJIT.
LUA54_ONLY = "Lua 5.4 only"
# A timing figure: a number directly followed by "ms" or " ms" ("in 12 ms",
# "12.5 ms", "time: 130ms").  Upstream outputs are compared with each one
# replaced by <T>.
TIMING = re.compile(rb"\d+(?:\.\d+)?(?= ?ms\b)")


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


def ensure_1brc_data(generator, tag, rows, data_dir):
    """Path of a file of `rows` lines written by `generator ROWS PATH` (a Python
    script), generating it unless a copy newer than the generator is cached."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"{tag}-{rows}.txt"
    if path.exists() and path.stat().st_mtime >= generator.stat().st_mtime:
        return path
    progress(f"generating {rows} rows of 1brc data into {path} ...")
    partial = path.with_suffix(f".tmp{os.getpid()}")
    try:
        subprocess.run([sys.executable, str(generator), str(rows), str(partial)],
                       check=True, stdout=sys.stderr)
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    return path


def same_bytes(out):
    return out


def normalise_timings(out):
    """Output with every timing figure replaced by <T> (see TIMING)."""
    return TIMING.sub(b"<T>", out)


@dataclass
class Suite:
    """A set of benchmark programs with their expected outputs and Lua ports."""
    name: str                  # "ours" or "upstream"; also the --only prefix
    source_dir: Path           # NAME.sema
    expected_dir: Path         # NAME.expected
    lua_dir: Path              # NAME.lua
    programs: list
    normalise: object          # bytes -> bytes, applied to outputs before comparing
    generator: Path            # 1brc data: `python3 generator ROWS PATH`
    data_tag: str              # file name prefix of the cached data
    sample: object             # data_dir -> path of the 1brc sample input
    onebrc_shape: object       # regex a timed 1brc run's (normalised) output must match
    shape_text: str            # that shape in words, for failure messages

    def source(self, name):
        return self.source_dir / f"{name}.sema"

    def expected(self, name):
        return self.expected_dir / f"{name}.expected"

    def port(self, name):
        return self.lua_dir / f"{name}.lua"


def our_suite():
    return Suite("ours", BENCH_DIR, BENCH_DIR, LUA_DIR,
                 sorted(p.stem for p in BENCH_DIR.glob("*.sema")), same_bytes,
                 GENERATOR, "measurements", lambda data_dir: ONEBRC_SAMPLE,
                 re.compile(rb"\{[^\n]*\}\n"), "one line {...}")


def upstream_suite(checkout):
    generator = checkout / UPSTREAM_GENERATOR

    def sample(data_dir):
        return ensure_1brc_data(generator, "upstream-measurements", UPSTREAM_SAMPLE_ROWS,
                                data_dir)

    shape = re.compile(rb"Processed \d+ stations in <T> ms\nFormatted in <T> ms\n"
                       rb"\{[^\n]*\}\nTotal: <T> ms\n")
    return Suite("upstream", checkout / UPSTREAM_SOURCES, UPSTREAM_EXPECTED,
                 LUA_DIR / "upstream", list(UPSTREAM_PROGRAMS), normalise_timings,
                 generator, "upstream-measurements", sample, shape,
                 "Processed/Formatted/{...}/Total lines")


class Contender:
    """One program run the timed way: the bundle under semarun, or a Lua port."""

    def __init__(self, label, name, argv, normalise):
        self.label = label
        self.argv = argv               # None when there is nothing to run
        self.normalise = normalise
        self.result = Result(name)
        self.stopped = False           # a timed run failed or printed something wrong
        self.last_stdout = None        # normalised

    def active(self):
        return self.argv is not None and not self.stopped

    def sample_run(self, sample, expected, args, workdir):
        """1brc: run once on the sample file; the output must be `expected`."""
        run = run_process(self.argv + ["--", str(sample)], workdir, args.timeout)
        if run.status != 0 or run.timed_out:
            verdict, why = describe_exit(run)
            self.result.fail(verdict, f"  sample run: {why}", *tail(run.stderr))
        elif self.normalise(run.stdout) != expected:
            self.result.fail("MISMATCH", "  sample run output differs:",
                             *output_diff(expected, self.normalise(run.stdout)))

    def timed_run(self, i, args, workdir, expected, shape):
        """Run once more, record time and memory, check the output: equal to
        `expected`, or with a `shape` (a regex and its description) matching it."""
        result = self.result
        run = run_process(self.argv, workdir, args.timeout)
        if run.status != 0 or run.timed_out:
            verdict, why = describe_exit(run)
            result.fail(verdict, f"  run {i + 1}: {why}", *tail(run.stderr))
            self.stopped = True
            return
        result.times.append(run.seconds)
        result.rss_kib.append(run.max_rss_kib)
        self.last_stdout = self.normalise(run.stdout)
        who = "" if self.label == "semarun" else f" ({self.label})"
        memory = "" if GNU_TIME else f", {run.max_rss_kib / 1024:.1f} MiB"
        progress(f"{result.name}{who}: run {i + 1}/{args.runs}: {run.seconds * 1000:.0f} ms"
                 f"{memory}")
        if shape is None:
            if expected is not None and self.last_stdout != expected:
                result.fail("MISMATCH", f"  run {i + 1} output differs:",
                            *output_diff(expected, self.last_stdout))
                self.stopped = True
        elif not shape[0].fullmatch(self.last_stdout):
            result.fail("MISMATCH", f"  run {i + 1}: expected {shape[1]}, got:",
                        *tail(run.stdout, 5))
            self.stopped = True


def lua54_only(port):
    """Whether a port says in its header that it needs Lua 5.4 (not LuaJIT)."""
    with open(port, encoding="utf-8") as f:
        return any(LUA54_ONLY in line for line, _ in zip(f, range(30)))


def port_contenders(suite, name, ports):
    """A Contender per Lua interpreter in `ports` ((label, argv prefix) pairs)."""
    port = suite.port(name)
    shown = port.relative_to(REPO_ROOT)
    contenders = []
    for label, interpreter in ports:
        c = Contender(label, name, interpreter + [str(port)], suite.normalise)
        if not port.exists():
            c.result.fail("NO LUA PORT", f"  missing {shown}")
        elif label.startswith("luajit") and lua54_only(port):
            c.result.fail("NO LUA PORT", f"  {shown} says: {LUA54_ONLY}")
        if c.result.verdict != "ok":
            c.argv = None
        contenders.append(c)
    return contenders


def compare_with_semarun(contenders, i):
    """1brc on generated data: every port must print what semarun printed."""
    sema = contenders[0]
    if not sema.active():
        return
    for c in contenders[1:]:
        if c.active() and c.last_stdout != sema.last_stdout:
            c.result.fail("MISMATCH", f"  run {i + 1}: {c.label} printed something other "
                          "than semarun on the generated data:",
                          *output_diff(sema.last_stdout, c.last_stdout))
            c.stopped = True


def compile_bundle(semac, suite, name, bundle):
    """`semac` on the suite's program `name`, writing `bundle`."""
    return subprocess.run([str(semac), str(suite.source(name)), "-o", bundle],
                          capture_output=True)


def missing_binaries(semac, semarun):
    """Those of the two toolchain binaries that are not executable files."""
    return [p for p in (semac, semarun) if not (p.is_file() and os.access(p, os.X_OK))]


def benchmark(suite, name, semac, semarun, ports, args, workdir):
    """Compile and time one program of `suite`; time its Lua port under each of
    `ports` in the same rounds.  Returns the Results, semarun's first."""
    bundle = os.path.join(workdir, f"{suite.name}-{name}.semb")
    expected_path = suite.expected(name)

    sema = Contender("semarun", name, [str(semarun), bundle], suite.normalise)
    contenders = [sema] + port_contenders(suite, name, ports)

    progress(f"{suite.name}/{name}: compiling")
    compiled = compile_bundle(semac, suite, name, bundle)
    if compiled.returncode != 0:
        sema.result.fail("COMPILE ERROR", f"  semac exited with status {compiled.returncode}",
                         *tail(compiled.stderr))
        sema.argv = None

    expected = expected_path.read_bytes() if expected_path.exists() else None
    if expected is None:
        for c in contenders:
            c.result.fail("NO .expected", f"  missing {expected_path.relative_to(REPO_ROOT)}")

    shape = None
    if name == ONEBRC:
        # The timed runs use generated data; the sample run is what is checked.
        shape = (suite.onebrc_shape, suite.shape_text)
        data = str(ensure_1brc_data(suite.generator, suite.data_tag, args.rows, args.data_dir))
        sample = suite.sample(args.data_dir)
        for c in contenders:
            if c.active() and expected is not None:
                c.sample_run(sample, expected, args, workdir)
            if c.argv is not None:
                c.argv = c.argv + ["--", data]

    # One untimed run each for the peak memory (also warms the file cache).
    for c in contenders:
        if c.active():
            c.result.peak_kib = peak_rss_kib(c.argv, workdir, args.timeout)

    # Alternate semarun and the ports so that all see the same machine conditions,
    # and rotate who goes first: on this project's machines the second of two long
    # runs back to back measured slower, which a fixed order would charge to the ports.
    for i in range(args.runs):
        shift = i % len(contenders)
        for c in contenders[shift:] + contenders[:shift]:
            if c.active():
                c.timed_run(i, args, workdir, expected, shape)
        if name == ONEBRC:
            compare_with_semarun(contenders, i)
    return [c.result for c in contenders]


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


def print_details(rows, labels):
    """Each failure's verdict and details, below a table."""
    for results in rows:
        for label, r in zip(labels, results):
            if r.details:
                who = f" ({label})" if len(labels) > 1 else ""
                print(f"\n{r.name}{who}: {r.verdict}")
                for d in r.details:
                    print(d)


def print_table(suite, rows, args):
    """semarun alone: one Result per row."""
    header = ["benchmark", "median ms", "min ms", "peak MiB", "output"]
    cells = []
    for (r,) in rows:
        if r.times:
            median = f"{statistics.median(r.times) * 1000:.1f}"
            best = f"{min(r.times) * 1000:.1f}"
            peak = peak_mib(r)
        else:
            median = best = peak = "-"
        verdict = r.verdict
        if r.name == ONEBRC and verdict == "ok":
            verdict = "ok (sample)"
        cells.append([r.name, median, best, peak, verdict])
    print(f"suite {suite.name}: runs per benchmark: {args.runs}; 1brc rows: {args.rows}; "
          f"binaries: {args.bin_dir}; {memory_note()}")
    print_rows(header, cells, [False, True, True, True, False], args.markdown)
    print_details(rows, ["semarun"])


def median_ms(times):
    return statistics.median(times) * 1000


def geometric_mean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def verdict_cell(name, results, labels):
    if all(r.verdict == "ok" for r in results):
        return "ok (sample, same)" if name == ONEBRC else "ok"
    if results[0].verdict == "ok" and all(r.verdict in ("ok", "NO LUA PORT") for r in results):
        missing = [label for label, r in zip(labels, results) if r.verdict == "NO LUA PORT"]
        return f"ok (no port for {', '.join(missing)})"
    return ", ".join(f"{label} {r.verdict}" for label, r in zip(labels, results))


def print_side_by_side(suite, rows, labels, args, interpreters):
    """semarun against each Lua interpreter (labels[1:]): medians, ratios,
    peak memory; then the geometric mean of each ratio.  Returns the means."""
    ports = labels[1:]
    header = ["benchmark", "semarun ms"]
    for label in ports:
        header += [f"{label} ms", f"ratio vs {label}"]
    header += [f"{label} MiB" for label in labels] + ["output"]
    cells, ratios = [], {label: [] for label in ports}
    for results in rows:
        sema = results[0]
        line = [sema.name, f"{median_ms(sema.times):.1f}" if sema.times else "-"]
        for label, r in zip(ports, results[1:]):
            line.append(f"{median_ms(r.times):.1f}" if r.times else "-")
            if sema.times and r.times:
                ratio = statistics.median(sema.times) / statistics.median(r.times)
                line.append(f"{ratio:.2f}")
                if sema.verdict == "ok" and r.verdict == "ok":
                    ratios[label].append(ratio)
            else:
                line.append("-")
        line += [peak_mib(r) for r in results]
        line.append(verdict_cell(sema.name, results, labels))
        cells.append(line)
    print(f"suite {suite.name}: runs per benchmark: {args.runs} each, alternating; "
          f"1brc rows: {args.rows}; binaries: {args.bin_dir}; "
          + "; ".join(f"{label}: {path}" for label, path in interpreters)
          + f"; {memory_note()}")
    print_rows(header, cells, [False] + [True] * (len(header) - 2) + [False], args.markdown)
    print()
    means = {}
    for label in ports:
        means[label] = geometric_mean(ratios[label])
        if means[label] is None:
            print(f"geometric mean of the ratios semarun/{label}: - "
                  "(no benchmark ran correctly under both)")
        else:
            n = len(ratios[label])
            print(f"geometric mean of the ratios semarun/{label} over {n} "
                  f"benchmark{'' if n == 1 else 's'}: {means[label]:.2f}")
    print_details(rows, labels)
    return means


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


def parse_args():
    parser = argparse.ArgumentParser(
        description="Compile and time the programs in examples/benchmarks/.")
    parser.add_argument("--bin-dir", default=str(REPO_ROOT / "target" / "release"),
                        help="directory holding semac and semarun (default: target/release)")
    parser.add_argument("--runs", type=positive_int, default=3,
                        help="timed runs per benchmark (default 3)")
    parser.add_argument("--only", action="append", default=[], metavar="PATTERN",
                        help="run only the matching benchmarks: NAME (in every suite) or "
                             "SUITE/NAME, shell wildcards allowed (repeatable, or "
                             "comma-separated)")
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
                        help="do not run the Lua ports under Lua 5.4")
    parser.add_argument("--luajit", metavar="PATH",
                        help="LuaJIT to compare with, run as `luajit -joff` "
                             "(default: luajit on PATH)")
    parser.add_argument("--no-luajit", action="store_true",
                        help="do not run the Lua ports under LuaJIT's interpreter")
    parser.add_argument("--upstream", metavar="DIR", type=Path,
                        help="a checkout of sema-lisp/sema: also run its benchmark programs "
                             "(suite 'upstream')")
    parser.add_argument("--write-expected", metavar="ORACLE",
                        help="with --upstream: write upstream/NAME.expected from the "
                             "reference's `sema` binary ORACLE, then exit")
    parser.add_argument("--no-extras", action="store_true",
                        help="with Lua: skip the start-up and compile/load measurements")
    parser.add_argument("--instructions", action="store_true",
                        help="count the instructions semarun executes (callgrind) "
                             "instead of timing; needs valgrind")
    parser.add_argument("--against", metavar="DIR", type=Path,
                        help="with --instructions: also count with DIR's semac and "
                             "semarun, shown as the before column")
    parser.add_argument("--markdown", action="store_true",
                        help="print the tables as Markdown")
    return parser.parse_args()


def find_interpreter(option, no, default, flag):
    """Path of an interpreter: `option` if given, else `default` on PATH; None
    when `no` or when there is none.  Exits with status 2 on a bad `option`."""
    if no:
        return None
    if option:
        found = shutil.which(option)
        if found is None:
            print(f"error: {flag} {option}: not an executable", file=sys.stderr)
            sys.exit(2)
        return Path(found).resolve()
    found = shutil.which(default)
    return Path(found).resolve() if found else None


def select(suites, only):
    """(suite, [names]) for every suite with a selected program; exits with
    status 2 when a pattern matches nothing."""
    patterns = [n.strip() for item in only for n in item.split(",") if n.strip()]

    def chosen(suite, name):
        return not patterns or any(chosen_by(p, suite, name) for p in patterns)

    unused = [p for p in patterns
              if not any(chosen_by(p, s, n) for s in suites for n in s.programs)]
    if unused:
        available = ", ".join(f"{s.name}/{n}" for s in suites for n in s.programs)
        print(f"error: no such benchmark: {', '.join(unused)}\navailable: {available}",
              file=sys.stderr)
        sys.exit(2)
    picked = [(s, [n for n in s.programs if chosen(s, n)]) for s in suites]
    return [(s, names) for s, names in picked if names]


def chosen_by(pattern, suite, name):
    """Whether --only `pattern` (NAME or SUITE/NAME, with wildcards) picks it."""
    return fnmatch.fnmatchcase(f"{suite.name}/{name}" if "/" in pattern else name, pattern)


def write_expected(suite, oracle, args):
    """Run the reference's binary on every upstream program and store its
    normalised output as the expected file."""
    suite.expected_dir.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sema-oracle-") as workdir:
        for name in suite.programs:
            argv = [str(oracle), str(suite.source(name))]
            if name == ONEBRC:
                argv += ["--", str(suite.sample(args.data_dir))]
            progress(f"{suite.name}/{name}: running the oracle")
            run = run_process(argv, workdir, args.timeout)
            if run.status != 0 or run.timed_out:
                print(f"error: {' '.join(argv)}: {describe_exit(run)[1]}", file=sys.stderr)
                return 1
            suite.expected(name).write_bytes(suite.normalise(run.stdout))
    return 0


def callgrind_instructions(build, semac, semarun, suite, name, args, workdir):
    """Instructions semarun executes on one program (None when it fails); `build`
    tells the bundles of the builds compared apart."""
    bundle = os.path.join(workdir, f"{suite.name}-{name}-{build}.semb")
    if compile_bundle(semac, suite, name, bundle).returncode != 0:
        return None
    argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
            str(semarun), bundle]
    if name == ONEBRC:
        data = ensure_1brc_data(suite.generator, suite.data_tag, args.rows, args.data_dir)
        argv += ["--", str(data)]
    run = subprocess.run(argv, capture_output=True, cwd=workdir, timeout=args.timeout * 50)
    found = re.search(rb"I\s+refs:\s+([0-9,]+)", run.stderr)
    if run.returncode != 0 or found is None:
        return None
    return int(found.group(1).replace(b",", b""))


def count_instructions(suites, semac, semarun, args):
    """--instructions: a table of callgrind counts per program, per suite."""
    if shutil.which("valgrind") is None:
        print("error: --instructions needs valgrind on PATH", file=sys.stderr)
        return 2
    builds = [(semac, semarun)]
    if args.against is not None:
        against = (args.against / "semac", args.against / "semarun")
        missing = missing_binaries(*against)
        if missing:
            print(f"error: --against {args.against}: no {' and '.join(p.name for p in missing)} "
                  "there", file=sys.stderr)
            return 2
        builds.insert(0, against)
    ok, first = True, True
    with tempfile.TemporaryDirectory(prefix="sema-count-") as workdir:
        for suite, names in select(suites, args.only):
            rows = []
            for name in names:
                progress(f"{suite.name}/{name}: counting")
                counts = [callgrind_instructions(i, c, r, suite, name, args, workdir)
                          for i, (c, r) in enumerate(builds)]
                ok = ok and all(n is not None for n in counts)
                cells = [f"{n / 1e6:,.1f} M" if n is not None else "FAILED" for n in counts]
                if len(counts) == 2:
                    before, after = counts
                    cells.append(f"{100 * (after - before) / before:+.1f} %"
                                 if before and after is not None else "-")
                rows.append([name] + cells)
            header = ["benchmark"] + (["before", "after", "change"] if len(builds) == 2
                                      else ["instructions"])
            if not first:
                print()
            first = False
            print(f"suite {suite.name}: instructions executed by semarun (callgrind)"
                  + (f"; 1brc rows: {args.rows}" if ONEBRC in names else ""))
            print_rows(header, rows, [False] + [True] * (len(header) - 1), args.markdown)
    return 0 if ok else 1


def main():
    args = parse_args()
    upstream = None
    if args.upstream is not None:
        if not (args.upstream / UPSTREAM_SOURCES).is_dir():
            print(f"error: --upstream {args.upstream}: no {UPSTREAM_SOURCES} there "
                  "(expected a checkout of sema-lisp/sema)", file=sys.stderr)
            return 2
        upstream = upstream_suite(args.upstream.resolve())
    if args.write_expected:
        oracle = shutil.which(args.write_expected)
        if upstream is None or oracle is None:
            print("error: --write-expected needs --upstream DIR and an executable ORACLE",
                  file=sys.stderr)
            return 2
        return write_expected(upstream, Path(oracle).resolve(), args)

    bin_dir = Path(args.bin_dir)
    semac, semarun = bin_dir / "semac", bin_dir / "semarun"
    missing = missing_binaries(semac, semarun)
    if missing:
        names = " and ".join(p.name for p in missing)
        print(f"error: {names} not found in {bin_dir}\n"
              f"Build the toolchain first:  cargo build --release\n"
              f"(or pass --bin-dir DIR, the directory that holds semac and semarun)",
              file=sys.stderr)
        return 2
    semac, semarun = semac.resolve(), semarun.resolve()
    suites = [our_suite()] + ([upstream] if upstream else [])
    if args.instructions:
        return count_instructions(suites, semac, semarun, args)
    global GNU_TIME
    GNU_TIME = find_gnu_time()

    lua = find_interpreter(args.lua, args.no_lua, "lua5.4", "--lua")
    luajit = find_interpreter(args.luajit, args.no_luajit, "luajit", "--luajit")
    ports = [(label, argv) for label, argv in (("lua", [str(lua)] if lua else None),
                                               ("luajit -joff", [str(luajit), "-joff"]
                                                if luajit else None)) if argv]
    labels = ["semarun"] + [label for label, _ in ports]
    interpreters = [(label, argv[0]) for label, argv in ports]

    ok, extras_ok, first = True, True, True
    with tempfile.TemporaryDirectory(prefix="sema-bench-") as workdir:
        for suite, names in select(suites, args.only):
            rows = [benchmark(suite, name, semac, semarun, ports, args, workdir)
                    for name in names]
            if not first:
                print()
            first = False
            if ports:
                print_side_by_side(suite, rows, labels, args, interpreters)
            else:
                print_table(suite, rows, args)
            ok = ok and all(r[0].verdict == "ok" and
                            all(p.verdict in ("ok", "NO LUA PORT") for p in r[1:])
                            for r in rows)
        if lua is not None and not args.no_extras:
            items, notes = extras(semac, semarun, lua, args, workdir)
            extras_ok = print_extras(items, notes, args)
    return 0 if ok and extras_ok else 1


if __name__ == "__main__":
    sys.exit(main())

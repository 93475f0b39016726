#!/usr/bin/env python3
"""Benchmark runner for the Sema toolchain.

Compiles every examples/benchmarks/*.sema with `semac`, runs the bundle with
`semarun` several times, and prints wall time (median and minimum), peak
memory and whether the output matched the program's `.expected` file.

    python3 examples/benchmarks/run.py [--bin-dir target/release] [--runs N]
                                       [--only NAME[,NAME...]] [--rows N]

1brc reads a generated measurements file (gen-1brc.py, --rows lines, cached
between invocations); its timed runs are not compared with anything, but the
program is also run once on data/1brc-sample.txt and that output must match
1brc.expected.

Exit status: 0 when every program ran and printed what was expected; 1 when
any program failed to compile, failed at run time, timed out or printed
something else; 2 for usage errors and missing binaries.

Python 3.11 standard library only; Linux or macOS (posix_spawn + wait4).
"""

import argparse
import difflib
import os
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
    rss_kib: list = field(default_factory=list)
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


def benchmark(name, semac, semarun, args, workdir):
    result = Result(name)
    source = BENCH_DIR / f"{name}.sema"
    bundle = os.path.join(workdir, f"{name}.semb")
    expected_path = BENCH_DIR / f"{name}.expected"

    progress(f"{name}: compiling")
    compiled = subprocess.run([str(semac), str(source), "-o", bundle], capture_output=True)
    if compiled.returncode != 0:
        result.fail("COMPILE ERROR", f"  semac exited with status {compiled.returncode}",
                    *tail(compiled.stderr))
        return result

    expected = expected_path.read_bytes() if expected_path.exists() else None
    if expected is None:
        result.fail("NO .expected", f"  missing {expected_path.relative_to(REPO_ROOT)}")

    argv = [str(semarun), bundle]
    check_each_run = True
    if name == ONEBRC:
        # The timed runs use generated data; the sample run is what is checked.
        check_each_run = False
        if expected is not None:
            sample = run_process(argv + ["--", str(ONEBRC_SAMPLE)], workdir, args.timeout)
            if sample.status != 0 or sample.timed_out:
                verdict, why = describe_exit(sample)
                result.fail(verdict, f"  sample run: {why}", *tail(sample.stderr))
            elif sample.stdout != expected:
                result.fail("MISMATCH", "  sample run output differs:",
                            *output_diff(expected, sample.stdout))
        argv += ["--", str(ensure_1brc_data(args.rows, args.data_dir))]

    for i in range(args.runs):
        run = run_process(argv, workdir, args.timeout)
        if run.status != 0 or run.timed_out:
            verdict, why = describe_exit(run)
            result.fail(verdict, f"  run {i + 1}: {why}", *tail(run.stderr))
            break
        result.times.append(run.seconds)
        result.rss_kib.append(run.max_rss_kib)
        progress(f"{name}: run {i + 1}/{args.runs}: {run.seconds * 1000:.0f} ms, "
                 f"{run.max_rss_kib / 1024:.1f} MiB")
        if check_each_run:
            if expected is not None and run.stdout != expected:
                result.fail("MISMATCH", f"  run {i + 1} output differs:",
                            *output_diff(expected, run.stdout))
                break
        else:
            text = run.stdout.decode("utf-8", errors="replace")
            if not (text.startswith("{") and text.endswith("}\n") and text.count("\n") == 1):
                result.fail("MISMATCH", f"  run {i + 1}: expected one line {{...}}, got:",
                            *tail(run.stdout, 3))
                break
    return result


def print_table(results, args):
    header = ["benchmark", "median ms", "min ms", "peak MiB", "output"]
    rows = []
    for r in results:
        if r.times:
            median = f"{statistics.median(r.times) * 1000:.1f}"
            best = f"{min(r.times) * 1000:.1f}"
            peak = f"{max(r.rss_kib) / 1024:.1f}"
        else:
            median = best = peak = "-"
        verdict = r.verdict
        if r.name == ONEBRC and verdict == "ok":
            verdict = "ok (sample)"
        rows.append([r.name, median, best, peak, verdict])
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    right = [False, True, True, True, False]

    def line(cells):
        return "  ".join(c.rjust(w) if r else c.ljust(w)
                         for c, w, r in zip(cells, widths, right)).rstrip()

    print(f"runs per benchmark: {args.runs}; 1brc rows: {args.rows}; binaries: {args.bin_dir}")
    print(line(header))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))
    for r in results:
        if r.details:
            print(f"\n{r.name}: {r.verdict}")
            for d in r.details:
                print(d)


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

    available = sorted(p.stem for p in BENCH_DIR.glob("*.sema"))
    wanted = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in available]
    if unknown:
        print(f"error: no such benchmark: {', '.join(unknown)}\n"
              f"available: {', '.join(available)}", file=sys.stderr)
        return 2
    names = [n for n in available if not wanted or n in wanted]

    results = []
    with tempfile.TemporaryDirectory(prefix="sema-bench-") as workdir:
        for name in names:
            results.append(benchmark(name, semac, semarun, args, workdir))
    print_table(results, args)
    return 0 if all(r.verdict == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Async tasks against Lua 5.4 coroutines (issue 14): each benchmark here runs as a
bundle under semarun and as its Lua port (scheduler.lua: a minimal FIFO scheduler on
coroutines doing the same work), interleaved, and the medians and their ratio are
printed as one Markdown table. Both must print the same.

Usage: python3 examples/benchmarks/async/compare.py [--runs N] [--bin DIR] [--lua PATH]
(DIR holds semac and semarun; default target/release.)
"""
import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
BENCHMARKS = ["spawn-await", "channel-ping-pong"]


def timed(argv, cwd):
    start = time.perf_counter()
    out = subprocess.run(argv, cwd=cwd, capture_output=True, check=True).stdout
    return time.perf_counter() - start, out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bin", type=Path, default=ROOT / "target" / "release")
    parser.add_argument("--lua", default="lua5.4")
    args = parser.parse_args()
    print("| benchmark | semarun s | lua 5.4 s | semarun / lua |")
    print("|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in BENCHMARKS:
            bundle = Path(tmp) / f"{name}.semb"
            subprocess.run([args.bin / "semac", HERE / f"{name}.sema", "-o", bundle], check=True)
            ours, theirs = [], []
            for _ in range(args.runs):
                t, out_ours = timed([args.bin / "semarun", bundle], HERE)
                ours.append(t)
                t, out_lua = timed([args.lua, f"{name}.lua"], HERE)
                theirs.append(t)
                if out_ours != out_lua:
                    sys.exit(f"{name}: semarun printed {out_ours!r}, lua {out_lua!r}")
            a, b = statistics.median(ours), statistics.median(theirs)
            print(f"| {name} | {a:.3f} | {b:.3f} | {a / b:.2f} |")


if __name__ == "__main__":
    main()

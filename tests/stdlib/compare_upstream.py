#!/usr/bin/env python3
"""Runs the reference implementation's example programs through our toolchain and
through the reference's own `sema`, and reports which print the same thing.

usage: compare_upstream.py UPSTREAM_CHECKOUT REFERENCE_SEMA [--bin DIR] [--only NAME...]

Each program runs from the upstream checkout's root, as the standard-library issue
asks: `semac examples/X.sema -o x.semb && semarun x.semb` against `sema examples/X.sema`,
stdin from /dev/null, 20 s each. Timings are set aside: durations (`18ms`, `0.5 s`) read
as `<time>`, and a line whose text differs between two runs of the reference (clocks,
random numbers) is not compared. A program whose two reference runs differ in their
number of lines or status is reported as `nondeterministic` and not compared.
Programs that need the network, an LLM, a device or a terminal are listed in SKIP.
This is a development tool (CI has no reference build); tests/corpus/stdlib-* holds the
tests that CI runs.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

SKIP = {
    # network, LLM, devices, interactive terminals, servers
    "eliza-web", "glados-downloads", "http-router", "json-api", "mcp-demo-tools",
    "pico-blink", "pico-jukebox", "pico-midi", "pico-piano", "pico-show", "web-server",
    "stdlib/http",
}


DURATION = re.compile(rb"\d+(\.\d+)?\s*(ns|us|\xc2\xb5s|ms|s|sec|seconds)\b")


def comparable(ref1, ref2, ours):
    """The three outputs' lines with durations masked, without the lines the two
    reference runs disagree on; None when the reference runs differ in shape."""
    a, b, c = (DURATION.sub(b"<time>", out).split(b"\n") for out in (ref1, ref2, ours))
    if len(a) != len(b):
        return None
    keep = [i for i in range(len(a)) if a[i] == b[i]]
    return [a[i] for i in keep], [c[i] if i < len(c) else None for i in keep] + c[len(a):]


def run(cmd, cwd, timeout=20):
    try:
        p = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return "timeout", b"", b""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("upstream")
    ap.add_argument("sema")
    ap.add_argument("--bin", default=str(Path(__file__).resolve().parents[2] / "target" / "release"))
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    root = Path(args.upstream).resolve()
    semac, semarun = Path(args.bin) / "semac", Path(args.bin) / "semarun"
    programs = sorted(root.glob("examples/*.sema")) + sorted(root.glob("examples/stdlib/*.sema"))
    tally = {}
    with tempfile.TemporaryDirectory() as tmp:
        for prog in programs:
            name = str(prog.relative_to(root / "examples"))[: -len(".sema")]
            if args.only and name not in args.only:
                continue
            if name in SKIP:
                verdict = "skipped"
            else:
                rel = str(prog.relative_to(root))
                ref1 = run([args.sema, rel], root)
                ref2 = run([args.sema, rel], root)
                bundle = os.path.join(tmp, "x.semb")
                c = run([str(semac), rel, "-o", bundle], root, 60)
                ours = run([str(semarun), bundle], root) if c[0] == 0 else (c[0], b"", c[2])
                lines = comparable(ref1[1], ref2[1], ours[1])
                if ref1[0] != ref2[0] or lines is None:
                    verdict = "nondeterministic"
                elif ours[0] == ref1[0] and lines[0] == lines[1]:
                    verdict = "same"
                else:
                    verdict = "DIFFERENT"
                    first = next((i for i, (a, b) in enumerate(zip(ours[1].splitlines(), ref1[1].splitlines())) if a != b), None)
                    detail = ours[2].decode(errors="replace").strip().splitlines()[:1]
                    print(f"  {name}: status ours {ours[0]} ref {ref1[0]}; first differing line {first}; {detail}")
            tally.setdefault(verdict, []).append(name)
            print(f"{verdict:16} {name}", flush=True)
    print()
    for verdict, names in sorted(tally.items()):
        print(f"{verdict}: {len(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

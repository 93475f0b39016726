#!/usr/bin/env python3
"""Write a deterministic One Billion Row Challenge input file.

Usage: python3 gen-1brc.py ROWS PATH [--seed N] [--stations N]

Each line is `Station;temperature`, the temperature in degrees with exactly one
decimal in [-99.9, 99.9].  The station names (400 by default) are made up from
syllables; a few contain non-ASCII letters or a space.  Each station has its own
mean temperature and the readings scatter around it.  The same arguments always
produce the same file (Python's `random.Random` with a fixed seed).
"""

import argparse
import random
import sys

CHUNK = 200_000

ONSETS = ["b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "kh", "l", "m",
          "n", "p", "r", "s", "sh", "st", "t", "tr", "v", "w", "z"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "ia", "é", "ø", "ü", "ã"]
CODAS = ["", "", "", "n", "r", "l", "s", "th", "m", "k", "nd", "rt"]
SUFFIXES = ["", "", "", "", "", " Bay", " Falls", " Springs", " Harbour", " City", " Point"]


def station_names(rng, count):
    """`count` distinct capitalised names, in generation order."""
    names, seen = [], set()
    while len(names) < count:
        syllables = rng.choice((2, 2, 2, 3, 3, 4))
        word = ""
        for i in range(syllables):
            vowel = rng.choice(VOWELS)
            if i < syllables - 1 and not vowel.isascii() and rng.random() < 0.7:
                vowel = rng.choice(VOWELS[:9])  # keep non-ASCII letters rare
            word += rng.choice(ONSETS) + vowel
        word += rng.choice(CODAS)
        name = word[0].upper() + word[1:] + rng.choice(SUFFIXES)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def temperature_text(tenths):
    """-123 -> "-12.3", 5 -> "0.5", 0 -> "0.0"."""
    sign = "-" if tenths < 0 else ""
    whole, frac = divmod(abs(tenths), 10)
    return f"{sign}{whole}.{frac}"


def main(argv):
    parser = argparse.ArgumentParser(description="Generate a 1BRC measurements file.")
    parser.add_argument("rows", type=int, help="number of lines to write")
    parser.add_argument("path", help="output file")
    parser.add_argument("--seed", type=int, default=20240101, help="random seed (default 20240101)")
    parser.add_argument("--stations", type=int, default=400, help="number of stations (default 400)")
    args = parser.parse_args(argv)
    if args.rows < 0 or args.stations < 1:
        parser.error("rows must be >= 0 and stations >= 1")

    rng = random.Random(args.seed)
    names = station_names(rng, args.stations)
    # Mean temperature per station, in tenths of a degree: -25.0 .. 32.0.
    means = [rng.randint(-250, 320) for _ in names]
    # Scatter around the mean: a bell-shaped table (sd ~ 10 degrees) cut at
    # +-65.0 degrees, so mean + scatter stays inside [-99.9, 99.9].
    scatter = [max(-650, min(650, round(rng.gauss(0.0, 100.0)))) for _ in range(8192)]
    lowest, highest = -999, 999
    text = {t: temperature_text(t) for t in range(lowest, highest + 1)}
    prefixes = [name + ";" for name in names]
    station_ids = range(len(names))

    with open(args.path, "w", encoding="utf-8", newline="\n") as out:
        left = args.rows
        while left > 0:
            n = min(CHUNK, left)
            left -= n
            chosen = rng.choices(station_ids, k=n)
            noise = rng.choices(scatter, k=n)
            out.write("".join(
                prefixes[s] + text[max(lowest, min(highest, means[s] + d))] + "\n"
                for s, d in zip(chosen, noise)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

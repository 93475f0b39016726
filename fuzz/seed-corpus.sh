#!/usr/bin/env bash
# Fills fuzz/corpus/{reader,compile,load_run}/ with seeds: every .sema program of the
# repository (reader, compile) and its bundle, with and without debug info (load_run).
# Needs the release semac: run `cargo build --release` in the repository root first.
set -euo pipefail
cd "$(dirname "$0")"
root=..
semac="$root/target/release/semac"
[ -x "$semac" ] || { echo "build semac first: cargo build --release" >&2; exit 1; }
mkdir -p corpus/reader corpus/compile corpus/load_run
n=0
while IFS= read -r -d '' src; do
    name=$(echo "${src#$root/}" | tr '/' '_')
    cp "$src" "corpus/reader/$name"
    cp "$src" "corpus/compile/$name"
    if "$semac" "$src" -o "corpus/load_run/${name%.sema}.semb" 2>/dev/null; then
        "$semac" "$src" --strip-debug -o "corpus/load_run/${name%.sema}.stripped.semb"
    fi
    n=$((n + 1))
done < <(find "$root/examples" "$root/tests/corpus" -name '*.sema' -print0 | sort -z)
echo "seeded $n programs: $(ls corpus/load_run | wc -l) bundles"

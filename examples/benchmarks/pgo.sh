#!/usr/bin/env bash
# A profile-guided (PGO) build of semarun, trained on the benchmark programs.
#
#   examples/benchmarks/pgo.sh            # writes target/pgo/release/{semarun,semac}
#   python3 examples/benchmarks/run.py --bin-dir target/pgo/release
#
# Needs llvm-profdata from the same LLVM as rustc: `rustup component add llvm-tools`.
# semac is the ordinary release build (copied beside the PGO semarun, which is what
# run.py and `semac --exe` expect); only the runtime is trained.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

sysroot="$(rustc --print sysroot)"
profdata="$(find "$sysroot/lib/rustlib" -name llvm-profdata -type f | head -n 1)"
if [[ -z "$profdata" ]]; then
    echo "pgo.sh: llvm-profdata not found; run: rustup component add llvm-tools" >&2
    exit 2
fi

data="$root/target/pgo-data"
rm -rf "$data"
mkdir -p "$data"

echo "pgo.sh: 1/4 release semac, and an instrumented semarun"
cargo build --release --locked -p sema-compiler
RUSTFLAGS="-Cprofile-generate=$data" cargo build --release --locked -p sema-runtime --target-dir target/pgo-gen

echo "pgo.sh: 2/4 training run over examples/benchmarks"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 examples/benchmarks/gen-1brc.py 200000 "$work/1brc.txt"
for source in examples/benchmarks/*.sema; do
    name="$(basename "$source" .sema)"
    target/release/semac "$source" -o "$work/$name.semb"
    if [[ "$name" == 1brc ]]; then
        target/pgo-gen/release/semarun "$work/$name.semb" -- "$work/1brc.txt" > /dev/null
    else
        target/pgo-gen/release/semarun "$work/$name.semb" > /dev/null
    fi
done

echo "pgo.sh: 3/4 merging the profiles"
"$profdata" merge -o "$data/merged.profdata" "$data"

echo "pgo.sh: 4/4 semarun built with the profile"
RUSTFLAGS="-Cprofile-use=$data/merged.profdata" cargo build --release --locked -p sema-runtime --target-dir target/pgo
cp target/release/semac target/pgo/release/semac
echo "pgo.sh: done: target/pgo/release/semarun (and semac beside it)"

#!/usr/bin/env bash
# The README's main job, end to end on Fashion-MNIST with what lgc has today:
# make a net, optimise and compile it with lgc to a shared library, run it on
# the test split and print accuracy and images/s. The net is random until
# the trainer lands (README.md, "Status"), so its accuracy is chance.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD="${LGC_BUILD_DIR:-build}"
OUT="$BUILD/main"
mkdir -p "$OUT"
BIN="$BUILD/bin"

echo "== net: random 784 -> 6 x 8000 -> 10 (no trainer yet: accuracy is chance)"
"$BIN/lgn-gen" --inputs 784 --layers 6x8000 --classes 10 --seed 1 --pass-through 0.45 -o "$OUT/net.lgn"
echo "== lgc -O2 net.lgn -o net.so"
TIMEFORMAT="compile: %R s"
time ("$BIN/lgc" -O2 --print-stats "$OUT/net.lgn" -o "$OUT/net.so" 2>&1 | grep -E "===|gates:|depth:")
echo "== lgn-run net.so (1 thread, from 8-bit pixels)"
"$BIN/lgn-run" "$OUT/net.so" --data fashion-mnist --split test --repeat 10
echo "== lgn-run net.so (all cores)"
"$BIN/lgn-run" "$OUT/net.so" --data fashion-mnist --split test --repeat 10 --threads 0 | tail -2
echo "== lgn-run net.lgn (reference interpreter: same accuracy)"
"$BIN/lgn-run" "$OUT/net.lgn" --data fashion-mnist --split test | tail -2

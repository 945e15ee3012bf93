#!/usr/bin/env bash
# The README's main job, end to end on Fashion-MNIST with what lgc has today:
# make a net, optimise it with lgc, and run it on the test split, printing
# accuracy and images/s. Grows into train -> compile -> run as the trainer
# and the CPU backend land (see README.md, "Status").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD="${LGC_BUILD_DIR:-build}"
OUT="$BUILD/main"
mkdir -p "$OUT"
BIN="$BUILD/bin"

echo "== net: random 784 -> 6 x 8000 -> 10 (no trainer yet: accuracy is chance)"
"$BIN/lgn-gen" --inputs 784 --layers 6x8000 --classes 10 --seed 1 -o "$OUT/net.lgn"
echo "== lgc -O1 (fold, hash, dead gates)"
"$BIN/lgc" -O1 --print-stats "$OUT/net.lgn" -o "$OUT/net.opt.lgn" 2>&1 | grep -E "===|gates:|depth:"
for net in net.lgn net.opt.lgn; do
  echo "== lgn-run $net (reference interpreter)"
  "$BIN/lgn-run" "$OUT/$net" --data fashion-mnist --split test
done

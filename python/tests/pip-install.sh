#!/usr/bin/env bash
# `pip install ./python` works offline into a fresh virtual environment that
# sees the system's numpy, and the installed package runs a net from outside
# the source tree. Exit 77 (skipped) where python3-venv is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
py="${LGC_PYTHON:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if ! "$py" -m venv --system-site-packages "$tmp/venv" >/dev/null 2>&1; then
  echo "python3 -m venv is not available (Debian: python3-venv); skipped"
  exit 77
fi
# From a copy: building writes build/ and *.egg-info beside the sources.
mkdir "$tmp/src"
cp -r "$here/pyproject.toml" "$here/README.md" "$here/lgc" "$tmp/src/"
"$tmp/venv/bin/pip" install --quiet --no-index --no-build-isolation "$tmp/src"
cd "$tmp"
"$LGC_BUILD_DIR/bin/lgn-gen" --inputs 20 --layers 2x60 --classes 3 -o net.lgn
"$tmp/venv/bin/python" - <<'PY'
import numpy as np
import lgc
assert "/venv/" in lgc.__file__, lgc.__file__
with lgc.load("net.lgn") as net:
    classes = net.predict(np.random.default_rng(0).integers(0, 256, (100, 20), dtype=np.uint8))
assert classes.shape == (100,) and classes.max() < 3
print("installed package ran", net.info.gates, "gates")
PY
test -x "$tmp/venv/bin/lgn-import"
echo "pip install ./python: ok"

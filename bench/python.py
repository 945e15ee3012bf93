#!/usr/bin/env python3
"""Python package benchmark, not a test: net.predict on 1M Fashion-MNIST
images against lgn-run on the same net.so, same threads, in one run. Both
classify the 10,000 test images 100 times (lgn-run --repeat 100); the last
column is one net.predict call on the test split tiled to 1M distinct
images (784 MB streamed from memory).

    /usr/bin/python3 bench/python.py [--build build] [--threads 1]
"""
import argparse
import gzip
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--layers", default="6x8000")
    args = ap.parse_args()
    os.environ["LGC_BUILD_DIR"] = os.path.abspath(args.build)
    import lgc
    b = os.path.join(args.build, "bin")
    raw = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()
    test = np.frombuffer(raw[16:], dtype=np.uint8).reshape(-1, 784)
    repeat = 100
    x = np.tile(test, (repeat, 1))
    with tempfile.TemporaryDirectory() as tmp:
        lgn, so = os.path.join(tmp, "n.lgn"), os.path.join(tmp, "n.so")
        subprocess.run([os.path.join(b, "lgn-gen"), "--layers", args.layers, "--classes", "10",
                        "--seed", "1", "--pass-through", "0.45", "-o", lgn], check=True)
        lgc.compile(lgn, so, opt=2)
        rows = []
        for attempt in range(3):
            out = subprocess.run([os.path.join(b, "lgn-run"), so, "--data", "fashion-mnist",
                                  "--repeat", str(repeat), "--threads", str(args.threads)],
                                 check=True, capture_output=True, text=True).stdout
            tool = float(re.search(r"throughput: ([0-9.]+) M", out).group(1))
            with lgc.load(so, threads=args.threads) as net:
                net.predict(test)  # warm up, as lgn-run's first pass does
                # As lgn-run does: the 10,000 test images, 100 times.
                start = time.perf_counter()
                for _ in range(repeat):
                    net.predict(test)
                py = len(x) / (time.perf_counter() - start) / 1e6
                # One call on 1M distinct images (784 MB, from DRAM).
                start = time.perf_counter()
                net.predict(x)
                big = len(x) / (time.perf_counter() - start) / 1e6
            rows.append((tool, py, big))
    print(f"net 784-{args.layers} (45% pass-through), {len(x)} images, "
          f"{args.threads} thread(s), M images/s:")
    print(f"{'run':>4} {'lgn-run':>9} {'net.predict':>12} {'ratio':>6}   "
          f"{'net.predict, one 1M batch':>25}")
    for i, (tool, py, big) in enumerate(rows):
        print(f"{i + 1:>4} {tool:9.2f} {py:12.2f} {py / tool:6.2f}   {big:25.2f}")


if __name__ == "__main__":
    main()

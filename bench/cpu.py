#!/usr/bin/env python3
"""CPU backend benchmark, not a test: random 784 -> 4x2000, 6x8000 and
6x64000 nets (10 classes): lgc -O2 compile time, then images/s from 8-bit
pixels end to end on one core, from packed bits on one core, and from
pixels on all cores (lgc-net-bench).

    python3 bench/cpu.py [--build build] [--quick]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

NETS = [("784-4x2000", "4x2000"), ("784-6x8000", "6x8000"), ("784-6x64000", "6x64000")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--quick", action="store_true", help="skip 6x64000")
    ap.add_argument("--extra", default="", help="extra lgc flags")
    args = ap.parse_args()
    b = os.path.join(args.build, "bin")
    nets = NETS[:2] if args.quick else NETS
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, layers in nets:
            lgn, so = os.path.join(tmp, "n.lgn"), os.path.join(tmp, "n.so")
            subprocess.run([os.path.join(b, "lgn-gen"), "--layers", layers, "--classes", "10",
                            "--seed", "1", "-o", lgn], check=True)
            start = time.perf_counter()
            subprocess.run([os.path.join(b, "lgc"), "-O2", lgn, "-o", so] + args.extra.split(),
                           check=True)
            compile_s = time.perf_counter() - start
            out = subprocess.run([os.path.join(b, "lgc-net-bench"), so], check=True,
                                 capture_output=True, text=True).stdout
            m = re.search(r"(\d+) gates, (\d+)-bit vectors: u8 1 thread ([0-9.]+) M/s, "
                          r"packed 1 thread ([0-9.]+) M/s, u8 (\d+) threads ([0-9.]+) M/s", out)
            if not m:
                sys.exit("unexpected output: " + out)
            rows.append((name, int(m.group(1)), compile_s, float(m.group(3)),
                         float(m.group(4)), int(m.group(5)), float(m.group(6)), m.group(2)))
    print(f"{'net':14} {'gates(opt)':>10} {'compile s':>9} {'u8 1 core':>10} "
          f"{'packed 1 core':>13} {'u8 all cores':>13}  (M images/s)")
    for name, gates, cs, u8, packed, cores, allc, bits in rows:
        print(f"{name:14} {gates:10d} {cs:9.2f} {u8:10.2f} {packed:13.2f} "
              f"{allc:9.2f} ({cores})  [{bits}-bit vectors]")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark of the lgn optimisation pipeline (lgc -O1), not a test.

For each net: gates before/after, the pipeline's own time (--mlir-timing),
lgc's wall time end to end (parse, import, optimise, export, write) and its
peak memory (wait4's ru_maxrss of that one process).

    python3 bench/optimize.py [--build build] [--quick]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

NETS = [
    # name, lgn-gen flags
    ("784-6x8000 random kinds", ["--layers", "6x8000", "--classes", "10"]),
    ("784-6x8000 trained-like (45% pass)", ["--layers", "6x8000", "--classes", "10", "--pass-through", "0.45"]),
    ("784-6x64000 random kinds", ["--layers", "6x64000", "--classes", "10"]),
    ("784-6x64000 trained-like (45% pass)", ["--layers", "6x64000", "--classes", "10", "--pass-through", "0.45"]),
]


def run(cmd):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    # communicate() reaps the child; re-run under wait4 for its rusage.
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err.decode()}")
    return out.decode(), err.decode(), wall


def run_rusage(cmd):
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execvp(cmd[0], cmd)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--quick", action="store_true", help="only the 6x8000 nets")
    args = ap.parse_args()
    bindir = os.path.join(args.build, "bin")
    gen, lgc = os.path.join(bindir, "lgn-gen"), os.path.join(bindir, "lgc")
    nets = NETS[:2] if args.quick else NETS
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, flags in nets:
            src = os.path.join(tmp, "net.lgn")
            dst = os.path.join(tmp, "opt.lgn")
            run([gen, "--inputs", "784", "--seed", "1", "-o", src] + flags)
            _, err, _ = run([lgc, "-O1", "--print-stats", "--mlir-timing", src, "-o", dst])
            gates = [int(g) for g in re.findall(r"^gates:\s+(\d+)", err, re.M)]
            depth = [int(d) for d in re.findall(r"^depth:\s+(\d+)", err, re.M)]
            total = re.search(r"Total Execution Time: ([0-9.]+) seconds", err)
            wall, rss = run_rusage([lgc, "-O1", src, "-o", dst])
            rows.append((name, gates[0], gates[1], depth[1], float(total.group(1)), wall, rss))
    print(f"{'net':38} {'gates':>8} {'after':>8} {'kept':>6} {'depth':>5} "
          f"{'pipeline s':>10} {'lgc wall s':>10} {'peak MiB':>9}")
    for name, before, after, depth, pipe, wall, rss in rows:
        print(f"{name:38} {before:8d} {after:8d} {100.0 * after / before:5.1f}% {depth:5d} "
              f"{pipe:10.3f} {wall:10.3f} {rss:9.1f}")


if __name__ == "__main__":
    main()

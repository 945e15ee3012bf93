#!/usr/bin/env python3
"""CPU backend benchmark, not a test.

Random 784-input, 10-class nets (lgn-gen, seed 1) are compiled with lgc -O2
and run with lgc-net-bench: compile wall time and peak memory, then images/s
from 8-bit pixels end to end on one core, from packed bits on one core, and
from pixels on all cores, and img/s x gates (end to end, one core, times the
gates after -O2). Everything a row compares is measured in the same run:

  --before BUILD   a second lgc build (an older commit) on the same nets,
                   each net measured with both builds one after the other;
  --baseline PY    a difflogic-style C baseline (one statement per gate,
                   gcc -O1, bool input) on nets up to --baseline-gates
                   gates, and lgc's end-to-end ratio to it;
  --repeat N       each library run N times, the builds alternating, and
                   each rate's best kept (this machine's speed drifts).

    python3 bench/cpu.py [--build build] [--nets 4x2000,6x8000,6x64000]
                         [--big] [--huge] [--jobs N] [--before BUILD]
                         [--baseline path/to/dlbaseline.py] [--repeat N]

--big adds the 1M-gate net (4x250000), --huge the 10M-gate net
(4x2500000; minutes of compile and several GiB).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

DEFAULT_NETS = ["4x2000", "6x8000", "6x64000"]


def run_measured(cmd):
    """Runs cmd; returns (wall seconds, peak RSS in MiB of the child)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024


def lgc_compile(build, lgn, so, extra):
    b = os.path.join(build, "bin")
    compile_s, peak = run_measured([os.path.join(b, "lgc"), "-O2", lgn, "-o", so] + extra)
    return {"compile": compile_s, "peak": peak}


def lgc_run(build, so, seconds, row):
    """Runs lgc-net-bench on so; keeps the best rate of each kind in row."""
    out = subprocess.run([os.path.join(build, "bin", "lgc-net-bench"), so, "--seconds",
                          str(seconds)], check=True, capture_output=True, text=True).stdout
    m = re.search(r"(\d+) gates, (\d+)-bit vectors: u8 1 thread ([0-9.]+) M/s, "
                  r"packed 1 thread ([0-9.]+) M/s, u8 (\d+) threads ([0-9.]+) M/s", out)
    if not m:
        sys.exit("unexpected lgc-net-bench output: " + out)
    row.update(gates=int(m.group(1)), bits=int(m.group(2)), cores=int(m.group(5)))
    for key, group in (("u8", 3), ("packed", 4), ("u8all", 6)):
        row[key] = max(row.get(key, 0.0), float(m.group(group)))


def baseline_row(script, lgn):
    out = subprocess.run([sys.executable, script, lgn], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"(\d+) gates, \d+ lines, \S+ -O\d ([0-9.]+) s, ([0-9.]+) M images/s", out)
    if not m:
        sys.exit("unexpected baseline output: " + out)
    return {"gates": int(m.group(1)), "compile": float(m.group(2)), "u8": float(m.group(3))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--nets", default=",".join(DEFAULT_NETS),
                    help="comma-separated lgn-gen --layers values")
    ap.add_argument("--big", action="store_true", help="add the 1M-gate net (4x250000)")
    ap.add_argument("--huge", action="store_true", help="add the 10M-gate net (4x2500000)")
    ap.add_argument("--jobs", type=int, default=0, help="lgc -j (0: one per core)")
    ap.add_argument("--extra", default="", help="more lgc flags")
    ap.add_argument("--seconds", type=float, default=2.0, help="per lgc-net-bench phase")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each library this many times, builds alternating, "
                         "and keep each rate's best (the machine's speed drifts)")
    ap.add_argument("--before", help="a second lgc build to measure on the same nets")
    ap.add_argument("--before-gates", type=int, default=400000,
                    help="run --before on nets of at most this many gates")
    ap.add_argument("--baseline", help="a difflogic-style C baseline script, run as "
                    "'PY NET.lgn', printing 'N gates, L lines, CC -Ok S s, R M images/s'")
    ap.add_argument("--baseline-gates", type=int, default=60000,
                    help="run the baseline on nets of at most this many gates")
    args = ap.parse_args()
    nets = [n for n in args.nets.split(",") if n]
    if args.big:
        nets.append("4x250000")
    if args.huge:
        nets.append("4x2500000")
    extra = args.extra.split() + [f"-j{args.jobs}"]
    builds = [("lgc", args.build)] + ([("before", args.before)] if args.before else [])

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for layers in nets:
            lgn = os.path.join(tmp, f"{layers}.lgn")
            subprocess.run([os.path.join(args.build, "bin", "lgn-gen"), "--layers", layers,
                            "--classes", "10", "--seed", "1", "-o", lgn], check=True)
            n, w = layers.split("x")
            runs = []
            for label, build in builds:
                if label == "before" and int(n) * int(w) > args.before_gates:
                    continue
                so = os.path.join(tmp, f"{layers}-{label}.so")
                # The flags a build does not know are left to the newer one.
                flags = extra if label == "lgc" else args.extra.split()
                runs.append((label, build, so, lgc_compile(build, lgn, so, flags)))
            for _ in range(max(1, args.repeat)):
                for label, build, so, row in runs:
                    lgc_run(build, so, args.seconds, row)
            for label, build, so, row in runs:
                rows.append((f"784-{layers}", label, row))
                os.remove(so)
                print(f"  {layers} {label}: {row}", file=sys.stderr, flush=True)
            if args.baseline and int(n) * int(w) <= args.baseline_gates:
                rows.append((f"784-{layers}", "baseline", baseline_row(args.baseline, lgn)))
                print(f"  {layers} baseline: {rows[-1][2]}", file=sys.stderr, flush=True)
            os.remove(lgn)

    print(f"{'net':16} {'build':8} {'gates':>8} {'compile s':>9} {'peak MiB':>8} "
          f"{'u8 1 core':>9} {'packed 1c':>9} {'u8 all':>7} {'G img/s*gates':>13}  (M images/s)")
    for net, label, r in rows:
        if label == "baseline":
            print(f"{net:16} {label:8} {r['gates']:8d} {r['compile']:9.1f} {'':>8} "
                  f"{r['u8']:9.2f} {'':>9} {'':>7} {r['u8'] * r['gates'] / 1e3:13.1f}")
            continue
        print(f"{net:16} {label:8} {r['gates']:8d} {r['compile']:9.2f} {r['peak']:8.0f} "
              f"{r['u8']:9.2f} {r['packed']:9.2f} {r['u8all']:7.2f} "
              f"{r['u8'] * r['gates'] / 1e3:13.1f}")
    by = {(net, label): r for net, label, r in rows}
    for net in dict.fromkeys(net for net, _, _ in rows):
        now = by[(net, "lgc")]
        parts = []
        if (net, "before") in by:
            old = by[(net, "before")]
            parts.append(f"vs before: compile {old['compile'] / now['compile']:.1f}x faster, "
                         f"u8 {now['u8'] / old['u8']:.2f}x, packed {now['packed'] / old['packed']:.2f}x")
        if (net, "baseline") in by:
            base = by[(net, "baseline")]
            parts.append(f"vs difflogic-style C: u8 end to end {now['u8'] / base['u8']:.1f}x, "
                         f"compile {base['compile'] / now['compile']:.0f}x faster")
        if parts:
            print(f"{net}: " + "; ".join(parts))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""GPU backend compile benchmark, not a test (no GPU needed; the CUDA
Toolkit's ptxas, nvlink and readelf are).

Random 784-input, 10-class nets (lgn-gen, seed 1) are compiled with lgc -O2
to PTX and to a loadable cubin: wall time and peak memory of each (the peak
of lgc or of one of its ptxas processes), then what ptxas and the cubin say
about the code: functions that spill and their spill stores (ptxas -v), and
SASS instructions per gate (the cubin's .text sections, 16 bytes per
instruction). Images/s need a GPU: scripts/gpu-check.sh.

    python3 bench/gpu.py [--build build] [--nets 6x8000,6x64000]
                         [--arch sm_90] [--jobs N] [--extra "lgc flags"]
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time


def run_measured(cmd, log=None):
    """Runs cmd; returns (wall seconds, peak RSS in MiB of it or a child)."""
    start = time.perf_counter()
    out = open(log, "w") if log else None
    proc = subprocess.Popen(cmd, stdout=out, stderr=out)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if out:
        out.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}" + (f" (see {log})" if log else ""))
    return wall, usage.ru_maxrss / 1024


def sass_instructions(cubin):
    """Instructions in the cubin's code sections."""
    out = subprocess.run(["readelf", "-SW", cubin], capture_output=True, text=True).stdout
    total = 0
    for line in out.splitlines():
        m = re.search(r"\]\s+\.text\.\S+\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+)", line)
        if m:
            total += int(m.group(1), 16) // 16
    return total


def spills(log):
    """(functions with spill stores, their bytes in all) from ptxas -v."""
    count = total = 0
    with open(log) as f:
        for line in f:
            m = re.search(r"(\d+) bytes spill stores", line)
            if m and int(m.group(1)) > 0:
                count += 1
                total += int(m.group(1))
    return count, total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--nets", default="6x8000,6x64000")
    ap.add_argument("--arch", default="sm_90")
    ap.add_argument("--jobs", type=int, default=0, help="lgc -j (0: all cores)")
    ap.add_argument("--extra", default="", help="more lgc flags, e.g. --gates-per-function=250")
    args = ap.parse_args()
    b = os.path.join(args.build, "bin")
    extra = shlex.split(args.extra) + [f"-j{args.jobs}", f"--gpu-arch={args.arch}"]
    print(f"{'net':<10} {'gates':>8} {'ptx s':>7} {'cubin s':>8} {'peak MiB':>9} "
          f"{'spilling fns':>12} {'spill B':>8} {'SASS/gate':>9}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for layers in args.nets.split(","):
            lgn = os.path.join(tmp, f"{layers}.lgn")
            subprocess.run([os.path.join(b, "lgn-gen"), "--layers", layers, "--classes", "10",
                            "--seed", "1", "-o", lgn], check=True)
            stats = os.path.join(tmp, "stats.json")
            subprocess.run([os.path.join(b, "lgc"), "-O2", lgn, "--emit=lgn", "-o", os.devnull,
                            f"--print-stats-json={stats}"], check=True)
            with open(stats) as f:
                gates = json.load(f)["after"]["gates"]
            lgc = os.path.join(b, "lgc")
            ptx_s, _ = run_measured([lgc, "-O2", lgn, "--emit=ptx", "-o",
                                     os.path.join(tmp, "net.ptx")] + extra)
            log = os.path.join(tmp, "ptxas.log")
            cubin = os.path.join(tmp, "net.cubin")
            cubin_s, peak = run_measured([lgc, "-O2", lgn, "--emit=cubin", "--ptxas-verbose",
                                          "-o", cubin] + extra, log)
            fns, spilled = spills(log)
            per_gate = sass_instructions(cubin) / max(1, gates)
            print(f"{layers:<10} {gates:>8} {ptx_s:>7.2f} {cubin_s:>8.2f} {peak:>9.0f} "
                  f"{fns:>12} {spilled:>8} {per_gate:>9.2f}", flush=True)


if __name__ == "__main__":
    main()

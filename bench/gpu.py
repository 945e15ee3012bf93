#!/usr/bin/env python3
"""GPU backend compile benchmark, not a test (no GPU needed; the CUDA
Toolkit's ptxas and nvlink are).

Random 784-input, 10-class nets (lgn-gen, seed 1) are compiled with lgc -O2
to PTX and to a loadable cubin: wall time and peak memory of each (the peak
of lgc or of one of its ptxas processes), then what ptxas and the cubin say
about the code: functions that spill and their spill stores (ptxas -v), and
SASS instructions per gate (the cubin's .text sections, 16 bytes per
instruction), and lgc_net's registers per thread (the linked count),
threads per block and shared memory (its shape table), and the warps of it
an sm_90 multiprocessor (H100, H200) holds by the occupancy rules, all read
from the cubin as bench/gpu_resources.py reads them (which reports every
kernel). Images/s need a GPU: scripts/gpu-check.sh.

    python3 bench/gpu.py [--build build] [--nets 6x8000,6x64000]
                         [--pass-through P] [--arch sm_90] [--jobs N]
                         [--extra "lgc flags"]
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

from gpu_resources import read_module, resources, spill_report, warps_per_sm


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--nets", default="6x8000,6x64000")
    ap.add_argument("--pass-through", type=float, default=-1,
                    help="lgn-gen --pass-through (the GPU check's nets: 0.45)")
    ap.add_argument("--arch", default="sm_90")
    ap.add_argument("--jobs", type=int, default=0, help="lgc -j (0: all cores)")
    ap.add_argument("--extra", default="", help="more lgc flags, e.g. --gates-per-function=250")
    args = ap.parse_args()
    b = os.path.join(args.build, "bin")
    extra = shlex.split(args.extra) + [f"-j{args.jobs}", f"--gpu-arch={args.arch}"]
    print(f"{'net':<10} {'gates':>8} {'ptx s':>7} {'cubin s':>8} {'peak MiB':>9} "
          f"{'spilling fns':>12} {'spill B':>8} {'SASS/gate':>9} {'regs':>5} "
          f"{'threads':>7} {'shared B':>8} {'warps/SM':>8}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for layers in args.nets.split(","):
            lgn = os.path.join(tmp, f"{layers}.lgn")
            passing = ["--pass-through", str(args.pass_through)] if args.pass_through >= 0 else []
            subprocess.run([os.path.join(b, "lgn-gen"), "--inputs", "784", "--layers", layers,
                            "--classes", "10", "--seed", "1", "-o", lgn] + passing, check=True)
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
            # Functions with spill stores, and their bytes in all (ptxas -v).
            spilling = [s for s in spill_report(log).values() if s[1] > 0]
            fns, spilled = len(spilling), sum(s[1] for s in spilling)
            # The cubin read once: every function's SASS, lgc_net's shape.
            kernels, functions = resources(read_module(cubin))
            per_gate = sum(f["sass"] for f in kernels + functions) / max(1, gates)
            net = next(k for k in kernels if k["name"] == "lgc_net")
            regs, threads, shared = net["registers"], net["threads"], net["shared"]
            print(f"{layers:<10} {gates:>8} {ptx_s:>7.2f} {cubin_s:>8.2f} {peak:>9.0f} "
                  f"{fns:>12} {spilled:>8} {per_gate:>9.2f} {regs:>5} {threads:>7} "
                  f"{shared:>8} {warps_per_sm(regs, threads, shared):>8}", flush=True)


if __name__ == "__main__":
    main()

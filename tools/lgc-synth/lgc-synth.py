#!/usr/bin/env python3
"""lgc-synth: the hardware cost of a net's Verilog, from Yosys.

    lgc-synth net.v [--top net] [--lut 6] [--yosys yosys]

Runs `synth -lut N` and prints the LUT count, the other cells, and the logic
depth (Yosys `ltp`: the longest path in cells through the LUT netlist).
Exits non-zero when Yosys fails or reports an error.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser(prog="lgc-synth", description=__doc__.splitlines()[0])
    ap.add_argument("verilog")
    ap.add_argument("--top", default=None, help="top module (default: the first module)")
    ap.add_argument("--lut", type=int, default=6, help="LUT inputs (default 6)")
    ap.add_argument("--yosys", default="yosys")
    args = ap.parse_args()
    if not os.path.isfile(args.verilog):
        sys.exit(f"lgc-synth: error: {args.verilog}: no such file")
    if args.lut < 2 or args.lut > 8:
        sys.exit("lgc-synth: error: --lut must be in 2..8")
    if not shutil.which(args.yosys):
        sys.exit(f"lgc-synth: error: {args.yosys} not found (apt-get install yosys)")
    top = args.top
    if top is None:
        with open(args.verilog) as f:
            m = re.search(r"^\s*module\s+(\w+)", f.read(), re.M)
        if not m:
            sys.exit(f"lgc-synth: error: {args.verilog}: no module")
        top = m.group(1)
    with tempfile.TemporaryDirectory() as tmp:
        stat, ltp = os.path.join(tmp, "stat.txt"), os.path.join(tmp, "ltp.txt")
        script = (f"read_verilog {args.verilog}; synth -top {top} -lut {args.lut}; "
                  f"tee -q -o {stat} stat; tee -q -o {ltp} ltp -noff")
        proc = subprocess.run([args.yosys, "-q", "-p", script], capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            sys.exit("lgc-synth: error: yosys failed")
        warnings = [l for l in (proc.stdout + proc.stderr).splitlines() if "Warning" in l]
        text = open(stat).read()
        cells = {m.group(1): int(m.group(2))
                 for m in re.finditer(r"^\s+(\S+)\s+(\d+)\s*$", text, re.M)}
        total = re.search(r"Number of cells:\s+(\d+)", text)
        depth = re.search(r"length=(\d+)", open(ltp).read())
    luts = cells.get("$lut", 0)
    print(f"module: {top}")
    print(f"luts ({args.lut}-input): {luts}")
    others = {k: v for k, v in cells.items() if k != "$lut"}
    print("other cells: " + (", ".join(f"{k} {v}" for k, v in sorted(others.items())) or "none"))
    print(f"cells: {total.group(1) if total else '?'}")
    print(f"logic depth (cells on the longest path): {depth.group(1) if depth else '?'}")
    print(f"yosys warnings: {len(warnings)}")
    for w in warnings[:10]:
        print("  " + w.strip())


if __name__ == "__main__":
    main()

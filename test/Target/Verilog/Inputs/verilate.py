"""Builds the lgc Verilog of a net and its testbench with Verilator and runs
it: verilate.py WORKDIR NAME PIPELINE NET.lgn [extra lgc flags] (--tb-* flags
go to the testbench only, the others to both)."""
import os
import subprocess
import sys

work, name, pipeline, net = sys.argv[1:5]
extra = sys.argv[5:]
both = [f for f in extra if not f.startswith("--tb-")]
d = os.path.join(work, f"{name}_p{pipeline}")
os.makedirs(d, exist_ok=True)
v, tb = os.path.join(d, "net.v"), os.path.join(d, "net_tb.v")
subprocess.run(["lgc", "-O1", net, "--emit=verilog", f"--pipeline={pipeline}", "-o", v] + both,
               check=True)
subprocess.run(["lgc", "-O1", net, "--emit=verilog-testbench", f"--pipeline={pipeline}",
                "--tb-vectors=1000", "-o", tb] + extra, check=True)
build = subprocess.run(
    ["verilator", "--binary", "--timing", "-Wno-fatal", "-Wno-lint", "-Wno-style",
     "--top-module", "net_tb", "--Mdir", os.path.join(d, "obj"), "-o", "tb", v, tb,
     "-MAKEFLAGS", "OPT_FAST=-O0 OPT_SLOW=-O0"],
    capture_output=True, text=True)
if build.returncode != 0:
    sys.stderr.write(build.stdout[-4000:] + build.stderr[-4000:])
    sys.exit("verilator build failed")
run = subprocess.run([os.path.join(d, "obj", "tb")], capture_output=True, text=True, cwd=d)
sys.stdout.write(run.stdout)
sys.exit(run.returncode)

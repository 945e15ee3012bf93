#!/usr/bin/env python3
"""lgc-synth: the hardware cost of a net's Verilog, from Yosys.

    lgc-synth net.v [--top net] [--lut 6] [--jobs N] [--work-dir DIR] [--yosys yosys]

Runs `synth -lut N` and prints the LUT count, the other cells, and the logic
depth (Yosys `ltp`: the longest path in cells through the LUT netlist).

A file of several modules (lgc's Verilog of an ensemble: a top module that
instantiates one module per part) is synthesized module by module, each in
a Yosys process of its own (`--jobs` at once) with the modules it
instantiates as black boxes, as a hierarchical synthesis keeps them. The
totals count each module once per instance; the depth is then an upper
bound: a module's longest path with each instance on it replaced by the
instantiated module's longest path. Each module's figures are printed to
stderr as it finishes; with --work-dir, a run that was stopped can be run
again and synthesizes only the modules that had not finished.

Exits non-zero when Yosys fails or reports an error.
"""
import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

MODULE = re.compile(r"^\s*module\s+(\w+)\s*\((.*?)\);(.*?)^\s*endmodule\b",
                    re.M | re.S)


def fail(msg):
    sys.exit(f"lgc-synth: error: {msg}")


# The Yosys processes running, each the leader of a process group of its
# own: Yosys runs ABC as a child process, which outlives a Yosys that is
# killed alone, so a stopped lgc-synth kills whole groups.
running = set()
running_lock = threading.Lock()
stopping = threading.Event()


def stop_all():
    stopping.set()
    with running_lock:
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


def run_yosys(args):
    """Runs Yosys in a process group of its own; returns (code, output)."""
    proc = None
    # In the main thread (the one-module run), where Python raises Ctrl-C
    # and SIGTERM, both are held from Yosys's start until it is registered
    # (they land once it is): raised inside Popen after the fork, or before
    # the registration, no one would know of the process to kill it (a
    # loaded machine can deschedule this thread there while Yosys starts
    # its child). Yosys inherits them held, and runs in a session of its
    # own, so no terminal signal reaches it anyway; it is stopped by kill.
    held = threading.current_thread() is threading.main_thread()
    try:
        if held:
            mask = signal.pthread_sigmask(signal.SIG_BLOCK,
                                          {signal.SIGINT, signal.SIGTERM})
        try:
            with running_lock:
                if stopping.is_set():
                    return -1, ""
                proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True)
                running.add(proc)
        finally:
            if held:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        out, _ = proc.communicate()
    except BaseException:
        # Ctrl-C in the main thread's one-module run while it waits.
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        raise
    finally:
        if proc is not None:
            with running_lock:
                running.discard(proc)
    return proc.returncode, out


def parse(stat, ltp):
    """The cell counts, total cell count and ltp depth of Yosys's reports."""
    text = open(stat).read()
    cells = {m.group(1): int(m.group(2))
             for m in re.finditer(r"^\s+(\S+)\s+(\d+)\s*$", text, re.M)}
    total = re.search(r"Number of cells:\s+(\d+)", text)
    depth = re.search(r"length=(\d+)", open(ltp).read())
    return (cells, int(total.group(1)) if total else None,
            int(depth.group(1)) if depth else None)


def synthesize(yosys, files, top, lut, tmp):
    """Synthesizes module `top` from `files`; returns its stat cell counts,
    its total cell count, its ltp depth and Yosys's warnings. In a work
    directory, a module whose file is unchanged since a finished run is not
    synthesized again (its `.done` file holds that run's settings and
    warnings)."""
    stat, ltp = os.path.join(tmp, top + ".stat"), os.path.join(tmp, top + ".ltp")
    done = os.path.join(tmp, top + ".done")
    key = {"lut": lut,
           "sha256": [hashlib.sha256(open(f, "rb").read()).hexdigest() for f in files]}
    if os.path.exists(done):
        with open(done) as f:
            record = json.load(f)
        if record.get("key") == key:
            return parse(stat, ltp) + (record["warnings"],)
    reads = "; ".join(f"read_verilog {f}" for f in files)
    script = (f"{reads}; synth -top {top} -lut {lut}; "
              f"tee -q -o {stat} stat; tee -q -o {ltp} ltp -noff")
    code, out = run_yosys([yosys, "-q", "-p", script])
    if code != 0:
        sys.stderr.write(out)
        fail(f"yosys failed on module {top}")
    warnings = [l for l in out.splitlines() if "Warning" in l]
    with open(done, "w") as f:
        json.dump({"key": key, "warnings": warnings}, f)
    return parse(stat, ltp) + (warnings,)


def main():
    # SIGTERM (a job scheduler's stop) ends the run as Ctrl-C does, so the
    # Yosys process groups are killed on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        synth_main()
    except BaseException:
        stop_all()
        raise


def synth_main():
    ap = argparse.ArgumentParser(prog="lgc-synth", description=__doc__.splitlines()[0])
    ap.add_argument("verilog")
    ap.add_argument("--top", default=None, help="top module (default: the first module)")
    ap.add_argument("--lut", type=int, default=6, help="LUT inputs (default 6)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="modules synthesized at once (default: the CPUs)")
    ap.add_argument("--work-dir", default=None,
                    help="keep each module's Verilog and reports here; a rerun "
                         "reuses the modules that finished (default: a "
                         "temporary directory)")
    ap.add_argument("--yosys", default="yosys")
    args = ap.parse_args()
    if not os.path.isfile(args.verilog):
        fail(f"{args.verilog}: no such file")
    if args.lut < 2 or args.lut > 8:
        fail("--lut must be in 2..8")
    if args.jobs < 1:
        fail("--jobs must be at least 1")
    if not shutil.which(args.yosys):
        fail(f"{args.yosys} not found (apt-get install yosys)")
    with open(args.verilog) as f:
        source = f.read()
    modules = {m.group(1): m for m in MODULE.finditer(source)}
    if not modules:
        fail(f"{args.verilog}: no module")
    top = args.top or next(iter(modules))
    if top not in modules:
        fail(f"{args.verilog}: no module '{top}'")

    if args.work_dir:
        os.makedirs(args.work_dir, exist_ok=True)
    with (contextlib.nullcontext(args.work_dir) if args.work_dir
          else tempfile.TemporaryDirectory()) as tmp:
        if len(modules) == 1:
            results = {top: synthesize(args.yosys, [args.verilog], top, args.lut, tmp)}
        else:
            # Each module alone, the others as black boxes (their ports).
            jobs = []
            for name, m in modules.items():
                path = os.path.join(tmp, name + ".v")
                with open(path, "w") as f:
                    f.write(m.group(0) + "\n")
                    for other, o in modules.items():
                        if other != name:
                            f.write(f"(* blackbox *)\nmodule {other} ({o.group(2)});\nendmodule\n")
                jobs.append((name, path))
            # Each module's figures as it finishes: a big design takes hours.
            def run(name, path):
                start = time.time()
                result = synthesize(args.yosys, [path], name, args.lut, tmp)
                luts = result[0].get("$lut", 0)
                print(f"  {name}: {luts} luts, depth {result[2]}, "
                      f"{time.time() - start:.0f} s", file=sys.stderr, flush=True)
                return result

            with ThreadPoolExecutor(max_workers=args.jobs) as pool:
                futures = {name: pool.submit(run, name, path) for name, path in jobs}
                try:
                    results = {name: fut.result() for name, fut in futures.items()}
                except BaseException:
                    # Before the pool waits for its workers: their Yosys
                    # runs could take hours.
                    for fut in futures.values():
                        fut.cancel()
                    stop_all()
                    raise

    # Totals over the instance tree; depth bounded through the instances.
    memo = {}

    def totals(name, seen=()):
        if name in memo:
            return memo[name]
        if name in seen:
            fail(f"module {name} instantiates itself")
        cells, total, depth, _ = results[name]
        flat, count, sub_depth = {}, 0, 0
        for cell, n in cells.items():
            if cell in results:
                sub_cells, sub_count, d = totals(cell, seen + (name,))
                for k, v in sub_cells.items():
                    flat[k] = flat.get(k, 0) + n * v
                count += n * sub_count
                sub_depth = max(sub_depth, d)
            else:
                flat[cell] = flat.get(cell, 0) + n
                count += n
        if depth is not None and sub_depth:
            depth = depth - 1 + sub_depth
        memo[name] = (flat, count, depth)
        return memo[name]

    cells, count, depth = totals(top)
    hierarchical = len(results) > 1
    warnings = [w for r in results.values() for w in r[3]]
    luts = cells.get("$lut", 0)
    print(f"module: {top}")
    if hierarchical:
        print(f"modules: {len(results)} (synthesized one by one)")
    print(f"luts ({args.lut}-input): {luts}")
    others = {k: v for k, v in cells.items() if k != "$lut"}
    print("other cells: " + (", ".join(f"{k} {v}" for k, v in sorted(others.items())) or "none"))
    print(f"cells: {count}")
    bound = "at most " if hierarchical else ""
    print(f"logic depth (cells on the longest path): "
          f"{bound}{depth if depth is not None else '?'}")
    print(f"yosys warnings: {len(warnings)}")
    for w in warnings[:10]:
        print("  " + w.strip())


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""How many of the GPU thread kernel's loads the L2 could serve, by a model
(a count from the PTX, not a measurement; no GPU needed).

Each thread of lgc's thread kernel runs the gate functions one after the
other and reads its values back from the scratch array and its inputs from
the packed input array, rows of 8-byte words (4 in 32-bit words). All
threads of a launch run the same code, about in step, so between two
accesses of one row by one thread every resident thread touches about as
many other words: a row is still in the L2 where the distinct words the
thread touched since its last access to that row, times the threads, fit
the L2. This replays each thread's accesses in the PTX's order (gate and
count functions in the order __lgc_gpu_thread calls them; ptxas's own
reordering and its spills are not in it), measures each load's reuse
distance in distinct words, and counts the loads within reach:

    lgc -O2 net.lgn --emit=ptx -o net.ptx
    python3 bench/gpu_reuse.py net.ptx [--threads T] [--l2-bytes B]

--threads: the threads resident at once (default 62,500: 4M images of
64-sample words, one wave on an H100 or H200); --l2-bytes: the L2's size
(default 50e6).
"""

import argparse
import re
import sys

FUNCTION = re.compile(
    r"^(?:\.visible\s+|\.weak\s+)?\.(?:func|entry)\s+(?:\([^)]*\)\s*)?(\w+)")
ACCESS = re.compile(
    r"^\s*(ld|st)\.((?:global\.nc\.|global\.)?)[usb](8|16|32|64)\s+"
    r"(?:[^\[]*)\[(%r[d]?\d+)(?:\+(-?\d+))?\]")
CALLEE = re.compile(r"^\s*(__lgc_gpu_\w+),\s*$")


def functions(text):
    """The lines of each function of the PTX, by name."""
    out, current = {}, None
    for line in text.splitlines():
        m = FUNCTION.match(line)
        if m:
            current = m.group(1)
            out[current] = []
        elif current:
            out[current].append(line)
    return out


def accesses(funcs):
    """(op, kind, row) of one thread's accesses: op ld or st, kind input
    (the read-only loads) or scratch, row the offset over 256 bytes (a
    warp's row of a tile-major array)."""
    thread = funcs.get("__lgc_gpu_thread")
    if thread is None:
        sys.exit("no __lgc_gpu_thread in the PTX (not lgc's thread kernel?)")
    order = [m.group(1) for m in map(CALLEE.match, thread) if m]
    seq = []
    for name in order + ["__lgc_gpu_thread"]:
        for line in funcs.get(name, []):
            m = ACCESS.match(line)
            if not m or "param" in line:
                continue
            op, space, _, _, offset = m.groups()
            kind = "input" if space == "global.nc." else "scratch"
            seq.append((op, kind, int(offset or 0) // 256))
    return seq


class Fenwick:
    def __init__(self, n):
        self.tree = [0] * (n + 1)

    def add(self, i, v):
        i += 1
        while i < len(self.tree):
            self.tree[i] += v
            i += i & -i

    def prefix(self, i):
        """The sum over positions 0 .. i - 1."""
        total = 0
        while i > 0:
            total += self.tree[i]
            i -= i & -i
        return total


def reuse_distances(seq):
    """Each access's distance: the distinct rows accessed since the last
    access to its row (None for a row's first access)."""
    marks, last, out = Fenwick(len(seq)), {}, []
    for t, (_, kind, row) in enumerate(seq):
        key = (kind, row)
        if key in last:
            p = last[key]
            out.append(marks.prefix(t) - marks.prefix(p + 1))
            marks.add(p, -1)
        else:
            out.append(None)
        marks.add(t, 1)
        last[key] = t
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ptx")
    ap.add_argument("--threads", type=int, default=62500)
    ap.add_argument("--l2-bytes", type=float, default=50e6)
    args = ap.parse_args()
    if args.threads < 1 or args.l2_bytes <= 0:
        sys.exit("--threads and --l2-bytes must be positive")
    try:
        text = open(args.ptx).read()
    except OSError as e:
        sys.exit(f"{args.ptx}: {e.strerror}")
    seq = accesses(functions(text))
    reach = args.l2_bytes / (args.threads * 8)
    print(f"{len(seq):,} accesses a thread; within the L2's reach: reuse "
          f"distances under {reach:,.0f} distinct words")
    dist = reuse_distances(seq)
    for kind in ("input", "scratch"):
        loads = [d for (op, k, _), d in zip(seq, dist) if op == "ld" and k == kind]
        again = [d for d in loads if d is not None]
        near = sum(d < reach for d in again)
        far = sum(d >= 1000 for d in again)
        print(f"  {kind} loads: {len(loads):,}, {len(loads) - len(again):,} "
              f"first reads of their row, {near:,} within reach, "
              f"{far:,} 1,000 or more distinct words after the row's last "
              f"access")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Memory traffic of the GPU thread kernel, counted in its PTX (a count, not
a measurement; no GPU needed).

lgc's thread kernel (the default `--gpu-kernel=thread`) evaluates a word of
64 samples (32 with --gpu-thread-word-bits=32) a thread; values that do not
stay in registers go through its scratch array, and the inputs come from the
packed input array. Every such access is one load or store in the gate and
count functions (__lgc_gpu_gates_*, __lgc_gpu_count_*) and the thread
function (__lgc_gpu_thread). This counts them by kind (the inputs' loads
are the ld.global.nc ones; with --gpu-readonly-inputs=false they are
generic loads like the scratch array's), gives the bytes an
image (a thread's bytes over its samples), the scratch array's size over
the images, and the images/s at which that traffic fills a given DRAM
bandwidth: a ceiling for the kernel where its scratch array is far larger
than the L2. Spills to local memory are not in the PTX: ptxas -v reports
them per function, and --ptxas-log adds them (each of these functions runs
once a thread, so its spill stores and loads are bytes a thread).

    lgc -O2 net.lgn --emit=ptx -o net.ptx
    lgc -O2 net.lgn --emit=cubin --ptxas-verbose -o net.cubin 2> ptxas.log
    python3 bench/gpu_traffic.py net.ptx [--ptxas-log ptxas.log]
        [--images N] [--bandwidth TBPS] [--max-bytes-per-image X]

--images: the launch's samples (default 4,000,000), for the scratch
array's size; --bandwidth: DRAM TB/s (default 4.8, an H200's);
--max-bytes-per-image: exit 1 when an image takes more, spills included
where given (a guard for tests).
"""

import argparse
import re
import sys

from gpu_resources import spill_report

# Shape slots (lgc/Runtime/GeneratedABI.h).
SCRATCH_SLOTS, BLOCK_WORDS, WORD_BITS = 8, 10, 19
ACCESS = re.compile(r"^\s*(ld|st)\.((?:global\.nc\.|global\.)?)(?:[usb])(8|16|32|64)\s")
PREFETCH = re.compile(r"^\s*prefetch\.(?:global\.)?(L1|L2)\s")


def shape(ptx):
    """The __lgc_gen_shape table's 32-bit slots."""
    m = re.search(r"__lgc_gen_shape\[(\d+)\]\s*=\s*\{([^}]*)\}", ptx)
    if not m:
        sys.exit("no __lgc_gen_shape in the PTX (not an lgc GPU module?)")
    # The initializer leaves out trailing zero bytes.
    raw = [int(b) for b in m.group(2).split(",")]
    raw += [0] * (int(m.group(1)) - len(raw))
    return [int.from_bytes(bytes(raw[i:i + 4]), "little")
            for i in range(0, len(raw) - 3, 4)]


def thread_function(name):
    """Whether `name` is one of the thread kernel's per-thread functions."""
    return (name.startswith("__lgc_gpu_gates_") or
            name.startswith("__lgc_gpu_count_") or name == "__lgc_gpu_thread")


def thread_lines(text, header):
    """The lines of `text` under a header (the regex `header`, the function's
    name its group 1) of one of the thread kernel's functions, up to the
    next header."""
    current = None
    for line in text.splitlines():
        m = header.search(line)
        if m:
            current = m.group(1)
        elif current and thread_function(current):
            yield line


PTX_FUNCTION = re.compile(
    r"^(?:\.visible\s+|\.weak\s+)?\.(?:func|entry)\s+(?:\([^)]*\)\s*)?(\w+)")


def spills(log):
    """(stores, loads, functions): the spill bytes ptxas -v reports for the
    thread kernel's functions in the file `log` (gpu_resources' parser)."""
    report = [r for f, r in spill_report(log, required=False).items()
              if thread_function(f)]
    return (sum(r[1] for r in report), sum(r[2] for r in report), len(report))


def count(ptx):
    """(kind, bytes) -> accesses in the thread kernel's functions; prefetches
    (--gpu-prefetch-distance) as ("prefetch into the L1" or "L2", 0): each
    fetches the row of a load counted here, ahead of it, so they add no
    bytes of their own."""
    counts = {}
    for line in thread_lines(ptx, PTX_FUNCTION):
        p = PREFETCH.match(line)
        if p:
            kind = ("prefetch into the " + p.group(1), 0)
            counts[kind] = counts.get(kind, 0) + 1
            continue
        a = ACCESS.match(line)
        if not a:
            continue
        op, space, bits = a.group(1), a.group(2), int(a.group(3))
        kind = ("input load" if space == "global.nc." else
                "load" if op == "ld" else "store")
        counts[(kind, bits // 8)] = counts.get((kind, bits // 8), 0) + 1
    return counts


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("ptx")
    p.add_argument("--images", type=int, default=4_000_000)
    p.add_argument("--bandwidth", type=float, default=4.8)
    p.add_argument("--max-bytes-per-image", type=float)
    p.add_argument("--ptxas-log", help="ptxas -v's output for the same module")
    args = p.parse_args()
    if args.images <= 0 or args.bandwidth <= 0:
        sys.exit("--images and --bandwidth must be positive")
    with open(args.ptx) as f:
        ptx = f.read()
    s = shape(ptx)
    if s[BLOCK_WORDS]:
        sys.exit("the block kernel's traffic is shared memory: "
                 "bench/gpu_block_banks.py replays it")
    bits = s[WORD_BITS] or 64
    counts = count(ptx)
    if not counts:
        sys.exit("no loads or stores in the thread kernel's functions")
    if args.ptxas_log:
        try:
            stored, loaded, functions = spills(args.ptxas_log)
        except OSError as e:
            sys.exit(f"{args.ptxas_log}: {e.strerror}")
        if not functions:
            sys.exit(f"{args.ptxas_log}: no spill report of the thread "
                     "kernel's functions (ptxas -v, lgc --ptxas-verbose)")
    prefetches = {k: n for k, n in counts.items() if k[1] == 0}
    counts = {k: n for k, n in counts.items() if k[1] != 0}
    if not counts:
        sys.exit("no loads or stores in the thread kernel's functions")
    total = sum(n * b for (_, b), n in counts.items())
    accesses = sum(counts.values())
    print(f"thread kernel, {bits}-bit words: per thread of {bits} samples")
    for (kind, b), n in sorted(counts.items()):
        print(f"  {kind}s of {b} bytes: {n:,} ({n * b:,} bytes)")
    for (kind, _), n in sorted(prefetches.items()):
        print(f"  {kind}: {n:,} (rows of the loads above, fetched ahead)")
    per_image = total / bits
    print(f"  {accesses:,} accesses, {total:,} bytes: {per_image:,.0f} bytes an image")
    if args.ptxas_log:
        spilled = (stored + loaded) / bits
        print(f"spills (ptxas -v, {functions} functions): {stored:,} bytes "
              f"stored and {loaded:,} loaded a thread: {spilled:,.0f} bytes "
              f"an image")
        per_image += spilled
        print(f"with spills: {per_image:,.0f} bytes an image")
    threads = -(-args.images // bits)
    scratch = s[SCRATCH_SLOTS] * (bits // 8) * threads
    print(f"scratch: {s[SCRATCH_SLOTS]:,} slots a thread, {scratch / 1e9:.2f} GB "
          f"over {args.images:,} images")
    print(f"at {args.bandwidth} TB/s of DRAM: at most "
          f"{args.bandwidth * 1e12 / per_image / 1e6:,.0f} M images/s")
    if args.max_bytes_per_image is not None and \
            per_image > args.max_bytes_per_image:
        print(f"more than {args.max_bytes_per_image} bytes an image",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

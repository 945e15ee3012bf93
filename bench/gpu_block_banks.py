#!/usr/bin/env python3
"""Shared-memory bank conflicts of the GPU block kernel, from its tables
(a model, not a measurement; no GPU needed).

lgc --gpu-kernel=block evaluates each level of gates from a table: thread t
of B takes gates t * U + u of each round of B * U, and every gate loads two
8-byte slots and stores one, for each of the S words of a block
(docs/gpu-backend.md). This replays those accesses warp by warp from the
tables lgc wrote (--emit=gpu-mlir) and counts wavefronts the way shared
memory serves 8-byte accesses: a half warp at a time, 16 pairs of banks,
lanes that hit the same pair at different addresses wait for each other
(the same address is a broadcast). Two wavefronts per warp access is the
floor. 32-bit words (--gpu-block-word-bits=32) make 4-byte accesses,
served a whole warp at a time from 32 banks: one wavefront is the floor.
Accesses to slots past the shared memory (nets too wide for it) go to
global memory and are counted apart.

    lgc -O2 net.lgn --emit=gpu-mlir --gpu-kernel=block -o net.mlir
    python3 bench/gpu_block_banks.py net.mlir [--layout word-major|slot-major]
        [--unroll U] [--interleave] [--max-per-access X]

The layout is how lgc places word s of slot k (word-major: s * cap + k, as
lgc does; slot-major: k * S + s, for comparison). --interleave replays a
module made with --gpu-block-interleave: thread t evaluates word t % S of
the gates of thread t / S, B / S * U gates a round.
"""
import argparse
import re
import struct


def table(text, name, bits=32):
    m = re.search(r"@" + name + r'\(dense<("0x[0-9A-F]+"|\[[0-9, ]*\]|[0-9]+)>',
                  text)
    if not m:
        raise SystemExit(f"no table {name} (not a block-kernel module?)")
    t = m.group(1)
    if t.startswith('"'):
        raw = bytes.fromhex(t[3:-1])
        code = "q" if bits == 64 else "i"
        return list(struct.unpack("<%d%s" % (len(raw) * 8 // bits, code), raw))
    if not t.startswith("["):
        return [int(t)]
    return [int(x) for x in t[1:-1].split(",") if x.strip()]


def wavefronts(addrs, size=8):
    """Wavefronts of one warp access of `size`-byte words at `addrs`."""
    lanes = 16 if size == 8 else 32
    total = 0
    for part in range(0, 32, lanes):
        banks = {}
        for a in addrs[part:part + lanes]:
            if a is not None:
                banks.setdefault((a // size) % (128 // size), set()).add(a)
        total += max((len(v) for v in banks.values()), default=0)
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("module")
    ap.add_argument("--layout", default="word-major",
                    choices=["word-major", "slot-major"])
    ap.add_argument("--unroll", type=int, default=4,
                    help="lgc's --gpu-block-unroll (default 4)")
    ap.add_argument("--interleave", action="store_true",
                    help="the module was made with --gpu-block-interleave")
    ap.add_argument("--max-per-access", type=float,
                    help="exit 1 where the wavefronts per access exceed this "
                         "(the lit test of lgc's bank spread)")
    args = ap.parse_args()
    text = open(args.module).read()
    # a | b << 16 | result << 32 | truth table << 48 per gate.
    gates = table(text, "__lgc_gen_block_gates", bits=64)
    levels = table(text, "__lgc_gen_block_levels")
    shape = table(text, "__lgc_gen_shape")
    S, B = shape[10], shape[11]
    # GeneratedABI.h kGpuBlockWordBits (slot 19; 64 before there was one).
    size = shape[19] // 8 if len(shape) > 19 else 8
    cap = shape[12] // (size * S)
    U = args.unroll
    waves = accesses = in_global = 0
    # Per thread: the word it evaluates (None: every word, one access each)
    # and the thread whose gates it takes; the words one access serves
    # (None: each lane's own).
    if args.interleave and S > 1:
        G = B // S
        lanes = [(t % S, t // S) if t < G * S else (None, None)
                 for t in range(B)]
        access_words = [None]
    else:
        G = B
        lanes = [(None, t) for t in range(B)]
        access_words = list(range(S))
    for first, end in zip(levels, levels[1:]):
        for base in range(first, end, G * U):
            for warp in range((B + 31) // 32):
                for u in range(U):
                    for operand in range(3):  # a, b, result
                        for fixed in access_words:
                            addrs = []
                            for lane in range(32):
                                t = warp * 32 + lane
                                w, g = lanes[t] if t < B else (None, None)
                                w = fixed if fixed is not None else w
                                e = base + g * U + u if g is not None else end
                                if w is None or e >= end:
                                    addrs.append(None)
                                    continue
                                k = (gates[e] >> (16 * operand)) & 0xFFFF
                                if k >= cap:
                                    in_global += 1
                                    addrs.append(None)
                                    continue
                                addrs.append(size * (w * cap + k)
                                             if args.layout == "word-major"
                                             else size * (k * S + w))
                            if any(a is not None for a in addrs):
                                waves += wavefronts(addrs, size)
                                accesses += 1
    print(f"{args.module}: {S} {size * 8}-bit word(s) per block, {B} threads, "
          f"{U} gates per round, {args.layout}: {accesses} warp accesses to "
          f"shared memory, {waves} wavefronts, "
          f"{waves / max(1, accesses):.2f} per access ({size // 4} at best); "
          f"{in_global} lane accesses to global memory")
    if args.max_per_access and waves / max(1, accesses) > args.max_per_access:
        raise SystemExit(f"more than {args.max_per_access} wavefronts per access")


if __name__ == "__main__":
    main()

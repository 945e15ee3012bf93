#!/usr/bin/env python3
"""Shared-memory bank conflicts of the GPU block kernel, from its tables
(a model, not a measurement; no GPU needed).

lgc --gpu-kernel=block evaluates each level of gates from a table: thread t
of B takes entries u * B + t of each round of B * U (t * U + u with
--gpu-block-thread-runs), and every gate loads two 8-byte slots and stores
one, for each of the S words of a block (docs/gpu-backend.md); an entry
with fused gates (--gpu-block-fuse) loads three or four. A level takes
its entries / (B U) rounds, rounded up (--gpu-block-balance-levels fills
them), which the last field counts. This replays those accesses warp by
warp from the tables lgc wrote (--emit=gpu-mlir) and counts wavefronts
the way shared memory serves 8-byte accesses: a half warp at a time, 16
pairs of banks, lanes that hit the same pair at different addresses
wait for each other (the same address is a broadcast). Two wavefronts
per warp access is the floor. 32-bit words (--gpu-block-word-bits=32)
make 4-byte accesses, served a whole warp at a time from 32 banks: one
wavefront is the floor.
Accesses to slots past the shared memory (nets too wide for it) go to
global memory and are counted apart. The table loads go through the same
L1: each warp load is counted by the 128-byte lines it touches (a warp
loading 32 consecutive 8-byte entries touches 2 or 3; one whose lanes'
entries lie U apart, --thread-runs, 8 or 9).

    lgc -O2 net.lgn --emit=gpu-mlir --gpu-kernel=block -o net.mlir
    python3 bench/gpu_block_banks.py net.mlir [--layout word-major|slot-major]
        [--unroll U] [--interleave] [--thread-runs] [--max-per-access X]
        [--max-lines-per-load X] [--max-count-per-access X]
        [--max-u8-store-per-access X]

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
    ap.add_argument("--thread-runs", action="store_true",
                    help="the module was made with --gpu-block-thread-runs")
    ap.add_argument("--max-per-access", type=float,
                    help="exit 1 where the wavefronts per access exceed this "
                         "(the lit test of lgc's bank spread)")
    ap.add_argument("--max-lines-per-load", type=float,
                    help="exit 1 where a warp's table load touches more "
                         "128-byte lines than this on average (the lit test "
                         "of lgc's entry mapping)")
    ap.add_argument("--max-count-per-access", type=float,
                    help="exit 1 where the count's reductions take more "
                         "wavefronts per warp access than this")
    ap.add_argument("--max-u8-store-per-access", type=float,
                    help="exit 1 where the u8 form's phase 0 stores its "
                         "words to the slots in more wavefronts per warp "
                         "store than this")
    args = ap.parse_args()
    text = open(args.module).read()
    # a | b << 16 | result << 32 | masks in bits 48-63 per gate: slots a, b
    # loaded, the result stored.
    gates = table(text, "__lgc_gen_block_gates", bits=64)
    levels = table(text, "__lgc_gen_block_levels")
    # The levels' tables hold each slot times this (its byte offset in its
    # word's rows, where lgc chose that; 1 in modules without the global).
    scale = (table(text, "__lgc_gen_block_slot_scale")[0]
             if "@__lgc_gen_block_slot_scale(" in text else 1)
    kinds = [([[(g & 0xFFFF) // scale, ((g >> 16) & 0xFFFF) // scale,
                ((g >> 32) & 0xFFFF) // scale]
               for g in gates], levels, 8)]
    # Fused entries (two i64 each): leaves l0, l1 in the first, l2 (and l3
    # for two fused operands) in the second, then the result.
    for k in (1, 2):
        if "@__lgc_gen_block_trees%d(" % k not in text:
            continue
        words = table(text, "__lgc_gen_block_trees%d" % k, bits=64)
        entries = []
        for first, second in zip(words[0::2], words[1::2]):
            leaves = [first & 0xFFFF, (first >> 16) & 0xFFFF, second & 0xFFFF]
            if k == 2:
                leaves.append((second >> 16) & 0xFFFF)
            entries.append([v // scale for v in
                            leaves + [(first >> 32) & 0xFFFF]])
        kinds.append((entries, table(text, "__lgc_gen_block_trees%d_levels" % k),
                      16))
    shape = table(text, "__lgc_gen_shape")
    S, B = shape[10], shape[11]
    # GeneratedABI.h kGpuBlockWordBits (slot 19; 64 before there was one).
    size = shape[19] // 8 if len(shape) > 19 else 8
    cap = shape[12] // (size * S)
    U = args.unroll
    waves = accesses = in_global = 0
    table_loads = table_lines = 0
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
    # Thread g's entry u of a round: U consecutive entries a thread
    # (--gpu-block-thread-runs), or entries G apart.
    def position(g, u):
        return g * U + u if args.thread_runs else u * G + g

    # Rounds of G x U entries: a level of n entries takes n / (G U) of
    # them, rounded up, each kind of entry a loop of its own.
    rounds = 0
    for entries, starts, entry_bytes in kinds:
        for first, end in zip(starts, starts[1:]):
            for base in range(first, end, G * U):
                rounds += 1
                for warp in range((B + 31) // 32):
                    for u in range(U):
                        # The warp's table load: the 128-byte lines it
                        # touches (its lanes' entries, the last one past the
                        # level's end).
                        lines = set()
                        for lane in range(32):
                            t = warp * 32 + lane
                            if t < B and lanes[t][1] is not None:
                                e = base + position(lanes[t][1], u)
                                if e < end or u == 0 and base + position(lanes[t][1], 0) < end:
                                    lines.add(min(e, end - 1) * entry_bytes // 128)
                        if lines:
                            table_loads += 1
                            table_lines += len(lines)
                        for operand in range(len(entries[first])):
                            for fixed in access_words:
                                addrs = []
                                for lane in range(32):
                                    t = warp * 32 + lane
                                    w, g = lanes[t] if t < B else (None, None)
                                    w = fixed if fixed is not None else w
                                    e = base + position(g, u) if g is not None else end
                                    if w is None or e >= end:
                                        addrs.append(None)
                                        continue
                                    k = entries[e][operand]
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
    # The count's reductions (one phase each): item j of R x S (R: the
    # C x groups groups rounded up to whole warps) is thread j % B's, group
    # j % R of word j / R (none past the groups); it
    # loads the F x kIn planes of its group's inputs, one access a plane,
    # then stores its kOut planes (shape: F, kIn, kOut, groups).
    count_waves = count_accesses = 0
    C = shape[3]
    r = 0
    # (Modules from before lgc wrote the shapes are not replayed.)
    while "@__lgc_gen_block_reduce%d_shape(" % r in text:
        red_in = table(text, "__lgc_gen_block_reduce%d_in" % r)
        red_out = table(text, "__lgc_gen_block_reduce%d_out" % r)
        F, k_in, k_out, groups = table(text, "__lgc_gen_block_reduce%d_shape" % r)
        r += 1
        CG = C * groups
        rows = (CG + 31) // 32 * 32  # whole warps of groups a word
        per = F * k_in
        # Each group's row of slots, padded to a multiple of 4 by lgc since
        # it loads them 16 bytes at a time (unpadded in older modules):
        # the row lengths from the tables' sizes.
        in_row = len(red_in) // CG if CG else per
        out_row = len(red_out) // CG if CG else k_out
        jobs = rows * S
        for warp in range(0, jobs, 32):
            lanes_j = [j for j in range(warp, warp + 32) if j % rows < CG]
            if not lanes_j:
                continue
            for x in range(per + k_out):
                addrs = []
                for j in lanes_j:
                    cg, w = j % rows, j // rows
                    k = (red_in[cg * in_row + x] if x < per
                         else red_out[cg * out_row + x - per])
                    addrs.append(size * (w * cap + k) if k < cap else None)
                if any(a is not None for a in addrs):
                    count_waves += wavefronts(addrs, size)
                    count_accesses += 1
    # Phase 0, over `blocks` consecutive blocks (the pixels' alignment to
    # lines changes from block to block): the copy of packed input rows
    # (thread i takes used input i; a row's S words lie in one line of the
    # tile-major array, loaded 16 bytes at a time), and the u8 form's
    # reads of the pixels (GeneratedABI.h lgc_net_u8: item j is features
    # V q .. V q + V - 1 of word j / G, q = j % G, G = F / V, its `bits`
    # samples one load each; a warp's 32 consecutive items load together),
    # each as the 128-byte lines a warp's load touches, and the stores of
    # the words to their slots as shared-memory wavefronts.
    F, L = shape[2], shape[9]
    inputs_used = table(text, "__lgc_gen_block_inputs")
    slot_of = dict(zip(inputs_used[0::2], inputs_used[1::2]))
    rows = len(slot_of)
    row_bytes = S * size
    copy_lines = rows * max(1, -(-row_bytes // 16))
    copy_waves = copy_stores = 0
    used = sorted(slot_of)
    for w in range(0, rows, 32):
        warp = used[w:w + 32]
        for s_ in range(S):
            copy_waves += wavefronts([size * (s_ * cap + slot_of[i])
                                      if slot_of[i] < cap else None
                                      for i in warp], size)
            copy_stores += 1
    u8_lines = u8_loads = u8_waves = u8_stores = 0
    blocks = 8
    u8 = "@__lgc_gen_block_input_slots(" in text and L > 0
    if u8:
        V = 4 if F % 4 == 0 else 1
        G = F // V
        items = G * S
        for blk in range(blocks):
            for w in range(0, items, 32):
                warp = range(w, min(items, w + 32))
                for j in range(size * 8):
                    lines = {(((blk * S + it // G) * size * 8 + j) * F
                              + (it % G) * V) // 128 for it in warp}
                    u8_lines += len(lines)
                    u8_loads += 1
                if blk:
                    continue
                # Step k of item q stores level l of feature V q + kk,
                # kk = (k + q // R) % V (R = banks / V): input bit
                # l F + V q + kk.
                R = max(1, (16 if size == 8 else 32) // V)
                for k in range(V):
                    for lv in range(L):
                        addrs = []
                        for it in warp:
                            kk = (k + (it % G) // R) % V
                            i = lv * F + (it % G) * V + kk
                            slot = slot_of.get(i)
                            addrs.append(size * ((it // G) * cap + slot)
                                         if slot is not None and slot < cap
                                         else None)
                        if any(a is not None for a in addrs):
                            u8_waves += wavefronts(addrs, size)
                            u8_stores += 1
        u8_lines //= blocks
        u8_loads //= blocks
    samples = S * size * 8
    phase0 = (f"; phase 0 from packed rows: {copy_lines} 128-byte lines, "
              f"{copy_stores} warp stores, {copy_waves} wavefronts")
    if u8:
        phase0 += (f"; from the pixels (u8 form): {u8_loads} warp loads, "
                   f"{u8_lines} lines ({u8_lines / max(1, u8_loads):.2f} a "
                   f"load), {u8_stores} warp stores, {u8_waves} wavefronts")
    print(f"{args.module}: {S} {size * 8}-bit word(s) per block, {B} threads, "
          f"{U} gates per round, {args.layout}: {accesses} warp accesses to "
          f"shared memory, {waves} wavefronts, "
          f"{waves / max(1, accesses):.2f} per access ({size // 4} at best); "
          f"{in_global} lane accesses to global memory; "
          f"{waves / samples:.1f} wavefronts per sample; table: {table_loads} "
          f"warp loads, {table_lines} 128-byte lines, "
          f"{table_lines / samples:.1f} per sample; the count's reductions: "
          f"{count_accesses} warp accesses, {count_waves} wavefronts "
          f"({count_waves / max(1, count_accesses):.2f} per access)"
          + phase0 + f"; levels: {len(levels) - 1} in {rounds} rounds")
    # Each bound given: (limit, measured value, what exceeded it).
    for limit, value, what in [
            (args.max_per_access, waves / max(1, accesses),
             "wavefronts per access"),
            (args.max_count_per_access, count_waves / max(1, count_accesses),
             "wavefronts per access in the count"),
            (args.max_u8_store_per_access if u8 else None,
             u8_waves / max(1, u8_stores),
             "wavefronts per store in the u8 form's phase 0"),
            (args.max_lines_per_load, table_lines / max(1, table_loads),
             "lines per table load")]:
        if limit and value > limit:
            raise SystemExit(f"more than {limit} {what}")

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The SASS of a cubin's kernels and loops, from nvdisasm (no GPU needed).

For each function of the listing: its instructions, then each loop (the
instructions from a label to a backward branch to it, an iteration's
worth): its instructions, shared-memory loads and stores (LDS, STS), global
loads (LDG) and barriers, and its most frequent opcodes. A static count,
not a time: what a change to a kernel's inner loop is judged by before a
GPU times it (the block kernel's level loop: the instructions of a round,
its entries the loop's LDGs).

    lgc -O2 net.lgn --emit=cubin --gpu-kernel=block -o net.cubin
    python3 bench/gpu_sass.py net.cubin [--function lgc_net] [--compat]
    python3 bench/gpu_sass.py --listing net.sass     (nvdisasm -c's output)

nvdisasm comes with the CUDA Toolkit (--nvdisasm, else NVDISASM, else
PATH). One older than the toolkit that made the cubin (CUDA 11.8's, which
Debian packages) rejects the ELF header of a CUDA 12.8+ cubin ("does not
contain Cuda architecture information") and does not know three sm_90
integer instructions that ptxas of CUDA 12 and later emits (VIADD,
VIADDMNMX and VIMNMX, in their register, uniform-register and immediate
forms). With --compat it reads a copy with the header in the older form
(sm_90 only) and those rewritten as IADD3 and IMNMX: the counts stay
right, only those names differ (and their last operand). Instructions an
nvdisasm cannot decode are left out of its listing; the script counts the
addresses it skips and says so.
"""
import argparse
import collections
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

from gpu_resources import Cubin

LABEL = re.compile(r"^(\.L_x_\d+):")
FUNCTION = re.compile(r"^\.text\.([\w.$]+):")
INSTRUCTION = re.compile(
    r"^\s*/\*([0-9a-f]{4,})\*/\s*(?:@!?U?P[T0-9]+\s+)?([A-Z][A-Z0-9_.]*)(.*?);")
TARGET = re.compile(r"`\((\.L_x_\d+)\)")

# sm_90 opcodes (the low 12 bits of an instruction) of CUDA 12 and later,
# and older ones with the same leading operand fields: VIADD R, R, imm and
# VIADD R, R, UR as IADD3 R, R, imm / UR, RZ (Rc and the carry predicates
# in the second word); VIADDMNMX R, R, imm, R (an add, then a min or max)
# as IADD3 too, one instruction for one; VIMNMX R, R, R / imm as IMNMX.
NEWER_OPCODES = {0x836: 0x810, 0xC36: 0xC10, 0x446: 0x810, 0x248: 0x217,
                 0x848: 0x817}
ADDS = (0x836, 0xC36, 0x446)
EF_CUDA_SM90_OLD = 0x5A055A  # sm_90, virtual sm_90, 64-bit, unified textures
ELF_ABI_OLD = 7


def compat_copy(data, name):
    """(the bytes of cubin `name` for an older nvdisasm, instructions
    rewritten)."""
    sections = Cubin(data, name).sections
    d = bytearray(data)
    flags, = struct.unpack_from("<I", d, 48)
    # The newer header holds the architecture in bits 8-15 (90: 0x5a).
    if (flags >> 8) & 0xFF != 90 and flags & 0xFF != 90:
        raise ValueError(f"--compat reads sm_90 cubins only (e_flags {flags:#x})")
    d[8] = ELF_ABI_OLD
    struct.pack_into("<I", d, 48, EF_CUDA_SM90_OLD)
    rewritten = 0
    for name, h in sections:
        if not name.startswith(".text."):
            continue
        for at in range(h[4], h[4] + h[5] - 15, 16):
            lo, hi = struct.unpack_from("<QQ", d, at)
            op = lo & 0xFFF
            if op in NEWER_OPCODES:
                lo = (lo & ~0xFFF) | NEWER_OPCODES[op]
                if op in ADDS:
                    # Rc = RZ; the carry-out predicates PT (bits 81-83, 84-86).
                    hi = (hi & ~0xFF) | 0xFF | 0x7 << 17 | 0x7 << 20
                struct.pack_into("<QQ", d, at, lo, hi)
                rewritten += 1
    return bytes(d), rewritten


def instructions(listing):
    """{function: (ins, skipped, loops)} of an nvdisasm -c listing: its
    instructions as (address, opcode, operands), the addresses the listing
    skips, and its loops as (first, last) indices into ins, from a label
    to a backward branch to it."""
    functions = {}
    name, ins, labels, skipped, last = None, [], {}, 0, None

    def close():
        if name is None:
            return
        loops = []
        for i, (_, op, args) in enumerate(ins):
            m = TARGET.search(args)
            if op.startswith("BRA") and m and labels.get(m.group(1), i + 1) < i:
                # (A branch to itself is the function's end, not a loop.)
                loops.append((labels[m.group(1)], i))
        functions[name] = (ins, skipped, loops)

    for line in listing.splitlines():
        m = FUNCTION.match(line)
        if m:
            close()
            name, ins, labels, skipped, last = m.group(1), [], {}, 0, None
            continue
        if name is None:
            continue
        m = LABEL.match(line)
        if m:
            labels[m.group(1)] = len(ins)
            continue
        m = INSTRUCTION.match(line)
        if m:
            address = int(m.group(1), 16)
            if last is not None and address > last + 16:
                skipped += (address - last) // 16 - 1
            last = address
            ins.append((address, m.group(2), m.group(3)))
    close()
    return functions


def parse(listing):
    """{function: (instructions, skipped, loops)} of an nvdisasm -c listing;
    a loop is (address, [opcode, ...]) from its label to its branch."""
    return {name: (len(ins) + skipped, skipped,
                   sorted((ins[first][0], [o for _, o, _ in ins[first:last + 1]])
                          for first, last in loops))
            for name, (ins, skipped, loops) in instructions(listing).items()}


def mix(ops):
    """The loop's memory operations and its most frequent opcodes."""
    base = collections.Counter(op.split(".")[0] for op in ops)
    memory = ", ".join(f"{k} {base.get(k, 0)}" for k in ("LDS", "STS", "LDG", "BAR"))
    common = ", ".join(f"{k} {n}" for k, n in base.most_common(6))
    return memory, common


def disassemble(cubin, nvdisasm, compat):
    with open(cubin, "rb") as f:
        data = f.read()
    if compat:
        data, rewritten = compat_copy(data, os.path.basename(cubin))
        print(f"{cubin}: {rewritten:,} instructions rewritten for an older nvdisasm",
              flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "module.cubin")
        with open(path, "wb") as f:
            f.write(data)
        run = subprocess.run([nvdisasm, "-c", path], capture_output=True, text=True)
    if run.returncode:
        hint = (" (an nvdisasm older than the cubin: --compat)"
                if "architecture information" in run.stderr and not compat else "")
        sys.exit(f"{nvdisasm}: {run.stderr.strip()}{hint}")
    return run.stdout


def add_listing_arguments(p):
    """--listing, --nvdisasm and --compat, for read_listing."""
    p.add_argument("--listing", help="an nvdisasm -c listing instead of a cubin")
    p.add_argument("--nvdisasm", default=os.environ.get("NVDISASM") or "nvdisasm")
    p.add_argument("--compat", action="store_true",
                   help="rewrite a copy for an nvdisasm older than the cubin")


def read_listing(cubin, listing, nvdisasm, compat):
    """The listing: the file `listing`, or nvdisasm's of `cubin`; a clear
    exit where either cannot be read."""
    if listing:
        try:
            with open(listing) as f:
                return f.read()
        except OSError as e:
            sys.exit(f"{listing}: {e.strerror}")
    if not shutil.which(nvdisasm):
        sys.exit(f"{nvdisasm}: not found (the CUDA Toolkit's nvdisasm; "
                 "--nvdisasm or NVDISASM names it)")
    try:
        return disassemble(cubin, nvdisasm, compat)
    except OSError as e:
        sys.exit(f"{cubin}: {e.strerror}")
    except (ValueError, struct.error, IndexError) as e:
        # As gpu_resources.py reads a cubin that is not one.
        sys.exit(f"{cubin}: cannot read it as a cubin ({e})")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("cubin", nargs="?")
    p.add_argument("--function", action="append",
                   help="only this function (repeatable; default all)")
    add_listing_arguments(p)
    args = p.parse_args()
    if bool(args.cubin) == bool(args.listing):
        p.error("give a cubin or --listing, one of them")
    listing = read_listing(args.cubin, args.listing, args.nvdisasm, args.compat)
    functions = parse(listing)
    if not functions:
        sys.exit("no functions in the listing (nvdisasm -c's form)")
    wanted = args.function or list(functions)
    for name in wanted:
        if name not in functions:
            sys.exit(f"{name}: no such function (the listing has "
                     f"{', '.join(sorted(functions))})")
        total, skipped, loops = functions[name]
        note = f" ({skipped:,} not decoded)" if skipped else ""
        print(f"{name}: {total:,} instructions{note}, {len(loops)} loops", flush=True)
        for address, ops in loops:
            memory, common = mix(ops)
            print(f"  loop at {address:#06x}: {len(ops):,} instructions; {memory}; "
                  f"{common}", flush=True)


if __name__ == "__main__":
    main()

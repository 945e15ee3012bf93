#!/usr/bin/env python3
"""What each kernel of a GPU module costs the hardware, read from its cubin
(no GPU needed): the report a change to a kernel is judged by where no GPU
can time it.

For every kernel (an entry point: a function with its own parameter bank)
the linked registers per thread (.nv.info EIATTR_REGCOUNT: ptxas -v reports
a relocatable part's functions without their callees), its stack frame
(EIATTR_FRAME_SIZE: local memory, which is where ptxas spills), the stack
its calls need at most (EIATTR_MIN_STACK_SIZE, the frames of the deepest
call chain), its SASS instructions (its .text section, 16 bytes each); for
lgc_net and its forms (lgc_net_u8, lgc_net_block, lgc_net_block_u8) also
threads per block and dynamic shared memory (from the module's shape
table, as CudaNet launches them) and the warps of it that an sm_90
multiprocessor holds by the occupancy rules. Then the device functions:
how many, their SASS instructions, and those with a stack frame. With
--ptxas-log (lgc --ptxas-verbose's report), the spill stores and loads
ptxas reported for each kernel and function are added; with --functions,
a row for each device function as well.

    lgc -O2 net.lgn --emit=cubin [--ptxas-verbose 2> ptxas.log] -o net.cubin
    python3 bench/gpu_resources.py net.cubin [--ptxas-log ptxas.log] [--functions]
    python3 bench/gpu_resources.py DIR

DIR: a GPU check bundle (scripts/gpu-check.sh bundle): every cubin of its
manifest's entries, once each (gzip-compressed ones too), a row a kernel.
"""
import argparse
import gzip
import os
import re
import struct
import sys

# .nv.info attributes (format 4: a 16-bit size, then the symbol index and a
# 32-bit value).
EIATTR_FRAME_SIZE = 0x11
EIATTR_MIN_STACK_SIZE = 0x12
EIATTR_REGCOUNT = 0x2F
# GeneratedABI.h: kGpuBlockWords, kGpuBlockThreads, kGpuSharedBytes; the
# thread kernel's blocks (CudaNet::kNetBlock).
SHAPE_BLOCK_WORDS, SHAPE_BLOCK_THREADS, SHAPE_SHARED_BYTES = 10, 11, 12
THREAD_KERNEL_BLOCK = 128


def warps_per_sm(regs, threads, shared):
    """Resident warps on an sm_90 multiprocessor: 64 warps, 32 blocks,
    65,536 registers (allocated per warp in units of 256), 228 KB of shared
    memory with 1 KB reserved per block."""
    warps = (threads + 31) // 32
    per_warp = -(-max(regs, 1) * 32 // 256) * 256
    blocks = min(32, 64 // warps, (65536 // per_warp) // warps,
                 (228 * 1024) // (shared + 1024))
    return blocks * warps


class Cubin:
    """An ELF64 cubin: its sections and symbols."""

    def __init__(self, data, name):
        self.name = name
        if data[:4] != b"\x7fELF" or data[4] != 2:
            raise ValueError(f"{name}: not an ELF64 cubin")
        self.d = data
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
        headers = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                   for i in range(shnum)]
        names = headers[shstrndx][4]
        self.sections = [(self.string(names, h[0]), h) for h in headers]
        self.symbols = []
        for name, h in self.sections:
            if h[1] == 2:  # SHT_SYMTAB
                strings = self.sections[h[6]][1][4]
                for i in range(h[5] // 24):
                    nm, _, _, shndx, value, size = struct.unpack_from(
                        "<IBBHQQ", data, h[4] + 24 * i)
                    self.symbols.append((self.string(strings, nm), shndx, value, size))

    def string(self, at, offset):
        return self.d[at + offset:self.d.index(b"\0", at + offset)].decode()

    def attributes(self):
        """{attribute: {symbol index: value}} of the module-wide .nv.info."""
        found = {}
        for name, h in self.sections:
            if name != ".nv.info":
                continue
            at, end = h[4], h[4] + h[5]
            while at < end:
                fmt, attr, size = struct.unpack_from("<BBH", self.d, at)
                if fmt == 4:
                    if size == 8:
                        sym, value = struct.unpack_from("<II", self.d, at + 4)
                        found.setdefault(attr, {})[sym] = value
                    at += 4 + size
                else:
                    at += 4
        return found

    def symbol_value(self, name, count):
        """`count` u32 of a global's initial value, or None."""
        for sym, shndx, value, size in self.symbols:
            if sym == name and 0 < shndx < len(self.sections) and size >= 4 * count:
                h = self.sections[shndx][1]
                return list(struct.unpack_from(f"<{count}I", self.d, h[4] + value))
        return None


def spill_report(log, required=True):
    """{function: (stack frame, spill stores, spill loads)} from ptxas -v
    (a function reported by several parts: the largest of each). The one
    parser of that report for the bench scripts; `required`: a log without
    any is an error, else {}."""
    report, function = {}, None
    with open(log) as f:
        for line in f:
            m = re.search(r"Function properties for (\S+)", line)
            if m:
                function = m.group(1)
                continue
            m = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, "
                          r"(\d+) bytes spill loads", line)
            if m and function:
                old = report.get(function, (0, 0, 0))
                report[function] = tuple(max(a, int(b)) for a, b in zip(old, m.groups()))
                function = None
    if not report and required:
        sys.exit(f"{log}: no ptxas -v function properties")
    return report


def resources(cubin):
    """(kernel rows, device function rows) of one cubin."""
    attrs = cubin.attributes()
    frames = attrs.get(EIATTR_FRAME_SIZE, {})
    stacks = attrs.get(EIATTR_MIN_STACK_SIZE, {})
    registers = attrs.get(EIATTR_REGCOUNT, {})
    section_names = {name for name, _ in cubin.sections}
    shapes = {}
    for table in ("__lgc_gen_shape", "__lgc_gen_block_shape"):
        shape = cubin.symbol_value(table, SHAPE_SHARED_BYTES + 1)
        if shape:
            shapes[table] = shape
    kernels, functions = [], []
    for name, h in cubin.sections:
        if not name.startswith(".text."):
            continue
        function = name[len(".text."):]
        sym = h[7]  # sh_info: the function's symbol
        row = {"name": function, "registers": registers.get(sym, 0),
               "frame": frames.get(sym, 0), "stack": stacks.get(sym, 0),
               "sass": h[5] // 16, "threads": None, "shared": None, "warps": None}
        if ".nv.constant0." + function not in section_names:
            functions.append(row)
            continue
        if function.startswith("lgc_net"):
            block_form = function.startswith("lgc_net_block")
            shape = shapes.get("__lgc_gen_block_shape" if block_form else "__lgc_gen_shape")
            if shape and shape[SHAPE_BLOCK_WORDS] > 0:
                row["threads"] = shape[SHAPE_BLOCK_THREADS]
                row["shared"] = shape[SHAPE_SHARED_BYTES]
            elif shape:
                row["threads"], row["shared"] = THREAD_KERNEL_BLOCK, 0
            if row["threads"]:
                row["warps"] = warps_per_sm(row["registers"], row["threads"], row["shared"])
        kernels.append(row)
    return kernels, functions


def read_module(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    return Cubin(data, os.path.basename(path))


def bundle_modules(directory):
    """The cubins of a bundle's manifest entries, in manifest order, once."""
    manifest = os.path.join(directory, "manifest.txt")
    if not os.path.isfile(manifest):
        sys.exit(f"{directory}: no manifest.txt (not a GPU check bundle)")
    seen, modules = set(), []
    with open(manifest) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 3 or fields[0].startswith("#") or fields[0] == "target":
                continue
            module = fields[2]
            if not module.endswith(".cubin") or module in seen:
                continue
            seen.add(module)
            path = os.path.join(directory, module)
            if not os.path.exists(path) and os.path.exists(path + ".gz"):
                path += ".gz"
            if not os.path.exists(path):
                sys.exit(f"{manifest}: {module} not in the bundle")
            modules.append(path)
    return modules


def column(value):
    return "-" if value is None else f"{value:,}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="+", help="cubins, or one GPU check bundle directory")
    ap.add_argument("--ptxas-log", help="lgc --ptxas-verbose's report of the (one) cubin")
    ap.add_argument("--functions", action="store_true",
                    help="a row for each device function too (after its module's kernels)")
    args = ap.parse_args()
    paths = args.modules
    if len(paths) == 1 and os.path.isdir(paths[0]):
        paths = bundle_modules(paths[0])
    if args.ptxas_log and len(paths) != 1:
        sys.exit("--ptxas-log goes with one cubin")
    spills = spill_report(args.ptxas_log) if args.ptxas_log else None
    header = (f"{'module':<40} {'function':<26} {'regs':>5} {'frame B':>8} {'stack B':>8} "
              f"{'SASS':>8} {'threads':>7} {'shared B':>9} {'warps/SM':>8}")
    if spills is not None:
        header += f" {'spill st/ld B':>14}"
    modules = []
    for path in paths:
        try:
            cubin = read_module(path)
            modules.append((cubin,) + resources(cubin))
        except (OSError, ValueError, struct.error, IndexError) as e:
            sys.exit(f"{path}: cannot read it as a cubin ({e})")
        if not modules[-1][1]:
            sys.exit(f"{path}: no kernels")
    print(header)
    mismatches = []
    for cubin, kernels, functions in modules:
        # ptxas's frames and the linked cubin's must agree: a check of this
        # reading of .nv.info, and of the log being the cubin's.
        if spills is not None:
            for k in kernels:
                if k["name"] not in spills:
                    mismatches.append(f"{k['name']}: not in the ptxas report")
            for f in kernels + functions:
                frame = spills.get(f["name"], (None,))[0]
                if frame is not None and frame != f["frame"]:
                    mismatches.append(f"{f['name']}: a stack frame of {f['frame']:,} B in the "
                                      f"cubin, {frame:,} B in the ptxas report")
        for k in kernels + (functions if args.functions else []):
            line = (f"{cubin.name:<40} {k['name']:<26} {k['registers']:>5} {k['frame']:>8,} "
                    f"{k['stack']:>8,} {k['sass']:>8,} {column(k['threads']):>7} "
                    f"{column(k['shared']):>9} {column(k['warps']):>8}")
            if spills is not None:
                _, stores, loads = spills.get(k["name"], (0, 0, 0))
                line += f" {f'{stores:,}/{loads:,}':>14}"
            print(line)
        framed = [f for f in functions if f["frame"] > 0]
        summary = (f"{'':<40} {len(functions):,} device functions, "
                   f"{sum(f['sass'] for f in functions):,} SASS; ")
        if framed:
            largest = max(framed, key=lambda f: f["frame"])
            total = sum(f["frame"] for f in framed)
            summary += (f"{len(framed):,} with a stack frame ({total:,} B, "
                        f"the largest {largest['frame']:,} B: {largest['name']})")
        else:
            summary += "none with a stack frame"
        if spills is not None:
            stores = sum(spills.get(f["name"], (0, 0, 0))[1] for f in functions)
            loads = sum(spills.get(f["name"], (0, 0, 0))[2] for f in functions)
            summary += f"; their spills (ptxas -v) {stores:,} B stored, {loads:,} B loaded"
        print(summary)
    if mismatches:
        sys.exit("error: " + "\nerror: ".join(mismatches))


if __name__ == "__main__":
    main()

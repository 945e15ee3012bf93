#!/usr/bin/env python3
"""Where a kernel's warps stalled, summed by loop of its SASS.

Reads Nsight Compute's source page of one profiled kernel as CSV (what
`SOURCE_DIR=DIR ./profile.sh NAME` in a GPU check bundle writes:
`ncu --import R.ncu-rep --page source --csv --print-source sass`), whose
rows are the kernel's SASS instructions with their stall samples, and the
same kernel's SASS from its cubin (nvdisasm, as bench/gpu_sass.py reads
it, or a listing). Each instruction's samples go to the innermost loop
that holds it (a loop: a label's instructions up to a backward branch to
it, as gpu_sass.py finds them) or to the code outside every loop, so a
block kernel's time divides into its phase 0, its level loop and its
count's loops: what the static counts cannot say.

    python3 bench/gpu_stalls.py DIR/NAME.sass.csv --cubin net.cubin
        [--function lgc_net] [--compat] [--top 10]
    python3 bench/gpu_stalls.py DIR/NAME.sass.csv --listing net.sass

The CSV's instructions are matched to the listing's by their offset from
the first one (its Address column, in hexadecimal) and each match is
checked by opcode: a CSV of another kernel or another build is refused.
"""
import argparse
import csv
import sys

import gpu_sass

SAMPLES = ("Warp Stall Sampling (All Samples)", "Warp Stall Sampling (All")
NOT_ISSUED = ("Warp Stall Sampling (Not-issued Samples)",
              "Warp Stall Sampling (Not-issued")


def functions_of(listing):
    """{function: ([(offset, opcode)], [(first, last) offsets of loops])}."""
    return {name: ([(a, op) for a, op, _ in ins],
                   [(ins[first][0], ins[last][0]) for first, last in loops])
            for name, (ins, _, loops) in gpu_sass.instructions(listing).items()}


def column(header, names, path, required=True):
    """The index of the first of `names` in the header (exact, else as a
    prefix: ncu's long names may change their ends between versions)."""
    stripped = [h.strip() for h in header]
    for want in names:
        if want in stripped:
            return stripped.index(want)
    for want in names:
        for i, h in enumerate(stripped):
            if h.startswith(want):
                return i
    if required:
        sys.exit(f"{path}: no column {names[0]!r} (its columns: "
                 f"{', '.join(stripped)}); profile with ncu's SourceCounters "
                 "section")
    return None


def opcode(sass):
    """The opcode of an instruction's text, its predicate dropped."""
    words = sass.split()
    if words and words[0].startswith("@"):
        words = words[1:]
    return words[0] if words else ""


def number(text):
    text = text.strip().replace(",", "")
    try:
        return float(text) if text else 0.0
    except ValueError:
        return 0.0


def read_csv(path):
    """[(offset, opcode, samples, not-issued samples or None)]."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        sys.exit(f"{path}: {e.strerror}")
    # ncu may print lines before the table; the header names the source.
    start = next((i for i, r in enumerate(rows)
                  if any(c.strip() == "Source" for c in r)), None)
    if start is None:
        sys.exit(f"{path}: no header with a 'Source' column (ncu --page "
                 "source --csv --print-source sass)")
    header = rows[start]
    src = column(header, ("Source",), path)
    address = column(header, ("Address",), path)
    samples = column(header, SAMPLES, path)
    not_issued = column(header, NOT_ISSUED, path, required=False)
    out, first = [], None
    for r in rows[start + 1:]:
        if len(r) <= max(src, address, samples):
            continue
        try:
            a = int(r[address].strip(), 16)
        except ValueError:
            continue
        if first is None:
            first = a
        out.append((a - first, opcode(r[src]), number(r[samples]),
                    number(r[not_issued]) if not_issued is not None else None))
    if not out:
        sys.exit(f"{path}: no instruction rows")
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("csv", help="ncu's source page of one kernel, as CSV")
    p.add_argument("--cubin", help="the profiled module's cubin")
    p.add_argument("--function", default="lgc_net",
                   help="the profiled kernel (default lgc_net)")
    gpu_sass.add_listing_arguments(p)
    p.add_argument("--top", type=int, default=10,
                   help="also the instructions with the most samples")
    args = p.parse_args()
    if bool(args.cubin) == bool(args.listing):
        p.error("give --cubin or --listing, one of them")
    if args.top < 0:
        p.error("--top must be 0 or more")
    rows = read_csv(args.csv)
    listing = gpu_sass.read_listing(args.cubin, args.listing, args.nvdisasm,
                                    args.compat)
    functions = functions_of(listing)
    if args.function not in functions:
        sys.exit(f"{args.function}: no such function (the listing has "
                 f"{', '.join(sorted(functions)) or 'none'})")
    ins, loops = functions[args.function]
    ops = dict(ins)
    # The CSV must be this function: its opcodes where both have one. An
    # older nvdisasm (--compat) names VIADD and VIMNMX IADD3 and IMNMX.
    alias = {"VIADD": "IADD3", "VIADDMNMX": "IADD3", "VIMNMX": "IMNMX"}
    matched = mismatched = 0
    for offset, op, _, _ in rows:
        want = ops.get(offset)
        if want is None:
            continue
        a, b = op.split(".")[0], want.split(".")[0]
        if a == b or alias.get(a) == b:
            matched += 1
        else:
            mismatched += 1
    end = max(ops)
    past = sum(1 for offset, *_ in rows if offset > end)
    if past:
        sys.exit(f"{args.csv}: its instructions are not {args.function}'s "
                 f"({past} past its last, at {end:#06x}): another kernel or "
                 "another build")
    if matched == 0 or mismatched > matched // 20:
        sys.exit(f"{args.csv}: its instructions are not {args.function}'s "
                 f"({matched} opcodes match, {mismatched} differ): another "
                 "kernel or another build")
    total = sum(s for _, _, s, _ in rows)
    issued = [n for _, _, _, n in rows if n is not None]
    print(f"{args.function}: {len(rows):,} instructions sampled, "
          f"{total:,.0f} samples" +
          (f" ({sum(issued):,.0f} not issued)" if issued else ""), flush=True)
    if total == 0:
        return
    # The innermost loop of each offset: the shortest range holding it.
    groups = {loop: [0.0, 0] for loop in loops}
    outside = [0.0, 0]
    for offset, _, s, _ in rows:
        holding = [l for l in loops if l[0] <= offset <= l[1]]
        g = groups[min(holding, key=lambda l: l[1] - l[0])] if holding else outside
        g[0] += s
        g[1] += 1
    for (first, last), (s, n) in sorted(groups.items()):
        print(f"  loop at {first:#06x}-{last:#06x} ({n:,} instructions): "
              f"{s:,.0f} samples, {100 * s / total:.1f} %", flush=True)
    print(f"  outside the loops ({outside[1]:,} instructions): "
          f"{outside[0]:,.0f} samples, {100 * outside[0] / total:.1f} %",
          flush=True)
    if args.top:
        print(f"  the {args.top} instructions with the most samples:")
        for offset, op, s, _ in sorted(rows, key=lambda r: -r[2])[:args.top]:
            print(f"    {offset:#06x} {op}: {s:,.0f} ({100 * s / total:.1f} %)")


if __name__ == "__main__":
    main()

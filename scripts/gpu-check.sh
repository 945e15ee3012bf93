#!/usr/bin/env bash
# The GPU check, in two halves.
#
#   scripts/gpu-check.sh bundle [--sweep] [DIR]   here (no GPU needed; the
#       CUDA Toolkit's ptxas, nvlink and fatbinary for the device binaries):
#       build lgc, make test nets as cubins, fat binaries and PTX, the
#       reference outputs from the interpreter, the benchmark nets' net.so,
#       and copy everything the GPU machine needs into DIR (default
#       build/gpu-bundle; its large files gzip-compressed): lgc-gpu-check
#       (glibc + driver only), nets, Fashion-MNIST test images, expected
#       outputs, run.sh, and resources.txt (each cubin's kernels:
#       registers, stack frames, SASS instructions, lgc_net's warps a
#       multiprocessor; bench/gpu_resources.py), and where nvdisasm is
#       installed sass.txt (the block kernel modules' loops in SASS;
#       bench/gpu_sass.py). The check's entries are
#       the check nets in every kernel design and the issue's nets with
#       lgc's defaults; `choice` entries, outside the check, are the few
#       variants the next run is to choose among; --sweep adds the
#       variants around them and those settled (the bundle's last lines
#       count each kind).
#   DIR/run.sh [--all] [NAME...]        on any machine with an NVIDIA GPU
#       (sm_90: H100, H200) and its driver (no CUDA toolkit, compiler or LLVM
#       needed): copy DIR there (scp -r, a shared disk, ...) and run it.
#       Bit-exact checks against the interpreter through every input path,
#       then images/s for 784->6x8000 and 6x64000 (device, each kernel
#       alone, with copies, the CPU backend on the same host), a summary
#       table; then the trainer: CPU and CUDA gradients agree within 1e-4
#       (plain and under Gumbel noise, --gumbel), CUDA it/s for 6x8000,
#       6x64000 and a conv net at batch 100 and 1000. Output is
#       line-buffered and each net has its own time limit
#       (LGC_GPU_CHECK_TIMEOUT seconds, default 120), so a slow step cannot
#       hide the results before it. With --all, the choice entries too
#       (after the check's); with NAMEs, only those entries.
#   DIR/profile.sh NAME...               where Nsight Compute (ncu) is
#       installed too: one lgc_net launch of each entry named, profiled
#       (throughput of each unit, shared-memory wavefronts and conflicts,
#       global sectors per request, occupancy, stalls).
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: scripts/gpu-check.sh bundle [--sweep] [DIR]"
[ "${1:-}" = bundle ] || { echo "$usage" >&2; exit 2; }
shift
SWEEP=0
if [ "${1:-}" = --sweep ]; then
  SWEEP=1
  shift
fi
case "${1:-}" in -*) echo "$usage" >&2; exit 2 ;; esac
[ $# -le 1 ] || { echo "$usage" >&2; exit 2; }
BUILD="${LGC_BUILD_DIR:-build}"
DIR="${1:-$BUILD/gpu-bundle}"
[ -x "$BUILD/bin/lgc" ] || LGC_SKIP_APT="${LGC_SKIP_APT:-0}" scripts/setup.sh
B="$BUILD/bin"
rm -rf "$DIR" && mkdir -p "$DIR"
cp "$B/lgc-gpu-check" "$B/lgn-train-gpu-check" "$DIR/"
python3 - "$DIR" <<'PY'
import gzip, sys
d = sys.argv[1]
raw = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()
open(f"{d}/images.u8", "wb").write(raw[16:])
PY
manifest="$DIR/manifest.txt"
{
  echo "# kind name module samples [reference: expected outputs or net.so]"
  echo "# target name column >=|<= value"
} > "$manifest"
step() { echo "[$(date +%T)] $*"; }
# entry KIND NAME MODULE SAMPLES [REFERENCE], or entry target NAME COLUMN
# OP VALUE: a row of the manifest.
entry() { echo "$*" >> "$manifest"; }
# cubin NAME NET [FLAG...]: NET.lgn as NAME.cubin for sm_90, made with FLAGs.
cubin() {
  local name=$1 net=$2
  shift 2
  step "$name: cubin"
  "$B/lgc" -O2 "$DIR/$net.lgn" --emit=cubin --gpu-arch=sm_90 "$@" \
    -o "$DIR/$name.cubin"
}
# bench NAME NET SAMPLES [FLAG...]: NET's module made with FLAGs (its
# compile steps timed), timed on SAMPLES images against NET's net.so, in the
# check; choice: the same, a variant outside the check (run.sh --all).
bench() {
  local name=$1 net=$2 n=$3
  shift 3
  cubin "$name" "$net" --time-steps "$@"
  entry "${KIND:-bench}" "$name" "$name.cubin" "$n" "$net.so"
}
choice() { KIND=choice bench "$@"; }
# Bit-exact checks: several shapes, 10,000 real images, every form of module:
# cubins for sm_90 (H100, H200), fat binaries (sm_80 + sm_90) and PTX for the
# driver's JIT, and every kernel design; the interpreter's outputs, made
# once a net, are every module's reference.
i=0
for spec in "2x1000 10 0.45" "4x2000 10 -1" "3x600 25 0.2" "2x500 1 0.6"; do
  set -- $spec
  i=$((i + 1))
  pass=()
  [ "$3" != -1 ] && pass=(--pass-through "$3")
  "$B/lgn-gen" --inputs 784 --layers "$1" --classes "$2" --seed "$i" "${pass[@]}" -o "$DIR/check$i.lgn"
  "$B/lgc-gpu-check" --expect "$DIR/check$i.lgn" "$DIR/images.u8" 10000 "$DIR/check$i.expected"
  for form in cubin fatbin ptx; do
    name="check${i}_$form"
    step "$name"
    "$B/lgc" -O2 "$DIR/check$i.lgn" --emit=$form --gpu-arch=$([ $form = fatbin ] && echo sm_80,sm_90 || echo sm_90) -o "$DIR/$name.$form"
    entry check "$name" "$name.$form" 10000 "check$i.expected"
  done
  # t32: the thread kernel in 32-bit words (--gpu-thread-word-bits=32).
  # block: the block kernel (--gpu-kernel=block); blocki: its words
  # interleaved over the threads; blockt: a word a block in blocks of 1,024
  # threads (10,000 images are 157 words, so 157 blocks spread over every
  # multiprocessor, where the automatic words, the most that fit 112 KB,
  # leave most of them idle); blockh: 32-bit words, one a block of 1,024
  # threads (313 blocks). both: both designs in one module
  # (--gpu-kernel=both): 10,000 images are under a wave of the thread
  # kernel, so the block kernel runs them. pf: the thread kernel with
  # prefetches 16 loads ahead (--gpu-prefetch-distance=16). pt: the pixels
  # packed by lgc_pack_u8_tiled (--gpu-pack=tiled: a block a word, its
  # bytes copied into shared memory by cp.async); pt4: four words a block,
  # each row's four written together (--gpu-pack-words=4), and the packed
  # bits copied four words a thread (--gpu-pack-bits-words=4).
  for variant in t32 pf pt pt4 block blocki blockt blockh both; do
    name="check${i}_$variant"
    extra=()
    case $variant in
      t32) extra=(--gpu-thread-word-bits=32) ;;
      pf) extra=(--gpu-prefetch-distance=16) ;;
      pt) extra=(--gpu-pack=tiled) ;;
      pt4) extra=(--gpu-pack=tiled --gpu-pack-words=4 --gpu-pack-bits-words=4) ;;
      block) extra=(--gpu-kernel=block) ;;
      blocki) extra=(--gpu-kernel=block --gpu-block-interleave) ;;
      blockt) extra=(--gpu-kernel=block --gpu-block-words=1 --gpu-block-threads=1024) ;;
      blockh) extra=(--gpu-kernel=block --gpu-block-word-bits=32 --gpu-block-words=1 --gpu-block-threads=1024) ;;
      both) extra=(--gpu-kernel=both) ;;
    esac
    cubin "$name" "check$i" "${extra[@]}"
    entry check "$name" "$name.cubin" 10000 "check$i.expected"
  done
done
# Throughput: the issue's nets as sm_90 cubins with lgc's defaults, 4M
# images of 6x8000, 1M and 4M of 6x64000 (1M leave most of the GPU idle:
# 15,625 threads of 64 images), with the CPU backend's net.so (portable
# x86-64-v3) to compare with on the GPU host.
for net in 6x8000 6x64000; do
  "$B/lgn-gen" --inputs 784 --layers "$net" --classes 10 --seed 1 --pass-through 0.45 -o "$DIR/bench_$net.lgn"
  step "bench_$net: net.so"
  "$B/lgc" -O2 "$DIR/bench_$net.lgn" --mcpu=x86-64-v3 -o "$DIR/bench_$net.so"
done
bench bench_6x8000 bench_6x8000 4000000
bench bench_6x64000 bench_6x64000 1000000
entry bench bench_6x64000_4M bench_6x64000.cubin 4000000 bench_6x64000.so
# The issue's targets, which the summary holds each entry and the best of
# its choices to (`target NAME COLUMN >=|<= VALUE`, the column as the
# summary names it, _ for each space): 784-6x8000 from u8 on the device
# and its gate kernel alone; 784-6x64000 on the device (4M images: 1M are a
# quarter of a wave); loads under a second. The u8 packing at half of an
# H200's DRAM bandwidth (4.8 TB/s; an H100 SXM's 3.35 TB/s would make it
# 1,675) and packed bits with copies at 70 % of PCIe 5.0 x16 (64 GB/s;
# PCIe 4.0: 22.4) are the H200 machine's.
entry target bench_6x8000 u8_device_M/s '>=' 1000
entry target bench_6x8000 gate_kernel_M/s '>=' 3000
entry target bench_6x64000_4M u8_device_M/s '>=' 150
entry target bench_6x64000_4M bits_device_M/s '>=' 150
entry target bench_6x8000 pack_u8_GB/s '>=' 2400
entry target bench_6x8000 bits_+copies_GB/s '>=' 44.8
entry target bench_6x8000 load_s '<=' 1
entry target bench_6x64000 load_s '<=' 1
# The choices the next run is to settle, each beside the default in the same
# run. ptxas's levels: the gate functions are assembled at -O1 and the
# kernels at -O3 (--ptxas-O, --ptxas-kernel-O); on an H200 the gate kernel
# alone ran 6x8000 at 1,242 against 1,221 M images/s with the gate
# functions at -O3 and 6x64000 at 156.0 against 142.6 (4M images, same
# run). _ptxasO3: the gate functions at -O3 (the earlier default), kept
# for the 1M-image row below.
choice bench_6x8000_ptxasO3 bench_6x8000 4000000 --ptxas-O=3
choice bench_6x64000_ptxasO3 bench_6x64000 4000000 --ptxas-O=3
# The same at 1M images (a quarter of a wave, four warps a multiprocessor,
# where the schedule's own latency hiding counts most): bench_6x64000 ran
# 80.4 M images/s at -O3 and 59.4 at -O1, in two runs.
entry choice bench_6x64000_ptxasO3_1M bench_6x64000_ptxasO3.cubin 1000000 bench_6x64000.so
# Prefetches (--gpu-prefetch-distance=D, _pfD): each row a gate function
# loads is prefetched D loads before it, into the L2 (l1: the L1,
# --gpu-prefetch-level=1). ncu found the thread kernel's warps waiting on
# their loads' scoreboard in 96 % of their cycles, at half the DRAM's
# bandwidth: a prefetch holds no register, so more rows can be on their
# way at once than ptxas's register-bound hoisting allows. 6x8000: 10,908
# prefetches, one SASS instruction each (70,664 to 81,608 instructions);
# spills the same within 1 %.
for d in 8 16 32 64; do
  choice bench_6x8000_pf$d bench_6x8000 4000000 --gpu-prefetch-distance=$d
done
choice bench_6x8000_pf16l1 bench_6x8000 4000000 --gpu-prefetch-distance=16 \
  --gpu-prefetch-level=1
# With the gate functions at -O3 (whose schedule ptxas builds from more
# of each function), and in 32-bit words (twice the warps, 32 a
# multiprocessor at 64 registers, each with its rows in flight).
choice bench_6x8000_pf16_ptxasO3 bench_6x8000 4000000 --gpu-prefetch-distance=16 \
  --ptxas-O=3
choice bench_6x8000_t32_pf16 bench_6x8000 4000000 --gpu-prefetch-distance=16 \
  --gpu-thread-word-bits=32
# With 2,000 gates a function: 7 % fewer bytes an image (spills counted),
# which lost to the default's 1,000 while the kernel waited on latency
# (1,197 against 1,212 M images/s), and may win once it waits on bytes.
choice bench_6x8000_g2000_pf16 bench_6x8000 4000000 --gpu-prefetch-distance=16 \
  --gates-per-function=2000
for d in 16 32; do
  choice bench_6x64000_pf$d bench_6x64000 4000000 --gpu-prefetch-distance=$d
done
entry choice bench_6x64000_pf32_1M bench_6x64000_pf32.cubin 1000000 bench_6x64000.so
# Without recomputing gates of earlier functions (--gpu-remat-depth=0,
# _remat0: the default before it), one gate deep (_remat1), and only from
# what a function reads anyway (--gpu-remat-inputs=false, _reads): the
# default (two deep, loading inputs where that saves accesses) moves 8.6 %
# fewer bytes an image on 6x8000 and 9.8 % fewer on 6x64000 (PTX and
# ptxas's spills), in about as many SASS instructions.
choice bench_6x8000_remat0 bench_6x8000 4000000 --gpu-remat-depth=0
choice bench_6x8000_remat1 bench_6x8000 4000000 --gpu-remat-depth=1
choice bench_6x8000_reads bench_6x8000 4000000 --gpu-remat-inputs=false
choice bench_6x64000_remat0 bench_6x64000 4000000 --gpu-remat-depth=0
# Larger gate functions read more of a recomputed gate's operands anyway:
# with recomputing, 2,000 gates a function (_g2000) move 15.5 % fewer
# bytes an image than the default's 1,000 on 6x8000 (1,594 against 1,887,
# spills counted) and 18 % fewer on 6x64000 (12,370 against 15,090), and
# 3,000 (_g3000) 20 % fewer on 6x8000, for more spills (467 bytes an image
# against 140) and a longer compile (6x8000 7.0 s, 6x64000 at 2,000 35 s).
# Without recomputing, 2,000 were 7 % fewer bytes and ran 1.2 % slower on
# an H200 (1,197 against 1,212 M images/s, latency-bound then): a spilled
# byte cost about 2.7 of the scratch array's there. At that rate 1,500
# gates (_g1500: 1,502 + 195 bytes of spills against 1,747 + 140) would be
# the fastest of these, by about 4 % (2,000 about even, 3,000 8 % slower);
# measured with recomputing (H200, 4M images, lgc_net alone), 1,500 were
# 0.6 % slower than 1,000 (1,235.2 against 1,242.4 M images/s), so that
# rate does not hold.
choice bench_6x8000_g1500 bench_6x8000 4000000 --gates-per-function=1500
choice bench_6x8000_g2000 bench_6x8000 4000000 --gates-per-function=2000
choice bench_6x8000_g3000 bench_6x8000 4000000 --gates-per-function=3000
choice bench_6x64000_g2000 bench_6x64000 4000000 --gates-per-function=2000
# The pixels packed by lgc_pack_u8_tiled (--gpu-pack=tiled, _packtiled):
# lgc_pack_u8 read 3.1 TB/s on an H200 (65 % of the DRAM's bandwidth;
# 1.13 of the 4.36 ms that 4M images of 6x8000 took from u8), a warp's
# 128 bytes from each of 64 rows 784 bytes apart; the tiled kernel reads a
# word's 64 samples as one contiguous 50 KB run, 16 bytes a cp.async. At
# 85 % of the bandwidth the packing would take about 0.85 ms.
choice bench_6x8000_packtiled bench_6x8000 4000000 --gpu-pack=tiled
# Four words a block (_packtiled4): a word a thread leaves each 32-byte
# sector of a row to four blocks; here a block writes it whole (75 KB of
# shared memory a block, three a multiprocessor). lgc_pack_bits the same
# way, four words a thread (its own kernel, so the row's packed-bit
# columns measure it beside the tiled u8 kernel in the u8 ones): a word a
# thread moved 0.78 GB for 4M images at 1.2 TB/s, a quarter of the DRAM's
# bandwidth (0.66 of the 3.88 ms from packed bits).
choice bench_6x8000_packtiled4 bench_6x8000 4000000 --gpu-pack=tiled \
  --gpu-pack-words=4 --gpu-pack-bits-words=4
# 6x64000 from u8 (149.3 M images/s on 4M, against 1.5e8): a quarter of a
# millisecond less packing in 26.8.
choice bench_6x64000_packtiled bench_6x64000 4000000 --gpu-pack=tiled
# The block kernel on 6x8000 (bench_6x8000_blockS_uU_{rR|tT}[SUFFIX]: S
# words per block, U gates per thread and round, blocks of 256 threads at
# R registers or of T threads): four words and four gates a round, the
# fastest block kernel measured (lgc_net alone 1,094 M images/s on an H200,
# 912 from u8 through its own u8 kernel against the thread kernel's 903).
block() {
  local S=$1 U=$2 T=$3 suffix=${4:-} size=r128 extra=() i
  [ "$T" != 256 ] && size=t$T
  # Each letter of the suffix its flag.
  for ((i = 0; i < ${#suffix}; i++)); do
    case ${suffix:i:1} in
      i) extra+=(--gpu-block-interleave) ;;
      w) extra+=(--gpu-block-word-argmax) ;;
      m) extra+=(--gpu-block-thread-runs) ;;
      f) extra+=(--gpu-block-fuse) ;;
      e) extra+=(--gpu-block-prefetch=false) ;;
      p) extra+=(--gpu-block-u8-prefetch) ;;
      a) extra+=(--gpu-block-balance-levels=false) ;;
      s) extra+=(--gpu-block-table=shared) ;;
      r) extra+=(--gpu-block-rows-prefetch) ;;
      *) echo "block: unknown suffix letter ${suffix:i:1}" >&2; exit 1 ;;
    esac
  done
  choice "bench_6x8000_block${S}_u${U}_$size$suffix" bench_6x8000 4000000 \
    --gpu-kernel=block --gpu-block-words=$S --gpu-block-unroll=$U \
    --gpu-block-threads=$T --gpu-max-registers=128 "${extra[@]}"
}
block 4 4 256
# Suffix p: its u8 form prefetching into the L2, after each block's phase
# 0, the pixels of the block that takes its place (--gpu-block-u8-prefetch).
# Each wave's blocks read their pixels in the same few microseconds and
# then leave the DRAM idle through their level phases: 911 M images/s from
# u8 against 1,094 for lgc_net from packed rows (the last H200 run), about
# 0.7 ms of 4.4 in the pixels' reads. Its `u8 device M/s` against the row
# above (and against bench_6x8000's 1e9 target) says whether they now come
# from the L2.
block 4 4 256 p
# Suffix a: each gate at the level after its operands' (the schedule the
# measured rows above ran), where lgc now fills the levels to whole rounds
# of 1,024 gates (--gpu-block-balance-levels): 15 rounds to 12 on this net,
# 223,136 to 197,216 bytes of shared memory, 899 to 728 table lines a
# block, 9,084 to 9,160 shared-memory wavefronts (bench/gpu_block_banks.py,
# a model). A round lasts as long for its busiest thread however full it
# is, so the default row against this one says how much of a level's time
# is its rounds' latency and how much its accesses.
block 4 4 256 a
# Four words in blocks of 1,024 threads, a gate each a round: rounds of
# 1,024 gates as the row above, so the same 12 filled rounds, with 32 warps
# a multiprocessor instead of 8 (64 registers, no spills; 1,784 SASS
# instructions in lgc_net). Blocks of 1,024 at four gates a round (rounds
# of 4,096, six whatever the levels) ran 1,062 M images/s (lgc_net alone,
# an earlier H200 run).
block 4 1 1024
# Suffix s: the gate table in shared memory (--gpu-block-table=shared),
# copied once a block, the blocks looping over the grid (a block a
# multiprocessor: 99 KB of table and 99 KB of values for two words). Four
# words a block ran fastest of the block kernels measured, ahead of two
# and one, which read the table (an L2 load a gate, 93 KB a block) once
# per 256 samples instead of per 128 or 64; here no block reads it again,
# and a level's first entries wait for shared memory, not for the L2,
# after each barrier. Two words at 8, 16 and 32 warps a multiprocessor
# (rounds of 1,024 gates each, as the rows above; no spills, ptxas -v).
block 2 4 256 s
block 2 2 512 s
block 2 1 1024 s
# With one block a multiprocessor nothing overlaps a block's phase 0, whose
# inputs come from the DRAM; suffix srp: lgc_net prefetching into the L2
# the packed rows of the block it takes next (ctaid + nctaid; r,
# --gpu-block-rows-prefetch), its u8 form that block's pixels (p): the
# columns from packed bits and lgc_net alone say what the first is worth
# against the s row above, the u8 column the second.
block 2 4 256 srp
if [ $SWEEP = 1 ]; then
  # Settled on an H200 (4M images, same run as the default; lgc_net alone,
  # M images/s): everything at ptxas -O1 (_kernelO1: 1,241, but the packing
  # kernel at 2,661 GB/s against 3,120); the gate functions at -O0 (502)
  # and -O2 (1,223; 6x64000 142.8, as -O3); register caps of 96 and 80
  # (1,211 and 1,163; 6x64000 at 96: 151.6).
  choice bench_6x8000_kernelO1 bench_6x8000 4000000 --ptxas-kernel-O=1
  choice bench_6x8000_ptxasO0 bench_6x8000 4000000 --ptxas-O=0
  choice bench_6x8000_ptxasO2 bench_6x8000 4000000 --ptxas-O=2
  choice bench_6x64000_ptxasO2 bench_6x64000 4000000 --ptxas-O=2
  choice bench_6x8000_r96 bench_6x8000 4000000 --gpu-max-registers=96
  choice bench_6x8000_r80 bench_6x8000 4000000 --gpu-max-registers=80
  choice bench_6x64000_r96 bench_6x64000 4000000 --gpu-max-registers=96
  # --sweep: the variants around those, and those settled on an H200
  # (4M images, lgc_net alone in M images/s against the default's in the
  # same run, before the gate functions went to -O1): _generic, the
  # thread kernel's inputs by generic loads (--gpu-readonly-inputs=false;
  # 6x8000 1,098 against 1,212); _t32, 32-bit words (878; 6x64000 102
  # against 142); _countfns,
  # the GroupSum in count functions after the gates (1,179; 140); _order,
  # each class's outputs in output order (--output-locality=0; 1,097; 129);
  # the block kernel's rounds each loading their own table entries (e;
  # 1,103), its words interleaved (i; 972), blocks of 1,024 threads (1,062);
  # 6x64000 in the block kernel's 32-bit words (70).
  choice bench_6x8000_generic bench_6x8000 4000000 --gpu-readonly-inputs=false
  choice bench_6x64000_generic bench_6x64000 4000000 --gpu-readonly-inputs=false
  choice bench_6x8000_t32 bench_6x8000 4000000 --gpu-thread-word-bits=32
  choice bench_6x8000_countfns bench_6x8000 4000000 --gpu-count-in-code=false
  choice bench_6x64000_countfns bench_6x64000 4000000 --gpu-count-in-code=false
  choice bench_6x8000_order bench_6x8000 4000000 --output-locality=0
  choice bench_6x64000_order bench_6x64000 4000000 --output-locality=0
  cubin bench_6x64000_t32 bench_6x64000 --time-steps --gpu-thread-word-bits=32
  entry choice bench_6x64000_t32_4M bench_6x64000_t32.cubin 4000000 bench_6x64000.so
  block 4 4 256 e
  block 4 4 256 i
  block 4 4 1024
  choice bench_6x64000_block_h32_t1024 bench_6x64000 4000000 --gpu-kernel=block \
    --gpu-block-threads=1024 --gpu-block-word-bits=32 --gpu-block-shared=232448
  # _old: the thread kernel's earlier defaults (no
  # register cap, a register window of 128 values); _t32_r128: 32-bit words
  # at 128 registers (the 64-bit kernel's warps, twice its values in
  # registers), and on 1M images.
  choice bench_6x8000_old bench_6x8000 4000000 --gpu-max-registers=0 \
    --gpu-register-window=128
  choice bench_6x8000_t32_r128 bench_6x8000 4000000 --gpu-thread-word-bits=32 \
    --gpu-max-registers=128
  entry choice bench_6x64000_t32 bench_6x64000_t32.cubin 1000000 bench_6x64000.so
  # The block kernel: two words a block (its own choice: 110 KB of shared
  # memory, two blocks a multiprocessor); suffix w: the earlier argmax, a
  # thread per word (--gpu-block-word-argmax); m: the earlier mapping of
  # table entries to threads (--gpu-block-thread-runs: U consecutive entries
  # a thread, so a warp's table load touches 8 lines of 128 bytes instead of
  # 2); f: gates read by one gate only fused into their reader's entry
  # (--gpu-block-fuse); interleaved at 2 and 8 gates a round, and in blocks
  # of 512 and 1,024; each round loading its own entries (e) at two words
  # and in blocks of 1,024.
  for variant in "2 4 256" "2 4 256 e" "4 4 1024 e" "2 4 256 w" "4 4 256 w" \
    "2 4 256 i" "4 8 256 i" "4 2 256 i" "4 4 1024 i" "4 2 1024 i" \
    "4 1 1024 i" "4 4 512 i" \
    "2 4 512 i" "2 4 256 m" "4 4 256 m" "4 4 1024 m" "2 4 256 f" "4 4 256 f"; do
    block $variant
  done
  # Both designs in one module: 4M images take the thread kernel, the
  # streamed chunks under a wave the block kernel; and where the switch
  # between the two should be: the thread kernel alone and both at 250K
  # and 1M images (a sixteenth and a quarter of an H200's wave).
  choice bench_6x8000_both bench_6x8000 4000000 --gpu-kernel=both
  for n in 250000 1000000; do
    entry choice bench_6x8000_n$n bench_6x8000.cubin $n bench_6x8000.so
    entry choice bench_6x8000_both_n$n bench_6x8000_both.cubin $n bench_6x8000.so
  done
  # 6x64000, whose 50,000 slots (400 KB a 64-bit word) do not fit: 227 KB
  # of them in shared memory in 64-bit words (s227), the rest in global
  # memory; the 32-bit words in blocks of 256 threads; suffix m: the earlier
  # mapping of table entries (in 32-bit words a block of 32 samples loads
  # an 8-byte entry per gate: bench/gpu_block_banks.py puts its table lines
  # at 2.6 times its shared-memory wavefronts in that mapping, 0.8 times
  # in the new one).
  for variant in "s227 256" "s227 1024" "h32 256" "h32 256 m" "h32 1024 m"; do
    set -- $variant
    name="bench_6x64000_block_$1"
    [ $2 = 1024 ] && name+=_t1024
    extra=()
    [ "${3:-}" = m ] && name+=m && extra+=(--gpu-block-thread-runs)
    choice "$name" bench_6x64000 4000000 --gpu-kernel=block \
      --gpu-block-threads=$2 --gpu-block-word-bits=$([ $1 = s227 ] && echo 64 || echo 32) \
      --gpu-block-shared=232448 "${extra[@]}"
  done
  # Both designs on 6x64000 (the block kernel beside in 32-bit words): 1M
  # images, a quarter of the thread kernel's wave, take the block kernel
  # (against bench_6x64000, the thread kernel on the same 1M).
  choice bench_6x64000_both bench_6x64000 1000000 --gpu-kernel=both \
    --gpu-block-threads=1024
fi
# What each module's kernels ask of the hardware, from the cubins (no GPU
# needed): registers, stack frames (spills), SASS instructions, and lgc_net's
# block, shared memory and warps a multiprocessor; beside the figures the
# GPU run gives.
step "resources.txt: each cubin's kernels (bench/gpu_resources.py)"
python3 bench/gpu_resources.py "$DIR" > "$DIR/resources.txt"
# Where the toolkit's nvdisasm is here too: the block kernel modules' loops
# in SASS (bench/gpu_sass.py; --compat for an nvdisasm older than ptxas).
if command -v "${NVDISASM:-nvdisasm}" > /dev/null; then
  step "sass.txt: the block kernel modules' loops (bench/gpu_sass.py)"
  for cubin in "$DIR"/*block*.cubin; do
    [ -e "$cubin" ] || continue
    python3 bench/gpu_sass.py "$cubin" --function lgc_net 2> /dev/null ||
      python3 bench/gpu_sass.py "$cubin" --function lgc_net --compat ||
      echo "$(basename "$cubin"): no SASS listing"
  done > "$DIR/sass.txt"
fi
rm -f "$DIR"/*.lgn
# The large files travel compressed (a 6x64000 cubin, 10 MB, is 3.4 MB in
# gzip); run.sh and profile.sh unpack them where they run.
find "$DIR" -maxdepth 1 -type f -size +1M \( -name '*.cubin' -o -name '*.so' \
  -o -name '*.u8' -o -name '*.expected' \) -exec gzip -6 {} +
cat > "$DIR/unpack.sh" <<'UNPACK'
# Sourced by run.sh and profile.sh: the bundle's compressed files unpacked
# beside themselves, once (a file half written by a stopped run is redone).
for packed in *.gz; do
  [ -e "$packed" ] || continue
  [ -e "${packed%.gz}" ] && continue
  gzip -dc "$packed" > "${packed%.gz}.part" && mv "${packed%.gz}.part" "${packed%.gz}" || {
    echo "cannot unpack $packed" >&2
    exit 1
  }
done
UNPACK
cat > "$DIR/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs on the GPU machine: each entry of the manifest (or each NAME given)
# with its own time limit (LGC_GPU_CHECK_TIMEOUT seconds, default 120),
# every figure printed as it is measured, then the summary table of the
# entries run; then the trainer's check (not when names are given).
#   ./run.sh            the check: its entries (check and bench rows of the
#                       manifest), then the trainer's check
#   ./run.sh --all      the check, then the choice rows (variants kept for
#                       design decisions)
#   ./run.sh NAME...    those entries only
set -u
cd "$(dirname "$0")"
. ./unpack.sh
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || true
status=0
limit="${LGC_GPU_CHECK_TIMEOUT:-120}"
all=0
if [ "${1:-}" = --all ]; then
  all=1
  shift
fi
names=("$@")
if [ $# = 0 ]; then
  names=($(awk '$1 == "check" || $1 == "bench" {print $2}' manifest.txt))
  [ $all = 0 ] || names+=($(awk '$1 == "choice" {print $2}' manifest.txt))
fi
start=$SECONDS
rm -f results.tsv
for name in "${names[@]}"; do
  timeout "$limit" stdbuf -oL -eL ./lgc-gpu-check . "$name"
  rc=$?
  if [ $rc = 124 ]; then
    echo "$name: stopped after ${limit} s (LGC_GPU_CHECK_TIMEOUT)"
    status=1
  elif [ $rc != 0 ]; then
    echo "$name: FAILED"
    status=1
  fi
done
echo
echo "${#names[@]} entries in $((SECONDS - start)) s"
./lgc-gpu-check --summary . || status=1
echo
if [ $# = 0 ]; then
  timeout "${LGC_GPU_CHECK_TIMEOUT:-600}" stdbuf -oL -eL ./lgn-train-gpu-check || status=1
  echo "the whole $([ $all = 1 ] && echo run || echo check) in $((SECONDS - start)) s"
fi
[ $status = 0 ] && echo PASS || echo FAIL
exit $status
RUN
cat > "$DIR/profile.sh" <<'PROFILE'
#!/usr/bin/env bash
# Optional, where Nsight Compute is installed: profiles one launch of
# lgc_net (or lgc_net_block, or the block kernel's u8 form: the kernels
# named lgc_net*) for each entry named, the second of the run (the first
# warms the caches; a block-kernel entry's first two launches are its u8
# form, from the 8-bit features), e.g.
#   ./profile.sh bench_6x8000 bench_6x8000_block2_u4_r128
# printing the sections that say what bounds a kernel: each unit's
# throughput, each pipe's use and the instructions executed (whether a
# block-kernel entry is bound by its instructions), the memory traffic
# (shared-memory wavefronts and bank conflicts, global sectors per
# request), occupancy and issue stalls.
#   NCU                     the ncu to run (default ncu)
#   KERNEL                  the kernels to profile, as ncu --kernel-name
#                           takes them (default regex:^lgc_net; e.g.
#                           lgc_net to profile a block-kernel entry's
#                           lgc_net from packed input, not its u8 form;
#                           regex:^lgc_pack_u8 for the packing kernels,
#                           lgc_pack_u8 or lgc_pack_u8_tiled)
#   LGC_GPU_CHECK_TIMEOUT   seconds per entry (default 120)
#   SOURCE_DIR              also sample where the warps stall, per SASS
#                           instruction (the SourceCounters section), and
#                           write DIR/NAME.ncu-rep and DIR/NAME.sass.csv
#                           (ncu's source page: each instruction's address,
#                           SASS and samples), so that the stalls can be
#                           summed by loop (a level, the count, phase 0)
#                           wherever the CSV is read
set -u
cd "$(dirname "$0")"
. ./unpack.sh
NCU="${NCU:-ncu}"
command -v "$NCU" >/dev/null || {
  echo "profile.sh: $NCU not found (Nsight Compute; NCU=path names it)" >&2
  exit 2
}
[ $# -gt 0 ] || { echo "usage: ./profile.sh NAME... (names in manifest.txt)" >&2; exit 2; }
status=0
for name in "$@"; do
  if ! awk -v n="$name" '!/^#/ && $2 == n {found = 1} END {exit !found}' manifest.txt; then
    echo "$name: not in manifest.txt"
    status=1
    continue
  fi
  echo "== $name"
  source=()
  if [ -n "${SOURCE_DIR:-}" ]; then
    mkdir -p "$SOURCE_DIR"
    source=(--section SourceCounters --export "$SOURCE_DIR/$name" --force-overwrite)
  fi
  if ! timeout "${LGC_GPU_CHECK_TIMEOUT:-120}" stdbuf -oL -eL "$NCU" \
    --kernel-name "${KERNEL:-regex:^lgc_net}" --launch-skip 1 --launch-count 1 \
    --section SpeedOfLight --section ComputeWorkloadAnalysis \
    --section InstructionStats --section MemoryWorkloadAnalysis_Tables \
    --section Occupancy --section SchedulerStats --section WarpStateStats \
    --section LaunchStats "${source[@]}" ./lgc-gpu-check . "$name"; then
    echo "$name: FAILED, or stopped after ${LGC_GPU_CHECK_TIMEOUT:-120} s"
    status=1
  elif [ -n "${SOURCE_DIR:-}" ]; then
    # With --export ncu prints nothing: the report's sections, then its
    # source page as CSV.
    "$NCU" --import "$SOURCE_DIR/$name.ncu-rep" || status=1
    "$NCU" --import "$SOURCE_DIR/$name.ncu-rep" --page source --csv \
      --print-source sass > "$SOURCE_DIR/$name.sass.csv" ||
      { echo "$name: no source page (ncu --page source)"; status=1; }
  fi
done
exit $status
PROFILE
chmod +x "$DIR/run.sh" "$DIR/profile.sh"
echo "$(grep -Ec '^(check|bench|choice) ' "$manifest") entries ($(grep -c '^choice ' "$manifest") of them choices, outside the check; $(grep -c '^target ' "$manifest") targets), $(du -sh "$DIR" | cut -f1)"
echo "bundle ready: $DIR (run $DIR/run.sh on the GPU machine)"

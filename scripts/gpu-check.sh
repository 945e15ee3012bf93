#!/usr/bin/env bash
# The GPU check, in two halves.
#
#   scripts/gpu-check.sh bundle [DIR]   here (no GPU needed; the CUDA
#       Toolkit's ptxas, nvlink and fatbinary for the device binaries): build
#       lgc, make test nets as cubins, fat binaries and PTX, the reference
#       outputs from the interpreter, the benchmark nets' net.so, and copy
#       everything the GPU machine needs into DIR (default build/gpu-bundle):
#       lgc-gpu-check (glibc + driver only), nets, Fashion-MNIST test images,
#       expected outputs, run.sh.
#   DIR/run.sh                          on any machine with an NVIDIA GPU
#       (sm_90: H100, H200) and its driver (no CUDA toolkit, compiler or LLVM
#       needed): copy DIR there (scp -r, a shared disk, ...) and run it.
#       Bit-exact checks against the interpreter through every input path,
#       then images/s for 784->6x8000 and 6x64000 (device, each kernel
#       alone, with copies, the CPU backend on the same host; 6x8000 also
#       with the earlier register defaults), a summary table; then the
#       trainer: CPU and CUDA gradients agree within 1e-4 (plain and under
#       Gumbel noise, --gumbel), CUDA it/s for 6x8000, 6x64000 and a conv
#       net at batch 100 and 1000. Output is
#       line-buffered and each net has its own time limit
#       (LGC_GPU_CHECK_TIMEOUT seconds, default 120), so a slow step cannot
#       hide the results before it.
#   DIR/profile.sh NAME...               where Nsight Compute (ncu) is
#       installed too: one lgc_net launch of each entry named, profiled
#       (throughput of each unit, shared-memory wavefronts and conflicts,
#       global sectors per request, occupancy, stalls).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = bundle ] || { echo "usage: scripts/gpu-check.sh bundle [DIR]" >&2; exit 2; }
BUILD="${LGC_BUILD_DIR:-build}"
DIR="${2:-$BUILD/gpu-bundle}"
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
echo "# kind name module samples [cpu-library]" > "$manifest"
step() { echo "[$(date +%T)] $*"; }
# Bit-exact checks: several shapes, 10,000 real images, every form of module:
# cubins for sm_90 (H100, H200), fat binaries (sm_80 + sm_90) and PTX for the
# driver's JIT.
i=0
for spec in "2x1000 10 0.45" "4x2000 10 -1" "3x600 25 0.2" "2x500 1 0.6"; do
  set -- $spec
  i=$((i + 1))
  pass=()
  [ "$3" != -1 ] && pass=(--pass-through "$3")
  "$B/lgn-gen" --inputs 784 --layers "$1" --classes "$2" --seed "$i" "${pass[@]}" -o "$DIR/check$i.lgn"
  for form in cubin fatbin ptx; do
    name="check${i}_$form"
    step "$name"
    "$B/lgc" -O2 "$DIR/check$i.lgn" --emit=$form --gpu-arch=$([ $form = fatbin ] && echo sm_80,sm_90 || echo sm_90) -o "$DIR/$name.$form"
    "$B/lgc-gpu-check" --expect "$DIR/check$i.lgn" "$DIR/images.u8" 10000 "$DIR/$name.expected"
    echo "check $name $name.$form 10000" >> "$manifest"
  done
  # The thread kernel in 32-bit words (--gpu-thread-word-bits=32).
  name="check${i}_t32"
  step "$name"
  "$B/lgc" -O2 "$DIR/check$i.lgn" --emit=cubin --gpu-arch=sm_90 \
    --gpu-thread-word-bits=32 -o "$DIR/$name.cubin"
  cp "$DIR/check${i}_cubin.expected" "$DIR/$name.expected"
  echo "check $name $name.cubin 10000" >> "$manifest"
  # The block kernel (--gpu-kernel=block), bit-exact on the same images,
  # also with its words interleaved over the threads.
  # And both designs in one module (--gpu-kernel=both): 10,000 images are
  # under a wave of the thread kernel, so the block kernel runs them.
  # blockt: a word a block in blocks of 1,024 threads: 10,000 images are
  # 157 words, so 157 blocks spread over every multiprocessor, where the
  # automatic words (the most that fit 112 KB) leave most of them idle.
  # blockh: 32-bit words (--gpu-block-word-bits=32), one a block of 1,024
  # threads: two blocks per 64-bit word of the arrays, 313 in all.
  for variant in block blocki blockt blockh both; do
    name="check${i}_$variant"
    step "$name"
    extra=()
    [ $variant = blocki ] && extra+=(--gpu-block-interleave)
    [ $variant = blockt ] && extra+=(--gpu-block-words=1 --gpu-block-threads=1024)
    [ $variant = blockh ] && extra+=(--gpu-block-word-bits=32 --gpu-block-words=1 --gpu-block-threads=1024)
    "$B/lgc" -O2 "$DIR/check$i.lgn" --emit=cubin --gpu-arch=sm_90 \
      --gpu-kernel=$([ $variant = both ] && echo both || echo block) \
      "${extra[@]}" -o "$DIR/$name.cubin"
    cp "$DIR/check${i}_cubin.expected" "$DIR/$name.expected"
    echo "check $name $name.cubin 10000" >> "$manifest"
  done
done
# Throughput: the issue's nets, 4M and 1M samples, as sm_90 cubins, with the
# CPU backend's net.so (portable x86-64-v3) to compare with on the GPU host.
for spec in "6x8000 4000000" "6x64000 1000000"; do
  set -- $spec
  "$B/lgn-gen" --inputs 784 --layers "$1" --classes 10 --seed 1 --pass-through 0.45 -o "$DIR/bench_$1.lgn"
  step "bench_$1: cubin"
  "$B/lgc" -O2 "$DIR/bench_$1.lgn" --emit=cubin --gpu-arch=sm_90 --time-steps -o "$DIR/bench_$1.cubin"
  step "bench_$1: net.so"
  "$B/lgc" -O2 "$DIR/bench_$1.lgn" --mcpu=x86-64-v3 -o "$DIR/bench_$1.so"
  echo "bench bench_$1 bench_$1.cubin $2 bench_$1.so" >> "$manifest"
done
# The previous defaults (no register cap, a register window of 128 values)
# beside the current ones, for a before/after from one run; and the 6x64000
# net over 4M images too (1M leave most of the GPU idle: 15,625 threads).
step "bench_6x8000_old: cubin"
"$B/lgc" -O2 "$DIR/bench_6x8000.lgn" --emit=cubin --gpu-arch=sm_90 \
  --gpu-max-registers=0 --gpu-register-window=128 -o "$DIR/bench_6x8000_old.cubin"
echo "bench bench_6x8000_old bench_6x8000_old.cubin 4000000 bench_6x8000.so" >> "$manifest"
echo "bench bench_6x64000_4M bench_6x64000.cubin 4000000 bench_6x64000.so" >> "$manifest"
# The thread kernel's inputs by generic loads (--gpu-readonly-inputs=false,
# suffix generic: its form before they took ld.global.nc, with which ptxas
# reloads inputs instead of spilling them), for a before/after.
for spec in "6x8000 4000000" "6x64000 4000000"; do
  set -- $spec
  name="bench_$1_generic"
  step "$name: cubin"
  "$B/lgc" -O2 "$DIR/bench_$1.lgn" --emit=cubin --gpu-arch=sm_90 --time-steps \
    --gpu-readonly-inputs=false -o "$DIR/$name.cubin"
  echo "bench $name $name.cubin $2 bench_$1.so" >> "$manifest"
done
# The thread kernel in 32-bit words (--gpu-thread-word-bits=32, suffix
# t32): twice the threads for the same images, a value in one register,
# so at its default cap of 64 registers twice the warps per multiprocessor
# (32 instead of 16) for the same values in registers; _r128 keeps 128
# registers (the 64-bit kernel's warps, twice its values in registers).
# The 64-bit kernel at 4M images was latency-bound on 6x64000 (1M images,
# a quarter of the threads: 46 M images/s; 4M: 118) and 62 % of the DRAM's
# bandwidth on 6x8000.
for variant in "6x8000 4000000" "6x8000 4000000 r128" "6x64000 1000000" \
  "6x64000 4000000"; do
  set -- $variant
  name="bench_$1_t32${3:+_$3}"
  [ $2 = 4000000 ] && [ $1 = 6x64000 ] && name+=_4M
  if [ $2 = 1000000 ] || [ $1 = 6x8000 ]; then
    step "$name: cubin"
    extra=()
    [ "${3:-}" = r128 ] && extra+=(--gpu-max-registers=128)
    "$B/lgc" -O2 "$DIR/bench_$1.lgn" --emit=cubin --gpu-arch=sm_90 --time-steps \
      --gpu-thread-word-bits=32 "${extra[@]}" -o "$DIR/$name.cubin"
    module=$name.cubin
  else
    module=bench_$1_t32.cubin
  fi
  echo "bench $name $module $2 bench_$1.so" >> "$manifest"
done
# The block kernel on 6x8000 ("S U T [i|w]": S words per block, U gates
# per thread and round, T threads a block): two words per block (its
# choice: 110 KB of shared memory) and four (220 KB, one block per
# multiprocessor), four gates per thread and round, each thread evaluating
# every word of its gates (the fastest forms of an earlier run:
# docs/gpu-backend.md); suffix i: the words interleaved over the threads
# (--gpu-block-interleave: a half warp reads the S words of 16 / S gates)
# at 2, 4 and 8 gates a round; suffix w: the earlier argmax, a thread per
# word (--gpu-block-word-argmax), for a before/after of the argmax a thread
# per sample. Those rows, in blocks of 256 threads, are named by their
# register cap (_r128) as when they were first measured. Larger blocks
# (_tT): the block-kernel rows measured so far had 8 warps per
# multiprocessor (four words: one block of 256 threads fits its shared
# memory) or 16 (two words, two blocks) and issued an instruction in a
# quarter of the cycles: latency-bound. Blocks of 1,024 threads (ptxas fits
# their registers to 64 a thread) or two of 512 give 32 warps. Suffix m:
# the earlier mapping of table entries to threads (--gpu-block-thread-runs:
# U consecutive entries a thread, so a warp's table load touches 8 lines of
# 128 bytes instead of 2), for a before/after; suffix f: gates read by one
# gate only fused into their reader's entry (--gpu-block-fuse).
for variant in "2 4 256" "4 4 256" "2 4 256 w" "4 4 256 w" "2 4 256 i" \
  "4 4 256 i" "4 8 256 i" "4 2 256 i" "4 4 1024 i" "4 2 1024 i" \
  "4 1 1024 i" "4 4 1024" "4 4 512 i" "2 4 512 i" "2 4 256 m" \
  "4 4 256 m" "4 4 1024 m" "2 4 256 f" "4 4 256 f"; do
  set -- $variant
  size=r128
  [ "$3" != 256 ] && size=t$3
  name="bench_6x8000_block$1_u$2_$size${4:-}"
  step "$name: cubin"
  extra=()
  [ "${4:-}" = i ] && extra+=(--gpu-block-interleave)
  [ "${4:-}" = w ] && extra+=(--gpu-block-word-argmax)
  [ "${4:-}" = m ] && extra+=(--gpu-block-thread-runs)
  [ "${4:-}" = f ] && extra+=(--gpu-block-fuse)
  "$B/lgc" -O2 "$DIR/bench_6x8000.lgn" --emit=cubin --gpu-arch=sm_90 --time-steps \
    --gpu-kernel=block --gpu-block-words=$1 --gpu-block-unroll=$2 \
    --gpu-block-threads=$3 --gpu-max-registers=128 "${extra[@]}" \
    -o "$DIR/$name.cubin"
  echo "bench $name $name.cubin 4000000 bench_6x8000.so" >> "$manifest"
done
# Both designs in one module: 4M images take the thread kernel, the
# streamed chunks under a wave the block kernel.
name="bench_6x8000_both"
step "$name: cubin"
"$B/lgc" -O2 "$DIR/bench_6x8000.lgn" --emit=cubin --gpu-arch=sm_90 --time-steps \
  --gpu-kernel=both -o "$DIR/$name.cubin"
echo "bench $name $name.cubin 4000000 bench_6x8000.so" >> "$manifest"
# Where the switch between the two should be: the thread kernel alone and
# both at 250K and 1M images (a sixteenth and a quarter of an H200's wave).
for n in 250000 1000000; do
  echo "bench bench_6x8000_n$n bench_6x8000.cubin $n bench_6x8000.so" >> "$manifest"
  echo "bench bench_6x8000_both_n$n bench_6x8000_both.cubin $n bench_6x8000.so" >> "$manifest"
done
# And on 6x64000, whose 50,000 slots (400 KB a 64-bit word) do not fit:
# 227 KB of them in shared memory (one block per multiprocessor), the rest
# in global memory (112 KB, two blocks, measured slower still); suffix h32:
# 32-bit words (lgc's choice for this net: all 50,000 in 200 KB, 32
# samples a block), no global memory. Also in blocks of 1,024 threads
# (suffix t1024): four times the warps to hide latency. Suffix m: the
# earlier mapping of table entries to threads, as above (in 32-bit words
# a block of 32 samples loads an 8-byte entry per gate: the model in
# bench/gpu_block_banks.py puts its table lines at 2.6 times its
# shared-memory wavefronts in that mapping, 0.8 times in the new one).
for variant in "s227 256" "s227 1024" "h32 256" "h32 1024" "h32 256 m" \
  "h32 1024 m"; do
  set -- $variant
  name="bench_6x64000_block_$1"
  [ $2 = 1024 ] && name+=_t1024
  extra=()
  [ "${3:-}" = m ] && name+=m && extra+=(--gpu-block-thread-runs)
  step "$name: cubin"
  bits=32
  [ $1 = s227 ] && bits=64
  "$B/lgc" -O2 "$DIR/bench_6x64000.lgn" --emit=cubin --gpu-arch=sm_90 --time-steps \
    --gpu-kernel=block --gpu-block-threads=$2 --gpu-block-word-bits=$bits \
    --gpu-block-shared=232448 "${extra[@]}" -o "$DIR/$name.cubin"
  echo "bench $name $name.cubin 4000000 bench_6x64000.so" >> "$manifest"
done
# Both designs on 6x64000 (the block kernel beside in 32-bit words): 1M
# images, a quarter of the thread kernel's wave, take the block kernel
# (against bench_6x64000, the thread kernel on the same 1M).
name="bench_6x64000_both"
step "$name: cubin"
"$B/lgc" -O2 "$DIR/bench_6x64000.lgn" --emit=cubin --gpu-arch=sm_90 --time-steps \
  --gpu-kernel=both --gpu-block-threads=1024 -o "$DIR/$name.cubin"
echo "bench $name $name.cubin 1000000 bench_6x64000.so" >> "$manifest"
rm -f "$DIR"/*.lgn
cat > "$DIR/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs on the GPU machine: each net of the manifest with its own time limit
# (LGC_GPU_CHECK_TIMEOUT seconds, default 120), every figure printed as it
# is measured, then the summary table; then the trainer's check.
set -u
cd "$(dirname "$0")"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || true
status=0
limit="${LGC_GPU_CHECK_TIMEOUT:-120}"
rm -f results.tsv
for name in $(awk '!/^#/ {print $2}' manifest.txt); do
  if ! timeout "$limit" stdbuf -oL -eL ./lgc-gpu-check . "$name"; then
    echo "$name: FAILED or over ${limit} s"
    status=1
  fi
done
echo
./lgc-gpu-check --summary . || status=1
echo
timeout "${LGC_GPU_CHECK_TIMEOUT:-600}" stdbuf -oL -eL ./lgn-train-gpu-check || status=1
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
# throughput, the memory traffic (shared-memory wavefronts and bank
# conflicts, global sectors per request), occupancy and issue stalls.
#   NCU                     the ncu to run (default ncu)
#   KERNEL                  the kernels to profile, as ncu --kernel-name
#                           takes them (default regex:^lgc_net; e.g.
#                           lgc_net to profile a block-kernel entry's
#                           lgc_net from packed input, not its u8 form)
#   LGC_GPU_CHECK_TIMEOUT   seconds per entry (default 120)
set -u
cd "$(dirname "$0")"
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
  if ! timeout "${LGC_GPU_CHECK_TIMEOUT:-120}" stdbuf -oL -eL "$NCU" \
    --kernel-name "${KERNEL:-regex:^lgc_net}" --launch-skip 1 --launch-count 1 \
    --section SpeedOfLight --section MemoryWorkloadAnalysis_Tables \
    --section Occupancy --section SchedulerStats --section WarpStateStats \
    --section LaunchStats ./lgc-gpu-check . "$name"; then
    echo "$name: FAILED or over ${LGC_GPU_CHECK_TIMEOUT:-120} s"
    status=1
  fi
done
exit $status
PROFILE
chmod +x "$DIR/run.sh" "$DIR/profile.sh"
du -sh "$DIR"
echo "bundle ready: $DIR (run $DIR/run.sh on the GPU machine)"

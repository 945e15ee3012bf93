#!/usr/bin/env bash
# The GPU check, in two halves.
#
#   scripts/gpu-check.sh bundle [DIR]   here (no GPU needed): build lgc, make
#       test nets and their PTX (sm_80 and sm_90), the reference outputs from
#       the interpreter, and copy everything the GPU machine needs into DIR
#       (default build/gpu-bundle): lgc-gpu-check (glibc + driver only),
#       nets, Fashion-MNIST test images, expected outputs, run.sh.
#   DIR/run.sh                          on any machine with an NVIDIA GPU and
#       its driver (no CUDA toolkit, compiler or LLVM needed): copy DIR
#       there (scp -r, a shared disk, ...) and run it. Bit-exact checks
#       against the interpreter, then images/s for 784->6x8000 and 6x64000;
#       then the trainer: CPU and CUDA gradients agree within 1e-4, CUDA it/s
#       for 6x8000 and 6x64000 at batch 100 and 1000. Output is line-buffered
#       and each program has a time limit (LGC_GPU_CHECK_TIMEOUT seconds,
#       default 600), so a slow step cannot hide the results before it.
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
echo "# kind name samples" > "$manifest"
# Bit-exact checks: several shapes, both architectures, 10,000 real images.
i=0
for spec in "2x1000 10 0.45" "4x2000 10 -1" "3x600 25 0.2" "2x500 1 0.6"; do
  set -- $spec
  i=$((i + 1))
  pass=()
  [ "$3" != -1 ] && pass=(--pass-through "$3")
  "$B/lgn-gen" --inputs 784 --layers "$1" --classes "$2" --seed "$i" "${pass[@]}" -o "$DIR/check$i.lgn"
  for arch in sm_80 sm_90; do
    name="check${i}_$arch"
    "$B/lgc" -O2 "$DIR/check$i.lgn" --gpu-arch=$arch -o "$DIR/$name.ptx"
    "$B/lgc-gpu-check" --expect "$DIR/check$i.lgn" "$DIR/images.u8" 10000 "$DIR/$name.expected"
    echo "check $name 10000" >> "$manifest"
  done
done
# Throughput: the issue's nets, 1M and 4M samples.
for spec in "6x8000 4000000" "6x64000 1000000"; do
  set -- $spec
  "$B/lgn-gen" --inputs 784 --layers "$1" --classes 10 --seed 1 --pass-through 0.45 -o "$DIR/bench_$1.lgn"
  "$B/lgc" -O2 "$DIR/bench_$1.lgn" --gpu-arch=sm_90 -o "$DIR/bench_${1}_sm_90.ptx"
  echo "bench bench_${1}_sm_90 $2" >> "$manifest"
done
rm -f "$DIR"/*.lgn
cat > "$DIR/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs on the GPU machine: bit-exact checks, then throughput.
set -eu
cd "$(dirname "$0")"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || true
status=0
limit="${LGC_GPU_CHECK_TIMEOUT:-600}"
timeout "$limit" stdbuf -oL -eL ./lgc-gpu-check . || status=1
echo
timeout "$limit" stdbuf -oL -eL ./lgn-train-gpu-check || status=1
exit $status
RUN
chmod +x "$DIR/run.sh"
du -sh "$DIR"
echo "bundle ready: $DIR (run $DIR/run.sh on the GPU machine)"

#!/usr/bin/env bash
# Installs everything lgc needs on Debian 12 (bookworm) and configures and
# builds it in build/. Used by the README's commands and by CI.
#   LGC_SKIP_APT=1     skip apt-get (packages already present)
#   LGC_BUILD_DIR=dir  build directory (default build)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  cmake ninja-build ccache python3
  clang-19 lld-19 llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools libclang-rt-19-dev
  libfmt-dev zlib1g-dev libgtest-dev googletest libbenchmark-dev
  dataset-fashion-mnist python3-sklearn verilator iverilog yosys
  python3-numpy python3-pytest python3-torch python3-setuptools python3-wheel python3-venv
  python3-matplotlib
)

if [ "${LGC_SKIP_APT:-0}" != 1 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  echo "== apt: installing ${#PACKAGES[@]} packages"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
fi

BUILD="${LGC_BUILD_DIR:-build}"
# CUDA code builds wherever nvcc is (no GPU needed to build).
CUDA_ARGS=()
if [ -x /usr/local/cuda/bin/nvcc ]; then
  CUDA_ARGS=(-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc)
fi
# A configure without the compilers fails, but leaves a cache whose
# Release flags are empty: every later configure of that directory then
# builds without optimisation, silently. So stop before it.
for tool in clang-19 clang++-19; do
  command -v "$tool" >/dev/null || {
    echo "setup.sh: $tool not found (run without LGC_SKIP_APT=1 to install it)" >&2
    exit 1
  }
done
echo "== configure ($BUILD)"
cmake -G Ninja -S . -B "$BUILD" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
  -DLGC_ENABLE_FUZZ=ON "${CUDA_ARGS[@]}" ${LGC_CMAKE_ARGS:-} >/dev/null
echo "== build"
start=$(date +%s)
cmake --build "$BUILD"
echo "== built in $(( $(date +%s) - start )) s"

// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-words=3" -verify-diagnostics
// RUN: not lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-threads=1025" 2>&1 | FileCheck %s --check-prefix=THREADS
// RUN: not lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-word-bits=48" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-word-bits=32 block-word-argmax=true" 2>&1 | FileCheck %s --check-prefix=ARGMAX
// RUN: not lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-u8=false block-u8-prefetch=true" 2>&1 | FileCheck %s --check-prefix=PREFETCH

// A CUDA block has at most 1,024 threads; words are 64 or 32 bits, and
// the earlier argmax (a thread per 64-sample word) reads 64-bit ones;
// the pixels' prefetch is part of the u8 form.
// THREADS: block-errors.mlir:[[@LINE+7]]:1: error: block-threads must be at most 1024 (a CUDA block's limit), not 1025
// BITS: block-errors.mlir:[[@LINE+6]]:1: error: block-word-bits must be 0, 32 or 64, not 48
// ARGMAX: block-errors.mlir:[[@LINE+5]]:1: error: block-word-argmax needs 64-bit words (block-word-bits=64)
// PREFETCH: block-errors.mlir:[[@LINE+4]]:1: error: block-u8-prefetch needs the u8 form (block-u8=true)

// Words per block divide a tile's 32 and are at most 8.
// expected-error @+1 {{block-words must be 0, 1, 2, 4 or 8, not 3}}
lgn.net @net classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1):
  %0 = lgn.gate and %a, %b
  lgn.output %0, %a
}

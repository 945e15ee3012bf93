// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-words=3" -verify-diagnostics
// RUN: not lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-threads=1025" 2>&1 | FileCheck %s --check-prefix=THREADS

// A CUDA block has at most 1,024 threads.
// THREADS: block-errors.mlir:[[@LINE+4]]:1: error: block-threads must be at most 1024 (a CUDA block's limit), not 1025

// Words per block divide a tile's 32 and are at most 8.
// expected-error @+1 {{block-words must be 0, 1, 2, 4 or 8, not 3}}
lgn.net @net classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1):
  %0 = lgn.gate and %a, %b
  lgn.output %0, %a
}

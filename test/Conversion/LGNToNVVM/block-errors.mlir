// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-words=3" -verify-diagnostics
// RUN: not lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-shared-limit=64" 2>&1 | FileCheck %s --check-prefix=LIMIT
// RUN: not lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-words=2 block-shared-limit=100" 2>&1 | FileCheck %s --check-prefix=LIMIT2

// Words per block divide a tile's 32 and are at most 8.
// expected-error @+3 {{block-words must be 0, 1, 2, 4 or 8, not 3}}
// Shared memory: 9 slots (2 constants, 2 inputs, 1 gate, 1 x 2 chunk
// planes, 1 x 2 class planes) of 8 bytes per word: 72 bytes for one word.
lgn.net @net classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1):
  %0 = lgn.gate and %a, %b
  lgn.output %0, %a
}
// LIMIT: block-errors.mlir:9:1: error: the block kernel needs 72 bytes of shared memory per block (9 slots for values live at once and counts, 1 word per block), more than the limit of 64; use the thread kernel
// LIMIT2: error: the block kernel needs 144 bytes of shared memory per block (9 slots for values live at once and counts, 2 words per block), more than the limit of 100

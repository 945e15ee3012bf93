// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-words=3" -verify-diagnostics
// RUN: not lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-shared-limit=40" 2>&1 | FileCheck %s --check-prefix=LIMIT
// RUN: not lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-words=2 block-shared-limit=90" 2>&1 | FileCheck %s --check-prefix=LIMIT2

// Words per block divide a tile's 32 and are at most 8.
// expected-error @+4 {{block-words must be 0, 1, 2, 4 or 8, not 3}}
// Shared memory: 6 slots (2 constants, 2 inputs, 1 gate; one more for the
// chunk's 2 planes, which take %b's slot too; the class's planes take the
// outputs') of 8 bytes per word: 48 bytes for one word.
lgn.net @net classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1):
  %0 = lgn.gate and %a, %b
  lgn.output %0, %a
}
// LIMIT: block-errors.mlir:10:1: error: the block kernel needs 48 bytes of shared memory per block (6 slots for values live at once and counts, 1 word per block), more than the limit of 40; use the thread kernel
// LIMIT2: error: the block kernel needs 96 bytes of shared memory per block (6 slots for values live at once and counts, 2 words per block), more than the limit of 90

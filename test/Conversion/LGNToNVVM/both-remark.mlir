// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true both-kernels=true block-words=1 block-shared-limit=48 block-word-bits=64" -verify-diagnostics | FileCheck %s
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true both-kernels=true block-words=1 block-shared-limit=48" | FileCheck %s --check-prefix=HALF

// Beside the thread kernel, a block kernel whose values do not all fit
// shared memory (10 values, 48 bytes: 6 slots of 64-bit words) is left out
// with a remark; the module is the thread kernel's alone.
// expected-remark @+1 {{no block kernel beside the thread kernel: 4 of 10 values do not fit 48 bytes of shared memory}}
lgn.net @net classes 2 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1):
  %0 = lgn.gate and %a, %b
  %1 = lgn.gate xor %b, %c
  %2 = lgn.gate or %0, %1
  lgn.output %2, %a, %1, %0
}

// CHECK: llvm.func @lgc_net(
// CHECK-NOT: __lgc_gen_block_shape
// CHECK-NOT: lgc_net_block

// By default the block kernel takes 32-bit words where 64-bit ones do not
// fit and they do (10 slots x 4 bytes = 40): lgc_net_block is there.
// HALF: llvm.func @lgc_net(
// HALF: @__lgc_gen_block_shape(dense<[10, 3, 3, 2, 4, 3, 1, 2, 0, 1, 1, 256, 40, 5, 1, 0, 0, 0, 0, 32]>
// HALF: llvm.func @lgc_net_block(

// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true both-kernels=true block-words=1 block-shared-limit=48" -verify-diagnostics | FileCheck %s

// Beside the thread kernel, a block kernel whose values do not all fit
// shared memory (10 values, 48 bytes: 6 slots) is left out with a remark;
// the module is the thread kernel's alone.
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

// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true" | FileCheck %s
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true lop3-adders=false" | FileCheck %s --check-prefix=ANDOR

// The block kernel's count leaves the constant output bits out of its
// loads: a 0 adds nothing, and each group of the first reduction adds its
// share of its class's 1s from a table. Class 0 is %0 and two 1s (and a
// 0), class 1 is %1 and %a and a 1: two bits a class at most, one group
// of two each (shape F 2, kIn 1, kOut K = 3 planes for 4 bits, 1 group).
// Slots: 0 and 1 the constants, 2-4 the inputs, 5 and 6 the gates. Each
// group's row of slots is padded to four (a thread loads them 16 bytes at
// a time), the outputs' three too.
// CHECK: @__lgc_gen_block_reduce0_in(dense<[5, 0, 0, 0, 6, 2, 0, 0]> : tensor<8xi32>) {{.*}}alignment = 16
// CHECK: @__lgc_gen_block_reduce0_out(dense<[4, 3, 7, 0, 8, 9, 10, 0]> : tensor<8xi32>) {{.*}}alignment = 16
// CHECK: @__lgc_gen_block_reduce0_ones(dense<[2, 1]>
// CHECK: @__lgc_gen_block_reduce0_shape(dense<[2, 1, 3, 1]>
// The reduction's thread loads its group's number of 1s and adds bit j of
// it as all ones or none at weight 2^j, then its two bits.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_block_phase
// CHECK: llvm.mlir.addressof @__lgc_gen_block_reduce0_ones
// CHECK: llvm.lshr
// CHECK: llvm.icmp "ne"
// CHECK: llvm.select {{.*}} : i1, i64
// CHECK: llvm.load {{.*}} invariant {alignment = 16 : i64} : !llvm.ptr<1> -> vector<4xi32>
// CHECK-NEXT: llvm.mlir.constant(0 : i32)
// CHECK-NEXT: llvm.extractelement
// CHECK-NEXT: llvm.zext
// CHECK-NEXT: llvm.mlir.constant(1 : i32)
// CHECK-NEXT: llvm.extractelement
// CHECK-NEXT: llvm.zext
// CHECK: llvm.load {{.*}} : !llvm.ptr<3> -> i64
// Column 0's three bits (the 1s' bit 0 and the two loaded) make a full
// adder, its carry the majority as a lop3 a half (0xe8 = 232).
// CHECK: llvm.load {{.*}} : !llvm.ptr<3> -> i64
// CHECK: llvm.inline_asm "{{.*}}lop3.b32 dl, pl, ql, rl, 232;{{.*}}lop3.b32 dh, ph, qh, rh, 232;{{.*}}", "=l,l,l,l"
// ANDOR-LABEL: llvm.func internal @__lgc_gpu_block_phase
// ANDOR-NOT: lop3
// ANDOR: llvm.return

lgn.net @net classes 2 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1):
  %t = lgn.constant true
  %f = lgn.constant false
  %0 = lgn.gate and %a, %b
  %1 = lgn.gate xor %b, %c
  lgn.output %0, %t, %t, %f, %1, %f, %t, %a
}

// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-fuse-gates=true" | FileCheck %s
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true" | FileCheck %s --check-prefix=PLAIN

// Fused gates (block-fuse-gates): %0 and %1 are read by %2 alone, %3 by
// %4 alone, so each is evaluated inside its reader's entry, in registers,
// with no slot: %2 an entry with two fused operands, %4 one with one. Both
// read only inputs now, so the net is one level (phases: inputs, level 1,
// the reduction, the argmax); slots 0-1 the constants, 2-5 the inputs, 6
// and 7 the two entries' results (8 words x 8 slots x 8 bytes = 512).
// CHECK: @__lgc_gen_shape(dense<[10, 4, 4, 2, 2, 5, 1, 1, 0, 1, 8, 256, 512, 4, 1, 0, 0, 0, 0, 64]>
// No plain entries.
// CHECK: @__lgc_gen_block_gates(dense<0> : tensor<1xi64>
// CHECK: @__lgc_gen_block_levels(dense<0> : tensor<2xi32>
// One fused operand, two i64 (16-byte aligned, one vector load): leaves
// 2 (%a) and 5 (%d) of %3, result slot 6, %4's table transposed so that
// its fused operand is its a (implies b, x: 0b1101 = 13), %3's table
// (not_xor: 9), each as the kernel's masks (f(0,0), f(0,0) ^ f(0,1),
// f(1,0), f(1,0) ^ f(1,1): 13 as 7, 9 as 11; mask j of all, 4 t + xy for
// table t, at bit 32 + (j odd ? 31 : 23) - j / 2, the sign bit of byte 6
// or 7 of the entry shifted left by j / 2: table 0's at 55, 63, 54, 62,
// table 1's at 53, 61, 52, 60, table 2's at 51, 59, 50, 58); then %4's
// other operand, slot 3 (%b); each slot as its byte offset (8 x the
// slot): 16 | 40 << 16 | 48 << 32 | bits 55, 63, 54 (7) and 53, 61, 60
// (11) = 0xB0E0003000280010, then 24.
// CHECK: @__lgc_gen_block_trees1(dense<[-5701556922089996272, 24]> : tensor<2xi64>) {{.*}}alignment = 16
// CHECK: @__lgc_gen_block_trees1_levels(dense<[0, 1]>
// Two: %0's leaves 2, 3, result 7, tables or (14, masks 6), and (8,
// masks 8), xor (6, masks 14): 16 | 24 << 16 | 56 << 32 | bits 63, 54
// (6), 60 (8) and 59, 50, 58 (14) = 0x9C44003800180010; then %1's leaves
// 32 | 40 << 16 = 2621472.
// CHECK: @__lgc_gen_block_trees2(dense<[-7186618864856727536, 2621472]> : tensor<2xi64>) {{.*}}alignment = 16
// CHECK: @__lgc_gen_block_trees2_levels(dense<[0, 1]>
// CHECK: @__lgc_gen_block_reduce0_in(dense<[7, 0, 0, 0, 6, 0, 0, 0]>
// The level's loops: plain entries (one i64), then the entries of one and
// of two fused operands (a vector of two i64 each, four per round).
// CHECK-LABEL: llvm.func internal @__lgc_gpu_block_phase
// The tables are constant: invariant loads in the global address space
// (ld.global.nc).
// CHECK: llvm.mlir.addressof @__lgc_gen_block_gates
// CHECK: llvm.load {{.*}} invariant {alignment = 8 : i64} : !llvm.ptr<1> -> i64
// CHECK: llvm.mlir.addressof @__lgc_gen_block_trees1
// CHECK: llvm.load {{.*}} invariant {alignment = 16 : i64} : !llvm.ptr<1> -> vector<2xi64>
// CHECK: llvm.mlir.addressof @__lgc_gen_block_trees2
// CHECK: llvm.load {{.*}} invariant {alignment = 16 : i64} : !llvm.ptr<1> -> vector<2xi64>

// Unfused (the default): five plain entries in two levels (3 and 2), no
// fused tables.
// PLAIN: @__lgc_gen_shape(dense<[10, 4, 4, 2, 2, 5, 1, 1, 0, 1, 8, 256, 576, 5, 1, 0, 0, 0, 0, 64]>
// PLAIN: @__lgc_gen_block_levels(dense<[0, 3, 5]>
// PLAIN-NOT: __lgc_gen_block_trees

lgn.net @net classes 2 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1, %d: i1):
  %0 = lgn.gate and %a, %b
  %1 = lgn.gate xor %c, %d
  %2 = lgn.gate or %0, %1
  %3 = lgn.gate not_xor %a, %d
  %4 = lgn.gate implies %b, %3
  lgn.output %2, %4
}

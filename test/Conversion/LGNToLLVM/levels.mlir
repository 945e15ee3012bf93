// RUN: lgc-opt %s --convert-lgn-to-llvm=vector-words=2 | FileCheck %s
// RUN: lgc-opt %s --convert-lgn-to-nvvm | FileCheck %s --check-prefix=GPU

// A thermometer encoding reaches the generated tables as levels: the shape's
// last slot counts them, and the per-bit tables follow the rule
// bit j * F + f = feature f > level j (GeneratedABI.h).
// CHECK: llvm.mlir.global external constant @__lgc_gen_shape(dense<[10, 6, 3, 1, 1, 1, 2, 1, 1, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]> : tensor<20xi32>)
// CHECK: llvm.mlir.global external constant @__lgc_gen_bit_feature(dense<[0, 1, 2, 0, 1, 2]> : tensor<6xi32>)
// CHECK: llvm.mlir.global external constant @__lgc_gen_bit_threshold(dense<[2.500000e-01, 2.500000e-01, 2.500000e-01, 7.500000e-01, 7.500000e-01, 7.500000e-01]> : tensor<6xf32>)

// The GPU tables: the same shape slots (one word per value) and the 8-bit
// thresholds: the smallest v with v / 255 > t.
// GPU: llvm.mlir.global external constant @__lgc_gen_shape(dense<[10, 6, 3, 1, 1, 1, 1, 1, 1, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]> : tensor<20xi32>) {addr_space = 1 : i32}
// GPU: llvm.mlir.global external constant @__lgc_gen_bit_threshold_u8(dense<[64, 64, 64, 192, 192, 192]> : tensor<6xi32>) {addr_space = 1 : i32}
lgn.net @net classes 1 tau 1.0 attributes {features = 3 : i32, levels = array<f32: 0.25, 0.75>} {
^bb0(%a0: i1, %a1: i1, %a2: i1, %b0: i1, %b1: i1, %b2: i1):
  %0 = lgn.gate xor %a0, %b2
  lgn.output %0
}

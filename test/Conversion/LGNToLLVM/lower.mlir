// RUN: lgc-opt %s --convert-lgn-to-llvm=vector-words=4 | FileCheck %s
// RUN: lgc-opt %s --convert-lgn-to-llvm="vector-words=2 gates-per-function=1" | FileCheck %s --check-prefix=SPLIT

// Gates become bitwise ops on <8 x i32> (four 64-sample words in 32-bit
// lanes), emitted depth-first from the outputs; every output bit goes to
// the scratch buffer. Inputs and scratch never overlap, and inputs are
// loaded as invariant (not ordered after the stores to scratch).
// CHECK-LABEL: llvm.func internal @__lgc_gen_gates_0(%arg0: !llvm.ptr {llvm.noalias}, %arg1: !llvm.ptr {llvm.noalias})
// CHECK-SAME:    passthrough = ["nounwind", ["min-legal-vector-width", "256"]
// CHECK:         %[[P0:.*]] = llvm.getelementptr %arg0[0] : (!llvm.ptr) -> !llvm.ptr, vector<8xi32>
// CHECK-NEXT:    %[[A:.*]] = llvm.load %[[P0]] invariant {alignment = 32 : i64} : !llvm.ptr -> vector<8xi32>
// CHECK:         %[[B:.*]] = llvm.load {{.*}} : !llvm.ptr -> vector<8xi32>
// CHECK-NEXT:    %[[AND:.*]] = llvm.and %[[A]], %[[B]] : vector<8xi32>
// not_implies(a, c) = a & ~c
// CHECK:         %[[C:.*]] = llvm.load {{.*}} : !llvm.ptr -> vector<8xi32>
// CHECK-NEXT:    %[[ONES:.*]] = llvm.mlir.constant(dense<-1> : vector<8xi32>) : vector<8xi32>
// CHECK-NEXT:    %[[NC:.*]] = llvm.xor %[[C]], %[[ONES]] : vector<8xi32>
// CHECK-NEXT:    %[[ANDN:.*]] = llvm.and %[[A]], %[[NC]] : vector<8xi32>
// CHECK:         %[[XOR:.*]] = llvm.xor %[[AND]], %[[ANDN]] : vector<8xi32>
// CHECK:         llvm.store %[[XOR]], {{.*}} {alignment = 32 : i64} : vector<8xi32>, !llvm.ptr
// CHECK:         llvm.return

// The entry point calls each chunk.
// CHECK-LABEL: llvm.func @__lgc_gen_eval(%arg0: !llvm.ptr {llvm.noalias}, %arg1: !llvm.ptr {llvm.noalias})
// CHECK:         llvm.call @__lgc_gen_gates_0(%arg0, %arg1)
// CHECK-NEXT:    llvm.return

// The net's description for the support library.
// CHECK:       llvm.mlir.global external constant @__lgc_gen_outputs(dense<[0, -3, -2147483647, -2147483648]> : tensor<4xi32>)
// CHECK:       llvm.mlir.global external constant @__lgc_gen_shape(dense<[10, 3, 3, 2, 4, 3, 4, 2, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]> : tensor<20xi32>)
// CHECK:       llvm.mlir.global external constant @__lgc_gen_bit_feature(dense<[0, 1, 2]> : tensor<3xi32>)
// CHECK:       llvm.mlir.global external constant @__lgc_gen_bit_threshold(dense<5.000000e-01> : tensor<3xf32>)
// CHECK:       llvm.mlir.global external constant @__lgc_gen_tau(2.500000e+00 : f64)
// CHECK-NOT:   lgn.

// With one gate per function the cut values go through scratch slots.
// SPLIT-LABEL: llvm.func internal @__lgc_gen_gates_0
// SPLIT:         llvm.and
// SPLIT:         llvm.store {{.*}} : vector<4xi32>, !llvm.ptr
// SPLIT-LABEL: llvm.func internal @__lgc_gen_gates_1
// SPLIT-LABEL: llvm.func internal @__lgc_gen_gates_2
// SPLIT:         llvm.getelementptr %arg1[{{[0-9]+}}]
// SPLIT:         llvm.xor
// SPLIT-LABEL: llvm.func @__lgc_gen_eval
// SPLIT-COUNT-3: llvm.call
lgn.net @net classes 2 tau 2.5 {
^bb0(%a: i1, %b: i1, %c: i1):
  %dead = lgn.gate or %a, %b
  %0 = lgn.gate and %a, %b
  %1 = lgn.gate not_implies %a, %c
  %2 = lgn.gate xor %0, %1
  %t = lgn.constant true
  %f = lgn.constant false
  lgn.output %2, %c, %t, %f
}

// RUN: lgc-opt %s --convert-lgn-to-nvvm="count-in-code=true output-locality=0" | FileCheck %s

// Outputs that are constants (the constant one, twice, among three gates)
// are added to the counter with the full adders folded: no adder reads the
// all-ones constant, only the negation of a sum does. Left to LLVM, such
// adders (1,082 in 784-6x8000) made its DAG combiner's time grow with the
// square of a function's size. The outputs are counted in output order
// (output-locality=0), so that each constant meets a gate's output.

// The first adder takes the and, 1 and the xor: maj(x, 1, y) = x | y, and
// x ^ 1 ^ y = ~(x ^ y); the second its sum, 1 and the or.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_gates_0(
// CHECK:         %[[AND:.*]] = llvm.and %{{.*}}, %{{.*}} : i64
// CHECK-NEXT:    %[[ONES:.*]] = llvm.mlir.constant(-1 : i64) : i64
// CHECK:         %[[XOR:.*]] = llvm.xor %{{.*}}, %{{.*}} : i64
// CHECK-NEXT:    %[[C1:.*]] = llvm.or %[[AND]], %[[XOR]] : i64
// CHECK-NEXT:    %[[X1:.*]] = llvm.xor %[[AND]], %[[XOR]] : i64
// CHECK-NEXT:    %[[S1:.*]] = llvm.xor %[[X1]], %[[ONES]] : i64
// CHECK-NEXT:    %[[OR:.*]] = llvm.or %[[AND]], %[[XOR]] : i64
// CHECK-NEXT:    %[[C2:.*]] = llvm.or %[[S1]], %[[OR]] : i64
// CHECK-NEXT:    %[[X2:.*]] = llvm.xor %[[S1]], %[[OR]] : i64
// CHECK-NEXT:    %[[S2:.*]] = llvm.xor %[[X2]], %[[ONES]] : i64
// The counter for the count function: the sum in column 0's first slot,
// the two carries in column 1's.
// CHECK-NEXT:    %[[P0:.*]] = llvm.getelementptr %arg1[0]
// CHECK-NEXT:    llvm.store %[[S2]], %[[P0]]
// CHECK-NEXT:    %[[P2:.*]] = llvm.getelementptr %arg1[64]
// CHECK-NEXT:    llvm.store %[[C1]], %[[P2]]
// CHECK-NEXT:    %[[P3:.*]] = llvm.getelementptr %arg1[96]
// CHECK-NEXT:    llvm.store %[[C2]], %[[P3]]
// CHECK-NEXT:    llvm.return

lgn.net @net classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1):
  %t = lgn.constant true
  %0 = lgn.gate and %a, %b
  %1 = lgn.gate xor %a, %c
  %2 = lgn.gate or %0, %1
  lgn.output %0, %t, %1, %t, %2
}

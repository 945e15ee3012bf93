// RUN: lgc-opt %s --convert-lgn-to-llvm="vector-words=1 register-window=1" | FileCheck %s --check-prefix=NEAR
// RUN: lgc-opt %s --convert-lgn-to-llvm="vector-words=1 register-window=3" | FileCheck %s --check-prefix=FAR
// RUN: lgc-opt %s --convert-lgn-to-llvm="vector-words=1 gates-per-function=1" | FileCheck %s --check-prefix=REUSE

// %0 is read one gate and three gates after it is computed. With a window
// of one gate it is stored once and reloaded for the far use (and input %b,
// last loaded two gates before, is loaded again).
// NEAR-LABEL: llvm.func internal @__lgc_gen_gates_0
// NEAR:         %[[X:.*]] = llvm.xor
// NEAR-NEXT:    %[[S0:.*]] = llvm.getelementptr %arg1[0]
// NEAR-NEXT:    llvm.store %[[X]], %[[S0]]
// NEAR-NEXT:    %[[AND:.*]] = llvm.and %[[X]], %{{.*}}
// NEAR-NEXT:    llvm.getelementptr %arg0[1]
// NEAR-NEXT:    %[[B:.*]] = llvm.load
// NEAR-NEXT:    %[[OR:.*]] = llvm.or %[[AND]], %[[B]]
// NEAR-NEXT:    llvm.getelementptr %arg1[0]
// NEAR-NEXT:    %[[R:.*]] = llvm.load
// NEAR-NEXT:    llvm.xor %[[OR]], %[[R]]
// The output takes slot 1; two slots in all.
// NEAR:       @__lgc_gen_outputs(dense<1> : tensor<1xi32>)
// NEAR:       @__lgc_gen_shape(dense<[10, 2, 2, 1, 1, 4, 1, 1, 2, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]>

// A window of three keeps %0 in a register: one store, the output's.
// FAR-LABEL: llvm.func internal @__lgc_gen_gates_0
// FAR:         %[[X:.*]] = llvm.xor
// FAR-NOT:     llvm.store
// FAR:         llvm.xor %{{.*}}, %[[X]]
// FAR-NEXT:    llvm.getelementptr %arg1[0]
// FAR-NEXT:    llvm.store
// FAR:       @__lgc_gen_outputs(dense<0> : tensor<1xi32>)
// FAR:       @__lgc_gen_shape(dense<[10, 2, 2, 1, 1, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]>

// One gate per function: every value crosses. %1 dies at gate 2, and the
// output (gate 3) reuses its slot: three slots for four values.
// REUSE-LABEL: llvm.func internal @__lgc_gen_gates_1
// REUSE:         llvm.getelementptr %arg1[1]
// REUSE-NEXT:    llvm.store
// REUSE-LABEL: llvm.func internal @__lgc_gen_gates_3
// REUSE:         llvm.getelementptr %arg1[1]
// REUSE-NEXT:    llvm.store
// REUSE:       @__lgc_gen_outputs(dense<1> : tensor<1xi32>)
// REUSE:       @__lgc_gen_shape(dense<[10, 2, 2, 1, 1, 4, 1, 1, 3, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]>
lgn.net @net classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1):
  %0 = lgn.gate xor %a, %b
  %1 = lgn.gate and %0, %a
  %2 = lgn.gate or %1, %b
  %3 = lgn.gate xor %2, %0
  lgn.output %3
}

// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="gates-per-function=2" | FileCheck %s
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="gates-per-function=2 remat-depth=1" | FileCheck %s --check-prefixes=ONE,INPUTS
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="gates-per-function=2 remat-depth=0" | FileCheck %s --check-prefixes=ONE,LOADED
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="gates-per-function=2 register-window=8" | FileCheck %s --check-prefixes=ONE,LOADED
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="gates-per-function=2 remat-inputs=false" | FileCheck %s --check-prefix=LOADED

// The thread kernel recomputes a gate of an earlier function from operands
// the reading function has anyway, instead of loading it from scratch.
// Here function 1 (%2, %3) reads %1 = %0 | c and the inputs a, b and c;
// %0 = a & b is read by no gate of function 1, so two gates deep (the
// default) function 1 recomputes both, %1 needs no home, and function 0
// stores nothing.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_gates_0(
// CHECK-NOT:     llvm.store
// CHECK:         llvm.return
// CHECK-LABEL: llvm.func internal @__lgc_gpu_gates_1(
// CHECK-NOT:     llvm.load {{.*}} : !llvm.ptr -> i64
// CHECK:         %[[A:.*]] = llvm.load {{.*}} invariant
// CHECK:         %[[B:.*]] = llvm.load {{.*}} invariant
// CHECK-NEXT:    %[[AB:.*]] = llvm.and %[[A]], %[[B]]
// CHECK:         %[[C:.*]] = llvm.load {{.*}} invariant
// CHECK-NEXT:    %[[R:.*]] = llvm.or %[[AB]], %[[C]]
// CHECK-NEXT:    llvm.xor %[[R]], %[[A]]
// CHECK:         llvm.return

// One gate deep, not at all, or with a register window (a value may leave
// its register there): %1 is stored in slot 0 and loaded back.
// ONE-LABEL: llvm.func internal @__lgc_gpu_gates_0(
// ONE:         %[[R:.*]] = llvm.or
// ONE-NEXT:    %[[S:.*]] = llvm.getelementptr %arg1[0]
// ONE-NEXT:    llvm.store %[[R]], %[[S]]
// ONE-LABEL: llvm.func internal @__lgc_gpu_gates_1(
// ONE:         %[[L:.*]] = llvm.getelementptr %arg1[0]
// ONE-NEXT:    %[[V:.*]] = llvm.load %[[L]] {{.*}} : !llvm.ptr -> i64
// ONE:         llvm.xor %[[V]]
lgn.net @net classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1):
  %0 = lgn.gate and %a, %b
  %1 = lgn.gate or %0, %c
  %2 = lgn.gate xor %1, %a
  %3 = lgn.gate and %b, %c
  lgn.output %2, %3
}

// -----

// Loading inputs to recompute: function 1 (%2, %3) reads %0 = a & d, of
// function 0, and a, but not d. Loading d instead of %0 is one load for a
// load and a store (%0 is read by no other function), so function 1 loads
// input d (row 3, offset 96 words) and recomputes %0; function 0 stores
// only its output %1. Not from what it reads alone (remat-inputs=false),
// not without recomputing: %0 is stored in slot 0 and loaded back.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_gates_0(
// CHECK:         llvm.store
// CHECK-NOT:     llvm.store
// CHECK:         llvm.return
// CHECK-LABEL: llvm.func internal @__lgc_gpu_gates_1(
// CHECK-NOT:     llvm.load {{.*}} : !llvm.ptr -> i64
// CHECK:         %[[A:.*]] = llvm.load {{.*}} invariant
// CHECK-NEXT:    %[[DP:.*]] = llvm.getelementptr %{{.*}}[96]
// CHECK-NEXT:    %[[D:.*]] = llvm.load %[[DP]] invariant
// CHECK-NEXT:    %[[AD:.*]] = llvm.and %[[A]], %[[D]]
// CHECK-NEXT:    llvm.xor %[[AD]], %[[A]]
// (Past the first net's kernel, the checks of this net.)
// INPUTS:       llvm.func @lgc_net(
// INPUTS:       llvm.func internal @__lgc_gpu_gates_1(
// INPUTS:         llvm.getelementptr %{{.*}}[96]
// LOADED:       llvm.func @lgc_net(
// LOADED:       llvm.func internal @__lgc_gpu_gates_0(
// LOADED:         %[[AD:.*]] = llvm.and
// LOADED-NEXT:    %[[S:.*]] = llvm.getelementptr %arg1[0]
// LOADED-NEXT:    llvm.store %[[AD]], %[[S]]
// LOADED:       llvm.func internal @__lgc_gpu_gates_1(
// LOADED-NEXT:    llvm.addrspacecast
// LOADED-NEXT:    %[[L:.*]] = llvm.getelementptr %arg1[0]
// LOADED-NEXT:    llvm.load %[[L]] {{.*}} : !llvm.ptr -> i64
lgn.net @net classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1, %d: i1):
  %0 = lgn.gate and %a, %d
  %1 = lgn.gate or %0, %b
  %2 = lgn.gate xor %0, %a
  %3 = lgn.gate and %2, %b
  lgn.output %1, %3
}

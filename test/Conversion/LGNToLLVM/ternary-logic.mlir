// RUN: lgc-opt %s --convert-lgn-to-llvm="vector-words=8 ternary-logic=1" | FileCheck %s
// RUN: lgc-opt %s --convert-lgn-to-llvm="vector-words=4 ternary-logic=1" | FileCheck %s --check-prefix=YMM
// RUN: not lgc-opt %s --convert-lgn-to-llvm="vector-words=1 ternary-logic=1" 2>&1 | FileCheck %s --check-prefix=ERR

// %0 is used only by the gate right after it, so xor(and(a, b), c) is one
// three-input function: bit (a << 2 | b << 1 | c) of 106 = 0b01101010.
// CHECK-LABEL: llvm.func internal @__lgc_gen_gates_0
// CHECK:         %[[A:.*]] = llvm.load %{{.*}} invariant
// CHECK:         %[[B:.*]] = llvm.load %{{.*}} invariant
// CHECK:         %[[C:.*]] = llvm.load %{{.*}} invariant
// CHECK-NEXT:    %[[T1:.*]] = llvm.mlir.constant(106 : i32) : i32
// CHECK-NEXT:    %[[X:.*]] = llvm.call_intrinsic "llvm.x86.avx512.pternlog.d.512"(%[[A]], %[[B]], %[[C]], %[[T1]])
// %1 absorbed %0, so %2 does not absorb %1 (four inputs): not_implies(x, y)
// as vpternlogd(x, y, y) is bits 4 and 5 (x = 1, y = 0), 48.
// CHECK-NEXT:    %[[T2:.*]] = llvm.mlir.constant(48 : i32) : i32
// CHECK-NEXT:    %[[R:.*]] = llvm.call_intrinsic "llvm.x86.avx512.pternlog.d.512"(%[[X]], %[[A]], %[[A]], %[[T2]])
// CHECK:         llvm.store %[[R]]
// CHECK-NOT:   llvm.and
// CHECK-NOT:   llvm.xor

// YMM: llvm.call_intrinsic "llvm.x86.avx512.pternlog.d.256"
// ERR: error: 'lgn.net' op ternary logic needs vectors of 2, 4 or 8 words
lgn.net @net classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1):
  %0 = lgn.gate and %a, %b
  %1 = lgn.gate xor %0, %c
  %2 = lgn.gate not_implies %1, %a
  lgn.output %2
}

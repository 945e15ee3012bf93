// RUN: lgc-opt %s --lgn-print-stats=title=before -o /dev/null 2>&1 | FileCheck %s

// CHECK-LABEL: === lgn-print-stats @stats (before) ===
// CHECK-NEXT:  inputs:    3 (1 unused)
// CHECK-NEXT:  gates:     4
// CHECK-NEXT:  constants: 1
// CHECK-NEXT:  outputs:   2 in 2 classes
// CHECK-NEXT:  depth:     3
// CHECK-NEXT:  kinds:     and=2 xor=1 not_a=1
// CHECK-NEXT:  layers:    0=2 1=1 none=1
// CHECK-NEXT:    layer 0: and=1 xor=1
// CHECK-NEXT:    layer 1: and=1
// CHECK-NEXT:    layer none: not_a=1
// Readers per input or gate: z none, %0 %1 %3 one, x y and %2 (both of
// not_a's operands) two.
// CHECK-NEXT:  fan-out:   0=1 1=3 2=3 (max 2)
lgn.net @stats classes 2 tau 1.0 {
^bb0(%x: i1, %y: i1, %z: i1):
  %0 = lgn.gate and %x, %y layer 0
  %1 = lgn.gate xor %x, %y layer 0
  %2 = lgn.gate and %0, %1 layer 1
  %3 = lgn.gate not_a %2, %2
  %c = lgn.constant false
  lgn.output %3, %c
}

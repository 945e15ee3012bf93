// RUN: lgc-opt %s --lgn-remove-dead-gates | FileCheck %s

// Gates that reach no output go, chains included; unused inputs stay.
// CHECK-LABEL: lgn.net @dead_chain
// CHECK:       ^bb0(%arg0: i1, %arg1: i1, %arg2: i1):
// CHECK-NEXT:  %[[G:.*]] = lgn.gate and %arg0, %arg1
// CHECK-NEXT:  lgn.output %[[G]]
lgn.net @dead_chain classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1, %z: i1):
  %0 = lgn.gate and %x, %y
  %1 = lgn.gate xor %x, %z
  %2 = lgn.gate or %1, %y
  %3 = lgn.gate not_a %2, %2
  %c = lgn.constant true
  lgn.output %0
}

// A gate used by a live gate stays.
// CHECK-LABEL: lgn.net @live_chain
// CHECK:       lgn.gate xor
// CHECK-NEXT:  lgn.gate or
// CHECK-NEXT:  lgn.output
lgn.net @live_chain classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %0 = lgn.gate xor %x, %y
  %1 = lgn.gate or %0, %y
  lgn.output %1
}

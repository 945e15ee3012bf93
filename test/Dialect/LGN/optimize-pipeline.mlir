// RUN: lgc-opt %s --lgn-optimize | FileCheck %s

// The default pipeline: folds, hashing, then folds exposed by the merge
// (xor(g, g') with g = g' is 0), then dead gates.
// CHECK-LABEL: lgn.net @pipeline
// CHECK-DAG:   %[[F:.*]] = lgn.constant false
// CHECK-DAG:   %[[G:.*]] = lgn.gate not_implies %arg0, %arg1
// CHECK-NOT:   lgn.gate
// CHECK:       lgn.output %[[F]], %[[G]]
lgn.net @pipeline classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1, %z: i1):
  %0 = lgn.gate and %x, %y
  %1 = lgn.gate and %y, %x
  %2 = lgn.gate xor %0, %1
  %n = lgn.gate not_a %y, %y
  %3 = lgn.gate and %x, %n
  %4 = lgn.gate a %3, %z
  %dead = lgn.gate or %x, %z
  lgn.output %2, %4
}

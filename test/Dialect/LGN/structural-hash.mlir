// RUN: lgc-opt %s --lgn-structural-hash | FileCheck %s

// Identical gates merge.
// CHECK-LABEL: lgn.net @identical
// CHECK:       %[[G:.*]] = lgn.gate and %arg0, %arg1
// CHECK-NOT:   lgn.gate
// CHECK:       lgn.output %[[G]], %[[G]]
lgn.net @identical classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %0 = lgn.gate and %x, %y
  %1 = lgn.gate and %x, %y
  lgn.output %0, %1
}

// and(x, y) and and(y, x); not_implies(x, y) and not_implied_by(y, x).
// CHECK-LABEL: lgn.net @commuted
// CHECK:       %[[G:.*]] = lgn.gate and %arg0, %arg1
// CHECK-NEXT:  %[[H:.*]] = lgn.gate not_implies %arg0, %arg1
// CHECK-NEXT:  lgn.output %[[G]], %[[G]], %[[H]], %[[H]]
lgn.net @commuted classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %0 = lgn.gate and %x, %y
  %1 = lgn.gate and %y, %x
  %2 = lgn.gate not_implies %x, %y
  %3 = lgn.gate not_implied_by %y, %x
  lgn.output %0, %1, %2, %3
}

// not_implies(x, y) = and(x, not(y)): hashing looks through NOTs.
// CHECK-LABEL: lgn.net @through_not
// CHECK:       %[[G:.*]] = lgn.gate not_implies %arg0, %arg1
// CHECK-NOT:   lgn.gate and
// CHECK:       lgn.output %[[G]], %[[G]]
lgn.net @through_not classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %n = lgn.gate not_a %y, %y
  %0 = lgn.gate not_implies %x, %y
  %1 = lgn.gate and %x, %n
  lgn.output %0, %1
}

// not_and(x, y) is the complement of and(x, y): it becomes a NOT of it.
// CHECK-LABEL: lgn.net @complement
// CHECK:       %[[G:.*]] = lgn.gate and %arg0, %arg1
// CHECK-NEXT:  %[[N:.*]] = lgn.gate not_a %[[G]], %[[G]]
// CHECK-NEXT:  lgn.output %[[G]], %[[N]]
lgn.net @complement classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %0 = lgn.gate and %x, %y
  %1 = lgn.gate not_and %x, %y
  lgn.output %0, %1
}

// Merges cascade through users in one walk.
// CHECK-LABEL: lgn.net @cascade
// CHECK:       %[[G:.*]] = lgn.gate and %arg0, %arg1
// CHECK-NEXT:  %[[X:.*]] = lgn.gate xor %[[G]], %arg2
// CHECK-NEXT:  lgn.output %[[X]], %[[X]]
lgn.net @cascade classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1, %z: i1):
  %0 = lgn.gate and %x, %y
  %1 = lgn.gate and %y, %x
  %2 = lgn.gate xor %0, %z
  %3 = lgn.gate xor %1, %z
  lgn.output %2, %3
}

// Different functions of the same operands stay apart.
// CHECK-LABEL: lgn.net @distinct
// CHECK:       lgn.gate and %arg0, %arg1
// CHECK-NEXT:  lgn.gate or %arg0, %arg1
// CHECK-NEXT:  lgn.gate and %arg0, %arg2
lgn.net @distinct classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1, %z: i1):
  %0 = lgn.gate and %x, %y
  %1 = lgn.gate or %x, %y
  %2 = lgn.gate and %x, %z
  lgn.output %0, %1, %2
}

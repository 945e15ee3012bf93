// RUN: lgc-opt %s --canonicalize | FileCheck %s
// RUN: lgc-opt %s --lgn-simplify --lgn-remove-dead-gates | FileCheck %s

// not(not(x)) -> x
// CHECK-LABEL: lgn.net @double_not
// CHECK-NOT:   lgn.gate
// CHECK:       lgn.output %arg0
lgn.net @double_not classes 1 tau 1.0 {
^bb0(%x: i1):
  %0 = lgn.gate not_a %x, %x
  %1 = lgn.gate not_a %0, %0
  lgn.output %1
}

// and(not(x), y) -> not_implied_by(x, y)
// CHECK-LABEL: lgn.net @absorb_lhs
// CHECK-NOT:   not_a
// CHECK:       %[[G:.*]] = lgn.gate not_implied_by %arg0, %arg1
// CHECK-NEXT:  lgn.output %[[G]]
lgn.net @absorb_lhs classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %n = lgn.gate not_a %x, %x
  %0 = lgn.gate and %n, %y
  lgn.output %0
}

// or(x, not(y)) -> implied_by(x, y)
// CHECK-LABEL: lgn.net @absorb_rhs
// CHECK:       %[[G:.*]] = lgn.gate implied_by %arg0, %arg1
// CHECK-NEXT:  lgn.output %[[G]]
lgn.net @absorb_rhs classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %n = lgn.gate not_b %x, %y
  %0 = lgn.gate or %x, %n
  lgn.output %0
}

// xor(not(x), not(y)) -> xor(x, y)
// CHECK-LABEL: lgn.net @absorb_both
// CHECK:       %[[G:.*]] = lgn.gate xor %arg0, %arg1
// CHECK-NEXT:  lgn.output %[[G]]
lgn.net @absorb_both classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %nx = lgn.gate not_a %x, %x
  %ny = lgn.gate not_a %y, %y
  %0 = lgn.gate xor %nx, %ny
  lgn.output %0
}

// not(f(x, y)) -> (~f)(x, y) when the NOT is f's only user
// CHECK-LABEL: lgn.net @merge_into_producer
// CHECK:       %[[G:.*]] = lgn.gate not_and %arg0, %arg1
// CHECK-NEXT:  lgn.output %[[G]]
lgn.net @merge_into_producer classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %0 = lgn.gate and %x, %y
  %1 = lgn.gate not_a %0, %0
  lgn.output %1
}

// ... but not when f has another user
// CHECK-LABEL: lgn.net @shared_producer
// CHECK:       %[[G:.*]] = lgn.gate and %arg0, %arg1
// CHECK-NEXT:  %[[N:.*]] = lgn.gate not_a %[[G]], %[[G]]
// CHECK-NEXT:  lgn.output %[[G]], %[[N]]
lgn.net @shared_producer classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %0 = lgn.gate and %x, %y
  %1 = lgn.gate not_a %0, %0
  lgn.output %0, %1
}

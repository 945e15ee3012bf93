// RUN: lgc-opt %s --canonicalize | FileCheck %s
// RUN: lgc-opt %s --lgn-simplify --lgn-remove-dead-gates | FileCheck %s

// and(y, x) -> and(x, y): block arguments in argument order
// CHECK-LABEL: lgn.net @commutative
// CHECK:       lgn.gate and %arg0, %arg1
lgn.net @commutative classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %0 = lgn.gate and %y, %x
  lgn.output %0
}

// not_implies(y, x) -> not_implied_by(x, y): the table follows the swap
// CHECK-LABEL: lgn.net @asymmetric
// CHECK:       lgn.gate not_implied_by %arg0, %arg1
lgn.net @asymmetric classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %0 = lgn.gate not_implies %y, %x
  lgn.output %0
}

// implies(g, z) -> implied_by(z, g): block arguments before op results
// CHECK-LABEL: lgn.net @argument_first
// CHECK:       %[[G:.*]] = lgn.gate and %arg0, %arg1
// CHECK-NEXT:  lgn.gate implied_by %arg2, %[[G]]
lgn.net @argument_first classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1, %z: i1):
  %g = lgn.gate and %x, %y
  %0 = lgn.gate implies %g, %z
  lgn.output %0
}

// xor(h, g) -> xor(g, h): op results in block order
// CHECK-LABEL: lgn.net @op_order
// CHECK:       %[[G:.*]] = lgn.gate and %arg0, %arg1
// CHECK-NEXT:  %[[H:.*]] = lgn.gate or %arg0, %arg1
// CHECK-NEXT:  lgn.gate xor %[[G]], %[[H]]
lgn.net @op_order classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %g = lgn.gate and %x, %y
  %h = lgn.gate or %x, %y
  %0 = lgn.gate xor %h, %g
  lgn.output %0
}

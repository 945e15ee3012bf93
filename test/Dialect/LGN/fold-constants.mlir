// RUN: lgc-opt %s --canonicalize | FileCheck %s
// RUN: lgc-opt %s --lgn-simplify --lgn-remove-dead-gates | FileCheck %s

// f(c1, c2) -> constant
// CHECK-LABEL: lgn.net @both_constant
// CHECK-NOT:   lgn.gate
// CHECK:       %[[T:.*]] = lgn.constant true
// CHECK-NEXT:  lgn.output %[[T]]
lgn.net @both_constant classes 1 tau 1.0 {
^bb0(%x: i1):
  %t = lgn.constant true
  %f = lgn.constant false
  %0 = lgn.gate xor %t, %f
  lgn.output %0
}

// and(1, x) -> x
// CHECK-LABEL: lgn.net @and_true
// CHECK-NOT:   lgn.gate
// CHECK:       lgn.output %arg0
lgn.net @and_true classes 1 tau 1.0 {
^bb0(%x: i1):
  %t = lgn.constant true
  %0 = lgn.gate and %t, %x
  lgn.output %0
}

// and(x, 0) -> 0
// CHECK-LABEL: lgn.net @and_false
// CHECK-NOT:   lgn.gate
// CHECK:       %[[F:.*]] = lgn.constant false
// CHECK-NEXT:  lgn.output %[[F]]
lgn.net @and_false classes 1 tau 1.0 {
^bb0(%x: i1):
  %f = lgn.constant false
  %0 = lgn.gate and %x, %f
  lgn.output %0
}

// xor(x, 1) -> not x
// CHECK-LABEL: lgn.net @xor_true
// CHECK:       %[[N:.*]] = lgn.gate not_a %arg0, %arg0
// CHECK-NEXT:  lgn.output %[[N]]
lgn.net @xor_true classes 1 tau 1.0 {
^bb0(%x: i1):
  %t = lgn.constant true
  %0 = lgn.gate xor %x, %t
  lgn.output %0
}

// implies(0, x) -> 1
// CHECK-LABEL: lgn.net @implies_false
// CHECK-NOT:   lgn.gate
// CHECK:       %[[T:.*]] = lgn.constant true
// CHECK-NEXT:  lgn.output %[[T]]
lgn.net @implies_false classes 1 tau 1.0 {
^bb0(%x: i1):
  %f = lgn.constant false
  %0 = lgn.gate implies %f, %x
  lgn.output %0
}

// not_implied_by(0, x) -> x
// CHECK-LABEL: lgn.net @not_implied_by_false
// CHECK-NOT:   lgn.gate
// CHECK:       lgn.output %arg0
lgn.net @not_implied_by_false classes 1 tau 1.0 {
^bb0(%x: i1):
  %f = lgn.constant false
  %0 = lgn.gate not_implied_by %f, %x
  lgn.output %0
}

// not x on a constant -> constant; constants propagate through chains
// CHECK-LABEL: lgn.net @chain
// CHECK:       %[[OR:.*]] = lgn.gate or %arg0, %arg1
// CHECK-NEXT:  lgn.output %[[OR]]
lgn.net @chain classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %t = lgn.constant true
  %0 = lgn.gate not_a %t, %t
  %1 = lgn.gate and %0, %y
  %2 = lgn.gate or %x, %1
  %3 = lgn.gate or %2, %y
  lgn.output %3
}

// RUN: lgc-opt %s --canonicalize | FileCheck %s
// RUN: lgc-opt %s --lgn-simplify --lgn-remove-dead-gates | FileCheck %s

// a(x, y) -> x; b(x, y) -> y
// CHECK-LABEL: lgn.net @wires
// CHECK-NOT:   lgn.gate
// CHECK:       lgn.output %arg0, %arg1
lgn.net @wires classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %0 = lgn.gate a %x, %y
  %1 = lgn.gate b %x, %y
  lgn.output %0, %1
}

// zero(x, y) -> 0; one(x, y) -> 1
// CHECK-LABEL: lgn.net @constants
// CHECK-NOT:   lgn.gate
// CHECK-DAG:   %[[F:.*]] = lgn.constant false
// CHECK-DAG:   %[[T:.*]] = lgn.constant true
// CHECK:       lgn.output %[[F]], %[[T]]
lgn.net @constants classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %0 = lgn.gate zero %x, %y
  %1 = lgn.gate one %x, %y
  lgn.output %0, %1
}

// not_a(x, y) -> not_a(x, x); not_b(x, y) -> not_a(y, y)
// CHECK-LABEL: lgn.net @negations
// CHECK:       %[[NX:.*]] = lgn.gate not_a %arg0, %arg0
// CHECK:       %[[NY:.*]] = lgn.gate not_a %arg1, %arg1
// CHECK:       lgn.output %[[NX]], %[[NY]]
lgn.net @negations classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %0 = lgn.gate not_a %x, %y
  %1 = lgn.gate not_b %x, %y
  lgn.output %0, %1
}

// f(x, x) -> f(0,0), f(1,1) as a function of x:
// xor(x, x) -> 0, not_xor(x, x) -> 1, and(x, x) -> x, or(x, x) -> x,
// not_and(x, x) -> not x, implies(x, x) -> 1, not_implies(x, x) -> 0
// CHECK-LABEL: lgn.net @same_operand
// CHECK-DAG:   %[[F:.*]] = lgn.constant false
// CHECK-DAG:   %[[T:.*]] = lgn.constant true
// CHECK:       %[[N:.*]] = lgn.gate not_a %arg0, %arg0
// CHECK-NEXT:  lgn.output %[[F]], %[[T]], %arg0, %arg0, %[[N]], %[[T]], %[[F]]
lgn.net @same_operand classes 1 tau 1.0 {
^bb0(%x: i1):
  %0 = lgn.gate xor %x, %x
  %1 = lgn.gate not_xor %x, %x
  %2 = lgn.gate and %x, %x
  %3 = lgn.gate or %x, %x
  %4 = lgn.gate not_and %x, %x
  %5 = lgn.gate implies %x, %x
  %6 = lgn.gate not_implies %x, %x
  lgn.output %0, %1, %2, %3, %4, %5, %6
}

// Pass-through chains collapse: b(a(x, y), z) -> z
// CHECK-LABEL: lgn.net @chain
// CHECK-NOT:   lgn.gate
// CHECK:       lgn.output %arg2
lgn.net @chain classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1, %z: i1):
  %0 = lgn.gate a %x, %y
  %1 = lgn.gate b %0, %z
  lgn.output %1
}

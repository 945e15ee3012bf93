// RUN: lgc-opt %s | FileCheck %s
// RUN: lgc-opt %s | lgc-opt | FileCheck %s
// RUN: lgc-opt %s --mlir-print-op-generic | lgc-opt | FileCheck %s

// CHECK-LABEL: lgn.net @every_kind classes 2 tau 1.000000e+01
// CHECK-SAME:    metadata = ["dataset", "unit"]
// CHECK:       ^bb0(%[[A:.*]]: i1, %[[B:.*]]: i1):
// CHECK-NEXT:    %[[Z:.*]] = lgn.gate zero %[[A]], %[[B]] layer 0
// CHECK-NEXT:    lgn.gate and %[[A]], %[[B]] layer 0
// CHECK-NEXT:    lgn.gate not_implies %[[A]], %[[B]]
// CHECK-NEXT:    lgn.gate a %[[A]], %[[B]]
// CHECK-NEXT:    lgn.gate not_implied_by %[[A]], %[[B]]
// CHECK-NEXT:    lgn.gate b %[[A]], %[[B]]
// CHECK-NEXT:    lgn.gate xor %[[A]], %[[B]]
// CHECK-NEXT:    lgn.gate or %[[A]], %[[B]]
// CHECK-NEXT:    lgn.gate not_or %[[A]], %[[B]]
// CHECK-NEXT:    lgn.gate not_xor %[[A]], %[[B]]
// CHECK-NEXT:    lgn.gate not_b %[[A]], %[[B]]
// CHECK-NEXT:    lgn.gate implied_by %[[A]], %[[B]]
// CHECK-NEXT:    lgn.gate not_a %[[A]], %[[B]]
// CHECK-NEXT:    lgn.gate implies %[[A]], %[[B]]
// CHECK-NEXT:    lgn.gate not_and %[[A]], %[[B]]
// CHECK-NEXT:    %[[O:.*]] = lgn.gate one %[[A]], %[[B]]{{$}}
// CHECK-NEXT:    %[[C:.*]] = lgn.constant true
// CHECK-NEXT:    lgn.output %[[Z]], %[[O]], %[[C]], %[[A]]
lgn.net @every_kind classes 2 tau 10.0 attributes {metadata = ["dataset", "unit"]} {
^bb0(%a: i1, %b: i1):
  %0 = lgn.gate zero %a, %b layer 0
  %1 = lgn.gate and %a, %b layer 0
  %2 = lgn.gate not_implies %a, %b
  %3 = lgn.gate a %a, %b
  %4 = lgn.gate not_implied_by %a, %b
  %5 = lgn.gate b %a, %b
  %6 = lgn.gate xor %a, %b
  %7 = lgn.gate or %a, %b
  %8 = lgn.gate not_or %a, %b
  %9 = lgn.gate not_xor %a, %b
  %10 = lgn.gate not_b %a, %b
  %11 = lgn.gate implied_by %a, %b
  %12 = lgn.gate not_a %a, %b
  %13 = lgn.gate implies %a, %b
  %14 = lgn.gate not_and %a, %b
  %15 = lgn.gate one %a, %b
  %c = lgn.constant true
  lgn.output %0, %15, %c, %a
}

// CHECK-LABEL: lgn.net @encoded classes 1 tau 5.000000e-01
// CHECK-SAME:    bit_features = array<i32: 1, 0>
// CHECK-SAME:    bit_thresholds = array<f32: 2.500000e-01, 7.500000e-01>
// CHECK-SAME:    features = 2 : i32
lgn.net @encoded classes 1 tau 0.5 attributes {features = 2 : i32, bit_features = array<i32: 1, 0>, bit_thresholds = array<f32: 0.25, 0.75>} {
^bb0(%a: i1, %b: i1):
  %0 = lgn.gate xor %a, %b
  lgn.output %0
}

// CHECK-LABEL: lgn.net @thermometer classes 1 tau 1.000000e+00
// CHECK-SAME:    features = 2 : i32
// CHECK-SAME:    levels = array<f32: 2.500000e-01, 7.500000e-01>
lgn.net @thermometer classes 1 tau 1.0 attributes {features = 2 : i32, levels = array<f32: 0.25, 0.75>} {
^bb0(%a: i1, %b: i1, %c: i1, %d: i1):
  %0 = lgn.gate xor %a, %d
  lgn.output %0
}

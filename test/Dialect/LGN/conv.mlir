// RUN: lgc-opt %s | FileCheck %s --check-prefix=ROUNDTRIP
// RUN: lgc-opt %s | lgc-opt | FileCheck %s --check-prefix=ROUNDTRIP
// RUN: lgc-opt %s --mlir-print-op-generic | lgc-opt | FileCheck %s --check-prefix=ROUNDTRIP
// RUN: lgc-opt %s --lgn-unroll-blocks | FileCheck %s --check-prefix=UNROLL

// A 2x2 window over a 3x3 image: the tree xor(top-left, bottom-right) at
// each of the 2x2 positions, then an OR pool over the 2x2 result.

// ROUNDTRIP-LABEL: lgn.net @conv
// ROUNDTRIP:       %[[R:.*]]:4 = lgn.conv(%arg0, %arg1, %arg2, %arg3, %arg4, %arg5, %arg6, %arg7, %arg8) {channels = 1 : i32, height = 3 : i32, kernel = 2 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>, padding = 0 : i32, stride = 1 : i32, width = 3 : i32} -> 4 {
// ROUNDTRIP-NEXT:  ^bb0(%[[A:.*]]: i1, %[[B:.*]]: i1):
// ROUNDTRIP-NEXT:    %[[X:.*]] = lgn.gate xor %[[A]], %[[B]]
// ROUNDTRIP-NEXT:    lgn.yield %[[X]]
// ROUNDTRIP-NEXT:  }
// ROUNDTRIP-NEXT:  %[[P:.*]] = lgn.or_pool(%[[R]]#0, %[[R]]#1, %[[R]]#2, %[[R]]#3) {{.*}} -> 1
// ROUNDTRIP-NEXT:  lgn.output %[[R]]#0, %[[R]]#3, %[[P]]

// UNROLL-LABEL: lgn.net @conv
// UNROLL-NEXT:  ^bb0(%[[I0:.*]]: i1, %[[I1:.*]]: i1, %[[I2:.*]]: i1, %[[I3:.*]]: i1, %[[I4:.*]]: i1, %[[I5:.*]]: i1, %[[I6:.*]]: i1, %[[I7:.*]]: i1, %[[I8:.*]]: i1):
// UNROLL-NEXT:    %[[G0:.*]] = lgn.gate xor %[[I0]], %[[I4]]
// UNROLL-NEXT:    %[[G1:.*]] = lgn.gate xor %[[I1]], %[[I5]]
// UNROLL-NEXT:    %[[G2:.*]] = lgn.gate xor %[[I3]], %[[I7]]
// UNROLL-NEXT:    %[[G3:.*]] = lgn.gate xor %[[I4]], %[[I8]]
// UNROLL-NEXT:    %[[O0:.*]] = lgn.gate or %[[G0]], %[[G1]]
// UNROLL-NEXT:    %[[O1:.*]] = lgn.gate or %[[G2]], %[[G3]]
// UNROLL-NEXT:    %[[O2:.*]] = lgn.gate or %[[O0]], %[[O1]]
// UNROLL-NEXT:    lgn.output %[[G0]], %[[G3]], %[[O2]]
lgn.net @conv classes 1 tau 1.0 {
^bb0(%i0: i1, %i1: i1, %i2: i1, %i3: i1, %i4: i1, %i5: i1, %i6: i1, %i7: i1, %i8: i1):
  %r:4 = lgn.conv(%i0, %i1, %i2, %i3, %i4, %i5, %i6, %i7, %i8) {channels = 1 : i32, height = 3 : i32, width = 3 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 0 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>} -> 4 {
  ^bb0(%a: i1, %b: i1):
    %x = lgn.gate xor %a, %b
    lgn.yield %x
  }
  %p:1 = lgn.or_pool(%r#0, %r#1, %r#2, %r#3) {channels = 1 : i32, height = 2 : i32, width = 2 : i32, kernel = 2 : i32, stride = 2 : i32, padding = 0 : i32} -> 1
  lgn.output %r#0, %r#3, %p#0
}

// Padding reads false; stride 2 skips positions; an OR pool window on the
// padding alone is false, one input is that input.

// UNROLL-LABEL: lgn.net @padded
// UNROLL-NEXT:  ^bb0(%[[J0:.*]]: i1, %[[J1:.*]]: i1, %[[J2:.*]]: i1, %[[J3:.*]]: i1):
// UNROLL-NEXT:    %[[F:.*]] = lgn.constant false
// UNROLL-NEXT:    %[[C0:.*]] = lgn.gate and %[[F]], %[[J0]]
// UNROLL-NEXT:    %[[C1:.*]] = lgn.gate and %[[F]], %[[F]]
// UNROLL-NEXT:    lgn.gate and %[[F]], %[[F]]
// UNROLL-NEXT:    %[[C3:.*]] = lgn.gate and %[[J3]], %[[F]]
// UNROLL-NEXT:    %[[Q1:.*]] = lgn.gate or %[[J0]], %[[J1]]
// UNROLL:         %[[L:.*]] = lgn.gate or %[[J0]], %[[J1]]
// UNROLL-NEXT:    %[[R:.*]] = lgn.gate or %[[J2]], %[[J3]]
// UNROLL-NEXT:    %[[Q4:.*]] = lgn.gate or %[[L]], %[[R]]
// UNROLL:         lgn.output %[[C0]], %[[C1]], %[[C3]], %[[J0]], %[[Q1]], %[[Q4]]
lgn.net @padded classes 1 tau 1.0 {
^bb0(%j0: i1, %j1: i1, %j2: i1, %j3: i1):
  %c:4 = lgn.conv(%j0, %j1, %j2, %j3) {channels = 1 : i32, height = 2 : i32, width = 2 : i32, kernel = 2 : i32, stride = 2 : i32, padding = 1 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>} -> 4 {
  ^bb0(%a: i1, %b: i1):
    %x = lgn.gate and %a, %b
    lgn.yield %x
  }
  %q:9 = lgn.or_pool(%j0, %j1, %j2, %j3) {channels = 1 : i32, height = 2 : i32, width = 2 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 1 : i32} -> 9
  lgn.output %c#0, %c#1, %c#3, %q#0, %q#1, %q#4
}

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

// A block none of whose results is read goes (the pool, then the conv only
// it read); a block with one result read stays whole.
// CHECK-LABEL: lgn.net @dead_blocks
// CHECK-NEXT:  ^bb0(
// CHECK-NEXT:    %[[R:.*]]:4 = lgn.conv
// CHECK:         lgn.yield
// CHECK-NEXT:    }
// CHECK-NOT:     lgn.or_pool
// CHECK-NOT:     lgn.conv
// CHECK-NEXT:    lgn.output %[[R]]#2
lgn.net @dead_blocks classes 1 tau 1.0 {
^bb0(%i0: i1, %i1: i1, %i2: i1, %i3: i1, %i4: i1, %i5: i1, %i6: i1, %i7: i1, %i8: i1):
  %r:4 = lgn.conv(%i0, %i1, %i2, %i3, %i4, %i5, %i6, %i7, %i8) {channels = 1 : i32, height = 3 : i32, width = 3 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 0 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>} -> 4 {
  ^bb0(%a: i1, %b: i1):
    %x = lgn.gate xor %a, %b
    lgn.yield %x
  }
  %s:4 = lgn.conv(%i0, %i1, %i2, %i3, %i4, %i5, %i6, %i7, %i8) {channels = 1 : i32, height = 3 : i32, width = 3 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 0 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>} -> 4 {
  ^bb0(%a: i1, %b: i1):
    %x = lgn.gate and %a, %b
    lgn.yield %x
  }
  %p:1 = lgn.or_pool(%s#0, %s#1, %s#2, %s#3) {channels = 1 : i32, height = 2 : i32, width = 2 : i32, kernel = 2 : i32, stride = 2 : i32, padding = 0 : i32} -> 1
  lgn.output %r#2
}
